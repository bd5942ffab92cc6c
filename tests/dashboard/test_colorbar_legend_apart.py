"""An exported map coloured by values keeps its legend (the reference group's outline, the
samples without a value) apart from its colour bar: the legend stood at the plot's top right
and the colour bar's title, longer than the plot of a journal column is tall, ran through it
(GTEx's MYH7 at 85 mm: "reference group (431)" written over "clipped at percentiles 1-99")."""

from __future__ import annotations

import re

import numpy as np
import pytest

from dashboard.export import export_figure
from dashboard.render import browser_path, render_image

SIZE = "single column (85 mm, 300 dpi)"


def _rows(context, tissue: str) -> list[int]:
    return np.flatnonzero(context.samples["tissue"].to_numpy() == tissue).tolist()


def _drawn(fig) -> tuple[float, float]:
    """The legend box's top and the x axis title's baseline, as plotly draws them (pixels from
    the figure's top)."""
    lay = fig.layout
    svg = render_image(fig, "svg", lay.width, lay.height, 1.0).decode()
    legend = svg[svg.index('<g class="legend"') :]
    top = float(re.match(r'<g class="legend"[^>]*translate\([-\d.]+,\s*([-\d.]+)\)', legend)[1])
    title = float(re.search(r'class="xtitle"[^>]*?\sy="([\d.]+)"', svg)[1])
    return top, title


@pytest.mark.skipif(browser_path() is None, reason="no Chromium for kaleido")
@pytest.mark.parametrize("size", [SIZE, "slide 16:9"])
def test_the_legend_of_a_map_of_values_lies_under_it(context, kept_figures, size):
    gene = f"obs:{context.gene_symbols[0]}"
    heart, muscle = _rows(context, "Heart"), _rows(context, "Muscle")
    view = {"color": gene, "selection": heart, "reference": muscle}
    export_figure(context, "sample-map", "svg", size, view)
    fig = kept_figures[-1]
    shown = [t.name for t in fig.data if t.showlegend is not False and t.name]
    assert shown == ["reference group (20)"], shown
    assert any(t.marker.showscale for t in fig.data)  # with its colour bar
    top, title = _drawn(fig)
    # under the x axis' title, clear of the colour bar beside the plot
    assert top > title, (top, title)
