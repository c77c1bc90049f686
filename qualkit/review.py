"""The review stage: a queue of the auto-coder's suggestions for one coder, cards, decisions.

A suggestion (coder 'auto', passing its code's threshold or just below it) is pending for a
coder while that coder has no row on the same (segment, code). The queue is made of segments
with pending suggestions, least certain first: smallest |score - threshold|. Every action is
saved at once through `qualkit.store.codings.decide`, so a closed browser loses nothing.
The Streamlit pages call these functions; nothing here imports Streamlit.

A coder with assignments (`qualkit.team`) reviews only what was assigned; in interviews
assigned with hide_auto they code by hand: every assigned respondent segment they have not
decided yet is in the queue (after those with suggestions), and its card has no suggestion.
In blind interviews, cards and the interview view show only the coder's own decisions and
memos. An action on someone else's decisions (`actor` other than `coder`) needs a lead.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import case, exists, false, func, insert, literal, select
from sqlalchemy.engine import Connection

from qualkit import team
from qualkit.codebook import Code, Codebook
from qualkit.data import Case
from qualkit.errors import QualkitError
from qualkit.store import Project, study
from qualkit.store.codings import ACCEPTED, AUTO_CODER, REJECTED, SUGGESTED, decide
from qualkit.store.codings import record_codebook as _record_codebook
from qualkit.store.project import now
from qualkit.store.schema import cases, codings, interviews, memos, segment_text, segments, turns
from qualkit.store.study import upsert_case

ORDERS = ("uncertain", "code", "interview", "profile")
CONTEXT_CHARS = 700  # of the turns before and after a segment, enough to read the question


@dataclass(frozen=True)
class QueueFilter:
    """Which suggestions a coder reviews, and in which order (one of ORDERS)."""

    codes: tuple[str, ...] = ()
    interviews: tuple[str, ...] = ()  # interview file names
    profiles: tuple[str, ...] = ()
    score_min: float = 0.0
    score_max: float = 1.0
    passing_only: bool = False
    order: str = "uncertain"


@dataclass(frozen=True)
class Suggestion:
    code: str
    score: float
    threshold: float | None
    passes: bool
    explanation: dict
    decision: str | None  # this coder's decision, if any


@dataclass(frozen=True)
class Card:
    """One segment to review: its text, the turns around it, the case and the suggestions."""

    segment_id: int
    interview_id: int
    interview: str
    idx: int
    speaker: str
    role: str
    text: str
    before: dict | None  # {"speaker", "role", "text"} of the previous turn
    after: dict | None
    case: dict
    suggestions: list[Suggestion]
    decisions: dict[str, str]  # code -> this coder's status on the segment
    memos: list[dict] = field(default_factory=list)
    manual: bool = False  # hide_auto: no suggestions; the coder ticks codes by hand

    @property
    def pending(self) -> list[Suggestion]:
        return [s for s in self.suggestions if s.decision is None]


# --- the queue ----------------------------------------------------------------------------


def _pending_query(conn: Connection, coder: str, flt: QueueFilter, exclude: Collection[int] = ()):
    """Pending suggestions (segment, code, margin) with the filters applied.

    The margin uses each code's threshold of the latest run, looked up once, rather than the
    JSON explanation of every row (reading JSON per row made the queue twice as slow).
    """
    auto, mine = codings.alias("auto"), codings.alias("mine")
    thresholds = code_thresholds(conn)
    threshold = case(thresholds, value=auto.c.code, else_=0.5) if thresholds else literal(0.5)
    margin = func.abs(auto.c.score - threshold).label("margin")
    query = (
        select(auto.c.segment_id, auto.c.code, margin)
        .where(auto.c.coder == AUTO_CODER, auto.c.status == SUGGESTED)
        .where(
            ~exists().where(
                mine.c.segment_id == auto.c.segment_id,
                mine.c.code == auto.c.code,
                mine.c.coder == coder,
            )
        )
    )
    if flt.codes:
        query = query.where(auto.c.code.in_(flt.codes))
    if flt.score_min > 0 or flt.score_max < 1:
        query = query.where(auto.c.score.between(flt.score_min, flt.score_max))
    if flt.passing_only:
        query = query.where(auto.c.passes.is_(True))
    if exclude:
        query = query.where(auto.c.segment_id.not_in(list(exclude)))
    vis = team.visible_to(conn, coder)
    if vis.manual_only:  # nothing to review from suggestions; a constant stops the scan
        query = query.where(false())
    elif vis.assigned:
        query = query.where(auto.c.segment_id.in_(team.assigned_segments(vis, manual=False)))
    if flt.interviews or flt.profiles or flt.order in ("interview", "profile"):
        query = query.join(segments, segments.c.id == auto.c.segment_id).join(
            interviews, interviews.c.id == segments.c.interview_id
        )
        if flt.interviews:
            query = query.where(interviews.c.name.in_(flt.interviews))
        if flt.profiles or flt.order == "profile":
            query = query.outerjoin(cases, cases.c.id == interviews.c.case_id)
            if flt.profiles:
                query = query.where(cases.c.profile.in_(flt.profiles))
    return query


def _manual_query(vis: team.Visibility, flt: QueueFilter, exclude: Collection[int] = ()):
    """Assigned segments coded by hand (hide_auto) that the coder has not decided yet.

    Only the interview and profile filters apply: code and score filters are about
    suggestions, which these segments do not show.
    """
    decided = select(codings.c.segment_id).where(codings.c.coder == vis.coder)
    query = (
        select(segments.c.id.label("segment_id"))
        .join(interviews, interviews.c.id == segments.c.interview_id)
        .outerjoin(cases, cases.c.id == interviews.c.case_id)
        .where(segments.c.id.in_(team.assigned_segments(vis, manual=True)))
        .where(segments.c.id.not_in(decided))  # one lookup table, not a probe per segment
    )
    if flt.interviews:
        query = query.where(interviews.c.name.in_(flt.interviews))
    if flt.profiles:
        query = query.where(cases.c.profile.in_(flt.profiles))
    if exclude:
        query = query.where(segments.c.id.not_in(list(exclude)))
    keys = [interviews.c.name, segments.c.idx]
    if flt.order == "profile":
        keys.insert(0, func.coalesce(cases.c.profile, "~"))
    return query.order_by(*keys)


def _manual_count(conn: Connection, vis: team.Visibility, flt: QueueFilter) -> int:
    if not vis.manual_interviews:
        return 0
    pending = _manual_query(vis, flt).order_by(None).subquery()
    return conn.execute(select(func.count()).select_from(pending)).scalar() or 0


def queue(
    conn: Connection,
    coder: str,
    flt: QueueFilter = QueueFilter(),
    *,
    exclude: Collection[int] = (),
    limit: int | None = None,
) -> list[int]:
    """Segment ids with suggestions pending for this coder, in review order (then, for a
    coder assigned interviews with hide_auto, the segments they code by hand)."""
    if flt.order not in ORDERS:
        raise QualkitError(f"unknown order '{flt.order}'; choose {', '.join(ORDERS)}")
    ids = _suggestion_queue(conn, coder, flt, exclude, limit)
    vis = team.visible_to(conn, coder)
    if vis.manual_interviews and (limit is None or len(ids) < limit):
        manual = _manual_query(vis, flt, exclude)
        if limit is not None:
            manual = manual.limit(limit - len(ids))
        ids += conn.execute(manual).scalars()
    return ids


def _suggestion_queue(
    conn: Connection, coder: str, flt: QueueFilter, exclude: Collection[int], limit: int | None
) -> list[int]:
    pending = _pending_query(conn, coder, flt, exclude).subquery()
    query = select(pending.c.segment_id).group_by(pending.c.segment_id)
    least = func.min(pending.c.margin)
    if flt.order == "uncertain" and limit == 1:
        # the least certain pair belongs to the least certain segment: no grouping needed
        query = select(pending.c.segment_id).order_by(pending.c.margin, pending.c.segment_id)
    elif flt.order == "uncertain":
        query = query.order_by(least, pending.c.segment_id)
    elif flt.order == "code":
        query = query.order_by(func.min(pending.c.code), least, pending.c.segment_id)
    else:
        base = (
            _pending_query(conn, coder, flt, exclude)
            .add_columns(
                interviews.c.name,
                segments.c.idx,
                *([cases.c.profile] if flt.order == "profile" else []),
            )
            .subquery()
        )
        keys = [base.c.name, base.c.idx]
        if flt.order == "profile":
            keys.insert(0, func.coalesce(base.c.profile, "~"))
        query = (
            select(base.c.segment_id)
            .group_by(base.c.segment_id)
            .order_by(*[func.min(k) for k in keys], base.c.segment_id)
        )
    if limit is not None:
        query = query.limit(limit)
    return list(conn.execute(query).scalars())


def pending_count(conn: Connection, coder: str, flt: QueueFilter = QueueFilter()) -> int:
    """Segments left in this coder's queue."""
    pending = _pending_query(conn, coder, flt).subquery()
    n = conn.execute(select(func.count(func.distinct(pending.c.segment_id)))).scalar() or 0
    return n + _manual_count(conn, team.visible_to(conn, coder), flt)


