"""The app object: layout ids, callbacks registered, command line and environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import CoreError
from dashboard import entry, ids
from dashboard.factory import create_app
from tests.dashboard.layout_tree import components


def _ids(component) -> set[str]:
    return {c.id for c in components(component) if isinstance(getattr(c, "id", None), str)}


def test_layout_has_public_ids(context, sepira_es):
    app = create_app(sepira_es, context.config)
    found = _ids(app.layout)
    public = {
        ids.SAMPLE_MAP,
        ids.COLOR_BY,
        ids.GENE_MAP,
        ids.GENE_SEARCH,
        ids.GENE_NEIGHBORS,
        ids.EXPORT_BUTTON,
        ids.EXPORT_FORMAT,
        ids.EXPORT_SIZE,
        ids.ALERTS,
        ids.SIMULATED_BADGE,
    }
    assert public <= found
    # every component a callback listens to is in the layout (else the page stops updating)
    inputs = {
        dep["id"]
        for cb in app.callback_map.values()
        for dep in cb["inputs"] + cb.get("state", [])
        if isinstance(dep.get("id"), str)
    }
    assert inputs <= found, inputs - found
    # the colouring's callback also writes the gene-list box (a list file's genes shown)
    outputs = [key for key in app.callback_map if f"{ids.COLOR_BY}.value" in key]
    assert len(outputs) == 1 and f"{ids.GENE_LIST}.value" in outputs[0], outputs
    assert app.fe_context.state() is not None  # the stored model is found
    assert len(app.callback_map) >= 10
    client = app.server.test_client()
    assert client.get("/healthz").data == b"ready"
    assert client.get("/").status_code == 200


def test_environment_maps_to_flags():
    argv = entry.argv_from_env(
        {
            "FE_MODEL": "/m",
            "FE_STANDIN": "1",
            "FE_EPOCHS": "3",
            "FE_EXCLUDE_TISSUES": "Brain, Fallopian Tube",
            "FE_SEED": "",
            "FE_GO_EXCLUDE_EVIDENCE": "IEA,ND",
        }
    )
    assert argv == [
        "--exclude-tissues",
        "Brain",
        "Fallopian Tube",
        "--model",
        "/m",
        "--epochs",
        "3",
        "--standin",
        "--go-exclude-evidence",
        "IEA,ND",
    ]
    args = entry.build_parser().parse_args(argv)
    assert args.model == "/m" and args.standin and args.epochs == 3
    assert entry.config_from_args(args, demo=False).go_exclude_evidence == ("IEA", "ND")
    assert entry.argv_from_env({"FE_JOIN_MODELS": "/a, /b"}) == ["--join-models", "/a", "/b"]
    argv = entry.argv_from_env({"FE_TOP_GENES": "5000", "FE_MIN_DETECTION": "0.1"})
    settings = entry.config_from_args(entry.build_parser().parse_args(argv), demo=False).settings
    assert (settings.min_detection, settings.top_genes) == (0.1, 5000)
    argv = entry.argv_from_env({"FE_MATRIX": "m.csv", "FE_ORIENTATION": "genes-in-rows"})
    assert entry.build_parser().parse_args(argv).orientation == "genes-in-rows"


def test_bad_command_lines_raise_core_errors(tmp_path):
    with pytest.raises(CoreError, match="--gtex-attributes"):
        entry.app_from_args(["--gtex-gct", str(tmp_path / "x.gct"), "--cache-dir", str(tmp_path)])
    with pytest.raises(CoreError, match="no such directory"):
        entry.app_from_args(["--model", str(tmp_path / "missing")])
    with pytest.raises(CoreError, match="--hidden"):
        entry._hidden("10,a")
    with pytest.raises(CoreError, match="--epochs, --top-genes set how the dashboard trains"):
        entry.app_from_args(["--model", str(tmp_path), "--epochs", "3", "--top-genes", "50"])
    with pytest.raises(CoreError, match="unknown GO evidence code"):
        entry.app_from_args(["--go-exclude-evidence", "IAE", "--cache-dir", str(tmp_path)])


def test_debug_mode_is_refused_on_an_address_others_reach(tmp_path):
    # the debugger of its error pages runs any Python typed into them: not for the network
    missing = str(tmp_path / "missing")
    for host in ("0.0.0.0", "192.168.1.20", "::"):
        with pytest.raises(CoreError, match=f"--debug with --host {host}: debug mode lets"):
            entry.app_from_args(["--debug", "--host", host, "--model", missing])
    # on this machine only, the run goes on (to the missing model)
    for host in ("127.0.0.1", "localhost", "::1"):
        with pytest.raises(CoreError, match="no such directory"):
            entry.app_from_args(["--debug", "--host", host, "--model", missing])
    with pytest.raises(CoreError, match="no such directory"):
        entry.app_from_args(["--host", "0.0.0.0", "--model", missing])


def test_an_unusable_cache_directory_or_port_is_said_in_one_line(sepira_file, tmp_path, capsys):
    """A --cache-dir that is a file, or a port out of range, ended in a traceback
    (FileExistsError from mkdir, AssertionError from the server)."""
    import subprocess
    import sys

    afile = tmp_path / "results.csv"
    afile.write_text("x\n")
    argv = ["--matrix", str(sepira_file), "--cache-dir", str(afile), "--standin"]
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(
        [sys.executable, "app.py", *argv], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 2, run.stderr
    assert f"error: cannot use the cache directory {afile}: File exists" in run.stderr
    assert "--cache-dir" in run.stderr and "Traceback" not in run.stderr
    assert afile.read_text() == "x\n"  # the file is left as it was
    for port in ("99999", "0", "http"):
        with pytest.raises(SystemExit) as stop:
            entry.build_parser().parse_args(["--port", port])
        assert stop.value.code == 2
        assert "argument --port" in capsys.readouterr().err
    assert entry.build_parser().parse_args(["--port", "8051"]).port == 8051


#: A process that uses numba's parallel code after ``create_app``, as the app does (the gene
#: layout's UMAP), then forks a child that uses it too, as a background job does (baseline maps).
_FORK_AFTER_NUMBA = """
import multiprocessing, sys
import numba, numpy as np
from core.simulate import simulate_gtex_like
from dashboard.context import DashboardConfig
from dashboard.factory import create_app

