"""The dashboard in real headless Chromium: load, colour by MYH6, click a gene, export an SVG."""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.browser


def _wait(driver, predicate, timeout: float, what: str):
    t_end = time.time() + timeout
    while time.time() < t_end:
        try:
            value = predicate()
        except Exception:  # noqa: BLE001 - the page is still rendering
            value = None
        if value:
            return value
        time.sleep(0.3)
    driver.save_screenshot(str(driver.shots / f"timeout_{what.replace(' ', '_')}.png"))
    raise AssertionError(f"timed out waiting for {what}")


def _wait_text(driver, element_id: str, needle: str, timeout: float, what: str) -> str:
    """The text of the element ``element_id`` once it contains ``needle``."""
    from selenium.webdriver.common.by import By

    return _wait(
        driver,
        lambda: (lambda t: t if needle in t else None)(driver.find_element(By.ID, element_id).text),
        timeout,
        what,
    )


def _colour_by_myh6(driver, typed: str = "MYH6") -> None:
    """Colour the sample map by MYH6's observed values (``typed`` in color-by); wait for its
    colour bar."""
    _choose(driver, "color-by", typed, "MYH6 — observed")
    _wait(
        driver,
        lambda: "MYH6 (observed)" in _figure(driver, "sample-map")["colorbar"],
        30,
        "MYH6 colour bar",
    )


def _js(driver, script: str):
    return driver.execute_script(script)


#: Milliseconds since the page last waited for an answer of the server (a callback of Dash
#: pending: requested, sent, or a background job followed), -1 while it waits, null before
#: Dash's renderer started. Counted from the first call (the renderer's store is watched).
_QUIET_MS = """
const stores = window.dash_stores || [];
if (!stores.length) return null;
const busy = () => stores.some(s => s.getState().isLoading);
if (window.__lastBusy === undefined) {
    window.__lastBusy = performance.now();
    stores.forEach(s => s.subscribe(() => {
        if (busy()) { window.__lastBusy = performance.now(); }
    }));
}
if (busy()) { window.__lastBusy = performance.now(); return -1; }
return performance.now() - window.__lastBusy;
"""


def _wait_idle(driver, what: str, quiet: float = 1.0, timeout: float = 90) -> None:
    """Wait until no callback of the page has been pending for ``quiet`` seconds: the answers
    of the server to what the page sent are in (a value read once a first answer showed may
    still change with the next)."""
    _wait(
        driver,
        lambda: (lambda ms: ms is not None and ms >= 1000 * quiet)(_js(driver, _QUIET_MS)),
        timeout,
        what,
    )


def _scroll_to(driver, element_id: str, timeout: float = 30) -> None:
    """Scroll the element ``element_id`` to the middle of the window, once it is drawn: dcc
    components (uploads, dropdowns, graphs) load their code lazily and appear a moment after
    the rest of the page, later still on a busy machine."""
    _wait(
        driver,
        lambda: _js(
            driver,
            f"""const e = document.getElementById('{element_id}');
            if (!e) return false;
            e.scrollIntoView({{block: 'center'}});
            return true;""",
        ),
        timeout,
        f"{element_id} drawn",
    )


def _figure(driver, graph_id: str) -> dict:
    """The figure plotly drew in a dcc.Graph (data trace names, colour bar titles: their first
    line, and whole, with the clip under it)."""
    return _js(
        driver,
        f"""
        const gd = document.querySelector('#{graph_id} .js-plotly-plot');
        if (!gd || !gd.data) return null;
        const bars = gd.data.map(t => (t.marker && t.marker.colorbar && t.marker.colorbar.title
                                       && t.marker.colorbar.title.text) || '');
        return {{names: gd.data.map(t => t.name || ''),
                 colorbar: bars.map(b => b.split('<br>')[0]), colorbar_full: bars}};
        """,
    )


def _open_coloured_by_myh6(driver, url: str) -> None:
    """Open ``url`` (a link with ``color=obs:MYH6``) and wait for the sample map so coloured."""
    driver.get(url)
    _wait(
        driver,
        lambda: "MYH6 (observed)" in (_figure(driver, "sample-map") or {}).get("colorbar", []),
        170,
        "sample map coloured by MYH6",
    )


