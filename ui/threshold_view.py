"""What a threshold move redraws: only the parts of a page that depend on the threshold.

The threshold slider lives in the sidebar, outside every page, so a move would rerun the whole
page: photos, tables and charts that no threshold changes are built and sent again. With a class
of 50 moving it at once, every rerun queues behind the others under one GIL. A page puts what the
threshold changes in functions decorated with :func:`threshold_view` (an ``st.fragment`` keyed by
the function's name); the slider's ``on_change`` (:func:`redraw`) reruns those alone. A page
with none gets the whole-page rerun, so a page is never left showing an old threshold.

A threshold view reads the threshold itself (``ui.state.threshold()``) and must hold everything of
its page that depends on it: a caption outside it would keep the old number.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

PREFIX = "threshold_view_"
_KEYS: set[str] = set()  # every threshold view's fragment key, on any page (process-wide, names only)
_KEYS_LOCK = threading.Lock()
F = TypeVar("F", bound=Callable[..., None])


def threshold_view(func: F) -> F:
    """Make ``func`` a part of its page that a threshold move reruns alone (fragment key: its name)."""
    key = PREFIX + func.__name__
    with _KEYS_LOCK:
        _KEYS.add(key)
    return st.fragment(func, key=key)


def drawn_views() -> list[str]:
    """The keys of the threshold views on the page this session last drew in full."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return []
    with _KEYS_LOCK:
        keys = sorted(_KEYS)
    drawn = []
    for key in keys:
        try:
            ctx.fragment_storage.resolve_target(key)
        except StreamlitAPIException:  # not on this page, or not drawn in its last run
            continue
        drawn.append(key)
    return drawn


def redraw() -> None:
    """The threshold slider's ``on_change``: rerun this page's threshold views, else the whole page."""
    drawn = drawn_views()
    if drawn:
        st.rerun(drawn)
