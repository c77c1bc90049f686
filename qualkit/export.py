"""Tabular exports (.csv, .xlsx): one row per coded segment and code, with its case attributes.

Exporters write to file-like objects, so the CLI and the tests share one code path; the rows
come from `coded_rows`, people's decisions by default and the auto-coder's passing suggestions
on request. Segment text is always derived from the offsets into the interview text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import IO, Any

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection

from qualkit.codebook import Codebook, parse_codebook
from qualkit.errors import QualkitError
from qualkit.store.codings import ACCEPTED, AUTO_CODER, REJECTED, latest_codebook
from qualkit.store.schema import cases, codings, interviews, segments, turns

# Columns every row has, in this order; case attributes follow.
BASE_COLUMNS = (
    "interview",
    "segment",
    "speaker",
    "speaker_role",
    "start",
    "end",
    "text",
    "code",
    "code_label",
    "origin",
    "status",
    "coder",
    "score",
    "decided_at",
)
CASE_COLUMNS = ("case", "profile", "role", "branch", "company_size", "gender", "age_band")
SUMMARY_SHEET = "Résumé"


def project_codebook(conn: Connection) -> Codebook | None:
    """The project's latest codebook version, or None when no codebook was ever recorded."""
    latest = latest_codebook(conn)
    return parse_codebook(latest[1], f"codebook version {latest[0]}") if latest else None


