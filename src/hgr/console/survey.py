"""The steward's survey return: the cycles held here and where the return to each stands; a
preview of the draft with every table, the form the cycle asks for, and signing.

The draft is counted from the registry by the service the CLI uses
(:func:`hgr.survey.returns.draft_return`), checked by the rules the province applies
(:func:`hgr.survey.returns.validate_return`), and signed by
:func:`hgr.survey.returns.submit_return` with the node's key. What is signed is what the
steward saw: the preview carries a digest of its counts and answers, and signing first counts
the draft again; if the registry or the answers changed since the preview, nothing is signed
and the steward sees the return as it stands now.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hgr.auth.permissions import Action
from hgr.console.guard import Need, Permit, not_found, permit
from hgr.console.pages import render
from hgr.console.pages import say as _
from hgr.exceptions import ConfigurationError, Conflict, HgrError, NotFound, ValidationFailed
from hgr.issues import Severity
from hgr.node import Node
from hgr.survey.cycles import cycle_dictionary, get_cycle
from hgr.survey.delivery import Province, province_of
from hgr.survey.dictionary import FieldSpec
from hgr.survey.returns import draft_return, return_statuses, submit_return, validate_return

__all__ = ["SUBMIT_RETURN", "add_province_pages", "add_survey_pages"]

SUBMIT_RETURN = Need(Action.SURVEY_SUBMIT)
CYCLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
MAX_ANSWER = 4000  # characters of one answer (the longest text field a return allows)
# The columns of each line of a list field, written "name; country" in the form.
LIST_COLUMNS = {"foreign_partners": ("name", "country")}


class _NotAsPreviewed(Exception):
    """The return counted now is not the one the steward previewed."""


def _latest(session: Any, cycle: str, institution: str) -> str:
    """The digest of the institution's latest signed return to ``cycle`` (empty before one)."""
    status = next((s for s in return_statuses(session, institution) if s.cycle == cycle), None)
    return status.sha256 if status is not None else ""


def answers_from(form: Mapping[str, str], fields: tuple[FieldSpec, ...]) -> dict[str, Any]:
    """The form's answers as the return holds them. A count that is not a whole number is kept
    as written, for the return's own rules to report at its field."""
    answers: dict[str, Any] = {}
    for spec in fields:
        raw = form.get(spec.code, "").strip()
        if not raw:
            continue
        if spec.kind == "count":
            answers[spec.code] = int(raw) if raw.isascii() and raw.isdigit() else raw
        elif spec.kind == "boolean":
            answers[spec.code] = {"yes": True, "no": False}.get(raw, raw)
        elif spec.kind == "list":
            columns = LIST_COLUMNS.get(spec.code, ("value",))
            answers[spec.code] = [
                dict(zip(columns, (part.strip() for part in line.split(";")), strict=False))
                for line in raw.splitlines()
                if line.strip()
            ]
        else:
            answers[spec.code] = raw
    return answers


def form_text(spec: FieldSpec, value: Any) -> str:
    """An answer as the form shows it again."""
    if value is None:
        return ""
    if spec.kind == "boolean" and isinstance(value, bool):
        return "yes" if value else "no"
    if spec.kind == "list" and isinstance(value, list):
        # In the form's order of columns: a signed body keeps its keys sorted.
        columns = LIST_COLUMNS.get(spec.code, ("value",))
        return "\n".join("; ".join(str(item.get(c, "")) for c in columns) for item in value)
    return str(value)


def _digest(body: Mapping[str, Any], latest: str) -> str:
    """What the steward saw: the counts, the answers, and the version signed before (so that
    one preview signs one version, however often its form is sent)."""
    shown = {
        "fields": body["fields"],
        "form": body["form"],
        "cycle": body["cycle"],
        "latest": latest,
    }
    return hashlib.sha256(json.dumps(shown, sort_keys=True, default=str).encode()).hexdigest()


