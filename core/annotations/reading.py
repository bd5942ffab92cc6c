"""Reading GO's files: the shipped snapshot's folder (``data/go/``) and its alt_ids table;
plain or gzip'd text, UTF-8 or else Latin-1 (with a warning), a damaged download named."""

from __future__ import annotations

import codecs
import gzip
import io
import logging
import zlib
from pathlib import Path

import pandas as pd

from core.errors import DataError

LOG = logging.getLogger("core.annotations")  # the package's one logger (-v shows its name)

SNAPSHOT_DIR = Path(__file__).resolve().parents[2] / "data" / "go"

#: what reading a damaged file raises (a truncated or corrupt gzip download, a vanished file)
_READ_ERRORS = (OSError, EOFError, zlib.error)

#: encoding of a GAF file that is not valid UTF-8 (decodes any byte; the same letters as
#: cp1252 for accented Latin letters, the usual case)
_FALLBACK_ENCODING = "latin-1"


def _read_snapshot_alt_ids(path: Path) -> dict[str, str] | None:
    """``alt_id -> go_id`` of a snapshot's ``alt_ids.tsv.gz``; None when the file is absent
    (snapshots built before it existed)."""
    if not path.is_file():
        return None
    try:
        alt = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError, *_READ_ERRORS) as exc:
        raise DataError(f"{path}: cannot read GO snapshot alt_ids: {exc}") from exc
    missing = [c for c in ("alt_id", "go_id") if c not in alt.columns]
    if missing:
        raise DataError(f"{path}: GO snapshot alt_ids lack columns {missing}")
    return dict(zip(alt["alt_id"], alt["go_id"], strict=True))


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open_text(path: Path) -> io.TextIOBase:
    """Text of a plain or gzip'd file; a UTF-8 byte-order mark (Windows editors) is dropped."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    if _is_gzip(path):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", errors="replace")
    return open(path, encoding="utf-8-sig", errors="replace")  # noqa: SIM115


def _is_utf8(path: Path, compression: str | None) -> bool:
    """Whether a plain or gzip'd file decodes as UTF-8 (read in 1 MiB chunks)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    opener = gzip.open if compression == "gzip" else open
    try:
        with opener(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _unreadable(path: Path, exc: BaseException) -> DataError:
    return DataError(f"{path}: cannot be read (damaged or truncated gzip download?): {exc}")


def _read_bytes(path: Path) -> bytes:
    """The bytes of a plain or gzip'd file (a DataError for a missing or damaged one)."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        if _is_gzip(path):
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except _READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc


def _decode(path: Path, data: bytes, what: str) -> tuple[str, str]:
    """``data`` as text, and the encoding used: UTF-8 (a byte-order mark dropped), else
    :data:`_FALLBACK_ENCODING` with a warning naming the file and the first line that is not
    UTF-8, so that a user knows to check its accented names."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        LOG.warning(
            "%s: not valid UTF-8 (first at line %d); %s read as Latin-1 (ISO-8859-1) instead "
            "(check accented names)",
            path,
            line,
            what,
        )
        return data.decode(_FALLBACK_ENCODING), _FALLBACK_ENCODING
