"""The first visit sets up the server, on any page, and every visitor watches the same set-up.

:func:`ensure_ready` runs before every page (``streamlit_app.py``). The first time a server
process sees a model (with its folders), a worker thread makes what that model needs, each step
once and quick when done:

1. the gallery, the face detector and the network's own files (download, sha256, conversion), in a
   child process (:func:`facedemo.assets.set_up_in_child`: ``python -m facedemo setup --model NAME``),
   whose steps stream back: the conversions import TensorFlow, and this server never does for set-up
   (the server then stays at ~0.7 GB after a first visit, not 1.5-1.9 GB);
2. the gallery's encodings for the default recipe, through the disk cache that
   :func:`ui.state.gallery` reads (:func:`facedemo.gallery.labelled.encode_folder`), here (LiteRT only).

The work runs in a thread, not in a visitor's script run: a visitor who closes the tab or moves
a slider stops only their own run, never the set-up. Its progress is one shared record
(:class:`SetUpRun`, in ``st.cache_resource``); each visitor's run polls it every
:data:`POLL` s and redraws it, for at most :data:`WAIT` s. A visitor arriving meanwhile joins the
same run. A failed run is shown to those who watched it; the next visitor starts a new one (the
registry may be reachable again). Errors are sentences, never a traceback: offline, the
:class:`~facedemo.errors.AssetError` names the override variables.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field

import streamlit as st

from facedemo import assets
from facedemo.detection.faces import FaceDetector
from facedemo.encoding.encoder import FaceEncoder
from facedemo.encoding.networks import get_network
from facedemo.encoding.recipes import DEFAULT_RECIPE
from facedemo.errors import FacedemoError
from facedemo.gallery.labelled import encode_folder

POLL = 0.5  # seconds between two redraws of the progress
QUIET = 0.3  # seconds a visitor waits silently first: a server that is already set up shows nothing
WAIT = 900.0  # seconds a visitor waits at most; then they are asked to reload
GALLERY_SPLITS = ("train", "val")
_WORK = threading.Lock()  # one set-up at a time in this process: two models share the gallery and the detector
_log = logging.getLogger(__name__)


@dataclass
class SetUpRun:
    """One attempt at setting up a model's files, shared by every visitor who watches it.

    ``steps`` are the sentences reported so far (the last is the current step); ``fraction`` is how
    far the current step is, when known (MB downloaded, photos encoded); ``state`` is ``"running"``,
    ``"done"`` or ``"failed"`` (then ``error`` says why, as a sentence).
    """

    network: str
    steps: list[str] = field(default_factory=list)
    fraction: float | None = None
    state: str = "running"
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def report(self, sentence: str, fraction: float | None = None) -> None:
        """A :data:`facedemo.assets.Progress` callback; a download's "n of m MB" also sets ``fraction``."""
        megabytes = re.search(r"(\d+) MB of (\d+) MB", sentence)
        if fraction is None and megabytes:
            fraction = min(int(megabytes.group(1)) / max(int(megabytes.group(2)), 1), 1.0)
        with self._lock:
            repeat = self.steps and _kind(self.steps[-1]) == _kind(sentence)
            if repeat:  # "photo 7 of 93" replaces "photo 6 of 93"
                self.steps[-1] = sentence
            else:
                self.steps.append(sentence)
            self.fraction = fraction

    def snapshot(self) -> tuple[str, list[str], float | None, str | None, float]:
        """``(state, steps, fraction, error, seconds so far)``, read at one moment."""
        with self._lock:
            end = self.finished or time.monotonic()
            return self.state, list(self.steps), self.fraction, self.error, end - self.started

    def end(self, error: str | None = None) -> None:
        with self._lock:
            self.state, self.error, self.finished = ("failed" if error else "done"), error, time.monotonic()
            self.fraction = None


def _kind(sentence: str) -> str:
    """A sentence without its numbers: two reports of the same step have the same kind."""
    return re.sub(r"\d+", "#", sentence)


