"""A box on the gene map, drawn with the mouse: its genes fill the gene tables in place of the
neighbourhood, and a gene clicked lists a neighbourhood again, the box taken off the map."""

from __future__ import annotations

import pytest

from tests.browser.test_dashboard_browser import (
    _box_over_the_left_half_of_the_sample_map,
    _js,
    _scroll_to,
    _wait,
    _wait_idle,
    _wait_text,
)

pytestmark = pytest.mark.browser

# the page places of some genes of the map (the focus and its neighbours), in the plot's pixels
_PLACES = """
const gd = document.querySelector('#gene-map .js-plotly-plot');
const want = new Set(arguments[0]), out = {};
gd._fullData.forEach(function(t) {
    Array.from(t.customdata || []).forEach(function(c, i) {
        const s = Array.isArray(c) ? c[0] : c;
        if (want.has(s) && !(s in out)) { out[s] = [t.x[i], t.y[i]]; }
    });
});
const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, px = {};
for (const s in out) { px[s] = [xa.l2p(out[s][0]), ya.l2p(out[s][1])]; }
return {px: px, w: xa._length, h: ya._length};
"""


_SYMBOLS = "#gene-neighbors td[data-dash-column=symbol]"


def _open_the_neighbourhood(driver, app_url) -> None:
    """Open the page on MYH6 and its 5 neighbours."""
    driver.get(app_url + "/?gene=MYH6&k=5")
    _wait_text(driver, "neighbors-info", "nearest to MYH6", 170, "MYH6's neighbours")
    _wait_idle(driver, "the page's answers")


