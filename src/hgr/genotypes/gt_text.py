"""Parsing the GT values of one VCF record's sample columns, as text, into allele indices.

A GT value is an allele, then for each further allele a separator and the allele; an allele
is an index into REF and ALT or ``.`` for a missing call; ``|`` marks the phased
separator and ``/`` the unphased (VCF 4.3 §1.6.2, "GT"). GT is the first sub-field of each
sample column, so the value ends at ``:`` or at the tab before the next sample.

The arrays written follow VCF Zarr (vcf-zarr-spec §"call_genotype"), as htslib and bio2zarr
write them: ``-1`` for a missing allele, ``-2`` to fill a call shorter than the store's
ploidy. A two-allele call is phased when its separator is ``|``. A one-allele call has
nothing to phase: it is marked phased, as bio2zarr marks every call of a haploid store
(bio2zarr issue 399). (bio2zarr's VCF reader leaves such calls in diploid stores marked
either way, depending on htslib's padding; nothing in hgr reads them.)
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BAD_ALLELE",
    "MAX_ALLELE",
    "OK",
    "TOO_MANY_ALLELES",
    "TOO_PLOID",
    "parse_calls",
]

OK = 0
BAD_ALLELE = 1  # not a number or '.', or an empty GT
TOO_PLOID = 2  # more than two alleles in one call
TOO_MANY_ALLELES = 3  # an index beyond what int8 holds
MAX_ALLELE = 127

_TAB, _COLON, _DOT, _BAR, _SLASH, _ZERO, _NINE = 9, 58, 46, 124, 47, 48, 57


@numba.njit(cache=True, nogil=True)
def parse_calls(
    columns: NDArray[np.uint8], calls: NDArray[np.int8], phased: NDArray[np.bool_]
) -> tuple[int, int, int]:
    """Parse the tab-separated sample columns of one record into ``calls`` and ``phased``.

    ``calls`` is (samples, 2) and ``phased`` (samples,), both written in full. The column
    count is checked before (``vcf_scan``); a record with fewer columns stops at the end.

    Returns
    -------
    (status, sample, alleles)
        ``OK`` or the first problem and the sample it is in, and the most alleles in one call
        (1 or 2: the record's ploidy).
    """
    size = columns.shape[0]
    position = 0
    widest = 1
    for sample in range(calls.shape[0]):
        # The common shape first: two one-digit alleles and the end of the column.
        if position + 3 <= size:
            first = columns[position]
            separator = columns[position + 1]
            second = columns[position + 2]
            end = columns[position + 3] if position + 3 < size else _TAB
            if (
                _ZERO <= first <= _NINE
                and _ZERO <= second <= _NINE
                and (separator == _BAR or separator == _SLASH)  # noqa: SIM109 (faster in numba)
                and end == _TAB
            ):
                calls[sample, 0] = first - _ZERO
                calls[sample, 1] = second - _ZERO
                phased[sample] = separator == _BAR
                widest = 2
                position += 4
                continue
        count = 0
        unphased = False
        while True:
            if position >= size:
                return BAD_ALLELE, sample, widest
            char = columns[position]
            if char == _DOT:
                value = -1
                position += 1
            elif _ZERO <= char <= _NINE:
                value = 0
                while position < size and _ZERO <= columns[position] <= _NINE:
                    value = value * 10 + (columns[position] - _ZERO)
                    if value > MAX_ALLELE:
                        return TOO_MANY_ALLELES, sample, widest
                    position += 1
            else:
                return BAD_ALLELE, sample, widest
            if count == 2:
                return TOO_PLOID, sample, widest
            calls[sample, count] = value
            count += 1
            if position >= size:
                break
            char = columns[position]
            if char == _TAB or char == _COLON:  # noqa: SIM109
                break
            if char == _SLASH:
                if count == 1:
                    unphased = True
            elif char != _BAR:
                return BAD_ALLELE, sample, widest
            position += 1
        if count == 1:
            calls[sample, 1] = -2
            phased[sample] = True
        else:
            phased[sample] = not unphased
            widest = 2
        # Other FORMAT sub-fields after GT are not read here.
        while position < size and columns[position] != _TAB:
            position += 1
        position += 1
    return OK, 0, widest
