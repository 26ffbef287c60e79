"""Organisation names in the form they are matched by: the same organisation written in
full-width characters, another case, with other punctuation or with its legal form spelt
out or left off gives the same normalised name."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["LEGAL_FORMS", "normalise_name"]

# Legal-form words, matched at the end of a name after punctuation is removed (longest first):
# UK Companies Act 2006 s.58-59, EU company forms, the PRC Company Law's 有限公司 and
# 股份有限公司, and the common abbreviations.
LEGAL_FORMS = sorted({
    "limited", "ltd", "plc", "llp", "lp", "llc", "inc", "incorporated", "corp", "corporation",
    "co", "company", "gmbh", "ag", "kg", "sa", "sas", "sarl", "spa", "srl", "bv", "nv", "ab",
    "as", "oy", "kk", "pte", "pty", "holdings", "group",
    "有限公司", "有限责任公司", "股份有限公司", "集团有限公司", "集团", "公司",
}, key=len, reverse=True)  # fmt: skip
_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalise_name(name: str) -> str:
    """``name`` in NFKC (full-width letters become ASCII), case-folded, with punctuation and
    whitespace reduced to single spaces and trailing legal forms removed."""
    text = unicodedata.normalize("NFKC", name).casefold()
    words = [w for w in _NOT_WORD.sub(" ", text).split() if w]
    changed = True
    while changed and len(words) > 1:
        changed = False
        if words[-1] in LEGAL_FORMS:
            words.pop()
            changed = True
    joined = " ".join(words)
    # Chinese names carry their legal form without a space: 示例基因有限公司.
    for form in LEGAL_FORMS:
        if not form.isascii() and joined.endswith(form) and len(joined) > len(form):
            joined = joined[: -len(form)].rstrip()
            break
    return joined
