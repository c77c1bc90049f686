"""Coder accounts, sign-in, permissions and assignments for blind double-coding.

Accounts are opt-in: a project without any keeps the open UI (a name, no password). Once one
exists, the UI asks for a name and a password, checked against an argon2id hash (argon2-cffi,
the algorithm OWASP recommends first for password storage). A coder changes only their own
decisions; a lead changes anyone's. Whoever runs `qualkit` on the project file (or holds the
database URL) can already change anything in it, so the command line acts as a lead
(`actor=None` here); the accounts protect the UI that colleagues reach.

Assignments give a coder whole interviews, or a sample of their respondent segments, with two
switches: `blind` hides other people's decisions, `hide_auto` hides the auto-coder's
suggestions (the coder ticks codes by hand). `visible_to` tells the review stage what to show.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import and_, delete, func, insert, select, union, update
from sqlalchemy.engine import Connection

from qualkit.data import RESPONDENT
from qualkit.errors import QualkitError
from qualkit.store import Project
from qualkit.store.codings import AUTO_CODER
from qualkit.store.project import now
from qualkit.store.schema import assignments, coders, codings, interviews, segments, turns
from qualkit.store.study import interview_id

LEAD, CODER = "lead", "coder"
MIN_PASSWORD = 8
CLI_ACTOR = "cli"  # created_by of what the command line does


# --- passwords ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id, RFC 9106 parameters; hashes carry salt and parameters


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to check unknown names against, so they take as long as known ones."""
    import secrets

    return _hasher().hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise QualkitError(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher().hash(password)


def _matches(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def verify(project: Project, name: str, password: str) -> str | None:
    """The role of this active account when the password is right, else None.

    argon2 compares in constant time, and an unknown name is checked against a dummy hash so
    that it takes as long. A hash made with older parameters is replaced on success.
    """
    name = name.strip()
    with project.reading() as conn:
        row = conn.execute(
            select(coders.c.password_hash, coders.c.role).where(
                coders.c.name == name, coders.c.active.is_(True)
            )
        ).first()
    if row is None:
        _matches(_dummy_hash(), password)
        return None
    if not _matches(row.password_hash, password):
        return None
    if _hasher().check_needs_rehash(row.password_hash):
        with project.transaction() as conn:
            conn.execute(
                update(coders)
                .where(coders.c.name == name)
                .values(password_hash=_hasher().hash(password))
            )
    return row.role


# --- accounts -------------------------------------------------------------------------------


def _valid_name(name: str) -> str:
    name = name.strip()
    if not name or name == AUTO_CODER or len(name) > 100:
        raise QualkitError(f"'{name}' cannot be a coder's name (1 to 100 characters, not 'auto')")
    return name


def has_accounts(conn: Connection) -> bool:
    """Whether signing in is required (any account, active or not, exists)."""
    return conn.execute(select(coders.c.id).limit(1)).first() is not None


def role_of(conn: Connection, name: str) -> str | None:
    """The role of an active account, or None."""
    return conn.execute(
        select(coders.c.role).where(coders.c.name == name, coders.c.active.is_(True))
    ).scalar()


def _require_lead(conn: Connection, actor: str | None, what: str) -> None:
    if actor is not None and role_of(conn, actor) != LEAD:
        raise QualkitError(f"only a lead can {what}; '{actor}' is not one")


def check_new_account(
    conn: Connection, name: str, *, lead: bool = False, actor: str | None = None
) -> str:
    """The cleaned name, if this account may be created (before asking for a password)."""
    name = _valid_name(name)
    _require_lead(conn, actor, "add coders")
    if not lead and not has_lead(conn):
        raise QualkitError(
            f"the first account must be a lead: 'qualkit coder add PROJECT {name} --lead'"
        )
    if role_of(conn, name) is not None:
        raise QualkitError(f"'{name}' already has an account; 'qualkit coder passwd' changes it")
    return name


def add_coder(
    conn: Connection, name: str, password: str, *, lead: bool = False, actor: str | None = None
) -> dict:
    """Create an account (or reactivate a removed one). The first account must be a lead."""
    name = check_new_account(conn, name, lead=lead, actor=actor)
    existing = conn.execute(select(coders).where(coders.c.name == name)).first()
    values = {"password_hash": hash_password(password), "role": LEAD if lead else CODER}
    if existing is None:
        conn.execute(insert(coders).values(name=name, created_at=now(), active=True, **values))
    else:
        conn.execute(update(coders).where(coders.c.name == name).values(active=True, **values))
    return {"name": name, "role": values["role"], "active": True}


def has_lead(conn: Connection) -> bool:
    return (
        conn.execute(
            select(coders.c.id).where(coders.c.role == LEAD, coders.c.active.is_(True)).limit(1)
        ).first()
        is not None
    )


def list_coders(conn: Connection) -> list[dict]:
    """Accounts with their role, state, assigned interviews and decisions (never the hash)."""
    assigned = dict(
        conn.execute(
            select(
                assignments.c.coder, func.count(func.distinct(assignments.c.interview_id))
            ).group_by(assignments.c.coder)
        ).all()
    )
    decided = dict(
        conn.execute(
            select(codings.c.coder, func.count(func.distinct(codings.c.segment_id)))
            .where(codings.c.coder != AUTO_CODER)
            .group_by(codings.c.coder)
        ).all()
    )
    return [
        {
            "name": r.name,
            "role": r.role,
            "active": bool(r.active),
            "created_at": r.created_at.isoformat() if r.created_at else None,
            "interviews_assigned": assigned.get(r.name, 0),
            "segments_decided": decided.get(r.name, 0),
        }
        for r in conn.execute(select(coders).order_by(coders.c.name))
    ]


def coder_names(conn: Connection) -> list[str]:
    """Everyone whose decisions a lead may change: active accounts and people who decided."""
    accounts = conn.execute(select(coders.c.name).where(coders.c.active.is_(True))).scalars()
    decided = conn.execute(
        select(codings.c.coder).where(codings.c.coder != AUTO_CODER).distinct()
    ).scalars()
    return sorted(set(accounts) | set(decided))


def require_account(conn: Connection, name: str):
    row = conn.execute(select(coders).where(coders.c.name == name.strip())).first()
    if row is None:
        raise QualkitError(f"no coder account '{name}' in this project (see 'qualkit coder list')")
    return row


def set_password(conn: Connection, name: str, password: str, *, actor: str | None = None) -> None:
    """A new password for an account: a lead sets it (or the command line)."""
    _require_lead(conn, actor, "set passwords")
    row = require_account(conn, name)
    conn.execute(
        update(coders).where(coders.c.id == row.id).values(password_hash=hash_password(password))
    )


def deactivate(conn: Connection, name: str, *, actor: str | None = None) -> None:
    """Close an account: no more sign-in; the coder's decisions stay. The last lead stays."""
    _require_lead(conn, actor, "remove coders")
    row = require_account(conn, name)
    if row.role == LEAD and row.active:
        leads = conn.execute(
            select(func.count()).where(coders.c.role == LEAD, coders.c.active.is_(True))
        ).scalar()
        if leads <= 1:
            raise QualkitError(f"'{row.name}' is the last lead; add another lead first")
    conn.execute(update(coders).where(coders.c.id == row.id).values(active=False))


# --- permissions ----------------------------------------------------------------------------


def can_edit(conn: Connection, actor: str, target_coder: str) -> bool:
    """Whether `actor` may change `target_coder`'s decisions.

    Without accounts (open mode) names are labels: each writes only under their own. With
    accounts, the actor must have an active one; a coder changes their own, a lead anyone's.
    """
    if target_coder == AUTO_CODER or not actor.strip():
        return False
    if not has_accounts(conn):
        return actor == target_coder
    role = role_of(conn, actor)
    return role == LEAD or (role == CODER and actor == target_coder)


def check_can_edit(conn: Connection, actor: str, target_coder: str) -> None:
    if not can_edit(conn, actor, target_coder):
        why = "" if role_of(conn, actor) or not has_accounts(conn) else " (no active account)"
        raise QualkitError(f"'{actor}'{why} cannot change decisions of '{target_coder}'")


# --- assignments ----------------------------------------------------------------------------


def _coder_names(conn: Connection, names: Iterable[str]) -> list[str]:
    out = list(dict.fromkeys(_valid_name(n) for n in names))
    if not out:
        raise QualkitError("name at least one coder (--coder NAME)")
    if has_accounts(conn):
        unknown = [n for n in out if role_of(conn, n) is None]
        if unknown:
            raise QualkitError(f"no active coder account '{unknown[0]}' (see 'qualkit coder list')")
    return out


def sample_segments(conn: Connection, iid: int, n: int, seed: int = 0) -> list[int]:
    """N respondent segments of an interview, drawn at random with a fixed seed.

    The draw depends only on the seed, the interview's name and its segments, so every coder
    assigned the sample gets the same segments, and running it again gives the same ones.
    """
    name = conn.execute(select(interviews.c.name).where(interviews.c.id == iid)).scalar()
    ids = list(
        conn.execute(
            select(segments.c.id)
            .join(turns, turns.c.id == segments.c.turn_id)
            .where(segments.c.interview_id == iid, turns.c.role == RESPONDENT)
            .order_by(segments.c.idx)
        ).scalars()
    )
    if n >= len(ids):
        return ids
    return sorted(random.Random(f"{seed}:{name}").sample(ids, n))


def assign(
    conn: Connection,
    coder_names: Sequence[str],
    interview_refs: Sequence[str | int],
    *,
    sample: int | None = None,
    seed: int = 0,
    blind: bool = True,
    hide_auto: bool = False,
    actor: str | None = None,
) -> list[dict]:
    """Give these coders these interviews (or the same sample of N segments of each).

    A coder's earlier assignment on one of these interviews is replaced. Returns one row per
    (coder, interview) as `list_assignments` does.
    """
    _require_lead(conn, actor, "assign interviews")
    names = _coder_names(conn, coder_names)
    if not interview_refs:
        raise QualkitError("name at least one interview (--interview NAME)")
    if sample is not None and sample < 1:
        raise QualkitError(f"--sample must be at least 1, not {sample}")
    iids = list(dict.fromkeys(interview_id(conn, ref) for ref in interview_refs))
    stamp, rows = now(), []
    for iid in iids:
        targets = [None] if sample is None else sample_segments(conn, iid, sample, seed)
        for name in names:
            conn.execute(
                delete(assignments).where(
                    assignments.c.coder == name, assignments.c.interview_id == iid
                )
            )
            rows += [
                {
                    "coder": name,
                    "interview_id": iid,
                    "segment_id": sid,
                    "blind": blind,
                    "hide_auto": hide_auto,
                    "created_by": actor or CLI_ACTOR,
                    "created_at": stamp,
                }
                for sid in targets
            ]
    if rows:
        conn.execute(insert(assignments), rows)
    return [r for r in list_assignments(conn) if r["coder"] in names and r["interview_id"] in iids]


def unassign(
    conn: Connection,
    coder_names: Sequence[str],
    interview_refs: Sequence[str | int],
    *,
    actor: str | None = None,
) -> int:
    """Remove these coders' assignments on these interviews; their decisions stay."""
    _require_lead(conn, actor, "change assignments")
    names = list(dict.fromkeys(_valid_name(n) for n in coder_names))
    iids = [interview_id(conn, ref) for ref in interview_refs]
    return conn.execute(
        delete(assignments).where(
            assignments.c.coder.in_(names), assignments.c.interview_id.in_(iids)
        )
    ).rowcount


def list_assignments(conn: Connection, coder: str | None = None) -> list[dict]:
    """One row per (coder, interview): scope, switches, and how many segments are decided."""
    query = (
        select(assignments, interviews.c.name.label("interview"))
        .join(interviews, interviews.c.id == assignments.c.interview_id)
        .order_by(assignments.c.coder, interviews.c.name, assignments.c.segment_id)
    )
    if coder is not None:
        query = query.where(assignments.c.coder == coder)
    grouped: dict[tuple[str, int], dict] = {}
    for r in conn.execute(query):
        entry = grouped.setdefault(
            (r.coder, r.interview_id),
            {
                "coder": r.coder,
                "interview": r.interview,
                "interview_id": r.interview_id,
                "scope": "interview" if r.segment_id is None else "sample",
                "segment_ids": [],
                "blind": bool(r.blind),
                "hide_auto": bool(r.hide_auto),
                "created_by": r.created_by,
                "created_at": r.created_at.isoformat() if r.created_at else None,
            },
        )
        if r.segment_id is not None:
            entry["segment_ids"].append(r.segment_id)
    for (name, _), entry in grouped.items():
        scope = entry["segment_ids"] or _respondent_ids(conn, entry["interview_id"])
        decided = conn.execute(
            select(func.count(func.distinct(codings.c.segment_id))).where(
                codings.c.coder == name, codings.c.segment_id.in_(scope)
            )
        ).scalar()
        entry["segments"] = len(scope)
        entry["decided"] = decided or 0
    return list(grouped.values())


def _respondent_ids(conn: Connection, iid: int) -> list[int]:
    return list(
        conn.execute(
            select(segments.c.id)
            .join(turns, turns.c.id == segments.c.turn_id)
            .where(segments.c.interview_id == iid, turns.c.role == RESPONDENT)
        ).scalars()
    )


# --- what a coder sees ----------------------------------------------------------------------


@dataclass(frozen=True)
class Visibility:
    """What one coder's review shows. A coder without assignments sees the whole project.

    The switches hold per interview: `blind` if any of the coder's assignments on it is blind,
    `hide_auto` likewise.
    """

    coder: str
    assigned: bool = False
    interviews: frozenset[int] = frozenset()  # every interview with an assignment
    blind_interviews: frozenset[int] = frozenset()
    manual_interviews: frozenset[int] = frozenset()  # hide_auto: coded by hand

    def blind(self, iid: int) -> bool:
        return iid in self.blind_interviews

    def hide_auto(self, iid: int) -> bool:
        return iid in self.manual_interviews

    @property
    def manual_only(self) -> bool:
        """Every assigned interview is coded by hand (no suggestion anywhere in the queue)."""
        return self.assigned and self.manual_interviews == self.interviews


def visible_to(conn: Connection, coder: str) -> Visibility:
    """The rules of this coder's review queue, cards and interview view."""
    rows = conn.execute(
        select(assignments.c.interview_id, assignments.c.blind, assignments.c.hide_auto).where(
            assignments.c.coder == coder
        )
    ).all()
    if not rows:
        return Visibility(coder)
    return Visibility(
        coder,
        assigned=True,
        interviews=frozenset(r.interview_id for r in rows),
        blind_interviews=frozenset(r.interview_id for r in rows if r.blind),
        manual_interviews=frozenset(r.interview_id for r in rows if r.hide_auto),
    )


def assigned_segments(vis: Visibility, *, manual: bool):
    """SQL: ids of the respondent segments assigned to the coder, in the interviews coded by
    hand (`manual`) or in the others. For `review`'s queue; empty without assignments."""
    wanted = vis.manual_interviews if manual else vis.interviews - vis.manual_interviews
    mine = and_(assignments.c.coder == vis.coder, assignments.c.interview_id.in_(list(wanted)))
    whole = (
        select(segments.c.id)
        .join(
            assignments,
            and_(
                assignments.c.interview_id == segments.c.interview_id,
                assignments.c.segment_id.is_(None),
            ),
        )
        .where(mine)
    )
    sampled = select(assignments.c.segment_id).where(mine, assignments.c.segment_id.is_not(None))
    scope = union(whole, sampled).subquery()
    return (
        select(segments.c.id)
        .join(turns, turns.c.id == segments.c.turn_id)
        .where(segments.c.id.in_(select(scope.c[0])), turns.c.role == RESPONDENT)
    )
