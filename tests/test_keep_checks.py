"""What ``python -m core train`` keeps when it is stopped while the model is written: the
checkpoint of the finished training stays, the previous model is left whole, no half-written
folder is left beside it, and the message says how to write the model (Ctrl-C and SIGTERM)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from core.cli import main
from core.estimator import FactorizedEmbeddings
from tests.cli_run import TINY

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def matrix(sepira_file, tmp_path):
    """60 real samples x 20 genes of the 26-tissue GTEx set, with its tissue column."""
    path = tmp_path / "small.csv"
    pd.read_csv(sepira_file).iloc[:60, :22].to_csv(path, index=False)
    return path


def _train_args(matrix: Path, out: Path, *more: str) -> list[str]:
    return ["train", "--matrix", str(matrix), "--out", str(out), *TINY, "--epochs", "2", *more]


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_ctrl_c_while_the_model_is_written_keeps_the_work(matrix, tmp_path, capsys, monkeypatch):
    """Ctrl-C during the save said only "interrupted": nothing of the kept checkpoint, nor
    that ``--resume`` writes the model from it without training again."""
    import core.estimator

    out = tmp_path / "m"
    assert main(_train_args(matrix, out, "--seed", "1")) == 0
    before = _files(out)
    capsys.readouterr()

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(core.estimator, "replace_dir", stopped)
        assert main(_train_args(matrix, out, "--force")) == 130
    err = capsys.readouterr().err
    partial = tmp_path / "m.partial"
    assert (partial / "checkpoint.pt").is_file()
    assert "stopped while the model was written" in err and "(epoch 2 of 2)" in err, err
    assert str(partial) in err and "--resume to write the model" in err, err
    assert _files(out) == before  # the previous model is whole
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".m.")]

    # the advice works: the model is written from the checkpoint, not trained again
    assert main(_train_args(matrix, out, "--force", "--resume")) == 0
    model = FactorizedEmbeddings.load(out)
    assert model.n_epochs_ == 2 and len(model.history_) == 2
    assert _files(out) != before
    assert not partial.exists()


def _terminated_in(module: str, name: str, args: list[str]) -> subprocess.CompletedProcess:
    """``python -m core ARGS`` in a process that receives SIGTERM when ``module.name`` is
    called (as a scheduler's time limit or ``kill`` would send it then)."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys, time
        import {module}
        from core.cli import main

        def killed(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(30)

        {module}.{name} = killed
        sys.exit(main({args!r}))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def test_sigterm_while_the_model_is_written_keeps_the_work(matrix, tmp_path):
    """SIGTERM during the save (a scheduler's time limit) ended the process at once: no word,
    exit status -15, and the save's half-written folder left beside the model."""
    out = tmp_path / "m"
    done = _terminated_in("core.estimator", "replace_dir", _train_args(matrix, out))
    assert done.returncode == 143, (done.returncode, done.stderr[-2000:])
    assert "stopped while the model was written" in done.stderr, done.stderr[-2000:]
    assert "terminated (SIGTERM)" in done.stderr
    assert (tmp_path / "m.partial" / "checkpoint.pt").is_file()
    assert not out.exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".m.")]


def test_sigterm_while_the_data_is_read_leaves_no_folder(matrix, tmp_path):
    """SIGTERM before the epochs (the data read, the neighbour graph built) ended the process
    without a word and left ``<out>.partial/`` (its lock and record, no checkpoint)."""
    done = _terminated_in("core.cli", "load_data_from_args", _train_args(matrix, tmp_path / "m"))
    assert done.returncode == 143, (done.returncode, done.stderr[-2000:])
    assert "terminated (SIGTERM)" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.csv"]
