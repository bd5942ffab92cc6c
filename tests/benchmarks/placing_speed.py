"""Placing new samples on a fitted map: ``python -m core embed``, the Python API and the
dashboard's upload path, timed on the same file (prints the figures).

Run (not collected by pytest)::

    .venv/bin/python tests/benchmarks/placing_speed.py --model MODEL_DIR [--samples 500]
        [--repeat 2] [--data ../shared/data/gtex_sepira_26tissues/sepira_gtex_520x467.csv.gz]

The upload is made from the real samples of ``--data`` (the data the model was trained on):
``--samples`` rows drawn with replacement, each non-zero value moved by N(0, 0.3), samples
in rows and genes as columns (as ``embed --matrix`` reads it), with their tissue column.
Measured, interleaved (command, API, page; again) so that the load of others falls on each
alike:

- ``embed``: the command in a process of its own (wall time, Python's start and imports
  included);
- API: :func:`core.data.load_table`, :meth:`FactorizedEmbeddings.transform` and
  ``value_scales`` in this process (model loaded once, not timed);
- page: :func:`dashboard.placement.run_placing_job` (the background callback's body) on a
  data URL of the file, split into decode (base64), parse (the table read), place
  (``transform`` and ``value_scales``), neighbours (majority tissue) and the rest (checks,
  records, warnings, the kept copy); then the sample-map figure with the placed samples.

Also prints the largest difference between the page's and the API's coordinates.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared/data/gtex_sepira_26tissues/sepira_gtex_520x467.csv.gz"


def make_upload(data: Path, n: int, out: Path, seed: int = 0) -> None:
    """``n`` samples resampled from ``data`` (samples in rows), values perturbed."""
    import numpy as np
    import pandas as pd

    table = pd.read_csv(data)
    rng = np.random.default_rng(seed)
    new = table.iloc[rng.integers(0, len(table), n)].reset_index(drop=True)
    genes = [c for c in new.columns if pd.api.types.is_numeric_dtype(new[c])]
    values = new[genes].to_numpy(float)
    values = np.clip(values + rng.normal(0, 0.3, values.shape) * (values > 0), 0, None)
    new[genes] = values.round(4)
    new[new.columns[0]] = [f"NEW-{i:05d}" for i in range(n)]
    new.to_csv(out, index=False)


class Phases:
    """Seconds spent in wrapped functions, by phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, phase: str, fn):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - t0

        return timed


def time_command(model: str, upload: Path, out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "core", "embed", "--model", model, "--matrix", str(upload)]
        + ["--out", str(out), "--force"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t0


def time_api(model, upload: Path):
    from core.data import load_table

    t0 = time.perf_counter()
    es = load_table(upload, transform="none")
    coords, _ = model.transform(es, return_error=True)
    model.value_scales(es, coords)
    return time.perf_counter() - t0, coords


def time_page(context, contents: str, name: str, run: int):
    """(total, phases, records, figure seconds) of one upload placed as the page places it."""
    import core.analysis
    from dashboard import new_samples, placement
    from dashboard.sample_map import build_sample_figure, default_color

    phases = Phases()
    model = context.require_state().model
    patched = [
        (placement, "upload_bytes", "decode"),
        (new_samples, "_load_upload", "parse"),
        (model, "transform", "place"),
        (model, "value_scales", "place"),
        (core.analysis, "map_neighbours", "neighbours"),
    ]
    saved = [(obj, attr, obj.__dict__.get(attr)) for obj, attr, _ in patched]
    for obj, attr, phase in patched:
        setattr(obj, attr, phases.wrap(phase, getattr(obj, attr)))
    try:
        t0 = time.perf_counter()
        placed, _, _, alert = placement.run_placing_job(
            context, lambda message: None, {"id": f"bench{run}"}, contents, name, False
        )
        total = time.perf_counter() - t0
    finally:
        for obj, attr, before in saved:
            if before is None:
                delattr(obj, attr)
            else:
                setattr(obj, attr, before)
    if alert is not None:
        raise RuntimeError(f"the page did not place the upload: {alert}")
    t0 = time.perf_counter()
    build_sample_figure(context, default_color(context), placed=placed)
    figure = time.perf_counter() - t0
    return total, phases.seconds, placed, figure


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="a model directory (python -m core train)")
    p.add_argument("--data", default=str(DATA), help="CSV the upload is drawn from")
    p.add_argument("--samples", type=int, default=500)
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args()

    import numpy as np

    from core.estimator import FactorizedEmbeddings
    from dashboard.entry import app_from_args

    tmp = Path(tempfile.mkdtemp(prefix="placing-speed-"))
    upload = tmp / f"new_{args.samples}.csv"
    make_upload(Path(args.data), args.samples, upload)
    raw = upload.read_bytes()
    contents = "data:text/csv;base64," + base64.b64encode(raw).decode()
    t0 = time.perf_counter()
    app, _ = app_from_args(["--model", args.model, "--cache-dir", str(tmp / "cache")])
    context = app.fe_context
    context.train()
    ready = time.perf_counter() - t0
    model = FactorizedEmbeddings.load(args.model)
    print(
        f"{args.samples:,} samples resampled from {Path(args.data).name} "
        f"({len(raw) / 1e6:.1f} MB); model {args.model}; dashboard ready in {ready:.1f} s\n"
    )
    rows = {"embed": [], "api": [], "page": [], "figure": []}
    split: dict[str, list[float]] = {}
    diff = 0.0
    for run in range(args.repeat):
        rows["embed"].append(time_command(args.model, upload, tmp / "placed.csv"))
        api_s, coords = time_api(model, upload)
        rows["api"].append(api_s)
        total, phases, placed, figure = time_page(context, contents, upload.name, run)
        rows["page"].append(total)
        rows["figure"].append(figure)
        phases["rest"] = total - sum(phases.values())
        for phase, s in phases.items():
            split.setdefault(phase, []).append(s)
        page_xy = np.array([[r["x"], r["y"]] for r in placed], dtype=float)
        diff = max(diff, float(np.nanmax(np.abs(page_xy - coords))))
        print(
            f"run {run + 1}: embed {rows['embed'][-1]:.1f} s, API {api_s:.1f} s, page "
            f"{total:.1f} s ({', '.join(f'{k} {v:.2f}' for k, v in phases.items())}), "
            f"figure {figure:.2f} s",
            flush=True,
        )
    print("\n| path | median (s) | runs (s) |\n|---|---|---|")
    for name, values in [*rows.items(), *((f"page: {k}", v) for k, v in split.items())]:
        print(
            f"| {name} | {statistics.median(values):.2f} | "
            f"{', '.join(f'{v:.2f}' for v in values)} |"
        )
    print(f"\npage vs API coordinates: max abs diff {diff:.2e} (the page rounds to 4 decimals)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
