"""The template reference and the blank templates: every template, its columns, and a blank
file that the importer reads back."""

from __future__ import annotations

from pathlib import Path

import pytest

from hgr.crypto import NodeKeys
from hgr.registry.importer import import_files
from hgr.registry.templates import TEMPLATES
from tests.api.conftest import Api
from tests.console.test_sign_in import EN


def test_the_reference_lists_every_template_and_column(api: Api) -> None:
    page = api.client.get("/console/templates", headers=EN)
    assert page.status_code == 200
    for template in TEMPLATES.values():
        assert f'href="/console/templates/{template.name}.csv"' in page.text
        for column in template.columns:
            assert f"<code>{column.name}</code>" in page.text


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_a_blank_template_has_the_columns_the_importer_reads(api: Api, name: str) -> None:
    blank = api.client.get(f"/console/templates/{name}.csv")
    assert blank.status_code == 200
    assert blank.headers["content-type"].startswith("text/csv")
    assert f'filename="{name}.csv"' in blank.headers["content-disposition"]
    header = blank.content.decode("utf-8-sig").strip()
    assert header.split(",") == list(TEMPLATES[name].column_names)


def test_a_filled_in_blank_template_imports(api: Api, keys: NodeKeys, tmp_path: Path) -> None:
    blank = api.client.get("/console/templates/donors.csv").content.decode("utf-8")
    donors = tmp_path / "donors.csv"
    columns = TEMPLATES["donors"].column_names
    row = {"donor_id": "BLANK-1", "sex": "female", "birth_year": "1990"}
    donors.write_text(blank + ",".join(row.get(c, "") for c in columns) + "\r\n", "utf-8")
    result = import_files(api.db, keys, [donors], institution="BJ-H001")
    assert result.changes["donors"].inserted == 1


def test_an_unknown_template_is_not_found(api: Api) -> None:
    for name in ("nope", "..%2Fdonors", "donors.csv%00"):
        assert api.client.get(f"/console/templates/{name}.csv").status_code == 404


def test_the_blank_workbooks_hold_the_templates_sheets(api: Api) -> None:
    import io

    from openpyxl import load_workbook

    page = api.client.get("/console/templates", headers=EN)
    assert 'href="/console/templates/hgr-templates.xlsx"' in page.text
    assert 'href="/console/templates/donors.xlsx"' in page.text
    every = api.client.get("/console/templates/hgr-templates.xlsx")
    assert every.status_code == 200
    assert every.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(every.content))
    assert book.sheetnames == [*TEMPLATES, "reference"]
    one = load_workbook(io.BytesIO(api.client.get("/console/templates/samples.xlsx").content))
    assert [c.value for c in one["samples"][1]] == list(TEMPLATES["samples"].column_names)
    for name in ("nope", "donors.csv", "..%2Fdonors"):
        assert api.client.get(f"/console/templates/{name}.xlsx").status_code == 404


def test_the_column_reference_is_in_the_readers_language(api: Api) -> None:
    page = api.client.get("/console/templates?lang=zh_Hans").text
    assert "本机构自己的捐献者编号（仅以 HMAC 形式保存）" in page
    assert "the institution's own donor id" not in page
