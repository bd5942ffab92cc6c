"""The gene map's plot area, as Chromium draws it, reaches the server (``gene-map-size``) at two
window widths, and writing it does not start a loop of redraws."""

from __future__ import annotations

import time

import pytest

from tests.browser.test_dashboard_browser import _js, _wait

pytestmark = pytest.mark.browser

#: The plot area plotly drew for the gene map, the store's value, and how often the page wrote
#: the store (set_props is wrapped once, below), or null while the map is not drawn.
_SIZES = """
const gd = document.querySelector('#gene-map .js-plotly-plot');
if (!gd || !gd._fullLayout || !gd._fullLayout._size || !gd.data || !gd.data.length) return null;
const store = window.dash_component_api.getLayout('gene-map-size');
const ring = gd.data.find(t => t.name === 'nearest neighbours');
return {drawn: [gd._fullLayout._size.w, gd._fullLayout._size.h],
        stored: store && store.props ? store.props.data : null,
        writes: window.__sizeWrites || 0,
        rings: ring && ring.customdata ? ring.customdata.length : 0};
"""

#: Counts the page's writes of the store, and keeps the sizes the gene map's callback is sent
#: when the store changed (the requests to the server).
_WATCH = """
if (window.__sizeWrites === undefined) {
    window.__sizeWrites = 0;
    window.__sizeSent = [];
    const setProps = window.dash_clientside.set_props;
    window.dash_clientside.set_props = function (id, props) {
        if (id === 'gene-map-size') { window.__sizeWrites += 1; }
        return setProps(id, props);
    };
    const send = window.fetch;
    window.fetch = function (url, options) {
        try {
            const body = JSON.parse((options && options.body) || 'null');
            if (body && String(body.output).includes('gene-map.figure')
                    && (body.changedPropIds || []).includes('gene-map-size.data')) {
                window.__sizeSent.push(body.inputs.find(i => i.id === 'gene-map-size').value);
            }
        } catch (e) { /* not a callback request */ }
        return send.apply(this, arguments);
    };
}
"""


def _measured(driver, what: str, not_width: float | None = None) -> dict:
    """The sizes once the store holds the plot area drawn (within the script's 4 pixels)."""

    def ready():
        s = _js(driver, _SIZES)
        if not s or not s["stored"] or not s["rings"]:
            return None
        (w, h), stored = s["drawn"], s["stored"]
        if not_width is not None and abs(w - not_width) < 50:
            return None  # the page has not followed the new window size yet
        if abs(stored["width"] - w) <= 4 and abs(stored["height"] - h) <= 4:
            return s
        return None

    return _wait(driver, ready, 170, what)


def test_gene_map_size_follows_the_window(app_url, driver):
    """The labels of the gene in focus were spaced for a 430 x 330 plot whatever the window."""
    driver.set_window_size(1500, 1200)
    driver.get(app_url + "/?gene=MYH6&k=30")
    wide = _measured(driver, "gene map size at 1500 px")
    # two cards side by side at 1500 px; one card the width of the window below 1100 px
    _js(driver, _WATCH)
    driver.set_window_size(1000, 1200)
    narrow = _measured(driver, "gene map size at 1000 px", not_width=wide["drawn"][0])
    assert narrow["stored"]["width"] > wide["stored"]["width"] + 50, (wide, narrow)
    assert 1 <= narrow["writes"] <= 3, narrow  # once per settled size, not on every step
    # the gene map's callback is sent the new size (a gene is in focus: its labels move)
    sent = _wait(driver, lambda: _js(driver, "return window.__sizeSent"), 30, "size sent")
    assert sent[-1] == narrow["stored"], (sent, narrow)
    # no loop: the map redrawn for the new size measures the same, the store rests (from the
    # server's answer on, which may come well after the request on a busy machine)
    _settled_labels(driver, "the map redrawn for the new size")
    time.sleep(2.0)
    settled = _js(driver, _SIZES)
    assert settled["writes"] == narrow["writes"], (narrow, settled)
    assert settled["stored"] == narrow["stored"]
    alert = _js(driver, "return document.getElementById('alert-gene')?.innerText || ''")
    assert not alert.strip(), alert


#: The ring labels written on the gene map, the points of the rings, and the store's view.
_LABELS = """
const gd = document.querySelector('#gene-map .js-plotly-plot');
if (!gd || !gd.data) return null;
const ring = gd.data.find(t => t.name === 'nearest neighbours');
const star = gd.data.find(t => String(t.hovertemplate || '').includes('in focus'));
const store = window.dash_component_api.getLayout('gene-map-size');
if (!ring || !star || !ring.text) return null;
return {labels: Array.from(ring.text).filter(t => t), n: ring.customdata.length,
        star: [star.x[0], star.y[0]], key: (gd.layout.meta || {}).figure_key,
        range: [gd._fullLayout.xaxis.range.slice(), gd._fullLayout.yaxis.range.slice()],
        stored: store && store.props ? store.props.data : null};
"""


