"""The page on smaller screens (a laptop, a window beside another, a tablet), as Chromium draws
it: the maps' titles inside their figures, a header of fixed height, messages that leave the
controls free."""

from __future__ import annotations

import pytest

from dashboard.layout import MODEL_INFO_HELP
from tests.browser.test_dashboard_browser import _js, _loaded, _wait, _wait_idle, _wait_text
from tests.browser.test_page_fits import _heights, _window_width

pytestmark = pytest.mark.browser

#: Each drawn map's title (its text, whitespace left out) and boxes, relative to its figure.
_TITLES = """
return [...document.querySelectorAll('.js-plotly-plot')]
    .filter(g => g._fullLayout && g.querySelector('.gtitle'))
    .map(g => {
        const t = g.querySelector('.gtitle').getBoundingClientRect();
        const f = g.getBoundingClientRect();
        const m = g.querySelector('.modebar');
        return {id: g.parentElement.id, text: g.querySelector('.gtitle').textContent
                    .replace(/\\s+/g, ''),
                left: t.left - f.left, right: t.right - f.left, top: t.top - f.top,
                bottom: t.bottom - f.top, width: f.width, plot_top: g._fullLayout._size.t,
                modebar: m ? m.getBoundingClientRect().bottom - f.top : 0,
                lines: g.querySelectorAll('.gtitle .line').length || 1};
    });
"""


#: The maps whose titles are too long for a narrow window.
MAPS = ("sample-map", "gene-map")


def _titles(driver, fits: bool) -> dict[str, dict]:
    """The maps' titles by graph id, once both maps are drawn and their titles (do not)
    fit in their figures."""

    def ready():
        titles = {t["id"]: t for t in _js(driver, _TITLES)}
        if not set(MAPS) <= set(titles):
            return None
        inside = all(t["right"] <= t["width"] + 1 for t in titles.values())
        return titles if inside == fits else None

    return _wait(driver, ready, 30, "the maps' titles " + ("fitted" if fits else "as drawn"))


def test_map_titles_wrap_in_a_narrow_window(app_url, driver):
    """At 420 pixels the maps' titles ran off the figure (plotly does not wrap a title): they
    are broken into lines inside it, below the mode bar and above the plot, whole; a wide
    window shows them on one line again."""
    _window_width(driver, 1280)
    _loaded(driver, app_url)
    wide = _titles(driver, fits=True)
    assert all(t["lines"] == 1 for t in wide.values()), wide
    _window_width(driver, 420)
    narrow = _titles(driver, fits=True)
    _wait_idle(driver, "the answers to the resize")
    narrow = _titles(driver, fits=True)
    driver.save_screenshot(str(driver.shots / "titles_420.png"))
    # (the baseline maps, when drawn, say only SIMULATED DATA: fitted, on one line)
    for gid in MAPS:
        t = narrow[gid]
        assert t["text"] == wide[gid]["text"], (t["text"], wide[gid]["text"])  # whole
        assert t["lines"] >= 2 and t["left"] >= 0, t
        assert t["top"] >= t["modebar"] - 1, t  # not under the mode bar's buttons
        assert t["bottom"] <= t["plot_top"] + 1, t  # nor over the plot
    _window_width(driver, 1280)
    again = _wait(
        driver,
        lambda: (lambda ts: ts if all(t["lines"] == 1 for t in ts.values()) else None)(
            _titles(driver, fits=True)
        ),
        30,
        "the titles on one line again",
    )
    assert all(again[g]["text"] == wide[g]["text"] for g in MAPS), again


#: The model's line: its box and text widths, its height, and the link's corner of the header.
_MODEL_LINE = """
const e = document.getElementById('model-info');
const s = document.querySelector('.header-share').getBoundingClientRect();
return {scroll: e.scrollWidth, client: e.clientWidth, height: e.getBoundingClientRect().height,
        share: [s.top, s.right], window: document.documentElement.clientWidth};
"""


def test_header_keeps_its_height_in_smaller_windows(app_url, driver):
    """At 1100 pixels and below the model's line wrapped to two lines, and the header grew: it
    keeps one line, cut with an ellipsis, whole on hovering (its title) and unfolded by a
    click (a tablet has no hover). In a wider window (1280, 1440 pixels) that line was cut
    all the same: there it wraps, whole, and the link's corner stays in its place."""
    _window_width(driver, 1100)
    _loaded(driver, app_url)
    text = _wait_text(driver, "model-info", "final MSE", 30, "the model's line")
    before = _heights(driver)
    one_line = _js(driver, _MODEL_LINE)  # (its whole text's width: scroll)
    wrapped = []
    for width in (1440, 1280, 1120):
        _window_width(driver, width)
        line = _js(driver, _MODEL_LINE)
        assert line["scroll"] <= line["client"], (width, line)  # whole, no ellipsis
        assert line["share"][1] <= line["window"] and line["share"][0] == one_line["share"][0], line
        if one_line["scroll"] > line["client"]:
            assert line["height"] > 1.5 * before["model"], (width, line)
            wrapped.append(width)
    driver.save_screenshot(str(driver.shots / "header_1120.png"))
    assert wrapped  # (else the test checks no cut line in a wide window)
    for width in (1100, 1000):
        _window_width(driver, width)
        _wait(driver, lambda: _heights(driver) == before, 10, f"the header at {width} px")
    driver.save_screenshot(str(driver.shots / "header_1000.png"))
    # whole on hovering, then what its words mean (samples 2-D, hidden, final MSE)
    title = _js(driver, "return document.getElementById('model-info').title")
    assert title == f"{text}\n{MODEL_INFO_HELP}", title
    cut = _js(
        driver,
        "const e = document.getElementById('model-info'); return e.scrollWidth > e.clientWidth;",
    )
    assert cut  # (else the test checks nothing at 1000 px)
    driver.find_element("id", "model-info").click()
    _wait(driver, lambda: _heights(driver)["model"] > 1.5 * before["model"], 10, "unfolded")
    driver.find_element("id", "model-info").click()
    _wait(driver, lambda: _heights(driver) == before, 10, "folded again")


