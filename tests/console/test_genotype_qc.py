"""The genotype QC page of a steward's collection: the store's figures, the plots, every
sample's QC, the read audited, and nothing for anyone else."""

from __future__ import annotations

import re

from sqlalchemy import select

from hgr.audit.models import AuditEvent
from hgr.genotypes.qc_report import qc_report
from tests.api.conftest import Api
from tests.console.test_sign_in import EN
from tests.console.test_steward import session_of


def _collection(api: Api) -> tuple[str, str]:
    from hgr.genotypes.models import GenotypeStore
    from hgr.registry import models as m

    with api.db.reader() as session:
        code, institution = session.execute(
            select(m.Collection.code, m.Institution.code)
            .join(GenotypeStore, GenotypeStore.collection_id == m.Collection.id)
            .join(m.Institution, m.Institution.id == m.Collection.institution_id)
        ).first()
    return code, institution


def test_the_steward_sees_the_qc_of_a_collection_with_its_plots(beacon_api: Api) -> None:
    collection, institution = _collection(beacon_api)
    token = session_of(beacon_api, "steward")
    reader = {**EN, "Cookie": f"hgr_session={token}"}
    home = beacon_api.client.get("/console/steward", headers=reader).text
    assert f'href="/console/genotypes/{collection}"' in home
    page = beacon_api.client.get(f"/console/genotypes/{collection}", headers=reader)
    assert page.status_code == 200
    assert page.text.count('<svg class="plot"') == 2
    report = qc_report(beacon_api.db, institution=institution, collection=collection)
    # One point per sample with a heterozygosity, in the first plot.
    first = page.text[page.text.index('<svg class="plot"') :]
    first = first[: first.index("</svg>")]
    with_het = sum(1 for r in report.samples if r["heterozygosity"] is not None)
    assert len(re.findall(r"<circle cx=", first)) == with_het + 2  # and two legend dots at most
    with beacon_api.db.reader() as session:
        audited = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "genotypes.qc")
        ).all()
    assert len(audited) == 1


def test_others_get_no_qc(beacon_api: Api) -> None:
    collection, _ = _collection(beacon_api)
    assert (
        beacon_api.client.get(
            f"/console/genotypes/{collection}", follow_redirects=False
        ).status_code
        == 303
    )
    token = session_of(beacon_api, "steward")
    reader = {**EN, "Cookie": f"hgr_session={token}"}
    for name in ("NOPE", "x" * 65, "%00"):
        assert (
            beacon_api.client.get(f"/console/genotypes/{name}", headers=reader).status_code == 404
        )
