"""facedemo in the browser: a router over one page per lesson (``streamlit run streamlit_app.py``)."""

import streamlit as st

from ui import state

st.set_page_config(page_title="facedemo — FaceNet you can touch", page_icon="🙂", layout="wide")

PAGES = [
    st.Page("pages/verify.py", title="Verify (1:1)", icon="🚪", url_path="verify", default=True),
    st.Page("pages/recognise.py", title="Recognise (1:K)", icon="🔎", url_path="recognise"),
    st.Page("pages/people.py", title="People (the database)", icon="👥", url_path="people"),
    st.Page("pages/matrix.py", title="Distance matrix", icon="🟥", url_path="matrix"),
    st.Page("pages/threshold.py", title="Threshold explorer", icon="🎚️", url_path="threshold"),
    st.Page("pages/triplet.py", title="Triplet-loss playground", icon="🔺", url_path="triplet"),
    st.Page("pages/why.py", title="Why learn an encoding", icon="🤔", url_path="why"),
    st.Page("pages/embedding_map.py", title="Embedding map", icon="🗺️", url_path="map"),
]

page = st.navigation(PAGES)
state.sidebar()
page.run()