def next_card(
    conn: Connection,
    coder: str,
    flt: QueueFilter = QueueFilter(),
    *,
    exclude: Collection[int] = (),
) -> Card | None:
    """The first card of the queue (segments in `exclude`, e.g. skipped ones, left out)."""
    first = queue(conn, coder, flt, exclude=exclude, limit=1)
    return card(conn, first[0], coder) if first else None


def _turn_context(conn: Connection, interview_id: int, idx: int, tail: bool) -> dict | None:
    # Two-argument max/min: SQLite's scalar functions, PostgreSQL's greatest/least.
    pg = conn.dialect.name == "postgresql"
    larger, smaller = (func.greatest, func.least) if pg else (func.max, func.min)
    length = turns.c.end - turns.c.start
    start = turns.c.start + 1
    if tail:  # the end of the previous turn: where the question is
        start = larger(turns.c.start, turns.c.end - CONTEXT_CHARS) + 1
    text = func.substr(interviews.c.text, start, smaller(length, CONTEXT_CHARS))
    row = conn.execute(
        select(turns.c.speaker, turns.c.role, text.label("text"), length.label("length"))
        .join(interviews, interviews.c.id == turns.c.interview_id)
        .where(turns.c.interview_id == interview_id, turns.c.idx == idx)
    ).first()
    if row is None:
        return None
    cut = row.length > CONTEXT_CHARS
    body = ("…" + row.text) if cut and tail else (row.text + "…") if cut else row.text
    return {"speaker": row.speaker, "role": row.role, "text": body}


