"""Resident memory (RSS) of the dashboard server: after start, after the first page, on a second
start from the cache. Prints the figures.

Run (not collected by pytest)::

    .venv/bin/python tests/benchmarks/server_memory.py [--runs 2] [--imports] [--no-browser]
        [--cache-dir DIR] -- [app.py flags, e.g. --model DIR]

Each run starts ``app.py`` (the flags after ``--``; none: the SIMULATED demo) on a fresh cache
directory, waits for ``/healthz``, reads the server's RSS, opens ``/`` in headless Chromium and
waits until the page's callbacks are answered (and a model trained by the page is ready), reads
the RSS again, stops the server, then starts it a second time on the same cache directory (the
gene map's UMAP and the other results read from it) and does the same. Also printed: the
process's peak RSS (``VmHWM``), the heavy packages whose compiled code it has mapped, and the
processes it started (background jobs, forked; a gene map's UMAP, a new interpreter): how
many, their largest RSS and USS, sampled every 0.2 s (a forked process shares the server's pages
until either writes them: its RSS counts them again, its USS does not).

``--imports`` first prints the RSS of a new Python process after importing each heavy package
alone. ``--no-browser`` requests ``/``, ``/_dash-layout`` and ``/_dash-dependencies`` only (no
callback is fired).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("BROWSER_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

#: Packages measured alone by ``--imports`` (the statement run in a new process).
IMPORTS = (
    ("python alone", "pass"),
    ("numpy", "import numpy"),
    ("pandas", "import pandas"),
    ("scipy (sparse, spatial, special)", "import scipy.sparse, scipy.spatial, scipy.special"),
    ("sklearn (neighbors, decomposition)", "import sklearn.neighbors, sklearn.decomposition"),
    ("numba", "import numba"),
    ("umap (with numba, pynndescent)", "import umap"),
    ("torch", "import torch"),
    ("plotly.graph_objects", "import plotly.graph_objects"),
    ("dash", "import dash"),
    ("dashboard.factory (the app's modules)", "import dashboard.factory"),
)

#: Packages looked for among the files a process has mapped (their compiled libraries).
MAPPED = ("torch", "llvmlite", "numba", "sklearn", "scipy", "pandas", "pyarrow")

#: The page's callbacks: milliseconds since one last was pending (-1 while one is), null before
#: Dash's renderer started (as tests/browser/test_dashboard_browser.py waits).
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


def _status(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` of a process, in kB."""
    out = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def _mapped(pid: int) -> list[str]:
    """The packages of :data:`MAPPED` whose files the process has mapped."""
    with open(f"/proc/{pid}/maps") as fh:
        text = fh.read()
    return [p for p in MAPPED if f"site-packages/{p}/" in text or f"site-packages/{p}." in text]


