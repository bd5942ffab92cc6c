"""A link keeps where each map was zoomed: opened in another window, both maps show the region
it was made on, through new colourings, and the page's link follows the user's own zoom."""

from __future__ import annotations

import pytest

from tests.browser.test_dashboard_browser import (
    _colour_by_myh6,
    _js,
    _loaded,
    _scroll_to,
    _wait,
    _wait_idle,
)

pytestmark = pytest.mark.browser

#: Each map's axis ranges as drawn ({x, y, auto}), or null while it is not drawn.
_RANGES = """
const out = {};
for (const id of ['sample-map', 'gene-map']) {
    const gd = document.querySelector('#' + id + ' .js-plotly-plot');
    if (!gd || !gd._fullLayout || !gd._fullLayout.xaxis || !gd.data || !gd.data.length) {
        return null;
    }
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    out[id] = {x: xa.range.slice(), y: ya.range.slice(),
               auto: xa.autorange !== false || ya.autorange !== false,
               // pixels per unit of each axis
               scale: [xa._length / (xa.range[1] - xa.range[0]),
                       ya._length / (ya.range[1] - ya.range[0])]};
}
out.link = document.getElementById('share-link').getAttribute('href') || '';
out.address = window.location.search;
return out;
"""


def _close(a, b, span) -> bool:
    return all(abs(u - v) <= 1e-3 * span for u, v in zip(a, b, strict=True))


def _covers(shown, asked, span) -> bool:
    return shown[0] <= asked[0] + 1e-3 * span and shown[1] >= asked[1] - 1e-3 * span


def _middle(rng):
    lo, hi = rng
    return [lo + (hi - lo) / 4, hi - (hi - lo) / 4]


def _double_click(driver, graph_id: str) -> None:
    """Double-click the middle of the plot ``graph_id``, as one burst of mouse events.

    Plotly reads two clicks as a double-click when the second ends within 300 ms of the first
    one's start, timed when its handlers run. A WebDriver double-click sends each event in its
    own round trip, and on a busy machine (CI) the four took over 300 ms: plotly read two single
    clicks and kept the zoom. The same events sent from the page itself arrive in a few ms."""
    _js(
        driver,
        f"""const gd = document.querySelector('#{graph_id} .js-plotly-plot');
        gd._testDoubleClicks = 0;
        gd.on('plotly_doubleclick', () => {{ gd._testDoubleClicks += 1; }});
        const drag = gd.querySelector('.nsewdrag'), box = drag.getBoundingClientRect();
        const at = {{bubbles: true, cancelable: true, view: window, button: 0,
                     clientX: box.left + box.width / 2, clientY: box.top + box.height / 2}};
        for (const detail of [1, 2]) {{
            drag.dispatchEvent(new MouseEvent('mousedown', {{...at, detail, buttons: 1}}));
            drag.dispatchEvent(new MouseEvent('mouseup', {{...at, detail, buttons: 0}}));
            drag.dispatchEvent(new MouseEvent('click', {{...at, detail}}));
        }}
        drag.dispatchEvent(new MouseEvent('dblclick', {{...at, detail: 2}}));""",
    )
    _wait(
        driver,
        lambda: _js(
            driver,
            f"return document.querySelector('#{graph_id} .js-plotly-plot')._testDoubleClicks > 0",
        ),
        10,
        "plotly to read a double-click",
    )


def test_a_link_opens_both_maps_zoomed_and_follows_the_users_zoom(app_url, driver):

    _loaded(driver, app_url)
    whole = _wait(driver, lambda: _js(driver, _RANGES), 60, "both maps")
    assert whole["sample-map"]["auto"] and "zoom=" not in whole["link"]
    # the sample map at 1:1, as its distances are read (the gene map takes the room it has)
    px_x, px_y = whole["sample-map"]["scale"]
    assert abs(px_x / px_y - 1) < 0.01, whole
    sx, sy = _middle(whole["sample-map"]["x"]), _middle(whole["sample-map"]["y"])
    gx = _middle(whole["gene-map"]["x"])
    link = "/?zoom={:.6g},{:.6g},{:.6g},{:.6g}&gzoom={:.6g},{:.6g},,".format(*sx, *sy, *gx)
    driver.get(app_url + link)

    def zoomed():
        r = _js(driver, _RANGES)
        if not r or r["sample-map"]["auto"] or "zoom=" not in r["link"]:
            return None
        # the address bar follows the link one callback later (export.py's clientside callback)
        return r if "zoom=" in r["address"] and "gzoom=" in r["address"] else None

    r = _wait(driver, zoomed, 60, "maps zoomed as the link says")
    span = sx[1] - sx[0]
    px_x, px_y = r["sample-map"]["scale"]
    assert abs(px_x / px_y - 1) < 0.01, r
    # at 1:1 the map shows the region of the link, one axis widened to the plot's shape
    assert _covers(r["sample-map"]["x"], sx, span) and _covers(r["sample-map"]["y"], sy, span), r
    # ... and no more than the plot's shape asks: one axis shows about what the link asked
    widened = [
        (shown[1] - shown[0]) / (asked[1] - asked[0]) - 1
        for shown, asked in ((r["sample-map"]["x"], sx), (r["sample-map"]["y"], sy))
    ]
    assert min(widened) < 0.05, (widened, r)
    assert _close(r["gene-map"]["x"], gx, gx[1] - gx[0]), r
    assert _close(r["gene-map"]["y"], whole["gene-map"]["y"], 1.0), r  # left whole
    assert "zoom=" in r["address"] and "gzoom=" in r["address"], r

    # a new colouring (by a gene after the tissues: a new figure) keeps the zoom
    _colour_by_myh6(driver)
    # (a colour bar in place of the legend: another plot shape, another axis widened), read
    # once the page has the answers to the new colouring
    _wait_idle(driver, "the answers to the new colouring")
    r = _js(driver, _RANGES)
    assert _covers(r["sample-map"]["x"], sx, span) and _covers(r["sample-map"]["y"], sy, span), r
    assert not r["sample-map"]["auto"], r

    # a double-click shows the whole map: the page's link drops the sample map's zoom
    _scroll_to(driver, "sample-map")
    _double_click(driver, "sample-map")

    def whole_again():
        r = _js(driver, _RANGES)
        ok = (
            r
            and r["sample-map"]["auto"]
            and "&zoom=" not in r["link"]
            and "?zoom=" not in r["link"]
        )
        if not (ok and "gzoom=" in r["link"]):
            return None
        # the address bar follows the link one callback later
        return r if "gzoom=" in r["address"] and "&zoom=" not in r["address"] else None

    r = _wait(driver, whole_again, 30, "the whole map, its zoom out of link and address")
    assert "?zoom=" not in r["address"], r
