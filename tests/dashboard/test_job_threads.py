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


def _wait_for_job(out, pid: int, seconds: float) -> None:
    """Wait for the job ``pid`` to write ``out``; kill it after ``seconds`` (it hangs)."""
    deadline = time.monotonic() + seconds
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    if not out.exists():
        os.kill(pid, signal.SIGKILL)


def _job(key, progress_key, args, context) -> None:  # Dash's job signature
    _torch_work(args)


def test_a_job_forked_after_the_server_ran_torch_finishes_on_all_threads(tmp_path):
    import torch

    from dashboard.jobs_store import JobsManager

    manager = JobsManager(tmp_path / "jobs")
    _torch_work(str(tmp_path / "server.txt"))  # the server's own work (a predicted colouring)
    out = tmp_path / "job.txt"
    pid = manager.call_job_fn("k", _job, str(out), None)
    _wait_for_job(out, pid, 60)
    assert out.exists(), "the job forked after the server's torch work never finished"
    assert int(out.read_text()) >= 2  # the job has its threads back
    assert torch.get_num_threads() == 1  # the server kept to one


def _importing_job(key, progress_key, args, context) -> None:  # Dash's job signature
    """Import the module the server is importing, then another one in a thread of its own."""
    import importlib
    import threading

    out, first, second = args
    importlib.import_module(first)
    thread = threading.Thread(target=importlib.import_module, args=(second,), daemon=True)
    thread.start()
    thread.join(20)
    with open(out, "w") as fh:
        fh.write("thread alive" if thread.is_alive() else "done")


def test_a_job_forked_while_the_server_imports_a_module_finishes(tmp_path, monkeypatch):
    """A request importing a module (scipy.stats for a selection's specific genes) while a job
    was forked: the job inherited that module's import lock, held for ever, and hung at its
    own import of it (the page's training, 20 minutes in ``import sklearn``). The fork now
    waits for the import, and the job can import in threads of its own."""
    import importlib
    import sys
    import threading

    from dashboard.jobs_store import JobsManager

    (tmp_path / "fe_slow_module.py").write_text("import time\ntime.sleep(3)\n")
    (tmp_path / "fe_other_module.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("fe_slow_module", "fe_other_module"):
        sys.modules.pop(name, None)
    manager = JobsManager(tmp_path / "jobs")
    importing = threading.Thread(target=importlib.import_module, args=("fe_slow_module",))
    importing.start()
    time.sleep(0.5)  # the server's thread is inside the import
    out = tmp_path / "job.txt"
    pid = manager.call_job_fn(
        "k", _importing_job, (str(out), "fe_slow_module", "fe_other_module"), None
    )
    importing.join()
    _wait_for_job(out, pid, 40)
    assert out.exists(), "the job forked during the server's import never finished"
    assert out.read_text() == "done"
