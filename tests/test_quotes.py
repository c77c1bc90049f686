"""Representative quotes: accepted codings, typicality, diversity, trimming, attribution."""

from __future__ import annotations

import json

import pytest
from conftest import write

CASES = (
    "file,profile,role,branch,company_size,gender,interview_date,attribution\n"
    "e1.txt,cadre,Responsable qualité,Métallurgie (mécanique),ETI (250-4999),F,2024-09-24,\n"
    "e2.txt,cadre,Ingénieur calcul,Société d'ingénierie au service de l'industrie,"
    "PME (50-249),H,2024-10-01,\n"
    "e3.txt,recruteur,Chargée de recrutement,Chimie,PME (50-249),F,2024-10-08,\n"
    "e4.txt,expert,Chercheur,Laboratoire public,,H,2024-10-15,"
    '"Chercheur en IA, laboratoire public (nommé avec son accord)"\n'
)
THREAT = [
    "On était six aux achats, on est quatre. Les départs n'ont pas été remplacés à cause de "
    "l'outil. Ça fait deux postes en moins. Les collègues ont peur pour leur emploi.",
    "La direction veut tourner avec moins de monde grâce à l'IA. Des postes vont disparaître "
    "au bureau d'études. On ne remplace plus les départs.",
    "Les entreprises recrutent moins d'assistantes, les postes disparaissent. L'IA absorbe la "
    "charge et les emplois de support fondent.",
    "Des pans entiers des métiers de bureau vont disparaître. Les emplois de support seront "
    "automatisés et les postes supprimés.",
]
SECURITY = "On envoie des plans confidentiels dans ChatGPT. Personne ne sait où vont les données."


def transcript(*answers: str) -> str:
    lines = []
    for i, answer in enumerate(answers):
        lines += [f"Q : Question numéro {i + 1} sur votre travail ?", f"R : {answer}"]
    return "\n".join(lines) + "\n"


def build_study(cli, project, folder, extra_threat: str = "") -> dict[str, list[int]]:
    """Four interviews, one per profile mix; alice accepts job_threat (and one
    data_security) on their answers. Returns segment ids by interview."""
    import sqlite3

    from qualkit.store import Project
    from qualkit.store.codings import decide

    folder.mkdir(exist_ok=True)
    write(folder / "cases.csv", CASES)
    write(folder / "e1.txt", transcript(THREAT[0], SECURITY, extra_threat or "Rien à ajouter."))
    write(folder / "e2.txt", transcript(THREAT[1], "Non, rien de spécial."))
    write(folder / "e3.txt", transcript(THREAT[2]))
    write(folder / "e4.txt", transcript(THREAT[3]))
    assert cli("import", project, folder).code == 0
    with sqlite3.connect(project) as conn:
        rows = conn.execute(
            "select i.name, s.id, substr(i.text, s.start + 1, s.end - s.start) from segments s "
            "join interviews i on i.id = s.interview_id join turns t on t.id = s.turn_id "
            "where t.role = 'respondent' order by i.name, s.start"
        ).fetchall()
    ids: dict[str, list[int]] = {}
    for name, sid, _ in rows:
        ids.setdefault(name, []).append(sid)
    with Project.open(project) as proj, proj.transaction() as conn:
        for _name, sid, text in rows:
            if any(w in text for w in ("postes", "emploi", "monde grâce")):
                decide(conn, sid, "job_threat", "alice", "accepted")
                decide(conn, sid, "job_threat", "bob", "accepted")  # counted once
            if "confidentiels" in text:
                decide(conn, sid, "data_security", "alice", "accepted")
                decide(conn, sid, "job_threat", "alice", "rejected")
    return ids


@pytest.fixture
def study(cli, project_path, tmp_path):
    ids = build_study(cli, project_path, tmp_path / "in")
    return project_path, ids


def quotes_of(project, code="job_threat", **options):
    from qualkit.quotes import representative_quotes
    from qualkit.store import Project

    with Project.open(project) as proj, proj.reading() as conn:
        return representative_quotes(conn, code, **options)


