"""The app object: layout ids, callbacks registered, command line and environment."""

from __future__ import annotations

import pytest

from core.errors import CoreError
from dashboard import entry, ids
from dashboard.factory import create_app


def _ids(component) -> set[str]:
    found = set()
    stack = [component]
    while stack:
        c = stack.pop()
        cid = getattr(c, "id", None)
        if isinstance(cid, str):
            found.add(cid)
        children = getattr(c, "children", None)
        if isinstance(children, list | tuple):
            stack.extend(children)
        elif children is not None and hasattr(children, "to_plotly_json"):
            stack.append(children)
    return found


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
