"""A full disk under the cache folder: the training job's page says so in one line (the folder,
the full disk, what to do), the log says it once without a traceback, and no temporary record
file is left behind. The page said that the job "may have been killed, for example for lack of
memory", and the log held a dozen tracebacks."""

from __future__ import annotations

import errno
import logging
import os
import pathlib
import sqlite3
import subprocess
import sys
import time

import pytest
from dash import no_update

from dashboard import job_records, status


def _no_space(path: str = "") -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", path)


def _fill_the_disk(monkeypatch) -> None:
    """Files written with ``Path.write_text`` are created empty and then fail, as on a full
    disk."""

    def write_text(self, data, *args, **kwargs):
        with open(self, "w"):
            pass
        raise _no_space(str(self))

    monkeypatch.setattr(pathlib.Path, "write_text", write_text)


def _text(component) -> str:
    return "" if component is None or component is no_update else str(component.children)


def _said_full(text: str, cache_dir) -> bool:
    return (
        "is full" in text
        and str(cache_dir) in text
        and "--cache-dir" in text
        and "reload" in text
        and "\n" not in text
    )


def test_a_record_a_full_disk_cannot_replace_is_kept_and_leaves_no_temporary_file(
    untrained, monkeypatch
):
    untrained.job_started("train")
    _fill_the_disk(monkeypatch)
    untrained.job_finished("train", error="out of patience")
    monkeypatch.undo()
    folder = untrained.cache_dir / "jobs-state"
    assert not list(folder.glob("*.tmp"))
    assert untrained.job_outcome("train") == {"state": "failed", "error": "out of patience"}


def test_a_shorter_record_written_in_place_leaves_no_tail_of_the_old_one(untrained, monkeypatch):
    """Written over in place on a full disk, a shorter record is padded to the old length in
    one write (a write then a truncate let a reader meet the old record's tail after it)."""
    untrained.job_started("train")
    untrained.job_progress("train", "x" * 500, 0.5)  # a long record
    record = next((untrained.cache_dir / "jobs-state").glob("train*.json"))
    size = record.stat().st_size
    truncated = []
    monkeypatch.setattr(os, "truncate", lambda *a: truncated.append(a), raising=False)
    _fill_the_disk(monkeypatch)
    untrained.job_finished("train", error="short")
    monkeypatch.undo()
    assert record.stat().st_size == size
    assert record.read_text().endswith(" ") and not truncated
    assert untrained.job_outcome("train") == {"state": "failed", "error": "short"}


def test_a_training_that_fails_on_a_full_disk_says_so_on_the_page(untrained, monkeypatch):
    """Its save fails (ENOSPC), then the record of its end and the release of its lock (SQLite's
    "database or disk is full"): the page read no end and told a process killed."""
    import diskcache

    def full_disk_save(progress):
        progress(0.5, "training: epoch 50/100 done")
        _fill_the_disk(monkeypatch)

        def transact(self, retry=False):
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(diskcache.Cache, "transact", transact)
        raise _no_space(str(untrained.cache_dir / "models" / "x.checkpoint.tmp"))

    monkeypatch.setattr(untrained, "_train", full_disk_save)
    with pytest.raises(OSError) as raised:
        untrained.train(record=True)
    monkeypatch.undo()
    assert raised.value.errno == errno.ENOSPC  # the job's own error, not the lock's
    assert not list((untrained.cache_dir / "jobs-state").glob("*.tmp"))
    out = status.training_job_view(untrained, False)
    message = _text(out[4])
    assert message.startswith("training failed: ") and _said_full(message, untrained.cache_dir)
    assert "memory" not in message and out[8] == "Training failed."
    assert out[0]["error"] == message and out[5] is True


def test_a_job_that_recorded_no_end_on_a_full_disk_is_not_told_as_killed(untrained, monkeypatch):
    untrained.job_started("train")  # ... and nothing more could be written
    free = 2048
    monkeypatch.setattr(
        job_records.shutil, "disk_usage", lambda folder: type("U", (), {"free": free})()
    )
    message = _text(status.training_job_view(untrained, False)[4])
    assert _said_full(message, untrained.cache_dir) and "memory" not in message
    free = 10 * 2**30  # room enough: a killed process, as before
    assert "memory" in _text(status.training_job_view(untrained, False)[4])


class _App:
    """What ``status.register_callbacks`` needs of an app, keeping its callbacks by name."""

    def __init__(self, context):
        self.fe_context, self.callbacks = context, {}

    def callback(self, *args, **kwargs):
        def keep(fn):
            self.callbacks[fn.__name__] = fn
            return fn

        return keep

    def clientside_callback(self, *args, **kwargs):
        pass


def _run_training(untrained, monkeypatch, error: Exception):
    def train(progress=None, record=False):
        raise error

    monkeypatch.setattr(untrained, "train", train)
    app = _App(untrained)
    status.register_callbacks(app)

    def set_progress(value):  # (the job's progress is kept on the same disk)
        raise _no_space()

    return app.callbacks["run_training"](set_progress, {"t": time.time()})


