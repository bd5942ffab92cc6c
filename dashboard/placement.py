"""Placing the samples of an uploaded matrix on the sample map (``place-upload``).

The placed samples live in the page (``placed-samples`` store): each browser tab sees its own.
The sample map draws them over the map's samples. The server keeps a copy for a week, named by
the upload's id, which the tab keeps: a reloaded page shows them again, or follows the job that
still places them (:func:`placement_on_load`).

Placing runs in a background job (a Dash background callback: the largest uploads take
minutes, longer than a server gives one request), with its progress in the page. A job whose
process ended without a result (killed, e.g. for lack of memory) is said so, with a retry
(:func:`placing_job_view`).
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import pandas as pd
from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update

from core.errors import CoreError, first_names
from core.estimator import POOR_FIT_FACTOR
from dashboard import ids
from dashboard.export import _with_source, file_stem, labelled_table
from dashboard.job_records import disk_full, disk_full_end, job_error, why_stopped
from dashboard.layout import (
    COUNTS_TRANSFORM,
    PLACE_JOB_RUNNING,
    PLACE_PROGRESS,
    PLACE_REQUEST,
    PLACE_RESTORED,
    PLACE_RESUME_POLL,
    PLACE_RETRY,
    PLACE_RETRY_LABEL,
    PLACE_SESSION,
    alert_id,
    place_transform_label,
    placed_columns,
)
from dashboard.layout import alert as _alert
from dashboard.new_samples import OWN_LABEL, POOR_FIT, placed_file_names
from dashboard.sample_map import upload_bytes

log = logging.getLogger(__name__)

#: Below this share of the model's genes in an upload, the page warns that the places rest on
#: few genes.
MIN_GENE_SHARE = 0.5

#: What the page says while an upload is being placed (the job's progress beside it).
PLACING_TEXT = "Placing the uploaded samples on the map…"

#: Said of an upload while the model trains.
STILL_TRAINING = "the model is still training: wait for it"

#: Text cells named in the warning (the rest counted).
MAX_TEXT_CELLS_SHOWN = 5

SHOW = {"display": "inline-block"}
HIDE = {"display": "none"}

#: Decimals of the page's file of placed samples ("placed_samples.csv"). The page's rows
#: hold the values unrounded and its table rounds them once: rounded to 4 here and then to 3
#: by the table, x 0.12345 read 0.124.
_ROUND = {"x": 4, "y": 4, "fit_error": 4, "distance_on_map": 4, "majority_share": 3}


def upload_transform(context: Any, apply_transform: bool) -> str:
    """The log transform applied to an upload: the training data's when the box is ticked
    (log2(x+1) when those were used as they are), else none."""
    if not apply_transform:
        return "none"
    training = context.training_transform()
    return training if training != "none" else COUNTS_TRANSFORM


def text_cells_warning(
    cells: list[dict[str, str]], filename: str, total: int | None = None
) -> str | None:
    """What the page says of the upload's cells that held text instead of a number (read as
    missing, their genes and samples kept), or None when there were none. ``cells``: the first
    of them; ``total``: how many there were (default: ``len(cells)``)."""
    if not cells:
        return None
    total = max(int(total or 0), len(cells))
    by_column: dict[str, list[dict[str, str]]] = {}
    for cell in cells:
        by_column.setdefault(cell["column"], []).append(cell)
    genes = cells[0].get("axis", "genes") == "genes"
    shown = []
    for column, group in list(by_column.items())[:MAX_TEXT_CELLS_SHOWN]:
        first = group[0]
        where = "sample" if genes else "gene"
        more = f" and {len(group) - 1} more" if len(group) > 1 else ""
        shown.append(f"{column} has {first['text']!r} ({where} {first['row']}{more})")
    rest = len(by_column) - len(shown)
    what = "gene" if genes else "sample"
    n = len(by_column)
    tail = f"; and {rest} more {what}{'' if rest == 1 else 's'}" if rest > 0 else ""
    if total > len(cells):
        tail += f" (the first {len(cells)} of the {total:,} text values)"
    return (
        f"{total:,} value{'' if total == 1 else 's'} of {filename} "
        f"{'is' if total == 1 else 'are'} text, not a number, and read as missing; "
        f"the {what}{'' if n == 1 else 's'} kept: " + "; ".join(shown) + tail
    )


def place_upload(
    context: Any,
    contents: str | None,
    filename: str | None,
    apply_transform: bool,
    progress: Any = None,
) -> dict[str, Any]:
    """Place an uploaded matrix of new samples on the map (the model is ready).

    ``progress(fraction, message)``, when given, is called while the samples are placed.

    Returns
    -------
    ``{"records", "info", "warnings", "filename"}``: the placed samples (one dict each), what
    the page says of them, and its warnings (text); :func:`placed_view` shows them.

    Raises
    ------
    CoreError
        the upload cannot be placed (the message names why).
    """
    transform = upload_transform(context, apply_transform)
    raw = upload_bytes(contents, filename, context.MAX_PLACE_BYTES)
    extra = {"progress": progress} if progress is not None else {}
    table = context.place_samples(raw, filename or "upload", transform=transform, **extra)
    label = table.attrs.get("label")
    records = _records(table)
    for record in records:  # in the CSV too: the page said it, the file did not
        record["transform_applied"] = transform
    n = len(table)
    info = f"{n} sample{'' if n == 1 else 's'} from {filename or 'the upload'} placed"
    info += f" ({transform} applied)" if transform != "none" else " (values used as they are)"
    # values that looked logged before the box's transform: the loader said so; without that
    # they looked raw, and "untick the box" was the wrong fix for them (TPM against a model of
    # read counts, with the box rightly ticked, were told to untick it)
    logged = any("log-transformed" in m for m in table.attrs.get("load_warnings") or [])
    if table.attrs.get("fit_far"):  # (the warning's condition: it can be closed, this stays)
        fix = poor_fit_fix(context, transform, logged)
        said = (
            "it fits the model poorly: its place is"
            if n == 1
            else ("they fit the model poorly: their places are")
        )
        info += f", but {said} not to be trusted ({fix})"
    present, total = table.attrs.get("genes_present", (None, None))
    if present is not None:
        info += f"; {present:,} of the model's {total:,} genes present"
        if present < total:  # which, and the columns that may be them misspelt (as embed says)
            absent = table.attrs.get("genes_absent") or []
            empty = table.attrs.get("genes_empty") or []
            said = [f"absent: {first_names(absent)}"] if absent else []
            if empty:
                said.append(f"given without any value: {first_names(empty)}")
            info += f" ({'; '.join(said) or 'absent'})"
            unknown = table.attrs.get("columns_unknown") or []
            if unknown:
                one = len(unknown) == 1
                info += (
                    f"; {len(unknown):,} column{'' if one else 's'} of {filename or 'the upload'} "
                    f"name{'s' if one else ''} no gene of the map's data: {first_names(unknown)}"
                )
    cells, in_samples = table.attrs.get("missing_values") or (0, 0)
    if cells:  # (as embed counts them; a sample placed from few genes has its own warning)
        info += (
            f"; {cells:,} missing value{'' if cells == 1 else 's'} in {in_samples:,} "
            f"sample{'' if in_samples == 1 else 's'}: placed from the genes "
            f"{'it has' if in_samples == 1 else 'they have'} (genes_used in the CSV)"
        )
    if label and "majority_label" in table:
        counts = table["majority_label"].value_counts()
        top = ", ".join(f"{v} {c}" for v, c in counts.head(5).items())
        more = f", and {len(counts) - 5} more" if len(counts) > 5 else ""
        info += f"; new samples by the {label} of most of their nearest samples: {top}{more}"
    agreement = table.attrs.get("agreement")
    if agreement:  # the upload's own label column, compared (as embed prints it)
        info += f"; {agreement}"
    if table.attrs.get("map_ids"):  # (said beside the agreement it makes look better)
        info += f"; {table.attrs['map_ids']}"
    if table.attrs.get("copies"):  # (the same, under other ids: found by their values)
        info += f"; {table.attrs['copies']}"
    if getattr(context, "simulated", False):
        info += (
            "; the map is SIMULATED data (the demo): its samples and their "
            f"{label or 'annotations'} are simulated, so these places say nothing of your "
            "samples' biology"
        )
    warnings = []
    # what the loader noticed (values that look logged already, counter rows left out, ...)
    for message in table.attrs.get("load_warnings") or []:
        if transform != "none" and "log-transformed" in message:
            # the page's remedy is its box, not the command line's flag
            message = message.replace(
                "(transform 'none'; --transform none on the command line)",
                f"(here {transform} was applied: untick it, and they are placed again)",
            )
            if "untick it" not in message:
                message += f" (here {transform} was applied: untick it, and they are placed again)"
        warnings.append(message)
    text_warning = text_cells_warning(
        table.attrs.get("text_cells") or [],
        filename or "the upload",
        table.attrs.get("text_cell_count"),
    )
    if text_warning:
        warnings.append(text_warning)
    word_genes = table.attrs.get("word_genes") or []
    if word_genes:
        one = len(word_genes) == 1
        shown = ", ".join(word_genes[:10]) + (", …" if len(word_genes) > 10 else "")
        warnings.append(
            f"{len(word_genes)} column{'' if one else 's'} of {filename or 'the upload'} named "
            f"as genes of the model {'holds' if one else 'hold'} words more than numbers "
            f"({shown}): read as sample annotations, so "
            f"{'that gene counts' if one else 'those genes count'} as absent"
        )
    shared_names = table.attrs.get("shared_names")
    if shared_names:
        warnings.append(shared_names[0].upper() + shared_names[1:])
    no_values = table.attrs.get("no_values") or []
    if no_values:
        shown = ", ".join(no_values[:10]) + (", …" if len(no_values) > 10 else "")
        warnings.append(
            f"{len(no_values)} sample{'' if len(no_values) == 1 else 's'} not placed: no value "
            f"for any gene of the model ({shown})"
        )
    silent = table.attrs.get("silent") or []
    if silent:
        shown = ", ".join(silent[:10]) + (", …" if len(silent) > 10 else "")
        if len(silent) == 1:
            what, whose = "1 sample is 0 for every gene of the model it has", "Its place"
        else:
            what = f"{len(silent)} samples are 0 for every gene of the model they have"
            whose = "Their places"
        warnings.append(
            f"{what} ({shown}): an empty library? {whose} and nearest samples say nothing "
            "of the sample's biology"
        )
    few, limit = table.attrs.get("few_genes") or ([], 0)
    if few:
        shown = ", ".join(few[:10]) + (", …" if len(few) > 10 else "")
        warnings.append(
            f"{len(few)} sample{'' if len(few) == 1 else 's'} placed from fewer than {limit} "
            f"of the model's genes ({shown}): such a place is uncertain, and its fit error, "
            "over fewer values, is low all the same"
        )
    if present is not None and total and present < MIN_GENE_SHARE * total:
        warnings.append(
            f"only {present:,} of the model's {total:,} genes are in {filename or 'the upload'}: "
            "the places rest on few genes, read them with care"
        )
    fit_warning = table.attrs.get("fit_warning")
    if fit_warning:
        if transform != "none" and logged:
            hint = f" (here {transform} was applied: untick it for values already transformed)"
        elif transform != "none":
            hint = f" ({raw_units_hint(transform)})"
        else:
            box = place_transform_label(context.training_transform()).strip()
            hint = (
                f" (here the values were used as they are: if they are raw counts or TPM, tick "
                f"“{box}” beside the upload, and they are placed again)"
            )
        warnings.append(fit_warning + hint)
    scale_warning = table.attrs.get("scale_warning")
    poor = table.attrs.get("poor_fit") or []
    if scale_warning and not fit_warning:
        warnings.append(scale_warning)
    if poor and not table.attrs.get("fit_far"):  # (the median said it of them all already)
        shown = ", ".join(poor[:10]) + (", …" if len(poor) > 10 else "")
        trained = table.attrs.get("trained_error")
        one = len(poor) == 1
        their = "its" if one else "their"
        warnings.append(
            f"{len(poor)} sample{' fits' if one else 's fit'} the model far worse than "
            f"its training samples (fit error above {POOR_FIT_FACTOR:g} times the training "
            f"error, {trained:.3g}: {shown}): {their} place{'' if one else 's'} and nearest "
            f"samples are not to be trusted; check {their} values"
        )
    return {"records": records, "info": info, "warnings": warnings, "filename": filename}


def raw_units_hint(transform: str) -> str:
    """What a poor fit of values that looked raw, transformed by the box, may come from: the
    box is right for them, their units may not be the training data's."""
    return (
        f"here {transform} was applied to values that look raw, as the box should be for "
        "them: are they in the training data's units? Read counts against a model of TPM, or "
        "TPM against one of counts, fit poorly all the same"
    )


