"""Per-code syntheses: every figure comes from the project, every sentence from a verbatim.

For a code: the interviews and segments that raise it, its share in each profile group and
other case attributes (a crosstab with counts and percentages), the codes it co-occurs with,
related discovered topics (when a topics table exists), and an extractive summary made of the
theme's most central sentences, each with its segment and offsets.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from sqlalchemy import MetaData, Table, func, inspect, select
from sqlalchemy.engine import Connection

from qualkit.errors import QualkitError
from qualkit.quotes import (
    CodedSegment,
    attribution,
    case_attributes,
    coded_segments,
    known_codes,
    sentence_spans,
    typicality,
    word_vectors,
)
from qualkit.store.codings import latest_codebook
from qualkit.store.schema import cases, interviews

CROSSTAB_ATTRIBUTES = ("profile", "company_size", "gender", "age_band")
SUMMARY_SENTENCES = 3
MIN_WORDS = 10
NONE_LABEL = "(non renseigné)"


@dataclass(frozen=True)
class CrossRow:
    attribute: str
    value: str
    interviews: int  # interviews of this group in the study
    raising: int  # of which raise the code
    percent: float
    segments: int


@dataclass(frozen=True)
class SummarySentence:
    text: str
    segment_id: int
    interview: str
    start: int
    end: int
    attribution: str


@dataclass
class Synthesis:
    code: str
    label: str
    definition: str | None
    interviews: int
    interviews_total: int
    segments: int
    crosstab: list[CrossRow]
    cooccurring: list[dict]
    topics: list[dict]
    summary: list[SummarySentence]
    includes_suggestions: bool = False
    text: str = field(default="")

    def as_dict(self) -> dict:
        return asdict(self)

    def rows(self, attribute: str) -> list[CrossRow]:
        return [r for r in self.crosstab if r.attribute == attribute]


@dataclass
class Study:
    """What syntheses, quotes and the report read, loaded once."""

    interviews: list[dict]  # id, name, case attributes
    coded: list[CodedSegment]
    codebook: object | None  # qualkit.codebook.Codebook
    codes: list[str]
    topic_links: dict[int, list[tuple[str, str]]]  # segment id -> [(topic id, label)]


def load_study(conn: Connection, include_suggested: bool = False) -> Study:
    from qualkit.codebook import parse_codebook

    rows = conn.execute(
        select(interviews.c.id, interviews.c.name, interviews.c.meta, *cases.c)
        .outerjoin(cases, cases.c.id == interviews.c.case_id)
        .order_by(interviews.c.name)
    ).all()
    items = [{"id": r[0], "name": r[1], "meta": r[2] or {}, **case_attributes(r)} for r in rows]
    stored = latest_codebook(conn)
    book = parse_codebook(stored[1]) if stored else None
    return Study(
        items, coded_segments(conn, include_suggested), book, known_codes(conn), topic_links(conn)
    )


def code_label(study: Study, code: str, lang: str = "fr") -> tuple[str, str | None]:
    if study.codebook is not None and code in study.codebook.ids:
        entry = study.codebook.code(code)
        return entry.title(lang), entry.definition
    return code, None


def topic_links(conn: Connection) -> dict[int, list[tuple[str, str]]]:
    """Segment id -> [(topic, label)] of the latest topic run; {} when the project has no
    topic tables (older schema) or no run yet. Outliers (topic < 0) are left out."""
    names = set(inspect(conn).get_table_names())
    if not {"topic_runs", "topics", "topic_segments"} <= names:
        return {}
    meta = MetaData()
    runs, topics, links = (
        Table(name, meta, autoload_with=conn) for name in ("topic_runs", "topics", "topic_segments")
    )
    run = conn.execute(select(func.max(runs.c.id))).scalar()
    if run is None:
        return {}
    labels = dict(
        conn.execute(select(topics.c.topic, topics.c.label).where(topics.c.run_id == run)).all()
    )
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    query = select(links.c.segment_id, links.c.topic).where(
        links.c.run_id == run, links.c.topic >= 0
    )
    for segment, topic in conn.execute(query):
        out[segment].append((str(topic), str(labels.get(topic, topic))))
    return dict(out)


def emerging_topics(conn: Connection) -> list[dict]:
    """Topics of the latest run, emerging ones (not covered by the codebook) first."""
    names = set(inspect(conn).get_table_names())
    if not {"topic_runs", "topics"} <= names:
        return []
    meta = MetaData()
    runs, topics = (Table(name, meta, autoload_with=conn) for name in ("topic_runs", "topics"))
    run = conn.execute(select(func.max(runs.c.id))).scalar()
    if run is None:
        return []
    rows = conn.execute(
        select(
            topics.c.topic, topics.c.label, topics.c.keywords, topics.c.size, topics.c.emerging
        )  # fmt: skip
        .where(topics.c.run_id == run, topics.c.topic >= 0)
        .order_by(topics.c.emerging.desc(), topics.c.size.desc())
    ).all()
    return [
        {
            "topic": r.topic,
            "label": r.label,
            "keywords": list(r.keywords or [])[:6],
            "segments": r.size,
            "emerging": bool(r.emerging),
        }  # fmt: skip
        for r in rows
    ]


def synthesize(
    conn: Connection,
    code: str,
    *,
    include_suggested: bool = False,
    lang: str = "fr",
    study: Study | None = None,
) -> Synthesis:
    """The synthesis of one code."""
    study = study or load_study(conn, include_suggested)
    if code not in study.codes:
        raise QualkitError(f"no code '{code}' in this project's codebook or codings")
    theme = [s for s in study.coded if s.code == code]
    label, definition = code_label(study, code, lang)
    raising = {s.interview_id for s in theme}
    seg_per_interview = Counter(s.interview_id for s in theme)
    crosstab = []
    for attribute in CROSSTAB_ATTRIBUTES:
        groups: dict[str, list[int]] = defaultdict(list)
        for item in study.interviews:
            groups[item.get(attribute) or NONE_LABEL].append(item["id"])
        if set(groups) == {NONE_LABEL}:
            continue
        for value in sorted(groups, key=lambda v: (v == NONE_LABEL, v)):
            ids = groups[value]
            hit = [i for i in ids if i in raising]
            crosstab.append(
                CrossRow(
                    attribute,
                    value,
                    len(ids),
                    len(hit),
                    round(100 * len(hit) / len(ids), 1),
                    sum(seg_per_interview[i] for i in ids),
                )  # fmt: skip
            )
    synthesis = Synthesis(
        code, label, definition, len(raising), len(study.interviews),
        len({s.segment_id for s in theme}), crosstab, cooccurring(study, code, lang),
        related_topics(study, theme), summary(conn, theme, lang),
        any(s.suggested for s in theme),
    )  # fmt: skip
    synthesis.text = describe(synthesis, lang)
    return synthesis


def cooccurring(study: Study, code: str, lang: str = "fr") -> list[dict]:
    """Other codes on the same segments, most shared first."""
    mine = {s.segment_id for s in study.coded if s.code == code}
    shared: dict[str, set[int]] = defaultdict(set)
    interviews_shared: dict[str, set[int]] = defaultdict(set)
    for s in study.coded:
        if s.code != code and s.segment_id in mine:
            shared[s.code].add(s.segment_id)
            interviews_shared[s.code].add(s.interview_id)
    return [
        {
            "code": c,
            "label": code_label(study, c, lang)[0],
            "segments": len(ids),
            "interviews": len(interviews_shared[c]),
        }  # fmt: skip
        for c, ids in sorted(shared.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]


def related_topics(study: Study, theme: Sequence[CodedSegment]) -> list[dict]:
    counts: Counter = Counter()
    labels = {}
    for s in theme:
        for topic, label in study.topic_links.get(s.segment_id, ()):
            counts[topic] += 1
            labels[topic] = label
    return [{"topic": t, "label": labels[t], "segments": n} for t, n in counts.most_common(5)]


def summary(
    conn: Connection, theme: Sequence[CodedSegment], lang: str = "fr", k: int = SUMMARY_SENTENCES
) -> list[SummarySentence]:
    """The theme's most central sentences, one per interview: half word-space centrality of
    the sentence, half typicality of its segment."""
    if not theme:
        return []
    seg_typical = typicality(conn, theme)
    candidates = []
    for i, seg in enumerate(theme):
        for a, b in sentence_spans(seg.text):
            if len(seg.text[a:b].split()) >= MIN_WORDS:
                candidates.append((i, a, b))
    if not candidates:
        return []
    vectors = word_vectors([theme[i].text[a:b] for i, a, b in candidates])
    centre = vectors.mean(axis=0)
    weight = 0.5 * (vectors @ centre) / max(float(np.linalg.norm(centre)), 1e-12)
    weight += 0.5 * np.array([seg_typical[i] for i, _, _ in candidates])
    out, used, picked = [], set(), []
    for j in np.argsort(-weight, kind="stable"):
        i, a, b = candidates[j]
        seg = theme[i]
        if seg.interview_id in used or any(vectors[j] @ vectors[p] > 0.8 for p in picked):
            continue
        used.add(seg.interview_id)
        picked.append(j)
        out.append(
            SummarySentence(
                seg.text[a:b],
                seg.segment_id,
                seg.interview,
                seg.start + a,
                seg.start + b,
                attribution(seg.case, lang),
            )  # fmt: skip
        )
        if len(out) == k:
            break
    return out


PROFILE_PLURAL = {
    "fr": {"cadre": "cadres", "recruteur": "recruteurs / RH", "expert": "experts"},
    "en": {"cadre": "managers", "recruteur": "recruiters / HR", "expert": "experts"},
}


def describe(s: Synthesis, lang: str = "fr") -> str:
    """A short paragraph built only from the synthesis' figures."""
    share = round(100 * s.interviews / s.interviews_total) if s.interviews_total else 0
    plural = PROFILE_PLURAL.get(lang, PROFILE_PLURAL["fr"])
    groups = ", ".join(
        f"{plural.get(r.value, r.value)} {r.raising}/{r.interviews} ({r.percent:.0f} %)"
        for r in s.rows("profile")
    )
    if lang == "en":
        text = (
            f"The theme “{s.label}” is raised in {s.interviews} of {s.interviews_total} "
            f"interviews ({share} %), in {s.segments} coded segment(s)."
        )
        if groups:
            text += f" By profile: {groups}."
        if s.cooccurring:
            top = s.cooccurring[0]
            text += f" It most often comes with “{top['label']}” ({top['segments']} segment(s))."
        if s.includes_suggestions:
            text += " Figures include the auto-coder's unreviewed suggestions."
        return text
    text = (
        f"Le thème « {s.label} » est évoqué dans {s.interviews} entretien(s) sur "
        f"{s.interviews_total} ({share} %), dans {s.segments} segment(s) codé(s)."
    )
    if groups:
        text += f" Par profil : {groups}."
    if s.cooccurring:
        top = s.cooccurring[0]
        text += (
            f" Il apparaît le plus souvent avec « {top['label']} » ({top['segments']} segment(s))."
        )
    if s.includes_suggestions:
        text += " Les chiffres incluent des suggestions du codage automatique non relues."
    return text
