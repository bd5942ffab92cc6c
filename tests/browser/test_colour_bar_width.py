"""A zoomed sample map stays where it is when recoloured by genes whose colour bars differ (a
short title, a longer one with its clip under it): the plot area keeps its width, so the 1:1
scale keeps the y range (it widened by 2% from MYH7 to LDLR on GTEx)."""

from __future__ import annotations

import pytest

from dashboard.figure_samples import COLOR_TRACE
from tests.browser.test_dashboard_browser import (
    _choose,
    _figure,
    _js,
    _open_coloured_by_myh6,
    _wait,
    _wait_idle,
)

pytestmark = pytest.mark.browser

#: The plot area's width, the axes' ranges, and the colour bar's box and the figure's width.
_PLOT = """
const gd = document.querySelector('#sample-map .js-plotly-plot');
const fl = gd._fullLayout, box = gd.getBoundingClientRect();
const bar = gd.querySelector('.colorbar').getBoundingClientRect();
return {w: fl._size.w, x: fl.xaxis.range, y: fl.yaxis.range, width: fl.width,
        bar_left: bar.left - box.left, bar_right: bar.right - box.left};
"""


def _colour_by(driver, symbol: str, mode: str, label: str) -> None:
    _choose(driver, "color-by", symbol, f"{symbol} — {mode}")
    _wait(
        driver,
        lambda: f"{symbol} ({label}" in _figure(driver, "sample-map")["colorbar"][COLOR_TRACE],
        30,
        f"{symbol} colour bar",
    )
    _wait_idle(driver, f"the answers to the colouring by {symbol}")


def test_a_recolouring_keeps_the_plot_width_and_the_zoom(app_url, driver):
    _open_coloured_by_myh6(driver, app_url + "/?color=obs:MYH6")
    _wait_idle(driver, "the page's first answers", quiet=0.5)
    _js(
        driver,
        """const gd = document.querySelector('#sample-map .js-plotly-plot');
        const [x0, x1] = gd._fullLayout.xaxis.range, [y0, y1] = gd._fullLayout.yaxis.range;
        Plotly.relayout(gd, {'xaxis.range': [x0, (x0 + x1) / 2],
                             'yaxis.range': [y0, (y0 + y1) / 2]});""",
    )
    _wait_idle(driver, "the answers to the zoom")
    zoom = _js(driver, _PLOT)
    widths = {"MYH6": zoom["bar_right"] - zoom["bar_left"]}
    for symbol, mode, label in (
        ("ALB", "observed", "observed"),
        ("CD8B", "residual (observed − predicted)", "residual"),
    ):
        _colour_by(driver, symbol, mode, label)
        now = _js(driver, _PLOT)
        widths[symbol] = now["bar_right"] - now["bar_left"]
        assert now["w"] == zoom["w"], (symbol, now, zoom)
        for axis in ("x", "y"):
            span = zoom[axis][1] - zoom[axis][0]
            assert now[axis] == pytest.approx(zoom[axis], abs=1e-6 * span), (symbol, axis, now)
        # the whole colour bar, its title included, inside the figure and right of the plot
        assert zoom["w"] < now["bar_left"] < now["bar_right"] <= now["width"], (symbol, now)
    # colour bars of different widths (titles, numbers), each of which plotly fitted its margin to
    assert max(widths.values()) - min(widths.values()) >= 3, widths
