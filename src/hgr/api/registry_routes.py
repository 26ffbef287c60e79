"""Registry routes, generated from the entity descriptions of :mod:`hgr.registry.queries`.

For each entity: ``GET /registry/<entity>`` (filters, paging, key prefix search),
``GET /registry/<entity>/record`` (one record by its natural key) and, where a template exists,
``POST /registry/<entity>`` (rows as JSON, through the same validated, all-or-nothing import as
the CLI). ``POST /registry/import`` takes files as the CLI does.
"""

import re
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

import pydantic_core
from fastapi import FastAPI, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, create_model

from hgr.api.problems import MAX_POSITION
from hgr.audit import Actor
from hgr.auth.permissions import (
    Action,
    Decision,
    authorize_entity,
    authorize_import,
    import_target,
)
from hgr.auth.roles import Principal, ScopeLevel
from hgr.console.uploads import UploadFolder, upload_folder
from hgr.exceptions import NotFound, ValidationFailed
from hgr.issues import Issue, Origin, Severity
from hgr.node import Node
from hgr.registry.history import HISTORY_TABLES
from hgr.registry.importer import ImportResult, import_files
from hgr.registry.local_ids import readings
from hgr.registry.queries import ENTITIES, Entity, filter_choices
from hgr.registry.reading import Reader, read_first_listing, read_history, read_record
from hgr.registry.staging import TemplateRows, entities_written
from hgr.registry.templates import TEMPLATES

__all__ = ["add_registry_routes"]

# The import template that creates records of each entity (pedigree members come from PED
# files or Phenopackets, through POST /registry/import).
TEMPLATE_OF = {
    "institutions": "institutions",
    "collections": "collections",
    "donors": "donors",
    "samples": "samples",
    "consents": "consents",
    "ethics": "ethics_approvals",
    "families": "families",
    "files": "data_files",
}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 200  # characters of an uploaded file's name (it names the file in every issue)
# Control characters, and the halves of a UTF-16 surrogate pair that JSON's \\u escapes can
# carry alone (RFC 8259 §8.2): neither is text a registry value can hold.
# C0 and C1 controls (tab aside), the line and paragraph separators, and lone surrogates: no
# registry value holds one, and each breaks a line or a reader downstream.
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
"""Query values and keys: no control characters (they name nothing, and NUL cannot be
stored in PostgreSQL text)."""
MAX_ROWS = 10_000


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int = Field(description="how many records match (at most 1,000 are counted)")
    total_exact: bool = Field(description="false when more than `total` records match")
    limit: int
    offset: int


class ImportOut(BaseModel):
    dry_run: bool
    changed: bool
    batch: int | None
    changes: dict[str, dict[str, int]]
    warnings: list[dict[str, Any]]
    differences: list[dict[str, Any]] = Field(
        default_factory=list,
        description="every field of a registered record changed (or, in a dry run, that "
        "would be): table, record, field, before, after",
    )


