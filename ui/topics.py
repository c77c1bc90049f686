"""Topics page: run and browse discovered topics; rename, merge, promote one to a code."""

from __future__ import annotations

import streamlit as st

from qualkit import topics
from qualkit.errors import QualkitError
from ui import codebook_path, project
from ui.i18n import t

proj = project()
st.title(t("page_topics"))

with st.form("run_topics"):
    only_uncoded = st.checkbox(t("topics_only_uncoded"))
    if st.form_submit_button(t("topics_run")):
        with st.spinner(t("topics_running")):
            try:
                topics.compute_topics(proj, topics.TopicParams(only_uncoded=only_uncoded))
            except QualkitError as exc:
                st.error(exc.message)

try:
    run = topics.load_topics(proj)
except QualkitError:
    st.info(t("topics_none"))
    st.stop()

found = run["topics"]
st.caption(t("topics_emerging", n=sum(x["emerging"] for x in found)))
st.dataframe(
    [
        {
            "id": x["id"],
            "label": x["label"],
            "size": x["size"],
            "emerging": x["emerging"],
            "nearest code": x["nearest_code"],
            "codes": x["codes"],
            "keywords": ", ".join(x["keywords"][:8]),
        }
        for x in found
    ],
    hide_index=True,
    width="stretch",
)
left, right = st.columns(2)
with left:
    st.subheader(t("topics_map"))
    st.plotly_chart(topics.topic_map(run), width="stretch")
with right:
    st.subheader(t("topics_keywords"))
    st.plotly_chart(topics.keyword_bars(run), width="stretch")

labels = {x["id"]: f"{x['id']} · {x['label']}" for x in found}
chosen = st.selectbox(t("topics_topic"), list(labels), format_func=labels.get)
topic = next(x for x in found if x["id"] == chosen)
for segment in topic["representative"][:3]:
    st.markdown(f"> {segment.get('text', '')}")

promote, rename, merge = st.columns(3)
with promote.form("promote"):
    code_id = st.text_input(t("topics_code_id"))
    if st.form_submit_button(t("topics_promote")) and code_id:
        try:
            result = topics.promote_topic(proj, chosen, code_id, codebook_path())
            st.success(t("topics_promoted", code=code_id, version=result["codebook_version"]))
        except QualkitError as exc:
            st.error(exc.message)
with rename.form("rename"):
    label = st.text_input(t("topics_new_label"), value=topic["label"])
    if st.form_submit_button(t("topics_rename")):
        topics.rename_topic(proj, chosen, label)
        st.rerun()
with merge.form("merge"):
    others = [k for k in labels if k != chosen]
    other = st.selectbox(t("topics_merge"), others, format_func=labels.get)
    if st.form_submit_button(t("topics_merge")) and other is not None:
        topics.merge_topics(proj, chosen, other)
        st.rerun()
