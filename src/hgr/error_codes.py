"""Every error code hgr reports, declared once.

A code reaches people in one of three ways: raised as an ``HgrError`` (its class fixes the HTTP
status, as ``hgr.api.problems`` maps it), listed as an issue in a validation report, or answered
by the API as a problem of its own. Each declaration says which, the HTTP status of the answer
that carries the code, and a remedy: what the data steward or officer who meets it does next.

``tests/test_error_codes.py`` checks the declarations against the source: every code used is
declared, under the class it is raised with. ``python -m hgr.error_codes`` prints
docs/errors.md.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Literal

from hgr.exceptions import (
    ConfigurationError,
    Conflict,
    Forbidden,
    FormatError,
    HgrError,
    IntegrityBroken,
    NotAuthenticated,
    NotFound,
    PolicyDenied,
    RateLimited,
    UsageError,
    ValidationFailed,
)

__all__ = ["BY_CODE", "CODES", "Declared", "Severity", "declared", "remedy_of", "render_markdown"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Declared:
    """One error code: where it belongs, how it reaches people, and what to do about it."""

    code: str
    raised: str | None
    """The ``HgrError`` class it is raised under, by name; None if it is never raised."""
    issue: Severity | None
    """The severity it is listed with as an issue of a report; None if it never is."""
    status: int | None
    """The HTTP status of the answer that carries it; None for a warning, which stops nothing."""
    remedy: str
    area: str = ""

    @property
    def reported(self) -> str:
        """How the code reaches people, in words."""
        ways = []
        if self.raised is not None:
            ways.append(f"raised as {self.raised}")
        if self.issue is not None:
            ways.append(f"{'also ' if ways else ''}listed as an issue ({self.issue})")
        return "; ".join(ways) or "an API answer of its own"


def _raised(
    code: str, kind: type[HgrError] | str, status: int, remedy: str, issue: Severity | None = None
) -> Declared:
    # Subclasses outside hgr.exceptions (the registry imports nothing else) are named.
    name = kind if isinstance(kind, str) else kind.__name__
    return Declared(code, name, issue, status, remedy)


def _issue(code: str, severity: Severity, status: int | None, remedy: str) -> Declared:
    return Declared(code, None, severity, status, remedy)


def _problem(code: str, status: int, remedy: str) -> Declared:
    return Declared(code, None, None, status, remedy)


def _area(name: str, *codes: Declared) -> tuple[Declared, ...]:
    return tuple(replace(code, area=name) for code in codes)


# Issues that are errors reach API clients inside a 422 answer (ValidationFailed) that lists
# them; warnings are listed beside a successful answer, or beside the errors.
CODES: tuple[Declared, ...] = (
    *_area(
        "General",
        # The classes' own codes, for an error raised without a more specific one.
        _raised(
            "E_HGR",
            HgrError,
            500,
            "Note what you were doing and tell the node's operator: hgr failed in a way "
            "it does not describe.",
        ),
        _raised(
            "E_VALIDATION",
            ValidationFailed,
            422,
            "Correct each issue listed with the error, then try again.",
        ),
        _raised(
            "E_FORMAT",
            FormatError,
            400,
            "The file is not in the format it claims: export or convert it again, then retry.",
        ),
        _raised(
            "E_NOT_FOUND",
            NotFound,
            404,
            "Check the name or number you gave against the registry; register the record "
            "first if it is new.",
        ),
        _raised(
            "E_CONFLICT",
            Conflict,
            409,
            "Look at the record as it is stored now, then repeat the action if it still applies.",
        ),
        _raised(
            "E_POLICY_DENIED",
            PolicyDenied,
            403,
            "A governance rule forbids this action; ask your officer which approval or "
            "filing is missing.",
        ),
        _raised(
            "E_INTEGRITY",
            IntegrityBroken,
            500,
            "Stored data failed a check: stop, run hgr audit verify and tell the node's operator.",
        ),
        _raised(
            "E_CONFIG",
            ConfigurationError,
            500,
            "Ask the node's operator to correct the node's settings (node.toml).",
        ),
        _raised(
            "E_USAGE",
            UsageError,
            400,
            "Correct the option or parameter the message names, then run the command again.",
        ),
        _raised(
            "E_UNAUTHENTICATED",
            NotAuthenticated,
            401,
            "Sign in: send a valid token (Authorization: Bearer ...), or ask for a new "
            "one if yours has expired.",
        ),
        _raised(
            "E_FORBIDDEN",
            Forbidden,
            403,
            "Your role or scope does not allow this; ask an officer to act, or to grant "
            "you the role.",
        ),
        _raised(
            "E_RATE_LIMITED",
            RateLimited,
            429,
            "Wait for the time the answer gives (Retry-After), then ask again.",
        ),
    ),
    *_area(
        "API requests",
        _problem(
            "E_REQUEST",
            422,
            "Correct each field the issues list (name and problem); the API reference "
            "(/docs) shows the expected shape.",
        ),
        _problem(
            "E_BEACON_BODY",
            400,
            "Send a Beacon request body that is a JSON object (beaconRequestBody: meta and query).",
        ),
        _problem(
            "E_TEXT", 400, "Send valid Unicode text: a value holds half of a UTF-16 surrogate pair."
        ),
        _problem(
            "E_INTERNAL",
            500,
            "Try again later; if it persists, tell the node's operator the time of the request.",
        ),
        _problem(
            "E_TOO_LARGE",
            413,
            "Send a smaller request: split the upload into several files or imports.",
        ),
        _problem(
            "E_HEADERS_TOO_LARGE",
            431,
            "Send fewer or shorter headers (cookies, forwarded chains) with the request.",
        ),
        # Starlette's own refusals, named E_HTTP_<status>.
        _problem(
            "E_HTTP_400",
            400,
            "Send the request body in the form the API expects (for uploads: multipart/form-data).",
        ),
        _problem(
            "E_HTTP_404",
            404,
            "Check the address: no API route has this path (the API reference is at /docs).",
        ),
        _problem(
            "E_HTTP_405", 405, "Use one of the methods the Allow header lists for this address."
        ),
        _raised(
            "E_UPLOAD_NAME",
            UsageError,
            400,
            "Give every uploaded file a distinct, plain name of at most 255 characters.",
        ),
        _issue(
            "E_CONTROL_CHARACTER",
            "error",
            422,
            "Write each cell on one line, as plain text without control characters.",
        ),
    ),
    *_area(
        "Node set-up, settings and keys",
        _raised(
            "E_NO_NODE",
            ConfigurationError,
            500,
            "Name the node's folder with --home or HGR_HOME; create one with hgr init DIR.",
        ),
        _raised("E_NODE_DIR", ConfigurationError, 500, "Choose an empty folder for the new node."),
        _raised(
            "E_NODE_EXISTS",
            ConfigurationError,
            500,
            "The folder is a node already: use it as it is, or run hgr init --force to "
            "rewrite its settings.",
        ),
        _raised(
            "E_NODE_FILE",
            ConfigurationError,
            500,
            "Correct the setting the message names in node.toml (or the file it points "
            "to), then try again.",
        ),
        _raised(
            "E_DATABASE",
            ConfigurationError,
            500,
            "Check that the database server is running and that the node's database "
            "address and password are right.",
        ),
        _raised(
            "E_UNSAFE_CONFIG",
            ConfigurationError,
            500,
            "Correct each setting the message lists, then start the server again.",
        ),
        _raised(
            "E_NO_KEY",
            ConfigurationError,
            500,
            "Restore the node's key folder from backup (or run hgr init for a new node).",
        ),
        _raised(
            "E_BAD_KEY",
            ConfigurationError,
            500,
            "Replace the damaged key file with the node's own key from backup.",
        ),
        _raised(
            "E_KEY_MODE",
            ConfigurationError,
            500,
            "Make the key files readable by the node's account only (chmod 600), and find "
            "out who could read them.",
        ),
        _raised(
            "E_DEMO_DIR",
            ConfigurationError,
            500,
            "Give an empty folder for the demo, or pass --force to replace an earlier demo.",
        ),
        _raised(
            "E_SYNTH_SIZE",
            ConfigurationError,
            500,
            "Ask for fewer donors, or add --no-genotypes for a large synthetic nation.",
        ),
        _raised(
            "E_PDF_ENGINE",
            ConfigurationError,
            500,
            "The HTML report is written; for the PDF, ask the operator to install Pango "
            "(see the message).",
        ),
    ),
    *_area(
        "Backups and restores",
        _raised(
            "E_BACKUP",
            UsageError,
            400,
            "Name a folder written by hgr backup, by a version of hgr that reads its format.",
        ),
        _raised("E_BACKUP_EXISTS", UsageError, 400, "Back up into a new, empty folder."),
        # Restoring needs a new folder, as backing up does; a node that exists already is
        # E_NODE_EXISTS, from hgr init.
        _raised("E_RESTORE_EXISTS", UsageError, 400, "Restore into a new, empty folder."),
        _raised(
            "E_BACKUP_CORRUPT",
            IntegrityBroken,
            500,
            "The backup was altered or is damaged: restore from another copy, and check "
            "you gave the node's own keys.",
        ),
        _raised(
            "E_BACKUP_KEYS",
            ConfigurationError,
            500,
            "Give the key folder of the node that made this backup.",
        ),
        _raised(
            "E_PG_TOOLS",
            ConfigurationError,
            500,
            "Ask the operator to install PostgreSQL's client tools (Debian: postgresql-client).",
        ),
        # PostgreSQL's tools failing is the node's set-up, not the folder named (E_BACKUP).
        _raised(
            "E_PG_FAILED",
            ConfigurationError,
            500,
            "Read PostgreSQL's message shown with the error, correct the database or its "
            "access, then try again.",
        ),
    ),
    *_area(
        "Accounts and sign-in",
        _raised(
            "E_BAD_TOKEN",
            NotAuthenticated,
            401,
            "Sign in again with a valid token; ask for a new one if yours expired or was revoked.",
        ),
        _raised(
            "E_SIGN_IN",
            NotAuthenticated,
            401,
            "Check the name, password and code; after five failures wait 15 minutes.",
        ),
        _raised(
            "E_SESSION",
            NotAuthenticated,
            401,
            "Sign in again: the session ended, was signed out, or was idle too long.",
        ),
        _raised(
            "E_PASSWORD",
            UsageError,
            400,
            "Choose a password of 12 to 256 characters that is not the user's name.",
        ),
        _raised(
            "E_TOKEN_LIFETIME",
            NotAuthenticated,
            401,
            "Ask your sign-in provider for a token that lives no longer than this node accepts.",
        ),
        _raised(
            "E_KEYS_UNAVAILABLE",
            NotAuthenticated,
            401,
            "Try again later; if it persists, ask the operator to check the sign-in "
            "provider's key address.",
        ),
        _raised(
            "E_BAD_PASSPORT",
            NotAuthenticated,
            401,
            "Ask your passport broker for a passport that lists its visas as JWTs, within "
            "the node's limit.",
        ),
        # Caught where it is raised: the visa is left out, and the passport still counts.
        _raised(
            "E_BAD_VISA",
            "_VisaRefused",
            500,
            "Ask the visa's issuer for a valid visa from a source this node trusts.",
        ),
        _raised(
            "E_KEY_URL",
            ConfigurationError,
            500,
            "Give the sign-in provider's key address as an https:// address (or a file path).",
        ),
        _raised(
            "E_OIDC",
            ConfigurationError,
            500,
            "Complete the [oidc] settings in node.toml: issuer, audience and accepted algorithms.",
        ),
        _raised(
            "E_USER_NAME",
            UsageError,
            400,
            "Choose a user name of 1 to 100 letters, digits and . _ @ -.",
        ),
        _raised("E_ROLE", UsageError, 400, "Give the user a role other than public."),
        _raised(
            "E_COUNTRY",
            UsageError,
            400,
            "Give the country as a two-letter ISO 3166-1 code, such as CN.",
        ),
        _raised(
            "E_USER_ORGANISATION",
            UsageError,
            400,
            "Name a registered organisation (or one of the node's institutions); "
            "register it first with hgr org add.",
        ),
        _raised(
            "E_SCOPE",
            NotFound,
            404,
            "Give the code of a registered institution or province as the user's scope.",
        ),
        # A scope that should not be there, unlike a scope that names nothing (E_SCOPE).
        _raised(
            "E_UNSCOPED_ROLE",
            UsageError,
            400,
            "Leave out the scope: this role works for no single institution or province.",
        ),
        _raised(
            "E_USER_EXISTS", Conflict, 409, "Choose another user name, or use the existing account."
        ),
        _raised(
            "E_USER_DISABLED",
            Conflict,
            409,
            "The account is disabled: use another, or ask an officer for a new one.",
        ),
        _raised(
            "E_RECORD_TAMPERED",
            Conflict,
            409,
            "The account was changed outside hgr: tell the operator, who checks it with hgr "
            "audit verify --records.",
        ),
        _raised(
            "E_NO_USER",
            NotFound,
            404,
            "Check the user name; an officer adds users with hgr user add.",
        ),
        _raised(
            "E_TOKEN",
            UsageError,
            400,
            "Ask for a token that lives between 1 day and the maximum the message gives.",
        ),
        _raised("E_NO_TOKEN", NotFound, 404, "Check the token's id (hgr token list)."),
    ),
    *_area(
        "Audit log and sealed records",
        _raised(
            "E_AUDIT",
            NotFound,
            404,
            "The audit log is incomplete: run hgr audit verify and tell the node's operator.",
        ),
        _raised(
            "E_AUDIT_SIZE",
            UsageError,
            400,
            "Ask for a tree size or event number within the log's current size.",
        ),
        _raised(
            "E_NO_CHECKPOINT",
            NotFound,
            404,
            "Ask again once the node has signed its first checkpoint of the audit log.",
        ),
        _raised(
            "E_CHECKPOINT", UsageError, 400, "Give a checkpoint note exactly as the node signed it."
        ),
        _raised(
            "E_AUDIT_HEAD",
            IntegrityBroken,
            500,
            "Restore the kept audit head (or the node's keys) from backup, then run hgr "
            "audit verify.",
        ),
        _raised(
            "E_AUDIT_INCONSISTENT",
            IntegrityBroken,
            500,
            "The audit log lost or rewrote events: stop writing, run hgr audit verify, and "
            "restore from backup.",
        ),
        _raised(
            "E_AUDIT_TAMPERED",
            IntegrityBroken,
            500,
            "Read the problems listed, restore the altered data from backup, and report it.",
        ),
        _raised(
            "E_WITNESS_SIGNATURE",
            IntegrityBroken,
            500,
            "The witnessed node's key changed: confirm the new key with its operator before "
            "witnessing again.",
        ),
        _raised(
            "E_WITNESS_INCONSISTENT",
            IntegrityBroken,
            500,
            "The witnessed node's log was rewritten or renamed: report it to that node's "
            "operator and keep your copy.",
        ),
        _raised(
            "E_ROW_TAMPERED",
            IntegrityBroken,
            500,
            "Run hgr audit verify --records; an operator restores the altered rows from backup.",
        ),
        _raised(
            "E_UNAUDITED_WRITE",
            IntegrityBroken,
            500,
            "Make the change through hgr, which records it in the audit log.",
        ),
    ),
    *_area(
        "Registry import: files and templates",
        _raised(
            "E_INSTITUTION_REQUIRED",
            ValidationFailed,
            422,
            "Name the institution whose holdings the files describe (--institution CODE).",
        ),
        _raised(
            "E_DONOR_KEY",
            ValidationFailed,
            422,
            "Import the phenopacket with its donors named as its earlier import named them "
            "(the error says how: --donor-key, or the console's import form).",
        ),
        _raised(
            "E_UNKNOWN_INSTITUTION",
            NotFound,
            404,
            "Import the institution's row of an institutions template first, or in the same "
            "import.",
        ),
        _raised(
            "E_UPDATE_NOT_CONFIRMED",
            ValidationFailed,
            422,
            "Check each change listed; if all are meant, import again with --update.",
        ),
        _raised(
            "E_REGISTRY_RULE",
            Conflict,
            409,
            "Correct the files so that they keep the rule the message names, then import again.",
        ),
        _raised(
            "E_CONCURRENT_IMPORT",
            Conflict,
            409,
            "Another import registered the same records meanwhile: import again to see "
            "what is left to change.",
        ),
        _raised(
            "E_CHANGED_SINCE_REVIEW",
            Conflict,
            409,
            "The files, or the records they change, are not as you reviewed them: review the "
            "changes as they stand now, and confirm again.",
        ),
        _raised(
            "E_NO_FILE",
            UsageError,
            400,
            "Check the file or folder path you gave, and that you can read it.",
            issue="error",
        ),
        _raised(
            "E_JSON",
            FormatError,
            400,
            "Repair the JSON file (python -m json.tool FILE shows where it breaks).",
            issue="error",
        ),
        _issue(
            "E_UNKNOWN_FORMAT",
            "error",
            422,
            "Give CSV or TSV templates, PED or FAM files, or Phenopacket JSON files.",
        ),
        _issue(
            "E_UNKNOWN_TEMPLATE",
            "error",
            422,
            "Start the file name with the template's name, e.g. donors.csv; in a workbook, name "
            "each sheet after its template.",
        ),
        _issue("E_ENCODING", "error", 422, "Save the file as UTF-8 text (in Excel: CSV UTF-8)."),
        _issue(
            "E_EMPTY", "error", 422, "Add the header line and the records, or leave the file out."
        ),
        _issue(
            "E_XLSX",
            "error",
            422,
            "Save the workbook from the spreadsheet as an Excel workbook (.xlsx), or its sheets as "
            "CSV UTF-8 files; a workbook too large to unpack is split or sent as CSV.",
        ),
        _issue(
            "W_SHEET_SKIPPED",
            "warning",
            None,
            "Name each sheet of a workbook after its template (donors, samples…); other sheets "
            "are not read.",
        ),
        _issue(
            "E_CSV",
            "error",
            422,
            "Quote cells that contain the separator, a quote or a line break.",
        ),
        _issue(
            "E_DELIMITER",
            "error",
            422,
            "Save the table with the separator its name announces: commas for .csv (Excel: CSV "
            "UTF-8), tabs for .tsv.",
        ),
        _issue(
            "E_CELLS",
            "error",
            422,
            "Make each line have as many cells as the header: look for a missing or extra "
            "separator.",
        ),
        _issue(
            "E_MISSING_COLUMN",
            "error",
            422,
            "Add the column the message names; the template's columns are in docs/templates.md.",
        ),
        _issue(
            "E_UNKNOWN_COLUMN",
            "error",
            422,
            "Rename the column to one the template has, or remove it.",
        ),
        _issue(
            "E_DUPLICATE_COLUMN",
            "error",
            422,
            "Give each column once in a row: names are read without case or spaces, so `Sex` "
            "and `sex` are the same column.",
        ),
        _issue("E_REQUIRED", "error", 422, "Fill in the value: the column is required."),
        _issue("E_FIELD", "error", 422, "Write the value in one of the forms the message lists."),
        _issue(
            "E_DATE",
            "error",
            422,
            "Write the date as YYYY-MM-DD (Phenopackets: an RFC 3339 timestamp).",
        ),
        _issue(
            "E_CHECKSUM",
            "error",
            422,
            "Give the 64 hexadecimal digits that sha256sum prints for the file.",
        ),
        _issue(
            "E_TERM",
            "error",
            422,
            "Write the term as its ontology prefix and number, e.g. HP:0001250 or MONDO:0007739.",
        ),
        _issue(
            "E_DUO",
            "error",
            422,
            "Use a DUO id or shorthand: permissions in permission, the other terms in modifiers.",
        ),
        _issue(
            "E_DUO_PARAMETER",
            "error",
            422,
            "Give each DUO term its value (DS: the disease, GS: the countries, TS: the end "
            "date) and no value without it.",
        ),
        _issue(
            "E_LEGAL_ID",
            "error",
            422,
            "Copy the 18-character Unified Social Credit Code from the business licence again.",
        ),
        _issue(
            "E_LEGAL_ID_TAKEN",
            "error",
            422,
            "Use the code of the institution that holds this identifier, or correct the "
            "identifier.",
        ),
        _issue(
            "E_DUPLICATE_KEY",
            "error",
            422,
            "Keep one line for the record, or make its lines agree.",
        ),
        _issue("E_DONOR_CONFLICT", "error", 422, "Make the files agree on the donor's details."),
        _issue(
            "E_UNKNOWN_COLLECTION",
            "error",
            422,
            "Add the collection to a collections template in this import, or correct its id.",
        ),
        _issue(
            "E_UNKNOWN_DONOR",
            "error",
            422,
            "Add the donor to a donors template in this import, or correct the id.",
        ),
        _issue("E_FUTURE_DATE", "error", 422, "Correct the date: it lies in the future."),
        _issue(
            "E_BEFORE_BIRTH",
            "error",
            422,
            "Correct the collection date or the donor's year of birth.",
        ),
        _issue(
            "E_DATE_ORDER", "error", 422, "Correct the dates so that the earlier one comes first."
        ),
        _issue(
            "E_WITHDRAWAL",
            "error",
            422,
            "Give both the withdrawn status and the withdrawal date, or neither.",
        ),
        _issue(
            "E_PROBAND",
            "error",
            422,
            "Import the family's PED file together with families.csv, or correct the proband.",
        ),
        _issue(
            "E_SAMPLE_MOVE",
            "error",
            422,
            "If the sample was misattributed, move it with hgr sample move and import again; "
            "else correct donor_id.",
        ),
        _issue(
            "E_WOULD_CHANGE",
            "error",
            422,
            "If the change is meant, import again with --update; else correct the file.",
        ),
        _issue(
            "E_NOT_PHENOPACKET",
            "error",
            422,
            "Export the record as a GA4GH Phenopacket v2 (schema version 2.0).",
        ),
        _issue(
            "E_PHENOPACKET_SUBJECT",
            "error",
            422,
            "Add subject.id: the institution's own id for the individual.",
        ),
        # Two findings share this code, both answered 422: an institution declared domestic
        # under foreign control (an import issue), and a debarment control relation that
        # names one party twice.
        _raised(
            "E_CONTROL",
            ValidationFailed,
            422,
            "Set control to foreign_controlled or correct the shares; a control relation "
            "joins two different organisations.",
            issue="error",
        ),
        _issue(
            "E_CONTROL_FACTS",
            "warning",
            None,
            "Give the foreign share or the control by agreement that makes it foreign-controlled.",
        ),
    ),
    *_area(
        "Regions",
        _raised(
            "E_UNKNOWN_REGION",
            NotFound,
            404,
            "Use an official region code (GB/T 2260 for China), or load the country's "
            "regions with hgr regions load.",
            issue="error",
        ),
        _issue(
            "E_REGION_PARENT", "error", 422, "Give each region the code of the region one level up."
        ),
    ),
    *_area(
        "Registry records and queries",
        _raised(
            "E_ENTITY",
            NotFound,
            404,
            "Use one of the record kinds the message lists (donors, samples, ...).",
        ),
        _raised("E_KEY", NotFound, 404, "Name the record by the fields the message lists."),
        _raised(
            "E_AMBIGUOUS",
            NotFound,
            404,
            "Give the other key fields the message names, to pick one record.",
        ),
        _raised(
            "E_FILTER",
            ValidationFailed,
            422,
            "Filter with one of the values the message lists.",
            issue="error",
        ),
        # History is kept for some record kinds only, unlike a kind that does not exist.
        _raised(
            "E_NO_HISTORY",
            UsageError,
            400,
            "Ask for the history of one of the record kinds the message lists.",
        ),
        # One parameter of a history request, unlike an import's institution (422).
        _raised(
            "E_HISTORY_INSTITUTION",
            UsageError,
            400,
            "Name the institution whose record it is (--institution, or institution= in the API).",
        ),
        _raised(
            "E_REASON_REQUIRED",
            UsageError,
            400,
            "Say why the sample moves (--reason): the move is audited.",
        ),
        _raised(
            "E_NO_CHANGE", UsageError, 400, "Nothing to do: the sample is this donor's already."
        ),
    ),
    *_area(
        "Pedigrees",
        _raised(
            "E_PEDIGREE",
            ValidationFailed,
            422,
            "Correct the family's members and parents as the issues say, then draw it again.",
        ),
        _raised(
            "E_PED_INVALID",
            ValidationFailed,
            422,
            "Correct the pedigree file's errors, listed with the message, then run again.",
        ),
        _issue(
            "E_PED_COLUMNS",
            "error",
            422,
            "Give family, individual, father, mother, sex and phenotype on every line.",
        ),
        _issue("E_PED_ID", "error", 422, "Give every individual a real id (not 0, -9 or NA)."),
        _issue("E_PED_DUPLICATE_ID", "error", 422, "Keep one line per individual in each family."),
        _issue("E_PED_DUPLICATE", "error", 422, "List each person of the family once."),
        _issue("E_PED_EMPTY", "error", 422, "Give the family at least one member."),
        _issue("E_PED_NO_FAMILY", "error", 422, "Give the family an id in the first column."),
        _issue(
            "E_PED_MISSING_PARENT",
            "error",
            422,
            "Add a line for the parent (with 0 0 as their parents), or set the column to 0.",
        ),
        _issue(
            "E_PED_PARENT", "error", 422, "Add the parent to the family, or leave the parent blank."
        ),
        _issue(
            "E_PED_SAME_PARENT",
            "error",
            422,
            "Correct the father or the mother column: one person cannot be both.",
        ),
        _issue(
            "E_PED_FATHER_SEX",
            "error",
            422,
            "Correct the father's sex, or the child's father column.",
        ),
        _issue(
            "E_PED_MOTHER_SEX",
            "error",
            422,
            "Correct the mother's sex, or the child's mother column.",
        ),
        _issue(
            "E_PED_CYCLE",
            "error",
            422,
            "Correct a father or mother column on the path the message shows: no one is "
            "their own ancestor.",
        ),
        # Warnings, though named E_: the line is read, with the value treated as unknown.
        _issue(
            "E_PED_PHENOTYPE",
            "warning",
            None,
            "Use 1 (unaffected), 2 (affected) or 0 (unknown); keep quantitative traits in a "
            "phenotype file.",
        ),
        _issue(
            "E_PED_HALF_FOUNDER",
            "warning",
            None,
            "Add the missing parent (with 0 0 as their parents), or set both parents to 0.",
        ),
        _issue(
            "E_PED_PARENT_SEX_UNKNOWN",
            "warning",
            None,
            "Set the parent's sex: 1 for a father, 2 for a mother.",
        ),
    ),
    *_area(
        "Genotypes",
        _raised(
            "E_NO_COLLECTION",
            NotFound,
            404,
            "Register the collection in a collections template first (hgr import).",
        ),
        _raised(
            "E_NO_GENOTYPES",
            NotFound,
            404,
            "Ingest the collection's genotypes first (hgr genotypes ingest).",
        ),
        _raised(
            "E_INGEST_RUNNING",
            Conflict,
            409,
            "Wait for the running ingestion or verification of the collection to finish.",
        ),
        _raised(
            "E_PLINK_ALONE",
            UsageError,
            400,
            "Ingest one PLINK fileset at a time, without VCF files.",
        ),
        _raised(
            "E_BAD_PUBLIC_KEY",
            UsageError,
            400,
            "Give the recipient's Crypt4GH or OpenSSH public key file.",
        ),
        _raised("E_EXPORT_EXISTS", UsageError, 400, "Export into an empty folder."),
        _raised(
            "E_OUTPUT_EXISTS",
            UsageError,
            400,
            "Name a new file: the node never writes over one.",
        ),
        _raised(
            "E_TEMPLATES_EXIST",
            UsageError,
            400,
            "Write the blanks into a new or empty folder, or move the earlier ones away.",
        ),
        _raised("E_EXPORT_SAMPLES", UsageError, 400, "Name each sample to export once."),
        _raised(
            "E_SAMPLE_MAP",
            FormatError,
            400,
            "Write the sample map as two tab-separated columns (file id, sample code), each "
            "file id once.",
        ),
        _raised(
            "E_UNMAPPED_SAMPLE",
            ValidationFailed,
            422,
            "Add the sample ids the message lists to the sample map.",
        ),
        _raised(
            "E_UNKNOWN_SAMPLE",
            ValidationFailed,
            422,
            "Import the samples first, or map the file's ids to sample codes with --sample-map.",
        ),
        _raised(
            "E_DUPLICATE_SAMPLE",
            ValidationFailed,
            422,
            "Map each registry sample to one column of the file only.",
        ),
        _raised(
            "E_GZIP_CORRUPT",
            FormatError,
            400,
            "The compressed file is damaged: fetch or copy it again.",
        ),
        _raised("E_TRUNCATED", FormatError, 400, "The file is cut short: fetch or copy it again."),
        _raised(
            "E_VCF_HEADER",
            FormatError,
            400,
            "Correct the VCF header as the message says (bcftools reheader makes headers agree).",
        ),
        _raised(
            "E_VCF_LINE_ENDING",
            FormatError,
            400,
            "Convert the file to Unix line endings (dos2unix).",
        ),
        _raised(
            "E_VCF_MALFORMED",
            FormatError,
            400,
            "Correct the record at the line the message gives, or export the VCF again.",
        ),
        _raised(
            "E_VCF_NO_GT", FormatError, 400, "Export the VCF with genotypes: GT first in FORMAT."
        ),
        _raised("E_VCF_NO_SAMPLES", FormatError, 400, "Give a file that holds samples' genotypes."),
        _raised("E_VCF_EMPTY", FormatError, 400, "Give a file that holds variant records."),
        _raised(
            "E_VCF_DUPLICATE_SAMPLE",
            FormatError,
            400,
            "Rename or drop the repeated sample (bcftools view -s).",
        ),
        _raised(
            "E_VCF_PLOIDY",
            FormatError,
            400,
            "Give diploid calls on the autosomes (only X, Y and MT may be haploid).",
        ),
        _raised(
            "E_VCF_UNSORTED",
            FormatError,
            400,
            "Sort the file (bcftools sort; plink --make-bed for PLINK).",
        ),
        _raised(
            "E_VCF_INDEX",
            FormatError,
            400,
            "Compress the file with bgzip and check it opens with bcftools.",
        ),
        _raised(
            "E_PLINK_FILESET",
            FormatError,
            400,
            "Give the .bed, .bim and .fam of the fileset together, with one prefix.",
        ),
        _raised(
            "E_PLINK_MALFORMED",
            FormatError,
            400,
            "Correct the .fam or .bim line the message names (6 columns each).",
        ),
        _raised(
            "E_PLINK_ALLELES",
            FormatError,
            400,
            "Recode the alleles as bases (plink --update-alleles with the array's A/B-to-base "
            "table, or plink2 --alleleACGT for 1/2 coding) before the fileset enters the store; "
            "hgr relate reads the file as it is.",
        ),
        _raised(
            "E_PLINK_BED",
            FormatError,
            400,
            "Write the .bed again with plink --make-bed, from the matching .bim and .fam.",
        ),
        _raised(
            "E_BUILD_UNKNOWN",
            FormatError,
            400,
            "Lift the file over to GRCh38 (or GRCh37), or rename its contigs to the "
            "reference's names.",
        ),
        _raised(
            "E_BUILD_AMBIGUOUS",
            FormatError,
            400,
            "Name the genome build with --build, or add ##contig lines with lengths.",
        ),
        _raised(
            "E_BUILD_MISMATCH",
            FormatError,
            400,
            "Drop --build, or lift the file over to the build you named.",
        ),
        _raised(
            "E_BUILD_MIXED",
            Conflict,
            409,
            "Lift the files over to the collection's genome build first.",
        ),
        _raised(
            "E_SOURCES_OVERLAP",
            Conflict,
            409,
            "Give each file its own contigs or regions, so that no variant is in two.",
        ),
        _raised(
            "E_SAMPLES_DIFFER",
            Conflict,
            409,
            "Merge the files first (bcftools merge): files ingested together hold the same "
            "samples.",
        ),
        _raised(
            "E_BATCH_SAMPLES",
            Conflict,
            409,
            "Ingest all of the collection's samples for the new variants in one file, as the "
            "message says.",
        ),
        _raised(
            "E_BATCH_SITES",
            Conflict,
            409,
            "Restrict the batch to the store's sites (bcftools isec), then ingest again.",
        ),
        _raised(
            "E_BATCH_FIELDS",
            Conflict,
            409,
            "Keep the same FORMAT fields and ploidy in every batch, or ingest the batches "
            "together.",
        ),
        _raised(
            "E_BATCH_FORMAT",
            Conflict,
            409,
            "Convert the PLINK filesets to VCF (plink --recode vcf) and ingest them together.",
        ),
        _raised(
            "E_ENCODE",
            FormatError,
            400,
            "The store and the files disagree on the variants: ingest the files again; "
            "if it recurs, tell the node's operator.",
        ),
        _raised(
            "E_STORE",
            FormatError,
            400,
            "The genotype store is damaged: restore it from backup, or ingest the files again.",
        ),
        _raised(
            "E_STORE_VERSION",
            FormatError,
            400,
            "Upgrade hgr, or ingest the collection's files again.",
        ),
        _raised(
            "E_STORE_MISSING",
            IntegrityBroken,
            500,
            "Restore the genotype store from backup, or ingest the collection's files again.",
        ),
        _raised(
            "E_STORE_DIFFERS",
            IntegrityBroken,
            500,
            "Restore the genotype store from backup, or ingest its source files again.",
        ),
        _raised(
            "E_RAW_DECRYPT",
            IntegrityBroken,
            500,
            "Restore the sealed raw file, or the node's key, from backup.",
        ),
        _raised(
            "E_RAW_CHECKSUM",
            IntegrityBroken,
            500,
            "The stored raw file is cut short or replaced: restore it from backup.",
        ),
    ),
    *_area(
        "Relatedness and fingerprints",
        _raised(
            "E_RELATE_SAMPLES",
            UsageError,
            400,
            "Give files with the same samples in the same order (bcftools merge or concat), "
            "at least two.",
        ),
        _raised(
            "E_RELATE_NO_SITES", UsageError, 400, "Give files that hold autosomal biallelic SNVs."
        ),
        _raised(
            "E_RELATE_SHAPE",
            UsageError,
            400,
            "Give genotype blocks of the same sites and samples throughout.",
        ),
        # A relatedness run names samples by file id; a sample map is E_DUPLICATE_SAMPLE.
        _raised(
            "E_RELATE_DUPLICATE_SAMPLE",
            UsageError,
            400,
            "Give every sample a distinct id in the files.",
        ),
        _raised(
            "E_NO_SHARED_SITES",
            UsageError,
            400,
            "Compare collections typed on the same genome build and the same sites.",
        ),
        _raised(
            "E_SCHEDULER",
            UsageError,
            400,
            "Check the Dask scheduler's address and that it is running.",
        ),
        _raised(
            "E_NO_GPU", UsageError, 400, "Use --device cpu, or run where PyTorch sees a CUDA GPU."
        ),
        _raised(
            "E_PANEL",
            FormatError,
            400,
            "Give a panel of at least 100 autosomal sites: contig, position, ref and alt, "
            "tab-separated.",
        ),
        _raised(
            "E_PANEL_SITES", UsageError, 400, "Ask for fewer panel sites, or use a larger VCF."
        ),
        _raised(
            "E_PANEL_COVERAGE",
            UsageError,
            400,
            "Use a panel on the store's genome build: the store holds too few of its sites.",
        ),
        _raised(
            "E_FINGERPRINT_FORMAT", FormatError, 400, "Give a fingerprint file written by hgr."
        ),
        _raised(
            "E_FINGERPRINT_SEAL",
            IntegrityBroken,
            500,
            "Ask the sender to seal the fingerprints to this node's key, or fetch them again.",
        ),
        _raised(
            "E_FINGERPRINT_PANEL", Conflict, 409, "Compare fingerprints made with the same panel."
        ),
        _raised(
            "E_FINGERPRINT_SITES",
            UsageError,
            400,
            "Use fingerprints of at least as many sites as a band, or smaller bands.",
        ),
    ),
    *_area(
        "Access requests and exports",
        _raised(
            "E_NO_REQUEST",
            NotFound,
            404,
            "Check the request's number, as given when the request was submitted.",
        ),
        _raised(
            "E_NO_COHORT",
            UsageError,
            400,
            "Name the cohort to export: the institution, and its families or populations.",
        ),
        _raised(
            "E_NOT_YOUR_ORGANISATION",
            Forbidden,
            403,
            "Request for your own organisation; an officer files for another party with "
            "--for-party.",
        ),
        _raised(
            "E_UNREGISTERED_PARTY",
            ValidationFailed,
            422,
            "Register the party the message names (hgr org add), or name one that is registered.",
        ),
        _raised(
            "E_REQUEST_STATE",
            Conflict,
            409,
            "Take the request through its steps in order; the message says where it stands.",
        ),
        # Which ending was asked for, unlike a step the request's state forbids.
        _raised(
            "E_REQUEST_END", ValidationFailed, 422, "End the request with expire, revoke or close."
        ),
        _raised(
            "E_REVIEW_KIND",
            ValidationFailed,
            422,
            "Give one of the reviews the request needs, as the message lists.",
        ),
        _raised(
            "E_REVIEW_NOTE",
            ValidationFailed,
            422,
            "Give the reasons for the rejection or revocation.",
        ),
        _raised(
            "E_REVIEWER",
            Forbidden,
            403,
            "Ask a reviewer with the right role and scope, not linked to the requester, to review.",
        ),
        # The second pair of eyes is taken, unlike a reviewer who may not review at all.
        _raised(
            "E_ALREADY_REVIEWED",
            Conflict,
            409,
            "Ask another reviewer: your review of this request is recorded already.",
        ),
        _raised(
            "E_NOT_FILED",
            Conflict,
            409,
            "File the request first (the filing record with the backup's checksum), then "
            "activate it.",
        ),
        _raised("E_FILED", Conflict, 409, "Nothing to do: the request is filed already."),
        _raised(
            "E_NO_RECIPIENT_KEY",
            UsageError,
            400,
            "Register the recipient's public key first (hgr access key).",
        ),
        _raised(
            "E_ETHICS",
            Conflict,
            409,
            "Register a valid ethics approval for the institution, or wait until it takes effect.",
        ),
        _raised(
            "E_DECISION_CHANGED",
            Conflict,
            409,
            "Submit the request again, for the decision that the data released today needs.",
        ),
        _raised(
            "E_EXISTS",
            Conflict,
            409,
            "Move the earlier export folder away, or export into another folder.",
        ),
        _raised("E_ONTOLOGY", FormatError, 400, "Give the ontology as an OBO file."),
    ),
    *_area(
        "Organisations and debarment",
        _raised(
            "E_UNKNOWN_ORGANISATION",
            NotFound,
            404,
            "Register the organisation first (hgr org add, with its source and the officer "
            "who verified it).",
        ),
        _raised(
            "E_ORG_FACT",
            ValidationFailed,
            422,
            "Give the source (--source) and the verifying officer (--verified-by).",
        ),
        _raised(
            "E_ORG_FIELD",
            ValidationFailed,
            422,
            "Correct the organisation's field as the message says.",
        ),
        _raised("E_NO_CASE", NotFound, 404, "Check the debarment case's number."),
        _raised(
            "E_DEBARMENT_CASE",
            ValidationFailed,
            422,
            "Give what the message lists: the organisation, its identifiers, the regime, "
            "the ground, the country.",
        ),
        _raised(
            "E_DEBARMENT_REASONS",
            ValidationFailed,
            422,
            "Give the reasons for the decision or the removal.",
        ),
        _raised(
            "E_DEBARMENT_END",
            ValidationFailed,
            422,
            "Give an end within five years; only a ban under Art. 43 may be permanent.",
        ),
        _raised(
            "E_DEBARMENT_STATE",
            Conflict,
            409,
            "Take the case through its steps in order; the message says where it stands.",
        ),
        _raised(
            "E_DEBARMENT_STANDSTILL",
            Conflict,
            409,
            "Wait until the standstill ends, on the date the message gives.",
        ),
        _raised(
            "E_LIST_FORMAT",
            FormatError,
            400,
            "Give the national debarment list as the nation signed it (a JSON document).",
        ),
        _raised(
            "E_LIST_OLDER",
            Conflict,
            409,
            "Nothing to do: this node holds a newer list; fetch the current one if in doubt.",
        ),
        _raised(
            "E_LIST_STALE",
            PolicyDenied,
            403,
            "Fetch the current national debarment list (hgr debarment fetch URL).",
        ),
    ),
    *_area(
        "Catalogue of important resources",
        _raised(
            "E_NO_INSTITUTION",
            NotFound,
            404,
            "Check the institution's code, or import the institution first.",
        ),
        _raised("E_NO_FAMILY", NotFound, 404, "Check the family's id, or import the family first."),
        _raised(
            "E_NO_ENTRY",
            NotFound,
            404,
            "Check the kind, subject and institution; declare the entry first.",
        ),
        _raised("E_NO_REGISTER", NotFound, 404, "Wait for the nation's register, or fetch it."),
        _raised(
            "E_CATALOGUE_CONDITION",
            ValidationFailed,
            422,
            "Register the family's condition (families.csv, condition) before declaring it.",
            issue="error",
        ),
        _raised(
            "E_CATALOGUE_TRAIT",
            ValidationFailed,
            422,
            "Say what makes the specific-region resource important.",
        ),
        _raised(
            "E_CATALOGUE_NOTE",
            ValidationFailed,
            422,
            "Give the reasons for the rejection, or for approving against the evidence.",
        ),
        _raised(
            "E_CATALOGUE_DRAWING", ValidationFailed, 422, "Import the family's pedigree first."
        ),
        _raised(
            "E_CATALOGUE_STATE",
            Conflict,
            409,
            "Look at the entry as it stands now; a declared or registered entry does not change.",
        ),
        _raised(
            "E_CATALOGUE_EMPTY",
            UsageError,
            400,
            "Declare or review entries first (hgr catalogue declare, hgr catalogue review).",
        ),
        _raised(
            "E_CATALOGUE",
            FormatError,
            400,
            "Ask the sender for a catalogue document written by hgr; the message names the "
            "faulty part.",
        ),
        # A signed document that contradicts its signer or the declaration it reviews: the
        # signature holds, the content does not (unlike a malformed one, E_CATALOGUE).
        _raised(
            "E_CATALOGUE_MISMATCH",
            IntegrityBroken,
            500,
            "Refuse the document and ask its sender to sign a corrected one.",
        ),
    ),
    *_area(
        "Survey",
        _raised(
            "E_CYCLE",
            UsageError,
            400,
            "Give a cycle code of letters, digits, '.', '_' or '-', of kind five_year or ad_hoc.",
        ),
        _raised("E_CYCLE_DATES", UsageError, 400, "Correct the cycle's dates as the message says."),
        _raised("E_CYCLE_EXISTS", Conflict, 409, "Use the open cycle, or choose another code."),
        _raised("E_NO_CYCLE", NotFound, 404, "Use one of the open cycles the message lists."),
        _raised("E_NO_REGION", NotFound, 404, "Give a province code from the node's region list."),
        _raised(
            "E_NO_EDITION",
            NotFound,
            404,
            "Wait for the national edition of this cycle to be published.",
        ),
        _raised(
            "E_DICTIONARY",
            ValidationFailed,
            422,
            "Correct the data dictionary as the issues say (it is a JSON file).",
            issue="error",
        ),
        _raised(
            "E_SURVEY_RETURN",
            ValidationFailed,
            422,
            "Correct the return as the issues say, then sign it again.",
        ),
        _issue(
            "E_SURVEY_DICTIONARY",
            "error",
            422,
            "Draft the return again, for this cycle's dictionary.",
        ),
        _issue(
            "E_SURVEY_MISSING", "error", 422, "Draft the return again: a computed field is missing."
        ),
        _issue(
            "E_SURVEY_VALUE", "error", 422, "Draft the return again: a computed value is malformed."
        ),
        _issue(
            "E_SURVEY_SUM",
            "error",
            422,
            "Draft the return again: a table does not add up to its total.",
        ),
        _issue(
            "E_SURVEY_BOUND",
            "error",
            422,
            "Draft the return again: a count exceeds the number of donors.",
        ),
        _issue(
            "E_SURVEY_FORM_UNKNOWN", "error", 422, "Answer only the form fields the message lists."
        ),
        _issue(
            "E_SURVEY_FORM_MISSING",
            "error",
            422,
            "Answer the required form field in the form file.",
        ),
        _issue("E_SURVEY_FORM_VALUE", "error", 422, "Correct the answer as the field's help says."),
        _issue(
            "W_SURVEY_NO_CONSENT",
            "warning",
            None,
            "Register the donors' consents, or record their withdrawal.",
        ),
        _issue(
            "W_SURVEY_NO_ETHICS",
            "warning",
            None,
            "Register the ethics approvals the collections were made under.",
        ),
        _issue(
            "W_SURVEY_PARTNERS",
            "warning",
            None,
            "List each foreign party of the cooperation, with its country.",
        ),
        _raised(
            "E_SURVEY_INVALID_RETURN",
            ValidationFailed,
            422,
            "Ask the institutions named to correct their returns and sign new versions.",
            issue="error",
        ),
        _raised(
            "E_SURVEY_NO_RETURN",
            UsageError,
            400,
            "Sign and submit the institution's return first (hgr survey submit).",
        ),
        _raised(
            "E_SURVEY_NO_EDITIONS",
            UsageError,
            400,
            "Compile the edition first (hgr survey compile), or wait for the provinces' editions; "
            "a national edition is published once signed off (hgr survey sign-off).",
        ),
        _issue(
            "E_SURVEY_PROVINCE_MISSING",
            "error",
            422,
            "Receive the province's edition (hgr survey receive, or over the API), compile the "
            "national edition again, then sign it off.",
        ),
        _raised(
            "E_SURVEY_INCOMPLETE",
            ValidationFailed,
            422,
            "Receive the missing provinces' editions, compile the national edition again, then "
            "sign it off.",
        ),
        _issue(
            "E_SURVEY_CELL_EXPOSED",
            "error",
            422,
            "Lower [survey] protection_interval, or leave the table out of the survey's "
            "published tables, then sign off again.",
        ),
        _raised(
            "E_SURVEY_FINAL_BROKEN",
            IntegrityBroken,
            500,
            "Sign the national edition off again (hgr survey sign-off): the sign-off must record "
            "the cells it hides.",
        ),
        _raised(
            "E_SURVEY_UNPROTECTED",
            ValidationFailed,
            422,
            "No suppression keeps every hidden count at least the protection interval wide "
            "against the editions already published: see each issue, then sign off again.",
        ),
        _raised(
            "E_DOCUMENT", FormatError, 400, "Give a signed survey document exactly as hgr wrote it."
        ),
        # The API answers a malformed document in a request with 422, as it does other
        # content that fails its checks; a file read by the command line is E_DOCUMENT.
        _raised(
            "E_NOT_A_DOCUMENT",
            ValidationFailed,
            422,
            "Send a signed survey document exactly as hgr wrote it.",
        ),
        _raised("E_LEVEL", FormatError, 400, "Give the level as institution, province or nation."),
        _raised(
            "E_PACKAGE",
            FormatError,
            400,
            "Send the package exactly as hgr wrote it (hgr survey export or send, hgr "
            "catalogue send).",
        ),
        # A package whose documents do not belong to its edition (unlike a malformed one).
        _raised(
            "E_PACKAGE_MISMATCH",
            IntegrityBroken,
            500,
            "Ask the province to send its package again, as hgr wrote it.",
        ),
        _raised(
            "E_VERSION",
            Conflict,
            409,
            "Fetch the document's latest version and send the next one after it.",
        ),
        _raised(
            "E_SIGNATURE",
            IntegrityBroken,
            500,
            "Check that the sender's key is trusted here (hgr survey trust); else ask for "
            "a document signed again.",
        ),
        _raised(
            "E_SURVEY_KEY_UNREGISTERED",
            IntegrityBroken,
            500,
            "Register the institution's signing key (hgr survey trust --level institution).",
        ),
        _raised(
            "E_SURVEY_UNKNOWN_INSTITUTION",
            IntegrityBroken,
            500,
            "Import the institutions list first (hgr import institutions.csv).",
        ),
        _raised(
            "E_SURVEY_NOT_ITS_INSTITUTION",
            IntegrityBroken,
            500,
            "Ask the province to include only its own institutions, as the registry places them.",
        ),
        _raised(
            "E_SURVEY_MISSING_RETURN",
            IntegrityBroken,
            500,
            "Ask the province to send its package again, with every return it names.",
        ),
        _raised(
            "E_SURVEY_PSEUDONYMS",
            IntegrityBroken,
            500,
            "Ask the institution to draft, sign and send its return again: its pseudonyms do "
            "not agree with its counts.",
        ),
        _raised(
            "E_SURVEY_ROLLBACK",
            IntegrityBroken,
            500,
            "A later version was removed: restore it from backup before publishing.",
        ),
        _raised(
            "E_SURVEY_VERIFY",
            IntegrityBroken,
            500,
            "Read the problems listed and restore the documents they name from backup.",
        ),
    ),
    *_area(
        "Beacon and federation",
        _raised(
            "E_BEACON_QUERY",
            UsageError,
            400,
            "Correct the query as the message says; narrow a range that is too wide.",
        ),
        _raised(
            "E_BUSY",
            "Busy",
            503,
            "Send the request again after the seconds Retry-After gives: the node's SQLite "
            "database was busy with other writes, and nothing of the request was kept.",
        ),
        _raised(
            "E_BEACON_RANGE",
            UsageError,
            400,
            "Ask about a narrower range, or in parts: below the controlled tier a question "
            "that decides alleles spans at most 10,000 bases (anonymous) or 100,000 "
            "(registered), at one of the day's questions per 1,000 bases.",
        ),
        _raised(
            "E_FREQUENCY_QUESTION",
            UsageError,
            400,
            "Correct the question as the message says (variants like 1-55516888-G-GA).",
        ),
        _raised(
            "E_PRIVACY_BUDGET",
            PolicyDenied,
            403,
            "Ask about fewer variants, or wait for next year's budget.",
        ),
        _raised(
            "E_SLICE_TOO_SMALL",
            PolicyDenied,
            403,
            "Ask about a larger group: a wider population or province, or none.",
        ),
        _raised(
            "E_DEBARRED",
            Forbidden,
            403,
            "Your organisation is on the debarment list: contact the national authority.",
        ),
        _raised(
            "E_BEACON_BUDGET",
            "QuestionsExhausted",
            429,
            "Ask again tomorrow: today's question allowance is used up.",
        ),
        _raised(
            "E_LEDGER_UNREACHABLE",
            "LedgerUnreachable",
            429,
            "Ask again later: the federation's question ledger did not answer.",
        ),
        _raised(
            "E_LEDGER_REQUEST",
            UsageError,
            400,
            "Send the ledger request with holders, tier and question as the message says.",
        ),
        _raised(
            "E_ON_BEHALF", UsageError, 400, "Correct the on-behalf header as the message says."
        ),
        _raised("E_URL", UsageError, 400, "Give the node's address starting http:// or https://."),
        _raised(
            "E_UNREACHABLE", UsageError, 400, "Check the address and the network, then try again."
        ),
        # A peer's refusal keeps the peer's code and takes the class of its HTTP status; one
        # that names no code is E_REMOTE under that class (hgr.federation.client).
        _raised(
            "E_REMOTE",
            UsageError,
            400,
            "Check that the address is an hgr node and that it is working.",
        ),
    ),
    *_area(
        "Policy rules",
        _raised(
            "E_POLICY_FILE",
            ValidationFailed,
            422,
            "Give the request as a readable YAML or JSON file.",
            issue="error",
        ),
        _raised(
            "E_POLICY_FIELD",
            ValidationFailed,
            422,
            "Correct the fields the issues list (docs/policy.md describes them).",
            issue="error",
        ),
        _raised(
            "E_POLICY_PACK",
            ValidationFailed,
            422,
            "Correct the rule pack as the issues say (docs/policy.md describes the format).",
            issue="error",
        ),
    ),
)

BY_CODE: Mapping[str, Declared] = MappingProxyType({d.code: d for d in CODES})


def declared(code: str) -> Declared | None:
    """The declaration of ``code``, or None if it is not declared."""
    return BY_CODE.get(code)


def remedy_of(error: HgrError) -> str | None:
    """What the person who meets ``error`` does next; None for an undeclared code."""
    found = BY_CODE.get(error.code)
    return found.remedy if found else None


def render_markdown() -> str:
    """docs/errors.md: a table of the codes per area."""
    lines = [
        "# Error codes",
        "",
        "<!-- Generated from src/hgr/error_codes.py by "
        "`python -m hgr.error_codes > docs/errors.md`: edit the registry, not this file. -->",
        "",
        "Every error hgr reports carries a stable code. The command line prints it after the "
        "message, `error: <message> (<code>)`; the API answers it as the `code` of a "
        "problem+json document, with the HTTP status below. An issue is one finding in a "
        "report (an import, a pedigree, a survey return): errors are listed in a 422 answer, "
        "warnings beside a successful one.",
    ]
    areas = list(dict.fromkeys(d.area for d in CODES))
    for area in areas:
        lines += [
            "",
            f"## {area}",
            "",
            "| Code | HTTP | Reported | What to do |",
            "| --- | --- | --- | --- |",
        ]
        for d in (d for d in CODES if d.area == area):
            status = "—" if d.status is None else str(d.status)
            remedy = d.remedy.replace("|", "\\|")
            lines.append(f"| `{d.code}` | {status} | {d.reported} | {remedy} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
