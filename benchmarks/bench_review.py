"""Review speed on a synthetic project of 10,000 segments (targets: one action < 300 ms,
the Review page's first render < 2 s, both server-side library calls).

    .venv/bin/python benchmarks/bench_review.py [--segments 10000] [--actions 50]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from qualkit import review
from qualkit.store import Project
from qualkit.store.project import now
from qualkit.store.schema import cases, codings, interviews, segments, turns

CODES = ("job_threat", "deskilling", "data_security", "training_needs", "shadow_it")
SENTENCE = "Franchement, l'outil nous fait gagner du temps mais je me demande ce qu'il restera. "


def build(path: Path, n_segments: int, per_interview: int = 100, seed: int = 0) -> None:
    """Interviews of `per_interview` Q/R turn pairs, one segment per answer, ~2 suggestions each."""
    rng = random.Random(seed)
    stamp = now()
    with Project.create(path) as proj, proj.transaction() as conn:
        n_interviews = n_segments // per_interview
        for i in range(n_interviews):
            case_id = conn.execute(
                insert(cases).values(
                    name=f"cas_{i:03d}",
                    profile=("cadre", "recruteur", "expert")[i % 3],
                    role="Responsable qualité",
                    branch="Chimie",
                    extra={},
                )
            ).inserted_primary_key[0]
            question, answer = "Et l'IA dans votre travail ? ", SENTENCE * 3
            text, spans = "", []
            for _ in range(per_interview):
                q0 = len(text) + 4
                text += "Q : " + question + "\n"
                r0 = len(text) + 4
                text += "R : " + answer + "\n"
                spans.append(((q0, q0 + len(question)), (r0, r0 + len(answer))))
            iid = conn.execute(
                insert(interviews).values(
                    name=f"entretien_{i:03d}.txt",
                    case_id=case_id,
                    content_hash=str(i),
                    language="fr",
                    source_format="txt",
                    text=text,
                    meta={},
                    imported_at=stamp,
                )
            ).inserted_primary_key[0]
            turn_rows = []
            for k, (q, r) in enumerate(spans):
                turn_rows += [
                    {
                        "interview_id": iid,
                        "idx": 2 * k,
                        "speaker": "Q",
                        "role": "interviewer",
                        "start": q[0],
                        "end": q[1],
                    },
                    {
                        "interview_id": iid,
                        "idx": 2 * k + 1,
                        "speaker": "R",
                        "role": "respondent",
                        "start": r[0],
                        "end": r[1],
                    },
                ]
            conn.execute(insert(turns), turn_rows)
            turn_ids = conn.execute(
                turns.select()
                .where(turns.c.interview_id == iid, turns.c.role == "respondent")
                .order_by(turns.c.idx)
            ).all()
            conn.execute(
                insert(segments),
                [
                    {"interview_id": iid, "turn_id": t.id, "idx": k, "start": t.start, "end": t.end}
                    for k, t in enumerate(turn_ids)
                ],
            )
        seg_ids = [r[0] for r in conn.execute(segments.select().with_only_columns(segments.c.id))]
        rows = []
        for sid in seg_ids:
            for code in rng.sample(CODES, rng.choice((1, 2, 3))):
                threshold, score = 0.6, round(rng.uniform(0.45, 1.0), 4)
                rows.append(
                    {
                        "segment_id": sid,
                        "code": code,
                        "coder": "auto",
                        "origin": "auto",
                        "status": "suggested",
                        "score": score,
                        "passes": score >= threshold,
                        "explanation": {
                            "threshold": threshold,
                            "zero_shot": score,
                            "patterns": [],
                            "nearest_example": {"text": SENTENCE, "similarity": 0.5},
                        },
                        "codebook_version": 1,
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                )
        conn.execute(insert(codings), rows)


def first_render(proj: Project, coder: str) -> None:
    """The library calls the Review page makes before showing its first card."""
    with proj.reading() as conn:
        review.interview_list(conn)
        review.profiles(conn)
        review.code_thresholds(conn)
        review.next_card(conn, coder)
        review.pending_count(conn, coder)


def action(proj: Project, coder: str, card: review.Card) -> review.Card | None:
    """One click as the page runs it: save the decision on the card on screen, then fetch
    the next card and the count left (what the rerun after the click shows)."""
    review.accept(proj, card.segment_id, card.pending[0].code, coder)
    with proj.reading() as conn:
        nxt = review.next_card(conn, coder)
        review.pending_count(conn, coder)
    return nxt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=10_000)
    parser.add_argument("--actions", type=int, default=50)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.qualkit"
        t0 = time.perf_counter()
        build(path, opts.segments)
        print(f"built {opts.segments} segments in {time.perf_counter() - t0:.1f} s")
        with Project.open(path) as proj:
            with proj.reading() as conn:
                n_sugg = sum(v["left"] for v in review.progress(conn, "bench")["per_code"].values())
            t0 = time.perf_counter()
            first_render(proj, "bench")
            first = time.perf_counter() - t0
            times = []
            with proj.reading() as conn:
                card = review.next_card(conn, "bench")
            for _ in range(opts.actions):
                t0 = time.perf_counter()
                card = action(proj, "bench", card)
                times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            with proj.reading() as conn:
                review.progress(conn, "bench")
            prog = time.perf_counter() - t0
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"suggestions pending: {n_sugg}")
    print(f"Review page, first render (library calls): {first * 1000:.0f} ms (target < 2000)")
    print(
        f"one review action, save + next card: median {statistics.median(times) * 1000:.0f} ms,"
        f" p95 {p95 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms (target < 300)"
    )
    print(f"Study page progress (per interview and code): {prog * 1000:.0f} ms")


if __name__ == "__main__":
    main()
