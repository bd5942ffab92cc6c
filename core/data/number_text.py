"""Numbers as a text file writes them.

Decimal commas ("1,5"), thousands separators ("1,234,567"), and annotation columns of numbers
written as text.
"""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from core.data.columns import _LIST_COLUMN_KEYS, _name_key, is_text
from core.data.inputs import _open_binary, _read_line
from core.data.value_columns import _MISSING_MARKERS
from core.errors import DataError

log = logging.getLogger("core.data")  # the package's one logger (-v shows its name)


_NUMBER_TEXT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


#: A number written with a decimal comma: ``1,25``, ``-0,5``, ``3,2E+04``, ``,5``.
_COMMA_NUMBER_RE = re.compile(r"^[+-]?\d*,\d+([eE][+-]?\d+)?$")
#: A comma number that a thousands separator explains as well: ``1,234``, ``12,500``.
_THOUSANDS_LIKE_RE = re.compile(r"^[+-]?[1-9]\d{0,2},\d{3}$")
#: Numbers that only a thousands separator explains: ``1,234,567``, ``1,234.5``.
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3}){2,}$|^[+-]?\d{1,3}(,\d{3})+\.\d*$")
#: A number with a '.' (``1.5``, ``1.234``, ``1.234,5``, ``3.2E+04``): among decimal commas, a
#: thousands separator or another program's decimal point.
_POINT_NUMBER_RE = re.compile(r"^[+-]?(\d+\.[\d.]*|\.\d[\d.]*)(,\d+)?([eE][+-]?\d+)?$")
#: A whole number but 0: ``12``, ``2626``.
_WHOLE_NUMBER_RE = re.compile(r"^[+-]?0*[1-9]\d*$")
#: Bytes of a text table read below its header to tell its decimal mark.
_DECIMAL_PEEK_BYTES = 1 << 20


def _decimal_comma_example(cells: pd.Series, sep: str, points: int = 0) -> str | None:
    """A number of ``cells`` (text fields of a table separated by ``sep``, stripped, the ids
    of the first column left out; indexed by their column) written with a decimal comma, when
    the table is one of decimal commas (a spreadsheet's export in a decimal-comma locale, R's
    ``write.csv2``); else None.

    A comma-separated table never is: a comma in a field there is quoted, and a quoted
    ``"1,234"`` is as likely a thousands separator (its values are refused, with a hint). Nor
    is a table where numbers with a '.' (those of ``cells``, and ``points`` more that pandas
    read already) are as many as those with a comma, or where a number has a thousands
    separator (``1,234,567``). Between tabs or spaces, at least one comma must be a decimal
    comma for certain: ``1,234`` alone is also a thousands separator; between semicolons, the
    separator of the decimal-comma locales, a comma is their decimal mark. The commas of a
    column with more whole numbers than comma numbers are lists, not decimal marks: a gene's
    Entrez ids (``2626``, ``4609,4610``) made a table of decimal points one of decimal commas.
    """
    if sep == "," or cells.empty:
        return None
    comma = cells.str.match(_COMMA_NUMBER_RE)
    if not comma.any() or cells.str.match(_THOUSANDS_RE).any():
        return None
    votes = pd.DataFrame({"comma": comma, "whole": cells.str.match(_WHOLE_NUMBER_RE)})
    votes = votes.groupby(level=0).sum()
    comma &= ~cells.index.isin(votes.index[votes["whole"] > votes["comma"]])
    if comma.sum() <= cells.str.match(_POINT_NUMBER_RE).sum() + points:
        return None
    certain = comma & ~cells.str.match(_THOUSANDS_LIKE_RE)
    if sep != ";" and not certain.any():
        return None
    shown = cells[certain if certain.any() else comma]
    telling = shown[shown.str.contains(r",\d*[1-9]")]  # 1,25 rather than 0,0
    shown = telling if len(telling) else shown
    return str(shown.iloc[int(np.argmin(shown.str.len()))])  # the shortest, read at a glance


def _cells_below(path: Path, n_skip: int, sep: str) -> pd.Series:
    """The fields of the first lines below the header of a text table (about
    :data:`_DECIMAL_PEEK_BYTES`), all but the first of each line, unquoted and stripped."""
    lines: list[str] = []
    size = 0
    with _open_binary(path) as fh:
        for _ in range(n_skip + 1):
            _read_line(fh, path)
        while size < _DECIMAL_PEEK_BYTES:
            line = _read_line(fh, path)
            if not line:
                break
            size += len(line)
            lines.append(line.decode("utf-8", "replace"))
    if not any("," in line for line in lines):  # (a table of decimal points: nothing to split)
        return pd.Series([], dtype=object)
    rows: list[list[str]] = []
    try:  # (quoted fields may hold the separator, or a line break)
        rows.extend(csv.reader(lines, delimiter=sep))
    except csv.Error:  # a field beyond csv's size limit, a quote left open: as far as read
        pass
    return pd.Series(
        [f.strip() for row in rows for f in row[1:]],
        index=[i for row in rows for i in range(1, len(row))],
        dtype=object,
    )


def _text_cells(frame: pd.DataFrame) -> pd.Series:
    """The filled cells of the text columns of ``frame`` but the first (ids), stripped,
    indexed by their column's position."""
    # (by dtype: a column at a time cost 0.3-0.7 s of a 5 s read of 20,000 columns)
    text = [i for i, dtype in enumerate(frame.dtypes) if i and is_text(dtype)]
    parts = [frame.iloc[:, i].dropna().astype(str).str.strip() for i in text]
    for i, part in zip(text, parts, strict=True):
        part.index = np.full(len(part), i)
    return pd.concat(parts) if parts else pd.Series([], dtype=object)


