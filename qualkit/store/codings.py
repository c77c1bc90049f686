"""Codebook versions, suggestions, people's decisions and the append-only decision log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from qualkit.codebook import Codebook
from qualkit.data import RESPONDENT
from qualkit.errors import QualkitError
from qualkit.store.project import now
from qualkit.store.schema import (
    codebook_versions,
    codings,
    decision_log,
    interviews,
    segment_text,
    segments,
    turns,
)

AUTO_CODER = "auto"
SYSTEM_CODER = "qualkit"  # log rows qualkit writes itself (e.g. an interview replaced)
ACCEPTED, REJECTED, SUGGESTED = "accepted", "rejected", "suggested"
CHUNK = 500


def record_codebook(conn: Connection, codebook: Codebook, source: str | None) -> int:
    """The version number of this codebook, adding a new version when its content changed."""
    digest = codebook.content_hash()
    latest = conn.execute(
        select(codebook_versions.c.version, codebook_versions.c.content_hash)
        .order_by(codebook_versions.c.version.desc())
        .limit(1)
    ).first()
    if latest is not None and latest.content_hash == digest:
        return latest.version
    version = (latest.version if latest else 0) + 1
    conn.execute(
        insert(codebook_versions).values(
            version=version,
            created_at=now(),
            source_path=source,
            content=codebook.to_yaml(),
            content_hash=digest,
        )
    )
    return version


def latest_codebook(conn: Connection) -> tuple[int, str] | None:
    row = conn.execute(
        select(codebook_versions.c.version, codebook_versions.c.content)
        .order_by(codebook_versions.c.version.desc())
        .limit(1)
    ).first()
    return (row.version, row.content) if row else None


def _human_reviewed():
    return select(codings.c.segment_id).where(codings.c.coder != AUTO_CODER)


def segments_to_code(conn: Connection, role: str = RESPONDENT) -> list[tuple[int, str]]:
    """(segment id, text) of the segments of this role that no person has decided on yet."""
    query = (
        select(segments.c.id, segment_text().label("text"))
        .join(interviews, interviews.c.id == segments.c.interview_id)
        .join(turns, turns.c.id == segments.c.turn_id)
        .where(turns.c.role == role, segments.c.id.not_in(_human_reviewed()))
        .order_by(segments.c.id)
    )
    return [(r.id, r.text) for r in conn.execute(query)]


def reviewed(conn: Connection) -> list[tuple[int, str, frozenset[str]]]:
    """Segments people decided on, with the codes they accepted (the others count as absent)."""
    rows = conn.execute(
        select(segments.c.id, segment_text().label("text"), codings.c.code, codings.c.status)
        .join(interviews, interviews.c.id == segments.c.interview_id)
        .join(codings, codings.c.segment_id == segments.c.id)
        .where(codings.c.coder != AUTO_CODER)
        .order_by(segments.c.id)
    ).all()
    accepted: dict[int, set[str]] = {}
    texts: dict[int, str] = {}
    for row in rows:
        texts[row.id] = row.text
        accepted.setdefault(row.id, set())
        if row.status == ACCEPTED:
            accepted[row.id].add(row.code)
    return [(sid, texts[sid], frozenset(codes)) for sid, codes in accepted.items()]


def replace_suggestions(
    conn: Connection,
    segment_ids: Sequence[int],
    suggestions: Iterable[dict],
    codebook_version: int,
) -> None:
    """Drop the auto-coder's rows on these segments and write the new ones."""
    for i in range(0, len(segment_ids), CHUNK):
        conn.execute(
            delete(codings).where(
                codings.c.coder == AUTO_CODER, codings.c.segment_id.in_(segment_ids[i : i + CHUNK])
            )
        )
    stamp = now()
    rows = [
        {
            **s,
            "coder": AUTO_CODER,
            "origin": "auto",
            "status": SUGGESTED,
            "codebook_version": codebook_version,
            "created_at": stamp,
            "updated_at": stamp,
        }
        for s in suggestions
    ]
    if rows:
        conn.execute(insert(codings), rows)


