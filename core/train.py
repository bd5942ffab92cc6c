"""Training loop for :class:`core.model.FactorizedEmbedding`.

The expression matrix stays resident (on the GPU when there is one). A step takes a block of
whole sample rows (and, for very wide matrices, a chunk of genes) and predicts it in one pass with
the split first layer (see :mod:`core.model`); there is no pair table and no DataLoader. Missing
values (NaN) are masked out of the loss.

Sample coordinates live in a 2-D plane that gradient descent alone untangles poorly: a sample
trapped on the wrong side of another tissue's cluster cannot cross it. Every ``reassign_every``
epochs each sample is therefore offered the best point of a grid over the current map (decoded once
for the whole grid; the comparison is a matrix product), and moves there when that fits its
profile better. The same search places new samples in :func:`embed_new_samples`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import numbers
import os
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.errors import ModelError
from core.files import save_torch
from core.model import FactorizedEmbedding, as_int

log = logging.getLogger(__name__)

OPTIMIZERS = ("adam", "rmsprop")
#: Most epochs a run may ask for (the automatic number is at most a few hundred; a count beyond
#: this is a typing slip that would otherwise start a run of years).
MAX_EPOCHS = 100_000
SCHEDULES = ("cosine", "constant")


@dataclass(frozen=True)
class TrainConfig:
    """How to train.

    Parameters
    ----------
    epochs
        Passes over every observed (sample, gene) value.
    lr
        Peak learning rate (network and embeddings).
    optimizer
        ``adam`` (default, measured best) or ``rmsprop`` (the paper's, lr 1e-3).
    schedule
        ``cosine`` decay to 1% of ``lr`` with a short warm-up, or ``constant``.
    pairs_per_step
        Values predicted per step; 0 picks a size by device and width
        (:func:`auto_pairs_per_step`).
    max_genes_per_step
        Genes per block; wider matrices are split into gene chunks.
    reassign_every
        Epochs between grid searches that move samples to a better-fitting point (0: never);
        runs shorter than ``3 * reassign_every`` epochs search more often. The search compares
        profiles on the 512 most variable genes.
    reassign_until
        Fraction of the epochs after which the grid search stops (the end is pure refinement);
        runs of 3 epochs or more search at least twice.
    grid_size
        Points per side of the search grid.
    sample_candidates
        Also offer, in the grid search, the current places of up to this many samples.
    sample_lr_scale
        Learning rate of the sample coordinates relative to ``lr``. A whole-row step updates a
        sample's coordinate once per epoch, far less often than the shared weights.
    sample_noise
        Standard deviation of Gaussian noise added to the sample coordinates in every training
        step. The map is kept at unit variance per axis (re-scaled after every epoch, the first
        layer compensating so that the function is unchanged), so the noise sets how far apart
        samples with different profiles must lie: a regulariser that separates tissues.
    sample_noise_start
        When given, the noise starts at this level and decreases linearly to ``sample_noise``
        at ``reassign_until`` of the run: a coarse, smooth map first, detail later (as the
        neighbourhood of a self-organising map shrinks).
    neighbour_weight
        Weight of a neighbour-graph regulariser of the sample map (0: off, the paper's pure
        reconstruction objective). Each sample is pulled towards its ``neighbour_k`` nearest
        neighbours in expression space and pushed away from ``neighbour_negatives`` random
        samples, with the heavy-tailed kernel ``1 / (1 + (d / neighbour_scale)^(2 p))`` on the
        unit-variance map (the cross-entropy of UMAP, computed on the batch's rows); see
        :func:`neighbour_graph` and :func:`neighbour_loss`.
    neighbour_k, neighbour_negatives, neighbour_scale
        Graph size, random samples pushed away per sample and kernel width (map units).
    neighbour_power
        The kernel's exponent ``p``: 1 is the Cauchy kernel of t-SNE; below 1 the tails are
        heavier and clusters separate more (UMAP's default kernel has ``p`` = 0.9).
    neighbour_decay
        Weights of a sample's neighbours by rank ``r`` (0 for the nearest): ``exp(-r / decay)``,
        normalised to sum to one; 0 (default) weighs all ``neighbour_k`` equally.
    polish_steps, polish_lr
        After the last epoch, full-batch steps moving every sample to its best fit under the
        final network (:func:`refine_coordinates`).
    device
        ``auto`` (CUDA when available), ``cpu`` or ``cuda``.
    precision
        ``auto`` (bf16 autocast on CUDA cards with bf16 in hardware, compute capability 8.0
        or later; float32 on older cards and on CPU), ``bf16`` or ``fp32``.
    seed
        Seeds initialisation, shuffling and everything random; CPU runs are deterministic
        for a given number of torch threads (a different thread count sums in another
        order: on the 26-tissue set, 1 vs 2 threads moved gene vectors by up to 0.8 after
        20 epochs).
    checkpoint_every
        Epochs between checkpoints when a checkpoint path is given (0: only at the end).
    """

    epochs: int = 300
    lr: float = 3e-3
    optimizer: str = "adam"
    schedule: str = "cosine"
    pairs_per_step: int = 0
    max_genes_per_step: int = 8192
    reassign_every: int = 10
    reassign_until: float = 0.7
    grid_size: int = 64
    sample_candidates: int = 0
    sample_lr_scale: float = 1.0
    sample_noise: float = 0.0
    sample_noise_start: float | None = None
    neighbour_weight: float = 0.0
    neighbour_k: int = 15
    neighbour_negatives: int = 5
    neighbour_scale: float = 0.2
    neighbour_power: float = 1.0
    neighbour_decay: float = 0.0
    polish_steps: int = 0
    polish_lr: float = 0.01
    device: str = "auto"
    precision: str = "auto"
    seed: int = 0
    checkpoint_every: int = 0

    def __post_init__(self) -> None:
        for name in _INT_FIELDS:
            object.__setattr__(self, name, as_int(getattr(self, name), name))
        for name in _FLOAT_FIELDS:
            value = getattr(self, name)
            if value is None and name == "sample_noise_start":
                continue
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
                raise ModelError(f"{name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ModelError(f"{name} must be a finite number, got {value!r}")
            object.__setattr__(self, name, float(value))
        if not 0 <= self.seed < 2**32:
            raise ModelError(f"seed must be an integer in [0, 2**32), got {self.seed}")
        if self.polish_steps < 0 or self.checkpoint_every < 0 or self.sample_candidates < 0:
            raise ModelError("polish_steps, checkpoint_every and sample_candidates must be >= 0")
        if not self.polish_lr > 0:  # found only after every epoch had run, as a ValueError
            raise ModelError(f"polish_lr must be > 0, got {self.polish_lr}")
        if not isinstance(self.device, str) or not _DEVICE_RE.fullmatch(self.device):
            raise ModelError(f"device must be auto, cpu, cuda or cuda:N, got {self.device!r}")
        if not 1 <= self.epochs <= MAX_EPOCHS:
            raise ModelError(f"epochs must be between 1 and {MAX_EPOCHS:,}, got {self.epochs}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ModelError(f"lr must be a positive number, got {self.lr}")
        if self.optimizer not in OPTIMIZERS:
            raise ModelError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.schedule not in SCHEDULES:
            raise ModelError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if self.precision not in ("auto", "bf16", "fp32"):
            raise ModelError(f"precision must be auto, bf16 or fp32, got {self.precision!r}")
        if self.pairs_per_step < 0 or self.max_genes_per_step < 1 or self.grid_size < 2:
            raise ModelError("pairs_per_step >= 0, max_genes_per_step >= 1, grid_size >= 2")
        if self.sample_noise_start is not None and not self.sample_noise_start >= 0:
            raise ModelError(f"sample_noise_start must be >= 0, got {self.sample_noise_start}")
        if self.sample_noise_start is not None and self.reassign_until == 0:
            raise ModelError(
                "sample_noise_start decreases to sample_noise over the first reassign_until of "
                "the run, which is 0 (the default with the neighbour regulariser): it would do "
                "nothing; give reassign_until as well (e.g. 0.7)"
            )
        if not self.sample_noise >= 0:
            raise ModelError(f"sample_noise must be >= 0, got {self.sample_noise}")
        if not self.sample_lr_scale > 0:
            raise ModelError(f"sample_lr_scale must be > 0, got {self.sample_lr_scale}")
        if not self.neighbour_weight >= 0:
            raise ModelError(f"neighbour_weight must be >= 0, got {self.neighbour_weight}")
        if not self.neighbour_scale > 0:
            raise ModelError(f"neighbour_scale must be > 0, got {self.neighbour_scale}")
        if not 0 < self.neighbour_power <= 2:
            raise ModelError(f"neighbour_power must be in (0, 2], got {self.neighbour_power}")
        if self.neighbour_k < 1 or self.neighbour_negatives < 0:
            raise ModelError("neighbour_k must be >= 1 and neighbour_negatives >= 0")
        if not (self.neighbour_decay >= 0 and math.isfinite(self.neighbour_decay)):
            raise ModelError(f"neighbour_decay must be >= 0, got {self.neighbour_decay}")
        if self.reassign_every < 0 or not 0 <= self.reassign_until <= 1:
            raise ModelError("reassign_every >= 0 and 0 <= reassign_until <= 1")

    def to_dict(self) -> dict:
        return asdict(self)


_INT_FIELDS = (
    "epochs", "pairs_per_step", "max_genes_per_step", "reassign_every", "grid_size",
    "sample_candidates", "neighbour_k", "neighbour_negatives", "polish_steps", "seed",
    "checkpoint_every",
)  # fmt: skip
_FLOAT_FIELDS = (
    "lr", "reassign_until", "sample_lr_scale", "sample_noise", "sample_noise_start",
    "neighbour_weight", "neighbour_scale", "neighbour_power", "neighbour_decay", "polish_lr",
)  # fmt: skip
_DEVICE_RE = re.compile(r"auto|cpu|cuda(:\d+)?")
#: Settings that may differ between a checkpoint and the run resuming it (they do not change
#: what is computed): where it runs and how often it checkpoints.
_RESUMABLE_CHANGES = ("device", "checkpoint_every")


@dataclass
class TrainProgress:
    """What a progress callback receives."""

    epoch: int
    n_epochs: int
    loss: float
    fraction: float
    elapsed_s: float
    pairs_per_s: float = 0.0
    message: str = ""


@dataclass
class TrainState:
    """What training returns (and a checkpoint holds)."""

    epoch: int = 0
    history: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    pairs_seen: int = 0
    moved: list[int] = field(default_factory=list)
    #: the automatic choices as this run made them: ``device``, ``precision``, ``rows_per_step``
    #: and ``genes_per_step`` (a resumed run keeps its checkpoint's block size)
    resolved: dict[str, Any] = field(default_factory=dict)


def resolve_device(device: str) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` without CUDA is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(
            f"device {device!r} was asked for but no CUDA GPU is available; use the CPU "
            "(device cpu, or auto)"
        )
    resolved = torch.device(device)
    if resolved.type == "cuda" and (resolved.index or 0) >= torch.cuda.device_count():
        raise ModelError(
            f"device {device!r} was asked for but there are {torch.cuda.device_count()} CUDA "
            "GPU(s) (cuda:0 ...)"
        )
    return resolved


#: The first CUDA compute capability with bf16 in hardware (Ampere); older cards emulate it,
#: slower than float32.
BF16_CAPABILITY = (8, 0)


def _native_bf16(device: torch.device) -> bool:
    return (
        device.type == "cuda" and tuple(torch.cuda.get_device_capability(device)) >= BF16_CAPABILITY
    )


def resolve_precision(device: torch.device, precision: str) -> str:
    """``auto`` -> ``bf16`` on a CUDA card with bf16 in hardware (compute capability 8.0 or
    later: A100, H100, RTX 30xx on), ``fp32`` on older cards and elsewhere; other values as
    they are."""
    if precision == "auto":
        return "bf16" if _native_bf16(device) else "fp32"
    return precision


def check_precision(device: torch.device, precision: str) -> None:
    """Warn when ``bf16`` is asked for on a device that only emulates it."""
    if precision == "bf16" and device.type == "cuda" and not _native_bf16(device):
        major, minor = torch.cuda.get_device_capability(device)
        log.warning(
            "precision bf16 on %s (compute capability %d.%d) is emulated and slower than "
            "float32; precision auto uses float32 on this card",
            torch.cuda.get_device_name(device),
            major,
            minor,
        )


def _autocast(device: torch.device, precision: str):
    if resolve_precision(device, precision) == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return torch.autocast(device_type=device.type, enabled=False)


class ResidentMatrix:
    """The expression matrix on the training device: values with NaN replaced by 0, and a mask.

    Parameters
    ----------
    values
        (n_samples, n_genes) float array, NaN = missing.
    device
        Where to keep it.
    """

    def __init__(self, values: np.ndarray, device: torch.device) -> None:
        tensor = torch.as_tensor(np.asarray(values, dtype=np.float32))
        missing = torch.isnan(tensor)
        self.has_missing = bool(missing.any())
        if self.has_missing:
            tensor = torch.where(missing, torch.zeros((), dtype=tensor.dtype), tensor)
        self.values = tensor.to(device)
        self.mask = (~missing).to(device) if self.has_missing else None
        self.n_observed = int(self.values.numel() - (int(missing.sum()) if self.has_missing else 0))
        if self.n_observed == 0:
            raise ModelError("the matrix has no observed (non-NaN) value to train on")

    def block(self, rows: torch.Tensor, cols: torch.Tensor | None):
        v = self.values[rows] if cols is None else self.values[rows][:, cols]
        if self.mask is None:
            return v, None
        m = self.mask[rows] if cols is None else self.mask[rows][:, cols]
        return v, m


def masked_mse_sum(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None):
    """Sum of squared errors over observed entries, and their count."""
    diff = pred.float() - target
    if mask is None:
        return (diff * diff).sum(), diff.numel()
    diff = diff * mask
    return (diff * diff).sum(), int(mask.sum())


def _make_optimizer(model: FactorizedEmbedding, cfg: TrainConfig) -> torch.optim.Optimizer:
    samples = [model.sample_embedding]
    rest = [p for name, p in model.named_parameters() if name != "sample_embedding"]
    groups = [
        {"params": rest, "lr": cfg.lr, "scale": 1.0},
        {"params": samples, "lr": cfg.lr * cfg.sample_lr_scale, "scale": cfg.sample_lr_scale},
    ]
    if cfg.optimizer == "adam":
        return torch.optim.Adam(groups, lr=cfg.lr)
    return torch.optim.RMSprop(groups, lr=cfg.lr)


def _lr_factor(cfg: TrainConfig, progress: float) -> float:
    if cfg.schedule == "constant":
        return 1.0
    warmup = 0.02
    if progress < warmup:
        return 0.1 + 0.9 * progress / warmup
    t = (progress - warmup) / (1 - warmup)
    return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))


#: On CUDA, the fewest steps an epoch is cut into (while blocks stay under 4M values).
MIN_CUDA_STEPS_PER_EPOCH = 128


def auto_pairs_per_step(device: torch.device, gene_chunk: int, n_samples: int | None = None) -> int:
    """Block size when none is given.

    On the CPU, small blocks (8,192 values) for narrow matrices: the network and the gene
    vectors take one step per block, so narrow matrices need many steps per epoch. At least 16
    rows per block, so that the per-step gene part (``gene_dim x hidden[0]`` per gene) costs
    little (measured on 2,000 genes, one core: 0.47M pairs/s at 16 rows, 0.42M at 32, 0.35M at
    64; smaller blocks stay in cache).

    On CUDA, large blocks keep the GPU busy, up to 4M values, but an epoch is cut into at least
    :data:`MIN_CUDA_STEPS_PER_EPOCH` blocks of at least 16 rows (``n_samples`` given): blocks
    of 4M values made an epoch of the 26-tissue set (520 x 467) or of GTEx's 59 genes one
    step, and 100 epochs 100 steps (GTEx acmg59 trained on the CPU with that block: 1-NN 0.79
    against 0.93 with the new one; tests/benchmarks/RESULTS.md).
    """
    if device.type == "cuda":
        most = max(1 << 22, 64 * gene_chunk)
        if n_samples is None:
            return most
        per_epoch = n_samples * gene_chunk // MIN_CUDA_STEPS_PER_EPOCH
        return int(min(most, max(16 * gene_chunk, per_epoch)))
    return max(1 << 13, 16 * gene_chunk)


@torch.no_grad()
def standardize_map(model: FactorizedEmbedding) -> None:
    """Centre the sample coordinates and scale each axis to unit variance, in place.

    The first layer absorbs the change (``W_s s + b = (W_s D) s' + (W_s mu + b)`` with
    ``s = D s' + mu``), so every prediction stays the same.
    """
    coords = model.sample_embedding.data
    mu = coords.mean(0)
    sd = coords.std(0).clamp_min(1e-6)
    model.first_bias.data += model.first_sample.data @ mu
    model.first_sample.data *= sd[None, :]
    coords.sub_(mu).div_(sd)


def _noise_level(cfg: TrainConfig, progress: float) -> float:
    if cfg.sample_noise_start is None:
        return cfg.sample_noise
    t = min(1.0, progress / max(cfg.reassign_until, 1e-9))
    return cfg.sample_noise_start + t * (cfg.sample_noise - cfg.sample_noise_start)


# ---------------------------------------------------------------------------- neighbour graph
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


def step_generator(device: torch.device, generator: torch.Generator, seed: int) -> torch.Generator:
    """The generator of each step's random draws (the regulariser's random partners, the
    coordinates' noise).

    On a GPU, one of its own, seeded with ``seed``: a draw on the CPU is copied to the GPU
    every step, and that copy waits for the steps queued before it, so the CPU could not run
    ahead. Elsewhere, ``generator`` itself: the same draws as before it existed.
    """
    if device.type != "cuda":
        return generator
    draws = torch.Generator(device=device)
    draws.manual_seed(seed)
    return draws


# ---------------------------------------------------------------------------------- grid search
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
        optimizer = torch.optim.Adam([coords], lr=lr)
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


# ---------------------------------------------------------------------------------- checkpoints
def save_checkpoint(
    path: Path,
    model,
    optimizer,
    state: TrainState,
    generator,
    config,
    data_key: str | None = None,
    step_generator: torch.Generator | None = None,
) -> None:
    """Write a checkpoint atomically (temporary file + rename): a crash never leaves half a file.

    ``data_key`` names the training data (e.g. :meth:`core.data.ExpressionSet.fingerprint`), so
    that resuming on other data is refused (:func:`check_resumable`). ``step_generator``: the
    GPU's own generator of the steps' draws (:func:`step_generator`), when it is not
    ``generator``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "epoch": state.epoch,
        "history": list(state.history),
        "elapsed_s": state.elapsed_s,
        "pairs_seen": state.pairs_seen,
        "moved": list(state.moved),
        "generator": generator.get_state(),
        "train_config": config.to_dict(),
        "data_key": data_key or "",
        "resolved": dict(state.resolved),  # the block and precision a resumed run keeps
    }
    if step_generator is not None and step_generator is not generator:
        payload["step_generator"] = step_generator.get_state()
    tmp = path.with_name(path.name + ".tmp")
    save_torch(payload, tmp)  # a failed write: OSError, and no .tmp left behind
    with open(tmp, "rb") as f:  # on disk before the rename: a power cut leaves the old file
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict:
    path = Path(path)
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ModelError(f"{path}: no checkpoint to resume from") from None
    except Exception as exc:  # a truncated or foreign file
        # the first line only: PyTorch's zip reader adds a paragraph about its internals
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        first = re.split(r"(?<=\.)\s", first)[0][:160]
        raise ModelError(f"{path}: not a readable checkpoint ({first})") from None
    missing = [key for key in _CHECKPOINT_KEYS if not isinstance(saved, dict) or key not in saved]
    if missing:
        raise ModelError(f"{path}: not a training checkpoint (no {', '.join(missing)})")
    return saved


_CHECKPOINT_KEYS = ("model", "optimizer", "epoch", "history", "generator")


def _resumed_block(
    saved: dict[str, Any],
    config: TrainConfig,
    device: torch.device,
    rows_per_step: int,
    gene_chunk: int,
) -> int:
    """The rows per step of a resumed run: its checkpoint's when the block size was automatic
    and the checkpoint was made on another device (whose default block differs), so that a
    run resumed elsewhere continues with the steps it started with. A change of precision
    (``auto``: bf16 on CUDA, fp32 elsewhere) is warned of, whatever the block."""
    precision = resolve_precision(device, config.precision)
    if saved.get("precision") and saved["precision"] != precision:
        log.warning(
            "the interrupted run trained in %s on %s, this one continues in %s on %s: "
            "the values will differ slightly from an uninterrupted run",
            saved["precision"], saved.get("device", "another device"), precision, device,
        )  # fmt: skip
    rows = saved.get("rows_per_step")
    if config.pairs_per_step or not rows or saved.get("genes_per_step") != gene_chunk:
        return rows_per_step
    if int(rows) != rows_per_step:
        log.info(
            "resuming with the interrupted run's block of %d rows (made on %s; %d here)",
            int(rows), saved.get("device", "another device"), rows_per_step,
        )  # fmt: skip
    return int(rows)


def check_resumable(
    saved: dict,
    model: FactorizedEmbedding,
    config: TrainConfig,
    path: Path,
    data_key: str | None = None,
) -> None:
    """Refuse to continue a checkpoint of another network, other settings or other data.

    The settings must be those the checkpoint was trained with, except ``device`` and
    ``checkpoint_every`` and ``epochs``, which may grow (a run continued for longer) but not
    fall below the epochs already trained. A run resumed on another device keeps its
    checkpoint's block size (:func:`_resumed_block`); an automatic precision may change
    (bf16 on CUDA, fp32 elsewhere), which is warned of.

    Raises
    ------
    ModelError
        Naming what differs.
    """
    state = model.state_dict()
    weights = saved["model"]
    if not isinstance(weights, dict) or set(weights) != set(state):
        raise ModelError(f"{path}: the checkpoint does not hold this network's parameters")
    wrong = [
        f"{name} {tuple(weights[name].shape)} (now {tuple(tensor.shape)})"
        for name, tensor in state.items()
        if not isinstance(weights[name], torch.Tensor) or weights[name].shape != tensor.shape
    ]
    if wrong:
        raise ModelError(
            f"{path}: the checkpoint is of another network or matrix shape: {'; '.join(wrong[:3])}"
        )
    trained = saved.get("train_config")
    if isinstance(trained, dict):
        ours = config.to_dict()
        differ = [
            f"{name}={trained[name]!r} (now {ours[name]!r})"
            for name in ours
            if name in trained
            and name not in (*_RESUMABLE_CHANGES, "epochs")
            and trained[name] != ours[name]
        ]
        if differ:
            raise ModelError(
                f"{path}: the checkpoint was trained with other settings: {', '.join(differ)}; "
                "resume with the same settings or start afresh"
            )
    if int(saved["epoch"]) > config.epochs:
        raise ModelError(
            f"{path}: the checkpoint has {int(saved['epoch'])} epochs trained, more than the "
            f"{config.epochs} asked for"
        )
    if data_key and saved.get("data_key") and saved["data_key"] != data_key:
        # "fingerprint|setting=value|...": the data, and the estimator's settings that change
        # what is trained on (a checkpoint written before they were recorded has none)
        had, _, had_settings = str(saved["data_key"]).partition("|")
        now, _, now_settings = str(data_key).partition("|")
        if had != now:
            raise ModelError(f"{path}: the checkpoint was trained on other data; start afresh")
        if had_settings and now_settings:
            before = dict(p.split("=", 1) for p in had_settings.split("|") if "=" in p)
            after = dict(p.split("=", 1) for p in now_settings.split("|") if "=" in p)
            differ = [
                f"{name}={before[name]!r} (now {after.get(name)!r})"
                for name in before
                if before[name] != after.get(name)
            ]
            if differ:
                raise ModelError(
                    f"{path}: the checkpoint was trained with other settings: "
                    f"{', '.join(differ)}; resume with the same settings or start afresh"
                )


#: Values beyond this (in absolute value) are far off any log scale of expression.
LOG_SCALE_LIMIT = 1e4


def _diverged_message(epoch: int, loss: float, values: np.ndarray) -> str:
    """What to say when the loss is no longer finite: values far off a log scale (counts or
    TPM, whose squares overflow) are the likely cause, else the learning rate."""
    top = 0.0
    for start in range(0, len(values), 4096):  # by blocks: the matrix can be gigabytes
        block = np.abs(np.asarray(values[start : start + 4096], dtype=np.float64))
        block = block[np.isfinite(block)]
        if block.size:
            top = max(top, float(block.max()))
    if top > LOG_SCALE_LIMIT:
        return (
            f"training diverged at epoch {epoch} (loss {loss}): the values reach {top:.3g}, "
            "far off a log scale of expression; log-transform them first (log10(x+1) or "
            "log2(x+1))"
        )
    return f"training diverged at epoch {epoch} (loss {loss}); lower the learning rate"


# ---------------------------------------------------------------------------------- the loop
def train_network(
    model: FactorizedEmbedding,
    values: np.ndarray,
    config: TrainConfig,
    callback: Callable[[TrainProgress], None] | None = None,
    checkpoint: Path | None = None,
    resume: bool = False,
    neighbours: np.ndarray | None = None,
    data_key: str | None = None,
) -> TrainState:
    """Fit ``model`` to ``values`` (n_samples x n_genes, NaN = missing) in place.

    Parameters
    ----------
    model
        A fresh (or checkpoint-restored) network whose tables match ``values``' shape.
    values
        (n_samples, n_genes) float array.
    config
        The :class:`TrainConfig`.
    callback
        Called with a :class:`TrainProgress` about twice a second and at the end of every epoch.
    checkpoint
        File to checkpoint to (atomically); with ``resume`` training continues from it (when it
        exists), provided it was trained with the same network, settings and data
        (:func:`check_resumable`).
    neighbours
        (n_samples, k) neighbour graph of the regulariser when already computed; by default
        :func:`neighbour_graph` of ``values`` (when ``config.neighbour_weight > 0``).
    data_key
        Names the training data in the checkpoints (resuming on other data is refused).

    Returns
    -------
    TrainState
        Per-epoch loss history, time and counts.
    """
    n_samples, n_genes = values.shape
    if (n_samples, n_genes) != (model.config.n_samples, model.config.n_genes):
        raise ModelError(
            f"matrix is {n_samples} x {n_genes} but the network was built for "
            f"{model.config.n_samples} x {model.config.n_genes}"
        )
    if checkpoint is not None and Path(checkpoint).is_dir():
        raise ModelError(f"checkpoint {checkpoint} is a directory; give a file path")
    device = resolve_device(config.device)
    check_precision(device, config.precision)
    model.to(device)
    data = ResidentMatrix(values, device)
    generator = torch.Generator(device="cpu")
    generator.manual_seed(config.seed)
    draws = step_generator(device, generator, config.seed)
    optimizer = _make_optimizer(model, config)
    state = TrainState()
    saved_resolved: dict[str, Any] = {}
    if resume and checkpoint is None:
        raise ModelError("resume needs the checkpoint file to continue from")
    if resume and not Path(checkpoint).exists():
        log.warning("no checkpoint at %s: training starts from the beginning", checkpoint)
    if resume and Path(checkpoint).exists():
        saved = load_checkpoint(checkpoint)
        check_resumable(saved, model, config, checkpoint, data_key)
        try:
            model.load_state_dict(saved["model"])
            model.to(device)
            optimizer.load_state_dict(saved["optimizer"])
            generator.set_state(saved["generator"])
            if draws is not generator and "step_generator" in saved:
                draws.set_state(saved["step_generator"])
            state = TrainState(
                epoch=int(saved["epoch"]),
                history=[float(x) for x in saved["history"]],
                elapsed_s=float(saved.get("elapsed_s", 0.0)),
                pairs_seen=int(saved.get("pairs_seen", 0)),
                moved=[int(x) for x in saved.get("moved", [])],
            )
        except (RuntimeError, ValueError, TypeError, KeyError) as exc:
            raise ModelError(f"{checkpoint}: a damaged checkpoint ({exc})") from None
        if isinstance(saved.get("resolved"), dict):  # checkpoints before 2026-12-04: none
            saved_resolved = saved["resolved"]
        log.info("resuming from %s at epoch %d", checkpoint, state.epoch)

    gene_chunk = min(n_genes, config.max_genes_per_step)
    pairs_per_step = config.pairs_per_step or auto_pairs_per_step(device, gene_chunk, n_samples)
    rows_per_step = max(1, min(n_samples, pairs_per_step // gene_chunk))
    rows_per_step = _resumed_block(saved_resolved, config, device, rows_per_step, gene_chunk)
    n_gene_chunks = math.ceil(n_genes / gene_chunk)
    steps_per_epoch = math.ceil(n_samples / rows_per_step) * n_gene_chunks
    total_steps = steps_per_epoch * config.epochs
    state.resolved = {
        "device": str(device),
        "precision": resolve_precision(device, config.precision),
        "rows_per_step": int(rows_per_step),
        "genes_per_step": int(gene_chunk),
    }
    log.info(
        "training on %s: %s samples x %s genes, %d epochs of %d steps (%s samples x %s genes "
        "a step)",
        "the CPU" if device.type == "cpu" else device, f"{n_samples:,}", f"{n_genes:,}",
        config.epochs, steps_per_epoch, f"{rows_per_step:,}", f"{gene_chunk:,}",
    )  # fmt: skip

    graph = rank_w = None
    if config.neighbour_weight > 0:
        if neighbours is None:
            neighbours = neighbour_graph(values, config.neighbour_k, config.seed)
        neighbours = np.asarray(neighbours, dtype=np.int64)
        if neighbours.ndim != 2 or neighbours.shape[0] != n_samples:
            raise ModelError(f"the neighbour graph must have one row per sample ({n_samples})")
        graph = torch.as_tensor(neighbours, device=device)
        if config.neighbour_decay > 0:
            rank_w = rank_weights(graph.shape[1], config.neighbour_decay).to(device)
    search_epochs = set(
        grid_search_epochs(config.epochs, config.reassign_every, config.reassign_until)
    )
    t_start = time.perf_counter() - state.elapsed_s
    last_report = 0.0
    for epoch in range(state.epoch, config.epochs):
        model.train()
        if epoch in search_epochs:
            moved = reassign_samples(
                model, data, config.grid_size, sample_candidates=config.sample_candidates
            )
            state.moved.append(moved)
            log.debug("epoch %d: %d samples moved to a better grid point", epoch, moved)
        row_order = torch.randperm(n_samples, generator=generator).to(device)
        gene_order = (
            torch.randperm(n_genes, generator=generator).to(device) if n_gene_chunks > 1 else None
        )
        # summed where the errors are: reading each step's back would wait for the GPU
        epoch_sse = torch.zeros((), dtype=torch.float64, device=device)
        epoch_count = 0
        t_epoch = time.perf_counter()
        for step in range(steps_per_epoch):
            global_step = epoch * steps_per_epoch + step
            for group in optimizer.param_groups:
                group["lr"] = (
                    config.lr * group["scale"] * _lr_factor(config, global_step / total_steps)
                )
            r = step // n_gene_chunks
            c = step % n_gene_chunks
            rows = row_order[r * rows_per_step : (r + 1) * rows_per_step]
            cols = None if gene_order is None else gene_order[c * gene_chunk : (c + 1) * gene_chunk]
            target, mask = data.block(rows, cols)
            coords = model.sample_embedding[rows]
            noise_level = _noise_level(config, global_step / total_steps)
            if noise_level > 0:
                noise = torch.randn(coords.shape, generator=draws, device=draws.device)
                noise = noise.to(device)
                coords = coords + noise_level * noise
            with _autocast(device, config.precision):
                pred = model.decode(coords, model.gene_part(cols))
            sse, count = masked_mse_sum(pred, target, mask)
            if count == 0:
                continue
            loss = sse / count
            if graph is not None:
                loss = loss + config.neighbour_weight * neighbour_loss(
                    model.sample_embedding,
                    rows,
                    graph,
                    config.neighbour_negatives,
                    config.neighbour_scale,
                    draws,
                    config.neighbour_power,
                    rank_w,
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            epoch_sse += sse.detach().double()
            epoch_count += count
            now = time.perf_counter()
            if callback is not None and now - last_report > 0.5:
                last_report = now
                callback(
                    TrainProgress(
                        epoch=epoch,
                        n_epochs=config.epochs,
                        loss=float(epoch_sse) / max(1, epoch_count),
                        fraction=(global_step + 1) / total_steps,
                        elapsed_s=now - t_start,
                        pairs_per_s=epoch_count / max(1e-9, now - t_epoch),
                    )
                )
        standardize_map(model)
        state.history.append(float(epoch_sse) / max(1, epoch_count))
        state.pairs_seen += epoch_count
        state.epoch = epoch + 1
        state.elapsed_s = time.perf_counter() - t_start
        if not math.isfinite(state.history[-1]):
            raise ModelError(_diverged_message(epoch + 1, state.history[-1], values))
        # before the progress report: an interruption there keeps this epoch
        if (
            checkpoint is not None
            and config.checkpoint_every
            and state.epoch % config.checkpoint_every == 0
            and state.epoch < config.epochs
        ):
            save_checkpoint(checkpoint, model, optimizer, state, generator, config, data_key, draws)
        if callback is not None:
            callback(
                TrainProgress(
                    epoch=epoch + 1,
                    n_epochs=config.epochs,
                    loss=state.history[-1],
                    fraction=state.epoch / config.epochs,
                    elapsed_s=state.elapsed_s,
                    pairs_per_s=epoch_count / max(1e-9, time.perf_counter() - t_epoch),
                )
            )
    # the last checkpoint holds the map before its polish: resuming a finished run polishes
    # it once, as the run did, and a run continued for more epochs goes on from the map its
    # epochs left (not from polished coordinates)
    if checkpoint is not None:
        save_checkpoint(checkpoint, model, optimizer, state, generator, config, data_key, draws)
    if config.polish_steps and state.epoch == config.epochs:
        coords, _ = refine_coordinates(
            model, model.sample_embedding.data, data, config.polish_steps, config.polish_lr
        )
        model.sample_embedding.data.copy_(coords)
        standardize_map(model)
    model.eval()
    return state
