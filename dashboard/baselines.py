"""Side by side: the same samples in PCA / NMF / t-SNE / UMAP (and FE), with 1-NN accuracies.

The maps are computed once in a background job and cached (:meth:`AppContext.compute_baselines`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from dash import Input, Output, html, no_update

from core.errors import CoreError
from dashboard import figures, ids
from dashboard.layout import alert_id

log = logging.getLogger(__name__)


def baseline_view(context: Any, result: dict[str, Any] | None) -> tuple[Any, list[dict]]:
    """Figure and accuracy rows of cached baseline maps (None -> nothing to show yet)."""
    if not result:
        return no_update, []
    # the model's map and accuracy are always the model's shown now (results cached by an
    # earlier version held another model's under "FE")
    own = ("FE", "model")
    maps = {k: v for k, v in result.get("maps", {}).items() if k not in own}
    acc = {k: v for k, v in result.get("accuracy", {}).items() if k not in own}
    label = result.get("label") or ""
    st = context.state()
    if st is not None:
        name = context.model_map_name()
        maps = {name: st.sample_embedding, **maps}
        model_acc = context.model_accuracy(label) if label else None
        if model_acc is not None:
            acc = {name: model_acc, **acc}
    labels = (
        context.samples[label].to_numpy(dtype=object)
        if label in context.samples.columns
        else np.array(["all"] * context.n_samples, dtype=object)
    )
    fig = figures.baselines_figure(maps, labels, acc, label_name=label or "samples")
    if context.simulated:
        figures.mark_simulated(fig)
    rows = [
        {
            "map": name,
            "1-NN accuracy (2% labels)": round(float(a["mean"]), 3),
            "sd": round(float(a["sd"]), 3),
        }
        for name, a in acc.items()
    ]
    return fig, rows


def register_callbacks(app: Any) -> None:
    context = app.fe_context

    @app.callback(
        Output(ids.BASELINES_GRAPH, "figure"),
        Output(ids.BASELINES_TABLE, "data"),
        Input(ids.MODEL_STATUS, "data"),
    )
    def show_cached(status):
        if not status or not status.get("ready"):
            return no_update, no_update
        return baseline_view(context, context.cached_baselines())

    @app.callback(
        Output(ids.BASELINES_GRAPH, "figure", allow_duplicate=True),
        Output(ids.BASELINES_TABLE, "data", allow_duplicate=True),
        Output(alert_id("baselines"), "children"),
        Input(ids.BASELINES_BUTTON, "n_clicks"),
        background=True,
        progress=[Output(ids.BASELINES_PROGRESS, "children")],
        running=[(Output(ids.BASELINES_BUTTON, "disabled"), True, False)],
        interval=1000,
        prevent_initial_call=True,
    )
    def compute(set_progress, n_clicks):
        if not n_clicks:
            return no_update, no_update, None
        try:
            result = context.compute_baselines(
                progress=lambda f, m: set_progress(f"{int(100 * f)}% — {m}")
            )
        except CoreError as exc:
            return no_update, no_update, html.Div(str(exc), className="alert alert-error")
        set_progress("")
        fig, rows = baseline_view(context, result)
        return fig, rows, None
