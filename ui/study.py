"""Study page: progress of the review, case attributes (editable), importing transcripts;
for a lead (coder accounts), assigning interviews to coders."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from qualkit import review, team
from qualkit.errors import QualkitError
from ui import coder, project
from ui.i18n import t

proj, me = project(), coder()
st.title(t("page_study"))

with proj.reading() as conn:
    stats = review.progress(conn, me)
    case_rows = review.case_table(conn)

if not stats["per_interview"]:
    st.info(t("empty_project"))
else:
    st.subheader(t("progress"))
    a, b, c = st.columns(3)
    a.metric(t("segments_left"), stats["segments_left"])
    b.metric(t("suggestions_left"), stats["suggestions_left"])
    c.metric(t("reviewed_by_me"), sum(r["reviewed_by_me"] for r in stats["per_interview"]))
    st.markdown(f"**{t('per_interview')}**")
    st.dataframe(stats["per_interview"], hide_index=True, width="stretch")
    st.markdown(f"**{t('per_code')}**")
    st.dataframe(
        [{"code": k, **v} for k, v in stats["per_code"].items()], hide_index=True, width="stretch"
    )

if st.session_state.get("role") == team.LEAD and stats["per_interview"]:
    with st.expander(t("assignments"), icon=":material/group:"):
        with proj.reading() as conn:
            people = [r["name"] for r in team.list_coders(conn) if r["active"]]
            names = [r["name"] for r in review.interview_list(conn)]
        with st.form("assign_form"):
            who = st.multiselect(t("assign_coders"), people, key="as_coders")
            which = st.multiselect(t("interviews"), names, key="as_interviews")
            sample = st.number_input(t("assign_sample"), min_value=0, value=0, key="as_sample")
            blind = st.checkbox(t("assign_blind"), value=True, key="as_blind")
            hide_auto = st.checkbox(t("assign_hide_auto"), key="as_hide_auto")
            if st.form_submit_button(t("assign_go")):
                try:
                    with proj.transaction() as conn:
                        done = team.assign(
                            conn,
                            who,
                            which,
                            sample=int(sample) or None,
                            blind=blind,
                            hide_auto=hide_auto,
                            actor=me,
                        )
                    st.success(t("assigned", n=len(done)))
                except QualkitError as exc:
                    st.error(exc.message)
        with proj.reading() as conn:
            rows = team.list_assignments(conn)
        columns = ("coder", "interview", "scope", "segments", "decided", "blind", "hide_auto")
        if rows:
            st.dataframe([{k: r[k] for k in columns} for r in rows], hide_index=True)
        else:
            st.caption(t("no_assignments"))

if case_rows:
    st.subheader(t("cases"))
    edited = st.data_editor(
        case_rows,
        hide_index=True,
        disabled=["name", "interviews"],
        key="cases_editor",
        width="stretch",
    )
    if st.button(t("save_cases")):
        try:
            st.success(t("saved_cases", n=review.save_cases(proj, edited)))
        except QualkitError as exc:
            st.error(exc.message)

st.subheader(t("import"))
uploads = st.file_uploader(
    t("upload"), accept_multiple_files=True, type=["txt", "md", "docx", "vtt", "srt", "csv"]
)
folder = st.text_input(t("folder"))
if st.button(t("import_go"), disabled=not uploads and not folder.strip()):
    from qualkit.importing import import_paths

    bar = st.progress(0.0)
    seen: list[str] = []

    def step(name: str) -> None:
        seen.append(name)
        bar.progress(min(1.0, len(seen) / max(1, len(uploads or []) or 20)), text=name)

    try:
        with tempfile.TemporaryDirectory() as tmp:
            paths: list[Path] = []
            if uploads:
                for upload in uploads:
                    target = Path(tmp) / Path(upload.name).name
                    target.write_bytes(upload.getvalue())
                paths.append(Path(tmp))
            if folder.strip():
                paths.append(Path(folder.strip()))
            with st.spinner(t("import")):
                result = import_paths(proj, paths, progress=step)
        bar.progress(1.0)
        st.success(
            t(
                "imported",
                added=len(result.added),
                segments=result.segments,
                unchanged=len(result.unchanged),
            )
        )
        for message in result.warnings:
            st.warning(message)
    except QualkitError as exc:
        st.error(exc.message)
