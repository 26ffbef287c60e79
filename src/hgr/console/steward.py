"""The steward's pages: what the institution holds, and its records found by the
institution's own identifiers.

A donor is registered under a keyed pseudonym, never under the identifier the institution
gave (hgr.registry.models). The steward searches by that identifier: the pseudonym is worked
out on the fly with the node's key and looked up. The identifier travels only in the body of
a POST, never in an address, so that no access log, browser history or Referer header keeps
it; the donor's page is then addressed by the pseudonym. Every read of a donor, a sample or a
consent is audited exactly as the API audits it (:class:`hgr.registry.reading.Reader`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from hgr.auth.permissions import Action
from hgr.console.guard import Need, Permit, not_found, permit
from hgr.console.pages import render
from hgr.console.pages import say as _
from hgr.console.plots import Point, scatter
from hgr.dates import utc_today
from hgr.exceptions import NotFound
from hgr.genotypes.qc import QcReport
from hgr.genotypes.qc_report import qc_report, stores_of
from hgr.node import Node
from hgr.registry.holdings import holdings
from hgr.registry.reading import read_history, read_listing, read_record

__all__ = ["READ_DONORS", "READ_SAMPLES", "add_steward_pages"]

READ_DONORS = Need(Action.READ, "donors")
READ_SAMPLES = Need(Action.READ, "samples")
PSEUDONYM = re.compile(r"[0-9a-f]{64}\Z")
CODE = re.compile(r"[^\x00-\x1f\x7f]{1,64}\Z")
MAX_SEARCH = 64  # characters: the longest identifier the templates accept
LISTED = 200  # rows of samples or consents shown on one donor's page


def add_steward_pages(app: FastAPI, node: Node) -> None:
    """Add the steward's home, search, donor and sample pages to ``app``."""
    db, settings = node.db, node.settings

    @app.get("/console/steward", include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        allowed = permit(node, request, READ_DONORS)
        with db.reader() as session:
            held = holdings(session, allowed.institution, utc_today())
            stores = stores_of(session, allowed.institution)
        return render(
            request,
            "steward_home.html.j2",
            title=_("Your institution", request),
            node_name=settings.name,
            session=allowed.active,
            held=held,
            stores=stores,
        )

    @app.get("/console/find", include_in_schema=False)
    def find_form(request: Request) -> HTMLResponse:
        allowed = permit(node, request, READ_DONORS)
        return _find_page(request, allowed)

    @app.post("/console/find", include_in_schema=False)
    async def find(request: Request) -> Response:
        async with request.form() as form:
            text = str(form.get("q", ""))[: MAX_SEARCH + 1]
            csrf = str(form.get("csrf", ""))[:200]
        allowed = permit(node, request, READ_DONORS, form_csrf=csrf)
        wanted = text.strip()
        if not wanted or not CODE.match(wanted):
            problem = _(
                "Give an identifier of at most %(n)s characters, on one line.",
                request,
                n=str(MAX_SEARCH),
            )
            return _find_page(request, allowed, wanted[:MAX_SEARCH], problem, status=400)
        institution = allowed.institution
        pseudonym = node.keys.pseudonymiser.pseudonym(institution, wanted)
        found: list[tuple[str, str]] = []
        with db.transaction() as session:
            for entity, key, target in (
                ("donors", {"institution": institution, "pseudonym": pseudonym}, pseudonym),
                ("samples", {"institution": institution, "code": wanted}, wanted),
                ("families", {"institution": institution, "code": wanted}, wanted),
            ):
                reader = allowed.reader_of(session, entity)
                if reader is None:
                    continue
                try:
                    read_record(session, reader, entity, key, f"{entity}/{institution}/{target}")
                except NotFound:
                    continue
                found.append((entity, target))
        if len(found) == 1:
            entity, target = found[0]
            return RedirectResponse(f"/console/{entity}/{quote(target, safe='')}", status_code=303)
        if not found:
            problem = _(
                "No donor, sample or family of your institution has the identifier “%(id)s”.",
                request,
                id=wanted,
            )
            # A search that finds nothing has still been answered (200).
            return _find_page(request, allowed, wanted, problem)
        return _find_page(request, allowed, wanted, found=found)

    def _find_page(
        request: Request,
        allowed: Permit,
        text: str = "",
        problem: str = "",
        status: int = 200,
        found: list[tuple[str, str]] | None = None,
    ) -> HTMLResponse:
        return render(
            request,
            "find.html.j2",
            status=status,
            title=_("Find a donor, sample or family", request),
            node_name=settings.name,
            session=allowed.active,
            csrf=allowed.active.csrf,
            text=text,
            problem=problem,
            found=found or [],
        )

    @app.get("/console/genotypes/{collection}", include_in_schema=False)
    def genotype_qc(request: Request, collection: str) -> HTMLResponse:
        allowed = permit(node, request, READ_SAMPLES)
        missing = _("No collection of your institution has genotypes under this code.", request)
        if not CODE.match(collection):
            return not_found(node, request, allowed, missing)
        try:
            report = qc_report(db, institution=allowed.institution, collection=collection)
        except NotFound:
            return not_found(node, request, allowed, missing)
        with db.transaction() as session:  # each sample's QC is individual-level data
            allowed.reader().audit(
                session, "genotypes.qc", f"collections/{allowed.institution}/{collection}"
            )
        return render(
            request,
            "genotype_qc.html.j2",
            title=_("Genotype QC of %(collection)s", request, collection=collection),
            node_name=settings.name,
            session=allowed.active,
            report=report,
            plots=_qc_plots(report, request),
        )

    @app.get("/console/donors/{pseudonym}", include_in_schema=False)
    def donor(request: Request, pseudonym: str) -> HTMLResponse:
        allowed = permit(node, request, READ_DONORS)
        institution = allowed.institution
        missing = _("No donor of your institution has this pseudonym.", request)
        if not PSEUDONYM.match(pseudonym):
            return not_found(node, request, allowed, missing)
        with db.transaction() as session:
            found = _record_and_history(session, allowed, "donors", pseudonym)
            if found is None:
                return not_found(node, request, allowed, missing)
            record, changes = found
            own = {"institution": institution, "donor": pseudonym}
            related = {}
            for entity in ("samples", "consents", "members"):
                entity_reader = allowed.reader_of(session, entity)
                related[entity] = (
                    read_listing(
                        session, entity_reader, entity, filters=own, limit=LISTED, offset=0
                    )
                    if entity_reader is not None
                    else None
                )
        return render(
            request,
            "donor.html.j2",
            title=_("Donor", request),
            node_name=settings.name,
            session=allowed.active,
            donor=record,
            samples=related["samples"],
            consents=related["consents"],
            memberships=related["members"],
            changes=changes,
        )

    # {code:path}: a sample's code may hold "/", sent encoded and decoded before routing.
    @app.get("/console/samples/{code:path}", include_in_schema=False)
    def sample(request: Request, code: str) -> HTMLResponse:
        allowed = permit(node, request, READ_SAMPLES)
        missing = _("No sample of your institution has this identifier.", request)
        if not CODE.match(code):
            return not_found(node, request, allowed, missing)
        with db.transaction() as session:
            found = _record_and_history(session, allowed, "samples", code)
        if found is None:
            return not_found(node, request, allowed, missing)
        record, changes = found
        return render(
            request,
            "sample.html.j2",
            title=_("Sample %(code)s", request, code=code),
            node_name=settings.name,
            session=allowed.active,
            sample=record,
            changes=changes,
        )


def _qc_plots(report: QcReport, request: Request) -> list[Markup]:
    """The QC plots of a store: call rate against heterozygosity, and the sex check (the X
    chromosome's F coefficient, as PLINK's --check-sex computes it, by declared sex)."""
    limits = report.thresholds
    passed, flagged = _("passed", request), _("flagged", request)
    rates = [
        Point(
            row["call_rate"],
            row["heterozygosity"],
            flagged if row["flags"] else passed,
            row["sample"],
        )
        for row in report.samples
        if row["heterozygosity"] is not None
    ]
    sexes = [
        Point(
            row["x_f"],
            row["y_call_rate"] or 0.0,
            _(str(row["declared_sex"]), request),
            row["sample"],
        )
        for row in report.samples
        if row["x_f"] is not None
    ]
    return [
        scatter(
            rates,
            title=_("Call rate and heterozygosity", request),
            description=_(
                "Each sample's call rate against its heterozygosity; the dashed line is the "
                "lowest call rate a sample may have.",
                request,
            ),
            x_label=_("Call rate", request),
            y_label=_("Heterozygosity", request),
            x_lines=[float(limits.get("min_sample_call_rate", 0.95))],
        ),
        scatter(
            sexes,
            title=_("Sex check", request),
            description=_(
                "Each sample's X chromosome F coefficient against its Y call rate, coloured by "
                "declared sex: below the first dashed line a sample looks female, above the "
                "second male.",
                request,
            ),
            x_label=_("X chromosome F", request),
            y_label=_("Y call rate", request),
            x_lines=[
                float(limits.get("female_max_f", 0.2)),
                float(limits.get("male_min_f", 0.8)),
            ],
        ),
    ]


def _record_and_history(
    session: Any, allowed: Permit, entity: str, key: str
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The reader's institution's record of ``entity`` named by ``key`` (a donor's
    pseudonym, a sample's code) and its history, both reads audited; None when there is none
    (or it is another institution's)."""
    institution = allowed.institution
    target = f"{entity}/{institution}/{key}"
    label = "pseudonym" if entity == "donors" else "code"
    reader = allowed.reader()
    try:
        record = read_record(
            session, reader, entity, {"institution": institution, label: key}, target
        )
    except NotFound:
        return None
    changes = read_history(
        session, reader, entity, key, institution, _already_pseudonymised, target
    )
    return record, changes


def _already_pseudonymised(_institution: str, key: str) -> str:
    """The donor's key as the page has it: already the pseudonym, never the identifier."""
    return key
