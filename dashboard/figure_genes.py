"""The gene map: genes laid out in 2-D, coloured by a category, with the genes of a set that
colours the samples (yellow dots), the gene in focus (star), its nearest neighbours (rings,
labelled on a white backing) and the genes specific to a sample selection (diamonds); the labels
are placed by :mod:`dashboard.figure_labels`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import plotly.graph_objects as go

from dashboard.figure_labels import _PLOT_PX, LABEL_FONT_PX, View, place_labels
from dashboard.figure_style import (
    MISSING_COLOR,
    PALETTE,
    _base_layout,
    _escape,
    _missing,
    marker_size,
    wrap_title,
)

#: Name in the legend of the genes of the set that colours the samples (before the set's name).
COLOURING_SET = "genes of the colouring"
#: Their marks: lemon yellow with a dark edge, a colour neither of the rings (black), the star
#: (red), the selection's diamonds (orange), the grey of genes without a category nor the
#: palette's yellows (#e1c300: a gold fill read as one of them); a little larger than the genes,
#: smaller than the rings, star and diamonds drawn over them.
COLOURING_COLOR, COLOURING_EDGE = "#fff200", "#262626"


#: The legend's name of the genes the specific-genes table lists (diamonds), and of those
#: lower in the selection (the choice by that table).
SELECTED_NAME, SELECTED_LOWER_NAME = "specific to the selection", "lower in the selection"


def gene_map_figure(
    layout: np.ndarray,
    symbols: Sequence[str],
    labels: Sequence[Any],
    *,
    color_title: str = "gene type",
    focus: int | None = None,
    neighbors: Sequence[int] = (),
    selected: Sequence[int] = (),
    method: str = "UMAP",
    title: str = "Gene space",
    uirevision: str = "gene-map",
    webgl: bool = True,
    plot_px: tuple[float, float] = _PLOT_PX,
    view: View | None = None,
    marked: Sequence[int] | None = None,
    marked_name: str = COLOURING_SET,
    selected_name: str = SELECTED_NAME,
) -> go.Figure:
    """Genes laid out in 2-D, coloured by a category, with highlights.

    Parameters
    ----------
    layout
        (n_genes, 2) coordinates of the genes.
    symbols
        (n_genes,) gene symbols (hover; ``customdata`` of every point, read on click).
    labels
        (n_genes,) category per gene (gene type, or ``annotated``/``other`` for a GO term).
    focus
        Row of the gene in focus (star), if any.
    neighbors
        Rows of its nearest neighbours (rings).
    selected
        Rows of genes specific to the sample selection (diamonds), named in the legend by
        ``selected_name`` (:data:`SELECTED_NAME`; ``lower in the selection`` for the genes
        lower in it, which the legend called specific to it).
    plot_px
        (width, height) in pixels of the plot area the map is drawn in (the page measures it:
        :func:`plot_area`), for the spacing of the labels (:func:`place_labels`).
    view
        The axis ranges the user zoomed the map to (:func:`plot_view`), or None: the labels are
        spaced for what is in view.
    marked
        Rows of the genes of the set that colours the samples (a gene list, a preset, a GO
        term), drawn over the categories and under the other highlights
        (:func:`colouring_trace`, named ``marked_name`` in the legend); empty: the trace is
        there, without points or legend entry, for the page to fill when the samples are
        coloured by a set (:func:`category_count` says where it is); None: no such trace.
    """
    layout = np.asarray(layout, dtype=np.float32)
    symbols = np.asarray(symbols).astype(str)
    lab = _categories(labels)
    scatter = go.Scattergl if webgl else go.Scatter
    size = marker_size(len(layout)) + 1
    traces = _category_traces(layout, symbols, lab, scatter, size)
    if marked is not None:  # over the categories, under the selection, the rings and the star
        traces.append(colouring_trace(layout, symbols, lab, marked, marked_name, webgl))
    sel = np.asarray(list(selected), dtype=int)
    if sel.size:
        traces.append(_selection_trace(layout, symbols, sel, selected_name, scatter, size))
    nb = np.asarray(list(neighbors), dtype=int)
    has_focus = focus is not None and 0 <= focus < len(layout)
    labelled = _rings_in_view(layout, nb, view) <= MAX_LABELLED_RINGS
    ring_size, star_size = size + 8, size + 14
    placed = _place_ring_labels(
        layout,
        symbols,
        nb,
        sel,
        labelled,
        focus if has_focus else None,
        ring_size=ring_size,
        star_size=star_size,
        diamond_size=size + 6,
        plot_px=plot_px,
        view=view,
    )
    if nb.size:
        traces.append(_neighbour_trace(layout, symbols, nb, placed, labelled, ring_size, scatter))
    if has_focus:
        traces.append(
            _focus_trace(layout, symbols, focus, placed.focus_position, star_size, scatter)
        )
    fig = go.Figure(data=traces)
    fig.update_layout(**_base_layout(title, f"{method} 1", f"{method} 2", uirevision))
    fig.update_layout(legend=dict(title=dict(text=wrap_title(color_title))))
    if nb.size and labelled:
        _add_ring_labels(fig, layout, symbols, nb, placed, ring_size / 2 + 1)
    if has_focus and not isinstance(placed.focus_position, str):
        # rings all round the star: the label further out, an arrow
        _add_focus_label(fig, layout, symbols, focus, placed.focus_position, star_size)
    return fig


def _category_traces(
    layout: np.ndarray, symbols: np.ndarray, lab: np.ndarray, scatter: Any, size: float
) -> list[Any]:
    """One trace per category of the gene map, the largest first (grey for no category)."""
    cats, counts = np.unique(lab, return_counts=True)
    order = [c for _, c in sorted(zip(-counts, cats, strict=True))]
    traces = []
    for i, cat in enumerate(order):
        m = lab == cat
        is_grey = cat in ("unknown", "other", "not annotated")
        traces.append(
            scatter(
                x=layout[m, 0],
                y=layout[m, 1],
                mode="markers",
                marker=dict(
                    color=MISSING_COLOR if is_grey else PALETTE[i % len(PALETTE)],
                    size=size,
                    opacity=0.5 if is_grey else 0.85,
                ),
                name=wrap_title(f"{cat} ({int(m.sum()):,})"),
                customdata=symbols[m],
                text=symbols[m],
                hovertemplate="<b>%{text}</b><extra>" + _escape(cat) + "</extra>",
            )
        )
    return traces


def _selection_trace(
    layout: np.ndarray,
    symbols: np.ndarray,
    sel: np.ndarray,
    selected_name: str,
    scatter: Any,
    size: float,
) -> Any:
    """The genes specific to the sample selection (rows ``sel``) as orange diamonds."""
    return scatter(
        x=layout[sel, 0],
        y=layout[sel, 1],
        mode="markers",
        marker=dict(
            symbol="diamond",
            size=size + 6,
            color="#ff7f0e",
            line=dict(color="#7a3b00", width=1),
        ),
        # the genes the page lists (every one saved: "highest" read as a part of them
        # when all were marked; the selection's line says when 200 cut them)
        name=f"{selected_name} ({sel.size} gene{'' if sel.size == 1 else 's'})",
        customdata=symbols[sel],
        text=symbols[sel],
        hovertemplate="<b>%{text}</b><extra>selection</extra>",
    )


def _rings_in_view(layout: np.ndarray, nb: np.ndarray, view: View | None) -> int:
    """How many of the neighbours' rings (rows ``nb``) lie in ``view`` (all without one)."""
    # rings are labelled when at most MAX_LABELLED_RINGS of them are in view (all of them on
    # the whole map; zoomed in, those in the region): more would only be left out for lack of
    # room, and cost their placement
    if view is None or not nb.size:
        return int(nb.size)
    (x0, x1), (y0, y1) = view
    xy = layout[nb]
    return int(((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)).sum())


