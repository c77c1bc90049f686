"""Quotes page: pick a theme and filters, get representative verbatims with attribution
(qualkit.quotes.representative_quotes)."""

from __future__ import annotations

import streamlit as st

from qualkit.errors import QualkitError
from qualkit.quotes import known_codes as known
from qualkit.quotes import representative_quotes as find
from ui import code_titles, codebook, project
from ui.i18n import lang, t

proj = project()
st.title(t("page_quotes"))


from qualkit import review  # noqa: E402

titles = code_titles(codebook())
with proj.reading() as conn:
    codes = known(conn)
    profiles = review.profiles(conn)
if not codes:
    st.info(t("empty_project"))
    st.stop()

code = st.selectbox(t("quote_code"), codes, format_func=lambda c: titles.get(c, c))
chosen = st.multiselect(t("profiles"), profiles)
n = st.slider(t("quote_n"), 1, 15, 5)
if st.button(t("quote_go"), type="primary"):
    try:
        with st.spinner(t("quote_go")), proj.reading() as conn:
            found = find(conn, code, n=n, profiles=chosen, lang=lang())
    except QualkitError as exc:
        st.error(exc.message)
        st.stop()
    if not found:
        st.info(t("no_quotes"))
    for q in found:
        with st.container(border=True):
            st.markdown(q.formatted(with_attribution=False))
            st.caption(f"— {q.attribution} · {q.interview}")