class Rows(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rows: list[dict[str, str]] = Field(min_length=1, max_length=MAX_ROWS)


# Built once per entity: the models are the same for every app (tests build many).
@cache
def _filters_model(entity: str) -> type[BaseModel]:
    spec = ENTITIES[entity]
    fields: dict[str, Any] = {
        "limit": (int, Field(50, ge=1, le=1000)),
        "offset": (int, Field(0, ge=0, le=MAX_POSITION)),
        "q": (str | None, Field(None, max_length=200, pattern=PRINTABLE, description="key prefix")),
    }
    for name in spec.filters:
        choices = filter_choices(spec, name)
        # A controlled vocabulary is an enum in the document, so clients see the choices.
        kind: Any = Literal[choices] if choices else str
        fields[name] = (
            kind | None,
            None if choices else Field(None, max_length=200, pattern=PRINTABLE),
        )
    return create_model(
        f"{spec.name.title()}Filters", __config__=ConfigDict(extra="forbid"), **fields
    )


@cache
def _key_model(entity: str) -> type[BaseModel]:
    spec = ENTITIES[entity]
    fields: dict[str, Any] = {
        k: (str, Field(min_length=1, max_length=500, pattern=PRINTABLE)) for k in spec.key
    }
    return create_model(f"{spec.name.title()}Key", __config__=ConfigDict(extra="forbid"), **fields)


def _result(result: ImportResult) -> ImportOut:
    return ImportOut(
        dry_run=result.dry_run,
        changed=result.changed,
        batch=result.batch_id,
        changes={name: change.as_dict() for name, change in result.changes.items()},
        warnings=[issue.as_dict() for issue in result.report.warnings],
        differences=[change.as_dict() for change in result.differences],
    )


def add_registry_routes(
    app: FastAPI,
    node: Node,
    caller: Any,
    refuse: Callable[[Principal, str, str, str, Request], NoReturn],
) -> None:
    """Add the registry routes for every entity to ``app``."""
    db = node.db

    def actor(principal: Principal) -> Actor:
        return Actor(principal.actor, principal.role.value)

    def run_import(
        principal: Principal,
        request: Request,
        paths: Sequence[Path | TemplateRows],
        uploads: UploadFolder | None,
        institution: str | None,
        dry_run: bool,
        update: bool,
        entities: set[str],
        donor_key: str = "subject",
    ) -> ImportOut:
        institution = import_target(principal, institution)
        target = f"institutions/{institution}" if institution else "institutions"
        with db.reader() as session:
            decision = authorize_import(session, principal, entities, institution)
        if not decision.allowed:
            refuse(principal, "registry.import", target, decision.grounds, request)
        try:
            result = import_files(
                db,
                node.keys,
                paths,
                institution=institution,
                dry_run=dry_run,
                update=update,
                actor=actor(principal),
                grounds=decision.grounds,
                request_id=request.state.request_id,
                donor_key=donor_key,
            )
        except ValidationFailed as exc:
            if uploads is None:  # rows: their issues already point into the request
                raise
            raise uploads.relabel(exc) from exc
        return _result(result)

    for spec in ENTITIES.values():
        _entity_routes(
            app, spec, caller, refuse, db, actor, run_import, node.keys.pseudonymiser.pseudonym
        )

    @app.get(
        "/registry/history",
        tags=["registry"],
        summary="Every change to one registered record, values before and after",
    )
    def record_history(
        principal: caller,
        request: Request,
        entity: Annotated[Literal[tuple(HISTORY_TABLES)], Query()],  # type: ignore[valid-type]
        key: Annotated[str, Query(min_length=1, max_length=200, pattern=PRINTABLE)],
        institution: Annotated[str | None, Query(max_length=64, pattern=PRINTABLE)] = None,
    ) -> list[dict[str, Any]]:
        target = f"{entity}/{institution or ''}/{key}"
        with db.transaction() as session:
            decision = authorize_entity(session, principal, entity, Action.READ)
            if institution is None and principal.level is ScopeLevel.INSTITUTION:
                institution = principal.scope
            outside = (
                decision.visible is not None
                and entity != "institutions"
                and (institution or "") not in decision.visible
            )
            if decision.allowed and not outside:
                reader = Reader(
                    actor(principal), decision.grounds, request_id=request.state.request_id
                )
                pseudonym = node.keys.pseudonymiser.pseudonym
                return read_history(session, reader, entity, key, institution, pseudonym, target)
        refuse(
            principal,
            "registry.history",
            target,
            decision.grounds if not outside else "outside the caller's scope",
            request,
        )

    @app.post(
        "/registry/import",
        tags=["registry"],
        status_code=200,
        summary="Import template, PED and Phenopacket files (all or nothing)",
    )
    def import_upload(
        principal: caller,
        request: Request,
        files: Annotated[list[UploadFile], File(description="files as `hgr import` reads")],
        institution: Annotated[str | None, Form(max_length=64, pattern=PRINTABLE)] = None,
        dry_run: Annotated[bool, Form()] = False,
        update: Annotated[bool, Form(description="allow changes to registered records")] = False,
        donor_key: Annotated[
            Literal["subject", "id"],
            Form(
                description="what names a phenopacket's donor: its subject.id, or the "
                "phenopacket's id (a collection whose sources reuse subject ids)"
            ),
        ] = "subject",
    ) -> ImportOut:
        with upload_folder() as uploads:
            paths = [
                uploads.add_upload(upload.filename, upload.file.read(), number)
                for number, upload in enumerate(files)
            ]
            entities = entities_written(paths)
            return run_import(
                principal,
                request,
                paths,
                uploads,
                institution,
                dry_run,
                update,
                entities,
                donor_key,
            )


def _entity_routes(
    app: FastAPI,
    spec: Entity,
    caller: Any,
    refuse: Callable[[Principal, str, str, str, Request], NoReturn],
    db: Any,
    actor: Any,
    run_import: Callable[..., ImportOut],
    pseudonym: Callable[[str, str], str],
) -> None:
    name = spec.name

    def own_ids(principal: Principal, values: dict[str, Any]) -> list[dict[str, Any]]:
        """The readings of donors named by the institution's own id, as pseudonyms
        (:mod:`local_ids`), to try in order, for a steward of that institution only:
        computed for anyone else, the pseudonym of a guessed id at another institution would
        re-identify its donors wherever pseudonyms travel."""
        if principal.level is not ScopeLevel.INSTITUTION:
            return [values]
        if values.get("institution") not in (None, principal.scope):
            return [values]
        return readings(values, principal.scope, pseudonym)

    Filters = _filters_model(name)
    Key = _key_model(name)

    def reader_of(principal: Principal, decision: Decision, request: Request) -> Reader:
        return Reader(
            actor(principal),
            decision.grounds,
            visible=decision.visible,
            individual=decision.individual,
            request_id=request.state.request_id,
        )

    def list_route(
        principal: caller,
        request: Request,
        params: Annotated[Filters, Query()],  # type: ignore[valid-type]
    ) -> Response:
        values = params.model_dump(exclude_none=True)  # type: ignore[attr-defined]
        limit, offset, prefix = values.pop("limit"), values.pop("offset"), values.pop("q", None)
        with db.transaction() as session:
            decision = authorize_entity(session, principal, name, Action.READ)
            if decision.allowed:
                _, rows, total, exact = read_first_listing(
                    session,
                    reader_of(principal, decision, request),
                    name,
                    readings=own_ids(principal, values),
                    limit=limit,
                    offset=offset,
                    prefix=prefix,
                )
                # A Page's fields as a dict: the Page model would validate (copy) every row.
                return _json(
                    {
                        "items": rows,
                        "total": total,
                        "total_exact": exact,
                        "limit": limit,
                        "offset": offset,
                    }
                )
        refuse(principal, "registry.read", name, decision.grounds, request)

    def show_route(principal: caller, request: Request, key: Annotated[Key, Query()]) -> Response:  # type: ignore[valid-type]
        given = key.model_dump()  # type: ignore[attr-defined]
        tried = own_ids(principal, given)
        target = f"{name}/" + "/".join(str(v) for v in tried[0].values() if v is not None)
        with db.transaction() as session:
            decision = authorize_entity(session, principal, name, Action.READ)
            if decision.allowed:
                reader = reader_of(principal, decision, request)
                for parts in tried:
                    where = f"{name}/" + "/".join(str(v) for v in parts.values() if v is not None)
                    try:
                        return _json(read_record(session, reader, name, parts, where))
                    except NotFound as exc:
                        if exc.code != "E_NOT_FOUND":
                            raise
                        if tried == [given]:
                            raise
                # The message would name the pseudonym computed from the steward's id.
                shown = ", ".join(f"{k}={v}" for k, v in given.items() if v is not None)
                raise NotFound(f"no {name} record with {shown}", code="E_NOT_FOUND")
        refuse(principal, "registry.read", target, decision.grounds, request)

    app.get(f"/registry/{name}", tags=["registry"], summary=f"List {name}", response_model=Page)(
        list_route
    )
    app.get(
        f"/registry/{name}/record",
        tags=["registry"],
        response_model=dict[str, Any],
        summary=f"One of the {name} by its natural key",
    )(show_route)

    template_name = TEMPLATE_OF.get(name)
    if template_name is None:
        return
    template = TEMPLATES[template_name]

    def create_route(
        principal: caller,
        request: Request,
        body: Rows,
        institution: Annotated[str | None, Query(max_length=64, pattern=PRINTABLE)] = None,
        dry_run: bool = False,
        update: bool = False,
    ) -> ImportOut:
        _check_cells(body)
        rows = TemplateRows(template.name, body.rows)
        return run_import(principal, request, [rows], None, institution, dry_run, update, {name})

    app.post(
        f"/registry/{name}",
        tags=["registry"],
        status_code=200,
        summary=f"Create or update {name} from template rows (all or nothing)",
        description=f"Columns: {', '.join(template.column_names)} (docs/templates.md).",
    )(create_route)


def _json(value: BaseModel | dict[str, Any]) -> Response:
    """``value`` as the JSON body FastAPI would write for it, written directly.

    Listings and records are read on every request and are built here from registry
    columns, so FastAPI's validation of the returned value against the declared response
    model would only repeat what the columns guarantee (it cost a tenth of a listing's time).
    The OpenAPI document still declares the model, and the schema tests hold the responses
    to it.
    """
    if isinstance(value, BaseModel):
        return Response(value.model_dump_json(), media_type="application/json")
    return Response(pydantic_core.to_json(value), media_type="application/json")


def _check_cells(body: Rows) -> None:
    """Refuse line breaks and other control characters in cells: templates are one record
    per line, and no registry value holds a control character."""
    issues = [
        Issue(
            "E_CONTROL_CHARACTER",
            Severity.ERROR,
            Origin("rows", None, f"/rows/{n}"),
            "the cell holds a line break, another control character or a lone surrogate",
            "write the value on one line, as plain text",
            field=column,
        )
        for n, row in enumerate(body.rows)
        for column, value in row.items()
        if CONTROL.search(value) or CONTROL.search(column)
    ]
    if issues:
        raise ValidationFailed(
            f"{len(issues)} cell(s) hold control characters; nothing was written", issues
        )
