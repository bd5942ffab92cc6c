"""A reference group kept stays when a box misses the samples: a box on empty space dropped it,
and the next box was compared with all other samples, the link without its ``ref``."""

from __future__ import annotations

import pytest

from tests.browser.test_dashboard_browser import (
    _box_over_the_left_half_of_the_sample_map,
    _loaded,
    _scroll_to,
    _wait,
    _wait_idle,
    _wait_text,
)
from tests.browser.test_map_overlays import box_on_empty_space

pytestmark = pytest.mark.browser


def test_a_box_on_empty_space_keeps_the_reference_group(app_url, driver):
    from selenium.webdriver.common.by import By

    _loaded(driver, app_url)
    line = _box_over_the_left_half_of_the_sample_map(driver)
    kept = line.split(" samples selected")[0]
    _scroll_to(driver, "reference-keep")
    driver.find_element(By.ID, "reference-keep").click()
    _wait_text(driver, "selection-info", "they are the reference group", 30, "the reference kept")
    _wait_idle(driver, "the answers to the button")
    box_on_empty_space(driver)
    _wait_text(driver, "alert-selection", "the selection is empty", 30, "empty box")
    _wait_idle(driver, "the answers to the empty box", quiet=1.5)
    head = driver.find_element(By.ID, "selection-genes-head").text
    assert f"higher than in the reference group ({kept} samples)" in head, head
    assert "ref=" in driver.current_url
    assert driver.find_element(By.ID, "reference-clear").is_enabled()
    # the next box is compared with the reference still (the same half of the map: the same
    # samples, or more of them when the legend's "reference group (N)" entry, wider than the
    # tissues', narrowed the plot)
    _box_over_the_left_half_of_the_sample_map(driver)
    _wait(
        driver,
        lambda: any(
            said in driver.find_element(By.ID, "selection-info").text
            for said in ("they are the reference group", f"reference group of {kept} samples")
        ),
        30,
        "the same samples said to be the reference group",
    )
    driver.save_screenshot(str(driver.shots / "reference_kept_after_empty_box.png"))
