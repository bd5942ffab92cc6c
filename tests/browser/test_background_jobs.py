"""Background jobs killed from outside (as the kernel kills a process short of memory): no
Python exception, no result. The page kept its last progress message for ever ("50% — computing
t-SNE", "Preparing the model…"); now it says the job stopped and offers a retry that works."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import running_app
from tests.browser.test_dashboard_browser import (
    _figure,
    _js,
    _scroll_to,
    _wait,
    _wait_idle,
    _wait_text,
)

pytestmark = pytest.mark.browser


def _new_job(driver, proc, before: set[int], timeout: float, what: str):
    """The background job the app started (a child process not in ``before``)."""
    import psutil

    app = psutil.Process(proc.pid)
    return _wait(
        driver,
        lambda: next((p for p in app.children() if p.pid not in before), None),
        timeout,
        what,
    )


def _kill(job) -> None:
    """Kill a job and what it started, as the kernel's out-of-memory killer would."""
    import psutil

    for child in job.children(recursive=True):
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    job.kill()


def _children(proc) -> set[int]:
    import psutil

    return {p.pid for p in psutil.Process(proc.pid).children()}


def _start_baseline_maps(driver, url: str, proc):
    """Open the page, wait for the sample map, click "Compute the baseline maps" -> the job."""
    from selenium.webdriver.common.by import By

    driver.get(url + "/")
    _wait(
        driver,
        lambda: (_figure(driver, "sample-map") or {}).get("names", [None])[0] == "probe grid",
        170,
        "sample map",
    )
    _scroll_to(driver, "baselines-button")
    before = _children(proc)
    driver.find_element(By.ID, "baselines-button").click()
    return _new_job(driver, proc, before, 30, "baseline maps job")


def test_killed_baseline_maps_job_says_so_and_retries(app_server, driver):
    from selenium.webdriver.common.by import By

    url, proc = app_server
    job = _start_baseline_maps(driver, url, proc)
    _wait_text(driver, "baselines-progress", "% — ", 60, "baseline maps progress")
    _kill(job)
    _wait_text(driver, "baselines-progress", "stopped before finishing", 30, "stopped")
    message = _wait_text(driver, "alert-baselines", "stopped before", 10, "stopped message")
    assert "killed" in message
    button = driver.find_element(By.ID, "baselines-button")
    assert button.text == "Retry the baseline maps" and button.is_enabled()
    driver.save_screenshot(str(driver.shots / "8_baselines_job_killed.png"))

    button.click()  # the retry computes the maps
    _wait(
        driver,
        lambda: len((_figure(driver, "baselines-graph") or {}).get("names", [])) > 5,
        240,
        "baseline maps after the retry",
    )
    _wait(
        driver,
        lambda: driver.find_element(By.ID, "baselines-button").text == "Compute the baseline maps",
        20,
        "button label back",
    )
    assert driver.find_element(By.ID, "baselines-progress").text == ""
    assert driver.find_element(By.ID, "alert-baselines").text == ""


def test_a_page_reloaded_while_the_baseline_maps_compute_shows_them_when_done(
    browser_available, driver, tmp_path
):
    """A job belongs to the page that started it: the reloaded page showed neither the job's
    progress nor, once it was done, the maps (until it was reloaded once more)."""
    from selenium.webdriver.common.by import By

    cache = tmp_path / "cache"
    cache.mkdir()
    with running_app(cache) as (url, proc):
        _start_baseline_maps(driver, url, proc)
        _wait_text(driver, "baselines-progress", "computing t-SNE", 90, "t-SNE under way")
        driver.refresh()
        text = _wait_text(
            driver, "baselines-progress", "started before this page", 60, "the earlier job"
        )
        assert "%" in text  # how far it is
        # a click would only wait for that job: the button waits too
        assert not driver.find_element(By.ID, "baselines-button").is_enabled()
        _wait(
            driver,
            lambda: len((_figure(driver, "baselines-graph") or {}).get("names", [])) > 5,
            240,
            "baseline maps of the earlier job",
        )
        _wait(
            driver, lambda: driver.find_element(By.ID, "baselines-progress").text == "", 10, "done"
        )
        rows = driver.find_elements(By.CSS_SELECTOR, "#baselines-table td")
        assert any(r.text == "t-SNE" for r in rows)
        assert driver.find_element(By.ID, "baselines-button").is_enabled()
        assert driver.find_element(By.ID, "alert-baselines").text == ""


