"""Review page: one card at a time from the coder's queue; every click is saved at once.

A coder assigned interviews with hide_auto codes by hand: the card shows the codebook's codes
to tick, no suggestion, score or explanation."""

from __future__ import annotations

import html

import streamlit as st

from qualkit import review, team
from qualkit.errors import QualkitError
from ui import code_titles, codebook, coder, colours, project
from ui.i18n import t

proj, me = project(), coder()
book = codebook()
titles = code_titles(book)
skipped: list[int] = st.session_state.setdefault("skipped", [])

with proj.reading() as conn:
    vis = team.visible_to(conn, me)
    interviews = [
        r["name"]
        for r in review.interview_list(conn)
        if not vis.assigned or r["id"] in vis.interviews
    ]
    profiles = review.profiles(conn)
    known_codes = sorted(set(titles) | set(review.code_thresholds(conn)))
hand_codes = [c.id for c in book.codes] if book else known_codes

with st.sidebar.expander(t("filters"), expanded=False):
    orders = {o: t(f"order_{o}") for o in review.ORDERS}
    order = st.selectbox(t("order"), list(orders), format_func=orders.get, key="f_order")
    codes, low, high, passing = [], 0.0, 1.0, False  # about suggestions: none when coding by hand
    if not vis.manual_only:
        codes = st.multiselect(
            t("codes"), known_codes, format_func=lambda c: titles.get(c, c), key="f_codes"
        )
    chosen = st.multiselect(t("interviews"), interviews, key="f_interviews")
    profs = st.multiselect(t("profiles"), profiles, key="f_profiles")
    if not vis.manual_only:
        low, high = st.slider(t("score_range"), 0.0, 1.0, (0.0, 1.0), 0.05, key="f_score")
        passing = st.checkbox(t("passing_only"), key="f_passing")
flt = review.QueueFilter(tuple(codes), tuple(chosen), tuple(profs), low, high, passing, order)

with proj.reading() as conn:
    current = review.next_card(conn, me, flt, exclude=skipped)
    left = review.pending_count(conn, me, flt)

st.title(t("page_review"))
by_hand = current is not None and current.manual
st.caption(t("left", n=left) + " · " + t("shortcuts_manual" if by_hand else "shortcuts"))


def _act(action, segment_id: int, code: str) -> None:
    try:
        action(proj, segment_id, code, me)
    except QualkitError as exc:
        st.session_state["review_error"] = exc.message


def _add(segment_id: int, key: str) -> None:
    """Read the chosen code at click time (the widget may change in the same run)."""
    if code := st.session_state.get(key):
        _act(review.add_code, segment_id, code)


def _code_by_hand(segment_id: int) -> None:
    ticked = [c for c in hand_codes if st.session_state.get(f"tick_{segment_id}_{c}")]
    try:
        review.code_segment(proj, segment_id, ticked, hand_codes, me)
    except QualkitError as exc:
        st.session_state["review_error"] = exc.message


def _skip(segment_id: int) -> None:
    skipped.append(segment_id)


def _memo(segment_id: int, key: str) -> None:
    text = st.session_state.get(key, "")
    try:
        review.add_memo(proj, segment_id, text, me)
        st.session_state[key] = ""
        st.session_state["review_note"] = t("memo_saved")
    except QualkitError as exc:
        st.session_state["review_error"] = exc.message


if error := st.session_state.pop("review_error", None):
    st.error(error)
if note := st.session_state.pop("review_note", None):
    st.toast(note)

if current is None:
    st.success(t("done"))
    if skipped and st.button(t("review_skipped", n=len(skipped))):
        skipped.clear()
        st.rerun()
    st.stop()

colour = colours(book, known_codes)


def _turn(turn: dict | None, label: str) -> None:
    if turn:
        st.markdown(
            f"<div style='color:#555;font-size:0.92em;border-left:3px solid #ccc;"
            f"padding-left:0.6em'><b>{label} · {html.escape(turn['speaker'])}</b> : "
            f"{html.escape(turn['text'])}</div>",
            unsafe_allow_html=True,
        )


