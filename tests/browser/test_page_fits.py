"""The page in windows of other widths, as Chromium draws it: nothing cut off, nothing pushed
out of the window, and a header that keeps its lines."""

from __future__ import annotations

import pytest

from tests.browser.test_dashboard_browser import _js, _loaded, _wait, _wait_idle, _wait_text

pytestmark = pytest.mark.browser


def _window_width(driver, width: int) -> None:
    """Draw the page at ``width`` CSS pixels (a headless window is at least 500 wide)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 1200, "deviceScaleFactor": 1, "mobile": False},
    )
    _wait(driver, lambda: _js(driver, "return window.innerWidth") == width, 10, f"{width} px")


def _heights(driver) -> dict[str, float]:
    return _js(
        driver,
        """return {model: document.getElementById('model-info').getBoundingClientRect().height,
                   header: document.querySelector('.header').getBoundingClientRect().height};""",
    )


def test_the_page_fits_narrow_windows_and_keeps_its_header(app_url, driver):
    """Three things a biologist saw: the header's model line wrapped once samples were placed
    (the link's text beside it grew); at 420 pixels the page scrolled sideways (the link's
    corner of the header did not wrap); the greyed entry that says a gene is unknown wrapped
    in its row of 30 pixels and was cut off."""
    import pandas as pd
    from selenium.webdriver.common.by import By

    from core.simulate import simulate_gtex_like

    _window_width(driver, 1280)
    _loaded(driver, app_url)
    _wait_text(driver, "model-info", "final MSE", 30, "the model's line")
    before = _heights(driver)
    demo = simulate_gtex_like(n_samples=1200, n_genes=400, n_tissues=10, seed=0)
    rows = demo.subset(samples=[0, 1, 2, 3])
    frame = {"sample": [f"fit_{i}" for i in range(4)]}
    tpm = 10.0**rows.values - 1  # (TPM: the demo's box applies log10(x+1))
    frame.update({g: tpm[:, j] for j, g in enumerate(rows.gene_symbols)})
    path = driver.shots / "fit_upload.csv"
    pd.DataFrame(frame).to_csv(path, index=False)
    driver.find_element(By.CSS_SELECTOR, "#place-upload input[type=file]").send_keys(str(path))
    _wait_text(driver, "share-note", "placed samples", 60, "the link's note on placed samples")
    _wait_idle(driver, "the answers to the upload")
    driver.save_screenshot(str(driver.shots / "fit_1280_placed.png"))
    assert _heights(driver) == before  # the model's line did not wrap

    _window_width(driver, 420)
    # plotly redraws each figure at its box's new width a moment after the resize
    _wait(
        driver,
        lambda: _js(
            driver,
            """return [...document.querySelectorAll('.js-plotly-plot')].every(
                g => g._fullLayout && g._fullLayout.width <= g.clientWidth + 1);""",
        ),
        30,
        "the figures redrawn for the narrow window",
    )
    _wait_idle(driver, "the answers to the resize")
    driver.save_screenshot(str(driver.shots / "fit_420.png"))
    overflow = _js(
        driver,
        """const W = document.documentElement.clientWidth;
        return [document.documentElement.scrollWidth - W,
                [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > W + 1
                                 && e.parentElement.getBoundingClientRect().right <= W + 1)
                    .map(e => e.id || e.className).slice(0, 5)];""",
    )
    assert overflow[0] <= 0, f"the page scrolls sideways by {overflow[0]} px: {overflow[1]}"

    # a gene the dataset lacks, typed in the colouring box: its entry shows whole
    _js(driver, "document.getElementById('color-by').scrollIntoView({block: 'center'})")
    driver.find_element(By.CSS_SELECTOR, "#color-by .Select-control").click()
    driver.find_element(By.CSS_SELECTOR, "#color-by input").send_keys("ZNF9999")
    entry = """const o = document.querySelector('#color-by .VirtualizedSelectDisabledOption');
        return o && o.innerText.startsWith("unknown gene 'ZNF9999'") && o.innerText.length > 60
            ? [o.scrollHeight, o.clientHeight] : null;"""
    _wait(driver, lambda: _js(driver, entry), 30, "the unknown gene's entry")
    _wait_idle(driver, "the dropdown's rows")
    driver.save_screenshot(str(driver.shots / "fit_420_unknown_gene.png"))
    needed, shown = _js(driver, entry)
    assert needed <= shown, f"the entry needs {needed} px, its row is {shown} px"