def add_survey_pages(app: FastAPI, node: Node) -> None:
    """Add the steward's survey pages to ``app``."""
    db, settings = node.db, node.settings

    @app.get("/console/survey", include_in_schema=False)
    def returns(request: Request) -> HTMLResponse:
        allowed = permit(node, request, SUBMIT_RETURN)
        with db.reader() as session:
            statuses = return_statuses(session, allowed.institution)
        return render(
            request,
            "survey_returns.html.j2",
            title=_("Survey return", request),
            node_name=settings.name,
            session=allowed.active,
            statuses=statuses,
        )

    def preview(
        request: Request,
        allowed: Permit,
        cycle: str,
        answers: Mapping[str, Any] | None,
        notice: str = "",
    ) -> HTMLResponse:
        with db.reader() as session:
            try:
                held = get_cycle(session, cycle)
            except NotFound:
                return not_found(node, request, allowed, _("No such survey cycle.", request))
            dictionary = cycle_dictionary(held)
            if answers is None:  # the latest signed answers, to start from
                statuses = return_statuses(session, allowed.institution)
                answers = next((s.form for s in statuses if s.cycle == cycle), {})
            body = draft_return(session, cycle, allowed.institution, answers, preview=True)
            latest = _latest(session, cycle, allowed.institution)
        issues = validate_return(body, dictionary, "return")
        errors = [i for i in issues if i.severity is Severity.ERROR]
        return render(
            request,
            "survey_return.html.j2",
            title=_("Survey return", request),
            node_name=settings.name,
            session=allowed.active,
            csrf=allowed.active.csrf,
            cycle=held,
            dictionary=dictionary,
            body=body,
            issues=issues,
            errors=errors,
            answers={f.code: form_text(f, body["form"].get(f.code)) for f in dictionary.form},
            digest=_digest(body, latest),
            notice=notice,
        )

    @app.get("/console/survey/{cycle}", include_in_schema=False)
    def draft(request: Request, cycle: str) -> HTMLResponse:
        allowed = permit(node, request, SUBMIT_RETURN)
        if not CYCLE.match(cycle):
            return not_found(node, request, allowed, _("No such survey cycle.", request))
        return preview(request, allowed, cycle, None)

    @app.post("/console/survey/{cycle}", include_in_schema=False)
    async def check_or_sign(request: Request, cycle: str) -> HTMLResponse:
        async with request.form() as form:
            sent = {k: str(v)[:MAX_ANSWER] for k, v in form.items() if isinstance(v, str)}
        allowed = await run_in_threadpool(
            permit, node, request, SUBMIT_RETURN, form_csrf=sent.get("csrf", "")
        )
        if not CYCLE.match(cycle):
            return not_found(node, request, allowed, _("No such survey cycle.", request))
        return await run_in_threadpool(sign_or_preview, request, allowed, cycle, sent)

    def sign_or_preview(
        request: Request, allowed: Permit, cycle: str, sent: Mapping[str, str]
    ) -> HTMLResponse:
        with db.reader() as session:
            try:
                dictionary = cycle_dictionary(get_cycle(session, cycle))
            except NotFound:
                return not_found(node, request, allowed, _("No such survey cycle.", request))
        answers = answers_from(sent, dictionary.form)
        if sent.get("action") != "sign":
            return preview(request, allowed, cycle, answers)
        try:
            with db.transaction() as session:
                body = draft_return(session, cycle, allowed.institution, answers)
                latest = _latest(session, cycle, allowed.institution)
                if _digest(body, latest) != sent.get("digest"):
                    raise _NotAsPreviewed
                document = submit_return(
                    session, node.signer(), allowed.actor, body, f"return to {cycle}"
                )
                signed = {
                    "version": document.version,
                    "sha256": document.sha256,
                    "replaces": document.replaces,
                }
        except (_NotAsPreviewed, Conflict):  # Conflict: another signature came first
            notice = _(
                "The registry or your answers changed since the preview: nothing was signed. "
                "Check the return as it stands now, then sign it.",
                request,
            )
            return preview(request, allowed, cycle, answers, notice)
        except ValidationFailed:  # the preview lists every rule that fails
            return preview(request, allowed, cycle, answers)
        return render(
            request,
            "survey_signed.html.j2",
            title=_("Return signed", request),
            node_name=settings.name,
            session=allowed.active,
            cycle=cycle,
            signed=signed,
        )


def add_province_pages(app: FastAPI, node: Node) -> None:
    """Add the page that sends the return to the province and shows where it stands there."""
    db, settings = node.db, node.settings

    def province() -> Province | None:
        return province_of(
            settings.home, settings.survey.province, settings.survey.province_token_file
        )

    def page(
        request: Request, allowed: Permit, cycle: str, notice: str = "", problem: str = ""
    ) -> HTMLResponse:
        with db.reader() as session:
            statuses = {s.cycle: s for s in return_statuses(session, allowed.institution)}
        if cycle not in statuses:
            return not_found(node, request, allowed, _("No such survey cycle.", request))
        there: dict[str, Any] | None = None
        configured = bool(settings.survey.province)
        try:
            reached = province()
            if reached is not None:
                there = reached.return_status(cycle, allowed.institution)
        except ConfigurationError:
            problem = problem or _(
                "The node's settings name a province but its token cannot be read: tell your "
                "node's operator.",
                request,
            )
        except HgrError as exc:
            problem = problem or _(
                "The province's node did not answer: %(why)s", request, why=exc.message
            )
        return render(
            request,
            "survey_province.html.j2",
            status=502 if problem and not there and configured else 200,
            title=_("Your return at the province", request),
            node_name=settings.name,
            session=allowed.active,
            csrf=allowed.active.csrf,
            cycle=cycle,
            local=statuses[cycle],
            configured=configured,
            there=there,
            notice=notice,
            problem=problem,
        )

    @app.get("/console/survey/{cycle}/province", include_in_schema=False)
    async def at_province(request: Request, cycle: str) -> HTMLResponse:
        allowed = await run_in_threadpool(permit, node, request, SUBMIT_RETURN)
        if not CYCLE.match(cycle):
            return not_found(node, request, allowed, _("No such survey cycle.", request))
        notice = (
            _("The province kept your return.", request)
            if request.query_params.get("sent") == "1"
            else ""
        )
        return await run_in_threadpool(page, request, allowed, cycle, notice)

    @app.post("/console/survey/{cycle}/province", include_in_schema=False)
    async def send(request: Request, cycle: str) -> Response:
        async with request.form() as form:
            csrf = str(form.get("csrf", ""))[:200]
        allowed = await run_in_threadpool(permit, node, request, SUBMIT_RETURN, form_csrf=csrf)
        if not CYCLE.match(cycle):
            return not_found(node, request, allowed, _("No such survey cycle.", request))
        try:
            reached = province()
            if reached is None:
                problem = _("This node does not reach its province's node.", request)
            else:
                await run_in_threadpool(
                    reached.send_return, db, allowed.actor, cycle, allowed.institution
                )
                return RedirectResponse(f"/console/survey/{cycle}/province?sent=1", status_code=303)
        except HgrError as exc:
            problem = _("The province did not keep your return: %(why)s", request, why=exc.message)
        return await run_in_threadpool(page, request, allowed, cycle, "", problem)
