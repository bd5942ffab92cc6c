"""Every control of the page says on hovering what it does: a newcomer found the CSV buttons,
"Export figure", "Clear", "Compute the baseline maps", "Colour by this list", the neighbours'
box and the clip slider without a word, and "1-NN", "FE 1" and the model's line unexplained."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest
from dash import dcc, html

from dashboard import ids
from dashboard.layout import MODEL_INFO_HELP, build_layout

#: The page's controls: what a biologist clicks, types in, drops a file on or drags.
CONTROLS = (
    html.Button,
    dcc.Upload,
    dcc.Slider,
    dcc.RangeSlider,
    dcc.Input,
    dcc.Dropdown,
    dcc.Checklist,
    dcc.RadioItems,
    dcc.Textarea,
    dcc.Clipboard,
)


def _children(c: Any) -> list:
    children = getattr(c, "children", None)
    if isinstance(children, list | tuple):
        return [x for x in children if x is not None]
    if children is not None and hasattr(children, "to_plotly_json"):
        return [children]
    return []


def _paths(root: Any) -> list[tuple[Any, list]]:
    """Each component under ``root`` with its ancestors, the nearest last."""
    found, stack = [], [(root, [])]
    while stack:
        c, above = stack.pop()
        found.append((c, above))
        stack.extend((x, [*above, c]) for x in _children(c))
    return found


def _controls(c: Any) -> list:
    """The controls under ``c`` (``c`` included), not counting those inside a control."""
    if isinstance(c, CONTROLS):
        return [c]
    return [x for child in _children(c) for x in _controls(child)]


def _title(c: Any) -> str:
    return str(getattr(c, "title", None) or "").strip()


def hover_text(c: Any, above: list) -> str:
    """What the control ``c`` (under the elements ``above``, the nearest last) says on
    hovering: its own ``title``, or that of a wrapper around it alone, the nearest element with
    a title among those that hold no other control (a ``Div`` of a label and its dropdown, a
    ``Span`` around a checkbox, the box that names an upload's size limit). A title on a row or
    a card of several controls does not count: it would say one thing of them all."""
    said = _title(c)
    for wrapper in reversed(above):
        if said or _controls(wrapper) != [c]:
            break
        said = _title(wrapper)
    return said


def untitled(root: Any) -> list[str]:
    """The controls under ``root`` that say nothing on hovering (:func:`hover_text`)."""
    return [
        f"{type(c).__name__} {getattr(c, 'id', None)}"
        for c, above in _paths(root)
        if isinstance(c, CONTROLS) and not hover_text(c, above)
    ]


def said(root: Any, control_id: str) -> str:
    """What the control ``control_id`` under ``root`` says on hovering."""
    for c, above in _paths(root):
        if isinstance(c, CONTROLS) and getattr(c, "id", None) == control_id:
            return hover_text(c, above)
    raise KeyError(control_id)


def test_every_control_says_what_it_does(context):
    page = build_layout(context)
    found = [c for c, _ in _paths(page) if isinstance(c, CONTROLS)]
    assert len(found) >= 30  # (the walk reaches every card)
    assert untitled(page) == []


def test_a_title_on_a_row_of_controls_does_not_count():
    row = html.Div([html.Button("a"), html.Button("b", title="b")], title="the row")
    assert untitled(row) == ["Button None"]
    alone = html.Div([html.Label("Clip"), html.Div(dcc.RangeSlider(0, 1))], title="clip")
    assert untitled(alone) == []


def test_csv_buttons_name_their_columns(context):
    page = build_layout(context)
    for button, column in (
        (ids.EXPORT_SELECTION_CSV, "sample id"),
        (ids.EXPORT_SAMPLE_MAP_CSV, "x, y"),
        (ids.EXPORT_GENE_MAP_CSV, "gene type"),
        (ids.EXPORT_NEIGHBORS_CSV, "rank"),
        (ids.EXPORT_ENRICHMENT_CSV, "FDR"),
        (ids.EXPORT_SELECTION_GENES_CSV, "score"),
        (ids.EXPORT_PLACED_CSV, "fit error"),
    ):
        title = said(page, button)
        assert title.startswith("save ") and column in title, (button, title)


def test_the_words_a_biologist_does_not_know_are_explained(context):
    """ "1-NN", "FE 1 / FE 2", the clip's percentiles and the model's line (samples 2-D,
    genes 50-D, hidden 100×50×50, final MSE) each say what they are where they are shown."""
    page = build_layout(context)
    share = said(page, ids.BASELINES_SHARE)
    assert "1-NN" in share and "nearest labelled sample" in share
    clip = said(page, ids.CLIP)
    assert "percentile" in clip and "extreme" in clip
    # the axes are named on the map; the page's help says what they are
    from dashboard.layout import HELP

    assert "FE 1 and FE 2" in HELP
    for word in ("-D", "hidden", "MSE"):
        assert word in MODEL_INFO_HELP, word


def test_the_model_line_keeps_its_whole_text_on_hovering(app):
    """The model's line is cut at the window's edge: its title says it whole, then what its
    words mean (only once it says them: not on "model: loading…")."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node to run the page's function")
    script = next(s for s in app._inline_scripts if MODEL_INFO_HELP[:40] in s)
    line = "FactorizedEmbeddings · samples 2-D, genes 50-D · hidden 100×50×50 · final MSE 0.0910"
    run = (
        f"var window = {{}};\n{script}\n"
        "const f = Object.values(window.dash_clientside._dashprivate_clientside_funcs)[0];\n"
        f"console.log(JSON.stringify([f({json.dumps(line)}), f('model: loading…'), f(null)]));"
    )
    out = subprocess.run([node, "-e", run], capture_output=True, text=True, check=True)
    whole, loading, none = json.loads(out.stdout)
    assert whole == f"{line}\n{MODEL_INFO_HELP}"
    assert loading == "model: loading…" and none == ""


def test_the_gene_map_csv_button_names_a_gene_id_only_where_its_file_has_one(context, tmp_path):
    """The 26 tissues' genes are named by symbols alone: their gene space's file has no
    ``gene_id`` column, yet the button's hover text listed "gene id" first."""
    import base64
    import io

    import pandas as pd

    from core.simulate import simulate_gtex_like
    from dashboard.context import AppContext, DashboardConfig, ModelSettings
    from dashboard.export import csv_download

    demo = AppContext(
        simulate_gtex_like(n_samples=60, n_genes=300, n_tissues=3, seed=0),
        DashboardConfig(
            cache_dir=tmp_path / "cache",
            settings=ModelSettings(gene_dim=4, standin=True),
            gene_layout="pca",
        ),
    )
    demo.train()
    for ctx in (context, demo):
        sent = csv_download(ctx, ids.EXPORT_GENE_MAP_CSV, None, None, None)
        text = sent["content"]
        columns = pd.read_csv(
            io.StringIO(base64.b64decode(text).decode() if sent.get("base64") else text)
        ).columns
        title = said(build_layout(ctx), ids.EXPORT_GENE_MAP_CSV)
        assert ("gene id" in title) == ("gene_id" in columns), (list(columns), title)
    assert "gene id" not in said(build_layout(context), ids.EXPORT_GENE_MAP_CSV)
