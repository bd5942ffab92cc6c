"""Expression data: the :class:`ExpressionSet` container and its loaders.

An :class:`ExpressionSet` holds one float32 matrix ``values`` of shape ``(n_samples, n_genes)``
on a log scale (NaN = missing), the sample and gene ids, and two annotation tables (``samples``
indexed by sample id, ``genes`` indexed by gene id). Loaders:

- :func:`load_gtex` reads the published GTEx layout (GCT v1.2 matrix of genes x samples,
  ``SampleAttributesDS`` and ``SubjectPhenotypesDS`` tables). It streams the GCT file into one
  preallocated float32 array, so that the full v8 file (17,382 samples x 56,200 genes, about
  4 GB as float32) loads with peak memory close to one copy of the matrix.
- :func:`load_table` reads CSV/TSV (plain or gzip), parquet, GCT and ``.h5ad`` matrices in either
  orientation, with an optional sample annotation table.
- :func:`load_source` re-loads a set from its ``source`` dict (how it was made), which is what a
  saved model records to find its data again.

Every problem with the input raises :class:`core.errors.DataError` with a message that names
the file, the line where it applies, and the problem.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import fnmatch
import functools
import gzip
import hashlib
import io
import json
import logging
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import CoreError, DataError, first_names

log = logging.getLogger(__name__)

__all__ = [
    "ExpressionSet",
    "TRANSFORMS",
    "load_gtex",
    "load_source",
    "load_table",
]

#: Transforms a loader can apply to raw counts/TPM (all need non-negative input except "none").
TRANSFORMS = ("none", "log10p1", "log2p1", "log1p")

_FORMAT_VERSION = 1
_ENSEMBL_RE = re.compile(r"^ENS[A-Z]*G\d{6,}")
_GCT_CHUNK_BYTES = 4 << 20  # text parsed per chunk when streaming a GCT file
_GCT_PEEK_VALUES = 1 << 22  # values read before the matrix is allocated (16 MiB as float32)
#: Names of a column of gene symbols.
_SYMBOL_NAMES = {
    "symbol",
    "gene_symbol",
    "gene_symbols",
    "gene_name",
    "gene_names",
    "hgnc_symbol",
    "genesymbol",
}
#: Names of an id column that say its rows are samples / genes (auto orientation).
_SAMPLE_ID_NAMES = {
    "sample",
    "sample_id",
    "sampleid",
    "sample_name",
    "sampid",
    "samples",
    "barcode",
    "barcodes",
    "cell",
    "cell_id",
}
_GENE_ID_NAMES = {
    "gene",
    "gene_id",
    "geneid",
    "genes",
    "gene_ids",
    "entrez",
    "entrez_id",
    "entrez_gene_id",
    "ncbi_gene_id",
    "ensembl",
    "ensembl_id",
    "ensembl_gene_id",
    "id_ref",
    "probe",
    "probe_id",
    "probeset_id",
    "feature_id",
    *_SYMBOL_NAMES,
}
#: Columns of gene positions beside the gene ids (featureCounts: Geneid, Chr, Start, End,
#: Strand, Length, then the samples): annotation columns even when they hold numbers.
_GENE_POSITION_NAMES = {"chr", "chrom", "chromosome", "start", "end", "strand", "length"}
#: Gene lengths beside the counts (featureCounts' Length, RSEM's length and effective_length):
#: with the gene positions, numbers of the genes, never a sample nor a gene.
_GENE_LENGTH_NAMES = {
    "effective_length",
    "efflength",
    "eff_length",
    "gene_length",
    "transcript_length",
    "length",
}
#: Numbers of a sample beside its genes that no gene is named by (the lanes it was sequenced on).
_SAMPLE_COUNT_NAMES = {"lanes", "n_lanes", "num_lanes", "lane_count"}
#: Names of a first column that holds ids (of samples, genes, or either).
_ID_COLUMN_NAMES = {"", "id", "ids", "name"} | _SAMPLE_ID_NAMES | _GENE_ID_NAMES
_GENE_ANNOTATION_NAMES = {
    "description",
    *_SYMBOL_NAMES,
    "feature_name",
    "gene_type",
    "biotype",
    *_GENE_POSITION_NAMES,
}
#: Sample annotations that often hold numbers (donor, quality and design variables; GTEx's
#: SMRIN, SMTSISCH, SMATSSCR, DTHHRDY): in a table of samples x genes, a column of numbers with
#: one of these names is a sample annotation, not a gene (none is a human gene symbol).
_SAMPLE_ANNOTATION_NAMES = {
    "age",
    "sex",
    "gender",
    "rin",
    "rin_score",
    "rin_number",
    "smrin",
    "smtsisch",
    "smatsscr",
    "dthhrdy",
    "batch",
    "replicate",
    "timepoint",
    "time",
    "day",
    "hours",
    "dose",
    "bmi",
    "weight",
    "height",
    "library_size",
    "lib_size",
    "total_reads",
    "mapped_reads",
    "read_count",
    "sequencing_depth",
    "purity",
    "tumor_purity",
    "survival",
    "os_time",
    "os_status",
    "stage",
    "grade",
    "plate",
    "lane",
    "group",
    "condition",
    "treatment",
    "donor",
    "subject",
    "patient",
    # the label a study classifies, sometimes coded as numbers (1, 2, 3): the default label
    # columns (SMTS, tissue) among them, never a gene
    "tissue",
    "tissue_type",
    "smts",
    "smtsd",
    "cell_type",
    "celltype",
    "label",
    "class",
    "cluster",
    "subtype",
    "diagnosis",
    "status",
}
#: Sample annotations that hold lists of ids (``1,2``: the lanes, flowcells or runs a sample
#: was sequenced on), never a number with a decimal comma.
_LIST_COLUMN_NAMES = {
    "lane",
    "lanes",
    "flowcell",
    "flowcells",
    "flow_cell",
    "flow_cells",
    "run",
    "runs",
    "run_id",
    "run_ids",
}
_SYMBOL_COLUMN_NAMES = (
    "symbol",
    "gene_symbol",
    "gene_symbols",
    "hgnc_symbol",
    "genesymbol",
    "gene_name",
    "gene_names",
    "feature_name",
    "description",
)


def _name_key(name: object) -> str:
    """A column name as the name sets above are compared: lower case, without spaces, ``_``,
    ``.``, ``-`` or ``#`` (``Gene ID``, ``gene.id``, ``EntrezID``, ``#Gene`` all count)."""
    return re.sub(r"[\s_.\-#]", "", str(name).lower())


_SAMPLE_ID_KEYS = frozenset(map(_name_key, _SAMPLE_ID_NAMES))
_GENE_ID_KEYS = frozenset(map(_name_key, _GENE_ID_NAMES))
_ID_COLUMN_KEYS = frozenset(map(_name_key, _ID_COLUMN_NAMES))
_GENE_ANNOTATION_KEYS = frozenset(map(_name_key, _GENE_ANNOTATION_NAMES))
_GENE_POSITION_KEYS = frozenset(map(_name_key, _GENE_POSITION_NAMES))
_SYMBOL_COLUMN_KEYS = frozenset(map(_name_key, _SYMBOL_COLUMN_NAMES))
_SAMPLE_ANNOTATION_KEYS = frozenset(map(_name_key, _SAMPLE_ANNOTATION_NAMES))
_LIST_COLUMN_KEYS = frozenset(map(_name_key, _LIST_COLUMN_NAMES))
_NOT_SAMPLE_KEYS = frozenset(map(_name_key, _GENE_POSITION_NAMES | _GENE_LENGTH_NAMES))
_NOT_GENE_KEYS = _NOT_SAMPLE_KEYS | frozenset(map(_name_key, _SAMPLE_COUNT_NAMES))
#: Column names that say a column holds annotations, never expression values.
_ANNOTATION_NAME_KEYS = (
    _SAMPLE_ID_KEYS
    | _GENE_ID_KEYS
    | _ID_COLUMN_KEYS
    | _GENE_ANNOTATION_KEYS
    | _SYMBOL_COLUMN_KEYS
    | _SAMPLE_ANNOTATION_KEYS
)


#: Above this, values are not on a log scale (log2 of a billion reads is 30).
LOG_SCALE_MAX = 100.0


def is_text(column: Any) -> bool:
    """Whether a column (or its dtype) holds text as pandas keeps it: ``object``, pandas 2's
    default for text, or a string dtype, pandas 3's default (``str``) and ``"string"``."""
    dtype = getattr(column, "dtype", column)
    return isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype)


