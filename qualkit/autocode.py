"""Auto-coding: three signals per code, combined and calibrated, each suggestion explained.

1. lexical: the codebook's patterns on lemmas, negation-aware (`lexical.py`);
2. semantic: a classifier on sentence embeddings trained on the codebook itself (examples are
   positives; other codes' examples, counter-examples and background statements negatives),
   applied to the whole passage and to each of its sentences (the score blends the passage's
   and its strongest sentence's, SENTENCE_WEIGHT for the sentence, so a concern raised in one
   sentence of a long passage is not drowned by the rest), plus the nearest codebook example
   as the explanation;
3. learned: when people have reviewed segments of this study, a per-code model on those
   decisions (the embedding, the lexical hits and the zero-shot score as features) takes a
   share of the score that grows with the number of decisions. Decisions from another study
   (`--learn-from`) join the codebook classifier's training instead, each weighing
   FOREIGN_WEIGHT of a codebook passage: other interviews, interviewers and coders make them a
   weaker guide than the codebook, and they must not move its calibration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from qualkit.codebook import Codebook
from qualkit.lexical import Hit, Lemmas, Pattern, compile_patterns, find

LEXICAL_WEIGHT = 6.0  # a pattern hit weighs like several standard deviations of one dimension
ZERO_SHOT_C = 0.01
SENTENCE_WEIGHT = 0.4  # share of the strongest sentence in a passage's zero-shot score
LEARNED_C = 0.05
LEARNED_HALF = 20  # reviewed positives at which the learned model gets half of the score
MAX_LEARNED_SHARE = 0.8
FOREIGN_WEIGHT = 0.1
THRESHOLD_RANGE = (0.45, 0.85)
DEFAULT_THRESHOLD = 0.5
SENTENCE_MIN = 40  # characters: a shorter piece ("Oui.", "Voilà.") joins its neighbour
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-ÖØ-Þ«\"(\[])")


def sentences(text: str) -> list[str]:
    """A passage's sentences, for scoring each one: split after end punctuation followed by a
    capital, pieces under SENTENCE_MIN characters joined to a neighbour."""
    out: list[str] = []
    for piece in _SENTENCE_BREAK.split(text.strip()):
        if out and len(out[-1]) < SENTENCE_MIN:
            out[-1] += " " + piece
        else:
            out.append(piece)
    if len(out) > 1 and len(out[-1]) < SENTENCE_MIN:
        last = out.pop()
        out[-1] += " " + last
    return out


def pieces_of(texts: Sequence[str]) -> list[str]:
    """The sentences scored on their own: those of passages that have more than one."""
    return [s for t in texts for parts in [sentences(t)] if len(parts) > 1 for s in parts]


@dataclass(frozen=True)
class Labelled:
    """A text whose codes are known (a reviewed segment, or a line of a labelled file)."""

    text: str
    codes: frozenset[str]
    foreign: bool = False  # from another study (--learn-from), not this one's review


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
    strongest: list[list[str]] = field(default_factory=list)  # per text, per code: a sentence

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
            **(
                {"sentence": self.strongest[i][k]}
                if self.strongest and self.strongest[i][k]
                else {}
            ),
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


class _Arrays:
    """A dataclass of numpy arrays saved as .npz bytes (no pickle) in the project's cache."""

    def to_bytes(self) -> bytes:
        import io

        buffer = io.BytesIO()
        np.savez(buffer, **{k: getattr(self, k) for k in self.__dataclass_fields__})
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes):
        import io

        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return cls(**{k: arrays[k] for k in cls.__dataclass_fields__})


@dataclass
class ZeroShot(_Arrays):
    """The codebook-trained classifier: one logistic model per code, and its calibration data.

    Reused while the codebook and the embedder stay the same.
    """

    weights: np.ndarray  # (k, d)
    bias: np.ndarray  # (k,)
    mean: np.ndarray  # feature standardisation
    std: np.ndarray
    oof: np.ndarray  # (n, k) out-of-fold scores of the codebook's texts
    labels: np.ndarray  # (n, k)

    def predict(self, features: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(features @ self.weights.T + self.bias)))


@dataclass
class Learned(_Arrays):
    """Per-code models learned from people's decisions; reused while the decisions are the same."""

    weights: np.ndarray  # (k, d + 1): features and the zero-shot logit
    bias: np.ndarray  # (k,)
    share: np.ndarray  # (k,) share of the learned score; 0 where no model could be fitted
    thresholds: np.ndarray  # (k,) calibrated on the scores as they will be blended

    def predict(self, x: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(x @ self.weights.T + self.bias)))


