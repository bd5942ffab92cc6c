"""The baseline maps without their points (``points=False``), from which a file's layout is
measured: exported, they are laid out as the whole figure is (the same legend, title, margins,
panels and colour bar), with no point of any map."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard import figures
from dashboard.figure_style import DENSE_SAMPLES

N = DENSE_SAMPLES + 500  # dense: the legend's entries drawn apart from the points
MAPS = ("FE", "PCA", "NMF", "t-SNE", "UMAP")


def _colouring(by: str) -> dict:
    rng = np.random.default_rng(1)
    if by == "tissue":
        labels = np.array([f"tissue category {i:02d}" for i in range(28)], dtype=object)
        labels = labels[rng.integers(0, 28, N)]
        labels[:40] = ""  # unlabelled
        return {"labels": labels}
    values = rng.gamma(2.0, 2.0, N).astype(np.float32)
    values[:30] = np.nan  # no value: a legend entry beside the colour bar
    return {"labels": None, "values": values, "color_title": "GATA4 (observed)"}


def _laid_out(fig, size: str, below: bool):
    width, height, _ = figures.EXPORT_SIZES[size]
    max_height = int(figures.JOURNAL_PAGE_MM / figures.EXPORT_WIDTH_MM.get(size, 85.0) * width)
    out = figures.for_export(
        fig, width, height, max_height, legend_below=below, dataset="a dataset"
    )
    return out, figures.panel_title_room(fig)


@pytest.mark.parametrize("by", ["tissue", "gene"])
@pytest.mark.parametrize("size", ["single column (85 mm, 300 dpi)", "slide 16:9"])
@pytest.mark.parametrize("below", [False, True])
def test_maps_without_points_are_laid_out_as_the_whole_figure(by, size, below):
    rng = np.random.default_rng(0)
    maps = {n: rng.normal(size=(N, 2)) for n in MAPS}
    accuracy = {n: {"mean": 0.5, "sd": 0.03} for n in MAPS}
    width, height, _ = figures.EXPORT_SIZES[size]
    args = dict(
        columns=3,
        title="The same samples in 5 maps",
        height=height,
        width=width,
        plot_height=height - 150,
        sample_ids=[f"GTEX-{i:05d}" for i in range(N)],
        smoothness={n: 0.4 for n in MAPS} if by == "gene" else None,
        **_colouring(by),
    )
    labels = args.pop("labels")
    whole = figures.baselines_figure(maps, labels, accuracy, **args)
    sketch = figures.baselines_figure(maps, labels, accuracy, points=False, **args)
    # no point drawn (a dense map's legend entries are traces of one point at None)
    assert all(v is None for t in sketch.data for v in (() if t.x is None else t.x))
    drawn, room = _laid_out(whole, size, below)
    measured, sketch_room = _laid_out(sketch, size, below)
    assert measured.layout.to_plotly_json() == drawn.layout.to_plotly_json()
    assert sketch_room == room
    legend = [(t.name, t.legendgroup, t.marker.color) for t in drawn.data if t.showlegend]
    assert [(t.name, t.legendgroup, t.marker.color) for t in measured.data if t.showlegend] == (
        legend
    )
    assert len(legend) == (29 if by == "tissue" else 1)
    if by == "gene":  # the same colour bar
        bar = [t.marker.to_plotly_json() for t in drawn.data if t.marker.showscale]
        kept = [t.marker.to_plotly_json() for t in measured.data if t.marker.showscale]
        assert len(bar) == len(kept) == 1
        assert {k: v for k, v in kept[0].items() if k != "color"} == {
            k: v for k, v in bar[0].items() if k != "color"
        }