def card(conn: Connection, segment_id: int, coder: str) -> Card:
    """Everything a reviewer needs to decide on one segment."""
    text = segment_text()
    row = conn.execute(
        select(
            segments.c.id,
            segments.c.idx,
            segments.c.interview_id,
            interviews.c.name,
            interviews.c.case_id,
            turns.c.idx.label("turn"),
            turns.c.speaker,
            turns.c.role,
            text.label("text"),
        )
        .join(interviews, interviews.c.id == segments.c.interview_id)
        .join(turns, turns.c.id == segments.c.turn_id)
        .where(segments.c.id == segment_id)
    ).first()
    if row is None:
        raise QualkitError(f"no segment {segment_id} in this project")
    vis = team.visible_to(conn, coder)
    manual, blind = vis.hide_auto(row.interview_id), vis.blind(row.interview_id)
    rows = conn.execute(
        select(codings).where(
            codings.c.segment_id == segment_id,
            codings.c.coder.in_([coder] if manual else [AUTO_CODER, coder]),
        )
    ).all()
    decisions = {r.code: r.status for r in rows if r.coder == coder}
    suggestions = sorted(
        (
            Suggestion(
                code=r.code,
                score=float(r.score or 0.0),
                threshold=(r.explanation or {}).get("threshold"),
                passes=bool(r.passes),
                explanation=dict(r.explanation or {}),
                decision=decisions.get(r.code),
            )
            for r in rows
            if r.coder == AUTO_CODER
        ),
        key=lambda s: abs(s.score - (s.threshold if s.threshold is not None else 0.5)),
    )
    case = {}
    if row.case_id is not None:
        c = conn.execute(select(cases).where(cases.c.id == row.case_id)).first()
        case = study.case_row_attributes(c)
    return Card(
        segment_id=row.id,
        interview_id=row.interview_id,
        interview=row.name,
        idx=row.idx,
        speaker=row.speaker,
        role=row.role,
        text=row.text,
        before=_turn_context(conn, row.interview_id, row.turn - 1, tail=True),
        after=_turn_context(conn, row.interview_id, row.turn + 1, tail=False),
        case=case,
        suggestions=suggestions,
        decisions=decisions,
        memos=[m for m in segment_memos(conn, segment_id) if not blind or m["coder"] == coder],
        manual=manual,
    )


