"""The page's own training continues after a stop mid-epochs: it writes a checkpoint beside its
cache entry (``<entry>.checkpoint``), from which the next start continues (a damaged or refused
one is removed and the training starts again from the first epoch).

A server stopped while the model trained (Ctrl-C, SIGTERM, a reboot) trained it again from the
first epoch at the next start: hours of CPU on a large matrix.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from core.estimator import FactorizedEmbeddings
from core.train_checkpoint import load_checkpoint
from dashboard.context import AppContext, DashboardConfig, ModelSettings

SETTINGS = ModelSettings(gene_dim=4, hidden=(8,), epochs=4, device="cpu")


def _config(tmp_path: Any) -> DashboardConfig:
    return DashboardConfig(cache_dir=tmp_path / "cache", settings=SETTINGS, gene_layout="pca")


def _checkpoint(context: AppContext) -> Path:
    """Where the page's training keeps its checkpoint: beside its cache entry."""
    entry = context.model_entry
    return entry.with_name(f"{entry.name}.checkpoint")


def _stopped_at_epoch_2(sepira_es: Any, cfg: DashboardConfig) -> list[str]:
    """The messages of a training stopped as the second of its four epochs ends."""
    messages: list[str] = []

    def stop(fraction: float, message: str) -> None:
        messages.append(message)
        if message.startswith("training: epoch 2/4"):
            raise KeyboardInterrupt  # Ctrl-C, or the server stopped

    with pytest.raises(KeyboardInterrupt):
        AppContext(sepira_es, cfg).train(progress=stop)
    return messages


def test_a_training_stopped_mid_epochs_continues_from_its_checkpoint(sepira_es, tmp_path):
    cfg = _config(tmp_path)
    first = _stopped_at_epoch_2(sepira_es, cfg)
    assert any(m.startswith("training: epoch 1/4") for m in first), first
    context = AppContext(sepira_es, cfg)
    checkpoint = _checkpoint(context)
    assert checkpoint.is_file(), "the stopped training left no checkpoint"
    assert not context.model_ready_on_disk() and not context.fitted_entry.exists()
    saved = load_checkpoint(checkpoint)
    assert saved["epoch"] == 2 and len(saved["history"]) == 2
    # the time trained before the stop, made long enough to tell it in the model's
    saved["elapsed_s"] = 1000.0
    torch.save(saved, checkpoint)

    messages: list[str] = []
    key = context.train(progress=lambda f, m: messages.append(m))
    assert any("continuing from epoch 2 of 4" in m for m in messages), messages
    assert not any(m.startswith("training: epoch 1/4") for m in messages), messages
    assert any(m.startswith("training: epoch 4/4") for m in messages), messages
    st = context.state()
    assert st is not None and st.key == key
    assert st.model.n_epochs_ == 4
    assert st.model.history_[:2] == [float(x) for x in saved["history"]]
    assert st.info["train_seconds"] >= 1000.0, "the epochs before the stop are not counted"
    assert not checkpoint.exists(), "the checkpoint stays beside the stored model"
    assert not context.fitted_entry.exists()

    # the network of a training in one go, and its key (checkpoints change neither)
    whole = FactorizedEmbeddings(**SETTINGS.estimator_kwargs())
    whole.fit(SETTINGS.training_genes(sepira_es))
    np.testing.assert_allclose(st.model.sample_embedding_, whole.sample_embedding_, atol=1e-5)
    np.testing.assert_allclose(st.model.gene_embedding_, whole.gene_embedding_, atol=1e-5)
    assert st.model.checked_params() == whole.checked_params()  # (as built: loaded or not)
    assert key == whole.key()


def test_a_damaged_checkpoint_is_removed_and_the_training_starts_afresh(
    sepira_es, tmp_path, caplog
):
    cfg = _config(tmp_path)
    context = AppContext(sepira_es, cfg)
    _checkpoint(context).parent.mkdir(parents=True)
    _checkpoint(context).write_bytes(b"PK\x03\x04 cut short by a full disk")
    messages: list[str] = []
    with caplog.at_level(logging.WARNING, logger="dashboard.model_state"):
        key = context.train(progress=lambda f, m: messages.append(m))
    assert any(
        str(_checkpoint(context)) in r.getMessage() and "first epoch" in r.getMessage()
        for r in caplog.records
    ), [r.getMessage() for r in caplog.records]
    assert not any("continuing" in m for m in messages), messages
    assert any(m.startswith("training: epoch 1/4") for m in messages), messages
    st = context.state()
    assert st is not None and st.key == key and st.model.n_epochs_ == 4
    assert not _checkpoint(context).exists()


def test_a_checkpoint_of_other_data_is_removed_and_the_training_starts_afresh(
    sepira_es, tmp_path, caplog
):
    cfg = _config(tmp_path)
    _stopped_at_epoch_2(sepira_es, cfg)
    context = AppContext(sepira_es, cfg)
    saved = load_checkpoint(_checkpoint(context))
    saved["data_key"] = "another matrix|standardize=none"  # refused by check_resumable
    torch.save(saved, _checkpoint(context))
    messages: list[str] = []
    with caplog.at_level(logging.WARNING, logger="dashboard.model_state"):
        key = context.train(progress=lambda f, m: messages.append(m))
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("other data" in m and "first epoch" in m for m in warned), warned
    tried = next(i for i, m in enumerate(messages) if "continuing from epoch 2 of 4" in m)
    assert any(m.startswith("training the model on") for m in messages[tried:]), messages
    assert any(m.startswith("training: epoch 1/4") for m in messages), messages
    st = context.state()
    assert st is not None and st.key == key and st.model.n_epochs_ == 4
    assert not _checkpoint(context).exists()


def test_the_progress_line_says_what_is_done_and_the_time_left_at_this_runs_pace():
    """ "training: epoch 0/3, loss 0.3140, 37 s" stood for minutes through the demo's first
    epoch, without the time left; a continued training's seconds before the stop (elapsed_s)
    would have made its own pace look slow."""
    from types import SimpleNamespace

    from core.cli import Pace
    from dashboard.model_state import training_line

    def report(epoch, fraction, elapsed):
        return SimpleNamespace(
            epoch=epoch, n_epochs=3, loss=0.314, fraction=fraction, elapsed_s=elapsed
        )

    first = Pace()
    assert training_line(report(0, 0.01, 1.0), first) == (
        "training: epoch 0/3 done, fit error 0.3140, 1 s so far"
    )
    line = training_line(report(0, 0.31, 61.0), first)  # 60 s for 30%: 140 s (2 min) for 70% more
    assert line == "training: epoch 0/3 done, fit error 0.3140, 61 s so far, about 2 min left"
    # continued from a checkpoint at 1/3 after 1,000 s: this run's pace, 20 s for a third
    first = Pace()
    training_line(report(1, 1 / 3, 1000.0), first)
    line = training_line(report(2, 2 / 3, 1020.0), first)
    assert "17 min so far, about 20 s left" in line, line
    assert "left" not in training_line(report(3, 1.0, 1040.0), first)  # (done)
