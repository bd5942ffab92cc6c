"""Warm GO enrichment speed: a 50-gene set against a 20,000-gene background (BP, sizes 3-500).

Run: ``.venv/bin/python tests/benchmarks/enrichment_speed.py [--repeats 50] [--seed 0]``.
Prints the snapshot load time, the one-off ``enricher()`` build time and the median / p90 of
``Enricher.enrich`` over the repeats (warm: structures built, one warm-up call first).
The 20,000 background genes are drawn (seeded) from the snapshot's annotated genes.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core.annotations import GeneOntology  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--set-size", type=int, default=50)
    parser.add_argument("--background", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    t0 = time.perf_counter()
    go = GeneOntology.load()
    t_load = time.perf_counter() - t0

    annotated = np.unique(go.direct_matrix.nonzero()[0])
    symbols = go.genes["symbol"].to_numpy()[annotated]
    background = rng.choice(symbols, size=min(args.background, symbols.size), replace=False)

    t0 = time.perf_counter()
    enricher = go.enricher(background, ontology="BP", min_size=3, max_size=500)
    t_build = time.perf_counter() - t0  # includes the one-off propagation of the snapshot

    sets = [rng.choice(background, size=args.set_size, replace=False) for _ in range(args.repeats)]
    enricher.enrich(sets[0])  # warm-up
    times = []
    for gene_set in sets:
        t0 = time.perf_counter()
        enricher.enrich(gene_set)
        times.append(time.perf_counter() - t0)
    ms = 1000 * np.asarray(times)
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, python {platform.python_version()}")
    print(f"snapshot load: {t_load:.2f} s")
    print(
        f"enricher build (background {enricher.background_size} annotated of {len(background)}, "
        f"{enricher.n_terms} BP terms of 3-500 genes): {t_build:.2f} s"
    )
    print(
        f"warm enrich, {args.set_size} genes, {args.repeats} random sets: "
        f"median {np.median(ms):.1f} ms, p90 {np.percentile(ms, 90):.1f} ms, max {ms.max():.1f} ms"
    )


if __name__ == "__main__":
    main()