def poor_fit_fix(context: Any, transform: str, logged: bool = True) -> str:
    """The fix the page names beside a poor fit of the uploaded samples: the log box, ticked or
    unticked (the samples are placed again); ``logged``: the values looked already logged
    before the box's transform (else they looked raw, and unticking the box is no fix)."""
    if transform != "none" and not logged:
        return "the values look raw: are they in the training data's units, counts or TPM?"
    if transform != "none":
        return "values already transformed? untick the box beside the upload"
    box = place_transform_label(context.training_transform()).strip()
    return f"raw counts or TPM? tick “{box}” beside the upload"


def placed_view(result: dict[str, Any], reloaded: bool = False) -> tuple[Any, Any, Any, Any]:
    """(placed records, table rows, info text, alert) of what :func:`place_upload` placed.

    ``reloaded``: the page shows the samples again after a reload; their warnings, read when
    they were placed, come folded under one line (they came back in full on every reload).
    """
    records = result.get("records") or []
    warnings = result.get("warnings") or []
    if not warnings:
        return records, records, result.get("info") or "", None
    if reloaded:
        n = len(warnings)
        name = result.get("filename") or "the upload"
        alert = html.Details(
            [
                html.Summary(
                    f"{n} warning{'' if n == 1 else 's'} about {name}, given when its samples "
                    "were placed (click to read)"
                ),
                *[html.P(w, className="folded-warning") for w in warnings],
            ],
            className="alert alert-warning",
        )
    else:
        alert = html.Div([_alert(w, "warning") for w in warnings])
    return records, records, result.get("info") or "", alert


