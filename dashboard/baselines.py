"""Side by side: the same samples in PCA / NMF / t-SNE / UMAP (and FE), with 1-NN accuracies.

The maps are computed once in a background job and cached (:meth:`AppContext.compute_baselines`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from dash import Input, Output, State, ctx, html, no_update

from core.errors import CoreError
from dashboard import figures, ids
from dashboard.baseline_maps import ACCURACY_COLUMN, PER_CLASS_VALUE, is_per_class, percent
from dashboard.job_records import disk_full, disk_full_end, job_error, why_stopped
from dashboard.layout import (
    alert,
    alert_id,
    annotation_word,
    baseline_table_columns,
    per_class_options,
)
from dashboard.uploads import quoted

log = logging.getLogger(__name__)


#: Maps per row on the page. Each map is drawn at 1:1, so five in one row were squares of
#: about 150 px in a 900-pixel window (300 px at 1920); three per row give 240 and 320 px.
PAGE_COLUMNS = 3


def baseline_view(
    context: Any,
    result: dict[str, Any] | None,
    columns: int | None = None,
    title: str | None = None,
    height: int | None = None,
    fraction: float | None = None,
    per_class: bool = False,
    color: str | None = None,
    clip: Any = None,
    width: int | None = None,
    plot_height: float | None = None,
    points: bool = True,
) -> tuple[Any, list[dict]]:
    """Figure and accuracy rows of cached baseline maps (None -> nothing to show yet).

    ``columns``: maps per row (default :data:`PAGE_COLUMNS`, as on the page; a file takes the
    grid of its size);
    ``title``, ``height``, ``width`` and ``plot_height``: a file's
    (:func:`dashboard.figures.baselines_figure`);
    ``fraction``: the share of labelled samples 1-NN learns from (the page's choice; default:
    the share ``result`` was scored from); ``per_class``: that share of each class
    (:func:`core.analysis.stratified_sizes`). The maps are not computed again: only their
    scores. ``color`` and ``clip``: the sample map's colouring and clip range, which colour
    every map (:func:`baseline_colouring`; None: the label 1-NN guesses); a continuous one is
    scored on each map, its smoothness in the panel's title (:data:`SMOOTHNESS_NOTE`).
    ``points`` False: the maps without their points, to measure a file's layout
    (:func:`dashboard.figures.baselines_figure`).
    """
    if not result:
        return no_update, []
    if fraction is None:
        fraction = result.get("fraction", context.ACCURACY_FRACTION)
    # the model's map and accuracy are always the model's shown now (results cached by an
    # earlier version held another model's under "FE")
    own = ("FE", "model")
    maps = {k: v for k, v in result.get("maps", {}).items() if k not in own}
    acc = context.baseline_accuracies(result, fraction, per_class)
    label = result.get("label") or ""
    st = context.state()
    if st is not None:
        name = context.model_map_name()
        maps = {name: st.sample_embedding, **maps}
        model_acc = context.model_accuracy(label, fraction, per_class) if label else None
        if model_acc is not None:
            acc = {name: model_acc, **acc}
    labels = (
        context.samples[label].to_numpy(dtype=object)
        if label in context.samples.columns
        else np.array(["all"] * context.n_samples, dtype=object)
    )
    colouring = baseline_colouring(context, color, clip, label)
    labels = colouring.pop("labels", labels)
    smoothness = None
    # a gene's, list's, preset's or GO term's values (not a numeric annotation's): Figure 3
    if colouring.get("values") is not None and not str(color).startswith("ann:"):
        smoothness = context.map_smoothness(maps, colouring["values"])
        if smoothness:
            said = SMOOTHNESS_NOTE.format(k=context.SMOOTHNESS_K)
            colouring["note"] = [n for n in (colouring.get("note"), said) if n]
    fig = figures.baselines_figure(
        maps,
        labels,
        acc,
        label_name=annotation_word(label) if label else "samples",
        columns=columns or PAGE_COLUMNS,
        title=title,
        height=height,
        smoothness=smoothness,
        sample_ids=context.sample_ids,
        width=width,
        plot_height=plot_height,
        points=points,
        **colouring,
    )
    if context.simulated:
        figures.mark_simulated(fig)
    rows = [
        {
            "map": name,
            ACCURACY_COLUMN: round(float(a["mean"]), 3),
            "sd": round(float(a["sd"]), 3),
        }
        for name, a in acc.items()
    ]
    return fig, rows


#: What a panel's smoothness is (:meth:`BaselineMaps.map_smoothness`), said over the maps.
SMOOTHNESS_NOTE = (
    "smoothness of the shown values over the k = {k} nearest samples on each map: 1, each "
    "sample's value is its neighbours' mean; 0, no more than shuffled"
)


#: What the baseline maps say when the sample map shows the model's own values of a gene
#: (predicted, residual): the other maps have no such values.
OBSERVED_NOTE = (
    "coloured by {gene}'s observed values: the {what} values on the sample map are {owner} own"
)


def baseline_colouring(
    context: Any, color: str | None, clip: Any = None, label: str = ""
) -> dict[str, Any]:
    """The arguments of :func:`dashboard.figures.baselines_figure` that colour every map as
    the sample map's ``color`` (a ``color-by`` value) and ``clip`` colour it: an annotation's
    categories, or the values of a gene, gene list, preset or GO term on the sample map's
    scale. A gene's predicted or residual values are the model's alone: the maps take its
    observed values, and say so (``note``).

    ``label``: the annotation the maps' 1-NN guesses; coloured by it (or ``color`` None, or a
    colouring that is not one, already said by the sample map), the maps are as they were:
    coloured by it, its legend titled in words.
    """
    from dashboard.sample_map import GENE_MODES, _clip, parse_color, resolve_color

    if not color or color == f"ann:{label}":
        return {}
    try:
        kind, arg = parse_color(color)
        note = None
        if kind in GENE_MODES and kind != "obs":
            gene = context.gene_symbols[context.gene_index(arg)]
            what = {"pred": "predicted", "res": "residual"}[kind]
            model = context.model_map_name()
            owner = f"the {model} model's" if model != "model" else "the model's"
            note = OBSERVED_NOTE.format(gene=gene, what=what, owner=owner)
            color = f"obs:{arg}"
        spec = resolve_color(context, color)
    except CoreError:  # (the sample map says why)
        return {}
    out: dict[str, Any] = {"color_title": spec.title, "note": note}
    if spec.kind == "categorical":
        return {**out, "labels": spec.values}
    return {
        **out,
        "values": spec.values,
        "clip": _clip(clip),
        "diverging": spec.diverging,
        "hover_title": spec.hover,
    }


#: Text of the button that starts the job, before and after a job that did not finish.
COMPUTE_LABEL = "Compute the baseline maps"
RETRY_LABEL = "Retry the baseline maps"


def baselines_job_view(context: Any, running: Any) -> tuple[Any, Any, Any]:
    """The progress text, button text and alert once the baseline maps' job ended.

    Dash reports a job that ended (``running`` False) whether it returned or its process was
    killed (e.g. for lack of memory): a killed job returns nothing, and the page kept its last
    progress message ("50% — computing t-SNE") for ever. The job's record
    (:meth:`AppContext.job_outcome`, a file) tells the cases apart.

    Returns
    -------
    (progress text, button text, alert); ``no_update`` where nothing changes
    """
    if running is not False:
        return no_update, COMPUTE_LABEL, no_update
    outcome = context.job_outcome("baselines")
    if outcome["state"] == "done":
        return "", COMPUTE_LABEL, no_update
    full = disk_full_end(outcome, context.cache_dir)
    if full:  # (the job's own alert is kept on the same full disk: it does not arrive)
        said = f"the baseline maps failed: {full}"
        return "", RETRY_LABEL, html.Div(said, className="alert alert-error")
    if outcome["state"] == "failed":  # the job said why in the alert area
        return "", RETRY_LABEL, no_update
    message = (
        "The baseline maps stopped before they were finished: the background job ended without "
        f"a result ({why_stopped(outcome)}). “{RETRY_LABEL}” starts it again."
    )
    return "stopped before finishing", RETRY_LABEL, html.Div(message, className="alert alert-error")


#: What the page says of a job that a page opened earlier started (it shows the maps when done).
EARLIER_JOB = "computing, in a job started before this page was opened"


def baselines_on_load(
    context: Any,
    fraction: float | None = None,
    per_class: bool = False,
    colouring: dict[str, Any] | None = None,
) -> tuple[Any, Any, Any, bool]:
    """The baseline maps as a page finds them when it opens (the model is ready).

    A job belongs to the page that started it: a page reloaded while the maps were computed
    showed neither their progress nor, once done, the maps. Here the job's record
    (:meth:`AppContext.job_running`) tells a new page that a job runs, and the page polls it.
    ``colouring``: the sample map's ``color`` and ``clip`` (:func:`baseline_view`).

    Returns
    -------
    (figure, table rows, progress text, poll disabled); ``no_update`` where nothing changes
    """
    result, job = _look(context)
    if result is not None:
        fig, rows = baseline_view(
            context, result, fraction=fraction, per_class=per_class, **(colouring or {})
        )
        return fig, rows, no_update, True
    if job is not None:
        return no_update, no_update, _earlier_job_text(job), False
    return no_update, no_update, no_update, True


def baselines_poll_view(
    context: Any,
    fraction: float | None = None,
    per_class: bool = False,
    colouring: dict[str, Any] | None = None,
) -> tuple[Any, Any, Any, bool, Any, Any]:
    """The baseline maps while a page polls a job that an earlier page started (coloured as
    the sample map, ``colouring``: :func:`baselines_on_load`).

    Returns
    -------
    (figure, table rows, progress text, poll disabled, button text, alert)
    """
    result, job = _look(context)
    if result is not None:
        fig, rows = baseline_view(
            context, result, fraction=fraction, per_class=per_class, **(colouring or {})
        )
        return fig, rows, "", True, COMPUTE_LABEL, None
    if job is not None:
        return no_update, no_update, _earlier_job_text(job), False, no_update, no_update
    progress, button, alert = baselines_job_view(context, False)
    if alert is no_update:  # failed: the job's page said why; this one says it too
        outcome = context.job_outcome("baselines")
        if outcome["state"] == "failed":
            message = f"the baseline maps failed: {outcome.get('error')}"
            alert = html.Div(message, className="alert alert-error")
    return no_update, no_update, progress, True, button, alert


def _look(context: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(the cached maps, None), or (None, the running job's record), or (None, None).

    The maps are looked for again once the job is seen ended: stored, then its end recorded,
    between the two looks, they were missed and the page stopped polling without them."""
    result = context.cached_baselines()
    if result is None:
        job = context.job_running("baselines")
        if job is not None:
            return None, job
        result = context.cached_baselines()
    return result, None


