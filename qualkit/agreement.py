"""Agreement between coders, at the segment level: percentage agreement, Cohen's kappa for each
pair and Krippendorff's alpha (nominal, any number of coders), per code and overall; the
segments where coders disagree, and how the team settles them.

Units. A coder "reviewed" a segment when they have at least one row on it (accepted or
rejected, any code); on a segment they reviewed, a code they did not accept counts as absent.
The auto-coder, when compared, reviewed every segment it has rows on, and a code is present
when its suggestion passes the threshold. For one code, a pair's units are the segments both
reviewed; alpha's units are the segments reviewed by at least two of the coders (a coder who
did not review a unit gives NaN, which alpha handles natively). Units are the same for every
code, since reviewing is per segment.

Overall figures pool every (segment, code) unit across the codes compared: percentage
agreement and kappa of each pair from the pooled 2x2 table, alpha over the pooled units
(so overall `units` is per-code units times the number of codes). `mean_kappa` is the mean of
the per-code kappas that are defined. With more than two coders, a figure's `percent_agreement`
and `cohen_kappa` are means over the pairs (each pair is also listed).

Proportions are in [0, 1]. A figure that cannot be computed is None with a `note`, never NaN:
no units (fewer than two coders, or no segment reviewed by two of them) makes everything None;
when every unit falls in one category (e.g. a code nobody used, on which the coders agree
perfectly) `percent_agreement` is 1.0 and kappa and alpha are None, "undefined: no variation".

Besides the keys the CLI's JSON promises, entries carry `note`, pairs their 2x2 `table` and
`segments` (segments both reviewed), `overall` its pooled `pairs` and `segments`.

Settling writes the agreed codes as decisions of the reserved coder `consensus` and one
"settle" row in the decision log naming who settled; the coders' own rows are never changed.
The `consensus` coder is left out of the figures unless it is named.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from itertools import combinations

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from qualkit.errors import QualkitError
from qualkit.store.codings import ACCEPTED, AUTO_CODER, REJECTED, decide, latest_codebook
from qualkit.store.project import now
from qualkit.store.schema import codings, decision_log, interviews, segment_text, segments

CONSENSUS = "consensus"
RESERVED = (AUTO_CODER, CONSENSUS)
SETTLE = "settle"
NO_VARIATION = "undefined: no variation"
NO_UNITS = "no units: no segment reviewed by two of these coders"
TOO_FEW = "needs two coders or more"

# coder -> segment id -> codes present (accepted; for the auto-coder, passing the threshold)
Decisions = dict[str, dict[int, frozenset[str]]]
Table = tuple[int, int, int, int]  # both present, only first, only second, both absent


# --- reading the project ------------------------------------------------------------------


def load_decisions(conn: Connection, segment_ids: Collection[int] | None = None) -> Decisions:
    """Every coder's reviewed segments and the codes present on them."""
    query = select(
        codings.c.segment_id, codings.c.code, codings.c.coder, codings.c.status, codings.c.passes
    )
    if segment_ids is not None:
        query = query.where(codings.c.segment_id.in_(list(segment_ids)))
    found: dict[str, dict[int, set[str]]] = {}
    for seg, code, coder, status, passes in conn.execute(query):
        codes = found.setdefault(coder, {}).setdefault(seg, set())
        if bool(passes) if coder == AUTO_CODER else status == ACCEPTED:
            codes.add(code)
    return {c: {s: frozenset(v) for s, v in segs.items()} for c, segs in found.items()}


def people(decisions: Decisions) -> list[str]:
    """Human coders with decisions: neither the auto-coder nor the reserved `consensus`."""
    return sorted(c for c in decisions if c not in RESERVED)


def known_codes(conn: Connection) -> list[str]:
    """The latest codebook's codes in its order, then any other code found in the codings."""
    from qualkit.codebook import parse_codebook

    latest = latest_codebook(conn)
    ids = parse_codebook(latest[1], "<project codebook>").ids if latest else []
    used = conn.execute(select(codings.c.code).distinct()).scalars()
    return list(dict.fromkeys([*ids, *sorted(used)]))


# --- the figures ----------------------------------------------------------------------------


