"""Placing uploaded samples: a background job with progress that says when it was killed, text
values in an upload read as missing (and said), and the log box offered whenever the warning
may point at it."""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import logging

import numpy as np
import pandas as pd
import pytest
from dash import html, no_update

from dashboard import ids, layout, placement
from dashboard.context import AppContext, DashboardConfig, ModelSettings
from dashboard.factory import create_app
from tests.dashboard.layout_tree import alert_text as _text
from tests.dashboard.test_user_flows import _data_url, _find


@pytest.fixture(scope="module")
def gtex_rows(sepira_file) -> pd.DataFrame:
    """Four real samples of four tissues, as a user would upload them (samples x genes)."""
    return pd.read_csv(sepira_file).iloc[[0, 25, 260, 500]].reset_index(drop=True)


# ----------------------------------------------------------------------------- the job
def _callback(app, output: str) -> dict:
    return next(cb for key, cb in app.callback_map.items() if key.startswith(f"..{output}.."))


def test_placing_runs_in_a_background_job_with_progress(context, sepira_es):
    """Placing ran inside the web request: a large upload was cut off by the server's
    timeout (gunicorn --timeout 120)."""
    app = create_app(sepira_es, context.config)
    cb = _callback(app, f"{ids.PLACED}.data")
    background = cb.get("background") or {}
    assert background, "placing runs inside the request"
    assert ids.PLACE_CLEAR in str(background.get("cancel")), "Clear does not stop the job"
    assert [i["id"] for i in cb["inputs"]] == [layout.PLACE_REQUEST]
    spec = str(background)
    assert layout.PLACE_PROGRESS in spec
    # while it runs: the page says so, the upload takes no other file, its end is watched
    deps = app.server.test_client().get("/_dash-dependencies").get_json()
    spec = next(d for d in deps if f"{ids.PLACED}.data" in d["output"] and d.get("running"))
    running = str(spec["running"])
    assert ids.PLACE_UPLOAD in running and layout.PLACE_JOB_RUNNING in running
    # "Clear" and the download still answer
    outputs = " ".join(app.callback_map)
    assert f"{ids.PLACED_DOWNLOAD}.data" in outputs
    clear = next(cb for cb in app.callback_map.values() if cb["inputs"][0]["id"] == ids.PLACE_CLEAR)
    assert clear.get("background") is None


def test_placing_job_reports_progress_and_places_as_in_one_go(context, sepira_file, monkeypatch):
    frame = pd.read_csv(sepira_file).iloc[:250].drop(columns=["tissue"])
    raw = frame.to_csv(index=False).encode()
    messages: list[str] = []
    out = placement.run_placing_job(
        context, messages.append, {"id": "job1"}, _data_url(raw), "many.csv", False
    )
    placed, table, info, alert = out
    assert alert is None and len(placed) == 250 and "250 samples from many.csv placed" in info
    # said while it runs: the file read, then each chunk of samples placed
    assert messages[0] == "reading many.csv…"
    percents = [m for m in messages if m.startswith("placing 250 samples… ")]
    assert percents[0].endswith(" 0%") and percents[-1].endswith(" 100%")
    assert len(percents) >= 4 and "placing 250 samples… 40%" in percents
    # chunk by chunk, the places are those of one go
    monkeypatch.setattr(type(context), "PLACE_CHUNK", 10_000)
    one_go = context.place_samples(raw, "many.csv")
    np.testing.assert_allclose([r["x"] for r in placed], one_go["x"], atol=1e-4)
    np.testing.assert_allclose([r["y"] for r in placed], one_go["y"], atol=1e-4)
    # the job's end is recorded, read once by the page, then removed
    assert context.job_outcome("place-job1")["state"] == "done"
    assert placement.placing_job_view(context, False, {"id": "job1"}) == (
        "",
        placement.HIDE,
        no_update,
    )
    assert context.job_outcome("place-job1")["state"] == "stopped"  # forgotten
    assert not context._job_file("place-job1").exists()


def test_a_poor_fit_is_said_once_on_the_page_not_in_the_log_by_chunk(
    sepira_es, sepira_file, tmp_path, caplog, monkeypatch
):
    """transform logs a poor fit; placing an upload chunk by chunk said it in the server's log
    once per chunk, beside the page's own warning of all the samples."""
    settings = ModelSettings(gene_dim=4, hidden=(8,), epochs=2)
    context = AppContext(sepira_es, DashboardConfig(cache_dir=tmp_path, settings=settings))
    context.train()
    monkeypatch.setattr(type(context), "PLACE_CHUNK", 100)  # 3 chunks
    frame = pd.read_csv(sepira_file).iloc[:250].drop(columns=["tissue"])
    genes = frame.columns[1:]
    frame[genes] = frame[genes] * 20  # values far off the training units
    with caplog.at_level(logging.WARNING, logger="core.estimator"):
        table = context.place_samples(frame.to_csv(index=False).encode(), "far.csv")
    assert "fit the model far worse" in (table.attrs["fit_warning"] or "")
    assert not [r for r in caplog.records if getattr(r, "notice", None) == "fit_error"]
    assert not logging.getLogger("core.estimator").filters  # put back
    # the python API still says it
    with caplog.at_level(logging.WARNING, logger="core.estimator"):
        context.state().model.transform(frame.set_index("sample"))
    assert [r for r in caplog.records if getattr(r, "notice", None) == "fit_error"]


