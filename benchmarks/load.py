"""A class at once: N students on one app server, driven with Streamlit's own websocket protocol.

    .venv/bin/python benchmarks/load.py                      # 50 students (the issue's class)
    .venv/bin/python benchmarks/load.py --students 10 --idle-wait 30
    .venv/bin/python benchmarks/load.py --server-option server.fileWatcherType=none
    .venv/bin/python benchmarks/load.py --processes 2 --server-option server.fileWatcherType=none

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

Memory is the server's resident set (``VmRSS`` of the process and its children, polled from
``/proc``; with K processes the sum of the K servers and nginx): before anyone came (cold), after
one warm-up visitor who loaded the model, the gallery and both pages and left (the *idle* server
the target compares with), its peak during the class, and ``--idle-wait`` seconds (120) after
everyone left. Streamlit keeps a disconnected session for
``server.disconnectedSessionTTL`` (120 s) in case the browser reconnects.

Prints a table with the targets marked met or not, and writes ``benchmarks/results/load.json``
(or ``--json PATH``). It is a benchmark, not a test: nothing here fails on a slow figure.
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

def student_photos(count: int) -> list[tuple[str, bytes]]:
    """``count`` distinct JPEGs: gallery photos in turn, each with a few pixels set from its number."""
    from PIL import Image

    from facedemo import assets

    gallery = assets.gallery_dir()
    paths = sorted(p for p in gallery.glob("*/*/*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
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

    def has_verdict(self) -> bool:
        return any(v in text for text in self.texts for v in VERDICTS)


class Student:
    """One browser tab: a websocket session that reruns pages and keeps its widget states."""

    def __init__(self, number: int, port: int, xsrf: str, *, own_cookies: bool = False) -> None:
        self.number, self.port, self.xsrf = number, port, xsrf
        self.own_cookies = own_cookies  # behind nginx: a first GET gives this tab its route and XSRF cookies
        self.cookie = f"_streamlit_xsrf={xsrf}" if xsrf else ""  # the Cookie header this tab sends
        self.ws = None
        self.session_id = ""
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.page = ""  # current page's url path
        self.query_string = ""
        self.widget_states: dict[str, object] = {}  # widget id -> WidgetState
        self.times: dict[str, list[float]] = {name: [] for name in ACTIONS}
        self.errors: list[str] = []
        self.exception_pages: set[str] = set()
        self.widget_ids: dict[str, str] = {}  # user key -> widget id (from the deltas)
        self.last_widgets: dict[str, object] = {}  # user key -> widget proto of the last rerun

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
            elif what in ("slider", "radio", "file_uploader", "selectbox"):
                widget = getattr(element, what)
                key = widget.id.split("-", 2)[-1] if widget.id.startswith("$$ID-") else widget.id
                rerun.widgets[key] = widget
                self.widget_ids[key] = widget.id

    async def rerun(self, *, page: str | None = None, timeout: float = RERUN_TIMEOUT) -> Rerun:
        """Send a rerun of ``page`` (url path; default: the current page) with the widget states; wait
        for ``script_finished``."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        back = BackMsg()
        state = back.rerun_script
        if page is not None and page != self.page:
            if page in self.pages:
                state.page_script_hash = self.pages[page]
            else:
                state.page_name = page
            state.query_string = ""
            # a new page: only the sidebar's widgets keep their state in the browser
            sidebar = self.widget_ids.get("threshold")
            self.widget_states = {k: v for k, v in self.widget_states.items() if k == sidebar}
        else:
            state.page_script_hash = self.pages.get(self.page, "")
            state.query_string = self.query_string
        for widget_state in self.widget_states.values():
            state.widget_states.widgets.append(widget_state)
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
    """``moves`` distinct thresholds around the calibrated 1.18, different for each student."""
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


def summarise(students: list[Student]) -> dict:
    actions = {}
    for name in ACTIONS:
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
    parser.add_argument("--json", type=Path, default=RESULTS, help=f"where to write the figures ({RESULTS})")
    args = parser.parse_args(argv)
    if not 1 <= args.students <= 500 or not 1 <= args.moves <= 50:
        parser.error("--students must be 1-500 and --moves 1-50")
    if not 1 <= args.processes <= 16:
        parser.error("--processes must be 1-16")
    if not 0 <= args.idle_wait <= 1800 or not 10 <= args.timeout <= 7200:
        parser.error("--idle-wait must be 0-1800 s and --timeout 10-7200 s")

    signal.signal(signal.SIGTERM, _interrupt)  # a TERM stops the server as Ctrl-C does
    started = time.monotonic()
    deadline = started + args.timeout
    result: dict = {
        "students": args.students, "moves": args.moves, "idle_wait_s": args.idle_wait,
        "server_options": args.server_option, "processes": args.processes, "machine": machine(),
        "load_average_before": list(os.getloadavg()), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
    photos = student_photos(args.students + 1)
    # one cookie secret for the processes behind nginx (it signs Streamlit's cookies), new on every run
    shared = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)} if args.processes > 1 else {}
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
            if warm_errors:
                print(f"warm-up visitor: {warm_errors[:3]}\n{servers[0].log_tail()}", file=sys.stderr)
            time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
            idle = rss_total(pids)
            memory.reset_peak()
            print(f"cold {_mb(cold)}, idle after warm-up {_mb(idle)}; {args.students} students ...", flush=True)
            class_start, client_cpu = time.monotonic(), time.process_time()
            port = proxy.port if proxy else servers[0].port
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
            result.update(summarise(students))
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
    result["targets"] = [{"figure": f, "measured": m, "target": t, "met": ok} for f, m, t, ok in targets(result)]
    print(report(result))
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
