"""How placed samples fit the model: the factors of the fit-error warnings, the fewest genes a
place is trusted from, and the samples' value scales (their values against the profiles the
model decodes at their places), which tell log values of another base.

Used by :class:`core.estimator.FactorizedEmbeddings` (``transform``, ``value_scales``,
``fit_error_warning``). Other modules import these names from ``core.estimator``.
"""

from __future__ import annotations

import numpy as np
import torch

from core.model import FactorizedEmbedding

#: Placed samples whose median fit error exceeds this many times the final training loss are
#: flagged (:meth:`FactorizedEmbeddings.fit_error_warning`). On GTEx 26 tissues, 104 held-out
#: samples in the training units fit at 0.98x; the same values halved (what a log2 model is
#: given as log10 x 1.66, or ln values as log2 x 0.69) at 4.7x, with the tissue of their 15
#: nearest training samples right for 0.36 of them instead of 0.92 (tests/benchmarks/RESULTS.md).
FIT_ERROR_FACTOR = 3.0
#: One placed sample whose fit error exceeds this many times the training loss is named (a
#: typo, a sample in counts): 1 of the 104 held-out samples above, at 3x it would be 3.
POOR_FIT_FACTOR = 5.0
#: Placed samples whose values are, by their median, further than this from the profile the
#: model decodes at their places (:meth:`FactorizedEmbeddings.value_scales`) are warned of:
#: log values of another base. Held-out samples in the training units gave a median of 1.00
#: (26 tissues, 104 samples, each tissue 0.97-1.05) and 0.96 (GTEx acmg59, 60 samples, 40 of
#: Brain, a tissue the model was not trained on); the same values x0.69 (natural log against
#: log2) gave 0.70 and 0.68, while their fit error was only 2.8x the training loss
#: (tests/benchmarks/RESULTS.md).
SCALE_BAND = (0.8, 1.25)
#: The training samples' own scales must spread over less than this factor (their middle 90%)
#: for new samples' to be checked: 1.11 for the default model of the 26 tissues, 1.42 for a
#: small network after 200 epochs, 4.3 after 30 (fit error 3.7: it decodes little).
SCALE_SPREAD = 1.5
#: Factors between log bases, named when a batch's scale is near one: values in base ``given``
#: against a model of base ``trained`` are ``ln(trained) / ln(given)`` times its values.
LOG_BASES = {"log2": 2.0, "natural-log": float(np.e), "log10": 10.0}
#: A sample placed from fewer observed model genes than this (or than half of the model's
#: genes, when it has fewer than twice as many) is named in a warning: its place rests on a
#: handful of values, and its fit error is low all the same (fewer values to miss).
FEW_GENES = 20


def few_genes_limit(n_genes: int) -> int:
    """Samples placed from fewer observed genes than this, of a model of ``n_genes``, are
    named in a warning (:data:`FEW_GENES`)."""
    return min(FEW_GENES, max(1, n_genes // 2))


@torch.no_grad()
def _value_scales(
    module: FactorizedEmbedding,
    coords: np.ndarray,
    values: np.ndarray,
    gene_mean: np.ndarray,
    gene_scale: np.ndarray,
    cells: int | None = None,
) -> np.ndarray:
    """:meth:`FactorizedEmbeddings.value_scales` of ``values`` (n, n_genes) in the training
    units, NaN where missing, placed at ``coords``; decoded ``cells`` values at a time
    (default: 2**18 on a CPU, where blocks of 2**22 took 3 GB and decoded 3x slower, as
    refine_coordinates found of its own; 2**22 on a GPU)."""
    values = np.asarray(values)
    n, n_genes = values.shape
    out = np.full(n, np.nan)
    device = module.sample_embedding.device
    if cells is None:
        cells = 1 << 18 if device.type == "cpu" else 1 << 22
    # a place fitted to a handful of genes fits them whatever their scale (3 genes of 467:
    # panels of held-out samples in the training units gave 1.68x, 0.78x, 0.00x)
    enough = max(3, few_genes_limit(n_genes))
    gene_part = module.gene_part()
    step = max(1, cells // max(1, n_genes))
    for start in range(0, n, step):
        points = torch.as_tensor(np.asarray(coords[start : start + step]), device=device)
        decoded = module.decode(points.to(gene_part.dtype), gene_part).float().cpu().numpy()
        decoded = decoded.astype(np.float64) * gene_scale + gene_mean
        obs = values[start : start + step].astype(np.float64)  # (a block at a time)
        seen = np.isfinite(obs)
        count = seen.sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            o = np.where(seen, obs, 0.0)
            d = np.where(seen, decoded, 0.0)
            o = np.where(seen, o - (o.sum(1) / count)[:, None], 0.0)
            d = np.where(seen, d - (d.sum(1) / count)[:, None], 0.0)
            spread = (d * d).sum(1)
            slope = (o * d).sum(1) / spread
        out[start : start + step] = np.where((count >= enough) & (spread > 0), slope, np.nan)
    return out


def _training_scale(
    module: FactorizedEmbedding,
    values: np.ndarray,
    gene_mean: np.ndarray,
    gene_scale: np.ndarray,
    seed: int,
    at_most: int = 500,
) -> float | None:
    """The median :func:`_value_scales` of (at most ``at_most``) training samples at their own
    places (:attr:`FactorizedEmbeddings.value_scale_`); None when none can be measured or
    they spread over more than :data:`SCALE_SPREAD`."""
    rows = np.arange(values.shape[0])
    if rows.size > at_most:
        rows = np.sort(np.random.default_rng(seed).choice(rows, at_most, replace=False))
    embedding = module.sample_embedding.detach()
    coords = embedding[torch.as_tensor(rows, device=embedding.device)].cpu().numpy()
    scales = _value_scales(module, coords, values[rows], gene_mean, gene_scale)
    scales = scales[np.isfinite(scales)]
    if scales.size == 0:
        return None
    low, high = np.quantile(scales, [0.05, 0.95])
    if not (low > 0 and high / low <= SCALE_SPREAD):
        return None
    return _positive_or_none(np.median(scales))


def _batch_scale(scales) -> tuple[float, tuple[str, str] | None] | None:
    """The median of a batch's :meth:`FactorizedEmbeddings.value_scales` when it is outside
    :data:`SCALE_BAND`, with the pair of log bases (given, trained) whose ratio it is within 15%
    of, if any; None when it is inside, or no scale is known."""
    if scales is None:
        return None
    scales = np.asarray(scales, dtype=np.float64)
    scales = scales[np.isfinite(scales)]
    if scales.size == 0:
        return None
    factor = float(np.median(scales))
    if SCALE_BAND[0] <= factor <= SCALE_BAND[1]:
        return None
    if factor <= 0:
        return factor, None
    gap, given, trained = min(
        (abs(np.log(factor * np.log(b_given) / np.log(b_train))), given, trained)
        for given, b_given in LOG_BASES.items()
        for trained, b_train in LOG_BASES.items()
        if given != trained
    )
    return factor, ((given, trained) if gap < np.log(1.15) else None)


def _times(factor: float) -> str:
    """``0.69x``, ``3.27x``, ``123x``: two decimals below 10, three significant digits above."""
    return f"{factor:.2f}x" if abs(factor) < 10 else f"{factor:.3g}x"


def _positive_or_none(x) -> float | None:
    """``x`` as a float when it is a finite positive number, else None (a flag or a text in a
    damaged config.json too: ``true`` is no scale)."""
    if isinstance(x, (bool, str, bytes)):
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) and x > 0 else None
