"""The server's resident memory: the gene map's UMAP is computed in a process of its own, so
that the server never holds umap-learn, numba and the code numba compiles (about 270 MB,
tests/benchmarks/RESULTS.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: Lays out 60 random gene vectors as the server does, then again with UMAP loaded here.
_SCRIPT = """
import sys
import numpy as np
from dashboard.model_state import gene_layout_2d

x = np.random.default_rng(0).normal(size=(60, 8)).astype(np.float32)
apart, method = gene_layout_2d(x, seed=3)
held = [m for m in ("umap", "numba", "llvmlite", "pynndescent", "sklearn") if m in sys.modules]
print("held:", ",".join(held) or "none")
import umap  # loaded here now: laid out in this process
here, _ = gene_layout_2d(x, seed=3)
print("method:", method, apart.dtype, apart.shape)
print("same:", bool(np.array_equal(apart, here)))
"""


def test_the_gene_maps_umap_leaves_umap_and_numba_out_of_the_server():
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = dict(line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line)
    assert lines["held"] == "none"
    assert lines["method"] == "UMAP float32 (60, 2)"
    assert lines["same"] == "True"  # the layout of the process apart is the one made here
