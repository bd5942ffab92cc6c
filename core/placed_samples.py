"""What is said of samples placed on a map, by ``python -m core embed`` and the dashboard alike:
their own annotations beside the map's answer, how often the map's majority label is their own
label, and new samples that carry the ids of samples of the map."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

#: Training samples consulted for each new sample's majority label on the map.
VOTE_K = 15
#: The label of training samples that have none, counted as a class by ``embed``.
UNLABELLED = "unlabelled"
#: The placed samples' column that says a sample fits the model far worse than its training
#: samples (:func:`poor_fits`): the last column of embed's table and of the page's CSV file.
POOR_FIT = "poor_fit"


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


class PoorFits(NamedTuple):
    """What :func:`poor_fits` tells of placed samples."""

    #: a mask of the samples: True for one that fits the model far worse than its training
    #: samples
    samples: np.ndarray
    #: the model's training fit error (the last of its ``history_``; NaN without one)
    trained_error: float
    #: the median fit error of the samples counted is itself far above the training error
    #: (:meth:`~core.estimator.FactorizedEmbeddings.fit_error_warning` of their errors alone):
    #: the warning of the median says it of them all, and they are not named again
    median_far: bool
    #: the factor over the training error (:data:`core.value_scales.POOR_FIT_FACTOR`)
    factor: float


def poor_fits(model: Any, errors: Any, counted: Any) -> PoorFits:
    """The placed samples that fit ``model`` far worse than its training samples (a typo, one
    sample in raw counts among log values, which the median fit error does not show): a fit
    error (``errors``, one per sample, NaN for a sample not placed) above
    :data:`core.value_scales.POOR_FIT_FACTOR` times the model's training fit error, among the
    samples of the mask ``counted`` (not those left blank, nor those 0 for every model gene
    they have, which are said apart). ``python -m core embed`` and the dashboard both mark
    samples by it, so that the two mark the same ones. None is marked for a model without a
    training fit error (``history_``)."""
    from core.value_scales import POOR_FIT_FACTOR

    errors = np.asarray(errors, dtype=np.float64)
    counted = np.asarray(counted, dtype=bool)
    history = getattr(model, "history_", None) or []
    trained = float(history[-1]) if len(history) else float("nan")
    poor = np.zeros(len(errors), dtype=bool)
    if trained > 0:
        with np.errstate(invalid="ignore"):
            poor = counted & (errors > POOR_FIT_FACTOR * trained)
    check = getattr(model, "fit_error_warning", None)
    far = bool(check is not None and counted.any() and check(errors[counted]) is not None)
    return PoorFits(poor, trained, far, POOR_FIT_FACTOR)


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


#: Values that differ by less than ``COPY_RTOL * |value| + COPY_ATOL`` are read as equal when
#: new samples are compared with the map's (float32 keeps 7 significant digits; a table
#: written with 6, as ``embed`` writes its own, differs by at most 5e-6 of the value).
COPY_RTOL = 1e-5
COPY_ATOL = 1e-6
#: Rows of the map's matrix read at a time when its keys are computed (no full-size copy).
_COPY_BLOCK = 2048


def copies_of_map(
    new_values: np.ndarray,
    map_values: np.ndarray,
    map_columns: np.ndarray | None = None,
    rtol: float = COPY_RTOL,
    atol: float = COPY_ATOL,
) -> np.ndarray:
    """For each new sample, a sample of the map with the same values, or -1.

    Parameters
    ----------
    new_values
        (n_new, n_cols): the new samples' values on the map's scale (the same transform), NaN
        where missing.
    map_values
        (n_map, n_map_genes): the map's samples' values, NaN where missing.
    map_columns
        (n_cols,): the column of ``map_values`` of each column of ``new_values`` (default: the
        same columns, in the same order).

    Returns
    -------
    numpy.ndarray
        (n_new,) int64: the row of ``map_values`` (the first, when several) whose values equal
        the new sample's on the genes the new sample has (``|a - b| <= atol + rtol * |a|``);
        -1 where none does, and for samples with fewer than two non-zero values (an empty
        library is said apart). Each sample is compared through one number, its values'
        weighted sum, looked up among the map's sorted sums: no (n_new, n_map) distances.
    """
    new_values = np.asarray(new_values, dtype=np.float64)
    if new_values.ndim != 2:
        raise ValueError(f"new_values must be 2-D, got shape {new_values.shape}")
    columns = (
        np.arange(new_values.shape[1]) if map_columns is None else np.asarray(map_columns, int)
    )
    if columns.shape != (new_values.shape[1],):
        raise ValueError(
            f"map_columns has {columns.size} entries for {new_values.shape[1]} columns"
        )
    out = np.full(new_values.shape[0], -1, dtype=np.int64)
    observed = np.isfinite(new_values)
    informative = (np.nan_to_num(new_values) != 0).sum(axis=1) >= 2
    if not informative.any() or not len(map_values):
        return out
    weights = np.random.default_rng(0).uniform(0.5, 1.5, new_values.shape[1])
    rows = np.flatnonzero(informative)
    patterns, group = np.unique(np.packbits(observed[rows], axis=1), axis=0, return_inverse=True)
    group = np.asarray(group).reshape(-1)
    for g, pattern in enumerate(patterns):
        keep = np.unpackbits(pattern)[: new_values.shape[1]].astype(bool)
        cols, w = columns[keep], weights[keep]
        keys = np.concatenate(
            [
                np.asarray(map_values[s : s + _COPY_BLOCK][:, cols], np.float64) @ w
                for s in range(0, len(map_values), _COPY_BLOCK)
            ]
        )  # (a map sample missing one of these genes gets NaN: never a copy)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        for i in rows[group == g]:
            x = new_values[i, keep]
            slack = float(np.sum(w * (2 * atol + 2.5 * rtol * np.abs(x))))
            key = float(x @ w)
            lo = np.searchsorted(ordered, key - slack, side="left")
            hi = np.searchsorted(ordered, key + slack, side="right")
            if hi <= lo:
                continue
            found = np.sort(order[lo:hi])
            near = np.asarray(map_values[found][:, cols], np.float64)
            same = (np.abs(near - x) <= atol + rtol * np.abs(x)).all(axis=1)
            if same.any():
                out[i] = found[int(np.argmax(same))]
    return out


def copies_in(
    es: Any, usable: np.ndarray, map_values: np.ndarray, map_gene_ids: Any, map_symbols: Any
) -> np.ndarray:
    """:func:`copies_of_map` of the samples of ``es`` (an expression set on the map's scale),
    on its genes marked ``usable`` (the model's genes) that the map's matrix has
    (``map_gene_ids``, ``map_symbols``: its columns; matched as the placement matches genes,
    :func:`core.data.match_genes`)."""
    from core.data import match_genes

    rows = match_genes(map_gene_ids, map_symbols, es.gene_ids, es.gene_symbols)
    cols = np.flatnonzero((rows >= 0) & np.asarray(usable, bool))
    if not cols.size:
        return np.full(es.n_samples, -1, dtype=np.int64)
    return copies_of_map(np.asarray(es.values)[:, cols], map_values, rows[cols])


def copies_warning(sample_ids: Any, map_ids: Any, copy_of: np.ndarray) -> str | None:
    """What to say of new samples that have the same values as samples of the map under
    another id (``copy_of``: :func:`copies_of_map`, rows of ``map_ids``), or None: each is
    placed at or next to its own point (the placement fits it again: a point of the map 0.001
    away may be nearer than its own, 0.006 away, on GTEx), and the agreement it adds is
    trivially right. (Those under the map sample's own id: :func:`same_ids_warning`.)"""
    ids = np.asarray(sample_ids).astype(str)
    names = np.asarray(map_ids).astype(str)
    found = np.asarray(copy_of) >= 0
    which = np.flatnonzero(found)
    which = which[ids[which] != names[np.asarray(copy_of)[which]]]
    if not which.size:
        return None
    n, one = which.size, which.size == 1
    pairs = [f"{ids[i]} = {names[copy_of[i]]}" for i in which[:3]]
    shown = ", ".join(pairs) + (", ..." if n > 3 else "")
    return (
        f"{n:,} of the {len(ids):,} samples {'has' if one else 'have'} the same values as "
        f"{'a sample' if one else 'samples'} of the map ({shown}): "
        f"{'it is' if one else 'each is'} placed at or next to its own point on the map, so "
        "the nearest samples and the majority say little (place samples the model was not "
        "trained on to test it)"
    )


#: Fingerprint of the training samples that a model keeps (:func:`copy_keys`): the model's
#: genes fall in this many blocks, each summed with its own weights.
COPY_KEY_BLOCKS = 16
#: Seed of the blocks and weights of :func:`copy_keys` (recorded with the keys).
COPY_KEY_SEED = 20261206
#: How many standard deviations of a copy's summed differences its keys may be apart
#: (:func:`copies_of_keys`): a copy is missed with a probability below ``2 exp(-10**2 / 2)``
#: (4e-22) per key.
COPY_KEY_SIGMAS = 10.0
#: Rows of a matrix whose keys are computed at a time (float64 copies of them only).
_KEY_ROWS = 256


def copy_key_layout(n_genes: int, seed: int, n_blocks: int) -> np.ndarray:
    """(n_genes, blocks) float64: each gene's weight in its block (0 in the others), the genes
    dealt at random into ``min(n_blocks, n_genes)`` blocks, each weight a random sign times a
    size uniform in [0.5, 1.5] (:func:`copy_keys`)."""
    rng = np.random.default_rng(seed)
    blocks = max(1, min(n_blocks, n_genes))
    block = rng.permutation(n_genes) % blocks
    layout = np.zeros((n_genes, blocks))
    layout[np.arange(n_genes), block] = rng.uniform(0.5, 1.5, n_genes) * rng.choice(
        [-1.0, 1.0], n_genes
    )
    return layout


def _block_sums(
    values: np.ndarray, layout: np.ndarray, tolerance: tuple[float, float] | None = None
) -> tuple[np.ndarray, ...]:
    """(rows, blocks) float64 sums of ``values`` times the weights of :func:`copy_key_layout`
    over each block, by blocks of rows (no float64 copy of the whole). With ``tolerance``
    ``(rtol, atol)``, also each block's sum of ``(w_j t_j)**2`` (``t_j = atol + rtol |x_j|``)
    and of ``|w_j x_j|``."""
    sums, spread, size = [], [], []
    squares = layout**2
    for s in range(0, len(values), _KEY_ROWS):
        part = np.asarray(values[s : s + _KEY_ROWS], np.float64)
        sums.append(part @ layout)
        if tolerance is not None:
            rtol, atol = tolerance
            magnitude = np.abs(part)
            size.append(magnitude @ np.abs(layout))
            spread.append(
                atol**2 * squares.sum(axis=0)
                + (2 * atol * rtol) * (magnitude @ squares)
                + rtol**2 * ((magnitude * magnitude) @ squares)
            )
    empty = np.empty((0, layout.shape[1]))
    stacked = [np.concatenate(p) if p else empty for p in (sums, spread, size)]
    return tuple(stacked) if tolerance is not None else (stacked[0],)


def copy_keys(
    values: np.ndarray, seed: int = COPY_KEY_SEED, n_blocks: int = COPY_KEY_BLOCKS
) -> np.ndarray:
    """The fingerprint a model keeps of its training samples, to tell copies of them among new
    samples without their values (:func:`copies_of_keys`).

    ``values`` (n_samples, n_genes): the training values as the model was given them, on the
    scale new samples are compared on (before the model's own gene scaling), in the model's
    gene order. The genes are dealt at random into ``n_blocks`` blocks; each sample's key in a
    block is the sum of its values there, each gene weighted by a random sign times a size
    uniform in [0.5, 1.5] (fixed by ``seed``). Returns (n_samples, n_blocks) float64: 128 bytes
    a sample for 16 blocks (2.2 MB for GTEx's 17,382 samples). NaN for a sample with a missing
    value: it is never found as a copy (as it is not when its values are read again).
    """
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"values must be 2-D, got shape {values.shape}")
    return _block_sums(values, copy_key_layout(values.shape[1], seed, n_blocks))[0]


def copies_of_keys(
    new_values: np.ndarray,
    keys: np.ndarray,
    seed: int = COPY_KEY_SEED,
    rtol: float = COPY_RTOL,
    atol: float = COPY_ATOL,
) -> np.ndarray:
    """For each new sample, a training sample whose :func:`copy_keys` it has, or -1: what
    :func:`copies_of_map` finds, told from the fingerprint a model keeps instead of its values.

    Parameters
    ----------
    new_values
        (n_new, n_genes): the new samples' values on every model gene, in the model's order, on
        the scale of the keys. A sample missing one (NaN) is not looked for here (-1), nor one
        with fewer than two non-zero values (as in :func:`copies_of_map`).
    keys
        (n_map, n_blocks): :func:`copy_keys` of the training samples, made with ``seed``.

    Returns
    -------
    numpy.ndarray
        (n_new,) int64: the row of ``keys`` (the first, when several) whose key in every block
        is within the block's slack of the new sample's; -1 where none is.

    Notes
    -----
    A copy differs from its training sample by ``d``, with ``|d_j| <= atol + rtol * |x_j|``
    (``t_j``, ``x`` the new values: :func:`copies_of_map`'s equality). Its key in a block then
    differs by ``sum(w_j d_j)``, a sum of terms whose signs are the weights' random signs,
    drawn independently of the data: by Hoeffding's inequality it exceeds
    ``COPY_KEY_SIGMAS * sqrt(sum((w_j t_j)**2))`` with a probability below 4e-22, whatever the
    differences (rounding to 6 significant digits, truncation, float32). That is each block's
    slack (plus 1e-12 of the sum of ``|w_j x_j|`` for float64 rounding).

    With no values to verify, a near-copy is found whenever it is within that slack in every
    block: one gene changed by ``delta`` moves one block's key by ``|w_j delta| >= delta / 2``,
    so it is told apart for sure when ``delta`` exceeds twice the slack, about ``2e-4`` times
    the norm of the sample's values in that block. On the 26 GTEx tissues (460 genes of log2
    values, 29 a block), the middle non-zero value of each of the 520 samples moved by 1% is
    told apart; on 56,200 genes (3,500 a block) of values uniform in [0, 4], a 1% change of a
    value below about 1.5 is not: a sample of the map then named as the near-copy's is all
    but the same sample (reading the values again tells them apart). A sample that differs
    in many genes (another sample, values scaled by 1.001) moves each block's key by about
    the norm of its differences in the block, far past the slack: all 16 blocks would have to
    fall within it by chance.
    """
    new_values = np.asarray(new_values)  # (made float64 by blocks of rows)
    keys = np.asarray(keys, dtype=np.float64)
    if new_values.dtype.kind not in "fiub":
        raise ValueError(f"new_values must be numbers, got {new_values.dtype}")
    if new_values.ndim != 2 or keys.ndim != 2:
        raise ValueError(
            f"new_values and keys must be 2-D, got shapes {new_values.shape} and {keys.shape}"
        )
    out = np.full(new_values.shape[0], -1, dtype=np.int64)
    layout = copy_key_layout(new_values.shape[1], seed, keys.shape[1])
    if layout.shape[1] != keys.shape[1]:
        raise ValueError(
            f"keys of {keys.shape[1]} blocks for {new_values.shape[1]} genes (at most "
            f"{layout.shape[1]} blocks)"
        )
    complete = np.isfinite(new_values).all(axis=1)
    informative = (np.nan_to_num(new_values) != 0).sum(axis=1) >= 2
    rows = np.flatnonzero(complete & informative)
    if not rows.size or not len(keys):
        return out
    mine, spread, size = _block_sums(new_values[rows], layout, (rtol, atol))
    slack = COPY_KEY_SIGMAS * np.sqrt(spread) + 1e-12 * size
    # candidates from the keys' total (its slack: that of the sum of all genes), then every block
    total = keys.sum(axis=1)
    sorted_at = np.argsort(total, kind="stable")
    ordered = total[sorted_at]
    reach = COPY_KEY_SIGMAS * np.sqrt(spread.sum(axis=1)) + 1e-12 * size.sum(axis=1)
    lo = np.searchsorted(ordered, mine.sum(axis=1) - reach, side="left")
    hi = np.searchsorted(ordered, mine.sum(axis=1) + reach, side="right")
    for i in np.flatnonzero(hi > lo):
        found = np.sort(sorted_at[lo[i] : hi[i]])
        same = (np.abs(keys[found] - mine[i]) <= slack[i]).all(axis=1)
        if same.any():
            out[rows[i]] = found[int(np.argmax(same))]
    return out
