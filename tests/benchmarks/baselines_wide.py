"""Benchmark: the baseline maps and the raw-data 1-NN of ``evaluate`` on a wide matrix.

On a SYNTHETIC matrix (the generator of ``gene_space_scale.py``: 20 random factors plus noise,
float32; nothing in it is biology; the labels are arbitrary, so no accuracy is reported),
times what ``python -m core evaluate`` computes before its maps are cached, and the peak
resident memory above the start (sampled every 20 ms with psutil):

- PCA and NMF maps;
- t-SNE and UMAP maps in one call (:func:`core.analysis.baseline_embeddings`, as ``evaluate``
  asks for them);
- 1-NN on the raw matrix from 2% labels (:func:`core.analysis.one_nn_accuracy`).

The neighbour searches grow with samples^2 x genes; the full GTEx v8 matrix (17,382 x 56,200)
is 56,200 / genes times the measured search at the same number of samples.

Usage::

    .venv/bin/python tests/benchmarks/baselines_wide.py [--samples 17382] [--genes 5000]
        [--splits 100] [--only pca,nmf,tsne+umap,raw]

Not collected by pytest (``tests/benchmarks`` is excluded in pyproject.toml).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gene_space_scale import PeakMemory, synthetic_values  # noqa: E402

from core import analysis  # noqa: E402

STEPS = ("pca", "nmf", "tsne+umap", "raw")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=17382)
    parser.add_argument("--genes", type=int, default=5000)
    parser.add_argument("--splits", type=int, default=100)
    parser.add_argument("--only", default=",".join(STEPS), help="steps, comma-separated")
    args = parser.parse_args()
    steps = [s for s in args.only.split(",") if s]
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown step(s) {unknown}; choose from {list(STEPS)}")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    values = synthetic_values(args.samples, args.genes)
    labels = np.array([f"class{i % 20}" for i in range(args.samples)], dtype=object)
    print(
        f"SYNTHETIC {args.samples:,} x {args.genes:,} float32 ({values.nbytes / 2**20:,.0f} MiB), "
        f"{os.cpu_count()} CPUs"
    )
    for step in steps:
        with PeakMemory() as mem:
            t0 = time.perf_counter()
            if step == "raw":
                analysis.one_nn_accuracy(values, labels, fraction=0.02, n_splits=args.splits)
                detail = f"1-NN from 2% labels, {args.splits} splits"
            else:
                methods = tuple(step.split("+"))
                analysis.baseline_embeddings(values, methods=methods, seed=0)
                detail = "map" + ("s" if len(methods) > 1 else "")
            seconds = time.perf_counter() - t0
        print(
            f"{step}: {detail} in {seconds:.1f} s; "
            f"peak memory above the start {(mem.peak - mem.start) / 2**20:,.0f} MiB",
            flush=True,
        )


if __name__ == "__main__":
    main()
