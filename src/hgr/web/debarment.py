"""The public debarment page: every entry in force, its ground and the published reasons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

__all__ = ["entries_html"]


def entries_html(rows: Sequence[dict[str, Any]], *, issuer: str, today: dt.date) -> str:
    """The page for ``rows`` (:func:`hgr.debarment.public_entries`), escaped throughout."""
    environment = Environment(
        loader=PackageLoader("hgr.web", "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    return environment.get_template("debarment_list.html.j2").render(
        rows=rows, issuer=issuer, today=today.isoformat()
    )