def test_log_values_of_another_base_are_said_on_the_page(sepira_es, sepira_file, tmp_path):
    """Natural-log values uploaded to a map of log2 values fit at less than 3x the training
    loss and were placed without a word."""
    settings = ModelSettings(gene_dim=8, hidden=(32,), epochs=40)
    context = AppContext(sepira_es, DashboardConfig(cache_dir=tmp_path, settings=settings))
    context.train()
    assert context.state().model.value_scale_ is not None
    frame = pd.read_csv(sepira_file).iloc[::10].drop(columns=["tissue"])
    table = context.place_samples(frame.to_csv(index=False).encode(), "same.csv")
    assert table.attrs["fit_warning"] is None
    genes = frame.columns[1:]
    frame[genes] = frame[genes] * np.log(2)
    table = context.place_samples(frame.to_csv(index=False).encode(), "ln.csv")
    said = table.attrs["fit_warning"] or ""
    assert "natural-log values against a model trained on log2 values" in said, said


def test_an_upload_with_decimal_commas_is_placed_and_said(context, sepira_file):
    """An upload saved by a spreadsheet in a decimal-comma locale ("GATA4;1,25") was refused:
    its samples land where the same samples written with decimal points land, plain or
    gzip'd, and the page says how it was read."""
    frame = pd.read_csv(sepira_file).iloc[::40].reset_index(drop=True)
    frame["tissue"] = frame["tissue"] + ", as annotated"  # text with commas: kept as text
    same = context.place_samples(frame.to_csv(index=False).encode(), "points.csv")
    raw = frame.to_csv(index=False, sep=";", decimal=",").encode()
    for name, upload in (("eu.csv", raw), ("eu.csv.gz", gzip.compress(raw))):
        table = context.place_samples(upload, name)
        assert table["sample_id"].tolist() == frame["sample"].tolist()
        np.testing.assert_allclose(table[["x", "y"]], same[["x", "y"]], atol=1e-5)
        said = [m for m in table.attrs["load_warnings"] if "decimal comma" in m]
        assert len(said) == 1 and said[0].startswith(f"{name}: numbers written with a decimal")
        result = placement.place_upload(context, _data_url(upload), name, False)
        assert said[0] in result["warnings"]


def test_a_killed_placing_job_says_so_and_offers_a_retry(context):
    context.job_started("place-k1")  # ... and the process is killed: nothing more is recorded
    progress, retry_style, alert = placement.placing_job_view(
        context, False, {"id": "k1"}, "big.csv"
    )
    assert progress == "stopped before finishing"  # not "placing 2,000 samples… 40%" for ever
    assert retry_style == placement.SHOW
    message = _text(alert)
    assert "big.csv" in message and "killed" in message and layout.PLACE_RETRY_LABEL in message
    # a running job: the retry is hidden, nothing else changes
    assert placement.placing_job_view(context, True, {"id": "k1"}) == (
        no_update,
        placement.HIDE,
        no_update,
    )
    # a job that "Clear" cancelled (the drop zone emptied): the user's doing, nothing to say
    context.job_started("place-k3")
    view = placement.placing_job_view(context, False, {"id": "k3"}, None, cleared=True)
    assert view == ("", placement.HIDE, no_update)
    assert not context._job_file("place-k3").exists()
    # a job that raised said why itself (in the alert area)
    context.job_finished("place-k2", error="out of patience")
    assert placement.placing_job_view(context, False, {"id": "k2"})[:2] == ("", placement.HIDE)
    # the retry is a new request (a new id, so that the page sends it again)
    first, second = placement.new_request(), placement.new_request()
    assert first["id"] != second["id"]
    # ids sent by the page name no path
    assert placement.job_kind({"id": "../../x y"}) == "place-xy"
    assert placement.job_kind(None) == "place-upload"


