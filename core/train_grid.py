"""The grid search ("grid jump") that moves samples to the best-fitting point of the map, and
the refinement of sample coordinates by gradient descent with the network frozen.

Sample coordinates live in a 2-D plane that gradient descent alone untangles poorly: a sample
trapped on the wrong side of another tissue's cluster cannot cross it. At the epochs of
:func:`grid_search_epochs` each sample is therefore offered the best point of a grid over the
current map (:func:`reassign_samples`: decoded once for the whole grid; the comparison is a
matrix product), and moves there when that fits its profile better. The same search
(:func:`best_grid_point`) and :func:`refine_coordinates` place new samples
(:mod:`core.placement`); :func:`refine_coordinates` also polishes the map after the last epoch.
"""

from __future__ import annotations

import torch

from core.model import FactorizedEmbedding
from core.train_device import ResidentMatrix
from core.train_neighbours import kernel_odds


def grid_points(coords: torch.Tensor, grid_size: int, margin: float = 0.1) -> torch.Tensor:
    """A ``grid_size`` x ``grid_size`` grid over the bounding box of ``coords`` (2-D only).

    For ``sample_dim`` other than 2 the candidates are the coordinates themselves (subsampled).
    """
    if coords.shape[1] != 2:
        n = min(coords.shape[0], grid_size * grid_size)
        return coords[torch.linspace(0, coords.shape[0] - 1, n).long().to(coords.device)]
    lo = coords.min(0).values
    hi = coords.max(0).values
    span = (hi - lo).clamp_min(1e-3)
    lo, hi = lo - margin * span, hi + margin * span
    xs = torch.linspace(float(lo[0]), float(hi[0]), grid_size, device=coords.device)
    ys = torch.linspace(float(lo[1]), float(hi[1]), grid_size, device=coords.device)
    gx, gy = torch.meshgrid(xs, ys, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)


