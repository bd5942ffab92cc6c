"""What is drawn over the sample map, checked on the pixels Chromium shows: placed samples'
stars above selected samples, and the samples inside a drawn selection still answering hover
and clicks. Also the view a link keeps (number of neighbours, clip range)."""

from __future__ import annotations

import struct
import time
import zlib

import pytest

from tests.browser.test_dashboard_browser import (
    _box_over_the_left_half_of_the_sample_map,
    _figure,
    _js,
    _loaded,
    _open_coloured_by_myh6,
    _scroll_to,
    _wait,
    _wait_idle,
    _wait_text,
)

pytestmark = pytest.mark.browser


def png_pixels(data: bytes) -> tuple[int, int, list[bytearray]]:
    """Decode an 8-bit RGB(A) PNG (as Chromium's screenshots are) -> (width, channels, rows)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 4
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw, stride = zlib.decompress(idat), width * channels
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1 : i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b, c = prev[x], prev[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, channels, rows


_POINT_PX = """
const [x, y] = arguments;
const gd = document.querySelector('#sample-map .js-plotly-plot');
const fl = gd._fullLayout, box = gd.getBoundingClientRect();
return [fl.xaxis._offset + fl.xaxis.l2p(x), fl.yaxis._offset + fl.yaxis.l2p(y),
        box.left, box.top];
