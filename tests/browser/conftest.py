"""Browser tests: a real headless Chromium (selenium + chromedriver) against the app started in a
subprocess on a free port, with a small simulated set and a short training (< 2 minutes)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("BROWSER_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

#: A small, fast configuration of the demo (simulated data, a few epochs, PCA gene layout).
SMALL_APP_ENV = {
    "FE_DEMO_SAMPLES": "1200",
    "FE_DEMO_GENES": "400",
    "FE_DEMO_TISSUES": "10",
    "FE_EPOCHS": "4",
    "FE_GENE_LAYOUT": "pca",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> str:
    """Poll ``url`` until it answers 200 -> its body (fails on timeout or a dead process)."""
    t_end = time.time() + timeout
    last = None
    while time.time() < t_end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return r.read().decode()
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer in {timeout} s ({last})")


def stop(proc: subprocess.Popen) -> None:
    """Stop the app and the children it started (background jobs)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


@pytest.fixture(scope="session")
def browser_available() -> None:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("chromium / chromedriver not installed")
    pytest.importorskip("selenium")


@contextlib.contextmanager
def running_app(cache: Path, env: dict[str, str] | None = None):
    """An app started in a subprocess on a free port, with the cache directory ``cache``
    (``env`` over :data:`SMALL_APP_ENV`) -> ``(url, process)``; stopped on exit."""
    port = free_port()
    full_env = {
        **os.environ,
        **SMALL_APP_ENV,
        **(env or {}),
        "FE_CACHE_DIR": str(cache),
        "BROWSER_PATH": CHROMIUM,
    }
    log = open(cache / "app.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "app.py"), "--port", str(port)],
        cwd=REPO,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", 90, proc)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="session")
def app_server(browser_available, tmp_path_factory):
    """The running app (small simulated demo, trained in the background on first load):
    ``(url, process)``; background jobs are the process's children."""
    with running_app(tmp_path_factory.mktemp("fe-app-cache")) as server:
        yield server


@pytest.fixture(scope="session")
def app_url(app_server):
    """URL of the running app (:func:`app_server`)."""
    return app_server[0]


@pytest.fixture()
def driver(browser_available, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--window-size=1500,1900",
        f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-', dir=tmp_path)}",
    ):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    drv.downloads = downloads
    drv.shots = Path(os.environ.get("FE_SCREENSHOT_DIR") or tmp_path / "shots")
    drv.shots.mkdir(parents=True, exist_ok=True)
    try:
        yield drv
    finally:
        drv.quit()
