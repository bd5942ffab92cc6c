"""Input files before their contents are parsed.

The checks that a path is a readable file of a kind a table can be (not a PDF, an HTML page or
a zip archive), gzip, reading a line, and reading a user's parquet file.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import zlib
from pathlib import Path

import pandas as pd

from core.errors import DataError, first_names


def _check_file(path: str | os.PathLike[str], what: str) -> Path:
    """``path`` as a Path, or a DataError when it is missing, not a file, or its first bytes
    show another kind of file than its name says (see :func:`_check_content`)."""
    p = Path(path).expanduser()
    if not p.exists():
        raise DataError(f"{what} file not found: {p}")
    if not p.is_file():
        raise DataError(f"{what} path is not a file: {p}")
    _check_content(p, what)
    return p


#: First bytes of files that are not what a loader reads, and what they are.
_SIGNATURES = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls)"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file (.h5ad / .h5)"),
    (b"PAR1", "a parquet file"),
    (b"\xfd7zXZ\x00", "an xz-compressed file"),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xfe", "utf16"),
    (b"\xfe\xff", "utf16"),
)
_HTML_RE = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body|<\?xml[^>]*>\s*<html)", re.I)


def _file_kind(head: bytes) -> str | None:
    """What the first bytes of a file show it to be, when that is not a text table:
    ``"xlsx"``, ``"zip"``, ``"html"``, a description from :data:`_SIGNATURES`, or None."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx" if b"xl/" in head or b"[Content_Types].xml" in head else "zip"
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if re.match(rb"BZh[1-9]1AY&SY", head):
        return "a bzip2-compressed file"
    if _HTML_RE.match(head.removeprefix(b"\xef\xbb\xbf")):
        return "html"
    if b"\x00" in head:
        return "a binary file"
    return None


def not_a_table(head: bytes) -> str | None:
    """What to say of a file whose first bytes show it is not a text table (an Excel workbook,
    UTF-16 text, a web page, an image...): the words of :func:`_kind_words`; None for text."""
    kind = _file_kind(head)
    return None if kind is None else _kind_words(kind)


def _check_content(path: Path, what: str) -> None:
    """Raise a DataError naming what ``path`` is when its first bytes are not of the kind its
    name says: an ``.h5ad`` must be HDF5, a ``.parquet`` parquet, anything else a text table
    (plain or gzip'd). Catches a web page saved instead of the file (a failed download), an
    Excel workbook renamed ``.csv``, a gzip file cut short, a compressed file of another kind."""
    name = path.name.lower()
    with open(path, "rb") as fh:
        head = fh.read(4096)
    for suffixes, signature, expected in (
        ((".h5ad",), b"\x89HDF\r\n\x1a\n", "an .h5ad (HDF5) file"),
        ((".parquet", ".pq"), b"PAR1", "a parquet file"),
    ):
        if name.endswith(suffixes):
            if not head.startswith(signature):
                kind = _file_kind(head) or (
                    "gzip" if head.startswith(b"\x1f\x8b") else _text_or_binary(head)
                )
                raise DataError(f"{what} file {path} is not {expected}: {_kind_words(kind)}")
            return
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(4096)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(
                f"{what} file {path}: damaged or truncated gzip file (an incomplete download?): "
                f"{exc}"
            ) from None
    kind = _file_kind(head)
    if kind is not None:
        raise DataError(f"{what} file {path}: cannot be read: {_kind_words(kind)}")
    if _ends_lines_with_cr_alone(path):
        # every reader splits lines at '\n': the whole file was one line, said as "no
        # header line", "a header but no rows" or "not a GCT file"
        raise DataError(
            f"{what} file {path}: its lines end with a carriage return alone (classic Mac "
            "line ends, as Excel's 'CSV (Macintosh)' writes them); save it as 'CSV UTF-8' or "
            "'Text (Tab delimited)', or convert the line ends (tr '\\r' '\\n' < old > new)"
        )


#: Bytes read at most to find the end of a text file's first line
_FIRST_LINE_END_BYTES = 16 << 20