"""


def _star_pixels(driver, points, within: float = 15) -> list[tuple[int, ...]]:
    """The colours Chromium shows at the centres of the stars ``points`` (data coordinates of
    the sample map), read again until every one is dark or ``within`` seconds have passed: the
    redraw may follow a moment later on a busy machine."""
    from selenium.webdriver.common.by import By

    graph = driver.find_element(By.ID, "sample-map")
    deadline = time.monotonic() + within
    while True:
        _width, channels, rows = png_pixels(graph.screenshot_as_png)
        frame = _js(driver, "return document.getElementById('sample-map').getBoundingClientRect()")
        pixels = []
        for x, y in points:
            px, py, left, top = driver.execute_script(_POINT_PX, x, y)
            col, row = int(round(left - frame["left"] + px)), int(round(top - frame["top"] + py))
            pixels.append(tuple(rows[row][col * channels : col * channels + 3]))
        if all(sum(p) < 120 for p in pixels) or time.monotonic() > deadline:
            return pixels
        time.sleep(0.5)


def _upload_simulated_samples(driver, path) -> None:
    """Five samples of the demo's own kind (SIMULATED, as the app's data) placed on the map."""
    import pandas as pd
    from selenium.webdriver.common.by import By

    from core.simulate import simulate_gtex_like

    demo = simulate_gtex_like(n_samples=1200, n_genes=400, n_tissues=10, seed=0)
    rows = demo.subset(samples=[0, 1, 2, 3, 4])
    frame = {"sample": [f"mine_{i}" for i in range(5)]}
    # in TPM, as a user's samples come (the demo's box applies log10(x+1), its values' scale)
    tpm = 10.0**rows.values - 1
    frame.update({g: tpm[:, j] for j, g in enumerate(rows.gene_symbols)})
    pd.DataFrame(frame).to_csv(path, index=False)
    _scroll_to(driver, "place-upload")
    driver.find_element(By.CSS_SELECTOR, "#place-upload input[type=file]").send_keys(str(path))
    _wait(
        driver,
        lambda: _figure(driver, "sample-map")["names"][-1] == "your samples (5)",
        90,
        "stars on the sample map",
    )


def test_stars_stay_above_selected_samples(app_url, driver, tmp_path):
    """A link with a selection (almost every sample), then samples placed: each star is drawn
    above the selected samples around it (they hid it: plotly draws selected points last)."""
    from selenium.webdriver.common.by import By

    _open_coloured_by_myh6(driver, app_url + "/?color=obs:MYH6&sel=0-1099&k=7&clip=5-95")
    _wait_text(driver, "selection-info", "1,100 samples selected", 30, "selection of the link")

    _upload_simulated_samples(driver, tmp_path / "placed.csv")
    # samples drawn large: wherever a star lands, selected samples cover its place
    stars = _js(
        driver,
        """const gd = document.querySelector('#sample-map .js-plotly-plot');
        const n = gd.data.length;
        const samples = [...Array(n - 1).keys()].slice(1);
        return Plotly.restyle(gd, {'marker.size': 40}, samples).then(() => {
            const t = gd._fullData[n - 1];
            return Array.from(t.x).map((x, i) => [x, t.y[i]]);
        });""",
    )
    assert len(stars) == 5
    _scroll_to(driver, "sample-map")
    pixels = _star_pixels(driver, stars)
    driver.save_screenshot(str(driver.shots / "10_stars_over_selection.png"))
    for (x, y), pixel in zip(stars, pixels, strict=True):
        assert sum(pixel) < 120, f"star at ({x:.2f}, {y:.2f}) hidden: pixel {pixel}"
    # the link also kept the number of neighbours and the clip range (lost before)
    assert driver.find_element(By.ID, "neighbors-k").get_attribute("value") == "7"
    handles = _js(
        driver,
        "return Array.from(document.querySelectorAll('#clip-percentiles .rc-slider-handle'))"
        ".map(h => h.getAttribute('aria-valuenow'))",
    )
    assert handles == ["5", "95"]


def test_selected_samples_answer_hover_and_clicks(app_url, driver):
    """The outline of a drawn selection caught the pointer: the samples inside it showed no
    hover text, and a click on one probed nothing."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _loaded(driver, app_url)
    info = _box_over_the_left_half_of_the_sample_map(driver)
    plot = driver.find_element(By.CSS_SELECTOR, "#sample-map .nsewdrag")
    # a selected sample, well inside the box
    x, y = _js(
        driver,
        """const gd = document.querySelector('#sample-map .js-plotly-plot');
        const fl = gd._fullLayout;
        for (const t of gd._fullData) {
            if (!t.selectedpoints || !t.customdata) continue;
            for (const i of t.selectedpoints) {
                const px = fl.xaxis.l2p(t.x[i]), py = fl.yaxis.l2p(t.y[i]);
                if (px > 20 && px < fl.xaxis._length / 2 - 20 && py > 20
                    && py < fl.yaxis._length - 20) return [t.x[i], t.y[i]];
            }
        }
        return null;""",
    )
    px, py, left, top = driver.execute_script(_POINT_PX, x, y)
    rect = driver.execute_script("return arguments[0].getBoundingClientRect()", plot)
    ActionChains(driver).move_to_element_with_offset(
        plot,
        int(round(left + px - rect["left"] - rect["width"] / 2)),
        int(round(top + py - rect["top"] - rect["height"] / 2)),
    ).pause(0.5).perform()
    _wait(
        driver,
        lambda: _js(
            driver,
            "return (document.querySelector('#sample-map .js-plotly-plot')._hoverdata || [])"
            ".length",
        ),
        10,
        "hover on a selected sample",
    )
    ActionChains(driver).click().perform()
    probe = _wait_text(driver, "probe", "Decoded at", 30, "probe of a selected sample")
    assert "— a sample; nearest sample" in probe
    # the selection stays (once the answers to the click, the selection's too, are in)
    _wait_idle(driver, "the answers to the click")
    assert driver.find_element(By.ID, "selection-info").text == info
    driver.save_screenshot(str(driver.shots / "11_click_in_selection.png"))


