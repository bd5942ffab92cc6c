"""Sample labels as the protocols read them: aligned to the samples by id, coded as classes
(missing labels left out), and the checks that there are classes to tell apart.
"""

from __future__ import annotations

import logging
import numbers
from typing import Any

import numpy as np
import pandas as pd

from core.errors import CoreError, DataError, first_names

log = logging.getLogger("core.analysis")


def _label_name(value: Any) -> str:
    """One class name per label: 1, 1.0 and "1" are one class (labels read from mixed files);
    surrounding spaces are not part of the name."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        as_float = float(value)
        if as_float.is_integer():
            return str(int(as_float))
    return str(value).strip()


def _sample_ids_of(embedding: Any, labels: Any = None) -> np.ndarray | None:
    """The sample ids of an embedding given as a DataFrame indexed by sample id: an index of
    text. None for an array, or a DataFrame indexed by numbers (its row positions, also after
    a filter kept rows 1, 3, 5...: labels are then used in order, as for an array), unless
    ``labels`` is a Series indexed by the same numbers: those numbers are then ids (numbered
    samples; labels sorted by value were read in their new order)."""
    if not isinstance(embedding, pd.DataFrame):
        return None
    index = embedding.index
    if not pd.api.types.is_numeric_dtype(index.dtype):
        return np.asarray(index).astype(str)
    if isinstance(labels, pd.Series) and not index.has_duplicates:
        ids = np.asarray(index).astype(str)
        named = np.asarray(labels.index).astype(str)
        if len(named) == len(ids) and set(named) == set(ids):
            return ids
    return None


def _row_ids_of(values: Any) -> np.ndarray | None:
    """The sample ids of a matrix's rows: an ExpressionSet's, or the index of text of a
    DataFrame or a Series (one gene); None for an array or an index of numbers."""
    if hasattr(values, "gene_ids") and hasattr(values, "sample_ids"):
        return np.asarray(values.sample_ids).astype(str)
    if isinstance(values, pd.Series):
        values = values.to_frame()
    return _sample_ids_of(values)


def _rows_in_map_order(embedding: Any, values: Any) -> np.ndarray | None:
    """Positions in ``values`` of the embedding's samples, when both name their samples (a
    DataFrame indexed by sample id, an ExpressionSet) and list them in different orders;
    None when the rows are read in order (the same ids, or ids of no shared sample).

    Values of a table sorted otherwise than the map were paired with other samples' places
    without a word; they are now taken by id, and ids the values lack are refused.
    """
    map_ids = _sample_ids_of(embedding)
    value_ids = _row_ids_of(values)
    if map_ids is None or value_ids is None or np.array_equal(map_ids, value_ids):
        return None
    index = pd.Index(value_ids)
    rows = index.get_indexer_for(map_ids) if not index.has_duplicates else None
    if rows is None:
        if not np.isin(map_ids, value_ids).any():
            return None
        repeated = index[index.duplicated()].unique()
        raise DataError(
            f"values' rows repeat sample id(s) {first_names(repeated)}, listed in another order "
            "than the embedding's: one row per sample"
        )
    missing = rows < 0
    if missing.all():
        return None  # (named otherwise: read in order, as before)
    if missing.any():
        raise DataError(
            f"{int(missing.sum()):,} of the embedding's {len(map_ids):,} samples are not rows "
            f"of values ({first_names(map_ids[missing])}): give values of the map's samples"
        )
    return rows


def _aligned_labels(labels: Any, n: int, sample_ids: Any) -> Any:
    """``labels`` (a Series indexed by sample id) in the order of ``sample_ids``.

    Ids without a label entry become unlabelled, with a warning; labels of samples that are not
    in ``sample_ids`` are ignored. Without ``sample_ids`` the labels are used in the order given.
    """
    if sample_ids is None:
        return labels
    ids = np.asarray(sample_ids).astype(str)
    if ids.ndim != 1 or len(ids) != n:
        raise DataError(f"sample_ids has {ids.size} ids but the embedding has {n} samples")
    if isinstance(labels, pd.DataFrame) and labels.shape[1] == 1:
        labels = labels.iloc[:, 0]
    if not isinstance(labels, pd.Series):
        raise CoreError(
            "sample_ids aligns labels given as a pandas Series indexed by sample id, e.g. "
            f"samples['SMTS']; got {type(labels).__name__}, which has no ids (leave sample_ids "
            "out to use the labels in the embedding's order)"
        )
    index = pd.Index(np.asarray(labels.index).astype(str))
    if index.has_duplicates:
        repeated = index[index.duplicated()].unique()
        raise DataError(
            f"labels' index repeats sample id(s) {first_names(repeated)}: one label per sample"
        )
    known = np.isin(ids, index)
    if not known.any():
        raise DataError(
            f"no sample id of the embedding (e.g. {first_names(ids, 2)}) is in the labels' "
            f"index (e.g. {first_names(index, 2)}): are the labels indexed by sample id?"
        )
    if not known.all():
        log.warning(
            "%s of %s samples have no label entry (%s): they are unlabelled",
            f"{int((~known).sum()):,}",
            f"{n:,}",
            first_names(ids[~known]),
        )
    return pd.Series(labels.to_numpy(dtype=object), index=index).reindex(ids).to_numpy(object)


#: What ``str()`` makes of NaN, None and ``pd.NA``: labels turned to text lose their missing
#: values to these words, which no tissue is called.
_MISSING_AS_TEXT = ("nan", "None", "<NA>")


def label_codes(labels: Any, n: int, sample_ids: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of labels (-1 for missing) and the class names; labels given as a Series
    are put in the order of ``sample_ids`` when they are given (:func:`_aligned_labels`)."""
    if isinstance(labels, str):  # (a column's name: the labels are its values)
        raise DataError(
            f"labels is the text {labels!r}: give one label per sample, e.g. a column of the "
            f"sample annotations (es.samples[{labels!r}])"
        )
    arr = np.asarray(_aligned_labels(labels, n, sample_ids), dtype=object)
    if arr.ndim == 2 and arr.shape[1] == 1:  # one column of a table
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(f"labels must be one label per sample (n_samples,), got shape {arr.shape}")
    series = pd.Series(arr)
    if len(series) != n:
        raise DataError(f"labels has {len(series)} entries but the embedding has {n} samples")
    text = series.astype(str).str.strip()
    # blank, or a missing value turned to text (``astype(str)`` writes NaN as "nan")
    missing = series.isna() | (text == "") | text.isin(_MISSING_AS_TEXT)
    codes = np.full(n, -1, dtype=np.int64)
    if (~missing).any():
        c, classes = pd.factorize(series[~missing].map(_label_name), sort=True)
        codes[~missing.to_numpy()] = c
    else:
        classes = pd.Index([])
    return codes, np.asarray(classes, dtype=str)


def label_classes(labels: Any) -> np.ndarray:
    """The classes of ``labels`` as the classifiers here count them: blanks and NaN missing,
    ``1`` and ``"1"`` one class (sorted, as text)."""
    labels = np.asarray(labels, dtype=object)
    return label_codes(labels, len(labels))[1]


def _check_two_classes(classes: np.ndarray) -> None:
    """DataError for labels of fewer than two classes: every split would score 1.0 (one
    class) or there would be no split at all (no label)."""
    if not len(classes):
        raise DataError(
            "labels have no class: every label is missing (NaN, None or empty), nothing to classify"
        )
    if len(classes) < 2:
        raise DataError(
            f"labels have 1 class ({classes[0]}): nothing to classify (every classifier would "
            "score 1.0)"
        )
