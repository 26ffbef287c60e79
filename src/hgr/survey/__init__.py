"""The national survey: cycles, institution returns, provincial and national editions."""

from hgr.survey.cycles import CycleDates, default_dates, get_cycle, import_cycle, open_cycle
from hgr.survey.dictionary import DEFAULT_DICTIONARY, DataDictionary, read_dictionary
from hgr.survey.documents import Envelope, sign_document, store_document, trust_key
from hgr.survey.returns import draft_return, submit_return, validate_return

__all__ = [
    "DEFAULT_DICTIONARY",
    "CycleDates",
    "DataDictionary",
    "Envelope",
    "default_dates",
    "draft_return",
    "get_cycle",
    "import_cycle",
    "open_cycle",
    "read_dictionary",
    "sign_document",
    "store_document",
    "submit_return",
    "trust_key",
    "validate_return",
]