create_app(simulate_gtex_like(n_samples=60, n_genes=300, n_tissues=3),
           DashboardConfig(cache_dir=sys.argv[1]))

@numba.njit(parallel=True)
def total(x):
    s = 0.0
    for i in numba.prange(x.shape[0]):
        s += x[i]
    return s

total(np.ones(100))
child = multiprocessing.get_context("fork").Process(target=total, args=(np.ones(100),))
child.start()
child.join(60)
print("exitcode", child.exitcode)
"""


def test_a_job_forked_after_the_app_used_numba_runs(tmp_path):
    """A background job forked from an app that already ran numba's parallel code must not be
    killed by GNU OpenMP ("fork() called from a process already using GNU OpenMP"): the baseline
    maps' job died at UMAP on a first start and the page showed "50% — computing t-SNE" for
    ever."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"}
    env["PYTHONPATH"] = str(root)
    out = subprocess.run(
        [sys.executable, "-c", _FORK_AFTER_NUMBA, str(tmp_path)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "exitcode 0" in out.stdout, out.stdout + out.stderr[-2000:]


def test_dropdown_values_are_set_with_their_options(context, sepira_es):
    """A dropdown drops a value that is not among its options: every callback that sets the
    value of ``color-by``, ``gene-search`` or ``gene-color`` sets its options too (the GO term
    colouring of a shared link was dropped and the gene map stayed coloured by gene type)."""
    app = create_app(sepira_es, context.config)
    for dropdown in (ids.COLOR_BY, ids.GENE_SEARCH, ids.GENE_COLOR):
        setters = [key for key in app.callback_map if f"{dropdown}.value" in key]
        assert setters, dropdown
        for key in setters:
            assert f"{dropdown}.options" in key, key


def test_an_app_without_a_config_starts_on_a_stored_model(sepira_es, tmp_path, monkeypatch):
    """``create_app(es)`` (no config: the defaults) read ``config.join_models`` from None when
    a model was already on disk: AttributeError."""
    from dashboard import factory
    from dashboard.context import AppContext

    monkeypatch.chdir(tmp_path)  # the default cache directory, ./cache
    monkeypatch.setattr(AppContext, "model_ready_on_disk", lambda self: True)
    warmed = []
    monkeypatch.setattr(factory, "warm_up", lambda context: warmed.append(context))
    app = create_app(sepira_es)
    assert warmed == [app.fe_context] and (tmp_path / "cache").is_dir()


def test_header_lines_show_whole_on_hovering(context, sepira_es):
    """The header cuts the data's and the model's lines at the window's edge (one line each):
    each says its whole text on hovering it, the data line with the file's path."""
    from dashboard.layout import build_layout

    lines = [
        c
        for c in components(build_layout(context))
        if getattr(c, "className", None) == "model-info" and isinstance(c.children, str)
    ]
    data = [c for c in lines if c.children.startswith("data: ")]
    assert len(data) == 1, [c.children for c in lines]
    title = data[0].title.split("\n")
    assert title[0] == data[0].children  # the whole line, not only the path
    assert title[-1] == str(context.source["path"]) and "sepira" in title[-1]
    # the model's line (written when the model is ready) gets its text as its title
    app = create_app(sepira_es, context.config)
    assert any(f"{ids.MODEL_INFO}.title" in key for key in app.callback_map)


def test_a_stopped_server_says_which_jobs_it_waits_for():
    """A SIGINT to the server alone left its training job running, and the process waited for
    it, silently, before it exited."""
    from multiprocess import Process, active_children

    if not active_children():  # (no job of another test still running)
        assert entry.running_jobs_line() is None
    job = Process(target=__import__("time").sleep, args=(30,))
    job.start()
    try:
        line = entry.running_jobs_line()
    finally:
        job.kill()
        job.join()
    assert line is not None and f"process {job.pid}" in line and f"kill {job.pid}" in line
    assert "background job(s) to end" in line
