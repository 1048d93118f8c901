"""Who may change what the whole server shares: the instructor's passcode.

A server-wide action (keeping or forgetting the office the server starts every session from, and
later the class actions) needs the instructor's passcode when one is configured. This module is the
logic, without Streamlit: where the passcode comes from (:func:`configured_passcode`), the check
(:func:`passcode_matches`, constant time) and one :class:`PasscodeGate` per browser session that
limits wrong tries. ``ui/instructor.py`` reads the environment and ``st.secrets``, keeps the gate in
the session and lays out the field.

Nothing here prints, logs or keeps a passcode: the gate keeps only a keyed digest of the passcode it
was unlocked with, so a changed passcode locks every session again.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

PASSCODE_VARIABLE = "FACEDEMO_INSTRUCTOR_PASSCODE"
"""The environment variable that holds the passcode (it wins over the secrets file)."""
SECRET_NAME = "instructor_passcode"
"""The key in ``.streamlit/secrets.toml`` (``st.secrets``) that holds the passcode."""
MAX_WRONG_TRIES = 5
"""Wrong tries a session may make within :data:`WINDOW_SECONDS`; the next try waits."""
WINDOW_SECONDS = 60.0

_PROCESS_KEY = secrets.token_bytes(32)  # digests below mean nothing outside this process


def configured_passcode(environment: str | None, secret: object | None) -> str | None:
    """The passcode in force, or None when none is set (a laptop: anyone may act).

    Parameters
    ----------
    environment : str or None
        The value of :data:`PASSCODE_VARIABLE`, None when unset.
    secret : object or None
        ``st.secrets[SECRET_NAME]``, None when there is no such secret. TOML may hold a number;
        it is taken as its text.

    Returns
    -------
    str or None
        The environment's value when it is not empty, else the secret's, else None. An empty
        passcode counts as none.
    """
    for value in (environment, secret):
        if value is not None and str(value) != "":
            return str(value)
    return None


def _digest(text: str) -> bytes:
    return hmac.new(_PROCESS_KEY, text.encode("utf-8"), hashlib.sha256).digest()


def passcode_matches(expected: str, typed: str) -> bool:
    """Whether ``typed`` is the passcode, in time that depends on neither text.

    Both texts are reduced to keyed SHA-256 digests of equal length first, then compared with
    :func:`hmac.compare_digest`, so neither the content nor the length of the passcode shows in
    the time the check takes.
    """
    return hmac.compare_digest(_digest(expected), _digest(typed))


@dataclass(frozen=True)
class Attempt:
    """What one try at the passcode gave.

    Attributes
    ----------
    unlocked : bool
        The passcode was right and the try was taken: the session is unlocked.
    refused : bool
        The try was not checked at all: too many wrong tries in the window.
    wait : float
        Seconds until the next try is taken (0 when one may try now).
    tries_left : int
        Wrong tries the session may still make in the current window.
    """

    unlocked: bool
    refused: bool
    wait: float
    tries_left: int

    @property
    def sentence(self) -> str:
        """What to tell the person who typed it."""
        if self.unlocked:
            return "Passcode accepted: this browser session may now change what the whole server shares."
        if self.refused:
            return (f"Too many wrong passcodes ({MAX_WRONG_TRIES} within a minute): this try was not checked. "
                    f"Wait {math.ceil(self.wait)} s, then try again.")
        if self.tries_left:
            return (f"Wrong passcode. {self.tries_left} more {'try' if self.tries_left == 1 else 'tries'} "
                    f"this minute.")
        return f"Wrong passcode. That was {MAX_WRONG_TRIES} wrong tries within a minute: wait {math.ceil(self.wait)} s."


class PasscodeGate:
    """One browser session's way through the passcode: a limit on wrong tries, then unlocked.

    At most ``max_wrong`` wrong tries within any ``window`` seconds (a sliding window); a try made
    while that many are in the window is refused unchecked, right or not, until the oldest one leaves
    the window. A right try unlocks the session for that passcode only.

    Parameters
    ----------
    max_wrong : int
        Wrong tries allowed within ``window``; default :data:`MAX_WRONG_TRIES`.
    window : float
        Seconds; default :data:`WINDOW_SECONDS`.
    clock : callable
        Returns seconds (monotonic); tests inject their own.
    """

    def __init__(self, *, max_wrong: int = MAX_WRONG_TRIES, window: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_wrong < 1 or window <= 0:
            raise ValueError(f"max_wrong must be ≥ 1 and window > 0, not {max_wrong} and {window}")
        self.max_wrong = max_wrong
        self.window = float(window)
        self._clock = clock
        self._wrong: deque[float] = deque()
        self._unlocked_for: bytes | None = None

    def _forget_old(self, now: float) -> None:
        while self._wrong and self._wrong[0] <= now - self.window:
            self._wrong.popleft()

    def wait(self) -> float:
        """Seconds until a try is taken again; 0 when one may try now."""
        now = self._clock()
        self._forget_old(now)
        if len(self._wrong) < self.max_wrong:
            return 0.0
        return self._wrong[0] + self.window - now

    def attempt(self, expected: str, typed: str) -> Attempt:
        """Try ``typed`` against the passcode ``expected``; a wrong try counts, a refused one does not."""
        now = self._clock()
        self._forget_old(now)
        if len(self._wrong) >= self.max_wrong:
            return Attempt(False, True, self._wrong[0] + self.window - now, 0)
        if passcode_matches(expected, typed):
            self._unlocked_for = _digest(expected)
            self._wrong.clear()
            return Attempt(True, False, 0.0, self.max_wrong)
        self._wrong.append(now)
        left = self.max_wrong - len(self._wrong)
        return Attempt(False, False, 0.0 if left else self._wrong[0] + self.window - now, left)

    def unlocked(self, expected: str | None) -> bool:
        """Whether this session may act: no passcode is set, or it was unlocked with ``expected``."""
        if expected is None:
            return True
        return self._unlocked_for is not None and hmac.compare_digest(self._unlocked_for, _digest(expected))

    def lock(self) -> None:
        """Lock the session again (the instructor leaves the projector)."""
        self._unlocked_for = None
