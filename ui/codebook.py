"""Codebook page: codes with definitions, criteria, thresholds and counts; edit a code (a new
codebook version, YAML file updated); rerun auto-coding with a progress bar."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from qualkit import review
from qualkit.errors import QualkitError
from qualkit.store.codings import suggestion_counts
from ui import codebook, codebook_path, embedder, embedder_name, project
from ui.i18n import lang, t

proj = project()
st.title(t("page_codebook"))

path = codebook_path()
try:
    book = codebook()
except QualkitError as exc:
    st.error(exc.message)
    book = None
if path is None or book is None:
    st.info(t("no_codebook"))
    given = st.text_input(t("codebook_path"), key="cb_path_input")
    if given.strip() and st.button(t("save")):
        st.session_state["codebook_path"] = given.strip()
        st.rerun()
    st.stop()

st.caption(t("codebook_file", path=path))
with proj.reading() as conn:
    counts = suggestion_counts(conn)
    calibrated = review.code_thresholds(conn)

st.dataframe(
    [
        {
            "id": c.id,
            "label": c.title(lang()),
            "definition": c.definition,
            "include": len(c.include),
            "exclude": len(c.exclude),
            "examples": len(c.examples),
            "threshold": c.threshold if c.threshold is not None else calibrated.get(c.id),
            **counts.get(c.id, {}),
        }
        for c in book.codes
    ],
    hide_index=True,
    width="stretch",
)

st.subheader(t("edit_code"))
NEW = "__new__"
choices = {**{c: c for c in book.ids}, NEW: t("new_code")}
choice = st.selectbox(
    t("edit_code"),
    list(choices),
    label_visibility="collapsed",
    format_func=choices.get,
    key="cb_pick",
)
code = book.code(choice) if choice != NEW else None
with st.form(f"cb_form_{choice}"):
    new_id = st.text_input(t("new_code_id")) if code is None else choice
    label_fr = st.text_input(t("label_fr"), code.label.fr if code else "")
    label_en = st.text_input(t("label_en"), (code.label.en or "") if code else "")
    definition = st.text_area(t("definition"), code.definition if code else "")
    lines = {}
    for field in ("include", "exclude", "examples", "counter_examples"):
        lines[field] = st.text_area(
            t(field), "\n".join(getattr(code, field)) if code else "", height=120
        )
    threshold = st.text_input(
        t("threshold"), "" if not code or code.threshold is None else str(code.threshold)
    )
    colour = st.color_picker(t("color"), (code.color if code and code.color else "#30638e"))
    if st.form_submit_button(t("save_code"), type="primary"):
        changes = {
            "label": {"fr": label_fr.strip(), "en": label_en.strip() or None},
            "definition": definition.strip(),
            "color": colour,
            "threshold": float(threshold) if threshold.strip() else None,
            **{f: [x.strip() for x in v.splitlines() if x.strip()] for f, v in lines.items()},
        }
        try:
            updated = review.edit_code(book, (new_id or "").strip(), changes)
            version = review.save_codebook(proj, updated, Path(path))
            st.success(t("version_saved", version=version))
        except (QualkitError, ValueError) as exc:
            st.error(getattr(exc, "message", str(exc)))

st.subheader(t("rerun"))
if st.button(t("rerun")):
    from qualkit.coding import code_project

    with st.status(t("coding"), expanded=True) as status:
        embedder(embedder_name())  # loaded once per server
        bar = st.progress(0.0)
        total = {"n": 0, "done": 0}

        def on_total(n: int) -> None:
            total["n"] = n

        def step(n: int) -> None:
            total["done"] += n
            bar.progress(min(1.0, total["done"] / max(1, total["n"])))

        try:
            result = code_project(
                proj,
                book,
                codebook_source=str(path),
                embedder_name=embedder_name(),
                progress=step,
                on_total=on_total,
            )
            bar.progress(1.0)
            status.update(
                label=t("coded", n=result["segments_scored"], version=result["codebook_version"]),
                state="complete",
            )
        except QualkitError as exc:
            status.update(label=exc.message, state="error")
