"""The background jobs when the server is stopped while a job runs: the server's port is free
for the next start, Ctrl-C ends a job without a traceback, and a network trained before the
stop is not trained again.

Dash forks each job from the server. A job stopped nothing of what the server held: after a
SIGTERM of the server while the model trained, the server started again on its port was refused
("Address already in use") until the training was done; and Ctrl-C printed the job's traceback
(``KeyboardInterrupt`` where the training was) into the server's terminal.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from typing import Any

from dashboard.factory import jobs_manager
from tests.dashboard.test_jobs_across_forks import _wait_for


def _exit_code(pid: int, timeout: float = 30.0) -> int:
    """The exit code of the job ``pid`` (a child of this process), once it ended."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError(f"the job {pid} did not end within {timeout:.0f} s")


def test_a_job_running_on_after_the_server_ended_leaves_its_port_free(tmp_path):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    go = tmp_path / "go"

    def job(set_progress: Any) -> str:
        set_progress(["0", "training"])
        deadline = time.time() + 20
        while not go.exists() and time.time() < deadline:
            time.sleep(0.02)
        return "done"

    manager = jobs_manager(tmp_path / "cache")
    pid = manager.call_job_fn("train", manager.make_job_fn(job, progress=True), (), {})
    again = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        _wait_for(lambda: manager.get_progress("train"), 20, "the job did not start")
        server.close()  # the server ends; the job trains on
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            again.bind(("127.0.0.1", port))
            again.listen()
        except OSError as exc:
            raise AssertionError(
                f"the server cannot start again on its port while the job runs: {exc}"
            ) from None
    finally:
        again.close()
        go.touch()
        assert _exit_code(pid) == 0
    assert manager.get_result("train", None) == "done", "the job's result is lost"


def test_ctrl_c_ends_a_job_without_a_traceback(tmp_path, capfd):
    def job(set_progress: Any) -> str:
        set_progress(["0", "training"])
        # (a server started in the background ignores SIGINT, and its jobs with it: Ctrl-C is
        # a terminal's, where Python's own handler is set)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C reaches the server's process group
        time.sleep(10)
        return "not reached"

    manager = jobs_manager(tmp_path / "cache")
    pid = manager.call_job_fn("train", manager.make_job_fn(job, progress=True), (), {})
    code = _exit_code(pid)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-2000:]
    assert code == 130, f"the job ended with status {code}"
    assert manager.get_result("train", None) is manager.UNDEFINED


def test_sigterm_ends_a_job_that_records_its_stop(sepira_es, tmp_path, monkeypatch):
    """SIGTERM (the server stopped by its service manager, ``kill``) ended a job at once: its
    record still said "running" after it. The job now stops as on Ctrl-C, records the stop and
    ends with status 143 (128 + 15)."""
    import core.analysis
    from dashboard.context import AppContext, DashboardConfig, ModelSettings

    cfg = DashboardConfig(
        cache_dir=tmp_path / "cache",
        settings=ModelSettings(gene_dim=8, standin=True),
        gene_layout="pca",
    )
    context = AppContext(sepira_es, cfg)

    def terminated(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)
        raise AssertionError("not stopped by SIGTERM")

    monkeypatch.setattr(core.analysis, "baseline_embeddings", terminated)

    def job(set_progress: Any) -> str:
        set_progress(["0", "computing"])
        context.compute_baselines(record=True)
        return "not reached"

    manager = jobs_manager(tmp_path / "jobs")
    pid = manager.call_job_fn("maps", manager.make_job_fn(job, progress=True), (), {})
    code = _exit_code(pid)
    assert code == 143, f"the job ended with status {code}"
    record = json.loads(context._job_file("baselines").read_text())
    assert record == {"state": "stopped", "by": "SIGTERM"}
    assert context.job_running("baselines") is None
    assert manager.get_result("maps", None) is manager.UNDEFINED


def test_a_training_stopped_while_it_lays_out_the_genes_keeps_the_trained_network(
    sepira_es, tmp_path, monkeypatch
):
    """Stopped during the gene layout (tens of seconds of UMAP after minutes of training), the
    job lost the trained network: the next page trained it again from the start."""
    import pytest

    from dashboard import model_state
    from dashboard.context import AppContext, DashboardConfig, ModelSettings
    from dashboard.standin import PCAEmbedding

    cfg = DashboardConfig(
        cache_dir=tmp_path / "cache",
        settings=ModelSettings(gene_dim=8, standin=True),
        gene_layout="pca",
    )
    fits: list[int] = []
    fit = PCAEmbedding.fit
    monkeypatch.setattr(
        PCAEmbedding, "fit", lambda self, *a, **k: fits.append(1) or fit(self, *a, **k)
    )
    layout = model_state.gene_layout_2d

    def stopped(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt  # Ctrl-C, or the server stopped, while the genes are laid out

    monkeypatch.setattr(model_state, "gene_layout_2d", stopped)
    with pytest.raises(KeyboardInterrupt):
        AppContext(sepira_es, cfg).train(record=True)
    assert fits == [1]
    assert not AppContext(sepira_es, cfg).model_ready_on_disk(), "an unfinished model is stored"

    monkeypatch.setattr(model_state, "gene_layout_2d", layout)
    messages: list[str] = []
    context = AppContext(sepira_es, cfg)  # the server started again: the next page's job
    key = context.train(progress=lambda f, m: messages.append(m), record=True)
    assert fits == [1], "the network trained before the stop was trained again"
    assert any("kept" in m for m in messages), messages
    st = context.state()
    assert st is not None and st.key == key
    assert st.sample_embedding.shape == (sepira_es.n_samples, 2)
    assert not context.fitted_entry.exists(), "the kept network stays beside the stored model"
    assert context.job_outcome("train") == {"state": "done"}