def place_from_upload(
    context: Any,
    contents: str | None,
    filename: str | None,
    apply_transform: bool,
    progress: Any = None,
) -> tuple[Any, Any, Any, Any]:
    """(placed records, table rows, info text, alert) for an uploaded matrix of new samples.

    ``progress(fraction, message)``, when given, is called while the samples are placed.
    """
    if context.state() is None:
        return no_update, no_update, no_update, _alert(STILL_TRAINING)
    try:
        result = place_upload(context, contents, filename, apply_transform, progress)
    except CoreError as exc:
        return no_update, no_update, no_update, _alert(str(exc))
    return placed_view(result)


def job_kind(request: Any) -> str:
    """The job record's name of one placing request (``place-<id>``; ids from the page are
    reduced to letters and digits)."""
    raw = str((request or {}).get("id", "")) if isinstance(request, dict) else ""
    token = re.sub(r"[^A-Za-z0-9]", "", raw)[:40] or "upload"
    return f"place-{token}"


def new_request() -> dict[str, str]:
    """A request to place the upload (again): a new id, so that the page sends it."""
    return {"id": uuid.uuid4().hex}


def run_placing_job(
    context: Any,
    set_progress: Any,
    request: Any,
    contents: str | None,
    filename: str | None,
    apply_transform: bool,
) -> tuple[Any, Any, Any, Any]:
    """The placing job's body: place the upload, its progress sent as text, its end recorded
    (:meth:`AppContext.job_finished`) so that :func:`placing_job_view` tells a job that ended
    from one that was killed. What it placed is kept (:meth:`AppContext.save_placement`), and
    its progress recorded, for the page reloaded meanwhile (:func:`placement_on_load`)."""
    if not request or contents is None:
        return no_update, no_update, no_update, no_update
    kind = job_kind(request)
    context.job_started(kind)
    if context.state() is None:  # (ended, and said: not a job that was killed)
        context.job_finished(kind, error=STILL_TRAINING)
        return no_update, no_update, no_update, _alert(STILL_TRAINING)

    def progress(fraction: float, message: str) -> None:
        set_progress(message)
        context.job_progress(kind, message, fraction)

    try:
        result = place_upload(context, contents, filename, apply_transform, progress)
        try:  # (the copy for a reloaded page: its failure does not cost the placement)
            context.save_placement(kind, result)
        except (OSError, TypeError, ValueError) as exc:
            log.warning("placed samples not kept for a reload: %s", exc)
    except Exception as exc:  # noqa: BLE001 - the job's end: said in the page, not raised
        known = isinstance(exc, CoreError) or disk_full(exc)  # (known: said without a traceback)
        message = job_error(exc, context.cache_dir)
        if not known:
            log.exception("placing the uploaded samples failed")
        try:
            context.job_finished(kind, error=message)
        except OSError as err:  # (its record is kept on the same full disk)
            if not disk_full(err):
                raise
        said = message if known else f"placing the samples failed: {message}"
        return no_update, no_update, no_update, _alert(said)
    except KeyboardInterrupt as exc:  # (Ctrl-C, SIGTERM: left "running", the record misled)
        context.job_stopped(kind, exc)
        raise
    context.job_finished(kind)
    return placed_view(result)


