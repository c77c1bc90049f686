"""What every page shares: the command-line arguments, the open project, the coder's name,
the codebook file and the models, each loaded once per server (`st.cache_resource`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import streamlit as st


def args() -> argparse.Namespace:
    """`streamlit run app.py -- PROJECT [--codebook FILE] [--embedder NAME] [--lang fr|en]`."""
    parser = argparse.ArgumentParser(prog="app.py", add_help=False)
    parser.add_argument("project", nargs="?", default=os.environ.get("QUALKIT_PROJECT"))
    parser.add_argument("--codebook", default=os.environ.get("QUALKIT_CODEBOOK"))
    parser.add_argument("--embedder", default=os.environ.get("QUALKIT_EMBEDDER"))
    parser.add_argument("--lang", default="fr", choices=("fr", "en"))
    parsed, _ = parser.parse_known_args(sys.argv[1:])
    return parsed


@st.cache_resource(show_spinner=False)
def open_project(location: str):
    """One Project (one connection pool) per project file, shared by every session."""
    from qualkit.store import Project

    return Project.open(location)


def project():
    location = args().project
    if not location:
        from ui.i18n import t

        st.error(t("no_project"))
        st.stop()
    return open_project(location)


def coder() -> str:
    return st.session_state["coder"]


@st.cache_resource(show_spinner="Loading the model…")
def embedder(name: str):
    """The embedder, loaded once per server process (the library caches the same instance)."""
    from qualkit.embedding import get_embedder

    return get_embedder(name)


def embedder_name() -> str:
    from qualkit.embedding import DEFAULT_EMBEDDER

    return args().embedder or DEFAULT_EMBEDDER


def codebook_path() -> Path | None:
    """The codebook file: --codebook, else the file the latest codebook version came from."""
    if st.session_state.get("codebook_path"):
        return Path(st.session_state["codebook_path"])
    if args().codebook:
        return Path(args().codebook)
    from sqlalchemy import select

    from qualkit.store.schema import codebook_versions

    with project().reading() as conn:
        source = conn.execute(
            select(codebook_versions.c.source_path)
            .order_by(codebook_versions.c.version.desc())
            .limit(1)
        ).scalar()
    return Path(source) if source else None


def codebook():
    """The codebook, from its file, or from the latest version stored in the project."""
    from qualkit.codebook import load_codebook, parse_codebook
    from qualkit.store.codings import latest_codebook

    path = codebook_path()
    if path is not None and path.exists():
        return load_codebook(path)
    with project().reading() as conn:
        latest = latest_codebook(conn)
    return parse_codebook(latest[1], "<project>") if latest else None


def code_titles(book) -> dict[str, str]:
    from ui.i18n import lang

    return {c.id: c.title(lang()) for c in book.codes} if book else {}


def colours(book, codes) -> dict[str, str]:
    from qualkit.review import code_colour

    known = {c.id: c for c in book.codes} if book else {}
    return {code: code_colour(known.get(code), i) for i, code in enumerate(codes)}
