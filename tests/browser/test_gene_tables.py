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


_MARKS = """
const cells = c => Array.from(document.querySelectorAll('#gene-neighbors td[data-dash-column=' + c
    + ']'));
const heads = Array.from(document.querySelectorAll('#gene-neighbors th[data-dash-column]'));
return {
    heads: heads.map(th => th.getAttribute('data-dash-column')),
    r: cells('r').map(td => [parseFloat(td.innerText), getComputedStyle(td).fontWeight]),
    go: cells('shared_go').map(td => td.innerText.trim()),
    symbol: cells('symbol').map(td => getComputedStyle(td).backgroundColor),
    toggle: Array.from(document.querySelectorAll('#gene-neighbors button'))
        .filter(b => /toggle/i.test(b.innerText)).length,
};
"""


def test_the_pair_marks_show_and_a_selection_shows_the_columns_it_fills(app_url, driver):
    """The neighbour table left out the rank, coexp and novel to fit its card: a co-expression
    edge's r is bold and a novel pair's symbol on yellow, read from the rows' keys that no
    column shows; the genes of a link's selection show no distance or pair columns."""
    driver.set_window_size(1280, 900)
    driver.get(app_url + "/?gene=MYH6&k=20")
    marks = _wait(
        driver,
        lambda: (lambda m: m if len(m["r"]) == 20 and any(w == "700" for _, w in m["r"]) else None)(
            _js(driver, _MARKS)
        ),
        170,
        "the neighbour table with its marks",
    )
    assert not {"rank", "coexp", "novel"} & set(marks["heads"]), marks["heads"]
    assert {"symbol", "distance", "r", "shared_go"} <= set(marks["heads"])
    assert marks["toggle"] == 0
    bold = [r for r, w in marks["r"] if w == "700"]
    plain = [r for r, w in marks["r"] if w != "700"]
    # a co-expression edge is a pair above the cut: every bold r above every other
    assert plain and min(bold) >= max(plain), marks["r"]
    shaded = {"rgb(255, 255, 255)", "rgb(250, 251, 252)"}  # (the rows' own, odd rows shaded)
    novel = [i for i, colour in enumerate(marks["symbol"]) if colour not in shaded]
    assert novel, marks["symbol"]
    # a novel pair is neither co-expressed nor sharing a GO term
    assert all(marks["r"][i][1] != "700" and marks["go"][i] == "0" for i in novel), marks
    driver.get(app_url + "/?gene=MYH6&k=20&gsel=MYH6,MYL7,NPPA")
    heads = _wait(
        driver,
        lambda: (lambda m: m["heads"] if len(m["symbol"]) == 3 else None)(_js(driver, _MARKS)),
        60,
        "the selection's genes",
    )
    assert heads == ["symbol", "detected", "name", "gene_type", "go_terms"], heads
