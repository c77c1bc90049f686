"""Discovered topics: BERTopic over the project's cached embeddings, compared with the codebook.

Respondent segments are reduced with UMAP (fixed random state), clustered with HDBSCAN (min
topic size scaled to the corpus) and described by c-TF-IDF keywords over their cached spaCy
lemmas, French (and English) stop words and interview fillers removed. Outliers go to the
nearest topic, so that most segments get one. Each topic is compared with the codebook: the
share of its segments carrying each code, and the similarity of its centroid to each code's
examples; a topic that no code covers is *emerging*, a theme the codebook misses. Runs are
stored with their parameters; topics can be renamed, merged, or promoted to a code.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qualkit.embedding import DEFAULT_EMBEDDER, text_hash
from qualkit.errors import QualkitError
from qualkit.store import Project
from qualkit.store import topics as store

# Words of talk, not of topics: hesitations, discourse markers, all-purpose verbs.
FILLERS = frozenset(
    """euh heu hum hmm mh ah oh bon ben bah hein ouais oui non voilà voila quoi enfin alors
    donc bref genre truc trucs machin chose choses vraiment beaucoup peu juste effectivement
    forcément justement exactement finalement clairement franchement carrément notamment
    aujourd hui faire aller pouvoir falloir vouloir voir mettre prendre venir passer penser
    croire trouver sembler parler arriver rester donner demander savoir petit grand gros vrai
    côté niveau fois part coup exemple question moment année an jour temps monde gens
    yeah yes okay ok um uh like kind sort thing things stuff get got go going know think mean
    lot really actually basically
    rire silence pause bruit inaudible sourire luire""".split()
)  # last line: transcription marks, "(rire)"; "luire" is spaCy's lemma of some "lui"
TOKEN = r"[^\W\d_]{2,}"  # words of two letters or more, no digits: what keywords are made of
COVERED_SHARE = 0.2  # a code on this share of a topic's segments covers the topic
N_KEYWORDS = 10
N_REPRESENTATIVE = 5
Progress = Callable[[str], None]


@dataclass(frozen=True)
class TopicParams:
    """Everything that determines a run; stored with it, so a run can be reproduced."""

    only_uncoded: bool = False
    min_size: int | None = None  # None: scaled to the corpus (default_min_size)
    seed: int = 42
    n_neighbors: int = 15
    n_components: int = 5
    outlier_threshold: float = 0.0  # cosine to the nearest topic for an outlier to join it
    embedder: str = DEFAULT_EMBEDDER


def default_min_size(n_segments: int) -> int:
    """Smallest topic, growing with the square root of the corpus: 5 segments up to about 250,
    9 for the sample study (776), 15 for 2,000, capped at 50."""
    return max(5, min(50, round(math.sqrt(n_segments) / 3)))


def stop_words() -> list[str]:
    """spaCy's French stop words and interview fillers, plus English ones (for English
    projects, and because French interviews quote English), keeping only the entries that the
    keyword tokenizer can produce (so CountVectorizer finds its stop list consistent)."""
    from spacy.lang.en.stop_words import STOP_WORDS as EN
    from spacy.lang.fr.stop_words import STOP_WORDS as FR

    words = set(FR) | set(EN) | FILLERS
    return sorted(w for w in words if re.fullmatch(TOKEN, w))


def keyword_docs(lemmas: Sequence[Sequence[Sequence[str]]]) -> list[str]:
    """Each text's lemmas as one string of words for the keyword vectorizer."""
    word = re.compile(TOKEN)
    return [" ".join(w for sent in text for w in sent if word.fullmatch(w)) for text in lemmas]


def _vectorizer():
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(
        stop_words=stop_words(), token_pattern=rf"(?u)\b{TOKEN}\b", ngram_range=(1, 2)
    )


def keywords(docs: Sequence[str], labels: Sequence[int]) -> dict:
    """c-TF-IDF keywords per topic (BERTopic's ClassTfidfTransformer): topic -> [(word, score)]."""
    from bertopic.vectorizers import ClassTfidfTransformer

    ids = sorted({int(t) for t in labels if t >= 0})
    joined = [" ".join(d for d, t in zip(docs, labels, strict=True) if t == k) for k in ids]
    vectorizer = _vectorizer()
    try:
        counts = vectorizer.fit_transform(joined)
    except ValueError:  # nothing left once stop words are gone
        return {k: [] for k in ids}
    scores = ClassTfidfTransformer(reduce_frequent_words=True).fit_transform(counts).toarray()
    words = vectorizer.get_feature_names_out()
    out = {}
    for row, k in enumerate(ids):
        order = np.lexsort((words, -scores[row]))[:N_KEYWORDS]  # ties: alphabetical
        out[k] = [(str(words[i]), round(float(scores[row, i]), 4)) for i in order if scores[row, i]]
    return out


