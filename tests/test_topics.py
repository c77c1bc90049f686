"""Discovered topics: stop words, labels, reproducibility, codebook comparison, promotion,
rename and merge; BERTopic, UMAP and HDBSCAN are the real ones throughout."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import write

FAKE = "fakes:HashingEmbedder"

# Four themes a small study might hold; each respondent turn mixes one theme's phrases.
THEMES = {
    "securite": (
        [
            "Nos données confidentielles partent sur des serveurs américains",
            "La fuite de données clients me fait peur",
            "Le service informatique surveille les fuites de plans confidentiels",
            "Un fichier de paie envoyé dans ChatGPT, c'est une fuite de données",
            "Les données de nos clients ne doivent pas sortir de nos serveurs",
            "On craint l'espionnage industriel par les données envoyées",
        ],
        [
            "et personne ne sait où ces données confidentielles sont stockées.",
            "donc la sécurité des données devient une vraie inquiétude.",
        ],
    ),
    "energie": (
        [
            "La consommation électrique des centres de calcul explose",
            "Chaque requête consomme de l'énergie et émet du carbone",
            "Le bilan carbone de nos usages numériques augmente",
            "Les serveurs refroidis à l'eau consomment une énergie folle",
            "Notre direction environnement mesure l'empreinte carbone",
            "L'électricité des modèles géants pèse sur le climat",
        ],
        [
            "et l'empreinte environnementale de l'énergie consommée inquiète.",
            "donc la sobriété énergétique et le carbone deviennent un sujet.",
        ],
    ),
    "reglement": (
        [
            "Le règlement européen sur l'intelligence artificielle arrive",
            "Le juriste prépare la conformité à l'AI Act",
            "Les obligations légales de transparence vont s'appliquer",
            "La loi européenne classe nos systèmes par niveau de risque",
            "Notre conformité réglementaire demande un registre des systèmes",
            "Les sanctions prévues par le règlement sont lourdes",
        ],
        [
            "et la conformité juridique au règlement européen nous occupe.",
            "donc le cadre légal et les obligations réglementaires se précisent.",
        ],
    ),
    "formation": (
        [
            "Je n'ai jamais suivi de formation sur ces outils",
            "La formation proposée était trop courte et trop générale",
            "On apprend seul, en autodidacte, le soir",
            "Il faudrait une formation métier adaptée aux ingénieurs",
            "Apprendre à écrire une bonne requête demande une formation",
            "Le plan de formation ne prévoit rien sur l'IA",
        ],
        [
            "et les salariés réclament une formation sérieuse et pratique.",
            "donc apprendre et se former devient indispensable pour tous.",
        ],
    ),
}

CODEBOOK_YAML = """\
# Codebook de test : les commentaires doivent survivre à la promotion d'un thème.
schema_version: 1
name: test
language: fr
codes:
  - id: data_security
    label: {fr: "Sécurité des données"}
    definition: Crainte de fuite ou de perte de confidentialité des données.
    examples:
      - "Nos plans confidentiels pourraient fuiter sur des serveurs étrangers."
      - "J'ai peur que les données de nos clients se retrouvent dans la nature."
  - id: training_needs
    label: {fr: "Besoins de formation"}
    definition: Manque ou besoin de formation aux outils d'IA.
    examples:
      - "Personne ne nous a formés, on apprend sur le tas."
      - "Il nous faudrait une vraie formation adaptée à notre métier."
background:
  - "Je travaille dans l'usine depuis dix ans."