# --- actions ------------------------------------------------------------------------------


def _guard(conn: Connection, coder: str, actor: str | None) -> None:
    """Refuse an action of `actor` (by default the coder themself) on `coder`'s decisions."""
    if coder.strip() and coder != AUTO_CODER:  # else decide() refuses the name itself
        team.check_can_edit(conn, coder if actor is None else actor, coder)


def _record(project, segment_id, code, coder, status, origin, actor) -> None:
    """One decision in its own transaction, after checking who may make it."""
    with project.transaction() as conn:
        _guard(conn, coder, actor)
        decide(conn, segment_id, code, coder, status, origin=origin)


def accept(
    project: Project, segment_id: int, code: str, coder: str, *, actor: str | None = None
) -> None:
    """Accept a suggested code (origin 'auto': the code came from the auto-coder)."""
    _record(project, segment_id, code, coder, ACCEPTED, "auto", actor)


def reject(
    project: Project, segment_id: int, code: str, coder: str, *, actor: str | None = None
) -> None:
    _record(project, segment_id, code, coder, REJECTED, "auto", actor)


def add_code(
    project: Project,
    segment_id: int,
    code: str,
    coder: str,
    status: str = ACCEPTED,
    *,
    actor: str | None = None,
) -> None:
    """A code a person gives by hand (origin 'human'), suggested or not."""
    _record(project, segment_id, code, coder, status, "human", actor)


def code_segment(
    project: Project,
    segment_id: int,
    codes: Collection[str],
    all_codes: Collection[str],
    coder: str,
    *,
    actor: str | None = None,
) -> None:
    """Coding by hand: the ticked codes accepted, every other code of the codebook rejected
    (the coder considered them all), in one transaction."""
    unknown = sorted(set(codes) - set(all_codes))
    if unknown:
        raise QualkitError(f"code '{unknown[0]}' is not in the codebook")
    with project.transaction() as conn:
        _guard(conn, coder, actor)
        for code in all_codes:
            decide(conn, segment_id, code, coder, ACCEPTED if code in codes else REJECTED)


def add_memo(
    project: Project,
    segment_id: int,
    text: str,
    coder: str,
    code: str | None = None,
    *,
    actor: str | None = None,
) -> int:
    """A coder's memo on a segment (and optionally a code); returns its id."""
    if not text.strip():
        raise QualkitError("a memo needs some text")
    if not coder.strip() or coder == AUTO_CODER:
        raise QualkitError(f"'{coder}' cannot be a coder's name")
    with project.transaction() as conn:
        _guard(conn, coder, actor)
        iid = conn.execute(
            select(segments.c.interview_id).where(segments.c.id == segment_id)
        ).scalar()
        if iid is None:
            raise QualkitError(f"no segment {segment_id} in this project")
        stamp = now()
        return conn.execute(
            insert(memos).values(
                interview_id=iid,
                segment_id=segment_id,
                code=code,
                coder=coder,
                text=text.strip(),
                created_at=stamp,
                updated_at=stamp,
            )
        ).inserted_primary_key[0]


