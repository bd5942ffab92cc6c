"""A legend under an exported map holds as many rows as the file leaves it: the sample map's
plot area is narrower than the figure less its margins (plotly widens the left margin of 40 to
56 for the y axis' numbers and title), and its legend is laid out by groups (a category's
traces), which start a row sooner than entries. 26 entries of 13 characters ("Prostate (20)")
at 85 mm were counted 7 rows of four and drawn as 9 of three: plotly took the two rows missing
from the map, drawn 250 pixels tall instead of 288, its x axis pushed up into the plot area the
file had planned."""

from __future__ import annotations

import re

import pytest

from dashboard import figures
from dashboard.render import browser_path, render_image
from dashboard.sample_map import build_sample_figure

SIZE = "single column (85 mm, 300 dpi)"


def _drawn(fig) -> tuple[float, float, float]:
    """The legend box's top and bottom and the x axis title's baseline, as plotly draws them
    (pixels from the figure's top)."""
    lay = fig.layout
    svg = render_image(fig, "svg", lay.width, lay.height, 1.0).decode()
    legend = svg[svg.index('<g class="legend"') :]
    top = float(re.match(r'<g class="legend"[^>]*translate\([-\d.]+,\s*([-\d.]+)\)', legend)[1])
    height = float(re.search(r'<rect class="bg"[^>]*?height="([\d.]+)"', legend)[1])
    title = float(re.search(r'class="xtitle"[^>]*?\sy="([\d.]+)"', svg)[1])
    return top, top + height, title


@pytest.mark.skipif(browser_path() is None, reason="no Chromium for kaleido")
def test_the_legend_under_a_journal_column_sample_map_leaves_the_map_its_room(context):
    fig, _ = build_sample_figure(context, "ann:tissue", (1, 99), webgl=False)
    shown = [t for t in fig.data if t.showlegend is not False and t.name]
    assert len(shown) == 26 and all(t.legendgroup for t in shown)  # (grouped, as plotly lays it)
    for i, trace in enumerate(shown):  # names as long as "Prostate (20)"
        trace.name = f"tissue{i:02d} (20)"
    assert {len(t.name) for t in shown} == {13}
    width, height, _ = figures.EXPORT_SIZES[SIZE]
    max_height = int(figures.JOURNAL_PAGE_MM / figures.EXPORT_WIDTH_MM[SIZE] * width)
    out = figures.for_export(fig, width, height, max_height)
    lay = out.layout
    assert lay.legend.orientation == "h"
    top, bottom, axis_title = _drawn(out)
    # the x axis' title in the band the file left under the plot area, not pushed up into it
    assert axis_title >= lay.height - lay.margin.b, (axis_title, lay.height, lay.margin.b)
    # the legend under it, close (no blank row), and inside the file
    assert 0 < top - axis_title < 19, (axis_title, top)
    assert bottom <= lay.height
