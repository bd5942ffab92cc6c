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

With ``--split``, instead: where the wall time of ``embed`` of a few samples goes, for this
checkout and (``--compare ROOT``) another one, interleaved, ``--repeat`` runs each with the
load beside each figure; then the largest difference between the two checkouts' coordinates::

    .venv/bin/python tests/benchmarks/placing_speed.py --model MODEL_DIR --split \
        --samples 10 --repeat 3 [--compare OLD_CHECKOUT]

- wall: the command as a user runs it; start: ``python -c pass``;
- imports: ``-X importtime`` of the command, by package (cumulative, where first imported);
- phases: ``cProfile`` of the command (slower than without it): the imports before the
  command runs, then model load, read (the file), place (of which neighbours: the nearest
  training samples, refine: the gradient steps), copies (of training samples), vote (the
  nearest training samples on the map) and write.
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


#: Packages whose import time ``--split`` reports.
SPLIT_PACKAGES = ("numpy", "pandas", "scipy", "sklearn", "torch", "torch._dynamo", "plotly")
#: ``--split`` phases: the functions of the command whose cumulative time each is.
SPLIT_PHASES = {
    "model load": ("embed_cli.py", "load_model_dir"),
    "read": ("cli.py", "load_data_from_args"),
    "place": ("embed_cli.py", "_place"),
    "place: neighbours": ("placement.py", "_reference_neighbours"),
    "place: refine": ("train_grid.py", "refine_coordinates"),
    "copies": ("embed_cli.py", "_copies_of_training"),
    "vote": ("maps.py", "map_neighbours"),
    "write": ("embed_cli.py", "_write_table"),
}


def load() -> str:
    """The 1-minute load average."""
    return f"{__import__('os').getloadavg()[0]:.1f}"


def import_seconds(importtime: str) -> dict[str, float]:
    """Seconds of each of :data:`SPLIT_PACKAGES` and its modules in ``-X importtime`` output:
    the cumulative time of each module of the package not imported by another of its modules
    (``torch._dynamo`` counts within ``torch`` too)."""
    nodes: list[tuple[int, str, float, list]] = []  # (depth, name, seconds, children)
    for line in importtime.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].rstrip()
        depth = (len(name) - len(name.lstrip())) // 2
        children = []
        while nodes and nodes[-1][0] > depth:  # (children are listed before their parent)
            children.insert(0, nodes.pop())
        nodes.append((depth, name.strip(), int(parts[1]) / 1e6, children))
    seconds = dict.fromkeys(SPLIT_PACKAGES, 0.0)

    def walk(node, inside: frozenset) -> None:
        _, name, cumulative, children = node
        here = {p for p in SPLIT_PACKAGES if name == p or name.startswith(p + ".")}
        for p in here - inside:
            seconds[p] += cumulative
        for child in children:
            walk(child, inside | here)

    for node in nodes:
        walk(node, frozenset())
    return seconds


def embed_split(root: Path, model: str, upload: Path, out: Path, tmp: Path) -> dict[str, float]:
    """Seconds of one ``embed`` run from the checkout ``root``, by part (see the module)."""
    import pstats

    command = ["-m", "core", "embed", "--model", model, "--matrix", str(upload)]
    command += ["--out", str(out), "--force"]
    python = sys.executable
    split = {"load": float(load())}
    t0 = time.perf_counter()
    subprocess.run([python, "-c", "pass"], check=True)
    split["start"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([python, *command], cwd=root, check=True, capture_output=True)
    split["wall"] = time.perf_counter() - t0
    done = subprocess.run(
        [python, "-X", "importtime", *command], cwd=root, check=True, capture_output=True,
        text=True,
    )  # fmt: skip
    for package, seconds in import_seconds(done.stderr).items():
        split[f"import {package}"] = seconds
    profile = tmp / "embed.prof"
    subprocess.run(
        [python, "-m", "cProfile", "-o", str(profile), *command], cwd=root, check=True,
        capture_output=True,
    )  # fmt: skip
    stats = pstats.Stats(str(profile)).stats
    cumulative: dict[tuple[str, str], float] = {}
    for (file, _, function), (_, _, _, cum, _) in stats.items():
        key = (Path(file).name, function)
        cumulative[key] = max(cumulative.get(key, 0.0), cum)
    main = cumulative.get(("cli.py", "main"), 0.0)
    split["profiled: before the command"] = main - cumulative.get(("embed_cli.py", "run_embed"), 0)
    for phase, key in SPLIT_PHASES.items():
        split[f"profiled: {phase}"] = cumulative.get(key, 0.0)
    return split


def run_split(args: argparse.Namespace, tmp: Path) -> int:
    """``--split``: the parts of ``embed``'s wall time, this checkout and ``--compare``."""
    import numpy as np
    import pandas as pd

    upload = tmp / f"new_{args.samples}.csv"
    make_upload(Path(args.data), args.samples, upload)
    roots = {"this": ROOT}
    if args.compare:
        roots["compare"] = Path(args.compare).resolve()
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in roots}
    for run in range(args.repeat):
        for name, root in roots.items():  # (interleaved: the load of others falls alike)
            split = embed_split(root, args.model, upload, tmp / f"{name}{run}.csv", tmp)
            runs[name].append(split)
            print(f"run {run + 1}, {name}: wall {split['wall']:.2f} s at load {split['load']}")
    print(f"\nembed of {args.samples} samples; medians of {args.repeat} runs (s)\n")
    print("| part | " + " | ".join(roots) + " |\n|---|" + "---|" * len(roots))
    for part in runs["this"][0]:
        cells = [
            f"{statistics.median(r.get(part, 0.0) for r in runs[n]):.2f}"
            + (f" ({', '.join(f'{r.get(part, 0.0):.2f}' for r in runs[n])})" if part in
               ("wall", "load") else "")
            for n in roots
        ]  # fmt: skip
        print(f"| {part} | " + " | ".join(cells) + " |")
    if args.compare:
        this, other = (pd.read_csv(tmp / f"{n}0.csv") for n in roots)
        diff = np.abs(this[["x", "y"]].to_numpy() - other[["x", "y"]].to_numpy()).max()
        same = this.drop(columns=["x", "y"]).equals(other.drop(columns=["x", "y"]))
        print(f"\ncoordinates: max abs diff {diff:.2e}; other columns the same: {same}")
    return 0


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
    p.add_argument("--split", action="store_true", help="where embed's wall time goes")
    p.add_argument("--compare", default=None, help="with --split: another checkout to time")
    args = p.parse_args()
    if args.split:
        return run_split(args, Path(tempfile.mkdtemp(prefix="placing-split-")))

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
