"""The Agreement page (streamlit.testing.v1.AppTest): figures of two coders on a small real
project, settling a disagreement from the page, and the page on the demo and empty projects."""

from __future__ import annotations

import html
import json
import shutil
import sqlite3

import pytest
from test_agreement import ANSWERS, CODEBOOK, build, code_project
from test_app import DEMO, ROOT, app, copy_project

PAGE = "ui/agreement.py"


@pytest.fixture
def two_coders(cli, project_path, tmp_path):
    ids = build(cli, project_path, tmp_path / "src")
    code_project(project_path, ids)
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text(CODEBOOK, encoding="utf-8")
    return project_path, codebook, ids


@pytest.mark.parametrize(
    ("lang", "kappa", "heading"),
    [("fr", "0,62", "Désaccords (2 à trancher)"), ("en", "0.62", "Disagreements (2 to settle)")],
)
def test_app_agreement_shows_the_figures(monkeypatch, two_coders, lang, kappa, heading):
    project, codebook, _ = two_coders
    at = app(monkeypatch, project, codebook).run()
    at.session_state["lang"] = lang
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    assert at.multiselect(key="agr_coders").value == ["alice", "bob"]
    # pooled over 4 segments x 3 codes: kappa 10/16, agreement 10/12
    assert [m.value for m in at.metric] == [
        "83,3 %" if lang == "fr" else "83.3%", kappa, at.metric[2].value, "12"]  # fmt: skip
    table = at.dataframe[0].value
    assert len(table) == 4  # three codes and all codes
    variation = {"fr": "kappa ou alpha non défini : aucune variation",
                 "en": "kappa or alpha undefined: no variation"}  # fmt: skip
    assert table.iloc[2].tolist()[-1] == variation[lang]  # training_needs: nobody used it
    assert table.iloc[0].tolist()[1:4] == [4, "50,0 %" if lang == "fr" else "50.0%", "-0,33"
                                           if lang == "fr" else "-0.33"]  # fmt: skip
    assert heading in [s.value for s in at.subheader]
    texts = " ".join(m.value for m in at.markdown)
    shown = [a for a in ANSWERS if html.escape(a) in texts]
    assert shown == [ANSWERS[2], ANSWERS[3]]  # side by side: each coder's codes in a column


def test_app_agreement_settle_records_consensus_and_log(monkeypatch, two_coders):
    project, codebook, ids = two_coders
    at = app(monkeypatch, project, codebook).run()
    at.switch_page(PAGE).run()
    chosen = at.multiselect(key=f"agr_sel_{ids[3]}")
    assert chosen.value == ["data_security"]  # preset to what both coders gave
    chosen.set_value(["data_security", "job_threat"])
    at.button(key=f"agr_settle_{ids[3]}").click().run()
    assert not at.exception and not at.error
    with sqlite3.connect(project) as db:
        assert db.execute(
            "SELECT code, status FROM codings WHERE coder = 'consensus' ORDER BY code"
        ).fetchall() == [("data_security", "accepted"), ("job_threat", "accepted")]
        log = db.execute(
            "SELECT coder, segment_id, before, after FROM decision_log WHERE action = 'settle'"
        ).fetchall()
        people = db.execute(
            "SELECT coder, code, status FROM codings WHERE segment_id = ? AND coder = 'bob'",
            (ids[2],),
        ).fetchall()
    assert [(c, s) for c, s, _, _ in log] == [("marie", ids[3])]
    assert json.loads(log[0][2])["alice"] == ["data_security"]
    assert json.loads(log[0][3]) == ["data_security", "job_threat"]
    assert people == [("bob", "job_threat", "rejected")]  # nobody's rows changed
    assert "Désaccords (1 à trancher)" in [s.value for s in at.subheader]
    assert not any(b.key == f"agr_settle_{ids[3]}" for b in at.button)
    at.checkbox(key="agr_show_settled").check().run()
    assert any("Tranché par marie" in c.value for c in at.caption)


def test_app_agreement_include_auto_adds_a_coder(monkeypatch, two_coders):
    project, codebook, _ = two_coders
    at = app(monkeypatch, project, codebook).run()
    at.switch_page(PAGE).run()
    at.checkbox(key="agr_auto").check().run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert table.iloc[-1].tolist()[0] == "auto-codage vs personnes"
    assert at.dataframe[1].value.iloc[:, 0].tolist() == [
        "alice / bob",
        "alice / auto",
        "bob / auto",
    ]


@pytest.mark.parametrize("which", ["demo", "empty"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_app_agreement_renders_on_demo_and_empty_projects(
    monkeypatch, tmp_path, project_path, which, lang
):
    codebook = tmp_path / "codebook.yaml"
    if which == "demo":
        if not DEMO.exists():
            pytest.skip("no demo project: run `make demo` first")
        shutil.copy(ROOT / "codebook" / "codebook.yaml", codebook)
        project = copy_project(DEMO, tmp_path / "demo.qualkit")
    else:
        codebook.write_text(CODEBOOK, encoding="utf-8")
        project = project_path
    at = app(monkeypatch, project, codebook).run()
    at.session_state["lang"] = lang
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    if which == "demo":  # `make demo` records two consultants: their figures show at once
        assert sorted(at.multiselect(key="agr_coders").value) == ["analyste", "consultante"]
        assert at.metric and not at.info
    else:
        assert at.info  # nobody has coded: choose two
    at.checkbox(key="agr_auto").check().run()
    assert not at.exception and not at.error
