"""Streamlit glue shared by the pages; the logic is in ``facedemo``.

- :mod:`.pages`: the one page registry (router, start page and tests read it).
- :mod:`.setup_view`: the first visit to a server without its files sets it up, once, with progress.
- :mod:`.state`: the models and encodings cached per process, the session's settings and database.
- :mod:`.widgets`, :mod:`.messages`: photo pickers, crops, the door, errors turned into sentences.
- :mod:`.frames`, :mod:`.charts`: results laid out as tables and Vega-Lite charts.
- :mod:`.instructor`: the instructor passcode field that guards every server-wide action.
- :mod:`.confidence_view`, :mod:`.classifier_view`, :mod:`.models_view`: sections shared by pages.
"""
