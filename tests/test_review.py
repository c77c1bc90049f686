# ruff: noqa: E501  (transcript lines are long, as in real transcripts)
"""The review queue, cards, decisions, memos and progress (qualkit.review), on real SQLite files
and on a PostgreSQL server (conftest.BACKENDS)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import BACKENDS
from sqlalchemy import create_engine, text

from qualkit import review
from qualkit.errors import QualkitError
from qualkit.store import Project

CODEBOOK_YAML = """\
schema_version: 1
name: Petite grille
codes:
  - id: job_threat
    label: {fr: "Menace sur l'emploi", en: Threat to jobs}
    color: "#d1495b"
    definition: Le répondant craint que l'IA remplace des emplois.
    examples: ["Mon poste va disparaître à cause de l'IA.", "On ne remplace plus les départs."]
    counter_examples: ["On gagne du temps."]
    patterns: ["remplacer"]
  - id: data_security
    label: {fr: Sécurité des données}
    definition: Fuites de données confidentielles.
    examples: ["J'ai peur que nos plans confidentiels fuient.", "Où partent nos données ?"]
  - id: training_needs
    label: {fr: Besoins de formation}
    definition: Jamais formé, autodidacte.
    examples: ["Je n'ai jamais été formé.", "J'ai appris seul le soir."]
