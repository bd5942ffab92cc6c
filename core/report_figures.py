"""The figures of ``python -m core report`` (plotly), and their writing as PNG and SVG.

Figure 2's sample maps with their classes named, the training error, Table 1 as bars, the
markers over the maps (Figure 3), the genes' smoothness, the gene space's agreement with the
references (Figure 4); written in one Chromium session by kaleido, or as interactive HTML
pages when no Chromium can be driven.
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import analysis
from core.analysis_cli import CEILING_NOTED, SIMULATED_LABEL, _percent
from core.errors import CoreError
from core.palette import CLASS_COLORS, METHOD_COLORS, UNLABELLED_COLOR

CHROMIUM = "/usr/bin/chromium"
#: PNG figures are written at this multiple of their layout size (about 200 dpi at A4 width).
PNG_SCALE = 2


_PALETTE = CLASS_COLORS
#: Height of one legend entry of the sample maps (10-px font, no gap between entries).
_LEGEND_ROW_PX = 20
#: Marker symbols of the classes beyond the palette's colours (a 31st class: blue squares).
_SYMBOLS = ("circle", "square", "diamond", "cross", "x")


#: Most classes named on the sample maps of Figure 2 (beyond, the legend alone).
MAX_NAMED_CLASSES = 40

#: Most classes listed in the legend of Figure 2 (beyond, no legend: the 930 donors of a
#: --label subject made a legend, and a figure, 18,740 px tall, the maps lost at its top).
MAX_LEGEND_CLASSES = 60

#: Above this many samples a map's points are drawn smaller and translucent: at 3 px and
#: opaque, GTEx's 16,877 samples covered each other, a tissue's cluster hiding its neighbours.
DENSE_SAMPLES = 5000

#: Above this many points in a figure its SVG has the points as an image (the axes, names and
#: legend stay vector): GTEx's 16,877 samples made a 16 MB SVG of Figure 2 and a 32 MB one of
#: Figure 3, hundreds of thousands of elements that a vector editor cannot work with.
SVG_MAX_POINTS = 20000


#: A white halo around text drawn over points (CSS text-shadow, which plotly passes to SVG).
_HALO = ", ".join(f"{dx}px {dy}px 1px white" for dx in (-1, 1) for dy in (-1, 1))


def _name_classes(fig, xy: np.ndarray, lab: pd.Series, classes: list[str], row: int, col: int):
    """Each class named on its samples in one panel (26 colours are more than an eye tells
    apart), just above (or else below) the densest clump of its own samples: its sample with
    the most samples of the class within 30 px, weighted by their share of all samples there.
    (The sample nearest the class's median named, on t-SNE, Spleen's cluster "Small
    Intestine", after a few strays of the class in it.) Larger classes first. A name that
    would cover one already written tries the class's next clumps; a class with no place
    where 3 or more of its samples are at least a quarter of those around, or no free place
    off the samples of other classes (3 of them under a name read as its class), is left
    unnamed (the legend has every class). Sizes in pixels are those of a panel about 370 x
    330 px, the map drawn at 1:1 in it (one scale for both axes: an elongated map fills one
    side only)."""
    from scipy.spatial import cKDTree

    span = np.ptp(xy, axis=0)
    span[span == 0] = 1.0
    scale = float(min(370.0 / span[0], 330.0 / span[1]))
    px = (xy - xy.min(axis=0)) * scale
    every = cKDTree(px)
    placed: list[tuple[float, float, float, float]] = []

    def free(box: tuple[float, float, float, float]) -> bool:
        return not any(
            b[0] < box[1] and box[0] < b[1] and b[2] < box[3] and box[2] < b[3] for b in placed
        )

    def over_others(box: tuple[float, float, float, float], mask: np.ndarray) -> bool:
        """Whether the name would sit on samples of other classes (3 or more): on UMAP,
        "Breast", above its samples among Adipose's, lay on Blood Vessel's cluster, read as
        its name."""
        inside = (
            (px[:, 0] > box[0]) & (px[:, 0] < box[1]) & (px[:, 1] > box[2]) & (px[:, 1] < box[3])
        )
        return int((inside & ~mask).sum()) >= 3

    for cls in sorted(classes, key=lambda k: -int((lab == k).sum())):
        mask = (lab == cls).to_numpy()
        if mask.sum() < 3:
            continue
        pts, cls_px = xy[mask], px[mask]
        half_w, height = 2.4 * len(cls) + 3, 14.0  # 8-pt text
        own = cKDTree(cls_px).query_ball_point(cls_px, 30.0, return_length=True)
        around = every.query_ball_point(cls_px, 30.0, return_length=True)
        share = own / np.maximum(around, 1)
        order = np.argsort(-(own * share), kind="stable")
        order = order[(share[order] >= 0.25) & (own[order] >= min(3, len(cls_px)))]
        spot = None
        for i in order[:25]:
            # the name sits just above (or below) the samples around that one (within 30 px),
            # not on them: on UMAP a class of 20 samples is a clump smaller than its name
            near = np.flatnonzero(((cls_px - cls_px[i]) ** 2).sum(axis=1) <= 30.0**2)
            top = int(near[np.argmax(cls_px[near, 1])])
            bottom = int(near[np.argmin(cls_px[near, 1])])
            x = cls_px[i, 0]
            above = (x - half_w, x + half_w, cls_px[top, 1] + 3.0, cls_px[top, 1] + 3.0 + height)
            below = (x - half_w, x + half_w, cls_px[bottom, 1] - 3.0 - height, cls_px[bottom, 1])
            if free(above) and not over_others(above, mask):
                spot = (above, int(i), top, "bottom", 3)
            elif free(below) and not over_others(below, mask):
                spot = (below, int(i), bottom, "top", -3)
            if spot is not None:
                break
        if spot is None:
            continue
        box, i, j, anchor, shift = spot
        placed.append(box)
        fig.add_annotation(
            x=float(pts[i, 0]),
            y=float(pts[j, 1]),
            yanchor=anchor,
            yshift=shift,
            text=cls,
            showarrow=False,
            # no box: the samples under a name stay visible (a 60% white box hid 84-92% of a
            # named class's samples on t-SNE and UMAP); a white halo keeps the name legible
            font={"size": 8, "color": "#222", "shadow": _HALO},
            row=row,
            col=col,
        )


def _fig_maps(maps: dict[str, np.ndarray], labels: np.ndarray | None, label: str | None):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = list(maps)
    cols = min(3, len(names))
    rows = (len(names) + cols - 1) // cols
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[analysis.METHOD_NAMES.get(n, n) for n in names],
        horizontal_spacing=0.04,
        vertical_spacing=0.08,
    )
    lab = pd.Series(labels if labels is not None else np.full(len(next(iter(maps.values()))), None))
    lab = lab.fillna("unlabelled").astype(str)
    classes = sorted(lab.unique(), key=lambda c: (c == "unlabelled", c))
    colors = {
        c: (UNLABELLED_COLOR if c == "unlabelled" else _PALETTE[i % len(_PALETTE)])
        for i, c in enumerate(classes)
    }
    n_classes = sum(c != "unlabelled" for c in classes)
    legend = n_classes <= MAX_LEGEND_CLASSES
    # beyond the palette's colours, a class takes the colour again with another symbol
    symbols = {c: _SYMBOLS[(i // len(_PALETTE)) % len(_SYMBOLS)] for i, c in enumerate(classes)}
    # drawn under the others: the unlabelled samples first (GTEx's 3,585 grey samples, drawn
    # last, covered most tissues on NMF), then the classes from the largest, so a small class
    # is not hidden under a large one; the legend keeps its order (legendrank)
    sizes = lab.value_counts()
    drawn = sorted(classes, key=lambda c: (c != "unlabelled", -int(sizes[c]), c))
    rank = {c: 1000 + i for i, c in enumerate(classes)}
    style = {"size": 3} if len(lab) <= DENSE_SAMPLES else {"size": 2, "opacity": 0.6}
    for k, name in enumerate(names):
        xy = maps[name]
        r, c = k // cols + 1, k % cols + 1
        for cls in drawn:
            mask = (lab == cls).to_numpy()
            fig.add_trace(
                go.Scatter(
                    x=xy[mask, 0],
                    y=xy[mask, 1],
                    mode="markers",
                    marker={**style, "color": colors[cls], "symbol": symbols[cls]},
                    name=cls,
                    legendgroup=cls,
                    showlegend=False,
                ),
                row=r,
                col=c,
            )
        if len(classes) <= MAX_NAMED_CLASSES:
            _name_classes(fig, xy, lab, [c for c in classes if c != "unlabelled"], r, c)
    if legend:
        # the legend's symbols from traces of no point, opaque: taken from the points, at 60%
        # opacity above DENSE_SAMPLES, GTEx's tissue colours were too pale to match; the
        # points share their class's legendgroup, so a click on a name still hides them
        for cls in classes:
            fig.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="markers",
                    marker={"size": style["size"], "color": colors[cls], "symbol": symbols[cls]},
                    name=cls,
                    legendgroup=cls,
                    legendrank=rank[cls],
                    showlegend=True,
                    hoverinfo="skip",
                )
            )
    # the coordinates have no units and no origin: no tick labels, no zero line; each map at
    # 1:1, as 1-NN and smoothness read its distances
    fig.update_xaxes(showticklabels=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, zeroline=False)
    fig.for_each_yaxis(lambda axis: axis.update(scaleanchor=axis.anchor or "x", scaleratio=1))
    fig.update_layout(
        width=1200,
        # every class in the legend: a group gap (plotly's default 10 px between legend groups)
        # pushed the 26th tissue of GTEx below the figure's edge
        height=max(400 * rows + 40, _LEGEND_ROW_PX * len(classes) + 140 if legend else 0),
        title=(
            f"Sample maps coloured by {label}"
            + ("" if legend else f" ({n_classes:,} classes: too many for a legend)")
            if label
            else "Sample maps (no sample label)"
        ),
        showlegend=legend,
        legend={
            "font": {"size": 10},
            "itemsizing": "constant",
            "tracegroupgap": 0,
            "title": {"text": label or ""},
        },
        template="plotly_white",
        margin={"l": 20, "r": 20, "t": 90, "b": 20},
    )
    return fig


def _fig_loss(history: list[float]):
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=np.arange(1, len(history) + 1), y=list(history), mode="lines"))
    fig.update_layout(
        width=700,
        height=320,
        title="Training error per epoch (MSE of the predicted values, mean over its steps)",
        xaxis_title="epoch",
        yaxis_title="MSE (log scale)",
        yaxis_type="log",
        # the value on every tick: plotly's default log ticks label 2, 1, 0.5, 0.2 "2, 1, 5, 2"
        yaxis_tickformat=".2~g",
        template="plotly_white",
    )
    finite = [float(v) for v in history if np.isfinite(v) and v > 0]
    if finite:
        # ticks at 1, 2 and 5 times a power of ten: plotly's own put 0.6 to 1 on top of each
        # other below a decade's span
        lo, hi = min(finite), max(finite)
        exps = range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1)
        ticks = [
            m * 10.0**e for e in exps for m in (1, 2, 5) if lo / 1.3 <= m * 10.0**e <= hi * 1.3
        ]
        if len(ticks) >= 2:
            fig.update_yaxes(tickvals=ticks)
        # a margin above the first epoch's error and below the last: a line's autorange has
        # none, and the first value touched the plot's top edge
        span = max(np.log10(hi / lo), 0.1)
        pad = 0.05 * span
        fig.update_yaxes(range=[np.log10(lo) - pad, np.log10(hi) + pad])
    return fig


def _mark_simulated(figures: dict[str, Any]) -> None:
    """Put SIMULATED DATA in every figure's title (a PNG or SVG taken alone still says so)."""
    for fig in figures.values():
        title = fig.layout.title.text or ""
        fig.update_layout(
            title_text=f"<span style='color:#b45309'><b>{SIMULATED_LABEL}</b></span> · {title}"
        )


def _over_splits(n_splits: int) -> str:
    """How a cell of Table 1 summarises its splits: a mean ± sd, or one split's accuracy."""
    return f"mean ± sd over {n_splits} random splits" if n_splits != 1 else "1 random split"


def _chance_legend(chance: float, n_classes: int | None = None) -> str:
    """The chance line's words in a figure's legend, as :func:`_chance_text` says them."""
    if n_classes and abs(chance * n_classes - 1) < 1e-9:
        return f"chance: 1/{n_classes} = {chance:.3f} (classes of one size)"
    return f"chance: the most frequent class ({chance:.3f})"


def _fig_table1(table: pd.DataFrame, chance: float | None = None, label: str | None = None):
    import plotly.graph_objects as go

    fig = go.Figure()
    for name in dict.fromkeys(table.columns.get_level_values(0)):
        fig.add_trace(
            go.Bar(
                x=list(table.index),
                y=table[(name, "mean")],
                error_y={"type": "data", "array": table[(name, "sd")]},
                name=analysis.METHOD_NAMES.get(name, name),
                marker_color=METHOD_COLORS.get(name),
            )
        )
    fig.update_layout(
        barmode="group",
        width=1000,
        height=520,
        yaxis_title="accuracy on the held-out samples",
        yaxis_range=[0, 1],
        xaxis_title="classifier",
        # the legend below the bars, in rows: at the side it took half the width and pressed
        # the classifiers' names together ("Gaussian NB Random Forest" read as one)
        legend={"title_text": "map", "orientation": "h", "x": 0, "y": -0.22, "yanchor": "top"},
        margin={"b": 150},
        title=f"Semi-supervised classification of {label or 'the label'} "
        f"({_percent(table.attrs['fraction'])} labels"
        f"{' of each class' if table.attrs.get('stratified') else ''}, "
        f"{_over_splits(table.attrs['n_splits'])})",
        template="plotly_white",
    )
    if chance is not None and np.isfinite(chance):
        # the line across the plot; its words in the legend, where no bar lies under them
        fig.add_hline(y=chance, line={"dash": "dash", "color": "#555", "width": 1.5})
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                line={"dash": "dash", "color": "#555", "width": 1.5},
                name=_chance_legend(chance, table.attrs.get("n_classes")),
            )
        )
    ceiling = table.attrs.get("ceiling")
    if ceiling is not None and np.isfinite(ceiling) and ceiling < CEILING_NOTED:
        style = {"dash": "dot", "color": "#b03030", "width": 1.5}
        fig.add_hline(y=ceiling, line=style)
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                line=style,
                name=f"ceiling ({ceiling:.2f}): share of test samples whose class has a "
                "training sample",
            )
        )
    return fig