"""


def _theme_texts() -> list[tuple[str, str]]:
    out = []
    for theme, (starts, ends) in THEMES.items():
        for start in starts:
            for end in ends:
                out.append((theme, f"{start}, {end}"))
    return out


def _study(tmp_path, cli, project_path, embedder: str = FAKE):
    """A project of two interviews whose 48 respondent turns cover four themes; a person
    accepted data_security on the security turns of the first interview."""
    from qualkit.codebook import load_codebook
    from qualkit.store import Project
    from qualkit.store.codings import decide, record_codebook
    from qualkit.store.topics import respondent_segments

    folder = tmp_path / "transcripts"
    folder.mkdir()
    texts = _theme_texts()
    for k in range(2):
        lines = []
        for i, (_, text) in enumerate(texts[k::2]):
            lines.append(f"Enquêteur : Question numéro {i} ?\n\nRépondant : {text}\n")
        write(folder / f"entretien_{k}.txt", "\n".join(lines))
    book_path = write(tmp_path / "codebook.yaml", CODEBOOK_YAML)
    result = cli("import", project_path, folder, "--min-chars", "40")
    assert result.code == 0, result.err
    with Project.open(project_path) as proj, proj.transaction() as conn:
        record_codebook(conn, load_codebook(book_path), str(book_path))
        for row in respondent_segments(conn):
            if row["interview"] == "entretien_0.txt" and "donnée" in row["text"]:
                decide(conn, row["id"], "data_security", "alice", "accepted")
    return book_path


def _topics(cli, project_path, *extra) -> list[dict]:
    result = cli("topics", project_path, "--embedder", FAKE, "--json", *extra)
    assert result.code == 0, result.err
    return json.loads(result.out)


def _theme_of(topic: dict) -> str:
    counts = {
        theme: sum(any(s["text"].startswith(x) for x in starts) for s in topic["representative"])
        for theme, (starts, _) in THEMES.items()
    }
    return max(counts, key=counts.get)


# --- keywords and labels ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "stop"),
    [
        ("le", True),
        ("euh", True),
        ("voilà", True),
        ("the", True),
        ("rire", True),
        ("faire", True),
        ("donnée", False),
        ("carbone", False),
        ("formation", False),
    ],
)
def test_topics_stop_words_french_english_and_fillers(word, stop):
    from qualkit.topics import stop_words

    assert (word in stop_words()) is stop


def test_topics_keywords_leave_out_stop_words_and_fillers():
    from qualkit.topics import keywords

    docs = [
        "euh bon voilà le carbone de le énergie euh",
        "voilà euh le carbone et la énergie bon",
        "euh la formation bon voilà et le outil",
        "bon la formation euh et apprendre voilà",
    ]
    words = keywords(docs, [0, 0, 1, 1])
    found = {w for k in words for w, _ in words[k]}
    assert {"carbone", "énergie", "formation"} <= found
    assert not found & {"euh", "bon", "voilà", "le", "la", "et"}
    assert {"carbone", "énergie"} <= {w for w, _ in words[0][:3]}


@pytest.mark.parametrize(
    ("words", "label"),
    [
        (
            ["donnée", "donnée confidentiel", "confidentiel", "serveur"],
            "donnée, confidentiel, serveur",
        ),
        (["carbone"], "carbone"),
        ([], "(no keywords)"),
    ],
)
def test_topics_label_skips_words_already_in_it(words, label):
    from qualkit.topics import label_of

    assert label_of(words) == label


@pytest.mark.parametrize(("n", "size"), [(50, 5), (776, 9), (2000, 15), (20000, 47), (10**6, 50)])
def test_topics_min_size_scales_with_the_corpus(n, size):
    from qualkit.topics import default_min_size

    assert default_min_size(n) == size


# --- the BERTopic pipeline ---------------------------------------------------------------------


def _clustered(n_per: int = 30, k: int = 4, dim: int = 32, seed: int = 0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, dim))
    vectors = np.vstack([c + 0.15 * rng.normal(size=(n_per, dim)) for c in centers])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vocab = [
        ["carbone", "énergie"],
        ["formation", "apprendre"],
        ["donnée", "fuite"],
        ["règlement", "conformité"],
    ]
    docs = [f"euh {' '.join(vocab[i // n_per])} voilà" for i in range(n_per * k)]
    return docs, vectors.astype(np.float32)


def test_topics_fit_is_reproducible_and_finds_the_clusters():
    from qualkit.topics import TopicParams, fit_topics

    docs, vectors = _clustered()
    first = fit_topics(docs, vectors, TopicParams(), min_size=8)
    second = fit_topics(docs, vectors, TopicParams(), min_size=8)
    assert np.array_equal(first.labels, second.labels)
    assert np.allclose(first.coords, second.coords)
    assert first.keywords == second.keywords
    assert len(set(first.labels) - {-1}) == 4
    for k in range(4):  # each topic is one cluster, described by that cluster's words
        members = set(np.flatnonzero(first.labels == k) // 30)
        assert len(members) == 1
        assert first.keywords[k][0][0] in docs[next(iter(members)) * 30]
    assert set(first.timings) == {"reduction", "clustering", "representation", "map"}


@pytest.mark.parametrize(("carried", "emerging"), [(0, True), (1, True), (2, False), (4, False)])
def test_topics_codebook_comparison_shares_and_emerging(carried, emerging):
    from qualkit.topics import describe_topic

    rows = [
        {"id": 10 + i, "text": f"t{i}", "interview": f"i{i % 2}", "profile": None} for i in range(8)
    ]
    embeddings = np.tile(np.array([1.0, 0.0, 0.0], dtype=np.float32), (8, 1))
    codes_of = {10 + i: {"data_security"} for i in range(carried)} | {17: {"other"}}
    code_vectors = {"data_security": np.array([0.0, 1.0, 0.0]), "near": np.array([0.8, 0.6, 0.0])}
    out = describe_topic(np.arange(8), rows, embeddings, [("carbone", 0.5)], codes_of, code_vectors)
    assert out["codes"]["data_security"] == carried / 8
    assert out["codes"]["other"] == 0.125
    assert out["emerging"] is emerging
    assert list(out["similarity"]) == ["near", "data_security"]
    assert out["similarity"]["near"] == pytest.approx(0.8)
    assert out["interviews"] == {"i0": 4, "i1": 4} and out["profiles"] == {"unknown": 8}
    assert out["label"] == "carbone" and out["size"] == 8


def test_topics_segment_codes_accepted_or_passing_not_rejected(tmp_path, cli, project_path):
    from qualkit.store import Project
    from qualkit.store.codings import decide, replace_suggestions
    from qualkit.store.topics import respondent_segments, segment_codes

    _study(tmp_path, cli, project_path)
    with Project.open(project_path) as proj, proj.transaction() as conn:
        a, b, c = [r["id"] for r in respondent_segments(conn)[-3:]]
        replace_suggestions(
            conn,
            [a, b, c],
            [
                {"segment_id": a, "code": "training_needs", "score": 0.9, "passes": True},
                {"segment_id": b, "code": "training_needs", "score": 0.4, "passes": False},
                {"segment_id": c, "code": "training_needs", "score": 0.9, "passes": True},
            ],
            1,
        )
        decide(conn, c, "training_needs", "alice", "rejected")
        codes = segment_codes(conn)
        uncoded = {r["id"] for r in respondent_segments(conn, only_uncoded=True)}
    assert codes.get(a) == {"training_needs"}
    assert b not in codes and c not in codes
    assert a not in uncoded and {b, c} <= uncoded
    assert sum(codes.get(s) == {"data_security"} for s in codes) == 6


# --- commands on a small project ----------------------------------------------------------------


def test_topics_command_compares_with_codebook_and_is_reproducible(tmp_path, cli, project_path):
    _study(tmp_path, cli, project_path)
    first = _topics(cli, project_path)
    assert _topics(cli, project_path) == first
    shown = cli("topics-show", project_path, "--json")
    assert json.loads(shown.out) == first
    assert len(first) >= 3 and max(t["size"] for t in first) <= 24
    for topic in first:
        assert {
            "id",
            "label",
            "keywords",
            "size",
            "emerging",
            "codes",
            "interviews",
            "profiles",
            "representative",
            "similarity",
        } <= set(topic)
    security = [t for t in first if _theme_of(t) == "securite"]
    assert security and not security[0]["emerging"]
    assert security[0]["codes"]["data_security"] >= 0.2
    assert any(t["emerging"] for t in first)
    text = cli("topics-show", project_path)
    assert "Emerging topics" in text.out and re.search(r"\[emerging\]", text.out)


def test_topics_rename_and_merge(tmp_path, cli, project_path):
    _study(tmp_path, cli, project_path)
    before = {t["id"]: t for t in _topics(cli, project_path)}
    assert cli("topic-rename", project_path, "0", "Mon thème").code == 0
    merged = cli("topic-merge", project_path, "0", "1", "--json")
    assert merged.code == 0, merged.err
    after = {t["id"]: t for t in json.loads(cli("topics-show", project_path, "--json").out)}
    assert 1 not in after
    assert after[0]["size"] == before[0]["size"] + before[1]["size"]
    assert after[0]["label"] == "Mon thème" and after[0]["merged_from"] == [1]
    assert sum(t["size"] for t in after.values()) == sum(t["size"] for t in before.values())
    for bad in (
        ("topic-merge", project_path, "0", "0"),
        ("topic-merge", project_path, "0", "99"),
        ("topic-rename", project_path, "0", " "),
    ):
        result = cli(*bad)
        assert result.code == 2 and result.err.startswith("qualkit: error:")


def test_topics_promote_refuses_bad_ids_and_keeps_the_file(tmp_path, cli, project_path):
    book = _study(tmp_path, cli, project_path)
    _topics(cli, project_path)
    for code_id in ("data_security", "Bad-Id"):
        result = cli("topic-promote", project_path, "0", "--code-id", code_id, "--codebook", book)
        assert result.code == 2
        assert book.read_text(encoding="utf-8") == CODEBOOK_YAML


def test_topics_end_to_end_real_models_promote_then_code(tmp_path, cli, project_path):
    """The real pipeline: default embedder, spaCy lemmas, BERTopic; a promoted topic becomes a
    code that `qualkit code` suggests at once."""
    from qualkit.codebook import load_codebook
    from qualkit.store import Project
    from qualkit.store.codings import latest_codebook

    book = _study(tmp_path, cli, project_path)
    result = cli("topics", project_path, "--json")
    assert result.code == 0, result.err
    found = json.loads(result.out)
    assert len(found) >= 3 and max(t["size"] for t in found) <= 24
    assert found[0]["keywords"][0] not in ("euh", "le", "voilà")
    energy = next(t for t in found if _theme_of(t) == "energie")
    assert energy["emerging"]
    promoted = cli(
        "topic-promote",
        project_path,
        str(energy["id"]),
        "--code-id",
        "environmental_cost",
        "--codebook",
        book,
        "--json",
    )
    assert promoted.code == 0, promoted.err
    new = load_codebook(book).code("environmental_cost")
    assert new.label.fr == energy["label"] and len(new.examples) >= 3
    assert book.read_text(encoding="utf-8").startswith("# Codebook de test")
    with Project.open(project_path) as proj, proj.reading() as conn:
        assert latest_codebook(conn)[0] == json.loads(promoted.out)["codebook_version"] == 2
    coded = cli("code", project_path, "--codebook", book, "--json")
    assert coded.code == 0, coded.err
    assert "environmental_cost" in json.loads(coded.out)["codes"]
    shown = json.loads(cli("topics-show", project_path, "--json").out)
    assert (
        next(t for t in shown if t["id"] == energy["id"])["promoted_code"] == "environmental_cost"
    )


def test_topics_figures_plotly_and_png(tmp_path):
    from qualkit.topics import keyword_bars, keyword_bars_png, topic_map, topic_map_png

    run = {
        "topics": [
            {
                "id": k,
                "label": f"thème {k}",
                "emerging": k == 1,
                "keywords": ["a", "b"],
                "keyword_scores": [0.5, 0.2],
            }
            for k in range(2)
        ],
        "points": [(i, i % 2 if i < 8 else -1, float(i), float(i % 3)) for i in range(10)],
    }
    figure = topic_map(run)
    assert [t.name for t in figure.data] == ["0: thème 0", "1: thème 1 *", "outliers"]
    assert len(keyword_bars(run).data) == 2
    for draw in (topic_map_png, keyword_bars_png):
        path = draw(run, tmp_path / f"{draw.__name__}.png")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