def test_killed_training_job_says_so_and_retry_trains_again(browser_available, driver, tmp_path):
    """Also: the killed job's training lock no longer holds the next job back (it waited an
    hour on "Preparing the model…")."""
    from selenium.webdriver.common.by import By

    cache = tmp_path / "cache"
    cache.mkdir()
    # a small set whose training lasts until it is killed
    env = {"FE_DEMO_SAMPLES": "300", "FE_DEMO_GENES": "300", "FE_DEMO_TISSUES": "5"}
    with running_app(cache, {**env, "FE_EPOCHS": "100000"}) as (url, proc):
        before = _children(proc)
        driver.get(url + "/")
        job = _new_job(driver, proc, before, 60, "training job")
        _wait_text(driver, "train-progress-label", "training: epoch", 120, "training progress")
        _kill(job)
        _wait_text(driver, "train-stopped", "Training stopped.", 30, "training stopped")
        message = driver.find_element(By.ID, "alert-status").text
        assert "Training stopped before the model was ready" in message and "killed" in message
        assert not driver.find_element(By.ID, "train-progress-box").is_displayed()
        assert driver.find_element(By.ID, "model-info").text == "model: not available"
        _wait(
            driver,
            lambda: (
                "no model to show"
                in _js(
                    driver,
                    "return document.querySelector('#sample-map .annotation-text').textContent",
                )
            ),
            20,
            "maps say why there is no model",
        )
        driver.save_screenshot(str(driver.shots / "9_training_job_killed.png"))

        before = _children(proc)
        t0 = time.time()
        driver.find_element(By.ID, "train-retry").click()
        retry = _new_job(driver, proc, before, 30, "training job of the retry")
        _wait_text(driver, "train-progress-label", "training: epoch", 120, "training again")
        assert time.time() - t0 < 120  # not held back by the killed job's lock
        assert driver.find_element(By.ID, "train-progress-box").is_displayed()
        assert not driver.find_element(By.ID, "train-stopped").is_displayed()
        assert driver.find_element(By.ID, "alert-status").text == ""
        _kill(retry)


def _upload_many_samples(driver, url: str, proc, path, prefix: str, seed: int):
    """Open the page, upload the most samples placed here (the app's own kind, 2,000: the job
    lasts long enough to be stopped) as ``path`` -> the placing job."""
    import numpy as np
    import pandas as pd
    from selenium.webdriver.common.by import By

    from core.simulate import simulate_gtex_like

    driver.get(url + "/")
    _wait(
        driver,
        lambda: (_figure(driver, "sample-map") or {}).get("names", [None])[0] == "probe grid",
        170,
        "sample map",
    )
    demo = simulate_gtex_like(n_samples=1200, n_genes=400, n_tissues=10, seed=seed)
    # in TPM, as a user's samples come (the demo's box applies log10(x+1), its values' scale)
    values = 10.0 ** np.vstack([demo.values, demo.values[:800]]) - 1
    frame = {"sample": [f"{prefix}{i}" for i in range(len(values))]}
    frame.update({g: values[:, j] for j, g in enumerate(demo.gene_symbols)})
    pd.DataFrame(frame).to_csv(path, index=False, float_format="%.3f")
    _scroll_to(driver, "place-upload")
    before = _children(proc)
    driver.find_element(By.CSS_SELECTOR, "#place-upload input[type=file]").send_keys(str(path))
    return _new_job(driver, proc, before, 30, "placing job")


def test_killed_placing_job_says_so_and_retries(app_server, driver, tmp_path):
    """Placing an upload runs in a background job (it ran inside the request, which a server
    cuts off after its timeout): killed, the page says so, and the retry places the samples."""
    from selenium.webdriver.common.by import By

    url, proc = app_server
    job = _upload_many_samples(driver, url, proc, tmp_path / "many_samples.csv", "new_", 0)
    _kill(job)
    _wait_text(driver, "place-progress", "stopped before finishing", 30, "placing stopped")
    message = _wait_text(driver, "alert-place", "stopped before", 10, "stopped message")
    assert "killed" in message and "many_samples.csv" in message
    retry = driver.find_element(By.ID, "place-retry")
    assert retry.is_displayed() and retry.text == "Retry placing"
    assert driver.find_element(By.ID, "place-running").text == ""  # no longer "Placing…"
    driver.save_screenshot(str(driver.shots / "10_placing_job_killed.png"))

    retry.click()  # the same file, placed by a new job: its progress is shown
    _wait_text(driver, "place-info", "2000 samples from many_samples.csv placed", 240, "placed")
    _wait(driver, lambda: not retry.is_displayed(), 10, "retry hidden")
    assert driver.find_element(By.ID, "place-progress").text == ""
    assert driver.find_element(By.ID, "alert-place").text == ""
    assert "new_0" in driver.find_element(By.ID, "placed-table").text


