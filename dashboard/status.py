"""Model status and background training (a Dash background callback with a progress bar)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from dash import Input, Output, State, ctx, html, no_update

from core.errors import CoreError
from dashboard import ids
from dashboard.job_records import (
    DISK_FULL_MESSAGE,
    disk_full,
    disk_nearly_full,
    job_error,
    why_stopped,
)
from dashboard.layout import MODEL_INFO_HELP, alert_id

log = logging.getLogger(__name__)

SHOW = {"display": "block"}
HIDE = {"display": "none"}


def model_summary(info: dict[str, Any]) -> str:
    """One line stating the model shown (class, dimensions, settings, training time, loss)."""
    cfg = info.get("config", {})
    parts = [f"{info.get('class', 'model')}"]
    parts.append(f"samples {info.get('sample_dim')}-D, genes {info.get('gene_dim')}-D")
    n_model, n_all = info.get("n_model_genes"), info.get("n_dataset_genes")
    if n_model is not None and n_all is not None and n_model != n_all:
        parts.append(f"trained on {n_model:,} of the {n_all:,} genes")
    if cfg.get("hidden"):
        parts.append("hidden " + "×".join(str(h) for h in cfg["hidden"]))
    if cfg.get("epochs"):
        parts.append(f"{cfg['epochs']} epochs")
    if cfg.get("init"):
        parts.append(_INIT_WORDS.get(cfg["init"], f"{cfg['init']} start"))
    if info.get("train_seconds") is not None:
        parts.append(f"trained in {info['train_seconds']:.0f} s")
    if info.get("final_loss") is not None:
        parts.append(f"final MSE {info['final_loss']:.4f}")
    if info.get("joined_models"):
        parts.append(
            f"gene space: {info['joined_models']} models joined (mean cosine distance); "
            f"gene map: {info.get('gene_layout', '')} of the joined vectors"
        )
    else:
        parts.append(f"gene map: {info.get('gene_layout', '')} of the gene vectors")
    if info.get("class") == "PCAEmbedding":
        parts.append("(linear PCA stand-in, not the factorized embedding)")
    return " · ".join(parts)


def check_status(
    context: Any,
    trained: dict[str, Any] | None = None,
    page_load: bool = True,
    previous: dict[str, Any] | None = None,
) -> tuple[Any, Any, Any, Any, Any, bool]:
    """Model status for the page (called on page load, then polled until the model is ready).

    Parameters
    ----------
    trained
        What the last training job returned (``{"error": ...}`` when it failed: the message is
        shown and polling stops).
    page_load
        True on page load: a training job is requested when the model is not ready.
    previous
        The status the page holds (unchanged values are not sent again). None (no status yet)
        requests a training job as a page load does.

    Returns
    -------
    (status, train_request, model_info, train_panel_style, alert, poll_disabled)
    """
    try:
        st = context.state()
    except CoreError as exc:
        status = {"ready": False, "error": str(exc)}
        return status, no_update, "model: not available", HIDE, _alert(str(exc)), True
    if st is None and trained and trained.get("error"):
        msg = f"training failed: {trained['error']}"
        status = {"ready": False, "error": msg}
        return status, no_update, "model: not available", HIDE, _alert(msg), True
    if st is None:
        if not page_load and previous == {"ready": False}:
            return no_update, no_update, no_update, no_update, no_update, False
        # the page holds no status yet: its load's answer was dropped (a poll sent while the
        # load's call was slow supersedes it in the page), and that answer's training
        # request with it; the page then polled for ever a model no job trained
        first = page_load or previous is None
        request = {"t": time.time()} if first else no_update
        return {"ready": False}, request, "model: training in the background…", SHOW, None, False
    return {"ready": True, "key": st.key}, no_update, model_summary(st.info), HIDE, None, True


#: How the sample map started (``FactorizedEmbeddings(init=...)``), in words.
_INIT_WORDS = {"pca": "started from PCA", "random": "started at random"}


def _alert(message: str) -> html.Div:
    return html.Div(message, className="alert")


#: What the page says of a training job that ended without a model and without an error.
TRAIN_STOPPED_MESSAGE = (
    "Training stopped before the model was ready: the background job ended without a result "
    "({why}). Retry, or train ahead of time with “python -m core train” and start the "
    "dashboard with --model."
)


def training_job_view(
    context: Any, running: Any, retry: bool = False
) -> tuple[Any, Any, Any, Any, Any, Any, Any, Any, Any]:
    """The page after the training job started or ended (``train-running``), or on "Retry".

    Dash reports a job that ended (``running`` False) whether it returned or its process was
    killed; a killed job returns nothing, and the page kept its last progress message for ever.
    Here the job's record (:meth:`AppContext.job_outcome`) tells the cases apart.

    Returns
    -------
    (model status, train request, model info, train panel style, alert, poll disabled,
    progress box style, stopped box style, stopped text); ``no_update`` where nothing changes
    """
    keep = (no_update,) * 9
    if retry:  # a new job; the polled status takes over from here
        return (
            {"ready": False},
            {"t": time.time()},
            "model: training in the background…",
            SHOW,
            None,
            False,
            SHOW,
            HIDE,
            "",
        )
    if running is not False:
        return keep
    try:
        if context.state() is not None:
            return keep  # trained: the polled status shows the model
    except CoreError:
        return keep  # the polled status says why the model cannot be loaded
    outcome = context.job_outcome("train")
    if outcome["state"] != "failed" and not outcome.get("by"):
        # no end recorded: on a full disk the job could not write it (nor its result), and
        # the page told a full disk as a process killed for lack of memory
        if disk_nearly_full(context.cache_dir):
            outcome = {
                "state": "failed",
                "error": DISK_FULL_MESSAGE.format(folder=context.cache_dir),
            }
    if outcome["state"] == "failed":
        message = f"training failed: {outcome.get('error')}"
    else:
        message = TRAIN_STOPPED_MESSAGE.format(why=why_stopped(outcome))
    return (
        {"ready": False, "error": message},
        no_update,
        "model: not available",
        SHOW,
        html.Div(message, className="alert alert-error"),
        True,
        HIDE,
        SHOW,
        "Training stopped." if outcome["state"] != "failed" else "Training failed.",
    )


def register_callbacks(app: Any) -> None:
    context = app.fe_context

    # Polled (not chained to the training job's output: status -> job -> status would be a
    # circular dependency, which Dash refuses).
    @app.callback(
        Output(ids.MODEL_STATUS, "data"),
        Output(ids.TRAIN_REQUEST, "data"),
        Output(ids.MODEL_INFO, "children"),
        Output(ids.TRAIN_PANEL, "style"),
        Output(alert_id("status"), "children"),
        Output(ids.STATUS_POLL, "disabled"),
        Input(ids.URL, "pathname"),
        Input(ids.STATUS_POLL, "n_intervals"),
        State(ids.TRAINED_KEY, "data"),
        State(ids.MODEL_STATUS, "data"),
    )
    def update_status(_pathname: Any, _n: Any, trained: Any, previous: Any):
        return check_status(context, trained, ctx.triggered_id != ids.STATUS_POLL, previous)

    @app.callback(
        Output(ids.TRAINED_KEY, "data"),
        Input(ids.TRAIN_REQUEST, "data"),
        background=True,
        progress=[
            Output(ids.TRAIN_PROGRESS, "value"),
            Output(ids.TRAIN_PROGRESS_LABEL, "children"),
        ],
        progress_default=["0", "Preparing the model…"],
        # the job's start and end (returned or killed): training_job_view reads the end
        running=[(Output(ids.TRAIN_RUNNING, "data"), True, False)],
        interval=700,
        prevent_initial_call=True,
    )
    def run_training(set_progress, request: Any):
        if not request:
            return no_update

        def progress(fraction: float, message: str) -> None:
            log.info("training progress %.2f: %s", fraction, message)
            set_progress((str(int(round(100 * fraction))), message))

        try:
            # the job's record (its progress for pages opened meanwhile, and its end) is kept
            # by the job that trains, not by one that waits for it and relays its progress
            key = context.train(progress=progress, record=True)
        except Exception as exc:  # noqa: BLE001 - the job's end: said in the page, not raised
            message = job_error(exc, context.cache_dir)
            full = disk_full(exc)  # a known cause, said in one line: no traceback
            if not full and not isinstance(exc, CoreError):
                log.exception("training failed")
            log.error("training failed: %s", message)
            try:
                set_progress(("0", f"training failed: {message}"))
            except OSError as err:  # (the progress is kept on the same full disk)
                if not (full or disk_full(err)):
                    raise
            return {"error": message, "t": time.time()}
        return {"key": key, "t": time.time()}

    @app.callback(
        Output(ids.MODEL_STATUS, "data", allow_duplicate=True),
        Output(ids.TRAIN_REQUEST, "data", allow_duplicate=True),
        Output(ids.MODEL_INFO, "children", allow_duplicate=True),
        Output(ids.TRAIN_PANEL, "style", allow_duplicate=True),
        Output(alert_id("status"), "children", allow_duplicate=True),
        Output(ids.STATUS_POLL, "disabled", allow_duplicate=True),
        Output(ids.TRAIN_PROGRESS_BOX, "style"),
        Output(ids.TRAIN_STOPPED, "style"),
        Output(ids.TRAIN_STOPPED_TEXT, "children"),
        Input(ids.TRAIN_RUNNING, "data"),
        Input(ids.TRAIN_RETRY, "n_clicks"),
        prevent_initial_call=True,
    )
    def watch_training(running: Any, _retry: Any):
        return training_job_view(context, running, retry=ctx.triggered_id == ids.TRAIN_RETRY)

    # the whole line on hovering it (the header cuts the line at the window's edge), then what
    # its words mean (samples 2-D, hidden, final MSE) once it says them
    app.clientside_callback(
        "function (text) { const help = "
        + json.dumps(MODEL_INFO_HELP, ensure_ascii=False)
        + "; if (typeof text !== 'string') { return ''; }"
        + " return text.indexOf('-D') >= 0 ? text + '\\n' + help : text; }",
        Output(ids.MODEL_INFO, "title"),
        Input(ids.MODEL_INFO, "children"),
    )
