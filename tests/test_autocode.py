"""Auto-coding: negation, scoring and explanations, the cache, and people's decisions."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from conftest import write
from fakes import HashingEmbedder, split_lemmas

from qualkit.autocode import AutoCoder, Labelled, _codebook_training, pieces_of, sentences
from qualkit.codebook import parse_codebook
from qualkit.lexical import compile_patterns, find

CODEBOOK = """\
schema_version: 1
codes:
  - id: job_threat
    label: {fr: Menace sur l'emploi}
    definition: Peur que l'IA supprime des postes.
    examples:
      - "J'ai peur de perdre mon poste à cause de l'IA."
      - "Ils vont supprimer des postes avec ces outils."
      - "On sera moins nombreux dans l'équipe demain."
    counter_examples:
      - "Je n'ai pas peur pour mon poste, l'outil m'aide."
    patterns: ["perdre poste", "supprimer poste"]
  - id: training_needs
    label: {fr: Besoins de formation}
    definition: Manque de formation.
    examples:
      - "Je n'ai jamais eu de formation, j'ai appris seul."
      - "Il faudrait une vraie formation au métier."
      - "La formation était trop courte et trop générique."
    patterns: ["formation"]
background:
  - "On gagne beaucoup de temps sur les comptes rendus."
  - "L'usine tourne en trois-huit."
  - "Bonjour, merci de me recevoir."
"""

FAKE = "fakes:HashingEmbedder"


@pytest.fixture(scope="module")
def lemma_nlp():
    from qualkit.nlp import lemma_pipeline

    return lemma_pipeline("fr")


def test_autocode_negation_on_real_lemmas(lemma_nlp):
    from qualkit.lexical import lemmatise

    def lemmas_of(texts):
        return lemmatise(texts, lemma_nlp)

    patterns = compile_patterns([("job_threat", "perdre son poste")], lemmas_of)
    plain, denied, later = lemmas_of(
        [
            "Franchement, j'ai peur de perdre mon poste.",
            "Je n'ai pas peur de perdre mon poste.",
            "Je ne sais pas, mais on risque de perdre nos postes.",
        ]
    )
    assert [h.negated for h in find(plain, patterns)] == [False]
    assert [h.negated for h in find(denied, patterns)] == [True]
    assert [h.negated for h in find(later, patterns)] == [False]


def _coder(training=()):
    embedder = HashingEmbedder()
    return AutoCoder(parse_codebook(CODEBOOK), embedder.embed, split_lemmas, training)


def test_autocode_scores_and_explains():
    coder = _coder()
    scores = coder.score(
        [
            "Je vais perdre mon poste, ils suppriment des postes.",
            "On gagne du temps sur les comptes rendus.",
        ]
    )
    k = coder.code_ids.index("job_threat")
    assert scores.score.shape == (2, 2)
    assert scores.score[0, k] > scores.score[1, k]
    assert scores.passes()[0, k] and not scores.passes()[1, k]
    explanation = scores.explain(0, k)
    assert {p["pattern"] for p in explanation["patterns"]} >= {"perdre poste"}
    assert explanation["nearest_example"]["text"].startswith(("J'ai peur", "Ils vont"))
    assert 0 <= explanation["zero_shot"] <= 1 and "learned" not in explanation


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Une seule phrase sans fin", ["Une seule phrase sans fin"]),
        (
            "Le gain de temps est réel sur les comptes rendus. Mais j'ai peur pour les postes "
            "de l'équipe.",
            [
                "Le gain de temps est réel sur les comptes rendus.",
                "Mais j'ai peur pour les postes de l'équipe.",
            ],
        ),
        (
            "Oui. Voilà. On a testé l'outil sur trois lignes de production cet été.",
            ["Oui. Voilà. On a testé l'outil sur trois lignes de production cet été."],
        ),
        (
            "On a testé l'outil sur trois lignes de production cet été. Bon. Voilà.",
            ["On a testé l'outil sur trois lignes de production cet été. Bon. Voilà."],
        ),
        ("M. Dupont a vu 3.5 fois plus de pièces.", ["M. Dupont a vu 3.5 fois plus de pièces."]),
    ],
)
def test_autocode_sentences_join_short_pieces(text, expected):
    assert sentences(text) == expected
    assert pieces_of([text]) == (expected if len(expected) > 1 else [])


def test_autocode_strongest_sentence_lifts_a_long_passage_and_explains():
    filler = "L'usine tourne en trois-huit. On gagne beaucoup de temps sur les comptes rendus."
    concern = "Ils vont supprimer des postes avec ces outils."
    coder = _coder()
    k = coder.code_ids.index("job_threat")
    passage = [f"{filler} {concern}"]
    scores = coder.score(passage)
    whole = coder._zero_shot(coder._features_of(passage))  # the passage alone
    assert scores.explain(0, k)["sentence"] == concern
    assert scores.zero_shot[0, k] > whole[0, k]


def test_autocode_example_of_two_codes_is_positive_for_both():
    both = "Pas de formation, et j'ai peur de perdre mon poste."
    book = parse_codebook(
        CODEBOOK.replace(
            '      - "On sera moins nombreux dans l\'équipe demain."',
            f'      - "On sera moins nombreux dans l\'équipe demain."\n      - "{both}"',
        ).replace(
            '      - "La formation était trop courte et trop générique."',
            f'      - "La formation était trop courte et trop générique."\n      - "{both}"',
        )
    )
    texts, labels = _codebook_training(book)
    assert texts.count(both) == 1
    assert labels[texts.index(both)].tolist() == [True, True]


def test_autocode_threshold_override():
    book = parse_codebook(
        CODEBOOK.replace(
            '    patterns: ["formation"]', '    patterns: ["formation"]\n    threshold: 0.9'
        )
    )
    coder = AutoCoder(book, HashingEmbedder().embed, split_lemmas)
    assert coder.thresholds[book.ids.index("training_needs")] == 0.9


def test_autocode_learns_from_decisions():
    probe = "Le robot de palettisation va remplacer les caristes de nuit."
    training = [
        Labelled(f"Le robot va remplacer les caristes de l'équipe {i}.", frozenset({"job_threat"}))
        for i in range(12)
    ]
    training += [
        Labelled(f"Le robot de l'atelier {i} est bleu et neuf.", frozenset()) for i in range(12)
    ]
    k = 0
    before = _coder().score([probe]).score[0, k]
    learned = _coder(training).score([probe])
    assert learned.share[k] > 0 and learned.score[0, k] > before
    assert "learned" in learned.explain(0, k)


def test_autocode_another_studys_decisions_train_the_codebook_classifier():
    own = [
        Labelled(f"Le robot va remplacer les caristes de l'équipe {i}.", frozenset({"job_threat"}))
        for i in range(12)
    ] + [Labelled(f"Le robot de l'atelier {i} est bleu et neuf.", frozenset()) for i in range(12)]
    foreign = [Labelled(t.text, t.codes, foreign=True) for t in own]
    probe = "Le robot de palettisation va remplacer les caristes de nuit."
    k = 0
    before = _coder().score([probe]).zero_shot[0, k]
    seeded = _coder(foreign)
    after = seeded.score([probe])
    assert not seeded.share.any() and seeded.learned is None  # no model of the study's own
    assert after.zero_shot[0, k] > before  # but the codebook classifier learned from them
    assert _coder(own).share[k] > 0


# --- on a project --------------------------------------------------------------------------

DIALOGUE = """Q : Bonjour. Que pensez-vous de l'IA ?
R : J'ai peur de perdre mon poste, ils vont supprimer des postes.
Q : Et la formation ?
R : Jamais eu de formation, rien du tout, j'ai appris seul.
Q : Et l'usine ?
R : L'usine tourne en trois-huit, on gagne du temps.
"""


@pytest.fixture
def coded_project(cli, project_path, tmp_path):
    cli("import", project_path, write(tmp_path / "e1.txt", DIALOGUE))
    book = write(tmp_path / "cb.yaml", CODEBOOK)
    return project_path, book


def _rows(path, query):
    with sqlite3.connect(path) as conn:
        return conn.execute(query).fetchall()


def test_autocode_project_run_and_cache(cli, coded_project):
    project, book = coded_project
    first = cli("code", project, "--codebook", book, "--embedder", FAKE, "--json")
    assert first.code == 0, first.err
    result = json.loads(first.out)
    assert result["segments_scored"] == 3 and result["embeddings_computed"] > 0
    suggested = _rows(
        project,
        "select c.code, c.passes, c.explanation from codings c where c.coder='auto' and c.passes=1",
    )
    assert {code for code, *_ in suggested} >= {"job_threat", "training_needs"}
    assert all(json.loads(e)["nearest_example"]["text"] for *_, e in suggested)

    second = json.loads(cli("code", project, "--codebook", book, "--embedder", FAKE, "--json").out)
    assert second["embeddings_computed"] == 0
    assert second["codebook_version"] == result["codebook_version"] == 1


def test_autocode_learn_from_another_study_on_a_fresh_project(cli, coded_project, tmp_path):
    project, book = coded_project
    lines = [
        {
            "id": f"x{i}",
            "text": f"Le robot va supprimer les postes de l'équipe {i}.",
            "codes": ["job_threat"],
        }
        for i in range(6)
    ] + [{"id": f"y{i}", "text": f"L'atelier {i} est propre.", "codes": []} for i in range(6)]
    labelled = write(tmp_path / "other.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    args = ["code", project, "--codebook", book, "--embedder", FAKE, "--json"]
    done = cli(*args, "--learn-from", labelled)
    assert done.code == 0, done.err
    assert json.loads(done.out)["segments_scored"] == 3
    again = cli(*args, "--learn-from", labelled)  # the classifier it trained is cached
    assert again.code == 0 and json.loads(again.out)["embeddings_computed"] == 0


def test_autocode_human_decisions_survive_rerun(cli, coded_project):
    from qualkit.store import Project
    from qualkit.store.codings import decide

    project, book = coded_project
    cli("code", project, "--codebook", book, "--embedder", FAKE)
    segment = _rows(
        project,
        "select segment_id from codings where coder='auto' and code='job_threat' and passes=1",
    )[0][0]
    with Project.open(project) as p, p.transaction() as conn:
        decide(conn, segment, "job_threat", "alice", "rejected")
        decide(conn, segment, "training_needs", "alice", "accepted")

    changed = write(book, CODEBOOK.replace("Peur que l'IA", "Crainte que l'IA"))
    result = json.loads(
        cli("code", project, "--codebook", changed, "--embedder", FAKE, "--json").out
    )
    assert result["codebook_version"] == 2 and result["segments_scored"] == 2
    decisions = f"select code, coder, status from codings where segment_id={segment} "
    assert _rows(project, decisions + "and coder != 'auto' order by code") == [
        ("job_threat", "alice", "rejected"),
        ("training_needs", "alice", "accepted"),
    ]
    # the machine's earlier suggestion stays as a record; it is not recomputed
    assert {r[1] for r in _rows(project, decisions)} == {"alice", "auto"}
    assert _rows(project, "select count(*) from decision_log")[0][0] == 2


def test_autocode_real_embedders_are_unit_and_meaningful():
    from qualkit.embedding import get_embedder

    texts = [
        "J'ai peur que l'IA supprime mon emploi.",
        "Je crains de perdre mon travail à cause de l'intelligence artificielle.",
        "La cantine sert des frites le vendredi.",
    ]
    for name in ("e5-small", "use-m3"):
        vectors = get_embedder(name).embed(texts)
        assert vectors.shape == (3, get_embedder(name).dim)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
        assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_autocode_evaluate_cli_json(cli, tmp_path):
    book = write(tmp_path / "cb.yaml", CODEBOOK)
    gold = write(
        tmp_path / "gold.jsonl",
        "\n".join(
            json.dumps(r, ensure_ascii=False)
            for r in [
                {
                    "id": "a#1",
                    "text": "Ils vont supprimer des postes, j'ai peur.",
                    "codes": ["job_threat"],
                },
                {
                    "id": "a#2",
                    "text": "Aucune formation, j'ai appris seul.",
                    "codes": ["training_needs"],
                },
                {"id": "b#1", "text": "L'usine tourne en trois-huit.", "codes": []},
                {"id": "b#2", "text": "On gagne du temps.", "codes": []},
            ]
        ),
    )
    result = cli("evaluate", gold, "--codebook", book, "--embedder", FAKE, "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert set(data) == {"macro_f1", "micro_f1", "codes", "predictions"}
    assert set(data["codes"]["job_threat"]) == {
        "precision",
        "recall",
        "f1",
        "support",
        "kappa",
        "average_precision",
    }
    assert [p["id"] for p in data["predictions"]] == ["a#1", "a#2", "b#1", "b#2"]
    folds = cli("evaluate", gold, "--codebook", book, "--embedder", FAKE, "--folds", "2", "--json")
    assert folds.code == 0, folds.err
    cache = tmp_path / "cache.qualkit"
    with_cache = [
        "evaluate",
        gold,
        "--codebook",
        book,
        "--embedder",
        FAKE,
        "--cache",
        cache,
        "--json",
    ]
    cached = cli(*with_cache)
    assert cached.code == 0, cached.err
    assert json.loads(cached.out) == data
    stored = _rows(cache, "SELECT count(*) FROM embeddings WHERE model = 'fake-hashing'")[0][0]
    assert stored >= 4  # the gold texts and the codebook's, kept for the next run
    again = cli(*with_cache)
    assert json.loads(again.out) == data
