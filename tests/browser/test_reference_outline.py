"""The reference group kept is outlined on the sample map: its samples were drawn as every other
sample left out of the selection, and the map did not show what the selection was compared with.
The outline stays undimmed by a drawn box, and goes with "Compare with all others"."""

from __future__ import annotations

import pytest

from tests.browser.test_dashboard_browser import (
    _box_over_the_left_half_of_the_sample_map,
    _js,
    _loaded,
    _scroll_to,
    _wait,
    _wait_idle,
    _wait_text,
)

pytestmark = pytest.mark.browser

#: Per trace of the sample map: [name, points, points selected (-1: no selection in the trace)].
_TRACES = """
const gd = document.querySelector('#sample-map .js-plotly-plot');
return gd.data.map((t, i) => [t.name || '', gd._fullData[i]._length,
                              Array.isArray(t.selectedpoints) ? t.selectedpoints.length : -1]);
"""


def select_label(driver, index: int) -> tuple[str, int]:
    """Choose the ``index``-th label in the box under the map and click Select -> (label, its
    count), once the selection line counts it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _scroll_to(driver, "label-select")
    driver.find_element(By.CSS_SELECTOR, "#label-select .Select-control").click()
    options = _wait(
        driver,
        lambda: [
            e.text
            for e in driver.find_elements(By.CSS_SELECTOR, "#label-select .VirtualizedSelectOption")
        ],
        30,
        "the labels to choose from",
    )
    label, count = options[index].rsplit(" (", 1)
    count = int(count.rstrip(")").replace(",", ""))
    driver.find_element(By.CSS_SELECTOR, "#label-select input").send_keys(label, Keys.ENTER)
    _wait(
        driver, lambda: driver.find_element(By.ID, "label-select-apply").is_enabled(), 30, "Select"
    )
    driver.find_element(By.ID, "label-select-apply").click()
    _wait_text(driver, "selection-info", f"({label} {count}", 60, "the selection line")
    _wait_idle(driver, "the map drawn with the selection")
    return label, count


def _outline(driver) -> list:
    return [t for t in _js(driver, _TRACES) if t[0].startswith("reference group (")]


def test_the_reference_group_is_outlined_on_the_map(app_url, driver):
    from selenium.webdriver.common.by import By

    _loaded(driver, app_url)
    kept, n_kept = select_label(driver, 0)
    _scroll_to(driver, "reference-keep")
    driver.find_element(By.ID, "reference-keep").click()
    _wait_text(driver, "selection-info", "they are the reference group", 30, "the reference kept")
    _wait_idle(driver, "the map drawn with the outline")
    assert _outline(driver) == [[f"reference group ({n_kept})", n_kept, n_kept]]
    other, n_other = select_label(driver, 1)
    traces = _js(driver, _TRACES)
    # the reference outlined, undimmed; the new selection in colour; the outline over the
    # samples' traces
    assert _outline(driver) == [[f"reference group ({n_kept})", n_kept, n_kept]], traces
    names = [t[0] for t in traces]
    assert [t[2] for t in traces if t[0] == f"{other} ({n_other})"] == [n_other], traces
    assert names.index(f"reference group ({n_kept})") > names.index(f"{other} ({n_other})")
    driver.save_screenshot(str(driver.shots / "reference_outlined.png"))
    # a drawn box: the outline is not dimmed with the samples it leaves out
    _box_over_the_left_half_of_the_sample_map(driver)
    _wait_idle(driver, "the answers to the box")
    (outline,) = _outline(driver)
    assert outline[2] == outline[1], _js(driver, _TRACES)
    # dropped: the outline goes
    _scroll_to(driver, "reference-clear")
    driver.find_element(By.ID, "reference-clear").click()
    _wait(driver, lambda: not _outline(driver), 30, "the outline gone")
