"""facedemo in the browser: a router over one page per lesson (``streamlit run streamlit_app.py``)."""

import streamlit as st

from facedemo.encoding.networks import DEFAULT_NETWORK
from ui import pages, setup_view, state, threshold_view

st.set_page_config(page_title="facedemo — FaceNet you can touch", page_icon="🙂", layout="wide")

page = st.navigation(pages.navigation(), expanded=True)  # the one list of pages (ui/pages.py), every lesson shown
state.sidebar()
threshold_view.page_started()
try:
    # a fresh server sets itself up here, on whichever page is visited first (progress shown, once)
    for network in dict.fromkeys((DEFAULT_NETWORK, state.current_network())):
        setup_view.ensure_ready(network)
    page.run()
    threshold_view.page_finished()  # a threshold move may now redraw this page's views alone
finally:  # also when a page stops early (st.stop)
    state.freeze_after_heavy_imports()  # keeps slider moves fast once a page has imported Keras
