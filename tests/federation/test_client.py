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
