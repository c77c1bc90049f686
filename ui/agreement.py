"""Agreement page: figures between coders (qualkit.agreement), then the disagreements side by
side; settling one records the agreed codes as the consensus, with who settled and when."""

from __future__ import annotations

import html

import streamlit as st

from qualkit import agreement as agr
from qualkit.errors import QualkitError
from ui import code_titles, codebook, coder, project
from ui.i18n import lang, t

SHOWN = 30  # disagreements on screen at once; settling one brings the next

proj, me = project(), coder()
titles = code_titles(codebook())
st.title(t("page_agreement"))


def _figure(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}".replace(".", ",") if lang() == "fr" else f"{value:.2f}"


def _share(value: float | None) -> str:
    if value is None:
        return "—"
    text = f"{value * 100:.1f} %"
    return text.replace(".", ",") if lang() == "fr" else text.replace(" ", "")


def _row(label: str, entry: dict) -> dict:
    return {
        t("agr_code"): label,
        t("agr_units"): entry["units"],
        t("agr_percent"): _share(entry["percent_agreement"]),
        t("agr_kappa"): _figure(entry["cohen_kappa"]),
        t("agr_alpha"): _figure(entry.get("krippendorff_alpha")),
        t("agr_note"): _note(entry.get("note")),
    }


def _note(note: str | None) -> str:
    """The library's notes in the page's language."""
    if note == agr.NO_UNITS:
        return t("agr_note_units")
    if note and agr.NO_VARIATION in note:
        return t("agr_note_variation")
    return note or ""


def _settle(segment_id: int, key: str) -> None:
    """Read the agreed codes at click time and record them in one transaction."""
    codes = st.session_state.get(key) or []
    try:
        with proj.transaction() as conn:
            agr.settle(conn, segment_id, set(codes), me)
        names = ", ".join(titles.get(c, c) for c in codes) or t("agr_no_code")
        st.session_state["agr_toast"] = t("agr_settled_now", codes=names)
    except QualkitError as exc:
        st.session_state["agr_error"] = exc.message


if error := st.session_state.pop("agr_error", None):
    st.error(error)
if note := st.session_state.pop("agr_toast", None):
    st.toast(note)

with proj.reading() as conn:
    decisions = agr.load_decisions(conn)
    known = agr.known_codes(conn)
people = agr.people(decisions)
options = people + ([agr.CONSENSUS] if agr.CONSENSUS in decisions else [])
chosen = st.multiselect(t("agr_coders"), options, default=people, key="agr_coders")
with_auto = st.checkbox(t("agr_include_auto"), key="agr_auto")
if len(chosen) + with_auto < 2:
    st.info(t("agr_need_two"))
    st.stop()

with proj.reading() as conn:
    result = agr.agreement(conn, chosen, include_auto=with_auto)
    listed = agr.disagreements(conn, result["coders"], known)

overall = result["overall"]
a, b, c, d = st.columns(4)
a.metric(t("agr_percent"), _share(overall["percent_agreement"]))
b.metric(t("agr_kappa"), _figure(overall["cohen_kappa"]))
c.metric(t("agr_alpha"), _figure(overall["krippendorff_alpha"]))
d.metric(t("agr_units"), overall["units"])
st.caption(t("agr_mean_kappa", value=_figure(overall["mean_kappa"])) + " · " + t("agr_explain"))
rows = [_row(titles.get(code, code), entry) for code, entry in result["codes"].items()]
rows.append(_row(t("agr_all"), overall))
if "auto_vs_people" in result:
    rows.append(_row(t("agr_auto_vs"), result["auto_vs_people"]))
st.dataframe(rows, hide_index=True, width="stretch", key="agr_table")
if len(overall["pairs"]) > 1:
    st.markdown(f"**{t('agr_pairs')}**")
    st.dataframe(
        [{**_row(" / ".join(p["coders"]), p), t("agr_alpha"): ""} for p in overall["pairs"]],
        hide_index=True,
        width="stretch",
    )

open_ = [x for x in listed if not x.settled]
st.subheader(t("agr_disagreements", n=len(open_)))
shown = listed if st.checkbox(t("agr_show_settled"), key="agr_show_settled") else open_
if not shown:
    st.success(t("agr_none"))
if len(shown) > SHOWN:
    st.caption(t("agr_shown", shown=SHOWN, n=len(shown)))
for item in shown[:SHOWN]:
    with st.container(border=True):
        st.markdown(f"**{t('agr_segment', idx=item.idx, interview=item.interview)}**")
        st.markdown(
            f"<div style='background:#fff8e6;border:1px solid #f0d58c;border-radius:6px;"
            f"padding:0.6em;margin-bottom:0.6em'>{html.escape(item.text)}</div>",
            unsafe_allow_html=True,
        )
        for column, (name, given) in zip(
            st.columns(len(item.codes)), item.codes.items(), strict=True
        ):
            column.markdown(f"**{html.escape(name)}**")
            if given is None:
                column.caption(t("agr_not_reviewed"))
            else:
                marks = [
                    f"- {'⚠ ' if code in item.disputed else ''}{titles.get(code, code)}"
                    for code in given
                ]
                column.markdown("\n".join(marks) or f"_{t('agr_no_code')}_")
        key = f"agr_sel_{item.segment_id}"
        choices = list(dict.fromkeys([*known, *item.disputed, *item.consensus]))
        st.multiselect(
            t("agr_agreed"),
            choices,
            default=item.consensus if item.settled else item.agreed,
            format_func=lambda code: titles.get(code, code),
            key=key,
        )
        if item.settled and item.settled_by:
            when = item.settled_at.strftime("%d/%m/%Y %H:%M") if item.settled_at else ""
            names = ", ".join(titles.get(x, x) for x in item.consensus) or t("agr_no_code")
            st.caption(t("agr_settled", who=item.settled_by, when=when, codes=names))
        st.button(
            t("agr_settle"),
            key=f"agr_settle_{item.segment_id}",
            type="primary",
            on_click=_settle,
            args=(item.segment_id, key),
        )
