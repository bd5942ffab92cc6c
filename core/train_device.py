"""Where and how training computes: the device and the precision, the expression matrix held
on the device (:class:`ResidentMatrix`) and the loss over its blocks, the block size when none
is given, and the generator of each step's random draws."""

from __future__ import annotations

import logging

import numpy as np
import torch

from core.errors import ModelError

# the training's logger: its messages keep the name they had when this was part of core.train
log = logging.getLogger("core.train")


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
