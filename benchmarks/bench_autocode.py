"""Benchmark: embedding overhead, a cached rerun of `qualkit code`, scoring 10,000 segments.

    .venv/bin/python benchmarks/bench_autocode.py [--project exports/demo/study.qualkit]

The project must have been imported and coded once (`make demo`).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from qualkit.autocode import AutoCoder, ZeroShot
from qualkit.codebook import load_codebook
from qualkit.coding import embed_source, lemma_source, zero_shot_key
from qualkit.embedding import DEFAULT_EMBEDDER, get_embedder
from qualkit.store import Project
from qualkit.store.cache import EmbeddingCache, LemmaCache, ModelCache
from qualkit.store.codings import segments_to_code

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", default=str(ROOT / "exports/demo/study.qualkit"))
    parser.add_argument("--codebook", default=str(ROOT / "codebook/codebook.yaml"))
    parser.add_argument("--texts", type=int, default=192)
    args = parser.parse_args()
    codebook = load_codebook(args.codebook)
    embedder = get_embedder(DEFAULT_EMBEDDER)

    with Project.open(args.project) as project, project.reading() as conn:
        segments = [text for _, text in segments_to_code(conn)]
    base = segments[: args.texts]

    # 1. raw model vs qualkit's cached embedding path, on the same texts (a suffix per run keeps
    # every text new to both), alternated three times: the median ratio, since this machine's
    # speed varies from one minute to the next.
    embedder.embed(base[:8])  # warm-up
    ratios, raw_speeds, our_speeds = [], [], []
    for run in range(3):
        sample = [f"{t} ({run}.{i})" for i, t in enumerate(base)]
        t0 = time.perf_counter()
        for i in range(0, len(sample), 64):
            embedder.embed(sample[i : i + 64])
        raw = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Project.create(Path(tmp) / "bench.qualkit")
            embed = embed_source(embedder, EmbeddingCache(fresh))
            t0 = time.perf_counter()
            embed([f"{t} ({run}.{i}b)" for i, t in enumerate(base)])  # new to any cache
            ours = time.perf_counter() - t0
            fresh.close()
        ratios.append(raw / ours)
        raw_speeds.append(len(base) / raw)
        our_speeds.append(len(base) / ours)
    print(
        f"embedder {embedder.name}: raw {statistics.median(raw_speeds):.1f} texts/s, through "
        f"qualkit (hash, cache lookup, store) {statistics.median(our_speeds):.1f} texts/s; "
        f"ratio per run {' / '.join(f'{r:.2f}' for r in ratios)}, "
        f"median {statistics.median(ratios):.2f}"
    )

    # 2. a rerun of `qualkit code` on the project, everything cached (whole command)
    command = [sys.executable, "-m", "qualkit", "code", args.project, "--codebook", args.codebook]
    subprocess.run(command, check=True, capture_output=True)
    t0 = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    print(
        f"rerun of qualkit code with everything cached: {time.perf_counter() - t0:.2f} s "
        f"({len(segments)} segments)"
    )

    # 3. scoring 10,000 cached segments (vectors and lemmas read from the cache)
    with Project.open(args.project) as project:
        embed = embed_source(embedder, EmbeddingCache(project))
        lemmas_of = lemma_source(LemmaCache(project), codebook.language)
        t0 = time.perf_counter()
        stored = ModelCache(project).get(zero_shot_key(codebook, embedder.name, codebook.language))
        coder = AutoCoder(
            codebook, embed, lemmas_of, zero_shot=ZeroShot.from_bytes(stored) if stored else None
        )
        build = time.perf_counter() - t0
        reps = -(-10_000 // len(segments))
        texts = (segments * reps)[:10_000]
        t0 = time.perf_counter()
        vectors = np.tile(embed(segments), (reps, 1))[:10_000]
        lemmas = (lemmas_of(segments) * reps)[:10_000]
        load = time.perf_counter() - t0
        t0 = time.perf_counter()
        scores = coder.score(texts, vectors, lemmas)
        [scores.explain(i, k) for i in range(len(texts)) for k in range(len(coder.code_ids))]
        scoring = time.perf_counter() - t0
    print(
        f"10,000 cached segments: model from cached codebook {build:.2f} s, cache read "
        f"{load:.2f} s, scoring with explanations {scoring:.2f} s, total "
        f"{build + load + scoring:.2f} s"
    )


if __name__ == "__main__":
    main()
