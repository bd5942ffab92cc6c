"""Training loop for :class:`core.model.FactorizedEmbedding`: :func:`train_network`.

The expression matrix stays resident (on the GPU when there is one). A step takes a block of
whole sample rows (and, for very wide matrices, a chunk of genes) and predicts it in one pass with
the split first layer (see :mod:`core.model`); there is no pair table and no DataLoader. Missing
values (NaN) are masked out of the loss.

Sample coordinates live in a 2-D plane that gradient descent alone untangles poorly: a sample
trapped on the wrong side of another tissue's cluster cannot cross it. Every ``reassign_every``
epochs each sample is therefore offered the best point of a grid over the current map (decoded once
for the whole grid; the comparison is a matrix product), and moves there when that fits its
profile better. The same search places new samples (:mod:`core.placement`).

This module holds the loop, its learning-rate schedule and noise level, and the
standardisation of the map after every epoch. The parts it builds on live in these modules,
none of which imports this one (every name they define is also importable from here):

- :mod:`core.train_config`: :class:`TrainConfig` (the settings, checked), :class:`TrainProgress`
  and :class:`TrainState`;
- :mod:`core.train_device`: the device and precision, the matrix held on the device
  (:class:`ResidentMatrix`) and the masked loss over its blocks, the automatic block size
  (:func:`auto_pairs_per_step`), the generator of the steps' random draws;
- :mod:`core.train_neighbours`: the neighbour graph (:func:`neighbour_graph`, on
  :func:`principal_components`) and the regulariser (:func:`neighbour_loss`);
- :mod:`core.train_grid`: the grid search that moves samples to a better-fitting point
  (:func:`reassign_samples`, :func:`grid_search_epochs`) and :func:`refine_coordinates`;
- :mod:`core.train_checkpoint`: saving, loading and checking checkpoints for a resumed run.

A name patched in a test takes effect where it is read: here for the names the loop calls,
in the defining module for those the helpers call (``core.train_grid.grid_points``).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.errors import ModelError
from core.model import FactorizedEmbedding

# every name the modules below define, read here by the loop, the rest of core and the tests
from core.train_checkpoint import (  # noqa: F401
    _CHECKPOINT_KEYS,
    _resumed_block,
    check_resumable,
    load_checkpoint,
    save_checkpoint,
)
from core.train_config import (  # noqa: F401
    _DEVICE_RE,
    _FLOAT_FIELDS,
    _INT_FIELDS,
    _RESUMABLE_CHANGES,
    MAX_EPOCHS,
    OPTIMIZERS,
    SCHEDULES,
    TrainConfig,
    TrainProgress,
    TrainState,
)
from core.train_device import (  # noqa: F401
    BF16_CAPABILITY,
    MIN_CUDA_STEPS_PER_EPOCH,
    ResidentMatrix,
    _autocast,
    _native_bf16,
    auto_pairs_per_step,
    check_precision,
    masked_mse_sum,
    resolve_device,
    resolve_precision,
    step_generator,
)
from core.train_grid import (  # noqa: F401
    _search_genes,
    best_grid_point,
    decode_points,
    grid_points,
    grid_search_epochs,
    per_sample_mse,
    reassign_samples,
    refine_coordinates,
)
from core.train_neighbours import (  # noqa: F401
    PCA_FILL_ROUNDS,
    _observed_scores,
    _row_offsets,
    kernel_odds,
    neighbour_graph,
    neighbour_loss,
    principal_components,
    rank_weights,
)

log = logging.getLogger(__name__)


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
def _counted(n: int, word: str) -> str:
    """``1 epoch``, ``16,877 samples``: a count and its word, as a person writes them."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class _StepPlan:
    """How an epoch is cut into steps: blocks of whole sample rows by chunks of genes."""

    n_samples: int
    n_genes: int
    rows_per_step: int
    gene_chunk: int
    n_gene_chunks: int
    steps_per_epoch: int
    total_steps: int


