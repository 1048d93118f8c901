"""Start page: what facedemo is and one link per lesson."""

import streamlit as st

st.title("facedemo — FaceNet you can touch")
st.markdown(
    "A real, pretrained **FaceNet** turns a face into **128 numbers** of unit length (an *encoding*; the second "
    "model in the sidebar, a FaceNet trained on CASIA-WebFace, uses 512). "
    "Photos of the same person get encodings that are close together; different people's are far "
    "apart. Everything below runs the real model on real photos: pick a lesson."
)

LESSONS = [
    ("app_pages/verify.py", "Verify (1:1)", "Is this the claimed person? Two photos, one distance, a door that opens or not."),
    ("app_pages/recognise.py", "Recognise (1:K)", "Who is this? The nearest enrolled person, or \"Not in the database.\"."),
    ("app_pages/people.py", "People (the database)", "The office's employees: enrol someone with one photo or several."),
    ("app_pages/matrix.py", "Distance matrix", "Every pair of chosen photos at once, coloured by the threshold."),
    ("app_pages/threshold.py", "Threshold explorer", "Slide the threshold: TAR, FAR, the ROC curve, and why cropping matters."),
    ("app_pages/triplet.py", "Triplet-loss playground", "How FaceNet was trained: anchor, positive, negative and the margin."),
    ("app_pages/why.py", "Why learn an encoding", "Comparing pixels fails; learned encodings work."),
    ("app_pages/embedding_map.py", "Embedding map", "The encodings squeezed onto a 2-D map."),
    ("app_pages/inside.py", "Inside the model", "The notebook's 2019 network and the one used here, block by block; what the layers see in a face."),
]
for path, title, text in LESSONS:
    st.page_link(path, label=f"**{title}** — {text}")
st.caption(
    "The sidebar's threshold and recipe are shared by every page, and the address bar keeps them: "
    "bookmark a page to bring a demo step back."
)