def segment_memos(conn: Connection, segment_id: int) -> list[dict]:
    rows = conn.execute(
        select(memos.c.id, memos.c.code, memos.c.coder, memos.c.text, memos.c.created_at)
        .where(memos.c.segment_id == segment_id)
        .order_by(memos.c.id)
    )
    return [dict(r._mapping) for r in rows]


# --- progress -----------------------------------------------------------------------------


def progress(conn: Connection, coder: str) -> dict:
    """Segments reviewed and suggestions left, per interview and per code, for this coder.

    A coder with assignments sees only their interviews; where they are blind, neither
    other people's segment counts nor their decisions per code.
    """
    vis = team.visible_to(conn, coder)
    pending = _pending_query(conn, coder, QueueFilter()).subquery()
    left_by_segment = (
        select(pending.c.segment_id, func.count().label("n"))
        .group_by(pending.c.segment_id)
        .subquery()
    )
    left = {
        iid: (n_seg, n_sugg)
        for iid, n_seg, n_sugg in conn.execute(
            select(segments.c.interview_id, func.count(), func.sum(left_by_segment.c.n))
            .join(segments, segments.c.id == left_by_segment.c.segment_id)
            .group_by(segments.c.interview_id)
        )
    }
    mine = (codings.c.coder == coder).label("mine")  # one object: PostgreSQL groups by it
    reviewed = {
        (iid, who): n
        for iid, who, n in conn.execute(
            select(
                segments.c.interview_id,
                mine,
                func.count(func.distinct(codings.c.segment_id)),
            )
            .join(segments, segments.c.id == codings.c.segment_id)
            .where(codings.c.coder != AUTO_CODER)
            .group_by(segments.c.interview_id, mine)
        )
    }
    if vis.manual_interviews:  # segments to code by hand count as left, with no suggestion
        by_hand = _manual_query(vis, QueueFilter()).order_by(None).subquery()
        for iid, n in conn.execute(
            select(segments.c.interview_id, func.count())
            .join(by_hand, by_hand.c.segment_id == segments.c.id)
            .group_by(segments.c.interview_id)
        ):
            n_seg, n_sugg = left.get(iid, (0, 0))
            left[iid] = (n_seg + n, n_sugg)
    respondent = study.respondent_counts(conn)
    per_interview = []
    for row in conn.execute(
        select(interviews.c.id, interviews.c.name, cases.c.profile)
        .outerjoin(cases, cases.c.id == interviews.c.case_id)
        .order_by(interviews.c.name)
    ):
        if vis.assigned and row.id not in vis.interviews:
            continue
        segs_left, sugg_left = left.get(row.id, (0, 0))
        per_interview.append(
            {
                "interview": row.name,
                "profile": row.profile,
                "respondent_segments": respondent.get(row.id, 0),
                "reviewed_by_me": reviewed.get((row.id, True), 0),
                "reviewed_by_others": (
                    None if vis.blind(row.id) else reviewed.get((row.id, False), 0)
                ),
                "segments_left": segs_left,
                "suggestions_left": int(sugg_left or 0),
            }
        )
    left = {iid: v for iid, v in left.items() if not vis.assigned or iid in vis.interviews}
    per_code: dict[str, dict[str, int]] = {}
    blank = {"suggested": 0, "borderline": 0, "accepted": 0, "rejected": 0, "left": 0}
    auto = (codings.c.coder == AUTO_CODER).label("auto")  # one object: PostgreSQL groups by it
    per_code_query = select(
        codings.c.code, auto, codings.c.passes, codings.c.status, func.count()
    ).group_by(codings.c.code, auto, codings.c.passes, codings.c.status)
    if vis.blind_interviews:  # people's decisions: this coder's own only
        per_code_query = per_code_query.where(codings.c.coder.in_([AUTO_CODER, coder]))
    for code, is_auto, passes, status, n in conn.execute(per_code_query):
        entry = per_code.setdefault(code, dict(blank))
        if is_auto:
            entry["suggested" if passes else "borderline"] += n
        elif status in (ACCEPTED, REJECTED):
            entry[status] += n
    for code, n in conn.execute(select(pending.c.code, func.count()).group_by(pending.c.code)):
        per_code.setdefault(code, dict(blank))["left"] = n
    return {
        "coder": coder,
        "segments_left": sum(v[0] for v in left.values()),
        "suggestions_left": sum(int(v[1] or 0) for v in left.values()),
        "per_interview": per_interview,
        "per_code": dict(sorted(per_code.items())),
    }