"""

INTERVIEW_A = """\
Q : Bonjour, pouvez-vous vous présenter ?
R : Je suis responsable qualité dans une entreprise de mécanique. J'ai peur que l'IA remplace une partie de mon équipe dans les prochaines années, surtout les postes de contrôle.
Q : Et les données, qu'en faites-vous ?
R : On envoie parfois des plans confidentiels dans ChatGPT sur des comptes personnels, et personne ne sait où ils partent. Ça m'inquiète beaucoup pour l'espionnage industriel.
Q : Merci.
"""

INTERVIEW_B = """\
Enquêteur : Avez-vous été formée à ces outils ?
Camille : Jamais, j'ai appris seule en regardant des vidéos le soir. Il faudrait une vraie formation adaptée à notre métier, pas un module générique de deux heures.
Enquêteur : Et pour l'emploi ?
Camille : Les postes d'assistante disparaissent, les entreprises comptent sur l'IA pour absorber la charge de travail.
"""

CASES_CSV = """\
file,profile,role,branch,company_size,gender,age_band,interviewer
entretien_a.txt,cadre,Responsable qualité,Métallurgie,ETI (250-4999),F,45-54,Q
entretien_b.txt,recruteur,Chargée de recrutement,Chimie,PME (50-249),F,25-34,Enquêteur
"""

# (interview, respondent segment index, code, score, threshold): hand-made suggestions.
SUGGESTIONS = [
    ("entretien_a.txt", 0, "job_threat", 0.90, 0.50),  # margin 0.40
    ("entretien_a.txt", 1, "data_security", 0.62, 0.60),  # margin 0.02: least certain
    ("entretien_b.txt", 0, "training_needs", 0.70, 0.60),  # margin 0.10
    ("entretien_b.txt", 1, "job_threat", 0.45, 0.50),  # margin 0.05, borderline
    ("entretien_b.txt", 1, "data_security", 0.20, 0.60),  # margin 0.40, borderline
]


def build_project(cli, project: Path | str, folder: Path, codebook: Path | None = None) -> dict:
    """Import two tiny interviews (real spaCy, a real store) and write hand-made suggestions."""
    from qualkit.codebook import parse_codebook
    from qualkit.store.codings import record_codebook, replace_suggestions
    from qualkit.store.study import segment_rows

    folder.mkdir(exist_ok=True)
    (folder / "entretien_a.txt").write_text(INTERVIEW_A, encoding="utf-8")
    (folder / "entretien_b.txt").write_text(INTERVIEW_B, encoding="utf-8")
    (folder / "cases.csv").write_text(CASES_CSV, encoding="utf-8")
    # A project on a server keeps its pseudonym map in a file of the consultant's.
    on_server = "://" in str(project)
    extra = ("--pseudonyms", folder.parent / "pseudonyms.json") if on_server else ()
    result = cli("import", project, folder, *extra)
    assert result.code == 0, result.err
    codebook = codebook or folder / "codebook.yaml"
    codebook.write_text(CODEBOOK_YAML, encoding="utf-8")
    with Project.open(project) as proj, proj.transaction() as conn:
        version = record_codebook(conn, parse_codebook(CODEBOOK_YAML), str(codebook))
        ids = {
            (name, i): r["id"]
            for name in ("entretien_a.txt", "entretien_b.txt")
            for i, r in enumerate(segment_rows(conn, interview=name, role="respondent"))
        }
        rows = [
            {
                "segment_id": ids[name, i],
                "code": code,
                "score": score,
                "passes": score >= threshold,
                "explanation": {"threshold": threshold, "zero_shot": score, "patterns": []},
            }
            for name, i, code, score, threshold in SUGGESTIONS
        ]
        replace_suggestions(conn, sorted(set(ids.values())), rows, version)
    return ids


def rows(project: Project, sql: str, **params) -> list[tuple]:
    """What another program sees in the store (its own connection): committed rows only."""
    location = project.location
    engine = create_engine(location if "://" in location else f"sqlite:///{location}")
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def template(request, tmp_path_factory):
    """The study built once per backend; each test gets a copy (a file, or a database made
    from this one as PostgreSQL's TEMPLATE)."""
    from qualkit.cli import main

    def cli(*args):
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            return type("R", (), {"code": exc.code or 0, "err": ""})()
        return type("R", (), {"code": 0, "err": ""})()

    folder = tmp_path_factory.mktemp("review")
    server = request.getfixturevalue("postgres") if request.param == "postgres" else None
    location = server.create() if server else str(folder / "study.qualkit")
    Project.create(location).close()
    ids = build_project(cli, location, folder / "src")
    yield location, ids, server
    if server:
        server.drop(location)


@pytest.fixture
def study(template, tmp_path) -> tuple[Project, dict]:
    source, ids, server = template
    if server:
        location = server.create(template=source.rsplit("/", 1)[-1])
    else:
        location = str(tmp_path / "study.qualkit")
        shutil.copy(source, location)
    proj = Project.open(location)
    yield proj, ids
    proj.close()
    if server:
        server.drop(location)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (
            review.QueueFilter(),
            [
                ("entretien_a.txt", 1),
                ("entretien_b.txt", 1),
                ("entretien_b.txt", 0),
                ("entretien_a.txt", 0),
            ],
        ),
        (
            review.QueueFilter(order="interview"),
            [
                ("entretien_a.txt", 0),
                ("entretien_a.txt", 1),
                ("entretien_b.txt", 0),
                ("entretien_b.txt", 1),
            ],
        ),
        (
            review.QueueFilter(codes=("job_threat",)),
            [("entretien_b.txt", 1), ("entretien_a.txt", 0)],
        ),
        (
            review.QueueFilter(profiles=("recruteur",)),
            [("entretien_b.txt", 1), ("entretien_b.txt", 0)],
        ),
        (
            review.QueueFilter(interviews=("entretien_a.txt",)),
            [("entretien_a.txt", 1), ("entretien_a.txt", 0)],
        ),
        (
            review.QueueFilter(score_min=0.6, score_max=0.8),
            [("entretien_a.txt", 1), ("entretien_b.txt", 0)],
        ),
        (
            review.QueueFilter(passing_only=True),
            [("entretien_a.txt", 1), ("entretien_b.txt", 0), ("entretien_a.txt", 0)],
        ),
    ],
)
def test_review_queue_order_and_filters(study, flt, expected):
    proj, ids = study
    with proj.reading() as conn:
        assert review.queue(conn, "marie", flt) == [ids[k] for k in expected]
        assert review.pending_count(conn, "marie", flt) == len(expected)


