"""Pseudonymisation as a study-level stage: the lists, the map, and corrections re-applied.

`for_import` prepares a `Pseudonymiser` for `qualkit import` (the study's always/never lists, the
case metadata's names, the map next to the project). `correct` applies a consultant's correction
to every interview of the project in one transaction, remapping turn and segment offsets, and
saves it in the map so a later import does the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from qualkit.cases import CaseRow
from qualkit.errors import QualkitError
from qualkit.name_detection import ANY_PLACEHOLDER, Detector, loose_pattern
from qualkit.pseudonym_map import KINDS, PseudonymMap, map_path
from qualkit.pseudonymise import Edit, Pseudonymiser, apply_edits, speaker_name
from qualkit.store import Project
from qualkit.store.schema import interviews, segments, turns

LISTS_FILE = "pseudonymisation.yaml"


@dataclass(frozen=True)
class Lists:
    always: tuple[tuple[str, str], ...] = ()
    never: tuple[str, ...] = ()


def read_lists(path: Path) -> Lists:
    """`never:` names and `always:` names (or {text, kind}) from a YAML file."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise QualkitError(f"cannot read the pseudonymisation lists ({exc})", path=path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise QualkitError(
            f"YAML error: {getattr(exc, 'problem', exc)}",
            path=path,
            line=mark.line + 1 if mark else None,
        ) from None
    if not isinstance(data, dict) or set(data) - {"always", "never"}:
        raise QualkitError("expected the keys 'always' and 'never' only", path=path)
    never = data.get("never") or []
    if not isinstance(never, list) or not all(isinstance(n, str | int) for n in never):
        raise QualkitError("'never' must be a list of names", path=path, field="never")
    always = []
    for i, item in enumerate(data.get("always") or []):
        if isinstance(item, str):
            always.append((item, "PERSONNE"))
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            kind = item.get("kind", "person")
            if kind not in KINDS:
                raise QualkitError(
                    f"unknown kind '{kind}'; expected one of {', '.join(KINDS)}",
                    path=path,
                    field=f"always[{i}].kind",
                )
            always.append((item["text"], KINDS[kind]))
        else:
            raise QualkitError(
                "each entry is a name or {text: ..., kind: ...}", path=path, field=f"always[{i}]"
            )
    return Lists(tuple(always), tuple(str(n) for n in never))


def find_lists(paths: Iterable[str | Path]) -> Path | None:
    for raw in paths:
        path = Path(raw)
        candidate = path / LISTS_FILE if path.is_dir() else path
        if candidate.name == LISTS_FILE and candidate.is_file():
            return candidate
    return None


def for_import(
    project: Project,
    paths: Iterable[str | Path],
    rows: dict[str, CaseRow],
    lists_file: Path | None = None,
    map_file: Path | None = None,
) -> Pseudonymiser:
    """The pseudonymiser of this study: lists, case names, and the map loaded from its file."""
    from qualkit.nlp import entity_pipeline

    mapping = PseudonymMap.load(map_path(project.location, map_file))
    lists = read_lists(lists_file) if lists_file else Lists()
    found = find_lists(paths)
    if lists_file is None and found is not None:
        lists = read_lists(found)
    never = list(lists.never) + mapping.never
    always = list(lists.always) + [(a["text"], a["kind"]) for a in mapping.always]
    patterns_only = Detector(None, never=never)
    for row in {id(r): r for r in rows.values()}.values():
        always += [(text, KINDS[kind]) for text, kind in row.identifying]
        for name in row.interviewers:  # interviewers named in cases.csv, when they are names
            always += [(f.text, f.kind) for f in speaker_name(patterns_only, name)]
    return Pseudonymiser(Detector(entity_pipeline("fr"), always=always, never=never), mapping)


# --- corrections ------------------------------------------------------------------------------


def correct(
    project: Project,
    mapping: PseudonymMap,
    *,
    restore: str | None = None,
    add: str | None = None,
    kind: str = "person",
    as_label: str | None = None,
    merge: tuple[str, str] | None = None,
) -> int:
    """Apply one correction everywhere; returns how many places of the texts changed.

    restore: put a placeholder's originals back (a false alarm) and never replace them again.
    add: replace a missed name everywhere, with a new placeholder or `as_label`'s.
    merge: (keep, drop): the second placeholder is the same entity as the first.
    """
    if sum(x is not None for x in (restore, add, merge)) != 1:
        raise QualkitError("give exactly one of --restore, --add, --merge")
    with project.transaction() as conn:
        rows = conn.execute(select(interviews.c.id, interviews.c.name, interviews.c.text)).all()
        changed = 0
        for row in rows:
            edits = _edits(
                row.name,
                row.text,
                mapping,
                restore=restore,
                add=add,
                kind=kind,
                as_label=as_label,
                merge=merge,
            )
            if edits:
                _rewrite(conn, row.id, row.text, edits)
                changed += len(edits)
        _remember(mapping, restore=restore, add=add, kind=kind, as_label=as_label, merge=merge)
        mapping.save()
    return changed


