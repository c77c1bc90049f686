"""Tabular exports: one row per coded segment and code, with case attributes; xlsx sheets."""

from __future__ import annotations

import csv
import io

import pytest
from coded_study import build

from qualkit.export import BASE_COLUMNS, coded_rows, sheet_names
from qualkit.store import Project
from qualkit.store.schema import interviews


@pytest.fixture
def study(cli, project_path, tmp_path):
    return build(cli, project_path, tmp_path / "transcripts")


@pytest.mark.parametrize(
    ("include_suggested", "expected"),
    [
        (
            False,
            {
                ("entretien_a.txt", "job_threat", "alice", "accepted"),
                ("entretien_a.txt", "job_threat", "bob", "accepted"),
                ("entretien_a.txt", "data_security", "alice", "rejected"),
                ("entretien_b.txt", "training_needs", "alice", "accepted"),
                ("entretien_b.txt", "prompting", "bob", "accepted"),
            },
        ),
        (
            True,
            {
                ("entretien_a.txt", "job_threat", "alice", "accepted"),
                ("entretien_a.txt", "job_threat", "bob", "accepted"),
                ("entretien_a.txt", "data_security", "alice", "rejected"),
                ("entretien_b.txt", "training_needs", "alice", "accepted"),
                ("entretien_b.txt", "prompting", "bob", "accepted"),
                ("entretien_a.txt", "data_security", "auto", "suggested"),
            },
        ),
    ],
)
def test_export_csv_rows_are_decisions_and_passing_suggestions(
    cli, project_path, study, tmp_path, include_suggested, expected
):
    out = tmp_path / "codings.csv"
    args = ["export", project_path, "--format", "csv", "-o", out]
    result = cli(*args, *(["--include-suggested"] if include_suggested else []))
    assert result.code == 0, result.err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the accents right
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {(r["interview"], r["code"], r["coder"], r["status"]) for r in rows} == expected
    header = list(rows[0])
    assert header[: len(BASE_COLUMNS)] == list(BASE_COLUMNS)
    for column in ("case", "profile", "role", "branch", "company_size", "function"):
        assert column in header
    auto = [r for r in rows if r["coder"] == "auto"]
    assert all(r["origin"] == "auto" and r["score"] == "0.91" for r in auto)
    assert "interviewer" not in header  # how the interview was read is not a case attribute


def test_export_csv_text_is_the_interview_text_at_the_offsets(project_path, study):
    with Project.open(project_path) as proj, proj.reading() as conn:
        rows, _ = coded_rows(conn)
        texts = {r["interview"]: r["text"] for r in study["segments"].values()}
        full = dict(
            conn.execute(
                interviews.select().with_only_columns(interviews.c.name, interviews.c.text)
            ).all()
        )
    assert texts  # the study has segments
    for row in rows:
        assert row["text"] == full[row["interview"]][row["start"] : row["end"]]
        assert row["speaker"] in ("R", "[PERSONNE_1]")  # "Camille" is pseudonymised
    a = next(r for r in rows if r["interview"] == "entretien_a.txt")
    assert (a["profile"], a["role"], a["function"]) == ("cadre", "Responsable qualité", "Qualité")
    assert next(r for r in rows if r["code"] == "job_threat")["code_label"] == "Menace sur l'emploi"


def test_export_xlsx_has_a_summary_and_one_sheet_per_code(cli, project_path, study, tmp_path):
    import pandas as pd

    out = tmp_path / "etude.xlsx"
    result = cli("export", project_path, "--format", "xlsx", "-o", out, "--json")
    assert result.code == 0, result.err
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets) == ["Résumé", "job_threat", "data_security", "training_needs", "prompting"]
    summary = sheets["Résumé"].set_index("code")
    assert summary.loc["job_threat", "accepted_segments"] == 1  # two coders, one segment
    assert summary.loc["job_threat", "interviews"] == 1
    assert summary.loc["data_security", "rejected"] == 1
    assert summary.loc["training_needs", "accepted_recruteur"] == 1
    assert summary.loc["training_needs", "accepted_cadre"] == 0
    assert len(sheets["job_threat"]) == 2
    assert list(sheets["data_security"]["status"]) == ["rejected"]
    assert set(sheets["job_threat"]["coder"]) == {"alice", "bob"}
    assert sheets["prompting"].loc[0, "branch"] == "Chimie"


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["job_threat"], ["job_threat"]),
        (["a" * 40], ["a" * 31]),
        (["a" * 40, "a" * 41], ["a" * 31, "a" * 29 + "_2"]),
        (["a/b:c"], ["a_b_c"]),
        (["Résumé"], ["Résumé_2"]),
    ],
)
def test_export_sheet_names_are_valid_and_unique(codes, expected):
    assert list(sheet_names(codes).values()) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "pdf", "-o", "{tmp}/x.pdf"], "--format must be one of"),
        (["--format", "csv", "-o", "{tmp}/nofolder/x.csv"], "folder does not exist"),
    ],
)
def test_export_refuses_bad_arguments_in_one_line(
    cli, project_path, study, tmp_path, args, message
):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = cli("export", project_path, *args)
    assert result.code == 2
    assert message in result.err and len(result.err.strip().splitlines()) == 1
