"""qualkit's coding UI: `streamlit run app.py -- PROJECT [--codebook FILE] [--embedder NAME]`.

A thin router: it asks the coder's name once per session (name and password when the project
has coder accounts, see `qualkit.team`), then runs one page of `ui/`.
Pages only render and call the `qualkit` library, which never imports Streamlit.
"""

from __future__ import annotations

import streamlit as st

from ui import args
from ui.i18n import LANGUAGES, t

st.set_page_config(page_title="qualkit", page_icon=":material/folder_open:", layout="wide")

if "lang" not in st.session_state:
    st.session_state["lang"] = args().lang


def _sign_out() -> None:
    for key in ("coder", "role", "skipped"):
        st.session_state.pop(key, None)


def _accounts() -> bool:
    """Whether the project has coder accounts (then signing in takes a password). A session
    whose account was closed, or that began before accounts existed, is signed out."""
    if not args().project:
        return False
    from qualkit import team
    from ui import project

    with project().reading() as conn:
        if not team.has_accounts(conn):
            st.session_state.pop("role", None)
            return False
        who = st.session_state.get("coder")
        role = team.role_of(conn, who) if who and st.session_state.get("role") else None
    if role is None:
        _sign_out()
    else:
        st.session_state["role"] = role
    return True


if not st.session_state.get("coder"):
    st.title("qualkit")
    if _accounts():
        with st.form("signin_form", clear_on_submit=True):
            name = st.text_input(t("coder_prompt"), help=t("sign_in_help"), key="signin_name")
            password = st.text_input(t("password"), type="password", key="signin_password")
            if st.form_submit_button(t("sign_in"), type="primary"):
                from qualkit import team
                from ui import project

                role = team.verify(project(), name, password)
                if role:
                    st.session_state["coder"], st.session_state["role"] = name.strip(), role
                    st.rerun()
                st.error(t("sign_in_failed"))
        st.stop()
    with st.form("coder_form"):
        name = st.text_input(t("coder_prompt"), help=t("coder_help"), key="coder_input")
        if st.form_submit_button(t("coder_start"), type="primary"):
            if name.strip() and name.strip() != "auto":
                st.session_state["coder"] = name.strip()
                st.rerun()
            st.error(t("coder_invalid"))
    st.stop()
elif _accounts() and not st.session_state.get("coder"):
    st.rerun()  # signed out: the account was closed, or accounts appeared since

with st.sidebar:
    st.selectbox(t("language"), list(LANGUAGES), format_func=LANGUAGES.get, key="lang")
    lead = st.session_state.get("role") == "lead"
    st.markdown(
        t("coder_is", coder=st.session_state["coder"]) + (f" ({t('role_lead')})" if lead else "")
    )
    st.button(t("sign_out"), key="sign_out", on_click=_sign_out)

PAGES = [  # (file, title key, icon); the file name is the URL path
    ("study", "page_study", "dashboard"),
    ("review", "page_review", "task_alt"),
    ("interview", "page_interview", "article"),
    ("codebook", "page_codebook", "sell"),
    ("topics", "page_topics", "hub"),
    ("quotes", "page_quotes", "format_quote"),
    ("report", "page_report", "description"),
    ("agreement", "page_agreement", "handshake"),
]
# With accounts, pages that pool everyone's decisions are the lead's: a coder coding blind must
# not see the others' codes through quotes, topics, the report or the agreement figures.
POOLED = {"topics", "quotes", "report", "agreement"}
if st.session_state.get("role") == "coder":
    PAGES = [page for page in PAGES if page[0] not in POOLED]
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
