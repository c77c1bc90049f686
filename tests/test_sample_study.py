"""The bundled sample study imports completely, with the speakers and cases it declares."""

from __future__ import annotations

import csv
import json

import pytest
from conftest import SAMPLE

from qualkit.store import Project
from qualkit.store.study import segment_rows


@pytest.fixture(scope="module")
def sample_project(tmp_path_factory):
    from qualkit.importing import import_paths

    path = tmp_path_factory.mktemp("sample") / "study.qualkit"
    with Project.create(path) as project:
        result = import_paths(project, [SAMPLE])
    return path, result


def test_sample_study_counts(sample_project, cli):
    path, result = sample_project
    assert len(result.added) == 14 and not result.warnings
    status = json.loads(cli("status", path, "--json").out)
    assert status["interviews"] == 14
    assert status["turns"] == 687
    assert status["segments"] == 1120
    assert status["cases_by_profile"] == {"cadre": 8, "recruteur": 3, "expert": 3}
    formats = {row["format"] for row in status["per_interview"]}
    assert formats == {"txt", "docx", "vtt"}


def test_sample_study_interviewers_match_cases_csv(sample_project, cli):
    path, _ = sample_project
    with open(SAMPLE / "cases.csv", encoding="utf-8") as handle:
        expected = {row["file"]: row["interviewer"] for row in csv.DictReader(handle)}
    pseudonyms = json.loads(cli("pseudonyms", path, "--json").out)["pseudonyms"]
    placeholder = {form: row["placeholder"] for row in pseudonyms for form in row["forms"]}
    for name, interviewer in expected.items():
        rows = json.loads(cli("speakers", path, name, "--json").out)
        # Initials ("LM") name someone: the label became that person's placeholder.
        shown = placeholder.get(interviewer, interviewer)
        assert [r["speaker"] for r in rows if r["role"] == "interviewer"] == [shown], name
        assert len(rows) == 2


def test_sample_study_offsets_hold(sample_project):
    path, _ = sample_project
    with Project.open(path) as project, project.reading() as conn:
        texts = dict(conn.exec_driver_sql("select id, text from interviews").all())
        rows = segment_rows(conn)
    assert rows
    for row in rows:
        assert texts[row["interview_id"]][row["start"] : row["end"]] == row["text"]
        assert row["text"] == row["text"].strip()
