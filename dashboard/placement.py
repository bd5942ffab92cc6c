"""Placing the samples of an uploaded matrix on the sample map (``place-upload``).

The placed samples live in the page (``placed-samples`` store), not on the server: each
browser sees its own. The sample map draws them over the map's samples.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from dash import Input, Output, State, ctx, dcc, html, no_update

from core.errors import CoreError
from dashboard import ids
from dashboard.export import file_stem, labelled_table
from dashboard.layout import alert as _alert
from dashboard.layout import alert_id
from dashboard.sample_map import upload_bytes

log = logging.getLogger(__name__)

#: Below this share of the model's genes in an upload, the page warns that the places rest on
#: few genes.
MIN_GENE_SHARE = 0.5

#: What the page says while an upload is being placed.
PLACING_TEXT = "Placing the uploaded samples on the map… (the largest uploads take minutes)"

_ROUND = {"x": 4, "y": 4, "fit_error": 4, "distance_on_map": 4, "majority_share": 3}


def place_from_upload(
    context: Any, contents: str | None, filename: str | None, apply_transform: bool
) -> tuple[Any, Any, Any, Any]:
    """(placed records, table rows, info text, alert) for an uploaded matrix of new samples."""
    if context.state() is None:
        return no_update, no_update, no_update, _alert("the model is still training: wait for it")
    transform = context.training_transform() if apply_transform else "none"
    try:
        raw = upload_bytes(contents, filename, context.MAX_PLACE_BYTES)
        table = context.place_samples(raw, filename or "upload", transform=transform)
    except CoreError as exc:
        return no_update, no_update, no_update, _alert(str(exc))
    records = _records(table)
    label = table.attrs.get("label")
    n = len(table)
    info = f"{n} sample{'' if n == 1 else 's'} from {filename or 'the upload'} placed"
    info += f" ({transform} applied)" if transform != "none" else " (values used as they are)"
    present, total = table.attrs.get("genes_present", (None, None))
    if present is not None:
        info += f"; {present:,} of the model's {total:,} genes present"
    if label and "majority_label" in table:
        counts = table["majority_label"].value_counts()
        top = ", ".join(f"{v} {n}" for v, n in counts.head(5).items())
        info += f"; majority {label} nearby: {top}"
    warnings = []
    no_values = table.attrs.get("no_values") or []
    if no_values:
        shown = ", ".join(no_values[:10]) + (", …" if len(no_values) > 10 else "")
        warnings.append(
            f"{len(no_values)} sample{'' if len(no_values) == 1 else 's'} not placed: no value "
            f"for any gene of the model ({shown})"
        )
    if present is not None and total and present < MIN_GENE_SHARE * total:
        warnings.append(
            f"only {present:,} of the model's {total:,} genes are in {filename or 'the upload'}: "
            "the places rest on few genes, read them with care"
        )
    fit_warning = table.attrs.get("fit_warning")
    if fit_warning:
        hint = (
            f" (here {transform} was applied: untick it for values already transformed)"
            if transform != "none"
            else ""
        )
        warnings.append(fit_warning + hint)
    alert = html.Div([_alert(w, "warning") for w in warnings]) if warnings else None
    return records, records, info, alert


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    out = table.copy()
    for col, digits in _ROUND.items():
        if col in out:
            out[col] = out[col].astype(float).round(digits)
    out = out.astype(object).where(pd.notna(out), None)
    return out.to_dict("records")


def placed_csv(placed: list[dict[str, Any]] | None, context: Any = None) -> Any:
    """The placed samples as a CSV download (no download when none are placed).

    With the ``context`` of simulated data, the file says so (name and ``data`` column).
    """
    if not placed:
        return no_update, _alert("no placed samples: upload a matrix first")
    frame = labelled_table(context, pd.DataFrame(placed))
    name = f"{file_stem(context, 'placed_samples')}.csv"
    return dcc.send_data_frame(frame.to_csv, name, index=False), None


def register_callbacks(app: Any) -> None:
    context = app.fe_context

    @app.callback(
        Output(ids.PLACED, "data"),
        Output(ids.PLACED_TABLE, "data"),
        Output(ids.PLACE_INFO, "children"),
        Output(alert_id("place"), "children"),
        Input(ids.PLACE_UPLOAD, "contents"),
        Input(ids.PLACE_CLEAR, "n_clicks"),
        State(ids.PLACE_UPLOAD, "filename"),
        State(ids.PLACE_TRANSFORM, "value"),
        # placing fits every sample (a minute or more for the largest uploads): the page says
        # it is working, and takes no other file meanwhile
        running=[
            (Output(ids.PLACE_RUNNING, "children"), PLACING_TEXT, ""),
            (Output(ids.PLACE_UPLOAD, "disabled"), True, False),
        ],
        prevent_initial_call=True,
    )
    def place(contents, _clear, filename, transform_value):
        if ctx.triggered_id == ids.PLACE_CLEAR:
            return None, [], "", None
        if contents is None:  # emptied by "Clear"
            return no_update, no_update, no_update, no_update
        return place_from_upload(context, contents, filename, bool(transform_value))

    # "Clear" also empties the drop zone (its value and the file input), so that the same file
    # can be placed again
    app.clientside_callback(
        """
        function(n) {
            const input = document.querySelector('#place-upload input[type=file]');
            if (input) { input.value = ''; }
            return [null, null];
        }
        """,
        Output(ids.PLACE_UPLOAD, "contents"),
        Output(ids.PLACE_UPLOAD, "filename"),
        Input(ids.PLACE_CLEAR, "n_clicks"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.PLACED_DOWNLOAD, "data"),
        Output(alert_id("place"), "children", allow_duplicate=True),
        Input(ids.EXPORT_PLACED_CSV, "n_clicks"),
        State(ids.PLACED, "data"),
        prevent_initial_call=True,
    )
    def download(_n, placed):
        return placed_csv(placed, context)
