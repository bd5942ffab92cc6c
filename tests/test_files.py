"""Replacing output directories (core.files): atomic where the system allows, never a loss."""

from __future__ import annotations

import os
import shutil
import sys
import time

import numpy as np
import pytest

from core import files
from core.errors import CoreError


def _folder(path, text):
    path.mkdir()
    (path / "index.html").write_text(text)
    return path


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two renames"])
def test_replace_dir_puts_the_new_one_in_place(tmp_path, monkeypatch, exchange):
    if exchange and not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux's")
    if not exchange:
        monkeypatch.setattr(files, "exchange_dirs", lambda a, b: False)
    target = _folder(tmp_path / "report", "old")
    files.replace_dir(_folder(tmp_path / ".new", "new"), target)
    assert (target / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    files.replace_dir(_folder(tmp_path / ".newer", "newer"), tmp_path / "absent")
    assert (tmp_path / "absent" / "index.html").read_text() == "newer"


def test_exchange_swaps_on_linux(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux's")
    a, b = _folder(tmp_path / "a", "A"), _folder(tmp_path / "b", "B")
    assert files.exchange_dirs(a, b)
    assert (a / "index.html").read_text() == "B" and (b / "index.html").read_text() == "A"
    assert not files.exchange_dirs(a, tmp_path / "missing")  # nothing moved
    assert (a / "index.html").read_text() == "B"


def test_a_failed_second_rename_puts_the_previous_one_back(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "exchange_dirs", lambda a, b: False)
    target = _folder(tmp_path / "report", "old")
    new = _folder(tmp_path / ".new", "new")
    real = os.replace
    calls = []

    def second_fails(src, dst):
        calls.append(src)
        if len(calls) == 2:
            raise OSError("disk gone")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", second_fails)
    with pytest.raises(OSError, match="disk gone"):
        files.replace_dir(new, target)
    assert (target / "index.html").read_text() == "old"
    assert not files.previous_name(target).exists()


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two renames"])
def test_a_directory_saved_there_meanwhile_is_replaced(tmp_path, monkeypatch, exchange):
    """Two saves to a new path at once: the second one's rename found the first one's
    directory there and failed with "Directory not empty". The last save now wins."""
    if exchange and not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux's")
    if not exchange:
        monkeypatch.setattr(files, "exchange_dirs", lambda a, b: False)
    target = tmp_path / "model"
    real = os.replace
    raced = []

    def other_process_first(src, dst):
        if not raced:  # the other save lands between the check and the rename
            raced.append(_folder(target, "other"))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", other_process_first)
    files.replace_dir(_folder(tmp_path / ".new", "mine"), target, lambda p: True)
    assert (target / "index.html").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    # what the caller does not accept (a folder of the user's files), or when the caller
    # gave no test, is kept: the save fails as before (it was deleted)
    for accepts in (lambda p: False, None):
        raced.clear()
        for path in tmp_path.iterdir():
            shutil.rmtree(path)
        with pytest.raises(OSError):
            files.replace_dir(_folder(tmp_path / ".new", "mine"), target, accepts)
        assert (target / "index.html").read_text() == "other"


def test_a_failed_torch_write_is_an_oserror_and_leaves_no_file(tmp_path, monkeypatch):
    """torch reports a full disk as its own RuntimeError; save_torch makes it an OSError
    naming the file (callers handle full and read-only disks alike), and removes the part
    already written. Checkpoints and model saves go through it."""
    import errno

    import torch

    from core.train import save_checkpoint

    target = tmp_path / "weights.pt"

    def failing_save(obj, path):
        path.write_bytes(b"half")
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 64")

    monkeypatch.setattr(torch, "save", failing_save)
    with pytest.raises(OSError) as caught:
        files.save_torch({"a": 1}, target)
    assert caught.value.filename == str(target) and "unexpected pos" in str(caught.value)
    monkeypatch.setattr(files.shutil, "disk_usage", lambda p: type("U", (), {"free": 1024})())
    with pytest.raises(OSError) as caught:
        files.save_torch({"a": 1}, target)
    assert caught.value.errno == errno.ENOSPC
    assert not target.exists()

    class Net(torch.nn.Linear):
        pass

    net = Net(2, 2)
    opt = torch.optim.Adam(net.parameters())
    from core.train import TrainConfig, TrainState

    with pytest.raises(OSError):
        save_checkpoint(
            tmp_path / "ck.pt", net, opt, TrainState(), torch.Generator(), TrainConfig()
        )
    assert list(tmp_path.iterdir()) == []


def test_folders_left_by_killed_runs_are_removed(tmp_path):
    """After a kill -9, a report's or an export's hidden temporary folder stayed for ever.
    Removed now when its process is gone and it is an hour old; never one of a live process
    (this one), nor a fresh one (a process of another machine sharing the folder)."""
    import subprocess

    from core.files import STALE_AFTER_S, remove_stale_temporaries

    out = tmp_path / "report"
    gone = subprocess.Popen(["true"])  # a process id that has ended
    gone.wait()
    old = time.time() - 2 * STALE_AFTER_S
    stale = tmp_path / f".report.tmp-{gone.pid}"
    fresh = tmp_path / f".report.tmp-{gone.pid + 100000}"  # (no such process either)
    live = tmp_path / f".report.tmp-{os.getpid()}"
    other = tmp_path / f".notes.tmp-{gone.pid}"
    for folder in (stale, fresh, live, other):
        folder.mkdir()
        (folder / "index.html").write_text("x")
    for folder in (stale, live, other):
        os.utime(folder, (old, old))
    assert remove_stale_temporaries(out) == [stale]
    assert not stale.exists() and fresh.exists() and live.exists() and other.exists()


def test_a_killed_model_save_leaves_nothing_for_ever(tmp_path):
    """After a kill -9 during a save, the model's hidden ``.NAME.<hex>`` folder stayed for ever
    (a model of megabytes each time); the next save removes it once its process is gone and it
    is an hour old. A complete model that a save left between its two renames stays: loading
    names it, and it may be the only copy of the new model."""
    import subprocess

    from core.estimator import FactorizedEmbeddings
    from core.files import STALE_AFTER_S, temporary_name

    gone = subprocess.Popen(["true"])
    gone.wait()
    fe = FactorizedEmbeddings(epochs=1, gene_dim=4, hidden=(8,)).fit(
        np.random.default_rng(0).uniform(0, 3, (30, 6)).astype(np.float32)
    )
    target = tmp_path / "m"
    tmp = temporary_name(target, "0123abcd")
    assert tmp.name == f".m.tmp-{os.getpid()}.0123abcd"
    half = tmp_path / f".m.tmp-{gone.pid}.0123abcd"  # killed while writing its weights
    whole = tmp_path / f".m.tmp-{gone.pid}.4567ef01"  # killed between the renames
    half.mkdir()
    (half / "weights.pt").write_bytes(b"x" * 100)
    fe.save(whole)
    old = time.time() - 2 * STALE_AFTER_S
    for folder in (half, whole):
        os.utime(folder, (old, old))
    fe.save(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m", whole.name])
    # once a model is at the path, a complete one left under a temporary name (a save killed
    # after its exchange, before removing the previous model) goes with the next save
    os.utime(whole, (old, old))
    fe.save(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_a_folder_written_takes_its_name_only_when_finished(tmp_path):
    """The report and the export are built beside their folder: a failure half way leaves the
    old folder as it was and no temporary folder behind."""
    out = _folder(tmp_path / "report", "old")
    with pytest.raises(RuntimeError), files.folder_written(out, "the report") as tmp:
        (tmp / "f.txt").write_text("half")
        raise RuntimeError("stopped")
    assert (out / "index.html").read_text() == "old" and sorted(tmp_path.iterdir()) == [out]
    with pytest.raises(CoreError, match="cannot write the report to .*report: .*full"):
        with files.folder_written(out, "the report") as tmp:
            raise OSError(28, "disk full")
    assert (out / "index.html").read_text() == "old" and sorted(tmp_path.iterdir()) == [out]
    with files.folder_written(out, "the report") as tmp:
        (tmp / "index.html").write_text("new")
    assert (out / "index.html").read_text() == "new"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
