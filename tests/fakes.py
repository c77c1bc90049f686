"""Small stand-ins for the models, for fast unit tests (real models are tested elsewhere)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Bag of words hashed into 64 dimensions: texts sharing words are similar."""

    name = "fake-hashing"
    dim = 64

    def __init__(self) -> None:
        self.calls = 0
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in WORD.findall(text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


def split_lemmas(texts: Sequence[str]) -> list[list[list[str]]]:
    """Lowercase words as lemmas, one sentence per text."""
    return [[[w.lower() for w in re.findall(r"n'|\w+", t.lower())]] for t in texts]
