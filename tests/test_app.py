"""The Streamlit pages (streamlit.testing.v1.AppTest): every page renders on the demo project,
a small coded project and an empty one; review actions and codebook edits reach the file."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from test_review import CODEBOOK_YAML, build_project

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "exports" / "demo" / "study.qualkit"
PAGES = [
    "ui/study.py",
    "ui/review.py",
    "ui/interview.py",
    "ui/codebook.py",
    "ui/topics.py",
    "ui/quotes.py",
    "ui/report.py",
]


def copy_project(source: Path, target: Path) -> Path:
    """A consistent copy of a project in WAL mode (SQLite's backup API reads the WAL too)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def app(monkeypatch, project: Path, codebook: Path, coder: str | None = "marie"):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(sys, "argv", ["app.py", str(project), "--codebook", str(codebook)])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if coder:
        at.session_state["coder"] = coder
    return at


@pytest.fixture
def small(cli, project_path, tmp_path) -> tuple[Path, Path, dict]:
    codebook = tmp_path / "codebook.yaml"
    ids = build_project(cli, project_path, tmp_path / "src", codebook)
    return project_path, codebook, ids


@pytest.fixture(params=["demo", "small", "empty"])
def any_project(request, tmp_path, cli, project_path) -> tuple[Path, Path]:
    codebook = tmp_path / "codebook.yaml"
    if request.param == "demo":
        if not DEMO.exists():
            pytest.skip("no demo project: run `make demo` first")
        shutil.copy(ROOT / "codebook" / "codebook.yaml", codebook)
        return copy_project(DEMO, tmp_path / "demo.qualkit"), codebook
    if request.param == "small":
        build_project(cli, project_path, tmp_path / "src", codebook)
        return project_path, codebook
    codebook.write_text(CODEBOOK_YAML, encoding="utf-8")
    return project_path, codebook


def test_app_asks_the_coder_name_once(monkeypatch, small):
    project, codebook, _ = small
    at = app(monkeypatch, project, codebook, coder=None).run()
    assert not at.exception
    at.text_input(key="coder_input").input("auto")
    at.button[0].click().run()
    assert "coder" not in at.session_state and at.error
    at.text_input(key="coder_input").input("Marie D.")
    at.button[0].click().run()
    assert at.session_state["coder"] == "Marie D."
    assert not at.exception and any("Marie D." in m.value for m in at.sidebar.markdown)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_app_every_page_renders(monkeypatch, any_project, lang):
    project, codebook = any_project
    at = app(monkeypatch, project, codebook).run()
    at.session_state["lang"] = lang
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])


@pytest.mark.parametrize("button,status", [("acc", "accepted"), ("rej", "rejected")])
def test_app_review_decision_reaches_the_file(monkeypatch, small, button, status):
    project, codebook, ids = small
    at = app(monkeypatch, project, codebook).run()
    first = ids["entretien_a.txt", 1]  # the least certain suggestion
    at.button(key=f"{button}_{first}_data_security").click().run()
    assert not at.exception
    with sqlite3.connect(project) as db:
        assert db.execute(
            "SELECT segment_id, code, status FROM codings WHERE coder='marie'"
        ).fetchall() == [(first, "data_security", status)]
    # the next card is on screen
    assert at.button(key=f"acc_{ids['entretien_b.txt', 1]}_job_threat")


def test_app_review_skip_memo_and_added_code(monkeypatch, small):
    project, codebook, ids = small
    at = app(monkeypatch, project, codebook).run()
    first, second = ids["entretien_a.txt", 1], ids["entretien_b.txt", 1]
    at.text_area(key=f"memo_{first}").input("À discuter.")
    at.button(key=f"memobtn_{first}").click().run()
    at.selectbox(key=f"addsel_{first}").set_value("training_needs")
    at.button(key=f"add_{first}").click().run()
    at.button(key=f"skip_{first}").click().run()
    assert not at.exception
    assert at.button(key=f"acc_{second}_job_threat")
    with sqlite3.connect(project) as db:
        assert db.execute("SELECT coder, text FROM memos").fetchall() == [("marie", "À discuter.")]
        assert db.execute("SELECT code, origin FROM codings WHERE coder='marie'").fetchall() == [
            ("training_needs", "human")
        ]


def test_app_codebook_edit_creates_a_version(monkeypatch, small):
    project, codebook, _ = small
    at = app(monkeypatch, project, codebook).run()
    at.switch_page("ui/codebook.py").run()
    at.text_area[0].input("Crainte que l'IA supprime des postes.")
    next(b for b in at.button if b.label.startswith("Enregistrer une")).click().run()
    assert not at.exception and at.success
    with sqlite3.connect(project) as db:
        assert db.execute("SELECT max(version) FROM codebook_versions").fetchone() == (2,)
    assert "Crainte que l'IA supprime des postes." in codebook.read_text(encoding="utf-8")


def test_app_interview_page_codes_by_hand(monkeypatch, small):
    project, codebook, ids = small
    at = app(monkeypatch, project, codebook).run()
    at.switch_page("ui/interview.py").run()
    segment = ids["entretien_a.txt", 0]
    at.selectbox(key="iv_seg").set_value(segment)
    at.multiselect(key="iv_codes").set_value(["job_threat"]).run()
    next(b for b in at.button if b.label == "Enregistrer").click().run()
    assert not at.exception
    with sqlite3.connect(project) as db:
        assert db.execute(
            "SELECT segment_id, code, status FROM codings WHERE coder='marie'"
        ).fetchall() == [(segment, "job_threat", "accepted")]