def _ends_lines_with_cr_alone(path: Path) -> bool:
    """Whether the first line of a (gzip'd) text file ends with a carriage return that no line
    feed follows (and a second line follows it): the line ends of classic Mac OS."""
    with _open_binary(path) as fh:
        read = 0
        while read < _FIRST_LINE_END_BYTES:
            try:
                chunk = fh.read(1 << 20)
            except (OSError, EOFError, zlib.error):
                return False  # the reader says what is wrong with the file
            if not chunk:
                return False
            read += len(chunk)
            cr, lf = chunk.find(b"\r"), chunk.find(b"\n")
            if lf >= 0 and (cr < 0 or lf < cr):
                return False
            if cr >= 0:
                after = chunk[cr + 1 : cr + 2] or fh.read(1)
                return after not in (b"", b"\n")
    return False


def _text_or_binary(head: bytes) -> str:
    """ "text" for first bytes that read as UTF-8 text (a cut multi-byte letter at the end
    aside), else "a binary file" (random bytes were said to be "text (a CSV/TSV table?)")."""
    try:
        head[:-4].decode("utf-8") if len(head) > 4 else head.decode("utf-8")
    except UnicodeDecodeError:
        return "a binary file"
    return "text"


def _kind_words(kind: str) -> str:
    """What to say to someone who gave a file of ``kind`` (see :func:`_file_kind`)."""
    if kind == "xlsx":
        return (
            "it is an Excel workbook (.xlsx), not a text table; in Excel, save the sheet as "
            "'CSV UTF-8' or 'Text (Tab delimited)'"
        )
    if kind == "zip":
        return "it is a zip archive; unpack it and give the table inside"
    if kind == "html":
        return (
            "it is a web page (HTML), not the data: the download failed or saved the page "
            "around the file; download the file itself"
        )
    if kind.startswith("an Excel"):
        return (
            f"it is {kind}, not a text table; in Excel, save the sheet as 'CSV UTF-8' or "
            "'Text (Tab delimited)'"
        )
    if kind.endswith("-compressed file"):
        return f"it is {kind}; unpack it (or compress it with gzip)"
    if kind == "utf16":
        return (
            "it is UTF-16 text (Excel's 'Unicode Text'); save it as 'CSV UTF-8' or "
            "'Text (Tab delimited)', or convert it to UTF-8"
        )
    if kind == "gzip":
        return "it is gzip-compressed; unpack it first (gunzip)"
    if kind == "text":
        return "its first bytes are text (a CSV/TSV table?); name it .csv or .tsv"
    if kind.startswith(("an HDF5", "a parquet")):
        suffix = ".h5ad" if "HDF5" in kind else ".parquet"
        return f"it is {kind}; name it with the {suffix} extension"
    return f"it is {kind}, not a text table"


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open_binary(path: Path) -> io.BufferedIOBase:
    if _is_gzip(path):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _read_line(fh: io.BufferedIOBase, path: Path) -> bytes:
    try:
        return fh.readline()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read (corrupt or truncated file): {exc}") from exc


_BOM = b"\xef\xbb\xbf"


#: encoding of a text table that is not valid UTF-8 (decodes any byte; the letters of cp1252,
#: a Windows spreadsheet's encoding, for the accented Latin letters)
_FALLBACK_ENCODING = "latin-1"


def _strip_suffixes(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".bz2", ".gct", ".csv", ".tsv", ".txt", ".parquet", ".h5ad"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


def _absolute(path: Path) -> str:
    """``path`` made absolute, a link's own name kept (``resolve`` named the link's target)."""
    return os.path.abspath(path)


def _read_user_parquet(path: Path) -> pd.DataFrame:
    """A user's parquet matrix, with a one-line error for what pyarrow says in a page of
    schema: repeated column names (pandas refuses to write them; pyarrow does not) are named."""
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise DataError(f"{path}: cannot be read as parquet: {_first_line(exc)}") from exc
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataError(
            f"{path}: duplicate column names {first_names(repeated)}: each gene or annotation once"
        )
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise DataError(f"{path}: cannot be read as parquet: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    """The first line of an error's message (pyarrow's go on with the file's schema)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