@dataclass
class _Run:
    """What the epochs of one run share: the network, data, settings, optimiser and draws."""

    model: FactorizedEmbedding
    data: ResidentMatrix
    config: TrainConfig
    device: torch.device
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    draws: torch.Generator
    plan: _StepPlan
    graph: torch.Tensor | None
    rank_w: torch.Tensor | None
    callback: Callable[[TrainProgress], None] | None
    checkpoint: Path | None
    data_key: str | None


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
    _check_inputs(model, values, checkpoint)
    device = resolve_device(config.device)
    check_precision(device, config.precision)
    model.to(device)
    data = ResidentMatrix(values, device)
    generator = torch.Generator(device="cpu")
    generator.manual_seed(config.seed)
    draws = step_generator(device, generator, config.seed)
    optimizer = _make_optimizer(model, config)
    state, saved_resolved = _start_state(
        model, config, device, optimizer, generator, draws, checkpoint, resume, data_key
    )
    plan = _plan_steps(config, device, n_samples, n_genes, saved_resolved)
    state.resolved = _resolved_choices(config, device, plan)
    _log_start(config, device, plan, n_samples, n_genes)
    graph, rank_w = _neighbour_tensors(values, neighbours, config, device)
    run = _Run(
        model=model,
        data=data,
        config=config,
        device=device,
        optimizer=optimizer,
        generator=generator,
        draws=draws,
        plan=plan,
        graph=graph,
        rank_w=rank_w,
        callback=callback,
        checkpoint=checkpoint,
        data_key=data_key,
    )
    search_epochs = set(
        grid_search_epochs(config.epochs, config.reassign_every, config.reassign_until)
    )
    t_start = time.perf_counter() - state.elapsed_s
    last_report = 0.0
    for epoch in range(state.epoch, config.epochs):
        model.train()
        if epoch in search_epochs:
            _move_to_grid(run, state, epoch)
        epoch_sse, epoch_count, t_epoch, last_report = _train_epoch(
            run, epoch, t_start, last_report
        )
        _end_epoch(run, state, values, epoch, epoch_sse, epoch_count, t_epoch, t_start)
    _finish(run, state)
    return state


def _check_inputs(model: FactorizedEmbedding, values: np.ndarray, checkpoint: Path | None) -> None:
    """Refuse a matrix of another shape than the network's, and a checkpoint path that is a
    folder or lies under a file."""
    n_samples, n_genes = values.shape
    if (n_samples, n_genes) != (model.config.n_samples, model.config.n_genes):
        raise ModelError(
            f"matrix is {n_samples} x {n_genes} but the network was built for "
            f"{model.config.n_samples} x {model.config.n_genes}"
        )
    if checkpoint is not None and Path(checkpoint).is_dir():
        raise ModelError(f"checkpoint {checkpoint} is a directory; give a file path")
    if checkpoint is not None:
        # (else found at the first checkpoint, after an epoch of training, as "File exists")
        folder = next((p for p in Path(checkpoint).parents if p.exists()), None)
        if folder is not None and not folder.is_dir():
            raise ModelError(f"checkpoint {checkpoint}: {folder} is a file, not a folder")


def _start_state(
    model: FactorizedEmbedding,
    config: TrainConfig,
    device: torch.device,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    draws: torch.Generator,
    checkpoint: Path | None,
    resume: bool,
    data_key: str | None,
) -> tuple[TrainState, dict[str, Any]]:
    """A fresh state, or the checkpoint's (network, optimiser and draws restored) to resume."""
    if resume and checkpoint is None:
        raise ModelError("resume needs the checkpoint file to continue from")
    if resume and not Path(checkpoint).exists():
        log.warning("no checkpoint at %s: training starts from the beginning", checkpoint)
    if not (resume and Path(checkpoint).exists()):
        return TrainState(), {}
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
    saved_resolved: dict[str, Any] = {}
    if isinstance(saved.get("resolved"), dict):  # checkpoints before 2026-12-04: none
        saved_resolved = saved["resolved"]
    log.info("resuming from %s at epoch %d", checkpoint, state.epoch)
    return state, saved_resolved