def coded_rows(
    conn: Connection, *, include_suggested: bool = False, codebook: Codebook | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows (one per segment, code and coder) and the column names, case attributes included.

    People's decisions (accepted and rejected) always; with `include_suggested`, the
    auto-coder's suggestions that pass their threshold too (origin 'auto', status 'suggested').
    """
    people = and_(codings.c.coder != AUTO_CODER, codings.c.status.in_((ACCEPTED, REJECTED)))
    which = or_(people, and_(codings.c.coder == AUTO_CODER, codings.c.passes.is_(True)))
    query = (
        select(
            interviews.c.name.label("interview"),
            segments.c.idx.label("segment"),
            turns.c.speaker,
            turns.c.role.label("speaker_role"),
            segments.c.start,
            segments.c.end,
            interviews.c.id.label("interview_id"),
            codings.c.code,
            codings.c.origin,
            codings.c.status,
            codings.c.coder,
            codings.c.score,
            codings.c.updated_at.label("decided_at"),
            cases.c.name.label("case"),
            *(cases.c[k] for k in CASE_COLUMNS[1:]),
            cases.c.extra,
        )
        .join(segments, segments.c.id == codings.c.segment_id)
        .join(interviews, interviews.c.id == segments.c.interview_id)
        .join(turns, turns.c.id == segments.c.turn_id)
        .outerjoin(cases, cases.c.id == interviews.c.case_id)
        .where(which if include_suggested else people)
        .order_by(interviews.c.name, segments.c.start, codings.c.code, codings.c.coder)
    )
    records = conn.execute(query).all()
    texts = dict(
        conn.execute(
            select(interviews.c.id, interviews.c.text).where(
                interviews.c.id.in_({r.interview_id for r in records})
            )
        ).all()
    )
    codebook = codebook or project_codebook(conn)
    labels = {c.id: c.label.fr for c in codebook.codes} if codebook else {}
    extra_keys = sorted({k for r in records for k in (r.extra or {})})
    taken = set(BASE_COLUMNS) | set(CASE_COLUMNS)
    extra_columns = {k: (f"case_{k}" if k in taken else k) for k in extra_keys}
    rows = []
    for r in records:
        row = {
            "interview": r.interview,
            "segment": r.segment,
            "speaker": r.speaker,
            "speaker_role": r.speaker_role,
            "start": r.start,
            "end": r.end,
            "text": texts[r.interview_id][r.start : r.end],
            "code": r.code,
            "code_label": labels.get(r.code, r.code),
            "origin": r.origin,
            "status": r.status,
            "coder": r.coder,
            "score": None if r.score is None else round(float(r.score), 4),
            "decided_at": r.decided_at.isoformat(timespec="seconds") if r.decided_at else None,
        }
        for key in CASE_COLUMNS:
            row[key] = getattr(r, key)
        for key, column in extra_columns.items():
            row[column] = (r.extra or {}).get(key)
        rows.append(row)
    return rows, [*BASE_COLUMNS, *CASE_COLUMNS, *extra_columns.values()]


def write_csv(rows: Sequence[dict], columns: Sequence[str], out: IO[str]) -> None:
    """CSV, comma-separated, one header line; empty cells for missing values."""
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in columns})


def summary(rows: Sequence[dict], codes: Sequence[str]) -> list[dict[str, Any]]:
    """Per code: accepted segments and interviews, rejections, suggestions, accepted by profile."""
    profiles = sorted({r["profile"] or "?" for r in rows})
    out = []
    for code in codes:
        mine = [r for r in rows if r["code"] == code]
        accepted = [r for r in mine if r["status"] == ACCEPTED]
        entry = {
            "code": code,
            "label": next((r["code_label"] for r in mine), code),
            "accepted_segments": len({(r["interview"], r["segment"]) for r in accepted}),
            "interviews": len({r["interview"] for r in accepted}),
            "rejected": sum(r["status"] == REJECTED for r in mine),
            "suggested": sum(r["coder"] == AUTO_CODER for r in mine),
        }
        for profile in profiles:
            entry[f"accepted_{profile}"] = len(
                {
                    (r["interview"], r["segment"])
                    for r in accepted
                    if (r["profile"] or "?") == profile
                }
            )
        out.append(entry)
    return out


def sheet_names(codes: Sequence[str]) -> dict[str, str]:
    """Excel sheet names per code: at most 31 characters, none of []:*?/\\, unique."""
    names: dict[str, str] = {}
    used = {SUMMARY_SHEET.lower()}
    for code in codes:
        base = "".join("_" if ch in "[]:*?/\\" else ch for ch in code)[:31] or "code"
        name, n = base, 1
        while name.lower() in used:
            n += 1
            name = f"{base[: 31 - len(str(n)) - 1]}_{n}"
        used.add(name.lower())
        names[code] = name
    return names


def write_xlsx(
    rows: Sequence[dict],
    columns: Sequence[str],
    out: IO[bytes],
    codes: Sequence[str] = (),
    labels: dict[str, str] | None = None,
) -> None:
    """A summary sheet, then one sheet per code (every code of the codebook, even uncoded)."""
    import pandas as pd

    codes = list(dict.fromkeys([*codes, *(r["code"] for r in rows)]))
    stats = summary(rows, codes)
    for entry in stats:
        if labels and entry["code"] in labels:
            entry["label"] = labels[entry["code"]]
    names = sheet_names(codes)
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        pd.DataFrame(stats, columns=list(stats[0]) if stats else ["code"]).to_excel(
            writer, sheet_name=SUMMARY_SHEET, index=False
        )
        _format(writer.sheets[SUMMARY_SHEET], wide=("label",))
        for code in codes:
            mine = sorted((r for r in rows if r["code"] == code), key=_accepted_first)
            frame = pd.DataFrame(mine, columns=list(columns))
            frame.to_excel(writer, sheet_name=names[code], index=False)
            _format(writer.sheets[names[code]], wide=("text",))


def _accepted_first(row: dict) -> tuple:
    """A code's sheet lists what was coded first: accepted, then suggested, then rejected."""
    order = {ACCEPTED: 0, "suggested": 1, REJECTED: 2}
    return (order.get(row["status"], 3), row["interview"], row["start"], row["coder"])


def _format(sheet, wide: Sequence[str]) -> None:
    """Header frozen and filterable; readable column widths; long text wrapped."""
    from openpyxl.styles import Alignment, Font

    sheet.freeze_panes = "A2"
    if sheet.max_row > 1:
        sheet.auto_filter.ref = sheet.dimensions
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        letter = cell.column_letter
        if cell.value in wide:
            sheet.column_dimensions[letter].width = 80
            for (body,) in sheet.iter_rows(min_row=2, min_col=cell.column, max_col=cell.column):
                body.alignment = Alignment(wrap_text=True, vertical="top")
        else:
            sheet.column_dimensions[letter].width = max(10, min(30, len(str(cell.value)) + 4))


FORMATS = ("csv", "xlsx", "qdc", "qdpx")


def export_project(
    conn: Connection,
    fmt: str,
    out: IO[bytes],
    *,
    include_suggested: bool = False,
    codebook: Codebook | None = None,
) -> dict[str, Any]:
    """Write the project (or its codebook, for qdc) in one of FORMATS; returns what was written."""
    if fmt not in FORMATS:
        raise QualkitError(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'")
    codebook = codebook or project_codebook(conn)
    if fmt in ("qdc", "qdpx"):
        from qualkit.refi import write_qdc, write_qdpx

        if fmt == "qdpx":
            return write_qdpx(conn, out, include_suggested=include_suggested, codebook=codebook)
        if codebook is None:
            raise QualkitError("the project has no codebook yet; pass --codebook FILE")
        write_qdc(codebook, out)
        return {"codes": len(codebook.codes)}
    rows, columns = coded_rows(conn, include_suggested=include_suggested, codebook=codebook)
    codes = codebook.ids if codebook else []
    if fmt == "csv":
        buffer = io.StringIO()
        write_csv(rows, columns, buffer)
        out.write(("\ufeff" + buffer.getvalue()).encode("utf-8"))  # the BOM tells Excel: UTF-8
    else:
        labels = {c.id: c.label.fr for c in codebook.codes} if codebook else None
        write_xlsx(rows, columns, out, codes, labels)
    return {"rows": len(rows), "codes": len(set(codes) | {r["code"] for r in rows})}
