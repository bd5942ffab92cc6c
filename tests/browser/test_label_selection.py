"""Samples selected by their label in the page: the tissue chosen in the box under the map is
selected on the map (its samples in full colour, the others in grey), counted by the selection
line and kept by the link; the box is cleared for the next choice."""

from __future__ import annotations

import pytest

from tests.browser.test_dashboard_browser import _js, _loaded
from tests.browser.test_reference_outline import select_label

pytestmark = pytest.mark.browser

#: Per trace of the sample map: [name, points selected] (-1: no selection in the trace).
_SELECTED = """
const gd = document.querySelector('#sample-map .js-plotly-plot');
return gd.data.map(t => [t.name || '', Array.isArray(t.selectedpoints) ? t.selectedpoints.length
                         : -1]);
"""


def test_a_tissue_chosen_under_the_map_is_selected(app_url, driver):
    from selenium.webdriver.common.by import By

    _loaded(driver, app_url)
    tissue, count = select_label(driver, 0)
    label = f"{tissue} ({count:,})"
    line = driver.find_element(By.ID, "selection-info").text
    assert line.startswith(f"{count} samples selected") and f"({tissue} {count}" in line, line
    traces = _js(driver, _SELECTED)
    # the samples' traces, named by their tissue and count ("Heart (114)")
    samples = [t for t in traces if t[0] != "probe grid" and t[0].endswith(")")]
    assert len(samples) > 1, traces
    # the tissue's trace wholly selected, every other sample trace's points left out
    assert [t[1] for t in samples if t[0] == label] == [count], traces
    assert all(t[1] == 0 for t in samples if t[0] != label), traces
    assert "sel=" in driver.current_url
    # the box is cleared for the next choice
    assert not driver.find_elements(By.CSS_SELECTOR, "#label-select .Select-value")
    assert not driver.find_element(By.ID, "label-select-apply").is_enabled()
    driver.save_screenshot(str(driver.shots / "label_selection.png"))
