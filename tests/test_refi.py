"""REFI-QDA: .qdc codebooks and .qdpx projects out and back in, valid against the schema."""

from __future__ import annotations

import io
import zipfile

import pytest
from coded_study import CODEBOOK_YAML, build
from conftest import dump
from sqlalchemy import select

from qualkit.codebook import load_codebook, parse_codebook
from qualkit.refi import SCHEMA, read_qdc
from qualkit.store import Project
from qualkit.store.schema import cases, codings, interviews, memos, segments


@pytest.fixture
def study(cli, project_path, tmp_path):
    return build(cli, project_path, tmp_path / "transcripts")


def export_qdpx(cli, project, out, *extra) -> bytes:
    result = cli("export", project, "--format", "qdpx", "-o", out, *extra)
    assert result.code == 0, result.err
    return out.read_bytes()


def decisions(project) -> set[tuple]:
    """(interview, start, end, code, coder) of every accepted coding by a person."""
    with Project.open(project) as proj, proj.reading() as conn:
        return set(
            conn.execute(
                select(
                    interviews.c.name,
                    segments.c.start,
                    segments.c.end,
                    codings.c.code,
                    codings.c.coder,
                )
                .join(segments, segments.c.id == codings.c.segment_id)
                .join(interviews, interviews.c.id == segments.c.interview_id)
                .where(codings.c.status == "accepted", codings.c.coder != "auto")
            ).all()
        )


@pytest.mark.parametrize("extra", [[], ["--include-suggested"]])
def test_refi_qdpx_project_validates_against_the_official_schema(
    cli, project_path, study, tmp_path, extra
):
    import xmlschema

    data = export_qdpx(cli, project_path, tmp_path / "etude.qdpx", *extra)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        qde = archive.read("project.qde")
        sources = [n for n in archive.namelist() if n.startswith("sources/")]
    xmlschema.XMLSchema(str(SCHEMA)).validate(qde.decode("utf-8"))
    assert len(sources) == 2
    assert qde.count(b"<Coding ") == 4 + (1 if extra else 0)  # rejections are not codings
    assert b'typeOfVariable="Text"' in qde and b"<Note " in qde


def test_refi_qdpx_export_is_reproducible(cli, project_path, study, tmp_path):
    first = export_qdpx(cli, project_path, tmp_path / "one.qdpx")
    second = export_qdpx(cli, project_path, tmp_path / "two.qdpx")
    assert first == second


def test_refi_qdpx_round_trip_keeps_codes_sources_and_codings(cli, project_path, study, tmp_path):
    data_path = tmp_path / "etude.qdpx"
    export_qdpx(cli, project_path, data_path)
    copy = tmp_path / "copy.qualkit"
    assert cli("init", copy).code == 0
    result = cli("import-qdpx", copy, data_path, "--json")
    assert result.code == 0, result.err

    assert decisions(copy) == decisions(project_path)
    with Project.open(project_path) as a, Project.open(copy) as b:
        for table in (interviews.c.name, interviews.c.text, segments.c.start, segments.c.end):
            query = select(interviews.c.name, table).join(
                segments, segments.c.interview_id == interviews.c.id
            )
            with a.reading() as ca, b.reading() as cb:
                assert set(ca.execute(query).all()) == set(cb.execute(query).all())
        with a.reading() as ca, b.reading() as cb:
            attrs = select(
                cases.c.name, cases.c.profile, cases.c.role, cases.c.branch, cases.c.extra
            )
            assert set(map(str, ca.execute(attrs).all())) == set(map(str, cb.execute(attrs).all()))
            memo = select(
                memos.c.code,
                memos.c.text,
                memos.c.coder,
                memos.c.segment_id.is_(None),
                memos.c.interview_id.is_(None),
            )
            assert set(ca.execute(memo).all()) == set(cb.execute(memo).all())
            from qualkit.export import project_codebook

            original = parse_codebook(CODEBOOK_YAML).codes
            assert project_codebook(cb).codes == project_codebook(ca).codes == original

    again = cli("import-qdpx", copy, data_path, "--json")  # a second import changes nothing
    assert again.code == 0, again.err
    assert decisions(copy) == decisions(project_path)
    with Project.open(copy) as b, b.reading() as cb:
        assert len(cb.execute(select(memos.c.id)).all()) == 4


def test_refi_qdpx_import_into_the_same_project_reuses_its_interviews(
    cli, project_path, study, tmp_path
):
    data_path = tmp_path / "etude.qdpx"
    export_qdpx(cli, project_path, data_path)
    before = decisions(project_path)
    result = cli("import-qdpx", project_path, data_path, "--coder", "carla", "--json")
    assert result.code == 0, result.err
    after = decisions(project_path)
    assert {d for d in after if d[4] == "carla"} == {(*d[:4], "carla") for d in before}
    with Project.open(project_path) as proj, proj.reading() as conn:
        assert len(conn.execute(select(interviews.c.id)).all()) == 2


def test_refi_qdpx_selection_off_the_segments_codes_the_overlapping_segment(
    cli, project_path, study, tmp_path
):
    """A selection from another tool (a part of a segment) codes the segment it lies in."""
    seg = study["segments"]["entretien_b.txt", 0]
    start, end = seg["start"] + 6, seg["start"] + 40
    qdpx = tmp_path / "foreign.qdpx"
    text = INTERVIEW_B_TEXT(project_path)
    with zipfile.ZipFile(qdpx, "w") as archive:
        archive.writestr("project.qde", FOREIGN.format(text=text, start=start, end=end))
    copy = tmp_path / "copy.qualkit"
    cli("init", copy)
    result = cli("import-qdpx", copy, qdpx, "--json")
    assert result.code == 0, result.err
    assert '"inexact_selections": 1' in result.out
    assert decisions(copy) == {
        ("entretien_b.txt", seg["start"], seg["end"], "besoins_de_formation", "Marie")
    }
    with Project.open(copy) as proj, proj.reading() as conn:
        assert conn.execute(select(cases.c.branch)).scalar() == "Chimie"


