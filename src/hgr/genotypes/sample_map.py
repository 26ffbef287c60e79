"""Matching the sample columns of genotype files to the registry's samples.

A column is matched by its id (the registry's sample code at the collection's institution),
or through a mapping file when the laboratory used other ids: two tab-separated columns, the
id in the genotype file and the registry's sample code, one pair per line; lines starting with
``#`` are comments.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.exceptions import FormatError, ValidationFailed
from hgr.registry.models import Sample

__all__ = ["match_samples", "read_sample_map"]

_SHOWN = 5


def read_sample_map(path: Path) -> dict[str, str]:
    """Read a mapping file: file sample id → registry sample code.

    Raises
    ------
    FormatError
        Naming the line, for a line that is not two tab-separated ids, or an id mapped twice.
    """
    mapping: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(
            f"{path}: cannot read the sample map: {exc}", code="E_SAMPLE_MAP"
        ) from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not all(part.strip() for part in parts):
            raise FormatError(
                f"{path}:{number}: expected two tab-separated columns, the id in the genotype "
                "file and the registry's sample code",
                code="E_SAMPLE_MAP",
            )
        file_id, code = (part.strip() for part in parts)
        if file_id in mapping:
            raise FormatError(f"{path}:{number}: {file_id!r} is mapped twice", code="E_SAMPLE_MAP")
        mapping[file_id] = code
    return mapping


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def match_samples(
    session: Session,
    institution_id: int,
    file_ids: Sequence[str],
    mapping: dict[str, str] | None,
    *,
    source: str,
) -> list[Sample]:
    """The registry sample of each file column, in column order.

    Raises
    ------
    ValidationFailed
        ``E_UNMAPPED_SAMPLE`` for a column the mapping file leaves out; ``E_DUPLICATE_SAMPLE``
        when two columns are the same registry sample; ``E_UNKNOWN_SAMPLE`` for codes the
        institution has not registered. Each lists the ids concerned.
    """
    if mapping is not None:
        unmapped = [name for name in file_ids if name not in mapping]
        if unmapped:
            raise ValidationFailed(
                f"{source}: {len(unmapped)} sample id(s) are not in the sample map: "
                f"{_listed(unmapped)}; add them to the map",
                code="E_UNMAPPED_SAMPLE",
            )
    codes = [mapping[name] if mapping is not None else name for name in file_ids]
    seen: dict[str, str] = {}
    for name, code in zip(file_ids, codes, strict=True):
        if code in seen:
            raise ValidationFailed(
                f"{source}: columns {seen[code]!r} and {name!r} are both registry sample "
                f"{code!r}: one sample's genotypes must appear once; drop one column",
                code="E_DUPLICATE_SAMPLE",
            )
        seen[code] = name
    found = {
        sample.code: sample
        for chunk in range(0, len(codes), 500)
        for sample in session.scalars(
            select(Sample).where(
                Sample.institution_id == institution_id,
                Sample.code.in_(codes[chunk : chunk + 500]),
            )
        )
    }
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise ValidationFailed(
            f"{source}: {len(unknown)} sample id(s) are not registered samples of the "
            f"collection's institution: {_listed(unknown)}; import the samples first, or map "
            "the file's ids to sample codes with --sample-map",
            code="E_UNKNOWN_SAMPLE",
        )
    return [found[code] for code in codes]
