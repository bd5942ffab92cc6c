"""The baseline maps in a journal column (85 mm) with their legend under them: the legend
follows the lowest maps closely (the file counted its entries two to a row where plotly draws
three, and GTEx's 28 tissues left 76 pixels blank between the maps and the legend), and lies
over none of them."""

from __future__ import annotations

import re

import numpy as np
import pytest

from dashboard import figures
from dashboard.render import browser_path, render_image

SIZE = "single column (85 mm, 300 dpi)"
#: The most blank pixels between the lowest map and the legend's box.
MAX_BAND_PX = 20.0


def _legend_top(fig) -> float:
    """The top of the legend's box as plotly draws it (pixels from the figure's top)."""
    lay = fig.layout
    svg = render_image(fig, "svg", lay.width, lay.height, 1.0).decode()
    found = re.search(r'<g class="legend"[^>]*transform="translate\([-\d.]+,\s*([-\d.]+)\)"', svg)
    assert found, "no legend drawn"
    return float(found.group(1))


def _lowest_map_bottom(fig) -> float:
    """The bottom of the lowest map's domain (pixels from the figure's top)."""
    lay = fig.layout
    plot_h = lay.height - lay.margin.t - lay.margin.b
    drawn = {t.yaxis[1:] for t in fig.data if t.y is not None and len(t.y)}  # ("", "2", ...)
    low = min(lay[f"yaxis{n}"].domain[0] for n in drawn)
    return lay.margin.t + (1 - low) * plot_h


@pytest.mark.skipif(browser_path() is None, reason="no Chromium for kaleido")
def test_the_legend_under_a_journal_column_of_maps_follows_them():
    """Five maps of 14 categories, three maps a row, the legend under them; entries of 22
    characters, as GTEx's "Adipose Tissue (1,204)" (counted two a row, drawn three)."""
    rng = np.random.default_rng(0)
    labels = np.array([f"tissue category {i:02d}" for i in range(14)] * 5)
    maps = {n: rng.normal(size=(len(labels), 2)) for n in ("FE", "PCA", "NMF", "t-SNE", "UMAP")}
    width, height, _ = figures.EXPORT_SIZES[SIZE]
    max_height = int(figures.JOURNAL_PAGE_MM / figures.EXPORT_WIDTH_MM[SIZE] * width)
    fig = figures.baselines_figure(maps, labels, columns=3, height=height, width=width)
    fig = figures.for_export(fig, width, height, max_height, legend_below=True)
    names = [t.name for t in fig.data if t.showlegend is not False and t.name]
    assert len(names) == 14 and max(map(len, names)) == 22  # "... (5)"
    assert fig.layout.legend.orientation == "h"
    band = _legend_top(fig) - _lowest_map_bottom(fig)
    assert 0.0 <= band <= MAX_BAND_PX, band
