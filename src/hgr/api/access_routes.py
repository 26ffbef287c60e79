"""Access routes: the withdrawal notices a recipient must act on.

``GET /access/notices`` publishes first (a withdrawal recorded a moment ago is already in the
answer) and then lists the notices of the caller's own requests; national officers and auditors
see every notice.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any, NoReturn

from fastapi import FastAPI, Request
from pydantic import BaseModel
from sqlalchemy import select

from hgr.access.export import publish_withdrawals
from hgr.access.models import ExportPackage, RequestRecord, WithdrawalNotice
from hgr.audit import Actor
from hgr.auth import Action, Principal, Role, authorize
from hgr.node import Node

__all__ = ["add_access_routes"]

OVERSEERS = {Role.NATIONAL_OFFICER, Role.AUDITOR}


class NoticeOut(BaseModel):
    request: str
    export: str
    donor: str
    withdrawn_on: dt.date
    published_at: dt.datetime


def add_access_routes(
    app: FastAPI,
    node: Node,
    caller: Any,
    refuse: Callable[[Principal, str, str, str, Request], NoReturn],
) -> None:
    """Add the access routes to ``app``."""
    db = node.db

    @app.get("/access/notices", tags=["access"],
             summary="Withdrawal notices for the caller's requests")  # fmt: skip
    def notices(principal: caller, request: Request) -> list[NoticeOut]:
        with db.reader() as session:
            decision = authorize(session, principal, Action.ACCESS_NOTICES)
        if not decision.allowed:
            refuse(principal, "access.notices", "access/notices", decision.grounds, request)
        with db.transaction() as session:
            publish_withdrawals(session, Actor(principal.actor, principal.role.value), node.keys)
            query = (select(WithdrawalNotice, RequestRecord.number, ExportPackage.number)
                     .join(RequestRecord, RequestRecord.id == WithdrawalNotice.request_id)
                     .join(ExportPackage, ExportPackage.id == WithdrawalNotice.export_id)
                     .order_by(WithdrawalNotice.id))  # fmt: skip
            if principal.role not in OVERSEERS:
                query = query.where(RequestRecord.requester == principal.actor.split(":", 1)[-1])
            return [NoticeOut(request=number, export=export, donor=n.donor,
                              withdrawn_on=n.withdrawn_on, published_at=n.published_at)
                    for n, number, export in session.execute(query)]  # fmt: skip