#: The query parameter of a link that holds the share of labelled samples (``labelled=0.1``).
SHARE_PARAM = "labelled"
#: The query parameter of a link whose share is drawn per class (``perclass=1``; none: off).
PER_CLASS_PARAM = "perclass"
#: The page's controls of 1-NN accuracy: a change of either scores the maps again.
ACCURACY_CONTROLS = (ids.BASELINES_SHARE, ids.BASELINES_PER_CLASS)


def accuracy_view(
    context: Any, share: Any, per_class: bool = False
) -> tuple[float, list[dict], str]:
    """The share of labelled samples the page's choice ``share`` stands for (the default for
    none), and the accuracy table's columns and note under it for that share (of each class,
    ``per_class``)."""
    fraction = context.accuracy_fraction(share)[0]
    return (
        fraction,
        baseline_table_columns(context, fraction, per_class),
        context.accuracy_note(fraction, per_class),
    )


def share_view(
    context: Any,
    share: Any,
    status: dict | None,
    own_job_running: Any,
    triggered: Any,
    per_class: Any = None,
    colouring: dict[str, Any] | None = None,
) -> tuple[Any, ...]:
    """The baseline maps as shown for the page's choice of labelled ``share`` (of each class
    when the ``per_class`` checklist is ticked), when the model is ready (``status``) or when
    either changes (``triggered``): their figure and table scored from that share, the table's
    header and the note under it; the maps coloured as the sample map (``colouring``: its
    ``color`` and ``clip``).

    Returns
    -------
    (figure, table rows, progress text, poll disabled, button disabled, table columns, note,
    share control disabled, per-class checkbox options: disabled with the share); ``no_update``
    where nothing changes
    """
    per_class = is_per_class(per_class)
    fraction, columns, note = accuracy_view(context, share, per_class)
    if triggered not in ACCURACY_CONTROLS:  # (the header and note already say this share)
        columns = note = no_update
    head = (columns, note, no_update, no_update)
    # (this page's own job, started while the model trained, is not an earlier page's; it
    # shows the maps when done, and the share cannot change meanwhile)
    if own_job_running:
        return (no_update,) * 5 + head
    if not status or not status.get("ready"):
        # maps computed while the model trains are shown: scored again for the new share
        result = context.cached_baselines() if triggered in ACCURACY_CONTROLS else None
        if result is None:
            return (no_update,) * 5 + head
        fig, rows = baseline_view(
            context, result, fraction=fraction, per_class=per_class, **(colouring or {})
        )
        return (fig, rows) + (no_update,) * 3 + head
    out = baselines_on_load(context, fraction, per_class, colouring)
    # while an earlier page's job computes them, a click would only wait for it, and the
    # share is kept until they come
    busy = True if out[3] is False else no_update
    # and so is the per-class box, as the page's own job holds it (it was left to click)
    boxes = per_class_options(context, disabled=True) if busy is True else no_update
    return (*out, busy, columns, note, busy, boxes)


