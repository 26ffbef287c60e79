"""``hgr pedigree draw``: a drawing from a PED file, and refusals."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hgr.cli.main import app
from tests.conftest import EXAMPLES, shared

runner = CliRunner()


def test_draw_writes_an_svg(tmp_path: Path) -> None:
    out = tmp_path / "hd.svg"
    args = ["--proband", "BJH-0005", "--deceased", "BJH-0001"]
    result = runner.invoke(
        app, ["pedigree", "draw", str(EXAMPLES / "HD-001.ped"), "-o", str(out), *args]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<svg")
    assert 'class="proband"' in out.read_text()


def test_draw_refuses_what_it_cannot_draw(tmp_path: Path) -> None:
    out = tmp_path / "x.svg"
    for args, message in [
        ([str(EXAMPLES / "HD-001.ped"), "--proband", "nobody"], "nobody not in family"),
        ([str(EXAMPLES / "HD-001.ped"), "--family", "XX"], "no family 'XX'"),
        ([str(shared("ped", "ceph1463.bad.ped"))], "E_PED_PARENT"),
    ]:
        result = runner.invoke(app, ["pedigree", "draw", *args, "-o", str(out)])
        assert result.exit_code == 1, args
        assert message in " ".join(result.output.split()), (args, result.output)
    assert not out.exists()