def _box_around_the_neighbourhood(driver, app_url, open_page: bool = True):
    """Open MYH6 and its neighbours (unless ``open_page`` is False: they are open), and draw a
    box around them on the gene map with the mouse -> (their places in the plot's pixels, the
    plot's centre (x, y), the plot's element)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    if open_page:
        _open_the_neighbourhood(driver, app_url)
    _scroll_to(driver, "gene-map")
    near = [td.text for td in driver.find_elements(By.CSS_SELECTOR, _SYMBOLS)]
    places = _js(driver, _PLACES.replace("arguments[0]", repr(["MYH6", *near])))
    px = places["px"]
    assert len(px) >= 3, places
    # the mode bar's box button, as a user clicks it
    _js(
        driver,
        """document.querySelector('#gene-map .modebar-btn[data-val="select"]')
        .dispatchEvent(new MouseEvent('click', {bubbles: true}));""",
    )
    plot = driver.find_element(By.CSS_SELECTOR, "#gene-map .nsewdrag")
    cx, cy = places["w"] / 2, places["h"] / 2
    xs, ys = [p[0] for p in px.values()], [p[1] for p in px.values()]
    x0, x1, y0, y1 = min(xs) - 4, max(xs) + 4, min(ys) - 4, max(ys) + 4
    box = ActionChains(driver).move_to_element_with_offset(plot, int(x0 - cx), int(y0 - cy))
    half = (int((x1 - x0) / 2) + 1, int((y1 - y0) / 2) + 1)
    box.click_and_hold().move_by_offset(*half).move_by_offset(*half).release().perform()
    return px, (cx, cy), plot


def _dimmed(driver) -> int:
    """How many traces of the gene map plotly dims around a selection of points."""
    return _js(
        driver,
        """const gd = document.querySelector('#gene-map .js-plotly-plot');
        return gd.data.filter(t => t.selectedpoints !== undefined && t.selectedpoints !== null)
            .length;""",
    )


def test_a_box_on_the_gene_map_lists_its_genes_and_their_go_terms(app_url, driver):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    px, (cx, cy), plot = _box_around_the_neighbourhood(driver, app_url)
    info = _wait_text(driver, "neighbors-info", "selected on the gene map", 60, "the box's genes")
    listed = [td.text for td in driver.find_elements(By.CSS_SELECTOR, _SYMBOLS)]
    assert set(px) <= set(listed), (px, listed)
    assert info.startswith(f"{len(listed)} genes selected on the gene map")
    go_line = driver.find_element(By.ID, "go-source").text
    assert f"among the {len(listed)} genes selected on the gene map" in go_line
    driver.save_screenshot(str(driver.shots / "gene_map_box.png"))
    # a gene clicked (the box mode's first click also takes the box away): a neighbourhood
    at = px[next(s for s in px if s != "MYH6")]
    ActionChains(driver).move_to_element_with_offset(
        plot, int(at[0] - cx), int(at[1] - cy)
    ).click().perform()
    _wait_text(driver, "neighbors-info", "nearest to", 60, "a neighbourhood again")
    _wait(
        driver,
        lambda: (
            not _js(
                driver,
                """const gd = document.querySelector('#gene-map .js-plotly-plot');
            return (gd.layout.selections || []).length;""",
            )
        ),
        20,
        "the box taken off the map",
    )


def test_a_new_colouring_of_the_genes_leaves_no_dimming_of_the_box_it_took_away(app_url, driver):
    """A new gene map (the genes coloured by a GO term) drops the box, and the tables list the
    neighbourhood again; plotly kept its dimming, trace by trace, on the new traces (GTEx
    acmg59: 14 of 49 genes left bright, not the box's), around genes no table lists."""
    from selenium.webdriver.common.by import By

    _box_around_the_neighbourhood(driver, app_url)
    _wait_text(driver, "neighbors-info", "selected on the gene map", 60, "the box's genes")
    _wait_idle(driver, "the answers to the box")
    assert _dimmed(driver) > 0
    _scroll_to(driver, "gene-color")
    driver.find_element(By.CSS_SELECTOR, "#gene-color .Select-control").click()
    driver.find_element(By.CSS_SELECTOR, "#gene-color input").send_keys("regulation")
    term = _wait(
        driver,
        lambda: next(
            o
            for o in driver.find_elements(By.CSS_SELECTOR, "#gene-color .VirtualizedSelectOption")
            if o.text.startswith("GO term")
        ),
        30,
        "a GO term among the options",
    )
    term.click()
    _wait(
        driver,
        lambda: "annotated" in " ".join(n for n in _js(driver, _NAMES) if n),
        60,
        "the genes coloured by the term",
    )
    _wait_text(driver, "neighbors-info", "nearest to MYH6", 60, "the neighbourhood again")
    _wait_idle(driver, "the answers to the new colouring")
    assert not _js(
        driver,
        """const gd = document.querySelector('#gene-map .js-plotly-plot');
        return (gd.layout.selections || []).length;""",
    )
    _wait(driver, lambda: _dimmed(driver) == 0, 20, "the dimming taken off the map")
    driver.save_screenshot(str(driver.shots / "gene_map_recoloured_after_a_box.png"))


_NAMES = """return document.querySelector('#gene-map .js-plotly-plot').data.map(t => t.name);"""


def test_the_go_button_of_specific_genes_takes_a_box_drawn_before_off_the_gene_map(app_url, driver):
    """A sample selection, a box on the gene map, then the selection's specific genes listed by
    their button:
    the tables list the specific genes, and the box, which dimmed all but its own genes, is
    taken off the map (its deselection leaves the specific genes listed)."""
    from selenium.webdriver.common.by import By

    _open_the_neighbourhood(driver, app_url)
    # a box over the left half of the sample map
    _scroll_to(driver, "sample-map")
    _box_over_the_left_half_of_the_sample_map(driver)
    _wait_idle(driver, "the answers to the sample selection")
    # then a box on the gene map, around MYH6 and its neighbours
    _box_around_the_neighbourhood(driver, app_url, open_page=False)
    _wait_text(driver, "neighbors-info", "selected on the gene map", 60, "the box's genes")
    _wait_idle(driver, "the answers to the box")
    assert _dimmed(driver) > 0
    button = _wait(
        driver,
        lambda: (lambda b: b if b.is_enabled() else None)(
            driver.find_element(By.ID, "selection-genes-go")
        ),
        60,
        "the GO button of the specific genes",
    )
    _scroll_to(driver, "selection-genes-go")
    button.click()
    info = _wait_text(driver, "neighbors-info", "specific to the selection", 60, "their genes")
    _wait_idle(driver, "the answers to the button")
    _wait(driver, lambda: _dimmed(driver) == 0, 20, "the box's dimming taken off the gene map")
    assert not _js(
        driver,
        """const gd = document.querySelector('#gene-map .js-plotly-plot');
        return (gd.layout.selections || []).length;""",
    )
    # (the deselection that follows leaves the specific genes listed)
    assert driver.find_element(By.ID, "neighbors-info").text == info
