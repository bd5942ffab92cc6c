"""The browser's Back and Forward step through the views the user chose (assets/history.js):
each new colouring is a step, a zoom is not, nor the page's first view; Back shows the colouring
before, in the page, and Forward the one after."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.test_dashboard_browser import (
    _colour_sample_map_by,
    _figure,
    _js,
    _loaded,
    _scroll_to,
    _wait,
    _wait_idle,
)

pytestmark = pytest.mark.browser


def _address(driver) -> dict[str, str]:
    """The view in the address bar's query."""
    return {k: v[-1] for k, v in parse_qs(urlsplit(driver.current_url).query).items()}


def _steps(driver) -> int:
    return _js(driver, "return window.history.length;")


def _shown(driver) -> str:
    """The colouring the colour-by dropdown shows."""
    return _js(
        driver,
        """const v = document.querySelector('#color-by .Select-value-label');
        return v ? v.textContent : '';""",
    )


def _colour_bar(driver) -> str:
    from dashboard.figure_samples import COLOR_TRACE

    bars = (_figure(driver, "sample-map") or {}).get("colorbar") or []
    return bars[COLOR_TRACE] if len(bars) > COLOR_TRACE else ""


def _zoom_by_dragging(driver) -> None:
    """Drag a box over the middle of the sample map (its zoom mode), as a user zooms in."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _scroll_to(driver, "sample-map")
    plot = driver.find_element(By.CSS_SELECTOR, "#sample-map .nsewdrag")
    w, h = plot.size["width"], plot.size["height"]
    drag = ActionChains(driver).move_to_element_with_offset(plot, -w // 4, -h // 4)
    drag.click_and_hold().move_by_offset(w // 4, h // 4).move_by_offset(w // 4, h // 4)
    drag.release().perform()
    _wait(driver, lambda: "zoom" in _address(driver), 30, "the zoom in the address bar")
    _wait_idle(driver, "the answers to the zoom")


def _back_at(driver, app_url: str, symbol: str | None, first: str) -> None:
    """After Back or Forward: the page (the app's, not the page before it) shows the colouring
    by ``symbol``'s observed values (None: the first view, ``first``), and the address bar
    holds it still once the page has restored it."""
    assert driver.current_url.startswith(app_url), driver.current_url
    if symbol is None:
        _wait(driver, lambda: _shown(driver) == first, 60, f"the first colouring, {first}")
        _wait_idle(driver, "the answers to the first view")
        assert _shown(driver) == first
        # the map too, not only the dropdown
        _wait(driver, lambda: "MYH6" not in _colour_bar(driver), 30, "the map's first colouring")
        assert "MYH6" not in _address(driver).get("color", "")
        return
    _wait(driver, lambda: f"{symbol} (observed" in _colour_bar(driver), 60, f"{symbol} again")
    _wait_idle(driver, f"the answers to {symbol} again")
    assert f"{symbol} (observed" in _colour_bar(driver)
    assert _shown(driver) == f"{symbol} — observed"
    assert _address(driver)["color"] == f"obs:{symbol}"
    assert _address(driver)["gene"] == symbol


def test_back_and_forward_step_through_the_colourings(app_url, driver):
    _loaded(driver, app_url)
    first = _wait(driver, lambda: _shown(driver), 30, "the first colouring")
    start = _steps(driver)
    # the page's first view replaced the address it was opened with: no step of its own
    assert "color" in _address(driver), driver.current_url
    assert _steps(driver) == start

    _colour_sample_map_by(driver, "MYH6")
    assert _address(driver)["color"] == "obs:MYH6"
    assert _steps(driver) == start + 1
    # a zoom changes the address, and adds no step
    _zoom_by_dragging(driver)
    assert _steps(driver) == start + 1
    _colour_sample_map_by(driver, "ALB")
    assert _address(driver)["color"] == "obs:ALB"
    assert _steps(driver) == start + 2

    driver.back()
    _back_at(driver, app_url, "MYH6", first)
    # the view restored adds no step: Forward goes on to ALB
    assert _steps(driver) == start + 2
    driver.forward()
    _back_at(driver, app_url, "ALB", first)
    driver.back()
    _back_at(driver, app_url, "MYH6", first)
    driver.back()
    _back_at(driver, app_url, None, first)
    assert _steps(driver) == start + 2
    driver.save_screenshot(str(driver.shots / "back_to_the_first_view.png"))


def test_back_returns_to_the_view_of_the_link_the_page_was_opened_with(app_url, driver):
    """A page opened from a link (the address its dcc.Location read) comes back to that link's
    view: the address returned to is the one the page read at first, and is given again."""
    _loaded(driver, app_url)
    first = _wait(driver, lambda: _shown(driver), 30, "the first colouring")
    link = urlsplit(driver.current_url).query
    driver.get(f"{app_url}/?{link}")
    _wait(driver, lambda: _shown(driver) == first, 170, "the link's colouring")
    _wait_idle(driver, "the answers to the link")
    start = _steps(driver)
    _colour_sample_map_by(driver, "MYH6")
    assert _steps(driver) == start + 1

    driver.back()
    _back_at(driver, app_url, None, first)
    assert urlsplit(driver.current_url).query == link
    driver.forward()
    _back_at(driver, app_url, "MYH6", first)


def test_back_after_a_new_number_of_neighbours_brings_the_default_back(app_url, driver):
    """k is a step of its own; Back to the view before it shows the default k again (the new k
    stayed in the box, and was written into that view's address)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _loaded(driver, app_url)
    _wait(driver, lambda: _shown(driver), 30, "the first colouring")
    box = driver.find_element(By.ID, "neighbors-k")
    default = box.get_attribute("value")
    start = _steps(driver)
    _scroll_to(driver, "neighbors-k")
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("7", Keys.ENTER)
    _wait(driver, lambda: _address(driver).get("k") == "7", 30, "k=7 in the address bar")
    _wait_idle(driver, "the answers to k=7")
    assert _steps(driver) == start + 1

    driver.back()
    _wait(
        driver,
        lambda: driver.find_element(By.ID, "neighbors-k").get_attribute("value") == default,
        60,
        f"the default k ({default}) again",
    )
    _wait_idle(driver, "the answers to the default k")
    assert "k" not in _address(driver)
    assert driver.find_element(By.ID, "neighbors-k").get_attribute("value") == default
