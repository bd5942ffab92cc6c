"""What :meth:`core.estimator.FactorizedEmbeddings.fit` is given, checked: an expression set
(or an array or DataFrame made into one), its samples' annotations by id, training values
without infinite values or empty samples and genes, settings that must be numbers, the
epochs of a checkpoint to resume, and the first ids named in an error.

Warnings are logged to the ``core.estimator`` logger, as the estimator's own. Other modules
import these names from ``core.estimator``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.data import LOG_SCALE_MAX, ExpressionSet
from core.data.orientation import (
    _SAMPLE_ID_RE,
    _by_shares,
    _entrez_like,
    _gene_id_share,
    _gene_name_share,
    _share,
    _shown_names,
)
from core.errors import DataError, ModelError
from core.train import load_checkpoint

# the estimator's messages, wherever their code is written
log = logging.getLogger("core.estimator")


#: Labels of an axis looked at to tell whether a DataFrame's genes are in its rows (spread
#: over the axis): a few thousand strings, whatever the size of the table.
_LABELS_LOOKED_AT = 1000


def _some_labels(labels: pd.Index) -> list[str]:
    """Up to :data:`_LABELS_LOOKED_AT` of ``labels``, spread evenly, as strings."""
    if len(labels) > _LABELS_LOOKED_AT:
        labels = labels[np.linspace(0, len(labels) - 1, _LABELS_LOOKED_AT).astype(int)]
    return [str(label) for label in labels]


def _check_genes_not_in_rows(frame: pd.DataFrame, what: str) -> None:
    """A :class:`DataError` when ``frame`` seems to hold genes in rows and samples in columns:
    most of its row labels read as genes (Ensembl or other ids by their form, or known gene
    symbols, as :mod:`core.data.orientation` tells them when a table is read) and at most half
    as large a share of its column labels. Only labels are looked at (a sample of them), never
    values. A DataFrame whose row labels are its column labels, read as genes, is a gene x
    gene matrix: refused too. Row labels that read as sample ids (GTEx, TCGA, GSM...),
    numbered rows and columns of whole numbers (Entrez ids) are taken as they are given."""
    if len(frame.index) < 2 or frame.index.dtype.kind in "biuf":
        return
    rows, cols = _some_labels(frame.index), _some_labels(frame.columns)
    # a gene x gene matrix (correlations) has its genes on both axes: no samples at all
    same = len(frame.index) == len(frame.columns) and frame.index.astype(str).equals(
        frame.columns.astype(str)
    )
    if same and _gene_name_share(rows) > 0.5:
        raise DataError(
            f"{what}: the DataFrame's row labels are its column labels, genes (e.g. "
            f"{_shown_names(rows)}): a gene x gene matrix (correlations?), not samples x genes"
        )
    if _share(rows, lambda n: bool(_SAMPLE_ID_RE.match(n))) > 0.5:
        return  # (before the gene symbols are read: the common case costs nothing)
    if _gene_id_share(cols) > 0.5 or _entrez_like(cols):
        return
    in_rows, in_cols = _gene_name_share(rows), _gene_name_share(cols)
    if _by_shares(in_rows, in_cols, "genes_x_samples", "gene names")[0] == "genes_x_samples":
        raise DataError(
            f"{what}: the DataFrame's genes seem to be in rows: {in_rows:.0%} of its row labels "
            f"read as genes (e.g. {_shown_names(rows)}), {in_cols:.0%} of its column labels "
            f"(e.g. {_shown_names(cols)}); pass df.T, with samples as rows and genes as "
            "columns (or an ExpressionSet to keep it as it is)"
        )


def _as_expression_set(es, what: str, genes_in_rows_checked: bool = False):
    """``es`` when it is an :class:`~core.data.ExpressionSet` (or quacks like one), a
    (n_samples, n_genes) array or DataFrame wrapped in one, else a :class:`ModelError`.

    A DataFrame's index gives the sample ids and its columns the gene ids (or symbols), one
    level each (a MultiIndex is refused, naming its levels); a Series indexed by gene is one
    sample (its name the sample's id: ``df.loc["S1"]``); an array gets ids ``sample_0...`` and
    ``gene_0...``. The values are read as float32. With ``genes_in_rows_checked`` a DataFrame
    whose row labels read as genes and whose column labels do not is refused
    (:func:`_check_genes_not_in_rows`, a :class:`DataError`): ``fit`` would learn its genes as
    samples without a word.
    """
    if isinstance(es, pd.Series) and not isinstance(es.index, pd.RangeIndex):
        name = es.name if es.name is not None else "sample_0"
        es = es.to_frame(name=str(name)).T
    if isinstance(es, pd.DataFrame):
        for axis, items in (("columns", "genes"), ("index", "samples")):
            labels = getattr(es, axis)
            if isinstance(labels, pd.MultiIndex):  # (pandas' own TypeError said nothing of it)
                level = labels.names[0] if labels.names[0] is not None else 0
                raise ModelError(
                    f"{what}: the DataFrame's {axis} have {labels.nlevels} levels "
                    f"({', '.join(str(n) for n in labels.names)}): name its {items} by one id "
                    f"each, e.g. df.{axis} = df.{axis}.get_level_values({level!r})"
                )
        if genes_in_rows_checked:
            _check_genes_not_in_rows(es, what)
        return ExpressionSet.from_array(
            es, sample_ids=es.index.astype(str), gene_ids=es.columns.astype(str)
        )
    if isinstance(es, np.ndarray):
        return ExpressionSet.from_array(es)
    if not all(hasattr(es, name) for name in ("values", "sample_ids", "gene_ids", "gene_symbols")):
        raise ModelError(
            f"{what} takes an ExpressionSet (core.data), a numpy array or a DataFrame of "
            f"samples x genes, got {type(es).__name__}"
        )
    values = es.values
    if not isinstance(values, np.ndarray) or values.ndim != 2:
        raise ModelError(
            f"{what}: values must be a 2-D (n_samples, n_genes) array, "
            f"got {getattr(values, 'shape', type(values).__name__)}"
        )
    if values.dtype.kind not in "biuf":
        raise ModelError(f"{what}: values must be numeric, got dtype {values.dtype}")
    n_samples, n_genes = values.shape
    if len(es.sample_ids) != n_samples or len(es.gene_ids) != n_genes:
        raise ModelError(
            f"{what}: {len(es.sample_ids)} sample ids and {len(es.gene_ids)} gene ids for a "
            f"{n_samples} x {n_genes} matrix"
        )
    if len(es.gene_symbols) != n_genes:
        raise ModelError(f"{what}: {len(es.gene_symbols)} gene symbols for {n_genes} genes")
    return es


def _samples_by_id(es: Any) -> pd.DataFrame | None:
    """A copy of ``es.samples`` indexed by the sample ids, as :meth:`FactorizedEmbeddings.save`
    writes them and ``load`` checks them. Annotations replaced by hand (``es.samples =
    es.samples.reset_index()``) were saved as they were, and the saved model could not be
    loaded: rows in matrix order are given the ids, rows by id are put in the set's order."""
    samples = getattr(es, "samples", None)
    if samples is None:
        return None
    names = pd.Index([str(c) for c in samples.columns])
    if names.has_duplicates:  # (samples.parquet cannot hold them: found by the save, too late)
        twice = ", ".join(repr(c) for c in names[names.duplicated()].unique()[:3])
        raise ModelError(
            f"the samples' annotations name the column(s) {twice} more than once: rename "
            "or drop the copies"
        )
    ids = pd.Index(np.asarray(es.sample_ids).astype(str), name=samples.index.name or "sample_id")
    index = samples.index.astype(str)
    if index.equals(ids):
        return samples.copy()
    if not index.has_duplicates and ids.isin(index).all():
        return samples.set_axis(index).reindex(ids).rename_axis(ids.name)
    if isinstance(samples.index, pd.RangeIndex) and len(samples) == len(ids):
        return samples.set_axis(ids)
    raise ModelError(
        f"the samples' annotations ({len(samples)} rows) are indexed neither by the "
        f"{len(ids)} sample ids (e.g. {index[:2].tolist()}) nor in the matrix's order: set "
        "their index to the sample ids"
    )


def _check_training_values(values: np.ndarray, es, standardize: str = "none") -> None:
    """No infinite value, and every sample and every gene observed (non-NaN) at least once.

    A sample without any value would be placed by nothing but its random start, a gene
    without any by nothing at all; both are refused (:class:`ModelError`) rather than learned
    silently. Values above :data:`core.data.LOG_SCALE_MAX` (counts or TPM, not a log scale)
    are warned of: the model trains, fitting them as they are (or as ``standardize`` scales
    them). Scans ``values`` (n_samples, n_genes) by blocks of rows.
    """
    n_samples, n_genes = values.shape
    empty_rows = np.zeros(n_samples, bool)
    seen_genes = np.zeros(n_genes, bool)
    top = np.full(n_genes, -np.inf, dtype=np.float32)
    step = max(1, (1 << 24) // max(1, n_genes))
    for start in range(0, n_samples, step):
        block = values[start : start + step]
        if np.isinf(block).any():
            raise ModelError(
                "the matrix holds infinite values; log-transform counts before training"
            )
        observed = ~np.isnan(block)
        empty_rows[start : start + step] = ~observed.any(1)
        seen_genes |= observed.any(0)
        np.fmax(top, np.nanmax(block, axis=0, initial=-np.inf), out=top)
    if empty_rows.any():
        raise ModelError(
            f"{int(empty_rows.sum())} sample(s) have no observed (non-NaN) value for any of the "
            f"{n_genes:,} genes ({_named(es.sample_ids, empty_rows)}): nothing places them on "
            "the map; remove them"
        )
    if not seen_genes.all():
        raise ModelError(
            f"{int((~seen_genes).sum())} gene(s) have no observed (non-NaN) value in any sample "
            f"({_named(es.gene_ids, ~seen_genes)}): nothing to learn them from; remove them "
            "(ExpressionSet.drop_zero_genes)"
        )
    if top.size and top.max() > LOG_SCALE_MAX:
        high = top > LOG_SCALE_MAX
        how = (
            "as they are, with errors on that scale"
            if standardize == "none"
            else f"scaled per gene ({standardize}), where a few very high values weigh most"
        )
        log.warning(
            "values up to %.4g (gene %s%s) look like counts or TPM, not a log scale: the model "
            "fits them %s. Log-transform them first: numpy.log10(values + 1), "
            "load_table(..., transform='log10p1'), or --transform log10p1 on the command line",
            float(top.max()),
            _named(es.gene_symbols, np.arange(n_genes) == int(np.argmax(top))),
            f" and {int(high.sum()) - 1:,} more of the {n_genes:,}" if high.sum() > 1 else "",
            how,
        )


def _named(ids: np.ndarray, which: np.ndarray, limit: int = 5) -> str:
    """The first ``limit`` of ``ids[which]``, comma-separated, "..." when there are more."""
    names = [str(x) for x in np.asarray(ids)[which][: limit + 1]]
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def _optional_float(value, name: str) -> float | None:
    """``value`` as a float (None stays None); anything but a real number is a ModelError."""
    if value is None:
        return None
    real = (int, float, np.integer, np.floating)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, real):
        raise ModelError(f"{name} must be a number, got {value!r}")
    return float(value)


def _checkpoint_epochs(checkpoint: str | Path | None) -> int | None:
    """The epochs the run that wrote ``checkpoint`` was set for, None when there is no
    checkpoint there or it does not say (a damaged one is refused by the training that
    resumes it)."""
    if checkpoint is None or not Path(checkpoint).is_file():
        return None
    trained = load_checkpoint(checkpoint).get("train_config")
    epochs = trained.get("epochs") if isinstance(trained, dict) else None
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        return None
    return epochs
