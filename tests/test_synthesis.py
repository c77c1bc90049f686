"""Syntheses: counts, crosstab, co-occurrence, optional topics, traceable summary."""

from __future__ import annotations

import json

import pytest
from test_quotes import build_study


@pytest.fixture
def study(cli, project_path, tmp_path):
    build_study(cli, project_path, tmp_path / "in")
    return project_path


def synth(project, code="job_threat", **options):
    from qualkit.store import Project
    from qualkit.synthesis import synthesize

    with Project.open(project) as proj, proj.reading() as conn:
        return synthesize(conn, code, **options)


def test_synthesis_counts_interviews_and_segments_once(study):
    s = synth(study)
    assert (s.interviews, s.interviews_total, s.segments) == (4, 4, 4)
    assert "4 entretien(s) sur 4" in s.text


@pytest.mark.parametrize(
    "attribute, value, interviews, raising, percent",
    [
        ("profile", "cadre", 2, 2, 100.0),
        ("profile", "expert", 1, 1, 100.0),
        ("company_size", "PME (50-249)", 2, 2, 100.0),
        ("company_size", "(non renseigné)", 1, 1, 100.0),
        ("gender", "F", 2, 2, 100.0),
    ],
)
def test_synthesis_crosstab(study, attribute, value, interviews, raising, percent):
    row = next(r for r in synth(study).crosstab if (r.attribute, r.value) == (attribute, value))
    assert (row.interviews, row.raising, row.percent) == (interviews, raising, percent)


def test_synthesis_crosstab_percent_of_a_group(study):
    s = synth(study, code="data_security")
    cadre = next(r for r in s.rows("profile") if r.value == "cadre")
    assert (cadre.raising, cadre.interviews, cadre.percent, cadre.segments) == (1, 2, 50.0, 1)


def test_synthesis_cooccurring_codes(study):
    import sqlite3

    from qualkit.store import Project
    from qualkit.store.codings import decide

    with sqlite3.connect(study) as conn:
        sid = conn.execute("select segment_id from codings where code='data_security'").fetchone()[
            0
        ]
    with Project.open(study) as proj, proj.transaction() as conn:
        decide(conn, sid, "shadow_it", "bob", "accepted")
    assert synth(study, code="data_security").cooccurring == [
        {"code": "shadow_it", "label": "shadow_it", "segments": 1, "interviews": 1}
    ]
    assert synth(study).cooccurring == []


def test_synthesis_summary_sentences_are_traceable(study):
    import sqlite3

    s = synth(study)
    assert 1 <= len(s.summary) <= 3
    with sqlite3.connect(study) as conn:
        texts = dict(conn.execute("select name, text from interviews"))
        coded = {
            r[0]
            for r in conn.execute(
                "select segment_id from codings where code='job_threat' and status='accepted'"
            )
        }
    for sentence in s.summary:
        assert texts[sentence.interview][sentence.start : sentence.end] == sentence.text
        assert sentence.segment_id in coded
    assert len({x.interview for x in s.summary}) == len(s.summary)


def test_synthesis_topics_are_optional_and_read_when_present(study, tmp_path):
    import sqlite3

    from qualkit.store import Project
    from qualkit.synthesis import emerging_topics

    assert synth(study).topics == []
    with sqlite3.connect(study) as conn:
        sid = conn.execute("select segment_id from codings where code='job_threat'").fetchone()[0]
        for run in (1, 2):  # only the latest run counts
            conn.execute("insert into topic_runs values (?, '2024-01-01', '{}', 1, 0)", (run,))
            conn.execute(
                "insert into topics (run_id, topic, label, custom_label, keywords, size, "
                "emerging, codes, similarity, interviews, profiles, representative, "
                "merged_from) values (?, 0, ?, 0, '[\"productivité\"]', 1, 1, '[]', '{}', "
                "'[]', '{}', '[]', '[]')",
                (run, f"Gains de productivité {run}"),
            )
            conn.execute("insert into topic_segments values (?, ?, 0, 0.0, 0.0)", (run, sid))
    assert synth(study).topics == [
        {"topic": "0", "label": "Gains de productivité 2", "segments": 1}
    ]
    with Project.open(study) as proj, proj.reading() as conn:
        assert [t["label"] for t in emerging_topics(conn)] == ["Gains de productivité 2"]
    # a project whose schema has no topic tables at all still synthesises
    with sqlite3.connect(study) as conn:
        conn.execute("drop table topic_segments")
    assert synth(study).topics == []


def test_synthesis_cli(cli, study):
    data = json.loads(cli("synthesis", study, "job_threat", "--json").out)
    assert data["interviews"] == 4 and data["crosstab"] and data["summary"]
    text = cli("synthesis", study, "job_threat", "--lang", "en").out
    assert "raised in 4 of 4 interviews" in text and "Central sentences" in text
    bad = cli("synthesis", study, "nope")
    assert bad.code == 2 and "no code 'nope'" in bad.err
