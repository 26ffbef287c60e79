"""GA4GH Passport visas: parsed and verified, so that access decisions can use them.

A Passport is a set of Visas, each a JWT signed by its own issuer, carried in the
``ga4gh_passport_v1`` claim of a token from a broker (GA4GH Passport v1.2,
``researcher_ids/ga4gh_passport_v1.md``; security.md §5). A clearinghouse (this node) must
reject a passport that fails its checks, and must ignore a visa it has no trust in. Here:

* the passport as a whole is refused when it is not a list of strings, or holds more than
  ``max_visas`` visas (the EGA SDA limit, 200);
* a visa is kept only if it is in the Visa Document Token format (``jku`` and ``kid`` in the
  header), its ``(iss, jku)`` pair is on the allow-list, its asymmetric signature verifies with a
  key from that ``jku``, it has not expired, its ``asserted`` time is not in the future, it is at
  most ``max_visa_bytes`` long, its subject binds to the passport's under the configured binding,
  and it carries no ``conditions`` (this node does not evaluate them, and the spec says a
  clearinghouse that does not must reject such visas);
* every other visa is listed among ``rejected`` with the reason, for the audit log.

Visa types the spec does not define (URL-named custom types) are kept but mean nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt

from hgr.auth.keysets import KeySets
from hgr.auth.oidc import ASYMMETRIC, decode_signed
from hgr.config import PassportSettings
from hgr.dates import utc_now
from hgr.exceptions import HgrError, NotAuthenticated

__all__ = [
    "BONA_FIDE",
    "Passport",
    "Rejected",
    "Visa",
    "VisaType",
    "verify_passport",
]

BONA_FIDE = "https://doi.org/10.1038/s41431-018-0219-y"
"""The registered-access terms and researcher status of Dyke et al. 2018 (regulations.md §5.3)."""

VISA_BY = frozenset({"self", "peer", "system", "so", "dac"})


class VisaType(StrEnum):
    AFFILIATION_AND_ROLE = "AffiliationAndRole"
    ACCEPTED_TERMS_AND_POLICIES = "AcceptedTermsAndPolicies"
    RESEARCHER_STATUS = "ResearcherStatus"
    CONTROLLED_ACCESS_GRANTS = "ControlledAccessGrants"
    LINKED_IDENTITIES = "LinkedIdentities"


NEEDS_BY = {VisaType.ACCEPTED_TERMS_AND_POLICIES, VisaType.CONTROLLED_ACCESS_GRANTS}


@dataclass(frozen=True)
class Visa:
    """One verified visa assertion."""

    type: str
    value: str
    source: str
    by: str
    asserted: int
    issuer: str
    subject: str
    expires: int


@dataclass(frozen=True)
class Rejected:
    """A visa that was ignored, by its position in the passport, and why."""

    index: int
    reason: str


@dataclass(frozen=True)
class Passport:
    """The verified visas of one passport, and those that were not kept."""

    issuer: str
    subject: str
    visas: tuple[Visa, ...]
    rejected: tuple[Rejected, ...]

    def of_type(self, kind: VisaType) -> tuple[Visa, ...]:
        return tuple(v for v in self.visas if v.type == kind.value)

    @property
    def registered_access(self) -> bool:
        """Bona fide researcher status and acceptance of the registered-access terms."""
        terms = any(
            v.value == BONA_FIDE for v in self.of_type(VisaType.ACCEPTED_TERMS_AND_POLICIES)
        )
        status = any(v.value == BONA_FIDE for v in self.of_type(VisaType.RESEARCHER_STATUS))
        return terms and status

    @property
    def controlled_access_grants(self) -> tuple[str, ...]:
        """The datasets (by URL) that a data access committee granted."""
        grants = self.of_type(VisaType.CONTROLLED_ACCESS_GRANTS)
        return tuple(sorted({v.value for v in grants}))

    @property
    def expires(self) -> int | None:
        """The earliest expiry among the kept visas (the passport's effective expiry)."""
        return min((v.expires for v in self.visas), default=None)


class _VisaRefused(HgrError):
    code = "E_BAD_VISA"


def verify_passport(
    claims: dict[str, Any],
    settings: PassportSettings,
    keys: KeySets,
    *,
    leeway: int = 60,
) -> Passport:
    """Verify the visas in the ``ga4gh_passport_v1`` claim of an already verified token.

    ``claims`` are the broker token's claims (its signature checked by the caller, as for any
    bearer token). Raises NotAuthenticated when the passport itself must be rejected.
    """
    raw = claims.get("ga4gh_passport_v1")
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise NotAuthenticated(
            "ga4gh_passport_v1 must be a list of visa JWTs", code="E_BAD_PASSPORT"
        )
    if len(raw) > settings.max_visas:
        raise NotAuthenticated(
            f"a passport holds at most {settings.max_visas} visas, not {len(raw)}",
            code="E_BAD_PASSPORT",
        )
    moment = int(utc_now().timestamp())
    trusted = {tuple(pair.split()) for pair in settings.trusted}
    issuer, subject = str(claims.get("iss", "")), str(claims.get("sub", ""))
    visas: list[Visa] = []
    rejected: list[Rejected] = []
    fetches_left = settings.max_key_fetches
    for index, token in enumerate(raw):
        try:
            if len(token.encode()) > settings.max_visa_bytes:
                raise _VisaRefused(f"over {settings.max_visa_bytes} bytes")
            jku, visa_issuer = _trusted_source(token, trusted)
            if not keys.cached(jku):
                if fetches_left <= 0:
                    raise _VisaRefused("too many key sets to fetch for one passport")
                fetches_left -= 1
            visa = _verify_visa(token, keys, jku, visa_issuer, moment, leeway)
            _check_binding(settings.binding, visa, issuer, subject)
        except (_VisaRefused, NotAuthenticated) as exc:
            rejected.append(Rejected(index, exc.message))
            continue
        visas.append(visa)
    return Passport(issuer, subject, tuple(visas), tuple(rejected))


def _trusted_source(token: str, trusted: set[tuple[str, ...]]) -> tuple[str, str]:
    """The visa's ``jku`` and issuer, when that pair is trusted (checked before any fetch)."""
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise _VisaRefused(f"malformed visa: {exc}") from exc
    jku, iss = header.get("jku"), unverified.get("iss")
    if not isinstance(jku, str) or not isinstance(header.get("kid"), str):
        raise _VisaRefused("not a Visa Document Token (jku and kid are required in the header)")
    if header.get("alg") not in ASYMMETRIC:
        raise _VisaRefused(f"algorithm {header.get('alg')!r} is not accepted")
    if not isinstance(iss, str) or (iss, jku) not in trusted:
        raise _VisaRefused(f"issuer {iss!r} with key set {jku!r} is not trusted")
    return jku, iss


def _verify_visa(token: str, keys: KeySets, jku: str, iss: str, now: int, leeway: int) -> Visa:
    claims = decode_signed(
        token,
        keys,
        jku,
        ASYMMETRIC,
        issuer=iss,
        leeway=leeway,
        options={"require": ["iss", "sub", "iat", "exp"], "verify_aud": False},
    )
    body = claims.get("ga4gh_visa_v1")
    if not isinstance(body, dict):
        raise _VisaRefused("no ga4gh_visa_v1 object")
    kind, value, source = body.get("type"), body.get("value"), body.get("source")
    asserted, by = body.get("asserted"), body.get("by", "")
    if not isinstance(kind, str) or not kind:
        raise _VisaRefused("visa type is missing")
    if not isinstance(value, str) or not value:
        raise _VisaRefused("visa value is missing")
    if not isinstance(source, str) or not source or len(source) > 255:
        raise _VisaRefused("visa source must be a URL of at most 255 characters")
    if not isinstance(asserted, int) or isinstance(asserted, bool):
        raise _VisaRefused("visa asserted time is missing")
    if asserted > now + leeway:
        raise _VisaRefused("visa asserted time is in the future")
    if body.get("conditions"):
        raise _VisaRefused("visa conditions are not evaluated by this node")
    if not isinstance(by, str) or (by and by not in VISA_BY):
        raise _VisaRefused(f"visa 'by' {by!r} is not one of {sorted(VISA_BY)}")
    if kind in {t.value for t in NEEDS_BY} and not by:
        raise _VisaRefused(f"a {kind} visa must say by whom it was asserted")
    return Visa(kind, value, source, by, asserted, iss, str(claims["sub"]), int(claims["exp"]))


def _check_binding(binding: str, visa: Visa, issuer: str, subject: str) -> None:
    """Whether a visa belongs to the passport's holder (SDA's identity binding modes)."""
    if binding == "strict-sub" and visa.subject != subject:
        raise _VisaRefused("visa subject differs from the passport's")
    if binding == "strict-iss-sub" and (visa.subject, visa.issuer) != (subject, issuer):
        raise _VisaRefused("visa issuer and subject differ from the passport's")
