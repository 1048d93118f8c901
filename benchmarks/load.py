"""A class at once: N students on one app server, driven with Streamlit's own websocket protocol.

    .venv/bin/python benchmarks/load.py                      # 50 students (the issue's class)
    .venv/bin/python benchmarks/load.py --students 10 --idle-wait 30
    .venv/bin/python benchmarks/load.py --server-option server.fileWatcherType=none
    .venv/bin/python benchmarks/load.py --processes 2 --server-option server.fileWatcherType=none
    .venv/bin/python benchmarks/load.py --scenario class       # 50 students join a class within a minute

It starts ``streamlit run streamlit_app.py`` on 127.0.0.1 and a free port (plus any
``--server-option NAME=VALUE``), waits for ``/_stcore/health``, and stops the server at the end,
also on an error or Ctrl-C. Each student is one websocket session on ``/_stcore/stream`` that sends
the browser's messages (``BackMsg.rerun_script`` with the page and the widget states, a
``file_urls_request`` and the uploader's HTTP PUT to ``/_stcore/upload_file/<session>/<file>``) and
reads the ``ForwardMsg`` deltas until ``script_finished``. What the class does, all students at
once, each step after everyone finished the one before:

1. open *Verify* (``/verify``), choose "Upload" for the photo at the door;
2. upload their own photo: a gallery photo with a few pixels changed and re-encoded as JPEG, so
   every upload is new bytes and no cache hides the work; the verdict must appear;
3. move the sidebar threshold (key ``threshold``) ``--moves`` times (5) on *Verify*;
4. open the *Threshold explorer* and move the threshold ``--moves`` times there.

With more than one student, a latecomer loads the page (``GET /``) :data:`LATECOMER_DELAY` s after
the class starts opening *Verify*. Each action is timed from sending the rerun to ``script_finished`` (the upload: from asking for the
upload URL to the end of the rerun that shows the verdict). Every rerun's deltas are checked for an
``Exception`` element, *Verify*'s for the verdict ("the door opens" / "the door stays shut"), and
each page's first rerun for its heading.

With ``--processes K`` (default 1) it starts K servers with one shared cookie secret and nginx in
front of them (``benchmarks/proxy.py``, the configuration ``deploy/nginx.conf``: sticky sessions by
a route cookie); each student first GETs ``/_stcore/health`` through nginx for its own cookies (the
route and the XSRF token) and sends them on its websocket and its upload, as a browser does. The
warm-up visitor visits each server directly; the report adds what nginx's log says about who went
where (every upload must reach its session's process).

``--scenario class`` (issue 12: "50 students join and enrol within a minute while the projector's
matrix refreshes"; one app process: a class lives in the memory of the process that started it). The server runs
with an instructor passcode, as a class would. One instructor session opens the *Class* page, types
the passcode, presses *Start a class* (a button is a ``trigger_value``, sent once), reads the code
from "Class CODE started.", opens the *Distance matrix* and chooses "This class". That photo set is
an ``st.fragment(run_every=3)``: the server announces it with a ``ForwardMsg.auto_rerun`` (fragment id
and interval) in each full run, and it is the *browser* that reruns it, on a ``setInterval``, with a
``rerun_script`` carrying the widget states, ``fragment_id`` and ``is_auto_rerun``; a full run's
``new_session`` (no fragment ids in its run identity) drops every timer. This client does the same at
the announced interval, one refresh at a time (a tick that falls during a refresh is skipped and
counted), times each refresh, and reads from the matrix's caption how many students it shows.
``--students`` students (50) start ``--join-window`` / N s apart (60 s in all): each opens
``/class?class=CODE``, types a name, ticks the consent line, picks Upload, uploads one photo
(:func:`student_photos`, gallery photos with one face) and presses *Enrol me*; the enrolment is
timed from asking for the upload URL to the rerun that shows "You are enrolled as **NAME**" with
their crop. The projector refreshes until it shows everyone (or ``GRACE_INTERVALS`` refreshes after
the last enrolment); then the instructor ends the class. Issue 12 gives no number for this
scenario: the table says "no target set".

Memory is the server's resident set (``VmRSS`` of the process and its children, polled from
``/proc``; with K processes the sum of the K servers and nginx): before anyone came (cold), after
one warm-up visitor who loaded the model, the gallery and both pages and left (the *idle* server
the target compares with), its peak during the class, and ``--idle-wait`` seconds (120) after
everyone left. Streamlit keeps a disconnected session for
``server.disconnectedSessionTTL`` (120 s) in case the browser reconnects.

Prints a table with the targets marked met or not, and writes ``benchmarks/results/load.json``
(the class scenario: ``load-class.json``; or ``--json PATH``). It is a benchmark, not a test:
nothing here fails on a slow figure.
Only 127.0.0.1 is ever contacted; every wait has a timeout and the whole run ``--timeout`` (900 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from process_group import ProcessGroup

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
RESULTS = ROOT / "benchmarks" / "results" / "load.json"
RESULTS_CLASS = ROOT / "benchmarks" / "results" / "load-class.json"
HOST = "127.0.0.1"

RERUN_TIMEOUT = 180.0  # one rerun may wait behind a whole class, but not forever
HEALTH_TIMEOUT = 120.0
CONNECT_TIMEOUT = 60.0
VERDICTS = ("the door opens", "the door stays shut")

# action -> (what the class does, target p95 in s or None)
ACTIONS: dict[str, tuple[str, float | None]] = {
    "open_verify": ("open Verify", None),
    "choose_upload": ("choose Upload on Verify", None),
    "verify_upload": ("verify with a new upload (URL + PUT + rerun)", 6.0),
    "upload_rerun": ("  of which the rerun after the PUT", None),
    "move_verify": ("move the threshold on Verify", 1.5),
    "open_explorer": ("open the Threshold explorer", None),
    "move_explorer": ("move the threshold on the explorer", 1.5),
    "latecomer_page": ("a latecomer's GET / while the class opens Verify", None),
}
LATECOMER_DELAY = 0.5  # s after the class starts: the latecomer arrives in the rush
PEAK_TARGET_MB = 2048.0
IDLE_TOLERANCE = 0.20


# --- the machine and the server's memory -----------------------------------------------------------

def machine() -> dict:
    """CPU model, cores, Python; the load average is taken separately, before and after."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(), "system": platform.system()}


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return found


def rss_mb(pid: int) -> float | None:
    """Resident set of ``pid`` and all its descendants in MB (None once the process is gone)."""
    total_kb, seen, todo = 0, set(), [pid]
    while todo and len(seen) < 1000:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
                    break
        except (OSError, ValueError):
            if current == pid:
                return None
            continue
        todo += _children(current)
    return total_kb / 1024


