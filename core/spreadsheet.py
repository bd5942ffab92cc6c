"""Text cells of the CSV/TSV tables the package writes, kept from running as spreadsheet
formulas: a sample, gene or tissue named ``=HYPERLINK(...)`` in a user's data opened as a link
(or ran a command) when its table was opened in a spreadsheet."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from core.data import is_text

#: A spreadsheet runs a cell that starts with one of these as a formula (``+`` and ``-`` only
#: before a name or a bracket: ``-/-``, ``+/-``, ``-`` and ``-2`` stay as they are).
FORMULA_START = ("=", "@", "\t", "\r")
_FORMULA_SIGN = re.compile(r"^[+-].*[A-Za-z(]")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (``=1+2``, ``+HYPERLINK(...)``, a
    sample named so in an upload), with a ``'`` before it, which spreadsheets show as text;
    numbers written as text (``-1.5e3``), genotypes such as ``-/-`` and every other value as
    they are."""
    if not isinstance(value, str) or not (
        value.startswith(FORMULA_START) or _FORMULA_SIGN.match(value)
    ):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def spreadsheet_safe_table(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` with its text cells and column names :func:`spreadsheet_safe`;
    columns of numbers untouched."""
    out = table.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
        if is_text(out[col]):
            out[col] = out[col].map(spreadsheet_safe)
    out.columns = [spreadsheet_safe(c) for c in out.columns]
    return out
