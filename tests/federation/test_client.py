"""The node client: what another server answers, or fails to, becomes a clear hgr error."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from hgr.exceptions import Forbidden, UsageError
from hgr.federation import get_json, post_json


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        answers = {
            "/text": (200, b"hello", "text/plain"),
            "/list-problem": (403, b"[1, 2]", "application/json"),
            "/problem": (
                403,
                b'{"detail": "not yours", "code": "E_FORBIDDEN"}',
                "application/problem+json",
            ),
        }
        status, body, kind = answers.get(self.path, (200, b'{"ok": true}', "application/json"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_answers_and_refusals(server: str) -> None:
    assert get_json(server, "/fine") == {"ok": True}
    with pytest.raises(UsageError, match="did not answer JSON"):
        get_json(server, "/text")
    with pytest.raises(Forbidden, match="403: not yours"):
        get_json(server, "/problem")
    with pytest.raises(Forbidden, match="403"):
        get_json(server, "/list-problem")
    with pytest.raises(UsageError, match="not an http"):
        post_json("ftp://x", "/survey/returns", {})


def test_a_redirect_is_refused_and_the_token_goes_nowhere(server: str) -> None:
    # A node (or whoever answers for it) redirects to a host of its choosing: urllib would
    # carry the bearer token there.
    seen: list[str | None] = []

    class Elsewhere(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization"))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *_: object) -> None:
            pass

    elsewhere = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Elsewhere)
    threading.Thread(target=elsewhere.serve_forever, daemon=True).start()
    target = f"http://127.0.0.1:{elsewhere.server_address[1]}/collect"

    class Redirecting(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    redirecting = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=redirecting.serve_forever, daemon=True).start()
    try:
        with pytest.raises(UsageError, match="302"):
            get_json(f"http://127.0.0.1:{redirecting.server_address[1]}", "/x", "secret-token")
    finally:
        for httpd in (redirecting, elsewhere):
            httpd.shutdown()
            httpd.server_close()
    assert seen == []