def rss_total(pids: list[int]) -> float | None:
    """The summed resident set of ``pids`` (each with its descendants) in MB; None if one is gone."""
    values = [rss_mb(pid) for pid in pids]
    return None if None in values else sum(values)


class MemoryWatch:
    """Polls the servers' summed resident set every ``interval`` seconds in a thread; keeps the peak."""

    def __init__(self, pids: list[int], interval: float = 0.2) -> None:
        self.pids, self.interval = pids, interval
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-watch", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            value = rss_total(self.pids)
            if value is None:
                return
            self.peak = max(self.peak, value)
            self._stop.wait(self.interval)

    def reset_peak(self) -> None:
        self.peak = rss_total(self.pids) or 0.0

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(5)


# --- the server ----------------------------------------------------------------------------------

def free_port(taken: frozenset[int] = frozenset()) -> int:
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((HOST, 0))
            port = probe.getsockname()[1]
        if port not in taken:
            return port
    raise RuntimeError(f"no free port apart from {sorted(taken)}")


def server_command(port: int, options: list[str]) -> list[str]:
    """``streamlit run`` on 127.0.0.1:``port``; ``options`` are ``NAME=VALUE`` (``server.fileWatcherType=none``)."""
    command = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
               "--server.address", HOST, "--server.port", str(port)]
    for option in options:
        name, sep, value = option.partition("=")
        if not sep or not name.strip():
            raise SystemExit(f"--server-option wants NAME=VALUE (e.g. server.fileWatcherType=none), got {option!r}")
        command += [f"--{name.strip()}", value.strip()]
    return command


class Server(ProcessGroup):
    """``streamlit run`` in its own process group, stopped (TERM, then KILL) when the block ends."""

    def __init__(self, options: list[str], *, taken: frozenset[int] = frozenset(), env: dict | None = None) -> None:
        self.port = free_port(taken)
        self.command = server_command(self.port, options)
        self.env = env or {}  # e.g. STREAMLIT_SERVER_COOKIE_SECRET, shared by the processes behind nginx
        self.log = tempfile.NamedTemporaryFile(prefix="facedemo-load-", suffix=".log", delete=False)
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1", **self.env)
        self.process = subprocess.Popen(self.command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        return self


    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT) -> str:
        """Wait for ``/_stcore/health``; returns the XSRF cookie it sets (``_streamlit_xsrf=...``, or "")."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/_stcore/health", timeout=5) as reply:
                    if reply.status == 200:
                        return _xsrf_cookie(reply.headers.get_all("Set-Cookie") or [])
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.25)
        raise TimeoutError(f"no /_stcore/health after {timeout:.0f} s:\n{self.log_tail()}")

    def log_text(self) -> str:
        try:
            return Path(self.log.name).read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


def _xsrf_cookie(set_cookies: list[str]) -> str:
    return _cookies(set_cookies).get("_streamlit_xsrf", "")


def _cookies(set_cookies: list[str]) -> dict[str, str]:
    """name -> value of the ``Set-Cookie`` headers."""
    jar = {}
    for header in set_cookies:
        name, sep, value = header.split(";", 1)[0].strip().partition("=")
        if sep:
            jar[name] = value
    return jar


def fetch_cookies(port: int, timeout: float = CONNECT_TIMEOUT) -> dict[str, str]:
    """A browser's first visit: ``GET /_stcore/health``; the cookies it set (through nginx: the route too)."""
    with urllib.request.urlopen(f"http://{HOST}:{port}/_stcore/health", timeout=timeout) as reply:
        return _cookies(reply.headers.get_all("Set-Cookie") or [])


# --- the photos: one distinct upload per student ---------------------------------------------------