left_col, right_col = st.columns([3, 2], gap="large")
with left_col:
    st.subheader(
        t("segment", idx=current.idx, interview=current.interview, speaker=current.speaker)
    )
    st.caption(" · ".join(f"{k}: {v}" for k, v in current.case.items() if k != "case"))
    notes = [t("blind_note")] if vis.blind(current.interview_id) else []
    if current.manual:
        notes.append(t("manual_note"))
    if notes:
        st.info(" ".join(notes), icon=":material/visibility_off:")
    _turn(current.before, t("before"))
    st.markdown(
        f"<div data-testid='review-segment' style='font-size:1.08em;background:#fff8e6;"
        f"border:1px solid #f0d58c;border-radius:6px;padding:0.8em;margin:0.6em 0'>"
        f"<b>{html.escape(current.speaker)}</b> : {html.escape(current.text)}</div>",
        unsafe_allow_html=True,
    )
    _turn(current.after, t("after"))
    if current.memos:
        st.markdown(f"**{t('memos')}**")
        for m in current.memos:
            st.markdown(f"- _{html.escape(m['coder'])}_ : {html.escape(m['text'])}")

with right_col:
    if current.manual:
        with st.container(border=True):
            st.markdown(f"**{t('manual_codes')}**")
            for code in hand_codes:
                st.checkbox(
                    titles.get(code, code),
                    value=current.decisions.get(code) == "accepted",
                    key=f"tick_{current.segment_id}_{code}",
                )
            st.button(
                t("manual_save"),
                key=f"code_{current.segment_id}",
                type="primary",
                on_click=_code_by_hand,
                args=(current.segment_id,),
                width="stretch",
            )
    first = True
    for s in current.suggestions:
        with st.container(border=True):
            swatch = colour.get(s.code, "#888")
            threshold = f"{s.threshold:.2f}" if s.threshold is not None else "?"
            state = t("passes") if s.passes else t("borderline")
            st.markdown(
                f"<span style='background:{swatch};color:white;border-radius:4px;"
                f"padding:2px 6px'>{html.escape(titles.get(s.code, s.code))}</span> "
                f"{t('score', score=s.score, threshold=threshold)} · {state}",
                unsafe_allow_html=True,
            )
            if s.decision:
                st.markdown(f"✔ {t(s.decision)}")
            else:
                a, r = st.columns(2)
                a.button(
                    t("accept"),
                    key=f"acc_{current.segment_id}_{s.code}",
                    type="primary",
                    on_click=_act,
                    args=(review.accept, current.segment_id, s.code),
                    shortcut="A" if first else None,
                    width="stretch",
                )
                r.button(
                    t("reject"),
                    key=f"rej_{current.segment_id}_{s.code}",
                    on_click=_act,
                    args=(review.reject, current.segment_id, s.code),
                    shortcut="X" if first else None,
                    width="stretch",
                )
                first = False
            with st.expander(t("why")):
                e = s.explanation
                if e.get("patterns"):
                    words = ", ".join(
                        ("¬" if p.get("negated") else "") + " ".join(p.get("words") or [])
                        for p in e["patterns"]
                    )
                    st.markdown(f"**{t('patterns')}** : {html.escape(words)}")
                if sentence := e.get("sentence"):
                    st.markdown(f"**{t('strongest_sentence')}** : « {sentence} »")
                if ex := e.get("nearest_example"):
                    st.markdown(
                        f"**{t('nearest_example')}** ({ex.get('similarity')}) : "
                        f"« {ex.get('text')} »"
                    )
                if "zero_shot" in e:
                    st.markdown(f"**{t('zero_shot')}** : {e['zero_shot']}")
                if "learned" in e:
                    st.markdown(f"**{t('learned')}** : {e['learned']} (× {e.get('learned_share')})")
                if nr := e.get("nearest_reviewed"):
                    mark = "✔" if nr.get("accepted") else "✘"
                    st.markdown(
                        f"**{t('nearest_reviewed')}** {mark} ({nr.get('similarity')}) : "
                        f"« {nr.get('text')} »"
                    )

    extra = [c for c in known_codes if c not in current.decisions]
    with st.container(border=True):
        if not current.manual:
            st.selectbox(
                t("add_code"),
                extra,
                format_func=lambda c: titles.get(c, c),
                key=f"addsel_{current.segment_id}",
            )
            st.button(
                t("add"),
                key=f"add_{current.segment_id}",
                disabled=not extra,
                on_click=_add,
                args=(current.segment_id, f"addsel_{current.segment_id}"),
            )
        memo_key = f"memo_{current.segment_id}"
        st.text_area(t("memo"), key=memo_key, height=80)
        st.button(
            t("save_memo"),
            key=f"memobtn_{current.segment_id}",
            on_click=_memo,
            args=(current.segment_id, memo_key),
        )
    st.button(
        t("skip"),
        key=f"skip_{current.segment_id}",
        on_click=_skip,
        args=(current.segment_id,),
        shortcut="S",
        width="stretch",
    )
