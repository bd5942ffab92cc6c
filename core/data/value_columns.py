"""Checks of a table's value columns.

Numbers, booleans, the markers of a missing value ("NA", "n.d."), and the errors that name the
first cell that is not a number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import DataError, argument_words, with_fix


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _is_boolean(series: pd.Series) -> bool:
    """Whether a column holds TRUE/FALSE (pandas reads them as bool; with empty cells, as
    objects): numbers to ``pd.to_numeric`` (1 and 0), but no expression values."""
    if pd.api.types.is_bool_dtype(series):
        return True
    if series.dtype != object:
        return False
    filled = series.dropna()
    return bool(len(filled)) and all(isinstance(v, (bool, np.bool_)) for v in filled)


def _boolean_column_error(path: Path, column: str, header_line: int) -> DataError:
    return DataError(
        f"{path}, line {header_line}: column {str(column)[:40]!r} holds TRUE/FALSE values, "
        "not expression values: a sample annotation? Put it before the genes (annotation "
        "columns come first), give it in an annotation file, or delete it"
    )


def _first_non_numeric(series: pd.Series) -> tuple[int, str] | None:
    conv = pd.to_numeric(series, errors="coerce")
    bad = conv.isna() & series.notna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        return pos, str(series.iloc[pos])
    return None


#: Text that marks a missing value, compared stripped and in lower case (pandas reads the
#: exact forms of most of these, but not ``'NA '`` or ``n.a.``).
_MISSING_MARKERS = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "#n/a", "<na>", "-nan", "n.a.", "#na"}
)


def _markers_to_missing(series: pd.Series) -> pd.Series:
    """A text column whose cells are numbers or missing-value markers, as numbers (markers
    NaN); any other column as it is (an annotation keeps its words, ``none`` included)."""
    text = series.astype(str).str.strip().str.lower()
    marker = series.notna() & text.isin(_MISSING_MARKERS)
    if not marker.any():
        return series
    cleaned = series.mask(marker)
    numbers = pd.to_numeric(cleaned, errors="coerce")
    if numbers.notna().sum() == cleaned.notna().sum():
        return numbers
    return series


def _mostly_numbers(series: pd.Series) -> bool:
    """Whether at least half of a column's filled cells are numbers (a column of values with
    a few text cells, not a column of text)."""
    filled = series.dropna()
    if filled.empty:
        return False
    return bool(pd.to_numeric(filled, errors="coerce").notna().mean() >= 0.5)


def _text_to_missing(
    series: pd.Series,
    column: str,
    row_ids: pd.Index,
    header_line: int,
    cells: list[dict[str, Any]] | None,
) -> pd.Series:
    """``series`` with its text cells read as missing (NaN); each appended to ``cells``."""
    numbers = pd.to_numeric(series, errors="coerce")
    marker = series.astype(str).str.strip().str.lower().isin(_MISSING_MARKERS)
    bad = np.flatnonzero((numbers.isna() & series.notna() & ~marker).to_numpy())
    if cells is not None:
        for pos in bad:
            cells.append(
                {
                    "line": int(pos) + header_line + 1,
                    "row": str(row_ids[pos]),
                    "column": str(column),
                    "text": str(series.iloc[pos])[:40],
                }
            )
    return numbers.astype(np.float64)


def _check_value_columns(
    frame: pd.DataFrame,
    columns: Sequence[str],
    path: Path,
    row_ids: pd.Index,
    id_col: Any,
    header_line: int,
    text_values: str,
    text_cells: list[dict[str, Any]] | None,
) -> None:
    """Check that ``columns`` of ``frame`` hold numbers, in place.

    A TRUE/FALSE column is refused by name; text among the numbers is refused with its line,
    or, with ``text_values="missing"``, read as missing values (each cell appended to
    ``text_cells``).
    """
    for c in columns:
        if _is_boolean(frame[c]):
            raise _boolean_column_error(path, c, header_line)
        if not _is_numeric(frame[c]):
            if text_values == "missing":
                frame[c] = _text_to_missing(frame[c], c, row_ids, header_line, text_cells)
                continue
            bad = _first_non_numeric(frame[c])
            if bad is not None:
                raise _non_numeric_error(path, bad, c, frame[c], id_col, header_line)


#: The option that reads text cells among the numbers as missing values (:func:`load_table`'s
#: ``text_values``; the command line's ``--text-values``), as (argument, value).
TEXT_AS_MISSING = ("text_values", "missing")

_DECIMAL_COMMA_RE = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
#: What to do with decimal commas that were not read as such (:func:`_decimal_comma_example`).
_DECIMAL_COMMA_ADVICE = (
    "decimal commas are read in a table separated by ';' (or by tabs, where some comma is "
    "certainly no thousands separator), not by ','; else write numbers with a '.' decimal "
    "point and no thousands separator"
)


def _non_numeric_error(
    path: Path,
    bad: tuple[int, str],
    column: str,
    series: pd.Series,
    id_col: str | None,
    header_line: int = 1,
) -> DataError:
    """The error for the first non-numeric value ``bad`` (row position, text) of ``series``."""
    hint, fix = "", None
    try:
        overflow = not np.isfinite(float(bad[1])) and "inf" not in bad[1].lower()
    except ValueError:
        overflow = False
    if overflow:  # (1e400: a number, beyond what any float holds, said as "non-numeric")
        hint = " (a number too large for any float: a value on another scale?)"
    elif _DECIMAL_COMMA_RE.match(bad[1]):
        hint = f" (a decimal comma, or a thousands separator? {_DECIMAL_COMMA_ADVICE})"
    elif pd.to_numeric(series, errors="coerce").isna().all():
        where = f"right after the id column {id_col!r}" if id_col else "first"
        hint = (
            f": the column holds text, not expression values; put annotation columns {where}, "
            "or in a separate annotation file"
        )
    else:  # (a stray cell, 'n.d.' or 'high': the option that reads it was named nowhere)
        fix = TEXT_AS_MISSING
        hint = (
            "; correct the cell, or read text cells as missing values "
            f"({argument_words(*TEXT_AS_MISSING)})"
        )
    error = DataError(
        f"{path}, line {bad[0] + header_line + 1}: non-numeric value {bad[1][:40]!r} in column "
        f"{column!r}{hint}"
    )
    return error if fix is None else with_fix(error, *fix)


def _no_numeric_error(path: Path, frame: pd.DataFrame, text: list[str], what: str) -> DataError:
    """The error for a table without a numeric column; ``text`` are its non-id text columns."""
    for col in text:
        values = frame[col].dropna().astype(str)
        if len(values) and values.str.match(_DECIMAL_COMMA_RE).mean() > 0.5:
            return DataError(
                f"{path}: no numeric {what} column: values such as {values.iloc[0]!r} (column "
                f"{col!r}) have a decimal comma or a thousands separator; "
                f"{_DECIMAL_COMMA_ADVICE}"
            )
    shown = f" (text columns: {', '.join(text[:5])}{', ...' if len(text) > 5 else ''})"
    return DataError(f"{path}: no numeric {what} column{shown if text else ''}")