#: Classes named on each panel of Figure 3: those of the marker's highest mean scores.
MARKER_NAMED_CLASSES = 3


def _marker_classes(score: np.ndarray, lab: pd.Series, n: int = MARKER_NAMED_CLASSES) -> list[str]:
    """The ``n`` classes of highest mean score (samples without a class left out)."""
    known = (lab != "unlabelled").to_numpy() & np.isfinite(score)
    means = pd.Series(score[known]).groupby(lab[known].to_numpy()).mean()
    return list(means.sort_values(ascending=False, kind="stable").index[:n])


def _fig_markers(
    maps: dict[str, np.ndarray],
    scores: dict[str, np.ndarray],
    smooth: pd.DataFrame,
    labels: np.ndarray | None = None,
    stand_in: bool = False,
):
    """Each marker's score over each map; with ``labels``, the classes where the marker is
    highest named on the panels (the maps carried no tissue names: a reader could not tell
    which bright cluster was the skin). ``stand_in``: the genes are the dataset's most
    variable, shown as none of the markers is in the data; the title says so (a file of the
    figure called them markers)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = list(maps)
    markers = list(scores)
    titles = [
        f"{m} on {analysis.METHOD_NAMES.get(n, n)} (smoothness {smooth.loc[m, n]:.2f})"
        for m in markers
        for n in names
    ]
    fig = make_subplots(
        rows=len(markers), cols=len(names), subplot_titles=titles, vertical_spacing=0.05
    )
    for i, m in enumerate(markers):
        z = scores[m]
        order = np.argsort(np.nan_to_num(z, nan=-np.inf))  # high values drawn on top
        lo, hi = np.nanpercentile(z, [2, 98]) if np.isfinite(z).any() else (0.0, 1.0)
        for j, n in enumerate(names):
            xy = maps[n][order]
            fig.add_trace(
                go.Scatter(
                    x=xy[:, 0],
                    y=xy[:, 1],
                    mode="markers",
                    marker={
                        **({"size": 3} if len(z) <= DENSE_SAMPLES else {"size": 2}),
                        "color": z[order],
                        "colorscale": "Viridis",
                        "cmin": lo,
                        "cmax": hi,
                        "showscale": j == len(names) - 1,
                        "colorbar": {
                            "len": 1.0 / len(markers),
                            "y": 1 - (i + 0.5) / len(markers),
                            "thickness": 10,
                            "title": {"text": "z-score", "side": "right"},
                        },
                    },
                    showlegend=False,
                ),
                row=i + 1,
                col=j + 1,
            )
    # (the subplot titles first: they are annotations too, set to 11 pt below)
    fig.update_annotations(font_size=11)
    if labels is not None:
        lab = pd.Series(np.asarray(labels, dtype=object)).fillna("unlabelled").astype(str)
        lab[lab.str.strip() == ""] = "unlabelled"
        for i, m in enumerate(markers):
            top = _marker_classes(np.asarray(scores[m], dtype=float), lab)
            for j, n in enumerate(names):
                _name_classes(fig, maps[n], lab, top, i + 1, j + 1)
    fig.update_xaxes(showticklabels=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, zeroline=False)
    fig.for_each_yaxis(lambda axis: axis.update(scaleanchor=axis.anchor or "x", scaleratio=1))
    # on one column of panels (420 px), the title on one line was cut at "(mean z-sc"
    if stand_in:
        heading = (
            f"The {len(markers)} most variable genes over the sample maps"
            + ("<br>" if len(names) < 2 else ": ")
            + "none of the markers is in the data"
        )
    else:
        heading = "Marker expression over the sample maps"
    broken = len(names) < 2 or stand_in  # (the z-score words on a line of their own)
    lines = heading.count("<br>") + 1 + broken
    fig.update_layout(
        width=420 * len(names),
        height=360 * len(markers),
        title=heading + ("<br>" if broken else " ") + "(mean z-score of the matched genes)",
        template="plotly_white",
        margin={"l": 20, "r": 60, "t": 50 + 20 * lines, "b": 20},
    )
    return fig


def _fig_smoothness(per_gene: pd.DataFrame):
    """One outline per map over shared bins: five filled histograms laid over each other
    mixed their colours beyond reading."""
    import plotly.graph_objects as go

    values = per_gene.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    lo = min(0.0, float(finite.min())) if finite.size else 0.0
    edges = np.linspace(lo, 1.0, 41)
    fig = go.Figure()
    for j, name in enumerate(per_gene.columns):
        x = per_gene[name].to_numpy(dtype=float)
        counts, _ = np.histogram(x[np.isfinite(x)], bins=edges)
        fig.add_trace(
            go.Scatter(
                x=edges,
                y=np.append(counts, counts[-1]),
                mode="lines",
                line={
                    "shape": "hv",
                    "width": 3 if name == "fe" else 1.5,
                    "color": METHOD_COLORS.get(name, _PALETTE[j % len(_PALETTE)]),
                },
                name=analysis.METHOD_NAMES.get(name, name),
            )
        )
    fig.update_layout(
        width=750,
        height=350,
        title="Smoothness of every gene over each map (1 smooth, 0 random)",
        xaxis_title="smoothness",
        yaxis_title="number of genes",
        legend_title_text="map",
        template="plotly_white",
    )
    return fig


def _ratio_text(ratio: float) -> str:
    """A bar's ratio to chance: ``2.06x chance``, ``13.2x chance`` (blank when not a number)."""
    return f"{ratio:.3g}x chance" if np.isfinite(ratio) else ""