class ServerSetUp:
    """The set-up of one model with one set of folders in this process: its current run, started once."""

    def __init__(self, network: str) -> None:
        self.network = network
        self.run: SetUpRun | None = None
        self._lock = threading.Lock()

    def join(self) -> SetUpRun:
        """The run to watch: the one going on or done, else a new one (none yet, or the last one failed)."""
        with self._lock:
            if self.run is None or self.run.state == "failed":
                self.run = SetUpRun(self.network)
                threading.Thread(
                    target=_work, args=(self.run,), name=f"facedemo-setup-{self.network}", daemon=True
                ).start()
            return self.run


@st.cache_resource(show_spinner=False)
def _server_set_up(network: str, models: str, gallery: str, cache: str) -> ServerSetUp:
    """One :class:`ServerSetUp` per model and folders (the folders: tests point them elsewhere)."""
    return ServerSetUp(network)


def _work(run: SetUpRun) -> None:
    """Make what ``run.network`` needs (see the module's text), reporting into ``run``."""
    try:
        with _WORK:
            run.report("checking this server's files (the gallery, the face detector, the model) ...")
            assets.set_up_in_child(run.network, progress=run.report)
            encoder = FaceEncoder.load(lazy=True, network=run.network, detector=FaceDetector())
            for split in GALLERY_SPLITS:
                def photo(done: int, total: int, split: str = split) -> None:
                    run.report(f"encoding gallery photo {done} of {total} ({split}) ...", done / max(total, 1))

                encode_folder(assets.gallery_dir() / split, encoder, DEFAULT_RECIPE, on_progress=photo)
        run.report("ready")
        run.end()
    except FacedemoError as error:
        run.end(str(error))
    except Exception as error:  # noqa: BLE001 - a visitor gets a sentence, the log the traceback
        _log.exception("facedemo: setting up the model '%s' failed", run.network)
        run.end(f"the set-up stopped on an unexpected {type(error).__name__} ({error}); "
                "the server's log has the details")


def _draw(box, steps: list[str], fraction: float | None, seconds: float) -> None:
    with box.container():
        st.subheader("⏳ Setting up this server (first visit only)")
        st.caption(
            f"{seconds:.0f} s so far. This server fetches and checks its model and photos once, then every "
            "page opens at once. Everyone who opens the app meanwhile waits on the same set-up."
        )
        done, current = steps[:-1], steps[-1] if steps else "starting ..."
        if fraction is not None:
            st.progress(min(max(fraction, 0.0), 1.0), text=current)
        else:
            st.info(current, icon="⏳")
        if done:
            st.markdown("  \n".join(f"✓ {step}" for step in done[-8:]))


def ensure_ready(network: str) -> None:
    """Set the server up for ``network`` on first use, showing the shared progress; stop the page on failure.

    Quick (and invisible) once the server is set up. Waits at most :data:`WAIT` s; an error is
    shown with ``st.error`` and the page stops (``st.stop``), never with a traceback.
    """
    setup = _server_set_up(
        network, str(assets.models_dir()), str(assets.gallery_dir()), str(assets.cache_dir())
    )
    if setup.run is not None and setup.run.state == "done":
        return
    run = setup.join()
    deadline = time.monotonic() + WAIT
    time.sleep(0.05)
    quiet_until = time.monotonic() + QUIET
    box = None
    while True:
        state, steps, fraction, error, seconds = run.snapshot()
        if state != "running" or time.monotonic() > deadline:
            break
        if time.monotonic() >= quiet_until:
            box = box or st.empty()
            _draw(box, steps, fraction, seconds)
        time.sleep(POLL if box else 0.05)
    if box is not None:
        box.empty()
    if state == "done":
        return
    title = get_network(network).title
    if state == "failed":
        st.error(f"This server could not set up the model {title}: {error}", icon="🚫")
        if get_network(network).optional:
            st.info("The other model works without it: choose it in the sidebar.")
    else:
        st.warning(
            f"The set-up is still running after {seconds / 60:.0f} minutes ({steps[-1] if steps else 'starting'}). "
            "Reload this page in a minute to keep watching it.", icon="⏳",
        )
    st.stop()
