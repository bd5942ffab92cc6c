"""The gene-space tables at a 1280-pixel window: no sideways scrolling."""

from __future__ import annotations

import pytest

from tests.browser.test_dashboard_browser import _js, _scroll_to, _wait, _wait_idle

pytestmark = pytest.mark.browser

_WIDTHS = """
const out = {};
for (const id of ['gene-neighbors', 'gene-enrichment']) {
    const box = document.querySelector('#' + id + ' .dash-spreadsheet-container');
    const cell = document.querySelector('#' + id + ' td');
    out[id] = {scroll: box.scrollWidth, client: box.clientWidth,
               rows: document.querySelectorAll('#' + id + ' tbody tr').length,
               font: cell ? getComputedStyle(cell).fontFamily : ''};
}
return out;
"""


def test_gene_tables_fit_a_1280_pixel_window(app_url, driver):
    """At 1280 x 900 the GO enrichment table (and the neighbour table) scrolled sideways: the
    p-values, the ontology column, the tables' monospace font. Now each fits its card."""
    driver.set_window_size(1280, 900)
    driver.get(app_url + "/?gene=MYH6&k=20")
    _wait(
        driver,
        lambda: (lambda w: w if all(t["rows"] > 2 for t in w.values()) else None)(
            _js(driver, _WIDTHS)
        ),
        170,
        "neighbour and enrichment tables",
    )
    # measured once the page has every answer (the gene map redrawn for its size, ...)
    _wait_idle(driver, "the page's answers")
    widths = _js(driver, _WIDTHS)
    assert all(t["rows"] > 2 for t in widths.values()), widths
    _scroll_to(driver, "gene-enrichment")
    driver.save_screenshot(str(driver.shots / "13_gene_tables_1280.png"))
    assert _js(driver, "return window.innerWidth") <= 1280
    for table_id, w in widths.items():
        assert w["scroll"] <= w["client"], (table_id, w)
        assert "monospace" not in w["font"], (table_id, w)
    p_values = _js(
        driver,
        "return Array.from(document.querySelectorAll("
        "'#gene-enrichment td[data-dash-column=p_value]')).map(td => td.innerText.trim())",
    )
    assert p_values and all("e-" in p and len(p) <= 7 for p in p_values), p_values
