"""How to train: :class:`TrainConfig` (every setting, checked), and what training reports
(:class:`TrainProgress`) and returns (:class:`TrainState`). Read by :mod:`core.train` and the
modules it builds on; imports none of them."""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from core.errors import ModelError
from core.model import as_int

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
        ``adam`` (default, measured best) or ``rmsprop`` (the paper's optimiser, which it ran
        at lr 1e-3: give ``lr=1e-3`` too; ``lr`` stays its own setting).
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
