"""The scale of expression values.

The transforms a loader applies to counts or TPM, the largest value read as an expression
value, and the warning for values already on a log scale.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import DataError

log = logging.getLogger("core.data")  # the package's one logger (-v shows its name)


#: Transforms a loader can apply to raw counts/TPM (all need non-negative input except "none").
TRANSFORMS = ("none", "log10p1", "log2p1", "log1p")


def _check_transform(transform: str) -> str:
    if transform not in TRANSFORMS:
        raise DataError(f"unknown transform {transform!r}; choose one of {', '.join(TRANSFORMS)}")
    return transform


def _apply_transform(block: np.ndarray, transform: str) -> None:
    """Apply ``transform`` in place to a float32 array.

    log10(x + 1) is computed as ln(x + 1) / ln(10): numpy's float32 natural log is vectorised
    (about 3x faster than its log10) and the result differs by at most a few float32 ulps.
    """
    if transform == "log10p1":
        np.add(block, 1.0, out=block)
        np.log(block, out=block)
        np.multiply(block, np.float32(1.0 / np.log(10.0)), out=block)
    elif transform == "log2p1":
        np.add(block, 1.0, out=block)
        np.log2(block, out=block)
    elif transform == "log1p":
        np.log1p(block, out=block)


#: Largest magnitude read as an expression value: counts, TPM and intensities stay far below
#: (a whole library holds about 1e8 reads). Beyond it, a typo or an id column read as values;
#: a square of it would also overflow the float32 fit errors.
MAX_EXPRESSION_VALUE = 1e15

#: What a float32 matrix holds at most; a larger number in a file reads as infinite.
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_magnitude(values: np.ndarray, where: Any) -> None:
    """Refuse infinite values and values beyond :data:`MAX_EXPRESSION_VALUE`; ``where(r, c)``
    names the cell (file, line, sample, gene)."""
    step = max(1, (1 << 24) // max(1, values.shape[1]))  # rows at a time: a GTEx matrix is 4 GB
    for start in range(0, values.shape[0], step):
        block = values[start : start + step]
        bad = ~(np.abs(block) <= MAX_EXPRESSION_VALUE) & ~np.isnan(block)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise _magnitude_error(float(block[r, c]), where(start + r, c))


def _magnitude_error(v: float, cell: str) -> DataError:
    """The error of a value ``v`` beyond what is read, in the cell named ``cell``."""
    if np.isinf(v):
        return DataError(
            f"{cell}: infinite value (inf, or a number beyond {_FLOAT32_MAX:.3g}, the largest "
            "stored); leave the field empty or write NA for a missing value"
        )
    return DataError(
        f"{cell}: value {v:g} is beyond any expression value (at most "
        f"{MAX_EXPRESSION_VALUE:g} are read): a typo, or a column of ids read as values? "
        "Correct the cell, or leave it empty for a missing value"
    )


#: Above this, values are not on a log scale (log2 of a billion reads is 30).
LOG_SCALE_MAX = 100.0


#: Input to a log transform whose largest value is below this, and not all whole numbers,
#: looks already log-transformed: log2 of the largest TPM is about 20, while counts or TPM of
#: a whole matrix reach thousands.
_LOG_INPUT_MAX = 30.0


def _warn_if_log_scale(path: Path, top: float, fractional: bool, transform: str) -> None:
    """Warn that values given to ``transform`` look already log-transformed (see
    :data:`_LOG_INPUT_MAX`): a second log squeezes them into a narrow range."""
    if fractional and np.isfinite(top) and top < _LOG_INPUT_MAX:
        log.warning(
            "%s: values are at most %.3g before the %s transform and not whole numbers: they "
            "look already log-transformed; if so, load them without a transform "
            "(transform 'none'; --transform none on the command line)",
            path,
            top,
            transform,
        )


def _max_and_fraction(values: np.ndarray, known_top: float = -np.inf) -> tuple[float, bool]:
    """(largest value, whether any value has a fractional part) of a float array, NaN aside;
    the fraction is looked for only while the largest value is below :data:`_LOG_INPUT_MAX`."""
    top = max(known_top, float(np.nanmax(values, initial=-np.inf)))
    if top >= _LOG_INPUT_MAX:
        return top, True
    return top, bool(np.any(np.mod(values, 1) > 0))