def student_photos(count: int, *, one_face: bool = False) -> list[tuple[str, bytes]]:
    """``count`` distinct JPEGs: gallery photos in turn, each with a few pixels set from its number.

    ``one_face``: only the gallery photos in which the app's face detector finds exactly one face (the
    Class page rightly refuses a photo with several; in 8 of the 118 gallery photos the detector
    finds two or three). Detecting takes a few seconds here, before any server starts.
    """
    from PIL import Image

    from facedemo import assets

    gallery = assets.gallery_dir()
    paths = sorted(p for p in gallery.glob("*/*/*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    if one_face and paths:
        import numpy as np

        from facedemo.detection.faces import FaceDetector

        detector = FaceDetector()
        paths = [p for p in paths if len(detector.detect(np.asarray(Image.open(p).convert("RGB")))) == 1]
    if not paths:
        raise SystemExit(f"no gallery photos under {gallery}: run `python -m facedemo setup` first")
    photos = []
    for index in range(count):
        path = paths[index % len(paths)]
        with Image.open(path) as image:
            image = image.convert("RGB")
            pixels = image.load()
            for k in range(4):  # four pixels in the top-left corner, coloured by the student's number
                pixels[k, 0] = ((index * 37 + k) % 256, (index * 91) % 256, (index // 256 + 17 * k) % 256)
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=92)
        photos.append((f"student{index:03d}_{path.stem[:40]}.jpg", out.getvalue()))
    return photos


def _multipart(name: str, data: bytes, content_type: str = "image/jpeg") -> tuple[bytes, str]:
    boundary = f"----facedemo{uuid.uuid4().hex}"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def put_upload(port: int, url: str, name: str, data: bytes, xsrf: str, cookie: str, timeout: float) -> int:
    """The file uploader's PUT, as the browser sends it (multipart, XSRF header and cookie)."""
    if not url.startswith("/"):
        raise ValueError(f"upload URL {url!r} is not a path on this server")
    body, content_type = _multipart(name, data)
    request = urllib.request.Request(f"http://{HOST}:{port}{url}", data=body, method="PUT")
    request.add_header("Content-Type", content_type)
    if xsrf:
        request.add_header("X-Xsrftoken", xsrf)
    if cookie:
        request.add_header("Cookie", cookie)
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return reply.status


# --- one student: a browser session spoken in protobufs ---------------------------------------------

@dataclass
class Rerun:
    """What one rerun sent back."""

    seconds: float
    status: str
    exceptions: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    widgets: dict[str, object] = field(default_factory=dict)  # user key -> element proto
    images: int = 0  # pictures in st.image elements

    def has_verdict(self) -> bool:
        return any(v in text for text in self.texts for v in VERDICTS)


class Student:
    """One browser tab: a websocket session that reruns pages and keeps its widget states."""

    def __init__(self, number: int, port: int, xsrf: str, *, own_cookies: bool = False,
                 actions: dict[str, tuple[str, float | None]] | None = None) -> None:
        self.number, self.port, self.xsrf = number, port, xsrf
        self.own_cookies = own_cookies  # behind nginx: a first GET gives this tab its route and XSRF cookies
        self.cookie = f"_streamlit_xsrf={xsrf}" if xsrf else ""  # the Cookie header this tab sends
        self.ws = None
        self.session_id = ""
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.page = ""  # current page's url path
        self.query_string = ""
        self.widget_states: dict[str, object] = {}  # widget id -> WidgetState
        self.times: dict[str, list[float]] = {name: [] for name in (actions or ACTIONS)}
        self.errors: list[str] = []
        self.exception_pages: set[str] = set()
        self.widget_ids: dict[str, str] = {}  # user key -> widget id (from the deltas)
        self.last_widgets: dict[str, object] = {}  # user key -> widget proto of the last rerun
        self.triggers: set[str] = set()  # widget ids whose state is a trigger: sent once, then dropped
        # fragment id -> interval (s) of the fragments with ``run_every`` of the page's last full run, as
        # the browser keeps them: a full run's ``new_session`` clears them, its ``auto_rerun`` messages
        # announce them again, ``stop_auto_rerun`` cancels some
        self.auto_reruns: dict[str, float] = {}

    async def connect(self) -> None:
        import websockets

        if self.own_cookies:
            jar = await asyncio.to_thread(fetch_cookies, self.port)
            self.xsrf = jar.get("_streamlit_xsrf", "")
            self.cookie = "; ".join(f"{name}={value}" for name, value in jar.items())
        protocols = ["streamlit", self.xsrf] if self.xsrf else ["streamlit"]
        self.ws = await asyncio.wait_for(
            websockets.connect(f"ws://{HOST}:{self.port}/_stcore/stream", subprotocols=protocols,
                               max_size=None, open_timeout=CONNECT_TIMEOUT, ping_interval=None,
                               origin=f"http://{HOST}:{self.port}",
                               additional_headers={"Cookie": self.cookie} if self.cookie else None),
            CONNECT_TIMEOUT,
        )

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 10)
            except Exception:  # noqa: BLE001 - leaving anyway
                pass
            self.ws = None

    async def _send(self, back) -> None:
        await self.ws.send(back.SerializeToString())

    async def _receive(self, deadline: float):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no answer in time")
        data = await asyncio.wait_for(self.ws.recv(), left)
        msg = ForwardMsg()
        msg.ParseFromString(data)
        return msg

    def _note(self, msg, rerun: Rerun) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.session_id = msg.new_session.initialize.session_id or self.session_id
            if not msg.metadata.run.fragment_ids:  # a full run (no fragment ids): the browser drops every timer
                self.auto_reruns.clear()
        elif kind == "auto_rerun":
            self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                self.auto_reruns.pop(fragment_id, None)
        elif kind == "navigation":
            for page in msg.navigation.app_pages:
                self.pages[page.url_pathname] = page.page_script_hash
            for path, script_hash in self.pages.items():
                if script_hash == msg.navigation.page_script_hash:
                    self.page = path
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            what = element.WhichOneof("type")
            if what == "exception":
                rerun.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:300])
            elif what in ("alert", "markdown", "heading"):
                rerun.texts.append(getattr(element, what).body)
            elif what == "metric":
                rerun.texts.append(f"{element.metric.label}: {element.metric.body}")
            elif what == "imgs":
                rerun.images += len(element.imgs.imgs)
            elif what in ("slider", "radio", "file_uploader", "selectbox", "button", "checkbox", "text_input",
                          "camera_input"):
                widget = getattr(element, what)
                key = widget.id.split("-", 2)[-1] if widget.id.startswith("$$ID-") else widget.id
                rerun.widgets[key] = widget
                self.widget_ids[key] = widget.id

    async def rerun(self, *, page: str | None = None, query: str = "", fragment_id: str = "",
                    timeout: float = RERUN_TIMEOUT) -> Rerun:
        """Send a rerun of ``page`` (url path; default: the current page) with the widget states; wait
        for ``script_finished``.

        ``query`` is the new page's query string (``class=CODE``). ``fragment_id`` reruns only that
        fragment, as the browser's timer does for an ``st.fragment(run_every=...)``: the same widget
        states, with ``fragment_id`` and ``is_auto_rerun`` set. Button triggers are sent once.
        """
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        back = BackMsg()
        state = back.rerun_script
        if page is not None and page != self.page:
            if page in self.pages:
                state.page_script_hash = self.pages[page]
            else:
                state.page_name = page
            state.query_string = self.query_string = query
            # a new page: only the sidebar's widgets keep their state in the browser
            sidebar = self.widget_ids.get("threshold")
            self.widget_states = {k: v for k, v in self.widget_states.items() if k == sidebar}
        else:
            state.page_script_hash = self.pages.get(self.page, "")
            state.query_string = self.query_string
        for widget_state in self.widget_states.values():
            state.widget_states.widgets.append(widget_state)
        if fragment_id:
            state.fragment_id, state.is_auto_rerun = fragment_id, True
        for widget_id in self.triggers:  # the browser resets a trigger once it has sent it
            self.widget_states.pop(widget_id, None)
        self.triggers.clear()
        start = time.monotonic()
        deadline = start + timeout
        result = Rerun(0.0, "")
        await self._send(back)
        while True:
            msg = await self._receive(deadline)
            self._note(msg, result)
            if msg.WhichOneof("type") == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":  # the app asked for another run: wait for it
                    continue
                result.seconds, result.status = time.monotonic() - start, status
                self.last_widgets = result.widgets
                if page is not None:
                    self.page = page if page in self.pages else self.page
                return result

    def set_slider(self, key: str, value: float) -> None:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        ws = WidgetState(id=self._id(key))
        ws.double_array_value.data[:] = [value]
        self.widget_states[ws.id] = ws

    def set_radio(self, key: str, option: str) -> None:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        self.widget_states[self._id(key)] = WidgetState(id=self._id(key), string_value=option)

    def set_text(self, key: str, text: str) -> None:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        self.widget_states[self._id(key)] = WidgetState(id=self._id(key), string_value=text)

    def set_checkbox(self, key: str, ticked: bool) -> None:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        self.widget_states[self._id(key)] = WidgetState(id=self._id(key), bool_value=ticked)

    def press(self, key: str) -> None:
        """A button click: a ``trigger_value`` sent with the next rerun only (a form's submit button too)."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        widget_id = self._id(key)
        self.widget_states[widget_id] = WidgetState(id=widget_id, trigger_value=True)
        self.triggers.add(widget_id)

    def _id(self, key: str) -> str:
        if key not in self.widget_ids:
            raise LookupError(f"no widget with key {key!r} in the deltas (seen: {sorted(self.widget_ids)})")
        return self.widget_ids[key]

    async def upload(self, key: str, name: str, data: bytes, timeout: float = RERUN_TIMEOUT) -> tuple[float, Rerun]:
        """Drop ``data`` on the file uploader ``key`` as the browser does; (seconds in all, the rerun)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.Common_pb2 import FileURLs
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        widget_id = self._id(key)
        start = time.monotonic()
        deadline = start + timeout
        request_id = uuid.uuid4().hex
        back = BackMsg()
        back.file_urls_request.request_id = request_id
        back.file_urls_request.session_id = self.session_id
        back.file_urls_request.file_names.append(name)
        await self._send(back)
        while True:
            msg = await self._receive(deadline)
            if msg.WhichOneof("type") == "file_urls_response" and msg.file_urls_response.response_id == request_id:
                break
        if msg.file_urls_response.error_msg or not msg.file_urls_response.file_urls:
            raise RuntimeError(f"no upload URL: {msg.file_urls_response.error_msg or 'empty answer'}")
        urls = msg.file_urls_response.file_urls[0]
        status = await asyncio.to_thread(put_upload, self.port, urls.upload_url, name, data, self.xsrf, self.cookie,
                                         max(1.0, deadline - time.monotonic()))
        if status not in (200, 204):
            raise RuntimeError(f"upload PUT answered {status}")
        ws = WidgetState(id=widget_id)
        info = ws.file_uploader_state_value.uploaded_file_info.add()
        info.name, info.size, info.file_id = name, len(data), urls.file_id
        info.file_urls.CopyFrom(FileURLs(file_id=urls.file_id, upload_url=urls.upload_url, delete_url=urls.delete_url))
        self.widget_states[widget_id] = ws
        rerun = await self.rerun(timeout=max(1.0, deadline - time.monotonic()))
        return time.monotonic() - start, rerun

    def check(self, action: str, rerun: Rerun, *, verdict: bool = False, heading: str | None = None) -> None:
        """Keep the time; count an exception, a bad finish, a missing verdict or page heading as an error."""
        self.times[action].append(rerun.seconds)
        if rerun.exceptions:
            self.exception_pages.add(self.page)
            self.errors.append(f"{action}: exception on {self.page or 'start'}: {rerun.exceptions[0]}")
        if rerun.status not in ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"):  # a threshold view
            self.errors.append(f"{action}: script finished {rerun.status}")
        if verdict and not rerun.has_verdict():
            self.errors.append(f"{action}: no verdict on {self.page}")
        if heading and not any(heading in text for text in rerun.texts):
            self.errors.append(f"{action}: no heading {heading!r} on {self.page}")


