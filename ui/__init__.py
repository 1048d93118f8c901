"""Streamlit helpers shared by the pages: cached model and encodings, session state, widgets.

Only glue lives here (caching, session state, turning errors into messages); the logic is in
``facedemo``.
"""
