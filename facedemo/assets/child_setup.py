"""Set-up in a child process, so that the caller (the app's server) never imports TensorFlow for it.

The conversions (Keras 2 → Keras 3 → TFLite, the frozen graph and MTCNN's stages → TFLite) import
TensorFlow, and a process that has loaded it keeps most of that memory: the app's server stayed at
1.5-1.9 GB after a first visit that set it up itself. :func:`set_up_in_child` runs
``python -m facedemo setup --model NAME --progress-lines`` instead (downloads, sha256 checks and
conversions alike), passes each step the child reports to ``progress``, and the memory goes back
to the system when the child exits (the server then stays at ~0.7 GB). The set-up's peak is the
child's: ~2 GB during the Keras → TFLite conversion, as it was in-process. The child inherits the
environment, so the folders and the offline overrides (``FACEDEMO_*``, see :mod:`.course_package`)
are the caller's.

Several app processes sharing the folders (behind a proxy, ``deploy/nginx.conf``) set up one after
another (:func:`one_at_a_time`, a lock file in the cache folder): the second one waits, then finds
everything made and is done at once.

The child writes one JSON object per line on stdout: ``{"progress": sentence}`` for each step and,
when it fails, ``{"error": sentence, "kind": class name}``. Anything else it prints is passed over;
its stderr is the caller's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

from facedemo import errors
from facedemo.assets.downloads import Progress, say
from facedemo.assets.locations import CHECKOUT, ROOT, cache_dir
from facedemo.errors import AssetError, FacedemoError

PROGRESS_FLAG = "--progress-lines"
LOCK_NAME = ".setup.lock"


def set_up_in_child(network: str, progress: Progress = say) -> None:
    """The gallery, the face detector and ``network``'s files, made by a child process (quick when present).

    Raises the child's :class:`~facedemo.errors.FacedemoError` again (same class, same sentence:
    offline, the :class:`~facedemo.errors.AssetError` names the override variables); a child that
    stops without saying why (killed, out of memory) raises :class:`~facedemo.errors.AssetError`.
    """
    command = [sys.executable, "-m", "facedemo", "setup", "--model", network, PROGRESS_FLAG]
    failure: dict | None = None
    with one_at_a_time(progress), subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True, env=_child_environment()
    ) as child:
        for line in child.stdout:
            record = _record(line)
            if "progress" in record:
                progress(str(record["progress"]))
            elif "error" in record:
                failure = record
    if failure is not None:
        raise _error(failure)
    if child.returncode != 0:
        killed = " (it was killed: out of memory?)" if child.returncode == -9 else ""
        raise AssetError(
            f"the set-up process stopped with exit code {child.returncode}{killed}; "
            "'python -m facedemo setup' run by hand shows every step"
        )


@contextmanager
def one_at_a_time(progress: Progress = say) -> Iterator[None]:
    """Hold the cache folder's set-up lock (``.setup.lock``) for the block; say so when another process has it.

    Without ``fcntl`` (Windows) there is no lock: one app process per machine is the rule there.
    """
    if fcntl is None:
        yield
        return
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_NAME, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress("another app process is setting up the same files; waiting for it to finish ...")
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def report_line(message: str) -> None:
    """The child's :data:`~facedemo.assets.downloads.Progress`: one ``{"progress": ...}`` line on stdout."""
    _write({"progress": message})


def report_error(error: BaseException) -> None:
    """The child's last line when it fails; an unexpected error's traceback also goes to stderr."""
    if not isinstance(error, FacedemoError):
        traceback.print_exception(error, file=sys.stderr)
    _write({"error": str(error), "kind": type(error).__name__})


def _write(record: dict[str, str]) -> None:
    """One JSON line on the real stdout (not a conversion's temporary redirect), ASCII only."""
    stream = sys.__stdout__ or sys.stdout
    stream.write(json.dumps(record) + "\n")
    stream.flush()


def _record(line: str) -> dict:
    """The JSON object on ``line``, or ``{}`` for anything else (TensorFlow's own output)."""
    try:
        record = json.loads(line)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def _error(record: dict) -> FacedemoError:
    """The child's error as the same :class:`~facedemo.errors.FacedemoError` class, or a sentence for any other."""
    kind, sentence = str(record.get("kind", "")), str(record["error"])
    known = getattr(errors, kind, None)
    if isinstance(known, type) and issubclass(known, FacedemoError):
        return known(sentence)
    return FacedemoError(f"the set-up stopped on an unexpected {kind} ({sentence}); the log has the details")


def _child_environment() -> dict[str, str]:
    """The caller's environment; from a checkout, with the checkout first on the path (wherever the caller runs)."""
    environment = dict(os.environ)
    if ROOT == CHECKOUT:
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT), environment.get("PYTHONPATH")]))
    return environment