def placing_job_view(
    context: Any, running: Any, request: Any, filename: str | None = None, cleared: bool = False
) -> tuple[Any, Any, Any]:
    """The progress text, the retry button's style and the alert once a placing job ended.

    Dash reports a job that ended (``running`` False) whether it returned or its process was
    killed; a killed job returns nothing, and the page would keep its last progress message.
    The job's record (:meth:`AppContext.job_outcome`, removed once read) tells them apart.

    ``cleared``: the drop zone was emptied ("Clear"), which cancels a job that runs: its end
    is the user's doing, not a job that was killed.

    Returns
    -------
    (progress text, retry style, alert); ``no_update`` where nothing changes
    """
    if running is not False:
        return no_update, HIDE, no_update
    if not request:
        return no_update, no_update, no_update
    kind = job_kind(request)
    outcome = context.job_outcome(kind)
    context.job_forget(kind)
    full = None if cleared else disk_full_end(outcome, context.cache_dir)
    if full:  # (the job's own alert is kept on the same full disk: it does not arrive)
        return "", SHOW, _alert(full)
    if outcome["state"] in ("done", "failed") or cleared:  # a failed job said why already
        return "", HIDE, no_update
    message = (
        f"Placing the samples of {filename or 'the upload'} stopped before it finished: the "
        f"background job ended without a result ({why_stopped(outcome)}). "
        f"“{PLACE_RETRY_LABEL}” starts it again."
    )
    return "stopped before finishing", SHOW, html.Div(message, className="alert alert-error")


