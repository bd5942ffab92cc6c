"""A link holds the box's genes (``gsel=``): the page it opens lists them, and the GO terms
enriched among them, as the page where the box was drawn; Back and Forward across a gene
clicked list the selection, then the neighbourhood, again."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.test_dashboard_browser import _js, _scroll_to, _wait, _wait_idle, _wait_text
from tests.browser.test_gene_map_box import _PLACES, _SYMBOLS, _box_around_the_neighbourhood

pytestmark = pytest.mark.browser

_TERMS = "#gene-enrichment td[data-dash-column=go_id]"


def _tables(driver) -> tuple[list[str], list[str], str, str]:
    """The gene table's symbols, the enrichment table's GO ids and the lines above them."""
    from selenium.webdriver.common.by import By

    return (
        [td.text for td in driver.find_elements(By.CSS_SELECTOR, _SYMBOLS)],
        [td.text for td in driver.find_elements(By.CSS_SELECTOR, _TERMS)],
        driver.find_element(By.ID, "neighbors-info").text,
        driver.find_element(By.ID, "go-source").text,
    )


def test_a_link_with_the_boxs_genes_opens_on_them_and_their_go_terms(app_url, driver):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _box_around_the_neighbourhood(driver, app_url)
    _wait_text(driver, "neighbors-info", "selected on the gene map", 60, "the box's genes")
    _wait_idle(driver, "the answers to the box")
    boxed = _tables(driver)
    link = driver.current_url
    genes = parse_qs(urlparse(link).query).get("gsel", [""])[0].split(",")
    assert sorted(genes) == sorted(boxed[0]) and len(genes) >= 3, (link, boxed)
    assert boxed[1], "no GO term enriched among the box's genes"

    # the link, opened anew: the same tables, with no box on the map
    driver.get("about:blank")
    driver.get(link)
    _wait_text(driver, "neighbors-info", "selected on the gene map", 170, "the link's genes")
    _wait_idle(driver, "the answers to the link")
    assert _tables(driver) == boxed
    assert not _js(
        driver,
        """const gd = document.querySelector('#gene-map .js-plotly-plot');
        return (gd.layout.selections || []).length;""",
    )

    # a gene of the selection clicked: its neighbourhood, a new step in the tab's history
    _scroll_to(driver, "gene-map")
    places = _js(driver, _PLACES.replace("arguments[0]", repr(genes)))
    gene, at = next(iter(places["px"].items()))
    plot = driver.find_element(By.CSS_SELECTOR, "#gene-map .nsewdrag")
    cx, cy = places["w"] / 2, places["h"] / 2
    ActionChains(driver).move_to_element_with_offset(
        plot, int(at[0] - cx), int(at[1] - cy)
    ).click().perform()
    _wait_text(driver, "neighbors-info", f"nearest to {gene}", 60, f"{gene}'s neighbours")
    _wait_idle(driver, "the answers to the click")
    assert "gsel" not in urlparse(driver.current_url).query
    # Back: the link's view, its genes listed again; Forward: the neighbourhood again
    driver.back()
    _wait_text(driver, "neighbors-info", "selected on the gene map", 60, "the link's genes")
    _wait_idle(driver, "the answers to Back")
    assert _tables(driver) == boxed
    driver.forward()
    _wait_text(driver, "neighbors-info", f"nearest to {gene}", 60, f"{gene}'s neighbours")
    _wait(
        driver,
        lambda: "gsel" not in urlparse(driver.current_url).query,
        20,
        "the address without the selection",
    )