def suggestion_counts(conn: Connection) -> dict[str, dict[str, int]]:
    """Per code: suggestions passing the threshold, below it, and people's accepted codings."""
    out: dict[str, dict[str, int]] = {}
    # One expression object in SELECT and GROUP BY: PostgreSQL takes them as the same
    # expression only when they share the bound parameter.
    auto = (codings.c.coder == AUTO_CODER).label("auto")
    query = select(codings.c.code, auto, codings.c.passes, codings.c.status, func.count()).group_by(
        codings.c.code, auto, codings.c.passes, codings.c.status
    )
    for code, is_auto, passes, status, n in conn.execute(query):
        entry = out.setdefault(
            code, {"suggested": 0, "below_threshold": 0, "accepted": 0, "rejected": 0}
        )
        if is_auto:
            entry["suggested" if passes else "below_threshold"] += n
        else:
            entry[status] += n
    return out


def decide(
    conn: Connection,
    segment_id: int,
    code: str,
    coder: str,
    status: str,
    *,
    origin: str = "human",
) -> None:
    """A person's decision on (segment, code): accepted or rejected, logged with before/after."""
    if coder == AUTO_CODER or not coder.strip():
        raise QualkitError(f"'{coder}' cannot be a coder's name")
    if status not in (ACCEPTED, REJECTED):
        raise QualkitError(f"a decision is '{ACCEPTED}' or '{REJECTED}', not '{status}'")
    segment = conn.execute(
        select(segments.c.id, interviews.c.name)
        .join(interviews, interviews.c.id == segments.c.interview_id)
        .where(segments.c.id == segment_id)
    ).first()
    if segment is None:
        raise QualkitError(f"no segment {segment_id} in this project")
    key = and_(codings.c.segment_id == segment_id, codings.c.code == code, codings.c.coder == coder)
    before = conn.execute(select(codings.c.status, codings.c.origin).where(key)).first()
    suggestion = conn.execute(
        select(codings.c.score).where(
            codings.c.segment_id == segment_id,
            codings.c.code == code,
            codings.c.coder == AUTO_CODER,
        )
    ).scalar()
    if before is not None and before.status == status:
        return  # nothing changes, nothing to log
    stamp = now()
    if before is None:
        conn.execute(
            insert(codings).values(
                segment_id=segment_id,
                code=code,
                coder=coder,
                origin=origin,
                status=status,
                score=suggestion,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    else:
        conn.execute(update(codings).where(key).values(status=status, updated_at=stamp))
    conn.execute(
        insert(decision_log).values(
            at=stamp,
            coder=coder,
            action=status,
            interview=segment.name,
            segment_id=segment_id,
            code=code,
            before={"status": before.status} if before else None,
            after={"status": status, "origin": origin, "suggestion_score": suggestion},
        )
    )


def import_codings(
    conn: Connection,
    records: Iterable[tuple[str, str, frozenset[str]]],
    coder: str,
    code_ids: Sequence[str],
) -> tuple[int, list[str]]:
    """Decisions made elsewhere: (interview, text, codes) -> accepted for the codes listed,
    rejected for every other code of the codebook (the coder considered them all).

    The text must be one segment's text, or lie inside one segment of that interview.
    Returns the number of segments decided and the texts that matched no segment, or several.
    """
    rows = conn.execute(
        select(segments.c.id, interviews.c.name, segment_text().label("text")).join(
            interviews, interviews.c.id == segments.c.interview_id
        )
    ).all()
    by_interview: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        by_interview.setdefault(row.name, []).append((row.id, row.text))
        by_interview.setdefault(row.name.rsplit(".", 1)[0], []).append((row.id, row.text))
    decided, unmatched = 0, []
    for interview, text, codes in records:
        candidates = by_interview.get(interview, [])
        exact = [sid for sid, t in candidates if t == text]
        inside = [sid for sid, t in candidates if text.strip() and text.strip() in t]
        # A text found in several segments is ambiguous: it is reported, never guessed.
        segment = exact[0] if len(exact) == 1 else (inside[0] if len(inside) == 1 else None)
        if segment is None:
            unmatched.append(text[:60])
            continue
        for code in code_ids:
            decide(conn, segment, code, coder, ACCEPTED if code in codes else REJECTED)
        decided += 1
    return decided, unmatched
