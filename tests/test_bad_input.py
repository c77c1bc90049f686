"""Bad input: one line naming the file and the problem, exit 2, no traceback, project unchanged."""

from __future__ import annotations

import docx
import pytest
from conftest import dump, write

GOOD = "Q : Bonjour ?\nR : Bonjour, je suis acheteur depuis dix ans.\n"


def _truncated_docx(path):
    document = docx.Document()
    document.add_paragraph("Q : Bonjour ?")
    document.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


BAD_TRANSCRIPTS = {
    "empty.txt": lambda p: p.write_bytes(b""),
    "binary.txt": lambda p: p.write_bytes(bytes(range(256)) * 40),
    "truncated.docx": _truncated_docx,
    "fake.docx": lambda p: p.write_text("Q : this is text, not Word"),
    "slides.pptx": lambda p: p.write_bytes(b"PK\x03\x04"),
}


@pytest.mark.parametrize("name", sorted(BAD_TRANSCRIPTS))
def test_bad_input_transcripts(cli, project_path, tmp_path, name):
    write(tmp_path / "good.txt", GOOD)
    cli("import", project_path, tmp_path / "good.txt")
    before = dump(project_path)
    bad = tmp_path / name
    BAD_TRANSCRIPTS[name](bad)
    result = cli("import", project_path, tmp_path / "good.txt", bad)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "Traceback" not in result.err
    assert dump(project_path) == before


def test_bad_input_no_speaker_imports_with_warning(cli, project_path, tmp_path):
    result = cli("import", project_path, write(tmp_path / "notes.txt", "Juste des notes.\n"))
    assert result.code == 0
    assert "single speaker" in result.err and "notes.txt" in result.err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("schema_version: 1\ncodes: [\n", "YAML syntax error"),
        (
            "schema_version: 1\ncodes:\n  - {id: a, label: {fr: A}, definition: x}\n"
            "  - {id: a, label: {fr: B}, definition: y}\n",
            "duplicate code id 'a'",
        ),
    ],
)
def test_bad_input_codebook(cli, tmp_path, content, problem):
    path = write(tmp_path / "cb.yaml", content)
    result = cli("codebook", "check", path)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and problem in lines[0]


@pytest.mark.parametrize("command", [["status"], ["segments"], ["import", "x.txt"]])
def test_bad_input_not_a_project(cli, tmp_path, command):
    fake = write(tmp_path / "notes.qualkit", "just text")
    before = fake.read_bytes()
    result = cli(command[0], fake, *command[1:])
    assert result.code == 2 and str(fake) in result.err and "not a qualkit project" in result.err
    assert fake.read_bytes() == before


def test_bad_input_cases_csv_names_row(cli, project_path, tmp_path):
    write(tmp_path / "e1.txt", GOOD)
    write(tmp_path / "cases.csv", "file,profile\ne1.txt,cadre\ne2.txt,astronaute\n")
    before = dump(project_path)
    result = cli("import", project_path, tmp_path)
    assert result.code == 2 and "cases.csv:3: profile: unknown profile 'astronaute'" in result.err
    assert dump(project_path) == before


def test_bad_input_folder_instead_of_file(cli, tmp_path):
    result = cli("codebook", "check", tmp_path)
    assert result.code == 2
    assert result.err.strip().count("\n") == 0 and str(tmp_path) in result.err
    assert "Traceback" not in result.err


def test_bad_input_huge_transcript(cli, project_path, tmp_path):
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"Q : Bonjour ?\nR : " + b"bla " * (6 * 1024 * 1024))
    before = dump(project_path)
    result = cli("import", project_path, huge)
    assert result.code == 2 and "huge.txt" in result.err and "MB" in result.err
    assert dump(project_path) == before


def test_bad_input_zip_bomb_docx(cli, project_path, tmp_path):
    import zipfile

    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (50 * 1024 * 1024))
    before = dump(project_path)
    result = cli("import", project_path, bomb)
    assert result.code == 2 and "bomb.docx" in result.err and "zip bomb" in result.err
    assert dump(project_path) == before
