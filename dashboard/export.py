"""Export: figures as SVG / PDF / PNG at publication sizes (kaleido driving Chromium), tables and
selections as CSV, and the view kept in the address bar (``?color=&gene=&sel=&gcolor=``, and
each map's zoom: ``&zoom=x0,x1,y0,y1&gzoom=...``).

Figures are rendered by the context's :class:`dashboard.render.ImageRenderer` (one Chromium kept
open for all exports), or in a Chromium started for the one figure when the context has none.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from dash import Input, Output, State, ctx, dcc, html, no_update

from core.data import mark_simulated
from core.errors import CoreError, DataError
from core.spreadsheet import spreadsheet_safe_table
from dashboard import figures, ids
from dashboard.baseline_maps import annotation_word, is_per_class, percent
from dashboard.baselines import baseline_colouring, baseline_view
from dashboard.context import (
    SPECIFIC_HIGHER,
    SPECIFIC_LOWER,
    SPECIFIC_SAVED,
    preset_name,
    round_specific_genes,
)
from dashboard.figure_baselines import PANEL_MEASURE_CHAR_PX
from dashboard.figure_export import print_text_px
from dashboard.figure_genes import LINED_LABEL
from dashboard.figure_labels import LABEL_FONT_PX
from dashboard.gene_neighbours import neighbor_tables
from dashboard.gene_space import (
    LOWER_SOURCE,
    MAP_SOURCE,
    MAX_SELECTED_GENES,
    build_gene_figure,
    focus_in_model,
    gene_labels,
    link_gene_param,
    selected_genes,
    selection_source,
    selection_tables,
)
from dashboard.layout import alert_id, has_gene_ids, specific_p_help
from dashboard.pair_references import round_pairs
from dashboard.render import FORMATS, render_image
from dashboard.sample_map import (
    GENE_MODES,
    MODES,
    ZOOM_PARAMS,
    ZOOMABLE,
    build_sample_figure,
    default_color,
    encode_zoom,
    figure_zoom,
    go_term_columns,
    link_zoom,
    listed_symbols,
    named_genes,
    parse_color,
    parse_zoom,
    reference_outlined,
    resolve_color,
    zoom_is_empty,
)
from dashboard.selection import (
    LINK_DIRECTION,
    encode_rows,
    group_counts,
    is_lower,
    link_direction_problem,
    reference_rows,
    samples_text,
)
from dashboard.uploads import quoted


def share_link_note(left_out: list[str], n_placed: int = 0) -> str:
    """What the link to the view leaves out (too long; placed samples, which stay in this
    page: the link would reopen the view without them, unsaid), said under the link.

    (Said in the link's own words, it widened the header's corner, and the model's line beside
    it wrapped once samples were placed.)"""
    parts = []
    if left_out:
        parts.append(f"without {' and '.join(left_out)}: too long for a link")
    if n_placed:
        parts.append(
            f"without your {n_placed} placed sample{'' if n_placed == 1 else 's'}: "
            "upload them again there"
        )
    return "; ".join(parts)


#: Longest query string a link holds: gunicorn refuses request lines over 4,094 characters
#: (HTTP 414), and the address bar holds the link, so a reload would fail too.
MAX_URL_QUERY_CHARS = 3800


def relayout_ranges(
    relayout: dict[str, Any] | None, previous: dict[str, Any] | None = None
) -> dict[str, list[float] | None]:
    """The axis ranges a ``relayoutData`` event of a map sets, by axis (``x``, ``y``).

    A zoom, scroll or pan sends ``xaxis.range[0]`` and ``xaxis.range[1]`` (``Plotly.relayout``
    may send ``xaxis.range``, a list): ``[lo, hi]``. A double-click or the autoscale button sends
    ``xaxis.autorange: True``: None, the whole map. An axis the event leaves alone (a selection,
    a new drag mode, the first ``autosize``) is absent. One end alone (an axis end dragged)
    moves that end of the ``previous`` range.
    """
    out: dict[str, list[float] | None] = {}
    if not isinstance(relayout, dict):
        return out
    for axis in ("x", "y"):
        name = f"{axis}axis"
        if relayout.get(f"{name}.autorange") is True:
            out[axis] = None
            continue
        pair = relayout.get(f"{name}.range")
        ends = [f"{name}.range[{i}]" for i in (0, 1)]
        if pair is None and any(e in relayout for e in ends):
            old = (previous or {}).get(axis) or [None, None]
            pair = [relayout.get(e, o) for e, o in zip(ends, old, strict=True)]
        rng = _finite_range(pair)
        if rng is not None:
            out[axis] = rng
    return out


def _finite_range(pair: Any) -> list[float] | None:
    """``[lo, hi]`` as floats when ``pair`` is two different finite numbers, else None."""
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        return None
    try:
        lo, hi = (float(v) for v in pair)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo == hi:
        return None
    return [lo, hi]


def merge_zoom(
    zoom: dict[str, Any] | None,
    which: str,
    relayout: dict[str, Any] | None,
    key: str | None,
    url_search: str | None = None,
    context: Any = None,
) -> Any:
    """The ``map-zoom`` store after a ``relayoutData`` event of the map ``which``, or
    ``no_update`` when the event changes no axis range.

    The store holds, by map, ``{"key": model key, "x": [lo, hi] | None, "y": ...}`` (None: the
    whole extent). ``relayoutData`` alone is only the last event (a selection after a zoom
    replaces it); the store keeps the ranges until a new zoom or a double-click. ``key`` is the
    model whose map is shown: the map of another model is drawn as the page's link
    (``url_search``) says, whole without one, so an entry made on another model starts anew
    from there.
    """
    entry = dict((zoom or {}).get(which) or {})
    if entry.get("key") != key:
        entry = {"key": key, "x": None, "y": None, **link_zoom(url_search, which, context)}
    changes = relayout_ranges(relayout, entry)
    if all(entry.get(axis) == rng for axis, rng in changes.items()):
        return no_update
    return {**(zoom or {}), which: {**entry, **changes}}


def zoom_with_last_events(
    zoom: dict[str, Any] | None,
    relayouts: dict[str, dict[str, Any] | None],
    key: str | None,
    url_search: str | None = None,
    context: Any = None,
) -> dict[str, Any] | None:
    """The ``map-zoom`` store with each map's last ``relayoutData`` event applied
    (:func:`merge_zoom`; ``relayouts``: by map id).

    The store is written by a server callback after each zoom; an export clicked before that
    answer read the store without the zoom, and wrote the whole map. Applying the last event
    again changes nothing once the store holds it (the same ranges, or the same end moved).
    A map whose stored zoom is of another model (retrained since: its last event may be one
    made on the former map) is left as the store says.
    """
    out = zoom
    for which in ZOOMABLE:
        relayout = relayouts.get(which)
        entry = (out or {}).get(which)
        if relayout and (not entry or entry.get("key") == key):
            merged = merge_zoom(out, which, relayout, key, url_search, context)
            if merged is not no_update:
                out = merged
    return out


#: What an exported file's name says of its size (nothing for the screen size).
SIZE_TAGS = {
    "screen": "",
    "single column (85 mm, 300 dpi)": "85mm",
    "double column (180 mm, 300 dpi)": "180mm",
    "slide 16:9": "slide",
}

#: Why the baseline maps cannot be exported yet.
NO_BASELINES = "no baseline maps yet: compute them first"


def stale_export_alert(baseline_rows: Any, alert: Any) -> Any:
    """The export's message once the baseline maps are shown: cleared when it said that there
    were none yet (it stayed, wrong, until the next export), else unchanged."""
    if baseline_rows and NO_BASELINES in str(alert or ""):
        return None
    return no_update


#: The figures as the export menu names them.
FIGURE_NAMES = {"sample-map": "sample map", "gene-map": "gene space", "baselines": "baseline maps"}


def export_figure(
    context: Any,
    which: str,
    fmt: str,
    size: str,
    view: dict[str, Any],
) -> dict[str, Any]:
    """The ``dcc.Download`` payload of one figure of the current view.

    Parameters
    ----------
    which
        ``sample-map``, ``gene-map`` or ``baselines``.
    fmt
        ``svg``, ``pdf`` or ``png``.
    size
        A key of :data:`dashboard.figures.EXPORT_SIZES`.
    view
        ``color``, ``clip``, ``focus``, ``gene_color``, ``k``, ``selection_genes``, ``placed``
        (samples placed from an upload, drawn on the sample map as in the page), ``selection``
        (rows of the selected samples: selected on the sample map, the others in grey, as in the
        page), ``reference`` (rows of the reference group kept: outlined on the sample map, as
        in the page, and said under the title), ``zoom`` (the
        ``map-zoom`` store: the sample or gene map is exported zoomed as in the page, see
        :func:`figure_zoom`), ``url_search`` (the page's link, for the zoom it opened with),
        ``labelled`` (the share of labelled samples the baseline maps are scored from),
        ``per_class`` (the per-class checklist's value: that share of each class) and ``lower``
        (the selection's genes listed are those lower in it: so named in the gene map's legend).

    The file is named by what it shows (the sample map's colouring, ``selection-N`` for N
    selected samples and ``placed-N`` for N placed samples; the gene map's colouring and gene
    in focus; ``zoom`` last for a zoomed-in region, then the size unless it is the screen's:
    ``85mm``, ``180mm``, ``slide``), ``SIMULATED_`` first for simulated data.
    """
    if size not in figures.EXPORT_SIZES:
        raise DataError(f"unknown export size {size!r}")
    if which in ZOOMABLE:
        context.require_state()  # not the "model is training" placeholder as a file
    width, height, scale = figures.EXPORT_SIZES[size]
    max_height = height  # a journal column may grow taller (a legend under the plot)
    legend_below = False  # laid out for a legend under the plot (the baseline maps' grid)
    text = print_text_px(size)  # a journal column's text at print size, else None
    if size in figures.JOURNAL_SIZES:
        max_height = int(figures.JOURNAL_PAGE_MM / figures.EXPORT_WIDTH_MM[size] * width)
    if which == "sample-map":
        color = view.get("color") or default_color(context)
        rows = _selected_rows(context, view.get("selection"))
        reference = _selected_rows(context, view.get("reference"))
        fig, _ = build_sample_figure(
            context,
            color,
            view.get("clip") or (1, 99),
            webgl=False,
            placed=view.get("placed"),
            selection=rows,
            reference=reference,
        )
        parts = [color] + ([f"selection-{len(rows)}"] if rows else [])
        # placed samples drawn on it: said, as a selection is (the file took the plain map's
        # name, and replaced it in a downloads folder)
        n_placed = len(view.get("placed") or [])
        if n_placed:
            parts.append(f"placed-{n_placed}")
        listed = listed_symbols(context, color)
        if listed:  # the genes named, whole, in the file and its name (not list-KRT5-KRT1)
            parts[0] = "list_" + named_genes(listed, FILE_PART_CHARS - 5, file_name=True)
            figures.add_title_line(fig, f"mean z of {named_genes(listed, LISTED_TITLE_CHARS)}")
        if rows:  # the file says why most samples are pale (its name alone said it)
            figures.add_title_line(fig, selection_line(context, rows, color))
        if reference:  # and what the circles are, as the page's legend does
            figures.add_title_line(fig, reference_line(context, reference, rows, color))
    elif which == "gene-map":
        gene_view = (
            view.get("gene_color"),
            view.get("focus"),
            view.get("k"),
            view.get("selection_genes"),
        )
        by = view.get("color")  # the genes of a set that colours the samples: marked
        # (the genes lower in the sample selection, the choice by their table, named so)
        lower = bool(view.get("lower"))
        fig, _ = build_gene_figure(context, *gene_view, webgl=False, color_by=by, lower=lower)
        # (a focus the model lacks, drawn by no star, neither titles nor names the file)
        focus, rings = focus_in_model(context, view.get("focus")), _ringed(fig)
        # the file says whose neighbours are ringed, and how many (files of k 15 and 50 had
        # one name and one title)
        about = f"{focus} and its {rings} nearest neighbours (black rings)" if focus else ""
        if focus:  # neighbours' labels: spaced again for the file's plot area
            drawn = figures.for_export(
                figures.add_title_line(fig, about),
                width,
                height,
                max_height,
                dataset=dataset_line(context),
                text=text,
            )
            area = figures.export_plot_area(drawn)
            # labels set larger in print: spaced for an area as much smaller, then set off
            # their rings as much further (print_labels)
            grown = max(text[0] / LABEL_FONT_PX, 1.0) if text else 1.0
            area = {key: area[key] / grown for key in ("width", "height")}
            zoom = figure_zoom(
                context, view.get("zoom"), which, view.get("url_search"), view.get("placed")
            )
            if zoom.get("x") and zoom.get("y"):  # and for the region zoomed in the page
                area = {**area, "x": zoom["x"], "y": zoom["y"]}
            fig, _ = build_gene_figure(
                context, *gene_view, webgl=False, plot_size=area, color_by=by, lower=lower
            )
            print_labels(fig, grown)
            figures.add_title_line(fig, about)
        parts = [view.get("gene_color") or "type", focus or ""]
        if focus and rings:
            parts.append(f"k{rings}")
    elif which == "baselines":
        cached = context.cached_baselines()
        if not cached:
            raise DataError(NO_BASELINES)
        fraction = context.accuracy_fraction(view.get("labelled"))[0]
        per_class = is_per_class(view.get("per_class"))
        journal = size in figures.JOURNAL_SIZES
        colouring = {"color": view.get("color"), "clip": view.get("clip")}
        fig, height, legend_below = _baselines_file_figure(
            context,
            cached,
            width,
            height,
            max_height,
            journal,
            fraction,
            per_class,
            colouring,
            text,
        )
        parts = [cached.get("label") or ""]
        shown = baseline_colour_title(context, view.get("color"), cached.get("label") or "")
        if shown:  # coloured as the sample map: the file says by what
            parts.append(view.get("color"))
    else:
        raise DataError(f"unknown figure {which!r}")
    fig = figures.for_export(
        fig,
        width,
        height,
        max_height,
        legend_below=legend_below,
        dataset=dataset_line(context),
        text=text,
    )
    zoom = figure_zoom(context, view.get("zoom"), which, view.get("url_search"), view.get("placed"))
    if zoom:
        figures.set_ranges(fig, zoom)
        if fig.layout.yaxis.scaleanchor:
            # a map at 1:1 in a file of another shape widened the zoomed ranges to fill it (a
            # cluster the page left out came back, cut at the colour bar): the plot area
            # shrinks to the zoomed region instead
            fig.update_xaxes(constrain="domain")
            fig.update_yaxes(constrain="domain")
        parts.append("zoom")
    if SIZE_TAGS.get(size):  # files of one view at several sizes: told apart by name
        parts.append(SIZE_TAGS[size])
    height = int(fig.layout.height or height)  # taller with a legend under the plot
    renderer = getattr(context, "image_renderer", None)
    render = renderer.render if renderer is not None else render_image
    width_mm = figures.EXPORT_WIDTH_MM.get(size)
    if width_mm and fmt == "pdf":  # a PDF's page is the figure's pixels times scale, in points
        scale = pdf_scale(width, width_mm)
    data = render(fig, fmt, width, height, scale)
    if width_mm:
        data = physical_size(data, fmt, width_mm, width_mm * height / width)
    if fmt == "pdf":  # the document's title was kaleido's page's, "Kaleido-fier"
        simulated = "SIMULATED DATA: " if getattr(context, "simulated", False) else ""
        name = FIGURE_NAMES.get(which, which)
        data = pdf_title(data, f"{simulated}{name}, {dataset_line(context)}")
    return dcc.send_bytes(data, f"{file_stem(context, which, *parts)}.{fmt}", type=FORMATS[fmt])


def print_labels(fig: Any, grown: float) -> None:
    """The gene map's labels, spaced for a plot area ``grown`` times smaller than the file's
    (their font that many times larger in print), set off their points ``grown`` times further
    (in place): the whole layout of the labels then grows with their font. Set off by the
    pixels they were spaced for, labels of 7 pt at 85 mm lay over each other."""
    if grown == 1.0:
        return
    for note in fig.layout.annotations:
        if note.name in ("neighbour label", LINED_LABEL, "focus label"):
            for key in ("xshift", "yshift", "ax", "ay"):
                if note[key] is not None:
                    note[key] = round(note[key] * grown, 2)


def others_word(context: Any, color: str | None) -> str:
    """How the sample map draws the samples left out of a selection under the colouring
    ``color``: "in grey" by categories, "dimmed" by values (:data:`figure_style.UNSELECTED`)."""
    from dashboard.sample_map import default_color, resolve_color

    try:
        kind = resolve_color(context, color or default_color(context)).kind
    except CoreError:
        return "dimmed"
    return "in grey" if kind == "categorical" else "dimmed"


def selection_line(context: Any, rows: list[int], color: str | None) -> str:
    """The line under the title of a sample map exported with a selection: what the selected
    samples are, counted as the page's line counts them (a slide of 60 selected samples did not
    say they were the three endocrine tissues), and what the pale ones are."""
    n = len(set(rows))
    counted = group_counts(context, sorted(set(rows)), color)
    return (
        f"{n:,} selected sample{'' if n == 1 else 's'}{counted} in full colour, "
        f"the others {others_word(context, color)}"
    )


def reference_line(context: Any, reference: list[int], rows: list[int], color: str | None) -> str:
    """The line under the title of a sample map exported while a reference group is kept: the
    samples compared with (those also selected left out, as the page counts them), counted as
    the page's line counts them, and that they are outlined (a file drew them as every other
    sample left out of the selection)."""
    outlined = reference_outlined(reference, rows)
    counted = group_counts(context, outlined, color)
    return f"the reference group of {samples_text(len(outlined))}{counted} outlined"


def _ringed(fig: Any) -> int:
    """The number of neighbours ringed on a gene map."""
    rings = [t for t in fig.data if t.name == "nearest neighbours"]
    return len(rings[0].x) if rings else 0


def _baselines_file_figure(
    context: Any,
    cached: dict[str, Any],
    width: int,
    height: int,
    max_height: int,
    journal: bool,
    fraction: float,
    per_class: bool = False,
    colouring: dict[str, Any] | None = None,
    text: tuple[float, float] | None = None,
) -> tuple[Any, int, bool]:
    """The baseline maps laid out for a file -> (figure, height, legend under the maps),
    coloured as the sample map (``colouring``: its ``color`` and ``clip``).

    A grid of near-square maps (in one row, each map of a page-sized file was stretched). When
    the legend goes under them, the maps take the file's whole width, and a journal column
    (``journal``) grows taller for square panels (at 85 mm they were 139 x 107 pixels), up to
    60% of ``max_height`` (the legend's rows come on top). ``text``: the fonts of a size laid
    out for print (:func:`dashboard.figures.print_text_px`), measured as the file draws them.
    """
    own = ("FE", "model")  # the model's map, when there is one, is the one shown now
    n_maps = len([m for m in cached.get("maps", {}) if m not in own])
    n_maps += context.state() is not None  # (baseline_view)
    colouring = colouring or {}
    label = cached.get("label") or ""
    shown = baseline_colour_title(context, colouring.get("color"), label)
    title = baselines_title(context, n_maps, label, fraction, per_class, shown)
    columns = figures.panel_columns(n_maps, width, height)
    view = dict(title=title, fraction=fraction, per_class=per_class, **colouring)
    # the layout is measured on the maps without their points (the legend's entries, the
    # titles and the margins are the same), the maps drawn once at the end: GTEx's 16,877
    # samples on 5 maps were drawn four times and copied for a file three times (85 mm: 1.5 s)
    sketch = dict(view, points=False)
    fig, _ = baseline_view(context, cached, columns=columns, height=height, **sketch)
    probe = figures.for_export(fig, width, height, max_height, text=text)
    below = probe.layout.legend.orientation == "h" and not figures.legend_in_columns(probe.layout)
    if below:
        columns = figures.panel_columns(n_maps, width, height, legend_px=0.0)
        if journal:
            rows = -(-n_maps // columns)
            square = int(probe.layout.margin.t or 0) + rows * ((width - 20) / columns + 50)
            height = int(min(max(height, square), 0.6 * max_height))
    if journal:
        # the panel titles' measures broken to the panels' width, and the rows spaced by
        # their lines in pixels of the maps' area as drawn: the file's title and dataset
        # lines take more of its top than the figure keeps (at 85 mm, coloured by a gene, the
        # second row's titles lay over the first row's maps)
        # (in print, the measures' font larger than the figure's 70% of 16 pixels: broken
        # for a width as much narrower)
        measure = PANEL_MEASURE_CHAR_PX
        wrap = int(width * measure / max(0.55 * text[0], measure)) if text else width
        view.update(width=wrap)
        sketch.update(width=wrap)
        if not below:  # (a colour bar or a short legend beside: the file may grow taller)
            columns = figures.panel_columns(n_maps, width, int(0.6 * max_height))
        fig, _ = baseline_view(context, cached, columns=columns, height=height, **sketch)
        drawn = figures.for_export(
            fig,
            width,
            height,
            max_height,
            legend_below=below,
            dataset=dataset_line(context),
            text=text,
        )
        lay = drawn.layout
        top, bottom = float(lay.margin.t or 0), float(fig.layout.margin.b or 0)
        panel = (lay.xaxis.domain[1] - lay.xaxis.domain[0]) * (
            width - float(lay.margin.l or 0) - float(lay.margin.r or 0)
        )
        rows = -(-n_maps // columns)
        room = figures.panel_title_room(fig)
        square = int(top + bottom + rows * panel + (rows - 1) * room)
        height = int(min(max(height, square), 0.6 * max_height))
        view.update(plot_height=height - top - bottom)
    fig, _ = baseline_view(context, cached, columns=columns, height=height, **view)
    return fig, height, below


def baseline_colour_title(context: Any, color: str | None, label: str) -> str | None:
    """What colours the baseline maps when it is not the ``label`` 1-NN guesses: the sample
    map's colouring ``color`` as its legend or colour bar names it (a gene's observed values
    for its predicted or residual ones, :func:`dashboard.baselines.baseline_colouring`)."""
    colouring = baseline_colouring(context, color, None, label)
    return colouring.get("color_title")


def baselines_title(
    context: Any,
    n_maps: int,
    label: str,
    fraction: float | None = None,
    per_class: bool = False,
    coloured: str | None = None,
) -> str:
    """The title of the baseline maps in a file (the page says the same in its card), scored
    from ``fraction`` of the labelled samples (default: the paper's), of each class
    (``per_class``); ``coloured``: what colours the maps, when not ``label`` (the sample map's
    colouring)."""
    n = int(getattr(context, "n_samples", 0) or 0)
    text = f"The same {n:,} samples in {n_maps} maps"
    word = figures._escape(annotation_word(label)) if label else ""
    label = figures._escape(label)
    if label:
        if fraction is None:
            fraction = getattr(context, "ACCURACY_FRACTION", 0.02)
        splits = getattr(context, "ACCURACY_SPLITS", 20)
        drawn = f"{percent(fraction)} labelled ones"
        if per_class:
            drawn = f"the labelled ones, {percent(fraction)} of each {word} (at least one)"
        by = figures._escape(figures.bar_title(coloured)) if coloured else label
        text += (
            f", coloured by {by}<br><span style='font-size:11px'>1-NN: {label} of the "
            f"other samples from the nearest of {drawn}, mean ± sd over {splits} draws</span>"
        )
    elif coloured:
        text += f", coloured by {figures._escape(figures.bar_title(coloured))}"
    return text


def pdf_title(data: bytes, title: str) -> bytes:
    """``data`` (a PDF that kaleido wrote) with the document title ``title``, in place of
    kaleido's own ("Kaleido-fier", which viewers and reference managers show). The objects after
    the title move: the cross-reference table's offsets are moved with them, and checked; a PDF
    of another shape comes back unchanged."""
    old = b"/Title (Kaleido-fier)"
    at = data.find(old, 0, 4096)
    table = data.rfind(b"\nxref\n")
    if at < 0 or table < at:
        return data
    new = b"/Title <FEFF" + title.encode("utf-16-be").hex().upper().encode("ascii") + b">"
    shift = len(new) - len(old)
    body = data[:at] + new + data[at + len(old) : table]
    lines = data[table + 1 :].split(b"\n")
    try:
        count = int(lines[1].split()[1])
        entries = []
        for line in lines[2 : 2 + count]:
            offset, generation, kind = line.split()[:3]
            value = int(offset) + (shift if kind == b"n" and int(offset) > at else 0)
            entries.append(b"%010d %s %s " % (value, generation, kind))
        at_start = lines.index(b"startxref")
        start = int(lines[at_start + 1]) + shift
    except (IndexError, ValueError):
        return data
    out = b"\n".join(
        [body, *lines[:2], *entries, *lines[2 + count : at_start + 1], b"%d" % start]
        + lines[at_start + 2 :]
    )
    for number, line in enumerate(entries):  # every object where the table says it is
        offset, _, kind = line.split()[:3]
        if kind == b"n" and not out.startswith(b"%d 0 obj" % number, int(offset)):
            return data
    return out


#: Points per CSS pixel in the PDF that kaleido writes (its page is width x scale x 0.75 points).
_PDF_POINTS_PER_PX = 0.75


def pdf_scale(width_px: float, width_mm: float) -> float:
    """The scale at which a figure ``width_px`` wide makes a PDF page ``width_mm`` wide."""
    return (width_mm / 25.4 * 72.0) / (width_px * _PDF_POINTS_PER_PX)


def physical_size(data: bytes, fmt: str, width_mm: float, height_mm: float) -> bytes:
    """``data`` (an exported figure) stating its size in millimetres: a PNG's pixels per metre
    (the ``pHYs`` chunk, which image editors and journals' systems read as dpi), an SVG's width
    and height in mm (its ``viewBox`` keeps the drawing). A PDF takes its page size from the
    scale it is rendered at (:func:`pdf_scale`). Bytes of another kind come back unchanged."""
    if fmt == "png" and data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        import struct
        import zlib

        width_px = struct.unpack(">I", data[16:20])[0]
        per_metre = int(round(width_px / (width_mm / 1000.0)))
        body = b"pHYs" + struct.pack(">IIB", per_metre, per_metre, 1)  # unit 1: the metre
        chunk = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
        # the chunks, walked: a pHYs already there is replaced, the new one follows IHDR
        out, pos = [data[:8]], 8
        while pos + 8 <= len(data):
            (length,) = struct.unpack(">I", data[pos : pos + 4])
            kind, end = data[pos + 4 : pos + 8], pos + 12 + length
            if kind != b"pHYs":
                out.append(data[pos:end])
            if kind == b"IHDR":
                out.append(chunk)
            pos = end
        return b"".join(out) + data[pos:]
    if fmt == "svg":
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else str(data)
        except UnicodeDecodeError:
            return data
        head = re.match(r"\s*<svg\b[^>]*>", text)
        if head is None or "viewBox" not in head.group(0):
            return data
        tag = re.sub(r'\swidth="[^"]*"', f' width="{width_mm:.2f}mm"', head.group(0), count=1)
        tag = re.sub(r'\sheight="[^"]*"', f' height="{height_mm:.2f}mm"', tag, count=1)
        return (tag + text[head.end() :]).encode("utf-8")
    return data


def _selected_rows(context: Any, rows: Any) -> list[int]:
    """The selected samples' rows of the ``selection`` store, those of this dataset only."""
    n = int(getattr(context, "n_samples", 0) or 0)
    return sorted({int(r) for r in rows or () if 0 <= int(r) < n})


def dataset_line(context: Any) -> str:
    """The dataset and model of an exported figure: ``sepira_gtex_520x467: 520 samples x 460
    genes; FE model 3f2a9c1b0d4e`` (the model's key, as in the CSV files: two models of the
    same data draw different maps)."""
    name = getattr(context, "name", "") or "dataset"
    n, g = getattr(context, "n_samples", None), getattr(context, "n_genes", None)
    line = str(name) if n is None or g is None else f"{name}: {n:,} samples × {g:,} genes"
    state = getattr(context, "state", None)
    st = state() if callable(state) else None
    if st is not None and getattr(st, "key", None):
        kind = "FE model" if context.model_map_name() == "FE" else "model"
        line += f"; {kind} {str(st.key)[:12]}"
    return line


def export_view(
    context: Any, which: str, fmt: str, size: str, view: dict[str, Any]
) -> tuple[Any, Any]:
    """What the export button gives: (``dcc.Download`` payload, message) of
    :func:`export_figure`, or (``no_update``, the error message).

    The message names the file and says when the figure is the zoomed-in region of the page.
    """
    try:
        payload = export_figure(context, which, fmt, size, view)
    except CoreError as exc:
        return no_update, html.Div(str(exc), className="alert alert-error")
    text = f"exported the {FIGURE_NAMES.get(which, which)} as {payload['filename']} ({size})"
    selected = _selected_rows(context, view.get("selection")) if which == "sample-map" else []
    if selected:
        n = len(selected)
        others = others_word(context, view.get("color"))
        text += f", with the {n:,} selected sample{'s' if n > 1 else ''} (the others {others})"
    n_placed = len(view.get("placed") or []) if which == "sample-map" else 0
    if n_placed:
        text += f", with your {n_placed:,} placed sample{'s' if n_placed > 1 else ''}"
    if figure_zoom(context, view.get("zoom"), which, view.get("url_search"), view.get("placed")):
        text += ": the zoomed-in region shown on the page (double-click the map for the whole map)"
    return payload, html.Div(text, className="alert alert-info")


#: Characters of each part of a file name (a colouring, a gene, a label).
FILE_PART_CHARS = 40
#: Characters of a selection's part of a file name (``selection-20-`` and its majority label):
#: the label keeps :data:`FILE_PART_CHARS` of its own (GTEx's longest tissue, "Brain - Nucleus
#: accumbens (basal ganglia)", is 37 in a file name), the whole name far below the 255 bytes of
#: file systems (:data:`FILE_STEM_BYTES` bounds one of letters outside ASCII).
SELECTION_PART_CHARS = 56

#: Characters of the genes named in the title of a map exported coloured by a gene list.
LISTED_TITLE_CHARS = 200


#: UTF-8 bytes of a file name's stem at most: file systems take 255 bytes, a letter outside
#: ASCII is 2 to 4 of them, and ``SIMULATED_`` and the extension come on top.
FILE_STEM_BYTES = 200


def file_part(text: str, keep: str = "._") -> str:
    """``text`` as a part of a file name: letters (of any script) and digits kept, an accented
    Latin letter as its plain letter (``Müller_β`` is ``Muller_β``: it was ``M-ller_``), each
    run of other characters (spaces, ``/``, ``\\``, ``:``) one ``-``; the characters of
    ``keep`` kept as they are."""
    out: list[str] = []
    for c in unicodedata.normalize("NFKD", text):
        if unicodedata.category(c).startswith("M"):
            # a mark: an accent of a Latin letter dropped (ü is u), that of another script's
            # letter kept with it (a Devanagari vowel sign), one after nothing dropped
            if out and not out[-1].isascii():
                out.append(c)
            continue
        out.append(c if c.isalnum() or c in keep else "-")
    return re.sub(r"-+", "-", unicodedata.normalize("NFC", "".join(out))).strip("-")


def file_stem(context: Any, *parts: str, part_chars: int = FILE_PART_CHARS) -> str:
    """A file name (without extension) from what a file holds: ``sample-map_obs-GATA4``.

    Characters other than letters, digits, ``_`` and ``.`` become ``-``, one for a run of them
    (``Brain - Nucleus`` was ``Brain---Nucleus``; :func:`file_part`: ``Müller`` is ``Muller``,
    a Greek or other letter kept, never a path separator); each part is cut at a word to
    ``part_chars`` characters (:func:`cut_part`), the whole to :data:`FILE_STEM_BYTES` bytes;
    ``SIMULATED_`` comes first for simulated data.
    """
    clean = [cut_part(file_part(p), part_chars) for p in parts if p]
    stem = "_".join(c for c in clean if c) or "export"
    if len(stem.encode()) > FILE_STEM_BYTES:  # (letters of 3 bytes: 40 of them are 120)
        stem = stem.encode()[:FILE_STEM_BYTES].decode(errors="ignore").rstrip("-_.") or "export"
    return f"SIMULATED_{stem}" if getattr(context, "simulated", False) else stem


def cut_part(part: str, limit: int) -> str:
    """A part of a file name (its words joined by ``-``, ``_`` or ``.``) in at most ``limit``
    characters, cut after its last whole word that fits (a word longer than half of it is cut
    where it reaches ``limit``): ``selection-12-Cells-EBV-transformed-lymph`` lost the word's
    end."""
    if len(part) <= limit:
        return part
    ends = [m.start() for m in re.finditer(r"[-_.]", part[: limit + 1])]
    if ends and ends[-1] >= limit // 2:
        return part[: ends[-1]].rstrip("-_.")
    return part[:limit]


def labelled_table(context: Any, table: pd.DataFrame) -> pd.DataFrame:
    """``table`` as written to a CSV: a first column ``data`` = ``SIMULATED`` for simulated
    data (:func:`core.data.mark_simulated`); text cells and column names made
    :func:`core.spreadsheet.spreadsheet_safe`."""
    out = spreadsheet_safe_table(table)
    if getattr(context, "simulated", False):
        mark_simulated(out)  # (a sample annotation named "data" kept as sample_data)
    return out


def neighbors_query(context: Any, focus: str | None, n_neighbors: int) -> dict[str, Any]:
    """What a neighbour table answers, for the columns of its CSV file: the gene in focus
    (``query``, ``query_gene_id``), the ``dataset``, the ``model``, the number of neighbours
    ``k`` and the ``metric`` of the ``distance`` column."""
    st = context.state()
    info = st.info if st is not None else {}
    symbol, gene_id = focus or "", ""
    if focus:
        try:
            j = context.gene_index(focus)
            symbol, gene_id = context.gene_symbols[j], context.gene_ids[j]
        except DataError:
            pass
    model = str(info.get("class") or "model")
    if info.get("gene_dim"):
        model += f", {info['gene_dim']}-D gene vectors"
    if st is not None:
        model += f" ({st.key})"
    joined = info.get("joined_models")
    if joined:  # (the file alone named one of them)
        others = [str(p) for p in getattr(context.config, "join_models", None) or []]
        model += f", joined with {'; '.join(others)}" if others else ""
    metric = (
        f"cosine distance between gene vectors, mean over {joined} joined models"
        if joined
        else "cosine distance between gene vectors"
    )
    return {
        "query": symbol,
        "query_gene_id": gene_id,
        "dataset": getattr(context, "name", "") or "",
        "model": model,
        "k": int(n_neighbors),
        "metric": metric,
    }


def with_query(context: Any, table: pd.DataFrame, focus: str | None) -> pd.DataFrame:
    """The neighbour ``table`` with the columns of :func:`neighbors_query` first (the same value
    on every row: the file says what it answers, whatever it is renamed to)."""
    query = neighbors_query(context, focus, len(table))
    out = table.drop(columns=[c for c in query if c in table.columns])
    for i, (name, value) in enumerate(query.items()):
        out.insert(i, name, value)
    return out


def _with_source(context: Any, table: pd.DataFrame, n_selected: int | None) -> pd.DataFrame:
    """A selection's table with the ``dataset``, the ``model`` whose map it was drawn on and
    the number of samples selected first (as the neighbour tables say what they answer);
    ``n_selected`` None: without it (placed samples)."""
    query = neighbors_query(context, None, 0)
    st = context.state()
    info = st.info if st is not None else {}
    # the map the samples were selected on (not the gene vectors of a neighbour table)
    model = str(info.get("class") or "model")
    if info.get("sample_dim"):
        model += f", {info['sample_dim']}-D sample map"
    if st is not None:
        model += f" ({st.key})"
    out = table.copy()
    columns = {"dataset": query["dataset"], "model": model}
    if n_selected is not None:
        columns["n_selected"] = n_selected
    for i, (name, value) in enumerate(columns.items()):
        if name not in out.columns:
            out.insert(i, name, value)
    return out


#: Columns of a gene table that hold gene ids (left out of a file when they repeat the symbols).
GENE_ID_COLUMNS = ("gene_id", "query_gene_id")


def value_scale_text(context: Any) -> str:
    """The scale of the expression values of a table, as the page's headers say it."""
    scale = getattr(context, "value_scale", None)
    return (scale() if callable(scale) else None) or "the scale of the data file"


def majority_label(context: Any, rows: Any) -> str | None:
    """The label (tissue) that more than half of the samples ``rows`` share, ``mixed`` when
    none does, or None when the samples have no label column (or none of them a label)."""
    es = getattr(context, "es", None)
    column = es.label_column() if hasattr(es, "label_column") else None
    rows = sorted({int(r) for r in rows or ()})  # (a row given twice counts once)
    if column is None or not rows:
        return None
    labels = context.samples[column].iloc[rows].dropna().astype(str)
    if labels.empty:
        return None
    counts = labels.value_counts()
    return str(counts.index[0]) if counts.iloc[0] * 2 > len(rows) else "mixed"


#: Labels a selection without a majority label is named by, at most (more: ``mixed``).
SELECTION_NAMED_LABELS = 3


def selection_part(context: Any, rows: Any) -> str:
    """What a selection's file names: its size and majority label, ``selection-20-Liver``; a
    selection of 2 or 3 labels none of which holds more than half of it, by them all, as many
    as the name holds whole (``selection-60-Adrenal-Gland_Pituitary_Thyroid``: the three
    endocrine tissues' file was ``selection-60-mixed``), else ``selection-25-mixed``;
    ``selection-20`` for samples without labels."""
    label = majority_label(context, rows)
    part = f"selection-{len(rows)}"
    if label == "mixed":
        column = context.es.label_column()
        ids = sorted({int(r) for r in rows})
        counts = context.samples[column].iloc[ids].dropna().astype(str).value_counts()
        names = sorted(counts.index, key=lambda n: (-counts[n], n))
        clean = [file_part(n, keep=".") for n in names]
        whole = f"{part}-{'_'.join(clean)}"
        if len(names) <= SELECTION_NAMED_LABELS and len(whole) <= SELECTION_PART_CHARS:
            return whole
    return part + (f"-{label}" if label else "")


def colouring_column(context: Any, color: str) -> tuple[str, np.ndarray] | None:
    """The column of the sample map's CSV for the colouring ``color`` (the values the figure
    colours its samples by, :func:`dashboard.sample_map.resolve_color`): ``HNF4A_observed``,
    ``HNF4A_predicted``, ``HNF4A_residual``, ``gene_list_mean_z``, ``<preset>_mean_z``,
    ``GO:0007507_mean_z``; None for an annotation (a column of the file already)."""
    kind, arg = parse_color(color)
    if kind == "ann":
        return None
    spec = resolve_color(context, color)
    if kind in GENE_MODES:
        name = f"{spec.gene}_{MODES[kind].split(' ')[0].replace('model-', '')}"
    elif kind == "set":
        name = f"{preset_name(arg).split(' (')[0]}_mean_z"
    elif kind == "go":
        name = f"{go_term_columns(context, arg)[0]}_mean_z"  # (the term's id, however typed)
    else:
        name = "gene_list_mean_z"
    return name, np.asarray(spec.values)


def colour_part(context: Any, color: str) -> str:
    """A colouring in a file name, as the sample map's figure file names it (a gene list by
    its genes: ``list_KRT5_KRT14_and_8_more``)."""
    listed = listed_symbols(context, color)
    if listed:
        return "list_" + named_genes(listed, FILE_PART_CHARS - 5, file_name=True)
    return color


def sample_map_table(context: Any, color: str | None) -> tuple[pd.DataFrame, str]:
    """Every sample of the map (id, ``x``, ``y``, the annotations, as a selection's CSV gives
    them) and the values of its colouring by genes -> (table, colouring). Placed samples are
    not in it: they have their own CSV."""
    context.require_state()
    color = color or default_color(context)
    table = _with_source(context, context.selection_table(range(context.n_samples)), None)
    column = colouring_column(context, color)
    if column is not None:
        name, values = column
        if parse_color(color)[0] in GENE_MODES:
            # a gene's values on the scale the colour bar states (GTEx's MYH7_observed held
            # 5.589, log10 of reads + 1, with nothing saying so); a mean z has no such scale
            table["value_scale"] = value_scale_text(context)
        table[name if name not in table.columns else f"{name}_colour"] = values
    return table, color


def gene_map_table(context: Any, gene_color: str | None) -> pd.DataFrame:
    """Every gene of the gene space: ``gene_id``, ``symbol``, ``gene_type``, ``x``, ``y`` of the
    gene map's layout, and, when a GO term colours it, ``<GO id>_annotated`` (1: the gene is
    annotated with the term or a more specific one, as the map draws it), after the
    ``dataset``, ``model`` and ``layout`` they come from."""
    st = context.require_state()
    cols = np.asarray(st.gene_es_index)
    symbols = np.asarray(context.gene_symbols, dtype=object)
    gene_ids = np.asarray(context.gene_ids, dtype=object)
    here = cols >= 0
    where = np.maximum(cols, 0)
    layout = np.asarray(st.gene_layout, dtype=np.float32)
    query = neighbors_query(context, None, 0)
    table = pd.DataFrame(
        {
            "dataset": query["dataset"],
            "model": query["model"],
            "layout": str(st.info.get("gene_layout") or ""),
            "gene_id": np.where(here, gene_ids[where], ""),
            "symbol": np.where(here, symbols[where], ""),
            "gene_type": gene_labels(context, "type")[0],
            "x": layout[:, 0],
            "y": layout[:, 1],
        }
    )
    if gene_color and gene_color.startswith("go:"):
        labels, _ = gene_labels(context, gene_color)
        table[f"{gene_color[3:]}_annotated"] = (labels == "annotated").astype(int)
    return table


def csv_download(
    context: Any,
    which: str,
    neighbors: list[dict] | None,
    selection: dict[str, Any] | None,
    focus: str | None,
    enrichment: list[dict] | None = None,
    k: Any = None,
    color: str | None = None,
    gene_color: str | None = None,
    gene_selection: Any = None,
    lower: bool = False,
) -> dict[str, Any]:
    """The ``dcc.Download`` payload of a table as CSV (raises DataError when there is none).

    ``lower``: the selection's specific genes are those lower in it (the choice by their
    table), said in the file's ``direction`` column and its name (``..._specific_genes_lower``).

    ``color``, ``gene_color``: the colourings of the sample map and the gene map, whose values
    the maps' CSV files hold.

    ``gene_selection`` (the ``gene-selection`` store): while a box or lasso on the gene map
    fills the gene tables, their files hold its genes and the terms enriched among them
    (:func:`gene_selection_download`), named by it rather than by the gene in focus.

    ``k``: the number of neighbours in the page's box. The neighbour and enrichment tables are
    then listed again for it: a number typed and not yet entered is entered by the click on
    the download, after the page has sent the table it showed (20 rows saved, 5 then shown).
    """
    genes = selected_genes(gene_selection)
    # (a box around no gene leaves the neighbourhood in the tables: its files are theirs)
    if which in (ids.EXPORT_NEIGHBORS_CSV, ids.EXPORT_ENRICHMENT_CSV) and genes:
        return gene_selection_download(context, which, genes, selection_source(gene_selection))
    if which in (ids.EXPORT_NEIGHBORS_CSV, ids.EXPORT_ENRICHMENT_CSV) and focus and k is not None:
        rows, terms, _ = neighbor_tables(context, focus, k)
        if rows:
            neighbors, enrichment = rows, terms
    if which == ids.EXPORT_NEIGHBORS_CSV:
        if not neighbors:
            raise DataError("no neighbour table yet: click a gene in gene space or search one")
        table = pd.DataFrame(neighbors)
        stem = file_stem(context, "neighbors", focus or "", f"k{len(table)}")
        if "go_terms" in table.columns and "symbol" in table.columns:
            # the page shows the first terms of each gene; the file holds all of them
            table["go_terms"] = context.go_terms_of(
                table["symbol"].astype(str).tolist(),
                max_terms=None,
                shared_with=context.gene_symbols[context.gene_index(focus)] if focus else None,
            )
        if "coexp" in table.columns and table["coexp"].isin(["yes", "no"]).any():
            # the r from which a pair is an edge, as the page's line says it (an r of 0.76
            # marked "no" read as a mistake without it)
            cut = context.coexp_cut(wait=0)
            if cut is not None and np.isfinite(cut):
                at = list(table.columns).index("coexp") + 1
                table.insert(at, "coexp_min_r", round(float(cut), 4))
        table = with_query(context, round_pairs(table), focus)
    elif which == ids.EXPORT_ENRICHMENT_CSV:
        if not neighbors:
            raise DataError("no neighbours yet: click a gene in gene space or search one")
        if not enrichment:
            raise DataError("no GO process is enriched among these neighbours: nothing to save")
        table = pd.DataFrame(enrichment)
        # the gene and the neighbours the terms are enriched in (k: their number; the list
        # tested holds the gene in focus too: genes_in_list, k + 1)
        query = neighbors_query(context, focus, len(neighbors))
        query["genes_in_list"] = len(neighbors) + 1
        for i, (name, value) in enumerate(query.items()):
            if name not in table.columns:
                table.insert(i, name, value)
        stem = file_stem(context, "go_enrichment", focus or "", f"k{len(neighbors)}")
    elif which == ids.EXPORT_SELECTION_CSV:
        rows = (selection or {}).get("rows") or []
        # named by its size, as the map's figure of a selection is (every selection's file was
        # "selection.csv": a second one became "selection (1).csv")
        table = context.selection_table(rows)
        # and by its majority label: two selections of 20 samples had one name
        stem = file_stem(context, selection_part(context, rows), part_chars=SELECTION_PART_CHARS)
        table = _with_source(context, table, len(rows))
    elif which == ids.EXPORT_SELECTION_GENES_CSV:
        rows = (selection or {}).get("rows") or []
        if not rows:
            raise DataError("the selection is empty: draw a lasso or box around some samples")
        if len(set(rows)) == 1:  # (a file of column names only, as the page lists none)
            raise DataError(
                "1 sample selected: genes are scored (Welch's t) from 2 selected samples on; "
                "select more to save its specific genes"
            )
        reference = reference_rows(context, selection)
        table = context.specific_genes(
            rows, top=SPECIFIC_SAVED, reference=reference or None, lower=lower
        )
        table = _with_source(context, round_specific_genes(table), len(rows))
        # what the selection is compared with: the page's heading says it, the file too, with
        # the reference's tissues as the page's line counts them ("reference group of 20
        # samples" did not say that the spleen was compared with the blood), and by the map's
        # colouring as the line does (the breast samples of men against those of women said
        # "(Breast 168)" alone: which sex the reference held was lost)
        at = list(table.columns).index("mean_selected") if "mean_selected" in table else 0
        left = sorted(set(reference) - set(rows))
        table.insert(
            at,
            "compared_with",
            f"reference group of {samples_text(len(left))}{group_counts(context, left, color)}"
            if reference
            else "all other samples",
        )
        # the genes higher in the selection, or lower, as the page's choice and heading say
        at = list(table.columns).index("compared_with")
        table.insert(at, "direction", SPECIFIC_LOWER if lower else SPECIFIC_HIGHER)
        # and the selection itself, counted as the line counts it (n_selected alone did not
        # say that the men's breast samples were compared with the women's)
        table.insert(
            at, "selection", f"{samples_text(len(set(rows)))}{group_counts(context, rows, color)}"
        )
        # the scale of the means, which the page's headers state (the file's columns said
        # nothing: log10(x+1) means read as TPM)
        at = list(table.columns).index("mean_selected") if "mean_selected" in table else 0
        table.insert(at, "value_scale", value_scale_text(context))
        # what the p says and does not (the page's header says it on hovering; the file too)
        at = list(table.columns).index("p_value") if "p_value" in table else len(table.columns)
        table.insert(at, "p_value_note", specific_p_help(lower))
        stem = file_stem(
            context,
            selection_part(context, rows),
            "specific_genes_vs_reference" if reference else "specific_genes",
            SPECIFIC_LOWER if lower else "",
            part_chars=SELECTION_PART_CHARS,
        )
    elif which == ids.EXPORT_SAMPLE_MAP_CSV:
        table, color = sample_map_table(context, color)
        stem = file_stem(context, "sample_map", colour_part(context, color))
    elif which == ids.EXPORT_GENE_MAP_CSV:
        table = gene_map_table(context, gene_color)
        stem = file_stem(context, "gene_space", gene_color or "type")
    else:
        raise DataError(f"unknown table {which!r}")
    if which not in (ids.EXPORT_SELECTION_CSV, ids.EXPORT_SAMPLE_MAP_CSV) and not has_gene_ids(
        context
    ):
        # data named by symbols alone: a gene_id column repeated the symbol (the page hides it)
        table = table.drop(columns=[c for c in GENE_ID_COLUMNS if c in table.columns])
    return dcc.send_data_frame(labelled_table(context, table).to_csv, f"{stem}.csv", index=False)


def gene_selection_stem(
    context: Any, symbols: list[str], part: str, source: str = MAP_SOURCE
) -> str:
    """File name of a table of genes listed in the gene tables from a selection: their number
    and their first symbols (``gene_selection-12_ACTC1-MYH6-MYH7_go_enrichment``;
    ``specific_genes-25_TNNI3-TNNT2-MYBPC3_genes`` for the genes specific to a sample
    selection, ``source``; ``specific_genes_lower-25_...`` for those lower in it, as the
    selection's own CSV is named), as a sample selection's files are named by their size and
    majority label."""
    kind = "gene_selection" if source == MAP_SOURCE else "specific_genes"
    if source.startswith(f"{LOWER_SOURCE} "):  # (the lower genes were named "specific")
        kind = f"{kind}_{SPECIFIC_LOWER}"
    first = "-".join(symbols[:GENE_SELECTION_NAMED])
    return file_stem(context, f"{kind}-{len(symbols)}", first, part)


#: Symbols of a gene selection named in its files' names (:func:`gene_selection_stem`).
GENE_SELECTION_NAMED = 3


def gene_selection_download(
    context: Any, which: str, genes: list[str], source: str = MAP_SOURCE
) -> dict[str, Any]:
    """The CSV file of the gene table or the enrichment table of genes selected on the gene
    map (``which``: ``export-neighbors-csv`` or ``export-enrichment-csv``), with the dataset,
    the model and what was selected on every row (raises DataError when there is none).

    ``source``: where the genes come from (:func:`gene_space.selection_source`); genes specific
    to a sample selection are said so in the ``query`` column and named ``specific_genes-25_...``.
    """
    rows, terms, _ = selection_tables(context, genes, source)
    on_map = source == MAP_SOURCE
    if not rows:
        raise DataError(
            f"no gene table for this selection ({len(genes):,} genes on the gene map; 1 to "
            f"{MAX_SELECTED_GENES} are listed): draw another box or lasso"
            if on_map
            else f"no gene table: no gene {source} is on the gene map"
        )
    symbols = [str(r["symbol"]) for r in rows]
    model = neighbors_query(context, None, len(rows))
    query = {
        "query": f"{len(rows)} gene{'' if len(rows) == 1 else 's'} {source}",
        "dataset": model["dataset"],
        "model": model["model"],
    }
    if which == ids.EXPORT_NEIGHBORS_CSV:
        table = pd.DataFrame(rows).drop(columns=["rank", "distance"])
        table["go_terms"] = context.go_terms_of(symbols, max_terms=None)
        part = "genes"
    else:
        if not terms:
            raise DataError("no GO process is enriched among the selected genes: nothing to save")
        table = pd.DataFrame(terms)
        query["genes_in_list"] = len(rows)
        part = "go_enrichment"
    stem = gene_selection_stem(context, symbols, part, source)
    for i, (name, value) in enumerate(query.items()):
        table.insert(i, name, value)
    if not has_gene_ids(context):
        table = table.drop(columns=[c for c in GENE_ID_COLUMNS if c in table.columns])
    return dcc.send_data_frame(labelled_table(context, table).to_csv, f"{stem}.csv", index=False)


#: The parts of a link (:func:`view_query`); any other is said, and ignored.
LINK_PARAMS = (
    *("data", "ds", "m", "color", "gene", "sel", "gcolor", "k", "clip", "zoom", "gzoom"),
    "ref",  # the reference group the selection is compared with (selection.LINK_REFERENCE)
    "gsel",  # the genes of a selection on the gene map (gene_space.link_gene_param)
    "gsrc",  # sel: they are the genes specific to the link's sample selection
    "dir",  # lower: the genes lower in the selection are listed (selection.LINK_DIRECTION)
    "labelled",  # the share of labelled samples of the baseline maps' 1-NN accuracy
    "perclass",  # 1: that share of each class (baselines.PER_CLASS_PARAM)
)
#: Parts that mail, chat and web tools add to links (utm_source, fbclid, gclid): ignored unsaid.
_TRACKING = re.compile(r"(utm_\w*|\w*clid|mc_[ce]id|_ga|_gl)$", re.IGNORECASE)

#: The colour scale's clip percentiles when the link says none.
DEFAULT_CLIP = (1.0, 99.0)


def view_query(
    color: str | None,
    focus: str | None,
    selection: dict | None,
    gene_color: str | None,
    dataset: str | None = None,
    k: Any = None,
    clip: Any = None,
    default_k: int | None = None,
    zoom: dict[str, dict[str, Any]] | None = None,
    left_out: list[str] | None = None,
    model: str | None = None,
    simulated: bool = False,
    labelled: Any = None,
    default_labelled: float | None = None,
    per_class: Any = None,
    gene_selection: Any = None,
    lower: bool = False,
) -> str:
    """Query string that reproduces the view (dataset, colour, gene, selection and the
    reference group it is compared with (``ref``), the genes lower in it listed rather than
    the higher ones (``dir=lower``, ``lower``), gene colouring,
    number of neighbours ``k``, the colour scale's ``clip`` percentiles, each map's zoom, and the
    genes the gene tables list in place of a neighbourhood).

    ``dataset`` is the dataset fingerprint: a link opened on another dataset says so;
    ``model`` the model's key (its first 12 characters), for a link opened on another model of
    the same data (another seed draws another map; said by ``sample_map.sync_focus``).
    ``simulated``: the link starts ``?data=SIMULATED`` (read alone, pasted in a mail or opened
    on a server of real data, it says what it shows). ``k`` is left out when it is
    ``default_k``, ``clip`` when it is 1-99 (the page's defaults).
    ``zoom``: by map (``sample-map``, ``gene-map``), its axis ranges (:func:`figure_zoom`):
    ``zoom=x0,x1,y0,y1`` and ``gzoom=...``.
    ``labelled``: the share of labelled samples of the baseline maps' 1-NN accuracy, left out
    when it is ``default_labelled``; ``per_class`` (the per-class checklist's value): that
    share drawn of each class, ``perclass=1`` (left out when off, as links made before it).
    ``gene_selection``: the ``gene-selection`` store, ``gsel=MYH7,MYL2,...`` (and ``gsrc``,
    :func:`dashboard.gene_space.link_gene_param`).

    The query stays within :data:`MAX_URL_QUERY_CHARS`: the longest of the selection, the
    colouring (a list of genes) and the gene selection is left out until it does; what is left
    out is named in ``left_out`` (a list the caller gives).
    """
    q: dict[str, str] = {}
    if simulated:
        q["data"] = "SIMULATED"
    if dataset:
        q["ds"] = dataset
    if model:
        q["m"] = str(model)[:12]
    if color:
        q["color"] = color
    if focus:
        q["gene"] = focus
    rows = (selection or {}).get("rows") or []
    if rows:
        q["sel"] = encode_rows(rows)
    reference = (selection or {}).get("reference") or []
    if reference:
        q["ref"] = encode_rows(reference)
    if lower:
        q[LINK_DIRECTION] = SPECIFIC_LOWER
    if gene_color and gene_color != "type":
        q["gcolor"] = gene_color
    q.update(link_gene_param(gene_selection))
    try:
        if k is not None and int(k) != default_k and float(k) == int(k):
            q["k"] = str(int(k))
    except (TypeError, ValueError, OverflowError):
        pass
    try:
        lo, hi = float(clip[0]), float(clip[1])
        if (lo, hi) != DEFAULT_CLIP:
            q["clip"] = f"{lo:g}-{hi:g}"
    except (TypeError, ValueError, IndexError):
        pass
    try:
        if labelled is not None and abs(float(labelled) - float(default_labelled or 0)) > 1e-9:
            q["labelled"] = f"{float(labelled):g}"
    except (TypeError, ValueError):
        pass
    if is_per_class(per_class):
        q["perclass"] = "1"
    for which, param in ZOOM_PARAMS.items():
        text = encode_zoom((zoom or {}).get(which))
        if text:
            q[param] = text

    def query() -> str:
        return "?" + urlencode(q, safe=":,.-*()") if q else ""

    n_genes = len(q["gsel"].split(",")) if "gsel" in q else 0
    what = {
        "sel": f"the selection ({len(rows):,} samples)",
        "ref": f"the reference group ({len(reference):,} samples)",
        "color": "the colouring",
        "gsel": f"the gene selection ({n_genes:,} genes)",
    }
    while len(query()) > MAX_URL_QUERY_CHARS:
        longest = max((p for p in what if p in q), key=lambda p: len(q[p]), default=None)
        if longest is None:
            break
        del q[longest]
        if longest == "gsel":
            q.pop("gsrc", None)
        if left_out is not None:
            left_out.append(what[longest])
    return query()


def view_settings(
    context: Any,
    url_search: str | None,
    placed: list[dict[str, Any]] | None = None,
    shown: tuple[Any, Any] | None = None,
) -> tuple[Any, Any, Any]:
    """The number of neighbours and the clip percentiles a link holds (``?k=30&clip=5-95``);
    a gene colouring the page cannot show (``gcolor``, see
    :func:`dashboard.gene_space.link_gene_color`) is said here too. ``placed``: the samples
    placed on the sample map, which a link's zoom may show alone. ``shown``: the k and clip
    the page shows; where the link leaves one out (its default) and the page shows another,
    the default comes back (Back to a view before k was changed kept the new k, and wrote it
    into that view's address).

    Returns
    -------
    (neighbours-k value, clip-percentiles value, alert); ``no_update`` for what the link does
    not set, and an alert naming what it sets wrongly (the page's default is kept).
    """
    from dashboard.gene_neighbours import MAX_K
    from dashboard.gene_space import link_gene_color, link_gene_problem
    from dashboard.layout import alert
    from dashboard.sample_map import parse_query

    q = parse_query(url_search)
    k, clip, problems = no_update, no_update, []
    shown_k, shown_clip = shown or (None, None)
    default_k = context.config.n_neighbors
    if "k" not in q and shown_k is not None and shown_k != default_k:
        k = default_k
    if "clip" not in q and shown_clip is not None and tuple(shown_clip) != DEFAULT_CLIP:
        clip = list(DEFAULT_CLIP)
    problem = link_gene_color(context, url_search)[1]
    if problem:
        problems.append(f"{problem}; the gene map is coloured by gene type")
    problem = link_gene_problem(context, url_search)
    if problem:
        problems.append(problem)
    problem = link_direction_problem(url_search)
    if problem:
        problems.append(problem)
    if "k" in q:
        try:
            k = int(q["k"])
            if not 1 <= k <= MAX_K:
                raise ValueError
        except ValueError:
            k = no_update
            problems.append(
                f"k={quoted(q['k'])} is not a number of neighbours from 1 to {MAX_K}; the page's "
                "default is used"
            )
    if "clip" in q:
        try:
            lo, hi = (float(v) for v in q["clip"].split("-", 1))
            if not 0 <= lo < hi <= 100:
                raise ValueError
            clip = [lo, hi]
        except ValueError:
            problems.append(
                f"clip={quoted(q['clip'])} is not a pair of percentiles such as 5-95 (low-high, "
                "0-100); the page's default is used"
            )
    for which, param in ZOOM_PARAMS.items():
        if param in q:
            try:
                ranges = parse_zoom(q[param])
            except ValueError as exc:
                problems.append(f"{param}={quoted(q[param])} {exc}; the map is shown whole")
                continue
            if zoom_is_empty(context, which, ranges, placed):
                points = "sample" if which == ids.SAMPLE_MAP else "gene"
                problems.append(
                    f"{param}={quoted(q[param])} shows no {points} of the map (a link made on "
                    "another model?); the map is shown whole"
                )
    # (the tracking parts that mail and chat add to a link, utm_source, fbclid, are no mistake)
    unknown = [p for p in q if p not in LINK_PARAMS and not _TRACKING.match(p)]
    if unknown:
        shown = ", ".join(quoted(p) for p in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        problems.append(
            f"{shown}{more} {'is' if len(unknown) == 1 else 'are'} not part of the page's links, "
            "ignored (a link holds color, gene, sel, ref, dir, gcolor, gsel, gsrc, k, clip, zoom, "
            "gzoom, labelled and perclass)"
        )
    if not problems:
        return k, clip, None
    # each problem says what the page does instead (a zoom that makes no sense was said to be
    # "shown whole; the page's default is used", two conclusions)
    return k, clip, alert(f"link: {'; '.join(problems)}", "warning")


def register_callbacks(app: Any) -> None:
    context = app.fe_context

    app.callback(
        Output(alert_id("export"), "children", allow_duplicate=True),
        Input(ids.BASELINES_TABLE, "data"),
        State(alert_id("export"), "children"),
        prevent_initial_call=True,
    )(stale_export_alert)

    @app.callback(
        Output(ids.EXPORT_DOWNLOAD, "data"),
        Output(alert_id("export"), "children"),
        Input(ids.EXPORT_BUTTON, "n_clicks"),
        State(ids.EXPORT_FIGURE, "value"),
        State(ids.EXPORT_FORMAT, "value"),
        State(ids.EXPORT_SIZE, "value"),
        State(ids.COLOR_BY, "value"),
        State(ids.CLIP, "value"),
        State(ids.FOCUS_GENE, "data"),
        State(ids.GENE_COLOR, "value"),
        State(ids.NEIGHBORS_K, "value"),
        State(ids.SELECTION_GENES_STORE, "data"),
        State(ids.PLACED, "data"),
        State(ids.SELECTION, "data"),
        State(ids.MAP_ZOOM, "data"),
        State(ids.URL, "search"),
        # each map's last zoom event, for a zoom the store has not been answered yet
        State(ids.SAMPLE_MAP, "relayoutData"),
        State(ids.GENE_MAP, "relayoutData"),
        State(ids.BASELINES_SHARE, "value"),
        State(ids.BASELINES_PER_CLASS, "value"),
        State(ids.SPECIFIC_DIRECTION, "value"),
        # the first export starts a Chromium (seconds): the button says it is working
        running=[
            (Output(ids.EXPORT_BUTTON, "disabled"), True, False),
            (Output(ids.EXPORT_BUTTON, "children"), "Exporting…", "Export figure"),
        ],
        prevent_initial_call=True,
    )
    def export(
        n,
        which,
        fmt,
        size,
        color,
        clip,
        focus,
        gene_color,
        k,
        selection_genes,
        placed,
        selection,
        zoom,
        url_search,
        sample_relayout,
        gene_relayout,
        labelled,
        per_class,
        direction,
    ):
        if not n:
            return no_update, None
        st = context.loaded_state()
        zoom = zoom_with_last_events(
            zoom,
            {ids.SAMPLE_MAP: sample_relayout, ids.GENE_MAP: gene_relayout},
            st.key if st is not None else None,
            url_search,
            context,
        )
        view = dict(
            color=color,
            clip=clip,
            focus=focus,
            gene_color=gene_color,
            k=k,
            selection_genes=selection_genes,
            placed=placed,
            selection=(selection or {}).get("rows"),
            reference=(selection or {}).get("reference"),
            zoom=zoom,
            url_search=url_search,
            labelled=labelled,
            per_class=per_class,
            lower=is_lower(direction),
        )
        return export_view(context, which, fmt, size, view)

    # the zoom of each map, kept for figure exports (tables and CSV files hold everything)
    @app.callback(
        Output(ids.MAP_ZOOM, "data"),
        Input(ids.SAMPLE_MAP, "relayoutData"),
        Input(ids.GENE_MAP, "relayoutData"),
        State(ids.MAP_ZOOM, "data"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def remember_zoom(sample_relayout, gene_relayout, zoom, url_search):
        which = ctx.triggered_id
        relayout = sample_relayout if which == ids.SAMPLE_MAP else gene_relayout
        st = context.loaded_state()
        key = st.key if st is not None else None
        return merge_zoom(zoom, which, relayout, key, url_search, context)

    @app.callback(
        Output(ids.EXPORT_CSV_DOWNLOAD, "data"),
        Output(alert_id("csv"), "children"),
        Input(ids.EXPORT_NEIGHBORS_CSV, "n_clicks"),
        Input(ids.EXPORT_SELECTION_CSV, "n_clicks"),
        Input(ids.EXPORT_SELECTION_GENES_CSV, "n_clicks"),
        Input(ids.EXPORT_ENRICHMENT_CSV, "n_clicks"),
        Input(ids.EXPORT_SAMPLE_MAP_CSV, "n_clicks"),
        Input(ids.EXPORT_GENE_MAP_CSV, "n_clicks"),
        State(ids.GENE_NEIGHBORS, "data"),
        State(ids.SELECTION, "data"),
        State(ids.FOCUS_GENE, "data"),
        State(ids.GENE_ENRICHMENT, "data"),
        State(ids.NEIGHBORS_K, "value"),
        State(ids.COLOR_BY, "value"),
        State(ids.GENE_COLOR, "value"),
        State(ids.GENE_SELECTION, "data"),
        State(ids.SPECIFIC_DIRECTION, "value"),
        prevent_initial_call=True,
    )
    def export_csv(
        _a,
        _b,
        _c,
        _d,
        _e,
        _f,
        neighbors,
        selection,
        focus,
        enrichment,
        k,
        color,
        gene_color,
        gene_selection,
        direction,
    ):
        if not ctx.triggered or not ctx.triggered[0].get("value"):
            return no_update, None
        which = ctx.triggered_id
        tables = (neighbors, selection, focus, enrichment, k)
        try:
            out = csv_download(
                context,
                which,
                *tables,
                color=color,
                gene_color=gene_color,
                gene_selection=gene_selection,
                lower=is_lower(direction),
            )
            return out, None
        except CoreError as exc:
            return no_update, html.Div(str(exc), className="alert alert-error")

    @app.callback(
        Output(ids.SHARE_LINK, "href"),
        Output(ids.SHARE_NOTE, "children"),
        Input(ids.COLOR_BY, "value"),
        Input(ids.FOCUS_GENE, "data"),
        Input(ids.SELECTION, "data"),
        Input(ids.GENE_COLOR, "value"),
        Input(ids.NEIGHBORS_K, "value"),
        Input(ids.CLIP, "value"),
        Input(ids.MAP_ZOOM, "data"),
        Input(ids.PLACED, "data"),
        Input(ids.BASELINES_SHARE, "value"),
        Input(ids.BASELINES_PER_CLASS, "value"),
        Input(ids.GENE_SELECTION, "data"),
        Input(ids.SPECIFIC_DIRECTION, "value"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def share(
        color,
        focus,
        selection,
        gene_color,
        k,
        clip,
        zoom,
        placed,
        labelled,
        per_class,
        gene_selection,
        direction,
        url_search,
    ):
        left_out: list[str] = []
        st = context.loaded_state()
        if isinstance(selection, dict) and selection.get("reference"):
            # the reference group the page compares with: rows of another dataset (a page left
            # open while the server restarted) left out, as the line leaves them out; the link
            # held them, and opening it refused the whole selection
            selection = {**selection, "reference": reference_rows(context, selection)}
        query = view_query(
            color,
            focus,
            selection,
            gene_color,
            context.fingerprint,
            model=st.key if st is not None else None,
            k=k,
            clip=clip,
            default_k=context.config.n_neighbors,
            zoom={w: figure_zoom(context, zoom, w, url_search, placed) for w in ZOOMABLE},
            left_out=left_out,
            simulated=context.simulated,
            labelled=labelled,
            default_labelled=context.default_accuracy_fraction(),
            per_class=per_class,
            gene_selection=gene_selection,
            lower=is_lower(direction),
        )
        return query or "?", share_link_note(left_out, len(placed or []))

    # the number of neighbours and the clip range of a link (the rest: sample_map.sync_focus)
    @app.callback(
        Output(ids.NEIGHBORS_K, "value"),
        Output(ids.CLIP, "value"),
        Output(alert_id("view"), "children"),
        Input(ids.URL, "search"),
        State(ids.PLACED, "data"),
        State(ids.NEIGHBORS_K, "value"),
        State(ids.CLIP, "value"),
    )
    def restore_settings(url_search, placed, k, clip):
        return view_settings(context, url_search, placed, shown=(k, clip))

    # keep the address bar in step with the view, without reloading or re-triggering dcc.Location:
    # a new view the user chose adds a step to the browser's history (Back returns to the view
    # before), a zoom or the page's own change replaces the address (assets/history.js)
    app.clientside_callback(
        "function(href) { return window.dash_clientside.fe_history.follow(href); }",
        Output(ids.SHARE_LINK, "title"),
        Input(ids.SHARE_LINK, "href"),
        prevent_initial_call=True,
    )

    # the copy button copies the address bar, which holds the view
    app.clientside_callback(
        "function(n) { return window.location.href; }",
        Output(ids.SHARE_COPY, "content"),
        Input(ids.SHARE_COPY, "n_clicks"),
        prevent_initial_call=True,
    )
