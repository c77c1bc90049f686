"""The CLI as a user runs it: init, import, status, segments, speakers, re-import."""

from __future__ import annotations

import json
import sqlite3

from conftest import write

DIALOGUE = """Q : Bonjour, merci d'être là. Comment utilisez-vous l'IA ?
R : Euh, surtout pour les comptes rendus. Ça me fait gagner du temps. Pas mal de temps même.
Q : Et votre équipe ?
R : Eux aussi, enfin certains. Les plus jeunes surtout.
"""


def test_cli_init_import_status_segments(cli, tmp_path):
    project = tmp_path / "p.qualkit"
    assert cli("init", project).code == 0
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder / "e1.txt", DIALOGUE)
    write(folder / "cases.csv", "file,profile,role,branch\ne1.txt,cadre,Acheteur,Chimie\n")
    result = cli("import", project, folder)
    assert result.code == 0, result.err
    assert "1 new" in result.out

    status = json.loads(cli("status", project, "--json").out)
    assert status["interviews"] == 1 and status["turns"] == 4
    assert status["per_interview"][0]["segments"] == 4
    assert status["cases_by_profile"] == {"cadre": 1}

    rows = json.loads(cli("segments", project, "--json", "--speaker", "respondent").out)
    assert [r["role"] for r in rows] == ["respondent", "respondent"]
    assert set(rows[0]) >= {"interview", "speaker", "role", "start", "end", "text"}
    with sqlite3.connect(project) as conn:
        text = conn.execute("select text from interviews").fetchone()[0]
    assert all(text[r["start"] : r["end"]] == r["text"] for r in rows)
    assert rows[0]["interview"] == "e1.txt"


def test_cli_reimport_unchanged_does_nothing(cli, project_path, tmp_path):
    path = write(tmp_path / "e1.txt", DIALOGUE)
    cli("import", project_path, path)
    result = cli("import", project_path, path)
    assert result.code == 0 and "1 unchanged" in result.out


def test_cli_changed_file_refused_then_replaced_keeping_codings(cli, project_path, tmp_path):
    path = write(tmp_path / "e1.txt", DIALOGUE)
    cli("import", project_path, path)
    with sqlite3.connect(project_path) as conn:
        seg = conn.execute(
            "select s.id from segments s join turns t on t.id=s.turn_id "
            "where t.role='respondent' order by s.idx limit 1"
        ).fetchone()[0]
        conn.execute(
            "insert into codings(segment_id, code, coder, origin, status, created_at, "
            "updated_at) values (?, 'deskilling', 'alice', 'human', 'accepted', "
            "'2024-01-01', '2024-01-01')",
            (seg,),
        )
        # a suggestion decided in the review UI keeps origin 'auto' under the coder's name
        conn.execute(
            "insert into codings(segment_id, code, coder, origin, status, created_at, "
            "updated_at) values (?, 'job_threat', 'alice', 'auto', 'rejected', "
            "'2024-01-01', '2024-01-01')",
            (seg,),
        )
    write(path, DIALOGUE + "Q : Merci beaucoup.\n")
    refused = cli("import", project_path, path)
    assert refused.code == 2 and "--replace" in refused.err

    assert cli("import", project_path, path, "--replace").code == 0
    with sqlite3.connect(project_path) as conn:
        rows = conn.execute(
            "select c.coder, substr(i.text, s.start+1, s.end-s.start) from codings c "
            "join segments s on s.id=c.segment_id join interviews i on i.id=s.interview_id"
        ).fetchall()
        turns = conn.execute("select count(*) from turns").fetchone()[0]
    assert turns == 5
    passage = (
        "Euh, surtout pour les comptes rendus. Ça me fait gagner du temps. Pas mal de temps même."
    )
    assert rows == [("alice", passage), ("alice", passage)]


def test_cli_speakers_set_interviewer(cli, project_path, tmp_path):
    cli("import", project_path, write(tmp_path / "e1.txt", DIALOGUE))
    result = cli("speakers", project_path, "e1", "--interviewer", "R", "--json")
    assert {r["speaker"]: r["role"] for r in json.loads(result.out)} == {
        "Q": "respondent",
        "R": "interviewer",
    }
    bad = cli("speakers", project_path, "e1", "--interviewer", "Z")
    assert bad.code == 2 and "no speaker Z" in bad.err


def test_cli_codebook_check(cli):
    from conftest import CODEBOOK

    result = cli("codebook", "check", CODEBOOK, "--json")
    assert result.code == 0
    assert json.loads(result.out)["valid"] is True


def test_cli_import_codings_records_decisions_once(cli, project_path, tmp_path):
    from conftest import CODEBOOK, dump

    cli("import", project_path, write(tmp_path / "e1.txt", DIALOGUE))
    lines = [
        {
            "id": "e1#1",
            "interview": "e1.txt",
            "codes": ["training_needs"],
            "text": "Euh, surtout pour les comptes rendus. Ça me fait gagner du temps. "
            "Pas mal de temps même.",
        },
        {
            "id": "e1#3",
            "interview": "e1.txt",
            "codes": [],
            "text": "Eux aussi, enfin certains. Les plus jeunes surtout.",
        },
    ]
    path = write(tmp_path / "c.jsonl", "\n".join(json.dumps(x, ensure_ascii=False) for x in lines))
    result = cli("import-codings", project_path, path, "--coder", "bob", "--codebook", CODEBOOK)
    assert result.code == 0, result.err
    with sqlite3.connect(project_path) as conn:
        rows = conn.execute("select code, status from codings where coder='bob'").fetchall()
        log = conn.execute("select count(*) from decision_log").fetchone()[0]
    assert ("training_needs", "accepted") in rows
    assert len(rows) == 10 and sum(s == "accepted" for _, s in rows) == 1
    assert log == 10
    cli("import-codings", project_path, path, "--coder", "bob", "--codebook", CODEBOOK)
    with sqlite3.connect(project_path) as conn:
        assert conn.execute("select count(*) from decision_log").fetchone()[0] == 10

    before = dump(project_path)
    ambiguous = write(
        tmp_path / "amb.jsonl",
        json.dumps({"id": "x", "interview": "e1.txt", "text": "surtout", "codes": []}),
    )
    refused = cli(
        "import-codings", project_path, ambiguous, "--coder", "bob", "--codebook", CODEBOOK
    )
    assert refused.code == 2 and dump(project_path) == before
    bad = write(
        tmp_path / "bad.jsonl",
        json.dumps({"id": "x", "interview": "e1.txt", "text": "Jamais dit.", "codes": []}),
    )
    refused = cli("import-codings", project_path, bad, "--coder", "bob", "--codebook", CODEBOOK)
    assert refused.code == 2 and "match no segment" in refused.err
    assert dump(project_path) == before