@torch.no_grad()
def decode_points(
    model: FactorizedEmbedding,
    points: torch.Tensor,
    gene_index: torch.Tensor | None = None,
    pairs_per_chunk: int = 1 << 22,
) -> torch.Tensor:
    """Decoded expression at ``points`` (n_points, sample_dim) -> (n_points, n_genes), float32."""
    gene_part = model.gene_part(gene_index)
    rows = max(1, pairs_per_chunk // max(1, gene_part.shape[0]))
    out = [
        model.decode(points[i : i + rows], gene_part).float() for i in range(0, len(points), rows)
    ]
    return torch.cat(out) if out else gene_part.new_zeros((0, gene_part.shape[0]))


@torch.no_grad()
def best_grid_point(
    model: FactorizedEmbedding,
    values: torch.Tensor,
    mask: torch.Tensor | None,
    candidates: torch.Tensor,
    gene_index: torch.Tensor | None = None,
    rows_per_chunk: int = 4096,
) -> tuple[torch.Tensor, torch.Tensor]:
    """For each sample row, the candidate point whose decoded profile fits it best.

    Parameters
    ----------
    values, mask
        (n, g) observed values (NaN replaced by 0) and their mask (None = all observed), for the
        genes ``gene_index`` of the model (all genes when None).
    candidates
        (k, sample_dim) points.

    Returns
    -------
    (best_index, best_mse)
        (n,) index into ``candidates`` and the mean squared error there over observed genes.
    """
    decoded = decode_points(model, candidates, gene_index)  # (k, g)
    sq = decoded * decoded
    best_idx, best_err = [], []
    for start in range(0, values.shape[0], rows_per_chunk):
        v = values[start : start + rows_per_chunk].float()
        if mask is None:
            m = None
            err = (v * v).sum(1, keepdim=True) - 2 * v @ decoded.t() + sq.sum(1)[None, :]
            count = torch.full((v.shape[0],), float(v.shape[1]), device=v.device)
        else:
            m = mask[start : start + rows_per_chunk].float()
            err = (v * v * m).sum(1, keepdim=True) - 2 * (v * m) @ decoded.t() + m @ sq.t()
            count = m.sum(1).clamp_min(1.0)
        e, i = err.min(1)
        best_idx.append(i)
        best_err.append(e.clamp_min(0) / count)
    return torch.cat(best_idx), torch.cat(best_err)


@torch.no_grad()
def per_sample_mse(
    model: FactorizedEmbedding,
    coords: torch.Tensor,
    values: torch.Tensor,
    mask: torch.Tensor | None,
    gene_index: torch.Tensor | None = None,
    rows_per_chunk: int = 1024,
) -> torch.Tensor:
    """(n,) mean squared error of each sample's profile decoded at its own coordinates."""
    gene_part = model.gene_part(gene_index)
    out = []
    for start in range(0, coords.shape[0], rows_per_chunk):
        pred = model.decode(coords[start : start + rows_per_chunk], gene_part).float()
        v = values[start : start + rows_per_chunk].float()
        d = pred - v
        if mask is None:
            out.append((d * d).mean(1))
        else:
            m = mask[start : start + rows_per_chunk].float()
            out.append((d * d * m).sum(1) / m.sum(1).clamp_min(1.0))
    return torch.cat(out)


def _search_genes(
    n_genes: int, values: torch.Tensor, max_genes: int, mask: torch.Tensor | None = None
) -> torch.Tensor | None:
    """The most variable genes (at most ``max_genes``) used by the grid search; with a
    ``mask`` (True: observed), the variance of the observed values (missing values, stored as
    0, made genes with many of them look variable)."""
    if n_genes <= max_genes:
        return None
    if mask is None:
        var = values.float().var(0)
    else:
        var = torch.empty(n_genes, dtype=torch.float32, device=values.device)
        for start in range(0, n_genes, 4096):  # by blocks of genes: no full-size temporaries
            v = values[:, start : start + 4096].float()
            m = mask[:, start : start + 4096].float()
            n = m.sum(0).clamp_min(1.0)
            mean = (v * m).sum(0) / n
            var[start : start + 4096] = (((v - mean) * m) ** 2).sum(0) / n
    return torch.topk(var, max_genes).indices.sort().values


def grid_search_epochs(epochs: int, reassign_every: int, reassign_until: float) -> list[int]:
    """The epochs at whose start the grid search moves samples (:func:`reassign_samples`).

    Every ``reassign_every`` epochs (0: never) until ``reassign_until`` of the run; short runs
    search every epoch or two, and every run of 3 epochs or more at least twice (so
    ``reassign_until`` 0, the default with the neighbour graph, still searches twice).
    """
    if not reassign_every:
        return []
    every = min(reassign_every, max(1, epochs // 3))
    stop = max(reassign_until * epochs, 2 * every + 1)
    return [e for e in range(every, epochs, every) if e < stop]


@torch.no_grad()
def reassign_samples(
    model: FactorizedEmbedding,
    data: ResidentMatrix,
    grid_size: int,
    max_genes: int = 512,
    sample_candidates: int = 0,
) -> int:
    """Move each sample whose profile fits a grid point better than its own place; returns count."""
    coords = model.sample_embedding.data
    genes = _search_genes(data.values.shape[1], data.values, max_genes, data.mask)
    values = data.values if genes is None else data.values[:, genes]
    mask = data.mask if (genes is None or data.mask is None) else data.mask[:, genes]
    candidates = grid_points(coords, grid_size)
    if sample_candidates:
        step = max(1, coords.shape[0] // sample_candidates)
        candidates = torch.cat([candidates, coords[::step]])
    best, best_err = best_grid_point(model, values, mask, candidates, genes)
    current = per_sample_mse(model, coords, values, mask, genes)
    better = best_err < current * 0.98
    coords[better] = candidates[best[better]]
    return int(better.sum())


class CoordinateAdam:
    """The steps of ``torch.optim.Adam([param], lr=lr)`` (betas 0.9 and 0.999, eps 1e-8, no
    weight decay), computed as its single-tensor path computes them, for one tensor of
    coordinates.

    torch's optimiser imports ``torch._dynamo`` when it is made, whatever its options (0.9 s
    of the 4-8 s that ``python -m core embed`` took to place 10 samples on a loaded 2-core
    machine, ``tests/benchmarks/RESULTS.md``); the placing of new samples uses these few lines
    instead. The same inputs give the same coordinates (``tests/test_coordinate_adam.py``).
    """

    def __init__(
        self, param: torch.Tensor, lr: float, betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:  # fmt: skip
        self.param = param
        self.lr = float(lr)
        self.beta1, self.beta2 = float(betas[0]), float(betas[1])
        self.eps = float(eps)
        self.exp_avg = torch.zeros_like(param, memory_format=torch.preserve_format)
        self.exp_avg_sq = torch.zeros_like(param, memory_format=torch.preserve_format)
        self.steps = 0

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradient (as ``Optimizer.zero_grad``)."""
        if set_to_none or self.param.grad is None:
            self.param.grad = None
        else:
            self.param.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        """One Adam step along ``param.grad`` (none without a gradient, as torch's)."""
        grad = self.param.grad
        if grad is None:
            return
        self.steps += 1
        self.exp_avg.lerp_(grad, 1 - self.beta1)
        self.exp_avg_sq.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
        step = float(self.steps)
        step_size = self.lr / (1 - self.beta1**step)
        denom = (self.exp_avg_sq.sqrt() / (1 - self.beta2**step) ** 0.5).add_(self.eps)
        self.param.addcdiv_(self.exp_avg, denom, value=-step_size)


def refine_coordinates(
    model: FactorizedEmbedding,
    coords: torch.Tensor,
    data: ResidentMatrix,
    steps: int,
    lr: float,
    pairs_per_chunk: int | None = None,
    anchors: torch.Tensor | None = None,
    anchor_weight: float = 0.0,
    anchor_scale: float = 0.2,
    anchor_power: float = 1.0,
    torch_adam: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Move sample coordinates to their best fit by gradient descent, network frozen.

    Parameters
    ----------
    coords
        (n, sample_dim) starting coordinates of the rows of ``data``.
    data
        The samples' values (n, n_genes) and mask.
    steps, lr
        Full-batch Adam steps and their learning rate.
    pairs_per_chunk
        (sample, gene) values per forward/backward pass (the gradient is summed over passes).
        Default: 16,384 on a CPU, where blocks that stay in the processor's cache were 2-3x
        faster than one large block (520 x 460 and 3,000 x 59 GTEx samples), 2**20 on a GPU.
    anchors, anchor_weight, anchor_scale, anchor_power
        (n, k, sample_dim) fixed places each sample is also attracted to (its neighbours on the
        trained map), the term's weight, and the kernel of :func:`neighbour_loss`.
    torch_adam
        True: ``torch.optim.Adam`` (the polish of the map after training); False:
        :class:`CoordinateAdam`, the same steps without torch's import of ``torch._dynamo``
        (the placing of new samples).

    Returns
    -------
    (coords, mse)
        (n, sample_dim) refined coordinates and (n,) mean squared error of each sample there.
    """
    frozen = [p for p in model.parameters() if p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)
    try:
        coords = coords.detach().clone().requires_grad_(True)
        optimizer = torch.optim.Adam([coords], lr=lr) if torch_adam else CoordinateAdam(coords, lr)
        gene_part = model.gene_part()
        if pairs_per_chunk is None:
            pairs_per_chunk = 1 << 14 if coords.device.type == "cpu" else 1 << 20
        rows = max(1, pairs_per_chunk // model.config.n_genes)

        def chunk_errors(start: int) -> torch.Tensor:
            pred = model.decode(coords[start : start + rows], gene_part)
            diff = pred - data.values[start : start + rows]
            if data.mask is None:
                return (diff * diff).mean(1)
            m = data.mask[start : start + rows]
            return ((diff * m) ** 2).sum(1) / m.sum(1).clamp_min(1)

        def pull(start: int) -> torch.Tensor:
            odds = kernel_odds(
                coords[start : start + rows], anchors[start : start + rows], anchor_scale,
                anchor_power,
            )  # fmt: skip
            return anchor_weight * torch.log1p(odds).mean(1)

        for _ in range(steps):
            optimizer.zero_grad(set_to_none=True)
            for start in range(0, coords.shape[0], rows):
                loss = chunk_errors(start)
                if anchors is not None and anchor_weight > 0:
                    loss = loss + pull(start)
                loss.sum().backward()
            optimizer.step()
        with torch.no_grad():
            err = torch.cat([chunk_errors(s) for s in range(0, coords.shape[0], rows)])
    finally:
        for p in frozen:
            p.requires_grad_(True)
    return coords.detach(), err
