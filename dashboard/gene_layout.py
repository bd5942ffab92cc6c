"""The gene map's UMAP, computed in a Python process of its own.

The server that lays out a model's gene map (``--model``, no cached layout) would otherwise load
umap-learn, numba, llvmlite, pynndescent and scikit-learn, and keep them, with the code numba
compiles, for as long as it serves: about 270 MB of resident memory on the GTEx 26-tissue set
(``tests/benchmarks/server_memory.py``, ``tests/benchmarks/RESULTS.md``).

The process is a new interpreter (``python -m dashboard.gene_layout IN OUT SEED``), not a fork
of the server: a fork of a process with threads (the web server's, torch's OpenMP pool) may
hang on a lock another thread held. Same function, vectors and seed: the same layout as in the
server itself. Anything amiss apart (no interpreter to start, an error, the process killed) and
:func:`umap_layout_apart` computes it in the calling process, as before.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: The folder that holds the ``dashboard`` package: the process apart imports it from there.
_ROOT = Path(__file__).resolve().parent.parent


def umap_layout(x: np.ndarray, seed: int) -> np.ndarray:
    """UMAP of the rows of ``x`` on cosine distances -> (n, 2) float32."""
    import umap

    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=min(15, x.shape[0] - 1),
        min_dist=0.1,
        metric="cosine",
        random_state=seed,
        n_jobs=1,
    )
    return reducer.fit_transform(x).astype(np.float32)


def umap_layout_apart(x: np.ndarray, seed: int) -> np.ndarray:
    """:func:`umap_layout` in a process of its own, unless UMAP is loaded here already."""
    if "umap" in sys.modules:  # (nothing to spare: computed here)
        return umap_layout(x, seed)
    with tempfile.TemporaryDirectory(prefix="fe-gene-layout-") as tmp:
        given, made = Path(tmp) / "vectors.npy", Path(tmp) / "layout.npy"
        np.save(given, np.asarray(x, dtype=np.float32), allow_pickle=False)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH", "")) if p)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "dashboard.gene_layout", str(given), str(made), str(seed)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode == 0:
                layout = np.load(made, allow_pickle=False)
                if layout.shape == (x.shape[0], 2) and layout.dtype == np.float32:
                    return layout
            why = (done.stderr or "").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        except (OSError, ValueError, EOFError) as exc:
            why = [str(exc)]
    log.warning(
        "the gene map's UMAP failed in a process of its own (%s): computed in this one", why[0]
    )
    return umap_layout(x, seed)


def main(argv: list[str]) -> int:
    """``python -m dashboard.gene_layout VECTORS.npy LAYOUT.npy SEED``."""
    given, made, seed = argv
    x = np.load(given, allow_pickle=False)
    np.save(made, umap_layout(x, int(seed)), allow_pickle=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
