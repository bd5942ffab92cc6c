"""The page's dropdowns and the clip slider read by a screen reader: each control a keyboard
reaches has a name (its label's words) and a description (its hover text), a click on a label
focuses its control, placeholders are readable (4.5:1), and Escape in the box that selects
samples by tissue keeps the tissue chosen."""

from __future__ import annotations

import pytest

from tests.browser.test_dashboard_browser import _js, _loaded, _wait, _wait_idle

pytestmark = pytest.mark.browser

#: Each control's id -> words its name holds.
NAMED = {
    "color-by": "Colour samples by",
    "gene-search": "Find a gene",
    "gene-color": "Colour genes by",
    "label-select": "Labels to select samples by",
    "export-figure": "Figure",
    "export-size": "Size",
    "baselines-share": "Labelled samples",
    "clip-percentiles": "Clip colour scale",
}

#: id -> [[name, description], ...] of the focusable controls inside (as the accessibility tree
#: has them: aria-labelledby, aria-label, or a <label> of the element; then title).
_NAMES = """
const named = el => {
    const by = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    if (by.length) return by.map(i => document.getElementById(i).textContent).join(' ').trim();
    if (el.getAttribute('aria-label')) return el.getAttribute('aria-label').trim();
    return Array.from(el.labels || []).map(l => l.textContent).join(' ').trim();
};
const out = {};
for (const id of arguments[0]) {
    const focusable = document.getElementById(id).querySelectorAll(
        'input:not([type=hidden]), [tabindex]:not([tabindex="-1"]), [role=combobox], ' +
        '[role=slider]');
    out[id] = Array.from(new Set(focusable)).map(el => [named(el), el.title || '']);
}
return out;
"""

#: [colour, background] of each placeholder shown (the first opaque background behind it).
_PLACEHOLDERS = """
const behind = el => {
    for (; el; el = el.parentElement) {
        const bg = getComputedStyle(el).backgroundColor;
        if (bg && bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
    }
    return 'rgb(255, 255, 255)';
};
const shown = Array.from(document.querySelectorAll('.Select-placeholder'))
    .map(el => [el.textContent, getComputedStyle(el).color, behind(el)]);
const area = document.querySelector('textarea[placeholder]');
shown.push([area.placeholder, getComputedStyle(area, '::placeholder').color, behind(area)]);
return shown;
"""


def _luminance(rgb: str) -> float:
    parts = [float(x) / 255 for x in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in parts]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg: str, bg: str) -> float:
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_controls_are_named_and_placeholders_readable(app_url, driver):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _loaded(driver, app_url)
    # (the script names the controls on the frame after a change)
    names = _js(driver, _NAMES.replace("arguments[0]", repr(list(NAMED))))
    for control, words in NAMED.items():
        found = names[control]
        assert found, (control, names)
        for name, description in found:
            assert words in name and description, (control, found)
    assert [n for n, _ in names["clip-percentiles"]] == [
        "Clip colour scale at percentiles, lower",
        "Clip colour scale at percentiles, upper",
    ]

    # the place upload's file input: named by its card and zone, its focus seen (it is
    # transparent: the page looked the same focused or not)
    upload = _js(
        driver,
        "const i = document.querySelector('#place-upload input[type=file]'); i.focus();"
        "return [i.getAttribute('aria-label') || '',"
        " getComputedStyle(i.closest('.upload')).outlineStyle];",
    )
    assert upload[0].startswith("Place your own samples: Drop a matrix here"), upload
    assert upload[1] != "none", upload

    group = "const g = document.getElementById('export-format'); return [g.role, g.ariaLabel];"
    assert _js(driver, group) == ["radiogroup", "Format"]

    shown = _js(driver, _PLACEHOLDERS)
    assert any(text.startswith("e.g.") for text, _, _ in shown), shown
    for text, fg, bg in shown:
        assert contrast(fg, bg) >= 4.5, (text, fg, bg, round(contrast(fg, bg), 2))

    # a click on "Colour samples by" focuses its box
    driver.find_element(By.CSS_SELECTOR, "label[for=color-by]").click()
    assert _js(driver, "return !!document.activeElement.closest('#color-by');")

    # a tissue chosen, Escape: it stays, and Select with it
    box = driver.find_element(By.CSS_SELECTOR, "#label-select .Select-control")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
    box.click()
    option = _wait(
        driver,
        lambda: driver.find_elements(By.CSS_SELECTOR, "#label-select .VirtualizedSelectOption"),
        30,
        "the tissues to choose from",
    )[0]
    tissue = option.text.rsplit(" (", 1)[0]
    field = driver.find_element(By.CSS_SELECTOR, "#label-select input")
    field.send_keys(tissue, Keys.ENTER)
    apply = driver.find_element(By.ID, "label-select-apply")
    _wait(driver, apply.is_enabled, 30, "Select")
    field.send_keys(Keys.ESCAPE)
    field.send_keys(Keys.ESCAPE)
    _wait_idle(driver, "the box's value sent")
    chosen = driver.find_elements(By.CSS_SELECTOR, "#label-select .Select-value-label")
    assert [e.text.rsplit(" (", 1)[0] for e in chosen] == [tissue]
    assert apply.is_enabled()
