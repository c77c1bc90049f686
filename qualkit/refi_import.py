"""A parsed REFI-QDA project (`refi.read_qdpx`) into a qualkit project, in one transaction.

Sources become interviews (read again as qualkit transcripts, so turns and segments come back;
the text is kept exactly, so REFI offsets stay true), cases keep their variables, codes join
the project's codebook, and each coding becomes a person's accepted decision on the segments
its selection covers. An interview already in the project must have the same text.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import select

from qualkit.cases import KNOWN
from qualkit.codebook import Codebook, parse_codebook
from qualkit.data import RESPONDENT, Case, Segment, Transcript, Turn
from qualkit.errors import QualkitError
from qualkit.export import project_codebook
from qualkit.refi import RefiProject, Selection, Source
from qualkit.store import Project
from qualkit.store import study as store
from qualkit.store.codings import ACCEPTED, AUTO_CODER, decide, record_codebook
from qualkit.store.project import now
from qualkit.store.schema import interviews, memos, segments

DEFAULT_CODER = "import"


@dataclass
class ImportReport:
    interviews_added: list[str] = field(default_factory=list)
    interviews_present: list[str] = field(default_factory=list)
    cases: int = 0
    codes_added: list[str] = field(default_factory=list)
    codebook_version: int | None = None
    decisions: int = 0
    coders: list[str] = field(default_factory=list)
    inexact_selections: int = 0
    unmatched_selections: int = 0
    auto_codings_skipped: int = 0
    memos: int = 0
    warnings: list[str] = field(default_factory=list)


def import_refi(
    project: Project,
    refi: RefiProject,
    *,
    coder: str | None = None,
    nlp_for: Callable[[str], object] | None = None,
) -> ImportReport:
    """Bring sources, cases, codes, codings and notes in; read and segment before writing."""
    if nlp_for is None:
        from qualkit.nlp import sentence_pipeline as nlp_for
    from qualkit.segmenting import segment_transcript

    report = ImportReport(warnings=[f"source '{n}' is not text: skipped" for n in refi.skipped])
    with project.reading() as conn:
        present = {
            r.name: r.text for r in conn.execute(select(interviews.c.name, interviews.c.text))
        }
        current = project_codebook(conn)
    prepared: list[tuple[str, Transcript, list[Segment]]] = []
    for guid, source in refi.sources.items():
        if source.name in present:
            if present[source.name] != source.text:
                raise QualkitError(
                    f"source '{source.name}' is already in the project with a different text; "
                    "nothing was imported"
                )
            report.interviews_present.append(source.name)
            continue
        transcript = _transcript(source)
        prepared.append(
            (guid, transcript, segment_transcript(transcript, nlp_for(transcript.language)))
        )
    codebook, code_ids = _merge_codebook(current, refi)
    report.codes_added = [
        c.id for c in codebook.codes if current is None or c.id not in current.ids
    ]

    with project.transaction() as conn:
        if codebook.codes:
            report.codebook_version = record_codebook(conn, codebook, f"REFI-QDA: {refi.name}")
        ids = {}
        for guid, transcript, segs in prepared:
            ids[guid] = store.add_interview(conn, transcript, segs, None)
            report.interviews_added.append(transcript.name)
        for guid, source in refi.sources.items():
            ids.setdefault(guid, store.interview_id(conn, source.name))
        for name, attrs, refs in refi.cases:
            known = {k: attrs[k] for k in KNOWN if k in attrs}
            extra = {k: v for k, v in attrs.items() if k not in KNOWN}
            case_id = store.upsert_case(conn, Case(name=name, extra=extra, **known))
            for ref in refs:
                if ref in ids:
                    store.link_case(conn, ids[ref], case_id)
            report.cases += 1
        coders: set[str] = set()
        for guid, source in refi.sources.items():
            spans = [
                (r.id, r.start, r.end)
                for r in conn.execute(
                    select(segments.c.id, segments.c.start, segments.c.end).where(
                        segments.c.interview_id == ids[guid]
                    )
                )
            ]
            for selection in source.selections:
                hit = _covered(selection, spans)
                if not hit:
                    report.unmatched_selections += 1
                    continue
                report.inexact_selections += len(hit) != 1 or hit[0][1:] != (
                    selection.start,
                    selection.end,
                )
                for code_guid, user in selection.codings:
                    who = coder or refi.users.get(user or "", "").strip() or DEFAULT_CODER
                    if who == AUTO_CODER:
                        report.auto_codings_skipped += 1
                        continue
                    for sid, *_ in hit:
                        decide(conn, sid, code_ids[code_guid], who, ACCEPTED, origin="human")
                        report.decisions += 1
                    coders.add(who)
                for note in selection.notes:
                    for sid, *_ in hit:
                        report.memos += _memo(conn, refi, note, coder, ids[guid], sid, None)
            for note in source.notes:
                report.memos += _memo(conn, refi, note, coder, ids[guid], None, None)
        project_id = {refi.code_ids[g]: i for g, i in code_ids.items()}
        for code, notes in refi.code_notes.items():
            for note in notes:
                report.memos += _memo(conn, refi, note, coder, None, None, project_id[code])
        for note in refi.project_notes:
            report.memos += _memo(conn, refi, note, coder, None, None, None)
        report.coders = sorted(coders)
    if report.unmatched_selections:
        report.warnings.append(
            f"{report.unmatched_selections} selection(s) cover no segment (e.g. a speaker label) "
            "and were not imported"
        )
    return report


def _transcript(source: Source) -> Transcript:
    """The source read as a qualkit transcript; if reading changes the text, one turn per
    paragraph instead, so that the REFI offsets still point at the same characters."""
    from qualkit.nlp import detect_language
    from qualkit.reading import read_transcript

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / (Path(source.name).stem + ".txt")
        path.write_text(source.text, encoding="utf-8")
        try:
            read = read_transcript(path, interviewers=source.interviewers)
        except QualkitError:
            read = None
    digest = hashlib.sha256(source.text.encode("utf-8")).hexdigest()
    if read is not None and read.text == source.text:
        return replace(read, name=source.name, source_format="qdpx", content_hash=digest)
    turns = []
    pos = 0
    for block in source.text.split("\n\n"):
        stripped = block.strip()
        if stripped:
            start = pos + block.index(stripped)
            turns.append(Turn("Répondant", start, start + len(stripped), RESPONDENT))
        pos += len(block) + 2
    if not turns:
        raise QualkitError(f"source '{source.name}' has no text")
    return Transcript(
        name=source.name,
        text=source.text,
        turns=tuple(turns),
        source_format="qdpx",
        content_hash=digest,
        language=detect_language(source.text),
    )


def _covered(selection: Selection, spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Segments a selection codes: the one it matches exactly, else every segment it overlaps
    by at least half of the shorter of the two."""
    exact = [s for s in spans if s[1:] == (selection.start, selection.end)]
    if exact:
        return exact
    out = []
    for sid, start, end in spans:
        overlap = min(end, selection.end) - max(start, selection.start)
        shorter = min(end - start, selection.end - selection.start)
        if overlap > 0 and 2 * overlap >= shorter:
            out.append((sid, start, end))
    return out


