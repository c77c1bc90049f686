"""REFI-QDA exchange (NVivo, ATLAS.ti, MAXQDA, QualCoder): `.qdc` codebooks, `.qdpx` projects.

Export: users, codebook, cases with variables, the normalised interview texts as plain-text
sources, people's accepted codings as plain-text selections at the segments' offsets, memos as
notes. GUIDs are uuid5 of project content, and zip entries carry a fixed date, so exporting the
same project twice gives the same bytes. Import parses with defusedxml: a file that declares
an entity or a DTD is refused, nothing is ever resolved.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from xml.etree import ElementTree as ET

from sqlalchemy import select
from sqlalchemy.engine import Connection

from qualkit import __version__
from qualkit.codebook import Code, Codebook, Label, parse_codebook
from qualkit.errors import QualkitError
from qualkit.export import coded_rows, project_codebook
from qualkit.store.codings import ACCEPTED, AUTO_CODER
from qualkit.store.schema import interviews, memos, project_meta, turns
from qualkit.store.study import case_attributes

NS = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
SCHEMA = Path(__file__).parent / "data" / "refi" / "Project.xsd"
ORIGIN = f"qualkit {__version__}"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so that an export is reproducible byte for byte
MAX_MEMBER = 200 * 1024 * 1024
# Code fields that have no REFI element: written as readable sections of the Description.
SECTIONS = (
    ("include", "Include"),
    ("exclude", "Exclude"),
    ("examples", "Examples"),
    ("counter_examples", "Counter-examples"),
    ("patterns", "Patterns"),
)
META_PREFIX = "qualkit: "
INTERVIEWER_PREFIX = "Interviewer: "


# --- codebook <-> REFI codes ------------------------------------------------------------------


def describe(code: Code) -> str:
    """A code's REFI Description: its definition, criteria and examples, then a qualkit line."""
    parts = [code.definition]
    for key, title in SECTIONS:
        items = getattr(code, key)
        if items:
            parts.append(f"{title}:\n" + "\n".join("- " + i.replace("\n", " ") for i in items))
    meta = {"id": code.id, "label_en": code.label.en, "threshold": code.threshold}
    parts.append(META_PREFIX + json.dumps({k: v for k, v in meta.items() if v is not None}))
    return "\n\n".join(parts)


def _undescribe(name: str, description: str) -> dict:
    """Code fields from a Description written by `describe` (or any tool's free text)."""
    fields: dict = {"definition": []}
    titles = {f"{title}:": key for key, title in SECTIONS}
    for block in description.strip().split("\n\n"):
        head, _, rest = block.partition("\n")
        if head.strip() in titles and all(x.startswith("- ") for x in rest.splitlines()):
            fields[titles[head.strip()]] = [x[2:] for x in rest.splitlines()]
        elif block.startswith(META_PREFIX):
            try:
                meta = json.loads(block[len(META_PREFIX) :])
            except json.JSONDecodeError:
                meta = {}
            fields.update(meta if isinstance(meta, dict) else {})
        elif block.strip():
            fields["definition"].append(block)
    fields["definition"] = "\n\n".join(fields["definition"]) or name
    fields["label"] = {"fr": name, "en": fields.pop("label_en", None)}
    return fields


