"""What users give the page, read: a typed entry as a message quotes it (:func:`quoted`), gene
names (symbols made unique, Ensembl ids with or without their version), a typed gene list
(:func:`parse_gene_list`) and an uploaded matrix of new samples (its kind told when it is no
table, unpacked within a limit, read with the loader's warnings).

Placing the samples read here on the map is :mod:`dashboard.new_samples`.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.data import _strip_version as _core_strip_version
from core.data import not_a_table
from core.errors import CoreError, DataError

log = logging.getLogger(__name__)


#: Characters of a typed entry (gene, list entry, link value) quoted in a message.
QUOTED_CHARS = 40


def quoted(text: Any, limit: int = QUOTED_CHARS) -> str:
    """``text`` as a message quotes it: ``'GATA4'``; a longer one cut, with its length
    (``'XXXX…' (5,000 characters)``). A paste of 5,000 characters came back whole in the
    message, hundreds of lines of it."""
    text = str(text)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit] + '…'!r} ({len(text):,} characters)"


#: Names of spreadsheet files: an upload named so is a workbook, whatever its first bytes.
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")


def _other_kind(raw: bytes, name: str) -> str:
    """What to say of an upload whose ``name`` is not that of a table: what it is, and what to
    give instead. An Excel workbook was answered "give a CSV, TSV, GCT (optionally .gz) or
    parquet matrix", without saying what it was or how to save it as CSV."""
    expected = "give a CSV, TSV, GCT (optionally .gz) or parquet matrix"
    said = not_a_table(raw[:4096])
    end = Path(name).suffix.lower()
    if said is None and end in SPREADSHEET_SUFFIXES:
        said = (
            f"its name ({end}) is that of an Excel workbook, not a text table; in Excel, save "
            "the sheet as 'CSV UTF-8' or 'Text (Tab delimited)'"
        )
    if said is not None:
        return said if "CSV" in said else f"{said}; {expected}"
    if b"\x00" not in raw[:4096]:  # text, or nothing: named otherwise
        named = f"its name ends in {end}" if end else "its name has no extension"
        return f"{named}: {expected} (a text table: name it .csv or .tsv)"
    return expected


def _strip_version(gene_id: str) -> str:
    """An Ensembl id without its version, as :func:`core.data._strip_version` (a suffix after
    the version stays: ``ENSG00000092054.12_PAR_Y``, GTEx's Y copy of a pseudoautosomal gene,
    is not the X gene), in any case."""
    upper = gene_id.upper()
    if not upper.startswith("ENS"):
        return gene_id
    stripped = _core_strip_version(upper)
    return stripped if stripped != upper else gene_id.split(".", 1)[0]


def unique_symbols(symbols: np.ndarray, gene_ids: np.ndarray) -> np.ndarray:
    """The names the page shows and looks genes up by: the symbols, except where a symbol
    names several genes (GTEx's gene table repeats some across Ensembl ids): the first keeps
    it and the others read ``SYMBOL (ENSG00000...)``. Otherwise searching for, clicking or
    colouring by any of them showed the first."""
    out = np.asarray(symbols, dtype=object).copy()
    keys = pd.Series([str(s).upper() for s in out])
    repeated = np.flatnonzero(keys.duplicated(keep="first").to_numpy())
    taken = set(keys)
    for j in repeated:
        name = f"{out[j]} ({_strip_version(str(gene_ids[j]))})"
        while name.upper() in taken:  # ids are unique; a symbol of that very form is not
            name += "'"
        taken.add(name.upper())
        out[j] = name
    return out


def _unquoted(token: str) -> str:
    """``token`` without the brackets of a pasted list around it, nor the quotes of a string."""
    token = token.strip("[]")
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        token = token[1:-1]
    return token