def _point_numbers(frame: pd.DataFrame) -> int:
    """How many values of the number columns of ``frame`` (but the first) are not whole:
    numbers that pandas read with a decimal point. Counted a block of columns at a time (a
    copy of a GTEx matrix would take gigabytes)."""
    step = max(1, (1 << 24) // max(1, len(frame)))
    count = 0
    for start in range(1, frame.shape[1], step):
        numbers = frame.iloc[:, start : start + step].select_dtypes("float").to_numpy()
        count += int(np.count_nonzero(np.isfinite(numbers) & (numbers % 1 != 0)))
    return count


def _say_decimal_commas(path: Path, example: str) -> None:
    log.warning(
        "%s: numbers written with a decimal comma, read as such (%r is %s)",
        path,
        example,
        float(example.replace(",", ".")),
    )


def _read_comma_cells(frame: pd.DataFrame, path: Path, example: str) -> None:
    """In place: the decimal-comma numbers of the columns of ``frame`` (a matrix of decimal
    commas) that pandas left as text (a text cell among them, ``n.d.``) written with a point,
    so that those columns read as a table of decimal points does. A number with a '.' among
    them (a thousands separator, ``1.234,5``, or another decimal mark) is refused: read either
    way, it would be misread or lost."""
    header_line = int(frame.attrs.get("header_line", 1))
    for c in frame.columns[1:]:
        if not is_text(frame[c]):
            continue
        text = frame[c].dropna().astype(str).str.strip()
        text = text[~text.str.lower().isin(_MISSING_MARKERS)]
        comma = text.str.match(_COMMA_NUMBER_RE)
        point = text.str.match(_POINT_NUMBER_RE)
        if (comma | point | text.str.match(_NUMBER_TEXT_RE)).mean() < 0.5:
            continue  # words (an annotation such as "Skin, sun exposed"): as written
        if point.any():
            pos = frame.index.get_loc(point.idxmax())
            raise DataError(
                f"{path}, line {pos + header_line + 1}: value {text[point].iloc[0]!r} in column "
                f"{c!r} has a '.', but the table's numbers have a decimal comma (e.g. "
                f"{example!r}): a thousands separator or another decimal mark; write it as the "
                "others, without a thousands separator"
            )
        if comma.any():
            frame[c] = frame[c].astype(object)
            frame.loc[comma.index[comma], c] = text[comma].str.replace(",", ".", regex=False)


#: A whole number written without a decimal mark: ``7``, ``0``, ``-12``.
_INTEGER_TEXT_RE = re.compile(r"^[+-]?\d+$")


def _read_annotation_numbers(frame: pd.DataFrame, path: Path, sep: str) -> None:
    """In place: the columns of an annotation table (``frame`` read with decimal points, all
    but the first) whose values are all numbers written with a decimal comma (``7,3``, with
    whole numbers among them, ``7``) read as numbers, each column judged on its own values.

    Columns of numbers with a '.' (RIN ``7.3``) are numbers as pandas read them; no comma is
    a decimal mark between commas (a comma in a quoted field is a list or a thousands
    separator). Lists stay text: a column with more whole numbers than comma numbers (lanes
    ``1``, ``1,2``), any value with two commas (``1,2,3``), a column named for lists (lanes,
    flowcells, runs: :data:`_LIST_COLUMN_NAMES`); so do commas that may all be thousands
    separators between tabs or spaces (``1,250``). No column decides how another is read: a
    table-wide vote let two columns of lanes and flowcells (``1,2``, ``3,4``) outnumber the
    decimal marks of RIN and make it text, and read their own lists as numbers (1.2)."""
    if sep == "," or frame.shape[1] < 2:
        return
    numbers: dict[str, pd.Series] = {}
    example = None
    unsure: dict[str, str] = {}  # mostly whole numbers, a few 7,5: a list or numbers?
    for c in frame.columns[1:]:
        if not is_text(frame[c]):
            continue
        text = frame[c].dropna().astype(str).str.strip()
        text = text[text != ""]
        comma = text.str.match(_COMMA_NUMBER_RE)
        whole = text.str.match(_INTEGER_TEXT_RE)
        if not comma.any() or not (comma | whole).all():
            continue  # words, lists, or numbers with a text among them: text, as written
        if _name_key(c) in _LIST_COLUMN_KEYS:
            continue  # lanes, flowcells, runs: lists whatever their values look like
        if (
            sep != ";"
            and comma[comma].index.isin(text.index[text.str.match(_THOUSANDS_LIKE_RE)]).all()
        ):
            continue  # 1,250 between tabs: as likely a thousands separator
        if whole.sum() > comma.sum():
            # a list (pool 1, 2, 1,2) as likely as numbers (hours 12, 7,5, 8): kept as
            # written, and said, so that a column of numbers is not text without a word
            unsure[c] = str(text[comma].iloc[0])
            continue
        numbers[c] = pd.to_numeric(text.str.replace(",", ".", regex=False))
        shown = text[comma]
        telling = shown[shown.str.contains(r",\d*[1-9]")]  # 1,25 rather than 0,0
        shown = telling if len(telling) else shown
        if example is None:
            example = str(shown.iloc[int(np.argmin(shown.str.len()))])
    for c, values in numbers.items():
        frame[c] = values.reindex(frame.index)
    if example is not None:
        log.warning(
            "%s: numbers written with a decimal comma, read as such (%r is %s) in column(s) %s",
            path,
            example,
            float(example.replace(",", ".")),
            ", ".join(map(repr, numbers)),
        )
    if unsure:
        log.warning(
            "%s: column(s) %s hold whole numbers and some with a comma (%r): kept as text, as "
            "lists such as lanes 1,2 are written alike; if they are numbers, write them with "
            "a decimal point",
            path,
            ", ".join(map(repr, unsure)),
            next(iter(unsure.values())),
        )
