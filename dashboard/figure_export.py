"""Figures fit for a file: the publication sizes, a copy of a figure with vector traces and no
probe grid (:func:`for_export`), its title broken for the width, a legend that shows every
entry (beside or under the plot), the dataset named under the title, and the plot area of an
exported map (for the spacing of its labels).
"""

from __future__ import annotations

import math
import re
from typing import Any

import plotly.graph_objects as go

from dashboard.figure_style import wrap_title

#: Publication sizes for the server-side export: name -> (width px, height px, scale). The
#: journal sizes' width times scale is 300 dpi at their width in mm (85 mm: 1,004 pixels; 180
#: mm: 2,126), their text set at print size (:data:`PRINT_TEXT_PT`). A legend that does not fit
#: beside the plot goes under it and the file grows taller (:func:`fit_legend`).
EXPORT_SIZES: dict[str, tuple[int, int, float]] = {
    "screen": (1000, 700, 1.0),
    "single column (85 mm, 300 dpi)": (502, 400, 2.0),
    "double column (180 mm, 300 dpi)": (1063, 700, 2.0),
    "slide 16:9": (1280, 720, 1.5),
}

#: The sizes of a journal's columns: their width is fixed, their height may grow (a legend under
#: the plot) up to the text area of a page, :data:`JOURNAL_PAGE_MM` tall.
JOURNAL_SIZES = ("single column (85 mm, 300 dpi)", "double column (180 mm, 300 dpi)")
JOURNAL_PAGE_MM = 230.0

#: The width (mm) that the files of a size state: a PNG's dots per inch, an SVG's and a PDF's
#: page size. A 16:9 slide is 13.333 inches wide (the usual presentation page); the screen size
#: states none.
EXPORT_WIDTH_MM: dict[str, float] = {
    "single column (85 mm, 300 dpi)": 85.0,
    "double column (180 mm, 300 dpi)": 180.0,
    "slide 16:9": 13.333 * 25.4,
}


#: Text of the journal sizes at print size, in points on the page: the smallest text (the axes'
#: numbers and titles, the legend, the colour bar, labels, the dataset line) and the title. Laid
#: out with the screen's fonts, a column's 12 pixels were 5.8 pt and its legend 4.8 pt.
PRINT_TEXT_PT = {"text": 7.0, "title": 9.0}
#: Millimetres in a point.
POINT_MM = 25.4 / 72


def print_text_px(size: str) -> tuple[float, float] | None:
    """The (smallest text, title) fonts in pixels of ``size``'s layout that are
    :data:`PRINT_TEXT_PT` on its page (rounded up to a tenth of a pixel), or None for a size
    whose text keeps the screen's fonts (the screen and the slide)."""
    if size not in JOURNAL_SIZES:
        return None
    px_per_mm = EXPORT_SIZES[size][0] / EXPORT_WIDTH_MM[size]
    return tuple(  # type: ignore[return-value]
        math.ceil(PRINT_TEXT_PT[k] * POINT_MM * px_per_mm * 10) / 10 for k in ("text", "title")
    )


#: A font size written in a text's own style (``<span style='font-size:11px'>``).
_SPAN_FONT = re.compile(r"(font-size:\s*)([\d.]+)(px)")


#: plotly draws a ``<sup>`` or ``<sub>`` at this share of its text's font.
SUP_SCALE = 0.7
#: A ``<sup>`` or ``<sub>`` (a measure under a panel's name, the clipping under a colour bar's
#: title).
_SUP = re.compile(r"<(sup|sub)>(.*?)</\1>", re.IGNORECASE | re.DOTALL)


