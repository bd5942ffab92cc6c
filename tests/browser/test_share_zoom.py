"""A link keeps where each map was zoomed: opened in another window, both maps show the region
it was made on, through new colourings, and the page's link follows the user's own zoom."""

from __future__ import annotations

import pytest

from tests.browser.test_dashboard_browser import _colour_by_myh6, _js, _loaded, _wait

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
               auto: xa.autorange !== false || ya.autorange !== false};
}
out.link = document.getElementById('share-link').getAttribute('href') || '';
out.address = window.location.search;
return out;
"""


def _close(a, b, span) -> bool:
    return all(abs(u - v) <= 1e-3 * span for u, v in zip(a, b, strict=True))


def _middle(rng):
    lo, hi = rng
    return [lo + (hi - lo) / 4, hi - (hi - lo) / 4]


def test_a_link_opens_both_maps_zoomed_and_follows_the_users_zoom(app_url, driver):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _loaded(driver, app_url)
    whole = _wait(driver, lambda: _js(driver, _RANGES), 60, "both maps")
    assert whole["sample-map"]["auto"] and "zoom=" not in whole["link"]
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
    assert _close(r["sample-map"]["x"], sx, span) and _close(r["sample-map"]["y"], sy, span), r
    assert _close(r["gene-map"]["x"], gx, gx[1] - gx[0]), r
    assert _close(r["gene-map"]["y"], whole["gene-map"]["y"], 1.0), r  # left whole
    assert "zoom=" in r["address"] and "gzoom=" in r["address"], r

    # a new colouring (by a gene after the tissues: a new figure) keeps the zoom
    _colour_by_myh6(driver)
    r = _js(driver, _RANGES)
    assert _close(r["sample-map"]["x"], sx, span) and not r["sample-map"]["auto"], r

    # a double-click shows the whole map: the page's link drops the sample map's zoom
    _js(driver, "document.getElementById('sample-map').scrollIntoView({block: 'center'})")
    plot = driver.find_element(By.CSS_SELECTOR, "#sample-map .nsewdrag")
    ActionChains(driver).double_click(plot).perform()

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
