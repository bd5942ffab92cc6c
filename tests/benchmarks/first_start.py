"""The demo's first start: the background job's time, split into its steps. Prints the figures.

Run (not collected by pytest)::

    .venv/bin/python tests/benchmarks/first_start.py [--cache-dir DIR]

Builds the demo's context as ``python app.py`` does (the SIMULATED 8,000 x 2,000 GTEx-like set,
its model settings) on a fresh cache directory, and times ``AppContext.train``: the job that
the first page starts (train, lay out the gene space, store). Run it in a new process each
time: UMAP's numba functions are compiled once per process, and that compilation is part of a
first start.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", help="a fresh cache directory (default: a temporary one)")
    args = parser.parse_args()

    import dashboard.context as context_module
    from dashboard.entry import build_parser, config_from_args, load_dataset

    cache = Path(args.cache_dir or tempfile.mkdtemp(prefix="fe-first-start-"))
    if cache.exists() and any(cache.iterdir()):
        parser.error(f"--cache-dir {cache} is not empty: a first start needs a fresh one")
    app_args = build_parser().parse_args(["--cache-dir", str(cache)])
    t0 = time.perf_counter()
    es = load_dataset(app_args)
    ctx = context_module.AppContext(es, config_from_args(app_args, demo=True))
    t_data = time.perf_counter() - t0

    layout_started: list[float] = []

    def progress(fraction: float, message: str) -> None:
        if message.startswith("laying out") and not layout_started:
            layout_started.append(time.perf_counter())

    t1 = time.perf_counter()
    ctx.train(progress=progress)
    t_end = time.perf_counter()
    t_layout = layout_started[0] if layout_started else t_end
    print(f"data (SIMULATED demo) and context: {t_data:.1f} s")
    print(f"job: {t_end - t1:.1f} s")
    print(f"  training: {t_layout - t1:.1f} s")
    print(f"  gene layout and store: {t_end - t_layout:.1f} s")


if __name__ == "__main__":
    main()
