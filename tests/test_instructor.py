"""The instructor's passcode: the core's check and throttle, then the People page's office actions.

The pure tests drive ``facedemo.access`` with an injected clock. The app tests open People with
``AppTest``, find the passcode field and the buttons by key, and check what the user sees and the
office file (``FACEDEMO_OFFICE_DB``, a scratch file from ``tests/conftest.py``) byte for byte.
"""

from __future__ import annotations

import logging

import pytest

from facedemo import access
from facedemo.access import MAX_WRONG_TRIES, PASSCODE_VARIABLE, WINDOW_SECONDS, PasscodeGate, configured_passcode
from tests.test_app_pages import open_verify, page, table, texts

PASSCODE = "tulip-Ω-4711"  # not a word that appears anywhere on the page by chance


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the core: where the passcode comes from, the check, the throttle ---------------------------
def test_the_environment_wins_over_the_secret_and_empty_means_none():
    assert configured_passcode("env-code", "secret-code") == "env-code"
    assert configured_passcode(None, "secret-code") == "secret-code"
    assert configured_passcode("", "secret-code") == "secret-code"
    assert configured_passcode(None, 4711) == "4711"  # TOML may hold a number
    assert configured_passcode(None, None) is None
    assert configured_passcode("", "") is None


def test_the_check_is_a_constant_time_compare(monkeypatch):
    seen = []
    real = access.hmac.compare_digest

    def spy(a, b):
        seen.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(access.hmac, "compare_digest", spy)
    assert access.passcode_matches(PASSCODE, PASSCODE)
    assert not access.passcode_matches(PASSCODE, PASSCODE + " ")
    assert not access.passcode_matches(PASSCODE, "x")
    assert not access.passcode_matches(PASSCODE, "")
    assert seen == [(32, 32)] * 4  # digests of equal length: the typed length does not show either


def test_a_right_try_unlocks_for_that_passcode_only():
    gate = PasscodeGate(clock=Clock())
    assert gate.unlocked(None)  # no passcode set: anyone may act
    assert not gate.unlocked(PASSCODE)
    outcome = gate.attempt(PASSCODE, PASSCODE)
    assert outcome.unlocked and not outcome.refused
    assert gate.unlocked(PASSCODE)
    assert not gate.unlocked("a new passcode")  # the passcode changed: locked again
    gate.lock()
    assert not gate.unlocked(PASSCODE)


def test_five_wrong_tries_a_minute_then_even_the_right_one_waits():
    clock = Clock()
    gate = PasscodeGate(clock=clock)
    for left in range(MAX_WRONG_TRIES - 1, -1, -1):
        outcome = gate.attempt(PASSCODE, "guess")
        assert not outcome.unlocked and not outcome.refused and outcome.tries_left == left
        clock.now += 1.0
    # the first wrong try was 4 s before the fifth: it leaves the window in 56 s
    assert outcome.sentence == f"Wrong passcode. That was {MAX_WRONG_TRIES} wrong tries within a minute: wait 56 s."
    # the 6th try, 5 s after the first, within the minute: refused unchecked, even though it is right
    sixth = gate.attempt(PASSCODE, PASSCODE)
    assert sixth.refused and not sixth.unlocked
    assert sixth.wait == pytest.approx(WINDOW_SECONDS - 5.0)
    assert sixth.sentence == ("Too many wrong passcodes (5 within a minute): this try was not checked. "
                              "Wait 55 s, then try again.")
    assert not gate.unlocked(PASSCODE)
    assert gate.wait() == pytest.approx(55.0)
    clock.now += 54.5
    assert gate.attempt(PASSCODE, PASSCODE).refused  # refused tries do not count, nor extend the wait
    assert gate.wait() == pytest.approx(0.5)
    clock.now += 0.5  # the first wrong try leaves the window: one try is taken again
    assert gate.wait() == 0.0
    assert gate.attempt(PASSCODE, "guess").tries_left == 0  # a sliding window: the 4 later ones still count
    assert gate.attempt(PASSCODE, PASSCODE).refused
    clock.now += 1.0
    assert gate.attempt(PASSCODE, PASSCODE).unlocked
    assert gate.unlocked(PASSCODE)


