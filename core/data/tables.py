"""A matrix in a file of any kind the package reads (:func:`load_table`).

CSV/TSV, parquet, GCT and ``.h5ad``, in either orientation, with an optional sample annotation
table.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.data.columns import is_text
from core.data.expression_set import ExpressionSet
from core.data.frames import _frame_to_set
from core.data.gct import _genes_frame, _starts_like_gct, _stream_gct
from core.data.genes import _ENSEMBL_RE
from core.data.h5ad import _load_h5ad
from core.data.inputs import _absolute, _check_file, _read_user_parquet, _strip_suffixes
from core.data.sample_annotations import (
    _check_sample_annotations,
    _join_annotations,
    _read_annotations,
    _tidy_text_annotations,
    _warn_of_case_twin_values,
    _with_geo_annotations,
)
from core.data.scale import (
    _apply_transform,
    _check_magnitude,
    _check_transform,
    _max_and_fraction,
    _warn_if_log_scale,
)
from core.data.text_tables import _read_text_table
from core.errors import CoreError, DataError

log = logging.getLogger("core.data")  # the package's one logger (-v shows its name)


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
    transform, orient = _checked_options(transform, text_values, orientation)
    text_cells: list[dict[str, Any]] = []
    named_annotations: list[str] = []
    named_non_genes: list[str] = []
    mpath = _check_file(path, "matrix")
    ann_path, ann = _annotation_table(annotations, sample_column)
    lower = mpath.name.lower()
    transformed = False
    fixed = lower.endswith((".gct", ".gct.gz", ".h5ad")) or _starts_like_gct(mpath)
    if fixed:
        _check_fixed_layout(mpath, lower, label_columns, orient, orientation)
    if lower.endswith((".gct", ".gct.gz")) or _starts_like_gct(mpath):
        values, sample_ids, samples, genes = _load_gct(mpath, transform)
        transformed = True
    elif lower.endswith(".h5ad"):
        values, sample_ids, samples, genes, orientation = _load_h5ad(mpath, orient)
    else:
        values, sample_ids, samples, genes, orientation = _load_text_or_parquet(
            mpath,
            orient,
            ann,
            sample_column,
            label_columns,
            text_values,
            text_cells,
            annotation_names,
            named_annotations,
            non_gene_names,
            named_non_genes,
        )
    if not transformed:
        _check_magnitude(
            values, lambda r, c: f"{mpath} (sample {sample_ids[r]}, gene {genes.index[c]})"
        )
    if transform != "none" and not transformed:
        _transform_values(mpath, values, sample_ids, genes, transform)
    samples = _annotated_samples(
        samples, sample_ids, mpath, fixed, orientation, ann_path, sample_column, ann
    )
    source = _table_source(
        mpath,
        ann_path,
        orientation,
        transform,
        sample_column,
        label_columns,
        text_values,
        text_cells,
        named_annotations,
        named_non_genes,
    )
    return ExpressionSet.from_array(
        values,
        sample_ids=sample_ids,
        samples=samples,
        genes=_symbols_from_gene_table(genes, mpath),
        name=_strip_suffixes(mpath),
        source=source,
    )


def _checked_options(transform: str, text_values: str, orientation: str) -> tuple[str, str]:
    """The transform and the orientation in its one spelling, each option checked."""
    transform = _check_transform(transform)
    if text_values not in ("refuse", "missing"):
        raise DataError(f"unknown text_values {text_values!r}; choose refuse or missing")
    if orientation not in _ORIENTATIONS:
        raise DataError(
            f"unknown orientation {orientation!r}; choose auto, samples_x_genes (samples in "
            "rows) or genes_x_samples (genes in rows)"
        )
    return transform, _ORIENTATIONS[orientation]


def _annotation_table(
    annotations: str | os.PathLike[str] | None, sample_column: str | None
) -> tuple[Path | None, pd.DataFrame | None]:
    """The sample annotation file's path and table, checked (None, None without one)."""
    ann_path = _check_file(annotations, "annotation") if annotations is not None else None
    ann = _read_annotations(ann_path) if ann_path is not None else None
    if ann is not None:
        _check_sample_annotations(ann, ann_path, sample_column)
    return ann_path, ann


def _check_fixed_layout(
    mpath: Path, lower: str, label_columns: Sequence[str] | None, orient: str, orientation: str
) -> None:
    """Refuse label columns, and warn of an orientation ignored, for a GCT or .h5ad file."""
    if label_columns:
        raise DataError(
            f"{mpath}: sample annotation columns ({', '.join(map(repr, label_columns))}) are "
            "read from text or parquet tables with samples in rows; a GCT file has genes in "
            "rows and an .h5ad file keeps its sample annotations in obs: give them in an "
            "annotation file"
        )
    if orient != "auto" and not lower.endswith(".h5ad"):
        log.warning(
            "%s: orientation %r ignored: the file's format says which axis is which "
            "(GCT: genes in rows)",
            mpath,
            orientation,
        )