def _fig_agreement(table: pd.DataFrame):
    """Horizontal bars, one row per source of neighbours: long row names (the models by
    directory, the runs together) read level instead of slanting into the next panel."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    cols = [c for c in ("go", "coexp") if f"{c}_fraction" in table.columns]
    fig = make_subplots(
        rows=1,
        cols=len(cols),
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=[
            {"go": "share a GO BP term", "coexp": "co-expression edge (top 1%)"}[c] for c in cols
        ],
    )
    labels = [str(i) for i in table.index]
    for j, c in enumerate(cols):
        for column, name, colour in (
            (f"{c}_fraction", "neighbour pairs", "#1f77b4"),
            (f"{c}_random", "all gene pairs (chance)", "#bbbbbb"),
        ):
            # the neighbours' bars say their ratio to chance, the section's measure (the bars
            # showed shares alone, the ratio only in the table)
            ratio = table.get(f"{c}_ratio") if column.endswith("_fraction") else None
            fig.add_trace(
                go.Bar(
                    y=labels,
                    x=table[column],
                    orientation="h",
                    name=name,
                    marker_color=colour,
                    showlegend=j == 0,
                    text=None if ratio is None else [_ratio_text(r) for r in ratio],
                    textposition="outside",
                    cliponaxis=False,
                ),
                row=1,
                col=j + 1,
            )
        # room right of the longest bar for its ratio, inside the panel
        top = np.nanmax(table[[f"{c}_fraction", f"{c}_random"]].to_numpy(dtype=float))
        fig.update_xaxes(
            title_text="fraction of pairs",
            range=[0, top * 1.45] if np.isfinite(top) and top > 0 else None,
            rangemode="tozero",
            row=1,
            col=j + 1,
        )
    fig.update_yaxes(autorange="reversed")  # top to bottom in the table's order
    fig.update_layout(
        barmode="group",
        width=1000,
        height=140 + 55 * len(labels),
        title="Gene neighbours found in the references, vs all gene pairs (chance)",
        template="plotly_white",
    )
    return fig


def _write_figures(
    figures: dict[str, Any], folder: Path
) -> tuple[dict[str, dict[str, str]], str | None]:
    """Write every figure as PNG and SVG in one Chromium session; (name -> format -> path,
    None).

    Without a Chromium that kaleido can drive, every figure is written as an interactive HTML
    page instead (plotly.js beside them, no network needed), and the second value says why: a
    report computed for many minutes was lost at this last step for want of a browser.
    """
    try:
        return _write_static_figures(figures, folder), None
    except _NoRenderer as exc:
        for path in folder.glob("*.*"):
            path.unlink()  # what the failed renderer left
        written = {}
        for name, fig in figures.items():
            fig.write_html(folder / f"{name}.html", include_plotlyjs="directory", full_html=True)
            written[name] = {
                "html": f"figures/{name}.html",
                "width": str(fig.layout.width or ""),
                "height": str(fig.layout.height or ""),
            }
        return written, str(exc)


def _first_sentence(text: str, limit: int = 200) -> str:
    """The first sentence of an error's message, at most ``limit`` characters (kaleido's go on
    to advise downloading Chrome)."""
    first = (text.strip().splitlines() or [""])[0]
    first = first.split(". ")[0].rstrip(".")
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _n_points(fig) -> int:
    """Points drawn by the figure's scatter traces with markers (a legend's symbol, at None,
    is none)."""
    return sum(
        sum(x is not None for x in t.x)
        for t in fig.data
        if t.type == "scatter" and "markers" in (t.mode or "") and t.x is not None
    )


def _points_as_image(fig):
    """A copy of ``fig`` whose marker traces are WebGL: in an SVG written by plotly their
    points become one image at twice the layout's pixels, beside vector axes and text."""
    import plotly.graph_objects as go

    data = []
    for trace in fig.data:
        if trace.type == "scatter" and "markers" in (trace.mode or ""):
            spec = trace.to_plotly_json()
            spec.pop("type", None)
            trace = go.Scattergl(**spec)
        data.append(trace)
    return go.Figure(data=data, layout=fig.layout)


