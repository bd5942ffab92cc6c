"""How :meth:`core.estimator.FactorizedEmbeddings.transform` places new samples on a fitted map:
its settings (:class:`TransformConfig`), new samples' nearest training samples in the space of
the neighbour graph, and the grid search then gradient refinement of models trained without
the regulariser.

Other modules import these names from ``core.estimator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.errors import ModelError
from core.model import FactorizedEmbedding, as_int
from core.train import ResidentMatrix, best_grid_point, grid_points, refine_coordinates


@dataclass(frozen=True)
class TransformConfig:
    """How new samples are placed (:meth:`FactorizedEmbeddings.transform`).

    Parameters
    ----------
    steps
        Gradient steps refining each new sample's coordinate after the grid search (models
        trained without the neighbour regulariser).
    lr
        Learning rate of those steps.
    grid_size
        Points per side of the search grid.
    neighbour_steps
        Gradient steps refining each new sample's coordinate from the place of its nearest
        training samples (models with the regulariser, the default). That start is already
        close: on held-out GTEx samples (600 of acmg59; 104 of the 26-tissue set) 25 steps
        place them as well as 100 (nearest training sample of their tissue 0.947 vs 0.943;
        0.933 vs 0.923; same fit error) in a quarter of the time
        (``tests/benchmarks/RESULTS.md``).
    """

    steps: int = 100
    lr: float = 0.02
    grid_size: int = 96
    neighbour_steps: int = 25

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", as_int(self.steps, "transform steps"))
        object.__setattr__(
            self, "neighbour_steps", as_int(self.neighbour_steps, "transform neighbour_steps")
        )
        object.__setattr__(self, "grid_size", as_int(self.grid_size, "transform grid_size"))
        lr = self.lr
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating, np.integer)):
            raise ModelError(f"transform lr must be a number, got {lr!r}")
        object.__setattr__(self, "lr", float(lr))
        if self.steps < 0 or not (0 < self.lr < float("inf")) or self.grid_size < 2:
            raise ModelError("transform needs steps >= 0, lr > 0 and grid_size >= 2")
        if self.neighbour_steps < 0:
            raise ModelError("transform needs neighbour_steps >= 0")


#: (new sample, training sample) pairs up to which :func:`_reference_neighbours` finds the
#: nearest training samples of complete samples with numpy rather than scikit-learn.
NUMPY_NEIGHBOUR_PAIRS = 1 << 25


def _reference_neighbours(
    values: np.ndarray, reference: dict[str, np.ndarray], k: int
) -> np.ndarray:
    """Each new sample's ``k`` nearest training samples, (n_new, k) int64, nearest first.

    Distances between a new sample and the training samples' rank-m approximation
    (``mean + basis @ score``) over the new sample's observed genes: with orthonormal ``basis``
    columns and missing genes M, ``|r - B_O z|^2 = |r|^2 - 2 z.(B_O^T r) + z^T (I - B_M^T B_M) z``,
    so missing genes cost a (m x m) matrix per sample, not a pass over the training data.
    Samples with every gene are the case M empty (``|r|^2 - 2 z.(B^T r) + |z|^2``), computed
    the same way up to :data:`NUMPY_NEIGHBOUR_PAIRS` (new, training) pairs, by scikit-learn's
    ``NearestNeighbors`` above: its import took 0.6-0.8 s of a placing of 10 samples, and
    numpy took 0.3-0.6 s more than it for 2,382 samples among 15,000 (the same neighbours, in
    the same order, ``tests/benchmarks/RESULTS.md``).
    """
    basis, scores = reference["basis"].astype(np.float64), reference["scores"].astype(np.float64)
    k = int(max(1, min(k, len(scores) - 1)))  # as the training graph (each sample's k others)
    r = np.asarray(values, dtype=np.float64) - reference["mean"]
    finite = np.isfinite(r)
    complete = finite.all(1)
    idx = np.empty((r.shape[0], k), dtype=np.int64)

    def nearest(rows: np.ndarray, ok: np.ndarray | None, quad: np.ndarray) -> None:
        for start in range(0, rows.size, 256):  # (256, n_train) distances at a time
            block = rows[start : start + 256]
            p = (r[block] if ok is None else np.where(ok, r[block], 0.0)) @ basis
            d = quad[None, :] - 2.0 * (p @ scores.T)
            part = np.argpartition(d, k - 1, axis=1)[:, :k]
            order = np.argsort(np.take_along_axis(d, part, axis=1), axis=1, kind="stable")
            idx[block] = np.take_along_axis(part, order, axis=1)

    if complete.sum() * len(scores) > NUMPY_NEIGHBOUR_PAIRS:
        from sklearn.neighbors import NearestNeighbors

        nn = NearestNeighbors(n_neighbors=k).fit(scores)
        idx[complete] = nn.kneighbors(r[complete] @ basis, return_distance=False)
    elif complete.any():
        nearest(np.flatnonzero(complete), None, (scores * scores).sum(1))
    incomplete = np.flatnonzero(~complete)
    if incomplete.size == 0:
        return idx
    # samples that lack the same genes (a panel, another platform) share one quadratic term
    packed = np.packbits(finite[incomplete], axis=1)
    patterns, group = np.unique(packed, axis=0, return_inverse=True)
    group = np.asarray(group).reshape(-1)
    n_genes = r.shape[1]
    for g, pattern in enumerate(patterns):
        ok = np.unpackbits(pattern)[:n_genes].astype(bool)
        gram = np.eye(basis.shape[1]) - basis[~ok].T @ basis[~ok]
        quad = ((scores @ gram) * scores).sum(1)  # (n_train,)
        nearest(incomplete[group == g], ok, quad)
    return idx


def _place_samples(
    module: FactorizedEmbedding,
    scaled: np.ndarray,
    config: TransformConfig,
    device: torch.device,
) -> tuple[np.ndarray, np.ndarray]:
    """Grid search then gradient refinement of new sample coordinates (network frozen)."""
    data = ResidentMatrix(scaled, device)
    trained = module.sample_embedding.detach()
    candidates = torch.cat(
        [grid_points(trained, config.grid_size), trained[:: max(1, len(trained) // 4096)]]
    )
    best, _ = best_grid_point(module, data.values, data.mask, candidates)
    coords, err = refine_coordinates(
        module, candidates[best], data, config.steps, config.lr, torch_adam=False
    )
    return coords.cpu().numpy(), err.cpu().numpy()