def test_a_star_just_outside_a_drawn_box_stays_above_the_selected_samples(
    app_url, driver, tmp_path
):
    """A box drawn just beside a star left it out: plotly drew it with the unselected points,
    under the selected samples (the stars were selected in the figure, but a drawn selection
    replaced that). The stars are selected again after a drawn selection."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _open_coloured_by_myh6(driver, app_url + "/?color=obs:MYH6")
    _upload_simulated_samples(driver, tmp_path / "placed.csv")
    _scroll_to(driver, "sample-map")
    # samples drawn large: a sample 6-30 px right of a star covers its centre
    star = _js(
        driver,
        """const gd = document.querySelector('#sample-map .js-plotly-plot');
        const n = gd.data.length;
        const samples = [...Array(n - 1).keys()].slice(1);
        return Plotly.restyle(gd, {'marker.size': 70}, samples).then(() => {
            const fl = gd._fullLayout, xa = fl.xaxis, ya = fl.yaxis, t = gd._fullData[n - 1];
            let best = null;
            for (let i = 0; i < t.x.length; i++) {
                const sx = xa.l2p(t.x[i]), sy = ya.l2p(t.y[i]);
                if (sx < 40 || sx > xa._length - 60 || sy < 40 || sy > ya._length - 40) continue;
                for (const k of samples) {
                    const s = gd._fullData[k];
                    for (let j = 0; j < s.x.length; j++) {
                        const dx = xa.l2p(s.x[j]) - sx, dy = ya.l2p(s.y[j]) - sy;
                        if (dx > 12 && dx < 30 && Math.abs(dy) < 10 && (!best || dx < best[2]))
                            best = [t.x[i], t.y[i], dx, sx, sy];
                    }
                }
            }
            return best;
        });""",
    )
    assert star is not None, "no star with a sample just right of it"
    x, y, _dx, sx, sy = star
    _js(
        driver,
        """const gd = document.querySelector('#sample-map .js-plotly-plot');
        Plotly.relayout(gd, {dragmode: 'select'});""",
    )
    plot = driver.find_element(By.CSS_SELECTOR, "#sample-map .nsewdrag")
    w, h = plot.size["width"], plot.size["height"]
    # a box from 7 px right of the star to the right edge of the plot, top to bottom
    left = int(sx + 7 - w / 2)
    box = ActionChains(driver).move_to_element_with_offset(plot, left, -h // 2 + 3)
    box.click_and_hold().move_by_offset((w // 2 - 3 - left) // 2, h // 2)
    box.move_by_offset((w // 2 - 3 - left) - (w // 2 - 3 - left) // 2, h // 2 - 6)
    box.release().perform()
    _wait_text(driver, "selection-info", "samples selected", 30, "selection")
    # every star is selected again (the box left one out, at least)
    _wait(
        driver,
        lambda: _js(
            driver,
            """const gd = document.querySelector('#sample-map .js-plotly-plot');
            const t = gd.data[gd.data.length - 1];
            return (t.selectedpoints || []).length === t.x.length;""",
        ),
        10,
        "the stars selected again",
    )
    # the redraw follows: the star's pixel read until it is dark
    (pixel,) = _star_pixels(driver, [(x, y)])
    driver.save_screenshot(str(driver.shots / "12_star_beside_a_box.png"))
    assert sum(pixel) < 120, f"star at ({x:.2f}, {y:.2f}) hidden: pixel {pixel}"


#: The sample map (gd), its axes (xa, ya), its probe grid and its traces of samples, in a page
#: script.
_GRID_AND_SAMPLES = """const gd = document.querySelector('#sample-map .js-plotly-plot');
const fl = gd._fullLayout, xa = fl.xaxis, ya = fl.yaxis;
const grid = gd._fullData.find(t => t.name === 'probe grid');
const samples = gd._fullData.filter(t => t.customdata && t.name !== 'probe grid');
"""


def box_on_empty_space(driver) -> None:
    """A small box drawn with the mouse around the centre of an empty region of the sample map:
    a probe-grid point 20 px or more from every sample."""
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
    _js(
        driver,
        """const gd = document.querySelector('#sample-map .js-plotly-plot');
        Plotly.relayout(gd, {dragmode: 'select'});""",
    )
    plot = driver.find_element(By.CSS_SELECTOR, "#sample-map .nsewdrag")
    w, h = plot.size["width"], plot.size["height"]
    sx, sy = spot
    box = ActionChains(driver).move_to_element_with_offset(
        plot, int(sx - 8 - w / 2), int(sy - 8 - h / 2)
    )
    box.click_and_hold().move_by_offset(8, 8).move_by_offset(8, 8).release().perform()


def test_a_box_on_empty_space_does_not_fade_the_samples(app_url, driver):
    """A box that caught no sample faded every sample, as if all were left out (plotly selects
    the probe grid's invisible points there, and no sample)."""

    _loaded(driver, app_url)
    box_on_empty_space(driver)
    alert = _wait_text(driver, "alert-selection", "the selection is empty", 30, "empty box")
    assert "draw a lasso or box around some samples" in alert
    faded = _js(
        driver,
        """const gd = document.querySelector('#sample-map .js-plotly-plot');
        return gd.data.filter(t => t.customdata && t.name !== 'probe grid'
                                   && Array.isArray(t.selectedpoints)).length;""",
    )
    _wait(
        driver,
        lambda: _js(
            driver,
            """const gd = document.querySelector('#sample-map .js-plotly-plot');
            return gd.data.every(t => !Array.isArray(t.selectedpoints));""",
        ),
        10,
        f"the samples shown again ({faded} traces faded)",
    )
    driver.save_screenshot(str(driver.shots / "13_empty_box.png"))


def test_a_click_beside_the_samples_decodes_there(app_url, driver):
    """At 1:1 a wide map shows empty bands beside the samples; the probe grid covered only the
    samples' box, so a click there did nothing. A click in the band now decodes, and the map's
    whole view still stops at the samples (the grid's invisible points do not zoom it out)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver.set_window_size(1050, 1000)  # one column of cards: a map wider than high
    _loaded(driver, app_url)
    _scroll_to(driver, "sample-map")
    found = _js(
        driver,
        _GRID_AND_SAMPLES
        + """
        const xs = samples.flatMap(t => Array.from(t.x));
        const ys = samples.flatMap(t => Array.from(t.y));
        const lo = Math.min(...xs), hi = Math.max(...xs);
        const ylo = Math.min(...ys), yhi = Math.max(...ys);
        // beside the samples' box, inside the plot, away from its edges
        for (let i = 0; i < grid.x.length; i++) {
            const sx = xa.l2p(grid.x[i]), sy = ya.l2p(grid.y[i]);
            if (sx < 20 || sx > xa._length - 20 || sy < 20 || sy > ya._length - 20) continue;
            const gx = grid.x[i], gy = grid.y[i];
            const right = gx > hi + 0.1 * (hi - lo), above = gy > yhi + 0.1 * (yhi - ylo);
            const left = gx < lo - 0.1 * (hi - lo), below = gy < ylo - 0.1 * (yhi - ylo);
            if (!(right || above || left || below)) continue;
            return {sx: sx, sy: sy, x: gx, y: gy, box: [lo, hi, ylo, yhi],
                    shown: [xa.range[0], xa.range[1]], yshown: [ya.range[0], ya.range[1]]};
        }
        return {shown: [xa.range[0], xa.range[1]], yshown: [ya.range[0], ya.range[1]],
                box: [lo, hi, ylo, yhi]};""",
    )
    assert "sx" in found, f"no empty band beside the samples: {found}"
    lo, hi, ylo, yhi = found["box"]
    # the whole map: no further than the samples and a margin on the axis that binds
    x_out = (found["shown"][0] < lo - 0.06 * (hi - lo)) and (
        found["shown"][1] > hi + 0.06 * (hi - lo)
    )
    y_out = (found["yshown"][0] < ylo - 0.06 * (yhi - ylo)) and (
        found["yshown"][1] > yhi + 0.06 * (yhi - ylo)
    )
    assert not (x_out and y_out), found
    plot = driver.find_element(By.CSS_SELECTOR, "#sample-map .nsewdrag")
    w, h = plot.size["width"], plot.size["height"]
    ActionChains(driver).move_to_element_with_offset(
        plot, int(found["sx"] - w / 2), int(found["sy"] - h / 2)
    ).click().perform()
    text = _wait_text(driver, "probe", "Decoded at (", 30, "the profile decoded beside the map")
    x, y = (float(v) for v in text.split("Decoded at (", 1)[1].split(")", 1)[0].split(","))
    assert not (lo <= x <= hi and ylo <= y <= yhi), (text, found)  # outside the samples' box
    driver.save_screenshot(str(driver.shots / "14_click_beside_the_samples.png"))


#: The sample map's plot area (the drag cover), its axes, the probe grid's points and the
#: samples' in view, in pixels of the plot area; then the most isolated pixel of the plot area
#: 30 pixels or more inside it and 40 or more from the pixels of ``arguments[0]``: [x, y, pixels
#: to the nearest grid point, to the nearest sample, grid spacing in pixels].
_EMPTY_SPOT = (
    _GRID_AND_SAMPLES
    + """
const px = (t, i) => [xa.l2p(t.x[i]), ya.l2p(t.y[i])];
const avoid = arguments[0] || [];
const inView = ([a, b]) => a > -40 && a < xa._length + 40 && b > -40 && b < ya._length + 40;
const gridPx = Array.from(grid.x, (_, i) => px(grid, i)).filter(inView);
const samplePx = samples.flatMap(t => Array.from(t.x, (_, i) => px(t, i))).filter(inView);
const nearest = (pts, a, b) => Math.min(...pts.map(([u, v]) => Math.hypot(u - a, v - b)));
const spacing = Math.abs(xa.l2p(grid.x[0]) - xa.l2p(grid.x[0] + (() => {
    const xs = [...new Set(Array.from(grid.x))].sort((u, v) => u - v);
    return xs[1] - xs[0];
})()));
let best = null;
for (let a = 30; a < xa._length - 30; a += 4) {
    for (let b = 30; b < ya._length - 30; b += 4) {
        if (avoid.some(([u, v]) => Math.hypot(u - a, v - b) < 40)) continue;
        const g = nearest(gridPx, a, b), s = nearest(samplePx, a, b);
        if (!best || Math.min(g, s) > Math.min(best[2], best[3])) best = [a, b, g, s, spacing];
    }
}
return best;"""
)

#: The pixel last pressed (client coordinates), and the plot area's place and axis ranges then.
_PRESSED = """
const gd = document.querySelector('#sample-map .js-plotly-plot');
const fl = gd._fullLayout, cover = gd.querySelector('.nsewdrag').getBoundingClientRect();
return {press: window.__press, left: cover.left, top: cover.top,
        width: fl.xaxis._length, height: fl.yaxis._length,
        x: fl.xaxis.range.slice(), y: fl.yaxis.range.slice()};
"""


def _decoded_place(text: str) -> tuple[float, float, float]:
    """The place after "Decoded at" in the probe's text, and the rounding of its digits."""
    x, y = text.split("Decoded at (", 1)[1].split(")", 1)[0].split(",")
    digits = len(x.strip().split(".", 1)[1]) if "." in x else 0
    return float(x), float(y), 0.5 * 10.0**-digits


def _assert_decoded_at(text: str, at: dict, px: float, py: float) -> tuple[float, float]:
    """The probe's ``text`` decodes empty space at the pixel (px, py) of the plot area
    (``at``: :data:`_PRESSED`), as shown (rounded) and read to a pixel -> (map units per
    pixel, the tolerance allowed)."""
    x0, x1 = at["x"]
    y0, y1 = at["y"]
    pressed = (x0 + px / at["width"] * (x1 - x0), y1 - py / at["height"] * (y1 - y0))
    per_px = (x1 - x0) / at["width"]
    *shown, rounding = _decoded_place(text)
    tolerance = 1.2 * rounding + 1.5 * per_px
    assert abs(shown[0] - pressed[0]) <= tolerance, (shown, pressed, per_px, text)
    assert abs(shown[1] - pressed[1]) <= tolerance, (shown, pressed, per_px, text)
    assert "— empty space" in text
    return per_px, tolerance


def _click_store(driver):
    return _js(
        driver,
        """const c = window.dash_component_api.getLayout('probe-click');
        return c && c.props ? (c.props.data || null) : null;""",
    )


def test_a_click_between_grid_points_decodes_where_it_lands(app_url, driver):
    """Plotly reports clicks on points only: a click in empty space reached the invisible probe
    grid and decoded at the grid point's centre, and on a map zoomed in 4 times (grid points
    some 60 pixels apart) a click between them decoded nothing. A click anywhere decodes at the
    place pressed, in zoom and in lasso mode; a click on a sample still decodes at the sample,
    once (the page's place is not sent for it)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _loaded(driver, app_url)
    _scroll_to(driver, "sample-map")
    hint = driver.find_element(By.ID, "probe").text
    plot = driver.find_element(By.CSS_SELECTOR, "#sample-map .nsewdrag")
    w, h = plot.size["width"], plot.size["height"]
    # zoom in 4 times with a box drawn around the samples' middle (a drag: nothing decoded)
    cx, cy, span = _js(
        driver,
        _GRID_AND_SAMPLES
        + """const xs = samples.flatMap(t => Array.from(t.x)).sort((a, b) => a - b);
        const ys = samples.flatMap(t => Array.from(t.y)).sort((a, b) => a - b);
        const mid = v => v[Math.floor(v.length / 2)];
        return [xa.l2p(mid(xs)), ya.l2p(mid(ys)), xa.range[1] - xa.range[0]];""",
    )
    cx, cy = min(max(cx, w / 8 + 2), w - w / 8 - 2), min(max(cy, h / 8 + 2), h - h / 8 - 2)
    zoom = ActionChains(driver).move_to_element_with_offset(
        plot, int(cx - w / 8 - w / 2), int(cy - h / 8 - h / 2)
    )
    zoom.click_and_hold().move_by_offset(w // 8, h // 8).move_by_offset(w // 8, h // 8)
    zoom.release().perform()
    spans = """const gd = document.querySelector('#sample-map .js-plotly-plot');
    return gd._fullLayout.xaxis.range[1] - gd._fullLayout.xaxis.range[0];"""
    _wait(driver, lambda: _js(driver, spans) < span / 3, 10, "the map zoomed in")
    _wait_idle(driver, "the answers to the zoom")
    assert driver.find_element(By.ID, "probe").text == hint  # the drag decoded nothing
    _js(
        driver,
        """window.__press = null;
        document.addEventListener('mousedown', e => { window.__press = [e.clientX, e.clientY]; },
                                  true);""",
    )
    seen, spots = [], []
    for n, mode in enumerate(("zoom", "lasso"), start=1):
        _js(
            driver,
            f"""const gd = document.querySelector('#sample-map .js-plotly-plot');
            return Plotly.relayout(gd, {{dragmode: '{mode}'}}).then(() => true);""",
        )
        sx, sy, to_grid, to_sample, spacing = driver.execute_script(_EMPTY_SPOT, spots)
        spots.append([sx, sy])
        # between grid points: none within reach of the pointer (plotly's 20 px and a marker)
        assert to_grid > 25 and to_sample > 25, (to_grid, to_sample, spacing)
        plot = driver.find_element(By.CSS_SELECTOR, "#sample-map .nsewdrag")
        ActionChains(driver).move_to_element_with_offset(
            plot, int(round(sx - w / 2)), int(round(sy - h / 2))
        ).pause(0.3).click().perform()
        text = _wait_text(driver, "probe", "Decoded at (", 30, f"a click in {mode} mode decoded")
        _wait(
            driver,
            lambda n=n: (_click_store(driver) or {}).get("n") == n,
            10,
            f"the click in {mode} mode sent once",
        )
        text = _wait(
            driver,
            lambda: (lambda t: t if t not in seen else None)(
                driver.find_element(By.ID, "probe").text
            ),
            30,
            f"the place of the click in {mode} mode decoded",
        )
        seen.append(text)
        at = _js(driver, _PRESSED)
        px, py = at["press"][0] - at["left"], at["press"][1] - at["top"]
        per_px, tolerance = _assert_decoded_at(text, at, px, py)
        # the nearest grid point lies well beyond that tolerance
        assert to_grid * per_px > 3 * tolerance, (to_grid, per_px, tolerance)
    driver.save_screenshot(str(driver.shots / "15_click_between_grid_points.png"))

    # a click on a sample in view, in zoom and in lasso mode: decoded at the sample, by the
    # sample's click alone (plotly reports it after the click in lasso mode)
    chosen = _js(
        driver,
        _GRID_AND_SAMPLES
        + """const found = [];
        for (const t of samples) {
            for (let i = 0; i < t.x.length; i++) {
                const a = xa.l2p(t.x[i]), b = ya.l2p(t.y[i]);
                if (a > 40 && a < xa._length - 40 && b > 40 && b < ya._length - 40
                    && found.every(f => Math.hypot(f[0] - a, f[1] - b) > 40))
                    found.push([a, b, t.x[i], t.y[i]]);
                if (found.length === 2) return found;
            }
        }
        return found;""",
    )
    assert len(chosen) == 2, f"two samples apart in view: {chosen}"
    for (sx, sy, x, y), mode in zip(chosen, ("zoom", "lasso"), strict=True):
        _js(
            driver,
            f"""const gd = document.querySelector('#sample-map .js-plotly-plot');
            return Plotly.relayout(gd, {{dragmode: '{mode}'}}).then(() => true);""",
        )
        plot = driver.find_element(By.CSS_SELECTOR, "#sample-map .nsewdrag")
        ActionChains(driver).move_to_element_with_offset(
            plot, int(round(sx - w / 2)), int(round(sy - h / 2))
        ).pause(0.5).click().perform()

        def at_sample(x=x, y=y):
            text = driver.find_element(By.ID, "probe").text
            if "— a sample" not in text:
                return None
            *shown, rounding = _decoded_place(text)
            near = abs(shown[0] - x) <= 1.2 * rounding and abs(shown[1] - y) <= 1.2 * rounding
            return text if near else None

        _wait(driver, at_sample, 30, f"a click on a sample in {mode} mode decoded there")
        _wait_idle(driver, f"the answers to the click on a sample in {mode} mode")
        assert _click_store(driver)["n"] == 2  # the page sent no place for it
        assert at_sample(), driver.find_element(By.ID, "probe").text


def _tap(driver, x: float, y: float) -> None:
    """A one-finger tap at the client pixel (x, y), as a touch screen sends it."""
    for kind, points in (("touchStart", [{"x": x, "y": y}]), ("touchEnd", [])):
        driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})
        time.sleep(0.05)


def test_a_tap_decodes_where_it_lands(app_url, driver):
    """On a touch screen (a tablet at the bench) the probe took its place from the mouse
    events alone; a tap in empty space decodes at the place tapped, once, and a tap on a
    sample at the sample."""
    from selenium.webdriver.common.by import By

    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})
    _loaded(driver, app_url)
    _scroll_to(driver, "sample-map")
    assert _js(driver, "return navigator.maxTouchPoints > 0 && 'ontouchstart' in window")
    # zoomed in 4 times around the samples' middle: room between the samples for a tap
    _js(
        driver,
        _GRID_AND_SAMPLES
        + """const xs = samples.flatMap(t => Array.from(t.x)).sort((a, b) => a - b);
        const ys = samples.flatMap(t => Array.from(t.y)).sort((a, b) => a - b);
        const mid = v => v[Math.floor(v.length / 2)];
        const dx = (xa.range[1] - xa.range[0]) / 8, dy = (ya.range[1] - ya.range[0]) / 8;
        return Plotly.relayout(gd, {'xaxis.range': [mid(xs) - dx, mid(xs) + dx],
                                    'yaxis.range': [mid(ys) - dy, mid(ys) + dy]})
            .then(() => true);""",
    )
    _wait_idle(driver, "the answers to the zoom")
    sx, sy, to_grid, to_sample, _spacing = driver.execute_script(_EMPTY_SPOT, [])
    assert to_sample > 25, (to_grid, to_sample)
    at = _js(driver, _PRESSED)
    _tap(driver, at["left"] + sx, at["top"] + sy)
    _wait_text(driver, "probe", "Decoded at (", 30, "a tap decoded")
    _wait_idle(driver, "the answers to the tap")
    _assert_decoded_at(driver.find_element(By.ID, "probe").text, at, sx, sy)
    assert _click_store(driver)["n"] == 1  # one place sent for one tap
    # a tap on a sample: decoded at the sample
    sample = _js(
        driver,
        _GRID_AND_SAMPLES
        + """for (const t of samples) {
            for (let i = 0; i < t.x.length; i++) {
                const a = xa.l2p(t.x[i]), b = ya.l2p(t.y[i]);
                if (a > 30 && a < xa._length - 30 && b > 30 && b < ya._length - 30)
                    return [a, b, t.x[i], t.y[i]];
            }
        }
        return null;""",
    )
    assert sample is not None, "no sample in view"
    a, b, x, y = sample
    _tap(driver, at["left"] + a, at["top"] + b)

    def at_sample():
        text = driver.find_element(By.ID, "probe").text
        if "— a sample" not in text:
            return None
        *shown, rounding = _decoded_place(text)
        near = abs(shown[0] - x) <= 1.2 * rounding and abs(shown[1] - y) <= 1.2 * rounding
        return text if near else None

    _wait(driver, at_sample, 30, "a tap on a sample decoded there")
    driver.save_screenshot(str(driver.shots / "16_tap.png"))
