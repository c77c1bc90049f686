"""Caches in the project: embeddings by (model, text hash), lemmas by (pipeline, text hash)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import delete, select

from qualkit.store.project import Project
from qualkit.store.schema import embeddings, lemma_cache, model_cache

CHUNK = 500  # keeps IN (...) lists under every database's parameter limit


class _KeyedCache:
    """Values by (producer, text hash) in one table; each put is committed as it comes."""

    table = None
    producer = ""  # the column naming what produced the value: a model or a pipeline
    value = ""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.computed = 0

    def encode(self, value) -> dict:
        return {self.value: value}

    def decode(self, stored):
        return stored

    def get(self, producer: str, hashes: Sequence[str]) -> dict:
        t = self.table.c
        out = {}
        with self.project.reading() as conn:
            for i in range(0, len(hashes), CHUNK):
                rows = conn.execute(
                    select(t.text_hash, t[self.value]).where(
                        t[self.producer] == producer, t.text_hash.in_(hashes[i : i + CHUNK])
                    )
                )
                out.update((h, self.decode(v)) for h, v in rows)
        return out

    def put(self, producer: str, items: dict) -> None:
        if not items:
            return
        self.computed += len(items)
        t = self.table.c
        with self.project.transaction() as conn:
            existing = set(
                conn.execute(
                    select(t.text_hash).where(
                        t[self.producer] == producer, t.text_hash.in_(list(items))
                    )
                ).scalars()
            )
            rows = [
                {self.producer: producer, "text_hash": h, **self.encode(v)}
                for h, v in items.items()
                if h not in existing
            ]
            if rows:
                conn.execute(self.table.insert(), rows)


class EmbeddingCache(_KeyedCache):
    """Vectors by (model, text hash), stored as float32 bytes."""

    table, producer, value = embeddings, "model", "vector"

    def encode(self, value) -> dict:
        return {"dim": int(value.shape[0]), "vector": np.asarray(value, np.float32).tobytes()}

    def decode(self, stored) -> np.ndarray:
        return np.frombuffer(stored, dtype=np.float32)


class LemmaCache(_KeyedCache):
    """Lemmatised sentences by (pipeline, text hash)."""

    table, producer, value = lemma_cache, "pipeline", "lemmas"


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
