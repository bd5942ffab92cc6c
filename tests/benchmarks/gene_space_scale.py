"""Benchmark: the report's gene-space references (Figure 4) at genome-wide size.

On a SYNTHETIC matrix (samples x genes: 20 random factors plus noise, float32, 2% of the genes
all zero; nothing in it is biology), times the expression-correlation references that
``python -m core report`` computes for the gene space, and the peak resident memory above the
matrix itself (sampled every 20 ms with psutil):

- ``separate``: :func:`core.analysis.correlation_neighbors` then
  :func:`core.analysis.coexpression_edges` (two passes over all gene pairs);
- ``together``: :func:`core.analysis.correlation_references` (one pass over each unordered pair,
  both references).

The work grows with samples x genes^2: the full GTEx v8 matrix (17,382 x 56,200) is
(56,200 / genes)^2 times the measured run at the same number of samples.

Usage::

    .venv/bin/python tests/benchmarks/gene_space_scale.py [--samples 17382] [--genes 5000]
        [--k 5] [--only separate|together]

Not collected by pytest (``tests/benchmarks`` is excluded in pyproject.toml).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core import analysis  # noqa: E402


class PeakMemory:
    """Peak resident memory of this process while the block runs, sampled every 20 ms."""

    def __enter__(self) -> PeakMemory:
        self._proc = psutil.Process()
        self.start = self._proc.memory_info().rss
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


def synthetic_values(n_samples: int, n_genes: int, seed: int = 0) -> np.ndarray:
    """SYNTHETIC log-scale-like matrix: 20 shared factors + noise, 2% of genes all zero."""
    rng = np.random.default_rng(seed)
    factors = rng.standard_normal((n_samples, 20)).astype(np.float32)
    values = np.empty((n_samples, n_genes), dtype=np.float32)
    for start in range(0, n_genes, 4096):
        stop = min(start + 4096, n_genes)
        loadings = rng.standard_normal((20, stop - start)).astype(np.float32)
        loadings *= rng.random(stop - start, dtype=np.float32) < 0.3
        noise = rng.standard_normal((n_samples, stop - start), dtype=np.float32)
        values[:, start:stop] = np.maximum(factors @ loadings + noise + 2.0, 0.0)
    values[:, rng.random(n_genes) < 0.02] = 0.0
    return values


def _report(name: str, detail: str, seconds: float, mem: PeakMemory, scale: float) -> None:
    print(
        f"{name}: {detail}{seconds:.1f} s; peak memory above the start "
        f"{(mem.peak - mem.start) / 2**20:,.0f} MiB; full GTEx estimate "
        f"{seconds * scale / 60:,.0f} min"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=17382)
    parser.add_argument("--genes", type=int, default=5000)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--only", choices=("separate", "together"))
    args = parser.parse_args()

    values = synthetic_values(args.samples, args.genes)
    mb = values.nbytes / 2**20
    print(f"SYNTHETIC matrix {args.samples:,} x {args.genes:,} float32 ({mb:,.0f} MiB)")
    scale = (56_200 / args.genes) ** 2 * (17_382 / args.samples)
    results = {}
    if args.only != "together":
        with PeakMemory() as mem:
            t0 = time.perf_counter()
            idx_a, _ = analysis.correlation_neighbors(values, args.k)
            t1 = time.perf_counter()
            edges_a = analysis.coexpression_edges(values, 0.01)
            t2 = time.perf_counter()
        results["separate"] = (t2 - t0, mem.peak - mem.start)
        detail = f"neighbours {t1 - t0:.1f} s + co-expression edges {t2 - t1:.1f} s = "
        _report("separate", detail, t2 - t0, mem, scale)
    if args.only != "separate":
        with PeakMemory() as mem:
            t0 = time.perf_counter()
            idx_b, _, edges_b = analysis.correlation_references(values, args.k, 0.01)
            t1 = time.perf_counter()
        results["together"] = (t1 - t0, mem.peak - mem.start)
        _report("together", "", t1 - t0, mem, scale)
        if "separate" in results:
            same_edges = (edges_a != edges_b).nnz == 0
            same_nn = float((np.sort(idx_a, 1) == np.sort(idx_b, 1)).all(1).mean())
            ratio = results["separate"][0] / results["together"][0]
            print(
                f"same edges: {same_edges}; genes with the same neighbours: {same_nn:.4f}; "
                f"speed-up {ratio:.2f}x"
            )


if __name__ == "__main__":
    main()
