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
LEGAL_FORMS = sorted(
    {
        "limited",
        "ltd",
        "plc",
        "llp",
        "lp",
        "llc",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "gmbh",
        "ag",
        "kg",
        "sa",
        "sas",
        "sarl",
        "spa",
        "srl",
        "bv",
        "nv",
        "ab",
        "as",
        "oy",
        "kk",
        "pte",
        "pty",
        "holdings",
        "group",
        "有限公司",
        "有限责任公司",
        "股份有限公司",
        "集团有限公司",
        "集团",
        "公司",
    },
    key=len,
    reverse=True,
)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_GAP = re.compile(f"(?<=[{_CJK}]) +(?=[{_CJK}])")
_CHINESE_FORMS = [f for f in LEGAL_FORMS if not f.isascii()]


def normalise_name(name: str) -> str:
    """``name`` in NFKC (full-width letters become ASCII), case-folded, with punctuation and
    whitespace reduced to single spaces (none between Chinese characters) and trailing legal
    forms removed, as many as there are (示例基因集团股份有限公司 → 示例基因)."""
    text = unicodedata.normalize("NFKC", name).casefold()
    joined = _CJK_GAP.sub("", " ".join(_NOT_WORD.sub(" ", text).split()))
    changed = True
    while changed:
        changed = False
        words = joined.split(" ")
        if len(words) > 1 and words[-1] in LEGAL_FORMS:
            joined = " ".join(words[:-1])
            changed = True
            continue
        # Chinese names carry their legal form without a space: 示例基因有限公司.
        for form in _CHINESE_FORMS:
            if joined.endswith(form) and len(joined) > len(form):
                joined = joined[: -len(form)].rstrip()
                changed = True
                break
    return joined
