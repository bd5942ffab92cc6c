"""A table read into a DataFrame, split into the parts of an :class:`ExpressionSet`.

Which columns are ids, annotations and values (the matrix, the sample and gene tables), the
orientation, and the warnings for what looks read wrong (positions, summary lines, dates, genes
or numbers among the annotations).
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.data.columns import (
    _ANNOTATION_NAME_KEYS,
    _GENE_ANNOTATION_KEYS,
    _GENE_ID_KEYS,
    _GENE_POSITION_KEYS,
    _ID_COLUMN_KEYS,
    _NOT_GENE_KEYS,
    _NOT_SAMPLE_KEYS,
    _SAMPLE_ANNOTATION_KEYS,
    _SAMPLE_ID_KEYS,
    _SYMBOL_COLUMN_KEYS,
    _name_key,
    is_text,
)
from core.data.number_text import _THOUSANDS_LIKE_RE, _THOUSANDS_RE
from core.data.orientation import (
    ORIENTATION_OPTION,
    _auto_orientation,
    _gene_name_share,
    _known_gene_names,
    _known_symbols,
    _shown_names,
)
from core.data.value_columns import (
    TEXT_AS_MISSING,
    _check_value_columns,
    _first_non_numeric,
    _is_numeric,
    _markers_to_missing,
    _mostly_numbers,
    _no_numeric_error,
)
from core.errors import DataError, argument_words, first_names, with_fix

log = logging.getLogger("core.data")  # the package's one logger (-v shows its name)


#: An orientation in words, as the log says it.
_ORIENTATION_WORDS = {"genes_x_samples": "genes in rows", "samples_x_genes": "samples in rows"}


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
    _refuse_empty_frame(path, frame)
    header_line = int(frame.attrs.get("header_line", 1))
    cols = [str(c) for c in frame.columns]
    frame.columns = cols
    label_columns = _checked_label_columns(path, label_columns, cols)
    _read_missing_markers(frame, cols)

    # Leading non-numeric columns (ids, annotations) and gene positions; numeric body after.
    n_lead = _count_lead_columns(frame, cols, sample_column, label_columns, text_values)
    if sample_column is not None and sample_column in cols:
        id_col = sample_column
    else:
        id_col = cols[0] if n_lead else None
    lead = cols[:n_lead]
    keep = _rows_with_ids(frame, path, id_col, header_line)
    row_ids = _row_ids(frame, id_col)
    extra = [c for c in lead if c != id_col]
    body_cols = [c for c in cols if c not in lead]
    _refuse_dates_among_values(path, frame, body_cols)
    warned: list[str] = []
    if text_values == "refuse":
        warned = _warn_of_numbers_read_as_annotation(
            path, frame, extra, label_columns, header_line, any_values=bool(body_cols)
        )

    if orientation == "auto":
        orientation = _orientation_of_names(
            path, row_ids, keep, id_col, body_cols, extra, annotation_ids
        )
    else:
        _warn_of_orientation_against_names(
            path, orientation, row_ids, keep, id_col, body_cols, extra
        )
    if id_col is None:  # every output names them so: said once, here
        _warn_of_rows_without_ids(path, orientation, cols[0], len(row_ids))
    if orientation == "samples_x_genes":
        ann_cols = _sample_annotation_columns(
            path,
            frame,
            extra,
            lead,
            body_cols,
            label_columns,
            warned,
            header_line,
            annotation_names,
            named_annotations,
            non_gene_names,
            named_non_genes,
        )
        values, sample_ids, samples, genes = _samples_in_rows(
            path,
            frame,
            row_ids,
            id_col,
            header_line,
            extra,
            body_cols,
            ann_cols,
            text_values,
            text_cells,
        )
    else:
        values, sample_ids, samples, genes = _genes_in_rows(
            path,
            frame,
            row_ids,
            id_col,
            header_line,
            extra,
            body_cols,
            label_columns,
            text_values,
            text_cells,
            non_gene_names,
            named_non_genes,
        )
    if not keep.all():
        values, sample_ids, samples, genes = _kept_rows(
            values, sample_ids, samples, genes, keep, orientation
        )
    _refuse_duplicate_ids(path, frame, sample_ids, genes.index, orientation, header_line, keep)
    values, sample_ids, samples, genes = _drop_summary_lines(
        path, values, sample_ids, samples, genes
    )
    _warn_of_empty_axes(path, values, sample_ids, genes.index)
    _warn_of_date_names(path, genes)
    _warn_of_case_twins(path, genes.index)
    return values, sample_ids, samples, genes, orientation


def _refuse_empty_frame(path: Path, frame: pd.DataFrame) -> None:
    """Refuse a table without a row or without a column."""
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        rows = "no row" if frame.shape[0] == 0 else f"{frame.shape[0]} row"
        raise DataError(
            f"{path}: empty matrix ({rows} under its first line, {frame.shape[1]} column"
            f"{'' if frame.shape[1] == 1 else 's'}): not a table of samples and genes"
        )


def _checked_label_columns(
    path: Path, label_columns: Sequence[str] | None, cols: Sequence[str]
) -> list[str]:
    """The label columns as text, each one a column of the table (else a DataError)."""
    label_columns = [str(c) for c in (label_columns or [])]
    for c in label_columns:
        if c not in cols:
            raise _missing_column_error(path, c, cols)
    return label_columns


def _read_missing_markers(frame: pd.DataFrame, cols: Sequence[str]) -> None:
    """Read the missing-value markers of the text columns after the first as missing."""
    for c in cols[1:]:  # ' NA', 'n.a.': missing values, as pandas reads 'NA'
        if is_text(frame[c]):
            frame[c] = _markers_to_missing(frame[c])


def _is_lead_column(
    frame: pd.DataFrame,
    cols: Sequence[str],
    i: int,
    label_columns: Sequence[str],
    text_values: str,
) -> bool:
    """Whether column ``i`` is an id or annotation column (or gene positions), not values."""
    if i > 0 and _name_key(cols[i]) in _GENE_POSITION_KEYS:
        return _may_be_positions(frame, cols[i])
    if i > 0 and _name_key(cols[i]) in _GENE_ANNOTATION_KEYS and frame[cols[i]].isna().all():
        # a Description column of "na" placeholders (a GCT body without its two first
        # lines) or left empty: read as a sample without values, the table was refused
        return True
    if _is_numeric(frame[cols[i]]):
        return False
    return not (
        text_values == "missing"
        and i > 0
        and cols[i] not in label_columns
        and _name_key(cols[i]) not in _ANNOTATION_NAME_KEYS
        and _mostly_numbers(frame[cols[i]])
    )


def _count_lead_columns(
    frame: pd.DataFrame,
    cols: Sequence[str],
    sample_column: str | None,
    label_columns: Sequence[str],
    text_values: str,
) -> int:
    """How many columns lead the table (ids and annotations) before its values."""
    n_lead = 0
    while n_lead < len(cols) and _is_lead_column(frame, cols, n_lead, label_columns, text_values):
        n_lead += 1
    if n_lead == 0 and (
        _name_key(cols[0]) in _ID_COLUMN_KEYS
        or cols[0].startswith("Unnamed:")
        or cols[0] == sample_column
    ):
        n_lead = 1  # numeric ids (Entrez)
        while n_lead < len(cols) and _is_lead_column(
            frame, cols, n_lead, label_columns, text_values
        ):
            n_lead += 1
    return n_lead


def _row_ids(frame: pd.DataFrame, id_col: str | None) -> pd.Index:
    """The ids of the rows: the id column's, stripped, or ``row_0``... without one."""
    return (
        pd.Index(frame[id_col].astype(str).str.strip())
        if id_col is not None
        else pd.Index([f"row_{i}" for i in range(len(frame))])
    )


