"""Representative quotes for a theme: the verbatims a survey lead would pick.

Candidates are the theme's accepted codings (people's rows; suggestions only when asked).
They are ranked by typicality (cosine to the centre of the theme's accepted segments, from
the cached embeddings, or word vectors when the cache lacks them) mixed with the coding
score, then picked greedily: no near-duplicates, one quote per interview until every
interview with the theme is used, profiles taken in turn. Long segments are trimmed to whole
sentences around their most typical sentence; the quote keeps its offsets in the interview.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from qualkit.errors import QualkitError
from qualkit.store.codings import ACCEPTED, AUTO_CODER, latest_codebook
from qualkit.store.schema import cases, codings, embeddings, interviews, segment_text, segments

CASE_FIELDS = ("profile", "role", "branch", "company_size", "gender", "age_band")
PROFILE_LABELS = {
    "fr": {"cadre": "Cadre", "recruteur": "Recruteur / RH", "expert": "Expert IA"},
    "en": {"cadre": "Manager", "recruteur": "Recruiter / HR", "expert": "AI expert"},
}
# A branch value starting with one of these words is a type of firm, not an industry branch.
FIRM_WORDS = {
    "agence", "bureau", "cabinet", "centre", "école", "entreprise", "esn", "fédération",
    "groupe", "institut", "laboratoire", "organisme", "société", "start-up", "startup",
    "université", "consultancy", "firm", "laboratory", "company",
}  # fmt: skip
ABBREVIATIONS = {"m", "mm", "mme", "mlle", "dr", "pr", "cf", "p", "ex", "vs", "st", "no", "n°"}
SENTENCE_END = re.compile(r"[.!?…]+(?:\s?[»\"')\]])*\s+(?=[«\"(\[]?\s*[A-ZÀ-ÖØ-Þ0-9])")
WORD = re.compile(r"\w+", re.UNICODE)
STOPWORDS = set(
    "alors au aux avec ben bon ce cela ces cet cette c ça dans de des du elle en est et eu euh "
    "il ils je la le les leur lui ma mais me même mes moi mon ne nous on ou où par pas pour "
    "qu que qui sa se ses si son sont sur ta te tes toi ton tu un une vos votre vous y a à "
    "été être fait faire plus tout très bien quoi voilà oui non donc enfin là the and of to in "
    "is it that for on was with as be this are have".split()
)
SCORE_WEIGHT = 0.3  # share of the coding score in the ranking; the rest is typicality
NEAR_DUPLICATE = 0.92  # cosine above which two quotes say the same thing
CHUNK = 500


@dataclass(frozen=True)
class CodedSegment:
    """One coded (segment, code): where it is, who said it, and how it was coded."""

    segment_id: int
    code: str
    interview_id: int
    interview: str
    start: int
    end: int
    text: str
    case: Mapping[str, str | None]
    score: float | None
    suggested: bool
    coders: tuple[str, ...]


@dataclass(frozen=True)
class Quote:
    """A verbatim: its text is exactly interview.text[start:end]."""

    segment_id: int
    interview: str
    start: int
    end: int
    text: str
    attribution: str
    profile: str | None
    typicality: float
    score: float | None
    relevance: float
    suggested: bool = False
    cut_before: bool = False
    cut_after: bool = False
    case: Mapping[str, str | None] = field(default_factory=dict, repr=False)

    def formatted(self, with_attribution: bool = True) -> str:
        body = ("[…] " if self.cut_before else "") + self.text + (" […]" if self.cut_after else "")
        line = f"« {body} »"
        return f"{line} — {self.attribution}" if with_attribution else line

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("case")
        data["quote"] = self.formatted(with_attribution=False)
        return data


# --- reading the project ----------------------------------------------------------------------


def case_attributes(row) -> dict[str, str | None]:
    """Case columns plus extra attributes (named columns win), as one flat mapping."""
    extra = dict(row.extra or {}) if row.extra else {}
    out = {str(k): (None if v in (None, "") else str(v)) for k, v in extra.items()}
    out.update({name: getattr(row, name) or None for name in CASE_FIELDS})
    return out


def coded_segments(conn: Connection, include_suggested: bool = False) -> list[CodedSegment]:
    """Every accepted (segment, code), counted once whatever the number of coders; with
    `include_suggested`, also the auto-coder's passing suggestions nobody decided on."""
    text = segment_text()
    wanted = codings.c.coder != AUTO_CODER
    if include_suggested:
        wanted = or_(wanted, codings.c.passes.is_(True))
    query = (
        select(
            codings.c.segment_id,
            codings.c.code,
            codings.c.coder,
            codings.c.status,
            codings.c.score,
            segments.c.interview_id,
            segments.c.start,
            segments.c.end,
            text.label("text"),
            interviews.c.name.label("interview"),
            *(cases.c[name] for name in CASE_FIELDS),
            cases.c.extra,
        )  # fmt: skip
        .join(segments, segments.c.id == codings.c.segment_id)
        .join(interviews, interviews.c.id == segments.c.interview_id)
        .outerjoin(cases, cases.c.id == interviews.c.case_id)
        .where(wanted)
        .order_by(segments.c.interview_id, segments.c.start, codings.c.code)
    )
    rows = conn.execute(query).all()
    decided = {(r.segment_id, r.code) for r in rows if r.coder != AUTO_CODER}
    auto_scores = {(r.segment_id, r.code): r.score for r in rows if r.coder == AUTO_CODER}
    merged: dict[tuple[int, str], CodedSegment] = {}
    for r in rows:
        key = (r.segment_id, r.code)
        human = r.coder != AUTO_CODER
        if (human and r.status != ACCEPTED) or (not human and key in decided):
            continue
        previous = merged.get(key)
        coders = (previous.coders if previous else ()) + ((r.coder,) if human else ())
        score = r.score if r.score is not None else auto_scores.get(key)
        merged[key] = CodedSegment(
            r.segment_id, r.code, r.interview_id, r.interview, r.start, r.end, r.text,
            case_attributes(r), score if score is not None else (previous and previous.score),
            not human, coders,
        )  # fmt: skip
    return list(merged.values())


