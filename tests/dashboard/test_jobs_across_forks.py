"""What a background job writes (its progress, its result, the training lock) is seen by the
server that reads it, even when the server that forked the job ended while it ran (a restart, a
gunicorn worker replaced) and the next one answers the page.

Dash's job results were in SQLite (diskcache): the server opens the store on its main thread at
start, and forks each job from a request thread. The job opened its own connection, but SQLite's
lock state is per process and the job inherited the server's: its connection took none of the
file locks it believed it held. Once the server that forked it ended, nothing protected the
job's write-ahead log, the next server's connections removed it, and the job's progress and
result went to a file no other process ever read: the page waited on the job for ever.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import pytest

from dashboard.factory import jobs_manager

RESULT = {"maps": [[0.0, 1.0], [2.0, 3.0]], "label": "tissue"}


def _in_thread(fn: Any) -> Any:
    """Run ``fn`` in a thread that then ends (as the server answers each request)."""
    out: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: out.update(value=fn()))
    thread.start()
    thread.join(60)
    gc.collect()  # what the thread held is released (as a server's collector does, later)
    return out.get("value")


def _wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout:.0f} s")


def _run_server(cache_dir: Path, job: Any, pid_file: Path) -> None:
    """A server (a process forked from this one, as gunicorn forks its workers) that starts
    ``job`` from a request thread, sees its first progress message, then ends."""
    code = 1
    try:
        manager = jobs_manager(cache_dir)  # the app, built on the main thread at start
        job_fn = manager.make_job_fn(job, progress=True)
        key = "job-result"

        def start() -> None:  # the request that starts the job (Dash forks it there)
            pid = manager.call_job_fn(key, job_fn, (), {})
            pid_file.write_text(str(pid))

        _in_thread(start)
        _wait_for(lambda: _in_thread(lambda: manager.get_progress(key)), 30, "no progress")
        code = 0
    except BaseException:  # said by the test (the process ends here)
        pid_file.with_suffix(".error").write_text(traceback.format_exc())
    finally:
        os._exit(code)  # the server restarts: the job runs on


def _start_through_a_server_that_ends(cache_dir: Path, job: Any) -> int:
    """The job's pid, once the server that forked it has ended."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    pid_file = cache_dir / "job.pid"
    server = os.fork()
    if server == 0:  # pragma: no cover - the server
        _run_server(cache_dir, job, pid_file)
    _, status = os.waitpid(server, 0)
    error = pid_file.with_suffix(".error")
    assert os.waitstatus_to_exitcode(status) == 0, (
        f"the server did not start the job: {error.read_text() if error.exists() else status}"
    )
    return int(pid_file.read_text())


def test_a_job_that_outlives_the_server_that_forked_it_is_seen_by_the_next(tmp_path):
    cache_dir = tmp_path / "cache"
    go = tmp_path / "go"

    def job(set_progress: Any) -> dict[str, Any]:
        set_progress(["0", "computing"])
        deadline = time.time() + 30
        while not go.exists() and time.time() < deadline:
            time.sleep(0.02)
        set_progress(["90", "storing"])
        return RESULT

    try:
        pid = _start_through_a_server_that_ends(cache_dir, job)
        # the next server: built at start on its main thread, the page's polls in its threads
        manager = jobs_manager(cache_dir)
        assert _in_thread(lambda: manager.get_result("job-result", None)) is manager.UNDEFINED
        go.touch()  # the job goes on
        _wait_for(lambda: not manager.job_running(pid), 60, "the job did not end")
        assert _in_thread(lambda: manager.get_progress("job-result")) == ["90", "storing"], (
            "the job's progress is lost"
        )
        result = _in_thread(lambda: manager.get_result("job-result", None))
        assert result == RESULT, "the job's result is lost: the page waits on it for ever"
        # read once (Dash clears it), as it was before
        assert _in_thread(lambda: manager.get_result("job-result", None)) is manager.UNDEFINED
    finally:
        go.touch()


def test_the_training_lock_of_a_job_that_outlives_the_server_is_kept(sepira_es, tmp_path):
    """The training lock is taken in the job (a store of its own, never opened by the server):
    held while the job trains after the server that forked it ended, released when it is done."""
    import diskcache

    from dashboard.context import AppContext, DashboardConfig, ModelSettings
    from dashboard.job_records import OwnedLock

    cfg = DashboardConfig(
        cache_dir=tmp_path / "cache",
        settings=ModelSettings(gene_dim=8, standin=True),
        gene_layout="pca",
    )
    context = AppContext(sepira_es, cfg)
    go = tmp_path / "go"
    name = f"train-owned-{context.model_entry.name}"

    def job(set_progress: Any) -> str:
        def progress(fraction: float, message: str) -> None:
            set_progress([str(fraction), message])
            deadline = time.time() + 30
            while fraction == 0.0 and not go.exists() and time.time() < deadline:
                time.sleep(0.02)  # training, the lock held

        return context.train(progress=progress)

    def held() -> Any:
        locks = diskcache.Cache(str(context.cache_dir / "locks"))
        try:
            return locks.get(name)
        finally:
            locks.close()

    try:
        pid = _start_through_a_server_that_ends(context.cache_dir, job)
        owner = _in_thread(held)
        assert owner is not None and owner["pid"] == pid, "the training lock is lost"
        assert OwnedLock.owner_alive(owner)
        go.touch()
        manager = jobs_manager(context.cache_dir)
        _wait_for(lambda: not manager.job_running(pid), 120, "the training job did not end")
        assert _in_thread(held) is None, "the training lock stays held"
        key = _in_thread(lambda: manager.get_result("job-result", None))
        assert key == context.require_state().key, "the training job's result is lost"
    finally:
        go.touch()