def label_of(words: Sequence[str], n: int = 3) -> str:
    """A readable label: the top keywords, skipping those that repeat a word already in it."""
    picked: list[str] = []
    seen: set[str] = set()
    for w in words:
        parts = set(w.split())
        if parts & seen:
            continue
        picked.append(w)
        seen |= parts
        if len(picked) == n:
            break
    return ", ".join(picked) or "(no keywords)"


@dataclass
class Fit:
    labels: np.ndarray  # topic per segment, -1 for outliers; 0 is the largest topic
    coords: np.ndarray  # (n, 2) map positions
    keywords: dict
    timings: dict = field(default_factory=dict)


def fit_topics(
    docs: Sequence[str],
    embeddings: np.ndarray,
    params: TopicParams,
    min_size: int,
) -> Fit:
    """BERTopic on precomputed embeddings: UMAP, HDBSCAN, c-TF-IDF; then outliers reduced."""
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from hdbscan import HDBSCAN
    from umap import UMAP

    timings: dict[str, float] = {}

    class TimedUMAP(UMAP):
        def fit_transform(self, X, y=None, **kwargs):
            t0 = time.perf_counter()
            out = super().fit_transform(X, y=y, **kwargs)
            timings["reduction"] = time.perf_counter() - t0
            return out

    class TimedHDBSCAN(HDBSCAN):
        def fit(self, X, y=None, **kwargs):
            t0 = time.perf_counter()
            out = super().fit(X, y, **kwargs)
            timings["clustering"] = time.perf_counter() - t0
            return out

    umap_model = TimedUMAP(
        n_neighbors=min(params.n_neighbors, len(docs) - 1),
        n_components=params.n_components,
        min_dist=0.0,
        metric="cosine",
        random_state=params.seed,
        n_jobs=1,
    )
    cluster_model = TimedHDBSCAN(
        min_cluster_size=min_size,
        min_samples=max(2, min_size // 2),
        metric="euclidean",
        cluster_selection_method="eom",
    )
    model = BERTopic(
        umap_model=umap_model,
        hdbscan_model=cluster_model,
        vectorizer_model=_vectorizer(),
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
        top_n_words=N_KEYWORDS,
    )
    embeddings = np.asarray(embeddings, dtype=np.float32)
    t0 = time.perf_counter()
    topics, _ = model.fit_transform(list(docs), embeddings)
    if -1 in topics and len(set(topics)) > 1:
        topics = model.reduce_outliers(
            list(docs),
            topics,
            strategy="embeddings",
            embeddings=embeddings,
            threshold=params.outlier_threshold,
        )
    labels = _by_size(np.asarray(topics))
    words = keywords(docs, labels)
    total = time.perf_counter() - t0
    timings["representation"] = total - timings.get("reduction", 0) - timings.get("clustering", 0)

    t0 = time.perf_counter()
    reduced = umap_model.embedding_
    coords = UMAP(
        n_neighbors=min(params.n_neighbors, len(docs) - 1),
        n_components=2,
        min_dist=0.1,
        random_state=params.seed,
        n_jobs=1,
    ).fit_transform(reduced)
    timings["map"] = time.perf_counter() - t0
    return Fit(labels, np.asarray(coords, dtype=float), words, timings)


def _by_size(topics: np.ndarray) -> np.ndarray:
    """Topics renumbered 0, 1, ... by decreasing size (ties: former number); -1 stays."""
    sizes = Counter(int(t) for t in topics if t >= 0)
    order = sorted(sizes, key=lambda t: (-sizes[t], t))
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping.get(int(t), -1) for t in topics], dtype=int)


# --- inputs from the project ------------------------------------------------------------------


def embedder_name(spec: str) -> str:
    """The cache name of an embedder, without loading its model when the name is known."""
    import importlib

    from qualkit.embedding import EMBEDDERS, get_embedder

    names = []
    for part in spec.split("+"):
        if part in EMBEDDERS:
            names.append(EMBEDDERS[part].name)
        elif ":" in part:
            module, _, attr = part.partition(":")
            try:
                names.append(getattr(importlib.import_module(module), attr).name)
            except (ImportError, AttributeError):
                return get_embedder(spec).name
        else:
            return get_embedder(spec).name
    return "+".join(names)


