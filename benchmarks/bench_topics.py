"""Benchmark: discovered topics on the demo, on 2,000 segments (time by stage), and the peak
memory on 20,000 segments.

    .venv/bin/python benchmarks/bench_topics.py [--project exports/demo/study.qualkit]

The project must have been imported and coded once (`make demo`), so its embeddings and lemmas
are cached. It is copied to a temporary folder first: the benchmark never writes to it. Larger
corpora are built from the demo's cached vectors and lemmas, each repeated with a small random
perturbation; the 20,000-segment run happens in a child process whose peak RSS is read back.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def corpus(project_path: Path) -> tuple[list[str], np.ndarray]:
    """The demo's respondent segments as keyword documents and cached embeddings."""
    from qualkit.store import Project
    from qualkit.store.topics import respondent_segments
    from qualkit.topics import TopicParams, _embed, _lemmas, keyword_docs

    with Project.open(project_path) as project:
        with project.reading() as conn:
            texts = [r["text"] for r in respondent_segments(conn)]
        vectors = _embed(project, texts, TopicParams().embedder)
        docs = keyword_docs(_lemmas(project, texts, "fr"))
    return docs, vectors


def grow(docs: list[str], vectors: np.ndarray, n: int, seed: int = 0):
    """n segments: the originals repeated, each vector moved by a small random step."""
    rng = np.random.default_rng(seed)
    base = np.arange(n) % len(docs)
    noise = rng.normal(scale=0.3 / np.sqrt(vectors.shape[1]), size=(n, vectors.shape[1]))
    grown = vectors[base] + noise.astype(np.float32)
    grown /= np.linalg.norm(grown, axis=1, keepdims=True)
    return [docs[i] for i in base], grown.astype(np.float32)


def fit(docs, vectors) -> dict:
    from qualkit.topics import TopicParams, default_min_size, fit_topics

    t0 = time.perf_counter()
    result = fit_topics(docs, vectors, TopicParams(), default_min_size(len(docs)))
    total = time.perf_counter() - t0
    labels = result.labels
    return {
        "segments": len(docs),
        "topics": len(set(labels) - {-1}),
        "largest_share": max(np.bincount(labels[labels >= 0])) / len(labels),
        "outliers": int((labels < 0).sum()),
        "total_s": total,
        **{f"{k}_s": v for k, v in result.timings.items()},
    }


def child(project: Path, n: int) -> None:
    docs, vectors = corpus(project)
    print(json.dumps(fit(*grow(docs, vectors, n))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", default=str(ROOT / "exports/demo/study.qualkit"))
    parser.add_argument("--sizes", default="2000")
    parser.add_argument("--memory-size", type=int, default=20000)
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.project), args.child)
        return

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "study.qualkit"
        for suffix in ("", "-wal"):
            if Path(args.project + suffix).exists():
                shutil.copy(args.project + suffix, str(copy) + suffix)

        t0 = time.perf_counter()
        import bertopic  # noqa: F401
        import hdbscan  # noqa: F401
        import umap  # noqa: F401

        print(f"import bertopic, umap, hdbscan: {time.perf_counter() - t0:.1f} s")

        from qualkit.store import Project
        from qualkit.topics import compute_topics

        with Project.open(copy) as project:
            t0 = time.perf_counter()
            run = compute_topics(project)
            wall = time.perf_counter() - t0
        sizes = [t["size"] for t in run["topics"]]
        print(
            f"demo, `qualkit topics` path (cached embeddings and lemmas): {run['n_segments']} "
            f"segments, {len(sizes)} topics, largest {max(sizes) / run['n_segments']:.0%}, "
            f"{sum(t['emerging'] for t in run['topics'])} emerging, {run['n_outliers']} "
            f"outliers; {wall:.1f} s; stages {run['params']['timings_s']}"
        )

        docs, vectors = corpus(copy)
        for n in map(int, args.sizes.split(",")):
            r = fit(*grow(docs, vectors, n))
            print(
                f"{n} segments: {r['topics']} topics, largest {r['largest_share']:.0%}; total "
                f"{r['total_s']:.1f} s = reduction {r['reduction_s']:.1f} + clustering "
                f"{r['clustering_s']:.1f} + representation {r['representation_s']:.1f} "
                f"(+ 2-D map {r['map_s']:.1f})"
            )

        if args.memory_size:
            cmd = [
                sys.executable,
                __file__,
                "--project",
                str(copy),
                "--child",
                str(args.memory_size),
            ]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB -> MiB
            print(
                f"{args.memory_size} segments (child process): peak RSS {peak:.0f} MiB; "
                f"{r['topics']} topics; total {r['total_s']:.1f} s = reduction "
                f"{r['reduction_s']:.1f} + clustering {r['clustering_s']:.1f} + representation "
                f"{r['representation_s']:.1f} (+ 2-D map {r['map_s']:.1f})"
            )


if __name__ == "__main__":
    main()
