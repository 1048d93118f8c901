"""What a threshold move redraws: only the parts of a page that depend on the threshold.

The threshold slider lives in the sidebar, outside every page, so a move would rerun the whole
page: photos, tables and charts that no threshold changes are built and sent again. With a class
of 50 moving it at once, every rerun queues behind the others under one GIL. A page puts what the
threshold changes in functions decorated with :func:`threshold_view` (an ``st.fragment`` keyed by
the function's name); the slider's ``on_change`` (:func:`redraw`) reruns those alone. A page
with none, or whose last full run did not reach its end (``st.stop``, an error, a newer rerun:
:func:`page_started` and :func:`page_finished` around it), gets the whole-page rerun, so a page is
never left showing an old threshold or another page's view.

A threshold view reads the threshold itself (``ui.state.threshold()``) and must hold everything of
its page that depends on it: a caption outside it would keep the old number.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

PREFIX = "threshold_view_"
DRAWING = "_threshold_views_drawing"  # session state: the views the full run in progress has drawn
DRAWN = "_threshold_views_drawn"  # session state: (page, views) of the last full run that ran to its end
F = TypeVar("F", bound=Callable[..., None])


def threshold_view(func: F | None = None, *, run_every: float | None = None):
    """Make ``func`` a part of its page that a threshold move reruns alone (fragment key: its name).

    With ``run_every`` (seconds, as ``@threshold_view(run_every=3)``) the view also redraws itself on
    that clock, for a part that shows data growing on its own (a class's students joining) *and* the
    threshold: one fragment, so both a move and a tick redraw it whole (fragments are not nested).
    """
    if func is None:
        return functools.partial(threshold_view, run_every=run_every)
    key = PREFIX + func.__name__
    fragment = st.fragment(func, key=key, run_every=run_every)

    @functools.wraps(func)
    def draw(*args, **kwargs) -> None:  # called by the page's script, so only in a full run
        st.session_state.setdefault(DRAWING, set()).add(key)
        fragment(*args, **kwargs)

    return draw  # type: ignore[return-value]


def page_started() -> None:
    """Call before a page's full run: until it ends, a move reruns the whole page."""
    st.session_state[DRAWING] = set()
    st.session_state.pop(DRAWN, None)


def page_finished() -> None:
    """Call when a page's full run reached its end (not after ``st.stop``, an error or an interruption)."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        st.session_state[DRAWN] = (ctx.page_script_hash, frozenset(st.session_state.get(DRAWING, ())))


def drawn_views() -> list[str]:
    """The keys of the views a move may rerun alone: those of this page's last full run, had it run to its end.

    A run that stopped early or was interrupted (by a newer rerun, a slider move included) drew only
    part of the page, with inputs that may have changed since: then the whole page reruns.
    """
    ctx = get_script_run_ctx()
    drawn = st.session_state.get(DRAWN)
    if ctx is None or drawn is None or drawn[0] != ctx.page_script_hash:
        return []
    return sorted(key for key in drawn[1] if _registered(ctx, key))


def _registered(ctx, key: str) -> bool:
    try:
        ctx.fragment_storage.resolve_target(key)
    except StreamlitAPIException:
        return False
    return True


def redraw() -> None:
    """The threshold slider's ``on_change``: rerun this page's threshold views, else the whole page."""
    drawn = drawn_views()
    if drawn:
        st.rerun(drawn)
