"""The instructor's passcode in the app: it guards every server-wide action.

A page with a server-wide action calls :func:`controls` once, where the action's buttons are, and
disables them when it returns False; each action's callback calls :func:`unlocked` again before it
acts (a disabled button is only a hint in the browser). The logic is :mod:`facedemo.access`.

- The passcode comes from ``FACEDEMO_INSTRUCTOR_PASSCODE`` or ``st.secrets["instructor_passcode"]``
  (``.streamlit/secrets.toml``); with neither, every session may act and :func:`controls` says so.
- It is typed into a password field inside a form (key ``instructor_passcode``, never mirrored into
  ``st.query_params``), emptied as soon as it is checked, and never printed or logged.
- Unlocked lives in this browser session only (``st.session_state``); other sessions stay locked.

Widget keys: ``instructor_passcode``, ``instructor_unlock`` (the form's button), ``instructor_lock``.
"""

from __future__ import annotations

import os

import streamlit as st

from facedemo.access import PASSCODE_VARIABLE, SECRET_NAME, PasscodeGate, configured_passcode

FIELD = "instructor_passcode"
GATE = "instructor_gate"
MESSAGE = "instructor_message"
HOW_TO_SET = (f"set the environment variable `{PASSCODE_VARIABLE}` before starting the app, or put "
              f"`{SECRET_NAME} = \"…\"` in `.streamlit/secrets.toml`")
ss = st.session_state


class _Unreadable(Exception):
    """The secrets file exists but cannot be read: stay locked rather than open."""


def _secret() -> object | None:
    try:
        return st.secrets[SECRET_NAME]
    except KeyError:
        return None
    except FileNotFoundError as error:  # StreamlitSecretNotFoundError
        if getattr(error, "error_id", None) == "no-secrets-found":
            return None  # a laptop: no secrets file at all
        raise _Unreadable(str(error)) from None


def _passcode() -> str | None:
    """The passcode in force, or None (raises :class:`_Unreadable` for a broken secrets file)."""
    environment = os.environ.get(PASSCODE_VARIABLE)
    if environment:
        return configured_passcode(environment, None)  # the secrets file is not even read
    return configured_passcode(None, _secret())


def _gate() -> PasscodeGate:
    if GATE not in ss:
        ss[GATE] = PasscodeGate()
    return ss[GATE]


def required() -> bool:
    """Whether a passcode is set (or the secrets file is unreadable, which counts as set)."""
    try:
        return _passcode() is not None
    except _Unreadable:
        return True


def unlocked() -> bool:
    """Whether this session may do server-wide actions now: no passcode set, or unlocked with it."""
    try:
        expected = _passcode()
    except _Unreadable:
        return False
    return _gate().unlocked(expected)


def _check() -> None:
    """The form's callback: check what was typed, then empty the field."""
    typed = ss.get(FIELD) or ""
    ss[FIELD] = ""  # the typed text is not kept past this callback
    try:
        expected = _passcode()
    except _Unreadable:
        return  # controls() says why
    if expected is None:
        return
    if not typed:
        ss[MESSAGE] = ("warning", "Type the instructor passcode first.")
        return
    outcome = _gate().attempt(expected, typed)
    ss[MESSAGE] = ("success" if outcome.unlocked else "error", outcome.sentence)


def _lock() -> None:
    _gate().lock()
    ss[MESSAGE] = ("info", "Locked again: this session needs the passcode for server-wide actions.")


def controls(*, what: str) -> bool:
    """Lay out the passcode field (or say none is needed) and return whether this session may act.

    Call it once per page run, above the buttons it guards.

    Parameters
    ----------
    what : str
        The server-wide actions, completing "anyone who can open this app can …", e.g.
        ``"keep or forget the server's office"``.

    Returns
    -------
    bool
        True when no passcode is set or this session has been unlocked; False otherwise.
    """
    if MESSAGE in ss:
        kind, text = ss.pop(MESSAGE)
        getattr(st, kind)(text)
    try:
        expected = _passcode()
    except _Unreadable as error:
        st.error(f"The secrets file cannot be read, so nobody can {what} until it is fixed: {error}")
        return False
    if expected is None:
        st.warning(f"No instructor passcode is set: anyone who can open this app can {what}. "
                   f"To require one, {HOW_TO_SET}.", icon="⚠️")
        return True
    gate = _gate()
    if gate.unlocked(expected):
        st.caption(f"🔓 Instructor: unlocked in this browser session only; you may {what}.")
        st.button("Lock again", key="instructor_lock", on_click=_lock, type="tertiary")
        return True
    with st.form("instructor_form", clear_on_submit=True, border=False):
        st.text_input("Instructor passcode", type="password", key=FIELD, autocomplete="off",
                      help=f"Only the instructor can {what}. Unlocks this browser session only.")
        st.form_submit_button("Unlock", key="instructor_unlock", on_click=_check, icon="🔑")
    return False
