"""The auto-coding stage: a project's segments (or a gold file) -> scored suggestions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from qualkit.autocode import AutoCoder, Labelled, Learned, ZeroShot, pieces_of
from qualkit.codebook import Codebook
from qualkit.embedding import DEFAULT_EMBEDDER, MemoryCache, embed_cached, get_embedder, text_hash
from qualkit.errors import QualkitError
from qualkit.evaluation import GoldItem, evaluate, read_gold
from qualkit.lexical import Lemmas, lemmatise
from qualkit.store import Project
from qualkit.store import codings as store

Progress = Callable[[int], None]
# Suggestions this far below their code's threshold are still stored, for "least certain
# first" review; lower ones are not worth a reviewer's time.
KEEP_BELOW = 0.15


def lemma_source(cache, language: str = "fr") -> Callable[[Sequence[str]], list[Lemmas]]:
    """Lemmas of texts, from the cache or from spaCy (loaded only if something is missing)."""
    from qualkit.nlp import lemma_pipeline, pipeline_id

    key = pipeline_id(language)

    def lemmas_of(texts: Sequence[str]) -> list[Lemmas]:
        hashes = [text_hash(t) for t in texts]
        known = cache.get(key, list(dict.fromkeys(hashes)))
        missing = {h: t for h, t in zip(hashes, texts, strict=True) if h not in known}
        if missing:
            fresh = dict(
                zip(
                    missing,
                    lemmatise(list(missing.values()), lemma_pipeline(language)),
                    strict=True,
                )
            )
            cache.put(key, fresh)
            known.update(fresh)
        return [known[h] for h in hashes]

    return lemmas_of


MODEL_VERSION = "zero-shot-3"  # bump when AutoCoder's features or training change


def zero_shot_key(
    codebook: Codebook, embedder_name: str, language: str, foreign: Sequence[Labelled] = ()
) -> str:
    """Names the codebook classifier in the cache; another study's decisions train it too."""
    from qualkit.nlp import pipeline_id

    parts = (MODEL_VERSION, codebook.content_hash(), embedder_name, pipeline_id(language))
    return text_hash("|".join(parts + (decisions_key(foreign),)))


def decisions_key(decisions: Sequence[Labelled]) -> str:
    """The same texts with the same codes give the same key, in any order."""
    return "|".join(sorted(f"{text_hash(t.text)}:{','.join(sorted(t.codes))}" for t in decisions))


def embed_source(embedder, cache, progress: Progress | None = None):
    return lambda texts: embed_cached(embedder, texts, cache, progress)


def read_labelled(path: str | Path, codebook: Codebook) -> list[Labelled]:
    """Decisions to learn from: a JSONL file like the gold files, or another project (another
    study's decisions: they weigh less than the study's own, see `AutoCoder`)."""
    path = Path(path)
    if path.suffix == ".qualkit" or "://" in str(path):
        with Project.open(path) as other, other.reading() as conn:
            return [
                Labelled(text, codes & set(codebook.ids), foreign=True)
                for _, text, codes in store.reviewed(conn)
            ]
    return [Labelled(item.text, item.codes, foreign=True) for item in read_gold(path, codebook.ids)]