def test_quotes_offsets_point_into_the_interview(study):
    import sqlite3

    project, _ = study
    found = quotes_of(project)
    assert len(found) == 4
    with sqlite3.connect(project) as conn:
        texts = dict(conn.execute("select name, text from interviews"))
    for q in found:
        assert texts[q.interview][q.start : q.end] == q.text


def test_quotes_one_per_interview_before_a_second(cli, project_path, tmp_path):
    extra = "Et je le répète, les postes disparaissent, on ne remplace plus les départs."
    build_study(cli, project_path, tmp_path / "in", extra_threat=extra)
    four = quotes_of(project_path, n=4)
    assert len({q.interview for q in four}) == 4
    five = quotes_of(project_path, n=5)
    assert len(five) == 5 and [q.interview for q in five].count("e1.txt") == 2


@pytest.mark.parametrize(
    "options, interviews",
    [
        ({"profiles": ["cadre"]}, {"e1.txt", "e2.txt"}),
        ({"profiles": ["expert", "recruteur"]}, {"e3.txt", "e4.txt"}),
        ({"attributes": {"company_size": "PME (50-249)"}}, {"e2.txt", "e3.txt"}),
        ({"attributes": {"gender": "f"}}, {"e1.txt", "e3.txt"}),
    ],
)
def test_quotes_filters_by_profile_and_attribute(study, options, interviews):
    assert {q.interview for q in quotes_of(study[0], **options)} == interviews


def test_quotes_rejected_and_other_codes_are_not_used(study):
    found = quotes_of(study[0], code="data_security")
    assert [q.text for q in found] == [SECURITY]
    assert all("confidentiels" not in q.text for q in quotes_of(study[0]))


def test_quotes_near_duplicates_are_dropped(cli, project_path, tmp_path):
    build_study(cli, project_path, tmp_path / "in", extra_threat=THREAT[0])
    found = quotes_of(project_path, n=10)
    assert sorted(q.text for q in found) == sorted(set(q.text for q in found))
    assert len(found) == 4


def test_quotes_suggestions_only_when_asked_and_marked(study):
    from qualkit.store import Project
    from qualkit.store.codings import replace_suggestions

    project, ids = study
    target = ids["e2.txt"][1]  # "Non, rien de spécial." nobody coded job_threat there
    with Project.open(project) as proj, proj.transaction() as conn:
        replace_suggestions(
            conn,
            [target, ids["e1.txt"][1]],
            [
                {"segment_id": target, "code": "job_threat", "score": 0.9, "passes": True},
                # a person rejected job_threat here: the suggestion must not come back
                {
                    "segment_id": ids["e1.txt"][1],
                    "code": "job_threat",
                    "score": 0.9,
                    "passes": True,
                },
            ],  # fmt: skip
            1,
        )
    assert all(not q.suggested for q in quotes_of(project, n=10))
    found = quotes_of(project, n=10, include_suggested=True)
    suggested = [q for q in found if q.suggested]
    assert [q.segment_id for q in suggested] == [target]


@pytest.mark.parametrize(
    "text, spans",
    [
        ("Une phrase. Deux phrases ! Trois ?", ["Une phrase.", "Deux phrases !", "Trois ?"]),
        ("M. Martin est venu. Il a parlé.", ["M. Martin est venu.", "Il a parlé."]),
        ("Il dit « non. » Puis il part.", ["Il dit « non. »", "Puis il part."]),
        ("Pas de fin", ["Pas de fin"]),
        ("v2.0 est sorti. Ok.", ["v2.0 est sorti.", "Ok."]),
    ],
)
def test_quotes_sentence_spans(text, spans):
    from qualkit.quotes import sentence_spans

    assert [text[a:b] for a, b in sentence_spans(text)] == spans