#: Said beside the progress of a placing job that the page started before it was reloaded.
EARLIER_PLACING = "started before this page was reloaded"


def placement_on_load(context: Any, session: Any) -> tuple[Any, ...]:
    """The placed samples as a reloaded page finds them.

    The placed samples lived in the page only: a reload dropped them, and a reload while they
    were placed dropped the job's result, without a word. The page now keeps the id of its
    last upload (``session``: ``{"id", "filename", "shown"}``, kept by the browser for the
    tab; ``shown``: the ``{"id", "filename"}`` of the upload whose samples the page showed,
    when the last one placed nothing); the job kept what it placed
    (:meth:`AppContext.save_placement`) and records how far it is.

    Returns
    -------
    (placed records, table rows, info text, progress text, alert, poll disabled, session);
    ``no_update`` where nothing changes. The page polls (here again) while the job runs, or
    while the model it was placed on is not ready.
    """
    if not isinstance(session, dict) or not session.get("id"):
        return (no_update,) * 5 + (True, no_update)
    if context.state() is None:  # (the model trains or loads: its key is not known yet)
        return (no_update,) * 5 + (False, no_update)
    kind = job_kind(session)
    filename = session.get("filename") or "the upload"
    result = context.placement(kind)
    if result is None:
        job = context.job_running(kind)
        if job is not None:
            progress = str(job.get("progress") or "").strip() or "placing…"
            text = f"{filename}: {progress} ({EARLIER_PLACING})"
            return (no_update,) * 3 + (text, no_update, False, no_update)
        result = context.placement(kind)  # saved between the two looks
    if result is not None:
        context.job_forget(kind)  # (its end is read: the page that started it is gone)
        # its warnings come folded where a page showed these samples before; in full where
        # none did (the page was reloaded while they were placed), and the tab then records
        # them as shown: every later reload showed them in full again. (The record's change
        # reads the view again; the page drops that answer, assets/placement.js.)
        shown = session.get("shown")
        seen = isinstance(shown, dict) and shown.get("id") == session.get("id")
        placed, rows, info, alert = placed_view(result, reloaded=seen)
        if seen:
            return placed, rows, info, "", alert, True, no_update
        mine = {"id": session.get("id"), "filename": session.get("filename")}
        return placed, rows, info, "", alert, True, {**mine, "shown": mine}
    outcome = context.job_outcome(kind)
    context.job_forget(kind)
    if outcome["state"] == "failed":
        message = f"placing the samples of {filename} failed: {outcome.get('error')}"
    else:
        message = (
            f"The samples of {filename}, placed before this page was reloaded, cannot be shown "
            "again: their job ended without a result, or the result is no longer kept (it is "
            "kept for a week, for the model it was placed on). Upload the file again."
        )
    alert = html.Div(message, className="alert alert-error")
    shown = session.get("shown")
    if isinstance(shown, dict) and shown.get("id") and shown.get("id") != session.get("id"):
        # the samples shown before this upload failed: shown again
        earlier = placement_on_load(context, {**shown, "shown": shown})
        if earlier[0] is not no_update and earlier[0]:
            placed, rows, info, _, _, _, _ = earlier
            return placed, rows, info, "", alert, True, {**shown, "shown": shown}
    return None, [], "", "", alert, True, None