def link_share(context: Any, url_search: str | None) -> tuple[Any, Any, Any]:
    """The share of labelled samples a link holds (``?labelled=0.1`` or ``10%``).

    Returns
    -------
    (share control value, its options, alert); ``no_update`` when the link holds none. A share
    that is not a number, or not between 0 and 1, is said and the default is used. The options
    count the samples of the draw the link holds (per class: :func:`link_per_class`).
    """
    from dashboard.sample_map import parse_query

    q = parse_query(url_search)
    text = q.get(SHARE_PARAM)
    if text is None:
        return no_update, no_update, no_update
    fraction, problem = context.accuracy_fraction(text)
    if problem:
        message = (
            f"link: {SHARE_PARAM}={quoted(text)} {problem} (the share of labelled samples for "
            f"1-NN accuracy, such as 0.1 or 10%); the default, {percent(fraction)}, is used"
        )
        return fraction, no_update, alert(message, "warning")
    per_class = str(q.get(PER_CLASS_PARAM, "")).strip() == "1"
    return fraction, context.accuracy_share_options(fraction, per_class), no_update


def link_per_class(url_search: str | None) -> tuple[Any, Any]:
    """Whether a link's share is drawn per class (``perclass=1``, or ``0``).

    Returns
    -------
    (per-class checklist value, alert); ``no_update`` when the link says nothing of it (a link
    made before the choice: the share of all labelled samples, as then). Any other value is
    said and the share of all is used.
    """
    from dashboard.sample_map import parse_query

    flag = parse_query(url_search).get(PER_CLASS_PARAM)
    if flag is None:
        return no_update, no_update
    flag = flag.strip()
    if flag in ("0", "1"):
        return ([PER_CLASS_VALUE] if flag == "1" else []), no_update
    message = (
        f"link: {PER_CLASS_PARAM}={quoted(flag)} is not 1 or 0 (1 draws the share of labelled "
        "samples of each class for 1-NN accuracy); the share of all labelled samples is used"
    )
    return [], alert(message, "warning")


