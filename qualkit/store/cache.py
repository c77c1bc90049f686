"""Caches in the project: embeddings by (model, text hash), lemmas by (pipeline, text hash)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import delete, select

from qualkit.store.project import Project
from qualkit.store.schema import embeddings, lemma_cache, model_cache

CHUNK = 500  # keeps IN (...) lists under every database's parameter limit


class EmbeddingCache:
    """Reads and writes vectors in the project; each batch is committed as it is computed."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.computed = 0

    def get(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with self.project.reading() as conn:
            for i in range(0, len(hashes), CHUNK):
                rows = conn.execute(
                    select(embeddings.c.text_hash, embeddings.c.vector).where(
                        embeddings.c.model == model,
                        embeddings.c.text_hash.in_(hashes[i : i + CHUNK]),
                    )
                )
                for h, blob in rows:
                    out[h] = np.frombuffer(blob, dtype=np.float32)
        return out

    def put(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        if not vectors:
            return
        self.computed += len(vectors)
        with self.project.transaction() as conn:
            existing = set(
                conn.execute(
                    select(embeddings.c.text_hash).where(
                        embeddings.c.model == model, embeddings.c.text_hash.in_(list(vectors))
                    )
                ).scalars()
            )
            rows = [
                {
                    "model": model,
                    "text_hash": h,
                    "dim": int(v.shape[0]),
                    "vector": np.asarray(v, dtype=np.float32).tobytes(),
                }
                for h, v in vectors.items()
                if h not in existing
            ]
            if rows:
                conn.execute(embeddings.insert(), rows)


class LemmaCache:
    def __init__(self, project: Project) -> None:
        self.project = project

    def get(self, pipeline: str, hashes: Sequence[str]) -> dict[str, list]:
        out: dict[str, list] = {}
        with self.project.reading() as conn:
            for i in range(0, len(hashes), CHUNK):
                rows = conn.execute(
                    select(lemma_cache.c.text_hash, lemma_cache.c.lemmas).where(
                        lemma_cache.c.pipeline == pipeline,
                        lemma_cache.c.text_hash.in_(hashes[i : i + CHUNK]),
                    )
                )
                out.update(dict(rows.all()))
        return out

    def put(self, pipeline: str, items: dict[str, list]) -> None:
        if not items:
            return
        with self.project.transaction() as conn:
            existing = set(
                conn.execute(
                    select(lemma_cache.c.text_hash).where(
                        lemma_cache.c.pipeline == pipeline, lemma_cache.c.text_hash.in_(list(items))
                    )
                ).scalars()
            )
            rows = [
                {"pipeline": pipeline, "text_hash": h, "lemmas": v}
                for h, v in items.items()
                if h not in existing
            ]
            if rows:
                conn.execute(lemma_cache.insert(), rows)


class ModelCache:
    """Bytes by key: trained models reused while their inputs are unchanged."""

    def __init__(self, project: Project) -> None:
        self.project = project

    def get(self, key: str) -> bytes | None:
        with self.project.reading() as conn:
            return conn.execute(select(model_cache.c.data).where(model_cache.c.key == key)).scalar()

    def put(self, key: str, data: bytes) -> None:
        from qualkit.store.project import now

        with self.project.transaction() as conn:
            conn.execute(delete(model_cache).where(model_cache.c.key == key))
            conn.execute(model_cache.insert().values(key=key, created_at=now(), data=data))