#: In :func:`restored_view`, an output left as it is (``no_update`` does not travel in a store).
KEEP = {"__keep__": True}


def restored_view(session: Any, view: tuple[Any, ...]) -> dict[str, Any]:
    """The view :func:`placement_on_load` found (or ``no_update`` throughout), for the upload
    of ``session`` it was read for.

    The page applies it (``assets/placement.js``) only while the tab still holds that upload:
    a look at the disk answered after "Clear" (or after another upload) brought the cleared
    samples back.
    """
    upload = session.get("id") if isinstance(session, dict) else None
    return {"for": upload or None, "values": [KEEP if v is no_update else v for v in view]}


def session_after_job(context: Any, request: Any, session: Any) -> Any:
    """The tab's record of its upload once a placing job ended: the upload's own when the job
    placed its samples (``shown``: this one), else the samples shown before (a retry or the
    log box that failed left them on the page; a reload lost them), else none."""
    if not request:
        return no_update
    current = session if isinstance(session, dict) else {}
    if context.placement(job_kind(request)) is not None:
        mine = {"id": request.get("id"), "filename": current.get("filename")}
        return {**mine, "shown": mine}
    shown = current.get("shown")
    if isinstance(shown, dict) and shown.get("id") and context.placement(job_kind(shown)):
        return {**shown, "shown": shown}
    return None


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    out = table.astype(object).where(pd.notna(table), None)
    return out.to_dict("records")


