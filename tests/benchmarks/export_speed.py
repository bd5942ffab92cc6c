"""Figure export time: a Chromium started per figure vs one kept open (``dashboard.render``).

Run (not collected by pytest; needs Chromium)::

    .venv/bin/python tests/benchmarks/export_speed.py [--points 17382] [--repeat 3]

The figure is a SIMULATED scatter of ``--points`` markers coloured by a continuous value (SVG
markers, as the dashboard exports the sample map), 1000 x 700 px. Prints seconds per export.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--points", type=int, default=17_382)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()

    import numpy as np
    import plotly.graph_objects as go

    from dashboard.render import ImageRenderer, browser_path, render_image

    if browser_path() is None:
        print("no Chromium found (install chromium or set BROWSER_PATH)")
        return 1
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(args.points, 2))
    fig = go.Figure(
        go.Scatter(
            x=xy[:, 0],
            y=xy[:, 1],
            mode="markers",
            marker=dict(size=3, color=rng.random(args.points), colorscale="Viridis"),
        )
    )
    print(f"SIMULATED scatter, {args.points} markers, 1000 x 700 px, {args.repeat} repeats\n")
    print("| format | Chromium per figure (s) | kept open: first (s) | kept open: later (s) |")
    print("|---|---|---|---|")
    for fmt in ("svg", "png", "pdf"):
        oneshot = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            render_image(fig, fmt, 1000, 700, 1.0)
            oneshot.append(time.perf_counter() - t0)
        renderer = ImageRenderer()
        try:
            t0 = time.perf_counter()
            renderer.render(fig, fmt, 1000, 700, 1.0)
            first = time.perf_counter() - t0
            later = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                renderer.render(fig, fmt, 1000, 700, 1.0)
                later.append(time.perf_counter() - t0)
        finally:
            renderer.close()
        print(
            f"| {fmt} | {statistics.median(oneshot):.2f} | {first:.2f} | "
            f"{statistics.median(later):.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