def _plan_steps(
    config: TrainConfig,
    device: torch.device,
    n_samples: int,
    n_genes: int,
    saved_resolved: dict[str, Any],
) -> _StepPlan:
    """The block of each step (a resumed run keeps its checkpoint's) and the steps it makes."""
    gene_chunk = min(n_genes, config.max_genes_per_step)
    pairs_per_step = config.pairs_per_step or auto_pairs_per_step(device, gene_chunk, n_samples)
    rows_per_step = max(1, min(n_samples, pairs_per_step // gene_chunk))
    rows_per_step = _resumed_block(saved_resolved, config, device, rows_per_step, gene_chunk)
    n_gene_chunks = math.ceil(n_genes / gene_chunk)
    steps_per_epoch = math.ceil(n_samples / rows_per_step) * n_gene_chunks
    return _StepPlan(
        n_samples=n_samples,
        n_genes=n_genes,
        rows_per_step=rows_per_step,
        gene_chunk=gene_chunk,
        n_gene_chunks=n_gene_chunks,
        steps_per_epoch=steps_per_epoch,
        total_steps=steps_per_epoch * config.epochs,
    )


def _resolved_choices(config: TrainConfig, device: torch.device, plan: _StepPlan) -> dict:
    """The automatic choices as this run made them, kept in the state and the checkpoints."""
    resolved: dict[str, Any] = {
        "device": str(device),
        "precision": resolve_precision(device, config.precision),
        "rows_per_step": int(plan.rows_per_step),
        "genes_per_step": int(plan.gene_chunk),
    }
    if device.type == "cpu":  # torch's threads change the map: another count, another map
        resolved["threads"] = int(torch.get_num_threads())
    return resolved


def _log_start(
    config: TrainConfig, device: torch.device, plan: _StepPlan, n_samples: int, n_genes: int
) -> None:
    """Say where the run trains, on what, and in which steps."""
    log.info(
        "training on %s: %s x %s, %s of %s (%s x %s a step)",
        "the CPU" if device.type == "cpu" else device, _counted(n_samples, "sample"),
        _counted(n_genes, "gene"), _counted(config.epochs, "epoch"),
        _counted(plan.steps_per_epoch, "step"), _counted(plan.rows_per_step, "sample"),
        _counted(plan.gene_chunk, "gene"),
    )  # fmt: skip


def _neighbour_tensors(
    values: np.ndarray, neighbours: np.ndarray | None, config: TrainConfig, device: torch.device
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """The regulariser's neighbour graph and rank weights on the device (None when it is off)."""
    graph = rank_w = None
    if config.neighbour_weight > 0:
        n_samples = values.shape[0]
        if neighbours is None:
            neighbours = neighbour_graph(values, config.neighbour_k, config.seed)
        neighbours = np.asarray(neighbours, dtype=np.int64)
        if neighbours.ndim != 2 or neighbours.shape[0] != n_samples:
            raise ModelError(f"the neighbour graph must have one row per sample ({n_samples})")
        graph = torch.as_tensor(neighbours, device=device)
        if config.neighbour_decay > 0:
            rank_w = rank_weights(graph.shape[1], config.neighbour_decay).to(device)
    return graph, rank_w


def _move_to_grid(run: _Run, state: TrainState, epoch: int) -> None:
    """Offer every sample the best point of a grid over the map, and count those that moved."""
    config = run.config
    moved = reassign_samples(
        run.model, run.data, config.grid_size, sample_candidates=config.sample_candidates
    )
    state.moved.append(moved)
    log.debug("epoch %d: %d samples moved to a better grid point", epoch, moved)


def _train_epoch(
    run: _Run, epoch: int, t_start: float, last_report: float
) -> tuple[torch.Tensor, int, float, float]:
    """One shuffled pass over the matrix: (summed error, values counted, start, last report)."""
    # local names, read once an epoch: the steps below look nothing up in ``run``
    model, data, config, device = run.model, run.data, run.config, run.device
    optimizer, generator, draws, callback = run.optimizer, run.generator, run.draws, run.callback
    graph, rank_w, plan = run.graph, run.rank_w, run.plan
    n_samples, n_genes, gene_chunk = plan.n_samples, plan.n_genes, plan.gene_chunk
    rows_per_step, n_gene_chunks = plan.rows_per_step, plan.n_gene_chunks
    steps_per_epoch, total_steps = plan.steps_per_epoch, plan.total_steps
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
            group["lr"] = config.lr * group["scale"] * _lr_factor(config, global_step / total_steps)
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
    return epoch_sse, epoch_count, t_epoch, last_report


def _end_epoch(
    run: _Run,
    state: TrainState,
    values: np.ndarray,
    epoch: int,
    epoch_sse: torch.Tensor,
    epoch_count: int,
    t_epoch: float,
    t_start: float,
) -> None:
    """Standardise the map, record the epoch (refusing a diverged loss), checkpoint, report."""
    config = run.config
    standardize_map(run.model)
    state.history.append(float(epoch_sse) / max(1, epoch_count))
    state.pairs_seen += epoch_count
    state.epoch = epoch + 1
    state.elapsed_s = time.perf_counter() - t_start
    if not math.isfinite(state.history[-1]):
        raise ModelError(_diverged_message(epoch + 1, state.history[-1], values))
    # before the progress report: an interruption there keeps this epoch
    if (
        run.checkpoint is not None
        and config.checkpoint_every
        and state.epoch % config.checkpoint_every == 0
        and state.epoch < config.epochs
    ):
        _save_run(run, state)
    if run.callback is not None:
        run.callback(
            TrainProgress(
                epoch=epoch + 1,
                n_epochs=config.epochs,
                loss=state.history[-1],
                fraction=state.epoch / config.epochs,
                elapsed_s=state.elapsed_s,
                pairs_per_s=epoch_count / max(1e-9, time.perf_counter() - t_epoch),
            )
        )


def _save_run(run: _Run, state: TrainState) -> None:
    """Checkpoint the run as it stands to its checkpoint file."""
    save_checkpoint(
        run.checkpoint, run.model, run.optimizer, state, run.generator, run.config, run.data_key,
        run.draws,
    )  # fmt: skip


def _finish(run: _Run, state: TrainState) -> None:
    """Checkpoint the end, polish a finished run's map, and leave the network in eval mode."""
    # the last checkpoint holds the map before its polish: resuming a finished run polishes
    # it once, as the run did, and a run continued for more epochs goes on from the map its
    # epochs left (not from polished coordinates)
    if run.checkpoint is not None:
        _save_run(run, state)
    config, model = run.config, run.model
    if config.polish_steps and state.epoch == config.epochs:
        coords, _ = refine_coordinates(
            model, model.sample_embedding.data, run.data, config.polish_steps, config.polish_lr
        )
        model.sample_embedding.data.copy_(coords)
        standardize_map(model)
    model.eval()
