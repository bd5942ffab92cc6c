"""A new gene colouring of the sample map, made in the page from the colour trace it shows
(``assets/recolour.js``): each point keeps its sample's hover text and place, the server's
answer holds the new order and colours, not the hover text again, and the plot keeps its width
and zoom."""

from __future__ import annotations

import json

import pytest

from dashboard.figure_samples import COLOR_TRACE
from tests.browser.test_dashboard_browser import (
    _colour_sample_map_by,
    _figure,
    _js,
    _open_coloured_by_myh6,
    _scroll_to,
    _wait,
    _wait_idle,
    _zoom_sample_map_in,
)

pytestmark = pytest.mark.browser

#: The page's requests to Dash's callbacks: the callback (``output``) and the answer's length in
#: characters of each, kept in ``window.__answers``.
_RECORD_ANSWERS = """
if (window.__answers) return;
window.__answers = [];
const fetch0 = window.fetch;
window.fetch = function (url, opts) {
    const sent = fetch0.apply(this, arguments);
    if (String(url).indexOf('_dash-update-component') < 0) return sent;
    const output = JSON.parse((opts && opts.body) || '{}').output || '';
    return sent.then(function (answer) {
        answer.clone().text().then(t => window.__answers.push({output: output, size: t.length}));
        return answer;
    });
};
"""

#: The colour trace as plotly draws it: each point's sample row, hover text and place.
_COLOUR_TRACE = f"""
const t = document.querySelector('#sample-map .js-plotly-plot')._fullData[{COLOR_TRACE}];
return {{rows: Array.from(t.customdata), text: Array.from(t.text),
        x: Array.from(t.x), y: Array.from(t.y), name: t.name}};
"""

#: The axis ranges the sample map shows.
_RANGES = """
const fl = document.querySelector('#sample-map .js-plotly-plot')._fullLayout;
return [fl.xaxis.range, fl.yaxis.range];
"""


def test_a_recolour_keeps_each_samples_hover_text_and_sends_none(app_url, driver):
    _open_coloured_by_myh6(driver, app_url + "/?color=obs:MYH6")
    _wait_idle(driver, "the page's first answers", quiet=0.5)
    # a new figure from the server: the hover text and place of each sample (row)
    first = _js(driver, _COLOUR_TRACE)
    n = len(first["rows"])
    assert sorted(first["rows"]) == list(range(n)) and n > 1000
    text = dict(zip(first["rows"], first["text"], strict=True))
    place = {r: (x, y) for r, x, y in zip(first["rows"], first["x"], first["y"], strict=True)}
    assert len(set(text.values())) == n  # each sample's own text
    # zoomed in: a recolouring leaves the map where it is
    _zoom_sample_map_in(driver)
    zoom = _js(driver, _RANGES)
    _js(driver, _RECORD_ANSWERS)
    for symbol in ("ALB", "CD8B"):
        _js(driver, "window.__answers.length = 0;")
        before = _js(driver, _COLOUR_TRACE)["rows"]
        _colour_sample_map_by(driver, symbol)
        trace = _js(driver, _COLOUR_TRACE)
        assert trace["rows"] != before and sorted(trace["rows"]) == list(range(n)), symbol
        assert trace["name"].startswith(f"{symbol} (observed)")
        # (plotly fits the ranges to the 1:1 scale again: within 2% of the view, as after a Patch)
        for now, was in zip(_js(driver, _RANGES), zoom, strict=True):
            assert now == pytest.approx(was, abs=0.02 * (was[1] - was[0])), (symbol, now, zoom)
        # every point holds its own sample's hover text and place
        for i, row in enumerate(trace["rows"]):
            assert trace["text"][i] == text[row], (symbol, i, row)
            assert (trace["x"][i], trace["y"][i]) == place[row], (symbol, i, row)
        # the server's answer to the colouring: a small part of the hover text it left out
        answers = _js(driver, "return window.__answers;")
        sizes = [a["size"] for a in answers if a["output"].startswith("..sample-map.figure")]
        assert len(sizes) == 1, answers
        hover = len(json.dumps(trace["text"]))
        assert sizes[0] < hover / 4, (symbol, sizes[0], hover)


# A zoomed sample map stays where it is when recoloured by genes whose colour bars differ (a short
# title, a longer one with its clip under it): the plot area keeps its width, so the 1:1 scale
# keeps the y range (it widened by 2% from MYH7 to LDLR on GTEx).

#: The plot area's width, the axes' ranges, and the colour bar's box and the figure's width.
_PLOT = """
const gd = document.querySelector('#sample-map .js-plotly-plot');
const fl = gd._fullLayout, box = gd.getBoundingClientRect();
const bar = gd.querySelector('.colorbar').getBoundingClientRect();
return {w: fl._size.w, x: fl.xaxis.range, y: fl.yaxis.range, width: fl.width,
        bar_left: bar.left - box.left, bar_right: bar.right - box.left};
"""


def test_a_recolouring_keeps_the_plot_width_and_the_zoom(app_url, driver):
    _open_coloured_by_myh6(driver, app_url + "/?color=obs:MYH6")
    _wait_idle(driver, "the page's first answers", quiet=0.5)
    _zoom_sample_map_in(driver)
    zoom = _js(driver, _PLOT)
    widths = {"MYH6": zoom["bar_right"] - zoom["bar_left"]}
    for symbol, mode, label in (
        ("ALB", "observed", "observed"),
        ("CD8B", "residual (observed − predicted)", "residual"),
    ):
        _colour_sample_map_by(driver, symbol, mode, label)
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
    # a GO term of a long name (its title in 3 lines and the clip's widened the margin to 127-137
    # pixels), then a gene again: the same plot width and zoom
    _colour_sample_map_by_term(driver, LONG_TERM)
    term = _js(driver, _PLOT)
    _colour_sample_map_by(driver, "ALB", "observed", "observed")
    for symbol, now in ((LONG_TERM, term), ("ALB", _js(driver, _PLOT))):
        assert now["w"] == zoom["w"], (symbol, now, zoom)
        assert now["y"] == pytest.approx(zoom["y"], abs=1e-6 * (zoom["y"][1] - zoom["y"][0]))
        assert zoom["w"] < now["bar_left"] < now["bar_right"] <= now["width"], (symbol, now)


#: A GO term of a long name: negative regulation of transcription by RNA polymerase II.
LONG_TERM = "GO:0000122"


def _colour_sample_map_by_term(driver, go_id: str) -> None:
    """Colour the sample map by the GO term ``go_id`` (typed in "Colour samples by"), and wait
    for its colour bar and the page's answers."""
    from selenium.webdriver.common.by import By

    control = driver.find_element(By.CSS_SELECTOR, "#color-by .Select-control")
    _scroll_to(driver, "color-by")
    control.click()
    driver.find_element(By.CSS_SELECTOR, "#color-by input").send_keys(go_id)
    xpath = "//div[@id='color-by']//*[starts-with(normalize-space(text()), 'GO term:')]"
    option = _wait(
        driver,
        lambda: next(
            (o for o in driver.find_elements(By.XPATH, xpath) if f"({go_id}" in o.text), None
        ),
        30,
        f"option {go_id}",
    )
    option.click()
    _wait(
        driver,
        lambda: f"({go_id})" in _figure(driver, "sample-map")["colorbar_full"][COLOR_TRACE],
        30,
        f"{go_id} colour bar",
    )
    _wait_idle(driver, f"the answers to the colouring by {go_id}")
