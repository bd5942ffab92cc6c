"""A long legend in an exported file: beside a slide's map in columns (under it, GTEx's 35
detailed tissues left the map a third of the slide's width: a 1:1 map in a flat plot area),
and under a journal column's map whole (plotly keeps a horizontal legend to half the figure's
height: the last row was cut off), its entries not set off by the title's width."""

from __future__ import annotations

import re

import pytest

from dashboard import figures
from dashboard.render import browser_path, render_image
from dashboard.sample_map import build_sample_figure

SLIDE = "slide 16:9"
COLUMN = "single column (85 mm, 300 dpi)"
#: A group of legend entries as plotly draws it, and its place in the legend.
GROUP = r'<g class="groups" transform="(?:translate\(([\d.]+),([\d.]+)\))?"'


def _long_names(fig, every: int = 3) -> None:
    """GTEx-like detailed tissue names, one in ``every`` of two lines (``wrap_title``)."""
    shown = [t for t in fig.data if t.showlegend is not False and t.name]
    assert len(shown) == 26
    for i, trace in enumerate(shown):
        trace.name = (
            f"Esophagus - Gastroesophageal<br>Junction {i} (375)"
            if i % every == 0
            else f"Heart - Left Ventricle {i:02d} (431)"
        )


def _svg(fig) -> str:
    lay = fig.layout
    return render_image(fig, "svg", lay.width, lay.height, 1.0).decode()


def _legend_box(svg: str) -> tuple[float, float, float, float, str]:
    """Left, top, width and height of the legend as drawn, and its SVG."""
    legend = svg[svg.index('<g class="legend"') :]
    x, y = re.match(r'<g class="legend"[^>]*translate\(([-\d.]+),\s*([-\d.]+)\)', legend).groups()
    bg = re.search(r'<rect class="bg"[^>]*?width="([\d.]+)" height="([\d.]+)"', legend)
    return float(x), float(y), float(bg[1]), float(bg[2]), legend


def _plot_area(svg: str) -> tuple[float, float]:
    """Width and height of the plot area as drawn (its clip path)."""
    rect = re.search(r'class="plotclip"><rect width="([\d.]+)" height="([\d.]+)"', svg)
    return float(rect[1]), float(rect[2])


@pytest.mark.skipif(browser_path() is None, reason="no Chromium for kaleido")
def test_a_long_legend_stands_in_columns_beside_a_slides_map(context):
    fig, _ = build_sample_figure(context, "ann:tissue", (1, 99), webgl=False)
    _long_names(fig, every=1)  # (too long for one column, even at 7 pixels)
    width, height, _ = figures.EXPORT_SIZES[SLIDE]
    out = figures.for_export(fig, width, height, height)
    assert figures.legend_in_columns(out.layout) and out.layout.height == height
    svg = _svg(out)
    left, top, wide, tall, legend = _legend_box(svg)
    # the legend in the file, beside the plot, not under it
    assert left + wide <= width and top + tall <= height, (left, wide, top, tall)
    plot_w, plot_h = _plot_area(svg)
    assert plot_h > 0.6 * height and left >= plot_w
    # in columns: entries side by side
    xs = {float(x or 0) for x, _ in re.findall(GROUP, legend)}
    assert len(xs) >= 2
    # the plot area's estimate for the labels of the file leaves the legend out
    assert abs(figures.export_plot_area(out)["width"] - plot_w) < 20, plot_w


@pytest.mark.skipif(browser_path() is None, reason="no Chromium for kaleido")
def test_a_long_legend_under_a_journal_column_map_is_drawn_whole(context):
    fig, _ = build_sample_figure(context, "ann:tissue", (1, 99), webgl=False)
    _long_names(fig)
    width, height, _ = figures.EXPORT_SIZES[COLUMN]
    max_height = int(figures.JOURNAL_PAGE_MM / figures.EXPORT_WIDTH_MM[COLUMN] * width)
    out = figures.for_export(fig, width, height, max_height)
    lay = out.layout
    assert lay.legend.orientation == "h" and not figures.legend_in_columns(lay)
    svg = _svg(out)
    left, top, wide, tall, legend = _legend_box(svg)
    rows = [(float(x or 0), float(y or 0)) for x, y in re.findall(GROUP, legend)]
    # every row inside the legend's box (a box cut at half the file's height hid the last)
    assert len(rows) == 26 and max(y for _, y in rows) + 19 + 19 <= tall, (rows[-1], tall)
    assert top + tall <= lay.height and left + wide <= width
    # the entries start at the legend's left, under its title (not after it)
    first = re.search(r'<g class="traces" transform="translate\(([\d.]+),', legend)
    assert float(first[1]) < 10