def _orientation_of_names(
    path: Path,
    row_ids: pd.Index,
    keep: np.ndarray,
    id_col: str | None,
    body_cols: Sequence[str],
    extra: Sequence[str],
    annotation_ids: pd.Index | None,
) -> str:
    """The orientation that the annotations' ids or the table's names say, logged with why."""
    orientation, reason = "auto", ""
    if annotation_ids is not None:
        in_rows = int(row_ids.isin(annotation_ids).sum())
        in_cols = int(pd.Index(body_cols).isin(annotation_ids).sum())
        if in_rows or in_cols:
            orientation = "samples_x_genes" if in_rows >= in_cols else "genes_x_samples"
            where, n = ("row", in_rows) if in_rows >= in_cols else ("column", in_cols)
            reason = f"{n:,} of its {where} names are sample ids of the annotations"
    id_name = _name_key(id_col) if id_col is not None else ""
    if orientation == "auto" and id_name in _SAMPLE_ID_KEYS:
        orientation, reason = "samples_x_genes", f"sample id column {id_col!r}"
    elif orientation == "auto" and id_name in _GENE_ID_KEYS:
        orientation, reason = "genes_x_samples", f"gene id column {id_col!r}"
    if orientation == "auto":
        orientation, reason = _auto_orientation(
            path, row_ids[keep], id_col is not None, body_cols, extra
        )
    log.info("%s: %s (%s)", path, _ORIENTATION_WORDS[orientation], reason)
    return orientation