def _raise_fonts(node: Any, smallest: float, page: float) -> None:
    """Every font of ``node`` (a figure's or a trace's dict, walked) at least ``smallest`` pixels
    (in place): the sizes of its ``...font`` dicts, those written in its texts' styles, and its
    texts' ``<sup>`` and ``<sub>`` (plotly's 70% of the text's font, ``page`` where a dict sets
    none) set in ``smallest`` where they were smaller."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict):
                size = value.get("size")
                if key.endswith("font") and isinstance(size, (int, float)) and size < smallest:
                    value["size"] = smallest
                _raise_fonts(value, smallest, page)
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                _raise_fonts(value, smallest, page)  # annotations, shapes (not a trace's values)
        font = node.get("font")
        size = font.get("size") if isinstance(font, dict) else None
        small = SUP_SCALE * float(size if isinstance(size, (int, float)) else page) < smallest
        for key, value in node.items():
            if isinstance(value, str):
                value = _SPAN_FONT.sub(
                    lambda m: f"{m[1]}{max(float(m[2]), smallest):g}{m[3]}", value
                )
                if small:
                    value = _SUP.sub(f"<span style='font-size:{smallest:g}px'>\\2</span>", value)
                node[key] = value
    elif isinstance(node, list):
        for item in node:
            _raise_fonts(item, smallest, page)


def print_fonts(
    data: list[dict[str, Any]], layout: dict[str, Any], smallest: float, title: float
) -> None:
    """Set the text of a figure (its traces' and layout's dicts, in place) at print size: every
    font at least ``smallest`` pixels (those left to plotly's defaults follow the page's font),
    the title ``title`` with the room its lines take at the top."""
    font = layout.setdefault("font", {})
    page = float(font.get("size") or 12)
    font["size"] = max(page, smallest)
    for trace in data:
        _raise_fonts(trace, smallest, font["size"])
    _raise_fonts(layout, smallest, font["size"])
    head = layout.get("title") or {}
    text = head.get("text") if isinstance(head, dict) else None
    if not text:
        return
    head.setdefault("font", {})
    was = float(head["font"].get("size") or 1.2 * page)  # (plotly's default: 1.2 fonts)
    if was >= title:
        return
    head["font"]["size"] = title
    lines = len(re.split(_BREAK, str(text), flags=re.IGNORECASE))
    top = layout.get("margin", {}).get("t")
    layout.setdefault("margin", {})["t"] = int(
        (top if top is not None else 80) + math.ceil(1.25 * (title - was) * lines)
    )


#: Pixels between an exported figure's x axis and its numbers (plotly's default: 0 and a few).
X_TICK_STANDOFF = 6


def for_export(
    fig: go.Figure,
    width: int,
    height: int,
    max_height: int | None = None,
    legend_below: bool = False,
    dataset: str | None = None,
    text: tuple[float, float] | None = None,
) -> go.Figure:
    """A copy of ``fig`` fit for a file: vector traces, no probe grid, fixed size, and a legend
    that shows every entry (:func:`fit_legend`, which grows the figure up to ``max_height`` for
    a legend under the plot; on screen a long legend scrolls, in a file it would be cut).
    ``dataset``: the line naming the data under the title (:func:`name_dataset`), set before
    the legend is fitted (set after, it took the legend's room: a map of 26 tissues with a
    selection and a reference group lost its last entry). ``text``: the (smallest, title)
    fonts in pixels of a size laid out for print (:func:`print_text_px`, :func:`print_fonts`),
    applied before the title, the dataset line and the legend are fitted; None: the figure's
    own."""
    data = []
    for tr in fig.data:
        if tr.name == "probe grid":
            continue
        d = tr.to_plotly_json()  # (a copy: built into the figure once, not copied thrice)
        if isinstance(tr, go.Scattergl):
            d["type"] = "scatter"
        data.append(d)
    layout = fig.layout
    if text:
        layout = fig.layout.to_plotly_json()  # (a copy)
        print_fonts(data, layout, *text)
    out = go.Figure(data=data, layout=layout)
    out.update_layout(width=width, height=height, uirevision=None, dragmode=False)
    out.layout.legend.maxheight = None  # the page's (fit_page_legend): a file fits its own
    # the x axis' numbers a little further down: at the corner of a zoomed map the first of
    # each axis (both "−1") were drawn over each other
    out.for_each_xaxis(lambda axis: axis.update(ticklabelstandoff=X_TICK_STANDOFF))
    fit_title(out, width)
    smallest = text[0] if text else 0.0
    name_dataset(out, dataset or "", smallest)
    fit_legend(out, height, max_height, below=legend_below, smallest=smallest)
    return out


#: A tag of plotly's HTML subset (``<b>``, ``</sup>``, ``<span style='...'>``, ``<br />``); a
#: ``<`` that starts none (``p < 0.05``) is text.
_TAG = r"</?[A-Za-z][^<>]*>"
#: A line break as plotly reads it (``<br>``, ``<br/>``, ``<BR />``).
_BREAK = r"<br\s*/?>"


def _visible_length(html_text: str) -> int:
    """Characters of ``html_text`` as drawn (tags left out, an entity one character)."""
    import re

    return len(re.sub(r"&[a-zA-Z#0-9]+;", "x", re.sub(_TAG, "", html_text)))


def fit_title(fig: go.Figure, width: int) -> None:
    """Break a title too long for ``width`` pixels into lines at spaces (not inside its tags),
    with the top margin the lines need (in place): a file's title was cut at its right edge."""
    import re

    text = fig.layout.title.text
    if not text:
        return
    size = float(fig.layout.title.font.size or fig.layout.font.size or 12)
    chars = max(int((width - 30) / (0.55 * size)), 12)
    parts = re.split(_BREAK, str(text), flags=re.IGNORECASE)  # lines the title already has
    lines: list[str] = []
    for part in parts:
        words = re.findall(rf"(?:{_TAG}|[^\s<]|<)+", part)  # a word keeps its tags whole
        line: list[str] = []
        prefix = ""  # the tags still open where the line before was broken, reopened
        opened: list[str] = []
        for word in words:
            if line and _visible_length(" ".join([*line, word])) > chars:
                names = [re.match(r"</?([A-Za-z]\w*)", t).group(1) for t in opened]
                lines.append(prefix + " ".join(line) + "".join(f"</{n}>" for n in names[::-1]))
                prefix, line = "".join(opened), []
            line.append(word)
            for tag in re.findall(_TAG, word):
                if tag.startswith("</"):
                    opened = opened[:-1]
                elif not tag.endswith("/>"):
                    opened.append(tag)
        lines.append(prefix + " ".join(line))
    if len(lines) == len(parts):
        return  # every line fits
    top = fig.layout.margin.t if fig.layout.margin.t is not None else 80
    fig.update_layout(
        title_text="<br>".join(lines),
        margin_t=int(top + (len(lines) - len(parts)) * 1.25 * size),
    )