class _LazyEmbedder:
    """Looks like an embedder; loads the real one only if something must be embedded."""

    def __init__(self, spec: str) -> None:
        self.spec, self.name = spec, embedder_name(spec)

    @property
    def dim(self) -> int:
        from qualkit.embedding import get_embedder

        return get_embedder(self.spec).dim

    def embed(self, texts):
        from qualkit.embedding import get_embedder

        return get_embedder(self.spec).embed(texts)


def _embed(project: Project, texts: Sequence[str], spec: str) -> np.ndarray:
    """Cached embeddings of `texts` (the auto-coder's); only missing ones are computed."""
    from qualkit.coding import embed_source
    from qualkit.store.cache import EmbeddingCache

    return embed_source(_LazyEmbedder(spec), EmbeddingCache(project))(list(texts))


def _lemmas(project: Project, texts: Sequence[str], language: str):
    from qualkit.coding import lemma_source
    from qualkit.store.cache import LemmaCache

    return lemma_source(LemmaCache(project), language)(list(texts))


def _codebook(conn):
    from qualkit.codebook import parse_codebook
    from qualkit.store.codings import latest_codebook

    latest = latest_codebook(conn)
    return (latest[0], parse_codebook(latest[1], "<project codebook>")) if latest else (None, None)


def _code_vectors(project: Project, codebook, spec: str) -> dict[str, np.ndarray]:
    """Each code's direction: the mean of its examples (cached by `qualkit code`), or of its
    definition when it has none."""
    if codebook is None:
        return {}
    texts = {c.id: c.examples or [c.definition] for c in codebook.codes}
    flat = [t for ts in texts.values() for t in ts]
    vectors = _embed(project, flat, spec)
    out, i = {}, 0
    for code, ts in texts.items():
        out[code] = _unit(vectors[i : i + len(ts)].mean(axis=0))
        i += len(ts)
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


# --- describing and comparing topics ----------------------------------------------------------


def describe_topic(
    members: np.ndarray,
    rows: Sequence[dict],
    embeddings: np.ndarray,
    words: list,
    codes_of: dict[int, set],
    code_vectors: dict[str, np.ndarray],
) -> dict:
    """A topic's stored row (less its number): label, keywords, size, spread over interviews
    and profiles, representative segments, codes carried and similarity to each code."""
    centroid = _unit(embeddings[members].mean(axis=0))
    closeness = embeddings[members] @ centroid
    representative, seen = [], set()
    for k in np.lexsort((members, -closeness)):
        key = text_hash(rows[members[k]]["text"])
        if key not in seen:
            seen.add(key)
            representative.append(int(rows[members[k]]["id"]))
        if len(representative) == N_REPRESENTATIVE:
            break
    size = len(members)
    carried = Counter(c for m in members for c in codes_of.get(rows[m]["id"], ()))
    codes = {c: 0.0 for c in code_vectors} | {c: round(n / size, 3) for c, n in carried.items()}
    similarity = {c: round(float(centroid @ v), 3) for c, v in code_vectors.items()}
    return {
        "label": label_of([w for w, _ in words]),
        "custom_label": False,
        "keywords": [[w, s] for w, s in words],
        "size": size,
        "emerging": max(codes.values(), default=0.0) < COVERED_SHARE,
        "codes": dict(sorted(codes.items(), key=lambda kv: (-kv[1], kv[0]))),
        "similarity": dict(sorted(similarity.items(), key=lambda kv: (-kv[1], kv[0]))),
        "interviews": dict(Counter(rows[m]["interview"] for m in members).most_common()),
        "profiles": dict(Counter(rows[m]["profile"] or "unknown" for m in members).most_common()),
        "representative": representative,
        "merged_from": [],
        "promoted_code": None,
    }


