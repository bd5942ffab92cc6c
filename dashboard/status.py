"""Model status and background training (a Dash background callback with a progress bar)."""

from __future__ import annotations

import logging
import time
from typing import Any

from dash import Input, Output, html, no_update

from core.errors import CoreError
from dashboard import ids
from dashboard.layout import alert_id

log = logging.getLogger(__name__)

SHOW = {"display": "block"}
HIDE = {"display": "none"}


def model_summary(info: dict[str, Any]) -> str:
    """One line stating the model shown (class, dimensions, settings, training time, loss)."""
    cfg = info.get("config", {})
    parts = [f"{info.get('class', 'model')}"]
    parts.append(f"samples {info.get('sample_dim')}-D, genes {info.get('gene_dim')}-D")
    if cfg.get("hidden"):
        parts.append("hidden " + "×".join(str(h) for h in cfg["hidden"]))
    if cfg.get("epochs"):
        parts.append(f"{cfg['epochs']} epochs")
    if info.get("train_seconds") is not None:
        parts.append(f"trained in {info['train_seconds']:.0f} s")
    if info.get("final_loss") is not None:
        parts.append(f"final MSE {info['final_loss']:.4f}")
    parts.append(f"gene map: {info.get('gene_layout', '')} of the gene vectors")
    if info.get("class") == "PCAEmbedding":
        parts.append("(linear PCA stand-in, not the factorized embedding)")
    return " · ".join(parts)


def check_status(
    context: Any, trained: dict[str, Any] | None = None
) -> tuple[dict[str, Any], Any, str, dict[str, str], Any]:
    """Model status for the page.

    ``trained`` is what the last training job returned (``{"error": ...}`` when it failed: no
    new job is requested then, the message is shown).

    Returns
    -------
    (status, train_request, model_info, train_panel_style, alert)
    """
    try:
        st = context.state()
    except CoreError as exc:
        return {"ready": False, "error": str(exc)}, no_update, "model: not available", HIDE, _alert(
            str(exc)
        )
    if st is None and trained and trained.get("error"):
        msg = f"training failed: {trained['error']}"
        return {"ready": False, "error": msg}, no_update, "model: not available", HIDE, _alert(msg)
    if st is None:
        return (
            {"ready": False},
            {"t": time.time()},
            "model: training in the background…",
            SHOW,
            None,
        )
    return {"ready": True, "key": st.key}, no_update, model_summary(st.info), HIDE, None


def _alert(message: str) -> html.Div:
    return html.Div(message, className="alert")


def register_callbacks(app: Any) -> None:
    context = app.fe_context

    @app.callback(
        Output(ids.MODEL_STATUS, "data"),
        Output(ids.TRAIN_REQUEST, "data"),
        Output(ids.MODEL_INFO, "children"),
        Output(ids.TRAIN_PANEL, "style"),
        Output(alert_id("status"), "children"),
        Input(ids.URL, "pathname"),
        Input(ids.TRAINED_KEY, "data"),
    )
    def update_status(_pathname: Any, trained: Any):
        return check_status(context, trained)

    @app.callback(
        Output(ids.TRAINED_KEY, "data"),
        Input(ids.TRAIN_REQUEST, "data"),
        background=True,
        progress=[
            Output(ids.TRAIN_PROGRESS, "value"),
            Output(ids.TRAIN_PROGRESS_LABEL, "children"),
        ],
        progress_default=["0", "Preparing the model…"],
        interval=700,
        prevent_initial_call=True,
    )
    def run_training(set_progress, request: Any):
        if not request:
            return no_update
        logging.basicConfig(level=logging.INFO)

        def progress(fraction: float, message: str) -> None:
            set_progress((str(int(round(100 * fraction))), message))

        try:
            return {"key": context.train(progress=progress), "t": time.time()}
        except CoreError as exc:
            log.error("training failed: %s", exc)
            set_progress(("0", f"training failed: {exc}"))
            return {"error": str(exc), "t": time.time()}
