"""The public pages: the node's landing page and the debarment list, open to everyone."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from hgr.auth.keysets import KeySets
from hgr.beacon.responding import Responder
from hgr.console.account import add_account_pages
from hgr.console.beacon import add_beacon_page
from hgr.console.catalogue import add_catalogue_pages
from hgr.console.guard import add_refusals
from hgr.console.imports import add_import_pages
from hgr.console.pages import locale_of, render
from hgr.console.pages import say as _
from hgr.console.steward import add_steward_pages
from hgr.console.survey import add_province_pages, add_survey_pages
from hgr.debarment.listing import published_list
from hgr.node import Node
from hgr.registry.blanks import ALL_TEMPLATES
from hgr.registry.regions import region_labels
from hgr.registry.templates import TEMPLATES, blank_template
from hgr.registry.workbooks import blank_workbook
from hgr.survey.publish import COUNTS, HIDDEN, published_cycles, published_edition

__all__ = ["add_console"]


STATIC = Path(__file__).resolve().parent / "static"
MAX_SEARCH = 200  # characters of a search
CYCLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
KINDS = {"": None, "mandatory": True, "discretionary": False}


def add_console(
    app: FastAPI,
    node: Node,
    throttle: Callable[[str], None],
    key_sets: KeySets,
    beacon: Responder,
) -> None:
    """Add the console's pages under ``/console`` to ``app``; ``throttle(address)`` refuses
    an address that tries to sign in too often, ``key_sets`` holds the identity provider's
    keys, and ``beacon`` is the node's Beacon, which the public query form asks."""
    db, settings = node.db, node.settings
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
    add_refusals(app)
    add_account_pages(app, node, throttle, key_sets)
    add_steward_pages(app, node)
    add_import_pages(app, node)
    add_catalogue_pages(app, node)
    add_survey_pages(app, node)
    add_province_pages(app, node)
    add_beacon_page(app, node, beacon)

    @app.get("/console", include_in_schema=False)
    def console_root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=308)

    @app.get("/console/", include_in_schema=False)
    def landing(request: Request) -> HTMLResponse:
        return render(
            request,
            "landing.html.j2",
            title=None,
            node_name=settings.name,
            role=settings.role.value,
            region=settings.region_code,
        )

    @app.get("/console/debarment", include_in_schema=False)
    def debarment(request: Request) -> HTMLResponse:
        params = request.query_params
        text, ground, kind = params.get("q", ""), params.get("ground", ""), params.get("kind", "")
        problem = _search_problem(text, kind, request)
        with db.reader() as session:
            listing = published_list(
                session,
                settings.survey.nation,
                text="" if problem else text,
                ground="" if problem else ground,
                mandatory=KINDS.get(kind),
            )
        if not problem and ground and ground not in listing.grounds:
            problem = _("no entry in force has the ground “%(ground)s”", request, ground=ground)
        return render(
            request,
            "debarment.html.j2",
            status=400 if problem else 200,
            node_name=settings.name,
            listing=listing,
            problem=problem,
            text=text[:MAX_SEARCH],
            ground=ground[:MAX_SEARCH],
            kind=kind if kind in KINDS else "",
        )

    @app.get("/console/survey-report", include_in_schema=False)
    def survey_reports(request: Request) -> HTMLResponse:
        with db.reader() as session:
            cycles = published_cycles(session, settings.survey.nation)
        return render(
            request,
            "survey_reports.html.j2",
            title=_("National survey", request),
            node_name=settings.name,
            cycles=cycles,
        )

    @app.get("/console/survey-report/{cycle}", include_in_schema=False)
    def survey_report(request: Request, cycle: str) -> HTMLResponse:
        published = None
        if CYCLE.match(cycle):
            with db.reader() as session:
                published = published_edition(session, cycle, settings.survey.nation)
                regions = region_labels(session)
        if published is None:
            return render(request, "error.html.j2", status=404, node_name=settings.name)
        chinese = locale_of(request) == "zh_Hans"

        def label(unit: str) -> str:
            if unit == "nation":
                return _("Nation", request)
            kind, _sep, code = unit.partition(":")
            if kind == "province":
                english, local = regions.get(code, (code, code))
                return f"{local} {english}" if chinese and local != english else english
            return code

        units = [
            "nation",
            *sorted(u for u in published.tables[COUNTS].table.groups if u.startswith("province:")),
            *sorted(u for u in published.tables[COUNTS].table.groups if u.startswith("kind:")),
        ]
        tables = [
            {
                "name": name,
                "columns": protected.table.columns,
                "rows": [
                    (
                        label(unit),
                        [HIDDEN if v is None else v for v in protected.row(unit).values()],
                    )
                    for unit in units
                ],
            }
            for name, protected in published.tables.items()
        ]
        return render(
            request,
            "survey_report.html.j2",
            title=_("National survey %(cycle)s", request, cycle=cycle),
            node_name=settings.name,
            published=published,
            tables=tables,
            hidden=HIDDEN,
        )

    @app.get("/console/templates", include_in_schema=False)
    def templates(request: Request) -> HTMLResponse:
        return render(
            request,
            "templates.html.j2",
            title=_("Templates", request),
            node_name=settings.name,
            templates=list(TEMPLATES.values()),
        )

    @app.get("/console/templates/{name}.csv", include_in_schema=False)
    def blank(request: Request, name: str) -> Response:
        if name not in TEMPLATES:
            return render(request, "error.html.j2", status=404, node_name=settings.name)
        return Response(
            blank_template(name),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )

    @app.get("/console/templates/{name}.xlsx", include_in_schema=False)
    def blank_excel(request: Request, name: str) -> Response:
        names = list(TEMPLATES) if name == ALL_TEMPLATES else [name]
        if not all(n in TEMPLATES for n in names):
            return render(request, "error.html.j2", status=404, node_name=settings.name)
        return Response(
            blank_workbook(names),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )

    @app.get("/console/{rest:path}", include_in_schema=False)
    def not_found(request: Request, rest: str) -> HTMLResponse:
        return render(request, "error.html.j2", status=404, node_name=settings.name)


def _search_problem(text: str, kind: str, request: Request) -> str:
    """What is wrong with a search, in the reader's language; empty when nothing is."""
    if len(text) > MAX_SEARCH:
        return _("a search is at most %(n)s characters", request, n=str(MAX_SEARCH))
    if not text.isprintable():
        return _("a search cannot hold control characters or line breaks", request)
    if kind not in KINDS:
        return _("choose mandatory or discretionary exclusions, or all", request)
    return ""