# --- the class ---------------------------------------------------------------------------------------

def _threshold_values(number: int, moves: int) -> list[float]:
    """``moves`` distinct thresholds from 0.95 up across the default (1.07), different for each student."""
    return [round(0.95 + 0.07 * k + 0.01 * (number % 5), 2) for k in range(moves)]


async def student_steps(student: Student, photo: tuple[str, bytes], moves: int, barrier: asyncio.Barrier,
                        steps: int) -> None:
    """One student through every step; waits at ``barrier`` after each so the class moves together."""
    done = 0

    async def step(coro) -> None:
        nonlocal done
        if not student.errors or done == 0:  # after a failure the student only keeps the class in step
            try:
                await coro
            except Exception as error:  # noqa: BLE001 - a failed student is a figure, not a crash
                student.errors.append(f"step {done + 1}: {type(error).__name__}: {error}"[:300])
        else:
            coro.close()
        done += 1
        await asyncio.wait_for(barrier.wait(), RERUN_TIMEOUT * max(1, moves))

    async def open_verify() -> None:
        await student.connect()
        student.check("open_verify", await student.rerun(page="verify"), verdict=True, heading="Verify (1:1)")

    async def choose_upload() -> None:
        radio = student.last_widgets.get("a_from")
        option = next((o for o in radio.options if "Upload" in o), None) if radio is not None else None
        if option is None:
            raise LookupError("no Upload choice for the photo at the door (radio 'a_from')")
        student.set_radio("a_from", option)
        student.check("choose_upload", await student.rerun())

    async def upload() -> None:
        seconds, rerun = await student.upload("a_upload", *photo)
        student.times["verify_upload"].append(seconds)
        student.check("upload_rerun", rerun, verdict=True)

    async def move(action: str, verdict: bool) -> None:
        for value in _threshold_values(student.number, moves):
            student.set_slider("threshold", value)
            student.check(action, await student.rerun(), verdict=verdict)

    async def open_explorer() -> None:
        student.check("open_explorer", await student.rerun(page="threshold"), heading="Threshold explorer")

    plan = [open_verify(), choose_upload(), upload(), move("move_verify", True), open_explorer(),
            move("move_explorer", False)]
    assert len(plan) == steps
    for coro in plan:
        await step(coro)


async def run_class(port: int, xsrf: str, count: int, moves: int, photos: list[tuple[str, bytes]], *,
                    own_cookies: bool = False) -> list[Student]:
    students = [Student(i, port, xsrf, own_cookies=own_cookies) for i in range(count)]
    steps = 6
    barrier = asyncio.Barrier(count)

    async def one(student: Student) -> None:
        try:
            await student_steps(student, photos[student.number], moves, barrier, steps)
        finally:
            await student.close()

    async def latecomer(student: Student) -> None:
        await asyncio.sleep(LATECOMER_DELAY)
        start = time.monotonic()
        try:
            await asyncio.to_thread(get_page, port, "/", RERUN_TIMEOUT)
        except (OSError, urllib.error.URLError) as error:
            student.errors.append(f"latecomer GET /: {type(error).__name__}: {error}"[:300])
        else:
            student.times["latecomer_page"].append(time.monotonic() - start)

    late = [Student(count, port, xsrf, own_cookies=own_cookies)] if count > 1 else []
    await asyncio.gather(*(one(s) for s in students), *(latecomer(s) for s in late), return_exceptions=False)
    return students + late


def get_page(port: int, path: str, timeout: float) -> int:
    """An HTTP GET of ``path`` read to the end (the page a new browser loads first); its status."""
    with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=timeout) as reply:
        reply.read()
        return reply.status


async def warm_up(port: int, xsrf: str, photo: tuple[str, bytes]) -> list[str]:
    """One visitor opens both pages and uploads once (model, gallery and caches loaded), then leaves."""
    students = await run_class(port, xsrf, 1, 1, [photo])
    return students[0].errors


