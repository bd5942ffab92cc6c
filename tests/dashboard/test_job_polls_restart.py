"""A page that follows a background job while the server is killed and started again follows it
again once the server answers (assets/job_polls.js).

The page polls its job with the key and process the server gave it (``cacheKey``, ``job``), and
the next server answers those polls (the key is not built again, so the manager's salt does not
stand in the way); but Dash's page ended the polling at the first poll that got no answer (the
server down), and kept the job's last progress ("placing 1,900 samples… 0%") for good.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dashboard.factory import ASSETS, jobs_manager

SCRIPT = Path(ASSETS) / "job_polls.js"
POLL = "/_dash-update-component?cacheKey=abc&job=123"


def _fetches(answers: list[str], url: str) -> dict:
    """Run the page's script in node over a fetch that gives ``answers`` in turn ("down": no
    answer; a number: that HTTP status) -> ``{"calls", "status"}`` or ``{"calls", "error"}``."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node to run the page's script")
    run = f"""
    const answers = {json.dumps(answers)};
    let calls = 0;
    var window = {{
        setTimeout: (f, ms) => setTimeout(f, 0),
        fetch: function (url, init) {{
            const a = answers[Math.min(calls, answers.length - 1)];
            calls += 1;
            if (a === "down") {{ return Promise.reject(new TypeError("Failed to fetch")); }}
            return Promise.resolve({{status: Number(a)}});
        }},
    }};
    {SCRIPT.read_text()}
    window.fetch({json.dumps(url)}, {{method: "POST", body: "{{}}"}}).then(
        (res) => console.log(JSON.stringify({{calls: calls, status: res.status}})),
        (err) => console.log(JSON.stringify({{calls: calls, error: String(err)}})),
    );
    """
    out = subprocess.run([node, "-e", run], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_a_poll_the_server_does_not_answer_is_sent_again_until_it_does():
    assert _fetches(["down", "down", "down", "200"], POLL) == {"calls": 4, "status": 200}
    # a proxy in front of a server that is starting again
    assert _fetches(["502", "503", "204"], POLL) == {"calls": 3, "status": 204}
    assert _fetches(["500"], POLL) == {"calls": 1, "status": 500}  # the server's own error


def test_only_polls_are_sent_again_and_not_for_ever():
    # the request that starts a job, sent twice, would start two
    start = _fetches(["down", "200"], "/_dash-update-component")
    assert start["calls"] == 1 and "Failed to fetch" in start["error"]
    never = _fetches(["down"], POLL)
    assert never["calls"] == 600 and "Failed to fetch" in never["error"]


def test_the_next_server_answers_a_poll_by_the_key_the_page_holds(tmp_path):
    """The page polls by the key it was given: the next server (another salt) reads the job's
    progress and result by it, while a new request of the same arguments gets a new key (no
    result of an earlier run of the app is given to it)."""
    first = jobs_manager(tmp_path / "cache")
    key = first.build_cache_key(lambda x: x, [1], [], None)
    first.handle.set(first._make_progress_key(key), ["10", "placing 1,900 samples… 10%"])
    first.handle.set(key, {"placed": 1900})

    second = jobs_manager(tmp_path / "cache")  # the server started again
    assert second.build_cache_key(lambda x: x, [1], [], None) != key
    assert second.get_progress(key) == ["10", "placing 1,900 samples… 10%"]
    assert second.result_ready(key)
    assert second.get_result(key, None) == {"placed": 1900}