def known_codes(conn: Connection) -> list[str]:
    """Codes of the latest codebook, then any other code found in codings."""
    from qualkit.codebook import parse_codebook

    ids: list[str] = []
    stored = latest_codebook(conn)
    if stored:
        ids = parse_codebook(stored[1]).ids
    others = conn.execute(select(codings.c.code).distinct()).scalars()
    return ids + sorted(set(others) - set(ids))


def cached_vectors(conn: Connection, texts: Sequence[str]) -> np.ndarray | None:
    """Unit vectors of these texts from the embedding cache, all from one model; None when
    no model has them all (then callers fall back on word vectors)."""
    from qualkit.embedding import text_hash

    hashes = [text_hash(t) for t in texts]
    unique = list(dict.fromkeys(hashes))
    found: dict[str, dict[str, bytes]] = {}
    for i in range(0, len(unique), CHUNK):
        query = select(embeddings.c.model, embeddings.c.text_hash, embeddings.c.vector).where(
            embeddings.c.text_hash.in_(unique[i : i + CHUNK])
        )
        for model, h, blob in conn.execute(query):
            found.setdefault(model, {})[h] = blob
    complete = [m for m, got in found.items() if len(got) == len(unique)]
    if not texts or not complete:
        return None
    model = sorted(complete)[0]
    matrix = np.stack([np.frombuffer(found[model][h], dtype=np.float32) for h in hashes])
    return _unit(matrix.astype(np.float64))


# --- vectors and sentences --------------------------------------------------------------------


