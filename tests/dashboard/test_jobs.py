"""Background jobs (training, baseline maps) that end without a result: a process killed (e.g.
for lack of memory) raises no Python exception and returns nothing, and the page kept its last
progress message for ever. Each test failed before the page could tell."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import pytest
from dash import no_update

from dashboard import baselines, status
from dashboard.context import AppContext, DashboardConfig, ModelSettings


@pytest.fixture()
def untrained(sepira_es, tmp_path) -> AppContext:
    """A context with an empty cache: no model, no baseline maps."""
    cfg = DashboardConfig(
        cache_dir=tmp_path / "cache",
        settings=ModelSettings(gene_dim=8, standin=True),
        gene_layout="pca",
    )
    return AppContext(sepira_es, cfg)


def _text(component) -> str:
    return "" if component is None or component is no_update else str(component.children)


def test_a_training_job_that_ended_without_a_model_says_so_and_offers_a_retry(untrained):
    untrained.job_started("train")  # ... and the process is killed: nothing more is recorded
    (
        model_status,
        request,
        info,
        panel,
        alert,
        poll_disabled,
        progress_box,
        stopped_box,
        stopped_text,
    ) = status.training_job_view(untrained, False)
    assert model_status["ready"] is False and "stopped" in model_status["error"]
    assert "killed" in _text(alert) and "Retry" in _text(alert)
    assert poll_disabled is True and request is no_update
    # the last progress message ("Preparing the model…", "epoch 3/80") is hidden, the retry shown
    assert panel == status.SHOW and progress_box == status.HIDE and stopped_box == status.SHOW
    assert stopped_text == "Training stopped." and info == "model: not available"

    # "Retry": a new job is requested, the progress is shown again and polled
    out = status.training_job_view(untrained, None, retry=True)
    assert out[1]["t"] > 0 and out[5] is False
    assert out[6] == status.SHOW and out[7] == status.HIDE and out[4] is None

    # a job that raised says why; a running job changes nothing
    untrained.job_finished("train", error="out of patience")
    out = status.training_job_view(untrained, False)
    assert "training failed: out of patience" in _text(out[4]) and out[8] == "Training failed."
    assert all(v is no_update for v in status.training_job_view(untrained, True))


def test_a_training_job_that_ended_with_a_model_leaves_the_page_to_the_status(context):
    context.job_started("train")  # the record of a job killed after it saved the model
    assert all(v is no_update for v in status.training_job_view(context, False))


def test_baseline_maps_job_that_ended_without_maps_says_so(untrained):
    untrained.job_started("baselines")  # ... killed during t-SNE
    assert baselines.baselines_job_view(untrained, True) == (
        no_update,
        baselines.COMPUTE_LABEL,
        no_update,
    )
    progress, button, alert = baselines.baselines_job_view(untrained, False)
    assert progress == "stopped before finishing"  # not "50% — computing t-SNE" for ever
    assert button == baselines.RETRY_LABEL
    assert "killed" in _text(alert) and baselines.RETRY_LABEL in _text(alert)
    # a job that raised said why itself (in the alert area): only the progress text goes
    untrained.job_finished("baselines", error="NMF did not converge")
    assert baselines.baselines_job_view(untrained, False) == ("", baselines.RETRY_LABEL, no_update)
    # maps computed: nothing to say
    untrained.job_finished("baselines")
    assert baselines.baselines_job_view(untrained, False) == (
        "",
        baselines.COMPUTE_LABEL,
        no_update,
    )


def test_a_lock_left_by_a_killed_training_job_does_not_block_the_next(untrained):
    """The training lock (a diskcache entry) of a killed job stayed for an hour: "Retry", or a
    new page, waited on "Preparing the model…" that long."""
    import diskcache

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a process that has ended (and been reaped)
    name = untrained.model_entry.name
    locks = diskcache.Cache(str(untrained.cache_dir / "locks"))
    # what a killed job left: the lock of earlier versions (diskcache.Lock, no owner) and the
    # lock with its owner of this one
    locks.add(f"train-{name}", None, expire=3600)
    owner = {"pid": dead.pid, "host": socket.gethostname(), "started": 0.0}
    locks.add(f"train-owned-{name}", owner, expire=3600)
    locks.close()
    done: dict[str, str] = {}
    job = threading.Thread(target=lambda: done.update(key=untrained.train()), daemon=True)
    job.start()
    job.join(120)
    assert done.get("key"), "training waited for the lock of a process that had ended"
    assert untrained.state() is not None


def test_a_lock_of_a_live_process_is_kept(untrained):
    from dashboard.context import OwnedLock

    me = OwnedLock(untrained.cache_dir, "x")._owner()
    assert OwnedLock.owner_alive(me)
    assert OwnedLock.owner_alive({"pid": 1, "host": "another-machine", "started": 0.0})
    assert not OwnedLock.owner_alive({**me, "started": me["started"] - 100})  # pid reused


def test_a_job_forked_while_a_request_holds_the_context_lock_does_not_hang(untrained):
    """Jobs are forked from the server while its threads answer the page: the context's lock,
    held by one of them at that moment, stayed held for ever in the job (the training job
    waited on "Preparing the model…" without a word)."""
    import os
    import signal
    import time

    held, release = threading.Event(), threading.Event()

    def request() -> None:
        with untrained._lock:
            held.set()
            release.wait(60)

    thread = threading.Thread(target=request, daemon=True)
    thread.start()
    assert held.wait(10)
    try:
        pid = os.fork()
        if pid == 0:  # the job: its first use of the context takes the lock
            try:
                untrained.state()
                untrained.job_started("baselines")
            finally:
                os._exit(0)
        deadline, ended = time.time() + 60, False
        while time.time() < deadline and not ended:
            ended = os.waitpid(pid, os.WNOHANG)[0] == pid
            time.sleep(0.1)
        if not ended:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        assert ended, "the forked job waited for a lock held by a thread of the server"
    finally:
        release.set()
        thread.join()
