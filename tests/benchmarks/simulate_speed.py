"""Cost of the SIMULATED demo from scratch: prints the figures.

Run (not collected by pytest)::

    .venv/bin/python tests/benchmarks/simulate_speed.py [--repeat 3]

Times loading the committed GO snapshot and ``simulate_gtex_like()`` at its default size
(8,000 x 2,000), wall-clock and CPU seconds of this process, median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    from core.annotations import GeneOntology
    from core.simulate import simulate_gtex_like

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for _ in range(args.repeat):
        go, go_wall, go_cpu = _timed(GeneOntology.load)
        es, sim_wall, sim_cpu = _timed(lambda go=go: simulate_gtex_like(ontology=go))
        rows.append((go_wall, go_cpu, sim_wall, sim_cpu))
    med = [statistics.median(r[i] for r in rows) for i in range(4)]
    n, m = es.values.shape
    print(f"SIMULATED demo {n:,} x {m:,}, median of {args.repeat}")
    print(f"GO snapshot load: {med[0]:.2f} s wall, {med[1]:.2f} s CPU")
    print(f"simulate_gtex_like: {med[2]:.2f} s wall, {med[3]:.2f} s CPU")
    print(f"total: {med[0] + med[2]:.2f} s wall, {med[1] + med[3]:.2f} s CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