def export_plot_area(fig: go.Figure) -> dict[str, float]:
    """The plot area ``{"width", "height"}`` (pixels) of an exported figure (after
    :func:`for_export`, which fixes its size and legend): its size less the margins and, for a
    legend beside the plot, an estimate of the legend's width (the font's average character
    width times the longest entry, and the symbol). For :func:`plot_area`, so that the labels of
    a file are spaced for the file, not for the page."""
    layout = fig.layout
    margin = layout.margin

    def edge(value: Any) -> float:
        return float(value) if value is not None else 80.0  # plotly's default margin

    width = float(layout.width or 700) - edge(margin.l) - edge(margin.r)
    height = float(layout.height or 450) - edge(margin.t) - edge(margin.b)
    names = [str(tr.name) for tr in fig.data if tr.showlegend is not False and tr.name]
    if layout.showlegend is not False and names and legend_in_columns(layout):
        entry = float(layout.legend.entrywidth or 0) + _LEGEND_SYMBOL + _LEGEND_ENTRY_GAP
        per_row = _per_row(fig, float(layout.width or 700) / 2, entry)
        width -= min(per_row, len(names)) * entry
        width /= 1.02
    elif layout.showlegend is not False and names and layout.legend.orientation != "h":
        font = float(layout.legend.font.size or layout.font.size or 12)
        title = str(layout.legend.title.text or "")
        longest = max(len(line) for n in [*names, title] for line in n.split("<br>"))
        width -= 0.55 * font * longest + _LEGEND_SYMBOL
        width /= 1.02  # the legend starts at x = 1.02 of the plot's width
    # a little under the area drawn (axis labels take some room): on this project's exports,
    # 7 px narrower and 1 px lower than plotly draws them (checked in the SVG files), the x
    # axis' numbers set apart by X_TICK_STANDOFF; numbers and a title larger than the screen's
    # 12 and 14 pixels (a journal size's print text) take as much more (at 85 mm, the plot
    # area was counted 4 pixels taller than drawn)
    font = float(layout.font.size or 12)
    grown = float(layout.xaxis.tickfont.size or font) - 12.0
    if layout.xaxis.title.text:
        grown += float(layout.xaxis.title.font.size or round(1.2 * font)) - 14.0
    return {"width": width - 10.0, "height": height - 12.0 - X_TICK_STANDOFF - max(grown, 0.0)}