def compute_topics(
    project: Project, params: TopicParams = TopicParams(), progress: Progress | None = None
) -> dict:
    """Find topics among the project's respondent segments, store the run, return it."""
    import importlib.metadata as md

    step = progress or (lambda _: None)
    with project.reading() as conn:
        rows = store.respondent_segments(conn, params.only_uncoded)
        codes_of = store.segment_codes(conn)
        version, codebook = _codebook(conn)
    min_size = default_min_size(len(rows)) if params.min_size is None else params.min_size
    if min_size < 2:
        raise QualkitError(f"--min-size must be at least 2, not {min_size}")
    if len(rows) < max(2 * min_size, 10):
        raise QualkitError(
            f"only {len(rows)} respondent segments to work on: too few to find topics of "
            f"{min_size} or more (import more interviews, or lower --min-size)"
        )
    texts = [r["text"] for r in rows]
    language = Counter(r["language"] for r in rows).most_common(1)[0][0]
    step("embeddings")
    embeddings = _embed(project, texts, params.embedder)
    step("lemmas")
    docs = keyword_docs(_lemmas(project, texts, language))
    step("topics")
    fit = fit_topics(docs, embeddings, params, min_size)
    code_vectors = _code_vectors(project, codebook, params.embedder)
    topic_rows = []
    for k in sorted(set(fit.labels) - {-1}):
        members = np.flatnonzero(fit.labels == k)
        described = describe_topic(
            members, rows, embeddings, fit.keywords.get(k, []), codes_of, code_vectors
        )
        topic_rows.append({"topic": int(k), **described})
    stored = {
        **asdict(params),
        "embedder_model": embedder_name(params.embedder),
        "min_size": min_size,
        "language": language,
        "codebook_version": version,
        "versions": {p: md.version(p) for p in ("bertopic", "umap-learn", "hdbscan")},
        "timings_s": {k: round(v, 2) for k, v in fit.timings.items()},
        "merges": [],
    }
    points = [
        (r["id"], int(t), float(x), float(y))
        for r, t, (x, y) in zip(rows, fit.labels, fit.coords, strict=True)
    ]
    with project.transaction() as conn:
        run_id = store.save_run(conn, stored, topic_rows, points)
    return load_topics(project, run_id)


def load_topics(project: Project, run_id: int | None = None) -> dict:
    """A stored run, ready to show: run fields, `topics` (see topic_json) and `points`."""
    with project.reading() as conn:
        run = store.load_run(conn, run_id)
        texts = store.segment_texts(conn, [s for t in run["topics"] for s in t["representative"]])
    run["topics"] = [topic_json(t, texts) for t in run["topics"]]
    return run


def topic_json(row: dict, texts: dict[int, dict]) -> dict:
    """One topic as the CLI's --json prints it."""
    return {
        "id": row["topic"],
        "label": row["label"],
        "keywords": [w for w, _ in row["keywords"]],
        "keyword_scores": [s for _, s in row["keywords"]],
        "size": row["size"],
        "emerging": bool(row["emerging"]),
        "codes": row["codes"],
        "similarity": row["similarity"],
        "nearest_code": next(iter(row["similarity"]), None),
        "interviews": row["interviews"],
        "profiles": row["profiles"],
        "representative": [
            {"segment_id": s, **texts[s]} for s in row["representative"] if s in texts
        ],
        "custom_label": bool(row["custom_label"]),
        "merged_from": row["merged_from"],
        "promoted_code": row["promoted_code"],
    }


# --- editing topics ---------------------------------------------------------------------------


def rename_topic(project: Project, topic: int, label: str) -> dict:
    label = " ".join(label.split())
    if not label:
        raise QualkitError("a topic label cannot be empty")
    with project.transaction() as conn:
        run_id = store.latest_run_id(conn)
        store.topic_row(conn, run_id, topic)
        store.update_topic(conn, run_id, topic, label=label[:300], custom_label=True)
    return _one(project, topic)


def merge_topics(project: Project, topic: int, other: int) -> dict:
    """Topic `other` joins `topic`: its segments move, and `topic` is described again."""
    if topic == other:
        raise QualkitError(f"cannot merge topic {topic} with itself")
    with project.reading() as conn:
        run_id = store.latest_run_id(conn)
        run = store.load_run(conn, run_id)
        target, source = store.topic_row(conn, run_id, topic), store.topic_row(conn, run_id, other)
        points = [(s, topic if t == other else t) for s, t, _, _ in run["points"]]
        info = store.segment_texts(conn, [s for s, _ in points])
        codes_of = store.segment_codes(conn)
        _, codebook = _codebook(conn)
    params = run["params"]
    rows = [{"id": s, **info[s]} for s, _ in points if s in info]
    labels = np.array([t for s, t in points if s in info])
    texts = [r["text"] for r in rows]
    embeddings = _embed(project, texts, params["embedder"])
    docs = keyword_docs(_lemmas(project, texts, params["language"]))
    words = keywords(docs, labels).get(topic, [])
    code_vectors = _code_vectors(project, codebook, params["embedder"])
    described = describe_topic(
        np.flatnonzero(labels == topic), rows, embeddings, words, codes_of, code_vectors
    )
    described["merged_from"] = target["merged_from"] + [other] + source["merged_from"]
    described["promoted_code"] = target["promoted_code"]
    if target["custom_label"]:
        described["label"], described["custom_label"] = target["label"], True
    params = {**params, "merges": params.get("merges", []) + [[topic, other]]}
    with project.transaction() as conn:
        store.move_segments(conn, run_id, other, topic)
        store.update_topic(conn, run_id, topic, **described)
        store.update_run_params(conn, run_id, params)
    return _one(project, topic)


