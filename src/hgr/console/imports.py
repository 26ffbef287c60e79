"""The steward's import: upload, see every problem at its file, row and field, mend, upload
again, review what would change field by field, and confirm.

Nothing is written until the steward confirms. The files are checked by the importer's own dry
run (:func:`hgr.registry.importer.import_files`), the one the CLI and the API use, and are held
in memory only (:mod:`hgr.console.uploads`): between the review and the confirmation the node
keeps no copy at all. The review page carries the files back in its confirmation form, with a
digest of the files and of the changes shown. On confirmation the import runs for real, and
commits only if, within its transaction, it makes exactly the changes reviewed (the
importer's ``reviewed``). Should another import have changed the same records meanwhile, or
the files not be those reviewed, nothing is written and the steward sees the changes to review
as they stand now.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from hgr.auth.permissions import Action, authorize_import
from hgr.console.account import current_session
from hgr.console.guard import Need, PageRefused, Permit, permit, refusal
from hgr.console.pages import render
from hgr.console.pages import say as _
from hgr.console.uploads import upload_folder
from hgr.exceptions import Conflict, NotFound, UsageError, ValidationFailed
from hgr.issues import Issue
from hgr.node import Node
from hgr.registry.importer import ImportResult, import_files
from hgr.registry.phenopackets import DONOR_KEYS
from hgr.registry.staging import entities_written

__all__ = ["WRITE_HOLDINGS", "add_import_pages"]

# Every holdings entity has the same writers (hgr.auth.permissions), so collections stands for
# them all; an upload's own files decide what it writes (entities_written).
WRITE_HOLDINGS = Need(Action.WRITE, "collections")
MAX_FILES = 20
MAX_FIELD = 300


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name it was sent under, and its bytes."""

    name: str
    data: bytes


def _digest(uploads: Sequence[Upload], donor_key: str, result: ImportResult) -> str:
    """What the steward reviewed: the files, how their phenopackets name donors, and every
    change they make."""
    shown = {
        "files": [[u.name, hashlib.sha256(u.data).hexdigest()] for u in uploads],
        "donor_key": donor_key,
        "changes": {k: v.as_dict() for k, v in sorted(result.changes.items())},
        "differences": [d.as_dict() for d in result.differences],
    }
    return hashlib.sha256(json.dumps(shown, sort_keys=True, default=str).encode()).hexdigest()