class AutoCoder:
    """Trained once per run from a codebook (and reviewed decisions); scores any texts."""

    def __init__(
        self,
        codebook: Codebook,
        embed: Callable[[Sequence[str]], np.ndarray],
        lemmas_of: Callable[[Sequence[str]], list[Lemmas]],
        training: Sequence[Labelled] = (),
        zero_shot: ZeroShot | None = None,
        learned: Learned | None = None,
    ) -> None:
        self.codebook = codebook
        self.code_ids = codebook.ids
        self.embed = embed
        self.lemmas_of = lemmas_of
        self.patterns: list[Pattern] = compile_patterns(
            [(c.id, p) for c in codebook.codes for p in c.patterns], lemmas_of
        )

        self._examples = [(c.id, c.examples, embed(c.examples)) for c in codebook.codes]
        self._codebook_x: np.ndarray | None = None  # the codebook's features, once computed
        foreign = [t for t in training if t.foreign]
        self.zero_shot = zero_shot or self._train_zero_shot(foreign)
        oof, labels = self.zero_shot.oof, self.zero_shot.labels.astype(bool)

        self.training = [t for t in training if not t.foreign]
        self.learned = learned
        self.share = np.zeros(len(self.code_ids))
        if self.training:
            t_texts = [t.text for t in self.training]
            t_vectors = embed(t_texts)
            t_features = self._features_of(t_texts, t_vectors)
            t_labels = np.array([[c in t.codes for c in self.code_ids] for t in self.training])
            t_zero, _ = self._zero_shot_pooled(t_texts, t_features)
            if self.learned is None:
                cb_x = np.hstack([self._codebook_features(), _logit(oof)])
                self.learned = _train_learned(
                    np.hstack([t_features, _logit(t_zero)]),
                    t_labels,
                    t_zero,
                    cb_x,
                    oof,
                    labels,
                )
            self.share = self.learned.share
            self._reviewed = (t_texts, t_vectors, t_labels)
            calibrated = self.learned.thresholds
        else:
            calibrated = np.array(
                [_best_threshold(oof[:, k], labels[:, k]) for k in range(len(self.code_ids))]
            )
        self.thresholds = np.array(
            [
                code.threshold if code.threshold is not None else float(calibrated[k])
                for k, code in enumerate(codebook.codes)
            ]
        )

    def _train_zero_shot(self, foreign: Sequence[Labelled] = ()) -> ZeroShot:
        """The codebook's classifier; another study's decisions (FOREIGN) are extra training
        rows of small weight, present in every fold, so the cut stays the codebook's."""
        texts, labels = _codebook_training(self.codebook)
        vectors, lexical = self._raw(texts)
        mean, std = _standardiser(np.hstack([vectors, lexical]))
        features = _standardise(vectors, lexical, mean, std)
        self._codebook_x = features
        extra_x = np.zeros((0, features.shape[1]))
        extra_y = np.zeros((0, labels.shape[1]), dtype=bool)
        if foreign:
            f_texts = [t.text for t in foreign]
            extra_x = _standardise(*self._raw(f_texts), mean, std)
            extra_y = np.array([[c in t.codes for c in self.code_ids] for t in foreign])
        x, y = np.vstack([features, extra_x]), np.vstack([labels, extra_y])
        weight = np.r_[np.ones(len(features)), np.full(len(extra_x), FOREIGN_WEIGHT)]
        models = [_fit(x, y[:, k], ZERO_SHOT_C, weight) for k in range(labels.shape[1])]
        return ZeroShot(
            weights=np.stack([m.weights for m in models]),
            bias=np.array([m.bias for m in models]),
            mean=mean,
            std=std,
            oof=_out_of_fold(features, labels, ZERO_SHOT_C, extra=(extra_x, extra_y, weight)),
            labels=labels,
        )

    def _codebook_features(self) -> np.ndarray:
        """The codebook's texts as features: kept from training, or computed (from caches)."""
        if self._codebook_x is None:
            self._codebook_x = self._features_of(_codebook_training(self.codebook)[0])
        return self._codebook_x

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
        zero, strongest = self._zero_shot_pooled(texts, features)
        score, learned = zero.copy(), None
        nearest_reviewed: list = []
        if self.learned is not None and self.share.any():
            learned = self.learned.predict(np.hstack([features, _logit(zero)]))
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
            strongest,
        )

    def _zero_shot_pooled(
        self, texts: Sequence[str], features: np.ndarray
    ) -> tuple[np.ndarray, list[list[str]]]:
        """Zero-shot scores: a passage of several sentences blends its own score with its
        strongest sentence's; that sentence is kept for the explanation."""
        zero = self._zero_shot(features)
        split = [sentences(t) for t in texts]
        strongest = [[""] * len(self.code_ids) for _ in texts]
        pieces = [s for parts in split if len(parts) > 1 for s in parts]
        if not pieces:
            return zero, strongest
        piece_zero = self._zero_shot(self._features_of(pieces))
        pooled, j = zero.copy(), 0
        for i, parts in enumerate(split):
            if len(parts) < 2:
                continue
            block = piece_zero[j : j + len(parts)]
            j += len(parts)
            pooled[i] = (1 - SENTENCE_WEIGHT) * zero[i] + SENTENCE_WEIGHT * block.max(axis=0)
            strongest[i] = [parts[t] for t in block.argmax(axis=0)]
        return pooled, strongest

    def _zero_shot(self, features: np.ndarray) -> np.ndarray:
        return self.zero_shot.predict(features)

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
        return _standardise(vectors, lexical, self.zero_shot.mean, self.zero_shot.std)

    def _raw(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings and lexical hits of texts, read from the caches, not yet standardised."""
        return self.embed(texts), self._lexical(self.lemmas_of(texts))

    def _features_of(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> np.ndarray:
        """Features of texts, their embeddings and lemmas read from the caches."""
        vectors = self.embed(texts) if vectors is None else vectors
        return self._features(vectors, self._lexical(self.lemmas_of(texts)))

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


def _train_learned(
    x: np.ndarray,
    labels: np.ndarray,
    zero: np.ndarray,
    codebook_x: np.ndarray,
    codebook_oof: np.ndarray,
    codebook_labels: np.ndarray,
) -> Learned:
    """Per-code models on the study's reviewed decisions, and thresholds calibrated on the
    blended score as it will be applied: the codebook's texts (out-of-fold zero-shot blended
    with the learned model, which never saw them) and the reviewed texts (out-of-fold)."""
    k = labels.shape[1]
    weights, bias, share = np.zeros((k, x.shape[1])), np.zeros(k), np.zeros(k)
    for j in range(k):
        positives = int(labels[:, j].sum())
        if 0 < positives < len(labels):
            model = _fit(x, labels[:, j], LEARNED_C)
            weights[j], bias[j] = model.weights, model.bias
            share[j] = MAX_LEARNED_SHARE * positives / (positives + LEARNED_HALF)
    model = Learned(weights, bias, share, np.zeros(k))
    scores = [(1 - share) * codebook_oof + share * model.predict(codebook_x)]
    truth = [codebook_labels]
    if len(labels) >= 10:
        blended = (1 - share) * zero + share * _out_of_fold(x, labels, LEARNED_C)
        scores.append(blended)
        truth.append(labels)
    scores, truth = np.vstack(scores), np.vstack(truth).astype(bool)
    thresholds = np.array([_best_threshold(scores[:, j], truth[:, j]) for j in range(k)])
    return Learned(weights, bias, share, thresholds)


def _codebook_training(codebook: Codebook) -> tuple[list[str], np.ndarray]:
    """The codebook's texts and their codes: an example is positive for every code that lists
    it (a passage can carry two codes); counter-examples and background carry none."""
    labels: dict[str, set[int]] = {}
    for k, code in enumerate(codebook.codes):
        for text in code.examples:
            labels.setdefault(text, set()).add(k)
    for text in [t for code in codebook.codes for t in code.counter_examples] + list(
        codebook.background
    ):
        labels.setdefault(text, set())
    texts = list(labels)
    rows = [[k in labels[t] for k in range(len(codebook.codes))] for t in texts]
    return texts, np.array(rows, dtype=bool).reshape(len(texts), len(codebook.codes))


def _standardiser(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    std = x.std(axis=0)
    return x.mean(axis=0), np.where(std > 1e-6, std, 1.0)


def _standardise(vectors: np.ndarray, lexical: np.ndarray, mean, std) -> np.ndarray:
    """Embedding dimensions standardised; pattern hits kept as +-LEXICAL_WEIGHT."""
    x = (np.hstack([vectors, lexical]) - mean) / std
    x[:, vectors.shape[1] :] = lexical * LEXICAL_WEIGHT
    return x


@dataclass(frozen=True)
class _Linear:
    weights: np.ndarray
    bias: float

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = 1 / (1 + np.exp(-(x @ self.weights + self.bias)))
        return np.stack([1 - p, p], axis=1)


def _fit(x: np.ndarray, y: np.ndarray, c: float, weight: np.ndarray | None = None) -> _Linear:
    """Balanced logistic regression; a code with one class only gets a constant score."""
    from sklearn.linear_model import LogisticRegression

    if y.min() == y.max():
        return _Linear(np.zeros(x.shape[1]), 10.0 if y[0] else -10.0)
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    model.fit(x, y.astype(int), sample_weight=weight)
    return _Linear(model.coef_[0].copy(), float(model.intercept_[0]))


def _out_of_fold(
    x: np.ndarray,
    labels: np.ndarray,
    c: float,
    folds: int = 5,
    extra: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Scores of texts from models that did not see them (the codebook's, reviewed ones).
    `extra` (features, labels, weights of every row, extra rows last) joins every fold's
    training and is never scored."""
    rng = np.random.default_rng(0)
    fold = rng.permutation(len(x)) % folds
    extra_x, extra_y, weight = extra or (np.zeros((0, x.shape[1])), labels[:0], None)
    out = np.zeros(labels.shape)
    for f in range(folds):
        train, test = fold != f, fold == f
        tx, ty = np.vstack([x[train], extra_x]), np.vstack([labels[train], extra_y])
        w = None if weight is None else np.r_[weight[: len(x)][train], weight[len(x) :]]
        for k in range(labels.shape[1]):
            out[test, k] = _fit(tx, ty[:, k], c, w).predict_proba(x[test])[:, 1]
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