class _NoRenderer(CoreError):
    """kaleido could not drive a Chromium (none found, or it failed to start)."""


def _plain(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Kaleido's jobs (figure, path, options) without the vector figure kept beside them."""
    return [{k: j[k] for k in ("fig", "path", "opts")} for j in jobs]


def _drop_points_as_image(jobs: list[dict[str, Any]], written: dict[str, dict[str, str]]) -> None:
    """Back to every point as vector in these SVG jobs (the browser drew no WebGL), and the
    figure no longer said to have its points as an image."""
    for j in jobs:
        if "vector" in j:
            j["fig"] = j.pop("vector")
            written.get(Path(j["path"]).stem, {}).pop("svg_points", None)


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _write_static_figures(figures: dict[str, Any], folder: Path) -> dict[str, dict[str, str]]:
    """Every figure as PNG and SVG, in one Chromium session; name -> format -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    browser = os.environ.get("BROWSER_PATH") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    # no MathJax (kaleido's default fetches it from a CDN for every page it opens)
    kopts = {"mathjax": False, **({"path": browser} if browser else {})}
    jobs, written = [], {}
    for name, fig in figures.items():
        written[name] = {}
        n_points = _n_points(fig)
        for fmt in ("png", "svg"):
            path = folder / f"{name}.{fmt}"
            # PNG at twice the layout's pixels: sharp in print and on high-density screens
            opts = {"format": fmt, **({"scale": PNG_SCALE} if fmt == "png" else {})}
            job = {"fig": fig, "path": str(path), "opts": opts}
            if fmt == "svg" and n_points > SVG_MAX_POINTS:
                job["vector"], job["fig"] = fig, _points_as_image(fig)
            jobs.append(job)
            written[name][fmt] = f"figures/{name}.{fmt}"
        written[name]["width"] = str(fig.layout.width or "")
        if n_points > SVG_MAX_POINTS:
            written[name]["svg_points"] = str(n_points)
    for noisy in ("kaleido", "choreographer"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        import kaleido

        try:
            kaleido.write_fig_from_object_sync(_plain(jobs), kopts=kopts, cancel_on_error=True)
        except Exception:  # noqa: BLE001 - retried below with every point as vector
            if not any("vector" in j for j in jobs):
                raise
            _drop_points_as_image(jobs, written)
            kaleido.write_fig_from_object_sync(_plain(jobs), kopts=kopts, cancel_on_error=True)
        # points as an image need WebGL in the browser: where it drew none, the SVG is written
        # again with every point as vector (large, but no figure without its points)
        blank = [j for j in jobs if "vector" in j and "<image" not in _read_text(j["path"])]
        if blank:
            _drop_points_as_image(blank, written)
            kaleido.write_fig_from_object_sync(_plain(blank), kopts=kopts, cancel_on_error=True)
    except Exception as exc:  # noqa: BLE001 - kaleido raises many kinds; say what failed
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            # the disk, not the browser: BROWSER_PATH would not help
            raise CoreError(f"could not write the figures in {folder}: {exc.strerror}") from exc
        raise _NoRenderer(
            f"could not render figures as PNG and SVG with kaleido/Chromium "
            f"({type(exc).__name__}: {_first_sentence(str(exc))}); "
            "install Chromium (apt-get install chromium) or set BROWSER_PATH to a "
            "Chrome/Chromium binary"
        ) from exc
    missing = [j["path"] for j in jobs if not Path(j["path"]).is_file()]
    if missing:
        raise CoreError(f"figure export wrote nothing for {', '.join(missing[:3])}")
    return written
