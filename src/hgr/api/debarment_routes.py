"""The published debarment list: JSON, CSV and an HTML page, open to everyone.

The list is public by design (Procurement Act 2023 s.62; HGR Reg. Art. 43 ¶3: bans are
publicised), so these routes need no token; they show only the entries in force.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import BaseModel

from hgr.dates import utc_today
from hgr.debarment import entries_csv, public_entries
from hgr.debarment.national import CYCLE, KIND
from hgr.exceptions import NotFound
from hgr.federation.documents import envelope_of, latest_anchored
from hgr.node import Node
from hgr.web.debarment import entries_html

__all__ = ["add_debarment_routes"]

# The page has no script and one inline style sheet.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


class CsvResponse(PlainTextResponse):
    """CSV, declared as such in the OpenAPI document."""

    media_type = "text/csv"


class EntryOut(BaseModel):
    number: str
    organisation: str
    country: str
    identifiers: list[str]
    regime: str
    ground: str
    mandatory: bool
    reasons: str
    decided_on: str | None
    listed_on: str | None
    expected_end: str | None
    permanent: bool


def add_debarment_routes(app: FastAPI, node: Node, caller: Any) -> None:
    """Add the public debarment routes to ``app``."""
    db = node.db

    def rows() -> list[dict[str, Any]]:
        with db.reader() as session:
            return public_entries(session)

    @app.get("/debarment", tags=["debarment"], summary="The debarment list (entries in force)")
    def debarment_json(principal: caller) -> list[EntryOut]:
        return [EntryOut(**r) for r in rows()]

    @app.get(
        "/debarment.csv",
        tags=["debarment"],
        summary="The debarment list as CSV",
        response_class=CsvResponse,
    )
    def debarment_csv(principal: caller) -> CsvResponse:
        return CsvResponse(entries_csv(rows()))

    @app.get(
        "/debarment/national",
        tags=["debarment"],
        summary="The nation's signed debarment list, for every node to fetch",
    )
    def national(principal: caller) -> dict[str, str]:
        nation = node.settings.survey.nation
        with db.reader() as session:
            kept = latest_anchored(session, KIND, CYCLE, nation)
        if kept is None:
            raise NotFound(
                f"this node has published no national debarment list of {nation}",
                code="E_NOT_FOUND",
            )
        return envelope_of(kept).as_dict()

    @app.get(
        "/debarment.html",
        tags=["debarment"],
        summary="The public debarment page",
        response_class=HTMLResponse,
    )
    def debarment_page(principal: caller) -> HTMLResponse:
        page = entries_html(rows(), issuer=node.settings.name, today=utc_today())
        return HTMLResponse(page, headers={"content-security-policy": PAGE_POLICY})