def _one(project: Project, topic: int) -> dict:
    return next(t for t in load_topics(project)["topics"] if t["id"] == topic)


# --- promoting a topic to a code --------------------------------------------------------------


def promote_topic(project: Project, topic: int, code_id: str, codebook_path: str | Path) -> dict:
    """Write a draft code made from a topic into the codebook file and record the new version.

    The code gets the topic's label, a definition drafted from its keywords (to be rewritten
    by a person) and its representative segments as examples, so `qualkit code` can suggest it
    at once. The file keeps its comments; it is validated before and after it is replaced.
    """
    from qualkit.codebook import CODE_ID, Code, Label, load_codebook, parse_codebook
    from qualkit.store.codings import record_codebook

    path = Path(codebook_path)
    if not CODE_ID.match(code_id):
        raise QualkitError(
            f"'{code_id}' is not a code id: lowercase letters, digits and underscores "
            "(e.g. productivity_gains)"
        )
    book = load_codebook(path)
    if code_id in book.ids:
        raise QualkitError(f"code '{code_id}' already exists; choose another --code-id", path=path)
    with project.reading() as conn:
        run_id = store.latest_run_id(conn)
        row = store.topic_row(conn, run_id, topic)
        texts = store.segment_texts(conn, row["representative"])
    words = [w for w, _ in row["keywords"]][:8]
    if book.language == "en":
        definition = (
            f"DRAFT from discovered topic {topic} ('{row['label']}'): the respondent talks "
            f"about {', '.join(words)}. To rewrite: what counts, what does not."
        )
    else:
        definition = (
            f"BROUILLON issu du thème découvert {topic} (« {row['label']} ») : le répondant "
            f"parle de {', '.join(words)}. À réécrire : ce qui compte, ce qui ne compte pas."
        )
    code = Code(
        id=code_id,
        label=Label(fr=row["label"])
        if book.language != "en"
        else Label(fr=row["label"], en=row["label"]),
        definition=definition,
        examples=[texts[s]["text"] for s in row["representative"] if s in texts],
    )
    expected = book.model_copy(update={"codes": [*book.codes, code]})
    original = path.read_text(encoding="utf-8-sig")
    new_text = _append_code(original, code)
    try:
        if parse_codebook(new_text, path) != expected:
            new_text = expected.to_yaml()
    except QualkitError:
        new_text = expected.to_yaml()  # layout we cannot extend safely: write it out whole
    with project.transaction() as conn:
        version = record_codebook(conn, expected, str(path))
        store.update_topic(conn, run_id, topic, promoted_code=code_id)
        _replace_file(path, new_text)
        try:
            load_codebook(path)
        except QualkitError:
            _replace_file(path, original)
            raise
    return {
        "code_id": code_id,
        "codebook": str(path),
        "codebook_version": version,
        "label": row["label"],
        "examples": len(code.examples),
    }


def _append_code(text: str, code) -> str:
    """The codebook text with `code` added at the end of its `codes:` list, comments kept."""
    import yaml

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    node = next(v for k, v in root.value if k.value == "codes")
    if not isinstance(node, yaml.SequenceNode) or node.flow_style or not node.value:
        raise QualkitError("codes is not a block list")
    indent = node.value[0].start_mark.column - 2  # column of the "- "
    data = {k: v for k, v in code.model_dump(exclude_none=True).items() if v != []}
    snippet = yaml.safe_dump([data], allow_unicode=True, sort_keys=False, width=100)
    snippet = "".join(" " * max(indent, 0) + line for line in snippet.splitlines(keepends=True))
    lines = text.splitlines(keepends=True)
    at = node.end_mark.line if node.end_mark.column == 0 else node.end_mark.line + 1
    head = "".join(lines[:at])
    if head and not head.endswith("\n"):
        head += "\n"
    return head + snippet + "".join(lines[at:])