def name_dataset(fig: go.Figure, text: str, smallest: float = 0.0) -> go.Figure:
    """Say which data a figure shows, under its title (a figure file travels without the page
    that named the dataset), in a font of at least ``smallest`` pixels; returns ``fig``."""
    if not text:
        return fig
    top = fig.layout.margin.t if fig.layout.margin.t is not None else 40
    size = max(11 if fig.layout.title.text else 12, smallest)
    # broken into lines for the figure's width: on an 85 mm file the model's key was cut off
    text = wrap_title(text, max(int(((fig.layout.width or 1000) - 30) / (0.55 * size)), 12))
    extra = int(round(1.3 * size * text.count("<br>")))
    if fig.layout.title.text:
        fig.update_layout(
            title_subtitle=dict(text=text, font=dict(size=size, color="#555")),
            margin_t=top + round(18 * size / 11) + extra,  # (18 for 11 pixels)
        )
    else:  # subplot titles only (baseline maps): the dataset line is the title
        fig.update_layout(
            title=dict(text=text, x=0.01, xanchor="left", y=0.99, yanchor="top", font_size=size),
            margin_t=top + round(2 * size) + extra,
        )
    return fig


def add_title_line(fig: go.Figure, text: str) -> go.Figure:
    """A line added under ``fig``'s title, with the room it takes at the top (in place): added
    alone, it lay over the dataset line and the highest tick."""
    size = float(fig.layout.title.font.size or fig.layout.font.size or 12)
    top = fig.layout.margin.t if fig.layout.margin.t is not None else 80
    fig.update_layout(
        title_text=f"{fig.layout.title.text or ''}<br>{text}",
        margin_t=int(top + 1.25 * size),
    )
    return fig


#: Height of a legend entry beyond its font size (pixels; plotly draws 19 for a font of 10).
_LEGEND_ENTRY_PAD = 9
#: Width of a legend entry's symbol and gaps (px).
_LEGEND_SYMBOL = 40


def _row_px(font: float, lines: int) -> float:
    """Height (pixels) of a row of a horizontal legend whose tallest entry has ``lines`` lines
    of text of ``font`` pixels, as plotly draws it (a line 1.3 fonts tall, at least 16 pixels,
    and 3 more): 19 for one line of 10 pixels, 29 for two (counted as 38, a legend of GTEx's
    detailed tissues under an 85 mm map left a band of 150 pixels above it)."""
    return max(1.3 * font * lines, 16.0) + 3.0


def _title_px(layout: go.Layout) -> float:
    """Height (pixels) of a horizontal legend's title above its entries and of its padding
    (10 pixels): a line 1.3 of the title's font tall."""
    title = str(layout.legend.title.text or "")
    if not title:
        return 10.0
    font = float(layout.legend.title.font.size or layout.font.size or 12)
    return 1.3 * font * (title.count("<br>") + 1) + 10.0


#: Pixels plotly leaves between two entries of a row of a horizontal legend.
_LEGEND_ENTRY_GAP = 5


#: Characters of an axis' widest number that :func:`_plot_width` allows for (``−10``).
_TICK_CHARS = 3


