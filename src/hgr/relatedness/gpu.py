"""KING counts on a GPU: every pair's counts as products of indicator matrices (PyTorch).

For the samples of a row block and of a column block, with int8 indicators per packed site:

- ``H``: the call is heterozygous;
- ``C``: the call is not missing;
- ``X``: +1 homozygous alternate, -1 homozygous reference, 0 heterozygous or missing, which is
  ``2 alt + het - called`` in the bit planes of ``packed.py``;

the counts of ``kernels.py`` are matrix products summed over the sites::

    hethet = H_i · H_j      het_i = H_i · C_j      het_j = C_i · H_j      n = C_i · C_j
    X_i · X_j = (sites with the same homozygote) - (sites with opposite homozygotes)
    ibs0 = (n - het_i - het_j + hethet - X_i · X_j) / 2

because ``n - het_i - het_j + hethet`` counts the sites where both are homozygous. Between two
samples with no missing call, ``n``, ``het_i`` and ``het_j`` are the site count and the two
het totals, so blocks of complete samples need two products, not five. The products are
int8 × int8 → int32 matrix multiplications (``torch._int_mm``: cuBLAS on the tensor cores),
exact for any count below 2^31, so the results equal the CPU kernels' to the last bit, and
the kinship is then computed in float64 in the same order of operations as
``king.king_kinship``.

Work is blocked: one block of rows against one block of columns, only blocks on or above the
diagonal, sites in chunks, so GPU memory stays bounded whatever the number of samples and
sites. The kinship and the threshold are applied on the GPU and only the pairs kept travel
back. PyTorch is optional: nothing else in hgr needs it.
"""

from __future__ import annotations

import importlib.util
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hgr.exceptions import UsageError
from hgr.relatedness.packed import PackedGenotypes

__all__ = [
    "DEFAULT_BLOCK",
    "DEVICES",
    "choose_device",
    "cuda_available",
    "fit_block",
    "torch_pairs",
]

DEVICES = ("auto", "cpu", "gpu")
# Samples per block side. A pair of blocks holds at most five int32 products and a few
# float64 matrices of 8,192² (0.3 and 0.5 GB each), well inside a data-centre GPU.
DEFAULT_BLOCK = 8192
# Words (64 sites) per chunk of sites: a block's three int8 indicators over 131,072 sites
# take 3.2 GB, so 1,000,000 SNPs need no more memory than 100,000.
DEFAULT_CHUNK_WORDS = 2048
# torch._int_mm wants more than 16 rows and column counts divisible by 8: blocks are padded
# with zero rows (no call anywhere) to a multiple of 32.
_ALIGN = 32
# The planes are copied to the GPU once when they take at most this share of its free memory;
# otherwise each block is copied when it is needed.
_RESIDENT_SHARE = 0.25
# A block pair's working set may take at most this share of the GPU's free memory; a smaller
# GPU gets smaller blocks.
_WORKING_SHARE = 0.6


def _torch() -> Any:
    import torch  # optional: only this backend needs it

    return torch


def cuda_available() -> bool:
    """Whether PyTorch is installed and sees a CUDA GPU (without importing it when no driver is)."""
    # Importing torch takes a second or two; where no NVIDIA driver is loaded it cannot
    # find a GPU, so do not pay that on every CPU-only run.
    if not (os.path.exists("/proc/driver/nvidia") or os.path.exists("/dev/nvidiactl")):
        return False
    if importlib.util.find_spec("torch") is None:
        return False
    return bool(_torch().cuda.is_available())


def choose_device(requested: str, *, distributed: bool = False) -> str:
    """``cpu`` or ``gpu`` for ``--device`` (``auto``: the GPU when there is one).

    A run on a Dask cluster (``distributed``) computes on its workers' CPUs.
    """
    if requested not in DEVICES:
        raise UsageError(
            f"--device {requested!r}: choose one of {', '.join(DEVICES)}", code="E_USAGE"
        )
    if distributed:
        if requested == "gpu":
            raise UsageError(
                "--device gpu computes in this process; it cannot be combined with --scheduler",
                code="E_USAGE",
            )
        return "cpu"
    if requested == "gpu" and not cuda_available():
        raise UsageError(
            "--device gpu: PyTorch sees no CUDA GPU here (install PyTorch built for CUDA, "
            "or use --device cpu)",
            code="E_NO_GPU",
        )
    if requested == "auto":
        return "gpu" if cuda_available() else "cpu"
    return requested


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _working_bytes(block: int, sites: int) -> int:
    """GPU memory a block pair needs at most, for ``block`` samples a side over ``sites``.

    Each side holds H, C (with the alternate plane: 3 bytes a genotype) and X (1), and
    unpacking one side passes through two temporaries of 3 bytes a genotype; the products
    (five int32) and the kinship arithmetic (about five 8-byte matrices) are per pair.
    """
    return 14 * block * sites + (5 * 4 + 5 * 8) * block * block


