"""One keyed on-disk store for heavy results (baseline maps, tables, neighbour lists).

The store is one file per entry, written to a temporary name and renamed into place, so that
processes forked from one another (the dashboard's background jobs) and processes started apart
all see each other's results at once. (It was a ``diskcache.Cache`` before: SQLite's state is
per process, and a job forked while a thread of the server held the store open inherited it;
once that thread closed its connection, the job's later writes went to files that had just been
removed and no other process ever saw them.) Values are serialised by this module, never pickled:
a value is a tree of JSON scalars, lists, tuples and string-keyed dicts whose leaves may also be
numpy arrays (numeric, bool or unicode) or pandas DataFrames. Arrays go into an ``.npz`` archive
read back with ``allow_pickle=False``, DataFrames into Parquet; the tree itself is JSON. Nothing
stored can execute code when it is read.

There is no global cache: callers create a :class:`ResultCache` and pass it to whatever needs it.

Examples
--------
>>> cache = ResultCache("/tmp/fe-cache")                      # doctest: +SKIP
>>> key = cache.key("tsne", values, {"perplexity": 30})       # doctest: +SKIP
>>> coords = cache.get_or_compute(key, lambda: run_tsne(values))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from core.errors import CoreError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Environment variable naming the default cache directory.
CACHE_DIR_ENV = "FE_CACHE_DIR"
_MAGIC = b"FECACHE1"
_META = "__meta__"


def default_cache_dir() -> Path:
    """``$FE_CACHE_DIR`` when set, else ``./cache`` in the working directory."""
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env) if env else Path.cwd() / "cache"


# ----------------------------------------------------------------------------- keys
def fingerprint(obj: Any) -> str:
    """Stable hex digest (sha256) of a value used in a cache key.

    Parameters
    ----------
    obj
        ``None``, bool, int, float, str, bytes, numpy arrays/scalars, pandas Series/DataFrame/Index,
        lists/tuples/dicts of those, or any object with a ``fingerprint()`` or ``key()`` method
        returning a string (e.g. an ``ExpressionSet`` or a fitted ``FactorizedEmbeddings``).

    Returns
    -------
    str
        64 hex characters; equal values give equal digests across processes and machines.
    """
    digest = hashlib.sha256()
    _feed(digest, obj)
    return digest.hexdigest()


def _feed(h: Any, obj: Any) -> None:  # noqa: C901 - one branch per supported type
    if obj is None:
        h.update(b"N;")
    elif isinstance(obj, bool | np.bool_):
        h.update(b"B" + (b"1" if obj else b"0") + b";")
    elif isinstance(obj, int | np.integer):
        h.update(b"I" + str(int(obj)).encode() + b";")
    elif isinstance(obj, float | np.floating):
        h.update(b"F" + repr(float(obj)).encode() + b";")
    elif isinstance(obj, str):
        data = obj.encode("utf-8")
        h.update(b"S" + str(len(data)).encode() + b":" + data)
    elif isinstance(obj, bytes):
        h.update(b"Y" + str(len(obj)).encode() + b":" + obj)
    elif isinstance(obj, np.ndarray):
        arr = np.ascontiguousarray(obj)
        if arr.dtype == object:
            arr = arr.astype(str)
        h.update(b"A" + arr.dtype.str.encode() + repr(arr.shape).encode() + b":")
        h.update(arr.tobytes())
    elif isinstance(obj, pd.DataFrame):
        h.update(b"D")
        _feed(h, [str(c) for c in obj.columns])
        _feed(h, obj.index.to_numpy())
        for col in obj.columns:
            _feed(h, obj[col].to_numpy())
    elif isinstance(obj, pd.Series | pd.Index):
        h.update(b"P")
        _feed(h, obj.to_numpy())
    elif isinstance(obj, list | tuple):
        h.update(b"L" + str(len(obj)).encode() + b"[")
        for item in obj:
            _feed(h, item)
        h.update(b"]")
    elif isinstance(obj, dict):
        h.update(b"M" + str(len(obj)).encode() + b"{")
        for k in sorted(obj, key=str):
            _feed(h, str(k))
            _feed(h, obj[k])
        h.update(b"}")
    elif callable(getattr(obj, "fingerprint", None)):
        _feed(h, obj.fingerprint())
    elif callable(getattr(obj, "key", None)):
        _feed(h, obj.key())
    else:
        raise CoreError(
            f"cannot use a {type(obj).__name__} in a cache key: pass a string, number, array, "
            "DataFrame, list/dict of those, or an object with fingerprint()/key()"
        )


# ----------------------------------------------------------------------------- values
def encode_value(value: Any) -> bytes:
    """Serialise ``value`` without pickle (see the module docstring for what is accepted)."""
    blobs: dict[str, np.ndarray] = {}

    def walk(obj: Any) -> Any:
        if obj is None or isinstance(obj, bool | int | float | str):
            return obj
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            arr = obj
            if arr.dtype == object:
                try:
                    arr = arr.astype(str)
                except (TypeError, ValueError) as exc:
                    raise CoreError(f"cannot cache an object array: {exc}") from exc
            if arr.dtype.kind not in "biufcUSMm":
                raise CoreError(f"cannot cache an array of dtype {arr.dtype}")
            name = f"a{len(blobs)}"
            blobs[name] = arr
            return {"__ndarray__": name}
        if isinstance(obj, pd.DataFrame):
            buf = io.BytesIO()
            frame = obj.copy()
            frame.columns = [str(c) for c in frame.columns]
            frame.to_parquet(buf, index=True)
            name = f"a{len(blobs)}"
            blobs[name] = np.frombuffer(buf.getvalue(), dtype=np.uint8)
            return {"__dataframe__": name}
        if isinstance(obj, tuple):
            return {"__tuple__": [walk(x) for x in obj]}
        if isinstance(obj, list):
            return [walk(x) for x in obj]
        if isinstance(obj, dict):
            if not all(isinstance(k, str) for k in obj):
                return {"__dict_items__": [[walk(k), walk(v)] for k, v in obj.items()]}
            return {"__dict__": {k: walk(v) for k, v in obj.items()}}
        raise CoreError(f"cannot cache a value of type {type(obj).__name__}")

    meta = json.dumps(walk(value), allow_nan=True).encode("utf-8")
    blobs[_META] = np.frombuffer(meta, dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **blobs)
    return _MAGIC + buf.getvalue()


def decode_value(data: bytes) -> Any:
    """Inverse of :func:`encode_value`; never unpickles.

    Raises
    ------
    CoreError
        The bytes are not an entry, or a damaged one (a file cut short by a full disk or by
        hand: zip, JSON or parquet errors of any kind are said as this one error).
    """
    if not data.startswith(_MAGIC):
        raise CoreError("cache entry has an unknown format (clear the cache directory)")
    try:
        return _decode(data)
    except (CoreError, MemoryError):  # (memory short for a moment: the entry is fine)
        raise
    except Exception as exc:  # any reader's error on damaged bytes
        raise CoreError(f"damaged cache entry ({type(exc).__name__}: {exc})") from None


def _decode(data: bytes) -> Any:
    with np.load(io.BytesIO(data[len(_MAGIC) :]), allow_pickle=False) as npz:
        blobs = {name: npz[name] for name in npz.files}
    tree = json.loads(blobs.pop(_META).tobytes().decode("utf-8"))

    def walk(obj: Any) -> Any:
        if isinstance(obj, list):
            return [walk(x) for x in obj]
        if not isinstance(obj, dict):
            return obj
        if "__ndarray__" in obj:
            return blobs[obj["__ndarray__"]]
        if "__dataframe__" in obj:
            return pd.read_parquet(io.BytesIO(blobs[obj["__dataframe__"]].tobytes()))
        if "__tuple__" in obj:
            return tuple(walk(x) for x in obj["__tuple__"])
        if "__dict_items__" in obj:
            return {_hashable(walk(k)): walk(v) for k, v in obj["__dict_items__"]}
        return {k: walk(v) for k, v in obj["__dict__"].items()}

    return walk(tree)


def _hashable(x: Any) -> Any:
    return tuple(_hashable(v) for v in x) if isinstance(x, list | tuple) else x


# ----------------------------------------------------------------------------- the store
class _FileStore:
    """Bytes by string key, one file each under ``directory``: no state is held in the process.

    A write goes to a temporary file renamed over the entry (atomic on POSIX): a reader sees the
    whole old or the whole new value, never a part. Reading an entry refreshes its time, and
    once the entries pass ``size_limit`` bytes the least recently used are removed (checked on a
    process's first write, then each time it has written a 64th of the limit).
    """

    SUFFIX = ".fec"

    def __init__(self, directory: Path, size_limit: int):
        self.directory = directory
        self.size_limit = int(size_limit)
        self._unchecked: int | None = None  # bytes written since the last size check

    def _path(self, key: str) -> Path:
        name = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self.directory / name[:2] / f"{name}{self.SUFFIX}"

    def _entries(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return [p for p in self.directory.glob(f"??/*{self.SUFFIX}") if p.is_file()]

    def __contains__(self, key: str) -> bool:
        return self._path(key).is_file()

    def get(self, key: str, default: Any = None) -> Any:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return default
        except OSError as exc:
            log.warning("cannot read cache entry %s: %s", path, exc)
            return default
        try:
            os.utime(path)  # recently used: evicted last
        except OSError:
            pass  # evicted meanwhile, or a read-only store: the value read stands
        return data

    def set(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
            try:
                tmp.write_bytes(data)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        except OSError as exc:
            raise CoreError(f"cannot write to the cache directory {self.directory}: {exc}") from exc
        written = len(data) + (self._unchecked or 0)
        if self._unchecked is None or written >= self.size_limit // 64:
            self._evict()
            written = 0
        self._unchecked = written

    def delete(self, key: str) -> bool:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def clear(self) -> None:
        for path in self._entries():
            path.unlink(missing_ok=True)

    def __len__(self) -> int:
        return len(self._entries())

    def _evict(self) -> None:
        sized = []
        for path in self._entries():
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            sized.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in sized)
        for _, size, path in sorted(sized):
            if total <= self.size_limit:
                break
            path.unlink(missing_ok=True)
            total -= size
            log.debug("cache full: evicted %s", path.name[:12])


class ResultCache:
    """A keyed on-disk store of results that are expensive to compute.

    Parameters
    ----------
    directory
        Where the store lives; default ``$FE_CACHE_DIR`` or ``./cache`` (git-ignored).
    size_limit
        Bytes kept before the least recently used entries are evicted (default 4 GiB).

    Notes
    -----
    Safe to share between processes, also processes forked while the store is open (the
    dashboard's background jobs): an entry is a file, written whole and renamed into place, and
    nothing about the store is kept in memory. :meth:`close` and the context manager are kept
    for callers; there is nothing to release.
    """

    #: Sub-directory of ``directory`` holding the entries (files of an earlier SQLite store
    #: beside it are left alone).
    ENTRIES = "entries"

    def __init__(self, directory: str | os.PathLike | None = None, size_limit: int = 2**32):
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        try:
            (self.directory / self.ENTRIES).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CoreError(f"cannot open the cache directory {self.directory}: {exc}") from exc
        self._store = _FileStore(self.directory / self.ENTRIES, size_limit)
        self._unwritable = False  # a write failed (said once in the log)

    # -- keys
    @staticmethod
    def key(*parts: Any) -> str:
        """Key of a result: hash of its parts (dataset fingerprint, model key, parameters...).

        Parameters
        ----------
        *parts
            Anything :func:`fingerprint` accepts. Order matters.

        Returns
        -------
        str
            64 hex characters, stable across processes.
        """
        return fingerprint(list(parts))

    # -- access
    def __contains__(self, key: str) -> bool:
        return key in self._store

    def get(self, key: str, default: Any = None) -> Any:
        """The stored value of ``key``, or ``default`` when absent or unreadable."""
        data = self._store.get(key, default=None)
        if data is None:
            return default
        try:
            return decode_value(data)
        except (CoreError, ValueError, OSError, KeyError) as exc:
            log.warning("dropping unreadable cache entry %s: %s", key[:12], exc)
            self._store.delete(key)
            return default

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` (see :func:`encode_value` for what is accepted) under ``key``."""
        self._store.set(key, encode_value(value))

    def get_or_compute(self, key: str, fn: Callable[[], T]) -> T:
        """Return the stored value of ``key``; on a miss, compute ``fn()``, store and return it.

        The value returned on a miss is the decoded stored copy, so hits and misses return the
        same types (e.g. tuples stay tuples, arrays keep their dtype). A store that cannot be
        written (a full or read-only disk) returns it unkept, said once in the log.
        """
        _missing = object()
        value = self.get(key, default=_missing)
        if value is not _missing:
            log.debug("cache hit %s", key[:12])
            return value
        log.debug("cache miss %s", key[:12])
        value = fn()
        data = encode_value(value)
        try:
            self._store.set(key, data)
        except CoreError as exc:  # a full or read-only cache disk: the result stands, unkept
            if not self._unwritable:
                log.warning("%s; results are computed without being kept", exc)
            self._unwritable = True
        return decode_value(data)

    @property
    def unwritable(self) -> bool:
        """Whether a result could not be stored (a full or read-only disk): a run again
        computes it again."""
        return self._unwritable

    def delete(self, key: str) -> bool:
        """Remove ``key``; True when it was present."""
        return self._store.delete(key)

    def clear(self) -> None:
        """Remove every entry."""
        self._store.clear()

    def __len__(self) -> int:
        return len(self._store)

    def close(self) -> None:
        """Nothing to release (entries are files); kept so that callers may close any store."""

    def __enter__(self) -> ResultCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ResultCache({str(self.directory)!r}, n_entries={len(self)})"
