"""Auto-coding: three signals per code, combined and calibrated, each suggestion explained.

1. lexical: the codebook's patterns on lemmas, negation-aware (`lexical.py`);
2. semantic: a classifier on sentence embeddings trained on the codebook itself (examples are
   positives; other codes' examples, counter-examples and background statements negatives),
   plus the nearest codebook example as the explanation;
3. learned: when people have reviewed segments, a per-code model on those decisions (the
   embedding, the lexical hits and the zero-shot score as features) takes a share of the
   score that grows with the number of decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from qualkit.codebook import Codebook
from qualkit.lexical import Hit, Lemmas, Pattern, compile_patterns, find

LEXICAL_WEIGHT = 6.0  # a pattern hit weighs like several standard deviations of one dimension
ZERO_SHOT_C = 0.05
LEARNED_C = 0.05
LEARNED_HALF = 20  # reviewed positives at which the learned model gets half of the score
MAX_LEARNED_SHARE = 0.8
THRESHOLD_RANGE = (0.45, 0.85)
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Labelled:
    """A text whose codes are known (a reviewed segment, or a line of a labelled file)."""

    text: str
    codes: frozenset[str]


@dataclass
class Scores:
    """Scores of n texts for k codes, and what is needed to explain them."""

    code_ids: list[str]
    score: np.ndarray  # (n, k) in [0, 1]
    zero_shot: np.ndarray
    learned: np.ndarray | None
    share: np.ndarray  # (k,) share of the learned model in the score
    thresholds: np.ndarray
    hits: list[list[Hit]]
    nearest: list[list[tuple[str, float]]]  # per text, per code: (example, similarity)
    nearest_reviewed: list[list[tuple[str, float, bool]] | None] = field(default_factory=list)

    def passes(self) -> np.ndarray:
        return self.score >= self.thresholds[None, :]

    def explain(self, i: int, k: int) -> dict:
        code = self.code_ids[k]
        example, similarity = self.nearest[i][k]
        explanation = {
            "patterns": [
                {"pattern": h.pattern, "words": h.words, "negated": h.negated}
                for h in self.hits[i]
                if h.code == code
            ],
            "nearest_example": {"text": example, "similarity": round(similarity, 3)},
            "zero_shot": round(float(self.zero_shot[i, k]), 3),
            "threshold": round(float(self.thresholds[k]), 3),
        }
        if self.learned is not None and self.share[k] > 0:
            explanation["learned"] = round(float(self.learned[i, k]), 3)
            explanation["learned_share"] = round(float(self.share[k]), 3)
            if self.nearest_reviewed and self.nearest_reviewed[i]:
                text, sim, accepted = self.nearest_reviewed[i][k]
                explanation["nearest_reviewed"] = {
                    "text": text,
                    "similarity": round(sim, 3),
                    "accepted": accepted,
                }
        return explanation


class AutoCoder:
    """Trained once per run from a codebook (and reviewed decisions); scores any texts."""

    def __init__(
        self,
        codebook: Codebook,
        embed: Callable[[Sequence[str]], np.ndarray],
        lemmas_of: Callable[[Sequence[str]], list[Lemmas]],
        training: Sequence[Labelled] = (),
    ) -> None:
        self.codebook = codebook
        self.code_ids = codebook.ids
        self.embed = embed
        self.lemmas_of = lemmas_of
        self.patterns: list[Pattern] = compile_patterns(
            [(c.id, p) for c in codebook.codes for p in c.patterns], lemmas_of
        )

        texts, labels = _codebook_training(codebook)
        vectors = embed(texts)
        lexical = self._lexical(lemmas_of(texts))
        self._examples = [(c.id, c.examples, embed(c.examples)) for c in codebook.codes]
        self._mean, self._std = _standardiser(np.hstack([vectors, lexical]))
        features = self._features(vectors, lexical)
        self.zero_shot_models = [
            _fit(features, labels[:, k], ZERO_SHOT_C) for k in range(len(self.code_ids))
        ]
        oof = _out_of_fold(features, labels, ZERO_SHOT_C)

        self.training = list(training)
        self.learned_models: list = [None] * len(self.code_ids)
        self.share = np.zeros(len(self.code_ids))
        calibration_scores, calibration_labels = oof, labels
        if self.training:
            t_texts = [t.text for t in self.training]
            t_vectors = embed(t_texts)
            t_features = self._features(t_vectors, self._lexical(lemmas_of(t_texts)))
            t_labels = np.array([[c in t.codes for c in self.code_ids] for t in self.training])
            t_zero = self._zero_shot(t_features)
            learned_x = np.hstack([t_features, _logit(t_zero)])
            for k in range(len(self.code_ids)):
                positives = int(t_labels[:, k].sum())
                if 0 < positives < len(t_labels):
                    self.learned_models[k] = _fit(learned_x, t_labels[:, k], LEARNED_C)
                    self.share[k] = MAX_LEARNED_SHARE * positives / (positives + LEARNED_HALF)
            self._reviewed = (t_texts, t_vectors, t_labels)
            calibration_scores = np.vstack([oof, t_zero])
            calibration_labels = np.vstack([labels, t_labels])
        self.thresholds = np.array(
            [
                code.threshold
                if code.threshold is not None
                else _best_threshold(calibration_scores[:, k], calibration_labels[:, k])
                for k, code in enumerate(codebook.codes)
            ]
        )

    # --- scoring ------------------------------------------------------------------------------

    def score(
        self,
        texts: Sequence[str],
        vectors: np.ndarray | None = None,
        lemmas: Sequence[Lemmas] | None = None,
    ) -> Scores:
        vectors = self.embed(texts) if vectors is None else vectors
        lemmas = self.lemmas_of(texts) if lemmas is None else lemmas
        hits = [find(sentences, self.patterns) for sentences in lemmas]
        features = self._features(vectors, self._hit_matrix(hits))
        zero = self._zero_shot(features)
        score, learned = zero.copy(), None
        nearest_reviewed: list = []
        if any(m is not None for m in self.learned_models):
            learned = np.zeros_like(zero)
            x = np.hstack([features, _logit(zero)])
            for k, model in enumerate(self.learned_models):
                if model is not None:
                    learned[:, k] = model.predict_proba(x)[:, 1]
            score = (1 - self.share) * zero + self.share * learned
            nearest_reviewed = self._nearest_reviewed(vectors)
        return Scores(
            self.code_ids,
            score,
            zero,
            learned,
            self.share,
            self.thresholds,
            hits,
            self._nearest(vectors),
            nearest_reviewed,
        )

    def _zero_shot(self, features: np.ndarray) -> np.ndarray:
        return np.stack([m.predict_proba(features)[:, 1] for m in self.zero_shot_models], axis=1)

    def _lexical(self, lemmas: Sequence[Lemmas]) -> np.ndarray:
        return self._hit_matrix([find(sentences, self.patterns) for sentences in lemmas])

    def _hit_matrix(self, hits: Sequence[list[Hit]]) -> np.ndarray:
        """Per text and code: +1 for a pattern found, -1 for one found only under negation."""
        matrix = np.zeros((len(hits), len(self.code_ids)), dtype=np.float32)
        index = {c: k for k, c in enumerate(self.code_ids)}
        for i, text_hits in enumerate(hits):
            for hit in text_hits:
                k = index[hit.code]
                if not hit.negated:
                    matrix[i, k] = 1.0
                elif matrix[i, k] == 0:
                    matrix[i, k] = -1.0
        return matrix

    def _features(self, vectors: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        x = (np.hstack([vectors, lexical]) - self._mean) / self._std
        x[:, vectors.shape[1] :] = lexical * LEXICAL_WEIGHT
        return x

    def _nearest(self, vectors: np.ndarray) -> list[list[tuple[str, float]]]:
        out = [[] for _ in range(len(vectors))]
        for _, examples, matrix in self._examples:
            if not examples:
                for row in out:
                    row.append(("", 0.0))
                continue
            sims = vectors @ matrix.T
            best = sims.argmax(axis=1)
            for i, j in enumerate(best):
                out[i].append((examples[j], float(sims[i, j])))
        return out

    def _nearest_reviewed(self, vectors: np.ndarray) -> list:
        texts, matrix, labels = self._reviewed
        sims = vectors @ matrix.T
        out = []
        for i in range(len(vectors)):
            row = []
            for k in range(len(self.code_ids)):
                j = int(sims[i].argmax())
                row.append((texts[j], float(sims[i, j]), bool(labels[j, k])))
            out.append(row)
        return out


def _codebook_training(codebook: Codebook) -> tuple[list[str], np.ndarray]:
    texts: list[str] = []
    rows: list[list[bool]] = []
    for k, code in enumerate(codebook.codes):
        for text in code.examples:
            texts.append(text)
            rows.append([j == k for j in range(len(codebook.codes))])
        for text in code.counter_examples:
            texts.append(text)
            rows.append([False] * len(codebook.codes))
    for text in codebook.background:
        texts.append(text)
        rows.append([False] * len(codebook.codes))
    return texts, np.array(rows, dtype=bool).reshape(len(texts), len(codebook.codes))


def _standardiser(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    std = x.std(axis=0)
    return x.mean(axis=0), np.where(std > 1e-6, std, 1.0)


def _fit(x: np.ndarray, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression

    if y.min() == y.max():
        return _Constant(float(y[0]))
    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(x, y.astype(int))


class _Constant:
    """A code without examples: the same score for every text."""

    def __init__(self, value: float) -> None:
        self.value = value

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = np.full(len(x), self.value)
        return np.stack([1 - p, p], axis=1)


def _out_of_fold(x: np.ndarray, labels: np.ndarray, c: float, folds: int = 5) -> np.ndarray:
    """Zero-shot scores of the codebook's own texts from models that did not see them."""
    rng = np.random.default_rng(0)
    fold = rng.permutation(len(x)) % folds
    out = np.zeros(labels.shape)
    for f in range(folds):
        train, test = fold != f, fold == f
        for k in range(labels.shape[1]):
            out[test, k] = _fit(x[train], labels[train, k], c).predict_proba(x[test])[:, 1]
    return out


def _best_threshold(scores: np.ndarray, truth: np.ndarray) -> float:
    """The cut with the best F1, kept within a sane range (few positives make it noisy)."""
    if truth.sum() == 0:
        return DEFAULT_THRESHOLD
    best, best_f1 = DEFAULT_THRESHOLD, -1.0
    for t in np.arange(THRESHOLD_RANGE[0], THRESHOLD_RANGE[1] + 1e-9, 0.025):
        predicted = scores >= t
        tp = np.sum(predicted & truth)
        f1 = 2 * tp / (predicted.sum() + truth.sum()) if predicted.sum() + truth.sum() else 0
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(t), f1
    return round(best, 3)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))
