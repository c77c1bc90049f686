"""Report page: build the Word report and download it (qualkit.report.write_report)."""

from __future__ import annotations

import io

import streamlit as st

from qualkit.errors import QualkitError
from qualkit.report import write_report as write
from ui import codebook, project
from ui.i18n import lang, t

proj = project()
st.title(t("page_report"))


if st.button(t("report_go"), type="primary"):
    buffer = io.BytesIO()
    try:
        with st.spinner(t("building")), proj.reading() as conn:
            write(conn, buffer, lang=lang(), codebook=codebook())
    except QualkitError as exc:
        st.error(exc.message)
        st.stop()
    st.session_state["report_docx"] = buffer.getvalue()
if data := st.session_state.get("report_docx"):
    st.download_button(
        t("report_download"),
        data,
        file_name="rapport_qualkit.docx",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
