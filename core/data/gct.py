"""GCT v1.2 matrices (genes x samples).

The header, and the values streamed chunk by chunk into one preallocated float32 array.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from core.data.inputs import _BOM, _FALLBACK_ENCODING, _open_binary, _read_line
from core.data.scale import (
    _LOG_INPUT_MAX,
    _apply_transform,
    _check_magnitude,
    _max_and_fraction,
    _warn_if_log_scale,
)
from core.data.value_columns import _MISSING_MARKERS
from core.errors import DataError

log = logging.getLogger("core.data")  # the package's one logger (-v shows its name)


_GCT_CHUNK_BYTES = 4 << 20  # text parsed per chunk when streaming a GCT file
_GCT_PEEK_VALUES = 1 << 22  # values read before the matrix is allocated (16 MiB as float32)


class _GctText:
    """Decodes a GCT file's names (sample ids, gene ids, descriptions): UTF-8, or Latin-1 for
    a file that is not valid UTF-8 (as text tables are read: a Windows spreadsheet's export),
    said once per file. Decoding with replacement characters turned "Sample_é" and
    "Sample_è" into one id."""

    def __init__(self, path: Path, warn: bool = True) -> None:
        self.path = path
        self.warn = warn
        self.latin1_line: int | None = None

    def __call__(self, raw: bytes, line_no: int) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            if self.latin1_line is None and self.warn:
                log.warning(
                    "%s: not valid UTF-8 (first at line %d); its names are read as Latin-1 "
                    "(ISO-8859-1) instead (check accented names)",
                    self.path,
                    line_no,
                )
            if self.latin1_line is None:
                self.latin1_line = line_no
            return raw.decode(_FALLBACK_ENCODING)


class _GctHeader:
    """First three lines of a GCT v1.2 file (``text`` decodes the names of the rows below)."""

    def __init__(
        self, n_genes: int, n_samples: int, sample_ids: list[str], text: _GctText | None = None
    ) -> None:
        self.n_genes = n_genes
        self.n_samples = n_samples
        self.sample_ids = sample_ids
        self.text = text


def _read_gct_header(fh: io.BufferedIOBase, path: Path, warn: bool = True) -> _GctHeader:
    """The header of a GCT file open at its start (``warn``: say that it is not UTF-8, for
    the read that goes on to its rows)."""
    first = _read_line(fh, path).removeprefix(_BOM)
    if not first:
        raise DataError(f"{path}: empty file (expected a GCT v1.2 matrix)")
    tag = first.decode("utf-8", "replace").strip().split("\t")[0].strip()
    if tag != "#1.2":
        raise DataError(
            f"{path}, line 1: not a GCT v1.2 file (first line is {tag[:40]!r}, expected '#1.2')"
        )
    dims = _read_line(fh, path).decode("utf-8", "replace").split()
    try:
        if len(dims) < 2:
            raise ValueError
        n_genes, n_samples = int(dims[0]), int(dims[1])
        if n_genes < 0 or n_samples < 0:
            raise ValueError
    except ValueError:
        raise DataError(
            f"{path}, line 2: expected the dimension line '<n_genes> <n_samples>', got "
            f"{' '.join(dims)[:60]!r}"
        ) from None
    text = _GctText(path, warn)
    header = text(_read_line(fh, path), 3).rstrip("\r\n").split("\t")
    if (
        len(header) < 2
        or header[0].strip().lower() != "name"
        or header[1].strip().lower() != ("description")
    ):
        raise DataError(
            f"{path}, line 3: expected the header 'Name<TAB>Description<TAB>sample ids...', "
            f"got {'|'.join(header[:3])[:80]!r}"
        )
    sample_ids = [s.strip() for s in header[2:]]
    if len(sample_ids) != n_samples:
        trailing = len(sample_ids) - len("\t".join(header[2:]).rstrip("\t \r").split("\t"))
        raise DataError(
            f"{path}, line 3: the header names {len(sample_ids):,} samples but the dimension "
            f"line (line 2) declares {n_samples:,}"
            + (
                f" (the header ends with {'a tab' if trailing == 1 else f'{trailing} tabs'}, "
                "an empty sample id after the last one: remove it)"
                if trailing > 0 and sample_ids[-1] == ""
                else ""
            )
        )
    if any(not s for s in sample_ids):
        raise DataError(f"{path}, line 3: empty sample id in the header")
    seen: set[str] = set()
    dups = [s for s in sample_ids if s in seen or seen.add(s)]  # type: ignore[func-returns-value]
    if dups:
        raise DataError(f"{path}, line 3: duplicate sample ids {sorted(set(dups))[:5]}")
    return _GctHeader(n_genes, n_samples, sample_ids, text)


_NUMBER_RE = re.compile(rb"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$", re.I)
_NULL_TOKENS = {b"", b"NA", b"NAN", b"N/A", b"NULL", b"#N/A", b"-NAN", b"NONE"}


def _diagnose_fields(
    path: Path,
    line_nos: list[int],
    rests: list[bytes],
    sample_ids: list[str],
    gene_ids: list[str] | None = None,
) -> None:
    """Find the first unreadable value of a chunk and raise a DataError naming it."""
    for row, (line_no, rest) in enumerate(zip(line_nos, rests, strict=True)):
        for col, field in enumerate(rest.rstrip(b"\r\n").split(b"\t")):
            if field.strip().upper() in _NULL_TOKENS or _NUMBER_RE.match(field.strip()):
                continue
            gene = f", gene {gene_ids[row]}" if gene_ids else ""
            raise DataError(
                f"{path}, line {line_no}: non-numeric value "
                f"{field.decode('utf-8', 'replace')[:40]!r} for sample {sample_ids[col]}{gene}"
            )
    raise DataError(f"{path}, lines {line_nos[0]}-{line_nos[-1]}: unreadable values")


def _parse_numeric_block(
    path: Path,
    line_nos: list[int],
    rests: list[bytes],
    n_columns: int,
    sample_ids: list[str],
    gene_ids: list[str] | None = None,
) -> np.ndarray:
    """Parse tab-separated numeric lines (same number of fields each) into (m, n_columns) float32.

    The fields are turned into a one-column CSV (tabs -> newlines) parsed by pyarrow's
    multi-threaded reader; empty / NA / NaN fields become NaN.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    blob = b"".join(rests)
    blob = blob.replace(b"\t", b"\n")
    try:
        table = pacsv.read_csv(
            io.BytesIO(blob),
            read_options=pacsv.ReadOptions(column_names=["v"], block_size=1 << 21),
            parse_options=pacsv.ParseOptions(
                delimiter="\t",
                quote_char=False,
                double_quote=False,
                escape_char=False,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(column_types={"v": pa.float32()}),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        _diagnose_fields(path, line_nos, rests, sample_ids, gene_ids)
        raise  # unreachable: _diagnose_fields raises
    del blob
    flat = table.column(0).to_numpy(zero_copy_only=False)
    del table
    if flat.size != len(rests) * n_columns:
        _diagnose_fields(path, line_nos, rests, sample_ids, gene_ids)
    block = flat.reshape(len(rests), n_columns)
    if block.dtype != np.float32 or not block.flags.writeable:
        block = np.array(block, dtype=np.float32)
    return block


def _ragged_row(path: Path, line_no: int, line: bytes, n_fields: int, n_columns: int) -> DataError:
    """The error for a gene row of ``n_fields`` fields, not the ``n_columns + 2`` expected. A
    short row with no line break after it is the file's last line: a file cut short (an
    interrupted download or copy), said as such rather than as a ragged row."""
    expected = f"{n_columns + 2:,} (Name, Description and {n_columns:,} samples)"
    if n_fields < n_columns + 2 and not line.endswith((b"\n", b"\r")):
        end = line[-20:].decode("utf-8", "replace")
        return DataError(
            f"{path}, line {line_no}: its last line has {n_fields:,} of the {n_columns + 2:,} "
            f"fields of a gene row (Name, Description and {n_columns:,} samples; it ends in "
            f"{end!r}), with no line break after it: the file looks cut short (an interrupted "
            "download or copy). Download or copy it again"
        )
    return DataError(
        f"{path}, line {line_no}: ragged row with {n_fields:,} fields, expected {expected}"
    )


def _iter_gct_chunks(
    fh: io.BufferedIOBase,
    path: Path,
    header: _GctHeader,
    max_rows: int | None,
    chunk_bytes: int,
) -> Iterator[tuple[int, list[str], list[str], np.ndarray]]:
    """Yield ``(line numbers, gene ids, symbols, float32 block (m, n_samples))`` per chunk."""
    n_columns = header.n_samples
    text = header.text or _GctText(path)
    line_no = 3
    rows_read = 0
    while True:
        ids: list[str] = []
        symbols: list[str] = []
        rests: list[bytes] = []
        line_nos: list[int] = []
        size = 0
        while size < chunk_bytes and (max_rows is None or rows_read < max_rows):
            line = _read_line(fh, path)
            if not line:
                break
            line_no += 1
            if len(line) < 3 and not line.strip():
                continue
            parts = line.split(b"\t", 2)
            if len(parts) < 3:
                raise _ragged_row(path, line_no, line, len(parts), n_columns)
            rest = parts[2]
            n_fields = rest.count(b"\t") + 1
            if n_fields != n_columns:
                raise _ragged_row(path, line_no, line, n_fields + 2, n_columns)
            if rows_read >= header.n_genes:
                raise DataError(
                    f"{path}, line {line_no}: more gene rows than the {header.n_genes:,} "
                    f"declared on line 2"
                )
            if not rest.endswith(b"\n"):
                rest += b"\n"
            line_nos.append(line_no)
            ids.append(text(parts[0], line_no).strip())
            symbols.append(text(parts[1], line_no).strip())
            rests.append(rest)
            size += len(rest)
            rows_read += 1
        if not rests:
            return
        yield (
            line_nos,
            ids,
            symbols,
            _parse_numeric_block(path, line_nos, rests, n_columns, header.sample_ids, ids),
        )
        del rests


def _compact_columns(values: np.ndarray, n_keep: int) -> np.ndarray:
    """Shrink a C-contiguous (n_rows, n_cols) array to its first ``n_keep`` columns in place."""
    n_rows, n_cols = values.shape
    if n_keep == n_cols:
        return values
    flat = values.reshape(-1)
    for i in range(n_rows):
        flat[i * n_keep : (i + 1) * n_keep] = flat[i * n_cols : i * n_cols + n_keep]
    del flat
    try:
        values.resize((n_rows, n_keep), refcheck=False)
        return values
    except ValueError:  # does not own its memory: fall back to a (smaller) copy
        return np.ascontiguousarray(values.reshape(-1)[: n_rows * n_keep].reshape(n_rows, n_keep))


def _stream_gct(
    path: Path,
    keep: np.ndarray | None,
    transform: str,
    max_genes: int | None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[_GctHeader, np.ndarray, list[str], list[str]]:
    """Read a GCT v1.2 file into one float32 (n_kept_samples, n_genes) array, chunk by chunk.

    ``keep`` are the sample columns kept (ascending indices into the header; None = all).
    Values are checked (finite, non-negative unless ``transform == "none"``) and transformed
    per chunk before being written into the preallocated array. ``progress`` is called after
    each chunk with (gene rows read, gene rows declared).
    """
    with _open_binary(path) as fh:
        header = _read_gct_header(fh, path)
        if keep is None:
            keep = np.arange(header.n_samples)
        n_kept = int(keep.size)
        all_kept = n_kept == header.n_samples
        declared = header.n_genes if max_genes is None else min(header.n_genes, max_genes)
        chunks = _iter_gct_chunks(fh, path, header, max_genes, _GCT_CHUNK_BYTES)
        gene_ids: list[str] = []
        symbols: list[str] = []
        scale = {"top": -np.inf, "fractional": False}  # of the input, before the transform

        def prepare(chunk: tuple[list[int], list[str], list[str], np.ndarray]) -> np.ndarray:
            """Check a parsed chunk, keep its sample columns, transform; (m, n_kept)."""
            line_nos, ids, syms, block = chunk
            _check_magnitude(
                block,
                lambda r, c: (
                    f"{path}, line {line_nos[r]} (gene {ids[r]}, sample {header.sample_ids[c]})"
                ),
            )
            if transform != "none":
                neg = block < 0
                if neg.any():
                    r, c = np.argwhere(neg)[0]
                    raise DataError(
                        f"{path}, line {line_nos[r]}: negative value {block[r, c]:g} for "
                        f"sample {header.sample_ids[c]} (gene {ids[r]}); counts/TPM are expected "
                        f"before the {transform} transform (for data already on a log scale: "
                        f"transform 'none'; --transform none on the command line)"
                    )
            sub = block if all_kept else block[:, keep]
            if transform != "none" and scale["top"] < _LOG_INPUT_MAX:
                top, fractional = _max_and_fraction(sub, scale["top"])
                scale["top"] = top
                scale["fractional"] = bool(scale["fractional"] or fractional)
            _apply_transform(sub, transform)
            gene_ids.extend(ids)
            symbols.extend(syms)
            if progress is not None:
                progress(len(gene_ids), declared)
            return sub

        # Read ahead (up to _GCT_PEEK_VALUES values) before allocating, so that a file shorter
        # than its dimension line (a row subset of a published file) is allocated at its true
        # size instead of touching a mostly unused matrix of the declared size.
        pending: list[np.ndarray] = []
        n_pending = 0
        exhausted = True
        for chunk in chunks:
            pending.append(prepare(chunk))
            n_pending += pending[-1].size
            if n_pending >= _GCT_PEEK_VALUES:
                exhausted = False
                break
        n_alloc = len(gene_ids) if exhausted else declared
        try:
            values = np.empty((n_kept, n_alloc), dtype=np.float32)
        except MemoryError:
            raise DataError(
                f"{path}: not enough memory for a {n_kept} x {n_alloc} float32 matrix "
                f"({n_kept * n_alloc * 4 / 2**30:.1f} GiB)"
            ) from None
        start = 0
        for sub in pending:
            values[:, start : start + sub.shape[0]] = sub.T
            start += sub.shape[0]
        del pending
        for chunk in chunks:
            sub = prepare(chunk)
            values[:, start : start + sub.shape[0]] = sub.T
            start += sub.shape[0]

    n_rows = len(gene_ids)
    if n_rows == 0:
        raise DataError(f"{path}: no gene rows after the header")
    if transform != "none":
        _warn_if_log_scale(path, scale["top"], scale["fractional"], transform)
    if n_rows < header.n_genes and (max_genes is None or n_rows < max_genes):
        log.warning(
            "%s: %s gene rows but the dimension line declares %s; keeping the %s rows present "
            "(a subset of the rows of a published file; if it is not one, the file was cut "
            "short, as by an incomplete download)",
            path,
            f"{n_rows:,}",
            f"{header.n_genes:,}",
            f"{n_rows:,}",
        )
    if values.shape[1] != n_rows:
        values = _compact_columns(values, n_rows)
    return header, values, gene_ids, symbols


def _genes_frame(gene_ids: list[str], symbols: list[str], path: Path) -> pd.DataFrame:
    index = pd.Index(gene_ids, name="gene_id")
    if index.has_duplicates:
        dup = index[index.duplicated()].unique()[:5].tolist()
        raise DataError(f"{path}: duplicate gene ids {dup}")
    # a placeholder description ("na", as GCT writers put when there is none) names no gene:
    # every gene was called "na"
    sym = [
        s if s and str(s).strip().lower() not in _MISSING_MARKERS else g
        for s, g in zip(symbols, gene_ids, strict=True)
    ]
    return pd.DataFrame({"symbol": sym}, index=index)


def _starts_like_gct(path: Path) -> bool:
    """Whether a text file starts with GCT's ``#1.2`` line (a GCT file named ``.txt``)."""
    if path.name.lower().endswith((".h5ad", ".parquet", ".pq")):
        return False
    with _open_binary(path) as fh:
        first = _read_line(fh, path).removeprefix(_BOM)
    return first.split(b"\t")[0].strip() == b"#1.2"
