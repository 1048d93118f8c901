"""Start page: what facedemo is and one link per lesson (the lessons of :mod:`ui.pages`)."""

import streamlit as st

from ui import pages

st.title(pages.heading(__file__))
st.markdown(
    "A real, pretrained **FaceNet** turns a face into **128 numbers** of unit length (an *encoding*; the second "
    "model in the sidebar, a FaceNet trained on CASIA-WebFace, uses 512). "
    "Photos of the same person get encodings that are close together; different people's are far "
    "apart. Everything below runs the real model on real photos: pick a lesson."
)

for lesson in pages.lessons():
    st.page_link(lesson.path, label=f"**{lesson.title}** — {lesson.blurb}")
st.caption(
    "The sidebar's threshold and recipe are shared by every page, and the address bar keeps them: "
    "bookmark a page to bring a demo step back."
)