def INTERVIEW_B_TEXT(project) -> str:  # noqa: N802
    with Project.open(project) as proj, proj.reading() as conn:
        return conn.execute(
            select(interviews.c.text).where(interviews.c.name == "entretien_b.txt")
        ).scalar()


FOREIGN = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="NVivo study">
 <Users><User guid="{{AAAAAAAA-0000-0000-0000-000000000001}}" name="Marie"/></Users>
 <CodeBook><Codes>
  <Code guid="c0000000-0000-0000-0000-000000000001" name="Besoins de formation" isCodable="true"
        color="#0a0"/>
 </Codes></CodeBook>
 <Variables><Variable guid="b0000000-0000-0000-0000-000000000001" name="branch"
   typeOfVariable="Text"/></Variables>
 <Cases><Case guid="d0000000-0000-0000-0000-000000000001" name="cas B">
  <VariableValue><VariableRef targetGUID="b0000000-0000-0000-0000-000000000001"/>
   <TextValue>Chimie</TextValue></VariableValue>
  <SourceRef targetGUID="e0000000-0000-0000-0000-000000000001"/></Case></Cases>
 <Sources><TextSource guid="e0000000-0000-0000-0000-000000000001" name="entretien_b.txt">
  <PlainTextContent>{text}</PlainTextContent>
  <PlainTextSelection guid="f0000000-0000-0000-0000-000000000001" startPosition="{start}"
     endPosition="{end}">
   <Coding guid="f0000000-0000-0000-0000-000000000002"
     creatingUser="aaaaaaaa-0000-0000-0000-000000000001">
    <CodeRef targetGUID="c0000000-0000-0000-0000-000000000001"/></Coding>
  </PlainTextSelection></TextSource>
  <PDFSource guid="e0000000-0000-0000-0000-000000000002" name="annexe.pdf"/>
 </Sources>
</Project>
"""


def test_refi_qdpx_import_refuses_a_source_whose_text_changed(cli, project_path, study, tmp_path):
    qdpx = tmp_path / "changed.qdpx"
    with zipfile.ZipFile(qdpx, "w") as archive:
        archive.writestr("project.qde", FOREIGN.format(text="Autre texte.", start=0, end=5))
    before = dump(project_path)
    result = cli("import-qdpx", project_path, qdpx)
    assert result.code == 2 and "different text" in result.err
    assert dump(project_path) == before


ENTITY = '<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><Project name="&x;"/>'
LAUGHS = '<!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Project name="&b;"/>'


def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK not really a zip", "not a REFI-QDA project (.qdpx is a zip archive)"),
        (_zip({"other.xml": "<Project/>"}), "no project.qde"),
        (_zip({"project.qde": ENTITY}), "declares an entity or external reference"),
        (_zip({"project.qde": LAUGHS}), "declares an entity or external reference"),
        (_zip({"project.qde": "<Project name='x'><Users>"}), "not well-formed XML"),
        (_zip({"project.qde": "<CodeBook/>"}), "not <Project>"),
        (
            _zip({"project.qde": FOREIGN.format(text="abc", start=1, end=99)}),
            "lies outside the text",
        ),
    ],
)
def test_refi_qdpx_import_refuses_bad_files_in_one_line(
    cli, project_path, tmp_path, content, message
):
    bad = tmp_path / "bad.qdpx"
    bad.write_bytes(content)
    before = dump(project_path)
    result = cli("import-qdpx", project_path, bad)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and str(bad) in lines[0]
    assert dump(project_path) == before


def test_refi_qdc_round_trip_gives_back_the_codebook(cli, project_path, study, tmp_path):
    qdc, yaml_out = tmp_path / "codes.qdc", tmp_path / "codes.yaml"
    assert cli("export", project_path, "--format", "qdc", "-o", qdc).code == 0
    result = cli("import-qdc", qdc, "-o", yaml_out)
    assert result.code == 0, result.err
    back = load_codebook(yaml_out)
    original = parse_codebook(CODEBOOK_YAML)
    assert back.codes == original.codes
    assert cli("import-qdc", qdc, "-o", yaml_out).code == 2  # no silent overwrite
    assert cli("import-qdc", qdc, "-o", yaml_out, "--force").code == 0


def test_refi_qdc_from_another_tool_gets_ids_parents_and_colours(tmp_path):
    qdc = b"""<?xml version="1.0"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
 <Code guid="00000000-0000-0000-0000-000000000001" name="S\xc3\xa9curit\xc3\xa9 des donn\xc3\xa9es"
       isCodable="false" color="#F00">
  <Code guid="00000000-0000-0000-0000-000000000002" name="Fuites" isCodable="true">
   <Description>Des donn\xc3\xa9es partent ailleurs.</Description></Code>
 </Code>
 <Code guid="00000000-0000-0000-0000-000000000003" name="2024 !" isCodable="true"/>
</Codes></CodeBook>"""
    book = read_qdc(qdc, tmp_path / "nvivo.qdc")
    assert [(c.id, c.parent, c.color) for c in book.codes] == [
        ("securite_des_donnees", None, "#FF0000"),
        ("fuites", "securite_des_donnees", None),
        ("code_2024", None, None),
    ]
    assert book.code("fuites").definition == "Des données partent ailleurs."
    assert book.code("code_2024").definition == "2024 !"


def test_refi_schema_is_packaged():
    assert b'targetNamespace="urn:QDA-XML:project:1.0"' in SCHEMA.read_bytes()
