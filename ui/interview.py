"""Interview page: the whole interview, coded segments highlighted in their code's colour
(accepted: solid background; suggested: dotted underline), hand coding and memos.
Blind assignments show only the coder's own decisions; a lead may code for someone else."""

from __future__ import annotations

import html

import streamlit as st

from qualkit import review, team
from qualkit.errors import QualkitError
from qualkit.store.codings import ACCEPTED, AUTO_CODER, REJECTED
from ui import code_titles, codebook, coder, colours, project
from ui.i18n import t

proj, me = project(), coder()
book = codebook()
titles = code_titles(book)
st.title(t("page_interview"))

with proj.reading() as conn:
    listing = review.interview_list(conn)
    known_codes = sorted(set(titles) | set(review.code_thresholds(conn)))
if not listing:
    st.info(t("empty_project"))
    st.stop()

names = {r["id"]: r["name"] for r in listing}
chosen = st.selectbox(t("interview"), list(names), format_func=names.get, key="iv_pick")
with proj.reading() as conn:
    view = review.interview_view(conn, chosen, me)
colour = colours(book, known_codes)
st.caption(" · ".join(f"{k}: {v}" for k, v in view["case"].items()))
legend = " ".join(
    f"<span style='background:{colour[c]}33;border-bottom:3px solid {colour[c]};"
    f"padding:0 4px'>{html.escape(titles.get(c, c))}</span>"
    for c in known_codes
)
st.markdown(f"{t('legend')}<br>{legend}", unsafe_allow_html=True)


def _segment_html(seg: dict) -> str:
    accepted = sorted(
        {c["code"] for c in seg["codings"] if c["coder"] != AUTO_CODER and c["status"] == ACCEPTED}
    )
    decided = {c["code"] for c in seg["codings"] if c["coder"] != AUTO_CODER}
    suggested = sorted(
        {c["code"] for c in seg["codings"] if c["coder"] == AUTO_CODER and c["code"] not in decided}
    )
    body = html.escape(seg["text"])
    if not accepted and not suggested:
        return body
    tip = ", ".join(
        [titles.get(c, c) for c in accepted] + [titles.get(c, c) + " ?" for c in suggested]
    )
    style = []
    if accepted:
        style.append(f"background:{colour.get(accepted[0], '#888')}40")
        if len(accepted) > 1:
            style.append(f"box-shadow:inset 0 -3px 0 {colour.get(accepted[1], '#888')}")
    if suggested:
        style.append(f"border-bottom:2px dotted {colour.get(suggested[0], '#888')}")
    tag = f"<sup style='color:#777'>[{seg['idx']}]</sup>"
    return f"<span title='{html.escape(tip)}' style='{';'.join(style)}'>{tag}{body}</span>"


parts = []
for turn in view["turns"]:
    text, pos, pieces = view["text"], turn["start"], []
    for seg in sorted(turn["segments"], key=lambda s: s["start"]):
        pieces.append(html.escape(text[pos : seg["start"]]))
        pieces.append(_segment_html(seg))
        pos = seg["end"]
    pieces.append(html.escape(text[pos : turn["end"]]))
    weight = "color:#555" if turn["role"] == "interviewer" else ""
    parts.append(
        f"<p style='{weight}'><b>{html.escape(turn['speaker'])}</b> : {''.join(pieces)}</p>"
    )
with st.container(height=520, border=True):
    st.markdown("".join(parts), unsafe_allow_html=True)

segs = [s for turn in view["turns"] for s in turn["segments"]]
left, right = st.columns(2, gap="large")
with left:
    st.subheader(t("hand_code"))
    by_id = {s["id"]: s for s in segs}
    pick = st.selectbox(
        t("pick_segment"),
        list(by_id),
        format_func=lambda i: f"[{by_id[i]['idx']}] {by_id[i]['text'][:90]}…",
        key="iv_seg",
    )
    target = me
    if st.session_state.get("role") == team.LEAD:
        with proj.reading() as conn:
            names = team.coder_names(conn)
        names = [me] + [n for n in names if n != me]
        target = st.selectbox(t("code_as"), names, key="iv_as")
    codes = st.multiselect(
        t("codes"), known_codes, format_func=lambda c: titles.get(c, c), key="iv_codes"
    )
    decisions = {ACCEPTED: t("accepted"), REJECTED: t("rejected")}
    decision = st.radio(
        t("decision"),
        list(decisions),
        format_func=decisions.get,
        horizontal=True,
        key="iv_decision",
    )
    memo = st.text_area(t("memo"), key="iv_memo", height=80)
    if st.button(t("save"), disabled=pick is None or (not codes and not memo.strip())):
        try:
            for code in codes:
                review.add_code(proj, pick, code, target, decision, actor=me)
            if memo.strip():
                review.add_memo(proj, pick, memo, me)
            st.success(t("saved"))
            st.rerun()
        except QualkitError as exc:
            st.error(exc.message)
with right:
    st.subheader(t("memos"))
    if not view["memos"]:
        st.caption(t("no_memos"))
    idx = {s["id"]: s["idx"] for s in segs}
    for m in view["memos"]:
        where = f"[{idx.get(m['segment_id'], '–')}]"
        code = f" · {titles.get(m['code'], m['code'])}" if m["code"] else ""
        st.markdown(f"- {where}{code} _{html.escape(m['coder'])}_ : {html.escape(m['text'])}")