def _zoom_sample_map_in(driver) -> None:
    """Zoom the sample map into the lower left quarter of its view, and wait for the page."""
    _js(
        driver,
        """const gd = document.querySelector('#sample-map .js-plotly-plot');
        const [x0, x1] = gd._fullLayout.xaxis.range, [y0, y1] = gd._fullLayout.yaxis.range;
        Plotly.relayout(gd, {'xaxis.range': [x0, (x0 + x1) / 2],
                             'yaxis.range': [y0, (y0 + y1) / 2]});""",
    )
    _wait_idle(driver, "the answers to the zoom")


def _colour_sample_map_by(driver, symbol: str, mode: str = "observed", label: str = "") -> None:
    """Colour the sample map by ``symbol``'s ``mode`` (the option's words), and wait for its
    colour bar (``label``: its title's word, default ``mode``) and the page's answers."""
    from dashboard.figure_samples import COLOR_TRACE

    _choose(driver, "color-by", symbol, f"{symbol} — {mode}")
    _wait(
        driver,
        lambda: (
            f"{symbol} ({label or mode}" in _figure(driver, "sample-map")["colorbar"][COLOR_TRACE]
        ),
        30,
        f"{symbol} colour bar",
    )
    _wait_idle(driver, f"the answers to the colouring by {symbol}")


def _choose(driver, dropdown_id: str, text: str, option_text: str) -> None:
    from selenium.webdriver.common.by import By

    control = driver.find_element(By.CSS_SELECTOR, f"#{dropdown_id} .Select-control")
    # in the middle of the window, clear of the alert area at its bottom or top
    _scroll_to(driver, dropdown_id)
    control.click()
    box = driver.find_element(By.CSS_SELECTOR, f"#{dropdown_id} input")
    box.send_keys(text)
    option = _wait(
        driver,
        lambda: next(
            iter(
                driver.find_elements(
                    By.XPATH,
                    f"//div[@id='{dropdown_id}']//*[normalize-space(text())='{option_text}']",
                )
            ),
            None,
        ),
        30,
        f"option {option_text}",
    )
    option.click()


