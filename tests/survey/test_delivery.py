"""The institution's client of its province: a province's node that answers something other
than a return's status is refused with a clear error, not shown."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from hgr.exceptions import UsageError
from hgr.survey.delivery import Province

GOOD = {
    "state": "late",
    "version": 1,
    "received_at": "2026-12-01T10:00:00Z",
    "edition_version": None,
    "compiled_at": "",
    "included_version": None,
    "problems": [],
}


@pytest.fixture
def province() -> Iterator[tuple[str, list[object]]]:
    """A node on loopback that answers every GET with the next of its answers."""
    answers: list[object] = []

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(answers.pop(0)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", answers
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "answer",
    [
        ["not", "a", "status"],
        {**GOOD, "state": "<script>alert(1)</script>"},
        {**GOOD, "received_at": "yesterday"},
        {**GOOD, "version": "1"},
        {**GOOD, "problems": [{"nested": True}]},
        {key: value for key, value in GOOD.items() if key != "state"},
    ],
)
def test_a_province_answering_something_else_is_refused(
    province: tuple[str, list[object]], answer: object
) -> None:
    url, answers = province
    answers.append(answer)
    with pytest.raises(UsageError) as refused:
        Province(url, "token").return_status("2025", "BJ-H001")
    assert refused.value.code == "E_REMOTE"


def test_a_return_status_is_taken_as_the_province_gave_it(
    province: tuple[str, list[object]],
) -> None:
    url, answers = province
    answers.append(GOOD)
    assert Province(url, "token").return_status("2025", "BJ-H001") == GOOD


def test_the_token_is_never_shown() -> None:
    assert "secret-token" not in repr(Province("http://province", "secret-token"))
