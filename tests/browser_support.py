"""Helpers for the real-browser tests: find Chromium, run the app with ``streamlit run``, wait for it.

Debian's ``/usr/bin/chromium`` is used as Playwright's browser (``playwright install`` is never
run). Without it the browser tests are skipped on a developer machine and fail under ``CI``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = ROOT / "test-artifacts"
START_TIMEOUT = 90.0
RUNNING: dict[str, subprocess.Popen] = {}  # base URL → the server process, while streamlit_server runs it


def require_chromium() -> None:
    """Skip without Chromium on a developer machine; fail under CI (``CI`` set and not false)."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`"
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def streamlit_server(script: str = "streamlit_app.py", *, log_name: str = "streamlit.log"):
    """Run ``streamlit run script`` on a free port; yields the base URL; stops it afterwards."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [
        sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
        "--server.address", "127.0.0.1", "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]
    with open(ARTIFACTS / log_name, "wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + START_TIMEOUT
            while not _answers(f"{base}/_stcore/health"):
                if server.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {server.returncode}; see {ARTIFACTS / log_name}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not answer within {START_TIMEOUT:.0f} s; see {ARTIFACTS / log_name}")
                time.sleep(0.25)
            RUNNING[base] = server
            yield base
        finally:
            RUNNING.pop(f"http://127.0.0.1:{port}", None)
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wait_until_idle(page, timeout: float = 120_000) -> None:
    """Wait until Streamlit has finished the current script run (its status widget is gone)."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidget']\")"
        " && document.querySelector(\"[data-testid='stMainBlockContainer'] h1\")",
        timeout=timeout,
    )


def peak_memory_mb(base: str) -> float | None:
    """The highest resident memory (MB) so far of the server answering at ``base`` (Linux ``VmHWM``), or None."""
    server = RUNNING.get(base)
    try:
        status = Path(f"/proc/{server.pid}/status").read_text() if server else ""
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def exception_text(page) -> str | None:
    """The text of the first exception box Streamlit shows on ``page`` (a traceback), or None."""
    exceptions = page.locator("[data-testid='stException']")
    return exceptions.first.inner_text() if exceptions.count() else None


@contextmanager
def chromium_browser() -> Iterator:
    """Debian's Chromium driven by Playwright, with the flags this machine needs; closed afterwards."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