def _load_gct(
    mpath: Path, transform: str
) -> tuple[np.ndarray, pd.Index, pd.DataFrame, pd.DataFrame]:
    """Values (transformed), sample ids, samples and genes of a GCT file."""
    header, values, gene_ids, symbols = _stream_gct(mpath, None, transform, None)
    genes = _genes_frame(gene_ids, symbols, mpath)
    sample_ids = pd.Index(header.sample_ids)
    samples = pd.DataFrame(index=sample_ids)
    return values, sample_ids, samples, genes


def _annotation_ids(ann: pd.DataFrame, sample_column: str | None) -> pd.Index:
    """Every id the annotation table may give a sample: its text and sample id columns."""
    return pd.Index(
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


def _read_matrix_frame(mpath: Path, lower: str) -> pd.DataFrame:
    """A parquet or text table read into a DataFrame."""
    if lower.endswith(".parquet") or lower.endswith(".pq"):
        frame = _read_user_parquet(mpath)
        if not isinstance(frame.index, pd.RangeIndex):
            frame = frame.reset_index()
        return _numbers_kept_as_text(frame)
    frame, _ = _read_text_table(mpath, "matrix")
    return frame


def _load_text_or_parquet(
    mpath: Path,
    orient: str,
    ann: pd.DataFrame | None,
    sample_column: str | None,
    label_columns: Sequence[str] | None,
    text_values: str,
    text_cells: list[dict[str, Any]],
    annotation_names: bool,
    named_annotations: list[str],
    non_gene_names: bool,
    named_non_genes: list[str],
) -> tuple[np.ndarray, pd.Index, pd.DataFrame, pd.DataFrame, str]:
    """Values, sample ids, samples, genes and orientation of a text or parquet table."""
    annotation_ids = None
    if ann is not None and orient == "auto":
        annotation_ids = _annotation_ids(ann, sample_column)
    frame = _read_matrix_frame(mpath, mpath.name.lower())
    parts = _frame_to_set(
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
    return parts


def _transform_values(
    mpath: Path, values: np.ndarray, sample_ids: pd.Index, genes: pd.DataFrame, transform: str
) -> None:
    """Apply ``transform`` in place, refusing negative values and warning of log-scale ones."""
    neg = values < 0
    if neg.any():
        r, c = np.argwhere(neg)[0]
        raise DataError(
            f"{mpath}: negative value {values[r, c]:g} (sample {sample_ids[r]}, gene "
            f"{genes.index[c]}); counts/TPM are expected before the {transform} transform"
        )
    _warn_if_log_scale(mpath, *_max_and_fraction(values), transform)
    _apply_transform(values, transform)


def _annotated_samples(
    samples: pd.DataFrame,
    sample_ids: pd.Index,
    mpath: Path,
    fixed: bool,
    orientation: str,
    ann_path: Path | None,
    sample_column: str | None,
    ann: pd.DataFrame | None,
) -> pd.DataFrame:
    """The sample table indexed by sample id, with GEO's and the annotation file's columns."""
    samples.index = pd.Index(sample_ids.astype(str), name="sample_id")
    if not fixed and orientation == "genes_x_samples":
        samples = _with_geo_annotations(samples, mpath)
    if ann_path is not None:
        samples = _join_annotations(samples, ann_path, sample_column, mpath, ann)
    samples = _tidy_text_annotations(samples, mpath)
    _warn_of_case_twin_values(samples, ann_path if ann_path is not None else mpath)
    return samples


def _table_source(
    mpath: Path,
    ann_path: Path | None,
    orientation: str,
    transform: str,
    sample_column: str | None,
    label_columns: Sequence[str] | None,
    text_values: str,
    text_cells: list[dict[str, Any]],
    named_annotations: list[str],
    named_non_genes: list[str],
) -> dict[str, Any]:
    """The ``source`` record of a table: how :func:`load_source` loads it again."""
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
    if mpath.name.lower().endswith(
        ".h5ad"
    ):  # its axes as read (load_source reads older records as then)
        source["h5ad_by_names"] = True
    if text_values != "refuse":
        source["text_values"] = text_values
        source["text_cell_count"] = len(text_cells)
        source["text_cells"] = text_cells[:_TEXT_CELLS_KEPT]
    return source


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
