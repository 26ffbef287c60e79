"""The steward's families and catalogue declarations: each family with its pedigree drawn
inline, and the declaration of a family as an important genetic pedigree or of a
population's resources in a specific region, with the evidence hgr checked by itself.

A declaration is the one the CLI makes (:mod:`hgr.catalogue.entries`): the node counts the
affected generations, checks the condition against the list of common conditions and, where
the steward names a genotyped collection, verifies the declared relationships from the
genotypes (IR Arts. 24-26; regulations.md CN-SUR-7). What the steward writes is only the trait
in words; every figure the province reviews is the node's own.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from hgr.auth.permissions import Action
from hgr.catalogue import declare_pedigree, declare_region
from hgr.catalogue.entries import REDECLARABLE, catalogue_entries
from hgr.catalogue.models import CatalogueEntry
from hgr.console.guard import Need, Permit, not_found, permit
from hgr.console.pages import locale_of, render
from hgr.console.pages import say as _
from hgr.exceptions import Conflict, NotFound, ValidationFailed
from hgr.genotypes.qc_report import stores_of
from hgr.node import Node
from hgr.pedigree.drawing import draw_pedigree
from hgr.registry.families import drawn, family_members, find_family
from hgr.registry.reading import read_listing, read_record
from hgr.registry.regions import region_labels
from hgr.relatedness.collection_pedigrees import verify_collection_pedigrees

__all__ = ["add_catalogue_pages"]

READ_MEMBERS = Need(Action.READ, "members")
DECLARE = Need(Action.WRITE, "families")
CODE = re.compile(r"[^\x00-\x1f\x7f]{1,64}\Z")
# The trait is free text the province reads: one paragraph, no control characters.
TRAIT = re.compile(r"[^\x00-\x09\x0b-\x1f\x7f]{1,1000}\Z")
POPULATION = re.compile(r"[^\x00-\x1f\x7f]{1,100}\Z")
LISTED = 500  # families shown on one page


def add_catalogue_pages(app: FastAPI, node: Node) -> None:
    """Add the families, a family's page and the catalogue declarations to ``app``."""
    db, settings = node.db, node.settings

    @app.get("/console/families", include_in_schema=False)
    def families(request: Request) -> HTMLResponse:
        allowed = permit(node, request, READ_MEMBERS)
        with db.transaction() as session:
            listing = read_listing(
                session,
                allowed.reader(),
                "families",
                filters={"institution": allowed.institution},
                limit=LISTED,
                offset=0,
            )
            entries = _entries(session, allowed.institution, "pedigree")
        return render(
            request,
            "families.html.j2",
            title=_("Families", request),
            node_name=settings.name,
            session=allowed.active,
            families=listing.rows,
            total=listing.total,
            entries=entries,
        )

    @app.get("/console/families/{code:path}", include_in_schema=False)
    def family(request: Request, code: str) -> HTMLResponse:
        allowed = permit(node, request, READ_MEMBERS)
        return _family_page(request, allowed, code)

    def _family_page(
        request: Request,
        allowed: Permit,
        code: str,
        problem: str = "",
        trait: str = "",
        status: int = 200,
    ) -> HTMLResponse:
        missing = _no_family(request)
        if not CODE.match(code):
            return not_found(node, request, allowed, missing)
        institution = allowed.institution
        with db.transaction() as session:
            try:
                record = read_record(
                    session,
                    allowed.reader(),
                    "families",
                    {"institution": institution, "code": code},
                    f"families/{institution}/{code}",
                )
            except NotFound:
                return not_found(node, request, allowed, missing)
            found = find_family(session, institution, code)
            members = family_members(session, found)
            entry = _entries(session, institution, "pedigree").get(code)
            stores = [s.collection for s in stores_of(session, institution)]
        drawing, undrawable = None, False
        if members:
            try:
                svg = draw_pedigree(drawn(members), title=_("Family %(code)s", request, code=code))
                drawing = Markup(svg)  # the drawing escapes every name it writes
            # The registry checks a pedigree on import; one written around it (a restore, a
            # superuser) may not draw, and its page still shows the members.
            except (ValidationFailed, RecursionError):
                undrawable = True
        return render(
            request,
            "family.html.j2",
            status=status,
            title=_("Family %(code)s", request, code=code),
            node_name=settings.name,
            session=allowed.active,
            csrf=allowed.active.csrf,
            family=record,
            members=members,
            drawing=drawing,
            undrawable=undrawable,
            entry=entry,
            may_declare=entry is None or entry.status in REDECLARABLE,
            stores=stores,
            problem=problem,
            trait=trait,
        )

    @app.post("/console/families/{code:path}", include_in_schema=False)
    async def declare_family(request: Request, code: str) -> Response:
        async with request.form() as form:
            trait = str(form.get("trait", ""))[:1001].strip()
            collection = str(form.get("collection", ""))[:65]
            csrf = str(form.get("csrf", ""))[:200]
        allowed = permit(node, request, DECLARE, form_csrf=csrf)
        if not CODE.match(code):
            return not_found(node, request, allowed, _no_family(request))
        if trait and not TRAIT.match(trait):
            problem = _("Describe the trait in at most 1,000 characters.", request)
            return _family_page(request, allowed, code, problem, trait[:1000], status=400)
        if collection:
            with db.reader() as session:
                genotyped = {s.collection for s in stores_of(session, allowed.institution)}
            if collection not in genotyped:
                problem = _("Choose one of your genotyped collections, or none.", request)
                return _family_page(request, allowed, code, problem, trait, status=400)
        try:
            await run_in_threadpool(_declare_pedigree, allowed, code, trait, collection)
        except NotFound:
            return not_found(node, request, allowed, _no_family(request))
        except (ValidationFailed, Conflict) as exc:
            return _family_page(
                request, allowed, code, _declaration_problem(exc, request), trait, status=400
            )
        return RedirectResponse(
            f"/console/families/{quote(code, safe='')}#declaration", status_code=303
        )

    def _declare_pedigree(allowed: Permit, code: str, trait: str, collection: str) -> None:
        institution = allowed.institution
        verification = None
        if collection:
            # Verifying reads the genotypes, so it runs before the declaration's transaction.
            checked = verify_collection_pedigrees(
                db, settings.home, institution=institution, collection=collection
            )
            verification = next((f for f in checked.families if f.family == code), None)
        with db.transaction() as session:
            declare_pedigree(
                session,
                allowed.actor,
                institution,
                code,
                trait=trait,
                verification=verification,
                excluded=settings.catalogue.excluded,
            )

    @app.get("/console/catalogue", include_in_schema=False)
    def catalogue(request: Request) -> HTMLResponse:
        allowed = permit(node, request, READ_MEMBERS)
        return _catalogue_page(request, allowed)

    def _catalogue_page(
        request: Request,
        allowed: Permit,
        problem: str = "",
        asked: dict[str, str] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        with db.reader() as session:
            entries = sorted(
                [
                    *_entries(session, allowed.institution, "pedigree").values(),
                    *_entries(session, allowed.institution, "region").values(),
                ],
                key=lambda e: e.id,
            )
            labels = region_labels(session)
        chinese = locale_of(request) == "zh_Hans"
        regions = sorted(
            ((code, names[1] if chinese else names[0]) for code, names in labels.items()),
            key=lambda pair: pair[0],
        )
        return render(
            request,
            "catalogue.html.j2",
            status=status,
            title=_("Catalogue declarations", request),
            node_name=settings.name,
            session=allowed.active,
            csrf=allowed.active.csrf,
            entries=entries,
            regions=regions,
            region_name=dict(regions),
            problem=problem,
            asked=asked or {},
        )

    @app.post("/console/catalogue", include_in_schema=False)
    async def declare_population(request: Request) -> Response:
        async with request.form() as form:
            asked = {
                name: str(form.get(name, ""))[:limit].strip()
                for name, limit in (("population", 101), ("region", 33), ("trait", 1001))
            }
            csrf = str(form.get("csrf", ""))[:200]
        allowed = permit(node, request, DECLARE, form_csrf=csrf)
        problem = ""
        if not POPULATION.match(asked["population"]):
            problem = _("Name the population in at most 100 characters, on one line.", request)
        elif not TRAIT.match(asked["trait"]):
            problem = _(
                "Say what makes the population's resources important, in at most 1,000 characters.",
                request,
            )
        if problem:
            return _catalogue_page(request, allowed, problem, asked, status=400)
        try:
            with db.transaction() as session:
                declare_region(
                    session,
                    allowed.actor,
                    allowed.institution,
                    asked["population"],
                    asked["region"],
                    trait=asked["trait"],
                )
        except NotFound:
            problem = _("Choose a region from the list.", request)
            return _catalogue_page(request, allowed, problem, asked, status=400)
        except (ValidationFailed, Conflict) as exc:
            problem = _declaration_problem(exc, request)
            return _catalogue_page(request, allowed, problem, asked, status=400)
        return RedirectResponse("/console/catalogue#declarations", status_code=303)


def _no_family(request: Request) -> str:
    return _("No family of your institution has this code.", request)


def _entries(session: Any, institution: str, kind: str) -> dict[str, CatalogueEntry]:
    """The institution's catalogue entries of ``kind``, by subject."""
    return {
        e.subject: e for e in catalogue_entries(session, institution=institution) if e.kind == kind
    }


def _declaration_problem(exc: ValidationFailed | Conflict, request: Request) -> str:
    """What the steward reads when the node refuses a declaration."""
    texts = {
        "E_CATALOGUE_CONDITION": _(
            "This family names no condition. Register its condition (families.csv, column "
            "“condition”) and declare it again.",
            request,
        ),
        "E_CATALOGUE_STATE": _(
            "This declaration is under review or registered already: it cannot be declared again.",
            request,
        ),
        "E_CATALOGUE_TRAIT": _("Say what makes the population's resources important.", request),
    }
    return texts.get(exc.code, exc.message)
