"""GAF annotation files (1.0 and 2.x): their columns, the positive annotations read with
pyarrow, lines of the wrong width named, the species, the genes' other names (synonyms); the
check that a file starts as a GAF file, and of a whole GO choice (``--go-gaf``, ``--go-obo``,
``--go-exclude-evidence``)."""

from __future__ import annotations

import gzip
import io
import logging
import re
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from core.annotations.obo import _check_obo_start
from core.annotations.reading import (
    _FALLBACK_ENCODING,
    _READ_ERRORS,
    _is_gzip,
    _is_utf8,
    _open_text,
    _unreadable,
)
from core.annotations.vocabulary import check_evidence_codes
from core.errors import DataError

LOG = logging.getLogger("core.annotations")  # the package's one logger (-v shows its name)

_GAF_COLUMNS = [
    "db",
    "db_object_id",
    "symbol",
    "qualifier",
    "go_id",
    "reference",
    "evidence",
    "with_from",
    "aspect",
    "name",
    "synonym",
    "type",
    "taxon",
    "date",
    "assigned_by",
    "extension",
    "product_form",
]


#: columns of a GAF line: GAF 2.x has 17; GAF 1.0 (and 2.x files written by tools that drop
#: empty trailing columns) 15 or 16, read with the missing optional columns empty
_GAF_MIN_COLUMNS = 15
_GAF_MAX_COLUMNS = len(_GAF_COLUMNS)
#: the GAF columns read, by position
_GAF_USED = {
    name: _GAF_COLUMNS.index(name)
    for name in (
        "db", "db_object_id", "symbol", "qualifier", "go_id", "evidence", "name", "synonym",
        "type", "taxon",
    )
}  # fmt: skip
#: Names of the taxa most GAF files are of (the species a file's genes are said to be of).
_TAXA = {
    "9606": "Homo sapiens",
    "10090": "Mus musculus",
    "10116": "Rattus norvegicus",
    "7955": "Danio rerio",
    "7227": "Drosophila melanogaster",
    "6239": "Caenorhabditis elegans",
    "559292": "Saccharomyces cerevisiae",
    "3702": "Arabidopsis thaliana",
}
#: UniProt's species codes of those taxa: the end of a UniProt entry name (``ERBB2_HUMAN``,
#: ``A0A024R161_HUMAN``), which a UniProt GAF may list among a gene's synonyms
_ENTRY_NAME_RE = re.compile(r"[A-Z0-9]+_(?:HUMAN|MOUSE|RAT|DANRE|DROME|CAEEL|YEAST|ARATH)")
#: the field separator given to the CSV reader, which reads whole lines (a GAF never has it)
_LINE_DELIMITER = "\x1f"


def _gaf_width_ok(fields: list[str]) -> bool:
    """Whether a GAF line's fields are 15 to 17, not counting empty ones past the 17th (tabs at
    the end of the line)."""
    return len(fields) >= _GAF_MIN_COLUMNS and not any(fields[_GAF_MAX_COLUMNS:])


def _gaf_columns_words(n_cols: int) -> str:
    return f"{n_cols} tab-separated column{'s' if n_cols != 1 else ''}"


