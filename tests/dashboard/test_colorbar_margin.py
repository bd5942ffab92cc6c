"""The sample map keeps its plot area's width whatever its continuous colouring: the colour
bar's title and numbers no longer widen the right margin (a zoomed map's y range widened with
each longer title, the 1:1 scale fitting it to a narrower plot)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from dashboard import figure_samples
from dashboard.figure_export import for_export
from dashboard.figure_samples import COLOR_TRACE, COLORBAR_MARGIN, sample_map_continuous
from dashboard.render import browser_path, render_image

_RNG = np.random.default_rng(3)
_COORDS = _RNG.normal(size=(400, 2))
_HOVER = [f"s{i}" for i in range(400)]


def _short():
    """A gene's colouring: a short title, numbers of 3 characters, no clip line."""
    values = np.linspace(0.0, 1.0, 400)
    return sample_map_continuous(_COORDS, values, _HOVER, "MYH7 (observed)")


def _long():
    """A residual colouring: a longer title, the clip line under it, numbers such as -0.004."""
    values = np.r_[_RNG.normal(scale=0.002, size=399), 0.05]
    title = "SCN5A (residual (observed − predicted), log10(x+1))"
    return sample_map_continuous(_COORDS, values, _HOVER, title, diverging=True)


def _go_term():
    """A GO term's colouring: a long name (given in lines, as the page once wrote it) and the
    clip line; 4 lines widened the colour bar to 127-137 pixels, beyond the margin."""
    values = np.r_[_RNG.normal(scale=0.3, size=399), 3.0]
    title = (
        "negative regulation of transcription by<br>RNA polymerase II (GO:0000122)<br>"
        "mean z (23 genes, 2 without variance left out)"
    )
    return sample_map_continuous(_COORDS, values, _HOVER, title, diverging=True)


def test_a_colour_bar_title_is_one_line_and_the_clips():
    """However long or in however many lines it is given, a title is one line of at most
    BAR_TITLE_CHARS characters (cut at a word, with "…"), and the clip's line under it."""
    for fig in (_short(), _long(), _go_term()):
        lines = fig.data[COLOR_TRACE].marker.colorbar.title.text.split("<br>")
        assert len(lines) == 2 and lines[1].startswith("<sup>clipped at"), lines
        assert len(lines[0]) <= figure_samples.BAR_TITLE_CHARS, lines
    go_line = _go_term().data[COLOR_TRACE].marker.colorbar.title.text.split("<br>")[0]
    assert go_line.startswith("negative regulation of transcription by RNA polymerase II")
    assert go_line.endswith("…") and "  " not in go_line
    assert figure_samples.bar_title("MYH7 (observed)") == "MYH7 (observed)"


def _placement(fig) -> dict:
    bar = fig.data[COLOR_TRACE].marker.colorbar
    keys = ("x", "xref", "xanchor", "xpad", "thickness", "thicknessmode", "len")
    return {"margin": fig.layout.margin.to_plotly_json(), **{k: bar[k] for k in keys}}


def test_continuous_colourings_lay_out_the_colour_bar_alike():
    short, long = _short(), _long()
    assert "clipped at percentiles" in long.data[COLOR_TRACE].marker.colorbar.title.text
    assert _placement(short) == _placement(long) == _placement(_go_term())
    # the colour bar's room is kept in the margin, in pixels from the plot's edge
    bar = short.data[COLOR_TRACE].marker.colorbar
    assert short.layout.margin.r == COLORBAR_MARGIN
    assert (bar.x, bar.xref, bar.xanchor, bar.thicknessmode) == (1.0, "paper", "left", "pixels")


def _plot_width(fig, width: int, height: int) -> float:
    """Width of the plot area plotly draws in an SVG of ``fig`` (its clip rectangle)."""
    svg = render_image(for_export(fig, width, height), "svg", width, height, 1).decode()
    drawn = re.search(r'<clipPath[^>]*xyplot[^>]*><rect width="([\d.]+)"', svg)
    assert drawn is not None
    return float(drawn.group(1))


@pytest.mark.skipif(browser_path() is None, reason="no Chromium for kaleido")
@pytest.mark.parametrize("size", [(1000, 700), (502, 400)])
def test_the_plot_area_is_as_wide_for_a_short_and_a_long_colour_bar(size):
    """Drawn by plotly: the margin holds the whole colour bar of either colouring (plotly would
    widen it, and narrow the plot, for a colour bar that did not fit)."""
    width, height = size
    short, long = _plot_width(_short(), width, height), _plot_width(_long(), width, height)
    assert short == long, (short, long)
    # a GO term's long name too (its 4 lines narrowed the plot by 3 to 13 pixels)
    assert _plot_width(_go_term(), width, height) == short
    left = _short().layout.margin.l
    # no more than the margins taken (the y axis' numbers and title widen the left one only)
    assert short <= width - left - COLORBAR_MARGIN
    assert short > width - left - COLORBAR_MARGIN - 40
