"""Jobs forked after the server ran torch on several threads: they waited for ever.

torch's CPU kernels run on GNU OpenMP, whose threads do not survive ``fork()``. Colouring the
samples by a predicted value (torch, in the server) and then placing an upload (a job forked
from the server) left the page waiting on a job that never ended.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

pytestmark = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one CPU: no thread pool")


def _torch_work(out: str) -> None:
    import torch

    x = torch.randn(600, 600)
    (x @ x).relu().sum()  # large enough to run on every thread
    with open(out, "w") as fh:
        fh.write(str(torch.get_num_threads()))


def _job(key, progress_key, args, context) -> None:  # Dash's job signature
    _torch_work(args)


def test_a_job_forked_after_the_server_ran_torch_finishes_on_all_threads(tmp_path):
    import torch

    from dashboard.jobs_store import JobsManager

    manager = JobsManager(tmp_path / "jobs")
    _torch_work(str(tmp_path / "server.txt"))  # the server's own work (a predicted colouring)
    out = tmp_path / "job.txt"
    pid = manager.call_job_fn("k", _job, str(out), None)
    deadline = time.monotonic() + 60
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    if not out.exists():
        os.kill(pid, signal.SIGKILL)
    assert out.exists(), "the job forked after the server's torch work never finished"
    assert int(out.read_text()) >= 2  # the job has its threads back
    assert torch.get_num_threads() == 1  # the server kept to one
