"""Production start: ``gunicorn app:server`` (configured by FE_* variables) serves the page."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import REPO, SMALL_APP_ENV, free_port, stop, wait_http

pytestmark = pytest.mark.browser


def test_gunicorn_serves_the_page(tmp_path):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists() and shutil.which("gunicorn") is None:
        pytest.skip("gunicorn not installed")
    port = free_port()
    env = {
        **os.environ,
        **SMALL_APP_ENV,
        "FE_CACHE_DIR": str(tmp_path / "cache"),
        "FE_STANDIN": "1",
    }
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            str(gunicorn if gunicorn.exists() else "gunicorn"),
            "--workers",
            "1",
            "--timeout",
            "120",
            "--bind",
            f"127.0.0.1:{port}",
            "app:server",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        page = wait_http(f"http://127.0.0.1:{port}/", 90, proc)
        assert "Factorized embeddings explorer" in page  # the Dash index page (title)
        layout = wait_http(f"http://127.0.0.1:{port}/_dash-layout", 30, proc)
        assert "sample-map" in layout and "SIMULATED DATA" in layout
        assert wait_http(f"http://127.0.0.1:{port}/healthz", 10, proc) in ("training", "ready")
    finally:
        stop(proc)
        log.close()