# --- the class scenario: students join and enrol while the projector's matrix refreshes -------------

# action -> (what happens, target p95 in s or None: issue 12 sets no number for this scenario)
CLASS_ACTIONS: dict[str, tuple[str, float | None]] = {
    "open_class": ("the instructor opens the Class page", None),
    "unlock": ("the instructor types the passcode", None),
    "start_class": ("the instructor starts a class", None),
    "open_matrix": ("the instructor opens the matrix, This class", None),
    "projector_refresh": ("the projector's matrix refreshes (run_every)", None),
    "join_open": ("a student opens the join URL", None),
    "join_fill": ("  types a name / ticks consent / picks Upload", None),
    "enrol": ("enrol: upload (URL + PUT + rerun) + Enrol to the crop", None),
    "enrol_press": ("  of which the rerun after pressing Enrol", None),
    "end_class": ("the instructor ends the class", None),
}
CLASS_PAGE, MATRIX_PAGE = "class", "matrix"
SHOWN_PATTERNS = (re.compile(r"distances between \d+ photos of (\d+) students"),  # the matrix's caption
                  re.compile(r"^Class \w+: (\d+) student\(s\)"))  # fewer than two photos: its note
GRACE_INTERVALS = 10  # refreshes the projector may take, after the last enrolment, to show everyone


def students_shown(texts: list[str]) -> int | None:
    """How many students the projector's class matrix says it shows (its caption or its note)."""
    for text in texts:
        for pattern in SHOWN_PATTERNS:
            found = pattern.search(text)
            if found:
                return int(found.group(1))
    return None


@dataclass
class Projector:
    """What the instructor's session saw: the code, each refresh's count, and when."""

    code: str = ""
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # set once the code is known (or failed)
    shown: list[tuple[float, int]] = field(default_factory=list)  # (monotonic time, students shown)
    ticks_skipped: int = 0  # timer ticks that fell while a refresh was still running
    interval: float | None = None
    all_shown_at: float | None = None


async def instructor_steps(teacher: Student, projector: Projector, passcode: str, count: int,
                           students_done: asyncio.Event, deadline: float) -> None:
    """Start a class, open its distance matrix ("This class"), and let its fragment refresh as the
    browser's timer does, until the projector shows all ``count`` students (or the time runs out)."""
    try:
        await teacher.connect()
        rerun = await teacher.rerun(page=CLASS_PAGE)
        teacher.check("open_class", rerun, heading="Class")
        start = rerun.widgets.get("class_start")
        if start is not None and start.disabled and "instructor_passcode" in rerun.widgets:
            teacher.set_text("instructor_passcode", passcode)
            teacher.press("instructor_unlock")
            teacher.check("unlock", await teacher.rerun())
        teacher.press("class_start")
        rerun = await teacher.rerun()
        teacher.check("start_class", rerun)
        codes = [m.group(1) for t in rerun.texts for m in [re.search(r"Class (\w+) started\.", t)] if m]
        if not codes:
            raise LookupError(f"no 'Class CODE started.' after pressing Start (saw {rerun.texts[:4]})")
        projector.code = codes[0]
        rerun = await teacher.rerun(page=MATRIX_PAGE)
        radio = rerun.widgets.get("matrix_set")
        option = next((o for o in radio.options if "This class" in o), None) if radio is not None else None
        if option is None:
            raise LookupError("no 'This class' photo set on the distance matrix (radio 'matrix_set')")
        teacher.set_radio("matrix_set", option)
        rerun = await teacher.rerun()
        teacher.check("open_matrix", rerun)
        if students_shown(rerun.texts) is None:
            raise LookupError(f"the class matrix says nothing of its students (saw {rerun.texts[:4]})")
        projector.shown.append((time.monotonic(), students_shown(rerun.texts)))
    finally:
        projector.ready.set()  # the students go ahead (or give up) either way
    if len(teacher.auto_reruns) != 1:
        raise LookupError(f"expected the class matrix's one run_every fragment, got {teacher.auto_reruns}")
    (fragment_id, interval), = teacher.auto_reruns.items()
    projector.interval = interval
    # the browser's setInterval: ticks at fixed times from the announcement; one refresh at a time here
    # (a browser would send a tick even during a refresh, and the server would coalesce them)
    announced, tick, done_at = time.monotonic(), 0, None
    max_ticks = int((deadline - announced) / interval) + 1
    while tick < max_ticks and time.monotonic() < deadline:
        tick += 1
        next_at = announced + tick * interval
        now = time.monotonic()
        if next_at < now:
            skipped = int((now - next_at) / interval) + 1
            projector.ticks_skipped += skipped
            tick += skipped
            next_at = announced + tick * interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        if fragment_id not in teacher.auto_reruns:
            raise LookupError("the class matrix's refresh was cancelled (stop_auto_rerun)")
        rerun = await teacher.rerun(fragment_id=fragment_id, timeout=max(1.0, min(RERUN_TIMEOUT, deadline - time.monotonic())))
        teacher.check("projector_refresh", rerun)
        shown = students_shown(rerun.texts)
        if shown is None:
            teacher.errors.append(f"projector_refresh: no count of students (saw {rerun.texts[:3]})")
            continue
        projector.shown.append((time.monotonic(), shown))
        if shown >= count and projector.all_shown_at is None:
            projector.all_shown_at = time.monotonic()
        if students_done.is_set():
            done_at = done_at or time.monotonic()
            if projector.all_shown_at is not None or time.monotonic() - done_at > GRACE_INTERVALS * interval:
                break


async def enrol_steps(student: Student, projector: Projector, photo: tuple[str, bytes], delay: float) -> float | None:
    """Wait ``delay`` s, open the join URL, fill in the form, upload one photo and press Enrol; the time
    the page confirmed the enrolment (monotonic), or None."""
    await asyncio.sleep(delay)
    await asyncio.wait_for(projector.ready.wait(), RERUN_TIMEOUT)
    if not projector.code:
        raise RuntimeError("the instructor has no class code")
    await student.connect()
    rerun = await student.rerun(page=CLASS_PAGE, query=f"class={projector.code}")
    student.check("join_open", rerun, heading=f"Class {projector.code}")
    name = f"Student {student.number:03d}"
    student.set_text("class_name", name)
    student.check("join_fill", await student.rerun())
    student.set_checkbox("class_consent", True)
    student.check("join_fill", await student.rerun())
    radio = student.last_widgets.get("class_photo_from")
    option = next((o for o in radio.options if "Upload" in o), None) if radio is not None else None
    if option is None:
        raise LookupError("no Upload choice for the photo (radio 'class_photo_from')")
    student.set_radio("class_photo_from", option)
    student.check("join_fill", await student.rerun())
    start = time.monotonic()
    _, rerun = await student.upload("class_upload_0", *photo)
    if rerun.exceptions:
        student.check("enrol_press", rerun)
        return None
    student.press("class_enrol")
    rerun = await student.rerun()
    student.check("enrol_press", rerun)
    confirmed = time.monotonic()
    if not any(f"You are enrolled as **{name}**" in text for text in rerun.texts) or rerun.images < 1:
        said = [text[:160] for text in rerun.texts[1:4]]  # the page's flashes, after its caption
        student.errors.append(f"enrol: no confirmation and crop for {name} (the page said {said})"[:500])
        return None
    student.times["enrol"].append(confirmed - start)
    return confirmed


