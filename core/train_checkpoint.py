"""Checkpoints of a training run: written atomically (:func:`save_checkpoint`), read back
(:func:`load_checkpoint`), and checked before a run continues from one (:func:`check_resumable`:
the same network, settings and data; :func:`_resumed_block`: the block size it started with)."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import torch

from core.errors import ModelError
from core.files import save_torch
from core.model import FactorizedEmbedding
from core.train_config import _RESUMABLE_CHANGES, TrainConfig, TrainState
from core.train_device import resolve_precision

# the training's logger: its messages keep the name they had when this was part of core.train
log = logging.getLogger("core.train")


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
    threads = torch.get_num_threads() if device.type == "cpu" else None
    if threads and saved.get("threads") and int(saved["threads"]) != threads:
        # torch's threads change the map as the precision does: said, not refused
        log.warning(
            "the interrupted run trained with %d CPU threads, this one continues with %d: the "
            "values will differ slightly from an uninterrupted run (OMP_NUM_THREADS=%d before "
            "the command keeps them)",
            int(saved["threads"]), threads, int(saved["threads"]),
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
