"""Where Dash's background jobs leave their progress and results: :class:`JobStore`, one file
per entry, and :class:`JobsManager`, Dash's ``DiskcacheManager`` that uses it.

Dash forks each job from the server and reads what it writes from the server's threads, or from
another server process (gunicorn workers, a server restarted while the job ran). With the
entries in SQLite (``diskcache``), a job forked from a request thread inherited SQLite's lock
state, which is per process: the connection the job opened took none of the file locks it
believed it held. Once the server that forked it ended (a restart, a worker replaced), the next
server's connections removed the write-ahead log the job still wrote to, and its progress and
result were lost: the page waited on the job for ever. Each entry here is a file written to a
temporary name and renamed into place (as the results of :mod:`core.cache`): no state is held
open between two calls, so nothing is inherited by a fork, and every process sees a write once
the call that made it has returned.

Values are pickled, as ``diskcache`` did: the store holds what the app's own jobs return, and its
directory is the app's cache directory.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import pickle
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dash import DiskcacheManager
from dash.background_callback.managers import BaseBackgroundCallbackManager

log = logging.getLogger(__name__)

_SUFFIX = ".job"
_TMP = ".tmp"


class JobStore:
    """A keyed store shared by processes, with the calls ``DiskcacheManager`` makes of a
    ``diskcache.Cache``: :meth:`get`, :meth:`set`, :meth:`delete`, :meth:`touch`, :meth:`transact`.

    Parameters
    ----------
    directory
        Where the entries are kept (created if missing).
    max_age
        Seconds after which an entry never read (a job whose page was closed) is removed, when
        a store is opened on the directory.
    """

    def __init__(self, directory: str | os.PathLike[str], max_age: float = 7 * 24 * 3600.0):
        self.directory = Path(directory)
        self.max_age = float(max_age)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._thread_lock = threading.Lock()  # transact() where there is no fcntl
        self.prune()

    def _path(self, key: str) -> Path:
        if not isinstance(key, str):
            raise TypeError(f"job store keys are strings, got {type(key).__name__}: {key!r}")
        return self.directory / (hashlib.sha256(key.encode()).hexdigest() + _SUFFIX)

    def _read(self, path: Path) -> tuple[float | None, Any] | None:
        """The entry at ``path``, or None when there is none. A damaged one (a disk error, an
        entry of another version of the app) is removed, with a warning, and read as missing:
        Dash then ends the job's polling with no update (the page's progress stops and the
        user can ask again) rather than failing every poll with a server error."""
        try:
            handle = open(path, "rb")  # noqa: SIM115 - held open until the entry is judged
        except FileNotFoundError:
            return None
        with handle:
            data = handle.read()
            try:
                expires, value = pickle.loads(data)  # noqa: S301 - written by this app's own jobs
            except Exception as exc:  # noqa: BLE001 - whatever unpickling a damaged file raises
                # removed only while it is the file read (held open, its inode is not reused):
                # an entry renamed into place since by another process is read next time
                read = os.fstat(handle.fileno())
                fate = "removed"
                try:
                    now = path.stat()
                    if (now.st_ino, now.st_dev) == (read.st_ino, read.st_dev):
                        path.unlink()
                    else:
                        fate = "a new entry has replaced it"
                except FileNotFoundError:
                    fate = "removed meanwhile"
                except OSError as why:
                    fate = f"left in place: {why}"
                log.warning("job store: the entry %s cannot be read (%s); %s", path, exc, fate)
                return None
        return expires, value

    def _write(self, path: Path, expires: float | None, value: Any) -> None:
        data = pickle.dumps((expires, value), protocol=pickle.HIGHEST_PROTOCOL)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{uuid.uuid4().hex}{_TMP}")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``; ``default`` when there is none or it has expired."""
        path = self._path(key)
        entry = self._read(path)
        if entry is None:
            return default
        expires, value = entry
        if expires is not None and expires <= time.time():
            path.unlink(missing_ok=True)
            return default
        return value

    def set(self, key: str, value: Any, expire: float | None = None) -> bool:
        """Store ``value`` under ``key`` (replacing any), for ``expire`` seconds if given."""
        expires = None if expire is None else time.time() + float(expire)
        self._write(self._path(key), expires, value)
        return True

    def delete(self, key: str) -> bool:
        """Remove ``key``; whether it was there."""
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def touch(self, key: str, expire: float | None = None) -> bool:
        """Set the lifetime of ``key`` to ``expire`` seconds from now (``None``: no end)."""
        path = self._path(key)
        entry = self._read(path)
        if entry is None or (entry[0] is not None and entry[0] <= time.time()):
            return False
        expires = None if expire is None else time.time() + float(expire)
        self._write(path, expires, entry[1])
        return True

    @contextlib.contextmanager
    def transact(self) -> Iterator[None]:
        """Hold the store's lock (across processes: ``flock``) while the block runs."""
        try:
            import fcntl
        except ImportError:  # no fcntl: across this process's threads only
            with self._thread_lock:
                yield
            return
        with open(self.directory / ".transact.lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def prune(self) -> None:
        """Remove expired entries, entries older than ``max_age`` and the temporary files of
        writers that were killed."""
        now = time.time()
        for path in self.directory.iterdir():
            name = path.name
            try:
                if name.endswith(_TMP):
                    if now - path.stat().st_mtime > 3600:
                        path.unlink()
                elif name.endswith(_SUFFIX):
                    if now - path.stat().st_mtime > self.max_age:
                        path.unlink()
                    else:
                        entry = self._read(path)
                        if entry is not None and entry[0] is not None and entry[0] <= now:
                            path.unlink()
            except FileNotFoundError:  # removed by another process meanwhile
                continue
            except OSError as exc:
                log.warning("job store: %s left in place: %s", path, exc)


@functools.cache  # once per process: a second call would hand the jobs one thread
def server_torch_threads() -> int:
    """Run torch on one thread in this (the server's) process; returns the number of threads
    it had, which :class:`JobsManager` gives back to each job it forks.

    torch's CPU kernels run on GNU OpenMP, whose threads do not survive ``fork()``: a process
    forked after its parent ran a kernel on several threads waits for ever at its own first
    one. Colouring the samples by a predicted value, then placing an upload, left the page
    waiting on a placing job that never ended. The server's own torch work is small (a
    profile decoded at a click, one gene predicted for every sample).
    """
    import torch

    n = torch.get_num_threads()
    if n > 1:
        torch.set_num_threads(1)
    return n


def _release_inherited_listeners() -> None:
    """In a job just forked from the server: let go of the server's listening sockets.

    A job holds every file the server had open. Once the server ended (stopped by SIGTERM, a
    worker replaced) the job still held its port while it trained, and the server started again
    on that port was refused ("Address already in use") until the job was done. Each listening
    socket's descriptor is pointed at ``/dev/null`` (not closed: the server's socket object,
    copied into the job, may close it later, and a closed number may be reused by then).
    """
    import psutil

    try:
        connections = psutil.Process().net_connections(kind="inet")
    except (psutil.Error, OSError):  # (nothing to say: the job runs as it did)
        return
    listening = [c.fd for c in connections if c.status == psutil.CONN_LISTEN and c.fd >= 0]
    if not listening:
        return
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in listening:
            os.dup2(null, fd)
    finally:
        os.close(null)


def _release_inherited_import_lock() -> None:
    """Let go of the import lock a job is forked holding (:func:`imports_settled`: the fork
    keeps it for the child's one thread): a thread the job starts could import nothing."""
    import _imp

    while _imp.lock_held():
        try:
            _imp.release_lock()
        except RuntimeError:  # (another thread's: a job run in the server's own process)
            break


def _run_job(job_fn: Any, torch_threads: int, *args: Any) -> None:
    """A background job's process: ``job_fn(*args)`` once the server's port is let go of, on
    the ``torch_threads`` the server kept to one (:func:`server_torch_threads`).

    Ctrl-C in the server's terminal stops the jobs too (they are in its process group): a job
    ends with status 130 and one line in the log, not with a traceback of where it was. SIGTERM
    (the server stopped by its service manager, ``kill``) stops it as Ctrl-C does
    (:class:`core.cli.Terminated`), with status 143: either way the job records that it stopped
    (:meth:`dashboard.job_records.JobRecords.job_stopped`); killed at once by SIGTERM, its record
    still said "running".
    """
    from core.cli import Terminated

    _release_inherited_import_lock()
    _release_inherited_listeners()
    if torch_threads > 1:
        import torch

        torch.set_num_threads(torch_threads)

    def terminate(signum: int, frame: object) -> None:
        raise Terminated(f"signal {signum}")

    if threading.current_thread() is threading.main_thread():  # (where handlers can be set)
        signal.signal(signal.SIGTERM, terminate)
    try:
        job_fn(*args)
    except KeyboardInterrupt as exc:
        by = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
        log.info("background job (process %d) stopped by %s", os.getpid(), by)
        raise SystemExit(143 if by == "SIGTERM" else 130) from None
    except Exception as exc:
        from dashboard.job_records import disk_full

        if not disk_full(exc):
            raise
        # its result could not be stored: the job said why (a full disk), its page reads it
        # from the job's record, and a traceback here would say it again
        log.info("background job (process %d) ended on a full disk: %s", os.getpid(), exc)
        raise SystemExit(1) from None


#: How long a job's fork waits for the imports that other threads of the server are running.
IMPORT_WAIT_S = 60.0


def _importing_elsewhere() -> list[str]:
    """Modules that threads other than this one are importing now (their import locks held)."""
    from importlib import _bootstrap  # (its module locks: CPython's, private)

    me = threading.get_ident()
    busy = []
    for name, ref in list(getattr(_bootstrap, "_module_locks", {}).items()):
        lock = ref()
        owner = getattr(lock, "owner", None)
        if owner and owner != me:
            busy.append(name)
    return busy


@contextlib.contextmanager
def imports_settled(timeout: float = IMPORT_WAIT_S) -> Iterator[None]:
    """Hold the interpreter's import lock, once no other thread is importing a module, for a
    fork made within.

    A forked process inherits each module's import lock as it is: one held by another thread
    of the server (a request importing scipy.stats for a selection's specific genes) is held
    for ever in the job, and the job hangs at its first import of that module (seen: the
    page's training job waited in ``import sklearn`` for 20 minutes). Holding the global
    import lock keeps other threads from starting an import until the fork is made; after
    ``timeout`` seconds of waiting the fork is made anyway (logged).
    """
    import _imp

    deadline = time.monotonic() + timeout
    while True:
        busy = _importing_elsewhere()
        if busy and time.monotonic() < deadline:
            time.sleep(0.02)  # (not holding the lock: those imports may need it to finish)
            continue
        _imp.acquire_lock()
        busy = _importing_elsewhere()
        if not busy or time.monotonic() >= deadline:
            break
        _imp.release_lock()
    if busy:
        log.warning("a job is forked while other threads import %s", ", ".join(busy[:5]))
    try:
        yield
    finally:
        _imp.release_lock()


class JobsManager(DiskcacheManager):
    """Dash's ``DiskcacheManager`` (jobs forked from the server, polled by the page) with its
    progress and results in a :class:`JobStore`. Each job runs on the torch threads that the
    server keeps to one (:func:`server_torch_threads`).

    Parameters
    ----------
    directory
        The store's directory.
    cache_by, expire
        As for ``DiskcacheManager``.
    """

    def __init__(self, directory: str | os.PathLike[str], cache_by: Any = None, expire: Any = None):
        # DiskcacheManager.__init__ accepts only a diskcache store; its other methods call
        # self.handle's get, set, delete, touch and transact, which JobStore has. The handle is
        # set first: the base class makes the job functions of the callbacks already registered
        # (by another app of this process) with it.
        self.handle = JobStore(directory)
        self.expire = expire
        BaseBackgroundCallbackManager.__init__(self, cache_by)
        # Dash names a job by its function's source and arguments: a result never read (its
        # page closed first) stayed in the store for days, and the next request with the same
        # arguments got it at once, from another run of the app (another dataset's baseline
        # maps), and the job it had just started was stopped. Salted per manager: a job's
        # page polls it by the key it was given, so only a new request asks for a new key.
        self._salt = uuid.uuid4().hex
        self._torch_threads = server_torch_threads()

    def build_cache_key(self, fn: Any, args: Any, cache_args_to_ignore: Any, triggered: Any) -> str:
        key = super().build_cache_key(fn, args, cache_args_to_ignore, triggered)
        return hashlib.sha256(f"{self._salt}:{key}".encode()).hexdigest()

    @staticmethod
    def _job_entry(job: Any) -> str:
        return f"fe-job-of-process-{int(job)}"

    def call_job_fn(self, key: Any, job_fn: Any, args: Any, context: Any) -> Any:
        """Fork the job (as Dash does), which lets go of the server's port first, runs on the
        server's torch threads and ends quietly on Ctrl-C (:func:`_run_job`)."""
        job = functools.partial(_run_job, job_fn, self._torch_threads)
        with imports_settled():  # (a module half imported by another thread hangs the job)
            pid = super().call_job_fn(key, job, args, context)
        if pid is not None:  # which result is the job's (the page names a job by its process)
            try:
                self.handle.set(self._job_entry(pid), key)
            except Exception as exc:
                from dashboard.job_records import disk_full

                if not disk_full(exc):
                    raise
                # the job runs on and its page says the full disk (from the job's record);
                # unrecorded here, a result it stores after a Clear is not dropped (before, the
                # request failed with a traceback while the forked job ran on)
                log.warning("job (process %s) not recorded, the disk is full: %s", pid, exc)
        return pid

    def terminate_job(self, job: Any) -> None:
        """Stop the job (Dash: "Clear" cancels it, or a newer request replaces it) and drop its
        result: one that ended just before (its page polls every 700 ms) was still given to
        the page after it was cleared."""
        super().terminate_job(job)
        if job is None:
            return
        entry = self._job_entry(job)
        key = self.handle.get(entry)
        if key is not None:
            self.handle.delete(key)
            self.handle.delete(entry)