class _RingLabels(NamedTuple):
    """Where :func:`place_labels` put the rings' labels and the focus label."""

    #: (n_rings,) whether each ring is labelled beside it (by the rings' trace).
    shown: np.ndarray
    #: (n_rings,) whether each ring is labelled further out, with a line (:func:`lined_labels`).
    lined: np.ndarray
    #: (n_rings,) each label's text position beside its ring ("top center" when not beside).
    positions: list[str]
    #: (dx, dy) pixel offsets of the lined labels, in the rings' order.
    far: list[Any]
    #: The focus label's text position, or its (dx, dy) offset when written with an arrow.
    focus_position: Any


def _place_ring_labels(
    layout: np.ndarray,
    symbols: np.ndarray,
    nb: np.ndarray,
    sel: np.ndarray,
    labelled: bool,
    focus: int | None,
    *,
    ring_size: float,
    star_size: float,
    diamond_size: float,
    plot_px: tuple[float, float],
    view: View | None,
) -> _RingLabels:
    """Place the labels of the rings (when ``labelled``) and of the gene in focus."""
    # neighbours sit close together: each label goes on the side away from the gene in focus,
    # off every ring and the star, and is left out where it would overlap one (or another
    # label; the nearest first), but for the nearest few, written further out with a line
    # when no place beside their ring is clear; hover names every ring
    shown, positions, focus_position = place_labels(
        layout,
        nb if labelled else nb[:0],
        symbols[nb] if labelled else symbols[nb][:0],
        radius=ring_size / 2 + 1,
        focus=focus,
        focus_text=symbols[focus] if focus is not None else "",
        focus_radius=star_size / 2,
        # unlabelled rings still keep the focus label off them
        markers=[(int(r), diamond_size / 2) for r in sel]
        + ([] if labelled else [(int(r), ring_size / 2 + 1) for r in nb]),
        plot_px=plot_px,
        view=view,
    )
    # a label with no place beside its ring (one of the nearest, rings crowded round the
    # star) is written further out with a line (:func:`lined_labels`), not by the trace
    beside_ring = np.array([isinstance(p, str) for p in positions], dtype=bool)
    return _RingLabels(
        shown=shown & beside_ring,
        lined=shown & ~beside_ring,
        positions=[p if isinstance(p, str) else "top center" for p in positions],
        far=[p for p in positions if not isinstance(p, str)],
        focus_position=focus_position,
    )