def test_wrong_tries_spread_over_more_than_a_minute_are_never_refused():
    clock = Clock()
    gate = PasscodeGate(clock=clock)
    for _ in range(20):
        assert not gate.attempt(PASSCODE, "guess").refused
        clock.now += WINDOW_SECONDS / (MAX_WRONG_TRIES - 1)
    assert gate.attempt(PASSCODE, PASSCODE).unlocked


def test_the_sentences_say_how_many_tries_are_left():
    gate = PasscodeGate(clock=Clock())
    assert gate.attempt(PASSCODE, "a").sentence == "Wrong passcode. 4 more tries this minute."
    for _ in range(3):
        last = gate.attempt(PASSCODE, "a")
    assert last.sentence == "Wrong passcode. 1 more try this minute."
    with pytest.raises(ValueError, match="max_wrong must be ≥ 1"):
        PasscodeGate(max_wrong=0)


# --- the app: People's office actions -----------------------------------------------------------
def use_secrets_files(monkeypatch, *paths) -> None:
    """``st.secrets`` as Streamlit reads it from ``paths`` (none there: no secrets file at all)."""
    import streamlit as st
    from streamlit import config
    from streamlit.runtime.secrets import Secrets

    real = config.get_option
    monkeypatch.setattr(config, "get_option",
                        lambda name: [str(p) for p in paths] if name == "secrets.files" else real(name))
    monkeypatch.setattr(st, "secrets", Secrets())  # AppTest puts this one back after each run


def no_passcode(monkeypatch) -> None:
    """No passcode in the environment, and no secrets file (not even the checkout's own)."""
    monkeypatch.delenv(PASSCODE_VARIABLE, raising=False)
    use_secrets_files(monkeypatch, "/nonexistent/secrets.toml")


@pytest.fixture
def office(gallery_dir, monkeypatch):
    """A kept office on the server (the train photos without Madonna): its path and its bytes."""
    from facedemo import assets

    no_passcode(monkeypatch)
    at = people()
    at.selectbox(key="people_person").set_value("madonna").run()
    at.button(key="people_remove_person").click().run()
    path = assets.office_path()
    path.write_bytes(at.session_state["database"].to_bytes())
    yield path, path.read_bytes()
    path.unlink(missing_ok=True)


@pytest.fixture
def passcode_set(monkeypatch):
    monkeypatch.setenv(PASSCODE_VARIABLE, PASSCODE)


def people(at=None):
    """A fresh session (or ``at``) on the People page."""
    return page(at or open_verify(), "app_pages/people.py")


def unlock_with(at, typed: str):
    at.text_input(key="instructor_passcode").input(typed)
    at.button(key="instructor_unlock").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def press(at, key: str):
    """Press the button ``key`` and run the page."""
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


LOCKED = "Only the instructor can keep or forget the server's office: enter the instructor passcode first."


def test_without_the_passcode_the_office_stays_byte_identical(office, passcode_set):
    path, before = office
    at = people()
    assert at.button(key="people_keep").disabled and at.button(key="people_forget").disabled
    assert at.text_input(key="instructor_passcode").label == "Instructor passcode"
    assert "madonna" not in list(table(at, "people_table")["name"])  # the session starts from the kept office
    # Streamlit drops a disabled button's press on the server too (and AppTest refuses it, as a browser)
    at.button(key="people_reset").click().run()
    assert path.read_bytes() == before


def test_a_wrong_passcode_keeps_the_office_byte_identical(office, passcode_set):
    path, before = office
    at = unlock_with(people(), "tulip")
    assert "Wrong passcode. 4 more tries this minute." in texts(at.error)
    assert at.button(key="people_keep").disabled and at.button(key="people_forget").disabled
    at.run()
    assert path.read_bytes() == before


