"""A reference group kept stays when a box misses the samples: a box on empty space dropped it,
and the next box was compared with all other samples, the link without its ``ref``."""

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
from tests.browser.test_map_overlays import _GRID_AND_SAMPLES

pytestmark = pytest.mark.browser


def _box_on_empty_space(driver) -> None:
    """A small box with the mouse around a probe-grid point 20 px or more from every sample."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _scroll_to(driver, "sample-map")
    spot = _js(
        driver,
        _GRID_AND_SAMPLES
        + """
        for (let i = 0; i < grid.x.length; i++) {
            const sx = xa.l2p(grid.x[i]), sy = ya.l2p(grid.y[i]);
            if (sx < 30 || sx > xa._length - 30 || sy < 30 || sy > ya._length - 30) continue;
            const near = samples.some(t => t.x.some((x, j) =>
                Math.abs(xa.l2p(x) - sx) < 20 && Math.abs(ya.l2p(t.y[j]) - sy) < 20));
            if (!near) return [sx, sy];
        }
        return null;""",
    )
    assert spot is not None, "no empty region on the map"
    plot = driver.find_element(By.CSS_SELECTOR, "#sample-map .nsewdrag")
    w, h = plot.size["width"], plot.size["height"]
    sx, sy = spot
    box = ActionChains(driver).move_to_element_with_offset(
        plot, int(sx - 8 - w / 2), int(sy - 8 - h / 2)
    )
    box.click_and_hold().move_by_offset(8, 8).move_by_offset(8, 8).release().perform()


def test_a_box_on_empty_space_keeps_the_reference_group(app_url, driver):
    from selenium.webdriver.common.by import By

    _loaded(driver, app_url)
    line = _box_over_the_left_half_of_the_sample_map(driver)
    kept = line.split(" samples selected")[0]
    _scroll_to(driver, "reference-keep")
    driver.find_element(By.ID, "reference-keep").click()
    _wait_text(driver, "selection-info", "they are the reference group", 30, "the reference kept")
    _wait_idle(driver, "the answers to the button")
    _box_on_empty_space(driver)
    _wait_text(driver, "alert-selection", "the selection is empty", 30, "empty box")
    _wait_idle(driver, "the answers to the empty box", quiet=1.5)
    head = driver.find_element(By.ID, "selection-genes-head").text
    assert f"higher than in the reference group ({kept} samples)" in head, head
    assert "ref=" in driver.current_url
    assert driver.find_element(By.ID, "reference-clear").is_enabled()
    # the next box is compared with the reference still
    _box_over_the_left_half_of_the_sample_map(driver)
    _wait(
        driver,
        lambda: "they are the reference group" in driver.find_element(By.ID, "selection-info").text,
        30,
        "the same samples said to be the reference group",
    )
    driver.save_screenshot(str(driver.shots / "reference_kept_after_empty_box.png"))