def _unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def word_vectors(texts: Sequence[str]) -> np.ndarray:
    """TF-IDF unit vectors over the texts' own vocabulary (no model needed)."""
    docs = [
        [w for w in WORD.findall(t.lower()) if len(w) > 2 and w not in STOPWORDS] for t in texts
    ]
    vocab: dict[str, int] = {}
    for doc in docs:
        for w in doc:
            vocab.setdefault(w, len(vocab))
    matrix = np.zeros((len(docs), max(len(vocab), 1)))
    for i, doc in enumerate(docs):
        for w, n in Counter(doc).items():
            matrix[i, vocab[w]] = 1 + math.log(n)
    df = (matrix > 0).sum(axis=0)
    matrix *= np.log((1 + len(docs)) / (1 + df)) + 1
    return _unit(matrix)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences of a text as (start, end) offsets; a cut happens only after . ! ? or … and
    before a capital, never after an abbreviation such as « M. »."""
    spans, start = [], 0
    for match in SENTENCE_END.finditer(text):
        before = WORD.findall(text[start : match.start() + 1])
        if before and before[-1].lower() in ABBREVIATIONS and text[match.start()] == ".":
            continue
        end = match.end()
        piece = text[start:end].rstrip()
        if piece.strip():
            spans.append((start + len(text[start:end]) - len(text[start:end].lstrip()),
                          start + len(piece)))  # fmt: skip
        start = end
    if text[start:].strip():
        lead = len(text[start:]) - len(text[start:].lstrip())
        spans.append((start + lead, len(text.rstrip())))
    return spans


def trim(text: str, max_chars: int, sentence_weight: Callable[[list[str]], np.ndarray]):
    """(start, end) inside `text`: whole sentences around the heaviest one, within max_chars
    when possible (a single sentence longer than that is kept whole)."""
    if len(text) <= max_chars:
        return 0, len(text)
    spans = sentence_spans(text)
    if len(spans) <= 1:
        return 0, len(text)
    weights = sentence_weight([text[a:b] for a, b in spans])
    lo = hi = int(np.argmax(weights))
    while True:
        options = [i for i in (lo - 1, hi + 1) if 0 <= i < len(spans)]
        options = [i for i in options if spans[max(hi, i)][1] - spans[min(lo, i)][0] <= max_chars]
        if not options:
            break
        best = max(options, key=lambda i: weights[i])
        lo, hi = min(lo, best), max(hi, best)
    return spans[lo][0], spans[hi][1]


# --- attribution ------------------------------------------------------------------------------


def attribution(case: Mapping[str, str | None], lang: str = "fr") -> str:
    """Role, then branch or type of firm; never a person's name. An `attribution` attribute
    (e.g. an expert who agreed to be named by title and organisation) is used as given."""
    if case.get("attribution"):
        return str(case["attribution"])
    labels = PROFILE_LABELS.get(lang, PROFILE_LABELS["fr"])
    profile = case.get("profile")
    role = (
        case.get("role")
        or labels.get(profile or "", profile)
        or ("Répondant" if lang == "fr" else "Respondent")
    )
    branch = (case.get("branch") or "").strip()
    if not branch:
        return role
    first = WORD.findall(branch.lower())[:1]
    if first and first[0] in FIRM_WORDS:
        if len(branch) > 1 and branch[1].islower():
            branch = branch[0].lower() + branch[1:]
        return f"{role}, {branch}"
    return f"{role}, branche {branch}" if lang == "fr" else f"{role}, {branch} sector"


# --- ranking and picking ----------------------------------------------------------------------


def matches(case: Mapping[str, str | None], profiles: Sequence[str], attributes: Mapping) -> bool:
    if profiles and (case.get("profile") or "").lower() not in {p.lower() for p in profiles}:
        return False
    return all(str(case.get(k) or "").lower() == str(v).lower() for k, v in attributes.items())


def parse_attributes(items: Sequence[str]) -> dict[str, str]:
    """`key=value` strings from the command line."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise QualkitError(f"--attribute must look like key=value, not '{item}'")
        out[key.strip()] = value.strip()
    return out


def typicality(conn: Connection, theme: Sequence[CodedSegment]) -> np.ndarray:
    """Cosine of each segment to the centre of the theme's accepted segments (leave-one-out
    for those, so a segment does not vote for itself)."""
    texts = [s.text for s in theme]
    vectors = cached_vectors(conn, texts)
    if vectors is None:
        vectors = word_vectors(texts)
    accepted = np.array([not s.suggested for s in theme])
    base = vectors[accepted] if accepted.any() else vectors
    total, n = base.sum(axis=0), len(base)
    out = np.empty(len(theme))
    for i, v in enumerate(vectors):
        centre = (total - v) / (n - 1) if accepted[i] and accepted.any() and n > 1 else total / n
        out[i] = float(v @ centre / max(np.linalg.norm(centre), 1e-12))
    return out


