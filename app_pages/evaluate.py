"""Evaluate on a pairs file: upload a zip of photos and a pairs file, get the report at the default threshold.

Widget keys: ``evaluate_zip`` (the photos), ``evaluate_pairs`` (CSV ``file_x,file_y,same`` or LFW's
``pairs.txt``), ``evaluate_sample_zip`` / ``evaluate_sample_pairs`` (the gallery as a sample); the report
under ``evaluate_figures``, ``evaluate_wrong`` and ``evaluate_failed``. The sidebar's model and recipe apply.
The same report as ``python -m facedemo evaluate --pairs FILE --root DIR`` (:mod:`facedemo.analysis.pairs`).
"""

from __future__ import annotations

import streamlit as st

from facedemo.io.archives import MAX_FILES, MAX_TOTAL_BYTES
from ui import evaluate_view, pages, state
from ui.messages import attempt

st.title(pages.heading(__file__))
st.markdown(
    "How good is the default threshold on photos **nobody here picked**? Upload a zip of photos and a "
    "pairs file saying which pairs show the same person. Each photo is encoded once; every pair is then "
    "decided at the default threshold for one photo against one photo, and the answers are checked."
)
left, right = st.columns(2)
with left:
    photos = st.file_uploader(
        "Photos (a .zip)", type=["zip"], key="evaluate_zip",
        help=f"At most {MAX_FILES} photos and {MAX_TOTAL_BYTES // 1024 // 1024} MB unpacked. The photos stay in "
             "this server's memory: they are never written to disk.",
    )
with right:
    listed = st.file_uploader(
        "Pairs file (.csv or LFW's pairs.txt)", type=["csv", "txt"], key="evaluate_pairs",
        help="CSV with the header file_x,file_y,same (same: yes/no, 1/0 or true/false), the files as paths "
             "inside the zip; or LFW's pairs.txt (name n1 n2 / name1 n1 name2 n2).",
    )

with st.expander("No pairs file at hand? Take the gallery"):
    st.caption("The bundled gallery as a sample: its 118 photos, and every val photo against every train photo "
               "(same = same folder). From a terminal: `python -m facedemo make-pairs images/val images/train "
               "-o pairs.csv`, then `python -m facedemo evaluate --pairs pairs.csv --root images`.")
    sample = attempt(evaluate_view.gallery_sample, what="The gallery could not be packed: ")
    if sample is not None:
        columns = st.columns(2)
        columns[0].download_button("⬇️ gallery.zip", sample[0], "gallery.zip", "application/zip",
                                   key="evaluate_sample_zip")
        columns[1].download_button("⬇️ pairs.csv", sample[1], "pairs.csv", "text/csv", key="evaluate_sample_pairs")

if photos is None or listed is None:
    st.info("Upload both the zip of photos and the pairs file to see the report.")
    st.stop()

report = attempt(lambda: evaluate_view.evaluate(
    photos.getvalue(), listed.getvalue(), zip_name=photos.name, pairs_name=listed.name,
    recipe=state.recipe(), network=state.current_network()))
if report is not None:
    evaluate_view.show(report)