def _label_of(value: str, mapping: PseudonymMap) -> str:
    label = value.strip().strip("[]")
    if label not in mapping.entries:
        raise QualkitError(f"no placeholder [{label}] in the pseudonym map", path=mapping.path)
    return label


def _edits(name, text, mapping, *, restore, add, kind, as_label, merge) -> list[Edit]:
    occurrences = mapping.occurrences.get(name, [])
    edits: list[Edit] = []
    if restore is not None:
        label = _label_of(restore, mapping)
        placed = [m for m in ANY_PLACEHOLDER.finditer(text)]
        if len(placed) != len(occurrences):
            raise QualkitError(
                f"the placeholders of '{name}' do not match the pseudonym map "
                "(was the map replaced?)",
                path=mapping.path,
            )
        kept = []
        for m, (lab, original) in zip(placed, occurrences, strict=True):
            if lab == label and original is not None:
                edits.append(Edit(m.start(), m.end(), original, m.group()))
            else:
                kept.append([lab, original])
        mapping.occurrences[name] = kept
    elif merge is not None:
        keep, drop = (_label_of(v, mapping) for v in merge)
        for m in re.finditer(re.escape(f"[{drop}]"), text):
            edits.append(Edit(m.start(), m.end(), f"[{keep}]", m.group()))
        for pair in occurrences:
            if pair[0] == drop:
                pair[0] = keep
    elif add is not None:
        if kind not in KINDS:
            raise QualkitError(f"unknown kind '{kind}'; expected one of {', '.join(KINDS)}")
        busy = [m.span() for m in ANY_PLACEHOLDER.finditer(text)]
        found = [
            m
            for m in re.finditer(rf"(?<![\w-]){loose_pattern(add)}(?![\w-])", text, re.IGNORECASE)
            if not any(s < m.end() and m.start() < e for s, e in busy)
        ]
        if found:
            label = (
                _label_of(as_label, mapping)
                if as_label
                else mapping.placeholder_for(add, KINDS[kind], name)
            )
            for m in found:
                mapping.note(label, m.group(), name)
                edits.append(Edit(m.start(), m.end(), f"[{label}]", m.group()))
            _insert_occurrences(mapping, name, text, edits, label)
    return edits


def _insert_occurrences(mapping, name, text, edits, label) -> None:
    """Keep the map's per-interview list in text order after new placeholders are added."""
    placed = [m.start() for m in ANY_PLACEHOLDER.finditer(text)]
    old = list(mapping.occurrences.get(name, []))
    merged = [(start, pair) for start, pair in zip(placed, old, strict=False)]
    merged += [(e.start, [label, e.original]) for e in edits]
    mapping.occurrences[name] = [pair for _, pair in sorted(merged, key=lambda x: x[0])]


def _remember(mapping, *, restore, add, kind, as_label, merge) -> None:
    if restore is not None:
        label = restore.strip().strip("[]")
        entry = mapping.entries.pop(label)
        mapping.never.extend(f for f in entry["forms"] if f not in mapping.never)
    elif merge is not None:
        keep, drop = (v.strip().strip("[]") for v in merge)
        gone = mapping.entries.pop(drop)
        for form, n in gone["forms"].items():
            mapping.entries[keep]["forms"][form] = mapping.entries[keep]["forms"].get(form, 0) + n
        for interview in gone["interviews"]:
            if interview not in mapping.entries[keep]["interviews"]:
                mapping.entries[keep]["interviews"].append(interview)
    elif add is not None:
        mapping.always.append({"text": add, "kind": KINDS[kind]})
    mapping.reindex()


def _rewrite(conn, interview_id: int, text: str, edits: list[Edit]) -> None:
    """New interview text; every turn and segment offset moves with it."""
    new_text, remap = apply_edits(text, edits)
    conn.execute(update(interviews).where(interviews.c.id == interview_id).values(text=new_text))
    for table in (turns, segments):
        for row in conn.execute(
            select(table.c.id, table.c.start, table.c.end).where(
                table.c.interview_id == interview_id
            )
        ).all():
            conn.execute(
                update(table)
                .where(table.c.id == row.id)
                .values(start=remap(row.start), end=remap(row.end))
            )
    for row in conn.execute(
        select(turns.c.id, turns.c.start, turns.c.speaker).where(
            turns.c.interview_id == interview_id
        )
    ).all():
        label = _speaker_before(new_text, row.start)
        if label is not None and label != row.speaker:
            conn.execute(update(turns).where(turns.c.id == row.id).values(speaker=label))


def _speaker_before(text: str, start: int) -> str | None:
    line_start = text.rfind("\n", 0, start) + 1
    head = text[line_start:start]
    return head[:-3] if head.endswith(" : ") else None
