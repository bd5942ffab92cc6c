"""One keyed on-disk store for heavy results (baseline maps, tables, neighbour lists).

The store is a :class:`diskcache.Cache`. Values are serialised by this module, never pickled:
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
    """Inverse of :func:`encode_value`; never unpickles."""
    if not data.startswith(_MAGIC):
        raise CoreError("cache entry has an unknown format (clear the cache directory)")
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
class ResultCache:
    """A keyed on-disk store of results that are expensive to compute.

    Parameters
    ----------
    directory
        Where the store lives; default ``$FE_CACHE_DIR`` or ``./cache`` (git-ignored).
    size_limit
        Bytes kept before the least recently stored entries are evicted (default 4 GiB).

    Notes
    -----
    Safe to share between processes (diskcache uses SQLite). Use as a context manager or call
    :meth:`close` when done.
    """

    def __init__(self, directory: str | os.PathLike | None = None, size_limit: int = 2**32):
        import diskcache

        self.directory = Path(directory) if directory is not None else default_cache_dir()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._store = diskcache.Cache(str(self.directory), size_limit=size_limit)
        except OSError as exc:
            raise CoreError(f"cannot open the cache directory {self.directory}: {exc}") from exc

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
        same types (e.g. tuples stay tuples, arrays keep their dtype).
        """
        _missing = object()
        value = self.get(key, default=_missing)
        if value is not _missing:
            log.debug("cache hit %s", key[:12])
            return value
        log.debug("cache miss %s", key[:12])
        value = fn()
        data = encode_value(value)
        self._store.set(key, data)
        return decode_value(data)

    def delete(self, key: str) -> bool:
        """Remove ``key``; True when it was present."""
        return bool(self._store.delete(key))

    def clear(self) -> None:
        """Remove every entry."""
        self._store.clear()

    def __len__(self) -> int:
        return len(self._store)

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> ResultCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ResultCache({str(self.directory)!r}, n_entries={len(self)})"
