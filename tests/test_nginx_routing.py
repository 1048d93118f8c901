"""``deploy/nginx.conf`` in front of two stand-in app processes: sticky routes, and a class's join URL.

Two small HTTP servers on 127.0.0.1 answer with their own port, so each reply says which process
nginx chose. Skipped without Debian's nginx (``make test`` installs it).
"""

from __future__ import annotations

import http.server
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

pytestmark = pytest.mark.skipif(not Path("/usr/sbin/nginx").exists(), reason="needs Debian's nginx")


class _Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        body = str(self.server.server_address[1]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def proxy():
    """nginx with the project's configuration in front of two stand-in processes."""
    from load import free_port
    from proxy import Proxy

    backends = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer) for _ in range(2)]
    for server in backends:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ports = [server.server_address[1] for server in backends]
    try:
        with Proxy(free_port(frozenset(ports)), ports) as running:
            running.wait_ready(30)
            yield running, ports
    finally:
        for server in backends:
            server.shutdown()


def visit(port: int, path: str, cookie: str | None = None) -> tuple[int, str | None]:
    """The process that answered ``path`` through nginx, and the route cookie nginx set (or None)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as reply:
        answered = int(reply.read())
        set_cookie = next((value.split(";")[0] for value in reply.headers.get_all("Set-Cookie") or []
                           if value.startswith("facedemo_route=")), None)
    return answered, set_cookie


def test_a_first_visit_gets_a_route_and_keeps_its_process(proxy):
    running, ports = proxy
    answered, cookie = visit(running.port, "/")
    assert answered in ports and cookie and cookie.startswith("facedemo_route=")
    for path in ("/verify", "/_stcore/health", "/class"):
        assert visit(running.port, path, cookie) == (answered, None), "a known browser keeps its process, no new cookie"


def test_a_join_url_sends_every_student_to_the_instructors_process(proxy):
    """The Class page's join URL carries the instructor's route; it wins over a student's own cookie."""
    running, ports = proxy
    instructor_process, instructor_cookie = visit(running.port, "/")
    route = instructor_cookie.split("=", 1)[1]
    others = [visit(running.port, "/") for _ in range(12)]  # students who came earlier, spread over both
    assert {process for process, _ in others} == set(ports), "the hash splits first visits over both processes"
    for _, student_cookie in others:
        answered, new_cookie = visit(running.port, f"/class?class=ABCDEF&route={route}", student_cookie)
        assert answered == instructor_process
        assert new_cookie == instructor_cookie, "the student's route becomes the instructor's"
        assert visit(running.port, "/_stcore/health", new_cookie)[0] == instructor_process  # and so the websocket


def test_a_route_that_is_not_a_route_is_ignored(proxy):
    running, ports = proxy
    answered, cookie = visit(running.port, "/class?class=ABCDEF&route=../../etc;x")
    assert answered in ports and cookie and "etc" not in cookie