@pytest.mark.skipif(browser_path() is None, reason="no Chromium for kaleido")
def test_a_legend_beside_a_map_under_three_title_lines_is_drawn_whole(context):
    """A screen file of the 26 tissues with a selection and a reference group (27 entries, the
    title in three lines and the dataset's line) lost its last entry: the dataset's line was
    set after the legend was fitted, and the room counted to the bottom margin, not to the x
    axis' numbers and title above it."""
    from dashboard.export import reference_line, selection_line

    tissue = context.samples["tissue"].to_numpy()
    heart = [int(i) for i in (tissue == "Heart").nonzero()[0]]
    muscle = [int(i) for i in (tissue == "Muscle").nonzero()[0]]
    fig, _ = build_sample_figure(
        context, "ann:tissue", (1, 99), webgl=False, selection=muscle, reference=heart
    )
    figures.add_title_line(fig, selection_line(context, muscle, "ann:tissue"))
    figures.add_title_line(fig, reference_line(context, heart, muscle, "ann:tissue"))
    width, height, _ = figures.EXPORT_SIZES["screen"]
    out = figures.for_export(fig, width, height, height, dataset="a dataset: 520 samples")
    svg = _svg(out)
    left, top, wide, tall, legend = _legend_box(svg)
    # every entry inside the legend's box (plotly clips a legend taller than its room to the
    # box: the last entry's middle lay 1.6 pixels above its end), and the box in the file
    lows = _entry_middles(legend)
    assert len(lows) == 27 and "Vagina (20)" in legend
    assert max(lows) + 9 <= tall, (max(lows), tall)
    assert top + tall <= height and left + wide <= width, (top, tall, left, wide)


def _entry_middles(legend: str) -> list[float]:
    """The height of each legend entry's middle in the legend (its group's place and its own)."""
    groups = [(m.start(), float(m[2] or 0)) for m in re.finditer(GROUP, legend)]
    middles = []
    for m in re.finditer(r'<g class="traces" transform="translate\(([\d.]+),\s*([\d.]+)\)', legend):
        group_y = max((y for at, y in groups if at < m.start()), default=0.0)
        middles.append(group_y + float(m[2]))
    return middles


def test_a_legend_beside_maps_whose_x_axis_draws_nothing_keeps_its_font():
    """The baseline maps' x axes draw no numbers and no title: the plot area ends at the bottom
    margin, and 25 pixels charged for numbers not drawn set 26 tissues beside the baseline maps
    on a slide in 7 pixels where 8 fitted. A legend that fits beside such a map by its margin
    keeps its font (and, rendered, is drawn whole)."""
    import plotly.graph_objects as go

    height, top, bottom, entries = 400, 40, 10, 17
    fig = go.Figure(
        [go.Scatter(x=[i], y=[i], name=f"category {i:02d} (123)") for i in range(entries)]
    )
    fig.update_layout(
        width=700,
        height=height,
        margin=dict(t=top, b=bottom, l=10, r=10),
        legend=dict(font=dict(size=11), tracegroupgap=0),
    )
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    room = height - top - bottom
    # the entries as plotly draws them (19 pixels each, and the legend's padding) fit the room
    assert entries * 19 + 10 < room
    figures.fit_legend(fig, height)
    assert fig.layout.legend.font.size == 11 and fig.layout.legend.orientation is None
    if browser_path() is None:
        return
    svg = _svg(fig)
    tall = _legend_box(svg)[3]
    plot_tall = _plot_area(svg)[1]
    assert plot_tall == room and tall < plot_tall, (tall, plot_tall)