def fit_block(block: int, sites: int, free_bytes: int) -> int:
    """``block`` halved until a block pair fits in ``_WORKING_SHARE`` of ``free_bytes``."""
    while block > _ALIGN and _working_bytes(block, sites) > _WORKING_SHARE * free_bytes:
        block = max(_ALIGN, block // 2 // _ALIGN * _ALIGN)
    return block


class _Planes:
    """The packed planes as bytes on the compute device, whole or one block at a time."""

    def __init__(self, torch: Any, planes: NDArray[np.uint64], device: Any) -> None:
        self.torch = torch
        self.device = device
        # Little-endian bytes of the words: site order inside a word does not matter, since
        # every count is a sum over sites taken in the same order for both samples.
        self.host = planes.view(np.uint8)
        self.resident = None
        if device.type == "cpu":
            self.resident = torch.from_numpy(self.host)
        else:
            free, _total = torch.cuda.mem_get_info(device)
            if self.host.nbytes <= _RESIDENT_SHARE * free:
                self.resident = torch.from_numpy(self.host).to(device)
        self.shifts = torch.arange(8, dtype=torch.uint8, device=device)

    def indicators(self, start: int, stop: int, w0: int, w1: int) -> tuple[Any, Any, Any]:
        """``H``, ``X`` and ``C`` (int8) of samples ``start:stop`` over words ``w0:w1``.

        Rows are padded with zeros to a multiple of ``_ALIGN``.
        """
        torch = self.torch
        if self.resident is not None:
            data = self.resident[:, start:stop, w0 * 8 : w1 * 8]
        else:
            block = np.ascontiguousarray(self.host[:, start:stop, w0 * 8 : w1 * 8])
            data = torch.from_numpy(block).to(self.device)
        rows = stop - start
        sites = (w1 - w0) * 64
        bits = torch.zeros(
            (3, _round_up(rows, _ALIGN), sites), dtype=torch.int8, device=self.device
        )
        bits[:, :rows] = ((data.unsqueeze(-1) >> self.shifts) & 1).reshape(3, rows, sites)
        het, alt, called = bits[0], bits[1], bits[2]
        return het, 2 * alt + het - called, called


def _product(torch: Any, a: Any, b: Any) -> Any:
    """``a · bᵀ`` as int32, for int8 ``a`` (rows × sites) and ``b`` (columns × sites)."""
    return torch._int_mm(a, b.t())


def torch_pairs(
    packed: PackedGenotypes,
    *,
    min_kinship: float,
    device: str = "cuda",
    block: int = DEFAULT_BLOCK,
    chunk_words: int = DEFAULT_CHUNK_WORDS,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, NDArray[Any]]]:
    """The pairs with kinship at least ``min_kinship``, as ``king.tile_pairs`` returns them.

    ``device`` is a PyTorch device (``cuda``, ``cuda:1``; ``cpu`` runs the same arithmetic on
    the CPU, for checking it). ``block`` is rounded down to a multiple of 32 samples, and on a
    GPU halved until a block pair fits in its free memory (``fit_block``).
    """
    if block < _ALIGN or chunk_words < 1:
        raise UsageError(
            f"the GPU block must be at least {_ALIGN} samples and the chunk at least one word",
            code="E_USAGE",
        )
    torch = _torch()
    target = torch.device(device)
    n = len(packed.samples)
    planes = packed.planes
    if planes.shape[2] == 0:  # no sites: one zero word gives every pair zero counts
        planes = np.zeros((3, n, 1), dtype=np.uint64)
    words = planes.shape[2]
    chunks = [(w, min(w + chunk_words, words)) for w in range(0, words, chunk_words)]
    source = _Planes(torch, planes, target)
    block = min(block // _ALIGN * _ALIGN, _round_up(max(n, 1), _ALIGN))
    if target.type == "cuda":
        free, _total = torch.cuda.mem_get_info(target)
        block = fit_block(block, min(words, chunk_words) * 64, free)
    starts = list(range(0, n, block))
    het_count = torch.from_numpy(packed.het_count).to(target)
    complete = packed.complete
    total = len(starts) * (len(starts) + 1) // 2
    done = 0
    parts = []
    with torch.inference_mode():
        for x, row_start in enumerate(starts):
            row_stop = min(row_start + block, n)
            # With one chunk of sites, the row block's indicators serve every column block.
            row_cache = (
                source.indicators(row_start, row_stop, 0, words) if len(chunks) == 1 else None
            )
            for col_start in starts[x:]:
                col_stop = min(col_start + block, n)
                both_complete = bool(
                    complete[row_start:row_stop].all() and complete[col_start:col_stop].all()
                )
                sums: list[Any] | None = None
                for w0, w1 in chunks:
                    h_r, x_r, c_r = row_cache or source.indicators(row_start, row_stop, w0, w1)
                    h_c, x_c, c_c = source.indicators(col_start, col_stop, w0, w1)
                    products = [_product(torch, h_r, h_c), _product(torch, x_r, x_c)]
                    if not both_complete:
                        products += [
                            _product(torch, c_r, c_c),
                            _product(torch, h_r, c_c),
                            _product(torch, c_r, h_c),
                        ]
                    if sums is None:
                        sums = products
                    else:
                        for total_so_far, product in zip(sums, products, strict=True):
                            total_so_far += product
                assert sums is not None
                parts.append(
                    _kept_pairs(
                        torch,
                        sums,
                        het_count,
                        packed.n_sites,
                        min_kinship,
                        (row_start, row_stop),
                        (col_start, col_stop),
                    )
                )
                done += 1
                if progress:
                    progress(done, total)
    return parts


def _kept_pairs(
    torch: Any,
    sums: list[Any],
    het_count: Any,
    n_sites: int,
    min_kinship: float,
    rows: tuple[int, int],
    cols: tuple[int, int],
) -> dict[str, NDArray[Any]]:
    """Kinship of one block pair from its products, and the pairs kept, back on the host.

    ``sums`` holds ``H·Hᵀ`` and ``X·Xᵀ``, then, unless both blocks are of complete samples,
    ``C·Cᵀ``, ``H·Cᵀ`` and ``C·Hᵀ`` (the module docstring); padding rows are cut off here.
    """
    r = rows[1] - rows[0]
    c = cols[1] - cols[0]
    hethet, xx = sums[0][:r, :c], sums[1][:r, :c]
    if len(sums) == 2:
        n: Any = n_sites
        het_i = het_count[rows[0] : rows[1], None]
        het_j = het_count[None, cols[0] : cols[1]]
    else:
        n, het_i, het_j = (s[:r, :c] for s in sums[2:])
    ibs0 = torch.div(n - het_i - het_j + hethet - xx, 2, rounding_mode="floor")
    i_only = het_i - hethet
    j_only = het_j - hethet
    f64 = torch.float64
    # The same operations, in the same order, as king.king_kinship: identical doubles.
    denominator = 4.0 * (hethet + torch.minimum(i_only, j_only)).to(f64)
    kinship = 0.5 - (4.0 * ibs0.to(f64) + i_only.to(f64) + j_only.to(f64)) / denominator
    kinship = torch.where(denominator > 0, kinship, math.nan)
    if min_kinship == -math.inf:  # every pair, also those without a kinship
        keep = torch.ones_like(kinship, dtype=torch.bool)
    else:
        keep = kinship >= min_kinship
    if rows[0] == cols[0]:
        keep = torch.triu(keep, diagonal=1)
    where = keep.nonzero()
    a, b = where[:, 0], where[:, 1]

    def host(values: Any) -> NDArray[Any]:
        return np.asarray(values.cpu().numpy())

    count = int(a.numel())
    n_kept = np.full(count, n_sites, np.int64) if len(sums) == 2 else host(n[a, b]).astype(np.int64)
    het_a = het_i.expand(r, c)[a, b]
    het_b = het_j.expand(r, c)[a, b]
    return {
        "a": host(a).astype(np.int64) + rows[0],
        "b": host(b).astype(np.int64) + cols[0],
        "hethet": host(hethet[a, b]).astype(np.int64),
        "ibs0": host(ibs0[a, b]).astype(np.int64),
        "het_a": host(het_a).astype(np.int64),
        "het_b": host(het_b).astype(np.int64),
        "n_sites": n_kept,
        "kinship": host(kinship[a, b]),
    }