def slug(name: str) -> str:
    """A code id from a code name: 'Menace sur l'emploi' -> 'menace_sur_l_emploi'."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    ident = re.sub(r"[^a-z0-9]+", "_", ascii_).strip("_")
    return ident if ident[:1].isalpha() else f"code_{ident}".rstrip("_")


def _codes_from_xml(codes_el, where: str) -> tuple[list[Code], dict[str, str]]:
    """Codes (nested codes become children) and the code id of every REFI code GUID."""
    out: list[Code] = []
    ids: dict[str, str] = {}

    def walk(el, parent: str | None) -> None:
        for child in _children(el, "Code"):
            name = child.get("name") or "code"
            fields = _undescribe(name, _text(child, "Description"))
            code_id = fields.pop("id", None) or slug(name)
            base, n = code_id, 1
            while code_id in {c.id for c in out}:
                n += 1
                code_id = f"{base}_{n}"
            color = child.get("color")
            if color and len(color) == 4:
                color = "#" + "".join(ch * 2 for ch in color[1:])
            try:
                out.append(Code(id=code_id, parent=parent, color=color, **fields))
            except ValueError as exc:
                raise QualkitError(f"code '{name}' cannot be read ({exc})", path=where) from None
            ids[_guid(child.get("guid"))] = code_id
            walk(child, code_id)

    walk(codes_el, None)
    return out, ids


def _code_elements(parent_el, codebook: Codebook, guid, code_notes: dict[str, list]) -> None:
    children: dict[str | None, list[Code]] = {}
    for code in codebook.codes:
        children.setdefault(code.parent, []).append(code)

    def add(el, parent: str | None) -> None:
        for code in children.get(parent, []):
            attrs = {"guid": guid("code", code.id), "name": code.label.fr, "isCodable": "true"}
            if code.color:
                attrs["color"] = code.color
            code_el = ET.SubElement(el, _q("Code"), attrs)
            ET.SubElement(code_el, _q("Description")).text = describe(code)
            for note in code_notes.get(code.id, []):
                ET.SubElement(code_el, _q("NoteRef"), targetGUID=note)
            add(code_el, code.id)

    add(parent_el, None)


def write_qdc(codebook: Codebook, out: IO[bytes]) -> None:
    """A REFI-QDA codebook (.qdc): the codes, nested by parent, definitions in Description."""
    root = ET.Element(f"{{{NS_CODEBOOK}}}CodeBook", origin=ORIGIN)
    codes = ET.SubElement(root, f"{{{NS_CODEBOOK}}}Codes")
    space = uuid.uuid5(uuid.NAMESPACE_URL, f"qualkit-codebook:{codebook.name}")
    _code_elements(codes, codebook, lambda *k: str(uuid.uuid5(space, ":".join(k))), {})
    for el in root.iter():
        el.tag = el.tag.replace(f"{{{NS}}}", f"{{{NS_CODEBOOK}}}")
    ET.indent(root)
    out.write(_serialise(root, NS_CODEBOOK))


def read_qdc(data: bytes, path: str | Path) -> Codebook:
    """A codebook from a .qdc file; validated like a qualkit codebook YAML file."""
    root = parse_xml(data, str(path))
    if _local(root.tag) != "CodeBook":
        raise QualkitError(f"not a REFI-QDA codebook (root is <{_local(root.tag)}>)", path=path)
    codes_el = _child(root, "Codes")
    if codes_el is None:
        raise QualkitError("no <Codes> in this codebook", path=path)
    codes, _ = _codes_from_xml(codes_el, str(path))
    return _validated(Codebook(schema_version=1, name=Path(path).stem, codes=codes), path)


def _validated(codebook: Codebook, path) -> Codebook:
    return parse_codebook(codebook.to_yaml(), path)


# --- project export -----------------------------------------------------------------------------


def write_qdpx(
    conn: Connection,
    out: IO[bytes],
    *,
    include_suggested: bool = False,
    codebook: Codebook | None = None,
) -> dict:
    """The whole project as a .qdpx zip: project.qde plus one sources/<guid>.txt per interview."""
    meta = dict(conn.execute(select(project_meta.c.key, project_meta.c.value)).all())
    name = str(meta.get("name") or "qualkit project")
    space = uuid.uuid5(uuid.NAMESPACE_URL, f"qualkit:{name}:{meta.get('created_at', '')}")

    def guid(*key) -> str:
        return str(uuid.uuid5(space, ":".join(str(k) for k in key)))

    codebook = codebook or project_codebook(conn)
    rows, _ = coded_rows(conn, include_suggested=include_suggested, codebook=codebook)
    rows = [r for r in rows if r["status"] == ACCEPTED or r["coder"] == AUTO_CODER]
    if codebook is None:
        ids = sorted({r["code"] for r in rows})
        codes = [Code(id=i, label=Label(fr=i), definition=i) for i in ids]
        codebook = Codebook(schema_version=1, name=name, codes=codes)
    missing = sorted({r["code"] for r in rows} - set(codebook.ids))
    if missing:
        raise QualkitError(f"codes {', '.join(missing)} are coded but not in the codebook")
    memo_rows = conn.execute(select(memos).order_by(memos.c.id)).all()
    users = sorted({r["coder"] for r in rows} | {m.coder for m in memo_rows})

    root = ET.Element(_q("Project"), name=name, origin=ORIGIN)
    if meta.get("created_at"):
        root.set("creationDateTime", _when(datetime.fromisoformat(str(meta["created_at"]))))
    if users:
        users_el = ET.SubElement(root, _q("Users"))
        for user in users:
            ET.SubElement(users_el, _q("User"), guid=guid("user", user), name=user)

    # Memos become notes, referenced from what they are about.
    seg_notes: dict[int, list[str]] = {}
    refs: dict[str, dict] = {"code": {}, "interview": {}}
    project_notes: list[str] = []
    for m in memo_rows:
        note = guid("memo", m.id)
        if m.segment_id is not None:
            seg_notes.setdefault(m.segment_id, []).append(note)
        elif m.code is not None:
            refs["code"].setdefault(m.code, []).append(note)
        elif m.interview_id is not None:
            refs["interview"].setdefault(m.interview_id, []).append(note)
        else:
            project_notes.append(note)

    book = ET.SubElement(ET.SubElement(root, _q("CodeBook")), _q("Codes"))
    _code_elements(book, codebook, guid, refs["code"])

    attributes = case_attributes(conn)
    variables = sorted({k for attrs in attributes.values() for k in attrs if k != "case"})
    if variables:
        vars_el = ET.SubElement(root, _q("Variables"))
        for var in variables:
            ET.SubElement(
                vars_el, _q("Variable"), guid=guid("variable", var), name=var, typeOfVariable="Text"
            )
    docs = conn.execute(
        select(
            interviews.c.id,
            interviews.c.name,
            interviews.c.text,
            interviews.c.case_id,
            interviews.c.imported_at,
        ).order_by(interviews.c.name)
    ).all()
    if attributes:
        cases_el = ET.SubElement(root, _q("Cases"))
        for case_id, attrs in sorted(attributes.items(), key=lambda kv: kv[1]["case"]):
            case_el = ET.SubElement(cases_el, _q("Case"), guid=guid("case", attrs["case"]))
            case_el.set("name", attrs["case"])
            for var in variables:
                if attrs.get(var):
                    value = ET.SubElement(case_el, _q("VariableValue"))
                    ET.SubElement(value, _q("VariableRef"), targetGUID=guid("variable", var))
                    ET.SubElement(value, _q("TextValue")).text = str(attrs[var])
            for doc in docs:
                if doc.case_id == case_id:
                    ET.SubElement(case_el, _q("SourceRef"), targetGUID=guid("source", doc.name))

    interviewers: dict[int, list[str]] = {}
    for iid, speaker in conn.execute(
        select(turns.c.interview_id, turns.c.speaker)
        .where(turns.c.role == "interviewer")
        .distinct()
        .order_by(turns.c.interview_id, turns.c.speaker)
    ):
        interviewers.setdefault(iid, []).append(speaker)
    seg_ids = _segment_ids(conn)
    files: dict[str, bytes] = {}
    sources = ET.SubElement(root, _q("Sources"))
    for doc in docs:
        src = guid("source", doc.name)
        files[f"sources/{src}.txt"] = doc.text.encode("utf-8")
        el = ET.SubElement(
            sources,
            _q("TextSource"),
            guid=src,
            name=doc.name,
            plainTextPath=f"internal://{src}.txt",
        )
        if doc.imported_at:
            el.set("creationDateTime", _when(doc.imported_at))
        if interviewers.get(doc.id):
            ET.SubElement(el, _q("Description")).text = INTERVIEWER_PREFIX + " | ".join(
                interviewers[doc.id]
            )
        spans: dict[tuple[int, int], list[dict]] = {}
        for r in rows:
            if r["interview"] == doc.name:
                spans.setdefault((r["start"], r["end"]), []).append(r)
        for (start, end), sid in sorted(seg_ids.get(doc.id, {}).items()):
            if sid in seg_notes and (start, end) not in spans:
                spans[(start, end)] = []
        for (start, end), coded in sorted(spans.items()):
            sel = ET.SubElement(
                el,
                _q("PlainTextSelection"),
                guid=guid("selection", doc.name, start, end),
                name=_excerpt(doc.text[start:end]),
                startPosition=str(start),
                endPosition=str(end),
            )
            for r in coded:
                coding = ET.SubElement(
                    sel,
                    _q("Coding"),
                    guid=guid("coding", doc.name, start, end, r["code"], r["coder"]),
                    creatingUser=guid("user", r["coder"]),
                )
                if r["decided_at"]:
                    coding.set("creationDateTime", _when(datetime.fromisoformat(r["decided_at"])))
                ET.SubElement(coding, _q("CodeRef"), targetGUID=guid("code", r["code"]))
            for note in seg_notes.get(seg_ids[doc.id].get((start, end)), []):
                ET.SubElement(sel, _q("NoteRef"), targetGUID=note)
        for note in refs["interview"].get(doc.id, []):
            ET.SubElement(el, _q("NoteRef"), targetGUID=note)

    if memo_rows:
        notes_el = ET.SubElement(root, _q("Notes"))
        for m in memo_rows:
            note = ET.SubElement(
                notes_el,
                _q("Note"),
                guid=guid("memo", m.id),
                name=f"Memo: {m.code}" if m.code else "Memo",
                creatingUser=guid("user", m.coder),
                creationDateTime=_when(m.created_at),
            )
            ET.SubElement(note, _q("PlainTextContent")).text = m.text
    for note in project_notes:
        ET.SubElement(root, _q("NoteRef"), targetGUID=note)

    ET.indent(root)
    files["project.qde"] = _serialise(root, NS)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(files, key=lambda m: (m != "project.qde", m)):
            info = zipfile.ZipInfo(member, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[member])
    return {
        "sources": len(docs),
        "codes": len(codebook.codes),
        "codings": len(rows),
        "cases": len(attributes),
        "users": len(users),
        "notes": len(memo_rows),
    }


def _segment_ids(conn: Connection) -> dict[int, dict[tuple[int, int], int]]:
    from qualkit.store.schema import segments

    out: dict[int, dict[tuple[int, int], int]] = {}
    for sid, iid, start, end in conn.execute(
        select(segments.c.id, segments.c.interview_id, segments.c.start, segments.c.end)
    ):
        out.setdefault(iid, {})[(start, end)] = sid
    return out


def _serialise(root, namespace: str) -> bytes:
    """UTF-8 XML with `namespace` as the default one (no ns0: prefixes, which tools dislike)."""
    ET.register_namespace("", namespace)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _excerpt(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _when(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- project import: reading a .qdpx -----------------------------------------------------------


@dataclass
class Selection:
    start: int
    end: int
    codings: list[tuple[str, str | None]] = field(default_factory=list)  # (code GUID, user GUID)
    notes: list[str] = field(default_factory=list)


@dataclass
class Source:
    name: str
    text: str
    interviewers: tuple[str, ...] = ()
    selections: list[Selection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class RefiProject:
    """What a .qdpx holds, in qualkit's terms (GUIDs resolved where they name codes)."""

    name: str
    codebook: Codebook
    code_ids: dict[str, str]
    users: dict[str, str]
    sources: dict[str, Source]
    cases: list[tuple[str, dict[str, str], list[str]]]  # (name, attributes, source GUIDs)
    notes: dict[str, tuple[str, str, str | None]]  # GUID -> (name, text, user GUID)
    code_notes: dict[str, list[str]]
    project_notes: list[str]
    skipped: list[str]  # sources that are not text (PDF, pictures, audio, video)


