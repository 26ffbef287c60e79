"""`hgr demo` runs the main story end to end and leaves what it names behind."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
from pathlib import Path

from crypt4gh import lib as c4gh_lib
from crypt4gh.keys import get_private_key
from rich.console import Console

from hgr.demo import run_demo


def test_the_demo_runs_the_whole_story(tmp_path: Path) -> None:
    printed = io.StringIO()
    nodes = run_demo(tmp_path / "demo", donors=300, console=Console(file=printed, width=200))
    text = printed.getvalue()
    # Persons counted once through the duplicate links equal the synthetic truth.
    assert "294 persons (synthetic truth: 294 people)" in text
    assert "survey verify: ok" in text
    # The careless re-import is refused with its difference, then kept in the history.
    assert "refused (E_UPDATE_NOT_CONFIRMED), nothing written" in text
    assert "cells cleared 0 (an empty cell keeps what is registered)" in text
    assert re.search(r"history of donor \S+: birth_year \d+ → \d+ \(import batch \d+", text)
    demo = tmp_path / "demo"
    # Last year's cycle, in both languages.
    assert len(list((demo / "survey").glob("*/survey-report.*.html"))) == 2
    catalogue = json.loads((demo / "catalogue" / "catalogue.json").read_text())
    assert {e["status"] for e in catalogue} == {"registered"}
    assert "security_review; rules CN-07, CN-10, CN-12, CN-13" in text
    assert "1 notice(s) published" in text
    (export,) = list((demo / "access" / "exports").iterdir())
    names = sorted(p.name for p in export.iterdir())
    assert names[0] == "donors.tsv.c4gh"
    assert names[1].startswith("genotypes-")
    assert names[1].endswith("-POP.vcf.gz.c4gh")
    assert names[2:] == ["manifest.json", "manifest.sig"]
    manifest = json.loads((export / "manifest.json").read_text())
    assert [f["name"] for f in manifest["files"]] == names[:2]
    # The recipient decrypts the genotypes: one column per released donor, by request ids.
    secret = get_private_key(str(demo / "access" / "recipient.sec"), lambda: "")
    plain = io.BytesIO()
    with (export / names[1]).open("rb") as handle:
        c4gh_lib.decrypt([(0, secret, None)], handle, plain)
    header = next(
        line
        for line in gzip.decompress(plain.getvalue()).decode().splitlines()
        if line.startswith("#CHROM")
    )
    table = next(f for f in manifest["files"] if f["name"] == names[1])
    assert hashlib.sha256(plain.getvalue()).hexdigest() == table["plaintext_sha256"]
    assert len(header.split("\t")[9:]) == manifest["donors"]
    # The listed company's lab, asking under its Chinese name with no identifier, is found
    # through the organisation registry; the registry also makes it a foreign party (CN-03).
    assert "prohibited (CN-21, CN-03, DEB-M, found through the organisation registry" in text
    # Arrays of 10 persons declared; the cohort holds the 540-genome panel besides: the
    # security review, on the node's count of persons and of data categories.
    under = text[text.index("an under-declared request") :]
    assert (
        under.split("\n")[0]
        .split(": ")[1]
        .startswith("security_review (CN-07, CN-10, CN-12, CN-13")
    )
    counted = re.search(r"declared 10 persons; the node counts (\d+) in the cohort", under)
    assert counted is not None
    assert int(counted[1]) > 540  # the panel and the population's own
    assert "an export of the cohort also releases whole_genome" in under
    assert "applies the national debarment list of CN, version 1" in text
    assert (
        "a request naming an unregistered organisation is refused: requester: 'Example "
        "Unregistered Lab' is not in the node's organisation registry"
    ) in text
    assert "Exome data of 2,300 persons" in (demo / "debarment" / "debarment.html").read_text()

    # It ends by naming the console and a steward's sign-in, and serves the two nodes.
    named = re.search(r"sign in as steward, password (\S+)", text)
    assert named is not None
    assert "the public:" in text
    _click_through(nodes.institution, nodes.nation, named[1])


def _click_through(institution: Path, nation: Path, password: str) -> None:
    """What `hgr demo --serve` serves: the steward signs in at the institution's node, and
    the public reads the nation's debarment list."""
    import http.client
    import threading
    import time
    from urllib.parse import urlencode

    from hgr.api.serve import node_servers

    ports = [_free_port(), _free_port()]
    servers = node_servers([(institution, ports[0]), (nation, ports[1])])
    for server in servers:
        threading.Thread(target=server.run, daemon=True).start()
    try:
        while not all(s.started for s in servers):
            time.sleep(0.05)

        def ask(port: int, method: str, path: str, body: str = "", cookie: str = ""):  # type: ignore[no-untyped-def]
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            headers = {"Cookie": cookie, "Accept-Language": "en"}
            if body:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            try:
                connection.request(method, path, body=body or None, headers=headers)
                answer = connection.getresponse()
                return answer.status, answer.getheaders(), answer.read().decode()
            finally:
                connection.close()

        _, headers, page = ask(ports[0], "GET", "/console/sign-in")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None
        form_cookie = next(v for k, v in headers if k == "set-cookie").split(";")[0]
        form = urlencode({"name": "steward", "password": password, "csrf": csrf[1], "code": ""})
        status, headers, _ = ask(ports[0], "POST", "/console/sign-in", form, form_cookie)
        assert status == 303
        session = next(
            v.split(";")[0] for k, v in headers if k == "set-cookie" and "hgr_session=" in v
        )
        status, _, home = ask(ports[0], "GET", "/console/steward", cookie=session)
        assert status == 200
        assert "What your institution holds" in home
        status, _, listing = ask(ports[1], "GET", "/console/debarment")
        assert status == 200
        assert "entries in force" in listing
    finally:
        for server in servers:
            server.should_exit = True


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
