"""Column names and column kinds.

What a table's column names say (sample ids, gene ids, symbols, gene positions, sample
annotations), compared as :func:`_name_key` writes them; whether a column holds text; the main
label column of sample annotations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

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