def share_options_view(
    context: Any, per_class: Any, options: Any, share: Any = None
) -> list[dict[str, Any]]:
    """The shares offered, their counts of samples those of a draw per class or not
    (``per_class``, the checklist's value); a link's own share, among ``options`` (the ones
    offered now) or chosen (``share``), is kept."""
    choices = [float(c) for c in context.ACCURACY_CHOICES]
    values = [share, *(o.get("value") for o in options or [] if isinstance(o, dict))]
    extra = next(
        (
            float(v)
            for v in values
            if isinstance(v, (int, float))
            and not isinstance(v, bool)
            and 0 < float(v) < 1
            and not any(abs(float(v) - c) < 1e-9 for c in choices)
        ),
        None,
    )
    return context.accuracy_share_options(extra, is_per_class(per_class))


def earlier_job_poll(
    context: Any, share: Any, per_class: Any, colouring: dict[str, Any] | None = None
) -> tuple[Any, ...]:
    """What a page polling an earlier page's job (:func:`baselines_poll_view`) shows, and its
    controls: the button, the share and the per-class box held while that job runs, given back
    once it has ended.

    Returns
    -------
    (figure, table rows, progress text, poll disabled, button text, alert, button disabled,
    share control disabled, per-class checkbox options)
    """
    fraction = context.accuracy_fraction(share)[0]
    out = baselines_poll_view(context, fraction, is_per_class(per_class), colouring)
    waiting = not out[3]
    return (*out, waiting, waiting, per_class_options(context, disabled=waiting))


def recolour_view(
    context: Any, color: Any, clip: Any, share: Any, per_class: Any, own_job_running: Any
) -> Any:
    """The baseline maps coloured anew as the sample map (``color``, ``clip``), when they are
    shown or this page's job has just ended: the cached maps and their cached scores drawn
    again, nothing computed (``no_update`` while none are cached, or this page's job computes
    them: they are coloured again when it ends, as the colouring may have changed meanwhile)."""
    if own_job_running:
        return no_update
    result = context.cached_baselines()
    if result is None:
        return no_update
    return _drawn(context, result, share, per_class, color, clip)[0]


