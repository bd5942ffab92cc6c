"""Text tables (CSV, TSV, plain or gzip) read into a DataFrame.

The separator, comment lines above the header (a GEO series matrix's sample lines among them),
the encoding, a header of numbers, and a file cut short or with rows short of fields; refused:
a header split by another separator than its rows, and a table written by ``python -m core
export`` given as an expression matrix.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import logging
import os
import re
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.data.columns import _ID_COLUMN_KEYS, _name_key, is_text
from core.data.inputs import _BOM, _FALLBACK_ENCODING, _is_gzip, _open_binary, _read_line
from core.data.number_text import (
    _COMMA_NUMBER_RE,
    _NUMBER_TEXT_RE,
    _POINT_NUMBER_RE,
    _cells_below,
    _decimal_comma_example,
    _point_numbers,
    _read_annotation_numbers,
    _read_comma_cells,
    _say_decimal_commas,
    _text_cells,
)
from core.data.orientation import _GENE_ID_RE, _SAMPLE_ID_RE, _known_symbols
from core.errors import DataError, first_names

log = logging.getLogger("core.data")  # the package's one logger (-v shows its name)


def _sniff_sep(path: Path, first: bytes, n_skip: int) -> str:
    """Field separator of a text table: the one its name says (``.csv`` comma, ``.tsv``/``.tab``
    tab) when the header line ``first`` (``n_skip`` lines above it) has it,
    else the most frequent of tab, comma and semicolon there (a ``.csv`` written by a
    spreadsheet set to a decimal-comma locale uses semicolons), else ``|`` when the line and
    the one below hold as many, else a space when the line has one (R's ``write.table``
    default).

    A ``.csv`` whose header has both commas and semicolons is read with the one that splits the
    line below into numbers: a spreadsheet's ``;``-separated file may have commas in its names
    or, without a header, decimal commas in its first line."""
    name = path.name.lower().removesuffix(".gz")
    counts = {sep: first.count(sep.encode()) for sep in ("\t", ",", ";")}
    named = "," if name.endswith(".csv") else "\t" if name.endswith((".tsv", ".tab")) else None
    if named == "," and counts[","] and counts[";"]:
        below = _lines_below(path, n_skip, 1)
        if below and _numbers_between(below[0], ";") > _numbers_between(below[0], ","):
            log.warning(
                "%s: line %d has both ',' and ';'; reading it as ';'-separated (the line "
                "below holds numbers between semicolons)",
                path,
                n_skip + 1,
            )
            return ";"
    if named is not None and counts[named]:
        return named
    best = max(counts, key=lambda sep: counts[sep])  # ties: tab, then comma
    if counts[best]:
        if named is not None:
            log.warning(
                "%s: line %d has no %r; reading it as %r-separated", path, n_skip + 1, named, best
            )
        return best
    pipes = first.count(b"|")
    if pipes:
        below = _lines_below(path, n_skip, 1)
        if not below or below[0].count(b"|") == pipes:
            # a database export: read as one column, its rows were said to be neither
            # samples nor genes
            log.info(
                "%s: line %d has no tab, comma or semicolon; reading it as '|'-separated",
                path,
                n_skip + 1,
            )
            return "|"
    if b" " in first.strip():
        # R's write.table by default: fields separated by one space, names in quotes
        log.info("%s: line 1 has no tab, comma or semicolon; reading it as space-separated", path)
        return " "
    return named or "\t"


def _numbers_between(line: bytes, sep: str) -> int:
    """How many fields of ``line`` split at ``sep`` are numbers (with a decimal comma too,
    where the separator is no comma)."""
    fields = next(csv.reader([line.decode("utf-8", "replace")], delimiter=sep), [])
    return sum(
        bool(_NUMBER_TEXT_RE.match(f.strip()) or (sep != "," and _COMMA_NUMBER_RE.match(f.strip())))
        for f in fields
    )


#: Lines read at most, looking for the header below comment lines.
_MAX_PREAMBLE_LINES = 2000


_GEO_TABLE_BEGIN = b"!series_matrix_table_begin"
_GEO_TABLE_END = "!series_matrix_table_end"


def _fields(line: bytes) -> int:
    """Fields of a line with the most frequent of tab, comma and semicolon as separator."""
    return 1 + max(line.count(sep) for sep in (b"\t", b",", b";"))


def _is_title(line: bytes, after: list[bytes]) -> bool:
    """Whether ``line``, the first line that is no comment, is a title above the header (a
    spreadsheet's or a lab system's export: ``Expression export 2026-12-01``): one or two
    fields, not all numbers (a GCT's ``rows<TAB>columns`` line), and the two lines below
    (the header and a row) have the same count of fields, at least 4, not the two that the
    line's own separator splits them into (a two-column table with commas in its text), and
    its first field names no id column (``gene``, ``sample``...). A title above the header
    made every line a single field, and the page asked to name the first column."""
    if len(after) < 2 or not all(a.strip() for a in after):
        return False
    if _fields(line) > 2 or _fields(after[0]) < 4:
        return False
    if _fields(after[1]) != _fields(after[0]):
        return False
    if _fields(line) == 2:
        # a two-column table's header (sample,tissue) above rows whose text holds the other
        # separators ("brain, cortex, left, BA9"; lanes 1,2,5,6): its own separator splits
        # each row below into two fields as well (a quoted comma is no separator)
        sep = max(("\t", ",", ";"), key=lambda s: line.count(s.encode()))
        rows = csv.reader(
            [a.decode("utf-8", "replace").rstrip("\r\n") for a in after], delimiter=sep
        )
        if all(len(row) == 2 for row in rows):
            return False
    if _header_by_spaces(line, after[0]):
        return False  # read as the header: its separator is refused (_mixed_separators)
    words = re.split(rb"[\t,;]", line.removeprefix(_BOM).strip())
    texts = [w.strip().decode("utf-8", "replace") for w in words]
    if _name_key(texts[0].strip('"')) in _ID_COLUMN_KEYS:
        return False  # a header (gene,value) above rows wider than it: no title to leave out
    return any(t and not _NUMBER_TEXT_RE.match(t) for t in texts)


def _header_by_spaces(line: bytes, row: bytes) -> bool:
    """Whether ``line`` is a header whose names are split by spaces (``sample GATA4 TP53``)
    above ``row``, a row of values split by tabs, commas or semicolons: as many names as the
    row has fields (or one fewer: R's row names), and the row's fields after the first
    mostly numbers. A title above a header has a header of names below it."""
    n_names = len(_space_fields(line))
    sep = max(("\t", ",", ";"), key=lambda s: row.count(s.encode()))
    n_fields = _fields(row)
    if n_names < 2 or n_names not in (n_fields, n_fields - 1):
        return False
    first = next(csv.reader([row.removeprefix(_BOM).decode("utf-8", "replace")], delimiter=sep))
    if first and _name_key(first[0].strip()) in _ID_COLUMN_KEYS:
        return False  # a header of numbers (gene,0,2,6,12: time points) below a title
    return _numbers_between(row, sep) * 2 > n_fields - 1


def _space_fields(line: bytes) -> list[str]:
    """The fields of ``line`` split by runs of spaces (names in quotes kept whole)."""
    text = line.removeprefix(_BOM).decode("utf-8", "replace").strip()
    return next(csv.reader([text], delimiter=" ", skipinitialspace=True), [])


#: Separators as a message names them.
_SEP_WORDS = {"\t": "tabs", ",": "commas", ";": "semicolons", " ": "spaces", "|": "'|'"}


def _line_fields(line: bytes, sep: str) -> int:
    """Fields of ``line`` split at ``sep`` as the csv reader reads them (runs of spaces are
    one separator)."""
    if sep == " ":
        return len(_space_fields(line))
    text = line.removeprefix(_BOM).decode("utf-8", "replace").rstrip("\r\n")
    return len(next(csv.reader([text], delimiter=sep), []))


def _mixed_separators(path: Path, what: str, first: bytes, sep: str, n_skip: int) -> None:
    """Refuse a text table whose header is split by one separator and its rows by another
    (``sample GATA4 TP53`` with spaces above rows with tabs, or the reverse): the rows, each
    one field at the header's separator, were read as ids without values (or the header as
    a title), and the message named something else. Refused rather than guessed: each line
    read at its own separator would be a guess at what was meant."""
    n_header = _line_fields(first, sep)
    below = _lines_below(path, n_skip, _SEPARATOR_PEEK_LINES)
    if n_header < 2 or not below:
        return
    if any(_line_fields(row, sep) in (n_header, n_header + 1) for row in below):
        return  # rows that the header's separator splits as the header
    if sep != " " and any(_line_fields(row, sep) > 1 for row in below):
        return  # rows split by the header's separator, short of fields (checked below)
    for other in ("\t", ",", ";", " "):
        if other == sep:
            continue
        counts = {_line_fields(row, other) for row in below}
        if len(counts) == 1 and counts <= {n_header, n_header + 1}:
            n_rows = counts.pop()
            raise DataError(
                f"{what} file {path}, line {n_skip + 1}: the header has {n_header} fields "
                f"split by {_SEP_WORDS.get(sep, repr(sep))} but the rows below have {n_rows} "
                f"fields split by {_SEP_WORDS[other]}: the header and the rows use different "
                "separators; "
                f"write the header with {_SEP_WORDS[other]} between its names as well"
            )


#: Rows looked at below the header by :func:`_mixed_separators`.
_SEPARATOR_PEEK_LINES = 5


#: Gene vectors and sample places as ``python -m core export`` names their columns
#: (:func:`core.export_cli.gene_table`, :func:`core.export_cli.sample_table`).
_VECTOR_RE = re.compile(r"^g([1-9]\d*)$")
_AXIS_RE = re.compile(r"^axis([1-9]\d*)$")


def _numbered(names: list[str], pattern: re.Pattern[str]) -> bool:
    """Whether ``names`` are ``pattern``'s 1, 2, ..., in order (g1..gD, axis1..axisN)."""
    numbers = [m and int(m.group(1)) for m in map(pattern.match, names)]
    return bool(names) and numbers == list(range(1, len(names) + 1))


def _export_table_words(header: list[str]) -> str | None:
    """What a header written by ``python -m core export`` says its table is (a gene-vector
    table: [data,] [gene_id,] symbol, [gene_type,] g1..gD; a sample-map table: [data,]
    sample_id, x, y (or axis1..axisN), then sample annotations none of which is a gene), with
    its columns, or None for any other header. Told by the names alone: an expression
    matrix's samples are not named g1..gD after a ``symbol`` column, nor are its genes named
    x and y."""
    names = [h for h in header if h]
    if names[:1] == ["data"]:  # a model of simulated data: data = SIMULATED first
        names = names[1:]
    if not names:
        return None
    front = names[: names.index("symbol") + 1] if "symbol" in names else []
    if front in (["symbol"], ["gene_id", "symbol"]):
        rest = names[len(front) :]
        if rest[:1] == ["gene_type"]:
            front, rest = [*front, "gene_type"], rest[1:]
        if len(rest) >= 2 and _numbered(rest, _VECTOR_RE):
            columns = ", ".join([*front, f"g1..g{len(rest)}"])
            return f"a gene-vector table written by `python -m core export` (columns {columns})"
    if names[0] != "sample_id" or len(names) < 2:
        return None
    if names[1:3] == ["x", "y"]:
        n_axes = 2
    else:
        n_axes = 0
        while 1 + n_axes < len(names) and _AXIS_RE.match(names[1 + n_axes]):
            n_axes += 1
        if not n_axes or not _numbered(names[1 : 1 + n_axes], _AXIS_RE):
            return None
    annotations = names[1 + n_axes :]
    known = _known_symbols()
    if any(a.upper() in known or _GENE_ID_RE.match(a) for a in annotations):
        return None  # genes beside coordinates: a spatial matrix
    shown = ", ".join(names[: 1 + n_axes + 2]) + (", ..." if len(annotations) > 2 else "")
    return f"a sample-map table written by `python -m core export` (columns {shown})"


def _text_preamble(path: Path) -> tuple[int, bytes]:
    """(comment lines above the header, the header line) of a text table.

    Comment lines start with ``#`` or ``!`` and have fewer fields than the line after them
    (featureCounts writes ``# Program:featureCounts ...`` above its header; a header such as
    ``#gene<TAB>S1<TAB>S2`` is a header); blank lines among them count as comments. In a GEO
    series matrix the table starts after the ``!series_matrix_table_begin`` line.
    """
    lines: list[bytes] = []
    after: list[bytes] = []  # the two lines after the first that is no comment
    with _open_binary(path) as fh:
        while len(lines) < _MAX_PREAMBLE_LINES:
            line = _read_line(fh, path)
            if not line:
                break
            lines.append(line)
            if line.strip() and not line.removeprefix(_BOM).startswith((b"#", b"!")):
                break  # blank lines among the comments (a GEO header has one) are skipped
        while lines and _fields(lines[-1]) <= 2 and len(after) < 2:
            line = _read_line(fh, path)
            if not line:
                break
            after.append(line)
    if not lines:
        return 0, b""
    if not lines[-1].removeprefix(_BOM).startswith((b"#", b"!")) and _is_title(lines[-1], after):
        shown = lines[-1].removeprefix(_BOM).decode("utf-8", "replace").strip()
        log.warning(
            "%s: line %d (%r) is read as a title above the header and left out (it has %d "
            "field(s), the lines below %d)",
            path,
            len(lines),
            shown[:60] + ("…" if len(shown) > 60 else ""),
            _fields(lines[-1]),
            _fields(after[0]),
        )
        return len(lines), after[0]
    for i, line in enumerate(lines[:-1]):
        if line.strip().lower() == _GEO_TABLE_BEGIN:
            log.info("%s: GEO series matrix: the table starts on line %d", path, i + 2)
            return i + 1, lines[i + 1]
    header = lines[-1]
    n_skip = 0
    while n_skip < len(lines) - 1 and _fields(lines[n_skip]) < _fields(header):
        n_skip += 1
    if n_skip:
        log.info("%s: %d comment line(s) above the header left out", path, n_skip)
    return n_skip, lines[n_skip]


#: Lines of a GEO series matrix's header that describe its samples, and the annotation column
#: each becomes (``!Sample_characteristics_ch1`` lines give one column per ``key: value`` key).
_GEO_SAMPLE_LINES = {
    "!sample_title": "title",
    "!sample_source_name_ch1": "source_name",
}
_GEO_ACCESSION = "!sample_geo_accession"
_GEO_CHARACTERISTICS = "!sample_characteristics_ch"


def _geo_sample_annotations(path: Path) -> pd.DataFrame | None:
    """The sample annotations in a GEO series matrix's header, indexed by GSM accession, or
    None for any other file.

    ``!Sample_title`` and ``!Sample_source_name_ch1`` become ``title`` and ``source_name``;
    each ``!Sample_characteristics_ch1`` value ``tissue: liver`` gives the column ``tissue``
    (a line may mix keys across samples, as GEO writes them). Columns of numbers (``age: 54``)
    are numeric; a column with one value for every sample is left out."""
    rows: list[list[str]] = []
    with _open_binary(path) as fh:
        for _ in range(_MAX_PREAMBLE_LINES):
            line = _read_line(fh, path)
            if line and not line.strip():
                continue  # GEO writes a blank line between the !Series_ and !Sample_ lines
            if not line or not line.removeprefix(_BOM).startswith((b"#", b"!")):
                return None
            text = line.removeprefix(_BOM).decode("utf-8", errors="replace").rstrip("\r\n")
            if text.strip().lower() == _GEO_TABLE_BEGIN.decode():
                break
            if text.lower().startswith("!sample_"):
                rows.extend(csv.reader([text], delimiter="\t"))
        else:
            return None
    ids = next((r[1:] for r in rows if r[0].strip().lower() == _GEO_ACCESSION), None)
    if not ids:
        return None
    columns: dict[str, list[Any]] = {}
    uneven: list[str] = []
    for row in rows:
        key, cells = row[0].strip().lower(), [c.strip() for c in row[1:]]
        if len(cells) != len(ids):
            uneven.append(f"{row[0].strip()} ({len(cells)} values)")
            continue  # a line that does not give one value per sample: said below
        if key in _GEO_SAMPLE_LINES:
            columns.setdefault(_GEO_SAMPLE_LINES[key], [None] * len(ids))
            for i, cell in enumerate(cells):
                columns[_GEO_SAMPLE_LINES[key]][i] = cell or None
        elif key.startswith(_GEO_CHARACTERISTICS):
            for i, cell in enumerate(cells):
                name, sep, value = cell.partition(":")
                name, value = (name.strip(), value.strip()) if sep else ("characteristics", name)
                if name and value:
                    columns.setdefault(name, [None] * len(ids))[i] = value
    if uneven:  # (a tissue line cut short by an editor vanished without a word)
        log.warning(
            "%s: %d !Sample_ line(s) left out: they do not give one value for each of the %d "
            "samples (%s)",
            path,
            len(uneven),
            len(ids),
            first_names(uneven, 3),
        )
    frame = pd.DataFrame(columns, index=pd.Index([i.strip() for i in ids], name="sample_id"))
    for name in list(frame.columns):
        numbers = pd.to_numeric(frame[name], errors="coerce")
        if numbers.notna().sum() == frame[name].notna().sum():
            frame[name] = numbers
        if frame[name].nunique(dropna=False) <= 1:
            frame = frame.drop(columns=[name])
    return frame


def _read_csv(
    path: Path, what: str, sep: str, n_skip: int, n_columns: int | None, **kwargs: Any
) -> pd.DataFrame:
    """``pd.read_csv`` of a plain or gzip'd text table below ``n_skip`` comment lines; every
    failure is a DataError naming the file (and the line of a ragged row: ``n_columns`` is the
    header's field count). A table that is not valid UTF-8 (saved by a Windows spreadsheet in
    cp1252 / Latin-1) is read again as Latin-1, with a warning naming the file."""
    options = dict(
        sep=sep,
        low_memory=False,
        compression="gzip" if _is_gzip(path) else None,
        skiprows=n_skip or None,
        **kwargs,
    )
    try:
        try:
            return pd.read_csv(path, **options)
        except UnicodeDecodeError:
            line = _first_non_utf8_line(path)
            where = f" (first at line {line})" if line else ""
            log.warning(
                "%s: not valid UTF-8%s; %s file read as Latin-1 (ISO-8859-1) instead "
                "(check accented names)",
                path,
                where,
                what,
            )
            return pd.read_csv(path, encoding=_FALLBACK_ENCODING, **options)
    except pd.errors.EmptyDataError:
        raise DataError(f"{what} file {path} is empty") from None
    except pd.errors.ParserError as exc:
        msg = str(exc)
        m = re.search(r"line (\d+), saw (\d+)", msg)
        if m:
            expected = f", expected {n_columns}" if n_columns else ""
            raise DataError(
                f"{what} file {path}, line {m.group(1)}: ragged row with "
                f"{m.group(2)} fields{expected}"
            ) from None
        raise DataError(f"{what} file {path}: cannot be parsed: {msg}") from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataError(
            f"{what} file {path}: damaged or truncated gzip file (an incomplete download?): {exc}"
        ) from None
    except (UnicodeDecodeError, ValueError, OSError) as exc:
        raise DataError(f"{what} file {path}: cannot be read as a table: {exc}") from None


def _first_non_utf8_line(path: Path) -> int | None:
    """1-based line of the first byte of the (decompressed) file that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with _open_binary(path) as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                pending = len(decoder.getstate()[0])  # bytes of the previous chunk held back
                return line + chunk.count(b"\n", 0, max(0, exc.start - pending))
            line += chunk.count(b"\n")
    return None


_FLOAT_HEADER_RE = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+)$")


#: Lines below the header compared with it when its column names are numbers.
_HEADER_PEEK_LINES = 200


def _split_line(line: bytes, sep: str) -> list[str]:
    """The fields of a text line as written (quotes kept, spaces kept)."""
    return line.removeprefix(_BOM).decode("utf-8", "replace").rstrip("\r\n").split(sep)


def _check_not_cut_short(path: Path, what: str, sep: str) -> None:
    """Refuse a plain text table whose last line stops short of the line above it, with no
    line break after it: a file cut short (an interrupted download or copy), whose last row
    would be read with its missing fields as missing values. (A cut gzip file is refused when
    it is read.)"""
    if _is_gzip(path):
        return
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - _TAIL_BYTES))
        tail = fh.read()
    if not tail or tail.endswith((b"\n", b"\r")):
        return
    lines = [line for line in tail.splitlines() if line.strip()]
    if len(lines) < 3:  # the header and one row at most: nothing to compare with
        return
    # quoted fields may hold the separator ("kinase, putative"): fields as csv reads them
    last, above = (
        next(csv.reader([line.decode("utf-8", "replace")], delimiter=sep), [])
        for line in (lines[-1], lines[-2])
    )
    if len(last) < len(above):
        raise DataError(
            f"{what} file {path}: its last line has {len(last)} of the {len(above)} fields of "
            f"the line above it (it ends in {lines[-1][-20:].decode('utf-8', 'replace')!r}), "
            "with no line break after it: the file looks cut short (an interrupted download "
            "or copy). Download or copy it again, or delete the last line"
        )


#: Bytes read from the end of a text table to check its last line (:func:`_check_not_cut_short`)
_TAIL_BYTES = 1 << 20

#: Rows with fewer separators than most, read again as csv (quotes may hold separators)
#: before :func:`_check_no_short_rows` concludes that quoting, not a lost field, explains them.
_SHORT_ROWS_RECHECKED = 200


def _check_no_short_rows(path: Path, what: str, sep: str, n_skip: int) -> None:
    """Refuse a text table with a row one field (or more) short of the others: pandas fills
    the missing fields at the end of the row, and every value after the gap is read as the
    next column's (a row one field long is refused by pandas itself).

    The separators of every line are counted in one pass over the bytes; rows with fewer than
    most rows are read again as csv, quotes and all, and compared with one of those."""
    sep_byte = sep.encode()[0] if len(sep.encode()) == 1 else None
    if sep_byte is None:
        return
    counts: list[np.ndarray] = []
    quote_counts: list[np.ndarray] = []
    offset, carry = 0, 0  # bytes read; separators of the line the next chunk continues
    quote_carry = 0  # quotes of the line the next chunk continues
    with _open_binary(path) as fh:
        while True:
            try:
                chunk = fh.read(1 << 23)
            except (OSError, EOFError, zlib.error):
                return  # the reader says what is wrong with the file
            if not chunk:
                break
            arr = np.frombuffer(chunk, dtype=np.uint8)
            ends = np.flatnonzero(arr == 10)
            seps = np.flatnonzero(arr == sep_byte)
            quotes = np.flatnonzero(arr == 34)  # '"'
            before = np.searchsorted(seps, ends)  # separators before each line end
            quotes_before = np.searchsorted(quotes, ends)
            per_line = np.diff(before, prepend=0).astype(np.int64)
            quotes_per_line = np.diff(quotes_before, prepend=0).astype(np.int64)
            if per_line.size:
                per_line[0] += carry
                quotes_per_line[0] += quote_carry
                carry = int(seps.size - before[-1])
                quote_carry = int(quotes.size - quotes_before[-1])
            else:
                carry += int(seps.size)
                quote_carry += int(quotes.size)
            counts.append(per_line)
            quote_counts.append(quotes_per_line)
            offset += len(chunk)
    per_line = np.concatenate(counts) if counts else np.zeros(0, np.int64)
    quotes_per_line = np.concatenate(quote_counts) if quote_counts else np.zeros(0, np.int64)
    if carry or (offset and not per_line.size):  # a last line without a line break
        per_line = np.append(per_line, carry)
        quotes_per_line = np.append(quotes_per_line, quote_carry)
    # lines that start or end inside a quoted field: parts of a row whose cell holds a line
    # break (Excel's Alt+Enter), which the CSV reader reads whole
    opened = np.cumsum(quotes_per_line) % 2  # inside quotes at the end of each line
    quoted = (opened == 1) | (np.concatenate([[0], opened[:-1]]) == 1)
    body = per_line[n_skip + 1 :]
    if not body.size:
        return
    usual = int(np.bincount(body).argmax())  # most rows are whole
    short = np.flatnonzero((body < usual) & (body > 0)) + n_skip + 1  # 0-based line numbers
    if not short.size:
        return
    first_usual = n_skip + 1 + int(np.argmax(body == usual))
    texts = _lines_at(path, {first_usual, *map(int, short[:_SHORT_ROWS_RECHECKED])})
    full = len(next(csv.reader([texts[first_usual]], delimiter=sep)))
    for k in short[:_SHORT_ROWS_RECHECKED]:
        if quoted[int(k)]:
            continue
        fields = next(csv.reader([texts[int(k)]], delimiter=sep), [])
        if 1 < len(fields) < full:
            raise DataError(
                f"{what} file {path}, line {int(k) + 1}: {len(fields)} fields, expected "
                f"{full}: a field is missing, and the values after it would be read as the "
                "next columns'. Mend the row (an empty field keeps its place: 1,,3)"
            )


def _lines_at(path: Path, wanted: set[int]) -> dict[int, str]:
    """The text of the 0-based lines ``wanted`` of a (gzip'd) text file, in one pass."""
    out: dict[int, str] = {}
    last = max(wanted)
    with _open_binary(path) as fh:
        for i, raw in enumerate(fh):
            if i in wanted:
                out[i] = raw.decode("utf-8", "replace").rstrip("\r\n")
            if i >= last:
                break
    return out


def _lines_below(path: Path, n_skip: int, limit: int) -> list[bytes]:
    """Up to ``limit`` non-blank lines after the header line (line ``n_skip + 1``)."""
    out: list[bytes] = []
    with _open_binary(path) as fh:
        for _ in range(n_skip + 1):
            _read_line(fh, path)
        while len(out) < limit:
            line = _read_line(fh, path)
            if not line:
                break
            if line.strip():
                out.append(line)
    return out


def _id_form(text: str) -> tuple[str, ...]:
    """The coarse form of an id: ``("number",)``, or (class of its first character, whether it
    has lower-case letters): ``GAPDH`` and ``TP53`` are ("upper", False), ``Gapdh`` and
    ``Adipose_1`` ("upper", True), ``time`` ("lower", True)."""
    t = text.strip().strip('"').strip()
    if _NUMBER_TEXT_RE.match(t):
        return ("number",)
    first = t[:1]
    if first.isupper():
        kind = "upper"
    elif first.islower():
        kind = "lower"
    else:
        kind = "digit" if first.isdigit() else "other"
    return (kind, any(c.islower() for c in t))


def _numeric_header_reason(header: list[str], below: list[list[str]]) -> str | None:
    """Why a first line whose column names are mostly numbers (time points, doses:
    ``gene,0.5,1.0,2``) is a header and not the first data row of a table without one, or None
    when nothing tells it from a data row. ``header`` and ``below`` are fields as written
    (quotes kept); ``below`` are the lines under it.

    A data row is like the rows under it; a header differs from them in one of these ways:
    it has one field fewer (row names without a header field, R's ``write.table``); its numbers
    are quoted as names while the values below are not; its first field is empty or names an
    id column (``gene``, ``sample``, ``ID_REF``...); its first field is text while the ids
    below are numbers, or has another form (letter case) than every id below it.
    """
    rows = [r for r in below if any(f.strip() for f in r)]
    if not rows:
        return None
    n = len(header)
    if all(len(r) == n + 1 and r[-1].strip() for r in rows):
        return "it names one column fewer than the rows hold: the rows start with row names"
    numeric = [j for j in range(1, n) if _FLOAT_HEADER_RE.match(header[j].strip().strip('"'))]
    quoted = [j for j in numeric if header[j].strip().startswith('"')]
    if numeric and len(quoted) == len(numeric):
        values = [rows[0][j].strip() for j in numeric if j < len(rows[0])]
        if values and all(_NUMBER_TEXT_RE.match(v) for v in values):
            return "its numbers are quoted as names, the values below are not"
    first = header[0].strip().strip('"').strip()
    if not first or _name_key(first) in _ID_COLUMN_KEYS:
        return f"its first field {first!r} names the id column"
    ids = [r[0] for r in rows if r[0].strip().strip('"').strip()]
    if len(ids) < 3 or _id_form(first) == ("number",):
        return None
    forms = {_id_form(i) for i in ids}
    # a gene symbol or id of another letter case than the ones below (C1orf112 above TP53) is
    # the first data row, not a header
    named = bool(_GENE_ID_RE.match(first) or _SAMPLE_ID_RE.match(first))
    if _id_form(first) not in forms and not named and first.upper() not in _known_symbols():
        shown = ", ".join(i.strip().strip('"') for i in ids[:2])
        return f"its first field {first!r} is not of the form of the ids below it ({shown}, ...)"
    return None


def _refuse_repeated_headers(
    frame: pd.DataFrame, header: list[str], path: Path, what: str, line_no: int
) -> None:
    """Refuse a table with rows that repeat its header line (``header``, line ``line_no``):
    two tables joined one after the other (``cat a.csv b.csv``) made every column text, each
    said as "read as an annotation", and the table was refused as one without a numeric
    column (or, genes in rows, for a row without an id)."""
    if (
        frame.shape[1] != len(header)
        or len(header) < 2
        or not isinstance(frame.index, pd.RangeIndex)
        or not is_text(frame.iloc[:, 1])
    ):
        return
    second = frame.iloc[:, 1].astype(str).str.strip().str.strip('"').to_numpy()
    candidates = np.flatnonzero(second == header[1])  # (a quick look before the whole rows)
    repeated = [
        int(r)
        for r in candidates
        if ["" if pd.isna(v) else str(v).strip().strip('"') for v in frame.iloc[int(r)].tolist()]
        == header
    ]
    if repeated:
        lines = [line_no + 1 + r for r in repeated]
        raise DataError(
            f"{what} file {path}, line {first_names(lines)}: the header line (line {line_no}) "
            f"again{'' if len(lines) == 1 else ', on each'}: tables joined one after the "
            "other (cat a.csv b.csv)? Delete the repeated header line"
            f"{'' if len(lines) == 1 else 's'}"
        )


def text_table_columns(path: str | os.PathLike[str]) -> list[str]:
    """The column names of a text table (CSV/TSV, gzipped or not) as its reader finds them:
    after comment lines and a GEO preamble, split at the separator it would use; the file's
    body is not read (but a line, where the header has both ',' and ';')."""
    path = Path(path)
    n_skip, first = _text_preamble(path)
    if not first.strip():
        return []
    sep = _sniff_sep(path, first, n_skip)
    return [h.strip().strip('"') for h in _split_line(first, sep)]


def _read_text_table(path: Path, what: str) -> tuple[pd.DataFrame, str]:
    """The table of a text file and its separator; a DataError when it is none."""
    try:
        return _read_table_lines(path, what)
    except csv.Error as exc:  # a line of 10 MB without a separator came out as a traceback
        words = str(exc)
        if "field larger than field limit" in words:
            words = (
                f"a field of more than {csv.field_size_limit():,} characters (a line without "
                "separators, or a quote left open)"
            )
        raise DataError(f"{what} file {path} cannot be read as a table: {words}") from None


def _read_table_lines(path: Path, what: str) -> tuple[pd.DataFrame, str]:
    n_skip, first = _text_preamble(path)
    if not first.strip():
        raise DataError(f"{what} file {path} is empty")
    sep = _sniff_sep(path, first, n_skip)
    raw_header = _split_line(first, sep)
    header = [h.strip().strip('"') for h in raw_header]
    line_no = n_skip + 1
    if what == "matrix":
        kind = _export_table_words(header)
        if kind is not None:
            raise DataError(
                f"{what} file {path} looks like {kind}, not an expression matrix: give the "
                "table of expression values (samples and genes) instead, e.g. the file the "
                "model was trained on"
            )
    _mixed_separators(path, what, first, sep, n_skip)
    # decimal commas (1,25), as a spreadsheet saves them in a decimal-comma locale: read
    peeked = _cells_below(path, n_skip, sep) if sep != "," else pd.Series([], dtype=object)
    comma = _decimal_comma_example(peeked, sep)

    def points(field: str) -> str:  # a decimal-comma number as the checks below read numbers
        number = comma and _COMMA_NUMBER_RE.match(field.strip().strip('"'))
        return field.replace(",", ".") if number else field

    numbers = [h for h in header[1:] if _FLOAT_HEADER_RE.match(points(h))]
    if len(header) > 2 and len(numbers) > (len(header) - 1) / 2:
        below = [
            [points(f) for f in _split_line(line, sep)]
            for line in _lines_below(path, n_skip, _HEADER_PEEK_LINES)
        ]
        reason = _numeric_header_reason([points(h) for h in raw_header], below)
        shown = ", ".join(n[:10] for n in numbers[:3])
        if reason is None:
            raise DataError(
                f"{what} file {path}, line {line_no}: column names expected, found numbers "
                f"({shown}, ...): the file has no header line; add one that names the columns "
                "(samples or genes). If these numbers are the column names (time points, "
                "doses), name the first column (e.g. 'gene' or 'sample')"
            )
        log.info(
            "%s, line %d: the column names are numbers (%s, ...); read as the header line: %s",
            path,
            line_no,
            shown,
            reason,
        )
    seen: set[str] = set()
    # columns without a name (",," a spreadsheet left at the end of each line) are not
    # duplicates: an empty one is left out below, one with values named as such
    named = [h for h in header if h]
    dups = sorted({h for h in named if h in seen or seen.add(h)})  # type: ignore[func-returns-value]
    if dups:
        raise DataError(f"{what} file {path}, line {line_no}: duplicate column names {dups[:5]}")
    _check_not_cut_short(path, what, sep)
    _check_no_short_rows(path, what, sep, n_skip)
    options: dict[str, Any] = {}
    if _name_key(header[0]) in _ID_COLUMN_KEYS:
        below = _lines_below(path, n_skip, 1)
        if below and len(_split_line(below[0], sep)) == len(raw_header):
            # ids as written: sample 0001 is not sample 1 (nor the annotations' 0001)
            options["dtype"] = {0: str}
    if not _lines_below(path, n_skip, 1):  # a header alone: pandas took minutes on a wide one
        frame = pd.DataFrame(columns=[h or f"Unnamed: {i}" for i, h in enumerate(header)])
        frame.attrs["header_line"] = line_no
        return frame, sep
    # an annotation table's columns are read each on its own values (below): a table-wide
    # decimal comma made RIN (7.3) text, and lists of lanes (1,2) numbers
    by_column = what == "annotation"
    if comma and not by_column:
        options["decimal"] = ","
    frame = _read_csv(path, what, sep, n_skip, len(header), **options)
    if not comma and sep != "," and not by_column:  # decimal commas only further down
        cells = _text_cells(frame)
        if cells.str.match(_COMMA_NUMBER_RE).any():  # (else no need to count the others)
            # set against the numbers with a '.' of the lines looked at, and those pandas read
            seen = int(peeked.str.match(_POINT_NUMBER_RE).sum()) + _point_numbers(frame)
            comma = _decimal_comma_example(cells, sep, seen)
        if comma:
            frame = _read_csv(path, what, sep, n_skip, len(header), decimal=",", **options)
    if comma and not by_column:
        _say_decimal_commas(path, comma)
    _refuse_repeated_headers(frame, header, path, what, line_no)
    if not isinstance(frame.index, pd.RangeIndex) and frame.index.nlevels == 1:
        # the rows hold one field more than the header: pandas made the first the index
        columns = list(frame.columns)
        frame = frame.reset_index(names=[""])
        if frame.shape[1] > 1 and frame.iloc[:, -1].isna().all():
            # a separator at the end of each row ("1,2,"), not of the header: the fields
            # are in the header's order, the last one empty
            frame = frame.iloc[:, :-1].set_axis(columns, axis=1)
        else:
            # R's write.table: no header field above the row names
            log.info(
                "%s: line %d names one column fewer than the rows hold: the first column "
                "is read as row names",
                path,
                line_no,
            )
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs["header_line"] = line_no  # a row's line is its position + line_no + 1
    if frame.shape[1] and frame.shape[0]:
        ends = frame.iloc[:, 0].astype(str).str.strip().str.lower() == _GEO_TABLE_END
        if ends.any():
            frame = frame.loc[~ends].reset_index(drop=True)
    # a separator at the end of every line (some exports): an unnamed, empty last column
    while frame.shape[1] > 1 and str(frame.columns[-1]).startswith("Unnamed:"):
        if not frame.iloc[:, -1].isna().all():
            break
        frame = frame.iloc[:, :-1].copy()
        frame.attrs["header_line"] = line_no
    # a column without a name after the first (the first may be row names): an empty spacer
    # column is left out; one with values would be a sample or gene named "Unnamed: 3"
    unnamed = [i for i, c in enumerate(frame.columns) if i > 0 and str(c).startswith("Unnamed:")]
    if unnamed:
        full = [i for i in unnamed if frame.iloc[:, i].notna().any()]
        if full:
            i = full[0]
            example = frame.iloc[:, i].dropna().iloc[0]
            raise DataError(
                f"{what} file {path}, line {line_no}: column {i + 1} has no name but holds "
                f"values (e.g. {str(example)[:20]!r}); name it in the header line, or delete it"
            )
        log.info("%s: %d empty column(s) without a name left out", path, len(unnamed))
        frame = frame.drop(columns=[frame.columns[i] for i in unnamed])
        frame.attrs["header_line"] = line_no
    if comma and what == "matrix":  # (an annotation's text keeps its commas)
        _read_comma_cells(frame, path, comma)
    if by_column:
        _read_annotation_numbers(frame, path, sep)
    return frame, sep
