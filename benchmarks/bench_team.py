"""Two coders reviewing at once lose no decision (target: 2 x 1,000 decisions, 0 lost).

Builds a project from three sample transcripts (no auto-coding), then starts two processes,
one per coder, that each make DECISIONS review decisions through `qualkit.review` (accept or
reject) on the same (segment, code) pairs in the same order, so that their writes interleave.
Then counts what the store holds: every decision must be in `codings` and in `decision_log`.

    .venv/bin/python benchmarks/bench_team.py                    # SQLite file in a temp dir
    .venv/bin/python benchmarks/bench_team.py --url postgresql://USER@HOST:PORT/DB

With --url, the benchmark creates a fresh database beside DB on that server (the user needs
the CREATEDB right), works there and drops it at the end (--keep keeps it). Exits 1 when a
decision is missing.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSCRIPTS = ("entretien_01.txt", "entretien_02.txt", "entretien_04.txt")
CODES = ("job_threat", "deskilling", "data_security", "training_needs", "shadow_it")
CODERS = ("marie", "paul")


def build(location: str, folder: Path) -> list[tuple[int, str]]:
    """Import the transcripts; return the (segment, code) pairs to decide on, in order."""
    import shutil

    from qualkit.cli import main
    from qualkit.store import Project
    from qualkit.store.study import segment_rows

    src = folder / "src"
    src.mkdir()
    for name in TRANSCRIPTS:
        shutil.copy(ROOT / "transcripts" / name, src / name)
    Project.create(location, name="Banc d'essai équipe").close()
    try:  # the sample transcripts are fictitious: no pseudonym map needed
        main(["import", location, str(src), "--keep-names"])
    except SystemExit as exc:
        if exc.code:
            raise
    with Project.open(location) as project, project.reading() as conn:
        ids = [r["id"] for name in TRANSCRIPTS for r in segment_rows(conn, interview=name)]
    return [(segment, code) for segment in ids for code in CODES]


def status_of(coder: str, segment: int, code: str) -> str:
    """Each coder's own, reproducible choice: the two disagree on about half the pairs."""
    return "accepted" if (segment * 7 + CODES.index(code) + CODERS.index(coder)) % 2 else "rejected"


def work(location: str, coder: str, pairs: list, start, out) -> None:
    """One coder's session: open the project, wait for the start, decide on every pair."""
    from qualkit import review
    from qualkit.errors import QualkitError
    from qualkit.store import Project

    latencies, failures = [], []
    with Project.open(location) as project:
        start.wait()
        began = time.perf_counter()
        for segment, code in pairs:
            action = (
                review.accept if status_of(coder, segment, code) == "accepted" else review.reject
            )
            t = time.perf_counter()
            try:
                action(project, segment, code, coder)
            except QualkitError as exc:  # a decision the store refused is a lost decision
                failures.append(str(exc))
            latencies.append(time.perf_counter() - t)
        elapsed = time.perf_counter() - began
    out.put({"coder": coder, "elapsed": elapsed, "latencies": latencies, "failures": failures})


def count(location: str, pairs: list) -> dict:
    from sqlalchemy import func, select

    from qualkit.store import Project
    from qualkit.store.schema import codings, decision_log

    with Project.open(location) as project, project.reading() as conn:
        rows = conn.execute(
            select(codings.c.coder, codings.c.segment_id, codings.c.code, codings.c.status).where(
                codings.c.coder.in_(CODERS)
            )
        ).all()
        logged = conn.execute(select(func.count()).where(decision_log.c.coder.in_(CODERS))).scalar()
    wanted = {(c, s, k): status_of(c, s, k) for c in CODERS for s, k in pairs}
    found = {(r.coder, r.segment_id, r.code): r.status for r in rows}
    right = sum(found.get(key) == status for key, status in wanted.items())
    return {"in_codings": len(found), "right_status": right, "decision_log": logged}


def run(location: str, decisions: int, folder: Path) -> dict:
    pairs = build(location, folder)
    if len(pairs) < decisions:
        sys.exit(f"only {len(pairs)} (segment, code) pairs; ask for --decisions {len(pairs)}")
    pairs = pairs[:decisions]
    ctx = mp.get_context("spawn")  # fresh interpreters, as two people's sessions would be
    start, out = ctx.Event(), ctx.Queue()
    workers = [ctx.Process(target=work, args=(location, c, pairs, start, out)) for c in CODERS]
    for w in workers:
        w.start()
    time.sleep(2.0)  # both have opened the project
    began = time.perf_counter()
    start.set()
    results = [out.get(timeout=1800) for _ in workers]
    elapsed = time.perf_counter() - began
    for w in workers:
        w.join()
    counts = count(location, pairs)
    latencies = [x for r in results for x in r["latencies"]]
    expected = decisions * len(CODERS)
    return {
        "expected": expected,
        **counts,
        "lost": expected - counts["right_status"],
        "refused": sum(len(r["failures"]) for r in results),
        "elapsed_s": elapsed,
        "decisions_per_s": expected / elapsed,
        "median_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * statistics.quantiles(latencies, n=20)[-1],
        "errors": [f for r in results for f in r["failures"]][:3],
    }


def fresh_database(url: str) -> tuple[str, Callable[[], None]]:
    """A new database on the server of URL, and a function that drops it."""
    from sqlalchemy import create_engine, make_url, text

    base = make_url(url)
    if base.drivername in ("postgresql", "postgres"):
        base = base.set(drivername="postgresql+psycopg")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"qualkit_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a PostgreSQL server (default: an SQLite file)")
    parser.add_argument("--decisions", type=int, default=1000, help="per coder")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from qualkit.store.project import display

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.url:
            location, drop = fresh_database(args.url)
            backend = "postgresql"
        else:
            location, drop, backend = str(folder / "team.qualkit"), None, "sqlite"
        try:
            r = run(location, args.decisions, folder)
        finally:
            if drop and not args.keep:
                drop()
    print(f"backend:              {backend} ({display(location)})")
    print(f"coders:               {len(CODERS)} processes at once, {args.decisions} decisions each")
    print(f"decisions expected:   {r['expected']}")
    print(f"found in codings:     {r['in_codings']} ({r['right_status']} with the right status)")
    print(f"decision_log rows:    {r['decision_log']}")
    print(
        f"refused by the store: {r['refused']}"
        + (f"  e.g. {r['errors'][0]}" if r["errors"] else "")
    )
    print(f"lost:                 {r['lost']}")
    print(f"elapsed:              {r['elapsed_s']:.2f} s")
    print(f"throughput:           {r['decisions_per_s']:.0f} decisions/s")
    print(f"one decision:         median {r['median_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms")
    if r["lost"] or r["decision_log"] != r["expected"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