def read_qdpx(data: bytes, path: str | Path) -> RefiProject:
    """Parse a .qdpx archive; every problem is a QualkitError naming the file."""
    path = str(path)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise QualkitError("not a REFI-QDA project (.qdpx is a zip archive)", path=path) from None
    with archive:
        names = {i.filename: i for i in archive.infolist()}
        qde = "project.qde" if "project.qde" in names else None
        if qde is None:
            raise QualkitError("not a REFI-QDA project: no project.qde in the archive", path=path)

        def member(name: str, what: str) -> bytes:
            info = names.get(name)
            if info is None:
                raise QualkitError(f"{what}: '{name}' is missing from the archive", path=path)
            if info.file_size > MAX_MEMBER:
                raise QualkitError(f"{what}: '{name}' is too large", path=path)
            return archive.read(info)

        root = parse_xml(member(qde, "project"), f"{path} (project.qde)")
        if _local(root.tag) != "Project":
            raise QualkitError(
                f"project.qde: root is <{_local(root.tag)}>, not <Project>", path=path
            )
        users = {_guid(u.get("guid")): u.get("name") or "" for u in _all(root, "Users", "User")}
        codes_el = _child(_child(root, "CodeBook"), "Codes")
        codes, code_ids = _codes_from_xml(codes_el, path) if codes_el is not None else ([], {})
        codebook = _validated(
            Codebook(schema_version=1, name=root.get("name") or Path(path).stem, codes=codes), path
        )
        code_notes: dict[str, list[str]] = {}
        for code_el in codes_el.iter() if codes_el is not None else ():
            if _local(code_el.tag) == "Code":
                refs = [_guid(n.get("targetGUID")) for n in _children(code_el, "NoteRef")]
                if refs:
                    code_notes[code_ids[_guid(code_el.get("guid"))]] = refs

        def text_of(el, what: str) -> str:
            content = _child(el, "PlainTextContent")
            if content is not None:
                return content.text or ""
            ref = el.get("plainTextPath") or ""
            if not ref.startswith("internal://"):
                raise QualkitError(
                    f"{what}: text outside the archive ('{ref}') is not supported", path=path
                )
            raw = member("sources/" + ref[len("internal://") :], what)
            try:
                return raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise QualkitError(f"{what}: text is not UTF-8", path=path) from None

        sources: dict[str, Source] = {}
        skipped: list[str] = []
        for el in list(_child(root, "Sources") or []):
            name = el.get("name") or _guid(el.get("guid"))
            if _local(el.tag) != "TextSource":
                skipped.append(name)
                continue
            what = f"source '{name}'"
            text = text_of(el, what).replace("\r\n", "\n")
            description = _text(el, "Description")
            speakers = ()
            if description.startswith(INTERVIEWER_PREFIX):
                first = description[len(INTERVIEWER_PREFIX) :].splitlines()[0]
                speakers = tuple(s.strip() for s in first.split("|") if s.strip())
            source = Source(name, text, speakers)
            source.notes = [_guid(n.get("targetGUID")) for n in _children(el, "NoteRef")]
            for sel in _children(el, "PlainTextSelection"):
                try:
                    start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
                except (TypeError, ValueError):
                    raise QualkitError(
                        f"{what}: a selection has no valid positions", path=path
                    ) from None
                if not 0 <= start < end <= len(text):
                    raise QualkitError(
                        f"{what}: selection {start}-{end} lies outside the text "
                        f"({len(text)} characters)",
                        path=path,
                    )
                item = Selection(start, end)
                for coding in _children(sel, "Coding"):
                    code = _guid(_child(coding, "CodeRef").get("targetGUID"))
                    if code not in code_ids:
                        raise QualkitError(
                            f"{what}: a coding refers to no code ({code})", path=path
                        )
                    user = coding.get("creatingUser") or sel.get("creatingUser")
                    item.codings.append((code, _guid(user) if user else None))
                item.notes = [_guid(n.get("targetGUID")) for n in _children(sel, "NoteRef")]
                source.selections.append(item)
            if name in {s.name for s in sources.values()}:
                raise QualkitError(f"two sources are named '{name}'", path=path)
            sources[_guid(el.get("guid"))] = source

        variables = {
            _guid(v.get("guid")): v.get("name") or "" for v in _all(root, "Variables", "Variable")
        }
        cases = []
        for case in _all(root, "Cases", "Case"):
            attrs = {}
            for value in _children(case, "VariableValue"):
                ref = _child(value, "VariableRef")
                var = variables.get(_guid(ref.get("targetGUID"))) if ref is not None else None
                given = [c for c in value if _local(c.tag) != "VariableRef"]
                if var and given and (given[0].text or "").strip():
                    attrs[var] = given[0].text.strip()
            refs = [_guid(s.get("targetGUID")) for s in _children(case, "SourceRef")]
            cases.append((case.get("name") or _guid(case.get("guid")), attrs, refs))
        notes = {}
        for note in _all(root, "Notes", "Note"):
            user = note.get("creatingUser")
            notes[_guid(note.get("guid"))] = (
                note.get("name") or "",
                text_of(note, f"note '{note.get('name') or ''}'"),
                _guid(user) if user else None,
            )
        project_notes = [_guid(n.get("targetGUID")) for n in _children(root, "NoteRef")]
    return RefiProject(
        name=root.get("name") or Path(path).stem,
        codebook=codebook,
        code_ids=code_ids,
        users=users,
        sources=sources,
        cases=cases,
        notes=notes,
        code_notes=code_notes,
        project_notes=project_notes,
        skipped=skipped,
    )


def parse_xml(data: bytes, where: str):
    """XML through defusedxml: entities and external references are refused, never resolved."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        return fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise QualkitError(
            "the XML declares an entity or external reference; refused for safety", path=where
        ) from None
    except ParseError as exc:
        raise QualkitError(f"not well-formed XML ({exc})", path=where) from None


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el, name: str) -> list:
    return [c for c in el if _local(c.tag) == name] if el is not None else []


def _child(el, name: str):
    found = _children(el, name)
    return found[0] if found else None


def _all(root, group: str, name: str) -> list:
    return _children(_child(root, group), name)


def _text(el, name: str) -> str:
    child = _child(el, name)
    return (child.text or "") if child is not None else ""


def _guid(value: str | None) -> str:
    return (value or "").strip().strip("{}").lower()
