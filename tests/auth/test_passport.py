"""GA4GH Passport visas: the good ones are kept, and every forgery of security.md T9(c) is not."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hgr.api.app import create_app
from hgr.auth.keysets import KeySets
from hgr.auth.passport import BONA_FIDE, Passport, verify_passport
from hgr.config import OidcSettings, PassportSettings, ServiceSettings, Settings
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import NotAuthenticated
from hgr.node import Node
from tests.auth.idp import Issuer, hmac_signed, unsigned

BROKER = "https://broker.example.org"
VISAS = "https://visas.example.org"
DATASET = "https://hgr.example.org/datasets/EGAD00001"


@pytest.fixture
def broker(tmp_path: Path) -> Issuer:
    return Issuer(tmp_path / "broker", BROKER)


@pytest.fixture
def visas(tmp_path: Path) -> Issuer:
    return Issuer(tmp_path / "visas", VISAS, kind="EC")


def _settings(visas: Issuer, **overrides: Any) -> PassportSettings:
    return PassportSettings(trusted=(f"{VISAS} {visas.jwks_url}",), **overrides)


def _check(visas: Issuer, tokens: list[str], **overrides: Any) -> Passport:
    claims = {"iss": BROKER, "sub": "alice-sub", "ga4gh_passport_v1": tokens}
    return verify_passport(claims, _settings(visas, **overrides), KeySets())


def test_good_visas_give_registered_access_and_grants(visas: Issuer) -> None:
    passport = _check(
        visas,
        [
            visas.visa("AcceptedTermsAndPolicies", BONA_FIDE, by="self"),
            visas.visa("ResearcherStatus", BONA_FIDE, by="so"),
            visas.visa("ControlledAccessGrants", DATASET),
            visas.visa("AffiliationAndRole", "faculty@example.edu", by="system"),
            visas.visa("https://example.org/custom-visa", "anything"),
        ],
    )
    assert passport.rejected == ()
    assert passport.registered_access
    assert passport.controlled_access_grants == (DATASET,)
    assert passport.expires is not None
    assert passport.expires > time.time()
    assert not _check(visas, [visas.visa("ResearcherStatus", BONA_FIDE)]).registered_access


def test_forged_and_invalid_visas_are_ignored(visas: Issuer, tmp_path: Path) -> None:
    impostor = Issuer(tmp_path / "impostor", VISAS, kind="EC")  # same iss and kid, other key
    now = int(time.time())
    grant = {"kind": "ControlledAccessGrants", "value": DATASET}
    body = {
        "iss": VISAS,
        "sub": "alice-sub",
        "iat": now,
        "exp": now + 60,
        "ga4gh_visa_v1": {
            "type": "ControlledAccessGrants",
            "value": DATASET,
            "source": "https://dac.example.org",
            "asserted": now,
            "by": "dac",
        },
    }
    forged = {
        "bad signature": impostor.visa(**grant, jku=visas.jwks_url),
        "untrusted jku": impostor.visa(**grant),
        "untrusted issuer": Issuer(tmp_path / "x", "https://other.example").visa(
            **grant, jku=visas.jwks_url
        ),
        "alg none": unsigned(body, kid="k1", jku=visas.jwks_url),
        "HMAC": hmac_signed(body, b"secret", kid="k1", jku=visas.jwks_url),
        "no jku (access token format)": visas.sign(body),
        "expired": visas.sign({**body, "exp": now - 3600}, jku=visas.jwks_url),
        "asserted in the future": visas.visa(**grant, asserted=now + 86400),
        "conditions": visas.visa(
            **grant, conditions=[[{"type": "AffiliationAndRole", "value": "const:faculty@x.edu"}]]
        ),
        "grant without by": visas.visa(**grant, by=None),
        "unknown by": visas.visa(**grant, by="friend"),
        "no source": visas.visa(**grant, source=None),
        "no value": visas.visa("ControlledAccessGrants", ""),
        "oversize": visas.visa(**grant, padding="x" * 17_000),
        "not a JWT": "not-a-jwt",
    }
    passport = _check(visas, list(forged.values()))
    assert passport.visas == ()
    assert [r.index for r in passport.rejected] == list(range(len(forged)))
    reasons = dict(zip(forged, (r.reason for r in passport.rejected), strict=True))
    assert "not trusted" in reasons["untrusted jku"]
    assert "Signature verification failed" in reasons["bad signature"]
    assert "expired" in reasons["expired"]
    assert "future" in reasons["asserted in the future"]
    assert "conditions" in reasons["conditions"]
    assert "bytes" in reasons["oversize"]


def test_subject_binding(visas: Issuer) -> None:
    stranger = visas.sign({**_claims(visas), "sub": "bob-sub"}, jku=visas.jwks_url)
    assert len(_check(visas, [stranger]).visas) == 1  # broker-bound: the broker vouches
    assert _check(visas, [stranger], binding="strict-sub").visas == ()
    own = visas.visa("ResearcherStatus", BONA_FIDE)
    # strict-iss-sub also needs the visa's issuer to be the broker's: here it is not.
    assert _check(visas, [own], binding="strict-sub").visas != ()
    assert _check(visas, [own], binding="strict-iss-sub").visas == ()


def _claims(visas: Issuer) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": VISAS,
        "iat": now,
        "exp": now + 60,
        "ga4gh_visa_v1": {
            "type": "ResearcherStatus",
            "value": BONA_FIDE,
            "source": "https://so.example.org",
            "asserted": now,
        },
    }


def test_passports_that_break_the_limits_are_refused(visas: Issuer, tmp_path: Path) -> None:
    one = visas.visa("ResearcherStatus", BONA_FIDE)
    with pytest.raises(NotAuthenticated, match="at most 200"):
        _check(visas, [one] * 201)
    with pytest.raises(NotAuthenticated, match="list of visa JWTs"):
        verify_passport({"ga4gh_passport_v1": "x"}, _settings(visas), KeySets())
    # At most max_key_fetches distinct key sets are fetched for one passport.
    issuers = [Issuer(tmp_path / f"i{n}", f"https://i{n}.example") for n in range(4)]
    trusted = tuple(f"{i.name} {i.jwks_url}" for i in issuers)
    claims = {
        "iss": BROKER,
        "sub": "alice-sub",
        "ga4gh_passport_v1": [i.visa("ResearcherStatus", BONA_FIDE) for i in issuers],
    }
    passport = verify_passport(
        claims, PassportSettings(trusted=trusted, max_key_fetches=3), KeySets()
    )
    assert len(passport.visas) == 3
    assert "too many key sets" in passport.rejected[0].reason


def test_a_passport_in_the_bearer_token_reaches_the_caller(
    db: Database, keys: NodeKeys, tmp_path: Path, broker: Issuer, visas: Issuer
) -> None:
    settings = Settings(
        home=tmp_path,
        oidc=OidcSettings(issuer=BROKER, audience="hgr", jwks_uri=broker.jwks_url),
        passport=_settings(visas),
        service=ServiceSettings(rate_per_second=1000, burst=1000),
    )
    token = broker.token(
        sub="carol",
        ga4gh_passport_v1=[
            visas.visa("AcceptedTermsAndPolicies", BONA_FIDE, by="self"),
            visas.visa("ResearcherStatus", BONA_FIDE, by="so"),
            visas.visa("ControlledAccessGrants", DATASET),
        ],
    )
    with TestClient(create_app(settings, Node(settings, db, keys))) as client:
        me = client.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
        # Without registered access an unknown subject is not admitted.
        bare = broker.token(sub="dave", ga4gh_passport_v1=[])
        refused = client.get("/me", headers={"Authorization": f"Bearer {bare}"})
    assert me == {
        "actor": f"oidc:{BROKER}|carol",
        "role": "researcher",
        "scope": "",
        "registered_access": True,
        "grants": [DATASET],
    }
    assert refused.status_code == 401
