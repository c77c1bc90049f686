"""Coder accounts, sign-in, permissions, assignments and blind coding (qualkit.team and the
review stage) on both backends (an SQLite file, and PostgreSQL when QUALKIT_TEST_POSTGRES is
set); the CLI in process and the sign-in in AppTest, on real SQLite files."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from test_review import build_project, rows

from qualkit import review, team
from qualkit.errors import QualkitError
from qualkit.store import Project
from qualkit.store.schema import coders, codings

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "exports" / "demo" / "study.qualkit"
CODES = ["job_threat", "data_security", "training_needs"]
PASSWORDS = {"lea": "lea-lead-pass", "marie": "marie-pass-1", "paul": "paul-pass-22"}


@pytest.fixture
def small(cli, project_location, tmp_path) -> tuple[str, Path, dict]:
    """Two tiny interviews with hand-made suggestions on every respondent segment."""
    codebook = tmp_path / "codebook.yaml"
    ids = build_project(cli, project_location, tmp_path / "src", codebook)
    return project_location, codebook, ids


@pytest.fixture
def small_file(cli, project_path, tmp_path) -> tuple[Path, Path, dict]:
    """The same, in a real SQLite file (for the CLI and the UI)."""
    codebook = tmp_path / "codebook.yaml"
    ids = build_project(cli, project_path, tmp_path / "src", codebook)
    return project_path, codebook, ids


def _with_accounts(location) -> Project:
    proj = Project.open(location)
    with proj.transaction() as conn:
        team.add_coder(conn, "lea", PASSWORDS["lea"], lead=True)
        team.add_coder(conn, "marie", PASSWORDS["marie"])
        team.add_coder(conn, "paul", PASSWORDS["paul"])
    return proj


@pytest.fixture
def accounts(small) -> tuple[Project, dict]:
    """The small project with a lead (lea) and two coders (marie, paul)."""
    proj = _with_accounts(small[0])
    yield proj, small[2]
    proj.close()


@pytest.fixture
def file_accounts(small_file) -> tuple[Project, dict]:
    proj = _with_accounts(small_file[0])
    yield proj, small_file[2]
    proj.close()


def _iid(proj: Project, name: str) -> int:
    with proj.reading() as conn:
        return next(r["id"] for r in review.interview_list(conn) if r["name"] == name)


# --- passwords and accounts -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "password", "expected"),
    [
        ("lea", "lea-lead-pass", "lead"),
        ("marie", "marie-pass-1", "coder"),
        (" marie ", "marie-pass-1", "coder"),  # the name is trimmed, as when it was created
        ("marie", "marie-pass-2", None),
        ("marie", "MARIE-PASS-1", None),
        ("marie", "", None),
        ("marie", "lea-lead-pass", None),  # another account's password
        ("nobody", "marie-pass-1", None),
    ],
)
def test_team_verify_right_and_wrong_passwords(accounts, name, password, expected):
    proj, _ = accounts
    assert team.verify(proj, name, password) == expected


def test_team_stored_hash_is_argon2id_never_the_password(accounts):
    proj, _ = accounts
    stored = dict(rows(proj, "SELECT name, password_hash FROM coders"))
    assert set(stored) == set(PASSWORDS)
    for name, hashed in stored.items():
        assert hashed.startswith("$argon2id$") and PASSWORDS[name] not in hashed
    assert len(set(stored.values())) == 3  # salted: no two hashes alike


def test_team_weak_hash_is_replaced_on_sign_in(accounts):
    from argon2 import PasswordHasher

    proj, _ = accounts
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("marie-pass-1")
    with proj.transaction() as conn:
        conn.execute(update(coders).where(coders.c.name == "marie").values(password_hash=weak))
    assert team.verify(proj, "marie", "marie-pass-1") == "coder"
    [(stored,)] = rows(proj, "SELECT password_hash FROM coders WHERE name='marie'")
    assert stored != weak and "m=65536" in stored
    assert team.verify(proj, "marie", "marie-pass-1") == "coder"


def test_team_removed_coder_cannot_sign_in_and_keeps_decisions(accounts):
    proj, ids = accounts
    review.accept(proj, ids["entretien_a.txt", 0], "job_threat", "marie")
    with proj.transaction() as conn:
        team.deactivate(conn, "marie")
    assert team.verify(proj, "marie", "marie-pass-1") is None
    with proj.reading() as conn:
        listed = {r["name"]: r for r in team.list_coders(conn)}
    assert listed["marie"]["active"] is False and listed["marie"]["segments_decided"] == 1
    assert "password_hash" not in listed["marie"]


@pytest.mark.parametrize(
    ("action", "problem"),
    [
        (lambda c: team.add_coder(c, "zoe", "short"), "at least 8 characters"),
        (lambda c: team.add_coder(c, "auto", "long-enough"), "cannot be a coder's name"),
        (lambda c: team.add_coder(c, "  ", "long-enough"), "cannot be a coder's name"),
        (lambda c: team.add_coder(c, "marie", "long-enough"), "already has an account"),
        (lambda c: team.add_coder(c, "zoe", "long-enough", actor="marie"), "only a lead"),
        (lambda c: team.set_password(c, "paul", "long-enough", actor="marie"), "only a lead"),
        (lambda c: team.set_password(c, "ghost", "long-enough"), "no coder account 'ghost'"),
        (lambda c: team.deactivate(c, "lea"), "the last lead"),
        (lambda c: team.assign(c, ["marie"], ["entretien_a"], actor="paul"), "only a lead"),
        (lambda c: team.assign(c, ["ghost"], ["entretien_a"]), "no active coder account"),
        (lambda c: team.assign(c, ["marie"], ["nope"]), "no interview 'nope'"),
        (lambda c: team.assign(c, ["marie"], ["entretien_a"], sample=0), "at least 1"),
    ],
)
def test_team_refuses_bad_account_and_assignment_changes(accounts, action, problem):
    proj, _ = accounts
    with pytest.raises(QualkitError, match=problem), proj.transaction() as conn:
        action(conn)


def test_team_first_account_must_be_a_lead(project_location):
    with Project.open(project_location) as proj, proj.transaction() as conn:
        with pytest.raises(QualkitError, match="first account must be a lead"):
            team.add_coder(conn, "marie", "marie-pass-1")
        assert not team.has_accounts(conn)


def test_team_lead_sets_password_and_reopens_a_removed_account(accounts):
    proj, _ = accounts
    with proj.transaction() as conn:
        team.set_password(conn, "paul", "paul-new-pass", actor="lea")
        team.deactivate(conn, "marie", actor="lea")
        team.add_coder(conn, "marie", "marie-again-1", actor="lea")
    assert team.verify(proj, "paul", "paul-pass-22") is None
    assert team.verify(proj, "paul", "paul-new-pass") == "coder"
    assert team.verify(proj, "marie", "marie-again-1") == "coder"


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "target", "allowed"),
    [
        ("marie", "marie", True),
        ("marie", "paul", False),
        ("lea", "paul", True),
        ("lea", "lea", True),
        ("ghost", "ghost", False),  # no account while accounts exist
        ("lea", "auto", False),  # nobody writes the auto-coder's rows
    ],
)
def test_team_can_edit(accounts, actor, target, allowed):
    proj, _ = accounts
    with proj.reading() as conn:
        assert team.can_edit(conn, actor, target) is allowed


@pytest.mark.parametrize(
    "act",
    [
        lambda p, s, who: review.accept(p, s, "data_security", "paul", actor=who),
        lambda p, s, who: review.reject(p, s, "data_security", "paul", actor=who),
        lambda p, s, who: review.add_code(p, s, "training_needs", "paul", actor=who),
        lambda p, s, who: review.code_segment(p, s, ["job_threat"], CODES, "paul", actor=who),
        lambda p, s, who: review.add_memo(p, s, "Note.", "paul", actor=who),
    ],
)
def test_team_coder_cannot_change_another_coders_decisions_lead_can(accounts, act):
    proj, ids = accounts
    segment = ids["entretien_a.txt", 1]
    review.accept(proj, segment, "data_security", "paul")
    before = rows(proj, "SELECT * FROM codings ORDER BY id")
    with pytest.raises(QualkitError, match="'marie' cannot change decisions of 'paul'"):
        act(proj, segment, "marie")
    assert rows(proj, "SELECT * FROM codings ORDER BY id") == before
    act(proj, segment, "lea")  # the lead can
    log = rows(proj, "SELECT coder FROM decision_log")
    memos = rows(proj, "SELECT coder FROM memos")
    assert set(log + memos) == {("paul",)}  # recorded as paul's


def test_team_open_mode_keeps_working_without_accounts(small):
    path, _, ids = small
    segment = ids["entretien_a.txt", 1]
    with Project.open(path) as proj:
        review.accept(proj, segment, "data_security", "marie")  # any name, no password
        with pytest.raises(QualkitError, match="cannot change decisions of 'marie'"):
            review.reject(proj, segment, "data_security", "marie", actor="paul")
        with proj.reading() as conn:
            assert not team.has_accounts(conn)
            assert team.can_edit(conn, "paul", "paul") and not team.can_edit(conn, "paul", "x")


def test_team_account_mode_refuses_names_without_account(accounts):
    proj, ids = accounts
    with pytest.raises(QualkitError, match="no active account"):
        review.accept(proj, ids["entretien_a.txt", 1], "data_security", "ghost")


# --- assignments and what coders see ------------------------------------------------------------


def test_team_assigned_coder_queue_holds_only_their_interviews(accounts):
    proj, ids = accounts
    with proj.transaction() as conn:
        team.assign(conn, ["marie"], ["entretien_a.txt"], actor="lea")
    with proj.reading() as conn:
        assert review.queue(conn, "marie") == [ids["entretien_a.txt", 1], ids["entretien_a.txt", 0]]
        assert review.pending_count(conn, "marie") == 2
        assert len(review.queue(conn, "paul")) == 4  # no assignment: the whole project
        stats = review.progress(conn, "marie")
    assert [r["interview"] for r in stats["per_interview"]] == ["entretien_a.txt"]
    assert stats["segments_left"] == 2


def test_team_sample_is_the_same_for_every_coder_and_every_run(accounts):
    proj, ids = accounts
    b = [ids["entretien_b.txt", 0], ids["entretien_b.txt", 1]]
    with proj.transaction() as conn:
        first = team.assign(conn, ["marie", "paul"], ["entretien_b"], sample=1, hide_auto=True)
        again = team.assign(conn, ["marie", "paul"], ["entretien_b"], sample=1, hide_auto=True)
        everything = team.assign(conn, ["lea"], ["entretien_b"], sample=5)
    assert [r["segment_ids"] for r in first] == [r["segment_ids"] for r in again]
    [[chosen], [same]] = [r["segment_ids"] for r in first]
    assert chosen == same and chosen in b
    assert sorted(everything[0]["segment_ids"]) == sorted(b)  # N above the count: all of them
    with proj.reading() as conn:
        assert review.queue(conn, "marie") == [chosen] == review.queue(conn, "paul")
        rows = team.list_assignments(conn)
    assert len(rows) == 3 and {r["segments"] for r in rows} == {1, 2}


@pytest.mark.parametrize("blind", [True, False])
def test_team_blind_view_hides_other_peoples_decisions(accounts, blind):
    proj, ids = accounts
    segment = ids["entretien_a.txt", 1]
    review.accept(proj, segment, "data_security", "paul")
    review.add_memo(proj, segment, "Avis de Paul.", "paul")
    review.add_code(proj, segment, "training_needs", "marie")
    with proj.transaction() as conn:
        team.assign(conn, ["marie"], ["entretien_a"], blind=blind)
    with proj.reading() as conn:
        card = review.card(conn, segment, "marie")
        view = review.interview_view(conn, _iid(proj, "entretien_a.txt"), "marie")
        stats = review.progress(conn, "marie")
    seg = next(s for turn in view["turns"] for s in turn["segments"] if s["id"] == segment)
    people = {c["coder"] for c in seg["codings"]} - {"auto"}
    assert card.decisions == {"training_needs": "accepted"}
    assert [m["coder"] for m in card.memos] == ([] if blind else ["paul"])
    assert [m["coder"] for m in view["memos"]] == ([] if blind else ["paul"])
    assert people == ({"marie"} if blind else {"marie", "paul"})
    assert stats["per_interview"][0]["reviewed_by_others"] == (None if blind else 1)
    assert stats["per_code"]["data_security"]["accepted"] == (0 if blind else 1)


def test_team_hide_auto_codes_by_hand_every_assigned_segment(accounts):
    proj, ids = accounts
    unsuggested = ids["entretien_a.txt", 0]
    with proj.transaction() as conn:  # a segment the auto-coder suggested nothing for
        conn.execute(delete(codings).where(codings.c.segment_id == unsuggested))
        team.assign(conn, ["marie"], ["entretien_a", "entretien_b"], hide_auto=True)
        team.assign(conn, ["paul"], ["entretien_a", "entretien_b"], hide_auto=False)
    everything = sorted(ids.values())
    with proj.reading() as conn:
        assert sorted(review.queue(conn, "marie")) == everything
        assert unsuggested not in review.queue(conn, "paul")  # suggestions only, as before
        assert review.pending_count(conn, "marie") == len(everything)
        cards = [review.card(conn, s, "marie") for s in everything]
        view = review.interview_view(conn, _iid(proj, "entretien_a.txt"), "marie")
        assert team.visible_to(conn, "marie").manual_only
    assert all(c.manual and c.suggestions == [] and c.pending == [] for c in cards)
    assert not any(
        c["coder"] == "auto" for t in view["turns"] for s in t["segments"] for c in s["codings"]
    )
    review.code_segment(proj, unsuggested, ["job_threat"], CODES, "marie")
    with proj.reading() as conn:
        assert unsuggested not in review.queue(conn, "marie")
        assert review.card(conn, unsuggested, "marie").decisions == {
            "job_threat": "accepted",
            "data_security": "rejected",
            "training_needs": "rejected",
        }
        assert review.progress(conn, "marie")["segments_left"] == len(everything) - 1
    with pytest.raises(QualkitError, match="not in the codebook"):
        review.code_segment(proj, unsuggested, ["nope"], CODES, "marie")


def test_team_unassign_gives_the_whole_project_back(accounts):
    proj, _ = accounts
    with proj.transaction() as conn:
        team.assign(conn, ["marie"], ["entretien_a"], hide_auto=True)
        assert team.unassign(conn, ["marie"], ["entretien_a"]) == 1
    with proj.reading() as conn:
        assert team.visible_to(conn, "marie") == team.Visibility("marie")
        assert len(review.queue(conn, "marie")) == 4


@pytest.mark.skipif(not DEMO.exists(), reason="no demo project: run `make demo` first")
def test_team_older_project_gets_the_new_tables(tmp_path):
    from test_app import copy_project

    path = copy_project(DEMO, tmp_path / "demo.qualkit")
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE IF EXISTS assignments")
        db.execute("DROP TABLE IF EXISTS coders")
        db.execute("UPDATE alembic_version SET version_num='0004'")
    with Project.open(path) as proj, proj.reading() as conn:
        assert not team.has_accounts(conn) and team.list_assignments(conn) == []


# --- command line -------------------------------------------------------------------------------


def test_team_cli_accounts_and_assignments(cli, small_file, monkeypatch):
    path, _, ids = small_file
    monkeypatch.setenv("QK_LEAD_PW", "lead-secret-1")
    monkeypatch.setenv("QK_PW", "coder-secret-1")
    refused = cli("coder", "add", path, "marie", "--password-env", "QK_PW")
    assert refused.code == 2 and "first account must be a lead" in refused.err
    assert cli("coder", "add", path, "lea", "--lead", "--password-env", "QK_LEAD_PW").code == 0
    added = cli("coder", "add", path, "marie", "--password-env", "QK_PW")
    assert added.code == 0 and "coder-secret-1" not in added.out + added.err
    assert cli("coder", "add", path, "paul", "--password-env", "QK_PW").code == 0
    listed = cli("coder", "list", path, "--json")
    assert [(r["name"], r["role"], r["active"]) for r in json.loads(listed.out)] == [
        ("lea", "lead", True),
        ("marie", "coder", True),
        ("paul", "coder", True),
    ]
    assert "argon2" not in listed.out and "secret" not in listed.out
    monkeypatch.setenv("QK_PW", "paul-changed-1")
    assert cli("coder", "passwd", path, "paul", "--password-env", "QK_PW").code == 0
    assigned = cli(
        "assign", path, "--coder", "marie", "--coder", "paul", "--interview", "entretien_a",
        "--interview", "entretien_b.txt", "--hide-auto", "--json",
    )  # fmt: skip
    assert assigned.code == 0, assigned.err
    rows = json.loads(cli("assignments", path, "--json").out)
    assert {(r["coder"], r["interview"], r["blind"], r["hide_auto"]) for r in rows} == {
        (c, i, True, True)
        for c in ("marie", "paul")
        for i in ("entretien_a.txt", "entretien_b.txt")
    }
    sampled = cli("assign", path, "--coder", "marie", "--interview", "entretien_a", "--sample", "1")
    assert sampled.code == 0 and "sample" in sampled.out
    assert "hide-auto" in cli("assignments", path, "--coder", "paul").out
    assert cli("coder", "remove", path, "marie").code == 0
    with Project.open(path) as proj:
        assert team.verify(proj, "paul", "paul-changed-1") == "coder"
        assert team.verify(proj, "marie", "coder-secret-1") is None
        with proj.reading() as conn:
            assert len(review.queue(conn, "paul")) == len(ids)


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("coder", "add", "{p}", "lea", "--lead"), "use --password-env"),  # no terminal
        (("coder", "add", "{p}", "lea", "--lead", "--password-env", "QK_UNSET"), "not set"),
        (("coder", "passwd", "{p}", "ghost", "--password-env", "QK_PW"), "no coder account"),
        (("coder", "remove", "{p}", "ghost"), "no coder account"),
        (("assign", "{p}", "--coder", "marie", "--interview", "nope"), "no interview 'nope'"),
        (("assign", "{p}", "--coder", "auto", "--interview", "entretien_a"), "cannot be a coder"),
    ],
)
def test_team_cli_refuses_with_one_line(cli, small_file, monkeypatch, args, problem):
    path = small_file[0]
    monkeypatch.setenv("QK_PW", "coder-secret-1")
    monkeypatch.delenv("QK_UNSET", raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    result = cli(*[a.replace("{p}", str(path)) for a in args])
    assert result.code == 2 and problem in result.err and len(result.err.splitlines()) == 1


# --- the UI: sign-in --------------------------------------------------------------------------


def _app(monkeypatch, path: Path, codebook: Path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(sys, "argv", ["app.py", str(path), "--codebook", str(codebook)])
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def _sign_in(at, name: str, password: str):
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    next(b for b in at.button if b.label == "Se connecter").click().run()
    return at


def test_team_app_sign_in_refuses_wrong_password_lands_on_review(
    monkeypatch, small_file, file_accounts
):
    path, codebook, ids = small_file
    at = _app(monkeypatch, path, codebook).run()
    assert not at.exception and "coder_input" not in [w.key for w in at.text_input]
    _sign_in(at, "marie", "wrong-password")
    assert not at.exception and at.error and "coder" not in at.session_state
    _sign_in(at, "marie", PASSWORDS["marie"])
    assert not at.exception
    assert at.session_state["coder"] == "marie" and at.session_state["role"] == "coder"
    assert at.title[0].value == "Revue"  # the review page, first card on screen
    assert at.button(key=f"acc_{ids['entretien_a.txt', 1]}_data_security")
    assert any("marie" in m.value for m in at.sidebar.markdown)
    at.button(key="sign_out").click().run()
    assert "coder" not in at.session_state and at.text_input(key="signin_password")


def test_team_app_hide_auto_card_codes_by_hand(monkeypatch, small_file, file_accounts):
    path, codebook, ids = small_file
    proj, _ = file_accounts
    with proj.transaction() as conn:
        team.assign(conn, ["marie"], ["entretien_a"], hide_auto=True)
    at = _sign_in(_app(monkeypatch, path, codebook).run(), "marie", PASSWORDS["marie"])
    first = ids["entretien_a.txt", 0]
    assert not at.exception
    assert not [b for b in at.button if b.key and b.key.startswith(("acc_", "rej_"))]
    assert not any("score" in m.value for m in at.markdown)
    at.checkbox(key=f"tick_{first}_job_threat").check()
    at.button(key=f"code_{first}").click().run()
    assert not at.exception
    with sqlite3.connect(path) as db:
        assert db.execute(
            "SELECT code, status FROM codings WHERE coder='marie' ORDER BY code"
        ).fetchall() == [
            ("data_security", "rejected"),
            ("job_threat", "accepted"),
            ("training_needs", "rejected"),
        ]
    assert at.button(key=f"code_{ids['entretien_a.txt', 1]}")  # the next segment


@pytest.mark.parametrize(("who", "sees"), [("lea", True), ("marie", False)])
def test_team_app_only_the_lead_assigns(monkeypatch, small_file, file_accounts, who, sees):
    path, codebook, _ = small_file
    at = _sign_in(_app(monkeypatch, path, codebook).run(), who, PASSWORDS[who])
    at.switch_page("ui/study.py").run()
    assert not at.exception
    assert any(e.label == "Attributions" for e in at.expander) is sees
    if sees:
        at.multiselect(key="as_coders").set_value(["marie", "paul"])
        at.multiselect(key="as_interviews").set_value(["entretien_b.txt"])
        at.checkbox(key="as_hide_auto").check()
        next(b for b in at.button if b.label == "Attribuer").click().run()
        assert not at.exception and at.success
        with sqlite3.connect(path) as db:
            assert db.execute(
                "SELECT coder, blind, hide_auto, created_by FROM assignments ORDER BY coder"
            ).fetchall() == [("marie", 1, 1, "lea"), ("paul", 1, 1, "lea")]


@pytest.mark.parametrize("who", ["lea", "marie"])
def test_team_app_every_page_renders_for_a_lead_and_a_blind_coder(
    monkeypatch, small_file, file_accounts, who
):
    from test_app import PAGES

    path, codebook, _ = small_file
    proj, _ = file_accounts
    with proj.transaction() as conn:
        team.assign(conn, ["marie"], ["entretien_a", "entretien_b"], hide_auto=True)
    at = _sign_in(_app(monkeypatch, path, codebook).run(), who, PASSWORDS[who])
    pooled = {"ui/topics.py", "ui/quotes.py", "ui/report.py", "ui/agreement.py"}
    for page in PAGES if who == "lea" else [p for p in PAGES if p not in pooled]:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])
    if who == "marie":  # pages that pool everyone's codings are the lead's
        with pytest.raises(ValueError, match="navigation page"):
            at.switch_page("ui/quotes.py")


@pytest.mark.parametrize(("who", "allowed"), [("lea", True), ("marie", False)])
def test_team_app_only_a_lead_codes_for_someone_else(
    monkeypatch, small_file, file_accounts, who, allowed
):
    path, codebook, ids = small_file
    segment = ids["entretien_a.txt", 0]
    at = _sign_in(_app(monkeypatch, path, codebook).run(), who, PASSWORDS[who])
    at.switch_page("ui/interview.py").run()
    assert any(s.key == "iv_as" for s in at.selectbox) is allowed
    if allowed:
        at.selectbox(key="iv_as").set_value("paul")
    at.selectbox(key="iv_seg").set_value(segment)
    at.multiselect(key="iv_codes").set_value(["job_threat"]).run()
    next(b for b in at.button if b.label == "Enregistrer").click().run()
    assert not at.exception
    with sqlite3.connect(path) as db:
        assert db.execute(
            "SELECT coder, code, status FROM codings WHERE coder != 'auto'"
        ).fetchall() == [("paul" if allowed else "marie", "job_threat", "accepted")]