def _replace_file(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder, so a crash leaves one whole file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# --- figures ----------------------------------------------------------------------------------


def _label(topic: dict) -> str:
    return f"{topic['id']}: {topic['label']}" + (" *" if topic["emerging"] else "")


def topic_map(run: dict):
    """Plotly scatter of every segment on the stored 2-D map, one colour per topic; emerging
    topics are starred in the legend."""
    import plotly.graph_objects as go

    by_topic = {t["id"]: t for t in run["topics"]}
    fig = go.Figure()
    for k in sorted({t for _, t, _, _ in run["points"]}, key=lambda t: (t < 0, t)):
        pts = [(x, y) for _, t, x, y in run["points"] if t == k]
        name = _label(by_topic[k]) if k in by_topic else "outliers"
        fig.add_trace(
            go.Scattergl(
                x=[p[0] for p in pts],
                y=[p[1] for p in pts],
                mode="markers",
                name=name,
                marker={"size": 6, "opacity": 0.7, **({"color": "lightgrey"} if k < 0 else {})},
            )
        )
    for k in by_topic:
        pts = np.array([(x, y) for _, t, x, y in run["points"] if t == k])
        if len(pts):
            fig.add_annotation(
                x=pts[:, 0].mean(),
                y=pts[:, 1].mean(),
                text=str(k),
                showarrow=False,
                font={"size": 14},
            )
    fig.update_layout(
        title="Discovered topics (* emerging: no code covers them)",
        xaxis={"visible": False},
        yaxis={"visible": False},
        template="plotly_white",
    )
    return fig


def keyword_bars(run: dict, top: int = 8, per_row: int = 3):
    """Plotly horizontal bars of each topic's top keywords and their c-TF-IDF scores."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    topics = run["topics"]
    rows = max(1, -(-len(topics) // per_row))
    fig = make_subplots(
        rows=rows, cols=per_row, subplot_titles=[_label(t) for t in topics], horizontal_spacing=0.15
    )
    for i, t in enumerate(topics):
        fig.add_trace(
            go.Bar(
                x=t["keyword_scores"][:top][::-1],
                y=t["keywords"][:top][::-1],
                orientation="h",
                showlegend=False,
            ),
            row=i // per_row + 1,
            col=i % per_row + 1,
        )
    fig.update_layout(height=260 * rows, template="plotly_white", title="Topic keywords")
    return fig


def topic_map_png(run: dict, path: str | Path) -> Path:
    """The topic map as a PNG for the Word report (matplotlib, no browser needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_topic = {t["id"]: t for t in run["topics"]}
    fig, ax = plt.subplots(figsize=(8, 6), dpi=150)
    cmap = plt.get_cmap("tab20")
    for k in sorted({t for _, t, _, _ in run["points"]}):
        pts = np.array([(x, y) for _, t, x, y in run["points"] if t == k])
        colour = "lightgrey" if k < 0 else cmap(k % 20)
        name = _label(by_topic[k]) if k in by_topic else "outliers"
        ax.scatter(pts[:, 0], pts[:, 1], s=8, color=colour, alpha=0.7, label=name)
        if k >= 0:
            ax.annotate(str(k), pts.mean(axis=0), fontsize=11, weight="bold", ha="center")
    ax.set_axis_off()
    ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1, 0.5), frameon=False)
    ax.set_title("Discovered topics (* emerging: no code covers them)")
    return _save(fig, path)


def keyword_bars_png(run: dict, path: str | Path, top: int = 8, per_row: int = 3) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    topics = run["topics"]
    rows = max(1, -(-len(topics) // per_row))
    fig, axes = plt.subplots(
        rows, per_row, figsize=(4 * per_row, 2.6 * rows), dpi=150, squeeze=False
    )
    for ax in axes.flat[len(topics) :]:
        ax.set_axis_off()
    for ax, t in zip(axes.flat, topics, strict=False):
        ax.barh(t["keywords"][:top][::-1], t["keyword_scores"][:top][::-1], color="#30638e")
        ax.set_title(_label(t)[:45], fontsize=8)
        ax.tick_params(labelsize=7)
    return _save(fig, path)


def _save(fig, path: str | Path) -> Path:
    import matplotlib.pyplot as plt

    path = Path(path)
    fig.tight_layout()
    fig.savefig(path, format="png", bbox_inches="tight")
    plt.close(fig)
    return path
