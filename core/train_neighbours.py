"""The neighbour graph of the samples and its regulariser of the sample map.

:func:`neighbour_graph` finds each sample's nearest others in expression space (on the leading
principal components, :func:`principal_components`, which also start the map);
:func:`neighbour_loss` pulls a sample towards them on the map and pushes it away from random
samples, with the kernel of :func:`kernel_odds`."""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from core.errors import ModelError


def principal_components(
    values: np.ndarray, n_components: int, seed: int = 0, center_rows: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Randomized PCA of a matrix; NaN read as the gene mean, then as the low-rank fit
    (:data:`PCA_FILL_ROUNDS` rounds); the scores of a row with NaN are then the least-squares
    fit of its observed values alone (:func:`_observed_scores`).

    Parameters
    ----------
    center_rows
        First subtract from each row its mean over its observed entries, set against the
        genes' means over the same entries (:func:`_row_offsets`; see
        :func:`core.estimator.center_rows`).

    Returns
    -------
    (mean, u, s, vt)
        Gene means (n_genes,) (after the row centring, when asked) and the truncated SVD of the
        centred matrix, with ``max(1, min(n_components, min(shape) - 1))`` components.
    """
    from sklearn.utils.extmath import randomized_svd

    values = np.asarray(values)
    step = max(1, (1 << 24) // max(1, values.shape[0]))
    offset = _row_offsets(values, step) if center_rows else np.zeros(values.shape[0], np.float32)
    # one float32 copy in all, filled by blocks of genes (no full-size temporaries)
    x = np.empty(values.shape, dtype=np.float32)
    mean = np.empty(values.shape[1], dtype=np.float32)
    missing = False
    for start in range(0, values.shape[1], step):
        block = values[:, start : start + step].astype(np.float32) - offset[:, None]
        with np.errstate(all="ignore"):
            m = np.nan_to_num(np.nanmean(block, 0))
        mean[start : start + step] = m
        block -= m
        holes = ~np.isfinite(block)
        missing = missing or bool(holes.any())
        block[holes] = 0.0
        x[:, start : start + step] = block
    k = max(1, min(n_components, min(x.shape) - 1))
    u, s, vt = randomized_svd(x, n_components=k, random_state=seed)
    # missing values read as the gene mean pull a sample with many of them to the middle of
    # the components, beside the other such samples (a graph of missingness, not of biology):
    # they are filled with the low-rank fit instead, a few times over (EM-PCA)
    for _ in range(PCA_FILL_ROUNDS if missing else 0):
        for start in range(0, values.shape[1], step):
            holes = ~np.isfinite(values[:, start : start + step])
            if holes.any():
                rows = np.flatnonzero(holes.any(axis=1))
                fit = (u[rows] * s) @ vt[:, start : start + step]
                block = x[rows, start : start + step]
                block[holes[rows]] = fit[holes[rows]]
                x[rows, start : start + step] = block
        u, s, vt = randomized_svd(x, n_components=k, random_state=seed)
    if missing:
        u = _observed_scores(values, x, u, s, vt, step)
    return mean, u, s, vt


def _observed_scores(
    values: np.ndarray, x: np.ndarray, u: np.ndarray, s: np.ndarray, vt: np.ndarray, step: int
) -> np.ndarray:
    """``u`` with each row that has missing values replaced by the least-squares fit of its
    observed values alone: ``z = argmin |x_O - V_O^T z|``, ``u = z / s``.

    A few rounds of EM leave the scores of such rows pulled toward the middle, where the
    values were first filled with the gene means: samples lacking the same genes (a panel
    without them) stayed each other's neighbours. With orthonormal rows of ``vt``,
    ``V_O V_O^T = I - V_M V_M^T``, so a row's normal matrix costs its missing genes, not all
    of them, and rows that lack the same genes (a panel, a platform) share one. The rows with
    holes are found by blocks of ``step`` genes (no full-size mask); their right-hand sides are
    computed by blocks of rows."""
    holed = np.zeros(values.shape[0], bool)
    for start in range(0, values.shape[1], step):
        holed |= ~np.isfinite(values[:, start : start + step]).all(axis=1)
    rows = np.flatnonzero(holed)
    u = u.copy()
    if rows.size == 0:
        return u
    k = len(s)
    basis_t = np.ascontiguousarray(vt.T, dtype=np.float64)  # (genes, k): a hole is one row
    rhs = np.empty((rows.size, k), np.float64)
    keys = []
    row_step = max(1, (1 << 21) // max(1, values.shape[1]))  # float64 blocks of 16 MB
    for at in range(0, rows.size, row_step):
        chunk = rows[at : at + row_step]
        holes = ~np.isfinite(values[chunk])
        rhs[at : at + row_step] = np.where(holes, 0.0, x[chunk]).astype(np.float64) @ basis_t
        keys += [hashlib.blake2b(np.packbits(h).tobytes(), digest_size=16).digest() for h in holes]
    groups: dict[bytes, list[int]] = {}
    for j, key in enumerate(keys):
        groups.setdefault(key, []).append(j)
    members = list(groups.values())
    eye = np.eye(k)
    scale = np.where(s > 0, s, 1.0)
    for at in range(0, len(members), 256):
        batch = members[at : at + 256]
        normal = np.empty((len(batch), k, k))
        for b, group in enumerate(batch):
            vm = basis_t[~np.isfinite(values[rows[group[0]]])]
            normal[b] = eye - vm.T @ vm
        # the least-squares solution through the eigenvalues of each normal matrix, those
        # below 1e-6 of its largest left out (as lstsq's rcond)
        w, q = np.linalg.eigh(normal)
        keep = w > 1e-6 * w[:, -1:]
        inverse = np.where(keep, 1.0 / np.where(keep, w, 1.0), 0.0)
        for b, group in enumerate(batch):
            z = (rhs[group] @ q[b]) * inverse[b] @ q[b].T
            u[rows[group]] = z / scale
    return u


def _row_offsets(values: np.ndarray, step: int) -> np.ndarray:
    """Each row's mean over its observed genes, set against the genes' means over the same
    genes: ``mean_O(x) - mean_O(m) + mean(m)``, with ``m`` the genes' means (as
    :func:`core.estimator.center_rows` with ``gene_mean``; its mean alone for a complete row).

    A sample lacking a set of genes that are high (or low) everywhere is then offset as it
    would be with all of them, not by the genes it happens to lack. By blocks of ``step`` genes.
    """
    n = values.shape[0]
    total = np.zeros(n, np.float64)  # sum of the observed values
    expected = np.zeros(n, np.float64)  # sum of the genes' means over the same genes
    count = np.zeros(n, np.float64)
    means = []
    for start in range(0, values.shape[1], step):
        block = values[:, start : start + step].astype(np.float32)
        seen = np.isfinite(block)
        with np.errstate(all="ignore"):
            m = np.nan_to_num(np.nanmean(block, 0)).astype(np.float64)
        total += np.where(seen, block, 0).sum(1, dtype=np.float64)
        expected += seen @ m
        count += seen.sum(1)
        means.append(m)
    grand = float(np.concatenate(means).mean()) if means else 0.0
    with np.errstate(all="ignore"):
        offset = np.where(count > 0, (total - expected) / np.maximum(count, 1) + grand, 0.0)
    return offset.astype(np.float32)


#: Rounds of filling missing values with the low-rank fit in :func:`principal_components`.
PCA_FILL_ROUNDS = 3


def neighbour_graph(
    values: np.ndarray,
    k: int,
    seed: int = 0,
    n_components: int = 50,
    exact_up_to: int = 20_000,
) -> np.ndarray:
    """Each sample's ``k`` nearest other samples in expression space, (n_samples, k) int64.

    Euclidean distance on the leading principal components (at most ``n_components``, missing
    values filled by :func:`principal_components`), or on all genes when there are no more
    than ``n_components`` (NaN then read as the gene mean). Exact search up to ``exact_up_to``
    samples, approximate (NN-descent, as UMAP) beyond.
    """
    x = np.asarray(values, dtype=np.float32)
    n = x.shape[0]
    k = int(min(k, n - 1))
    if k < 1:
        raise ModelError("the neighbour graph needs at least 2 samples")
    if x.shape[1] > n_components:
        _, u, s, _ = principal_components(x, n_components, seed)
        x = (u * s).astype(np.float32)
    elif not np.isfinite(x).all():
        with np.errstate(all="ignore"):
            x = np.where(np.isfinite(x), x, np.nan_to_num(np.nanmean(x, 0)))
    if n <= exact_up_to:
        from sklearn.neighbors import NearestNeighbors

        idx = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x, return_distance=False)
    else:
        from pynndescent import NNDescent

        idx, _ = NNDescent(x, n_neighbors=k + 1, random_state=seed).neighbor_graph
    # drop each sample itself (wherever ties put it) and keep k others
    out = np.empty((n, k), np.int64)
    for i, row in enumerate(idx):
        others = row[row != i]
        out[i] = others[:k]
    return out


def kernel_odds(points: torch.Tensor, others: torch.Tensor, scale: float, power: float):
    """``(d / scale)^(2 power)`` between ``points`` (n, dim) and ``others`` (n, m, dim), (n, m).

    The kernel of the neighbour regulariser is ``1 / (1 + odds)``.
    """
    d2 = ((points[:, None, :] - others) ** 2).sum(-1) / (scale * scale)
    # the small offset keeps the gradient of d^(2p), p < 1, finite where two points coincide
    return d2 if power == 1 else (d2 + 1e-8) ** power


def rank_weights(k: int, decay: float) -> torch.Tensor:
    """Weights of ranks ``0..k-1``: ``exp(-r / decay)`` normalised to sum 1 (equal when 0)."""
    if decay <= 0:
        return torch.full((k,), 1.0 / k)
    w = torch.exp(-torch.arange(k, dtype=torch.float32) / decay)
    return w / w.sum()


def neighbour_loss(
    coords: torch.Tensor,
    rows: torch.Tensor,
    graph: torch.Tensor,
    n_negatives: int,
    scale: float,
    generator: torch.Generator,
    power: float = 1.0,
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Attraction of ``rows`` to their graph neighbours, repulsion from random samples.

    With ``odds`` = :func:`kernel_odds`: ``log(1 + odds)`` per neighbour pair (minus the log of
    the kernel), averaged per sample over its neighbours (or weighted by ``weights``, one per
    rank, see :func:`rank_weights`), plus ``log(1 + 1/odds)`` per random pair (minus the log of
    one minus the kernel) averaged per sample.
    """
    here = coords[rows]
    attraction = torch.log1p(kernel_odds(here, coords[graph[rows]], scale, power))
    loss = attraction.mean(1) if weights is None else attraction @ weights
    if n_negatives:
        shape = (len(rows), n_negatives)
        neg = torch.randint(0, coords.shape[0], shape, generator=generator, device=generator.device)
        odds = kernel_odds(here, coords[neg.to(coords.device)], scale, power)
        loss = loss + torch.log1p(1.0 / odds.clamp_min(1e-4)).mean(1)
    return loss.mean()