def _plot_width(layout: go.Layout, width: float) -> float:
    """The width of ``layout``'s plot area as plotly draws it: the figure's less its margins,
    which plotly widens (automargin, on in the default template) to hold the y axis' numbers
    and title on the left and half the x axis' last number on the right. The sample map's left
    margin of 40 was drawn as 56, its plot area 436 pixels wide at 85 mm where 452 were
    counted: its legend's 26 entries of 13 characters took 7 rows of four, drawn as 9 of three,
    and plotly took the rows missing from the map (250 pixels tall instead of 288). A number is
    0.6 of its font wide a character and 12 pixels from the axis' title, a title 1.6 of its font
    tall with its gap (plotly's default: 1.2 times the page's font)."""
    font = layout.font.size or 12
    left = layout.margin.l if layout.margin.l is not None else 80
    right = layout.margin.r if layout.margin.r is not None else 80
    y, x = layout.yaxis, layout.xaxis
    if y.automargin is not False and y.visible is not False:
        room = 0.0
        if y.showticklabels is not False:
            room += 0.6 * (y.tickfont.size or font) * _TICK_CHARS + 12
        if y.title.text:
            room += 1.6 * (y.title.font.size or round(1.2 * font))
        left = max(left, room)
    if x.automargin is not False and x.visible is not False and x.showticklabels is not False:
        right = max(right, 0.3 * (x.tickfont.size or font) * _TICK_CHARS + 4)
    return width - left - right