def _merge_codebook(current: Codebook | None, refi: RefiProject) -> tuple[Codebook, dict[str, str]]:
    """The project's codebook plus the file's new codes; a file code whose id or label is
    already in the project maps to that code. Returns the codebook and GUID -> code id."""
    if current is None:
        return refi.codebook, dict(refi.code_ids)
    by_label = {c.label.fr: c.id for c in current.codes}
    rename = {}
    for code in refi.codebook.codes:
        if code.id in current.ids:
            rename[code.id] = code.id
        elif code.label.fr in by_label:
            rename[code.id] = by_label[code.label.fr]
    added = [
        code.model_copy(update={"parent": rename.get(code.parent, code.parent)})
        for code in refi.codebook.codes
        if code.id not in rename
    ]
    merged = current.model_copy(update={"codes": [*current.codes, *added]})
    merged = parse_codebook(merged.to_yaml(), f"REFI-QDA codebook of {refi.name}")
    return merged, {g: rename.get(i, i) for g, i in refi.code_ids.items()}


def _memo(conn, refi: RefiProject, note: str, coder, interview, segment, code) -> int:
    """Write one note as a memo unless the same memo is already there; 1 if written."""
    if note not in refi.notes:
        return 0
    name, text, user = refi.notes[note]
    if code is None and name.startswith("Memo: "):
        code = name[len("Memo: ") :]
    who = coder or refi.users.get(user or "", "").strip() or DEFAULT_CODER
    same = conn.execute(
        select(memos.c.id).where(
            memos.c.interview_id.is_(None)
            if interview is None
            else memos.c.interview_id == interview,
            memos.c.segment_id.is_(None) if segment is None else memos.c.segment_id == segment,
            memos.c.code.is_(None) if code is None else memos.c.code == code,
            memos.c.text == text,
        )
    ).first()
    if same is not None or not text.strip():
        return 0
    stamp = now()
    conn.execute(
        memos.insert().values(
            interview_id=interview,
            segment_id=segment,
            code=code,
            coder=who,
            text=text,
            created_at=stamp,
            updated_at=stamp,
        )
    )
    return 1