def test_the_training_job_says_a_full_disk_once_without_a_traceback(untrained, monkeypatch, caplog):
    try:
        raise _no_space("checkpoint.tmp")
    except OSError:
        try:  # (the lock's release, while the job's error was handled)
            raise sqlite3.OperationalError("database or disk is full")
        except sqlite3.OperationalError as exc:
            error = exc
    with caplog.at_level(logging.INFO, logger="dashboard.status"):
        result = _run_training(untrained, monkeypatch, error)
    records = [r for r in caplog.records if r.name == "dashboard.status"]
    assert len(records) == 1 and records[0].exc_info is None
    assert records[0].levelno == logging.ERROR
    assert _said_full(records[0].getMessage(), untrained.cache_dir)
    assert _said_full(result["error"], untrained.cache_dir)

    caplog.clear()  # an unknown error keeps its traceback
    with caplog.at_level(logging.INFO, logger="dashboard.status"):
        result = _run_training(untrained, monkeypatch, ValueError("odd"))
    assert result["error"] == "ValueError: odd"
    assert any(r.exc_info for r in caplog.records if r.name == "dashboard.status")


def test_a_job_process_that_cannot_store_its_result_on_a_full_disk_ends_without_a_traceback():
    """Dash keeps a job's result (and the error of storing it) on the same full disk: the job's
    process ended with a traceback of each, after the job had said why."""
    code = (
        "import errno, logging, sys\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "from dashboard import jobs_store\n"
        "def job():\n"
        "    raise OSError(errno.ENOSPC, 'No space left on device', 'jobs/x.job')\n"
        "jobs_store._run_job(job, 1)\n"
    )
    root = pathlib.Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "full disk" in done.stderr


def test_the_baseline_maps_and_placing_pages_say_a_full_disk_their_job_could_not_return(
    untrained, monkeypatch
):
    """Dash keeps a job's result, its alert, on the same full disk: the page read the recorded
    "failed" as "the job said why" and said nothing at all (a "Retry" button alone)."""
    from dashboard import baselines, placement

    full = job_records.job_error(_no_space(), untrained.cache_dir)
    untrained.job_finished("baselines", error=full)
    progress, button, alert = baselines.baselines_job_view(untrained, False)
    assert button == baselines.RETRY_LABEL and progress == ""
    message = _text(alert)
    assert message.startswith("the baseline maps failed: ") and _said_full(
        message, untrained.cache_dir
    )
    untrained.job_finished("place-f1", error=full)
    progress, _, alert = placement.placing_job_view(untrained, False, {"id": "f1"}, "a.csv")
    assert progress == "" and _said_full(_text(alert), untrained.cache_dir)
    # no end recorded, and the disk nearly full: the end could not be written
    monkeypatch.setattr(
        job_records.shutil, "disk_usage", lambda folder: type("U", (), {"free": 2048})()
    )
    untrained.job_started("baselines")
    assert _said_full(_text(baselines.baselines_job_view(untrained, False)[2]), untrained.cache_dir)
    untrained.job_started("place-f2")
    alert = placement.placing_job_view(untrained, False, {"id": "f2"}, "a.csv")[2]
    assert _said_full(_text(alert), untrained.cache_dir) and "memory" not in _text(alert)
    # another failure still leaves its words to the job's own alert
    untrained.job_finished("baselines", error="NMF did not converge")
    assert baselines.baselines_job_view(untrained, False)[2] is no_update


def test_a_job_started_on_a_full_disk_runs_on_without_a_traceback(tmp_path, monkeypatch, caplog):
    """Recording which result is a job's failed on a full disk after the job was forked: the
    request failed with a traceback and the job ran unrecorded. The job is returned and runs
    on; the log says it once, without a traceback."""
    from dashboard import jobs_store
    from dashboard.jobs_store import JobsManager

    manager = JobsManager(tmp_path / "jobs")
    out = tmp_path / "job.txt"

    def full(self, key, value, *args, **kwargs):
        raise _no_space(str(tmp_path / "jobs" / "x.job"))

    monkeypatch.setattr(jobs_store.JobStore, "set", full)
    with caplog.at_level(logging.WARNING, logger="dashboard.jobs_store"):
        pid = manager.call_job_fn("k", _write_job, str(out), None)
    assert isinstance(pid, int)
    deadline = time.monotonic() + 60
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert out.read_text() == "ran"
    said = [r for r in caplog.records if r.name == "dashboard.jobs_store"]
    assert len(said) == 1 and "disk is full" in said[0].getMessage()
    assert not said[0].exc_info


def _write_job(key, progress_key, path, context) -> None:  # Dash's job signature
    with open(path, "w") as fh:
        fh.write("ran")
