"""Survey routes: how institution, province and national nodes exchange signed documents.

``GET /survey/cycles/{code}`` hands out a cycle's signed definition; ``POST /survey/returns``
takes an institution's signed return (from its steward); ``POST /survey/packages`` takes a
province's edition with the returns it names (from its provincial officer); ``GET
/survey/{cycle}/status`` shows a province's completeness, and ``GET
/survey/{cycle}/returns/{institution}`` where one institution's return stands there (to its
steward, and to the province's officers); ``GET /survey/{cycle}/tables/{name}``
serves the national edition's tables as published, with disclosure control.

The catalogue's documents take the same road: ``POST /catalogue/declarations`` takes an
institution's signed declarations (from its steward), ``POST /catalogue/reviews`` a province's
signed review with the declarations it names (from its provincial officer), and ``GET
/catalogue/register`` hands out the nation's signed register of protected resources to the
officers, committees and reviewers whose nodes enforce it.

A document that does not verify is refused as unprocessable (422): the caller sent it, and
nothing of it is kept.
"""

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn

from fastapi import FastAPI, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from hgr.audit import Actor
from hgr.auth.permissions import Action, authorize
from hgr.auth.roles import Principal
from hgr.catalogue.exchange import latest_register, receive_declarations, receive_review
from hgr.exceptions import FormatError, IntegrityBroken, NotFound, ValidationFailed
from hgr.federation.documents import Envelope, envelope_of
from hgr.node import Node
from hgr.survey.cycles import cycle_envelope
from hgr.survey.editions import completeness, receive_package, return_at_province
from hgr.survey.publish import PERSONS, TABLES, counted, published_edition
from hgr.survey.returns import receive_return

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["add_survey_routes"]

CODE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
MAX_DOCUMENT = 64 * 1024 * 1024  # a return lists every donor's pseudonym (65 bytes each)
TableName = Literal[("counts", *TABLES, "persons")]  # type: ignore[valid-type]


class EnvelopeIn(BaseModel):
    """A signed survey document as it travels between nodes."""

    model_config = ConfigDict(extra="forbid")
    body: str = Field(max_length=MAX_DOCUMENT, description="canonical JSON that was signed")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    signer: str = Field(max_length=200)
    key_id: str = Field(pattern=r"^[0-9a-f]{8}$")
    signature: str = Field(max_length=100, description="base64 Ed25519 signature")


class PackageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    edition: EnvelopeIn
    earlier: list[EnvelopeIn] = Field(default_factory=list, max_length=1000)
    returns: list[EnvelopeIn] = Field(max_length=100_000)


class ReviewPackageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    review: EnvelopeIn
    declarations: list[EnvelopeIn] = Field(max_length=10_000)


class StoredOut(BaseModel):
    kind: str
    cycle: str
    subject: str
    version: int
    sha256: str


class StatusOut(BaseModel):
    institution: str
    name: str
    state: str = Field(description="returned, late, missing, overdue or invalid")
    version: int | None
    sha256: str | None
    received_at: dt.datetime | None
    problems: list[str]


class ReturnAtProvinceOut(StatusOut):
    province: str
    edition_version: int | None = Field(description="The province's latest edition, if any")
    compiled_at: str
    included_version: int | None = Field(
        description="The version of this institution's return that edition holds"
    )


class TableOut(BaseModel):
    name: str
    edition: str = Field(description="SHA-256 of the national edition")
    threshold: int
    interval: int = Field(description="the least width of what a hidden count can be worked out to")
    units: dict[str, str] = Field(description="what each column counts")
    labels: dict[str, str] = Field(
        default_factory=dict, description="what a column's code means (diagnoses, DUO)"
    )
    columns: list[str]
    rows: list[dict[str, Any]] = Field(description="unit, then each column (null: withheld)")