#: The message area's and each row of controls' rectangles in the window, and the window's
#: height.
_RECTS = """
const r = e => { const b = e.getBoundingClientRect();
                 return [b.left, b.right, b.top, b.bottom]; };
return {alerts: r(document.getElementById('alerts')), height: window.innerHeight,
        rows: [...document.querySelectorAll(arguments[0])].map(r)};
"""


def _crossing(a: list[float], b: list[float]) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def test_messages_leave_the_controls_free(app_url, driver):
    """A message stuck to the top of the window covered the row of controls scrolled under it
    (the dropdowns above a map could not be clicked while it showed). Wherever the controls of
    the two maps are in the window, the message shows in the window beside them, never on
    them."""
    from selenium.webdriver.common.by import By

    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )
    _loaded(driver, app_url)
    _js(driver, "document.getElementById('color-by').scrollIntoView({block: 'center'})")
    driver.find_element(By.CSS_SELECTOR, "details.details summary").click()
    driver.find_element(By.ID, "gene-list").send_keys("NOTAGENE1, NOTAGENE2")
    driver.find_element(By.ID, "gene-list-apply").click()
    _wait_text(driver, "alert-color", "none of the listed genes", 30, "the message")
    for card in ("sample-map", "gene-map"):
        rows = f"#{card} .js-plotly-plot .modebar-container"
        toolbar = f"document.getElementById('{card}').closest('.card').querySelector('.controls')"
        for block in ("start", "center", "end"):
            _js(driver, f"{toolbar}.scrollIntoView({{block: '{block}'}})")
            where = f"{card}_{block}"

            def clear(rows=rows, toolbar=toolbar):
                seen = driver.execute_script(_RECTS, rows)
                seen["rows"].append(
                    _js(
                        driver,
                        f"const b = {toolbar}.getBoundingClientRect();"
                        "return [b.left, b.right, b.top, b.bottom];",
                    )
                )
                a = seen["alerts"]
                if a[3] - a[2] < 10 or any(_crossing(a, r) for r in seen["rows"]):
                    return None
                return seen

            seen = _wait(driver, clear, 5, f"the message beside the controls ({where})")
            a = seen["alerts"]
            assert a[2] >= 0 and a[3] <= seen["height"], (where, seen)  # in the window
            driver.save_screenshot(str(driver.shots / f"message_{where}.png"))


def _show(driver, slot: str, level: str, text: str) -> None:
    """A message of ``level`` in the alert slot ``slot``, as a callback writes it."""
    _js(
        driver,
        f"window.dash_clientside.set_props('{slot}', {{children: {{type: 'Div', "
        f"namespace: 'dash_html_components', props: {{className: 'alert alert-{level}', "
        f"children: '{text}'}}}}}});",
    )


def test_an_information_goes_by_itself_warnings_and_errors_stay(app_url, driver):
    """Old messages stayed until clicked and covered what lay under them (the baseline maps'
    legend): an information goes by itself after some seconds (not at once, and not while
    the pointer rests on it); a warning or an error, which must be read, stays."""
    import time

    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _loaded(driver, app_url)
    _show(driver, "alert-export", "info", "written: map.svg")
    _show(driver, "alert-color", "warning", "not in this dataset, ignored: NOPE")
    _show(driver, "alert-map", "error", "unknown gene NOPE")
    shown = time.time()
    _wait_text(driver, "alert-export", "written", 5, "the information")
    time.sleep(3)
    assert "written" in driver.find_element(By.ID, "alert-export").text  # long enough to read
    _wait(
        driver,
        lambda: not driver.find_element(By.ID, "alert-export").text.strip(),
        15,
        "the information gone by itself",
    )
    assert time.time() - shown >= 5
    assert "NOPE" in driver.find_element(By.ID, "alert-color").text  # the warning stays
    assert "NOPE" in driver.find_element(By.ID, "alert-map").text  # and the error
    # an information being read (the pointer on it) stays while it is
    _show(driver, "alert-export", "info", "written: map.pdf")
    _wait_text(driver, "alert-export", "map.pdf", 5, "the second information")
    ActionChains(driver).move_to_element(
        driver.find_element(By.CSS_SELECTOR, "#alert-export .alert")
    ).perform()
    time.sleep(11)
    assert "map.pdf" in driver.find_element(By.ID, "alert-export").text
    # the pointer off the message, to a point of the window above it (or below it, when the
    # messages sit at the window's top): an offset of -300 pixels left the window there
    box = driver.find_element(By.CSS_SELECTOR, "#alert-export .alert")
    rect = driver.execute_script("return arguments[0].getBoundingClientRect();", box)
    step = -(rect["height"] / 2 + 40) if rect["top"] > 120 else rect["height"] / 2 + 40
    ActionChains(driver).move_to_element_with_offset(box, 0, int(step)).perform()
    _wait(
        driver,
        lambda: not driver.find_element(By.ID, "alert-export").text.strip(),
        8,
        "the information gone once read",
    )
    assert "NOPE" in driver.find_element(By.ID, "alert-color").text