def code_project(
    project: Project,
    codebook: Codebook,
    *,
    codebook_source: str | None = None,
    embedder_name: str = DEFAULT_EMBEDDER,
    learn_from: Sequence[Labelled] = (),
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
) -> dict:
    """Suggest codes for every respondent segment no person has decided on; keep decisions."""
    from qualkit.store.cache import EmbeddingCache, LemmaCache, ModelCache

    embedder = get_embedder(embedder_name)
    embedding_cache = EmbeddingCache(project)
    models = ModelCache(project)
    key = zero_shot_key(codebook, embedder.name, codebook.language, learn_from)
    stored = models.get(key)
    with project.reading() as conn:
        todo = store.segments_to_code(conn)
        reviewed = store.reviewed(conn)
    own = [Labelled(text, codes) for _, text, codes in reviewed]
    scored = [t for _, t in todo] + [t.text for t in own]  # whole and sentence by sentence
    needed = {text_hash(t) for t in scored + pieces_of(scored)}
    needed |= {  # another study's decisions train the codebook classifier, when not cached
        text_hash(t)
        for t in (
            _codebook_examples(codebook)
            if stored
            else _codebook_texts(codebook) + [t.text for t in learn_from]
        )
    }
    missing = len(needed) - len(embedding_cache.get(embedder.name, list(needed)))
    if on_total:
        on_total(missing)
    embed = embed_source(embedder, embedding_cache, progress)
    lemmas_of = lemma_source(LemmaCache(project), codebook.language)

    learned_key = text_hash(key + "|" + decisions_key(own))  # `key` names --learn-from's
    stored_learned = models.get(learned_key) if own else None
    coder = AutoCoder(
        codebook,
        embed,
        lemmas_of,
        own + list(learn_from),
        ZeroShot.from_bytes(stored) if stored else None,
        Learned.from_bytes(stored_learned) if stored_learned else None,
    )
    if stored is None:
        models.put(key, coder.zero_shot.to_bytes())
    if own and stored_learned is None:
        models.put(learned_key, coder.learned.to_bytes())
    texts = [t for _, t in todo]
    scores = coder.score(texts)
    suggestions = []
    for i, (segment_id, _) in enumerate(todo):
        for k, code in enumerate(coder.code_ids):
            value = float(scores.score[i, k])
            if value < coder.thresholds[k] - KEEP_BELOW:
                continue
            suggestions.append(
                {
                    "segment_id": segment_id,
                    "code": code,
                    "score": round(value, 4),
                    "passes": bool(value >= coder.thresholds[k]),
                    "explanation": scores.explain(i, k),
                }
            )
    with project.transaction() as conn:
        version = store.record_codebook(conn, codebook, codebook_source)
        store.replace_suggestions(conn, [s for s, _ in todo], suggestions, version)
        counts = store.suggestion_counts(conn)
    return {
        "segments_scored": len(todo),
        "reviewed_segments": len(reviewed),
        "learned_from": len(own) + len(learn_from),
        "embeddings_computed": embedding_cache.computed,
        "codebook_version": version,
        "thresholds": dict(zip(coder.code_ids, map(float, coder.thresholds), strict=True)),
        "codes": {
            c: counts.get(c, {"suggested": 0, "below_threshold": 0, "accepted": 0, "rejected": 0})
            for c in coder.code_ids
        },
    }


def _codebook_examples(codebook: Codebook) -> list[str]:
    return [text for code in codebook.codes for text in code.examples]


def _codebook_texts(codebook: Codebook) -> list[str]:
    texts = list(codebook.background)
    for code in codebook.codes:
        texts += code.examples + code.counter_examples
    return texts


def evaluate_file(
    gold_path: str | Path,
    codebook: Codebook,
    *,
    learn_from: Sequence[Labelled] = (),
    folds: int = 0,
    embedder_name: str = DEFAULT_EMBEDDER,
    progress: Progress | None = None,
    cache: Project | None = None,
) -> dict:
    """Code every line of a gold file as one segment and compare with its codes.

    With `folds`, the gold file's own labels are learned too, cross-validated by interview:
    each fold is coded by a model that learned from the other folds only. `cache`, a project,
    keeps embeddings and lemmas between runs.
    """
    items = read_gold(gold_path, codebook.ids)
    embedder = get_embedder(embedder_name)
    if cache is None:
        embed = embed_source(embedder, MemoryCache(), progress)
        lemmas_of = lemma_source(MemoryCache(), codebook.language)
    else:
        from qualkit.store.cache import EmbeddingCache, LemmaCache

        embed = embed_source(embedder, EmbeddingCache(cache), progress)
        lemmas_of = lemma_source(LemmaCache(cache), codebook.language)
    texts = [item.text for item in items]
    vectors, lemmas = embed(texts), lemmas_of(texts)

    score = np.zeros((len(items), len(codebook.ids)))
    thresholds = np.zeros_like(score)
    if folds:
        groups = sorted({item.group for item in items})
        if len(groups) < folds:
            raise QualkitError(
                f"--folds {folds} needs at least {folds} interviews (groups); found {len(groups)}",
                path=gold_path,
            )
        fold_of = {g: i % folds for i, g in enumerate(groups)}
        zero_shot = None  # the same codebook model in every fold
        for f in range(folds):
            test = [i for i, item in enumerate(items) if fold_of[item.group] == f]
            train = [
                Labelled(items[i].text, items[i].codes)
                for i in range(len(items))
                if fold_of[items[i].group] != f
            ]
            coder = AutoCoder(codebook, embed, lemmas_of, list(learn_from) + train, zero_shot)
            zero_shot = coder.zero_shot
            s = coder.score([texts[i] for i in test], vectors[test], [lemmas[i] for i in test])
            score[test], thresholds[test] = s.score, coder.thresholds
    else:
        coder = AutoCoder(codebook, embed, lemmas_of, learn_from)
        s = coder.score(texts, vectors, lemmas)
        score, thresholds = s.score, np.tile(coder.thresholds, (len(items), 1))
    predicted = [
        {c for k, c in enumerate(codebook.ids) if score[i, k] >= thresholds[i, k]}
        for i in range(len(items))
    ]
    scores = [
        {c: float(score[i, k]) for k, c in enumerate(codebook.ids)} for i in range(len(items))
    ]
    return evaluate(items, codebook.ids, predicted, scores)


__all__ = ["GoldItem", "code_project", "evaluate_file", "read_labelled"]