def _neighbour_trace(
    layout: np.ndarray,
    symbols: np.ndarray,
    nb: np.ndarray,
    placed: _RingLabels,
    labelled: bool,
    ring_size: float,
    scatter: Any,
) -> Any:
    """The nearest neighbours (rows ``nb``) as black rings, keeping their labels' texts."""
    return scatter(
        x=layout[nb, 0],
        y=layout[nb, 1],
        # the trace keeps each label's text and position; they are drawn as annotations
        # on a white backing (:func:`neighbour_labels`), which a trace's text lacks
        mode="markers",
        # black: red was taken by the palette (pseudogenes, lncRNA, a GO term's genes)
        marker=dict(symbol="circle-open", size=ring_size, color="#000000", line=dict(width=2)),
        text=np.where(placed.shown, symbols[nb], "") if labelled else [""] * nb.size,
        textposition=placed.positions if labelled else "top center",
        textfont=dict(size=LABEL_FONT_PX, color="#000000"),
        name="nearest neighbours",
        customdata=symbols[nb],
        hovertemplate="<b>%{customdata}</b><extra>neighbour</extra>",
    )


def _focus_trace(
    layout: np.ndarray,
    symbols: np.ndarray,
    focus: int,
    focus_position: Any,
    star_size: float,
    scatter: Any,
) -> Any:
    """The gene in focus as a red star, its label beside it when there was room."""
    beside = isinstance(focus_position, str)
    return scatter(
        x=[layout[focus, 0]],
        y=[layout[focus, 1]],
        mode="markers+text" if beside else "markers",
        marker=dict(symbol="star", size=star_size, color="#d62728", line=dict(width=1)),
        text=[symbols[focus]],
        textposition=focus_position if beside else "bottom center",
        textfont=dict(size=13, color="#000000"),
        name=symbols[focus],
        customdata=[symbols[focus]],
        hovertemplate="<b>%{text}</b><extra>in focus</extra>",
    )


def _add_ring_labels(
    fig: go.Figure,
    layout: np.ndarray,
    symbols: np.ndarray,
    nb: np.ndarray,
    placed: _RingLabels,
    radius: float,
) -> None:
    """Add the rings' labels to ``fig``: beside their rings, then those with a line."""
    shown, lined = placed.shown, placed.lined
    for label in neighbour_labels(
        layout[nb][shown], symbols[nb][shown], np.asarray(placed.positions)[shown], radius
    ):
        fig.add_annotation(label)
    for label in lined_labels(layout[nb][lined], symbols[nb][lined], placed.far, radius):
        fig.add_annotation(label)


def _add_focus_label(
    fig: go.Figure,
    layout: np.ndarray,
    symbols: np.ndarray,
    focus: int,
    offset: tuple[float, float],
    star_size: float,
) -> None:
    """Add the focus label to ``fig`` ``offset`` (dx, dy) pixels out, with an arrow to it."""
    dx, dy = offset
    fig.add_annotation(
        x=float(layout[focus, 0]),
        y=float(layout[focus, 1]),
        text=_escape(symbols[focus]),
        ax=dx,
        ay=-dy,
        showarrow=True,
        arrowhead=0,
        arrowwidth=1,
        arrowcolor="#444444",
        standoff=star_size / 2,
        font=dict(size=13, color="#000000"),
        bgcolor="rgba(255,255,255,0.85)",
        borderpad=2,
        name="focus label",
    )


def _categories(labels: Sequence[Any]) -> np.ndarray:
    """The gene map's category of every gene: its label as text, ``unknown`` where missing."""
    return np.array(["unknown" if _missing(v) else str(v) for v in labels], dtype=object)


def category_count(labels: Sequence[Any]) -> int:
    """The number of category traces of a gene map of these labels: the index of the trace of
    the colouring's genes (:func:`colouring_trace`), which follows them."""
    return len(np.unique(_categories(labels)))