def _drawn(
    context: Any, result: Any, share: Any, per_class: Any, color: Any, clip: Any
) -> tuple[Any, list[dict]]:
    """:func:`baseline_view` of cached maps for the page's controls: the share of labelled
    samples, the per-class box, and the sample map's colouring and clip."""
    fraction = context.accuracy_fraction(share)[0]
    return baseline_view(
        context,
        result,
        fraction=fraction,
        per_class=is_per_class(per_class),
        color=color,
        clip=clip,
    )


def _earlier_job_text(job: dict[str, Any]) -> str:
    progress = str(job.get("progress") or "").strip()
    return f"{EARLIER_JOB}: {progress}" if progress else f"{EARLIER_JOB}…"


def register_callbacks(app: Any) -> None:
    context = app.fe_context

    # the maps once the model is ready, and their scores again for each share chosen
    @app.callback(
        Output(ids.BASELINES_GRAPH, "figure"),
        Output(ids.BASELINES_TABLE, "data"),
        Output(ids.BASELINES_PROGRESS, "children", allow_duplicate=True),
        Output(ids.BASELINES_POLL, "disabled"),
        Output(ids.BASELINES_BUTTON, "disabled", allow_duplicate=True),
        Output(ids.BASELINES_TABLE, "columns"),
        Output(ids.BASELINES_NOTE, "children"),
        Output(ids.BASELINES_SHARE, "disabled", allow_duplicate=True),
        Output(ids.BASELINES_PER_CLASS, "options", allow_duplicate=True),
        Input(ids.MODEL_STATUS, "data"),
        Input(ids.BASELINES_SHARE, "value"),
        Input(ids.BASELINES_PER_CLASS, "value"),
        State(ids.BASELINES_RUNNING, "data"),
        State(ids.COLOR_BY, "value"),
        State(ids.CLIP, "value"),
        prevent_initial_call="initial_duplicate",
    )
    def show_cached(status, share, per_class, own_job_running, color, clip):
        # a link sets the share and the box at once (with the model's status, at load): the
        # header and note follow whichever control changed
        changed = ctx.triggered_prop_ids.values()
        triggered = next((i for i in changed if i in ACCURACY_CONTROLS), ctx.triggered_id)
        colouring = {"color": color, "clip": clip}
        return share_view(context, share, status, own_job_running, triggered, per_class, colouring)

    # the maps coloured as the sample map: the cached maps drawn again, nothing computed; and
    # once this page's job has ended (its maps took the colouring chosen when it started: one
    # chosen while it ran was lost)
    @app.callback(
        Output(ids.BASELINES_GRAPH, "figure", allow_duplicate=True),
        Input(ids.COLOR_BY, "value"),
        Input(ids.CLIP, "value"),
        Input(ids.BASELINES_RUNNING, "data"),
        State(ids.BASELINES_SHARE, "value"),
        State(ids.BASELINES_PER_CLASS, "value"),
        prevent_initial_call=True,
    )
    def recolour(color, clip, own_job_running, share, per_class):
        return recolour_view(context, color, clip, share, per_class, own_job_running)

    # a link's share of labelled samples, and whether it is drawn per class
    @app.callback(
        Output(ids.BASELINES_SHARE, "value"),
        Output(ids.BASELINES_SHARE, "options"),
        Output(alert_id("baselines"), "children", allow_duplicate=True),
        Output(ids.BASELINES_PER_CLASS, "value"),
        Input(ids.URL, "search"),
        prevent_initial_call="initial_duplicate",
    )
    def restore_share(url_search):
        # (one callback: two of the same input writing one alert are refused by Dash)
        value, options, share_alert = link_share(context, url_search)
        per_class, class_alert = link_per_class(url_search)
        said = [a for a in (share_alert, class_alert) if a is not no_update]
        shown = no_update if not said else said[0] if len(said) == 1 else html.Div(said)
        return value, options, shown, per_class

    # the shares' counts of samples, of each class or of them all
    @app.callback(
        Output(ids.BASELINES_SHARE, "options", allow_duplicate=True),
        Input(ids.BASELINES_PER_CLASS, "value"),
        State(ids.BASELINES_SHARE, "options"),
        State(ids.BASELINES_SHARE, "value"),
        prevent_initial_call=True,
    )
    def count_shares(per_class, options, share):
        return share_options_view(context, per_class, options, share)

    @app.callback(
        Output(ids.BASELINES_GRAPH, "figure", allow_duplicate=True),
        Output(ids.BASELINES_TABLE, "data", allow_duplicate=True),
        Output(ids.BASELINES_PROGRESS, "children", allow_duplicate=True),
        Output(ids.BASELINES_POLL, "disabled", allow_duplicate=True),
        Output(ids.BASELINES_BUTTON, "children", allow_duplicate=True),
        Output(alert_id("baselines"), "children", allow_duplicate=True),
        Output(ids.BASELINES_BUTTON, "disabled", allow_duplicate=True),
        Output(ids.BASELINES_SHARE, "disabled", allow_duplicate=True),
        Output(ids.BASELINES_PER_CLASS, "options", allow_duplicate=True),
        Input(ids.BASELINES_POLL, "n_intervals"),
        State(ids.BASELINES_RUNNING, "data"),
        State(ids.BASELINES_SHARE, "value"),
        State(ids.BASELINES_PER_CLASS, "value"),
        State(ids.COLOR_BY, "value"),
        State(ids.CLIP, "value"),
        prevent_initial_call=True,
    )
    def poll_earlier_job(_n, own_job_running, share, per_class, color, clip):
        if own_job_running:  # this page's own job says how far it is (and shows the maps)
            return (no_update,) * 3 + (True,) + (no_update,) * 5
        return earlier_job_poll(context, share, per_class, {"color": color, "clip": clip})

    # each click a request of its own: Dash names a job by its arguments, and the first click
    # of every page (n_clicks 1) was one job, whose unread result a later page was given
    app.clientside_callback(
        """
        function(n) {
            if (!n) { return window.dash_clientside.no_update; }
            return {id: Date.now().toString(36) + Math.random().toString(36).slice(2, 10)};
        }
        """,
        Output(ids.BASELINES_REQUEST, "data"),
        Input(ids.BASELINES_BUTTON, "n_clicks"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.BASELINES_GRAPH, "figure", allow_duplicate=True),
        Output(ids.BASELINES_TABLE, "data", allow_duplicate=True),
        Output(alert_id("baselines"), "children"),
        Input(ids.BASELINES_REQUEST, "data"),
        State(ids.BASELINES_SHARE, "value"),
        State(ids.BASELINES_PER_CLASS, "value"),
        State(ids.COLOR_BY, "value"),
        State(ids.CLIP, "value"),
        background=True,
        progress=[Output(ids.BASELINES_PROGRESS, "children")],
        running=[
            (Output(ids.BASELINES_BUTTON, "disabled"), True, False),
            # the maps come scored from the share chosen when the job started
            (Output(ids.BASELINES_SHARE, "disabled"), True, False),
            (
                Output(ids.BASELINES_PER_CLASS, "options"),
                per_class_options(context, disabled=True),
                per_class_options(context),
            ),
            # the job's start and end (returned or killed): baselines_job_view reads the end
            (Output(ids.BASELINES_RUNNING, "data"), True, False),
        ],
        interval=1000,
        prevent_initial_call=True,
    )
    def compute(set_progress, request, share, per_class, color, clip):
        if not request:
            return no_update, no_update, None
        try:
            # the job's record (for pages opened meanwhile, and for the end of this one) is
            # kept by the job that computes the maps, not by one that waits for them
            result = context.compute_baselines(
                progress=lambda f, m: set_progress(f"{int(100 * f)}% — {m}"), record=True
            )
        except Exception as exc:  # noqa: BLE001 - the job's end: said in the page, not raised
            message = job_error(exc, context.cache_dir)
            if not isinstance(exc, CoreError) and not disk_full(exc):
                log.exception("baseline maps failed")
            set_progress("")
            alert = html.Div(f"the baseline maps failed: {message}", className="alert alert-error")
            return no_update, no_update, alert
        set_progress("")
        fig, rows = _drawn(context, result, share, per_class, color, clip)
        return fig, rows, None

    @app.callback(
        Output(ids.BASELINES_PROGRESS, "children", allow_duplicate=True),
        Output(ids.BASELINES_BUTTON, "children"),
        Output(alert_id("baselines"), "children", allow_duplicate=True),
        Input(ids.BASELINES_RUNNING, "data"),
        prevent_initial_call=True,
    )
    def watch(running):
        return baselines_job_view(context, running)