def test_review_queue_by_profile_puts_cadre_first(study):
    proj, ids = study
    with proj.reading() as conn:
        order = review.queue(conn, "marie", review.QueueFilter(order="profile"))
    assert order[:2] == [ids["entretien_a.txt", 0], ids["entretien_a.txt", 1]]


def test_review_queue_rejects_unknown_order(study):
    proj, _ = study
    with proj.reading() as conn, pytest.raises(QualkitError, match="unknown order"):
        review.queue(conn, "marie", review.QueueFilter(order="random"))


def test_review_card_shows_question_speaker_case_and_suggestions(study):
    proj, ids = study
    with proj.reading() as conn:
        card = review.next_card(conn, "marie")
    assert card.segment_id == ids["entretien_a.txt", 1]
    assert card.before["text"] == "Et les données, qu'en faites-vous ?"
    assert card.before["role"] == "interviewer"
    assert card.after["text"] == "Merci."
    assert card.speaker == "R" and "ChatGPT" in card.text
    assert card.case["profile"] == "cadre" and card.case["branch"] == "Métallurgie"
    [s] = card.suggestions
    assert (s.code, s.score, s.threshold, s.passes, s.decision) == (
        "data_security",
        0.62,
        0.6,
        True,
        None,
    )


@pytest.mark.parametrize(
    "action,status", [(review.accept, "accepted"), (review.reject, "rejected")]
)
def test_review_decision_is_saved_with_coder_and_moves_the_queue(study, action, status):
    proj, ids = study
    segment = ids["entretien_a.txt", 1]
    action(proj, segment, "data_security", "marie")
    saved = rows(
        proj, "SELECT status, origin FROM codings WHERE segment_id=:s AND coder='marie'", s=segment
    )
    assert saved == [(status, "auto")]
    assert rows(proj, "SELECT action, coder FROM decision_log") == [(status, "marie")]
    with proj.reading() as conn:
        assert review.next_card(conn, "marie").segment_id == ids["entretien_b.txt", 1]
        # another coder still has the segment in their queue (double coding)
        assert review.next_card(conn, "paul").segment_id == segment


def test_review_card_stays_until_every_suggestion_is_decided(study):
    proj, ids = study
    segment = ids["entretien_b.txt", 1]
    review.accept(proj, segment, "job_threat", "marie")
    with proj.reading() as conn:
        card = review.card(conn, segment, "marie")
        assert [s.code for s in card.pending] == ["data_security"]
        assert segment in review.queue(conn, "marie")
    review.reject(proj, segment, "data_security", "marie")
    with proj.reading() as conn:
        assert segment not in review.queue(conn, "marie")


def test_review_skip_leaves_the_segment_out(study):
    proj, ids = study
    first = ids["entretien_a.txt", 1]
    with proj.reading() as conn:
        assert review.next_card(conn, "marie", exclude=[first]).segment_id != first


def test_review_add_code_and_memo(study):
    proj, ids = study
    segment = ids["entretien_a.txt", 1]
    review.add_code(proj, segment, "training_needs", "marie")
    memo = review.add_memo(proj, segment, "  Double code possible.  ", "marie")
    with proj.reading() as conn:
        card = review.card(conn, segment, "marie")
    assert card.decisions == {"training_needs": "accepted"}
    assert [(m["id"], m["coder"], m["text"]) for m in card.memos] == [
        (memo, "marie", "Double code possible.")
    ]
    assert rows(proj, "SELECT origin FROM codings WHERE coder='marie'") == [("human",)]


@pytest.mark.parametrize("coder,text", [("auto", "x"), ("", "x"), ("marie", "   ")])
def test_review_memo_refuses_bad_input(study, coder, text):
    proj, ids = study
    with pytest.raises(QualkitError):
        review.add_memo(proj, ids["entretien_a.txt", 1], text, coder)