def test_the_right_passcode_keeps_and_forgets_in_that_session_only(office, passcode_set):
    path, before = office
    at = people()
    at.button(key="people_reset").click().run()  # back to the kept office: 4 people
    at.selectbox(key="people_person").set_value("elton_john").run()
    at.button(key="people_remove_person").click().run()
    unlock_with(at, PASSCODE)
    assert any("Passcode accepted" in v for v in texts(at.success))
    assert not at.button(key="people_keep").disabled
    press(at, "people_keep")
    assert any("Kept on this server: every new session, also after a restart, starts with these 3 people." in v
               for v in texts(at.success))
    assert path.read_bytes() != before

    other = people()  # another student's session: still locked, and starts from the new office
    assert sorted(table(other, "people_table")["name"]) == ["ben_afflek", "jerry_seinfeld", "mindy_kaling"]
    assert other.button(key="people_forget").disabled

    press(at, "people_forget")
    assert any("no longer keeps an office" in v for v in texts(at.success))
    assert not path.exists()
    press(at, "instructor_lock")
    assert "Locked again: this session needs the passcode for server-wide actions." in texts(at.info)
    assert at.button(key="people_keep").disabled


def test_a_changed_passcode_locks_an_unlocked_session_before_its_next_press(office, monkeypatch):
    """The callback checks again: a button shown enabled is refused once the passcode has changed."""
    path, before = office
    monkeypatch.setenv(PASSCODE_VARIABLE, PASSCODE)
    at = unlock_with(people(), PASSCODE)
    assert not at.button(key="people_forget").disabled
    monkeypatch.setenv(PASSCODE_VARIABLE, "a new passcode")
    press(at, "people_forget")
    assert LOCKED in texts(at.error)
    assert path.read_bytes() == before
    assert at.button(key="people_keep").disabled


def test_the_sixth_try_within_a_minute_is_refused_even_when_right(office, passcode_set):
    path, before = office
    at = people()
    for _ in range(MAX_WRONG_TRIES):
        unlock_with(at, "guess")
    assert any(f"That was {MAX_WRONG_TRIES} wrong tries within a minute" in v for v in texts(at.error))
    unlock_with(at, PASSCODE)
    refused = [v for v in texts(at.error) if v.startswith("Too many wrong passcodes")]
    assert refused and "this try was not checked. Wait " in refused[0] and refused[0].endswith(" s, then try again.")
    assert at.button(key="people_keep").disabled
    assert path.read_bytes() == before
    # another session has its own tries
    assert any("Passcode accepted" in v for v in texts(unlock_with(people(), PASSCODE).success))


def test_an_empty_field_is_not_a_try(office, passcode_set):
    at = unlock_with(people(), "")
    assert "Type the instructor passcode first." in texts(at.warning)
    assert "Wrong passcode. 4 more tries this minute." in texts(unlock_with(at, "guess").error)


def test_the_passcode_can_come_from_the_secrets_file(office, monkeypatch):
    path, before = office
    at = open_verify()
    at.secrets["instructor_passcode"] = PASSCODE
    people(at)
    assert at.button(key="people_keep").disabled
    unlock_with(at, "guess")
    assert at.button(key="people_forget").disabled
    assert path.read_bytes() == before
    unlock_with(at, PASSCODE)
    press(at, "people_forget")
    assert not path.exists()


def test_with_no_passcode_set_anyone_may_act_and_the_page_says_so(office):
    path, before = office
    at = people()
    warning = [v for v in texts(at.warning) if v.startswith("No instructor passcode is set")]
    assert warning == [
        "No instructor passcode is set: anyone who can open this app can keep or forget the server's office. "
        "To require one, set the environment variable `FACEDEMO_INSTRUCTOR_PASSCODE` before starting the app, "
        "or put `instructor_passcode = \"…\"` in `.streamlit/secrets.toml`."
    ]
    assert not [field for field in at.text_input if field.key == "instructor_passcode"]  # nothing to type
    at.button(key="people_reset").click().run()
    at.selectbox(key="people_person").set_value("elton_john").run()
    at.button(key="people_remove_person").click().run()
    press(at, "people_keep")
    assert path.read_bytes() != before
    press(at, "people_forget")
    assert not path.exists()