def test_dashboard_end_to_end(app_url, driver):
    from selenium.webdriver.common.by import By

    driver.get(app_url + "/")
    badge = _wait(driver, lambda: driver.find_element(By.ID, "simulated-badge").text, 60, "page")
    assert badge == "SIMULATED DATA"
    # first start: the model trains in the background, then the sample map appears
    _wait(
        driver,
        lambda: (_figure(driver, "sample-map") or {}).get("names", [None])[0] == "probe grid",
        150,
        "sample map",
    )
    driver.save_screenshot(str(driver.shots / "1_loaded.png"))
    fig = _figure(driver, "sample-map")
    assert any(n.startswith("Heart") for n in fig["names"])  # coloured by tissue at first
    assert "MYH6" not in "".join(fig["colorbar"])

    # colour by MYH6 through color-by
    _colour_by_myh6(driver)
    # the colour bar says that the scale is clipped at the 1st and 99th percentiles
    assert "clipped at percentiles 1–99" in "".join(_figure(driver, "sample-map")["colorbar_full"])
    # choosing the gene in color-by focuses it in gene space (linked both ways)
    _wait(driver, lambda: "MYH6" in _figure(driver, "gene-map")["names"], 30, "MYH6 in gene map")
    # the neighbour table is another callback's than the gene map: MYH6's table may come later
    _wait_text(driver, "neighbors-info", "nearest to MYH6 in ", 30, "MYH6's neighbour table")
    # the address bar follows the page's link one callback later
    _wait(
        driver,
        lambda: "color=obs%3AMYH6" in driver.current_url or "color=obs:MYH6" in driver.current_url,
        30,
        "the colouring in the address bar",
    )
    driver.save_screenshot(str(driver.shots / "2_myh6.png"))

    # click a gene in gene-map: its neighbours fill the table, the sample map follows
    before = driver.find_element(By.ID, "gene-neighbors").text
    clicked = _js(
        driver,
        """
        const gd = document.querySelector('#gene-map .js-plotly-plot');
        const t = gd.data.findIndex(tr => (tr.name || '').startsWith('protein-coding'));
        const sym = gd.data[t].customdata[0];
        gd.emit('plotly_click', {points: [{curveNumber: t, pointNumber: 0, x: gd.data[t].x[0],
                                           y: gd.data[t].y[0], customdata: sym}]});
        return sym;
        """,
    )
    assert clicked and clicked != "MYH6"
    _wait(
        driver,
        lambda: f"{clicked} (observed)" in _figure(driver, "sample-map")["colorbar"],
        30,
        "recolour by clicked gene",
    )
    # the table of the clicked gene (its text and the table are one callback's answer)
    _wait_text(driver, "neighbors-info", f"nearest to {clicked} in ", 30, "its neighbour table")
    table = _wait(
        driver,
        lambda: (lambda t: t if t != before and "distance" in t else None)(
            driver.find_element(By.ID, "gene-neighbors").text
        ),
        30,
        "neighbour table",
    )
    cells = "#gene-neighbors td[data-dash-column=symbol]"
    symbols = [td.text for td in driver.find_elements(By.CSS_SELECTOR, cells)]
    assert symbols and clicked not in symbols, (clicked, symbols)  # not its own neighbour
    # the gene map is redrawn by a callback of its own: the clicked gene in focus there too
    _wait(
        driver,
        lambda: _figure(driver, "gene-map")["names"][-1] == clicked,
        30,
        "the clicked gene in focus on the gene map",
    )
    driver.save_screenshot(str(driver.shots / "3_gene_clicked.png"))

    # unknown gene in the list box: a clear message, the page keeps working
    driver.find_element(By.CSS_SELECTOR, "details.details summary").click()
    driver.find_element(By.ID, "gene-list").send_keys("NOTAGENE1, NOTAGENE2")
    driver.find_element(By.ID, "gene-list-apply").click()
    msg = _wait_text(driver, "alert-color", "none of the listed genes", 20, "alert")
    assert "NOTAGENE1" in msg
    _wait_idle(driver, "the answers to the list")  # (a new colouring would be one of them)
    assert f"{clicked} (observed)" in _figure(driver, "sample-map")["colorbar"]

    # zoomed in on the sample map, the server-side SVG export (kaleido + Chromium) downloads
    # that region, and says so
    _js(
        driver,
        """const gd = document.querySelector('#sample-map .js-plotly-plot');
        const [a, b] = gd._fullLayout.xaxis.range;
        return Plotly.relayout(gd, {'xaxis.range': [a + (b - a) / 4, b - (b - a) / 4]})
            .then(() => true);""",
    )
    # the export reads the zoom the page keeps (map-zoom, written by a server callback after
    # the relayout): once kept, it is in the page's link
    _wait(
        driver,
        lambda: re.search(
            r"[?&]zoom=", driver.find_element(By.ID, "share-link").get_attribute("href") or ""
        ),
        30,
        "the zoom kept by the page",
    )
    # in the middle of the window: scrolled to the bottom edge by the click itself, the button
    # lay under an information message there, which moves off the controls a frame later
    _scroll_to(driver, "export-button")
    driver.find_element(By.ID, "export-button").click()
    svg = _wait(driver, lambda: [p for p in driver.downloads.glob("*.svg")], 90, "svg download")
    content = svg[0].read_text()
    assert content.lstrip().startswith("<svg") and f"{clicked} (observed)" in content
    assert svg[0].name.endswith("_zoom.svg")
    _wait_text(driver, "alert-export", "zoomed-in region", 20, "message of a zoomed export")
    driver.save_screenshot(str(driver.shots / "4_exported.png"))

    # place uploaded samples (SIMULATED, drawn like the demo's) on the map: black stars
    import pandas as pd

    from core.simulate import simulate_gtex_like

    demo = simulate_gtex_like(n_samples=1200, n_genes=400, n_tissues=10, seed=0)
    rows = demo.subset(samples=[0, 1, 2, 3, 4])
    table = 10.0**rows.values - 1  # in TPM: the demo's box applies log10(x+1)
    path = driver.shots / "placed_upload.csv"
    frame = {"sample": [f"mine_{i}" for i in range(5)]}
    frame.update({g: table[:, j] for j, g in enumerate(rows.gene_symbols)})
    pd.DataFrame(frame).to_csv(path, index=False)
    driver.find_element(By.CSS_SELECTOR, "#place-upload input[type=file]").send_keys(str(path))
    info = _wait_text(driver, "place-info", "placed", 60, "placed samples")
    assert "5 samples from placed_upload.csv placed" in info
    _wait(
        driver,
        lambda: _figure(driver, "sample-map")["names"][-1] == "your samples (5)",
        30,
        "stars on the sample map",
    )
    assert "mine_0" in driver.find_element(By.ID, "placed-table").text
    # cleared, then the same file again: placed again
    driver.find_element(By.ID, "place-clear").click()
    _wait(
        driver, lambda: "mine_0" not in driver.find_element(By.ID, "placed-table").text, 20, "clear"
    )
    # the table and the map are separate outputs; the map may be redrawn a moment later
    _wait(
        driver,
        lambda: not _figure(driver, "sample-map")["names"][-1].startswith("your samples"),
        30,
        "stars removed from the sample map",
    )
    driver.find_element(By.CSS_SELECTOR, "#place-upload input[type=file]").send_keys(str(path))
    _wait(driver, lambda: "mine_0" in driver.find_element(By.ID, "placed-table").text, 60, "again")
    driver.save_screenshot(str(driver.shots / "5_placed.png"))

    # a gene list file, another colouring, then the same file again: it is read again
    genes = driver.shots / "genes.txt"
    genes.write_text("KRT4\nKRT13\n")
    upload = "#gene-list-upload input[type=file]"
    for _ in range(2):
        driver.find_element(By.CSS_SELECTOR, upload).send_keys(str(genes))
        _wait(
            driver,
            lambda: "gene list: mean z (2 genes)" in _figure(driver, "sample-map")["colorbar"],
            30,
            "colouring by the gene list file",
        )
        _wait(
            driver,
            lambda: _js(driver, f"return document.querySelector('{upload}').value === ''"),
            20,
            "gene list upload emptied",
        )
        _colour_by_myh6(driver)