def table(a: dict[int, frozenset[str]], b: dict[int, frozenset[str]], code: str) -> Table:
    """The 2x2 table of two coders for one code, over the segments both reviewed."""
    both = only_a = only_b = neither = 0
    for seg in a.keys() & b.keys():
        x, y = code in a[seg], code in b[seg]
        both += x and y
        only_a += x and not y
        only_b += y and not x
        neither += not x and not y
    return both, only_a, only_b, neither


def percent_agreement(t: Table) -> float | None:
    n = sum(t)
    return (t[0] + t[3]) / n if n else None


def cohen_kappa(t: Table) -> float | None:
    """Kappa from a 2x2 table; None without units, or when both coders used one and the same
    category throughout (expected agreement 1: no variation to correct for)."""
    both, only_a, only_b, neither = t
    n = sum(t)
    if n == 0:
        return None
    yes_a, yes_b = both + only_a, both + only_b
    expected = yes_a * yes_b + (n - yes_a) * (n - yes_b)  # times n², exact in integers
    if expected == n * n:
        return None
    return ((both + neither) * n - expected) / (n * n - expected)


def krippendorff_alpha(matrix: np.ndarray) -> float | None:
    """Nominal alpha of a coders x units matrix of 0/1/NaN (the `krippendorff` package);
    None when no unit has two values or every value is the same."""
    if matrix.size == 0:
        return None
    pairable = matrix[:, (~np.isnan(matrix)).sum(axis=0) >= 2]
    values = pairable[~np.isnan(pairable)]
    if values.size == 0 or np.unique(values).size < 2:
        return None
    import krippendorff

    value = krippendorff.alpha(
        reliability_data=pairable, level_of_measurement="nominal", value_domain=[0.0, 1.0]
    )
    return float(value) if np.isfinite(value) else None


def _matrix(data: Decisions, coders: Sequence[str], units: Sequence[int], code: str):
    matrix = np.full((len(coders), len(units)), np.nan)
    for i, coder in enumerate(coders):
        for j, seg in enumerate(units):
            if seg in data[coder]:
                matrix[i, j] = float(code in data[coder][seg])
    return matrix