def test_clear_while_placing_stops_the_job_and_nothing_comes_back(app_server, driver, tmp_path):
    """ "Clear" while an upload was placed emptied the table, and the samples came back when the
    job ended, with its message."""
    import psutil
    from selenium.webdriver.common.by import By

    url, proc = app_server
    job = _upload_many_samples(driver, url, proc, tmp_path / "cleared.csv", "cleared_", 1)
    _wait_text(driver, "place-progress", "placing", 60, "placing under way")
    driver.find_element(By.ID, "place-clear").click()
    _wait(driver, lambda: not job.is_running() or job.status() == psutil.STATUS_ZOMBIE, 30, "stop")
    time.sleep(3)  # (a result would have come back by now: placing 2,000 samples takes longer)
    _wait_idle(driver, "the answers after Clear")  # (and the page has read every answer)
    assert "cleared_0" not in driver.find_element(By.ID, "placed-table").text
    assert driver.find_element(By.ID, "place-info").text == ""
    assert driver.find_element(By.ID, "alert-place").text == ""  # not "stopped before..."
    assert not driver.find_element(By.ID, "place-retry").is_displayed()
    assert driver.find_element(By.ID, "place-running").text == ""


def test_a_page_reloaded_while_placing_shows_the_samples_once_placed(app_server, driver, tmp_path):
    """The placed samples lived in the page only: a reload while they were placed dropped the
    job's result without a word, and a reload afterwards dropped the samples."""
    from selenium.webdriver.common.by import By

    url, proc = app_server
    _upload_many_samples(driver, url, proc, tmp_path / "reloaded.csv", "reloaded_", 2)
    _wait_text(driver, "place-progress", "placing", 60, "placing under way")
    driver.refresh()
    text = _wait_text(driver, "place-progress", "started before this page was reloaded", 60, "job")
    assert text.startswith("reloaded.csv: ")
    placed = "2000 samples from reloaded.csv placed"
    _wait_text(driver, "place-info", placed, 240, "the earlier job's samples")
    assert "reloaded_0" in driver.find_element(By.ID, "placed-table").text
    assert driver.find_element(By.ID, "place-progress").text == ""
    # the job's warnings come with its samples (this upload shares few of the genes): in
    # full, as no page showed them before (a page that did shows them folded, after a reload)
    assert "genes are in reloaded.csv" in driver.find_element(By.ID, "alert-place").text
    _wait(
        driver,
        lambda: "your samples (2000)" in (_figure(driver, "sample-map") or {}).get("names", []),
        30,
        "placed samples drawn on the map",
    )
    _wait_idle(driver, "the answers that follow the samples")
    alert = driver.find_element(By.ID, "alert-place")
    assert not alert.find_elements(By.TAG_NAME, "details")  # (not folded at once)
    driver.refresh()  # once more: the samples are still there
    _wait_text(driver, "place-info", placed, 60, "the samples after a second reload")
    # and their warnings, shown once in full, come folded: they came in full on every reload
    _wait_idle(driver, "the answers of the page reloaded again")
    folded = driver.find_element(By.CSS_SELECTOR, "#alert-place details > summary").text
    assert "about reloaded.csv, given when its samples were placed" in folded
    _scroll_to(driver, "place-clear")
    driver.find_element(By.ID, "place-clear").click()
    _wait(driver, lambda: driver.find_element(By.ID, "place-info").text == "", 10, "cleared")
    driver.refresh()  # cleared: a reload brings nothing back, and says nothing
    _wait(
        driver,
        lambda: (_figure(driver, "sample-map") or {}).get("names", [None])[0] == "probe grid",
        60,
        "sample map",
    )
    time.sleep(3)
    _wait_idle(driver, "the answers of the reloaded page")  # (what it found: nothing)
    assert driver.find_element(By.ID, "place-info").text == ""
    assert driver.find_element(By.ID, "alert-place").text == ""