def _warn_of_orientation_against_names(
    path: Path,
    orientation: str,
    row_ids: pd.Index,
    keep: np.ndarray,
    id_col: str | None,
    body_cols: Sequence[str],
    extra: Sequence[str],
) -> None:
    """Warn when the orientation given is not the one the table's names say."""
    # an orientation given against what the names say trained on the transposed matrix
    # without a word (samples named TBX4, genes named Adipose_Tissue_1)
    try:
        names_say, why = _auto_orientation(
            path, row_ids[keep], id_col is not None, body_cols, extra
        )
    except DataError:
        names_say = "auto"
    if names_say not in ("auto", orientation):
        words = _ORIENTATION_WORDS
        fix = ("orientation", ORIENTATION_OPTION[names_say])
        log.warning(
            "%s: read with %s, as asked, but its names say %s (%s; e.g. rows %s, columns "
            "%s): check the orientation given (%s reads it as its names say)",
            path,
            words[orientation],
            words[names_say],
            why,
            _shown_names(list(row_ids[keep])),
            _shown_names(body_cols),
            argument_words(*fix),
            extra={"fix": fix},  # (the command line words it as its flag)
        )


def _warn_of_rows_without_ids(path: Path, orientation: str, first: str, n_rows: int) -> None:
    """Warn that no column holds the rows' ids, so they are named ``row_0``..."""
    what = "sample" if orientation == "samples_x_genes" else "gene"
    log.warning(
        "%s: no column of %s ids (the first column, %r, holds numbers and is read as %s): "
        "the %ss are named row_0 to row_%d; a first column of ids, named e.g. %r, names "
        "them",
        path,
        what,
        first,
        "a sample annotation"
        if orientation == "samples_x_genes" and _name_key(first) in _SAMPLE_ANNOTATION_KEYS
        else ("a gene" if orientation == "samples_x_genes" else "a sample"),
        what,
        n_rows - 1,
        what,
    )


def _sample_annotation_columns(
    path: Path,
    frame: pd.DataFrame,
    extra: Sequence[str],
    lead: Sequence[str],
    body_cols: Sequence[str],
    label_columns: Sequence[str],
    warned: Sequence[str],
    header_line: int,
    annotation_names: bool,
    named_annotations: list[str] | None,
    non_gene_names: bool,
    named_non_genes: list[str] | None,
) -> list[str]:
    """The sample annotation columns of a table of samples in rows, with the warnings for
    columns named as genes, as sample annotations or as gene lengths and lanes."""
    ann_cols = list(extra) + [c for c in label_columns if c not in lead]
    _warn_of_genes_read_as_annotation(
        path,
        frame,
        # (no gene column at all: refused below, by an error that names the text)
        [c for c in extra if c not in warned and c not in label_columns] if body_cols else [],
        header_line,
    )
    ann_cols += _named_sample_annotations(
        path, body_cols, ann_cols, annotation_names, named_annotations
    )
    if non_gene_names:
        # featureCounts' Length, RSEM's effective_length, a sample's lanes: numbers beside
        # the genes that were trained on as genes
        odd = _not_genes(path, [c for c in body_cols if c not in ann_cols])
        if odd and named_non_genes is not None:
            named_non_genes.extend(odd)
        ann_cols += odd
    return ann_cols


def _named_sample_annotations(
    path: Path,
    body_cols: Sequence[str],
    ann_cols: Sequence[str],
    annotation_names: bool,
    named_annotations: list[str] | None,
) -> list[str]:
    """The numeric columns named as sample annotations (age, RIN, batch), logged, if not all."""
    # numbers under a sample annotation's name (age, RIN, batch) were trained on as genes
    named = [c for c in body_cols if c not in ann_cols and _name_key(c) in _SAMPLE_ANNOTATION_KEYS]
    if not (annotation_names and named and len(named) < len(body_cols)):
        return []
    if named_annotations is not None:
        named_annotations.extend(named)
    log.info(
        "%s: column(s) %s read as sample annotations, not genes (their names are those "
        "of sample annotations)",
        path,
        ", ".join(map(repr, named[:10])) + (", ..." if len(named) > 10 else ""),
    )
    return named


