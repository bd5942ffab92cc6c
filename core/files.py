"""Replacing a finished output directory (a model, a report) without a moment of loss."""

from __future__ import annotations

import errno
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import CoreError


def exchange_dirs(a: Path, b: Path) -> bool:
    """Swap two existing directories in one atomic step (Linux ``renameat2`` with
    ``RENAME_EXCHANGE``); False where the system or file system cannot, and nothing moved."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # no C library handle, or glibc older than 2.28
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0


#: A left-behind temporary folder is removed only when older than this (seconds): a process of
#: another machine writing into a shared folder has a process id this one cannot see.
STALE_AFTER_S = 3600.0


def remove_stale_temporaries(out: Path, keep: Callable[[Path], bool] | None = None) -> list[Path]:
    """Remove the temporary folders ``.NAME.tmp-PID`` (or ``.NAME.tmp-PID.SUFFIX``, see
    :func:`temporary_name`) beside ``out`` that a killed run of this machine left (its process
    gone, the folder untouched for :data:`STALE_AFTER_S`): after a ``kill -9``, hidden report,
    export and model folders of megabytes stayed for ever. ``keep``: a folder for which it is
    true stays (a complete model that a save interrupted between its renames left, which
    loading names). Returns those removed."""
    import time

    removed = []
    prefix = f".{out.name}.tmp-"
    try:
        candidates = [p for p in out.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return removed
    for path in candidates:
        pid = path.name[len(prefix) :].split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        try:
            if time.time() - path.stat().st_mtime < STALE_AFTER_S or not path.is_dir():
                continue
            if keep is not None and keep(path):
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def temporary_name(out: Path, suffix: str = "") -> Path:
    """Where ``out`` is written before it takes its name: ``.NAME.tmp-PID`` beside it, and
    ``.NAME.tmp-PID.SUFFIX`` with a suffix (several writers in one process); the names that
    :func:`remove_stale_temporaries` removes once their process is gone."""
    name = f".{out.name}.tmp-{os.getpid()}" + (f".{suffix}" if suffix else "")
    return out.with_name(name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # (another user's process; a number no process has)
        return True
    return True


def previous_name(target: Path) -> Path:
    """Where :func:`replace_dir` keeps the previous ``target`` between its two renames."""
    return target.with_name(f".{target.name}.old-{os.getpid()}")


def replace_dir(new: Path, target: Path, replaceable: Callable[[Path], bool] | None = None) -> None:
    """Put the finished directory ``new`` at ``target``, replacing what was there.

    On Linux the two are exchanged in one atomic step; elsewhere by two renames, and a failed
    second rename puts the previous ``target`` back (a crash between them leaves it at
    :func:`previous_name`). The previous directory is then removed.

    ``replaceable``: the caller's test of a directory that another process put at ``target``
    after the caller's own checks, when ``target`` was not there: one it accepts (a model
    saved at the same time) is replaced (the last save wins; it was "Directory not empty"),
    any other is kept and the OSError raised. Without it, such a directory is never replaced.
    """
    for attempt in range(3):
        if target.exists() and exchange_dirs(new, target):
            shutil.rmtree(new, ignore_errors=True)  # the previous target, now under new's name
            return
        old = None
        if target.exists():
            old = previous_name(target)
            os.replace(target, old)
        try:
            os.replace(new, target)
        except OSError as exc:
            if old is not None:
                os.replace(old, target)
            elif (
                exc.errno in (errno.ENOTEMPTY, errno.EEXIST)
                and attempt < 2
                and replaceable is not None
                and replaceable(target)
            ):
                continue  # another process saved there meanwhile: replace its directory
            raise
        except BaseException:
            if old is not None:
                os.replace(old, target)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return


def save_torch(obj: object, path: Path) -> None:
    """``torch.save(obj, path)``, with a failed write reported as an OSError naming ``path``.

    torch's file writer reports a full disk as a RuntimeError of its own ("PytorchStreamWriter
    failed writing file", "unexpected pos"); callers that handle OSError (a full disk, a
    read-only folder) then handle this too. A partly written file is removed.
    """
    import errno

    import torch

    path = Path(path)
    try:
        torch.save(obj, path)
    except RuntimeError as exc:
        path.unlink(missing_ok=True)
        try:
            full = shutil.disk_usage(path.parent).free < 64 * 2**20
        except OSError:
            full = False
        code = errno.ENOSPC if full else errno.EIO
        detail = f"{os.strerror(code)} ({str(exc).splitlines()[0][:200]})"
        raise OSError(code, detail, str(path)) from exc
    except BaseException:
        path.unlink(missing_ok=True)
        raise


@contextmanager
def folder_written(out: Path, what: str) -> Iterator[Path]:
    """A new folder to fill, which takes the name ``out`` when the block ends without error:
    built beside it (:func:`temporary_name`), so that ``out`` is never half written, and
    removed whatever happens. A failure to write (OSError) is a CoreError naming ``what``
    (``"the report"``) and ``out``.
    """
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CoreError(f"cannot create {out.parent}: {exc}") from None
    remove_stale_temporaries(out)  # (left by a run killed before)
    tmp = temporary_name(out)
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        yield tmp
        replace_dir(tmp, out)
    except OSError as exc:
        raise CoreError(f"cannot write {what} to {out}: {exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