def placed_csv(placed: list[dict[str, Any]] | None, context: Any = None) -> Any:
    """The placed samples as a CSV download (no download when none are placed).

    Its columns are named as ``python -m core embed`` names them (:func:`dashboard.new_samples.
    placed_file_names`; the label's only with the ``context``). With the ``context`` of
    simulated data, the file says so (name and ``data`` column).
    """
    if not placed:
        return no_update, _alert("no placed samples: upload a matrix first", "info")
    # the columns named as embed names them (nearest_training_sample, nearest_tissue, ...):
    # the two files join without renaming
    es = getattr(context, "es", None)
    label = es.label_column() if hasattr(es, "label_column") else None
    # (the own label's copy for the page's table: the file has the annotation by its name)
    frame = pd.DataFrame(placed).drop(columns=[OWN_LABEL], errors="ignore")
    for col, digits in _ROUND.items():
        if col in frame:
            frame[col] = frame[col].astype(float).round(digits)
    frame = frame.rename(columns=placed_file_names(label))
    if context is not None:  # the map they were placed on named, as in the page's other tables
        frame = _with_source(context, frame, None)
    if POOR_FIT in frame:  # last: users join on the columns before it, in their order
        frame = frame[[c for c in frame.columns if c != POOR_FIT] + [POOR_FIT]]
    frame = labelled_table(context, frame)
    name = f"{file_stem(context, 'placed_samples')}.csv"
    return dcc.send_data_frame(frame.to_csv, name, index=False), None