def _samples_in_rows(
    path: Path,
    frame: pd.DataFrame,
    row_ids: pd.Index,
    id_col: str | None,
    header_line: int,
    extra: Sequence[str],
    body_cols: Sequence[str],
    ann_cols: Sequence[str],
    text_values: str,
    text_cells: list[dict[str, Any]] | None,
) -> tuple[np.ndarray, pd.Index, pd.DataFrame, pd.DataFrame]:
    """Values, sample ids, samples and genes of a table of samples in rows."""
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
    return values, sample_ids, samples, genes


def _genes_in_rows(
    path: Path,
    frame: pd.DataFrame,
    row_ids: pd.Index,
    id_col: str | None,
    header_line: int,
    extra: Sequence[str],
    body_cols: Sequence[str],
    label_columns: Sequence[str],
    text_values: str,
    text_cells: list[dict[str, Any]] | None,
    non_gene_names: bool,
    named_non_genes: list[str] | None,
) -> tuple[np.ndarray, pd.Index, pd.DataFrame, pd.DataFrame]:
    """Values, sample ids, samples and genes of a table of genes in rows."""
    sample_cols = list(body_cols)
    _warn_of_lone_coordinates(path, frame, extra)
    odd = _gene_annotations_among_samples(path, frame, sample_cols, non_gene_names, named_non_genes)
    if odd:
        sample_cols = [c for c in sample_cols if c not in odd]
        extra = list(extra) + odd
    _refuse_labels_among_samples(path, label_columns, sample_cols)
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
    return values, sample_ids, samples, genes


def _gene_annotations_among_samples(
    path: Path,
    frame: pd.DataFrame,
    sample_cols: Sequence[str],
    non_gene_names: bool,
    named_non_genes: list[str] | None,
) -> list[str]:
    """The columns among the samples that hold gene lengths or positions, with a warning."""
    odd = [
        c for c in sample_cols if _name_key(c) in _NOT_SAMPLE_KEYS and _may_be_positions(frame, c)
    ]
    if not (non_gene_names and odd and len(odd) < len(sample_cols)):
        return []
    # lengths and positions after the samples (RSEM's effective_length) were samples
    log.warning(
        "%s: column(s) %s hold gene lengths or positions, not samples: read as gene annotations",
        path,
        ", ".join(map(repr, odd)),
    )
    if named_non_genes is not None:
        named_non_genes.extend(odd)
    return odd


def _refuse_labels_among_samples(
    path: Path, label_columns: Sequence[str], sample_cols: Sequence[str]
) -> None:
    """Refuse sample annotation columns named in a table whose columns are samples."""
    in_samples = [c for c in label_columns if c in sample_cols]
    if in_samples:
        fix = ("orientation", ORIENTATION_OPTION["samples_x_genes"])
        error = DataError(
            f"{path}: {in_samples[0]!r} was named as a sample annotation column, but this "
            "table has genes in rows, so its columns are samples; a table with genes in "
            "rows has no room for sample annotations: give them in an annotation file, or "
            f"if the samples are the rows, say so ({argument_words(*fix)})"
        )
        raise with_fix(error, *fix)


def _kept_rows(
    values: np.ndarray,
    sample_ids: pd.Index,
    samples: pd.DataFrame,
    genes: pd.DataFrame,
    keep: np.ndarray,
    orientation: str,
) -> tuple[np.ndarray, pd.Index, pd.DataFrame, pd.DataFrame]:
    """The parts without the table's rows left out (``keep`` False)."""
    if orientation == "samples_x_genes":
        values, sample_ids, samples = values[keep], sample_ids[keep], samples[keep]
    else:
        values = np.ascontiguousarray(values[:, keep])
        genes = genes[keep]
    return values, sample_ids, samples, genes


def _refuse_duplicate_ids(
    path: Path,
    frame: pd.DataFrame,
    sample_ids: pd.Index,
    gene_ids: pd.Index,
    orientation: str,
    header_line: int,
    keep: np.ndarray,
) -> None:
    """Refuse sample or gene ids given more than once (naming their lines when in rows)."""
    for ids, what, in_rows in (
        (sample_ids, "sample", orientation == "samples_x_genes"),
        (gene_ids, "gene", orientation != "samples_x_genes"),
    ):
        if ids.has_duplicates:
            lines = in_rows and "header_line" in frame.attrs
            raise _duplicate_ids_error(path, ids, what, header_line, keep if lines else None)


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
            "missing (%s)",
            path,
            c,
            bad[1][:40],
            bad[0] + header_line + 1,
            argument_words(*TEXT_AS_MISSING),
            extra={"fix": TEXT_AS_MISSING},  # (the command line words it as its flag)
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