def _read_gaf(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """Positive annotations of a GAF file: symbol, go_id, evidence, name, synonym, type, ...

    Lines may have 15, 16 or 17 tab-separated columns (GAF 2.x has 17; GAF 1.0 and tools that
    drop empty trailing columns write 15 or 16), mixed in one file; a line with fewer than 15
    or more than 17 (tabs at the end of a line aside) is an error that names it. The
    ``!gaf-version`` header line says the version (1.0 or 2.x); a file without it whose first
    line has GAF's columns (e.g. the ``!`` lines taken out with ``grep -v``) is read, with a
    warning.

    The file is read as UTF-8; one that is not valid UTF-8 (e.g. saved in Latin-1 / cp1252,
    an "e acute" written as the single byte 0xE9) is read again as Latin-1, with a warning naming
    the file; ``metadata["gaf_encoding"]`` says which encoding was used.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    header: dict[str, str] = {}
    n_header = 0
    first_data = ""
    try:
        with _open_text(path) as fh:
            for raw in fh:
                if raw.startswith("!") or not raw.strip():  # header and blank lines
                    n_header += 1
                    tag, sep, value = raw[1:].partition(":")
                    tag = tag.strip().lower()
                    if sep and tag in ("gaf-version", "generated", "go-version", "date-generated"):
                        header.setdefault(tag, value.strip())
                    continue
                first_data = raw
                break
    except _READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc
    fields = first_data.rstrip("\r\n").split("\t")
    n_cols = len(fields)
    looks_gaf = _gaf_width_ok(fields) and fields[4].strip().startswith("GO:")
    version = header.get("gaf-version", "")
    if not version:
        if not looks_gaf:
            raise DataError(f"{path}: no '!gaf-version:' header line (not a GAF file?)")
        LOG.warning(
            "%s: no '!gaf-version:' header line; line %d has the columns of a GAF annotation "
            "line, so the file is read as GAF 2.x",
            path,
            n_header + 1,
        )
    elif not version.startswith(("1.", "2")):
        raise DataError(f"{path}: GAF version {version} not supported (1.0 or 2.x expected)")
    if not first_data.strip():
        raise DataError(f"{path}: no annotation line")
    if not _gaf_width_ok(fields):
        hint = " (its columns are not separated by tabs)" if n_cols == 1 else ""
        raise DataError(
            f"{path}, line {n_header + 1}: a GAF line with {_gaf_columns_words(n_cols)}, "
            f"{_GAF_MIN_COLUMNS} to {_GAF_MAX_COLUMNS} expected{hint}"
        )
    odd_rows: list[str] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        # only a line holding the reader's field separator, which no GAF line has
        where = f"line {row.number}: " if row.number is not None else ""
        odd_rows.append(f"{where}{row.text[:60]!r}")
        return "skip"

    compression = "gzip" if _is_gzip(path) else None

    def read(encoding: str) -> pa.Table:
        odd_rows.clear()
        with pa.input_stream(str(path), compression=compression) as stream:
            return pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(
                    skip_rows=n_header, column_names=["line"], encoding=encoding
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=_LINE_DELIMITER, quote_char=False, invalid_row_handler=on_invalid
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={"line": pa.string()}, strings_can_be_null=False
                ),
            )

    encoding = "utf-8"
    try:
        try:
            table = read("utf8")  # the usual case: one pass, no Python-side decoding
        except pa.ArrowInvalid:
            # "invalid UTF8 data": only now is the file checked, and a file that is not UTF-8
            # is read again as Latin-1
            if _is_utf8(path, compression):
                raise
            encoding = _FALLBACK_ENCODING
            LOG.warning(
                "%s: not valid UTF-8; read as Latin-1 (ISO-8859-1) instead (check accented names)",
                path,
            )
            table = read(_FALLBACK_ENCODING)
    except (pa.ArrowInvalid, OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: malformed GAF file: {exc}") from exc
    if odd_rows:
        raise DataError(
            f"{path}: {len(odd_rows)} GAF line(s) with a control character (0x1F) "
            f"(first: {odd_rows[0]})"
        )
    lines = table["line"]
    lines = lines.filter(pc.invert(pc.starts_with(lines, "!")))  # comment lines in the body
    # lines of spaces or tabs only are blank lines too (the reader skips empty ones only)
    lines = lines.filter(pc.not_equal(pc.utf8_trim_whitespace(lines), ""))
    n_fields = pc.add(pc.count_substring(lines, "\t"), 1)
    ragged = pc.less(n_fields, _GAF_MIN_COLUMNS)
    wide = pc.greater(n_fields, _GAF_MAX_COLUMNS)
    if pc.any(wide).as_py():  # more than 17 fields: only empty ones (tabs at the line end)
        trimmed = pc.add(pc.count_substring(pc.utf8_rtrim(lines, "\t"), "\t"), 1)
        ragged = pc.or_(ragged, pc.greater(trimmed, _GAF_MAX_COLUMNS))
    n_ragged = int(pc.sum(ragged).as_py() or 0)
    if n_ragged:
        first = _ragged_gaf_line(path, encoding)
        raise DataError(
            f"{path}: {n_ragged} GAF line{'s' if n_ragged > 1 else ''} with fewer than "
            f"{_GAF_MIN_COLUMNS} or more than {_GAF_MAX_COLUMNS} tab-separated columns "
            f"(first: {first or 'not found on a second read'})"
        )
    # split only as far as the last column read
    parts = pc.split_pattern(lines, "\t", max_splits=max(_GAF_USED.values()) + 1)
    # spaces around a field (a hand-edited file) are not part of it: " MYH7 " made a gene of
    # its own, apart from MYH7's other annotations
    table = pa.table(
        {name: pc.utf8_trim_whitespace(pc.list_element(parts, i)) for name, i in _GAF_USED.items()}
    )
    bad = pc.invert(pc.starts_with(table["go_id"], "GO:"))
    if pc.any(bad).as_py():
        # the line number in the file (header, comment and blank lines counted): "annotation
        # 6" was the 6th annotation line, line 9 of a file with a 3-line header
        first = int(pc.index(bad, True).as_py())
        where = _bad_go_id_line(path, encoding) or f"annotation {first + 1}"
        raise DataError(
            f"{path}, {where}: bad GO id {table['go_id'][first].as_py()!r} (GO:<7 digits> "
            "expected in column 5)"
        )
    neg = pc.match_substring(table["qualifier"], "NOT")
    n_neg = int(pc.sum(neg).as_py() or 0)
    keep = pc.and_(pc.invert(neg), pc.not_equal(table["symbol"], ""))
    df = table.filter(keep).to_pandas()
    # the species of the genes (taxon:10090 is mouse): a mouse GAF read for human data was
    # taken without a word, its symbols matched case aside
    taxa = df.pop("taxon").astype(str).str.split("|").str[0].str.removeprefix("taxon:")
    counts = taxa[taxa != ""].value_counts()
    meta = {
        "gaf_version": version,
        "gaf_generated": header.get("generated", header.get("date-generated", "")),
        "gaf_go_version": header.get("go-version", ""),
        "gaf_file": str(path),
        "gaf_negated_rows_skipped": n_neg,
        "gaf_encoding": encoding,
    }
    if len(counts):
        top = str(counts.index[0])
        meta["gaf_taxon"] = f"taxon {top}" + (f" ({_TAXA[top]})" if top in _TAXA else "")
        if len(counts) > 1:
            meta["gaf_taxon"] += f", and {len(counts) - 1} other(s)"
    return df, meta


def _gaf_aliases(gaf: pd.DataFrame) -> pd.DataFrame:
    """``symbol, alias`` pairs from the synonym column (column 11, ``DB_Object_Synonym``,
    pipe-separated) of GAF rows with columns ``symbol`` and ``synonym``: the other names of each
    symbol's gene, one row per distinct pair, sorted.

    Left out: a gene's own symbol (any case), UniProt entry names (``ERBB2_HUMAN``: the name of
    a protein entry, not of a gene) and names with a space in them (no gene symbol has one). A
    name that is another gene's symbol, or a synonym of several genes, is kept: the ontology's
    lookups do not read it as an alias (:meth:`GeneOntology.absent_alias`).
    """
    if "synonym" not in gaf.columns or gaf.empty:
        return pd.DataFrame({"symbol": [], "alias": []}, dtype=object)
    pairs = gaf[["symbol", "synonym"]].drop_duplicates()
    pairs = pairs[pairs["synonym"] != ""]
    names = pairs.assign(alias=pairs["synonym"].str.split("|")).explode("alias")
    names["alias"] = names["alias"].fillna("").str.strip()
    alias = names["alias"]
    keep = (
        (alias != "")
        & (alias.str.upper() != names["symbol"].str.upper())
        & ~alias.str.fullmatch(_ENTRY_NAME_RE)
        & ~alias.str.contains(r"\s")
    )
    out = names.loc[keep, ["symbol", "alias"]].drop_duplicates()
    return out.sort_values(["symbol", "alias"], ignore_index=True)


def _first_annotation_line(
    path: Path, encoding: str, wrong: Callable[[list[str]], bool]
) -> tuple[int, str, list[str]]:
    """``(number, line, fields)`` of the first annotation line of a GAF file for which
    ``wrong(fields)`` holds (the file read again only to name that line in an error); ``(0,
    "", [])`` if none is found or the file cannot be read."""
    binary = gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")  # noqa: SIM115
    try:
        with io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="") as fh:
            for number, raw in enumerate(fh, start=1):
                line = raw.rstrip("\r\n")
                if line.startswith(("!", "\ufeff!")) or not line.strip():
                    continue
                fields = line.split("\t")
                if wrong(fields):
                    return number, line, fields
    except _READ_ERRORS:
        pass
    return 0, "", []


def _ragged_gaf_line(path: Path, encoding: str) -> str:
    """``line N, K tab-separated columns: 'text'`` of the first annotation line of a GAF file
    that has fewer than 15 or more than 17 columns; "" if none is found."""
    number, line, fields = _first_annotation_line(
        path, encoding, lambda fields: not _gaf_width_ok(fields)
    )
    return f"line {number}, {_gaf_columns_words(len(fields))}: {line[:60]!r}" if number else ""


def _bad_go_id_line(path: Path, encoding: str) -> str:
    """``line N`` of the first annotation line of a GAF file whose GO id (column 5) does not
    start with ``GO:``; "" if none is found."""
    number, _, _ = _first_annotation_line(
        path,
        encoding,
        lambda fields: len(fields) > 4 and not fields[4].strip().startswith("GO:"),
    )
    return f"line {number}" if number else ""


def _check_gaf_start(path: Path, max_lines: int = 5000) -> None:
    """A DataError unless ``path`` starts as a GAF file: a ``!gaf-version`` line, or a first
    annotation line with GAF's columns (what :func:`_read_gaf` accepts)."""
    try:
        with _open_text(path) as fh:
            for number, raw in enumerate(fh, 1):
                if raw.startswith("!") or not raw.strip():
                    if raw[1:].strip().lower().startswith("gaf-version"):
                        return
                    if number < max_lines:
                        continue
                    break
                fields = raw.rstrip("\r\n").split("\t")
                if _gaf_width_ok(fields) and fields[4].strip().startswith("GO:"):
                    return
                raise DataError(
                    f"--go-gaf {path}: line {number} is not a GAF annotation line and no "
                    "'!gaf-version:' line comes before it (not a GAF file?)"
                )
    except _READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc
    raise DataError(f"--go-gaf {path}: no annotation line (not a GAF file?)")


def check_go_settings(
    gaf: str | Path | None, obo: str | Path | None, exclude_evidence: Iterable[str] | str
) -> tuple[str, ...]:
    """Check a GO choice (``--go-gaf``, ``--go-obo``, ``--go-exclude-evidence``) before use.

    Returns
    -------
    The evidence codes to leave out, upper-cased and sorted.

    Raises
    ------
    DataError
        Only one of the two files, a file that does not exist or does not start as a GAF / OBO
        file does, or an unknown evidence code.
    """
    if (gaf is None) != (obo is None):
        raise DataError("--go-gaf and --go-obo go together (annotations and their ontology)")
    for flag, path in (("--go-gaf", gaf), ("--go-obo", obo)):
        if path is not None and not Path(path).is_file():
            raise DataError(f"{flag} {path}: no such file")
    # their first lines, before any work: a wrong file was found only after the maps and Table 1
    if gaf is not None:
        _check_gaf_start(Path(gaf))
    if obo is not None:
        _check_obo_start(Path(obo))
    try:
        return tuple(sorted(check_evidence_codes(exclude_evidence)))
    except DataError as exc:
        raise DataError(f"--go-exclude-evidence: {exc}") from exc
