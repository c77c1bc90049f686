"""Times the report stage on a coded project (default: the demo): the full Word report
(target < 10 s) and quotes for one theme (target < 1 s). Prints the figures."""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--project", default=str(ROOT / "exports/demo/study.qualkit"))
    parser.add_argument("--code", default="job_threat")
    args = parser.parse_args()

    from qualkit.quotes import representative_quotes
    from qualkit.report import write_report
    from qualkit.store import Project
    from qualkit.synthesis import synthesize

    with Project.open(args.project) as project, project.reading() as conn:
        start = time.perf_counter()
        quotes = representative_quotes(conn, args.code, n=5)
        quotes_s = time.perf_counter() - start
        start = time.perf_counter()
        synthesize(conn, args.code)
        synthesis_s = time.perf_counter() - start
        start = time.perf_counter()
        out = io.BytesIO()
        summary = write_report(conn, out)
        report_s = time.perf_counter() - start
    print(f"project: {args.project}")
    print(f"quotes for {args.code} ({len(quotes)}): {quotes_s:.2f} s (target < 1 s)")
    print(f"synthesis for {args.code}: {synthesis_s:.2f} s")
    print(
        f"full report ({len(summary['themes'])} themes, {summary['quotes']} verbatims, "
        f"{len(out.getvalue()) / 1024:.0f} KiB): {report_s:.2f} s (target < 10 s)"
    )


if __name__ == "__main__":
    main()
