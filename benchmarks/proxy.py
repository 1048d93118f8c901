"""nginx in front of K Streamlit processes, for ``benchmarks/load.py --processes K``.

The configuration is ``deploy/nginx.conf`` (sticky sessions by a route cookie, the websocket
upgrade, the upload size) with only its ``listen`` port and its ``server 127.0.0.1:PORT;`` lines
replaced. nginx runs in the foreground as a child process, with its own prefix in a temporary
folder (pid file, temp files, ``access.log``): no system service, nothing under ``/etc/nginx``.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from process_group import ProcessGroup

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf"
HOST = "127.0.0.1"
ROUTE_COOKIE = "facedemo_route"
_LISTEN = re.compile(r"^(\s*)listen\s+[^;]+;", re.MULTILINE)
_BACKENDS = re.compile(r"^(\s*)server\s+127\.0\.0\.1:\d+;\n(?:\s*server\s+127\.0\.0\.1:\d+;\n)*", re.MULTILINE)
_LOG_LINE = re.compile(r'"(?P<method>\S+) (?P<path>\S+)[^"]*" (?P<status>\d{3}) route=(?P<route>\S*) '
                       r'upstream=(?P<upstream>\S*)')


def nginx_binary() -> str | None:
    """The nginx to run (``/usr/sbin/nginx`` from Debian's ``nginx-light``), or None."""
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


def render(listen_port: int, backend_ports: list[int], template: str | None = None) -> str:
    """``deploy/nginx.conf`` listening on 127.0.0.1:``listen_port`` in front of ``backend_ports``."""
    text = TEMPLATE.read_text() if template is None else template
    if len(_LISTEN.findall(text)) != 1 or len(_BACKENDS.findall(text)) != 1:
        raise ValueError(f"{TEMPLATE} wants one 'listen' line and one block of 'server 127.0.0.1:PORT;' lines")
    text = _LISTEN.sub(lambda m: f"{m.group(1)}listen {HOST}:{listen_port};", text)
    return _BACKENDS.sub(lambda m: "".join(f"{m.group(1)}server {HOST}:{p};\n" for p in backend_ports), text)


class Proxy(ProcessGroup):
    """``nginx -g 'daemon off;'`` in its own process group, stopped (TERM, then KILL) when the block ends."""

    STOP_WAITS = ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0))

    def __init__(self, listen_port: int, backend_ports: list[int]) -> None:
        binary = nginx_binary()
        if binary is None:
            raise SystemExit("--processes needs nginx: apt-get install nginx-light (no service needs enabling)")
        self.port, self.backends = listen_port, backend_ports
        self.prefix = Path(tempfile.mkdtemp(prefix="facedemo-nginx-"))
        self.prefix.chmod(0o755)  # started as root, nginx's workers are "nobody" and write their temp files here
        self.conf = self.prefix / "nginx.conf"
        self.conf.write_text(render(listen_port, backend_ports))
        self.command = [binary, "-e", "stderr", "-p", f"{self.prefix}/", "-c", str(self.conf), "-g", "daemon off;"]
        self.log = self.prefix / "error.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Proxy:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(self.command, cwd=self.prefix, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        return self


    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until ``/_stcore/health`` answers 200 through nginx."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited ({self.process.returncode}): {self.log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/_stcore/health", timeout=5) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"nginx gave no /_stcore/health after {timeout:.0f} s")

    def routing(self) -> dict:
        """What ``access.log`` says: websocket sessions and requests per process, upload statuses, and
        how many route cookies reached more than one process (0 = sticky)."""
        try:
            lines = (self.prefix / "access.log").read_text(errors="replace").splitlines()
        except OSError:
            lines = []
        sessions, requests, puts = collections.Counter(), collections.Counter(), collections.Counter()
        backends_of_route: dict[str, set[str]] = collections.defaultdict(set)
        for line in lines:
            m = _LOG_LINE.search(line)
            if m is None:
                continue
            upstream = m["upstream"] if m["upstream"] != "-" else "nginx itself"
            requests[upstream] += 1
            if m["path"].startswith("/_stcore/stream"):
                sessions[upstream] += 1
            if m["method"] == "PUT" and m["path"].startswith("/_stcore/upload_file/"):
                puts[m["status"]] += 1
            if upstream != "nginx itself":
                backends_of_route[m["route"]].add(upstream)
        return {"sessions_per_process": dict(sessions), "requests_per_process": dict(requests),
                "upload_put_status": dict(puts), "routes": len(backends_of_route),
                "routes_on_more_than_one_process": sum(len(b) > 1 for b in backends_of_route.values())}