async def run_class_room(port: int, xsrf: str, count: int, window: float, photos: list[tuple[str, bytes]],
                         passcode: str, deadline: float) -> dict:
    """The instructor and ``count`` students, who start ``window / count`` s apart; the figures."""
    teacher = Student(-1, port, xsrf, actions=CLASS_ACTIONS)
    students = [Student(i, port, xsrf, actions=CLASS_ACTIONS) for i in range(count)]
    projector, students_done = Projector(), asyncio.Event()
    confirmed: list[float] = []

    async def instructor() -> None:
        try:
            await instructor_steps(teacher, projector, passcode, count, students_done, deadline)
        except Exception as error:  # noqa: BLE001 - a failure is a figure, not a crash
            teacher.errors.append(f"instructor: {type(error).__name__}: {error}"[:300])

    async def one(student: Student, delay: float) -> None:
        try:
            when = await enrol_steps(student, projector, photos[student.number], delay)
            if when is not None:
                confirmed.append(when)
        except Exception as error:  # noqa: BLE001
            student.errors.append(f"{type(error).__name__}: {error}"[:300])

    async def class_of_students() -> None:
        # students keep their tabs open (their sessions live on) until the whole class has enrolled
        await asyncio.gather(*(one(s, s.number * window / count) for s in students))
        students_done.set()

    started = time.monotonic()
    try:
        await asyncio.gather(instructor(), class_of_students())
        if not teacher.errors and projector.code:  # the class ends: everything it held is forgotten
            try:
                await teacher.rerun(page=CLASS_PAGE)
                teacher.press("class_end")
                rerun = await teacher.rerun()
                teacher.check("end_class", rerun)
                if not any(f"Class {projector.code} ended" in text for text in rerun.texts):
                    teacher.errors.append(f"end_class: no 'Class {projector.code} ended' (saw {rerun.texts[:3]})")
            except Exception as error:  # noqa: BLE001
                teacher.errors.append(f"end_class: {type(error).__name__}: {error}"[:300])
    finally:
        await asyncio.gather(teacher.close(), *(s.close() for s in students))
    wall = time.monotonic() - started
    last = max(confirmed) if confirmed else None
    shown = projector.shown
    return {
        "everyone": [teacher] + students,
        "class_wall_s": wall,
        "class_code_found": bool(projector.code),
        "enrolled": len(confirmed),
        "join_spread_s": (max(confirmed) - min(confirmed)) if confirmed else None,
        "refresh_interval_s": projector.interval,
        "projector_refreshes": len(teacher.times["projector_refresh"]),
        "projector_ticks_skipped": projector.ticks_skipped,
        "projector_max_shown": max((n for _, n in shown), default=None),
        "projector_all_shown_after_last_enrolment_s": (
            projector.all_shown_at - last if projector.all_shown_at is not None and last is not None else None),
        "projector_shown_trace": [(round(t - started, 2), n) for t, n in shown],
    }


async def warm_up_class(port: int, xsrf: str) -> list[str]:
    """One visitor opens the Class page (no class started) and leaves."""
    visitor = Student(-2, port, xsrf, actions=CLASS_ACTIONS)
    try:
        await visitor.connect()
        visitor.check("open_class", await visitor.rerun(page=CLASS_PAGE), heading="Class")
    except Exception as error:  # noqa: BLE001
        visitor.errors.append(f"{type(error).__name__}: {error}"[:300])
    finally:
        await visitor.close()
    return visitor.errors


# --- figures ---------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0-1) by linear interpolation (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarise(students: list[Student], names: dict | None = None) -> dict:
    actions = {}
    for name in names or ACTIONS:
        values = [t for s in students for t in s.times[name]]
        actions[name] = {
            "count": len(values),
            "p50_s": percentile(values, 0.5),
            "p95_s": percentile(values, 0.95),
            "max_s": max(values) if values else None,
        }
    errors = [f"student {s.number}: {e}" for s in students for e in s.errors]
    pages = sorted({p or "start" for s in students for p in s.exception_pages})
    return {"actions": actions, "errors": len(errors), "error_samples": errors[:20],
            "pages_with_exception": pages}


def targets(result: dict) -> list[tuple[str, str, str, bool | None]]:
    """(figure, measured, target, met) rows."""
    rows = []
    for name, (_, limit) in ACTIONS.items():
        if limit is None:
            continue
        p95 = result["actions"][name]["p95_s"]
        rows.append((f"p95 {ACTIONS[name][0].strip()}", _s(p95), f"≤ {limit:.1f} s",
                     None if p95 is None else p95 <= limit))
    rows.append(("errors", str(result["errors"]), "0", result["errors"] == 0))
    rows.append(("pages with an exception", ", ".join(result["pages_with_exception"]) or "none", "none",
                 not result["pages_with_exception"]))
    memory = result["memory_mb"]
    rows.append(("server peak RSS", _mb(memory["peak"]), f"≤ {PEAK_TARGET_MB:.0f} MB",
                 None if memory["peak"] is None else memory["peak"] <= PEAK_TARGET_MB))
    idle, after = memory["idle_after_warm_up"], memory["after_idle_wait"]
    ok = None if idle is None or after is None else after <= idle * (1 + IDLE_TOLERANCE)
    rows.append((f"RSS {result['idle_wait_s']:.0f} s after everyone left", _mb(after),
                 f"≤ {idle * (1 + IDLE_TOLERANCE):.0f} MB (idle {idle:.0f} MB + 20 %)" if idle else "idle + 20 %", ok))
    return rows


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def _mb(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} MB"


