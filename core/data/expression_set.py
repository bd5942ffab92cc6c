"""The :class:`ExpressionSet` container.

One float32 matrix of samples x genes on a log scale, its ids, its sample and gene annotation
tables, and how it was made (its ``source``); saved to and loaded from a directory.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.data.columns import default_label_column
from core.data.genes import _strip_version, find_gene, gene_lookup_tables
from core.data.scale import _check_magnitude
from core.data.value_columns import _DECIMAL_COMMA_RE, _MISSING_MARKERS
from core.errors import DataError

log = logging.getLogger("core.data")  # the package's one logger (-v shows its name)


_FORMAT_VERSION = 1


def _refuse_text_columns(frame: pd.DataFrame) -> None:
    """A DataError naming the columns of words (a table read with its sample and annotation
    columns), and the fix; nothing when every column is "text" (numbers written otherwise,
    "1,5") or only a stray cell is ("n.d."): those are said with the value."""

    def words(column: pd.Series) -> bool:  # words more than numbers, a decimal comma allowed
        as_text = column.astype(str).str.replace(",", ".", regex=False)
        failed = pd.to_numeric(as_text.where(column.notna()), errors="coerce")
        return failed.isna().sum() > (len(column) + column.isna().sum()) / 2

    text = [
        c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c]) and words(frame[c])
    ]
    if not text or len(text) == frame.shape[1]:
        return
    shown = ", ".join(map(str, text[:5])) + (", ..." if len(text) > 5 else "")
    ids = [c for c in text if frame[c].notna().all() and frame[c].is_unique]
    index = repr(str(ids[0])) if ids else "column"
    raise DataError(
        f"{len(text)} column(s) hold text, not expression values ({shown}): make the sample "
        f"ids the index (df.set_index({index})), give annotations apart (samples=...), or "
        "drop those columns; core.data.load_table reads such a file whole"
    )


def _text_cell_error(
    arr: np.ndarray, sample_ids: pd.Index, gene_ids: pd.Index, exc: Exception
) -> DataError:
    """The error for a matrix of objects that are not all numbers: its first such cell (row
    by row) named by sample and gene, with what to do of a missing-value marker ("NA")."""
    # rows by blocks: numpy finds the block, a loop over its cells the cell
    step = max(1, 65536 // max(1, arr.shape[1]))
    for start in range(0, arr.shape[0], step):
        block = arr[start : start + step]
        try:
            block.astype(np.float32)
            continue
        except (TypeError, ValueError):
            pass
        for (r, c), value in np.ndenumerate(block):
            try:
                np.float32(value)
            except (TypeError, ValueError):
                text = str(value)[:40]
                if text.strip().lower() in _MISSING_MARKERS:
                    hint = (
                        "; a missing value? Give it as NaN: "
                        f"df.replace({str(value)!r}, float('nan'))"
                    )
                elif _DECIMAL_COMMA_RE.match(text):
                    hint = (
                        "; a decimal comma? Write a '.' decimal point: "
                        "df.replace(',', '.', regex=True).astype(float)"
                    )
                else:
                    hint = "; expression values must be numbers (NaN for a missing value)"
                return DataError(
                    f"sample {sample_ids[start + r]}, gene {gene_ids[c]}: value {text!r} is not "
                    f"a number{hint}"
                )
    return DataError(f"values are not numeric (dtype {arr.dtype}): {exc}")


class ExpressionSet:
    """A samples x genes expression matrix (log scale) with sample and gene annotations.

    Build one with :meth:`from_array` or a loader (:func:`load_gtex`, :func:`load_table`,
    :meth:`load`); treat ``values`` as read-only (the :meth:`fingerprint` is cached).

    Attributes
    ----------
    values : np.ndarray, shape (n_samples, n_genes), float32, C-contiguous
        Expression on a log scale; NaN marks a missing value.
    sample_ids : np.ndarray of str, shape (n_samples,)
    gene_ids : np.ndarray of str, shape (n_genes,)
    gene_symbols : np.ndarray of str, shape (n_genes,)
        Gene symbols (may repeat; the gene id when no symbol is known).
    samples : pandas.DataFrame, n_samples rows indexed by sample id
        Sample annotations (for GTEx: SMTS, SMTSD, subject, sex, age, ...); NaN where unknown.
    genes : pandas.DataFrame, n_genes rows indexed by gene id
        Gene annotations, with at least a ``symbol`` column.
    name : str
        Short human label of the dataset.
    source : dict
        JSON-serialisable description of how to re-load the set (see :func:`load_source`).
    """

    values: np.ndarray
    sample_ids: np.ndarray
    gene_ids: np.ndarray
    gene_symbols: np.ndarray
    samples: pd.DataFrame
    genes: pd.DataFrame
    name: str
    source: dict[str, Any]

    def __init__(
        self,
        values: np.ndarray,
        sample_ids: np.ndarray,
        genes: pd.DataFrame,
        samples: pd.DataFrame,
        name: str,
        source: dict[str, Any],
    ) -> None:
        """Low-level constructor (loaders use it); prefer :meth:`from_array`.

        Checks only shapes and types (no scan of the values): ``values`` float32 C-contiguous
        (n_samples, n_genes), ``sample_ids`` (n_samples,), ``samples`` with n_samples rows,
        ``genes`` with n_genes rows and a ``symbol`` column.
        """
        if (
            not isinstance(values, np.ndarray)
            or values.ndim != 2
            or values.dtype != np.float32
            or not values.flags["C_CONTIGUOUS"]
        ):
            raise DataError("values must be a float32 C-contiguous 2-D array (use from_array)")
        if len(sample_ids) != values.shape[0] or len(samples) != values.shape[0]:
            raise DataError(
                f"{len(sample_ids)} sample ids / {len(samples)} annotation rows for "
                f"{values.shape[0]} samples"
            )
        if len(genes) != values.shape[1] or "symbol" not in genes.columns:
            raise DataError(f"genes table must have {values.shape[1]} rows and a 'symbol' column")
        self.values = values
        self.sample_ids = sample_ids
        self.gene_ids = np.asarray(genes.index, dtype=str)
        self.gene_symbols = np.asarray(genes["symbol"], dtype=str)
        self.samples = samples
        self.genes = genes
        self.name = name
        self.source = source
        self._fingerprint: str | None = None
        self._lookup: list[dict[str, int]] | None = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_array(
        cls,
        values: Any,
        sample_ids: Sequence[str] | np.ndarray | None = None,
        gene_ids: Sequence[str] | np.ndarray | None = None,
        samples: pd.DataFrame | None = None,
        genes: pd.DataFrame | None = None,
        gene_symbols: Sequence[str] | np.ndarray | None = None,
        name: str = "array",
        source: dict[str, Any] | None = None,
    ) -> ExpressionSet:
        """Wrap a matrix, validating shapes and ids.

        Parameters
        ----------
        values : array-like, shape (n_samples, n_genes)
            Log-scale expression (NaN = missing); converted to float32 C-contiguous (no copy
            when it already is). A DataFrame's index and columns are the sample and gene ids
            (unless ``sample_ids`` / ``gene_ids`` are given; whole numbers name nothing).
        sample_ids, gene_ids : sequence of str, optional
            Unique ids; default ``sample_0..`` / ``gene_0..`` (or the index of ``samples`` /
            ``genes`` when those are given with a matching length).
        samples : DataFrame, optional
            Sample annotations: indexed by sample id (any order; reindexed), or n_samples rows
            in matrix order with a RangeIndex.
        genes : DataFrame, optional
            Gene annotations, same rules as ``samples``; a ``symbol`` column is used for symbols.
        gene_symbols : sequence of str, optional
            Overrides ``genes["symbol"]``; defaults to the gene ids.
        name : str
            Short human label.
        source : dict, optional
            How to re-load the set (JSON-serialisable); default ``{"loader": "array"}``.

        Raises
        ------
        DataError
            Wrong dimensions or lengths, duplicate ids, infinite values or values beyond
            :data:`MAX_EXPRESSION_VALUE`, non-numeric values.
        """
        arr = None
        if isinstance(values, pd.DataFrame):
            # a DataFrame's labels are its ids (they were left out: the rows took the order of
            # ``samples`` and another sample's id and tissue); whole numbers name nothing (a
            # RangeIndex, the row numbers left by a filter or a concat: positions, not ids)
            if sample_ids is None and not pd.api.types.is_integer_dtype(values.index):
                sample_ids = np.asarray(values.index.astype(str))
            if gene_ids is None and not pd.api.types.is_integer_dtype(values.columns):
                gene_ids = np.asarray(values.columns.astype(str))
            # nullable and pyarrow columns (Float64, Int64, float64[pyarrow]) hold pd.NA for a
            # missing value, which numpy cannot take for a float: read as NaN
            try:
                arr = values.to_numpy(dtype=np.float32, na_value=np.nan)
            except (TypeError, ValueError):
                arr = None  # text among the numbers: said below
                _refuse_text_columns(values)
        try:
            if arr is None:
                arr = np.asarray(values)
        except (TypeError, ValueError) as exc:
            raise DataError(f"values cannot be read as a numeric matrix: {exc}") from exc
        if arr.dtype == object:
            arr = np.where(pd.isna(arr), np.nan, arr)  # (pd.NA, None: missing values)
        if arr.ndim != 2:
            raise DataError(
                f"values must be a 2-D (n_samples, n_genes) matrix, got shape {arr.shape}"
            )
        n_samples, n_genes = arr.shape
        sample_index = _ids_from(sample_ids, samples, n_samples, "sample")
        gene_index = _ids_from(gene_ids, genes, n_genes, "gene")
        if arr.dtype.kind not in "biuf":
            try:
                arr = arr.astype(np.float32)
            except (TypeError, ValueError) as exc:
                # the cell named, as the file readers name its line and column (numpy's
                # "could not convert string to float: 'NA'" said neither)
                raise _text_cell_error(arr, sample_index, gene_index, exc) from None
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        # infinite values, and values beyond any expression value (3e38 placed a sample at
        # NaN without a word): refused, naming the cell
        _check_magnitude(arr, lambda r, c: f"sample {sample_index[r]}, gene {gene_index[c]}")
        sample_table = _annotation_frame(samples, sample_index, "samples")
        gene_table = _annotation_frame(genes, gene_index, "genes")
        if gene_symbols is not None:
            symbols = np.asarray(gene_symbols, dtype=str)
            if symbols.shape != (n_genes,):
                raise DataError(f"gene_symbols has {symbols.size} entries for {n_genes} genes")
            gene_table["symbol"] = symbols
        elif "symbol" not in gene_table.columns:
            gene_table["symbol"] = gene_index
        else:
            sym = gene_table["symbol"]
            gene_table["symbol"] = sym.where(sym.notna(), pd.Series(gene_index, index=sym.index))
            gene_table["symbol"] = gene_table["symbol"].astype(str)
        gene_table = gene_table[["symbol", *[c for c in gene_table.columns if c != "symbol"]]]
        return cls(
            arr,
            np.asarray(sample_index, dtype=str),
            gene_table,
            sample_table,
            str(name),
            dict(source) if source is not None else {"loader": "array"},
        )

    # ------------------------------------------------------------------ basics
    @property
    def n_samples(self) -> int:
        """Number of samples (rows of ``values``)."""
        return int(self.values.shape[0])

    @property
    def n_genes(self) -> int:
        """Number of genes (columns of ``values``)."""
        return int(self.values.shape[1])

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_samples, n_genes)``."""
        return (self.n_samples, self.n_genes)

    def __repr__(self) -> str:
        cols = ", ".join(map(str, self.samples.columns[:6]))
        more = ", ..." if self.samples.shape[1] > 6 else ""
        return (
            f"ExpressionSet({self.name!r}: {self.n_samples:,} samples x {self.n_genes:,} genes; "
            f"sample annotations [{cols}{more}])"
        )

    def __len__(self) -> int:
        return self.n_samples

    # ------------------------------------------------------------------ labels
    def label_column(self, preferred: Sequence[str] = ("SMTS", "tissue")) -> str | None:
        """Name of the main categorical label column of ``samples``, or None.

        The first of ``preferred`` present (case-insensitive) with at least one value; else the
        first text/categorical column with 2 to ``max(2, n_samples // 2)`` distinct values.
        """
        return default_label_column(self.samples, preferred)

    # ------------------------------------------------------------------ gene lookup
    def _gene_lookup(self) -> list[dict[str, int]]:
        if self._lookup is None:
            self._lookup = gene_lookup_tables(self.gene_ids, self.gene_symbols)
        return self._lookup

    def gene_index(self, query: str) -> int:
        """Column index of a gene given by symbol (case-insensitive) or id.

        An id or symbol written exactly wins over one that differs in case (``Gata4``, mouse,
        beside ``GATA4``, human); an Ensembl id matches with or without its version suffix
        (``ENSG00000117118`` finds ``ENSG00000117118.9``). When a symbol names several genes,
        the first one is returned.

        Raises
        ------
        DataError
            Unknown gene; the message suggests close names.
        """
        key = str(query).strip()
        if not key:
            raise DataError("empty gene name")
        idx = find_gene(self._gene_lookup(), key)
        if idx is not None:
            return idx
        up = key.upper()
        names = list(dict.fromkeys([*self.gene_symbols.tolist(), *self.gene_ids.tolist()]))
        close = difflib.get_close_matches(key, names, n=5, cutoff=0.6)
        if not close:
            upper_map = {n.upper(): n for n in names}
            close = [upper_map[c] for c in difflib.get_close_matches(up, list(upper_map), n=5)]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise DataError(f"unknown gene {key!r} in {self.name} ({self.n_genes:,} genes){hint}")

    def gene_indices(self, queries: Iterable[str]) -> np.ndarray:
        """Column indices of several genes (see :meth:`gene_index`), shape (n_queries,)."""
        return np.asarray([self.gene_index(q) for q in queries], dtype=np.int64)

    def find_genes(self, pattern: str) -> np.ndarray:
        """Indices of genes whose symbol or id matches a glob pattern (``KRT*``), ascending.

        Matching is case-insensitive; an id also matches without its version suffix.
        """
        pat = str(pattern).upper()
        hits = [
            i
            for i, (gid, sym) in enumerate(zip(self.gene_ids, self.gene_symbols, strict=True))
            if fnmatch.fnmatchcase(sym.upper(), pat)
            or fnmatch.fnmatchcase(gid.upper(), pat)
            or fnmatch.fnmatchcase(_strip_version(gid).upper(), pat)
        ]
        return np.asarray(hits, dtype=np.int64)

    # ------------------------------------------------------------------ subsetting / filters
    def _resolve(self, selector: Any, axis: str) -> np.ndarray | None:
        n = self.n_samples if axis == "samples" else self.n_genes
        if selector is None:
            return None
        if isinstance(selector, slice):
            return np.arange(n)[selector]
        if isinstance(selector, str):
            selector = [selector]
        if (
            isinstance(selector, pd.Series)
            and selector.dtype == bool
            and not pd.api.types.is_integer_dtype(selector.index)  # (numbers: positions)
        ):
            # a mask labelled by id (``samples["tissue"] == "Liver"`` of a table in another
            # order) is read by its labels: by position it picked other samples
            ids = pd.Index(self.sample_ids if axis == "samples" else self.gene_ids)
            labels = selector.index.astype(str)
            if labels.has_duplicates or not ids.isin(labels).all():
                missing = ids[~ids.isin(labels)][:5].tolist()
                raise DataError(
                    f"the {axis} mask is labelled by ids that are not this set's {axis} "
                    f"(e.g. missing {missing}): give a mask in the set's order, or by its ids"
                )
            selector = selector.set_axis(labels).reindex(ids).to_numpy(dtype=bool)
        sel = np.asarray(selector)
        if sel.ndim != 1:
            raise DataError(f"{axis} selector must be 1-D, got shape {sel.shape}")
        if sel.dtype == bool:
            if sel.size != n:
                raise DataError(f"boolean {axis} mask has {sel.size} entries for {n} {axis}")
            return np.flatnonzero(sel)
        if sel.size == 0:
            return np.zeros(0, dtype=np.int64)
        if sel.dtype.kind in "iu":
            if sel.min() < -n or sel.max() >= n:
                raise DataError(f"{axis} index out of range for {n} {axis}")
            return np.where(sel < 0, sel + n, sel).astype(np.int64)
        if sel.dtype.kind in "UO":
            if axis == "genes":
                return self.gene_indices(sel.astype(str).tolist())
            pos = pd.Index(self.sample_ids).get_indexer(sel.astype(str))
            if (pos < 0).any():
                missing = sel[pos < 0][:5].tolist()
                raise DataError(f"unknown sample id(s) {missing} in {self.name}")
            return pos.astype(np.int64)
        raise DataError(f"cannot select {axis} with an array of dtype {sel.dtype}")

    def subset(self, samples: Any = None, genes: Any = None) -> ExpressionSet:
        """A new set restricted to some samples and/or genes (values are copied).

        Parameters
        ----------
        samples, genes : index array, boolean mask, slice, or list of ids, optional
            Genes may be given by symbol or id (see :meth:`gene_index`). None keeps all.
            The order given is the order of the result.
        """
        s_idx = self._resolve(samples, "samples")
        g_idx = self._resolve(genes, "genes")
        for idx, ids, what in ((s_idx, self.sample_ids, "sample"), (g_idx, self.gene_ids, "gene")):
            if idx is not None and np.unique(idx).size != idx.size:
                uniq, counts = np.unique(idx, return_counts=True)
                raise DataError(f"subset selects {what} {str(ids[uniq[counts > 1][0]])!r} twice")
        step: dict[str, Any] = {"op": "subset", "samples": None, "genes": None}
        values = self.values
        if s_idx is not None:
            values = values[s_idx]
            step["samples"] = self.sample_ids[s_idx].tolist()
        if g_idx is not None:
            values = values[:, g_idx]
            step["genes"] = self.gene_ids[g_idx].tolist()
        if s_idx is None and g_idx is None:
            values = values.copy()
        sample_table = self.samples if s_idx is None else self.samples.iloc[s_idx]
        gene_table = self.genes if g_idx is None else self.genes.iloc[g_idx]
        sample_ids = self.sample_ids if s_idx is None else self.sample_ids[s_idx]
        return ExpressionSet(
            np.ascontiguousarray(values, dtype=np.float32),
            sample_ids.copy(),
            gene_table.copy(),
            sample_table.copy(),
            self.name,
            _with_step(self.source, step),
        )

    def _block_rows(self) -> int:
        """Rows per block so that a float64 block stays near 128 MiB."""
        return max(1, (1 << 24) // max(1, self.n_genes))

    def _gene_stats(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-gene (count of non-NaN, mean, variance) computed in row blocks, float64."""
        block_rows = self._block_rows()
        count = np.zeros(self.n_genes, dtype=np.float64)
        total = np.zeros(self.n_genes, dtype=np.float64)
        for start in range(0, self.n_samples, block_rows):
            block = self.values[start : start + block_rows].astype(np.float64)
            ok = ~np.isnan(block)
            count += ok.sum(axis=0)
            total += np.where(ok, block, 0.0).sum(axis=0)
        mean = np.divide(total, count, out=np.full_like(total, np.nan), where=count > 0)
        sq = np.zeros(self.n_genes, dtype=np.float64)
        for start in range(0, self.n_samples, block_rows):
            block = self.values[start : start + block_rows].astype(np.float64)
            dev = block - mean
            sq += np.where(np.isnan(dev), 0.0, dev * dev).sum(axis=0)
        var = np.divide(sq, count, out=np.full_like(sq, np.nan), where=count > 0)
        return count, mean, var

    def drop_zero_genes(self) -> ExpressionSet:
        """A new set without the genes that have no finite non-zero value (all-zero/all-NaN)."""
        keep = np.zeros(self.n_genes, dtype=bool)
        step = self._block_rows()
        for start in range(0, self.n_samples, step):
            block = self.values[start : start + step]
            keep |= ((block != 0) & ~np.isnan(block)).any(axis=0)
        dropped = int((~keep).sum())
        names = [str(g) for g in self.gene_symbols[~keep][:DROPPED_NAMES_KEPT]]
        shown = f" ({', '.join(names[:10])}{', ...' if dropped > 10 else ''})" if dropped else ""
        if dropped:  # ("dropping 0 genes of 59" said nothing)
            log.info(
                "%s: dropping %d all-zero/all-missing genes of %d%s",
                self.name,
                dropped,
                self.n_genes,
                shown,
            )
        out = self.subset(genes=keep)
        # how many, and which: a report says what its data left out, and a gene asked for
        # later is said to have been left out (not "unknown: did you mean ...")
        step: dict[str, Any] = {"op": "drop_zero_genes", "n_dropped": dropped}
        if dropped:
            step["dropped"] = names
            step["dropped_ids"] = [str(g) for g in self.gene_ids[~keep][:DROPPED_NAMES_KEPT]]
        out.source = _with_step(self.source, step)
        return out

    def detected_genes(self, min_fraction: float) -> ExpressionSet:
        """A new set with the genes above zero in at least ``min_fraction`` of observed samples.

        For log-transformed counts or TPM, 0 means not detected. Genes that are off almost
        everywhere sit together in any gene space because they are all off; dropping them
        (e.g. ``min_fraction=0.1``) keeps gene neighbourhoods about expressed genes. Missing
        values count neither way; a gene without any observed value is dropped.
        """
        try:
            fraction = float(min_fraction)
        except (TypeError, ValueError):
            raise DataError(f"min_fraction must be a number, got {min_fraction!r}") from None
        if not 0.0 <= fraction <= 1.0:
            raise DataError(f"min_fraction must be between 0 and 1, got {min_fraction!r}")
        observed = np.zeros(self.n_genes, dtype=np.int64)
        detected = np.zeros(self.n_genes, dtype=np.int64)
        step = self._block_rows()
        for start in range(0, self.n_samples, step):
            block = self.values[start : start + step]
            observed += (~np.isnan(block)).sum(axis=0)
            detected += (block > 0).sum(axis=0)  # NaN compares False
        keep = (observed > 0) & (detected >= fraction * observed)
        if not keep.any():
            best = float(np.max(detected / np.maximum(observed, 1), initial=0.0))
            raise DataError(
                f"no gene is detected in {fraction * 100:g}% of the samples "
                f"(the most detected: {best:.1%}); lower the threshold"
            )
        log.info(
            "%s: keeping %d of %d genes detected in at least %.0f%% of the samples",
            self.name,
            int(keep.sum()),
            self.n_genes,
            100 * fraction,
        )
        out = self.subset(genes=keep)
        step = {"op": "detected_genes", "min_fraction": fraction, "n_dropped": int((~keep).sum())}
        out.source = _with_step(self.source, step)
        return out

    def top_variable_genes(self, n: int) -> ExpressionSet:
        """A new set with the ``n`` genes of highest variance (NaN ignored), in original order.

        Ties are broken by gene order; genes without any value rank last.
        """
        if int(n) != n or n < 1:
            raise DataError(f"top_variable_genes: n must be a positive integer, got {n!r}")
        if n > self.n_genes:
            log.warning(
                "top %d variable genes asked for, but the data has %d genes: all are kept",
                int(n),
                self.n_genes,
            )
        n = int(min(n, self.n_genes))
        _, _, var = self._gene_stats()
        score = np.where(np.isnan(var), -np.inf, var)
        order = np.argsort(-score, kind="stable")[:n]
        out = self.subset(genes=np.sort(order))
        step = {"op": "top_variable_genes", "n": n, "n_dropped": self.n_genes - n}
        out.source = _with_step(self.source, step)
        return out

    # ------------------------------------------------------------------ identity
    def fingerprint(self) -> str:
        """Stable hash of the values (bytes), shape and ids: a cache key (32 hex chars)."""
        if self._fingerprint is None:
            h = hashlib.blake2b(digest_size=16)
            h.update(f"ExpressionSet/{_FORMAT_VERSION}/{self.n_samples}x{self.n_genes}".encode())
            flat = np.ascontiguousarray(self.values).reshape(-1)
            step = 1 << 22
            for start in range(0, flat.size, step):
                h.update(memoryview(flat[start : start + step]).cast("B"))
            for ids in (self.sample_ids, self.gene_ids):
                h.update(b"\x00ids\x00")
                h.update("\x1f".join(ids.tolist()).encode("utf-8"))
            self._fingerprint = h.hexdigest()
        return self._fingerprint

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write the set to a directory: ``values.npy`` (mmap-able), ``samples.parquet``,
        ``genes.parquet`` and ``expression_set.json`` (name, source, shape, fingerprint).

        No pickle anywhere; returns the directory path.
        """
        path = Path(directory)
        try:
            path.mkdir(parents=True, exist_ok=True)
            np.save(path / "values.npy", self.values, allow_pickle=False)
            _frame_to_parquet(self.samples, path / "samples.parquet", "sample_id")
            _frame_to_parquet(self.genes, path / "genes.parquet", "gene_id")
            meta = {
                "format": "ExpressionSet",
                "version": _FORMAT_VERSION,
                "name": self.name,
                "source": self.source,
                "n_samples": self.n_samples,
                "n_genes": self.n_genes,
                "fingerprint": self.fingerprint(),
            }
            tmp = path / "expression_set.json.tmp"
            tmp.write_text(json.dumps(meta, indent=2))
            tmp.replace(path / "expression_set.json")
        except OSError as exc:
            raise DataError(f"cannot save expression set to {path}: {exc}") from exc
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike[str], mmap: bool = False) -> ExpressionSet:
        """Read a set written by :meth:`save`.

        Parameters
        ----------
        directory : path
        mmap : bool
            Memory-map ``values.npy`` read-only instead of reading it.
        """
        path = Path(directory)
        meta_path = path / "expression_set.json"
        if not meta_path.is_file():
            raise DataError(f"{path}: not a saved expression set (no expression_set.json)")
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise DataError(f"{meta_path}: unreadable metadata: {exc}") from exc
        if meta.get("format") != "ExpressionSet" or meta.get("version") != _FORMAT_VERSION:
            raise DataError(
                f"{meta_path}: unsupported format {meta.get('format')!r} "
                f"version {meta.get('version')!r}"
            )
        try:
            values = np.load(
                path / "values.npy", mmap_mode="r" if mmap else None, allow_pickle=False
            )
            samples = _frame_from_parquet(path / "samples.parquet")
            genes = _frame_from_parquet(path / "genes.parquet")
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: cannot read saved expression set: {exc}") from exc
        expected = (meta.get("n_samples"), meta.get("n_genes"))
        if values.ndim != 2 or values.shape != expected or values.dtype != np.float32:
            raise DataError(
                f"{path / 'values.npy'}: shape {values.shape} dtype {values.dtype}, "
                f"metadata says {expected} float32"
            )
        if len(samples) != values.shape[0] or len(genes) != values.shape[1]:
            raise DataError(f"{path}: annotation tables do not match the matrix shape")
        if "symbol" not in genes.columns:
            raise DataError(f"{path / 'genes.parquet'}: no 'symbol' column")
        es = cls(
            values,
            np.asarray(samples.index, dtype=str),
            genes,
            samples,
            str(meta.get("name", path.name)),
            meta.get("source") or {"loader": "saved", "path": str(path.resolve())},
        )
        fp = meta.get("fingerprint")
        if fp and not mmap:
            es._fingerprint = None
            if es.fingerprint() != fp:
                raise DataError(f"{path}: values do not match the recorded fingerprint")
        elif fp:
            es._fingerprint = fp
        return es


#: The genes left out for being 0 everywhere that a data source names (a genome-wide matrix
#: has a few thousand; their count is kept whatever it is).
DROPPED_NAMES_KEPT = 5000


def _with_step(source: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
    out = dict(source)
    out["steps"] = [*source.get("steps", []), step]
    return out


def _ids_from(ids: Any, table: pd.DataFrame | None, n: int, what: str) -> pd.Index:
    if ids is None:
        if table is not None and len(table) == n and not isinstance(table.index, pd.RangeIndex):
            index = pd.Index(table.index.astype(str))
        else:
            index = pd.Index([f"{what}_{i}" for i in range(n)])
    else:
        arr = np.asarray(ids)
        if arr.ndim != 1 or arr.size != n:
            raise DataError(f"{what}_ids has {arr.size} entries for {n} {what}s")
        index = pd.Index(arr.astype(str))
    if index.has_duplicates:
        dup = index[index.duplicated()].unique()[:5].tolist()
        raise DataError(f"duplicate {what} ids: {dup}")
    return index


def _annotation_frame(table: pd.DataFrame | None, index: pd.Index, what: str) -> pd.DataFrame:
    if table is None:
        return pd.DataFrame(index=index.rename(f"{what[:-1]}_id"))
    if not isinstance(table, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(table).__name__}")
    if table.index.has_duplicates:
        raise DataError(f"{what} table has duplicate ids in its index")
    if isinstance(table.index, pd.RangeIndex) and len(table) == len(index):
        out = table.copy()
        out.index = index
    else:
        as_str = table.copy()
        as_str.index = as_str.index.astype(str)
        common = as_str.index.intersection(index)
        if len(common) == 0 and len(index) > 0:
            raise DataError(f"{what} table shares no id with the matrix")
        out = as_str.reindex(index)
    out.index = out.index.rename(f"{what[:-1]}_id")
    return out


def _frame_to_parquet(frame: pd.DataFrame, path: Path, index_name: str) -> None:
    out = frame.copy()
    out.index = out.index.rename(index_name)
    out.columns = [str(c) for c in out.columns]
    for col in out.columns:
        series = out[col]
        if series.dtype == object:
            kinds = {type(v) for v in series.dropna().tolist()}
            if len(kinds) > 1 or (kinds and not kinds <= {str}):
                out[col] = series.map(lambda v: v if pd.isna(v) else str(v))
    out.to_parquet(path, index=True)


def _frame_from_parquet(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    frame.index = frame.index.astype(str)
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].where(frame[col].notna(), np.nan)
    return frame
