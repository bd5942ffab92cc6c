"""Results written by a background job (a process forked from the server) are seen by the
server and by any other process: the baseline maps' retry after a killed job, read again on the
next page load or by the baseline maps' export.

With the results in SQLite (diskcache), a job forked while a request thread of the server held
the store open inherited SQLite's per-process lock state; once that thread ended (and closed its
connection), the job's later writes went to a write-ahead log that had just been removed, and no
other process ever saw them.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from dashboard.context import AppContext, DashboardConfig, ModelSettings

REPO = Path(__file__).resolve().parents[2]


def _in_thread(fn):
    """Run ``fn`` in a thread that then ends (as the dev server answers each request)."""
    out: dict = {}
    thread = threading.Thread(target=lambda: out.update(value=fn()))
    thread.start()
    thread.join(60)
    gc.collect()  # what the thread held is released (as a server's collector does, later)
    return out.get("value")


def _wait(pid: int, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError("the forked job did not end")


def test_a_job_forked_while_a_request_reads_the_results_is_seen_by_the_server(sepira_es, tmp_path):
    cfg = DashboardConfig(
        cache_dir=tmp_path / "cache",
        settings=ModelSettings(gene_dim=8, standin=True),
        gene_layout="pca",
    )
    context = AppContext(sepira_es, cfg)
    # the store is opened by a request (page load: are the baseline maps cached?), a thread
    # that then ends: the server's main thread never opens it
    assert _in_thread(context.cached_baselines) is None
    key = _in_thread(context.baselines_key)

    # a job killed while it computed (the out-of-memory killer): it wrote part of its results
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the job
        try:
            context.results.set(context.results.key("partial"), np.ones(3))
            time.sleep(60)
        finally:
            os._exit(0)
    time.sleep(0.5)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)

    # the page asks again while the retry starts: the request's thread holds the store open
    # when the retry is forked, and ends while the retry computes
    reading, release = threading.Event(), threading.Event()

    def request() -> None:
        context.cached_baselines()
        reading.set()
        release.wait(60)

    thread = threading.Thread(target=request)
    thread.start()
    assert reading.wait(30)
    go = tmp_path / "go"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the retry job
        code = 1
        try:
            context.results.get("anything")  # the job's first use of the store
            deadline = time.time() + 30
            while not go.exists() and time.time() < deadline:
                time.sleep(0.02)
            context.results.set(key, {"maps": {"PCA": np.zeros((3, 2))}, "label": "tissue"})
            code = 0
        finally:
            os._exit(code)
    release.set()
    thread.join(30)
    gc.collect()  # what the thread held is released (as a server's collector does, later)
    go.touch()  # the request has ended: the retry stores its maps
    _wait(pid)

    # the next page load (a new request thread), the server's own thread, another process
    seen = _in_thread(context.cached_baselines)
    assert seen is not None and seen["label"] == "tissue", "the retry's maps are lost"
    assert context.cached_baselines() is not None
    code = (
        "import sys; from core.cache import ResultCache; "
        f"print(ResultCache(sys.argv[1]).get({key!r}) is not None)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(context.cache_dir / "results")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert out.stdout.strip() == "True"
    # what the killed job had written is there too
    assert context.results.get(context.results.key("partial")) is not None
