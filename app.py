"""qualkit's coding UI: `streamlit run app.py -- PROJECT [--codebook FILE] [--embedder NAME]`.

A thin router: it asks the coder's name once per session, then runs one page of `ui/`.
Pages only render and call the `qualkit` library, which never imports Streamlit.
"""

from __future__ import annotations

import streamlit as st

from ui import args
from ui.i18n import LANGUAGES, t

st.set_page_config(page_title="qualkit", page_icon=":material/folder_open:", layout="wide")

if "lang" not in st.session_state:
    st.session_state["lang"] = args().lang

if not st.session_state.get("coder"):
    st.title("qualkit")
    with st.form("coder_form"):
        name = st.text_input(t("coder_prompt"), help=t("coder_help"), key="coder_input")
        if st.form_submit_button(t("coder_start"), type="primary"):
            if name.strip() and name.strip() != "auto":
                st.session_state["coder"] = name.strip()
                st.rerun()
            st.error(t("coder_invalid"))
    st.stop()

with st.sidebar:
    st.selectbox(t("language"), list(LANGUAGES), format_func=LANGUAGES.get, key="lang")
    st.markdown(t("coder_is", coder=st.session_state["coder"]))

PAGES = [  # (file, title key, icon); the file name is the URL path
    ("study", "page_study", "dashboard"),
    ("review", "page_review", "task_alt"),
    ("interview", "page_interview", "article"),
    ("codebook", "page_codebook", "sell"),
    ("topics", "page_topics", "hub"),
    ("quotes", "page_quotes", "format_quote"),
    ("report", "page_report", "description"),
]
pages = [
    st.Page(
        f"ui/{name}.py",
        title=t(key),
        icon=f":material/{icon}:",
        url_path=name,
        default=name == "review",
    )
    for name, key, icon in PAGES
]
st.navigation(pages).run()
