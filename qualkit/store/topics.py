"""Reads and writes of discovered topics: runs with their parameters, topics, segment positions.

The segments a topic run works on are read here too (respondent segments, optionally only
those no code covers yet), with the codes each one carries: accepted by a person, or
suggested by the auto-coder above its threshold and not rejected by a person.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from qualkit.data import RESPONDENT
from qualkit.errors import QualkitError
from qualkit.store.codings import ACCEPTED, AUTO_CODER, REJECTED
from qualkit.store.project import now
from qualkit.store.schema import (
    cases,
    codings,
    interviews,
    segment_text,
    segments,
    topic_runs,
    topic_segments,
    topics,
    turns,
)

CHUNK = 500
TOPIC_FIELDS = (
    "label",
    "custom_label",
    "keywords",
    "size",
    "emerging",
    "codes",
    "similarity",
    "interviews",
    "profiles",
    "representative",
    "merged_from",
    "promoted_code",
)


def segment_codes(conn: Connection, segment_ids: Sequence[int] | None = None) -> dict[int, set]:
    """Codes each segment carries: accepted by a person, or a passing suggestion nobody
    rejected. Segments without any code are absent from the result."""
    query = select(
        codings.c.segment_id, codings.c.code, codings.c.coder, codings.c.status, codings.c.passes
    )
    rows = []
    if segment_ids is None:
        rows = conn.execute(query).all()
    else:
        ids = list(segment_ids)
        for i in range(0, len(ids), CHUNK):
            rows += conn.execute(query.where(codings.c.segment_id.in_(ids[i : i + CHUNK]))).all()
    accepted: dict[int, set] = {}
    suggested: dict[int, set] = {}
    rejected: set[tuple[int, str]] = set()
    for sid, code, coder, status, passes in rows:
        if coder == AUTO_CODER:
            if passes:
                suggested.setdefault(sid, set()).add(code)
        elif status == ACCEPTED:
            accepted.setdefault(sid, set()).add(code)
        elif status == REJECTED:
            rejected.add((sid, code))
    out: dict[int, set] = {}
    for sid in set(accepted) | set(suggested):
        codes = accepted.get(sid, set()) | {
            c for c in suggested.get(sid, ()) if (sid, c) not in rejected
        }
        if codes:
            out[sid] = codes
    return out


def respondent_segments(conn: Connection, only_uncoded: bool = False) -> list[dict]:
    """Respondent segments with text, interview name, language and the case's profile."""
    query = (
        select(
            segments.c.id,
            segment_text().label("text"),
            interviews.c.name.label("interview"),
            interviews.c.language,
            cases.c.profile,
        )
        .join(interviews, interviews.c.id == segments.c.interview_id)
        .join(turns, turns.c.id == segments.c.turn_id)
        .outerjoin(cases, cases.c.id == interviews.c.case_id)
        .where(turns.c.role == RESPONDENT)
        .order_by(segments.c.id)
    )
    rows = [dict(r._mapping) for r in conn.execute(query)]
    if only_uncoded:
        coded = segment_codes(conn)
        rows = [r for r in rows if r["id"] not in coded]
    return rows


def segment_texts(conn: Connection, segment_ids: Iterable[int]) -> dict[int, dict]:
    """Segment id -> {text, interview, profile}; ids that no longer exist are absent."""
    ids = list(dict.fromkeys(segment_ids))
    out: dict[int, dict] = {}
    for i in range(0, len(ids), CHUNK):
        query = (
            select(
                segments.c.id,
                segment_text().label("text"),
                interviews.c.name.label("interview"),
                cases.c.profile,
            )
            .join(interviews, interviews.c.id == segments.c.interview_id)
            .outerjoin(cases, cases.c.id == interviews.c.case_id)
            .where(segments.c.id.in_(ids[i : i + CHUNK]))
        )
        for r in conn.execute(query):
            out[r.id] = {"text": r.text, "interview": r.interview, "profile": r.profile}
    return out


def save_run(
    conn: Connection,
    params: dict,
    topic_rows: Sequence[dict],
    points: Sequence[tuple[int, int, float, float]],
) -> int:
    """A new run: its parameters, topic rows (keys: topic + TOPIC_FIELDS) and, per segment,
    (segment id, topic, x, y). Returns the run id."""
    run_id = conn.execute(
        insert(topic_runs).values(
            created_at=now(),
            params=params,
            n_segments=len(points),
            n_outliers=sum(1 for _, t, _, _ in points if t < 0),
        )
    ).inserted_primary_key[0]
    if topic_rows:
        conn.execute(insert(topics), [{**row, "run_id": run_id} for row in topic_rows])
    rows = [
        {"run_id": run_id, "segment_id": s, "topic": t, "x": float(x), "y": float(y)}
        for s, t, x, y in points
    ]
    for i in range(0, len(rows), 5000):
        conn.execute(insert(topic_segments), rows[i : i + 5000])
    return run_id


def latest_run_id(conn: Connection) -> int:
    run_id = conn.execute(select(func.max(topic_runs.c.id))).scalar()
    if run_id is None:
        raise QualkitError("no topics in this project yet; run 'qualkit topics' first")
    return run_id


def load_run(conn: Connection, run_id: int | None = None) -> dict:
    """A stored run: {id, created_at, params, n_segments, n_outliers, topics, points}."""
    run_id = latest_run_id(conn) if run_id is None else run_id
    run = conn.execute(select(topic_runs).where(topic_runs.c.id == run_id)).first()
    if run is None:
        raise QualkitError(f"no topic run {run_id} in this project")
    rows = conn.execute(
        select(topics).where(topics.c.run_id == run_id).order_by(topics.c.topic)
    ).all()
    points = conn.execute(
        select(
            topic_segments.c.segment_id,
            topic_segments.c.topic,
            topic_segments.c.x,
            topic_segments.c.y,
        )
        .where(topic_segments.c.run_id == run_id)
        .order_by(topic_segments.c.segment_id)
    ).all()
    return {
        **dict(run._mapping),
        "topics": [dict(r._mapping) for r in rows],
        "points": [tuple(p) for p in points],
    }


def topic_row(conn: Connection, run_id: int, topic: int) -> dict:
    row = conn.execute(
        select(topics).where(topics.c.run_id == run_id, topics.c.topic == topic)
    ).first()
    if row is None:
        known = conn.execute(
            select(topics.c.topic).where(topics.c.run_id == run_id).order_by(topics.c.topic)
        ).scalars()
        raise QualkitError(
            f"no topic {topic} in the last topic run (topics: {', '.join(map(str, known))})"
        )
    return dict(row._mapping)


def update_topic(conn: Connection, run_id: int, topic: int, **values) -> None:
    conn.execute(
        update(topics).where(topics.c.run_id == run_id, topics.c.topic == topic).values(**values)
    )


def move_segments(conn: Connection, run_id: int, source: int, target: int) -> None:
    """Every segment of topic `source` goes to `target`; the `source` topic row is deleted."""
    conn.execute(
        update(topic_segments)
        .where(topic_segments.c.run_id == run_id, topic_segments.c.topic == source)
        .values(topic=target)
    )
    conn.execute(delete(topics).where(topics.c.run_id == run_id, topics.c.topic == source))


def update_run_params(conn: Connection, run_id: int, params: dict) -> None:
    conn.execute(update(topic_runs).where(topic_runs.c.id == run_id).values(params=params))
