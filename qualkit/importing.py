"""The import stage: files -> read -> segment -> store, all in one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as replace_field
from pathlib import Path

from sqlalchemy import insert, select

from qualkit.cases import CASES_FILE, CaseRow, match_case, read_cases
from qualkit.data import Segment, Transcript
from qualkit.errors import QualkitError
from qualkit.pseudonyms import LISTS_FILE
from qualkit.reading import is_transcript, read_transcript
from qualkit.segmenting import SegmentOptions, segment_transcript
from qualkit.store import Project
from qualkit.store import study as store
from qualkit.store.codings import AUTO_CODER, SYSTEM_CODER
from qualkit.store.project import now
from qualkit.store.schema import codings, decision_log, memos, segments

Progress = Callable[[str], None]


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    cases_updated: int = 0
    segments: int = 0
    turns: int = 0
    warnings: list[str] = field(default_factory=list)


def collect_files(paths: Iterable[str | Path]) -> tuple[list[Path], Path | None]:
    """Transcript files and the cases.csv among the given files and folders."""
    files: list[Path] = []
    cases_csv: Path | None = None
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise QualkitError("no such file or folder", path=path)
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            if candidate.name.lower() == CASES_FILE:
                cases_csv = candidate
            elif candidate.name.lower() == LISTS_FILE:
                continue  # read by the pseudonymiser
            elif path.is_dir():
                if is_transcript(candidate) and not candidate.name.startswith((".", "~$")):
                    files.append(candidate)
            else:
                files.append(candidate)  # named explicitly: unknown types get an error
    return files, cases_csv


def import_paths(
    project: Project,
    paths: Sequence[str | Path],
    *,
    replace: bool = False,
    force: bool = False,
    language: str | None = None,
    label_patterns: Sequence[str] = (),
    options: SegmentOptions = SegmentOptions(),
    nlp_for: Callable[[str], object] | None = None,
    progress: Progress | None = None,
    pseudonymise: bool = True,
    lists_file: Path | None = None,
    map_file: Path | None = None,
) -> ImportResult:
    """Read, pseudonymise and segment every new or changed file first, then write them all at
    once; the pseudonym map is saved just before the project commits."""
    if nlp_for is None:
        from qualkit.nlp import sentence_pipeline as nlp_for
    files, cases_csv = collect_files(paths)
    if not files and cases_csv is None:
        raise QualkitError(
            "no transcript files found (.txt, .md, .docx, .vtt, .srt)",
            path=", ".join(str(p) for p in paths),
        )
    rows = read_cases(cases_csv) if cases_csv else {}
    result = ImportResult()
    names = [f.name for f in files]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise QualkitError(
            f"two files named '{sorted(duplicates)[0]}' in the import; "
            "interviews are identified by file name"
        )

    prepared: list[tuple[Transcript, list[Segment], CaseRow | None, int | None]] = []
    read: list[tuple[Path, Transcript, CaseRow | None, int | None]] = []
    pseudonymiser = None
    with project.reading() as conn:
        for path in files:
            existing = store.find_interview(conn, path.name)
            if existing is not None and path.exists() and existing.content_hash == _hash(path):
                result.unchanged.append(path.name)
                continue
            if existing is not None and not replace:
                raise QualkitError(
                    "changed since it was imported; use --replace to import the new version "
                    "(codings are carried over to identical passages)",
                    path=path,
                )
            row = match_case(rows, path.name)
            transcript = read_transcript(
                path,
                language=language or (row.language if row else None),
                label_patterns=label_patterns,
                interviewers=row.interviewers if row else (),
            )
            read.append((path, transcript, row, existing.id if existing else None))
        imported = {r.name for r in conn.execute(select(store.interviews.c.name))}
    if pseudonymise and read:
        from qualkit.pseudonyms import for_import

        pseudonymiser = for_import(project, paths, rows, lists_file, map_file)
        for _, transcript, _, _ in read:  # placeholders typed by hand keep their numbers
            pseudonymiser.map.reserve(transcript.text)
    for path, transcript, row, old_id in read:
        if progress:
            progress(path.name)
        if pseudonymiser is not None:
            transcript = pseudonymiser.transcript(transcript)
            if transcript.language != "fr":
                result.warnings.append(
                    f"{path}: no entity model for '{transcript.language}': names were "
                    "replaced by patterns and lists only; check them with 'qualkit pseudonyms'"
                )
        elif not pseudonymise:
            transcript = replace_field(
                transcript, metadata={**transcript.metadata, "pseudonymised": False}
            )
        segs = segment_transcript(transcript, nlp_for(transcript.language), options)
        result.warnings.extend(f"{path}: {w}" for w in transcript.warnings)
        prepared.append((transcript, segs, row, old_id))
    known = imported | set(names)
    for row in {id(r): r for r in rows.values()}.values():
        if row.file not in known and Path(row.file).stem not in {Path(n).stem for n in known}:
            result.warnings.append(f"{cases_csv}:{row.line}: no interview file '{row.file}'")

    with project.transaction() as conn:
        for transcript, segs, row, old_id in prepared:
            case_id = store.upsert_case(conn, row.case) if row else None
            carried: list[dict] = []
            if old_id is not None:
                carried = _coded_passages(conn, old_id)
                store.remove_interview(conn, old_id)
            iid = store.add_interview(conn, transcript, segs, case_id)
            if old_id is not None:
                lost = _carry_over(conn, iid, transcript.text, carried)
                if lost and not force:
                    raise QualkitError(
                        f"{len(lost)} coded passage(s) are not in the new version; "
                        "use --force to replace anyway (they stay in the decision log)",
                        path=transcript.name,
                    )
                conn.execute(
                    insert(decision_log).values(
                        at=now(),
                        coder=SYSTEM_CODER,
                        action="replace_interview",
                        interview=transcript.name,
                        before={"carried": len(carried)},
                        after={"lost": lost},
                    )
                )
                result.replaced.append(transcript.name)
            else:
                result.added.append(transcript.name)
            result.segments += len(segs)
            result.turns += len(transcript.turns)
        # Rows of cases.csv for interviews imported earlier update their attributes, but only
        # when the file changed since it was last read: edits made in the UI are kept.
        csv_hash = _hash(cases_csv) if cases_csv else None
        csv_changed = csv_hash is not None and csv_hash != project.meta("cases_csv_hash")
        if csv_changed:
            project.set_meta(conn, "cases_csv_hash", csv_hash)
        for name in imported if csv_changed else ():
            row = match_case(rows, name)
            if row and name not in {t.name for t, *_ in prepared}:
                existing = store.find_interview(conn, name)
                store.link_case(conn, existing.id, store.upsert_case(conn, row.case))
                result.cases_updated += 1
        if pseudonymiser is not None:
            project.set_meta(conn, "pseudonym_map", pseudonymiser.map.path.name)
            # Saved before the commit: a crash now leaves unused entries, never lost originals.
            pseudonymiser.map.save()
    return result


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _coded_passages(conn, iid: int) -> list[dict]:
    """People's codings and memos on an interview, with the text they were on."""
    text = conn.execute(
        select(store.interviews.c.text).where(store.interviews.c.id == iid)
    ).scalar()
    spans = {
        r.id: text[r.start : r.end]
        for r in conn.execute(
            select(segments.c.id, segments.c.start, segments.c.end).where(
                segments.c.interview_id == iid
            )
        )
    }
    out = []
    for row in conn.execute(
        select(codings).where(codings.c.segment_id.in_(spans), codings.c.coder != AUTO_CODER)
    ):
        out.append(
            {
                "kind": "coding",
                "text": spans[row.segment_id],
                "row": {k: v for k, v in row._mapping.items() if k not in ("id", "segment_id")},
            }
        )
    for row in conn.execute(select(memos).where(memos.c.segment_id.in_(spans))):
        out.append(
            {
                "kind": "memo",
                "text": spans[row.segment_id],
                "row": {
                    k: v
                    for k, v in row._mapping.items()
                    if k not in ("id", "segment_id", "interview_id")
                },
            }
        )
    return out


def _carry_over(conn, iid: int, text: str, carried: list[dict]) -> list[str]:
    """Re-attach codings and memos to the segment holding the same words; return the lost ones."""
    new = conn.execute(
        select(segments.c.id, segments.c.start, segments.c.end).where(
            segments.c.interview_id == iid
        )
    ).all()
    lost, done = [], set()
    for item in carried:
        pos = text.find(item["text"])
        if pos >= 0 and text.find(item["text"], pos + 1) >= 0:
            pos = -1  # the same words twice: which one was coded is unknown, so it is lost
        if pos < 0 or not new:
            lost.append(item["text"][:80])
            continue
        end = pos + len(item["text"])
        target = max(new, key=lambda s: min(end, s.end) - max(pos, s.start))
        row = dict(item["row"])
        if item["kind"] == "coding":
            key = (target.id, row["code"], row["coder"])
            if key in done:
                continue
            done.add(key)
            conn.execute(insert(codings).values(segment_id=target.id, **row))
        else:
            conn.execute(insert(memos).values(segment_id=target.id, interview_id=iid, **row))
    return lost