def test_quotes_trim_keeps_whole_sentences_around_the_heaviest():
    import numpy as np

    from qualkit.quotes import sentence_spans, trim

    text = "Un premier. " * 5 + "La phrase clé ici. " + "Une autre phrase. " * 5
    a, b = trim(text, 60, lambda s: np.array([10.0 if "clé" in x else 1.0 for x in s]))
    assert "La phrase clé ici." in text[a:b] and b - a <= 60
    starts = {x for x, _ in sentence_spans(text)}
    ends = {y for _, y in sentence_spans(text)}
    assert a in starts and b in ends
    assert trim("Court.", 60, lambda s: np.ones(len(s))) == (0, 6)


def test_quotes_long_segment_is_trimmed_with_offsets(cli, project_path, tmp_path):
    build_study(cli, project_path, tmp_path / "in")
    found = quotes_of(project_path, max_chars=80)
    cut = [q for q in found if q.cut_before or q.cut_after]
    assert cut, "some answers are longer than 80 characters"
    for q in cut:
        assert q.text[0].isupper() and q.text.rstrip()[-1] in ".!?"
        assert "[…]" in q.formatted()


@pytest.mark.parametrize(
    "case, expected",
    [
        ({"role": "Responsable qualité", "branch": "Métallurgie (mécanique)"},
         "Responsable qualité, branche Métallurgie (mécanique)"),
        ({"role": "Ingénieur calcul", "branch": "Société d'ingénierie au service de l'industrie"},
         "Ingénieur calcul, société d'ingénierie au service de l'industrie"),
        ({"role": "Chargée de recrutement", "branch": None}, "Chargée de recrutement"),
        ({"profile": "expert", "branch": "Chimie"}, "Expert IA, branche Chimie"),
        ({"role": "DSI", "branch": "ESN industrielle"}, "DSI, ESN industrielle"),
        ({"role": "X", "attribution": "Chercheur, Inria"}, "Chercheur, Inria"),
    ],
)  # fmt: skip
def test_quotes_attribution_line(case, expected):
    from qualkit.quotes import attribution

    assert attribution(case) == expected


def test_quotes_attribution_never_holds_the_case_name():
    from qualkit.quotes import attribution

    case = {"name": "Jeanne Dupont", "role": "Acheteuse", "branch": "Verre"}
    assert "Dupont" not in attribution(case)


def test_quotes_typicality_uses_cached_embeddings(study):
    """With vectors in the cache, the segment nearest the others ranks first."""
    import numpy as np
    from fakes import HashingEmbedder

    from qualkit.embedding import embed_cached
    from qualkit.quotes import coded_segments, typicality
    from qualkit.store import Project
    from qualkit.store.cache import EmbeddingCache

    project, _ = study
    with Project.open(project) as proj:
        with proj.reading() as conn:
            theme = [s for s in coded_segments(conn) if s.code == "job_threat"]
        assert all(len(s.coders) == 2 for s in theme)  # alice and bob, one row
        embed_cached(HashingEmbedder(), [s.text for s in theme], EmbeddingCache(proj))
        with proj.reading() as conn:
            cached = typicality(conn, theme)
    vectors = HashingEmbedder().embed([s.text for s in theme]).astype(np.float64)
    i = 0
    centre = (vectors.sum(axis=0) - vectors[i]) / (len(vectors) - 1)
    assert cached[i] == pytest.approx(vectors[i] @ centre / np.linalg.norm(centre), abs=1e-5)


def test_quotes_cli_json_and_errors(cli, study):
    project, _ = study
    result = cli("quotes", project, "job_threat", "--n", "2", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert len(data) == 2 and {"quote", "attribution", "start", "end"} <= set(data[0])
    assert data[0]["quote"].startswith("« ")
    text = cli("quotes", project, "job_threat", "--profile", "expert").out
    assert "— Chercheur en IA, laboratoire public (nommé avec son accord)" in text
    bad = cli("quotes", project, "no_such_code")
    assert bad.code == 2 and "no code 'no_such_code'" in bad.err
    bad = cli("quotes", project, "job_threat", "--attribute", "colour=red")
    assert bad.code == 2 and "no case attribute 'colour'" in bad.err
    assert cli("quotes", project, "job_threat", "--attribute", "oops").code == 2
