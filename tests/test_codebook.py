"""Codebook loading: valid files load, every mistake names the file, the line and the field."""

from __future__ import annotations

import pytest
from conftest import CODEBOOK, write

from qualkit.codebook import load_codebook, parse_codebook
from qualkit.errors import QualkitError

VALID = """\
schema_version: 1
name: test
codes:
  - id: job_threat
    label: {fr: Menace sur l'emploi, en: Threat to jobs}
    definition: Peur que l'IA remplace des postes.
    examples: ["On sera moins nombreux."]
    patterns: ["supprimer poste"]
  - id: sub_threat
    label: {fr: Sous-code}
    definition: Un sous-code.
    parent: job_threat
    threshold: 0.4
"""


def test_codebook_valid_loads():
    codebook = parse_codebook(VALID)
    assert codebook.ids == ["job_threat", "sub_threat"]
    assert codebook.code("sub_threat").parent == "job_threat"
    assert codebook.code("job_threat").title("en") == "Threat to jobs"
    assert parse_codebook(codebook.to_yaml()) == codebook


def test_codebook_sample_study_has_the_five_themes():
    codebook = load_codebook(CODEBOOK)
    ids = set(codebook.ids)
    assert {"job_threat", "deskilling", "data_security", "training_needs", "shadow_it"} <= ids
    for code in codebook.codes:
        assert code.definition and code.include and code.exclude and len(code.examples) >= 10


@pytest.mark.parametrize(
    ("edit", "line", "field", "problem"),
    [
        (
            lambda t: t.replace("    definition: Un sous-code.\n", ""),
            9,
            "codes[1].definition",
            "missing required field 'definition'",
        ),
        (
            lambda t: t.replace("    threshold: 0.4", "    treshold: 0.4"),
            13,
            "codes[1].treshold",
            "unknown key 'treshold'",
        ),
        (
            lambda t: t.replace("id: sub_threat", "id: job_threat"),
            9,
            "codes[1].id",
            "duplicate code id 'job_threat'",
        ),
        (
            lambda t: t.replace("parent: job_threat", "parent: nowhere"),
            12,
            "codes[1].parent",
            "unknown parent 'nowhere'",
        ),
        (
            lambda t: t.replace("    examples:", "    parent: sub_threat\n    examples:"),
            7,
            "codes[0].parent",
            "parent cycle: job_threat -> sub_threat -> job_threat",
        ),
        (
            lambda t: t.replace("threshold: 0.4", "threshold: 4"),
            13,
            "codes[1].threshold",
            "less than or equal to 1",
        ),
        (
            lambda t: t.replace("schema_version: 1", "schema_version: 9"),
            1,
            "schema_version",
            "unsupported schema version 9",
        ),
    ],
)
def test_codebook_errors_name_line_and_field(tmp_path, edit, line, field, problem):
    path = write(tmp_path / "cb.yaml", edit(VALID))
    with pytest.raises(QualkitError) as info:
        load_codebook(path)
    error = info.value
    assert (error.path, error.line, error.field) == (str(path), line, field)
    assert problem in error.problem
    assert error.message.startswith(f"{path}:{line}: {field}: ")


def test_codebook_yaml_syntax_error_names_line(tmp_path):
    path = write(tmp_path / "cb.yaml", VALID.replace("label: {fr: Sous-code}", "label: {fr: [x"))
    with pytest.raises(QualkitError) as info:
        load_codebook(path)
    assert info.value.line is not None and "YAML syntax error" in info.value.problem


def test_codebook_missing_file(tmp_path):
    with pytest.raises(QualkitError, match="no such codebook"):
        load_codebook(tmp_path / "nope.yaml")
