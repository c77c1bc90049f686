"""Benchmark: import + segmentation of the sample study vs spaCy alone, in the same run.

.venv/bin/python benchmarks/bench_import.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from qualkit.importing import collect_files, import_paths
from qualkit.nlp import sentence_pipeline
from qualkit.reading import read_transcript
from qualkit.store import Project

SAMPLE = Path(__file__).resolve().parent.parent / "transcripts"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    nlp = sentence_pipeline("fr")
    load = time.perf_counter() - t0
    files, _ = collect_files([SAMPLE])
    transcripts = [read_transcript(f) for f in files]
    turn_texts = [t.text[x.start : x.end] for t in transcripts for x in t.turns]
    words = sum(len(t.text.split()) for t in transcripts)

    spacy_times, full_times, plain_times, segments = [], [], [], 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for doc in nlp.pipe(turn_texts):
            list(doc.sents)
        spacy_times.append(time.perf_counter() - t0)

        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            with Project.create(Path(tmp) / "bench.qualkit") as project:
                result = import_paths(project, [SAMPLE], nlp_for=lambda _: nlp)
            full_times.append(time.perf_counter() - t0)
            segments = result.segments
            t0 = time.perf_counter()
            with Project.create(Path(tmp) / "plain.qualkit") as project:
                import_paths(project, [SAMPLE], nlp_for=lambda _: nlp, pseudonymise=False)
            plain_times.append(time.perf_counter() - t0)

    spacy_s, full_s = statistics.median(spacy_times), statistics.median(full_times)
    plain_s = statistics.median(plain_times)
    print(
        f"sample study: {len(files)} interviews, {words} words, {len(turn_texts)} turns, "
        f"{segments} segments"
    )
    print(f"spaCy model load (once per process): {load:.2f} s")
    print(f"spaCy sentence splitting alone:       {spacy_s:.2f} s")
    print(
        f"qualkit import --keep-names (read+segment+store): {plain_s:.2f} s, "
        f"{segments / plain_s:.0f} segments/s; ratio to spaCy alone {plain_s / spacy_s:.2f}"
    )
    print(
        f"qualkit import, pseudonymised (the default):     {full_s:.2f} s, "
        f"{segments / full_s:.0f} segments/s; ratio to spaCy alone {full_s / spacy_s:.2f}"
    )


if __name__ == "__main__":
    main()