def register_callbacks(app: Any) -> None:
    context = app.fe_context

    # a file dropped, or the log box changed with a file there: a request with a new id (the
    # job's record is named by it); "Clear" empties the drop zone and sends none
    app.clientside_callback(
        """
        function(contents, _transform) {
            if (!contents) { return window.dash_clientside.no_update; }
            const id = Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
            return {id: id};
        }
        """,
        Output(PLACE_REQUEST, "data"),
        Input(ids.PLACE_UPLOAD, "contents"),
        Input(ids.PLACE_TRANSFORM, "value"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(PLACE_REQUEST, "data", allow_duplicate=True),
        Input(PLACE_RETRY, "n_clicks"),
        prevent_initial_call=True,
    )
    def retry(n_clicks):
        return new_request() if n_clicks else no_update

    @app.callback(
        Output(ids.PLACED, "data"),
        Output(ids.PLACED_TABLE, "data"),
        Output(ids.PLACE_INFO, "children"),
        Output(alert_id("place"), "children"),
        Input(PLACE_REQUEST, "data"),
        State(ids.PLACE_UPLOAD, "contents"),
        State(ids.PLACE_UPLOAD, "filename"),
        State(ids.PLACE_TRANSFORM, "value"),
        background=True,
        progress=[Output(PLACE_PROGRESS, "children")],
        progress_default=[""],
        # the page says it is working, and takes no other file meanwhile; the job's start and
        # end (returned or killed): placing_job_view reads the end
        running=[
            (Output(ids.PLACE_RUNNING, "children"), PLACING_TEXT, ""),
            (Output(ids.PLACE_UPLOAD, "disabled"), True, False),
            (Output(PLACE_JOB_RUNNING, "data"), True, False),
        ],
        # "Clear" while it runs stops it (its samples came back after they were cleared)
        cancel=[Input(ids.PLACE_CLEAR, "n_clicks")],
        interval=700,
        prevent_initial_call=True,
    )
    def place(set_progress, request, contents, filename, transform_value):
        return run_placing_job(
            context, set_progress, request, contents, filename, bool(transform_value)
        )

    @app.callback(
        Output(PLACE_PROGRESS, "children", allow_duplicate=True),
        Output(PLACE_RETRY, "style"),
        Output(alert_id("place"), "children", allow_duplicate=True),
        Output(PLACE_SESSION, "data", allow_duplicate=True),
        Input(PLACE_JOB_RUNNING, "data"),
        State(PLACE_REQUEST, "data"),
        State(ids.PLACE_UPLOAD, "filename"),
        State(PLACE_SESSION, "data"),
        prevent_initial_call=True,
    )
    def watch(running, request, filename, session):
        # "Clear" empties the drop zone in the page before the job it cancels is seen ended
        view = placing_job_view(context, running, request, filename, cleared=filename is None)
        if running is not False or filename is None:  # (cleared: the tab forgot it already)
            return (*view, no_update)
        return (*view, session_after_job(context, request, session))

    @app.callback(
        Output(ids.PLACED, "data", allow_duplicate=True),
        Output(ids.PLACED_TABLE, "data", allow_duplicate=True),
        Output(ids.PLACE_INFO, "children", allow_duplicate=True),
        Output(alert_id("place"), "children", allow_duplicate=True),
        Output(PLACE_RETRY, "style", allow_duplicate=True),
        Output(PLACE_SESSION, "data", allow_duplicate=True),
        Output(PLACE_RESUME_POLL, "disabled", allow_duplicate=True),
        Input(ids.PLACE_CLEAR, "n_clicks"),
        State(PLACE_SESSION, "data"),
        prevent_initial_call=True,
    )
    def clear(_n, session):
        if isinstance(session, dict):
            for upload in (session, session.get("shown")):
                if isinstance(upload, dict) and upload.get("id"):
                    context.placement_forget(job_kind(upload))
        return None, [], "", None, HIDE, None, True

    # the page keeps (for the tab: a reload finds it) the id of the upload it placed last
    app.clientside_callback(
        """
        function(request, filename, session) {
            if (!request || !request.id) { return window.dash_clientside.no_update; }
            const shown = (session && session.shown) || null;
            return {id: request.id, filename: filename || null, shown: shown};
        }
        """,
        Output(PLACE_SESSION, "data"),
        Input(PLACE_REQUEST, "data"),
        State(ids.PLACE_UPLOAD, "filename"),
        State(PLACE_SESSION, "data"),
        prevent_initial_call=True,
    )

    # a reloaded page: the samples placed before, or the job that places them (polled); the
    # page applies what was found while the tab still holds the upload it was found for
    @app.callback(
        Output(PLACE_RESTORED, "data"),
        Input(PLACE_SESSION, "modified_timestamp"),
        Input(PLACE_RESUME_POLL, "n_intervals"),
        State(PLACE_SESSION, "data"),
        State(PLACE_REQUEST, "data"),
    )
    def restore(_stamp, _n, session, request):
        if request:  # an upload of this page (not one from before the reload): its own job
            return restored_view(session, (no_update,) * 5 + (True, no_update))
        return restored_view(session, placement_on_load(context, session))

    app.clientside_callback(
        ClientsideFunction(namespace="fe_placement", function_name="restored"),
        Output(ids.PLACED, "data", allow_duplicate=True),
        Output(ids.PLACED_TABLE, "data", allow_duplicate=True),
        Output(ids.PLACE_INFO, "children", allow_duplicate=True),
        Output(PLACE_PROGRESS, "children", allow_duplicate=True),
        Output(alert_id("place"), "children", allow_duplicate=True),
        Output(PLACE_RESUME_POLL, "disabled"),
        Output(PLACE_SESSION, "data", allow_duplicate=True),
        Input(PLACE_RESTORED, "data"),
        State(PLACE_SESSION, "data"),
        prevent_initial_call=True,
    )

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

    # "copy of" shown only when a placed sample is a copy of a map sample (blank otherwise)
    @app.callback(Output(ids.PLACED_TABLE, "columns"), Input(ids.PLACED_TABLE, "data"))
    def table_columns(rows):
        es = context.es
        label = es.label_column() if hasattr(es, "label_column") else None
        return placed_columns(label, context.PLACE_K, rows)

    @app.callback(
        Output(ids.PLACED_DOWNLOAD, "data"),
        Output(alert_id("place"), "children", allow_duplicate=True),
        Input(ids.EXPORT_PLACED_CSV, "n_clicks"),
        State(ids.PLACED, "data"),
        prevent_initial_call=True,
    )
    def download(_n, placed):
        return placed_csv(placed, context)
