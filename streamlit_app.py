"""facedemo in the browser: a router over one page per lesson (``streamlit run streamlit_app.py``)."""

import streamlit as st

from ui import state

st.set_page_config(page_title="facedemo — FaceNet you can touch", page_icon="🙂", layout="wide")

# Page scripts live in app_pages/, not pages/: a folder named pages/ makes Streamlit fall back to
# its old multipage mode on a fresh server, and bookmarks would then run a page without this router.
PAGES = [
    st.Page("app_pages/home.py", title="Start here", icon="🏠", default=True),
    st.Page("app_pages/verify.py", title="Verify (1:1)", icon="🚪", url_path="verify"),
    st.Page("app_pages/recognise.py", title="Recognise (1:K)", icon="🔎", url_path="recognise"),
    st.Page("app_pages/people.py", title="People (the database)", icon="👥", url_path="people"),
    st.Page("app_pages/matrix.py", title="Distance matrix", icon="🟥", url_path="matrix"),
    st.Page("app_pages/threshold.py", title="Threshold explorer", icon="🎚️", url_path="threshold"),
    st.Page("app_pages/triplet.py", title="Triplet-loss playground", icon="🔺", url_path="triplet"),
    st.Page("app_pages/why.py", title="Why learn an encoding", icon="🤔", url_path="why"),
    st.Page("app_pages/embedding_map.py", title="Embedding map", icon="🗺️", url_path="map"),
    st.Page("app_pages/inside.py", title="Inside the model", icon="🔬", url_path="inside"),
]

page = st.navigation(PAGES)
state.sidebar()
try:
    page.run()
finally:  # also when a page stops early (st.stop)
    state.freeze_after_heavy_imports()  # keeps slider moves fast once a page has imported Keras