def _children(pid: int) -> list[int]:
    import psutil

    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class JobWatch(threading.Thread):
    """Samples the server's child processes (background jobs): their count and largest RSS, USS."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.seen: set[int] = set()
        self.rss = self.uss = 0
        self._done = threading.Event()

    def run(self) -> None:
        import psutil

        while not self._done.wait(0.2):
            for child in _children(self.pid):
                with contextlib.suppress(psutil.Error):
                    info = psutil.Process(child).memory_full_info()
                    self.seen.add(child)
                    self.rss, self.uss = max(self.rss, info.rss), max(self.uss, info.uss)

    def stop(self) -> None:
        self._done.set()
        if self.is_alive():
            self.join(5)


def _get(url: str, timeout: float = 30) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def _wait(predicate, timeout: float, what: str, proc: subprocess.Popen):
    t_end = time.time() + timeout
    while time.time() < t_end:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode} while waiting for {what}")
        try:
            value = predicate()
        except Exception:  # noqa: BLE001 - not up yet
            value = None
        if value:
            return value
        time.sleep(0.3)
    raise TimeoutError(f"timed out waiting for {what}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1500,1900"):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def one_start(app_args: list[str], cache: Path, browser: bool, timeout: float) -> dict:
    """Start the app, open its page, stop it -> the figures (MB) and what it had loaded."""
    port = _free_port()
    env = {**os.environ, "FE_CACHE_DIR": str(cache)}
    log = open(cache.parent / f"{cache.name}-app.log", "a")  # noqa: SIM115 - closed below
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "app.py"), "--port", str(port), *app_args],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    out: dict = {}
    jobs = JobWatch(proc.pid)  # (from the start: a process may be forked while the app loads)
    jobs.start()
    try:
        _wait(lambda: _get(f"{url}/healthz", 5), timeout, "/healthz", proc)
        out["start_s"] = time.perf_counter() - t0
        time.sleep(1.0)  # (the server's threads settle)
        out["after_start"] = _status(proc.pid)["VmRSS"] / 1024
        if browser:
            driver = _driver()
            try:
                driver.get(url + "/")
                # the page's callbacks answered, and a model it trains ready (the demo)
                _wait(
                    lambda: (
                        _get(f"{url}/healthz", 5) == "ready"
                        and (driver.execute_script(_QUIET_MS) or -1) >= 3000
                    ),
                    timeout,
                    "the page's callbacks",
                    proc,
                )
                drawn = driver.execute_script(
                    "return ['sample-map', 'gene-map'].map(i => !!(document.querySelector("
                    "'#' + i + ' .js-plotly-plot') || {}).data);"
                )
                out["maps_drawn"] = all(drawn)
            finally:
                driver.quit()
        else:
            _get(url + "/")
            _get(url + "/_dash-layout")
            _get(url + "/_dash-dependencies")
        time.sleep(1.0)
        status = _status(proc.pid)
        out["after_page"] = status["VmRSS"] / 1024
        out["peak"] = status["VmHWM"] / 1024
        out["mapped"] = _mapped(proc.pid)
    finally:
        jobs.stop()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        log.close()
    out["jobs"] = len(jobs.seen)
    out["job_rss"], out["job_uss"] = jobs.rss / 2**20, jobs.uss / 2**20
    return out


def print_imports() -> None:
    code = (
        "import sys; sys.path.insert(0, {repo!r})\n{stmt}\n"
        "print([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])"
    )
    print("RSS of a new process after one import (MB):")
    for name, stmt in IMPORTS:
        r = subprocess.run(
            [sys.executable, "-c", code.format(repo=str(REPO), stmt=stmt)],
            capture_output=True,
            text=True,
            check=True,
        )
        print(f"  {name:<40} {int(r.stdout.split()[-1]) / 1024:6.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="runs, each a first and second start")
    parser.add_argument("--imports", action="store_true", help="RSS after each import alone")
    parser.add_argument("--no-browser", action="store_true", help="request / only")
    parser.add_argument("--cache-dir", help="parent of the runs' cache directories (default: tmp)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait per step")
    parser.add_argument("app_args", nargs="*", help="app.py flags (after --)")
    args = parser.parse_args()
    if args.imports:
        print_imports()
    if args.runs < 1:
        return 0
    parent = Path(args.cache_dir or tempfile.mkdtemp(prefix="fe-server-memory-"))
    parent.mkdir(parents=True, exist_ok=True)
    print(f"app.py {' '.join(args.app_args) or '(SIMULATED demo)'}; caches under {parent}")
    print(
        "run start      s  after start  after page  peak (MB)  jobs: n, RSS, USS (MB)  "
        "maps drawn  mapped"
    )
    for run in range(1, args.runs + 1):
        cache = parent / f"run{run}"
        if cache.exists():
            shutil.rmtree(cache)
        cache.mkdir()
        for which in ("first", "second"):
            r = one_start(args.app_args, cache, not args.no_browser, args.timeout)
            print(
                f"{run:>3} {which:<6} {r['start_s']:5.1f}  {r['after_start']:11.0f}  "
                f"{r['after_page']:10.0f}  {r['peak']:9.0f}  "
                f"{r['jobs']:>5}, {r['job_rss']:4.0f}, {r['job_uss']:4.0f}       "
                f"{str(r.get('maps_drawn', '-')):<10}  {','.join(r['mapped'])}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
