"""Interviews, cases, turns and segments in the store."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from qualkit.data import INTERVIEWER, RESPONDENT, Case, Segment, Transcript
from qualkit.errors import QualkitError
from qualkit.store.project import now
from qualkit.store.schema import cases, codings, interviews, memos, segment_text, segments, turns


def find_interview(conn: Connection, name: str):
    return conn.execute(select(interviews).where(interviews.c.name == name)).first()


def interview_id(conn: Connection, ref: str | int) -> int:
    """An interview by id or by file name (with or without extension)."""
    query = select(interviews.c.id, interviews.c.name)
    rows = conn.execute(query).all()
    for row in rows:
        if str(row.id) == str(ref) or row.name == ref or row.name.rsplit(".", 1)[0] == ref:
            return row.id
    raise QualkitError(f"no interview '{ref}' in this project (see 'qualkit status')")


def upsert_case(conn: Connection, case: Case) -> int:
    values = {
        "profile": case.profile,
        "role": case.role,
        "branch": case.branch,
        "company_size": case.company_size,
        "gender": case.gender,
        "age_band": case.age_band,
        "extra": dict(case.extra),
    }
    existing = conn.execute(select(cases.c.id).where(cases.c.name == case.name)).scalar()
    if existing is not None:
        conn.execute(update(cases).where(cases.c.id == existing).values(**values))
        return existing
    return conn.execute(insert(cases).values(name=case.name, **values)).inserted_primary_key[0]


def add_interview(
    conn: Connection, transcript: Transcript, segs: Sequence[Segment], case_id: int | None
) -> int:
    meta = dict(transcript.metadata)
    if transcript.warnings:
        meta["warnings"] = list(transcript.warnings)
    iid = conn.execute(
        insert(interviews).values(
            name=transcript.name,
            case_id=case_id,
            content_hash=transcript.content_hash,
            language=transcript.language,
            source_format=transcript.source_format,
            text=transcript.text,
            meta=meta,
            imported_at=now(),
        )
    ).inserted_primary_key[0]
    turn_ids = []
    for idx, turn in enumerate(transcript.turns):
        turn_ids.append(
            conn.execute(
                insert(turns).values(
                    interview_id=iid,
                    idx=idx,
                    speaker=turn.speaker,
                    role=turn.role,
                    start=turn.start,
                    end=turn.end,
                    time_start=turn.time_start,
                    time_end=turn.time_end,
                )
            ).inserted_primary_key[0]
        )
    if segs:
        conn.execute(
            insert(segments),
            [
                {
                    "interview_id": iid,
                    "turn_id": turn_ids[s.turn_index],
                    "idx": i,
                    "start": s.start,
                    "end": s.end,
                }
                for i, s in enumerate(segs)
            ],
        )
    return iid


def link_case(conn: Connection, iid: int, case_id: int) -> None:
    conn.execute(update(interviews).where(interviews.c.id == iid).values(case_id=case_id))


def remove_interview(conn: Connection, iid: int) -> None:
    conn.execute(delete(interviews).where(interviews.c.id == iid))


def set_interviewers(conn: Connection, iid: int, speakers: Iterable[str]) -> list[str]:
    """Make these speakers the interviewers of the interview, every other one a respondent."""
    chosen = set(speakers)
    known = set(conn.execute(select(turns.c.speaker).where(turns.c.interview_id == iid)).scalars())
    unknown = chosen - known
    if unknown:
        raise QualkitError(
            f"no speaker {', '.join(sorted(unknown))} in this interview; "
            f"speakers are: {', '.join(sorted(known))}"
        )
    for speaker in known:
        conn.execute(
            update(turns)
            .where(turns.c.interview_id == iid, turns.c.speaker == speaker)
            .values(role=INTERVIEWER if speaker in chosen else RESPONDENT)
        )
    return sorted(known)


def respondent_counts(conn: Connection) -> dict[int, int]:
    """Respondent segments per interview id."""
    return dict(
        conn.execute(
            select(segments.c.interview_id, func.count())
            .join(turns, turns.c.id == segments.c.turn_id)
            .where(turns.c.role == RESPONDENT)
            .group_by(segments.c.interview_id)
        ).all()
    )


def status(conn: Connection) -> dict:
    """Counts for `qualkit status`: interviews, turns and segments, per interview and profile."""
    turn_counts = dict(
        conn.execute(
            select(turns.c.interview_id, func.count()).group_by(turns.c.interview_id)
        ).all()
    )
    seg_counts = dict(
        conn.execute(
            select(segments.c.interview_id, func.count()).group_by(segments.c.interview_id)
        ).all()
    )
    resp_counts = respondent_counts(conn)
    coded = dict(
        conn.execute(
            select(segments.c.interview_id, func.count(func.distinct(codings.c.segment_id)))
            .join(segments, segments.c.id == codings.c.segment_id)
            .where(codings.c.status == "accepted")
            .group_by(segments.c.interview_id)
        ).all()
    )
    rows = conn.execute(
        select(
            interviews.c.id,
            interviews.c.name,
            interviews.c.language,
            interviews.c.source_format,
            cases.c.name.label("case"),
            cases.c.profile,
            cases.c.role,
        )
        .outerjoin(cases, cases.c.id == interviews.c.case_id)
        .order_by(interviews.c.name)
    ).all()
    per_interview = [
        {
            "interview": r.name,
            "id": r.id,
            "format": r.source_format,
            "language": r.language,
            "case": r.case,
            "profile": r.profile,
            "role": r.role,
            "turns": turn_counts.get(r.id, 0),
            "segments": seg_counts.get(r.id, 0),
            "respondent_segments": resp_counts.get(r.id, 0),
            "coded_segments": coded.get(r.id, 0),
        }
        for r in rows
    ]
    profiles: dict[str, int] = {}
    for r in conn.execute(select(cases.c.profile)).scalars():
        profiles[r or "unknown"] = profiles.get(r or "unknown", 0) + 1
    return {
        "interviews": len(per_interview),
        "turns": sum(turn_counts.values()),
        "segments": sum(seg_counts.values()),
        "respondent_segments": sum(resp_counts.values()),
        "cases": sum(profiles.values()),
        "cases_by_profile": profiles,
        "memos": conn.execute(select(func.count()).select_from(memos)).scalar(),
        "per_interview": per_interview,
    }


def segment_rows(
    conn: Connection,
    *,
    interview: str | int | None = None,
    role: str | None = None,
    ids: Sequence[int] | None = None,
) -> list[dict]:
    """Segments with their text (derived from the offsets), speaker, role and case."""
    text = segment_text()
    query = (
        select(
            segments.c.id,
            segments.c.idx,
            segments.c.start,
            segments.c.end,
            interviews.c.name.label("interview"),
            interviews.c.id.label("interview_id"),
            turns.c.speaker,
            turns.c.role,
            turns.c.idx.label("turn"),
            turns.c.time_start,
            text.label("text"),
            interviews.c.case_id,
        )
        .join(interviews, interviews.c.id == segments.c.interview_id)
        .join(turns, turns.c.id == segments.c.turn_id)
        .order_by(interviews.c.name, segments.c.idx)
    )
    if interview is not None:
        query = query.where(segments.c.interview_id == interview_id(conn, interview))
    if role is not None:
        query = query.where(turns.c.role == role)
    if ids is not None:
        query = query.where(segments.c.id.in_(list(ids)))
    return [dict(r._mapping) for r in conn.execute(query)]


def case_row_attributes(row) -> dict:
    """One `cases` row as {case, attributes...}, extra columns flattened in, empty ones left out."""
    attrs = {
        k: getattr(row, k)
        for k in ("profile", "role", "branch", "company_size", "gender", "age_band")
    }
    attrs.update(row.extra or {})
    return {"case": row.name, **{k: v for k, v in attrs.items() if v}}


def case_attributes(conn: Connection) -> dict[int, dict]:
    """Attributes of every case by case id."""
    return {row.id: case_row_attributes(row) for row in conn.execute(select(cases))}
