"""core.cache: keyed store round trips, stable keys, no pickle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cache import ResultCache, decode_value, default_cache_dir, encode_value, fingerprint
from core.errors import CoreError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def cache(tmp_path):
    with ResultCache(tmp_path / "store") as c:
        yield c


def test_round_trip_keeps_types_and_values(cache, sepira_file):
    frame = pd.read_csv(sepira_file, nrows=30, usecols=range(6)).set_index("sample")
    value = {
        "tsne": np.arange(12, dtype=np.float32).reshape(6, 2),
        "codes": np.array([3, -1, 7], dtype=np.int64),
        "names": np.array(["KRT5", "MYH6"]),
        "mask": np.array([True, False]),
        "pair": (np.array([1.5, np.nan]), "x", 3),
        "table": frame,
        "nested": [{"a": 1.0, "b": None}, [2, 3]],
        7: "non-string key",
    }
    key = cache.key("test", 1)
    cache.set(key, value)
    back = cache.get(key)
    assert set(back) == set(value)
    for name in ("tsne", "codes", "names", "mask"):
        assert back[name].dtype == value[name].dtype
        np.testing.assert_array_equal(back[name], value[name])
    assert isinstance(back["pair"], tuple) and back["pair"][1:] == ("x", 3)
    np.testing.assert_array_equal(back["pair"][0], value["pair"][0])
    pd.testing.assert_frame_equal(back["table"], frame)
    assert back["nested"] == value["nested"] and back[7] == "non-string key"


def test_get_or_compute_runs_once_and_returns_same_type(cache):
    calls = []

    def compute():
        calls.append(1)
        return np.linspace(0, 1, 5, dtype=np.float32)

    key = cache.key("linspace", 5)
    first = cache.get_or_compute(key, compute)
    second = cache.get_or_compute(key, compute)
    assert len(calls) == 1 and key in cache and len(cache) == 1
    assert first.dtype == second.dtype == np.float32
    np.testing.assert_array_equal(first, second)
    assert cache.get("absent", default="missing") == "missing"
    assert cache.delete(key) and key not in cache


def test_keys_are_stable_and_sensitive(tmp_path):
    values = np.arange(20, dtype=np.float32).reshape(4, 5)
    key = ResultCache.key("tsne", values, {"perplexity": 30, "seed": 0})
    assert len(key) == 64
    # same parts, other dict order / other process -> same key
    assert key == ResultCache.key("tsne", values.copy(), {"seed": 0, "perplexity": 30})
    code = (
        "import numpy as np; from core.cache import ResultCache; "
        "print(ResultCache.key('tsne', np.arange(20, dtype=np.float32).reshape(4, 5), "
        "{'perplexity': 30, 'seed': 0}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == key
    # any change of value, dtype, shape, order or parameter changes the key
    changed = values.copy()
    changed[0, 0] = 0.5
    others = {
        ResultCache.key("tsne", changed, {"perplexity": 30, "seed": 0}),
        ResultCache.key("tsne", values.astype(np.float64), {"perplexity": 30, "seed": 0}),
        ResultCache.key("tsne", values.reshape(5, 4), {"perplexity": 30, "seed": 0}),
        ResultCache.key(values, "tsne", {"perplexity": 30, "seed": 0}),
        ResultCache.key("tsne", values, {"perplexity": 31, "seed": 0}),
        ResultCache.key("tsne", values, {"perplexity": 30, "seed": 0}, None),
    }
    assert key not in others and len(others) == 6
    assert ResultCache.key(1) != ResultCache.key("1") != ResultCache.key(1.0)


def test_objects_with_fingerprint_or_key(cache):
    class Data:
        def __init__(self, fp):
            self._fp = fp

        def fingerprint(self):
            return self._fp

    class Model:
        def key(self):
            return "model-abc"

    assert fingerprint(Data("a")) == fingerprint(Data("a")) != fingerprint(Data("b"))
    assert cache.key(Data("a"), Model()) == cache.key(Data("a"), Model())
    with pytest.raises(CoreError, match="cache key"):
        cache.key(object())


def test_no_pickle_in_or_out(cache):
    with pytest.raises(CoreError):
        encode_value({"fn": lambda: 1})
    with pytest.raises(CoreError):
        encode_value({1, 2})
    # stored bytes are an npz archive with our header, readable without pickle
    data = encode_value({"a": np.ones(3)})
    assert data.startswith(b"FECACHE1")
    with pytest.raises(CoreError):
        decode_value(b"\x80\x04not ours")
    # a corrupted entry is dropped, not raised
    cache._store.set("bad", b"FECACHE1garbage")
    assert cache.get("bad", default=None) is None and "bad" not in cache


@pytest.mark.parametrize("keep", [1000, 8, 40])
def test_an_entry_cut_short_is_dropped_and_computed_again(cache, keep):
    """A file cut short (a full disk, a copy stopped) raised zipfile.BadZipFile or EOFError:
    evaluate and report stopped with a traceback, and the dashboard did not start."""
    table = pd.DataFrame({"x": np.arange(500.0), "tissue": ["Lung"] * 500})
    value = {"map": np.arange(4000.0).reshape(-1, 2), "table": table}
    cache.set("k", value)
    (path,) = cache._store._entries()
    path.write_bytes(path.read_bytes()[:keep])
    assert cache.get("k", default="missing") == "missing" and "k" not in cache
    again = cache.get_or_compute("k", lambda: value)
    np.testing.assert_array_equal(again["map"], value["map"])
    assert cache.get("k")["table"].equals(table)


def test_memory_short_for_a_moment_keeps_the_entry(cache, monkeypatch):
    """A MemoryError while reading a good entry was taken for damage: the entry (a baseline
    of minutes) was deleted."""
    import core.cache

    cache.set("k", {"map": np.arange(10.0)})

    def short(data):
        raise MemoryError

    monkeypatch.setattr(core.cache, "_decode", short)
    with pytest.raises(MemoryError):
        cache.get("k")
    assert "k" in cache


def test_default_directory_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FE_CACHE_DIR", str(tmp_path / "env-cache"))
    assert default_cache_dir() == tmp_path / "env-cache"
    with ResultCache() as c:
        c.set(c.key("x"), 1)
        assert c.directory == tmp_path / "env-cache" and (tmp_path / "env-cache").is_dir()
    monkeypatch.delenv("FE_CACHE_DIR")
    monkeypatch.chdir(tmp_path)
    assert default_cache_dir() == tmp_path / "cache"


def test_a_full_cache_disk_computes_without_keeping(cache, monkeypatch, caplog):
    """A full (or read-only) cache disk stopped a report after its results were computed
    ("cannot write to the cache directory ...: No space left on device"): the results are
    returned unkept, and the log says so once."""
    import errno
    import logging

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        assert cache.get_or_compute(cache.key("a"), lambda: (1, 2)) == (1, 2)
        assert cache.get_or_compute(cache.key("b"), lambda: [3]) == [3]
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "No space left on device" in said[0]
    assert str(cache.directory) in said[0] and "without being kept" in said[0]
    assert len(cache) == 0 and not list(cache.directory.rglob("*.tmp"))