def add_import_pages(app: FastAPI, node: Node) -> None:
    """Add the import form, its review and its confirmation to ``app``."""
    settings = node.settings

    def page(
        request: Request,
        allowed: Permit,
        *,
        issues: Sequence[Issue] = (),
        problem: str = "",
        status: int = 200,
        donor_key: str = DONOR_KEYS[0],
    ) -> HTMLResponse:
        return render(
            request,
            "import.html.j2",
            status=status,
            title=_("Import", request),
            node_name=settings.name,
            session=allowed.active,
            csrf=allowed.active.csrf,
            issues=issues,
            problem=problem,
            max_files=MAX_FILES,
            donor_key=donor_key,
        )

    def checked(
        request: Request,
        allowed: Permit,
        uploads: Sequence[Upload],
        donor_key: str,
        shown: str | None = None,
    ) -> ImportResult | HTMLResponse:
        """The dry run of importing ``uploads`` for ``allowed``'s reader, their phenopackets'
        donors named by ``donor_key``, or, given the digest ``shown`` of what they reviewed,
        the import itself; or the page that says why it cannot be."""
        institution = allowed.institution
        with upload_folder() as folder:
            try:
                paths = [folder.add_upload(u.name, u.data, n) for n, u in enumerate(uploads)]
            except UsageError as exc:
                return page(request, allowed, problem=exc.message, status=400, donor_key=donor_key)
            with node.db.reader() as session:
                decision = authorize_import(
                    session, allowed.principal, entities_written(paths), institution
                )
            if not decision.allowed:
                raise PageRefused(
                    refusal(node, request, allowed.active, "registry.import", decision.grounds)
                )
            try:
                return import_files(
                    node.db,
                    node.keys,
                    paths,
                    institution=institution,
                    dry_run=shown is None,
                    update=True,  # changes are shown and confirmed field by field
                    actor=allowed.actor,
                    grounds=decision.grounds,
                    request_id=allowed.request_id,
                    reviewed=None
                    if shown is None
                    else lambda r: _digest(uploads, donor_key, r) == shown,
                    donor_key=donor_key,
                )
            except ValidationFailed as exc:
                found = folder.relabel(exc)
                return page(
                    request,
                    allowed,
                    issues=found.issues,
                    problem=found.message,
                    donor_key=donor_key,
                )
            except Conflict as exc:
                if exc.code != "E_CHANGED_SINCE_REVIEW":
                    return page(
                        request, allowed, problem=exc.message, status=409, donor_key=donor_key
                    )
            except NotFound as exc:
                return page(request, allowed, problem=exc.message, status=409, donor_key=donor_key)
        # Not as reviewed: the changes as they stand now, to review again.
        again = checked(request, allowed, uploads, donor_key)
        if isinstance(again, Response):
            return again
        notice = _(
            "The registry changed since you checked these files, or the files did: nothing "
            "was written. Review the changes as they stand now.",
            request,
        )
        return review(request, allowed, uploads, donor_key, again, notice)

    def review(
        request: Request,
        allowed: Permit,
        uploads: Sequence[Upload],
        donor_key: str,
        result: ImportResult,
        notice: str = "",
    ) -> HTMLResponse:
        return render(
            request,
            "import_review.html.j2",
            title=_("Review the changes", request),
            node_name=settings.name,
            session=allowed.active,
            csrf=allowed.active.csrf,
            result=result,
            files=[(u.name, base64.b64encode(u.data).decode()) for u in uploads],
            donor_key=donor_key,
            digest=_digest(uploads, donor_key, result),
            notice=notice,
        )

    @app.get("/console/import", include_in_schema=False)
    def import_form(request: Request) -> HTMLResponse:
        return page(request, permit(node, request, WRITE_HOLDINGS))

    def signed_in_first(request: Request) -> None:
        """Refuse a reader who is not signed in before their upload is read: files are held
        in memory, and only a signed-in steward may make the node hold them."""
        if current_session(node, request) is None:
            permit(node, request, WRITE_HOLDINGS)  # raises PageRefused: sign in first

    @app.post("/console/import", include_in_schema=False)
    async def import_check(request: Request) -> Response:
        await run_in_threadpool(signed_in_first, request)
        async with request.form(max_files=MAX_FILES + 1) as form:
            csrf = str(form.get("csrf", ""))[:MAX_FIELD]
            donor_key = str(form.get("donor_key", DONOR_KEYS[0]))[:MAX_FIELD]
            sent = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
            uploads = [Upload(f.filename or "", await f.read()) for f in sent if f.filename]
        allowed = await run_in_threadpool(permit, node, request, WRITE_HOLDINGS, form_csrf=csrf)
        if donor_key not in DONOR_KEYS:
            problem = _("Choose how phenopackets name their donors.", request)
            return page(request, allowed, problem=problem, status=400)
        if not uploads or len(uploads) > MAX_FILES:
            problem = _("Choose between 1 and %(n)s files.", request, n=str(MAX_FILES))
            return page(request, allowed, problem=problem, status=400, donor_key=donor_key)
        result = await run_in_threadpool(checked, request, allowed, uploads, donor_key)
        if isinstance(result, Response):
            return result
        return review(request, allowed, uploads, donor_key, result)

    @app.post("/console/import/confirm", include_in_schema=False)
    async def import_confirm(request: Request) -> Response:
        await run_in_threadpool(signed_in_first, request)
        # The files come back base64 in form fields, each as large as an upload may be.
        async with request.form(max_part_size=settings.service.max_body_bytes) as form:
            csrf = str(form.get("csrf", ""))[:MAX_FIELD]
            shown = str(form.get("digest", ""))[:MAX_FIELD]
            donor_key = str(form.get("donor_key", DONOR_KEYS[0]))[:MAX_FIELD]
            names = [str(v)[:MAX_FIELD] for v in form.getlist("name")][: MAX_FILES + 1]
            contents = [str(v) for v in form.getlist("content")][: MAX_FILES + 1]
        allowed = await run_in_threadpool(permit, node, request, WRITE_HOLDINGS, form_csrf=csrf)
        try:
            uploads = [
                Upload(name, base64.b64decode(content, validate=True))
                for name, content in zip(names, contents, strict=True)
            ]
        except (binascii.Error, ValueError):
            uploads = []
        if not uploads or len(uploads) > MAX_FILES or donor_key not in DONOR_KEYS:
            problem = _("The confirmation did not carry the files: upload them again.", request)
            return page(request, allowed, problem=problem, status=400)
        written = await run_in_threadpool(checked, request, allowed, uploads, donor_key, shown)
        if isinstance(written, Response):
            return written
        return render(
            request,
            "import_done.html.j2",
            title=_("Imported", request),
            node_name=settings.name,
            session=allowed.active,
            result=written,
        )
