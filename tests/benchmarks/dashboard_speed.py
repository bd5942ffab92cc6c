"""Dashboard speed on a GTEx-sized set (17,382 simulated samples): prints the figures.

Run (not collected by pytest)::

    .venv/bin/python tests/benchmarks/dashboard_speed.py [--samples 17382] [--genes 2000]
        [--epochs 1] [--standin] [--cache-dir DIR] [--repeat 20]

Measures, through the Flask test client (the real Dash request path: JSON in, callback,
JSON out):

- recolour by a gene (``color-by`` -> ``sample-map``; continuous -> continuous sends the new
  order and colours, and the page moves its points: ``assets/recolour.js``),
- a gene's neighbours + GO enrichment (warm),
- first page once the model is cached (create the app, ``/``, ``/_dash-layout``, the status
  callback and the first sample-map figure).

The model is trained once (or loaded from the cache directory); its quality does not matter for
these timings. The data is simulated (``core.simulate``), sized like GTEx v8 (17,382 samples).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def _post(client, output: str, outputs: list, inputs: list, state: list, changed: list) -> tuple:
    body = {
        "output": output,
        "outputs": outputs,
        "inputs": inputs,
        "state": state,
        "changedPropIds": changed,
    }
    t0 = time.perf_counter()
    r = client.post("/_dash-update-component", json=body)
    dt = time.perf_counter() - t0
    if r.status_code not in (200, 204):
        raise RuntimeError(f"callback {output} failed: {r.status_code} {r.data[:300]!r}")
    return dt, (json.loads(r.data) if r.status_code == 200 else None), len(r.data)


def _o(cid: str, prop: str) -> dict:
    return {"id": cid, "property": prop}


def _i(cid: str, prop: str, value) -> dict:
    return {"id": cid, "property": prop, "value": value}


def main() -> int:
    import numpy as np

    from core.simulate import simulate_gtex_like
    from dashboard import ids
    from dashboard.context import DashboardConfig, ModelSettings
    from dashboard.factory import create_app
    from dashboard.gene_space import neighbor_tables
    from dashboard.layout import SAMPLE_MAP_RECOLOUR, alert_id

    p = argparse.ArgumentParser()
    p.add_argument("--samples", type=int, default=17382)
    p.add_argument("--genes", type=int, default=2000)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--standin", action="store_true")
    p.add_argument("--cache-dir", default="cache/benchmark")
    p.add_argument("--repeat", type=int, default=20)
    args = p.parse_args()

    t0 = time.perf_counter()
    es = simulate_gtex_like(n_samples=args.samples, n_genes=args.genes)
    print(
        f"dataset: {es.name}, {es.values.shape[0]:,} x {es.values.shape[1]:,} "
        f"(simulated in {time.perf_counter() - t0:.1f} s)"
    )
    config = DashboardConfig(
        cache_dir=Path(args.cache_dir),
        settings=ModelSettings(epochs=args.epochs, standin=args.standin),
    )
    app = create_app(es, config)
    ctx = app.fe_context
    if not ctx.model_ready_on_disk():
        t0 = time.perf_counter()
        ctx.train(progress=lambda f, m: None)
        print(
            f"trained {ctx.state().info['class']} + gene layout in "
            f"{time.perf_counter() - t0:.1f} s (once; cached)"
        )

    # ---------------------------------------------------------------- first page (cached model)
    t0 = time.perf_counter()
    app = create_app(es, config)
    client = app.server.test_client()
    t_create = time.perf_counter() - t0
    t1 = time.perf_counter()
    assert client.get("/").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    t_index = time.perf_counter() - t1
    status_out = (
        "..model-status.data...train-request.data...model-info.children...train-panel.style"
        "...alert-status.children...status-poll.disabled.."
    )
    t_status, res, _ = _post(
        client,
        status_out,
        [
            _o(ids.MODEL_STATUS, "data"),
            _o(ids.TRAIN_REQUEST, "data"),
            _o(ids.MODEL_INFO, "children"),
            _o(ids.TRAIN_PANEL, "style"),
            _o(alert_id("status"), "children"),
            _o(ids.STATUS_POLL, "disabled"),
        ],
        [_i(ids.URL, "pathname", "/"), _i(ids.STATUS_POLL, "n_intervals", None)],
        [_i(ids.TRAINED_KEY, "data", None), _i(ids.MODEL_STATUS, "data", None)],
        ["url.pathname"],
    )
    status = res["response"][ids.MODEL_STATUS]["data"]
    map_out = (
        "..sample-map.figure...sample-map-kind.data...alert-map.children"
        f"...{SAMPLE_MAP_RECOLOUR}.data.."
    )
    map_outputs = [
        _o(ids.SAMPLE_MAP, "figure"),
        _o(ids.SAMPLE_MAP_KIND, "data"),
        _o(alert_id("map"), "children"),
        _o(SAMPLE_MAP_RECOLOUR, "data"),  # a recolour made in the page (assets/recolour.js)
    ]

    def recolour(value, previous, changed="color-by.value"):
        return _post(
            client,
            map_out,
            map_outputs,
            [
                _i(ids.COLOR_BY, "value", value),
                _i(ids.CLIP, "value", [1, 99]),
                _i(ids.MODEL_STATUS, "data", status),
                _i(ids.PLACED, "data", None),
                _i(ids.SELECTION, "data", None),
                _i(ids.URL, "search", ""),
            ],
            [_i(ids.SAMPLE_MAP_KIND, "data", previous), _i(ids.MAP_ZOOM, "data", None)],
            [changed],
        )

    t_map, res, size_first = recolour("ann:SMTS", None, "model-status.data")
    first_page = t_create + t_index + t_status + t_map
    print(
        f"first page, model cached: {first_page:.2f} s = create app {t_create:.2f} + index/layout "
        f"{t_index:.2f} + status {t_status:.2f} + first map {t_map:.2f} ({size_first / 1e6:.1f} MB)"
    )

    # ---------------------------------------------------------------- recolour by a gene
    _, res, _ = recolour("obs:MYH6", res["response"][ids.SAMPLE_MAP_KIND]["data"])
    kind = res["response"][ids.SAMPLE_MAP_KIND]["data"]
    symbols = [s for s in ctx.gene_symbols[:: max(1, len(ctx.gene_symbols) // args.repeat)]]
    for mode in ("obs", "pred", "res"):
        times, sizes = [], []
        for sym in symbols[: args.repeat]:
            dt, _, size = recolour(f"{mode}:{sym}", kind)
            times.append(dt)
            sizes.append(size)
        print(
            f"recolour by a gene ({mode}, made in the page): "
            f"median {1e3 * statistics.median(times):.0f} ms, "
            f"max {1e3 * max(times):.0f} ms server time, {np.mean(sizes) / 1e3:.0f} kB response "
            f"({len(times)} genes, {ctx.n_samples:,} samples)"
        )
    times = [recolour("obs:XIST", None)[0] for _ in range(5)]
    print(f"full sample-map figure: median {1e3 * statistics.median(times):.0f} ms")

    # ---------------------------------------------------------------- neighbours + enrichment
    neighbor_tables(ctx, "MYH6", 15)  # warm: GO, enricher, gene table
    times = []
    for sym in symbols[: args.repeat]:
        t0 = time.perf_counter()
        nb, enr, _ = neighbor_tables(ctx, sym, 15)
        times.append(time.perf_counter() - t0)
    print(
        f"gene neighbours (k=15) + GO enrichment, warm: median {1e3 * statistics.median(times):.0f}"
        f" ms, max {1e3 * max(times):.0f} ms ({len(times)} genes)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