def colouring_trace(
    layout: np.ndarray,
    symbols: Sequence[str],
    labels: Sequence[Any],
    rows: Sequence[int],
    name: str = COLOURING_SET,
    webgl: bool = True,
) -> go.Scattergl | go.Scatter:
    """The genes (``rows`` of ``layout``) of the set that colours the samples, as a trace of the
    gene map (:func:`gene_map_figure`): named ``name`` in the legend, the gene and its category
    on hover, its symbol as ``customdata`` (a click focuses it, as on any gene). No rows: an
    empty trace, out of the legend, kept for a later colouring to fill."""
    rows = np.asarray(list(rows), dtype=int)
    layout = np.asarray(layout, dtype=np.float32)
    symbols = np.asarray(symbols).astype(str)
    size = marker_size(len(layout)) + 1
    scatter = go.Scattergl if webgl else go.Scatter
    return scatter(
        # lists, not arrays: the page is sent this trace alone when the colouring changes
        x=[round(float(v), 6) for v in layout[rows, 0]],
        y=[round(float(v), 6) for v in layout[rows, 1]],
        mode="markers",
        marker=dict(
            color=COLOURING_COLOR,
            size=size + 4,
            opacity=1.0,
            line=dict(color=COLOURING_EDGE, width=1.5),
        ),
        name=wrap_title(name),
        showlegend=bool(rows.size),
        customdata=[str(s) for s in symbols[rows]],
        text=[str(s) for s in symbols[rows]],
        hovertext=[_escape(str(c)) for c in _categories(labels)[rows]],
        hovertemplate="<b>%{text}</b> (%{hovertext})<extra>colouring</extra>",
    )


#: The backing of a neighbour's label: over a dense cluster of points black text on the
#: points' colours was hard to read. Semi-opaque, so the points under it still show.
LABEL_BACKING = "rgba(255,255,255,0.8)"


def neighbour_labels(
    points: np.ndarray, texts: Sequence[str], positions: Sequence[str], radius: float
) -> list[dict[str, Any]]:
    """The labels of the neighbours' rings as annotations, each on a white backing
    (:data:`LABEL_BACKING`), written where a trace's text at ``positions`` would be (off the
    ring of ``radius`` pixels by ``radius / 0.8 + 1``, as :func:`label_box` counts them).

    A trace's text has no backing in WebGL (the page's maps), and an SVG trace under the
    WebGL points would be hidden by them; annotations are drawn above every trace. The
    backing reaches 2 pixels beyond the text, so it stays off the ring (3 pixels or more
    away)."""
    gap = round(radius / 0.8 + 1.0, 2)
    out = []
    for (x, y), text, position in zip(points, texts, positions, strict=True):
        vertical, horizontal = str(position).split()
        # short: the page is sent these again after each zoom or resize (label_patch);
        # centred and unshifted are an annotation's defaults
        label: dict[str, Any] = dict(
            x=round(float(x), 6),
            y=round(float(y), 6),
            xref="x",
            yref="y",
            text=_escape(str(text)),
            showarrow=False,
            font=dict(size=LABEL_FONT_PX, color="#000"),
            bgcolor=LABEL_BACKING,  # 2 pixels beyond the text (the default pad and border)
            name="neighbour label",
        )
        if horizontal != "center":
            label["xanchor"] = "left" if horizontal == "right" else "right"
            label["xshift"] = gap if horizontal == "right" else -gap
        if vertical != "middle":
            label["yanchor"] = "bottom" if vertical == "top" else "top"
            label["yshift"] = gap if vertical == "top" else -gap
        out.append(label)
    return out


#: The name of a ring's label written further out with a line to its ring (:func:`lined_labels`).
LINED_LABEL = "neighbour label with a line"


def lined_labels(
    points: np.ndarray,
    texts: Sequence[str],
    offsets: Sequence[tuple[float, float]],
    radius: float,
) -> list[dict[str, Any]]:
    """The labels of rings that had no clear place beside them (crowded round the star), as
    annotations whose centre lies ``offsets`` (dx, dy) pixels (y up) from the ring, with a grey
    line to the ring (stopping at its edge, ``radius`` pixels), on the white backing of the
    other labels (:data:`LABEL_BACKING`); as :func:`figures.annotation_box` counts them."""
    out = []
    for (x, y), text, (dx, dy) in zip(points, texts, offsets, strict=True):
        out.append(
            dict(
                x=round(float(x), 6),
                y=round(float(y), 6),
                xref="x",
                yref="y",
                text=_escape(str(text)),
                ax=round(float(dx), 2),
                ay=round(-float(dy), 2),  # plotly's ay points down
                showarrow=True,
                arrowhead=0,
                arrowwidth=1,
                arrowcolor="#444444",
                standoff=radius,
                font=dict(size=LABEL_FONT_PX, color="#000"),
                bgcolor=LABEL_BACKING,
                borderpad=2,
                name=LINED_LABEL,
            )
        )
    return out


#: Most rings of neighbours in view that are labelled (more: hover names them).
MAX_LABELLED_RINGS = 30