def _content(envelope: EnvelopeIn) -> dict[str, Any]:
    try:
        return Envelope.from_dict(envelope.model_dump()).content
    except FormatError as exc:  # the body is not a survey document
        raise ValidationFailed(exc.message, code="E_NOT_A_DOCUMENT") from None


def add_survey_routes(
    app: FastAPI,
    node: Node,
    caller: Any,
    refuse: Callable[[Principal, str, str, str, Request], NoReturn],
) -> None:
    """Add the survey routes to ``app``."""
    db = node.db
    own = node.verifier()
    settings = node.settings.survey

    def stored(document: Any) -> StoredOut:
        return StoredOut(
            kind=document.kind,
            cycle=document.cycle,
            subject=document.subject,
            version=document.version,
            sha256=document.sha256,
        )

    def keep(work: Callable[[], Any]) -> Any:
        # A document that does not verify is the sender's problem, not a server error.
        try:
            return work()
        except IntegrityBroken as exc:
            raise ValidationFailed(exc.message, code=exc.code) from None

    @app.get("/survey/cycles/{code}", tags=["survey"], summary="A cycle's signed definition")
    def cycle_definition(
        principal: caller, code: Annotated[str, Path(pattern=CODE)]
    ) -> dict[str, str]:
        with db.reader() as session:
            return cycle_envelope(session, code).as_dict()

    def receive(
        principal: Principal,
        request: Request,
        action: Action,
        verb: str,
        sender: EnvelopeIn,
        kept: Callable[["Session"], Any],
    ) -> StoredOut:
        # One way in for every document: the role may send, the document speaks for the
        # caller's own institution or province, and it verifies (or nothing is kept).
        with db.reader() as session:
            decision = authorize(session, principal, action)
        if not decision.allowed:
            refuse(principal, verb, f"survey/{action.value}", decision.grounds, request)
        content = _content(sender)
        if principal.scope != str(content["subject"]):
            target = f"survey/{content['cycle']}/{content['kind']}/{content['subject']}"
            refuse(principal, verb, target, "outside the caller's scope", request)
        with db.transaction() as session:
            return stored(keep(lambda: kept(session)))

    @app.post("/survey/returns", tags=["survey"], summary="Receive an institution's signed return")
    def post_return(principal: caller, request: Request, document: EnvelopeIn) -> StoredOut:
        return receive(
            principal,
            request,
            Action.SURVEY_SUBMIT,
            "survey.return.store",
            document,
            lambda session: receive_return(session, _actor(principal), document.model_dump(), own),
        )

    @app.post(
        "/survey/packages",
        tags=["survey"],
        summary="Receive a province's signed edition and the returns it names",
    )
    def post_package(principal: caller, request: Request, sent: PackageIn) -> StoredOut:
        return receive(
            principal,
            request,
            Action.SURVEY_SEND,
            "survey.package.store",
            sent.edition,
            lambda session: receive_package(session, _actor(principal), sent.model_dump(), own),
        )

    @app.post(
        "/catalogue/declarations",
        tags=["catalogue"],
        summary="Receive an institution's signed catalogue declarations",
    )
    def post_declarations(principal: caller, request: Request, document: EnvelopeIn) -> StoredOut:
        return receive(
            principal,
            request,
            Action.SURVEY_SUBMIT,
            "catalogue.declare.receive",
            document,
            lambda session: receive_declarations(
                session, _actor(principal), document.model_dump(), own
            ),
        )

    @app.post(
        "/catalogue/reviews",
        tags=["catalogue"],
        summary="Receive a province's signed review and the declarations it names",
    )
    def post_review(principal: caller, request: Request, sent: ReviewPackageIn) -> StoredOut:
        return receive(
            principal,
            request,
            Action.SURVEY_SEND,
            "catalogue.review.receive",
            sent.review,
            lambda session: receive_review(session, _actor(principal), sent.model_dump(), own),
        )

    @app.get(
        "/catalogue/register",
        tags=["catalogue"],
        summary="The nation's signed register of protected resources",
    )
    def catalogue_register(principal: caller, request: Request) -> dict[str, str]:
        with db.reader() as session:
            decision = authorize(session, principal, Action.CATALOGUE_READ)
            if decision.allowed:
                return envelope_of(latest_register(session, settings.nation)).as_dict()
        refuse(
            principal, "catalogue.register.read", "catalogue/register", decision.grounds, request
        )

    @app.get("/survey/{cycle}/status", tags=["survey"], summary="Who in a province has returned")
    def status(
        principal: caller,
        request: Request,
        cycle: Annotated[str, Path(pattern=CODE)],
        province: Annotated[str, Query(pattern=CODE)],
    ) -> list[StatusOut]:
        target = f"survey/{cycle}/status/{province}"
        with db.reader() as session:
            decision = authorize(session, principal, Action.SURVEY_STATUS)
            if decision.allowed and principal.scope in ("", province):
                return [
                    StatusOut(**s.__dict__) for s in completeness(session, cycle, province, own=own)
                ]
        grounds = decision.grounds if not decision.allowed else "outside the caller's scope"
        refuse(principal, "survey.status", target, grounds, request)

    @app.get(
        "/survey/{cycle}/returns/{institution}",
        tags=["survey"],
        summary="Where an institution's return stands at this province",
    )
    def return_status(
        principal: caller,
        request: Request,
        cycle: Annotated[str, Path(pattern=CODE)],
        institution: Annotated[str, Path(pattern=CODE)],
    ) -> ReturnAtProvinceOut:
        # The steward who sends the institution's return asks after it; the province's
        # officers see every return of their province, as in its completeness.
        target = f"survey/{cycle}/returns/{institution}"
        with db.reader() as session:
            steward = authorize(session, principal, Action.SURVEY_SUBMIT)
            officer = authorize(session, principal, Action.SURVEY_STATUS)
            if steward.allowed and principal.scope == institution:
                found = return_at_province(session, cycle, institution, own=own)
            elif officer.allowed:
                found = return_at_province(session, cycle, institution, own=own)
                if principal.scope not in ("", found.province):
                    found = None
            else:
                found = None
            if found is not None:
                return ReturnAtProvinceOut(
                    **found.status.__dict__,
                    province=found.province,
                    edition_version=found.edition_version,
                    compiled_at=found.compiled_at,
                    included_version=found.included_version,
                )
        grounds = (
            steward.grounds
            if not (steward.allowed or officer.allowed)
            else "outside the caller's scope"
        )
        refuse(principal, "survey.return.status", target, grounds, request)

    @app.get(
        "/survey/{cycle}/tables/{name}",
        tags=["survey"],
        summary="A table of the national edition, as published",
    )
    def table(
        principal: caller, cycle: Annotated[str, Path(pattern=CODE)], name: TableName
    ) -> TableOut:
        with db.reader() as session:
            published = published_edition(session, cycle, settings.nation)
        if published is None:
            raise NotFound(f"no national edition of {cycle} is published", code="E_NO_EDITION")
        if name == PERSONS:
            columns = published.person_columns()
            rows = [{"unit": unit, **published.person_row(unit)} for unit in published.persons]
        elif name in published.tables:
            protected = published.tables[name]
            columns = protected.table.columns
            rows = [{"unit": unit, **protected.row(unit)} for unit in protected.table.units]
        else:  # a table added to the dictionary after the cycle was opened
            raise NotFound(
                f"the national edition of {cycle} has no table {name}", code="E_NO_EDITION"
            )
        return TableOut(
            name=name,
            edition=published.edition,
            threshold=published.threshold,
            interval=published.interval,
            units={c: counted(name, c) for c in columns},
            labels={c: label for c in columns if (label := published.label(name, c))},
            columns=columns,
            rows=rows,
        )


def _actor(principal: Principal) -> Actor:
    return Actor(principal.actor, principal.role.value)