def test_a_placing_job_that_raises_says_why(context, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(context, "place_samples", broken)
    out = placement.run_placing_job(
        context, lambda m: None, {"id": "r1"}, _data_url(b"a,b\n"), "mine.csv", False
    )
    assert out[0] is no_update
    assert "placing the samples failed: RuntimeError: the disk is full" in _text(out[3])
    assert context.job_outcome("place-r1") == {
        "state": "failed",
        "error": "RuntimeError: the disk is full",
    }
    # nothing to place ("Clear" emptied the drop zone): no job
    assert (
        placement.run_placing_job(context, None, {"id": "r2"}, None, None, False)
        == (no_update,) * 4
    )


def test_a_placing_job_stopped_by_ctrl_c_or_sigterm_records_a_stop(context, monkeypatch):
    """A placing job stopped by Ctrl-C (or SIGTERM, :class:`core.cli.Terminated`) left its
    record saying "running": it now says that it stopped, and by what."""
    from core.cli import Terminated

    for request, stop, by in (("r3", KeyboardInterrupt, "Ctrl-C"), ("r4", Terminated, "SIGTERM")):

        def stopped(*args, stop=stop, **kwargs):
            raise stop()

        monkeypatch.setattr(context, "place_samples", stopped)
        with pytest.raises(KeyboardInterrupt):
            placement.run_placing_job(
                context, lambda m: None, {"id": request}, _data_url(b"a,b\n"), "mine.csv", False
            )
        assert context.job_outcome(f"place-{request}") == {"state": "stopped", "by": by}
        assert context.job_running(f"place-{request}") is None
        # the page says by what, not "it may have been killed, for example for lack of memory"
        progress, _, alert = placement.placing_job_view(context, False, {"id": request}, "a.csv")
        assert progress == "stopped before finishing"
        assert f"it was stopped by {by}" in _text(alert) and "memory" not in _text(alert)


def test_a_small_gzip_that_unpacks_to_a_huge_table_is_refused_early(context, monkeypatch):
    """0.7 MB of gzip'd zeros unpacked to 150,000 samples: 2 GB taken before the limit of
    2,000 samples refused them (a job forked from the server: out of memory, either may go)."""
    import tracemalloc

    header = "sample," + ",".join(map(str, context.gene_symbols[:50])) + "\n"
    row = ",0" * 50 + "\n"
    raw = gzip.compress((header + "".join(f"s{i}{row}" for i in range(150_000))).encode())
    assert len(raw) < 2_000_000
    monkeypatch.setattr(type(context), "MAX_PLACE_UNPACKED", 5_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(Exception, match=r"bomb\.csv\.gz: more than 5 MB once unpacked"):
            context.place_samples(raw, "bomb.csv.gz")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000
    # within the limit, a gzip'd upload is placed as before; a cut one is said to be
    cut = gzip.compress((header + "".join(f"s{i}{row}" for i in range(20))).encode())
    assert len(context.place_samples(cut, "twenty.csv.gz")) == 20
    with pytest.raises(Exception, match=r"short\.csv\.gz: a damaged or truncated gzip file"):
        context.place_samples(cut[:-12], "short.csv.gz")
    # binary data, gzip'd: said as for a file that is not
    with pytest.raises(Exception, match=r"pic\.csv\.gz: it is a PNG image, not a text table"):
        context.place_samples(gzip.compress(b"\x89PNG\x00\x00" * 100), "pic.csv.gz")
    with pytest.raises(Exception, match=r"odd\.csv: it is a binary file, not a text table; give"):
        context.place_samples(b"\x00\x01" * 100, "odd.csv")
    # a gzip'd table named .csv is read, as the command line reads it ("a binary file")
    assert len(context.place_samples(cut, "twenty.csv")) == 20
    with pytest.raises(Exception, match=r"named\.csv: more than 5 MB once unpacked"):
        context.place_samples(raw, "named.csv")


def test_values_far_off_the_training_scale_are_said(sepira_es, gtex_rows, tmp_path):
    """A cell of 1e12 in one uploaded sample placed it among another tissue's samples with
    a fit error of 2e21 and majority share 1, without a word (the median fit error of the
    upload was fine), where "python -m core embed" warns."""
    settings = ModelSettings(gene_dim=4, hidden=(8,), epochs=2)
    ctx = AppContext(sepira_es, DashboardConfig(cache_dir=tmp_path, settings=settings))
    ctx.train()
    table = gtex_rows.drop(columns=["tissue"])
    fine = placement.place_upload(ctx, _data_url(table.to_csv(index=False).encode()), "ok.csv",
                                  False)  # fmt: skip
    assert not any("far" in w for w in fine["warnings"]), fine["warnings"]
    # the transform applied, in every placed sample's row (of the page's CSV too)
    assert {r["transform_applied"] for r in fine["records"]} == {"none"}
    frame = pd.read_csv(io.BytesIO(placement.placed_csv(fine["records"], ctx)[0]["content"]
                                   .encode()))  # fmt: skip
    assert (frame["transform_applied"] == "none").all() and len(frame) == len(table)
    # a gene the model does not have, in other units, is not the model genes' scale
    counted = table.assign(ENSG00000999999=[3.2e7, 2.9e7, 4.1e7, 3.8e7])
    extra = placement.place_upload(ctx, _data_url(counted.to_csv(index=False).encode()),
                                   "reads.csv", False)  # fmt: skip
    assert not any("far above" in w for w in extra["warnings"]), extra["warnings"]
    odd = table.copy()
    odd.iloc[1, 5] = 1e12
    result = placement.place_upload(ctx, _data_url(odd.to_csv(index=False).encode()), "odd.csv",
                                    False)  # fmt: skip
    said = " ".join(result["warnings"])
    sample = str(odd.iloc[1, 0])
    assert f"values up to 1e+12 (sample {sample}, gene " in said
    assert "far above the training data's" in said
    assert "1 sample fits the model far worse than its training samples" in said
    assert sample in said.split("training error")[1]


def test_an_excel_file_or_utf16_text_is_named_as_such(context):
    """An Excel workbook renamed .csv, or Excel's "Unicode Text" (UTF-16), was "binary data",
    where the command line names it and says how to save it."""
    xlsx = b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml" + b"\x00" * 200
    with pytest.raises(Exception, match=r"book\.csv: it is an Excel workbook .*'CSV UTF-8'"):
        context.place_samples(xlsx, "book.csv")
    utf16 = "sample\tGATA4\ns1\t1.0\n".encode("utf-16")
    with pytest.raises(Exception, match=r"uni\.txt: it is UTF-16 text \(Excel's 'Unicode Text'\)"):
        context.place_samples(utf16, "uni.txt")


# ----------------------------------------------------------------------------- a page reloaded
def test_a_reloaded_page_shows_the_samples_placed_before(context, gtex_rows):
    """The placed samples lived in the page only: a reload dropped them without a word, also
    those of a job still running (its result had no page to go to)."""
    raw = gtex_rows.drop(columns=["tissue"]).to_csv(index=False).encode()
    out = placement.run_placing_job(
        context, lambda m: None, {"id": "kept1"}, _data_url(raw), "four.csv", False
    )
    mine = {"id": "kept1", "filename": "four.csv"}
    session = {**mine, "shown": mine}  # as the page that placed them left it
    placed, rows, info, progress, alert, poll_disabled, kept = placement.placement_on_load(
        context, session
    )
    assert placed == out[0] and rows == out[1] and len(placed) == 4
    assert info == out[2] and "4 samples from four.csv placed" in info
    assert progress == "" and poll_disabled is True and kept is no_update
    # a tab that has not shown them yet (reloaded while they were placed) records them shown
    assert placement.placement_on_load(context, mine)[-1] == session
    # a second reload finds them again; "Clear" removes them (then a reload says why not)
    assert placement.placement_on_load(context, session)[0] == placed
    context.placement_forget("place-kept1")
    context.job_forget("place-kept1")
    view = placement.placement_on_load(context, session)
    assert view[0] is None and view[-2:] == (True, None)  # the tab forgets the upload
    assert "four.csv" in _text(view[4]) and "Upload the file again" in _text(view[4])
    # a page that placed nothing: nothing to say
    assert placement.placement_on_load(context, None) == (no_update,) * 5 + (True, no_update)


def test_a_reloaded_page_folds_the_uploads_warnings(context, gtex_rows):
    """An upload's warnings came back in full with its placed samples on every reload of the
    tab; they now come folded under one line that names the file and their number."""
    raw = gtex_rows.drop(columns=["tissue"]).iloc[:, :6].to_csv(index=False).encode()
    out = placement.run_placing_job(
        context, lambda m: None, {"id": "warned1"}, _data_url(raw), "few.csv", False
    )
    direct = out[3]
    messages = [_text(child) for child in direct.children]
    assert messages and any("genes" in m for m in messages)  # placed from few genes
    mine = {"id": "warned1", "filename": "few.csv"}
    # a page reloaded while they were placed has not shown them: in full
    view = placement.placement_on_load(context, mine)
    assert [_text(child) for child in view[4].children] == messages
    view = placement.placement_on_load(context, {**mine, "shown": mine})  # shown before
    folded = view[4]
    assert isinstance(folded, html.Details) and "alert-warning" in folded.className
    summary = folded.children[0]
    n = len(messages)
    assert isinstance(summary, html.Summary)
    assert summary.children.startswith(f"{n} warning{'' if n == 1 else 's'} about few.csv")
    assert [_text(p) for p in folded.children[1:]] == messages  # nothing lost, only folded
    assert view[0] == out[0]


def test_warnings_shown_in_full_on_a_reload_are_folded_on_the_next(context, gtex_rows):
    """A page reloaded while an upload was placed showed its warnings in full, and so did
    every later reload: the tab never recorded them as shown. Now the tab records them with the
    view that shows them in full, and the next reload folds them."""
    raw = gtex_rows.drop(columns=["tissue"]).iloc[:, :6].to_csv(index=False).encode()
    placement.run_placing_job(
        context, lambda m: None, {"id": "once1"}, _data_url(raw), "few.csv", False
    )
    session = {"id": "once1", "filename": "few.csv"}  # reloaded while they were placed
    first = placement.placement_on_load(context, session)
    assert not isinstance(first[4], html.Details) and "genes" in _text(first[4])  # in full
    kept = first[6]
    assert kept == {**session, "shown": session}  # the tab's record: shown
    later = placement.placement_on_load(context, kept)  # the next reload
    assert isinstance(later[4], html.Details) and later[6] is no_update
    assert later[0] == first[0]  # the same samples


def test_a_reloaded_page_follows_the_job_that_still_places(context, gtex_rows, monkeypatch):
    raw = gtex_rows.drop(columns=["tissue"]).to_csv(index=False).encode()
    session = {"id": "live1", "filename": "four.csv"}
    seen: list[tuple] = []
    real = context.place_samples

    def place_and_look(*args, progress=None, **kwargs):
        def relay(fraction, message):
            progress(fraction, message)
            # the page reloaded while the job runs: it shows how far the job is, and polls
            seen.append(placement.placement_on_load(context, session))

        return real(*args, progress=relay, **kwargs)

    monkeypatch.setattr(context, "place_samples", place_and_look)
    out = placement.run_placing_job(
        context, lambda m: None, {"id": "live1"}, _data_url(raw), "four.csv", False
    )
    assert seen, "the job reported no progress"
    first = seen[0]
    assert first[:3] == (no_update,) * 3 and first[5] is False  # polls
    assert first[3].startswith("four.csv: ") and placement.EARLIER_PLACING in first[3]
    assert any("placing 4 samples" in view[3] for view in seen)
    # once it ended, the next poll shows its samples and stops
    done = placement.placement_on_load(context, session)
    assert done[0] == out[0] and done[3] == "" and done[5] is True


def test_a_reloaded_page_says_why_its_job_failed(context, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(context, "place_samples", broken)
    placement.run_placing_job(
        context, lambda m: None, {"id": "bad1"}, _data_url(b"a,b\n"), "bad.csv", False
    )
    view = placement.placement_on_load(context, {"id": "bad1", "filename": "bad.csv"})
    assert "placing the samples of bad.csv failed: RuntimeError: the disk is full" in _text(view[4])
    assert view[5] is True and view[6] is None


def test_an_upload_while_the_model_trains_is_said_not_taken_for_a_killed_job(
    context, gtex_rows, monkeypatch
):
    raw = gtex_rows.drop(columns=["tissue"]).to_csv(index=False).encode()
    monkeypatch.setattr(context, "state", lambda: None)
    out = placement.run_placing_job(
        context, lambda m: None, {"id": "early1"}, _data_url(raw), "four.csv", False
    )
    assert "still training" in _text(out[3])
    progress, retry_style, alert = placement.placing_job_view(context, False, {"id": "early1"})
    assert (progress, retry_style, alert) == ("", placement.HIDE, no_update)  # not "killed"


def test_placed_samples_are_kept_for_their_model_and_a_week(context, gtex_rows):
    import os
    import time

    raw = gtex_rows.drop(columns=["tissue"]).to_csv(index=False).encode()
    placement.run_placing_job(
        context, lambda m: None, {"id": "old1"}, _data_url(raw), "four.csv", False
    )
    assert context.placement("place-old1") is not None
    # placed on another model's map (retrained, even into the same folder): not shown here
    path = context._placement_file("place-old1")
    kept = path.read_text()
    assert context.state().key in kept
    path.write_text(kept.replace(context.state().key, "another-model-key"))
    assert context.placement("place-old1") is None
    path.write_text(kept)
    # older than a week: removed when another upload is placed
    week_ago = time.time() - context.PLACEMENT_KEEP_S - 60
    os.utime(path, (week_ago, week_ago))
    placement.run_placing_job(
        context, lambda m: None, {"id": "new1"}, _data_url(raw), "four.csv", False
    )
    assert not path.exists() and context.placement("place-new1") is not None


def test_the_page_keeps_its_upload_for_a_reload(context, sepira_es):
    """The tab keeps the id of its last upload (session storage: a reload finds it); a
    reloaded page polls its earlier job; a live page leaves its own job alone."""
    app = create_app(sepira_es, context.config)
    page = str(app.layout() if callable(app.layout) else app.layout)
    assert f"id='{layout.PLACE_SESSION}'" in page and "storage_type='session'" in page
    restore = next(
        cb
        for cb in app.callback_map.values()
        if [i["id"] for i in cb["inputs"]] == [layout.PLACE_SESSION, layout.PLACE_RESUME_POLL]
    )
    restore_fn = restore["callback"].__wrapped__
    session = {"id": "whose1", "filename": "f.csv"}
    context.job_started("place-whose1")  # running, in this (live) process
    keep = placement.KEEP
    out = restore_fn(1, None, session, {"id": "whose1"})  # this page's own upload
    assert out == {"for": "whose1", "values": [keep] * 5 + [True, keep]}
    out = restore_fn(1, None, session, None)  # a reloaded page
    assert out["for"] == "whose1"
    assert out["values"][5] is False and placement.EARLIER_PLACING in out["values"][3]
    assert restore_fn(1, None, None, None) == {"for": None, "values": [keep] * 5 + [True, keep]}
    context.job_forget("place-whose1")
    # a job seen ended without a result (killed, failed): a reload has nothing to show again
    watch = next(
        cb["callback"].__wrapped__
        for cb in app.callback_map.values()
        if [i["id"] for i in cb["inputs"]] == [layout.PLACE_JOB_RUNNING]
    )
    context.job_started("place-whose1")
    assert watch(False, {"id": "whose1"}, "f.csv", session)[3] is None
    context.job_finished("place-whose1", error="no")
    assert watch(False, {"id": "whose1"}, "f.csv", session)[3] is None
    context.job_finished("place-whose1")
    context.save_placement("place-whose1", {"records": [], "info": "", "warnings": []})
    mine = {"id": "whose1", "filename": "f.csv"}
    assert watch(False, {"id": "whose1"}, "f.csv", session)[3] == {**mine, "shown": mine}
    assert watch(True, {"id": "whose1"}, "f.csv", session)[3] is no_update


def test_the_view_found_on_reload_names_the_upload_it_was_found_for(context, gtex_rows):
    """What a reloaded page finds travels in a store with the id of the upload it was read
    for (the page drops it when "Clear" came meanwhile): every value, alerts included, goes
    through Dash's JSON, and ``no_update`` as a mark."""
    from plotly.io.json import to_json_plotly

    raw = gtex_rows.drop(columns=["tissue"]).to_csv(index=False).encode()
    placement.run_placing_job(
        context, lambda m: None, {"id": "seen1"}, _data_url(raw), "four.csv", False
    )
    session = {"id": "seen1", "filename": "four.csv"}
    session = {**session, "shown": session}  # (shown before: the tab's record is kept)
    view = placement.placement_on_load(context, session)
    found = json.loads(to_json_plotly(placement.restored_view(session, view)))
    assert found["for"] == "seen1" and len(found["values"]) == 7
    assert found["values"][0] == json.loads(to_json_plotly(view[0]))
    assert found["values"][6] == placement.KEEP  # (no_update)
    missing = placement.placement_on_load(context, {"id": "gone1", "filename": "g.csv"})
    found = json.loads(to_json_plotly(placement.restored_view({"id": "gone1"}, missing)))
    assert found["values"][4]["props"]["className"] == "alert alert-error"
    assert "g.csv" in found["values"][4]["props"]["children"]


def test_a_failed_upload_after_placed_samples_leaves_them_for_a_reload(context, gtex_rows):
    """A placed upload A, then the log box ticked (or Retry): request B, which failed. A's
    samples stayed on the page, but the tab had forgotten A, and a reload showed nothing."""
    raw = gtex_rows.drop(columns=["tissue"]).to_csv(index=False).encode()
    a = placement.run_placing_job(
        context, lambda m: None, {"id": "a1"}, _data_url(raw), "four.csv", False
    )
    session = placement.session_after_job(context, {"id": "a1"}, {"id": "a1", "filename": "4"})
    assert session == {"id": "a1", "filename": "4", "shown": {"id": "a1", "filename": "4"}}
    session = {"id": "b1", "filename": "4", "shown": session["shown"]}  # (the page's request)
    bad = placement.run_placing_job(
        context, lambda m: None, {"id": "b1"}, _data_url(b"a,b\n"), "four.csv", True
    )
    assert bad[0] is no_update  # A's samples stay on the page
    after = placement.session_after_job(context, {"id": "b1"}, session)
    assert after["id"] == "a1"  # the tab keeps A: a reload shows it
    assert placement.placement_on_load(context, after)[0] == a[0]
    # reloaded before the page saw B end: B's failure is said, and A's samples shown
    view = placement.placement_on_load(context, session)
    assert view[0] == a[0] and view[6]["id"] == "a1" and "four.csv" not in str(view[6])
    assert "failed" in _text(view[4]) or "cannot be shown" in _text(view[4])


# ----------------------------------------------------------------------------- text values
def test_text_values_in_gene_columns_are_read_as_missing_and_said(context, gtex_rows):
    """A text value in the first gene columns made core.data take those columns for sample
    annotations: the genes were left out without a word. Further in, the upload was refused."""
    rows = gtex_rows.drop(columns=["tissue"]).astype(object)
    genes = list(rows.columns[1:])
    rows.loc[2, genes[0]] = "high"  # first gene column
    rows.loc[1, genes[1]] = "NA "  # a missing marker with a space
    rows.loc[3, genes[50]] = "low"  # a column in the middle
    raw = rows.to_csv(index=False).encode()
    placed, _, info, alert = placement.place_from_upload(context, _data_url(raw), "mine.csv", False)
    assert placed is not no_update, _text(alert)
    assert len(placed) == 4 and "460 of the model's 460 genes present" in info
    message = _text(alert)
    assert "2 values of mine.csv are text, not a number, and read as missing" in message
    assert f"{genes[0]} has 'high' (sample {rows.loc[2, 'sample']})" in message
    assert f"{genes[50]} has 'low' (sample {rows.loc[3, 'sample']})" in message
    assert "the genes kept" in message
    assert "read as missing (line" not in message  # the loader's words for it: said once
    # the samples still land on their own tissue (one missing value each)
    assert [r["nearest_label"] for r in placed] == list(gtex_rows["tissue"])

    # gzipped, the same
    out = placement.place_from_upload(context, _data_url(gzip.compress(raw)), "m.csv.gz", False)
    assert len(out[0]) == 4 and "read as missing" in _text(out[3])


def test_text_values_in_sample_columns_are_read_as_missing(context, gtex_rows):
    """Genes as rows: a text value in the first sample's column made it a gene annotation, and
    the sample was left out without a word."""
    table = gtex_rows.drop(columns=["tissue"]).set_index("sample").T.astype(object)
    table.index.name = "gene"
    first = table.columns[0]
    table.iloc[3, 0] = "high"
    raw = table.to_csv().encode()
    placed, _, info, alert = placement.place_from_upload(
        context, _data_url(raw), "genes_rows.csv", False
    )
    assert placed is not no_update, _text(alert)
    assert [r["sample_id"] for r in placed] == list(gtex_rows["sample"])
    message = _text(alert)
    assert f"{first} has 'high' (gene {table.index[3]})" in message and "sample kept" in message


def test_many_text_values_are_counted_whole(context, gtex_rows):
    """The page names the first cells and counts them all (a source keeps the first 100)."""
    rows = gtex_rows.drop(columns=["tissue"]).astype(object)
    genes = list(rows.columns[1:])
    for j in range(1, 61):
        rows.loc[0, genes[j]] = "x"
        rows.loc[1, genes[j]] = "y"
    rows.loc[2, genes[0]] = "z"
    raw = rows.to_csv(index=False).encode()
    placed, _, _, alert = placement.place_from_upload(context, _data_url(raw), "many.csv", False)
    assert placed is not no_update, _text(alert)
    message = _text(alert)
    assert "121 values of many.csv are text, not a number, and read as missing" in message
    assert "(the first 100 of the 121 text values)" in message


def test_a_gene_column_of_words_is_said(context, gtex_rows):
    """A first gene column that holds words more than numbers is read as a sample annotation
    (as a tissue column would be): the page says so, and that the gene counts as absent."""
    rows = gtex_rows.drop(columns=["tissue"]).astype(object)
    gene = rows.columns[1]
    rows[gene] = ["high", "low", "high", 1.5]
    raw = rows.to_csv(index=False).encode()
    placed, _, info, alert = placement.place_from_upload(context, _data_url(raw), "w.csv", False)
    assert placed is not no_update and "459 of the model's 460 genes present" in info
    message = _text(alert)
    assert (
        f"1 column of w.csv named as genes of the model holds words more than numbers ({gene})"
        in (message)
    )
    assert "that gene counts as absent" in message


def test_an_upload_without_text_values_says_nothing_of_them(context, gtex_rows):
    raw = gtex_rows.drop(columns=["tissue"]).to_csv(index=False).encode()
    placed, _, _, alert = placement.place_from_upload(context, _data_url(raw), "ok.csv", False)
    assert len(placed) == 4 and "read as missing" not in _text(alert)
    # a column of words is still refused, named
    words = placement.place_from_upload(
        context, _data_url(b"a,b\nx,y\n"), "words.csv", apply_transform=False
    )
    assert words[0] is no_update and "no numeric gene column" in _text(words[3])


# ----------------------------------------------------------------------------- the log box


def test_the_log_box_is_offered_when_the_warning_may_point_at_it(context, monkeypatch):
    """Data used as they are (no log on load): the box was hidden, while the warning after
    placing asked whether the upload held raw counts."""
    assert context.training_transform() == "none"
    box = _find(layout.build_layout(context), ids.PLACE_TRANSFORM)
    assert (getattr(box, "style", None) or {}).get("display") != "none"
    assert box.value == [] and "log2(x+1)" in box.options[0]["label"]

    table = pd.DataFrame({"sample_id": ["a"], "x": [0.0], "y": [0.0], "fit_error": [6.7]})
    table.attrs["fit_warning"] = "the new samples fit the model far worse than its training"
    seen = []

    def fake_place(raw, name, transform="none"):
        seen.append(transform)
        return table

    monkeypatch.setattr(context, "place_samples", fake_place)
    _, _, info, alert = placement.place_from_upload(context, _data_url(b"x"), "mine.csv", False)
    text = _text(alert)
    assert "fit the model far worse" in text
    assert "tick “raw counts or TPM: apply log2(x+1)” beside the upload" in text
    # ticked: log2(x+1) is applied, and said
    _, _, info, _ = placement.place_from_upload(context, _data_url(b"x"), "mine.csv", True)
    assert seen == ["none", "log2p1"] and "(log2p1 applied)" in info

    # data loaded with a log: the box applies that one, ticked at first
    monkeypatch.setattr(context, "training_transform", lambda: "log10p1")
    box = _find(layout.build_layout(context), ids.PLACE_TRANSFORM)
    assert box.value == ["raw"] and "log10(x+1)" in box.options[0]["label"]


def test_an_upload_whose_ids_do_not_tell_its_orientation_follows_the_model_genes(tmp_path):
    """Ids that are neither known symbols nor gene ids by their form (a model of the user's own
    gene names): the loader cannot tell rows from columns; the model's genes decide."""
    from dashboard.uploads import _load_upload

    rng = np.random.default_rng(0)
    genes = [f"mygene{j}" for j in range(6)]
    frame = pd.DataFrame(rng.random((3, 6)).round(3), index=["p1", "p2", "p3"], columns=genes)
    model_genes = {g.upper() for g in genes}
    by_rows, by_cols = tmp_path / "rows.csv", tmp_path / "cols.csv"
    frame.to_csv(by_rows)
    frame.T.to_csv(by_cols)
    for path in (by_rows, by_cols):
        es, cells, _ = _load_upload(path, path.name, "none", model_genes)
        assert list(es.sample_ids) == ["p1", "p2", "p3"] and list(es.gene_ids) == genes
        np.testing.assert_allclose(es.values, frame.to_numpy(), atol=1e-6)
        assert cells == []
    # genes the model does not have: the loader's question stands
    with pytest.raises(Exception, match="cannot tell whether its rows are samples or genes"):
        _load_upload(by_rows, "rows.csv", "none", {"OTHER"})


def test_samples_near_unlabelled_ones_are_said_unlabelled(context, sepira_es, gtex_rows, tmp_path):
    """Placed among samples without a tissue, the table's cells were blank and the summary
    ("new samples by the tissue of most of their nearest samples:") ended with nothing."""
    from core.data import ExpressionSet
    from dashboard.context import AppContext

    raw = gtex_rows.drop(columns=["tissue"]).to_csv(index=False).encode()
    first, _, _, _ = placement.place_from_upload(context, _data_url(raw), "mine.csv", False)
    # the training samples nearest the first two placed samples lose their tissue; of the
    # third one's, all but the nearest (whose tissue is then the only one among 15)
    emb = context.state().sample_embedding
    near = set()
    for i, r in enumerate(first[:3]):
        d = np.hypot(emb[:, 0] - r["x"], emb[:, 1] - r["y"])
        near |= set(np.argsort(d)[int(i == 2) : 2 * context.PLACE_K].tolist())
    samples = sepira_es.samples.copy()
    samples.iloc[sorted(near), samples.columns.get_loc("tissue")] = None
    es = ExpressionSet.from_array(
        sepira_es.values, sepira_es.sample_ids, sepira_es.gene_ids, samples=samples
    )
    ctx = AppContext(es, dataclasses.replace(context.config, cache_dir=tmp_path))
    ctx.train()  # (the same map: the labels take no part in it)
    placed, _, info, alert = placement.place_from_upload(ctx, _data_url(raw), "mine.csv", False)
    assert placed is not no_update, _text(alert)
    assert [r["nearest_label"] for r in placed][:2] == ["unlabelled", "unlabelled"]
    assert [r["majority_label"] for r in placed][:2] == ["unlabelled", "unlabelled"]
    assert all(r["majority_share"] == pytest.approx(1.0) for r in placed[:2])
    # one labelled sample among 15 is not "most of their nearest samples"
    assert placed[2]["nearest_label"] == first[2]["nearest_label"] != "unlabelled"
    assert placed[2]["majority_label"] == "unlabelled"
    assert placed[2]["majority_share"] == pytest.approx(14 / 15, abs=1e-3)
    assert "nearest samples: unlabelled 3," in info, info
    assert placed[3]["majority_label"] == first[3]["majority_label"]


def test_a_gct_upload_is_placed(context, gtex_rows):
    """GTEx's own format was refused ("give a CSV, TSV (optionally .gz) or parquet matrix"),
    though the dashboard and `train` read it."""
    genes = list(gtex_rows.columns[2:])
    body = gtex_rows.set_index("sample")[genes].T
    lines = ["#1.2", f"{len(genes)}\t{len(body.columns)}"]
    lines.append("\t".join(["Name", "Description", *body.columns]))
    for gene, row in body.iterrows():
        lines.append("\t".join([gene, gene, *(f"{v:.4f}" for v in row)]))
    raw = ("\n".join(lines) + "\n").encode()
    for name, data in (("mine.gct", raw), ("mine.gct.gz", gzip.compress(raw))):
        placed, _, info, alert = placement.place_from_upload(context, _data_url(data), name, False)
        assert placed is not no_update, _text(alert)
        assert [r["nearest_label"] for r in placed] == list(gtex_rows["tissue"]), name
        assert f"4 samples from {name} placed" in info


def test_uploads_that_are_not_tables_are_told_in_the_pages_words(context):
    """A page cannot take "--orientation on the command line" or "in Python load_table(...)";
    and a one-line note was "notes.txt: empty matrix"."""
    prose = b"Hi all,\nthe samples from Tuesday are attached,\nbest wishes,\nAnna\n"
    *_, alert = placement.place_from_upload(context, _data_url(prose), "mail.csv", False)
    message = _text(alert)
    assert "mail.csv: cannot tell whether its rows are samples or genes" in message
    assert "name the first column 'gene'" in message
    assert "command line" not in message and "Python" not in message
    *_, alert = placement.place_from_upload(
        context, _data_url(b"hello world\n"), "notes.txt", False
    )
    message = _text(alert)
    assert "notes.txt: empty matrix (no row under its first line" in message
    assert "not a table of samples and genes" in message


def test_a_symbol_that_names_several_model_genes_is_said(context, gtex_rows, monkeypatch):
    """An upload named by symbols, against a model where two genes share a symbol (several
    Ensembl ids of one gene, as in GTEx): the value fills the first, and the page says so."""
    model = context.require_state().model
    symbols = np.asarray(model.gene_symbols_).astype(object).copy()
    symbols[1] = symbols[0]
    new_ids = np.array([f"ENSG{i:011d}" for i in range(len(symbols))])
    monkeypatch.setattr(model, "gene_ids_", new_ids)
    monkeypatch.setattr(model, "gene_symbols_", symbols)
    raw = gtex_rows.drop(columns=["tissue"]).to_csv(index=False).encode()
    placed, _, _, alert = placement.place_from_upload(context, _data_url(raw), "s.csv", False)
    assert placed is not no_update, _text(alert)
    message = _text(alert)
    said = "1 gene of the new samples, named by symbol, names several genes of the model: "
    assert f"{said}{symbols[0]} (2 model genes)" in message, message
    assert "name genes by Ensembl id to tell them apart" in message


def test_a_placing_job_on_a_full_disk_says_so_in_one_line(context, monkeypatch, caplog):
    """An OSError ENOSPC under the cache folder: the page names the folder and what to do,
    the log holds no traceback (it read "placing the samples failed: OSError: [Errno 28]")."""
    import errno

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(context.cache_dir / "x"))

    monkeypatch.setattr(context, "place_samples", full)
    with caplog.at_level(logging.ERROR):
        out = placement.run_placing_job(
            context, lambda m: None, {"id": "r3"}, _data_url(b"a,b\n"), "mine.csv", False
        )
    said = _text(out[3])
    assert f"the disk of the cache folder {context.cache_dir} is full" in said, said
    assert "--cache-dir" in said and "Errno" not in said
    assert not [r for r in caplog.records if r.exc_info]
    assert "is full" in context.job_outcome("place-r3")["error"]