def report(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"facedemo load: {result['students']} students at once, {result['moves']} threshold moves each, "
        f"server options: {' '.join(result['server_options']) or '(defaults)'}"
        + (f"; {result['processes']} processes behind nginx" if result.get("processes", 1) > 1 else ""),
        f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}; load average before "
        f"{' '.join(f'{x:.2f}' for x in result['load_average_before'])}, after "
        f"{' '.join(f'{x:.2f}' for x in result['load_average_after'])}",
        "",
        f"{'action':<48} {'n':>5} {'p50':>8} {'p95':>8} {'max':>8}",
    ]
    for name, (title, _) in ACTIONS.items():
        a = result["actions"][name]
        lines.append(f"{title:<48} {a['count']:>5} {_s(a['p50_s']):>8} {_s(a['p95_s']):>8} {_s(a['max_s']):>8}")
    mem = result["memory_mb"]
    lines += ["", f"server RSS: cold {_mb(mem['cold'])}, idle after a warm-up visitor {_mb(mem['idle_after_warm_up'])}, "
              f"peak {_mb(mem['peak'])}, {result['idle_wait_s']:.0f} s after everyone left {_mb(mem['after_idle_wait'])}",
              f"class wall time {result['class_wall_s']:.1f} s (this client's own CPU {result['client_cpu_s']:.1f} s); 'Inotify queue overflowed' in the server log: "
              f"{result['inotify_overflows']}, tracebacks: {result['server_log_tracebacks']}", "",
              f"{'figure':<50} {'measured':>10}  {'target':<36} met"]
    for figure, measured, target, met in targets(result):
        lines.append(f"{figure:<50} {measured:>10}  {target:<36} {'–' if met is None else ('yes' if met else 'NO')}")
    if "proxy" in result:
        p = result["proxy"]
        lines += ["", f"nginx: websocket sessions per process {p['sessions_per_process']}, requests per process "
                  f"{p['requests_per_process']}, upload PUT statuses {p['upload_put_status']}, "
                  f"route cookies on more than one process: {p['routes_on_more_than_one_process']} of {p['routes']}"]
    if result["error_samples"]:
        lines += ["", "first errors:"] + [f"  {e}" for e in result["error_samples"][:10]]
    return "\n".join(lines)


def report_class(result: dict) -> str:
    """The class scenario's table: the same layout as :func:`report`; issue 12 sets no target here."""
    m = result["machine"]
    lines = [
        f"facedemo load, class scenario: {result['students']} students join and enrol over "
        f"{result['join_window_s']:.0f} s while the projector's matrix refreshes; server options: "
        f"{' '.join(result['server_options']) or '(defaults)'}",
        f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}; {result['date']}; load average before "
        f"{' '.join(f'{x:.2f}' for x in result['load_average_before'])}, after "
        f"{' '.join(f'{x:.2f}' for x in result['load_average_after'])}",
        "",
        f"{'action':<56} {'n':>5} {'p50':>8} {'p95':>8} {'max':>8}",
    ]
    for name, (title, _) in CLASS_ACTIONS.items():
        a = result["actions"][name]
        lines.append(f"{title:<56} {a['count']:>5} {_s(a['p50_s']):>8} {_s(a['p95_s']):>8} {_s(a['max_s']):>8}")
    mem = result["memory_mb"]
    after_all = result["projector_all_shown_after_last_enrolment_s"]
    lines += [
        "",
        f"enrolled {result['enrolled']} of {result['students']}; the projector refreshed {result['projector_refreshes']} "
        f"times (every {result['refresh_interval_s'] or 0:.0f} s; ticks skipped while a refresh ran: "
        f"{result['projector_ticks_skipped']}), showed at most {result['projector_max_shown']} students, "
        f"all {result['students']} {_s(after_all) if after_all is not None else '(never)'} after the last enrolment",
        f"server RSS: cold {_mb(mem['cold'])}, idle after a warm-up visitor {_mb(mem['idle_after_warm_up'])}, "
        f"peak {_mb(mem['peak'])}, {result['idle_wait_s']:.0f} s after everyone left {_mb(mem['after_idle_wait'])}",
        f"class wall time {result['class_wall_s']:.1f} s (this client's own CPU {result['client_cpu_s']:.1f} s); "
        f"tracebacks in the server log: {result['server_log_tracebacks']}",
        "",
        f"{'figure':<56} {'measured':>10}  target",
    ]
    for figure, measured, target, _ in targets_class(result):
        lines.append(f"{figure:<56} {measured:>10}  {target}")
    if result["error_samples"]:
        lines += ["", "first errors:"] + [f"  {e}" for e in result["error_samples"][:10]]
    return "\n".join(lines)


def targets_class(result: dict) -> list[tuple[str, str, str, bool | None]]:
    """(figure, measured, target, met) rows of the class scenario: issue 12 gives no numbers."""
    a, mem = result["actions"], result["memory_mb"]
    after_all = result["projector_all_shown_after_last_enrolment_s"]
    none = "no target set"
    return [
        ("p95 enrolment (upload to the confirming rerun)", _s(a["enrol"]["p95_s"]), none, None),
        ("p95 the projector's refresh", _s(a["projector_refresh"]["p95_s"]), none, None),
        ("the projector shows all, after the last enrolment", _s(after_all), none, None),
        ("errors", str(result["errors"]), none, None),
        ("pages with an exception", ", ".join(result["pages_with_exception"]) or "none", none, None),
        ("server peak RSS", _mb(mem["peak"]), none, None),
        (f"RSS {result['idle_wait_s']:.0f} s after everyone left", _mb(mem["after_idle_wait"]), none, None),
    ]


# --- main ------------------------------------------------------------------------------------------