def _per_row(fig: go.Figure, room: float, entry: float) -> int:
    """Entries of ``entry`` pixels that plotly puts in a row of a horizontal legend ``room``
    pixels wide: plotly's test for a new row (by groups when :func:`_grouped_legend`, the
    sample and baseline maps' legends, a group per category: the most n with n * entry <=
    room, one more fitted where n * entry exceeds it by less than the gap; else the most n
    with n * entry - gap < room)."""
    if _grouped_legend(fig):
        return max(1, int(room // entry))
    return max(1, math.ceil((room + _LEGEND_ENTRY_GAP) / entry) - 1)


def _two_per_row(fig: go.Figure, plot_w: float, font: float, longest: int) -> bool:
    """Break the legend entries of ``fig`` (its traces' names, in place) into lines short
    enough for two entries in a row of ``plot_w`` pixels at ``font`` pixels, when their lines of
    ``longest`` characters leave room for one only (a journal size's print font); whether any
    was broken."""
    entry = int(0.5 * font * longest) + _LEGEND_SYMBOL + _LEGEND_ENTRY_GAP
    if _per_row(fig, plot_w, entry) > 1:
        return False
    chars = int((plot_w / 2 - _LEGEND_SYMBOL - _LEGEND_ENTRY_GAP) / (0.5 * font)) - 1
    if chars < 12:  # (broken that short, an entry would take more lines than it saves)
        return False
    broken = False
    for trace in fig.data:
        name = str(trace.name or "")
        if trace.showlegend is not False and name and longest > chars:
            trace.name = wrap_title(" ".join(name.split("<br>")), chars)
            broken = broken or trace.name != name
    return broken


def _rows_legend(
    font: int, text: int, ref: str, x: float, y: float, yanchor: str
) -> dict[str, Any]:
    """A horizontal legend of entries ``text`` pixels wide in ``font``, its left at ``x`` and
    its ``yanchor`` at ``y`` (of the plot area, ``ref`` "paper", or of the figure,
    "container"): whole (plotly keeps a horizontal legend to half the figure's height, and cut
    the last rows) and its title above the entries ("top left" set them off by its width: an
    85 mm file's second column of tissues ran to its right edge)."""
    return dict(
        orientation="h",
        xref=ref,
        yref=ref,
        x=x,
        xanchor="left",
        y=y,
        yanchor=yanchor,
        font=dict(size=font),
        entrywidth=text,
        entrywidthmode="pixels",
        tracegroupgap=0,
        title=dict(side="top"),
        maxheight=1,
    )


def legend_in_columns(layout: go.Layout) -> bool:
    """Whether ``layout``'s legend is laid out in columns beside the plot
    (:func:`_columns_beside`), not under it."""
    legend = layout.legend
    return legend.orientation == "h" and legend.xref != "container" and (legend.x or 0) > 1


def _fonts(sizes: tuple[float, ...], smallest: float) -> list[float]:
    """The legend fonts to try, largest first: ``sizes`` none under ``smallest``."""
    return sorted({max(float(f), smallest) for f in sizes}, reverse=True)


def _columns_beside(fig: go.Figure, room: float, smallest: float = 0.0) -> bool:
    """Lay a legend too long for one column out in columns beside the plot (in place), in a
    landscape file of fixed height: under the plot, GTEx's 35 detailed tissues left a slide's
    map a third of its width (the map drawn at 1:1 in a flat plot area). plotly gives such a
    legend half the figure's width; at least two columns, their rows within ``room`` (the
    plot area's height), fonts from 10 down to 8 pixels (none under ``smallest``). False
    (nothing changed) when they do not fit: the legend then goes under the plot."""
    layout = fig.layout
    width, height = float(layout.width or 1000), float(layout.height or 450)
    if width < 1.3 * height:
        return False
    names = [tr.name for tr in fig.data if tr.showlegend is not False and tr.name]
    longest = max(len(line) for n in names for line in str(n).split("<br>"))
    entry_lines = [str(n).count("<br>") + 1 for n in names]
    for font in _fonts((10, 9, 8), smallest):
        text = int(0.5 * font * longest)
        entry = text + _LEGEND_SYMBOL + _LEGEND_ENTRY_GAP
        per_row = _per_row(fig, width / 2, entry)
        if per_row < 2:
            continue
        rows = sum(
            _row_px(font, max(entry_lines[i : i + per_row]))
            for i in range(0, len(entry_lines), per_row)
        )
        if rows + _title_px(layout) > room:
            continue
        fig.update_layout(legend=_rows_legend(font, text, "paper", 1.02, 1, "top"))
        return True
    return False


def _grouped_legend(fig: go.Figure) -> bool:
    """Whether plotly lays out ``fig``'s legend by groups (its ``traceorder``, by default
    grouped when a shown trace has a ``legendgroup``): a horizontal legend of groups starts a
    row sooner than one of entries (:func:`fit_legend`)."""
    order = fig.layout.legend.traceorder
    if order:
        return "grouped" in order
    return any(tr.legendgroup and tr.visible is not False for tr in fig.data)


def _colour_bar(fig: go.Figure) -> bool:
    """Whether ``fig`` draws a colour bar (a trace's ``marker.showscale``)."""
    return any(getattr(getattr(tr, "marker", None), "showscale", None) for tr in fig.data)


def fit_legend(
    fig: go.Figure,
    height: int,
    max_height: int | None = None,
    below: bool = False,
    smallest: float = 0.0,
) -> None:
    """Make every legend entry of ``fig`` fit in ``height`` pixels (in place).

    A smaller font when that is enough (down to 7 px), else a horizontal legend under the plot,
    in columns of fixed width. With ``max_height`` above ``height`` (a journal column: its width
    is fixed, not its height) the figure grows taller by the legend's height, up to
    ``max_height``, so that the plot keeps its size (the legend took it from the plot, and 26
    tissues under a single-column map left the map 70 pixels tall); else the legend takes its
    room from the plot (at most 70% of the figure). ``below``: under the plot whatever its
    length (a figure laid out for it; a figure with a colour bar too). ``fig.layout.height`` is
    the file's height. ``smallest``: no legend font under it (pixels; a size laid out for
    print, :func:`print_text_px`).
    """
    names = [tr.name for tr in fig.data if tr.showlegend is not False and tr.name]
    # beside a colour bar, under the plot: the bar's title, longer than a journal column's plot
    # is tall, ran through a legend at the plot's top right ("reference group (431)" written over
    # GTEx's MYH7 bar)
    below = below or bool(names and _colour_bar(fig))
    if len(names) < 2 and not below:
        return
    layout = fig.layout
    size = layout.legend.font.size or layout.font.size or 12
    margin_t = layout.margin.t if layout.margin.t is not None else 80
    margin_b = layout.margin.b if layout.margin.b is not None else 80
    # the plot area ends above the x axis' numbers and title (plotly's automargin), not at the
    # bottom margin: counted from the margin alone, a legend of 27 entries lost its last. An
    # axis that draws neither (the baseline maps') takes none: charged 25 pixels, 26 tissues
    # beside the baseline maps on a slide were set in 7 pixels where 8 fitted
    x = layout.xaxis
    shown = x.visible is not False and x.automargin is not False
    axis_px = (60 if x.title.text else 25 if x.showticklabels is not False else 0) if shown else 0
    room = height - margin_t - max(margin_b, axis_px)
    if layout.legend.title.text:  # a wrapped title (wrap_title) takes a row per line
        room -= (size + _LEGEND_ENTRY_PAD) * (layout.legend.title.text.count("<br>") + 1)
    entry_lines = [str(n).count("<br>") + 1 for n in names]  # a wrapped entry's lines

    def column_px(font: float) -> float:
        # a column's entries: a line of the font and 9 pixels each (the smallest font read), and
        # an entry at least as tall as plotly draws it, 19 pixels whatever its font (counted as
        # the font and 9 alone, a font of 9 fitted 27 entries where plotly drew 26)
        per_line = sum(entry_lines) * (font + _LEGEND_ENTRY_PAD)
        return max(per_line, sum(_row_px(font, n) for n in entry_lines))

    if column_px(size) <= room and not below:
        return
    tried = (f for f in range(int(size) - 1, 6, -1) if f >= smallest)
    smaller = next((f for f in tried if column_px(f) <= room), None)
    if smaller is not None and not below:
        fig.update_layout(legend=dict(font=dict(size=smaller), tracegroupgap=0))
        return
    if (
        not below
        and not max(int(max_height or height) - height, 0)
        and _columns_beside(fig, room, smallest)
    ):
        return
    width = fig.layout.width or 1000
    longest = max(len(line) for n in names for line in str(n).split("<br>"))
    axis = 60 if layout.xaxis.title.text else 20  # the x axis' title above the legend
    grow = max(int(max_height or height) - height, 0)  # pixels the figure may grow by
    # plotly fills a row of entries up to the plot area's width, not the figure's (each entry
    # its text, symbol and a gap): counted from the figure's width less 60, the baseline maps'
    # 28 tissues at 85 mm took 14 rows of two, drawn as 10 of three, 76 pixels left blank
    # between the maps and the legend
    plot_w = _plot_width(layout, width)
    if smallest and len(names) > 2 and _two_per_row(fig, plot_w, smallest, longest):
        # (in print at 85 mm, GTEx's 40 detailed tissues stood in one column and left the map
        # 19 mm of a 230 mm file)
        names = [tr.name for tr in fig.data if tr.showlegend is not False and tr.name]
        entry_lines = [str(n).count("<br>") + 1 for n in names]
        longest = max(len(line) for n in names for line in str(n).split("<br>"))
    for font in _fonts((10, 9, 8, 7), smallest):
        text = int(0.5 * font * longest)  # the text of the longest entry; a symbol beside it
        entry = text + _LEGEND_SYMBOL + _LEGEND_ENTRY_GAP
        per_row = _per_row(fig, plot_w, entry)
        # entries fill the rows in order; a row is as tall as its tallest entry (charging
        # every row the tallest of all left a blank band of 54 mm above GTEx's detailed tissues)
        heights = sum(
            _row_px(font, max(entry_lines[i : i + per_row]))
            for i in range(0, len(entry_lines), per_row)
        )
        below = heights + _title_px(layout)  # the entries and the legend's title
        under = below + axis
        fits = (under - margin_b <= grow) if grow else (under <= 0.6 * height)
        if fits:
            break
    if grow:
        under = min(under, margin_b + grow)
    else:
        under = min(under, 0.7 * height)
    fig.update_layout(
        legend=_rows_legend(font, text, "container", 0.01, 0.01, "bottom"),
        margin=dict(b=int(under)),
        height=int(height + max(under - margin_b, 0)) if grow else height,
    )