def parse_gene_list(text: str | None) -> list[str]:
    """Symbols typed by a user: separated by commas, spaces, semicolons or new lines; a ``*``
    stands for any characters (``KRT*``), see :meth:`AppContext.gene_list_columns`.

    Raises
    ------
    DataError
        When nothing that looks like a gene symbol is found, or a token has odd characters.
    """
    tokens = [t for t in re.split(r"[\s,;]+", text or "") if t]
    # pasted from R ([1] "KRT5" "KRT14") or Python (['KRT5', 'KRT14']): the quotes, brackets
    # and R's element numbers are no part of the symbols (each was refused as not a symbol)
    tokens = [_unquoted(t) for t in tokens if not re.fullmatch(r"\[\d+\]", t)]
    tokens = [t for t in tokens if t]
    if not tokens:
        raise DataError("the gene list is empty: type symbols separated by commas or spaces")
    # parentheses and primes are parts of fly and mouse symbols: Su(H), Gt(ROSA)26Sor; a
    # star stands for any characters (KRT*: every keratin)
    bad = [t for t in tokens if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._\-/@()'*]*", t)]
    if bad:
        shown = ", ".join(quoted(b) for b in bad[:5])
        raise DataError(
            f"the gene list has entries that are not gene symbols: {shown} (symbols or ids, "
            "separated by commas or spaces; KRT* for every symbol that starts with KRT)"
        )
    if len(tokens) > 2000:
        raise DataError(f"the gene list has {len(tokens)} entries; at most 2000 are accepted")
    return tokens


def _gunzip_within(raw: bytes, limit: int, name: str) -> bytes:
    """The unpacked bytes of a gzip file (members one after another, as ``gzip`` writes
    them), refused with a DataError naming ``name`` once they pass ``limit`` bytes."""
    import zlib

    out: list[bytes] = []
    size, rest = 0, raw
    try:
        while rest:
            unpacker = zlib.decompressobj(wbits=31)
            data = rest
            while True:
                chunk = unpacker.decompress(data, 1 << 20)
                size += len(chunk)
                if size > limit:
                    raise DataError(
                        f"{name}: more than {limit // 1_000_000} MB once unpacked; up to that "
                        "are placed here (use “python -m core embed” for more)"
                    )
                out.append(chunk)
                data = unpacker.unconsumed_tail
                if unpacker.eof or not (data or chunk):
                    break
            if not unpacker.eof:
                raise DataError(f"{name}: a damaged or truncated gzip file (its end is missing)")
            rest = unpacker.unused_data.lstrip(b"\x00")
    except zlib.error as exc:
        raise DataError(f"{name}: a damaged gzip file ({exc})") from None
    return b"".join(out)


def _load_upload(
    path: Path, name: str, transform: str, model_genes: set[str]
) -> tuple[Any, list[dict[str, str]], int]:
    """Read an uploaded matrix; a text value among its numbers is read as missing.

    :func:`core.data.load_table` with ``text_values="missing"``: a column of values with a
    text cell stays a column of values (it is not taken for an annotation), and the cells are
    returned to be said.

    Returns
    -------
    (ExpressionSet, text cells, number of text cells)
        The cells (the first 100): dicts of ``column``, ``row`` (ids), ``text`` and ``axis``
        (``genes`` when the columns are genes, ``samples`` when they are samples).
    """
    from core.data import load_table

    def named(exc: CoreError) -> DataError:  # name the user's file, not the temporary copy
        return DataError(str(exc).replace(str(path), name))

    def read(table: Path) -> Any:
        """load_table; where its ids cannot tell rows from columns, the orientation whose
        genes are the model's (an upload is placed on a model: its genes decide)."""
        try:
            return load_table(table, transform=transform, text_values="missing")
        except DataError as exc:
            if "cannot tell whether its rows are samples or genes" not in str(exc):
                raise
            undecided = exc
        best, best_hits = None, 0
        for orientation in ("samples_x_genes", "genes_x_samples"):
            try:
                candidate = load_table(
                    table, transform=transform, orientation=orientation, text_values="missing"
                )
            except DataError:
                continue
            names = list(candidate.gene_ids) + list(candidate.gene_symbols)
            hits = sum(_is_model_gene(n, model_genes) for n in names)
            if hits > best_hits:
                best, best_hits = candidate, hits
        if best is None:  # (the advice on flags and Python arguments is not for a page)
            advice = re.sub(r",? or give the orientation \(.*$", "", str(undecided))
            raise DataError(advice) from None
        log.info("%s: orientation from the model's genes (%d found)", name, best_hits)
        return best

    try:
        es = read(path)
    except CoreError as exc:
        raise named(exc) from None
    source = es.source or {}
    axis = "genes" if source.get("orientation") == "samples_x_genes" else "samples"
    cells = [
        {"column": c["column"], "row": c["row"], "text": c["text"], "axis": axis}
        for c in source.get("text_cells") or []
    ]
    return es, cells, int(source.get("text_cell_count") or len(cells))


def _gene_key(name: Any) -> str:
    return _strip_version(str(name).strip().strip('"')).upper()


class _ThreadWarnings(logging.Handler):
    """Collects the warnings that ``core`` logs from the calling thread while attached (as a
    context manager): what the loader noticed about an upload reaches the page, not only the
    server's log. Other threads' records (other users' uploads) are left out."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []
        #: the kind of each message (``notice``, given by some of core's warnings), or None
        self.notices: list[str | None] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            message = record.getMessage()
            if message not in self.messages:
                self.messages.append(message)
                self.notices.append(getattr(record, "notice", None))

    def __enter__(self) -> _ThreadWarnings:
        logging.getLogger("core").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("core").removeHandler(self)


def _is_model_gene(name: Any, model_genes: set[str]) -> bool:
    text = str(name).strip().strip('"').upper()
    return text in model_genes or _gene_key(name) in model_genes