def test_an_unreadable_secrets_file_locks_rather_than_opens(office, monkeypatch, tmp_path):
    path, before = office
    broken = tmp_path / "secrets.toml"
    broken.write_text('instructor_passcode = "unclosed\n')
    use_secrets_files(monkeypatch, broken)
    at = people()
    assert any(v.startswith("The secrets file cannot be read, so nobody can keep or forget the server's office "
                            "until it is fixed") for v in texts(at.error))
    assert at.button(key="people_keep").disabled and at.button(key="people_forget").disabled
    assert path.read_bytes() == before


def test_a_secrets_file_without_the_passcode_is_no_passcode(office, monkeypatch, tmp_path):
    other = tmp_path / "secrets.toml"
    other.write_text('something_else = "x"\n')
    use_secrets_files(monkeypatch, other)
    at = people()
    assert any(v.startswith("No instructor passcode is set") for v in texts(at.warning))
    assert not at.button(key="people_keep").disabled


def all_text(node) -> str:
    """Every element's full message (labels, values, defaults, help) under ``node``, as text."""
    parts = [str(getattr(node, "proto", ""))]
    for child in getattr(node, "children", {}).values():
        parts.append(all_text(child))
    return "\n".join(parts)


def test_the_passcode_never_shows_in_the_page_the_url_or_the_logs(office, passcode_set):
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler = Keep(level=logging.DEBUG)
    watched = [logging.getLogger(), logging.getLogger("streamlit"), logging.getLogger("facedemo")]
    for logger in watched:
        logger.addHandler(handler)
    try:
        at = people()
        pages = []  # what each run sent: every element under main and sidebar
        unlock_with(at, PASSCODE + "?")  # a wrong try: the message must not echo it
        pages.append(all_text(at._tree))
        assert at.text_input(key="instructor_passcode").value == ""  # emptied once checked
        unlock_with(at, PASSCODE)
        pages.append(all_text(at._tree))
        press(at, "people_keep")
        pages.append(all_text(at._tree))
        assert "Wrong passcode." in pages[0] and "Passcode accepted" in pages[1] and "Kept on this server" in pages[2]
        assert "Instructor passcode" in pages[0]  # the walk does reach the field
        assert not [shown for shown in pages if PASSCODE in shown]
        assert all(PASSCODE not in str(value) for value in at.query_params.values())
        assert all(PASSCODE not in str(key) for key in at.query_params)
        assert "instructor_passcode" not in at.query_params
        assert "instructor_passcode" not in at.session_state  # unlocked: the field and its state are gone
    finally:
        for logger in watched:
            logger.removeHandler(handler)
    assert not [record for record in records if PASSCODE in record]


def test_an_office_kept_before_alignment_waits_for_the_box_crop_and_says_so(gallery_dir, monkeypatch):
    """A format 1 office file said 'aligned' for the box crop: it is read as 'box', shown there, and named on the People page."""
    import io
    import json

    import numpy as np

    from facedemo import assets
    from facedemo.people.database import FaceDatabase

    no_passcode(monkeypatch)
    office = FaceDatabase("box")
    office.add("ada", np.eye(128, dtype=np.float32)[0])
    arrays = dict(np.load(io.BytesIO(office.to_bytes())))
    meta = json.loads(str(arrays["meta"]))
    arrays["meta"] = np.array(json.dumps({**meta, "format": 1, "recipe": "aligned"}))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path = assets.office_path()
    path.write_bytes(buffer.getvalue())
    try:
        at = people()
        assert "ada" not in at.session_state["database"].names  # the default recipe cannot compare with it
        assert any("made with **FaceNet of the course (Keras, 128-d)** and **Face box crop**" in c.value
                   for c in at.caption), [c.value for c in at.caption]
        at.sidebar.radio(key="recipe").set_value("box").run()
        assert at.session_state["database"].names == ["ada"]
    finally:
        path.unlink(missing_ok=True)
