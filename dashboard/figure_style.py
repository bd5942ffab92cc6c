"""The look every figure shares: font, category palette, marker size, the layout of a map, the
page's legend of a map (:func:`fit_page_legend`), the label of simulated data, an empty figure,
and the small text helpers of every builder (legend titles wrapped, HTML escaped, missing
labels, natural order).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from core.palette import CLASS_COLORS

MISSING_COLOR = "#c8c8c8"
FONT = "Inter, 'Helvetica Neue', Arial, sans-serif"
#: Category colours: the report's 30 (core.palette: a tissue has the same colour on the page and
#: in the report), then plotly's Light24 and Alphabet for more categories (GTEx has 54 sites).
PALETTE: list[str] = list(
    dict.fromkeys(
        [c.lower() for c in CLASS_COLORS]
        + [c.lower() for c in (*qualitative.Light24, *qualitative.Alphabet)]
    )
)


def marker_size(n_points: int) -> float:
    """A readable marker size (px) for a scatter of ``n_points``."""
    return float(np.clip(9.0 - 1.3 * np.log10(max(n_points, 1)), 2.5, 8.0))


#: Above this many samples a map's points are drawn smaller and translucent (as in the report,
#: :data:`core.report_figures.DENSE_SAMPLES`): at 3.5 px and nearly opaque, GTEx's 16,877
#: samples covered each other, a tissue's cluster hiding its neighbours.
DENSE_SAMPLES = 5000

#: Opacity of the points of a map of more than :data:`DENSE_SAMPLES` samples.
DENSE_OPACITY = 0.6

#: How a map coloured by categories draws the samples left out of a selection (a lasso, a box,
#: labels chosen, a link): grey and faint. Dimmed in their own colours (plotly's default), the
#: samples of a dense map coloured by sex added up to clusters as bright as the selected ones
#: (the breast samples of men among every other male sample). A map coloured by values keeps
#: them dimmed in their colours: grey, the lung's high NKX2-1 read as absent beside the
#: selected thyroid.
UNSELECTED = {"marker": {"color": "#b4b4b4", "opacity": 0.25}}


def point_style(n_points: int, opacity: float = 0.85) -> dict[str, float]:
    """``size`` and ``opacity`` of the points of a map of ``n_points`` samples: those of
    :func:`marker_size` and ``opacity``, or a pixel smaller and :data:`DENSE_OPACITY` above
    :data:`DENSE_SAMPLES` samples."""
    size = marker_size(n_points)
    if n_points <= DENSE_SAMPLES:
        return {"size": size, "opacity": opacity}
    return {"size": max(2.0, size - 1.0), "opacity": min(opacity, DENSE_OPACITY)}


#: Height (pixels) of the page's maps: the ``.map`` box of ``assets/style.css`` (the figure
#: was drawn at plotly's default 450 inside it; a file sets its own size).
MAP_HEIGHT_PX = 560


def _base_layout(
    title: str, x_title: str, y_title: str, uirevision: str, equal_aspect: bool = False
) -> dict[str, Any]:
    """The layout every map shares; ``equal_aspect``: a unit of the y axis is as long as one of
    the x axis (a sample map, whose distances the neighbour tables and 1-NN read)."""
    return dict(
        height=MAP_HEIGHT_PX,
        # below the page's mode bar (zoom, select, ...), which sits in the top 30 px
        title=dict(
            text=title,
            x=0.01,
            xanchor="left",
            y=1,
            yref="container",
            yanchor="top",
            pad=dict(t=32),
            font=dict(size=15),
        ),
        template="plotly_white",
        font=dict(family=FONT, size=12),
        margin=dict(l=40, r=10, t=62, b=40),
        xaxis=dict(title=x_title, zeroline=False, showgrid=False),
        yaxis=dict(
            title=y_title,
            zeroline=False,
            showgrid=False,
            scaleanchor="x" if equal_aspect else None,
            scaleratio=1 if equal_aspect else None,
        ),
        hovermode="closest",
        dragmode="zoom",
        uirevision=uirevision,
        legend=dict(itemsizing="constant", font=dict(size=11), tracegroupgap=0),
    )


#: Label of every figure of simulated data (on screen and exported).
SIMULATED_LABEL = "SIMULATED DATA"


def set_ranges(fig: go.Figure, ranges: dict[str, Any] | None) -> go.Figure:
    """Zoom ``fig`` to ``ranges`` (``{"x": [lo, hi], "y": [lo, hi]}``; an axis absent: its
    whole extent)."""
    for axis, rng in (ranges or {}).items():
        if axis in ("x", "y") and rng:
            fig.update_layout({f"{axis}axis": dict(range=list(rng), autorange=False)})
    return fig


def mark_simulated(fig: go.Figure) -> go.Figure:
    """Label ``fig`` as showing simulated data, first in its title (kept by every export and by
    the colour ``Patch``); returns it."""
    label = f"<span style='color:#b45309'><b>{SIMULATED_LABEL}</b></span>"
    title = fig.layout.title.text
    if title:
        fig.update_layout(title_text=f"{label} · {title}")
    else:  # room above subplot titles (baseline maps)
        top = fig.layout.margin.t if fig.layout.margin.t is not None else 40
        fig.update_layout(
            title=dict(text=label, x=0.01, xanchor="left", y=0.99, yanchor="top"),
            margin=dict(t=top + 30),
        )
    return fig


def empty_figure(message: str) -> go.Figure:
    """A blank figure that shows ``message`` (waiting, no data...)."""
    fig = go.Figure()
    fig.update_layout(
        template="plotly_white",
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
        margin=dict(l=10, r=10, t=10, b=10),
        annotations=[
            dict(
                text=message,
                x=0.5,
                y=0.5,
                xref="paper",
                yref="paper",
                showarrow=False,
                font=dict(size=14, color="#666"),
            )
        ],
    )
    return fig


#: Tallest a map grows for its legend in the page (pixels): on a window 900 pixels tall the
#: map and its legend still show whole.
MAX_PAGE_MAP_PX = 820


#: Pixels kept free under a legend that reaches the foot of a map in the page.
_LEGEND_FOOT = 4


def page_legend_height(fig: go.Figure) -> float:
    """Height in pixels of the vertical legend of ``fig`` as plotly draws it in the page: a
    row of ``max(1.3 * font * lines, 16) + 3`` per entry, the title's lines, 10 pixels of
    gaps; 0 without a legend."""
    layout = fig.layout
    names = [str(tr.name) for tr in fig.data if tr.showlegend is not False and tr.name]
    if layout.showlegend is False or len(names) < 2 or layout.legend.orientation == "h":
        return 0.0
    font = float(layout.legend.font.size or layout.font.size or 12)
    rows = sum(max(1.3 * font * (n.count("<br>") + 1), 16.0) + 3.0 for n in names)
    title = str(layout.legend.title.text or "")
    if title:
        rows += 1.3 * font * (title.count("<br>") + 1) + 3.0
    return rows + 10.0


def fit_page_legend(fig: go.Figure, height: int = MAP_HEIGHT_PX) -> go.Figure:
    """Let every entry of the map's legend show in the page, without a scroll bar (in place).

    plotly bounds a vertical legend to the plot area's height, and 26 GTEx tissues scrolled
    from "Testis" on. The legend may reach down to the figure's foot, beside the x axis'
    title, and the figure grows taller when even that is too short (26 tissues: about 30
    pixels), so that the map keeps its size; the page's ``.map`` box grows with it. A legend
    longer than a window (more than about 40 entries) would make the map taller than the
    window: it keeps the figure at most :data:`MAX_PAGE_MAP_PX` tall, and scrolls.
    """
    legend = page_legend_height(fig)
    if not legend:
        return fig
    top = fig.layout.margin.t if fig.layout.margin.t is not None else 80
    needed = int(np.ceil(top + legend + _LEGEND_FOOT))
    grown = int(min(max(height, needed), max(height, MAX_PAGE_MAP_PX)))
    # a maxheight above 1 is in pixels (at most 1: a fraction of the plot area's height)
    fig.update_layout(height=grown, legend=dict(maxheight=grown - top - _LEGEND_FOOT))
    return fig


#: Characters per line of a legend title (a long GO term name took half the map's width) and
#: of a legend entry (GTEx's detailed tissue names, up to 45 characters, left the map 40% of
#: its card).
LEGEND_TITLE_WIDTH = 28


def wrap_title(text: str, width: int = LEGEND_TITLE_WIDTH) -> str:
    """``text`` broken into lines of at most ``width`` characters at spaces (``<br>``), for a
    legend title or entry; a word longer than ``width`` is broken too (a label of 300 letters
    without a space, kept on one line, made a legend wider than the map, which it covered; the
    map's hover names the label whole)."""
    import textwrap

    lines = textwrap.wrap(str(text), width=width, break_long_words=True, break_on_hyphens=False)
    return "<br>".join(lines) if lines else str(text)


def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    return str(v).strip() in ("", "nan", "NaN", "None", "<NA>")


def _natural_key(s: str) -> tuple:
    import re

    return tuple(int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(s)))


def _escape(s: str) -> str:
    return str(s).replace("<", "&lt;").replace(">", "&gt;")