# --- reading an interview -----------------------------------------------------------------


def interview_view(conn: Connection, interview: int, coder: str | None = None) -> dict:
    """An interview's turns with their segments, the codings on them and the memos.

    For a coder blind on this interview, only their own decisions and memos; with hide_auto,
    no suggestions.
    """
    head = conn.execute(
        select(interviews.c.id, interviews.c.name, interviews.c.text, interviews.c.case_id).where(
            interviews.c.id == interview
        )
    ).first()
    if head is None:
        raise QualkitError(f"no interview {interview} in this project")
    vis = team.visible_to(conn, coder) if coder else None
    blind = vis is not None and vis.blind(head.id)
    hide_auto = vis is not None and vis.hide_auto(head.id)
    segs: dict[int, dict] = {}
    for r in conn.execute(
        select(segments).where(segments.c.interview_id == interview).order_by(segments.c.idx)
    ):
        segs[r.id] = {
            "id": r.id,
            "idx": r.idx,
            "turn_id": r.turn_id,
            "start": r.start,
            "end": r.end,
            "text": head.text[r.start : r.end],
            "codings": [],
            "memos": [],
        }
    for r in conn.execute(
        select(
            codings.c.segment_id,
            codings.c.code,
            codings.c.coder,
            codings.c.status,
            codings.c.score,
            codings.c.passes,
        )
        .join(segments, segments.c.id == codings.c.segment_id)
        .where(segments.c.interview_id == interview)
        .order_by(codings.c.code)
    ):
        if r.coder == AUTO_CODER and (hide_auto or not r.passes):
            continue  # borderline suggestions are for the review queue, not for reading
        if blind and r.coder not in (AUTO_CODER, coder):
            continue
        segs[r.segment_id]["codings"].append(dict(r._mapping))
    all_memos = [
        dict(r._mapping)
        for r in conn.execute(
            select(
                memos.c.id,
                memos.c.segment_id,
                memos.c.code,
                memos.c.coder,
                memos.c.text,
                memos.c.created_at,
            )
            .where(memos.c.interview_id == interview)
            .order_by(memos.c.id)
        )
        if not blind or r.coder == coder
    ]
    for m in all_memos:
        if m["segment_id"] in segs:
            segs[m["segment_id"]]["memos"].append(m)
    out_turns = []
    for t in conn.execute(
        select(turns).where(turns.c.interview_id == interview).order_by(turns.c.idx)
    ):
        out_turns.append(
            {
                "id": t.id,
                "idx": t.idx,
                "speaker": t.speaker,
                "role": t.role,
                "start": t.start,
                "end": t.end,
                "text": head.text[t.start : t.end],
                "segments": [s for s in segs.values() if s["turn_id"] == t.id],
            }
        )
    case = {}
    if head.case_id is not None:
        case = study.case_row_attributes(
            conn.execute(select(cases).where(cases.c.id == head.case_id)).first()
        )
    return {
        "id": head.id,
        "interview": head.name,
        "text": head.text,
        "case": case,
        "turns": out_turns,
        "memos": all_memos,
        "coder": coder,
    }


