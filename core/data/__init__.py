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

From files to an :class:`ExpressionSet`, the modules in the order they build on each other (a
module imports only from those above it):

- :mod:`~core.data.columns`: what column names say; text columns; the main label column.
- :mod:`~core.data.value_columns`: value columns of numbers, missing-value markers, the errors
  naming the first cell that is not a number.
- :mod:`~core.data.inputs`: a path checked as a readable file of a table's kind; gzip; lines;
  a user's parquet file.
- :mod:`~core.data.scale`: transforms, the largest value, values already on a log scale.
- :mod:`~core.data.genes`: looking genes up by id or symbol and matching them across sets.
- :mod:`~core.data.orientation`: known gene symbols, forms of ids, samples in rows or columns.
- :mod:`~core.data.number_text`: decimal commas and thousands separators in text files.
- :mod:`~core.data.text_tables`: a CSV/TSV file read into a DataFrame.
- :mod:`~core.data.gct`: GCT files, streamed into one float32 array.
- :mod:`~core.data.expression_set`: the :class:`ExpressionSet` itself (save, load, subsets).
- :mod:`~core.data.gtex`: :func:`load_gtex` (GCT + GTEx sample and subject tables).
- :mod:`~core.data.sample_annotations`: a sample table given apart, joined to the matrix.
- :mod:`~core.data.frames`: a DataFrame split into values, ids and annotation tables (the
  orientation, warnings for what looks read wrong).
- :mod:`~core.data.h5ad`: AnnData files.
- :mod:`~core.data.tables`: :func:`load_table`, any of the kinds above.
- :mod:`~core.data.sources`: :func:`load_source` and the words that describe a source.

Everything is logged to the ``core.data`` logger. The names below are imported from
``core.data``; the modules are where they are written.
"""

from core.data.columns import default_label_column, is_text
from core.data.expression_set import DROPPED_NAMES_KEPT, ExpressionSet
from core.data.genes import _ENSEMBL_RE as _ENSEMBL_RE
from core.data.genes import (
    CLOSE_SYMBOLS,
    case_folded,
    close_symbols,
    did_you_mean,
    find_gene,
    gene_lookup_tables,
    ids_are_symbols,
    match_genes,
    names_starting,
    shared_name_note,
)
from core.data.genes import _strip_version as _strip_version
from core.data.gtex import _read_attributes as _read_attributes
from core.data.gtex import gtex_subject, load_gtex
from core.data.inputs import _check_file as _check_file
from core.data.inputs import not_a_table
from core.data.scale import LOG_SCALE_MAX, MAX_EXPRESSION_VALUE, TRANSFORMS
from core.data.sources import (
    SIMULATED_COLUMN,
    exclusion_words,
    is_simulated,
    load_source,
    mark_simulated,
    source_words,
    step_words,
)
from core.data.tables import load_table
from core.data.text_tables import text_table_columns

__all__ = [
    "CLOSE_SYMBOLS",
    "DROPPED_NAMES_KEPT",
    "ExpressionSet",
    "LOG_SCALE_MAX",
    "MAX_EXPRESSION_VALUE",
    "SIMULATED_COLUMN",
    "TRANSFORMS",
    "case_folded",
    "close_symbols",
    "default_label_column",
    "did_you_mean",
    "exclusion_words",
    "find_gene",
    "gene_lookup_tables",
    "gtex_subject",
    "ids_are_symbols",
    "is_simulated",
    "is_text",
    "load_gtex",
    "load_source",
    "load_table",
    "mark_simulated",
    "match_genes",
    "names_starting",
    "not_a_table",
    "shared_name_note",
    "source_words",
    "step_words",
    "text_table_columns",
]
