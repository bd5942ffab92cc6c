"""The records the app keeps of its own background jobs (training, the baseline maps, placing
uploaded samples), beside Dash's store of their results (:mod:`dashboard.jobs_store`).

:class:`OwnedLock`, a lock across processes that a killed owner does not keep, lets one job do
the work while a second waits. Each job's record, a small file under
``<cache-dir>/jobs-state/`` (:class:`JobRecords`, a part of
:class:`dashboard.context.AppContext`), says that it runs and how far it is, and then how it
ended, so that a page opened meanwhile follows it and a killed job is told apart from a failed
one. The samples a placing job placed are kept there too, for a week, for a reloaded page.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.errors import CoreError

log = logging.getLogger(__name__)

#: What a job reports its progress to: ``progress(fraction, message)``, fraction in 0..1.
ProgressFn = Callable[[float, str], None]


class OwnedLock:
    """A lock across processes (a ``diskcache`` entry) that a process killed while holding it
    does not keep: its owner's pid is recorded, and a waiter takes over a lock whose owner on
    this machine is gone (``diskcache.Lock`` stayed held until it expired, an hour, and a new
    training job waited that long after the last one was killed).

    Parameters
    ----------
    cache
        The ``diskcache.Cache`` holding the lock.
    name
        The lock's key.
    expire
        Seconds after which the lock lapses whatever its owner (a live owner on another machine).
    poll
        Seconds between two attempts.
    """

    def __init__(self, cache: Any, name: str, expire: float = 3600.0, poll: float = 0.5):
        self.cache, self.name, self.expire, self.poll = cache, name, expire, poll

    @staticmethod
    def identity() -> dict[str, Any]:
        """This process, as :meth:`owner_alive` recognises it: pid, host and start time."""
        import psutil

        pid = os.getpid()
        return {
            "pid": pid,
            "host": socket.gethostname(),
            "started": psutil.Process(pid).create_time(),
        }

    @staticmethod
    def owner_alive(owner: Any) -> bool:
        """Whether the process that holds a lock may still be running (True when unknown)."""
        import psutil

        if not isinstance(owner, dict) or owner.get("host") != socket.gethostname():
            return True  # another machine's process, or an entry of another kind: wait
        try:
            proc = psutil.Process(int(owner["pid"]))
            if (
                owner.get("started") is not None
                and abs(proc.create_time() - float(owner["started"])) > 1.0
            ):
                return False  # the pid was reused by another process
            return proc.status() != psutil.STATUS_ZOMBIE
        except (psutil.NoSuchProcess, KeyError, TypeError, ValueError):
            return False

    def acquire(self, waiting: Callable[[], None] | None = None) -> None:
        """Wait for the lock and take it; ``waiting()`` is called between two attempts (to say
        how far the owner's work is)."""
        owner = self._held = self.identity()
        while not self.cache.add(self.name, owner, expire=self.expire):
            held = self.cache.get(self.name)
            if held is not None and not self.owner_alive(held):
                with self.cache.transact():
                    if self.cache.get(self.name) == held:
                        log.warning("taking over the lock %s of a process that ended", self.name)
                        self.cache.delete(self.name)
                continue
            if waiting is not None:
                waiting()
            time.sleep(self.poll)

    def release(self) -> None:
        try:
            with self.cache.transact():
                if self.cache.get(self.name) == getattr(self, "_held", None):
                    self.cache.delete(self.name)
        except Exception as exc:
            if not disk_full(exc):
                raise
            # a full disk: the lock stays, and lapses with its owner (a job's process, which
            # ends now), so the next job takes over; the job's own error says the disk is full
            log.debug("the lock %s could not be released: %s", self.name, exc)

    def __enter__(self) -> OwnedLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class JobRecords:
    """The background jobs of an :class:`~dashboard.context.AppContext` (a part of it): their
    turns (a lock each) and their records on disk.

    Uses the context's ``cache_dir``, ``fingerprint``, ``model_entry``, :meth:`baselines_key`,
    :meth:`state` and :meth:`require_state`.
    """

    # ------------------------------------------------------------------ turns
    def _renew_lock_store(self, exc: Exception) -> None:
        locks = self.cache_dir / "locks"
        log.warning("the job lock store %s is damaged (%s): made anew", locks, exc)
        doomed = locks.with_name(f"locks.damaged-{uuid.uuid4().hex[:8]}")
        try:
            locks.rename(doomed)
        except OSError as err:
            raise CoreError(
                f"the job lock store {locks} is damaged ({exc}) and cannot be moved aside "
                f"({err}); stop the dashboard, delete that folder and start it again"
            ) from None
        shutil.rmtree(doomed, ignore_errors=True)

    def _job_turn(
        self, kind: str, name: str, record: bool, waiting: Callable[[], None]
    ) -> tuple[Any, OwnedLock]:
        """The lock ``name`` of the background job ``kind``, waited for (``waiting()`` between
        two attempts) -> (its cache, to close; the lock, held).

        With ``record``, a failure here (a cache that cannot be opened) is recorded as the job's
        end: the page reads the end from the record, and without it the failure was told as a
        job killed for lack of memory (a job that another runs meanwhile keeps its record)."""
        import diskcache

        lock_cache = None
        try:
            try:
                lock_cache = diskcache.Cache(str(self.cache_dir / "locks"))
                lock = OwnedLock(lock_cache, name, expire=6 * 3600)
                lock.acquire(waiting=waiting)
            except sqlite3.DatabaseError as exc:  # a damaged lock store ("disk image is
                # malformed") failed every training, restart or not: it holds only the locks
                # of running jobs, so it is made anew; a busy one ("database is locked", an
                # OperationalError) is no damage, and another job may hold a lock in it
                if isinstance(exc, sqlite3.OperationalError):
                    raise
                if lock_cache is not None:
                    lock_cache.close()
                lock_cache = None
                self._renew_lock_store(exc)
                lock_cache = diskcache.Cache(str(self.cache_dir / "locks"))
                lock = OwnedLock(lock_cache, name, expire=6 * 3600)
                lock.acquire(waiting=waiting)
        except Exception as exc:
            if lock_cache is not None:
                lock_cache.close()
            if record and not self._job_record_held(kind):
                self._record_failure(kind, exc)
            raise
        return lock_cache, lock

    def _recorded(
        self,
        kind: str,
        work: Callable[[ProgressFn], Any],
        progress: ProgressFn,
        words: Callable[[float, str], str] = lambda fraction, message: message,
    ) -> Any:
        """``work(progress)`` run by the job that holds the lock of ``kind``, its start, its
        progress (as ``words`` says it) and its end kept in the job's record, which pages
        opened meanwhile follow."""
        self.job_started(kind)

        def recorded(fraction: float, message: str) -> None:
            progress(fraction, message)
            self.job_progress(kind, words(fraction, message), fraction)

        try:
            result = work(recorded)
        except Exception as exc:
            self._record_failure(kind, exc)
            raise
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (dashboard.jobs_store._run_job)
            # recorded as stopped: left "running", the record named a job that no longer ran
            self.job_stopped(kind, exc)
            raise
        self.job_finished(kind)
        return result

    # ------------------------------------------------------------------ records
    def _job_file(self, kind: str) -> Path:
        # named as what the job makes: a model, the baseline maps of these values, seed and
        # labels (two apps of the same data with other seeds followed each other's job), or
        # placed samples of this dataset
        if kind == "train":
            scope = self.model_entry.name
        elif kind == "baselines":
            if self._baselines_scope is None:
                self._baselines_scope = self.baselines_key()[:24]
            scope = self._baselines_scope
        else:
            scope = self.fingerprint
        return self.cache_dir / "jobs-state" / f"{kind}-{scope}.json"

    def _write_job_record(self, kind: str, record: dict[str, Any]) -> None:
        # a small file, replaced in one step (as the results are, core.cache): seen at once by
        # the server and by every job forked from it
        path = self._job_file(kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        text = json.dumps(record)
        try:
            tmp.write_text(text)
            tmp.replace(path)
        except BaseException as exc:
            tmp.unlink(missing_ok=True)  # (an empty file was left by a full disk)
            if not (_no_space(exc) and path.is_file()):
                raise
            # a full disk: the record is written over the one there (the space it holds), so
            # that the job's end is read ("disk full"), not taken for a process killed; in one
            # write, padded with spaces to the old length (JSON allows them), not truncated, so
            # that a reader meanwhile never meets the old record's tail after the new one
            data = text.encode("utf-8")
            fd = os.open(path, os.O_WRONLY)
            try:
                data += b" " * max(0, os.fstat(fd).st_size - len(data))
                os.pwrite(fd, data, 0)
            finally:
                os.close(fd)

    def _record_failure(self, kind: str, exc: Exception) -> None:
        """Record that the job ``kind`` failed with ``exc``; a record that cannot be written
        (a full disk) does not take the place of ``exc``, which the job raises."""
        try:
            self.job_finished(kind, error=job_error(exc, self.cache_dir))
        except OSError as err:
            if not _no_space(err):
                raise
            log.debug("the end of the job %s could not be recorded: %s", kind, err)

    def job_started(self, kind: str) -> None:
        """Record that the background job ``kind`` (``train``, ``baselines``, ``place-<id>``)
        started here."""
        self.job_progress(kind, "")

    def job_progress(self, kind: str, progress: str, fraction: float | None = None) -> None:
        """Record how far the background job ``kind``, running here, is (``progress``, and
        the ``fraction`` done when known): a page opened later shows it (:meth:`job_running`)."""
        record = {"state": "running", **OwnedLock.identity(), "progress": progress}
        if fraction is not None:
            record["fraction"] = float(fraction)
        self._write_job_record(kind, record)

    def job_running(self, kind: str) -> dict[str, Any] | None:
        """The record of the job ``kind`` while its process runs (``progress`` says how far),
        None once it ended or when there was none.

        A job belongs to the page that started it: a page reloaded meanwhile learns of it here.
        """
        try:
            record = json.loads(self._job_file(kind).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("state") != "running":
            return None
        # a record without this machine's name (another machine's, or an older version's, which
        # named no host) cannot be checked: the page does not wait for it
        if record.get("host") != socket.gethostname():
            return None
        return record if OwnedLock.owner_alive(record) else None

    #: A running job's record written on another machine (a cache shared by several hosts),
    #: rewritten within this many seconds, is taken for a live job's: its process cannot be
    #: checked from here, and a job writes its record at every step of its progress.
    OTHER_HOST_RECORD_FRESH_S = 3600.0

    def _job_record_held(self, kind: str) -> bool:
        """Whether the record of the job ``kind`` is a live job's, which an end recorded here
        would overwrite: running here (:meth:`job_running`), or running on another machine
        and recently written (:attr:`OTHER_HOST_RECORD_FRESH_S`). A job that failed while
        waiting for its turn wrote "failed" over another host's live job."""
        if self.job_running(kind) is not None:
            return True
        path = self._job_file(kind)
        try:
            record = json.loads(path.read_text())
            age = time.time() - path.stat().st_mtime
        except (OSError, ValueError):
            return False
        return (
            isinstance(record, dict)
            and record.get("state") == "running"
            and record.get("host") not in (None, socket.gethostname())
            and age < self.OTHER_HOST_RECORD_FRESH_S
        )

    def job_finished(self, kind: str, error: str | None = None) -> None:
        """Record how the job ``kind`` ended: ``done``, or ``failed`` with its ``error``."""
        record = {"state": "failed", "error": error} if error else {"state": "done"}
        self._write_job_record(kind, record)

    def job_stopped(self, kind: str, exc: KeyboardInterrupt) -> None:
        """Record that the job ``kind`` was stopped before it finished by ``exc`` (Ctrl-C, or
        SIGTERM's :class:`core.cli.Terminated`), as ``by`` ``Ctrl-C`` or ``SIGTERM``: an end
        the page tells as a stop, not as a failure (:meth:`job_outcome`)."""
        from core.cli import Terminated

        by = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
        self._write_job_record(kind, {"state": "stopped", "by": by})

    def job_outcome(self, kind: str) -> dict[str, Any]:
        """How the last job ``kind`` ended, asked once Dash reports that it is over.

        Returns
        -------
        dict
            ``{"state": "done"}``, ``{"state": "failed", "error": message}`` or
            ``{"state": "stopped"}``: the job ended without finishing (a process killed, e.g.
            for lack of memory, leaves no Python exception and no result behind; one stopped
            by Ctrl-C or SIGTERM records it, :meth:`job_stopped`, with ``by``).
        """
        try:
            record = json.loads(self._job_file(kind).read_text())
        except (OSError, ValueError):
            record = {}
        if isinstance(record, dict) and record.get("state") in ("done", "failed", "stopped"):
            return dict(record)
        return {"state": "stopped"}

    def job_forget(self, kind: str) -> None:
        """Remove the record of the job ``kind`` (one per request, as placing an upload, once
        its outcome was read)."""
        self._job_file(kind).unlink(missing_ok=True)

    # ------------------------------------------------------------------ placed samples
    #: How long the samples placed by a page are kept on the server for that page to find them
    #: again after a reload.
    PLACEMENT_KEEP_S = 7 * 24 * 3600

    def _placement_file(self, kind: str) -> Path:
        job = self._job_file(kind)
        return job.with_name(f"{job.stem}.placed.json")

    def save_placement(self, kind: str, result: dict[str, Any]) -> None:
        """Keep what the placing job ``kind`` placed (``records``, ``info``, ``warnings``), so
        that its page, reloaded, shows it again (:meth:`placement`). Results older than
        :attr:`PLACEMENT_KEEP_S` are removed meanwhile."""
        folder = self._job_file(kind).parent
        folder.mkdir(parents=True, exist_ok=True)
        now = time.time()
        # (and the records of placing jobs whose end no page read: a page reloaded meanwhile)
        for old in [*folder.glob("*.placed.json"), *folder.glob("place-*.json")]:
            try:
                if now - old.stat().st_mtime > self.PLACEMENT_KEEP_S:
                    old.unlink()
            except OSError:
                pass
        st = self.require_state()
        path = self._placement_file(kind)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps({"model": str(st.key), **result}))
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def placement(self, kind: str) -> dict[str, Any] | None:
        """What the placing job ``kind`` placed on this model's map, None when it is not kept
        (never placed, removed, placed on another model's map: by its key, which a model
        retrained into the same folder does not keep) or while no model is ready."""
        st = self.state()
        if st is None:
            return None
        try:
            result = json.loads(self._placement_file(kind).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(result, dict) or result.get("model") != str(st.key):
            return None
        return result

    def placement_forget(self, kind: str) -> None:
        """Remove what the placing job ``kind`` placed (its page cleared it)."""
        self._placement_file(kind).unlink(missing_ok=True)


def _no_space(exc: BaseException) -> bool:
    """Whether ``exc`` itself is a full disk's ``OSError`` (ENOSPC, or a full quota)."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` is a full disk: ``OSError`` ENOSPC (or a full quota), SQLite's
    "database or disk is full", or an error raised while handling one or caused by one
    (``diskcache``'s, a :class:`CoreError` that wraps it)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        err = todo.pop()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        if _no_space(err):
            return True
        if isinstance(err, sqlite3.OperationalError) and "disk is full" in str(err):
            return True
        todo += [err.__cause__, err.__context__]
    return False


#: What the page and the log say when the disk of the cache folder is full.
DISK_FULL_MESSAGE = (
    "the disk of the cache folder {folder} is full: free space on it, or start the dashboard "
    "with --cache-dir on another disk, then reload the page"
)


#: Free space (bytes) under which the disk of the cache folder is taken for full when a job
#: ended without recording its end (:func:`disk_nearly_full`).
DISK_NEARLY_FULL_BYTES = 1 << 20


def disk_nearly_full(folder: Path | str) -> bool:
    """Whether the disk holding ``folder`` has less than :data:`DISK_NEARLY_FULL_BYTES` free
    (False when it cannot be told)."""
    try:
        return shutil.disk_usage(folder).free < DISK_NEARLY_FULL_BYTES
    except OSError:
        return False


def disk_full_end(outcome: dict[str, Any], cache_dir: Path | str) -> str | None:
    """The full disk's words (:data:`DISK_FULL_MESSAGE`) when a job's ``outcome``
    (:meth:`JobRecords.job_outcome`) ended on a full disk under ``cache_dir``: its record says
    so, or it recorded no end and the disk is nearly full (:func:`disk_nearly_full`); else None.

    The job's own message does not reach its page then: Dash keeps a job's result on the same
    disk, and a page that read "failed" as "the job said why" said nothing at all."""
    said = DISK_FULL_MESSAGE.format(folder=cache_dir)
    if outcome.get("state") == "failed":
        return said if outcome.get("error") == said else None
    if outcome.get("state") == "stopped" and not outcome.get("by") and disk_nearly_full(cache_dir):
        return said
    return None


def job_error(exc: BaseException, cache_dir: Path | str | None = None) -> str:
    """What a background job's record and its page say of the error that ended it: a full
    disk (:func:`disk_full`) in words naming ``cache_dir`` when given, a :class:`CoreError`'s
    own message, else the exception's type and message."""
    if cache_dir is not None and disk_full(exc):
        return DISK_FULL_MESSAGE.format(folder=cache_dir)
    return str(exc) if isinstance(exc, CoreError) else f"{type(exc).__name__}: {exc}"


def why_stopped(outcome: dict[str, Any]) -> str:
    """Why a job that ended without a result stopped, in words for the page: by what, when its
    record says (:meth:`JobRecords.job_stopped`), else the likely cause of a process killed."""
    by = outcome.get("by") if isinstance(outcome, dict) else None
    if by in ("Ctrl-C", "SIGTERM"):
        return f"it was stopped by {by}"
    return "it may have been killed, for example for lack of memory"
