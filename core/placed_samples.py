"""What is said of samples placed on a map, by ``python -m core embed`` and the dashboard alike:
their own annotations beside the map's answer, how often the map's majority label is their own
label, and new samples that carry the ids of samples of the map."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Training samples consulted for each new sample's majority label on the map.
VOTE_K = 15
#: The label of training samples that have none, counted as a class by ``embed``.
UNLABELLED = "unlabelled"


def read_labels(column: pd.Series, blank: Any) -> np.ndarray:
    """A label column as the protocols read it (:func:`core.analysis.label_codes`):
    names without the spaces around them, 1 and 1.0 one class; ``blank`` for no label."""
    from core.analysis import label_codes

    codes, classes = label_codes(column.to_numpy(dtype=object), len(column))
    names = np.asarray(classes, dtype=object)
    out = np.full(len(column), blank, dtype=object)
    out[codes >= 0] = names[codes[codes >= 0]]
    return out


def first_names(ids: Any, which: np.ndarray, limit: int = 5) -> str:
    """The first ``limit`` of ``ids[which]``, comma-separated, ", ..." when there are more."""
    names = np.asarray(ids).astype(str)[which]
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def same_ids_warning(sample_ids: Any, same: np.ndarray, what: str) -> str:
    """What to say of new samples (``same``: a mask of ``sample_ids``) that have the ids of
    samples of the map (``what``: ``"training "`` or ``""``): each lands on or beside its own
    point, which is then its nearest sample and votes for its label, so that the nearest
    sample, the majority and the agreement with the samples' own labels say little."""
    n = int(np.sum(same))
    one = n == 1
    return (
        f"{n:,} of the new samples {'has' if one else 'have'} the id of a {what}sample of the "
        f"map ({first_names(sample_ids, same)}): if {'it is' if one else 'they are'} the same "
        f"sample{'' if one else 's'}, {'its' if one else 'their'} own point on the map is among "
        f"{'its' if one else 'their'} nearest samples and votes for "
        f"{'its' if one else 'their'} label, so the nearest sample and the majority say little "
        "(place samples the model was not trained on to test it)"
    )


def with_own_annotations(
    table: pd.DataFrame, es: Any, reserved: tuple[str, ...] = ()
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The placed samples' table with the samples' own annotations after it (their tissue
    beside the map's majority: the matrix's annotation columns, ``--annotations`` or
    ``--gtex-attributes``), and each annotation's name in it: a name the table has already,
    or one of ``reserved``, gets ``sample_`` before it."""
    samples = getattr(es, "samples", None)
    if not isinstance(samples, pd.DataFrame) or not len(samples.columns):
        return table, {}
    own = samples.reset_index(drop=True)
    ids = np.asarray(es.sample_ids).astype(str).tolist()
    columns: dict[str, np.ndarray] = {}
    names: dict[str, str] = {}
    for col in own.columns:
        values = own[col]
        if values.astype(str).to_numpy().tolist() == ids:
            continue  # the sample ids again
        name = str(col)
        while name in table.columns or name in columns or name in reserved:
            name = f"sample_{name}"
        columns[name] = values.to_numpy()
        names[str(col)] = name
    if not columns:
        return table, {}
    return pd.concat([table, pd.DataFrame(columns, index=table.index)], axis=1), names


def agreement_line(
    majority: pd.Series,
    truth: np.ndarray,
    known: np.ndarray,
    labels: np.ndarray | None,
    label: str,
    own: str,
    of: str = "training samples",
    k: int = VOTE_K,
) -> str:
    """How often the majority label of the nearest training samples is the new samples' own.
    Samples of a class that no training sample has (GTEx Brain, left out of training by
    default) cannot be named right by any place: counted apart, and named, so that the share
    is not read as a bad placement."""
    trained = {str(t) for t in (labels if labels is not None else []) if t != UNLABELLED}
    absent = known & ~np.isin(truth.astype(str), list(trained))
    scored = known & ~absent
    k = min(k, len(labels)) if labels is not None else k  # (a small study has fewer)
    head = f"the majority {label} of the {k} nearest {of}"
    agree = ""
    if scored.any():
        n_agree = int(np.sum(majority.to_numpy()[scored] == truth[scored]))
        n_scored = int(scored.sum())
        agree = (
            f"{head} is the sample's own {own} for {n_agree:,} of {n_scored:,} labelled "
            f"samples ({n_agree / n_scored:.0%})"
        )
    if not absent.any():
        return agree
    classes = sorted({str(t) for t in truth[absent]})
    shown = ", ".join(classes[:5]) + (", ..." if len(classes) > 5 else "")
    lacking = (
        f"{int(absent.sum()):,} of the {int(known.sum()):,} labelled samples are of {own} "
        f"{shown}, which no training sample has, so no place on the map can name it"
    )
    return f"{agree}; {lacking}" if agree else f"{head} is not measured: {lacking}"