def default_label_column(
    samples: pd.DataFrame, preferred: Sequence[str] = ("SMTS", "tissue")
) -> str | None:
    """The main categorical label column of sample annotations (one row per sample), or None:
    the first of ``preferred`` present (case-insensitive) with at least one value; else the
    first text/categorical column with 2 to ``max(2, n_samples // 2)`` distinct values."""
    by_lower = {str(c).lower(): c for c in samples.columns}
    for want in preferred:
        col = by_lower.get(str(want).lower())
        if col is not None and samples[col].notna().any():
            return str(col)
    limit = max(2, len(samples) // 2)
    for col in samples.columns:
        series = samples[col]
        if is_text(series) or isinstance(series.dtype, pd.CategoricalDtype):
            if 2 <= series.nunique(dropna=True) <= limit:
                return str(col)
    return None


# =============================================================================== ExpressionSet
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
        if arr.dtype.kind not in "biuf":
            try:
                arr = arr.astype(np.float32)
            except (TypeError, ValueError) as exc:
                raise DataError(f"values are not numeric (dtype {arr.dtype}): {exc}") from exc
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        n_samples, n_genes = arr.shape

        sample_index = _ids_from(sample_ids, samples, n_samples, "sample")
        gene_index = _ids_from(gene_ids, genes, n_genes, "gene")
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
            f"ExpressionSet({self.name!r}: {self.n_samples} samples x {self.n_genes} genes; "
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
        raise DataError(f"unknown gene {key!r} in {self.name} ({self.n_genes} genes){hint}")

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


# =============================================================================== helpers (set)
#: The genes left out for being 0 everywhere that a data source names (a genome-wide matrix
#: has a few thousand; their count is kept whatever it is).
DROPPED_NAMES_KEPT = 5000

#: An Ensembl id's version, and what follows it (GTEx's ``_PAR_Y``, a gene's copy on Y).
_VERSION_RE = re.compile(r"^(ENS[A-Z]*G\d{6,})\.\d+(.*)$")


def gene_lookup_tables(gene_ids: Any, gene_symbols: Any) -> list[dict[str, int]]:
    """The tables :func:`find_gene` looks a name up in: ids and symbols as written, then with
    case ignored, then Ensembl ids without their version (first gene of each key)."""
    tables: list[dict[str, int]] = [{}, {}, {}, {}, {}]
    for i, (gid, sym) in enumerate(zip(gene_ids, gene_symbols, strict=True)):
        gid, sym = str(gid), str(sym)
        for table, key in zip(
            tables,
            (gid, sym, gid.upper(), sym.upper(), _strip_version(gid).upper()),
            strict=True,
        ):
            table.setdefault(key, i)
    return tables


def find_gene(tables: list[dict[str, int]], name: str) -> int | None:
    """Position of the gene ``name`` names (:func:`gene_lookup_tables`), or None: an exact id or
    symbol first (a mouse ``Gata4`` beside the human ``GATA4`` found the mouse gene for
    "GATA4", and a data source replayed its gene subset onto the wrong one)."""
    name = str(name).strip()
    up = name.upper()
    keys = (name, name, up, up, _strip_version(name).upper())
    return next((t[k] for t, k in zip(tables, keys, strict=True) if k in t), None)


def _strip_version(gene_id: str) -> str:
    """``ENSG00000117118.9`` -> ``ENSG00000117118`` (Ensembl ids only; others unchanged).

    A suffix after the version stays: ``ENSG00000092054.12_PAR_Y`` -> ``ENSG00000092054_PAR_Y``
    (GTEx's copy of a pseudoautosomal gene on Y is another row than the gene on X: both lost
    their suffix, and the later row answered for the id of the earlier).
    """
    match = _VERSION_RE.match(gene_id)
    return match.group(1) + match.group(2) if match else gene_id


def match_genes(model_ids: Any, model_symbols: Any, ids: Any, symbols: Any) -> np.ndarray:
    """For each gene of a new table (``ids``, ``symbols``), its row among a model's genes, or
    -1 when it is not one of them.

    A gene is matched by id first (Ensembl version ignored). The model's genes left unmatched
    are then matched by symbol or id in any case (``Gata4`` to ``GATA4``), gene by gene: a
    table with a few ids in common and the rest named otherwise keeps all its genes. Each model
    gene takes one column, the first that names it.
    """
    model_ids = [_strip_version(str(g)) for g in np.asarray(model_ids).astype(str)]
    model_symbols = [str(g) for g in np.asarray(model_symbols).astype(str)]
    ids = [_strip_version(str(g)) for g in np.asarray(ids).astype(str)]
    symbols = [str(g) for g in np.asarray(symbols).astype(str)]
    rows = np.full(len(ids), -1, dtype=np.int64)
    taken: set[int] = set()
    by_id: dict[str, int] = {}
    for i, g in enumerate(model_ids):
        by_id.setdefault(g, i)
    for j, g in enumerate(ids):
        i = by_id.get(g)
        if i is not None and i not in taken:
            rows[j] = i
            taken.add(i)
    if len(taken) == len(model_ids):
        return rows
    by_name: dict[str, int] = {}
    for names in (model_symbols, model_ids):  # a symbol before an id of the same spelling
        for i, name in enumerate(names):
            if i not in taken:
                by_name.setdefault(name.upper(), i)
    # an empty name is no name: genes given without a symbol matched each other by it
    by_name.pop("", None)
    for j, (g, sym) in enumerate(zip(ids, symbols, strict=True)):
        if rows[j] >= 0:
            continue
        for name in (sym, g):
            i = by_name.get(name.upper())
            if i is not None and i not in taken:
                rows[j] = i
                taken.add(i)
                break
    return rows


def shared_name_note(
    model_ids: Any, model_symbols: Any, ids: Any, symbols: Any, rows: np.ndarray | None = None
) -> str | None:
    """What :func:`match_genes` did with a new table's genes named by a symbol that several
    model genes share (GTEx's ABO, MHC haplotypes): each filled the first of them and the others
    stayed absent. None when no such gene was matched by name. ``rows``: ``match_genes``'s
    answer when at hand."""
    counts = pd.Series(np.asarray(model_symbols).astype(str)).str.upper().value_counts()
    counts = counts[counts > 1]
    if counts.empty:  # (the usual case: said at once, on every transform of every chunk)
        return None
    names = pd.Series(np.asarray(symbols).astype(str)).str.upper()
    candidates = np.flatnonzero(names.isin(counts.index).to_numpy())
    if not candidates.size:
        return None
    model_ids = np.asarray(model_ids).astype(str)
    if rows is None:
        rows = match_genes(model_ids, model_symbols, ids, symbols)
    ids = np.asarray(ids).astype(str)
    shown = np.asarray(symbols).astype(str)
    shared = []
    for j in candidates:
        i = int(rows[j])
        if i >= 0 and _strip_version(ids[j]) != _strip_version(model_ids[i]):  # by name
            shared.append(f"{shown[j]} ({int(counts[names[j]])} model genes)")
    if not shared:
        return None
    one = len(shared) == 1
    return (
        f"{len(shared)} gene{'' if one else 's'} of the new samples, named by symbol, "
        f"{'names' if one else 'name'} several genes of the model: {', '.join(shared[:5])}"
        f"{', ...' if len(shared) > 5 else ''}; the values fill the first of them, and the "
        "others count as absent (name genes by Ensembl id to tell them apart)"
    )


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


def _numbers_kept_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns after the first whose every value is a number written as text (a parquet
    string column, "0.036"), as numbers: as a CSV reader reads them. Such a gene column was
    read as a sample annotation and left out of the values, without a word."""
    out = frame
    dtypes = frame.dtypes  # (once: a column at a time costs seconds on 56,000 genes)
    for col in frame.columns[1:]:
        if not is_text(dtypes[col]):
            continue
        series = frame[col]
        if not series.notna().any():
            continue
        numbers = pd.to_numeric(series.astype(object).where(series.notna(), None), errors="coerce")
        if numbers.notna().sum() == series.notna().sum():
            if out is frame:
                out = frame.copy()
            out[col] = numbers.astype(np.float64)
    return out


def _refuse_dates_among_values(path: Path, frame: pd.DataFrame, body: Sequence[str]) -> None:
    """Dates or durations among the value columns were read as numbers (nanoseconds: "values up
    to 1.578e+12 ... look like counts"); they are annotations, to be put before the values."""
    dtypes = frame.dtypes  # (once: a column at a time costs seconds on 56,000 genes)
    dated = [
        c
        for c in body
        if pd.api.types.is_datetime64_any_dtype(dtypes[c])
        or pd.api.types.is_timedelta64_dtype(dtypes[c])
    ]
    if dated:
        raise DataError(
            f"{path}: column{'s' if len(dated) > 1 else ''} {first_names(map(repr, dated))} "
            f"hold{'' if len(dated) > 1 else 's'} dates or times among the expression values: "
            "put annotation columns right "
            "after the id column, before the genes"
        )


def _first_line(exc: BaseException) -> str:
    """The first line of an error's message (pyarrow's go on with the file's schema)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _frame_from_parquet(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    frame.index = frame.index.astype(str)
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].where(frame[col].notna(), np.nan)
    return frame


# =============================================================================== file helpers
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


def _check_transform(transform: str) -> str:
    if transform not in TRANSFORMS:
        raise DataError(f"unknown transform {transform!r}; choose one of {', '.join(TRANSFORMS)}")
    return transform


def _apply_transform(block: np.ndarray, transform: str) -> None:
    """Apply ``transform`` in place to a float32 array.

    log10(x + 1) is computed as ln(x + 1) / ln(10): numpy's float32 natural log is vectorised
    (about 3x faster than its log10) and the result differs by at most a few float32 ulps.
    """
    if transform == "log10p1":
        np.add(block, 1.0, out=block)
        np.log(block, out=block)
        np.multiply(block, np.float32(1.0 / np.log(10.0)), out=block)
    elif transform == "log2p1":
        np.add(block, 1.0, out=block)
        np.log2(block, out=block)
    elif transform == "log1p":
        np.log1p(block, out=block)


#: Largest magnitude read as an expression value: counts, TPM and intensities stay far below
#: (a whole library holds about 1e8 reads). Beyond it, a typo or an id column read as values;
#: a square of it would also overflow the float32 fit errors.
MAX_EXPRESSION_VALUE = 1e15

#: What a float32 matrix holds at most; a larger number in a file reads as infinite.
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_magnitude(values: np.ndarray, where: Any) -> None:
    """Refuse infinite values and values beyond :data:`MAX_EXPRESSION_VALUE`; ``where(r, c)``
    names the cell (file, line, sample, gene)."""
    step = max(1, (1 << 24) // max(1, values.shape[1]))  # rows at a time: a GTEx matrix is 4 GB
    for start in range(0, values.shape[0], step):
        block = values[start : start + step]
        bad = ~(np.abs(block) <= MAX_EXPRESSION_VALUE) & ~np.isnan(block)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise _magnitude_error(float(block[r, c]), where(start + r, c))


def _magnitude_error(v: float, cell: str) -> DataError:
    """The error of a value ``v`` beyond what is read, in the cell named ``cell``."""
    if np.isinf(v):
        return DataError(
            f"{cell}: infinite value (inf, or a number beyond {_FLOAT32_MAX:.3g}, the largest "
            "stored); leave the field empty or write NA for a missing value"
        )
    return DataError(
        f"{cell}: value {v:g} is beyond any expression value (at most "
        f"{MAX_EXPRESSION_VALUE:g} are read): a typo, or a column of ids read as values? "
        "Correct the cell, or leave it empty for a missing value"
    )


#: Input to a log transform whose largest value is below this, and not all whole numbers,
#: looks already log-transformed: log2 of the largest TPM is about 20, while counts or TPM of
#: a whole matrix reach thousands.
_LOG_INPUT_MAX = 30.0


def _warn_if_log_scale(path: Path, top: float, fractional: bool, transform: str) -> None:
    """Warn that values given to ``transform`` look already log-transformed (see
    :data:`_LOG_INPUT_MAX`): a second log squeezes them into a narrow range."""
    if fractional and np.isfinite(top) and top < _LOG_INPUT_MAX:
        log.warning(
            "%s: values are at most %.3g before the %s transform and not whole numbers: they "
            "look already log-transformed; if so, load them without a transform "
            "(transform 'none'; --transform none on the command line)",
            path,
            top,
            transform,
        )


def _max_and_fraction(values: np.ndarray, known_top: float = -np.inf) -> tuple[float, bool]:
    """(largest value, whether any value has a fractional part) of a float array, NaN aside;
    the fraction is looked for only while the largest value is below :data:`_LOG_INPUT_MAX`."""
    top = max(known_top, float(np.nanmax(values, initial=-np.inf)))
    if top >= _LOG_INPUT_MAX:
        return top, True
    return top, bool(np.any(np.mod(values, 1) > 0))


def _strip_suffixes(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".bz2", ".gct", ".csv", ".tsv", ".txt", ".parquet", ".h5ad"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


# =============================================================================== GCT streaming
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


def _read_line(fh: io.BufferedIOBase, path: Path) -> bytes:
    try:
        return fh.readline()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read (corrupt or truncated file): {exc}") from exc


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
            f"{path}, line 3: the header names {len(sample_ids)} samples but the dimension "
            f"line (line 2) declares {n_samples}"
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
                raise DataError(
                    f"{path}, line {line_no}: ragged row with {len(parts)} fields, expected "
                    f"{n_columns + 2} (Name, Description and {n_columns} samples)"
                )
            rest = parts[2]
            n_fields = rest.count(b"\t") + 1
            if n_fields != n_columns:
                raise DataError(
                    f"{path}, line {line_no}: ragged row with {n_fields + 2} fields, expected "
                    f"{n_columns + 2} (Name, Description and {n_columns} samples)"
                )
            if rows_read >= header.n_genes:
                raise DataError(
                    f"{path}, line {line_no}: more gene rows than the {header.n_genes} "
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
    chunk_bytes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[_GctHeader, np.ndarray, list[str], list[str]]:
    """Read a GCT v1.2 file into one float32 (n_kept_samples, n_genes) array, chunk by chunk.

    ``keep`` are the sample columns kept (ascending indices into the header; None = all).
    Values are checked (finite, non-negative unless ``transform == "none"``) and transformed
    per chunk before being written into the preallocated array. ``progress`` is called after
    each chunk with (gene rows read, gene rows declared).
    """
    chunk_bytes = _GCT_CHUNK_BYTES if chunk_bytes is None else chunk_bytes
    with _open_binary(path) as fh:
        header = _read_gct_header(fh, path)
        if keep is None:
            keep = np.arange(header.n_samples)
        n_kept = int(keep.size)
        all_kept = n_kept == header.n_samples
        declared = header.n_genes if max_genes is None else min(header.n_genes, max_genes)
        chunks = _iter_gct_chunks(fh, path, header, max_genes, chunk_bytes)
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
            "%s: %d gene rows but the dimension line declares %d; keeping the %d rows present "
            "(a subset of the rows of a published file; if it is not one, the file was cut "
            "short, as by an incomplete download)",
            path,
            n_rows,
            header.n_genes,
            n_rows,
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


# =============================================================================== GTEx tables
def _read_tsv(path: Path, what: str, **kwargs: Any) -> pd.DataFrame:
    """A GTEx table: tab-separated as published; a comma/semicolon-separated copy (saved from a
    spreadsheet) is read with its own separator."""
    n_skip, first = _text_preamble(path)
    sep = _sniff_sep(path, first, n_skip)
    if sep != "\t":
        log.info("%s: %s file is %r-separated, not tab-separated", path, what, sep)
    frame = _read_csv(path, what, sep, n_skip, None, **kwargs)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _read_attributes(path: Path) -> pd.DataFrame:
    attrs = _read_tsv(path, "sample attributes", dtype={"SAMPID": str})
    for col in ("SAMPID", "SMTS"):
        if col not in attrs.columns:
            raise DataError(
                f"sample attributes file {path}, line 1: no {col} column (GTEx "
                f"SampleAttributesDS needs SAMPID and SMTS; columns found: "
                f"{', '.join(map(str, attrs.columns[:8]))})"
            )
    attrs["SAMPID"] = attrs["SAMPID"].astype(str).str.strip()
    for col in attrs.columns:  # "Brain " was another tissue than "Brain" (and was kept)
        if col != "SAMPID" and is_text(attrs[col]):
            attrs[col] = attrs[col].str.strip().replace("", np.nan)
    dup = attrs["SAMPID"][attrs["SAMPID"].duplicated()]
    if len(dup):
        line = int(dup.index[0]) + 2
        raise DataError(
            f"sample attributes file {path}, line {line}: duplicate SAMPID {dup.iloc[0]}"
        )
    return attrs.set_index("SAMPID")


def _read_phenotypes(path: Path) -> pd.DataFrame:
    ph = _read_tsv(path, "subject phenotypes", dtype={"SUBJID": str, "AGE": str})
    if "SUBJID" not in ph.columns:
        raise DataError(
            f"subject phenotypes file {path}, line 1: no SUBJID column (columns found: "
            f"{', '.join(map(str, ph.columns[:8]))})"
        )
    ph["SUBJID"] = ph["SUBJID"].astype(str).str.strip()
    dup = ph["SUBJID"][ph["SUBJID"].duplicated()]
    if len(dup):
        raise DataError(
            f"subject phenotypes file {path}, line {int(dup.index[0]) + 2}: "
            f"duplicate SUBJID {dup.iloc[0]}"
        )
    out = pd.DataFrame(index=pd.Index(ph["SUBJID"], name="subject"))
    if "SEX" in ph.columns:
        out["sex"] = _read_sex(ph["SEX"], path).to_numpy(dtype=object)
    if "AGE" in ph.columns:
        out["age"] = ph["AGE"].str.strip().to_numpy(dtype=object)
    for col in ph.columns:
        if col not in ("SUBJID", "SEX", "AGE"):
            out[col] = ph[col].to_numpy()
    return out


#: How a phenotypes file may write SEX: GTEx's codes (1 male, 2 female) or words.
_SEX_WORDS = {
    **dict.fromkeys(("1", "male", "m"), "male"),
    **dict.fromkeys(("2", "female", "f"), "female"),
}


def _read_sex(column: pd.Series, path: Path) -> pd.Series:
    """SEX as ``male``/``female``: GTEx's 1 and 2, or the words (``Male``, ``F``). Text written
    as words lost every sample's sex without a word; other values are said, and left blank."""
    text = column.astype(str).str.strip().str.lower().str.replace(r"\.0+$", "", regex=True)
    sex = text.map(_SEX_WORDS)
    blank = column.isna() | text.isin(_MISSING_MARKERS)
    odd = sex.isna() & ~blank
    if odd.any():
        lines = [int(i) + 2 for i in np.flatnonzero(odd.to_numpy())[:3]]
        log.warning(
            "subject phenotypes file %s: SEX %s on %d line(s) (e.g. line %s) is neither 1/2 nor "
            "male/female: those subjects' sex is left blank",
            path,
            ", ".join(map(repr, column[odd].astype(str).unique()[:3])),
            int(odd.sum()),
            ", ".join(map(str, lines)),
        )
    return sex


def _absolute(path: Path) -> str:
    """``path`` made absolute, a link's own name kept (``resolve`` named the link's target)."""
    return os.path.abspath(path)


def _gtex_name(path: Path) -> str:
    stem = _strip_suffixes(path)
    stem = stem.removeprefix("GTEx_Analysis_").removeprefix("GTEx_")
    return f"GTEx {stem}"


def gtex_subject(sample_id: str) -> str:
    """GTEx subject id of a sample: its first two dash fields (``GTEX-1117F-0226-...``)."""
    return "-".join(str(sample_id).split("-")[:2])


def load_gtex(
    gct: str | os.PathLike[str],
    attributes: str | os.PathLike[str],
    phenotypes: str | os.PathLike[str] | None = None,
    exclude_tissues: Sequence[str] = (),
    transform: str = "log10p1",
    max_genes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ExpressionSet:
    """Load GTEx data in its published layout.

    Parameters
    ----------
    gct : path
        GCT v1.2 matrix (``.gct`` or gzip ``.gct.gz``): ``#1.2``, a dimension line
        ``n_genes n_samples``, a header ``Name Description <sample ids>``, then one row per gene
        (versioned Ensembl id, symbol, one value per sample). Streamed chunk by chunk into one
        float32 array (peak memory about one float32 copy of the kept matrix). A file with fewer
        gene rows than declared is accepted with a warning; more rows, or a sample count that
        disagrees with the header, is an error.
    attributes : path
        ``SampleAttributesDS`` (tab-separated, with SAMPID and SMTS; SMTSD and any other columns
        are kept). Samples of the matrix absent from it are kept, unlabelled (NaN).
    phenotypes : path, optional
        ``SubjectPhenotypesDS`` (SUBJID, SEX 1=male 2=female or the words, AGE, ...), joined
        by subject (first two dash fields of the sample id) into ``sex``, ``age`` and the other
        columns.
    exclude_tissues : sequence of str
        SMTS values whose samples are dropped (the paper drops "Brain" and "Fallopian Tube"),
        matched case and surrounding spaces aside.
    transform : {"log10p1", "log2p1", "log1p", "none"}
        Applied in place while streaming; every transform but "none" rejects negative values.
    max_genes : int, optional
        Read only the first ``max_genes`` gene rows (quick looks at big files).
    progress : callable, optional
        Called while the GCT is read, after each chunk of rows, with (gene rows read, gene
        rows declared by the file): the full file takes minutes.

    Returns
    -------
    ExpressionSet
        ``values`` of shape (n_kept_samples, n_genes); ``samples`` with SMTS, SMTSD, ...,
        ``subject`` and (with phenotypes) ``sex`` ("male"/"female") and ``age`` ("60-69").
    """
    transform = _check_transform(transform)
    if max_genes is not None and (int(max_genes) != max_genes or max_genes < 1):
        raise DataError(f"max_genes must be a positive integer, got {max_genes!r}")
    gct_path = _check_file(gct, "GCT matrix")
    attr_path = _check_file(attributes, "sample attributes")
    pheno_path = _check_file(phenotypes, "subject phenotypes") if phenotypes is not None else None
    exclude = [
        str(t) for t in ([exclude_tissues] if isinstance(exclude_tissues, str) else exclude_tissues)
    ]

    attrs = _read_attributes(attr_path)
    pheno = _read_phenotypes(pheno_path) if pheno_path is not None else None
    with _open_binary(gct_path) as fh:
        header = _read_gct_header(fh, gct_path, warn=False)  # (said as its rows are read)
    header_ids = pd.Index(header.sample_ids)
    labelled = header_ids.isin(attrs.index)
    if not labelled.any():
        hint = _r_names_hint(header_ids, attrs.index)
        raise DataError(
            f"no sample in common between matrix {gct_path} (e.g. {header.sample_ids[:2]}) and "
            f"sample attributes {attr_path} (e.g. {attrs.index[:2].tolist()}){hint}"
        )
    smts = attrs["SMTS"].reindex(header_ids)
    # tissues matched case aside, as --exclude-tissues names them ("BRAIN" is Brain)
    known_tissues = set(attrs["SMTS"].dropna().astype(str).str.lower())
    for tissue in exclude:
        if tissue.strip().lower() not in known_tissues:
            log.warning("exclude_tissues: no sample of tissue %r in %s", tissue, attr_path)
    lowered = smts.astype(object).where(smts.isna(), smts.astype(str).str.lower())
    excluded = lowered.isin([t.strip().lower() for t in exclude]).to_numpy()
    keep = np.flatnonzero(~excluded)
    if keep.size == 0:
        raise DataError(f"{gct_path}: no sample left after excluding tissues {exclude}")
    log.info(
        "%s: %d samples (%d with attributes), keeping %d after excluding %s",
        gct_path,
        header.n_samples,
        int(labelled.sum()),
        keep.size,
        exclude or "nothing",
    )
    unlisted = np.flatnonzero(~labelled)
    if exclude and unlisted.size:  # (their brain samples went on to the map, without a word)
        shown = ", ".join(header.sample_ids[i] for i in unlisted[:3])
        log.warning(
            "%s: %d samples of the matrix are not in %s (%s%s): kept without a tissue, so "
            "the excluded tissues (%s) cannot be left out among them",
            gct_path,
            unlisted.size,
            attr_path,
            shown,
            ", ..." if unlisted.size > 3 else "",
            ", ".join(exclude),
        )

    header, values, gene_ids, symbols = _stream_gct(
        gct_path,
        keep if keep.size < header.n_samples else None,
        transform,
        max_genes,
        progress=progress,
    )
    genes = _genes_frame(gene_ids, symbols, gct_path)
    sample_ids = np.asarray(header.sample_ids, dtype=str)[keep]
    samples = attrs.reindex(pd.Index(sample_ids, name="sample_id"))
    samples["subject"] = [gtex_subject(s) for s in sample_ids]
    if pheno is not None:
        joined = pheno.reindex(samples["subject"])
        joined.index = samples.index
        matched = int(joined.notna().any(axis=1).sum())
        if matched == 0:
            log.warning("%s: no subject of the matrix found in %s", gct_path, pheno_path)
        else:
            subjects = pd.Index(samples["subject"].unique())
            absent = subjects.difference(pheno.index)
            log.info(
                "%s: phenotypes of %d of the %d subjects (%d of %d samples)",
                pheno_path,
                len(subjects) - len(absent),
                len(subjects),
                matched,
                len(samples),
            )
            # a file cut short, or of another release: said, not silent (GTEx's own file
            # lacks one "subject" of its matrix: the K-562 cell line)
            if len(absent) > 0.01 * len(subjects):
                shown = ", ".join(map(str, absent[:3])) + (", ..." if len(absent) > 3 else "")
                log.warning(
                    "%s: %d of the %d subjects of the matrix are not in it (%s): their %d "
                    "samples have no %s",
                    pheno_path,
                    len(absent),
                    len(subjects),
                    shown,
                    int(samples["subject"].isin(absent).sum()),
                    ", ".join(map(str, joined.columns[:3])) or "phenotype",
                )
        for col in joined.columns:
            samples[col] = joined[col].to_numpy()
    source: dict[str, Any] = {
        "loader": "gtex",
        # absolute, links kept: a file reached by a link (GTEx's published name) was named by
        # its target once the model reloaded it
        "gct": _absolute(gct_path),
        "attributes": _absolute(attr_path),
        "phenotypes": _absolute(pheno_path) if pheno_path is not None else None,
        "exclude_tissues": exclude,
        "transform": transform,
        "max_genes": int(max_genes) if max_genes is not None else None,
        # records (not loader arguments): the samples of the file, those of the tissues left out
        "samples_in_file": int(header.n_samples),
        "samples_excluded": int(excluded.sum()),
        # kept without attributes: the tissues left out cannot be told among them
        "samples_unlisted": int((~labelled)[keep].sum()),
    }
    return ExpressionSet(values, sample_ids, genes, samples, _gtex_name(gct_path), source)


# =============================================================================== tables
_ORIENTATIONS = {
    "auto": "auto",
    "samples_x_genes": "samples_x_genes",
    "samples": "samples_x_genes",
    "rows": "samples_x_genes",
    "samples-in-rows": "samples_x_genes",
    "samples_in_rows": "samples_x_genes",
    "genes_x_samples": "genes_x_samples",
    "genes": "genes_x_samples",
    "columns": "genes_x_samples",
    "genes-in-rows": "genes_x_samples",
    "genes_in_rows": "genes_x_samples",
}


def _sniff_sep(path: Path, first: bytes | None = None, n_skip: int = 0) -> str:
    """Field separator of a text table: the one its name says (``.csv`` comma, ``.tsv``/``.tab``
    tab) when the header line ``first`` (default: line 1; ``n_skip`` lines above it) has it,
    else the most frequent of tab, comma and semicolon there (a ``.csv`` written by a
    spreadsheet set to a decimal-comma locale uses semicolons), else a space when the line has
    one (R's ``write.table`` default).

    A ``.csv`` whose header has both commas and semicolons is read with the one that splits the
    line below into numbers: a spreadsheet's ``;``-separated file may have commas in its names
    or, without a header, decimal commas in its first line."""
    name = path.name.lower().removesuffix(".gz")
    if first is None:
        with _open_binary(path) as fh:
            first = _read_line(fh, path)
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
            log.warning("%s: line 1 has no %r; reading it as %r-separated", path, named, best)
        return best
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
_BOM = b"\xef\xbb\xbf"
_GEO_TABLE_BEGIN = b"!series_matrix_table_begin"
_GEO_TABLE_END = "!series_matrix_table_end"


def _fields(line: bytes) -> int:
    """Fields of a line with the most frequent of tab, comma and semicolon as separator."""
    return 1 + max(line.count(sep) for sep in (b"\t", b",", b";"))


def _text_preamble(path: Path) -> tuple[int, bytes]:
    """(comment lines above the header, the header line) of a text table.

    Comment lines start with ``#`` or ``!`` and have fewer fields than the line after them
    (featureCounts writes ``# Program:featureCounts ...`` above its header; a header such as
    ``#gene<TAB>S1<TAB>S2`` is a header); blank lines among them count as comments. In a GEO
    series matrix the table starts after the ``!series_matrix_table_begin`` line.
    """
    lines: list[bytes] = []
    with _open_binary(path) as fh:
        while len(lines) < _MAX_PREAMBLE_LINES:
            line = _read_line(fh, path)
            if not line:
                break
            lines.append(line)
            if line.strip() and not line.removeprefix(_BOM).startswith((b"#", b"!")):
                break  # blank lines among the comments (a GEO header has one) are skipped
    if not lines:
        return 0, b""
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


#: encoding of a text table that is not valid UTF-8 (decodes any byte; the letters of cp1252,
#: a Windows spreadsheet's encoding, for the accented Latin letters)
_FALLBACK_ENCODING = "latin-1"


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
_NUMBER_TEXT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
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
    n_skip, first = _text_preamble(path)
    if not first.strip():
        raise DataError(f"{what} file {path} is empty")
    sep = _sniff_sep(path, first, n_skip)
    raw_header = _split_line(first, sep)
    header = [h.strip().strip('"') for h in raw_header]
    line_no = n_skip + 1
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
    hint = ""
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
    return DataError(
        f"{path}, line {bad[0] + header_line + 1}: non-numeric value {bad[1][:40]!r} in column "
        f"{column!r}{hint}"
    )


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


#: Gene table of the bundled Gene Ontology snapshot: known human gene symbols.
_KNOWN_GENES_FILE = Path(__file__).resolve().parents[1] / "data" / "go" / "genes.tsv.gz"


@functools.lru_cache(maxsize=1)
def _known_symbols() -> frozenset[str]:
    """Upper-case gene symbols of the GO snapshot's gene table (empty when it is absent)."""
    if not _KNOWN_GENES_FILE.is_file():
        return frozenset()
    try:
        table = pd.read_csv(
            _KNOWN_GENES_FILE, sep="\t", usecols=["symbol"], dtype=str, keep_default_na=False
        )
    except (OSError, ValueError, EOFError, zlib.error):
        return frozenset()
    return frozenset(table["symbol"].str.upper())


@functools.lru_cache(maxsize=1)
def _known_gene_names() -> frozenset[str]:
    """Upper-case symbols and aliases (previous symbols) of the GO snapshot's genes."""
    path = _KNOWN_GENES_FILE.with_name("aliases.tsv.gz")
    try:
        table = pd.read_csv(path, sep="\t", usecols=["alias"], dtype=str, keep_default_na=False)
    except (OSError, ValueError, EOFError, zlib.error):
        return _known_symbols()
    return _known_symbols() | frozenset(table["alias"].str.upper())


#: Gene (feature) ids told by their form, whatever the species: Ensembl genes and transcripts,
#: Affymetrix probe sets, Illumina and Agilent probes, RefSeq transcripts, FlyBase, WormBase,
#: yeast ORFs, Arabidopsis loci, and numbered genes (``gene_12``, as :meth:`from_array` names).
_GENE_ID_RE = re.compile(
    r"^(?:"
    r"ENS[A-Z]*[GT]\d{6,}(?:\.\d+)?"
    r"|(?:\d+|AFFX-[\w./-]+?)(?:_[a-z]+)*_(?:at|st)"
    r"|ILMN_\d+"
    r"|A_\d+_P\d+"
    r"|[NX][MR]_\d+(?:\.\d+)?"
    r"|FBgn\d+"
    r"|WBGene\d+"
    r"|Y[A-P][LR]\d{3}[WC](?:-[A-Z])?"
    r"|AT[1-5CM]G\d{5}(?:\.\d+)?"
    r"|(?i:gene)[_.-]?\d+"
    r")$"
)
#: Sample ids told by their form: GTEx, TCGA, GEO samples, SRA runs/experiments, BioSamples,
#: cell barcodes, and numbered samples (``sample_3``, as :meth:`from_array` names).
_SAMPLE_ID_RE = re.compile(
    r"^(?:"
    r"GTEX-[A-Z0-9]+(?:-.*)?"
    r"|TCGA-[A-Z0-9]{2}-[A-Z0-9]{4}.*"
    r"|GSM\d+"
    r"|[SED]RR\d+|[SED]RX\d+"
    r"|SAM(?:N|EA|D)\d+"
    r"|[ACGTN]{8,}(?:-\d+)?"
    r"|(?i:sample)[_.-]?\d+"
    r")$"
)


def _share(names: Sequence[str], test: Callable[[str], bool]) -> float:
    """Share of ``names`` for which ``test`` holds (0 for no names)."""
    return sum(map(test, names)) / len(names) if len(names) else 0.0


def _gene_id_share(names: Sequence[str]) -> float:
    """Share of names that are gene ids by their form (:data:`_GENE_ID_RE`)."""
    return _share(names, lambda n: bool(_GENE_ID_RE.match(n)))


def _symbol_share(names: Sequence[str]) -> float:
    """Share of names that are known gene symbols (case aside: mouse symbols count)."""
    known = _known_symbols()
    return _share(names, lambda n: n.upper() in known) if known else 0.0


def _gene_name_share(names: Sequence[str]) -> float:
    """Share of names that are gene ids by their form or known gene symbols."""
    known = _known_symbols()
    return _share(names, lambda n: bool(_GENE_ID_RE.match(n)) or n.upper() in known)


def _integer_share(names: Sequence[str]) -> float:
    return _share(names, str.isdigit)


def _entrez_like(names: Sequence[str]) -> bool:
    """Whether names are whole numbers (Entrez gene ids, Affymetrix Gene ST transcript
    clusters), not a count 0, 1, 2... or 1, 2, 3... (R's row numbers)."""
    if not names or _integer_share(names) < 0.9:
        return False
    numbers = sorted({int(n) for n in names if n.isdigit()})
    return numbers != list(range(numbers[0], numbers[0] + len(numbers))) or numbers[0] > 1


def _by_shares(in_rows: float, in_cols: float, rows_are: str, what: str) -> tuple[str, str]:
    """An orientation when most names of one axis are of a kind, and at most half as large a
    share of the other (sample names such as ``WT1``, ``C3`` or ``F8`` are gene symbols too);
    ``rows_are``: the orientation when the rows are that axis. ("auto", "") else."""
    other = "samples_x_genes" if rows_are == "genes_x_samples" else "genes_x_samples"
    if in_rows > 0.5 and in_cols <= in_rows / 2:
        return rows_are, f"{what} in rows ({in_rows:.0%}; in columns {in_cols:.0%})"
    if in_cols > 0.5 and in_rows <= in_cols / 2:
        return other, f"{what} in columns ({in_cols:.0%}; in rows {in_rows:.0%})"
    return "auto", ""


def _orientation_by_symbols(row_ids: Sequence[str], columns: Sequence[str]) -> tuple[str, str]:
    """("genes_x_samples" or "samples_x_genes", reason) when most names of one axis, and
    at most half as many of the other, are known gene symbols (case aside: mouse symbols
    count); ("auto", "") when that does not decide (or the gene table is absent)."""
    return _by_shares(
        _symbol_share(list(map(str, row_ids))),
        _symbol_share(list(map(str, columns))),
        "genes_x_samples",
        "gene symbols",
    )


def _auto_orientation(
    path: Path,
    row_ids: pd.Index,
    has_row_ids: bool,
    columns: list[str],
    extra: list[str],
) -> tuple[str, str]:
    """(orientation, reason) of a table whose id column has no telling name, from its names.

    In order: gene ids by their form (Ensembl of any species, probe sets, RefSeq...) on one
    axis; whole numbers (Entrez ids) on one axis and neither numbers nor known gene symbols on
    the other; annotation columns after
    the id column (gene columns such as ``symbol``: genes are rows; else samples are rows);
    known gene symbols on one axis; sample ids by their form (GTEx, TCGA, GSM, SRR, cell
    barcodes) on one axis; rows without ids (samples; genes need names). When none decides, a
    DataError says how to give the orientation: the shape of the table is no guide (a study
    can have more samples than genes, or fewer).
    """
    rows = [str(r) for r in row_ids] if has_row_ids else []
    cols = [str(c) for c in columns]
    decided = _by_shares(_gene_id_share(rows), _gene_id_share(cols), "genes_x_samples", "gene ids")
    if decided[0] != "auto":
        return decided
    # whole numbers facing known gene symbols are sample numbers (1001, 1002, ...), not Entrez
    # ids: the symbols decide below
    if _entrez_like(rows) and _integer_share(cols) < 0.1 and _gene_name_share(cols) < 0.5:
        return "genes_x_samples", "whole numbers (Entrez gene ids) in rows"
    if (
        _entrez_like(cols)
        and _integer_share(rows) < 0.1
        and has_row_ids
        and _gene_name_share(rows) < 0.5
    ):
        return "samples_x_genes", "whole numbers (Entrez gene ids) in columns"
    if extra:
        if any(_name_key(c) in _GENE_ANNOTATION_KEYS for c in extra):
            return "genes_x_samples", "gene annotation columns"
        return "samples_x_genes", "sample annotation columns"
    decided = _orientation_by_symbols(rows, cols)
    if decided[0] != "auto":
        return decided
    in_rows = _share(rows, lambda n: bool(_SAMPLE_ID_RE.match(n)))
    in_cols = _share(cols, lambda n: bool(_SAMPLE_ID_RE.match(n)))
    decided = _by_shares(in_rows, in_cols, "samples_x_genes", "sample ids")
    if decided[0] != "auto":
        return decided
    if not has_row_ids:
        return "samples_x_genes", "the rows have no ids: they are samples, the named columns genes"
    # (names of genes on both axes, as sample names WT1, C3, F8 can be: said as such)
    both = _symbol_share(rows) > 0.5 and _symbol_share(cols) > 0.5
    kind = (
        f"both the row names (e.g. {_shown_names(rows)}) and the column names (e.g. "
        f"{_shown_names(cols)}) read as gene symbols"
        if both
        else f"neither the row names (e.g. {_shown_names(rows)}) nor the column names (e.g. "
        f"{_shown_names(cols)}) are known gene symbols or gene ids (Ensembl, probe sets, "
        "RefSeq, Entrez...)"
    )
    raise DataError(
        f"{path}: cannot tell whether its rows are samples or genes: {kind}. Say which: "
        "name the first column 'gene' (genes in rows) or 'sample' (samples in rows), or give "
        "the orientation (on the command line --orientation genes-in-rows or "
        "--orientation samples-in-rows; in Python load_table(..., "
        "orientation='genes_x_samples' or 'samples_x_genes'))"
    )


def _shown_names(names: Sequence[str], n: int = 3, width: int = 40) -> str:
    """The first ``n`` names for a message, each cut to ``width`` characters (a row read whole,
    as one name, when the separator was not found, filled a message with numbers)."""
    cut = [str(x) if len(str(x)) <= width else str(x)[: width - 1] + "…" for x in names[:n]]
    return ", ".join(repr(x) for x in cut) if cut else "none"


def _r_names_hint(ids: pd.Index, other: pd.Index) -> str:
    """For a "no sample in common" message: a hint when the two sets of ids match as R's
    ``make.names`` leaves them (``GTEX-1117F-0226`` read back as ``GTEX.1117F.0226``)."""

    def r_names(names: pd.Index) -> pd.Index:
        return pd.Index([re.sub(r"[^A-Za-z0-9._]", ".", str(i)) for i in names])

    if not r_names(ids).isin(r_names(other)).any():
        return ""
    return (
        "; they match with '-' and '.' told alike: R's read.table/data.frame turns '-' into '.' "
        "in column names (check.names = TRUE); write or read the file with check.names = FALSE"
    )


def _starts_like_gct(path: Path) -> bool:
    """Whether a text file starts with GCT's ``#1.2`` line (a GCT file named ``.txt``)."""
    if path.name.lower().endswith((".h5ad", ".parquet", ".pq")):
        return False
    with _open_binary(path) as fh:
        first = _read_line(fh, path).removeprefix(_BOM)
    return first.split(b"\t")[0].strip() == b"#1.2"


def _tidy_text_annotations(samples: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Sample annotations with the spaces around their words taken off, line breaks inside a
    cell read as spaces (Excel's Alt+Enter: "Adipose\nTissue" is "Adipose Tissue" wrapped),
    and cells of spaces only read as missing: "Liver " (a spreadsheet's trailing space) was a
    tissue of its own in the map's legend and its votes, beside "Liver"."""
    out = samples
    n_changed = 0
    for col in samples.columns:
        series = samples[col]
        if not (series.dtype == object or isinstance(series.dtype, pd.StringDtype)):
            continue
        values = series.to_numpy(dtype=object)
        text = np.array([isinstance(v, str) for v in values], dtype=bool)
        if not text.any():
            continue
        stripped = values.copy()
        stripped[text] = [
            " ".join(part.strip() for part in v.splitlines() if part.strip()) for v in values[text]
        ]
        changed = text & (stripped != values)
        if not changed.any():
            continue
        stripped[text & (stripped == "")] = None
        if out is samples:
            out = samples.copy()
        out[col] = pd.Series(stripped, index=samples.index, dtype=series.dtype)
        n_changed += int(changed.sum())
    if n_changed:
        log.info(
            "%s: %d annotation cell(s) had spaces around their words or line breaks; read "
            "without them (a line break as a space)",
            path,
            n_changed,
        )
    return out


def _read_annotations(path: Path) -> pd.DataFrame:
    if path.name.lower().endswith((".parquet", ".pq")):  # (read as text: "duplicate column
        frame = _read_user_parquet(path)  # names ['\ufffd']")
        if not isinstance(frame.index, pd.RangeIndex):
            frame = frame.reset_index()
        frame.columns = [str(c) for c in frame.columns]
    else:
        frame, _ = _read_text_table(path, "annotation")
    if frame.shape[1] < 1:
        raise DataError(f"annotation file {path} has no columns")
    return frame


#: Numeric columns named by genes, above which an annotation table is an expression matrix.
_MATRIX_GENE_COLUMNS = 20


def _check_sample_annotations(ann: pd.DataFrame, path: Path, sample_column: str | None) -> None:
    """Refuse an expression matrix or a gene table given as sample annotations: rows that are
    genes (an id column named ``gene``/``symbol``..., or most ids gene symbols or gene ids),
    which would turn the matrix read with it, or many numeric columns named by genes."""
    id_col = sample_column if sample_column in ann.columns else str(ann.columns[0])
    ids = ann[id_col].dropna().astype(str).str.strip().tolist()
    key = _name_key(id_col)
    named = key in _GENE_ID_KEYS and key not in _SAMPLE_ID_KEYS
    share = _gene_name_share(ids)
    if named or share > 0.5:
        why = f"its id column is {id_col!r}" if named else f"{share:.0%} of its ids are genes"
        raise DataError(
            f"annotation file {path}: its rows are genes, not samples ({why}: "
            f"{', '.join(ids[:3])}, ...); is it an expression matrix or a gene table? "
            "Sample annotations have one row per sample: a sample id column, then label "
            "columns (tissue, sex, ...)"
        )
    numeric = [str(c) for c in ann.columns if c != id_col and _is_numeric(ann[c])]
    if len(numeric) >= _MATRIX_GENE_COLUMNS and _gene_name_share(numeric) > 0.5:
        raise DataError(
            f"annotation file {path}: {len(numeric)} numeric columns named by genes "
            f"({', '.join(numeric[:3])}, ...): it is an expression matrix, not sample "
            "annotations; give it as the matrix, and the sample annotations (a sample id "
            "column, then label columns such as tissue) as the annotation file"
        )


def _annotation_id_column(ann: pd.DataFrame, ids: pd.Index, sample_column: str | None) -> str:
    if sample_column is not None and sample_column in ann.columns:
        return sample_column
    best, best_hits = str(ann.columns[0]), -1
    for col in ann.columns:
        if not is_text(ann[col]) and not pd.api.types.is_integer_dtype(ann[col]):
            continue
        hits = int(ann[col].astype(str).str.strip().isin(ids).sum())
        if hits > best_hits:
            best, best_hits = str(col), hits
    return best


def _join_annotations(
    samples: pd.DataFrame,
    ann_path: Path,
    sample_column: str | None,
    matrix_path: Path,
    ann: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``samples`` with the columns of the annotation table (read from ``ann_path`` unless
    given as ``ann``) joined on sample id."""
    if ann is None:
        ann = _read_annotations(ann_path)
    if not len(ann):
        names = ", ".join(map(repr, [str(c)[:30] for c in ann.columns[:4]]))
        raise DataError(
            f"annotation file {ann_path} has a header line ({names}) but no rows: "
            "one row per sample is expected"
        )
    ids = pd.Index(samples.index)
    col = _annotation_id_column(ann, ids, sample_column)
    keys = ann[col].astype(str).str.strip()
    if keys.duplicated().any():
        pos = int(np.flatnonzero(keys.duplicated().to_numpy())[0])
        line = pos + int(ann.attrs.get("header_line", 1)) + 1
        raise DataError(
            f"annotation file {ann_path}, line {line}: duplicate sample id {keys.iloc[pos]!r}"
        )
    table = ann.drop(columns=[col]).set_axis(pd.Index(keys, name="sample_id"), axis=0)
    common = ids.intersection(table.index)
    if len(common) == 0:
        hint = ""
        if ids.str.upper().isin(table.index.str.upper()).any():
            hint = "; they match when upper and lower case are not told apart: spell them alike"
        else:
            hint = _r_names_hint(ids, table.index)
        raise DataError(
            f"no sample in common between matrix {matrix_path} (e.g. {ids[:2].tolist()}) and "
            f"annotations {ann_path} (column {col!r}, e.g. {table.index[:2].tolist()}){hint}"
        )
    if len(common) < len(ids):
        missing = ids[~ids.isin(table.index)]
        log.warning(
            "%s: %d of its %d samples are not in %s (e.g. %s); they are kept, unannotated",
            matrix_path,
            len(missing),
            len(ids),
            ann_path,
            ", ".join(map(str, missing[:3])),
        )
    else:
        log.info("%s: all %d samples annotated by %s", matrix_path, len(ids), ann_path)
    unused = table.index[~table.index.isin(ids)]
    if len(unused):  # (an annotation file of a whole study, for a subset of its samples)
        log.info(
            "%s: %d of its %d rows name no sample of %s (e.g. %s); left out",
            ann_path,
            len(unused),
            len(table),
            matrix_path,
            ", ".join(map(str, unused[:3])),
        )
    joined = table.reindex(ids)
    out = samples.copy()
    for c in joined.columns:
        new = joined[c]
        if c in out.columns:
            # the matrix has that column too: the annotation file's values, the matrix's
            # where the file has none (never a label lost)
            old = out[c]
            new_values = new.to_numpy(dtype=object)
            old_values = old.to_numpy(dtype=object)
            both = new.notna().to_numpy() & old.notna().to_numpy()
            differ = both & (new.astype(str).to_numpy() != old.astype(str).to_numpy())
            kept = int((new.isna().to_numpy() & old.notna().to_numpy()).sum())
            if differ.any() or kept:
                first = int(np.flatnonzero(differ)[0]) if differ.any() else None
                example = (
                    f"; e.g. {ids[first]}: {old_values[first]!r} in the matrix, "
                    f"{new_values[first]!r} in {ann_path.name}"
                    if first is not None
                    else ""
                )
                log.log(
                    logging.WARNING if differ.any() else logging.INFO,
                    "column %r is in both %s and %s: the annotation file's values are used "
                    "(%d samples differ), the matrix's where the file has none (%d samples)%s",
                    c,
                    matrix_path,
                    ann_path,
                    int(differ.sum()),
                    kept,
                    example,
                )
            out[c] = np.where(new.notna().to_numpy(), new_values, old_values)
            if _is_numeric(new) and _is_numeric(old):
                out[c] = pd.to_numeric(out[c])
        else:
            out[c] = new.to_numpy()
    return out


def _with_geo_annotations(samples: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``samples`` with the annotations of a GEO series matrix's header
    (:func:`_geo_sample_annotations`); as it is for any other file."""
    geo = _geo_sample_annotations(path)
    if geo is None or geo.empty:
        return samples
    ids = pd.Index(samples.index)
    found = ids.isin(geo.index)
    if not found.any():
        log.warning(
            "%s: the GEO header describes samples %s, ..., none of them a column of the table "
            "(e.g. %s): its sample annotations are left out",
            path,
            ", ".join(map(str, geo.index[:2])),
            ", ".join(map(str, ids[:2])),
        )
        return samples
    out = samples.copy()
    for name in geo.columns:
        if name not in out.columns:
            out[name] = geo[name].reindex(ids).to_numpy()
    log.info(
        "%s: sample annotations read from the GEO header for %d of %d samples: %s",
        path,
        int(found.sum()),
        len(ids),
        ", ".join(map(str, geo.columns)),
    )
    return out


def _frame_to_set(
    frame: pd.DataFrame,
    path: Path,
    orientation: str,
    sample_column: str | None,
    label_columns: Sequence[str] | None,
    annotation_ids: pd.Index | None,
    text_values: str = "refuse",
    text_cells: list[dict[str, Any]] | None = None,
    annotation_names: bool = True,
    named_annotations: list[str] | None = None,
    non_gene_names: bool = True,
    named_non_genes: list[str] | None = None,
) -> tuple[np.ndarray, pd.Index, pd.DataFrame, pd.DataFrame, str]:
    """Split a table into (values (n_samples, n_genes), sample ids, samples, genes, the
    orientation read: "samples_x_genes" or "genes_x_samples").

    ``text_values="missing"``: a column after the id column that is mostly numbers (and not
    named as an annotation or a label column) holds values, and its text cells are read as
    missing; each is appended to ``text_cells`` (``line``, ``row``, ``column``, ``text``).

    ``annotation_names``: numeric columns named as sample annotations
    (:data:`_SAMPLE_ANNOTATION_NAMES`) of a samples-as-rows table are annotations, not genes;
    their names are appended to ``named_annotations``.

    ``non_gene_names``: numeric columns named as gene lengths or positions (``Length``,
    ``effective_length``, ``Start``: :data:`_NOT_SAMPLE_KEYS`) among the samples are gene
    annotations, and those named so or as a sample's lanes (``lanes``) among the genes are
    sample annotations, unless the name is a gene's symbol or alias; said with a warning that
    names them, and appended to ``named_non_genes``."""
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        rows = "no row" if frame.shape[0] == 0 else f"{frame.shape[0]} row"
        raise DataError(
            f"{path}: empty matrix ({rows} under its first line, {frame.shape[1]} column"
            f"{'' if frame.shape[1] == 1 else 's'}): not a table of samples and genes"
        )
    header_line = int(frame.attrs.get("header_line", 1))
    cols = [str(c) for c in frame.columns]
    frame.columns = cols
    label_columns = [str(c) for c in (label_columns or [])]
    for c in label_columns:
        if c not in cols:
            raise _missing_column_error(path, c, cols)

    for c in cols[1:]:  # ' NA', 'n.a.': missing values, as pandas reads 'NA'
        if is_text(frame[c]):
            frame[c] = _markers_to_missing(frame[c])

    # Leading non-numeric columns (ids, annotations) and gene positions; numeric body after.
    def is_lead(i: int) -> bool:
        if i > 0 and _name_key(cols[i]) in _GENE_POSITION_KEYS:
            return _may_be_positions(frame, cols[i])
        if _is_numeric(frame[cols[i]]):
            return False
        return not (
            text_values == "missing"
            and i > 0
            and cols[i] not in label_columns
            and _name_key(cols[i]) not in _ANNOTATION_NAME_KEYS
            and _mostly_numbers(frame[cols[i]])
        )

    n_lead = 0
    while n_lead < len(cols) and is_lead(n_lead):
        n_lead += 1
    if n_lead == 0 and (
        _name_key(cols[0]) in _ID_COLUMN_KEYS
        or cols[0].startswith("Unnamed:")
        or cols[0] == sample_column
    ):
        n_lead = 1  # numeric ids (Entrez)
        while n_lead < len(cols) and is_lead(n_lead):
            n_lead += 1
    if sample_column is not None and sample_column in cols:
        id_col = sample_column
    else:
        id_col = cols[0] if n_lead else None
    lead = cols[:n_lead]
    keep = _rows_with_ids(frame, path, id_col, header_line)
    row_ids = (
        pd.Index(frame[id_col].astype(str).str.strip())
        if id_col is not None
        else pd.Index([f"row_{i}" for i in range(len(frame))])
    )
    extra = [c for c in lead if c != id_col]
    body_cols = [c for c in cols if c not in lead]
    _refuse_dates_among_values(path, frame, body_cols)
    warned: list[str] = []
    if text_values == "refuse":
        warned = _warn_of_numbers_read_as_annotation(
            path, frame, extra, label_columns, header_line, any_values=bool(body_cols)
        )

    if orientation == "auto":
        reason = ""
        if annotation_ids is not None:
            in_rows = int(row_ids.isin(annotation_ids).sum())
            in_cols = int(pd.Index(body_cols).isin(annotation_ids).sum())
            if in_rows or in_cols:
                orientation = "samples_x_genes" if in_rows >= in_cols else "genes_x_samples"
                reason = "annotation ids"
        id_name = _name_key(id_col) if id_col is not None else ""
        if orientation == "auto" and id_name in _SAMPLE_ID_KEYS:
            orientation, reason = "samples_x_genes", f"sample id column {id_col!r}"
        elif orientation == "auto" and id_name in _GENE_ID_KEYS:
            orientation, reason = "genes_x_samples", f"gene id column {id_col!r}"
        if orientation == "auto":
            orientation, reason = _auto_orientation(
                path, row_ids[keep], id_col is not None, body_cols, extra
            )
        log.info("%s: orientation %s (%s)", path, orientation, reason)
    else:
        # an orientation given against what the names say trained on the transposed matrix
        # without a word (samples named TBX4, genes named Adipose_Tissue_1)
        try:
            names_say, why = _auto_orientation(
                path, row_ids[keep], id_col is not None, body_cols, extra
            )
        except DataError:
            names_say = "auto"
        if names_say not in ("auto", orientation):
            words = {"genes_x_samples": "genes in rows", "samples_x_genes": "samples in rows"}
            log.warning(
                "%s: read with %s, as asked, but its names say %s (%s; e.g. rows %s, columns "
                "%s): check the orientation given (--orientation)",
                path,
                words[orientation],
                words[names_say],
                why,
                _shown_names(list(row_ids[keep])),
                _shown_names(body_cols),
            )

    if id_col is None:  # every output names them so: said once, here
        what = "sample" if orientation == "samples_x_genes" else "gene"
        log.warning(
            "%s: no column of %s ids (the first column, %r, holds numbers and is read as %s): "
            "the %ss are named row_0 to row_%d; a first column of ids, named e.g. %r, names "
            "them",
            path,
            what,
            cols[0],
            "a sample annotation"
            if orientation == "samples_x_genes" and _name_key(cols[0]) in _SAMPLE_ANNOTATION_KEYS
            else ("a gene" if orientation == "samples_x_genes" else "a sample"),
            what,
            len(row_ids) - 1,
            what,
        )
    if orientation == "samples_x_genes":
        ann_cols = extra + [c for c in label_columns if c not in lead]
        _warn_of_genes_read_as_annotation(
            path,
            frame,
            # (no gene column at all: refused below, by an error that names the text)
            [c for c in extra if c not in warned and c not in label_columns] if body_cols else [],
            header_line,
        )
        # numbers under a sample annotation's name (age, RIN, batch) were trained on as genes
        named = [
            c for c in body_cols if c not in ann_cols and _name_key(c) in _SAMPLE_ANNOTATION_KEYS
        ]
        if annotation_names and named and len(named) < len(body_cols):
            if named_annotations is not None:
                named_annotations.extend(named)
            log.info(
                "%s: column(s) %s read as sample annotations, not genes (their names are those "
                "of sample annotations)",
                path,
                ", ".join(map(repr, named[:10])) + (", ..." if len(named) > 10 else ""),
            )
            ann_cols += named
        if non_gene_names:
            # featureCounts' Length, RSEM's effective_length, a sample's lanes: numbers beside
            # the genes that were trained on as genes
            odd = _not_genes(path, [c for c in body_cols if c not in ann_cols])
            if odd and named_non_genes is not None:
                named_non_genes.extend(odd)
            ann_cols += odd
        gene_cols = [c for c in body_cols if c not in ann_cols]
        _warn_of_leading_non_genes(path, gene_cols)
        if not gene_cols:
            raise _no_numeric_error(path, frame, extra, "gene")
        _check_value_columns(
            frame, gene_cols, path, row_ids, id_col, header_line, text_values, text_cells
        )
        with np.errstate(over="ignore"):  # a number beyond float32 is inf: said as such
            values = frame[gene_cols].to_numpy(dtype=np.float32)
        sample_ids = row_ids
        samples = frame[ann_cols].copy()
        samples.index = sample_ids
        genes = pd.DataFrame(index=pd.Index(gene_cols))
    else:
        sample_cols = body_cols
        _warn_of_lone_coordinates(path, frame, extra)
        odd = [
            c
            for c in sample_cols
            if _name_key(c) in _NOT_SAMPLE_KEYS and _may_be_positions(frame, c)
        ]
        if non_gene_names and odd and len(odd) < len(sample_cols):
            # lengths and positions after the samples (RSEM's effective_length) were samples
            log.warning(
                "%s: column(s) %s hold gene lengths or positions, not samples: read as gene "
                "annotations",
                path,
                ", ".join(map(repr, odd)),
            )
            if named_non_genes is not None:
                named_non_genes.extend(odd)
            sample_cols = [c for c in sample_cols if c not in odd]
            extra = extra + odd
        in_samples = [c for c in label_columns if c in sample_cols]
        if in_samples:
            raise DataError(
                f"{path}: {in_samples[0]!r} was named as a sample annotation column, but this "
                "table has genes in rows, so its columns are samples; a table with genes in "
                "rows has no room for sample annotations: give them in an annotation file, or "
                "if the samples are the rows, say so (orientation samples_x_genes)"
            )
        if not sample_cols:
            raise _no_numeric_error(path, frame, extra, "sample")
        _check_value_columns(
            frame, sample_cols, path, row_ids, id_col, header_line, text_values, text_cells
        )
        with np.errstate(over="ignore"):  # a number beyond float32 is inf: said as such
            values = np.ascontiguousarray(frame[sample_cols].to_numpy(dtype=np.float32).T)
        sample_ids = _alignment_file_names(path, pd.Index(sample_cols))
        samples = pd.DataFrame(index=sample_ids)
        genes = frame[extra].copy()
        genes.index = row_ids
        sym_col = next((c for c in extra if _name_key(c) in _SYMBOL_COLUMN_KEYS), None)
        if sym_col is not None:
            genes = genes.rename(columns={sym_col: "symbol"})
    if not keep.all():
        if orientation == "samples_x_genes":
            values, sample_ids, samples = values[keep], sample_ids[keep], samples[keep]
        else:
            values = np.ascontiguousarray(values[:, keep])
            genes = genes[keep]
    for ids, what, in_rows in (
        (sample_ids, "sample", orientation == "samples_x_genes"),
        (genes.index, "gene", orientation != "samples_x_genes"),
    ):
        if ids.has_duplicates:
            lines = in_rows and "header_line" in frame.attrs
            raise _duplicate_ids_error(path, ids, what, header_line, keep if lines else None)
    values, sample_ids, samples, genes = _drop_summary_lines(
        path, values, sample_ids, samples, genes
    )
    _warn_of_empty_axes(path, values, sample_ids, genes.index)
    _warn_of_date_names(path, genes)
    _warn_of_case_twins(path, genes.index)
    return values, sample_ids, samples, genes, orientation


#: Genomic coordinates: whole numbers, a gene's end at or after its start.
_COORDINATE_KEYS = frozenset(map(_name_key, ("start", "end")))


def _may_be_positions(frame: pd.DataFrame, col: str) -> bool:
    """Whether a column named as a gene position (``Start``, ``End``, ``Chr``...) may hold
    positions: not when it is named as a coordinate and holds numbers with fractions, or ends
    before its start on some row. Samples of a time course (``start``, ``mid``, ``end``) are
    samples, not the coordinates that featureCounts writes under those names."""
    key = _name_key(col)
    if key not in _COORDINATE_KEYS or not _is_numeric(frame[col]):
        return True
    values = frame[col].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if values.size and ((values < 0).any() or (values != np.round(values)).any()):
        return False
    pair = {_name_key(c): c for c in frame.columns if _name_key(c) in _COORDINATE_KEYS}
    if len(pair) == 2 and all(_is_numeric(frame[c]) for c in pair.values()):
        start = frame[pair["start"]].to_numpy(dtype=float)
        end = frame[pair["end"]].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            return not (end < start).any()
    return True


def _warn_of_lone_coordinates(path: Path, frame: pd.DataFrame, extra: Sequence[str]) -> None:
    """Say the whole-number columns named ``start`` or ``end`` read as gene coordinates when no
    chromosome column stands beside them: they may be samples of a time course in read counts
    (featureCounts writes ``Chr`` with its ``Start`` and ``End``)."""
    coords = [c for c in extra if _name_key(c) in _COORDINATE_KEYS and _is_numeric(frame[c])]
    # (Bioconductor's GRanges tables name it seqnames)
    chrom = {_name_key(n) for n in ("chr", "chrom", "chromosome", "seqnames", "seqname", "seqid")}
    if coords and not any(_name_key(c) in chrom for c in extra):
        log.warning(
            "%s: column(s) %s read as gene coordinates, not samples (no chromosome column "
            "beside them); if they are samples, rename them",
            path,
            ", ".join(map(repr, coords)),
        )


def _not_genes(path: Path, gene_cols: Sequence[str]) -> list[str]:
    """The columns of ``gene_cols`` (the numeric columns of a table of samples in rows) named
    as gene lengths or positions or as a sample's lanes (:data:`_NOT_GENE_KEYS`), with a
    warning that names them; none whose name is a gene symbol or alias of the GO snapshot's
    gene table (``END``, an alias of ENG), nor any when every column is one."""
    named = [c for c in gene_cols if _name_key(c) in _NOT_GENE_KEYS]
    genes = _known_gene_names() if named else frozenset()
    odd = [c for c in named if c.strip().upper() not in genes]
    if not odd or len(odd) == len(gene_cols):
        return []
    log.warning(
        "%s: column(s) %s are no genes (gene lengths or positions, lanes): read as sample "
        "annotations; if one is a gene, rename it",
        path,
        ", ".join(map(repr, odd)),
    )
    return odd


def _missing_column_error(path: Path, name: str, cols: Sequence[str]) -> DataError:
    """The error for an annotation column the table lacks, with the closest column names."""
    by_key = {_name_key(c): c for c in cols}
    close = [by_key[_name_key(name)]] if _name_key(name) in by_key else []
    close = close or difflib.get_close_matches(name, list(cols), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
    shown = ", ".join(map(repr, cols[:8])) + (", ..." if len(cols) > 8 else "")
    return DataError(
        f"{path}: no column {name!r} to read as a sample annotation{hint} (its columns: {shown})"
    )


#: Names of the counters that counting tools write among the genes (HTSeq's ``__no_feature``...,
#: STAR's ``N_unmapped``...), and of sums a spreadsheet adds: not genes, nor samples.
_COUNTER_NAMES = frozenset(
    {
        "__no_feature",
        "__ambiguous",
        "__too_low_aqual",
        "__not_aligned",
        "__alignment_not_unique",
        "n_unmapped",
        "n_multimapping",
        "n_nofeature",
        "n_ambiguous",
    }
)
_SUM_NAMES = frozenset({"total", "totals", "sum", "grand total"})


def _drop_summary_lines(
    path: Path, values: np.ndarray, sample_ids: pd.Index, samples: pd.DataFrame, genes: pd.DataFrame
) -> tuple[np.ndarray, pd.Index, pd.DataFrame, pd.DataFrame]:
    """Leave out, with a warning naming them, the counters of counting tools among the genes
    (``__no_feature``, ``N_unmapped``) and rows or columns of sums (``Total``): read as genes or
    samples, they were trained on as any other."""
    gene_names = [str(g).strip().lower() for g in genes.index]
    sample_names = [str(s).strip().lower() for s in sample_ids]
    bad_genes = np.array([g in _COUNTER_NAMES or g in _SUM_NAMES for g in gene_names], bool)
    bad_samples = np.array([s in _SUM_NAMES or s in _COUNTER_NAMES for s in sample_names], bool)
    if bad_genes.any() and not bad_genes.all():
        log.warning(
            "%s: %s left out: counts of a counting tool or sums, not genes",
            path,
            ", ".join(map(repr, genes.index[bad_genes][:10].astype(str))),
        )
        values = np.ascontiguousarray(values[:, ~bad_genes])
        genes = genes[~bad_genes]
    if bad_samples.any() and not bad_samples.all():
        log.warning(
            "%s: %s left out: sums, not samples",
            path,
            ", ".join(map(repr, sample_ids[bad_samples][:10].astype(str))),
        )
        values = np.ascontiguousarray(values[~bad_samples])
        sample_ids, samples = sample_ids[~bad_samples], samples[~bad_samples]
    return values, sample_ids, samples, genes


_ALIGNMENT_SUFFIX_RE = re.compile(
    r"(\.sorted|\.aligned|\.sortedByCoord\.out)*\.(bam|sam|cram)$", re.I
)


def _alignment_file_names(path: Path, ids: pd.Index) -> pd.Index:
    """Samples named by their alignment files, as featureCounts names its columns
    (``/data/bam/Liver_1.bam``): named by the file's name without folder and extension
    (``Liver_1``), as annotation files name them, when those names are distinct."""
    names = [str(i) for i in ids]
    if not names or not all(_ALIGNMENT_SUFFIX_RE.search(n) for n in names):
        return ids
    short = [_ALIGNMENT_SUFFIX_RE.sub("", n.replace("\\", "/").rsplit("/", 1)[-1]) for n in names]
    if len(set(short)) < len(short) or not all(short):
        return ids
    log.info(
        "%s: samples named by their alignment files, without folder and extension (%s -> %s)",
        path,
        names[0],
        short[0],
    )
    return pd.Index(short)


def _warn_of_leading_non_genes(path: Path, gene_cols: Sequence[str]) -> None:
    """Warn of the numeric columns ahead of the genes whose names are neither gene symbols nor
    gene ids, when the genes' are (``sample, tissue, ischemic_time, TP53, ...``): a sample
    annotation under a name the loader does not know is read, and trained on, as a gene."""
    lead: list[str] = []
    for c in gene_cols:
        if _gene_name_share([c]):
            break
        lead.append(c)
    rest = gene_cols[len(lead) :]
    if not lead or len(lead) > 10 or len(rest) < 2 * len(lead) or _gene_name_share(rest) < 0.8:
        return
    log.warning(
        "%s: column(s) %s, before the genes, are neither gene symbols nor gene ids, and are "
        "read as genes; if they are sample annotations, name them with --annotation-columns "
        "(label_columns= from Python; age, sex, RIN, batch, timepoint, ... are read so "
        "anyway) or move them to an annotation file",
        path,
        ", ".join(map(repr, lead)),
    )


def _duplicate_ids_error(
    path: Path, ids: pd.Index, what: str, header_line: int, kept_rows: np.ndarray | None
) -> DataError:
    """The error for ids given more than once; ``kept_rows`` (the mask of the table's rows
    that hold ``ids``) when the ids are the rows of a text table, to name their lines."""
    dup = ids[ids.duplicated()].unique()
    first = str(dup[0])
    where = ""
    if kept_rows is not None:
        positions = np.flatnonzero(kept_rows)[np.flatnonzero(np.asarray(ids == dup[0]))]
        numbers = [str(int(p) + header_line + 1) for p in positions[:5]]
        where = f" on lines {', '.join(numbers[:-1])} and {numbers[-1]}"
        if len(positions) > 5:
            where = f" on lines {', '.join(numbers)}, ..."
    more = ""
    if len(dup) > 1:
        shown = ", ".join(map(repr, dup[1:5].tolist())) + (", ..." if len(dup) > 5 else "")
        more = f" (and {len(dup) - 1} more: {shown})"
    axis = "row" if kept_rows is not None else "column"
    return DataError(
        f"{path}: duplicate {what} ids: {first!r}{where}{more}; give each {axis} its own id, "
        f"or combine the repeated {axis}s (e.g. average them) before loading"
    )


def _warn_of_empty_axes(
    path: Path, values: np.ndarray, sample_ids: pd.Index, gene_ids: pd.Index
) -> None:
    """Warn of genes without a value in any sample, and of samples without a value for any
    gene (an empty column or row, or a column of text read as missing values): they carry no
    information (training leaves such genes out and refuses such samples)."""
    if values.size == 0:
        return
    missing = np.isnan(values)
    for axis, ids, what, other in (
        (0, gene_ids, "gene", "sample"),
        (1, sample_ids, "sample", "gene"),
    ):
        empty = missing.all(axis=axis)
        if empty.any():
            names = [str(i) for i in ids[empty][:5]]
            log.warning(
                "%s: %d %s(s) without a value for any %s (%s%s): empty in the file, or text only?",
                path,
                int(empty.sum()),
                what,
                other,
                ", ".join(names),
                ", ..." if empty.sum() > 5 else "",
                extra={"notice": f"empty_{what}s"},
            )


_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
#: Gene names that a spreadsheet turned into dates (SEPT7 -> 7-Sep, MARCH1 -> 1-Mar, ...).
_DATE_NAME_RE = re.compile(
    rf"^(?:\d{{1,2}}-(?:{_MONTHS})|(?:{_MONTHS})-\d{{1,2}}|\d{{4}}-\d{{2}}-\d{{2}}(?: 00:00:00)?"
    r"|\d{1,2}/\d{1,2}/\d{2,4})$",
    re.IGNORECASE,
)


def _warn_of_date_names(path: Path, genes: pd.DataFrame) -> None:
    """Warn when gene ids or symbols look like dates: a spreadsheet turned symbols such as
    SEPT7 or MARCH1 into ``7-Sep`` or ``1-Mar`` (the genes are kept under those names)."""
    names = pd.Index(genes.index.astype(str))
    if "symbol" in genes.columns:
        names = names.append(pd.Index(genes["symbol"].dropna().astype(str)))
    dates = names[names.str.match(_DATE_NAME_RE)].unique()
    if len(dates):
        log.warning(
            "%s: %d gene name(s) look like dates (%s): a spreadsheet turns gene symbols such "
            "as SEPT7 or MARCH1 into dates; those genes keep these names and will not match "
            "their symbols (export from the source with the gene column as text)",
            path,
            len(dates),
            ", ".join(dates[:5]),
        )


def _separated_numbers(series: pd.Series) -> pd.Series:
    """Which filled cells of a text column are numbers written with a thousands separator
    (``1,234``, ``12,500.5``) or with a '.' for thousands and a decimal comma (``1.234,5``)."""
    text = series.dropna().astype(str).str.strip()
    return (
        text.str.match(_THOUSANDS_LIKE_RE)
        | text.str.match(_THOUSANDS_RE)
        | text.str.match(r"^[+-]?\d{1,3}(\.\d{3})+,\d+$")
    )


def _warn_of_numbers_read_as_annotation(
    path: Path,
    frame: pd.DataFrame,
    extra: Sequence[str],
    label_columns: Sequence[str],
    header_line: int,
    any_values: bool = True,
) -> list[str]:
    """Warn of an annotation column (after the id column) that is mostly numbers: a column
    of expression values with a text cell is read as an annotation and left out of the
    values (unless its name says it is an annotation); numbers written with a thousands
    separator (``1,234``) count, and one warning names the separator and every such column.
    ``any_values`` False (no column holds values: the table is refused, and its error names
    the separators): the separators are not counted. Returns the columns warned of."""
    warned = []
    separated_columns: list[tuple[str, tuple[int, str]]] = []
    for c in extra:
        if c in label_columns or _name_key(c) in _ANNOTATION_NAME_KEYS:
            continue
        separated = (
            _separated_numbers(frame[c]) if any_values and is_text(frame[c]) else pd.Series([])
        )
        numbers = pd.to_numeric(frame[c].dropna(), errors="coerce").notna()
        if (
            not len(numbers)
            or (numbers | separated.reindex(numbers.index, fill_value=False)).mean() < 0.5
        ):
            continue
        bad = _first_non_numeric(frame[c])
        if bad is None:
            continue
        warned.append(c)
        if separated.any():
            # said together below: a table written with separators had a line per column
            separated_columns.append((c, bad))
            continue
        log.warning(
            "%s: column %r is read as an annotation, not as expression values: it holds text "
            "(%r, line %d) among numbers; if it holds values, correct the text or read text as "
            "missing (--text-values missing)",
            path,
            c,
            bad[1][:40],
            bad[0] + header_line + 1,
        )
    if len(separated_columns) == 1:
        c, bad = separated_columns[0]
        log.warning(
            "%s: column %r is read as an annotation, not as expression values: it holds text "
            "(%r, line %d), numbers with a thousands separator; if it holds values, write "
            "numbers without thousands separators",
            path,
            c,
            bad[1][:40],
            bad[0] + header_line + 1,
        )
    elif separated_columns:
        c, bad = separated_columns[0]
        names = [repr(n) for n, _ in separated_columns]
        log.warning(
            "%s: %d columns (%s) are read as annotations, not as expression values: they hold "
            "numbers with a thousands separator (column %r: %r, line %d); if they hold values, "
            "write numbers without thousands separators",
            path,
            len(names),
            ", ".join(names[:10]) + (", ..." if len(names) > 10 else ""),
            c,
            bad[1][:40],
            bad[0] + header_line + 1,
        )
    return warned


def _warn_of_genes_read_as_annotation(
    path: Path, frame: pd.DataFrame, columns: Sequence[str], header_line: int
) -> None:
    """Warn of annotation columns of a table of samples in rows that are named by a gene's
    symbol as written (``GATA4`` holding ``high``; not ``kit``, a column of library kits):
    read as sample annotations, they are no genes."""
    known = _known_symbols()
    named = [
        c for c in columns if str(c).strip() in known and _name_key(c) not in _ANNOTATION_NAME_KEYS
    ]
    if named:
        bad = _first_non_numeric(frame[named[0]])
        shown = f" ({bad[1][:40]!r}, line {bad[0] + header_line + 1})" if bad else ""
        log.warning(
            "%s: column(s) %s are named as genes but hold text%s: read as sample annotations, "
            "not genes; if they are genes, write their values as numbers",
            path,
            ", ".join(map(repr, named[:10])) + (", ..." if len(named) > 10 else ""),
            shown,
        )


#: Text cells read as missing that a data source keeps (the count is kept whole).
_TEXT_CELLS_KEPT = 100


def _warn_of_text_cells(path: Path, cells: list[dict[str, Any]]) -> None:
    """Warn that text values were read as missing, naming the first few cells."""
    if not cells:
        return
    shown = "; ".join(f"line {c['line']}, {c['column']}: {c['text']!r}" for c in cells[:5])
    log.warning(
        "%s: %d text value(s) read as missing (%s%s)",
        path,
        len(cells),
        shown,
        "; ..." if len(cells) > 5 else "",
        extra={"notice": "text_cells"},
    )


def _warn_of_case_twins(path: Path, gene_ids: pd.Index) -> None:
    """Warn of gene ids that differ only by letter case (``TP53`` and ``tp53``): both are
    kept, but a gene is looked up by name without regard to case, so only the first of each
    pair can be found by name (merge them, or rename one, if they are the same gene)."""
    names = pd.Series(gene_ids.astype(str), dtype=str)
    upper = names.str.upper()
    twins = upper.duplicated(keep=False)
    if not twins.any():
        return
    groups = names[twins].groupby(upper[twins], sort=False).agg(list)
    shown = "; ".join("/".join(g) for g in groups.iloc[:5])
    log.warning(
        "%s: %d gene name(s) differ from another only by letter case (%s%s): both are kept, "
        "and a name finds the gene written so, another spelling (TP53 for Tp53) the first; "
        "merge or rename them if they are one gene",
        path,
        len(groups),
        shown,
        "; ..." if len(groups) > 5 else "",
    )


def _rows_with_ids(
    frame: pd.DataFrame, path: Path, id_col: str | None, header_line: int
) -> np.ndarray:
    """Mask of the rows of a table to keep: rows without any field (a spreadsheet's
    ``,,,`` lines) are left out; a row with values but no id (an empty or NA id field) is a
    DataError naming its line."""
    if id_col is None:
        return np.ones(len(frame), dtype=bool)
    ids = frame[id_col]
    missing = (ids.isna() | (ids.astype(str).str.strip() == "")).to_numpy()
    if not missing.any():
        return np.ones(len(frame), dtype=bool)
    others = frame.drop(columns=[id_col])
    empty = missing & (others.isna().all(axis=1).to_numpy() if others.shape[1] else True)
    with_values = missing & ~empty
    if with_values.any():
        pos = int(np.flatnonzero(with_values)[0])
        raise DataError(
            f"{path}, line {pos + header_line + 1}: a row with values but no id (the field of "
            f"column {id_col!r} is empty or NA); give every row an id, or delete the row"
        )
    log.info(
        "%s: %d empty row(s) left out (first at line %d)",
        path,
        int(empty.sum()),
        int(np.flatnonzero(empty)[0]) + header_line + 1,
    )
    return ~empty


def _load_h5ad(
    path: Path, orient: str = "samples_x_genes"
) -> tuple[np.ndarray, pd.Index, pd.DataFrame, pd.DataFrame, str]:
    """(values, sample ids, samples, genes, orientation) of an .h5ad file; ``orient``: "auto"
    (as its names say, :func:`_h5ad_genes_in_obs`), "samples_x_genes" (anndata's convention:
    samples in obs) or "genes_x_samples"."""
    try:
        import anndata
    except ImportError as exc:  # pragma: no cover - anndata is pinned in requirements
        raise DataError(f"{path}: reading .h5ad needs the anndata package") from exc
    try:
        adata = anndata.read_h5ad(path)
    except Exception as exc:  # anndata/h5py raise many types for a bad file
        raise DataError(f"{path}: cannot be read as an .h5ad file: {exc}") from exc
    X = adata.X
    if X is None:
        raise DataError(f"{path}: the .h5ad file has no X matrix")
    if hasattr(X, "toarray"):
        X = X.toarray()
    values = np.asarray(X, dtype=np.float32)
    samples = adata.obs.copy()
    samples.index = samples.index.astype(str)
    genes = adata.var.copy()
    genes.index = genes.index.astype(str)
    # the names said in messages: anndata's, and the roles they play here
    sample_names, gene_names = "obs_names", "var_names"
    if _h5ad_genes_in_obs(path, samples.index, genes.index, orient):
        values = np.ascontiguousarray(values.T)
        samples, genes = genes, samples
        sample_names, gene_names = "var_names", "obs_names"
        orientation = "genes_x_samples"
    else:
        orientation = "samples_x_genes"
    sym_col = next((c for c in genes.columns if _name_key(c) in _SYMBOL_COLUMN_KEYS), None)
    if sym_col is not None and sym_col != "symbol":
        genes = genes.rename(columns={sym_col: "symbol"})
    if len(genes) and (genes.index == pd.RangeIndex(len(genes)).astype(str)).all():
        # anndata's default names "0", "1", ...: the genes were never named
        named = genes["symbol"].astype(str) if "symbol" in genes.columns else None
        if named is None or named.isin(["", "nan", "None"]).any() or named.duplicated().any():
            raise DataError(
                f"{path}: the genes have no names ({gene_names} are 0 to {len(genes) - 1}, "
                f"anndata's defaults{'' if named is None else '; symbols missing or repeated'}"
                f"): set adata.{gene_names} to gene ids or symbols and write the file again"
            )
        log.warning(
            "%s: %s are 0 to %d; genes named by their %r",
            path,
            gene_names,
            len(genes) - 1,
            sym_col,
        )
        genes.index = pd.Index(named.to_numpy())
    if genes.index.has_duplicates:
        dup = genes.index[genes.index.duplicated()].unique()[:5].tolist()
        raise DataError(
            f"{path}: duplicate gene ids ({gene_names}) {dup}; make them unique "
            f"(adata.{gene_names}_make_unique()) or use gene ids"
        )
    if samples.index.has_duplicates:
        dup = samples.index[samples.index.duplicated()].unique()[:5].tolist()
        raise DataError(
            f"{path}: duplicate sample ids ({sample_names}) {dup}; make them unique "
            f"(adata.{sample_names}_make_unique())"
        )
    for frame in (samples, genes):
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.CategoricalDtype):
                frame[col] = frame[col].astype(object).where(frame[col].notna(), np.nan)
    return values, pd.Index(samples.index), samples, genes, orientation


def _h5ad_genes_in_obs(path: Path, obs: pd.Index, var: pd.Index, orient: str) -> bool:
    """Whether an .h5ad file holds genes in obs (rows) and samples in var, against anndata's
    convention (``AnnData(table)`` on a genes x samples table does that): as asked
    (``genes_x_samples``), else as its names say (gene ids or known symbols on one axis, as
    for a text table). It trained on the transposed matrix without a word."""
    rows, cols = [str(n) for n in obs], [str(n) for n in var]
    decided = _by_shares(_gene_id_share(rows), _gene_id_share(cols), "genes_x_samples", "gene ids")
    if decided[0] == "auto":
        decided = _orientation_by_symbols(rows, cols)
    if orient != "auto":
        if decided[0] not in ("auto", orient):
            words = {"genes_x_samples": "genes in obs", "samples_x_genes": "samples in obs"}
            log.warning(
                "%s: read with %s, as asked, but its names say %s (%s; e.g. obs %s, var %s): "
                "check the orientation given (--orientation)",
                path,
                words[orient],
                words[decided[0]],
                decided[1],
                _shown_names(rows),
                _shown_names(cols),
            )
        return orient == "genes_x_samples"
    if decided[0] != "genes_x_samples":
        return False
    log.warning(
        "%s: read with genes in obs and samples in var, as its names say (%s; e.g. obs %s, "
        "var %s): anndata keeps samples in obs (write adata.T; --orientation "
        "samples_x_genes reads it as it is)",
        path,
        decided[1],
        _shown_names(rows),
        _shown_names(cols),
    )
    return True


def load_table(
    path: str | os.PathLike[str],
    annotations: str | os.PathLike[str] | None = None,
    orientation: str = "auto",
    transform: str = "none",
    sample_column: str | None = None,
    label_columns: Sequence[str] | None = None,
    text_values: str = "refuse",
    annotation_names: bool = True,
    non_gene_names: bool = True,
) -> ExpressionSet:
    """Load an expression matrix from CSV/TSV (plain or .gz), parquet, GCT or .h5ad.

    Parameters
    ----------
    path : path
        The matrix. Text tables: one id column first, then optional non-numeric annotation
        columns, then numeric columns. Samples as rows: those non-numeric columns become sample
        annotations (``sample, tissue, <genes>``); genes as rows: they become gene annotations
        (a ``symbol``/``description`` column gives the symbols). ``.h5ad``: X (dense or sparse)
        with ``obs`` as samples and ``var`` as genes (anndata's convention), unless its names
        or ``orientation`` say genes are in ``obs``. ``.gct``/``.gct.gz``: GCT v1.2. Decimal
        commas (``GATA4;1,25``, a spreadsheet's export in a decimal-comma locale) are read in
        text tables separated by ';' or tabs, with a warning; not in comma-separated ones
        (:func:`_decimal_comma_example`).
    annotations : path, optional
        CSV/TSV sample annotation table joined on sample id (``sample_column`` or the column
        that matches most matrix ids). Matrix samples it lacks are kept unlabelled. Each of
        its columns is read on its own values: numbers with a decimal point or (separated by
        ';' or tabs) a decimal comma, lists such as lanes ``1,2`` as text
        (:func:`_read_annotation_numbers`).
    orientation : {"auto", "samples_x_genes", "genes_x_samples"}
        Also written ``samples-in-rows`` / ``genes-in-rows``. "auto": the axis whose names
        match the annotation ids are samples; else the name of the id column decides
        (``sample``, ``sample_id``, ``barcode``... : samples are rows; ``gene``, ``gene_id``,
        ``symbol``, ``ID_REF``... : genes are rows); else the axis of gene ids (Ensembl of any
        species, Affymetrix/Illumina/Agilent probes, RefSeq, FlyBase, ...) or of whole numbers
        (Entrez) is genes; else samples are rows when non-numeric annotation columns follow the
        id column (unless they are gene columns such as ``symbol``); else the axis of known
        gene symbols is genes; else the axis of sample ids (GTEx, TCGA, GSM, SRR, cell
        barcodes) is samples; else rows without ids are samples. When none of these decides,
        a DataError asks for the orientation (the shape of the table is no guide).
    transform : {"none", "log10p1", "log2p1", "log1p"}
        Applied after loading; all but "none" reject negative values.
    sample_column : str, optional
        Name of the sample id column (in the matrix when samples are rows, and in
        ``annotations``).
    label_columns : sequence of str, optional
        Columns of a samples-as-rows matrix to keep as annotations even if numeric. Columns
        named as sample annotations that often hold numbers (``age``, ``sex``, ``RIN``,
        ``SMRIN``, ``batch``, ``timepoint``, ``dose``, ... : none is a gene symbol) are kept as
        annotations without being named here (``annotation_names=False``: read as genes, as
        before this rule; a data source recorded before it re-loads that way). A name the table
        lacks, or given for a table with genes in rows (GCT, .h5ad, or read so), is a
        DataError.
    text_values : {"refuse", "missing"}
        A text value among the expression values of a CSV/TSV or parquet table (``high``,
        ``#DIV/0!``; the usual ``NA`` markers and empty fields are missing values anyway):
        "refuse" (the default) raises a DataError naming its line and column; "missing" reads
        it as a missing value, with a warning naming the first cells, and records them in
        ``source["text_cells"]`` (the first 100) and ``source["text_cell_count"]``. With
        "missing", a column after the id column that is mostly numbers holds values even when
        its first rows are text, unless its name says it is an annotation (``symbol``,
        ``description``, ...) or it is in ``label_columns``.
    non_gene_names : bool
        Numeric columns of a text or parquet table named as gene lengths or positions
        (featureCounts' ``Chr``, ``Start``, ``End``, ``Strand``, ``Length`` after the samples,
        RSEM's ``effective_length``) are gene annotations, not samples; in a table of samples
        in rows, those and ``lanes`` are sample annotations, not genes, unless the name is a
        gene symbol or alias. Said with a warning naming them. False: read as samples or
        genes, as before this rule (a data source recorded before it re-loads that way).

    Returns
    -------
    ExpressionSet
    """
    transform = _check_transform(transform)
    if text_values not in ("refuse", "missing"):
        raise DataError(f"unknown text_values {text_values!r}; choose refuse or missing")
    text_cells: list[dict[str, Any]] = []
    named_annotations: list[str] = []
    named_non_genes: list[str] = []
    if orientation not in _ORIENTATIONS:
        raise DataError(
            f"unknown orientation {orientation!r}; choose auto, samples_x_genes (samples in "
            "rows) or genes_x_samples (genes in rows)"
        )
    orient = _ORIENTATIONS[orientation]
    mpath = _check_file(path, "matrix")
    ann_path = _check_file(annotations, "annotation") if annotations is not None else None
    ann = _read_annotations(ann_path) if ann_path is not None else None
    if ann is not None:
        _check_sample_annotations(ann, ann_path, sample_column)
    lower = mpath.name.lower()
    transformed = False
    fixed = lower.endswith((".gct", ".gct.gz", ".h5ad")) or _starts_like_gct(mpath)
    if fixed and label_columns:
        raise DataError(
            f"{mpath}: sample annotation columns ({', '.join(map(repr, label_columns))}) are "
            "read from text or parquet tables with samples in rows; a GCT file has genes in "
            "rows and an .h5ad file keeps its sample annotations in obs: give them in an "
            "annotation file"
        )
    if fixed and orient != "auto" and not lower.endswith(".h5ad"):
        log.warning(
            "%s: orientation %r ignored: the file's format says which axis is which "
            "(GCT: genes in rows)",
            mpath,
            orientation,
        )
    if lower.endswith((".gct", ".gct.gz")) or _starts_like_gct(mpath):
        header, values, gene_ids, symbols = _stream_gct(mpath, None, transform, None)
        transformed = True
        genes = _genes_frame(gene_ids, symbols, mpath)
        sample_ids = pd.Index(header.sample_ids)
        samples = pd.DataFrame(index=sample_ids)
    elif lower.endswith(".h5ad"):
        values, sample_ids, samples, genes, orientation = _load_h5ad(mpath, orient)
    else:
        annotation_ids = None
        if ann is not None and orient == "auto":
            annotation_ids = pd.Index(
                pd.concat(
                    [
                        ann[c].astype(str).str.strip()
                        for c in ann.columns
                        if is_text(ann[c]) or c == sample_column
                    ]
                )
                if any(is_text(ann[c]) or c == sample_column for c in ann.columns)
                else []
            )
        if lower.endswith(".parquet") or lower.endswith(".pq"):
            frame = _read_user_parquet(mpath)
            if not isinstance(frame.index, pd.RangeIndex):
                frame = frame.reset_index()
            frame = _numbers_kept_as_text(frame)
        else:
            frame, _ = _read_text_table(mpath, "matrix")
        values, sample_ids, samples, genes, orientation = _frame_to_set(
            frame,
            mpath,
            orient,
            sample_column,
            label_columns,
            annotation_ids,
            text_values,
            text_cells,
            annotation_names,
            named_annotations,
            non_gene_names,
            named_non_genes,
        )
        _warn_of_text_cells(mpath, text_cells)
    if not transformed:
        _check_magnitude(
            values, lambda r, c: f"{mpath} (sample {sample_ids[r]}, gene {genes.index[c]})"
        )
    if transform != "none" and not transformed:
        neg = values < 0
        if neg.any():
            r, c = np.argwhere(neg)[0]
            raise DataError(
                f"{mpath}: negative value {values[r, c]:g} (sample {sample_ids[r]}, gene "
                f"{genes.index[c]}); counts/TPM are expected before the {transform} transform"
            )
        _warn_if_log_scale(mpath, *_max_and_fraction(values), transform)
        _apply_transform(values, transform)
    samples.index = pd.Index(sample_ids.astype(str), name="sample_id")
    if not fixed and orientation == "genes_x_samples":
        samples = _with_geo_annotations(samples, mpath)
    if ann_path is not None:
        samples = _join_annotations(samples, ann_path, sample_column, mpath, ann)
    samples = _tidy_text_annotations(samples, mpath)
    source = {
        "loader": "table",
        "path": _absolute(mpath),
        "annotations": _absolute(ann_path) if ann_path is not None else None,
        "orientation": orientation,  # as read: a re-load does not depend on "auto" rules
        "transform": transform,
        "sample_column": sample_column,
        "label_columns": list(label_columns) if label_columns else None,
    }
    if named_annotations:  # recorded only where the rule read a column otherwise than before
        source["annotation_names"] = True
    if named_non_genes:  # (likewise)
        source["non_gene_names"] = True
    if lower.endswith(".h5ad"):  # its axes as read (load_source reads older records as then)
        source["h5ad_by_names"] = True
    if text_values != "refuse":
        source["text_values"] = text_values
        source["text_cell_count"] = len(text_cells)
        source["text_cells"] = text_cells[:_TEXT_CELLS_KEPT]
    return ExpressionSet.from_array(
        values,
        sample_ids=sample_ids,
        samples=samples,
        genes=_symbols_from_gene_table(genes, mpath),
        name=_strip_suffixes(mpath),
        source=source,
    )


def _symbols_from_gene_table(genes: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``genes`` with a symbol for each Ensembl id the file names without one, from the gene
    table of the bundled GO snapshot (``data/go``). A matrix keyed by Ensembl ids alone (the
    usual featureCounts or Salmon output) had its ids as symbols: ``neighbours --genes MYH7``,
    the report's markers and a symbol-named upload found none of its genes."""
    ids = pd.Index(genes.index.astype(str))
    symbols = genes["symbol"] if "symbol" in genes.columns else pd.Series(np.nan, index=ids)
    text = symbols.astype(object).where(symbols.notna(), None)
    bare = np.asarray([t is None or str(t) == i for t, i in zip(text, ids, strict=True)])
    bare &= np.asarray([bool(_ENSEMBL_RE.match(i)) for i in ids], dtype=bool)
    if not bare.any():
        return genes
    from core.annotations import GeneOntology

    try:
        table = GeneOntology.load().map_genes(list(ids[bare]))
    except (CoreError, OSError) as exc:  # the snapshot is part of the project: said if absent
        log.warning("%s: gene symbols not looked up (%s): genes are named by their ids", path, exc)
        return genes
    found = table["matched"].to_numpy(dtype=bool) & table["symbol"].notna().to_numpy()
    if not found.any():
        return genes
    out = genes.copy()
    filled = pd.Series(text.to_numpy(), index=genes.index, dtype=object)
    filled.iloc[np.flatnonzero(bare)[found]] = table["symbol"].to_numpy(dtype=object)[found]
    out["symbol"] = filled.where(filled.notna(), np.nan)
    log.info(
        "%s: symbols of %d of its %d genes named by Ensembl ids alone taken from the GO "
        "snapshot's gene table",
        path,
        int(found.sum()),
        int(bare.sum()),
    )
    return out


# =============================================================================== sources
#: Keys of a data source that record what was read rather than how to read it.
_SOURCE_RECORDS = (
    "loader",
    "steps",
    "text_cells",
    "text_cell_count",
    "samples_in_file",
    "samples_excluded",
    "samples_unlisted",
    "h5ad_by_names",
)


def exclusion_words(source: dict[str, Any]) -> str | None:
    """The tissues a GTEx source left out, in words for a page's data line, with the samples
    its attributes file does not list (kept unlabelled: the tissues left out may remain among
    them; the page said "Brain left out" over 2,146 brain samples of the shared file). None
    when no tissue was left out."""
    excluded = [str(t) for t in source.get("exclude_tissues") or ()]
    if source.get("loader") != "gtex" or not excluded:
        return None
    words = f"{', '.join(excluded)} left out"
    in_file, left_out = source.get("samples_in_file"), source.get("samples_excluded")
    if in_file and left_out is not None:  # (counted from the tissues, not the gap)
        words += f" ({int(left_out):,} of the file's {int(in_file):,} samples)"
    unlisted = source.get("samples_unlisted")
    if unlisted:
        words += (
            f"; {int(unlisted):,} samples the attributes file does not list are kept, "
            "unlabelled, and samples of those tissues may be among them"
        )
    return words


def load_source(
    source: dict[str, Any], expected_samples: Sequence[str] | None = None
) -> ExpressionSet:
    """Re-load an expression set from its ``source`` dict (see :attr:`ExpressionSet.source`).

    Loaders: ``gtex`` (:func:`load_gtex` arguments), ``table`` (:func:`load_table`
    arguments), ``simulated`` (``core.simulate.simulate_gtex_like`` parameters), ``saved``
    (``path`` of a directory written by :meth:`ExpressionSet.save`). A ``steps`` list
    (subset / drop_zero_genes / detected_genes / top_variable_genes) is replayed on the result.

    ``expected_samples`` (a model's sample ids): a table recorded without its orientation (saved
    before the orientation was recorded) is read the way that gives these samples, whatever the
    current rules of ``orientation="auto"`` say.
    """
    if not isinstance(source, dict) or "loader" not in source:
        raise DataError(f"not a data source description (needs a 'loader' key): {source!r:.200}")
    params = {k: v for k, v in source.items() if k not in _SOURCE_RECORDS}
    loader = source["loader"]
    try:
        if loader == "gtex":
            params["exclude_tissues"] = tuple(params.get("exclude_tissues") or ())
            es = load_gtex(**params)
        elif loader == "table":
            # a source recorded before numeric columns named as sample annotations (age, RIN)
            # were read as annotations re-loads them as genes, as its model was trained
            params.setdefault("annotation_names", False)
            params.setdefault("non_gene_names", False)  # (lengths, lanes: genes then)
            if str(params.get("path", "")).lower().endswith(".h5ad") and not source.get(
                "h5ad_by_names"
            ):
                # recorded before an .h5ad's axes followed its names or the orientation given:
                # read as then, samples in obs (it was trained so)
                params["orientation"] = "samples_x_genes"
            if "orientation" not in params and expected_samples is not None:
                es = _load_table_as_trained(params, expected_samples)
            else:
                es = load_table(**params)
        elif loader == "simulated":
            from core.simulate import simulate_gtex_like

            es = simulate_gtex_like(**params)
        elif loader == "saved":
            es = ExpressionSet.load(params["path"])
        else:
            raise DataError(
                f"data source {loader!r} cannot be re-loaded (known: gtex, table, simulated, saved)"
            )
    except TypeError as exc:
        raise DataError(f"data source {loader!r} has unexpected parameters: {exc}") from exc
    except KeyError as exc:
        raise DataError(f"data source {loader!r} lacks parameter {exc}") from exc
    for step in source.get("steps", []):
        op = step.get("op")
        if op == "subset":
            es = es.subset(samples=step.get("samples"), genes=step.get("genes"))
        elif op == "drop_zero_genes":
            es = es.drop_zero_genes()
        elif op == "top_variable_genes":
            es = es.top_variable_genes(int(step["n"]))
        elif op == "detected_genes":
            es = es.detected_genes(float(step["min_fraction"]))
        else:
            raise DataError(f"unknown step {op!r} in data source")
    return es


def _load_table_as_trained(
    params: dict[str, Any], expected_samples: Sequence[str]
) -> ExpressionSet:
    """:func:`load_table` in the orientation (auto first, then each) that holds every one of
    ``expected_samples``; the first orientation's error, or a mismatch, when none does."""
    expected = {str(s) for s in expected_samples}
    first_error: DataError | None = None
    read_any = False
    for orientation in ("auto", "samples_x_genes", "genes_x_samples"):
        try:
            es = load_table(**params, orientation=orientation)
        except DataError as exc:
            first_error = first_error or exc
            continue
        read_any = True
        if expected <= set(es.sample_ids):
            if orientation != "auto":
                log.warning(
                    "%s: read as %s, the orientation the model was trained on",
                    params.get("path"),
                    orientation,
                )
            return es
    if first_error is not None and not read_any:
        raise first_error
    raise DataError(
        f"{params.get('path')}: neither its rows nor its columns hold the model's samples "
        f"(e.g. {', '.join(sorted(expected)[:3])})"
    )


#: A sample id as :mod:`core.simulate` makes them (``SIM-03MZC-0126-SM-F18T0``).
_SIMULATED_ID = re.compile(r"SIM-[0-9A-Z]{5}-\d{4}-SM-[0-9A-Z]{5}")


def is_simulated(es: Any) -> bool:
    """Whether a dataset is the simulated demo (or any data marked simulated): its source's
    loader or flag, its samples' ``simulated`` attribute, or "simulated" in its name, so that
    every figure, table and file made from it can say so.

    The demo written to files and read back (``--matrix`` and ``--annotations``) is told by
    what it carries: a ``simulated`` annotation true for every sample, or sample ids all made
    by :mod:`core.simulate` (``SIM-XXXXX-NNNN-SM-XXXXX``, a matrix without its annotations).
    """
    source = getattr(es, "source", None) or {}
    if source.get("loader") == "simulated" or source.get("simulated") is True:
        return True
    samples = getattr(es, "samples", None)
    if isinstance(samples, pd.DataFrame) and len(samples):
        if samples.attrs.get("simulated") is True:
            return True
        if "simulated" in samples.columns:
            marks = samples["simulated"].astype(str).str.strip().str.lower()
            if marks.isin(("true", "1", "yes")).all():
                return True
        ids = samples.index.astype(str)
        if ids.str.fullmatch(_SIMULATED_ID.pattern).all():
            return True
    return "simulated" in str(getattr(es, "name", "")).lower()


def step_words(step: dict[str, Any]) -> str:
    """One loading step of a data source (``source["steps"]``), as a reader would say it."""
    op = step.get("op")
    if op == "drop_zero_genes":
        n = step.get("n_dropped")
        if n is None:  # a source recorded before the count was
            return "genes that are 0 in every sample left out"
        if not n:
            return "no gene is 0 in every sample"
        names = [str(g) for g in step.get("dropped") or []]
        shown = ", ".join(names[:8]) + (", ..." if n > min(len(names), 8) else "")
        return f"the {n:,} gene{'s' if n > 1 else ''} 0 in every sample left out" + (
            f" ({shown})" if names else ""
        )
    if op == "detected_genes":
        share = float(step.get("min_fraction", 0))
        return f"genes above 0 in fewer than {share:.0%} of the samples left out"
    if op == "top_variable_genes":
        return f"the {int(step.get('n', 0)):,} most variable genes kept"
    if op == "subset":
        parts = []
        for axis in ("samples", "genes"):
            chosen = step.get(axis)
            if chosen is not None:
                parts.append(f"{len(chosen):,} {axis}")
        return "a subset (" + ", ".join(parts) + ")" if parts else "a subset"
    return str(op)
