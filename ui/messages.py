"""Turn the core's errors into sentences on the page, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from facedemo.errors import FacedemoError, NoFaceFoundError

T = TypeVar("T")


def attempt(action: Callable[[], T], *, what: str = "") -> T | None:
    """Run ``action``; show the project's error as ``st.error``/``st.warning`` and return None."""
    try:
        return action()
    except NoFaceFoundError as error:
        st.warning(f"{what}{error}")
    except FacedemoError as error:
        st.error(f"{what}{error}")
    except Exception as error:  # noqa: BLE001 - a student must never see a traceback
        st.error(f"{what}Something went wrong with this input ({type(error).__name__}). Please try another photo.")
    return None


def album_or_stop(recipe: str):
    """The gallery album for ``recipe``; on failure say why and stop the page (nothing to show without it)."""
    from ui import state

    album = attempt(lambda: state.album(recipe), what="The gallery could not be loaded: ")
    if album is None:
        st.stop()
    return album