def interview_list(conn: Connection) -> list[dict]:
    """Interviews (id, name, profile) in name order, for pickers."""
    return [
        dict(r._mapping)
        for r in conn.execute(
            select(interviews.c.id, interviews.c.name, cases.c.profile)
            .outerjoin(cases, cases.c.id == interviews.c.case_id)
            .order_by(interviews.c.name)
        )
    ]


def profiles(conn: Connection) -> list[str]:
    return sorted(p for p in conn.execute(select(cases.c.profile).distinct()).scalars() if p)


# --- cases and codebook edits ---------------------------------------------------------------


def case_table(conn: Connection) -> list[dict]:
    """One row per case, with the interviews it belongs to."""
    names: dict[int, list[str]] = {}
    for iid, name in conn.execute(select(interviews.c.case_id, interviews.c.name)):
        names.setdefault(iid, []).append(name)
    out = []
    for row in conn.execute(select(cases).order_by(cases.c.name)):
        out.append(
            {
                "name": row.name,
                "interviews": ", ".join(sorted(names.get(row.id, []))),
                **{
                    k: getattr(row, k)
                    for k in Case.__dataclass_fields__
                    if k not in ("name", "extra")
                },
            }
        )
    return out


def save_cases(project: Project, rows: Iterable[dict]) -> int:
    """Write edited case attributes (rows as from `case_table`); returns the rows saved."""
    with project.transaction() as conn:
        n = 0
        for row in rows:
            extra = conn.execute(select(cases.c.extra).where(cases.c.name == row["name"])).scalar()
            upsert_case(
                conn,
                Case(
                    name=row["name"],
                    extra=dict(extra or {}),
                    **{
                        k: (row.get(k) or None)
                        for k in ("profile", "role", "branch", "company_size", "gender", "age_band")
                    },
                ),
            )
            n += 1
    return n


def edit_code(codebook: Codebook, code_id: str, changes: dict) -> Codebook:
    """A new codebook with one code changed (or added when `code_id` is new), validated."""
    from pydantic import ValidationError

    codes = [c.model_dump() for c in codebook.codes]
    target = next((c for c in codes if c["id"] == code_id), None)
    if target is None:
        target = {"id": code_id, "label": {"fr": code_id}, "definition": "-"}
        codes.append(target)
    target.update(changes)
    try:
        new = Codebook.model_validate({**codebook.model_dump(), "codes": codes})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise QualkitError(f"{error['msg']}", field=where) from None
    return new


def save_codebook(project: Project, codebook: Codebook, path: str | Path) -> int:
    """Write the codebook's YAML file and record it as a version; returns the version number."""
    path = Path(path)
    with project.transaction() as conn:
        version = _record_codebook(conn, codebook, str(path))
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(codebook.to_yaml(), encoding="utf-8")
        tmp.replace(path)  # the file and the version land together, or neither
    return version


def code_thresholds(conn: Connection) -> dict[str, float]:
    """The calibrated threshold of each code, as stored with its suggestions.

    One suggestion per code is enough (a run writes one threshold per code); both lookups go
    through the (code, status) index, so this stays fast with many suggestions.
    """
    out = {}
    for code in conn.execute(select(codings.c.code).distinct()).scalars():
        explanation = conn.execute(
            select(codings.c.explanation)
            .where(codings.c.code == code, codings.c.status == SUGGESTED)
            .limit(1)
        ).scalar()
        if explanation and explanation.get("threshold") is not None:
            out[code] = float(explanation["threshold"])
    return dict(sorted(out.items()))


def code_colour(code: Code | None, index: int = 0) -> str:
    """The code's colour, or one from a fixed palette."""
    palette = ("#d1495b", "#edae49", "#00798c", "#30638e", "#6a4c93", "#8ac926", "#ff924c")
    return (code.color if code and code.color else None) or palette[index % len(palette)]