def _mean(values: Iterable[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def _note(entry: dict, fields: Sequence[str], n_coders: int) -> str | None:
    if n_coders < 2:
        return TOO_FEW
    if not entry["units"]:
        return NO_UNITS
    missing = [f for f in fields if entry[f] is None]
    return f"{' and '.join(missing)} {NO_VARIATION}" if missing else None


def _pair(a: str, b: str, t: Table, segments_shared: int) -> dict:
    entry = {
        "coders": [a, b],
        "units": sum(t),
        "percent_agreement": percent_agreement(t),
        "cohen_kappa": cohen_kappa(t),
        "segments": segments_shared,
        "table": {"both": t[0], "only_first": t[1], "only_second": t[2], "neither": t[3]},
    }
    entry["note"] = _note(entry, ("cohen_kappa",), 2)
    return entry


def _summary(pairs: list[dict], alpha: float | None, units: int) -> dict:
    """Two coders: their pair's figures; more: the mean over the pairs that have units."""
    kappas = [p["cohen_kappa"] for p in pairs]
    return {
        "percent_agreement": _mean(p["percent_agreement"] for p in pairs),
        "cohen_kappa": kappas[0] if len(kappas) == 1 else _mean(kappas),
        "krippendorff_alpha": alpha,
        "units": units,
    }


def figures(decisions: Decisions, coders: Sequence[str], codes: Sequence[str]) -> dict:
    """The agreement of these coders on these codes (see the module docstring), as a dict
    ready for JSON: {"coders", "codes": {code: {...,"pairs"}}, "overall": {..., "mean_kappa"}}."""
    coders = list(dict.fromkeys(coders))
    data = {c: decisions.get(c, {}) for c in coders}
    seen: dict[int, int] = {}
    for coder in coders:
        for seg in data[coder]:
            seen[seg] = seen.get(seg, 0) + 1
    units = sorted(s for s, n in seen.items() if n >= 2) if len(coders) >= 2 else []
    shared = {(a, b): len(data[a].keys() & data[b].keys()) for a, b in combinations(coders, 2)}
    pooled = {pair: [0, 0, 0, 0] for pair in shared}
    per_code, matrices = {}, []
    kappa_fields = ("cohen_kappa", "krippendorff_alpha")
    for code in codes:
        pairs = []
        for (a, b), n in shared.items():
            t = table(data[a], data[b], code)
            pooled[a, b] = [x + y for x, y in zip(pooled[a, b], t, strict=True)]
            pairs.append(_pair(a, b, t, n))
        matrix = _matrix(data, coders, units, code)
        matrices.append(matrix)
        entry = _summary(pairs, krippendorff_alpha(matrix), len(units))
        entry["pairs"] = pairs
        entry["note"] = _note(entry, kappa_fields, len(coders))
        per_code[code] = entry
    overall_pairs = [_pair(a, b, tuple(pooled[a, b]), shared[a, b]) for a, b in shared]
    matrix = np.hstack(matrices) if matrices else np.empty((len(coders), 0))
    overall = _summary(overall_pairs, krippendorff_alpha(matrix), len(units) * len(codes))
    overall["mean_kappa"] = _mean(e["cohen_kappa"] for e in per_code.values())
    overall["segments"] = len(units)
    overall["pairs"] = overall_pairs
    overall["note"] = _note(overall, (*kappa_fields, "mean_kappa"), len(coders))
    return {"coders": coders, "codes": per_code, "overall": overall}


def machine_vs_people(decisions: Decisions, humans: Sequence[str], codes: Sequence[str]) -> dict:
    """The auto-coder against each person, pooled over the people and the codes: one 2x2 table
    of every (auto, person) comparison on the segments both reviewed, so `units` counts
    (segment, code, person) comparisons. Alpha is the one of the people and the auto-coder
    together (the machine taken as one more coder)."""
    auto = decisions.get(AUTO_CODER, {})
    stacked = [0, 0, 0, 0]
    for person in humans:
        for code in codes:
            t = table(auto, decisions.get(person, {}), code)
            stacked = [x + y for x, y in zip(stacked, t, strict=True)]
    together = figures(decisions, [*humans, AUTO_CODER], codes)["overall"]
    entry = {
        "units": sum(stacked),
        "percent_agreement": percent_agreement(tuple(stacked)),
        "cohen_kappa": cohen_kappa(tuple(stacked)),
        "krippendorff_alpha": together["krippendorff_alpha"] if sum(stacked) else None,
    }
    entry["note"] = _note(entry, ("cohen_kappa", "krippendorff_alpha"), 2)
    return entry


def agreement(
    conn: Connection,
    coders: Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
    *,
    include_auto: bool = False,
) -> dict:
    """Agreement figures of a project (`figures`), plus "warnings" for coders without
    decisions and, when the auto-coder is compared with people, "auto_vs_people"."""
    known = known_codes(conn)
    unknown = [c for c in codes or () if c not in known]
    if unknown:
        raise QualkitError(
            f"no code '{unknown[0]}' in this project's codebook or codings", field="--codes"
        )
    if any(not c.strip() for c in coders or ()):
        raise QualkitError("an empty coder name", field="--coders")
    decisions = load_decisions(conn)
    chosen = list(dict.fromkeys(coders or people(decisions)))
    if include_auto and AUTO_CODER not in chosen:
        chosen.append(AUTO_CODER)
    chosen_codes = list(dict.fromkeys(codes)) if codes else known
    result = figures(decisions, chosen, chosen_codes)
    missing = [c for c in chosen if c not in decisions]
    warnings = [f"coder '{c}' has no decisions in this project" for c in missing]
    if len(chosen) < 2:
        warnings.append("fewer than two coders to compare: no agreement figures")
    result["warnings"] = warnings
    humans = [c for c in chosen if c != AUTO_CODER]
    if AUTO_CODER in chosen and humans:
        result["auto_vs_people"] = machine_vs_people(decisions, humans, chosen_codes)
    return result


# --- disagreements and settling --------------------------------------------------------------


@dataclass(frozen=True)
class Disagreement:
    """A segment reviewed by two coders or more whose codes differ."""

    segment_id: int
    interview: str
    idx: int
    text: str
    codes: dict[str, list[str] | None]  # coder -> codes present; None: not reviewed
    agreed: list[str]  # codes every coder who reviewed the segment gave
    disputed: list[str]  # codes some gave and others did not
    settled: bool
    consensus: list[str]  # the codes agreed when settled
    settled_by: str | None
    settled_at: datetime | None

    def as_dict(self) -> dict:
        return asdict(self)


def disagreements(
    conn: Connection, coders: Sequence[str], codes: Sequence[str] | None = None
) -> list[Disagreement]:
    """Segments where these coders' codes (among `codes`, default all) differ, in interview
    order, with whether and how the team already settled them."""
    decisions = load_decisions(conn)
    wanted = set(codes) if codes is not None else None
    found: dict[int, tuple[dict, set[str], set[str]]] = {}
    segs = {s for c in coders for s in decisions.get(c, {})}
    for seg in segs:
        given = {
            c: sorted(x for x in decisions[c][seg] if wanted is None or x in wanted)
            if seg in decisions.get(c, {})
            else None
            for c in coders
        }
        sets = [set(v) for v in given.values() if v is not None]
        if len(sets) < 2:
            continue
        union, common = set().union(*sets), set.intersection(*sets)
        if union != common:
            found[seg] = (given, common, union - common)
    if not found:
        return []
    rows = conn.execute(
        select(segments.c.id, segments.c.idx, interviews.c.name, segment_text().label("text"))
        .join(interviews, interviews.c.id == segments.c.interview_id)
        .where(segments.c.id.in_(list(found)))
        .order_by(interviews.c.name, segments.c.idx)
    ).all()
    settles = _settles(conn, list(found))
    consensus = decisions.get(CONSENSUS, {})
    out = []
    for row in rows:
        given, common, disputed = found[row.id]
        log = settles.get(row.id)
        out.append(
            Disagreement(
                segment_id=row.id,
                interview=row.name,
                idx=row.idx,
                text=row.text,
                codes=given,
                agreed=sorted(common),
                disputed=sorted(disputed),
                settled=log is not None or row.id in consensus,
                consensus=sorted(consensus.get(row.id, ())),
                settled_by=log.coder if log else None,
                settled_at=log.at if log else None,
            )
        )
    return out


def _settles(conn: Connection, segment_ids: list[int]) -> dict:
    """The latest "settle" log row of each segment."""
    rows = conn.execute(
        select(decision_log.c.segment_id, decision_log.c.coder, decision_log.c.at)
        .where(decision_log.c.action == SETTLE, decision_log.c.segment_id.in_(segment_ids))
        .order_by(decision_log.c.id)
    ).all()
    return {r.segment_id: r for r in rows}


def settle(conn: Connection, segment_id: int, codes: Collection[str], coder: str) -> dict:
    """Record the agreed codes of a segment as the `consensus` coder's decisions: accepted for
    `codes`, rejected for every other code a coder (or an earlier consensus) gave there; and
    log one "settle" row by `coder` with each coder's codes before and the agreed codes after.
    Every coder's own rows stay as they are. Returns the log row's before and after."""
    coder = coder.strip()
    if not coder or coder in RESERVED:
        raise QualkitError(f"'{coder}' cannot settle: give a person's name", field="--coder")
    name = conn.execute(
        select(interviews.c.name)
        .join(segments, segments.c.interview_id == interviews.c.id)
        .where(segments.c.id == segment_id)
    ).scalar()
    if name is None:
        raise QualkitError(f"no segment {segment_id} in this project")
    agreed = set(codes)
    known = known_codes(conn)
    unknown = sorted(c for c in agreed if c not in known)
    if unknown:
        raise QualkitError(
            f"no code '{unknown[0]}' in this project's codebook or codings", field="--codes"
        )
    decisions = load_decisions(conn, [segment_id])
    before = {
        c: sorted(segs[segment_id]) for c, segs in sorted(decisions.items()) if c != CONSENSUS
    }
    given = {code for c, segs in decisions.items() for code in segs.get(segment_id, ())}
    for code in sorted(agreed):
        decide(conn, segment_id, code, CONSENSUS, ACCEPTED, origin=SETTLE)
    for code in sorted(given - agreed):
        decide(conn, segment_id, code, CONSENSUS, REJECTED, origin=SETTLE)
    after = sorted(agreed)
    conn.execute(
        insert(decision_log).values(
            at=now(),
            coder=coder,
            action=SETTLE,
            interview=name,
            segment_id=segment_id,
            before=before,
            after=after,
        )
    )
    return {"segment_id": segment_id, "interview": name, "before": before, "after": after}