def test_review_progress_counts_per_interview_and_code(study):
    proj, ids = study
    review.accept(proj, ids["entretien_a.txt", 0], "job_threat", "marie")
    with proj.reading() as conn:
        stats = review.progress(conn, "marie")
    by_name = {r["interview"]: r for r in stats["per_interview"]}
    assert by_name["entretien_a.txt"]["reviewed_by_me"] == 1
    assert by_name["entretien_a.txt"]["segments_left"] == 1
    assert by_name["entretien_b.txt"]["suggestions_left"] == 3
    assert stats["per_code"]["job_threat"] == {
        "suggested": 1,
        "borderline": 1,
        "accepted": 1,
        "rejected": 0,
        "left": 1,
    }
    assert stats["segments_left"] == 3 and stats["suggestions_left"] == 4


def test_review_interview_view_marks_codings_and_memos(study):
    proj, ids = study
    review.accept(proj, ids["entretien_a.txt", 0], "job_threat", "marie")
    review.add_memo(proj, ids["entretien_a.txt", 0], "À citer.", "marie")
    with proj.reading() as conn:
        iid = review.interview_list(conn)[0]["id"]
        view = review.interview_view(conn, iid, "marie")
    segs = {s["id"]: s for turn in view["turns"] for s in turn["segments"]}
    first = segs[ids["entretien_a.txt", 0]]
    assert {(c["coder"], c["status"]) for c in first["codings"]} == {
        ("auto", "suggested"),
        ("marie", "accepted"),
    }
    assert view["text"][first["start"] : first["end"]] == first["text"]
    assert [m["text"] for m in view["memos"]] == ["À citer."]


def test_review_save_codebook_writes_file_and_new_version(study, tmp_path):
    from qualkit.codebook import load_codebook, parse_codebook

    proj, _ = study
    book = parse_codebook(CODEBOOK_YAML)
    edited = review.edit_code(book, "job_threat", {"definition": "Nouvelle définition."})
    path = tmp_path / "codebook.yaml"
    version = review.save_codebook(proj, edited, path)
    assert version == 2
    assert load_codebook(path).code("job_threat").definition == "Nouvelle définition."
    assert review.save_codebook(proj, edited, path) == 2  # same content, same version


@pytest.mark.parametrize("changes", [{"threshold": 2.0}, {"color": "red"}, {"definition": ""}])
def test_review_edit_code_validates(changes):
    from qualkit.codebook import parse_codebook

    with pytest.raises(QualkitError):
        review.edit_code(parse_codebook(CODEBOOK_YAML), "job_threat", changes)


def test_review_save_cases_updates_attributes(study):
    proj, _ = study
    with proj.reading() as conn:
        rows = review.case_table(conn)
    rows[0]["branch"] = "Verre"
    review.save_cases(proj, rows)
    with proj.reading() as conn:
        assert review.case_table(conn)[0]["branch"] == "Verre"


def test_review_queue_after_real_autocoding(cli, project_location, tmp_path):
    """The whole path: import, `qualkit code` (fake embedder), review, decision in the store."""
    build_project(cli, project_location, tmp_path / "src")
    result = cli(
        "code",
        project_location,
        "--codebook",
        tmp_path / "src" / "codebook.yaml",
        "--embedder",
        "fakes:HashingEmbedder",
    )
    assert result.code == 0, result.err
    with Project.open(project_location) as proj:
        with proj.reading() as conn:
            card = review.next_card(conn, "marie")
            margins = [abs(s.score - s.threshold) for s in card.suggestions]
        assert card is not None and margins == sorted(margins)
        review.accept(proj, card.segment_id, card.suggestions[0].code, "marie")
        accepted = "SELECT count(*) FROM codings WHERE coder='marie' AND status='accepted'"
        assert rows(proj, accepted) == [(1,)]