#: Whether a callback that draws the gene map is on its way (dcc.Graph marks itself loading).
_LOADING = """
const host = document.getElementById('gene-map');
return !!(host && (host.getAttribute('data-dash-is-loading')
                   || host.querySelector('[data-dash-is-loading]')));
"""


def _settled_labels(driver, what: str) -> dict:
    """The ring labels once the map is not being redrawn and they, and the store, have read
    the same for a second."""
    last: list = [None, 0.0]

    def settled():
        s = _js(driver, _LABELS)
        if not s or _js(driver, _LOADING):
            last[:] = [None, 0.0]
            return None
        seen = (s["labels"], s["stored"])
        if seen != last[0]:
            last[:] = [seen, time.time()]
            return None
        return s if time.time() - last[1] >= 1.0 else None

    return _wait(driver, settled, 90, what)


def test_zooming_into_the_neighbours_gives_their_labels_room(app_url, driver):
    """Labels were spaced for the whole map whatever the zoom: zoomed into the crowd of
    neighbours, those left unlabelled stayed so. The view reaches the server, the labels are
    spaced for it, and a reset (autorange) brings back the whole map's spacing."""
    driver.set_window_size(1500, 1200)
    driver.get(app_url + "/?gene=MYH6&k=30")
    _measured(driver, "gene map size")
    # the labels spaced for the size measured: the store is written before the server answers
    whole = _settled_labels(driver, "ring labels")
    assert whole["stored"].get("x") is None  # not zoomed: no view stored
    (x0, x1), (y0, y1) = whole["range"]
    cx, cy = whole["star"]
    dx, dy = (x1 - x0) / 6, (y1 - y0) / 6  # a third of the map around the gene in focus
    _js(
        driver,
        f"""const gd = document.querySelector('#gene-map .js-plotly-plot');
        Plotly.relayout(gd, {{'xaxis.range': [{cx - dx}, {cx + dx}],
                              'yaxis.range': [{cy - dy}, {cy + dy}]}});""",
    )

    def respaced():
        s = _js(driver, _LABELS)
        if not s or not (s["stored"] or {}).get("x"):
            return None
        return s if s["labels"] != whole["labels"] else None

    zoomed = _wait(driver, respaced, 60, "labels spaced for the zoom")
    assert abs(zoomed["stored"]["x"][0] - (cx - dx)) < 1e-3 * dx, zoomed
    assert len(zoomed["labels"]) > len(whole["labels"]), (whole["labels"], zoomed["labels"])
    # the store names the map it measured, so the server sent the labels alone
    assert zoomed["key"] and zoomed["stored"]["figure_key"] == zoomed["key"], zoomed
    # the redraw kept the user's zoom (uirevision), and the store rests: no loop
    assert abs(zoomed["range"][0][0] - (cx - dx)) < 1e-3 * dx, zoomed["range"]
    time.sleep(2.0)
    assert _js(driver, _LABELS)["stored"] == zoomed["stored"]
    _js(
        driver,
        """const gd = document.querySelector('#gene-map .js-plotly-plot');
        Plotly.relayout(gd, {'xaxis.autorange': true, 'yaxis.autorange': true});""",
    )
    reset = _wait(
        driver,
        lambda: (lambda s: s if s and s["stored"] and not s["stored"].get("x") else None)(
            _js(driver, _LABELS)
        ),
        60,
        "view dropped on reset",
    )
    _wait(
        driver,
        lambda: _js(driver, _LABELS)["labels"] == whole["labels"] or None,
        60,
        "the whole map's labels again",
    )
    assert reset["stored"]["width"] == whole["stored"]["width"]


_LABEL_WIDTHS = """
const gd = document.querySelector('#gene-map .js-plotly-plot');
const ring = gd && gd.data.find(d => d.name === 'nearest neighbours');
if (!ring || !ring.text) return null;
const font = (ring.textfont || {});
const size = font.size || gd._fullLayout.font.size;
const family = font.family || gd._fullLayout.font.family;
const ctx = document.createElement('canvas').getContext('2d');
ctx.font = size + 'px ' + family;
return {size: size, family: family,
        widths: Array.from(ring.text).filter(t => t).map(t => [t, ctx.measureText(t).width])};
"""


def test_neighbour_labels_are_no_wider_than_estimated(app_url, driver):
    """The labels' widths were estimated at 0.62 em a character: names in capitals and digits
    ran wider, so a label at the plot's edge was cut ("UGT1A‹") and two read as one ("SDHC
    NF2"). The labels (drawn by WebGL, not in the page's SVG) are measured in the font the
    browser draws them in."""
    from dashboard.figures import text_width

    driver.set_window_size(1400, 1100)
    driver.get(app_url + "/?gene=MYH6&k=30")
    _measured(driver, "gene map size")
    # the labels spaced for the size measured (the server's answer follows the store)
    _settled_labels(driver, "ring labels")
    seen = _js(driver, _LABEL_WIDTHS)
    assert seen and len(seen["widths"]) >= 5, seen
    for text, drawn in seen["widths"]:
        assert drawn <= text_width(text, seen["size"]) + 0.5, (text, drawn, seen["family"])