def test_the_job_store_answers_as_dash_asks(tmp_path):
    """What ``DiskcacheManager`` calls of its store: get, set, delete, touch, transact."""
    from dashboard.jobs_store import JobStore

    store = JobStore(tmp_path / "jobs")
    assert store.get("missing") is None and store.get("missing", "x") == "x"
    assert store.set("k", {"a": [1, 2]}) and store.get("k") == {"a": [1, 2]}
    assert JobStore(tmp_path / "jobs").get("k") == {"a": [1, 2]}  # another handle (process)
    assert store.delete("k") and not store.delete("k") and store.get("k") is None
    store.set("short", 1, expire=60)
    assert store.touch("short", expire=-1) and store.get("short") is None
    assert not store.touch("short")
    with store.transact():
        store.set("in", 2)
    assert store.get("in") == 2
    with pytest.raises(TypeError, match="strings"):
        store.get(("not", "a", "string"))
    # a writer killed before its rename left a temporary file: removed when an hour old
    stale = tmp_path / "jobs" / "x.job.123.abc.tmp"
    stale.write_bytes(b"partial")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    JobStore(tmp_path / "jobs")
    assert not stale.exists() and store.get("in") == 2


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05\x95"])
def test_a_damaged_entry_reads_as_missing_and_is_removed(tmp_path, caplog, damage):
    """A damaged entry raised from every read: each poll of its job's page was a server error
    (HTTP 500). It is now read as missing (Dash ends the polling with no update), said in the
    log, and removed; the other entries are kept."""
    from dashboard.jobs_store import JobStore

    store = JobStore(tmp_path / "jobs")
    store.set("good", 1)
    store.set("bad", 2)
    store._path("bad").write_bytes(damage)
    with caplog.at_level(logging.WARNING, logger="dashboard.jobs_store"):
        assert store.get("bad") is None and store.get("bad", "x") == "x"
    assert "cannot be read" in caplog.text
    assert not store._path("bad").exists() and store.get("good") == 1
    assert not store.touch("bad")
    # a store opened on the folder (another process) passes over one as well
    (tmp_path / "jobs" / ("0" * 64 + ".job")).write_bytes(damage)
    JobStore(tmp_path / "jobs")
    assert not (tmp_path / "jobs" / ("0" * 64 + ".job")).exists() and store.get("good") == 1


def test_an_entry_written_while_a_damaged_one_is_read_is_kept(tmp_path, monkeypatch):
    """A damaged entry is removed once read: an entry that another process renamed into its
    place meanwhile (a job's next progress, its result) was removed with it, and lost."""
    import pickle

    from dashboard import jobs_store
    from dashboard.jobs_store import JobStore

    store = JobStore(tmp_path / "jobs")
    store._path("k").write_bytes(b"not a pickle")
    loads = pickle.loads
    calls = []

    def written_meanwhile(data):
        if not calls:
            calls.append(1)
            JobStore(tmp_path / "jobs").set("k", "result")  # another process writes
        return loads(data)

    monkeypatch.setattr(jobs_store.pickle, "loads", written_meanwhile)
    assert store.get("k") is None  # the damaged file read
    assert store.get("k") == "result"  # the entry written since is there


def test_a_job_stopped_after_it_ended_gives_no_result(tmp_path):
    """ "Clear" cancels a placing job; one that had ended less than a poll (700 ms) before still
    gave its samples to the page once cleared. A stopped job's result is now dropped; a job
    read as usual gives its result once."""
    from dashboard.factory import jobs_manager

    manager = jobs_manager(tmp_path / "cache")

    def job(key, progress_key, args, context):  # the shape of Dash's job functions
        manager.handle.set(key, {"placed": args[0]})

    def run(arg):
        key = manager.build_cache_key(job, [arg], [], None)
        pid = manager.call_job_fn(key, job, [arg], {})
        deadline = time.time() + 30
        while manager.handle.get(key) is None and time.time() < deadline:
            time.sleep(0.05)
        assert manager.handle.get(key) == {"placed": arg}, "the job wrote no result"
        return key, pid

    key, pid = run("cleared")
    manager.terminate_job(pid)  # "Clear" (or a newer request of the same outputs)
    assert manager.get_result(key, pid) is manager.UNDEFINED
    key, pid = run("kept")
    assert manager.get_result(key, pid) == {"placed": "kept"}  # (then removed, as Dash does)
    assert manager.get_result(key, pid) is manager.UNDEFINED