def _loaded(driver, app_url: str) -> None:
    """The page loaded, its sample map drawn, and the answers that follow (the gene map
    redrawn for the size the page measured, ...) in."""
    driver.get(app_url + "/")
    _wait(
        driver,
        lambda: (_figure(driver, "sample-map") or {}).get("names", [None])[0] == "probe grid",
        170,
        "sample map",
    )
    _wait_idle(driver, "the page's first answers", quiet=0.5)


def _box_over_the_left_half_of_the_sample_map(driver) -> str:
    """Draw a box over the left half of the sample map with the mouse (its select mode), and
    wait for the selection's line -> that line."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _js(
        driver,
        """const gd = document.querySelector('#sample-map .js-plotly-plot');
        Plotly.relayout(gd, {dragmode: 'select'});""",
    )
    plot = driver.find_element(By.CSS_SELECTOR, "#sample-map .nsewdrag")
    w, h = plot.size["width"], plot.size["height"]
    # a box over the left half of the plot (offsets from its centre)
    box = ActionChains(driver).move_to_element_with_offset(plot, -w // 2 + 3, -h // 2 + 3)
    box.click_and_hold().move_by_offset(w // 4, h // 2).move_by_offset(w // 4, h // 2 - 6)
    box.release().perform()
    info = _wait_text(driver, "selection-info", "samples selected", 30, "selection")
    return info


def test_box_selection_reaches_the_server_and_survives_a_new_colouring(app_url, driver):
    """The points of a box carry their sample rows; a new figure (colour by a gene after a
    tissue) keeps the selection, and the map says the data are simulated."""
    from selenium.webdriver.common.by import By

    _loaded(driver, app_url)
    notes = _js(
        driver,
        """const gd = document.querySelector('#sample-map .js-plotly-plot');
        return (gd.layout.title && gd.layout.title.text) || '';""",
    )
    assert "SIMULATED DATA" in notes
    info = _box_over_the_left_half_of_the_sample_map(driver)
    assert driver.find_element(By.ID, "selection-genes").text.count("\n") > 3
    _colour_by_myh6(driver)
    time.sleep(2)  # the empty selection event plotly sends after the new figure ...
    _wait_idle(driver, "the answers to the new figure's events")  # ... is handled
    assert driver.find_element(By.ID, "selection-info").text == info
    assert driver.find_element(By.ID, "alert-selection").text == ""
    driver.save_screenshot(str(driver.shots / "6_selection_kept.png"))


def test_files_over_the_upload_limit_are_refused_with_a_message(app_url, driver, tmp_path):
    """dcc.Upload drops a file over its max_size without a word: the page says why."""
    from selenium.webdriver.common.by import By

    _loaded(driver, app_url)
    genes = tmp_path / "genes.txt"
    genes.write_text("MYH6\n" * 250_000)  # 1.25 MB: over the gene list's 1 MB
    driver.find_element(By.CSS_SELECTOR, "details.details summary").click()
    driver.find_element(By.CSS_SELECTOR, "#gene-list-upload input[type=file]").send_keys(str(genes))
    msg = _wait(driver, lambda: driver.find_element(By.ID, "alert-color").text, 20, "list alert")
    assert msg == "genes.txt: 1.3 MB; a gene list is read up to 1 MB"
    # a click dismisses a message (it sits over the maps when the page is scrolled)
    driver.find_element(By.CSS_SELECTOR, "#alert-color .alert").click()
    _wait(driver, lambda: driver.find_element(By.ID, "alert-color").text == "", 10, "dismissed")
    matrix = tmp_path / "matrix.csv"
    with open(matrix, "wb") as f:
        f.truncate(51_000_000)  # sparse: 51 MB on paper, nothing on disk
    driver.find_element(By.CSS_SELECTOR, "#place-upload input[type=file]").send_keys(str(matrix))
    msg = _wait(driver, lambda: driver.find_element(By.ID, "alert-place").text, 20, "place alert")
    assert msg.startswith("matrix.csv: 51.0 MB; up to 50 MB are placed here")
    driver.save_screenshot(str(driver.shots / "7_upload_too_big.png"))


def test_dropdowns_find_versioned_ids_and_say_when_a_gene_is_not_here(app_url, driver):
    """A versioned Ensembl id (as GTEx files write them) lists its gene in color-by; a gene the
    dataset lacks is answered in the dropdown, not with "No results found"."""
    from selenium.webdriver.common.by import By

    _loaded(driver, app_url)
    # MYH6 of the demo: ENSG00000197616 (Ensembl ids without version)
    _colour_by_myh6(driver, "ENSG00000197616.11")
    control = driver.find_element(By.CSS_SELECTOR, "#gene-search .Select-control")
    _scroll_to(driver, "gene-search")
    control.click()
    driver.find_element(By.CSS_SELECTOR, "#gene-search input").send_keys("NOTAGENE")
    note = _wait(
        driver,
        lambda: next(
            iter(
                driver.find_elements(
                    By.XPATH,
                    "//div[@id='gene-search']//*[contains(text(), \"unknown gene 'NOTAGENE'\")]",
                )
            ),
            None,
        ),
        30,
        "the unknown-gene note",
    )
    assert "not among the" in note.text
    driver.save_screenshot(str(driver.shots / "7_unknown_gene_note.png"))


def test_a_view_found_for_a_cleared_upload_is_dropped(app_url, driver):
    """A reloaded page asks the server for its last upload's samples; "Clear" clicked before
    the answer arrived, the answer brought the cleared samples back. The page applies an answer
    only while the tab still holds the upload it was read for (assets/placement.js)."""
    _loaded(driver, app_url)
    out = driver.execute_script(
        """
        const f = window.dash_clientside.fe_placement.restored;
        const keep = window.dash_clientside.no_update;
        const found = {for: "a1", values: [[{sample: "s1"}], [{sample: "s1"}], "1 sample",
                                           "", null, true, {__keep__: true}]};
        const mark = (out) => out.map((v) => (v === keep ? "KEEP" : v));
        return {
            same: mark(f(found, {id: "a1", filename: "a.csv"})),
            cleared: mark(f(found, null)),
            other: mark(f(found, {id: "b2"})),
            nothing: mark(f(null, {id: "a1"})),
            none_for_none: mark(f({for: null, values: ["x", 1, 2, 3, 4, true, 6]}, null)),
        };
        """
    )
    assert out["same"] == [[{"sample": "s1"}], [{"sample": "s1"}], "1 sample", "", None, True,
                           "KEEP"]  # fmt: skip
    assert out["cleared"] == ["KEEP"] * 7
    assert out["other"] == ["KEEP"] * 7
    assert out["nothing"] == ["KEEP"] * 7
    assert out["none_for_none"][5] is True


def test_the_log_box_of_uploads_survives_a_reload(app_url, driver):
    """Ticked or unticked by hand, the "apply log2(x+1)" box came back at its default after a
    reload, beside samples said placed with the other choice."""
    from selenium.webdriver.common.by import By

    _loaded(driver, app_url)
    _scroll_to(driver, "place-transform")

    def ticked() -> bool:
        return bool(_js(driver, "return document.querySelector('#place-transform input').checked"))

    before = ticked()
    driver.find_element(By.CSS_SELECTOR, "#place-transform input").click()
    _wait(driver, lambda: ticked() is not before, 10, "the box to change")
    _loaded(driver, app_url)
    _scroll_to(driver, "place-transform")
    _wait(driver, lambda: ticked() is not before, 20, "the box as it was left")