def _interrupt(*_signal) -> None:
    raise KeyboardInterrupt

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=50, help="sessions at once (default 50)")
    parser.add_argument("--moves", type=int, default=5, help="threshold moves per page (default 5)")
    parser.add_argument("--idle-wait", type=float, default=120.0,
                        help="seconds after everyone left before the last memory reading (default 120)")
    parser.add_argument("--timeout", type=float, default=900.0, help="the whole run's limit in seconds (900)")
    parser.add_argument("--server-option", action="append", default=[], metavar="NAME=VALUE",
                        help="a streamlit option for the server, e.g. server.fileWatcherType=none (repeatable)")
    parser.add_argument("--processes", type=int, default=1,
                        help="app servers behind nginx with sticky sessions (default 1: one server, no proxy)")
    parser.add_argument("--json", type=Path, default=None,
                        help=f"where to write the figures ({RESULTS}; the class scenario: {RESULTS_CLASS})")
    parser.add_argument("--scenario", choices=("verify", "class"), default="verify",
                        help="verify (default): the class verifies and moves thresholds at once; class: an "
                             "instructor starts a class and projects its matrix while the students join and enrol")
    parser.add_argument("--join-window", type=float, default=60.0,
                        help="class scenario: the students' start times spread evenly over this many seconds (60)")
    args = parser.parse_args(argv)
    if args.json is None:
        args.json = RESULTS_CLASS if args.scenario == "class" else RESULTS
    if not 1 <= args.students <= 500 or not 1 <= args.moves <= 50:
        parser.error("--students must be 1-500 and --moves 1-50")
    if not 1 <= args.processes <= 16:
        parser.error("--processes must be 1-16")
    if not 0 <= args.idle_wait <= 1800 or not 10 <= args.timeout <= 7200:
        parser.error("--idle-wait must be 0-1800 s and --timeout 10-7200 s")
    if not 0 <= args.join_window <= 600:
        parser.error("--join-window must be 0-600 s")
    if args.scenario == "class" and args.processes != 1:
        parser.error("--scenario class runs one app process (--processes 1): a class lives in the memory of "
                     "the process that started it, and this client does not follow the join URL's nginx route")

    signal.signal(signal.SIGTERM, _interrupt)  # a TERM stops the server as Ctrl-C does
    started = time.monotonic()
    deadline = started + args.timeout
    result: dict = {
        "students": args.students, "moves": args.moves, "idle_wait_s": args.idle_wait,
        "server_options": args.server_option, "processes": args.processes, "machine": machine(),
        "load_average_before": list(os.getloadavg()), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "scenario": args.scenario,
    }
    if args.scenario == "class":
        result["join_window_s"] = args.join_window
    photos = student_photos(args.students + 1, one_face=args.scenario == "class")
    # one cookie secret for the processes behind nginx (it signs Streamlit's cookies), new on every run
    shared = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)} if args.processes > 1 else {}
    passcode = secrets.token_urlsafe(12)  # class scenario: the instructor passcode a class is run with
    if args.scenario == "class":
        shared["FACEDEMO_INSTRUCTOR_PASSCODE"] = passcode
    with contextlib.ExitStack() as stack:
        servers: list[Server] = []
        for _ in range(args.processes):
            taken = frozenset(s.port for s in servers)
            servers.append(stack.enter_context(Server(args.server_option, taken=taken, env=shared)))
            print(f"server: {' '.join(servers[-1].command[1:])} (pid {servers[-1].pid}, log {servers[-1].log.name})",
                  flush=True)
        proxy = None
        if args.processes > 1:
            from proxy import Proxy

            proxy = stack.enter_context(Proxy(free_port(frozenset(s.port for s in servers)), [s.port for s in servers]))
            print(f"nginx: {' '.join(proxy.command)} (pid {proxy.pid}) on port {proxy.port}", flush=True)
        pids = [s.pid for s in servers] + ([proxy.pid] if proxy else [])
        memory = stack.enter_context(MemoryWatch(pids))
        try:
            xsrfs = [s.wait_healthy(max(1.0, min(HEALTH_TIMEOUT, deadline - time.monotonic()))) for s in servers]
            if proxy:
                proxy.wait_ready(max(1.0, min(30.0, deadline - time.monotonic())))
            time.sleep(1.0)
            cold = rss_total(pids)
            warm_errors = []
            for server, xsrf in zip(servers, xsrfs):  # each process loads the model and the gallery once
                warm_errors += asyncio.run(asyncio.wait_for(warm_up(server.port, xsrf, photos[-1]),
                                                            max(1.0, deadline - time.monotonic())))
            if args.scenario == "class":  # the Class page's own imports (the QR code library)
                warm_errors += asyncio.run(asyncio.wait_for(warm_up_class(servers[0].port, xsrfs[0]),
                                                            max(1.0, deadline - time.monotonic())))
            if warm_errors:
                print(f"warm-up visitor: {warm_errors[:3]}\n{servers[0].log_tail()}", file=sys.stderr)
            time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
            idle = rss_total(pids)
            memory.reset_peak()
            print(f"cold {_mb(cold)}, idle after warm-up {_mb(idle)}; {args.students} students ...", flush=True)
            class_start, client_cpu = time.monotonic(), time.process_time()
            port = proxy.port if proxy else servers[0].port
            if args.scenario == "class":
                limit = max(1.0, deadline - time.monotonic() - args.idle_wait)
                room = asyncio.run(asyncio.wait_for(
                    run_class_room(port, xsrfs[0], args.students, args.join_window, photos[:args.students],
                                   passcode, time.monotonic() + limit - 20.0), limit))
                students = room.pop("everyone")
                result.update(room)
            else:
                students = asyncio.run(asyncio.wait_for(
                    run_class(port, xsrfs[0], args.students, args.moves, photos[:args.students], own_cookies=bool(proxy)),
                    max(1.0, deadline - time.monotonic() - args.idle_wait)))
            result["class_wall_s"] = time.monotonic() - class_start
            result["client_cpu_s"] = time.process_time() - client_cpu  # this script shares the machine
            peak = memory.peak
            print(f"everyone left; waiting {args.idle_wait:.0f} s for the memory to come back ...", flush=True)
            idle_trace = []
            wait_end = min(time.monotonic() + args.idle_wait, deadline)
            while time.monotonic() < wait_end:
                time.sleep(min(5.0, max(0.0, wait_end - time.monotonic())))
                idle_trace.append(round(rss_total(pids) or 0.0, 1))
            after = rss_total(pids)
            result.update(summarise(students, CLASS_ACTIONS if args.scenario == "class" else ACTIONS))
            result["warm_up_errors"] = warm_errors
            result["memory_mb"] = {"cold": cold, "idle_after_warm_up": idle, "peak": max(peak, memory.peak),
                                   "after_idle_wait": after, "idle_trace_every_5_s": idle_trace,
                                   "after_idle_wait_per_process": [rss_mb(pid) for pid in pids]}
            logs = [s.log_text() for s in servers]
            result["inotify_overflows"] = sum(log.count("Inotify queue overflowed") for log in logs)
            result["server_log_tracebacks"] = sum(log.count("Traceback (most recent call last)") for log in logs)
            if proxy:
                proxy.stop()  # nginx writes a websocket's log line when it closes
                result["proxy"] = proxy.routing()
        except (asyncio.TimeoutError, TimeoutError) as error:
            print(f"gave up: {error or 'the run took longer than --timeout'}\n{servers[0].log_tail()}", file=sys.stderr)
            return 1
    result["load_average_after"] = list(os.getloadavg())
    rows = targets_class(result) if args.scenario == "class" else targets(result)
    result["targets"] = [{"figure": f, "measured": m, "target": t, "met": ok} for f, m, t, ok in rows]
    print(report_class(result) if args.scenario == "class" else report(result))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(f"written: {args.json}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; the server was stopped", file=sys.stderr)
        sys.exit(130)