def representative_quotes(
    conn: Connection,
    code: str,
    *,
    n: int = 5,
    profiles: Sequence[str] = (),
    attributes: Mapping[str, str] | None = None,
    include_suggested: bool = False,
    max_chars: int = 450,
    lang: str = "fr",
    coded: Sequence[CodedSegment] | None = None,
) -> list[Quote]:
    """The `n` most representative quotes of a code, diversified (see the module docstring).
    `coded` lets a caller that already read the codings (the report) pass them in."""
    if n < 1:
        raise QualkitError(f"--n must be at least 1, not {n}")
    if coded is None:
        if code not in known_codes(conn):
            raise QualkitError(f"no code '{code}' in this project's codebook or codings")
        coded = coded_segments(conn, include_suggested)
    theme = [s for s in coded if s.code == code and (include_suggested or not s.suggested)]
    attributes = dict(attributes or {})
    if attributes:
        keys = {k for s in theme for k in s.case} | set(CASE_FIELDS)
        unknown = sorted(set(attributes) - keys)
        if unknown:
            raise QualkitError(
                f"no case attribute '{unknown[0]}'; known: {', '.join(sorted(keys))}"
            )
    if not theme:
        return []
    typical = typicality(conn, theme)
    keep = [i for i, s in enumerate(theme) if matches(s.case, profiles, attributes)]
    if not keep:
        return []
    scores = [theme[i].score for i in keep]
    relevance = {
        i: (1 - SCORE_WEIGHT) * typical[i] + SCORE_WEIGHT * (s if s is not None else typical[i])
        for i, s in zip(keep, scores, strict=True)
    }
    picked = _pick(theme, relevance, n)
    theme_texts = [s.text for s in theme]
    quotes = []
    for i in picked:
        seg = theme[i]
        a, b = trim(seg.text, max_chars, lambda sents: sentence_weights(sents, theme_texts))
        quotes.append(
            Quote(
                seg.segment_id,
                seg.interview,
                seg.start + a,
                seg.start + b,
                seg.text[a:b],
                attribution(seg.case, lang),
                seg.case.get("profile"),
                round(float(typical[i]), 4),
                seg.score,
                round(float(relevance[i]), 4),
                seg.suggested,
                a > 0,
                b < len(seg.text.rstrip()),
                seg.case,
            )  # fmt: skip
        )
    return quotes


def sentence_weights(sentences: Sequence[str], theme_texts: Sequence[str]) -> np.ndarray:
    """How typical each sentence is of the theme, in word space fitted on the theme."""
    matrix = word_vectors(list(theme_texts) + sentences)
    centre = matrix[: len(theme_texts)].mean(axis=0)
    return matrix[len(theme_texts) :] @ centre


def _pick(theme: Sequence[CodedSegment], relevance: dict[int, float], n: int) -> list[int]:
    """Greedy diversified choice: unused interviews first, the least-quoted profile first,
    then relevance; near-duplicates (word cosine) are skipped."""
    order = sorted(relevance, key=lambda i: -relevance[i])
    words = word_vectors([theme[i].text for i in order])
    row = {i: k for k, i in enumerate(order)}
    chosen: list[int] = []
    used_interviews: set[int] = set()
    per_profile: Counter = Counter()
    remaining = list(order)
    while remaining and len(chosen) < n:
        fresh = [i for i in remaining if theme[i].interview_id not in used_interviews]
        pool = fresh or remaining
        best = min(pool, key=lambda i: (per_profile[theme[i].case.get("profile")], -relevance[i]))
        remaining.remove(best)
        if any(words[row[best]] @ words[row[j]] > NEAR_DUPLICATE for j in chosen):
            continue
        chosen.append(best)
        used_interviews.add(theme[best].interview_id)
        per_profile[theme[best].case.get("profile")] += 1
    return chosen
