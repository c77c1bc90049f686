"""The lexical signal: codebook patterns matched on spaCy lemmas, aware of negation.

Texts are lemmatised once by spaCy and the lemmas cached, so a rerun matches patterns in pure
Python without loading a model. Patterns go through the same lemmatiser as the text, so
"autoformé" in the codebook meets "autoformés" in a transcript.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

Lemmas = list[list[str]]  # sentences of lowercase lemmas

# Words that carry no meaning for a pattern: "perdre son poste" meets "perdre mon poste".
FILLERS = frozenset(
    """le la les l' un une de du des d' à au aux mon ma mes ton ta tes son sa ses notre nos
    votre vos leur leurs ce cet cette ces the a an of to my his her their our""".split()
)
NEGATIONS = frozenset("ne n' pas jamais aucun aucune nullement guère not no never n't".split())
# A negation is looked for before the match, back to the start of its clause.
CLAUSE_BREAKS = frozenset(", ; : mais si que qui car parce quand lorsque but if because".split())
NEGATION_WINDOW = 4
MAX_GAP = 1


@dataclass(frozen=True)
class Pattern:
    code: str
    text: str
    lemmas: tuple[str, ...]  # content lemmas, fillers removed

    @property
    def negative(self) -> bool:
        return any(lemma in NEGATIONS for lemma in self.lemmas)


@dataclass(frozen=True)
class Hit:
    code: str
    pattern: str
    words: str  # the lemmas matched in the text
    negated: bool


def lemmatise(texts: Sequence[str], nlp) -> list[Lemmas]:
    """Sentences of lowercase lemmas for each text."""
    out = []
    for doc in nlp.pipe(texts, batch_size=64):
        out.append([[_lemma(t) for t in sent if not t.is_space] for sent in doc.sents])
    return out


def _lemma(token) -> str:
    lemma = (token.lemma_ or token.text).lower()
    return "ia" if lemma in ("ia", "i.a.", "iA") else lemma


def compile_patterns(
    items: Sequence[tuple[str, str]], lemmas_of: Callable[[Sequence[str]], list[Lemmas]]
) -> list[Pattern]:
    """(code, pattern text) pairs -> patterns of content lemmas."""
    lemmatised = lemmas_of([text for _, text in items])
    patterns = []
    for (code, text), sentences in zip(items, lemmatised, strict=True):
        content = tuple(w for sent in sentences for w in sent if w not in FILLERS and w.strip())
        if content:
            patterns.append(Pattern(code, text, content))
    return patterns


def find(sentences: Lemmas, patterns: Sequence[Pattern]) -> list[Hit]:
    """Every pattern found in the text, each once, with whether it is negated."""
    hits: dict[tuple[str, str], Hit] = {}
    for sentence in sentences:
        content = [(i, w) for i, w in enumerate(sentence) if w not in FILLERS]
        words = [w for _, w in content]
        first_positions: dict[str, list[int]] = {}
        for k, w in enumerate(words):
            first_positions.setdefault(w, []).append(k)
        for pattern in patterns:
            for k in first_positions.get(pattern.lemmas[0], ()):
                span = _match_from(words, k, pattern.lemmas)
                if span is None:
                    continue
                start = content[k][0]
                negated = not pattern.negative and _negated(sentence, start)
                key = (pattern.code, pattern.text)
                previous = hits.get(key)
                if previous is None or (previous.negated and not negated):
                    matched = " ".join(words[k : span + 1])
                    hits[key] = Hit(pattern.code, pattern.text, matched, negated)
                if not negated:
                    break
    return list(hits.values())


def _match_from(words: list[str], k: int, lemmas: tuple[str, ...]) -> int | None:
    """Index of the last matched word, allowing MAX_GAP extra words between pattern words."""
    position = k
    for lemma in lemmas[1:]:
        for step in range(1, MAX_GAP + 2):
            if position + step < len(words) and words[position + step] == lemma:
                position += step
                break
        else:
            return None
    return position


def _negated(sentence: list[str], start: int) -> bool:
    for i in range(start - 1, max(-1, start - 1 - NEGATION_WINDOW), -1):
        word = sentence[i]
        if word in CLAUSE_BREAKS:
            return False
        if word in NEGATIONS:
            return True
    return False
