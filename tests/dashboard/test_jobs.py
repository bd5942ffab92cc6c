"""Background jobs (training, baseline maps) that end without a result: a process killed (e.g.
for lack of memory) raises no Python exception and returns nothing, and the page kept its last
progress message for ever. Each test failed before the page could tell."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from dash import no_update

from dashboard import baselines, status
from dashboard.context import AppContext, DashboardConfig, ModelSettings


def _text(component) -> str:
    return "" if component is None or component is no_update else str(component.children)


def test_a_training_job_that_ended_without_a_model_says_so_and_offers_a_retry(untrained):
    untrained.job_started("train")  # ... and the process is killed: nothing more is recorded
    (
        model_status,
        request,
        info,
        panel,
        alert,
        poll_disabled,
        progress_box,
        stopped_box,
        stopped_text,
    ) = status.training_job_view(untrained, False)
    assert model_status["ready"] is False and "stopped" in model_status["error"]
    assert "killed" in _text(alert) and "Retry" in _text(alert)
    assert poll_disabled is True and request is no_update
    # the last progress message ("Preparing the model…", "epoch 3/80") is hidden, the retry shown
    assert panel == status.SHOW and progress_box == status.HIDE and stopped_box == status.SHOW
    assert stopped_text == "Training stopped." and info == "model: not available"

    # "Retry": a new job is requested, the progress is shown again and polled
    out = status.training_job_view(untrained, None, retry=True)
    assert out[1]["t"] > 0 and out[5] is False
    assert out[6] == status.SHOW and out[7] == status.HIDE and out[4] is None

    # a job stopped by SIGTERM recorded it: the page says so instead of guessing at memory
    from core.cli import Terminated

    untrained.job_stopped("train", Terminated())
    alert = status.training_job_view(untrained, False)[4]
    assert "it was stopped by SIGTERM" in _text(alert) and "memory" not in _text(alert)

    # a job that raised says why; a running job changes nothing
    untrained.job_finished("train", error="out of patience")
    out = status.training_job_view(untrained, False)
    assert "training failed: out of patience" in _text(out[4]) and out[8] == "Training failed."
    assert all(v is no_update for v in status.training_job_view(untrained, True))


def test_a_training_job_that_ended_with_a_model_leaves_the_page_to_the_status(context):
    context.job_started("train")  # the record of a job killed after it saved the model
    assert all(v is no_update for v in status.training_job_view(context, False))


def test_baseline_maps_job_that_ended_without_maps_says_so(untrained):
    untrained.job_started("baselines")  # ... killed during t-SNE
    assert baselines.baselines_job_view(untrained, True) == (
        no_update,
        baselines.COMPUTE_LABEL,
        no_update,
    )
    progress, button, alert = baselines.baselines_job_view(untrained, False)
    assert progress == "stopped before finishing"  # not "50% — computing t-SNE" for ever
    assert button == baselines.RETRY_LABEL
    assert "killed" in _text(alert) and baselines.RETRY_LABEL in _text(alert)
    # a job that raised said why itself (in the alert area): only the progress text goes
    untrained.job_finished("baselines", error="NMF did not converge")
    assert baselines.baselines_job_view(untrained, False) == ("", baselines.RETRY_LABEL, no_update)
    # maps computed: nothing to say
    untrained.job_finished("baselines")
    assert baselines.baselines_job_view(untrained, False) == (
        "",
        baselines.COMPUTE_LABEL,
        no_update,
    )


def test_a_lock_left_by_a_killed_training_job_does_not_block_the_next(untrained):
    """The training lock (a diskcache entry) of a killed job stayed for an hour: "Retry", or a
    new page, waited on "Preparing the model…" that long."""
    import diskcache

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a process that has ended (and been reaped)
    name = untrained.model_entry.name
    locks = diskcache.Cache(str(untrained.cache_dir / "locks"))
    # what a killed job left: the lock of earlier versions (diskcache.Lock, no owner) and the
    # lock with its owner of this one
    locks.add(f"train-{name}", None, expire=3600)
    owner = {"pid": dead.pid, "host": socket.gethostname(), "started": 0.0}
    locks.add(f"train-owned-{name}", owner, expire=3600)
    locks.close()
    done: dict[str, str] = {}
    job = threading.Thread(target=lambda: done.update(key=untrained.train()), daemon=True)
    job.start()
    job.join(120)
    assert done.get("key"), "training waited for the lock of a process that had ended"
    assert untrained.state() is not None


def test_a_page_reloaded_while_the_model_trains_follows_the_training(untrained):
    """A page reloaded (or a second tab) while the model trained started a job that waited for
    the training lock without a word: "Preparing the model…" for the rest of the training."""
    from dashboard.model_state import EARLIER_TRAINING

    holding, go = threading.Event(), threading.Event()
    first_said: list[str] = []

    def first_progress(fraction, message):
        first_said.append(message)
        if message.startswith("laying out"):  # the first job, mid-way: the lock held
            holding.set()
            assert go.wait(60)

    done: dict[str, str] = {}
    first = threading.Thread(
        target=lambda: done.update(key=untrained.train(first_progress, record=True)),
        daemon=True,
    )
    first.start()
    assert holding.wait(60)
    said: list[tuple[float, str]] = []

    def second_progress(fraction, message):
        said.append((fraction, message))
        if len(said) == 3:
            go.set()

    key = untrained.train(second_progress, record=True)
    first.join(60)
    assert key == done["key"]
    relayed = [m for _, m in said if EARLIER_TRAINING in m]
    # the first job's progress: its last message recorded before it was held
    before = first_said[[m.startswith("laying out") for m in first_said].index(True) - 1]
    assert relayed and relayed[0] == f"{before} ({EARLIER_TRAINING})", said
    assert said[0][0] == pytest.approx(0.9)  # (the epochs are 90% of the bar)
    assert said[-1] == (1.0, "model found in the cache")  # and its model, not trained again
    assert untrained.job_outcome("train") == {"state": "done"}  # the first job's end, kept


def test_a_lock_of_a_live_process_is_kept(untrained):
    from dashboard.job_records import OwnedLock

    me = OwnedLock.identity()
    assert OwnedLock.owner_alive(me)
    assert OwnedLock.owner_alive({"pid": 1, "host": "another-machine", "started": 0.0})
    assert not OwnedLock.owner_alive({**me, "started": me["started"] - 100})  # pid reused


def test_a_job_forked_while_a_request_holds_the_context_lock_does_not_hang(untrained):
    """Jobs are forked from the server while its threads answer the page: the context's lock,
    held by one of them at that moment, stayed held for ever in the job (the training job
    waited on "Preparing the model…" without a word)."""
    import os
    import signal
    import time

    held, release = threading.Event(), threading.Event()

    def request() -> None:
        with untrained._lock:
            held.set()
            release.wait(60)

    thread = threading.Thread(target=request, daemon=True)
    thread.start()
    assert held.wait(10)
    try:
        pid = os.fork()
        if pid == 0:  # the job: its first use of the context takes the lock
            try:
                untrained.state()
                untrained.job_started("baselines")
            finally:
                os._exit(0)
        deadline, ended = time.time() + 60, False
        while time.time() < deadline and not ended:
            ended = os.waitpid(pid, os.WNOHANG)[0] == pid
            time.sleep(0.1)
        if not ended:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        assert ended, "the forked job waited for a lock held by a thread of the server"
    finally:
        release.set()
        thread.join()


def _dead_pid() -> int:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return dead.pid


def test_a_baseline_map_that_runs_long_says_the_time_spent(untrained, monkeypatch):
    """t-SNE and UMAP say nothing while they run: the page read "50% — computing t-SNE" for
    minutes on thousands of samples. The time spent on the map is now said every few seconds,
    and nothing more once the maps are done."""
    import core.analysis

    n = untrained.es.n_samples
    rng = np.random.default_rng(0)

    def slow(values, methods=None, cache=None, key=None, progress=None, seed=0):
        for method in ("pca", "nmf", "tsne"):
            progress(method)
            time.sleep(0.5 if method == "tsne" else 0.0)
        progress("umap")
        return {m: rng.normal(size=(n, 2)) for m in ("pca", "nmf", "tsne", "umap")}

    monkeypatch.setattr(core.analysis, "baseline_embeddings", slow)
    monkeypatch.setattr(type(untrained), "PROGRESS_TICK_S", 0.1)
    said: list[tuple[float, str]] = []
    untrained.compute_baselines(progress=lambda f, m: said.append((f, m)))
    texts = [m for _, m in said]
    ticks = [m for m in texts if m.startswith("computing t-SNE… ")]
    assert len(ticks) >= 2 and ticks[-1].endswith(" s"), texts
    assert texts.index("computing t-SNE") < texts.index(ticks[0])
    assert texts.index(ticks[-1]) < texts.index("computing UMAP")
    assert said[-1] == (1.0, "done")
    fractions = [f for f, _ in said]
    assert fractions == sorted(fractions)  # the ticks keep the step's share
    time.sleep(0.3)
    assert len(said) == len(texts)  # stopped with the maps


def test_a_page_opened_while_the_baseline_maps_compute_follows_that_job(untrained):
    """A job belongs to the page that started it: a page reloaded while the maps were computed
    showed neither their progress nor, once done, the maps (until reloaded again)."""
    assert baselines.baselines_on_load(untrained) == (no_update, no_update, no_update, True)
    # a job started by an earlier page, here in this process (alive), says how far it is
    untrained.job_started("baselines")
    untrained.job_progress("baselines", "50% — computing t-SNE")
    fig, rows, progress, poll_disabled = baselines.baselines_on_load(untrained)
    assert fig is no_update and rows is no_update and poll_disabled is False
    assert progress == f"{baselines.EARLIER_JOB}: 50% — computing t-SNE"
    out = baselines.baselines_poll_view(untrained)
    assert out[2] == progress and out[3] is False and out[0] is no_update

    # the job's maps arrive: the polling page shows them and stops polling
    untrained.compute_baselines()
    untrained.job_finished("baselines")
    fig, rows, progress, poll_disabled, button, alert = baselines.baselines_poll_view(untrained)
    titles = {a.text.split("<br>")[0] for a in fig.layout.annotations}
    assert {"PCA", "NMF", "t-SNE", "UMAP"} <= titles and len(fig.data) >= 4 * 26
    assert {r["map"] for r in rows} >= {"PCA", "NMF", "t-SNE", "UMAP"}
    assert (progress, poll_disabled, button, alert) == ("", True, baselines.COMPUTE_LABEL, None)
    # and a page opened later finds them at once
    assert baselines.baselines_on_load(untrained)[3] is True
    assert baselines.baselines_on_load(untrained)[0] is not no_update


def test_a_polled_baseline_maps_job_that_stopped_or_failed_says_so(untrained):
    record = untrained._job_file("baselines")
    untrained.job_progress("baselines", "50% — computing t-SNE")
    stale = {**json.loads(record.read_text()), "pid": _dead_pid()}
    record.write_text(json.dumps(stale))  # the job was killed
    assert baselines.baselines_on_load(untrained) == (no_update, no_update, no_update, True)
    _, _, progress, poll_disabled, button, alert = baselines.baselines_poll_view(untrained)
    assert progress == "stopped before finishing" and poll_disabled is True
    assert button == baselines.RETRY_LABEL and "killed" in _text(alert)

    untrained.job_finished("baselines", error="NMF did not converge")
    _, _, progress, poll_disabled, button, alert = baselines.baselines_poll_view(untrained)
    assert poll_disabled is True and button == baselines.RETRY_LABEL
    assert "NMF did not converge" in _text(alert)

    # a record of an older version (no host) is not waited for
    record.write_text(json.dumps({"state": "running", "pid": os.getpid()}))
    assert untrained.job_running("baselines") is None


def test_two_jobs_asked_for_the_same_baseline_maps_compute_them_once(untrained, monkeypatch):
    """A second job (a reloaded page's click, another user) waits for the first one's maps, and
    leaves the record that pages follow to the job that computes: "waiting for the same maps"
    replaced the first job's progress there."""
    import core.analysis

    calls, started = [], threading.Event()
    real = core.analysis.baseline_embeddings

    def slow(*args, **kwargs):
        calls.append(1)
        started.set()
        time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(core.analysis, "baseline_embeddings", slow)
    results, said, seen = [], [], []
    first = threading.Thread(
        target=lambda: results.append(untrained.compute_baselines(record=True))
    )
    first.start()
    assert started.wait(60)

    def waiting(fraction, message):
        said.append(message)
        seen.append(untrained.job_running("baselines"))

    second = untrained.compute_baselines(progress=waiting, record=True)
    first.join(120)
    assert len(calls) == 1, "the same maps were computed twice"
    assert said and "another job" in said[0]
    assert seen[0] is not None and "waiting" not in seen[0]["progress"]  # the first job's
    assert second["maps"].keys() == results[0]["maps"].keys()
    assert np.array_equal(second["maps"]["t-SNE"], results[0]["maps"]["t-SNE"])
    assert untrained.job_outcome("baselines") == {"state": "done"}
    assert untrained.job_running("baselines") is None


def test_a_baseline_maps_job_that_fails_records_why_before_another_can_start(
    untrained, monkeypatch
):
    import core.analysis

    def broken(*args, **kwargs):
        raise ValueError("NMF did not converge")

    monkeypatch.setattr(core.analysis, "baseline_embeddings", broken)
    with pytest.raises(ValueError):
        untrained.compute_baselines(record=True)
    outcome = untrained.job_outcome("baselines")
    assert outcome == {"state": "failed", "error": "ValueError: NMF did not converge"}
    _, _, _, poll_disabled, button, alert = baselines.baselines_poll_view(untrained)
    assert poll_disabled is True and "NMF did not converge" in _text(alert)
    # the lock was given back: the next job computes at once
    monkeypatch.undo()
    said = []
    untrained.compute_baselines(progress=lambda f, m: said.append(m))
    assert not any("another job" in m for m in said)


def test_a_job_stopped_by_ctrl_c_records_a_stop_and_starts_again(untrained, monkeypatch):
    """Ctrl-C (a ``KeyboardInterrupt``) left the job's record saying "running", under the pid of
    a process that still ran (the one that had forked the job, here this one): whoever read the
    record saw a job running that was not. It now says that the job stopped, which the page tells
    as a stop (not as a failure), and the next job computes at once."""
    import core.analysis

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(core.analysis, "baseline_embeddings", interrupted)
    with pytest.raises(KeyboardInterrupt):
        untrained.compute_baselines(record=True)
    record = json.loads(untrained._job_file("baselines").read_text())
    assert record == {"state": "stopped", "by": "Ctrl-C"}
    assert untrained.job_running("baselines") is None
    assert untrained.job_outcome("baselines") == record
    progress, button, alert = baselines.baselines_job_view(untrained, False)
    assert progress == "stopped before finishing" and button == baselines.RETRY_LABEL
    assert "failed" not in _text(alert) and "it was stopped by Ctrl-C" in _text(alert)
    assert "memory" not in _text(alert)
    _, _, _, poll_disabled, _, alert = baselines.baselines_poll_view(untrained)
    assert poll_disabled is True and "failed" not in _text(alert)
    monkeypatch.undo()  # the page started again: its job computes at once
    said = []
    untrained.compute_baselines(progress=lambda f, m: said.append(m), record=True)
    assert not any("another job" in m for m in said)
    assert untrained.job_outcome("baselines") == {"state": "done"}


def test_a_baseline_maps_job_that_fails_before_it_computes_says_why(untrained, monkeypatch):
    """A job that failed while taking its turn (its lock's cache unreadable) left no record: the
    page told it as a job killed "for lack of memory", over the job's own error."""
    from dashboard import job_records

    def unreadable(self, waiting=None):
        raise OSError("database disk image is malformed")

    untrained.job_finished("baselines")  # an earlier job's end, which must not answer for this
    monkeypatch.setattr(job_records.OwnedLock, "acquire", unreadable)
    with pytest.raises(OSError):
        untrained.compute_baselines(record=True)
    outcome = untrained.job_outcome("baselines")
    assert outcome == {"state": "failed", "error": "OSError: database disk image is malformed"}
    progress, button, alert = baselines.baselines_job_view(untrained, False)
    assert button == baselines.RETRY_LABEL and alert is no_update  # the job's own alert stays


def test_a_job_failing_in_its_turn_leaves_another_hosts_live_record(untrained, monkeypatch):
    """With a cache shared by several hosts, a job that failed while waiting for its turn wrote
    "failed" over the record of the job another host was running (which this host cannot check),
    and pages following that job said it failed. A stale record of another host (not written
    for an hour) is taken over."""
    import json
    import os
    import time

    from dashboard import job_records

    def unreadable(self, waiting=None):
        raise OSError("database disk image is malformed")

    monkeypatch.setattr(job_records.OwnedLock, "acquire", unreadable)
    path = untrained._job_file("baselines")
    path.parent.mkdir(parents=True, exist_ok=True)
    theirs = {"state": "running", "pid": 1, "host": "another-host", "started": 0.0,
              "progress": "t-SNE"}  # fmt: skip
    path.write_text(json.dumps(theirs))
    with pytest.raises(OSError):
        untrained.compute_baselines(record=True)
    assert json.loads(path.read_text()) == theirs  # left alone
    hour_ago = time.time() - untrained.OTHER_HOST_RECORD_FRESH_S - 60
    os.utime(path, (hour_ago, hour_ago))
    with pytest.raises(OSError):
        untrained.compute_baselines(record=True)
    assert untrained.job_outcome("baselines")["state"] == "failed"


class _Arriving:
    """A context whose baseline maps arrive between two looks (the job ends meanwhile)."""

    def __init__(self, real):
        self.real, self.looks = real, 0

    def cached_baselines(self):
        self.looks += 1
        return None if self.looks == 1 else self.real.cached_baselines()

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_a_page_that_looks_as_the_job_ends_still_shows_the_maps(untrained):
    """The maps were stored, then the job's end recorded, between the page's look at the maps
    and its look at the job: the page stopped polling and showed nothing."""
    untrained.compute_baselines(record=True)  # stored, and the job's end recorded
    out = baselines.baselines_poll_view(_Arriving(untrained))
    assert out[0] is not no_update and out[3] is True and out[2] == ""
    out = baselines.baselines_on_load(_Arriving(untrained))
    assert out[0] is not no_update and out[3] is True


def test_the_baseline_maps_file_of_a_dataset_without_a_model_counts_its_maps(untrained):
    """Its title said "5 maps" over the 4 panels PCA, NMF, t-SNE and UMAP."""
    from dashboard import export

    figs = []

    class Keep:
        def render(self, fig, fmt, width, height, scale):
            figs.append(fig)
            return b"<svg/>"

    untrained.image_renderer = Keep()
    untrained.compute_baselines()
    export.export_figure(untrained, "baselines", "svg", "screen", {})
    panels = [a.text.split("<br>")[0] for a in figs[0].layout.annotations]
    assert panels == ["PCA", "NMF", "t-SNE", "UMAP"]
    assert figs[0].layout.title.text.startswith("The same 520 samples in 4 maps, coloured by")


def test_the_model_becoming_ready_leaves_this_pages_own_baselines_job_alone(sepira_es, tmp_path):
    """Started while the model trained, the page's own job was described, when the model became
    ready, as "computing, in a job started before this page was opened"."""
    from dashboard import ids
    from dashboard.factory import create_app

    cfg = DashboardConfig(
        cache_dir=tmp_path / "cache",
        settings=ModelSettings(gene_dim=8, standin=True),
        gene_layout="pca",
    )
    app = create_app(sepira_es, cfg)
    app.fe_context.job_progress("baselines", "50% — computing t-SNE")  # this page's job, alive
    outputs = [
        {"id": ids.BASELINES_GRAPH, "property": "figure"},
        {"id": ids.BASELINES_TABLE, "property": "data"},
        {"id": ids.BASELINES_PROGRESS, "property": "children"},
        {"id": ids.BASELINES_POLL, "property": "disabled"},
        {"id": ids.BASELINES_BUTTON, "property": "disabled"},
        {"id": ids.BASELINES_TABLE, "property": "columns"},
        {"id": ids.BASELINES_NOTE, "property": "children"},
        {"id": ids.BASELINES_SHARE, "property": "disabled"},
        {"id": ids.BASELINES_PER_CLASS, "property": "options"},
    ]
    key = next(k for k in app.callback_map if f"{ids.BASELINES_POLL}.disabled" in k)
    client = app.server.test_client()

    def ready(own_job_running):
        body = {
            "output": key,
            "outputs": outputs,
            "inputs": [
                {"id": ids.MODEL_STATUS, "property": "data", "value": {"ready": True}},
                {"id": ids.BASELINES_SHARE, "property": "value", "value": 0.1},
                {"id": ids.BASELINES_PER_CLASS, "property": "value", "value": []},
            ],
            "state": [
                {"id": ids.BASELINES_RUNNING, "property": "data", "value": own_job_running},
                {"id": ids.COLOR_BY, "property": "value", "value": None},
                {"id": ids.CLIP, "property": "value", "value": None},
            ],
            "changedPropIds": [f"{ids.MODEL_STATUS}.data"],
        }
        return client.post("/_dash-update-component", json=body)

    answer = ready(True)
    assert answer.status_code in (200, 204), answer.data[:300]
    assert answer.status_code == 204 or answer.get_json()["response"] == {}  # nothing changes
    answer = ready(False)  # a page opened while another page's job computes: it says so
    assert answer.status_code == 200 and baselines.EARLIER_JOB in answer.get_data(as_text=True)


def test_a_job_result_left_unread_is_not_given_to_another_run_or_click(sepira_es, tmp_path):
    """Dash names a job by its function and arguments: the baseline maps of the first click
    (n_clicks 1), left unread when the page closed, were given days later to the first click
    of another app on another dataset (and the job just started there was stopped)."""
    from dashboard import ids
    from dashboard.factory import create_app, jobs_manager

    def compute(set_progress, request):  # the shape of a background callback
        return request

    first, second = jobs_manager(tmp_path / "cache"), jobs_manager(tmp_path / "cache")
    args = [{"id": "abc"}]
    key = first.build_cache_key(compute, args, [], None)
    assert key == first.build_cache_key(compute, args, [], None)  # the page polls by this key
    first.handle.set(key, {"maps": "another dataset's"})  # a result nobody read
    assert second.build_cache_key(compute, args, [], None) != key  # another run of the app
    # within one run, each click is a request of its own (n_clicks was 1 for every page)
    cfg = DashboardConfig(
        cache_dir=tmp_path / "cache",
        settings=ModelSettings(gene_dim=8, standin=True),
        gene_layout="pca",
    )
    app = create_app(sepira_es, cfg)
    job = next(
        cb for cb in app.callback_map.values() if cb.get("background") and "baselines" in str(cb)
    )
    assert [i["id"] for i in job["inputs"]] == [ids.BASELINES_REQUEST]
    clicks = [
        cb
        for cb in app.callback_map.values()
        if [i["id"] for i in cb["inputs"]] == [ids.BASELINES_BUTTON]
        and f"{ids.BASELINES_REQUEST}.data" in str(cb["output"])
    ]
    assert len(clicks) == 1  # (clientside: a new id at each click)


def test_apps_with_other_seeds_do_not_follow_each_others_baseline_maps_job(sepira_es, tmp_path):
    """The job's record was named by the dataset only, its maps by the dataset, seed and
    labels: an app with another seed on the same cache took the other's job for its own."""
    configs = [
        DashboardConfig(
            cache_dir=tmp_path / "cache",
            settings=ModelSettings(gene_dim=8, standin=True, seed=seed),
            gene_layout="pca",
        )
        for seed in (0, 1)
    ]
    first, second = (AppContext(sepira_es, c) for c in configs)
    first.job_progress("baselines", "50% — computing t-SNE")  # a live job (this process)
    assert first.job_running("baselines") is not None
    assert second.job_running("baselines") is None
    again = AppContext(sepira_es, configs[0])  # the same settings: the same job
    assert again.job_running("baselines") is not None
