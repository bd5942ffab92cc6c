"""The gene map's labels are spaced for the plot area the page draws (the ``gene-map-size``
store, filled by ``assets/plot_size.js``), not for a fixed 430 x 330 pixels; without a
plausible size (none measured yet, a malformed one, an export) the default is used."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest
from dash import Patch, no_update

from dashboard import figures, ids
from dashboard.factory import ASSETS, create_app
from dashboard.gene_space import FIGURE_KEY, build_gene_figure, gene_map_update
from dashboard.layout import GENE_MAP_SIZE


def _ring_labels(fig) -> tuple[list[str], list[str]]:
    ring = next(t for t in fig.data if t.name == "nearest neighbours")
    positions = ring.textposition
    return list(ring.text), [positions] if isinstance(positions, str) else list(positions)


def _apply(patch: Patch, fig: go.Figure) -> go.Figure:
    """``fig`` with ``patch``'s assignments made, as the page makes them."""
    out = json.loads(fig.to_json())
    for op in patch.to_plotly_json()["operations"]:
        assert op["operation"] == "Assign", op
        *path, last = op["location"]
        node = out
        for key in path:
            node = node[key]
        node[last] = op["params"]["value"]
    return go.Figure(out)


def _shown(fig) -> int:
    return sum(bool(t) for t in _ring_labels(fig)[0])


def test_gene_map_uses_the_measured_plot_size(context):
    """30 neighbours of GATA4: a larger map drawn in the page writes more of their labels."""
    default, _ = build_gene_figure(context, "type", "GATA4", 30, None)
    large, alert = build_gene_figure(
        context, "type", "GATA4", 30, None, plot_size={"width": 2000, "height": 1500}
    )
    small, _ = build_gene_figure(
        context, "type", "GATA4", 30, None, plot_size={"width": 300, "height": 220}
    )
    assert alert is None
    assert _shown(small) <= _shown(default) < _shown(large)
    # only the labels change: the same points, the same hover
    assert [t.name for t in large.data] == [t.name for t in default.data]
    ring = next(t for t in large.data if t.name == "nearest neighbours")
    assert len(ring.customdata) == 30
    # the same as spacing them for that size directly
    same, _ = build_gene_figure(
        context, "type", "GATA4", 30, None, plot_size={"width": 2000.0, "height": 1500.0}
    )
    assert _ring_labels(same) == _ring_labels(large)


def test_gene_map_without_a_plausible_size_uses_the_default(context):
    """Nothing measured yet (the store is empty), or a value that is no size: the default
    spacing, never a traceback."""
    default, _ = build_gene_figure(context, "type", "GATA4", 30, None)
    explicit, _ = build_gene_figure(
        context,
        "type",
        "GATA4",
        30,
        None,
        plot_size={"width": figures._PLOT_PX[0], "height": figures._PLOT_PX[1]},
    )
    assert _ring_labels(explicit) == _ring_labels(default)
    for bad in (
        None,
        {},
        [900, 700],
        "900x700",
        {"width": 900},
        {"width": "wide", "height": 700},
        {"width": None, "height": None},
        {"width": -900, "height": 700},
        {"width": float("nan"), "height": 700},
        {"width": 1e12, "height": 1e12},
    ):
        fig, alert = build_gene_figure(context, "type", "GATA4", 30, None, plot_size=bad)
        assert alert is None, bad
        assert _ring_labels(fig) == _ring_labels(default), bad


def test_a_new_size_alone_redraws_only_a_map_with_labels(context):
    """The page writes the size when the map is first drawn and after a resize: without a gene
    in focus there are no labels to move, and the map is not sent again."""
    size = {"width": 900, "height": 700}
    only_size = {GENE_MAP_SIZE}
    fig, alert = gene_map_update(context, only_size, None, "type", None, 10, None, size)
    assert fig is no_update and alert is no_update
    fig, alert = gene_map_update(context, only_size, None, "type", "", 10, None, size)
    assert fig is no_update
    # with a gene in focus: its labels are sent again, spaced for the new size (not the
    # figure: its points do not move); applied to the map drawn before, it is the new map
    before, _ = build_gene_figure(context, "type", "GATA4", 30, None)
    size = {**size, FIGURE_KEY: before.layout.meta[FIGURE_KEY]}  # the map the page measured
    patch, alert = gene_map_update(context, only_size, None, "type", "GATA4", 30, None, size)
    want, _ = build_gene_figure(context, "type", "GATA4", 30, None, plot_size=size)
    assert alert is None and isinstance(patch, Patch)
    assert _ring_labels(before) != _ring_labels(want)  # the size moves labels here
    assert json.loads(_apply(patch, before).to_json()) == json.loads(want.to_json())
    assert len(json.dumps(patch.to_plotly_json())) < len(want.to_json()) / 5
    # the size with another input (or the first call, nothing triggered): always drawn
    for triggers in ({GENE_MAP_SIZE, ids.GENE_COLOR}, set(), {ids.MODEL_STATUS}):
        fig, _ = gene_map_update(context, triggers, None, "type", None, 10, None, size)
        assert fig is not no_update and "nearest neighbours" not in [t.name for t in fig.data]
    # an empty or malformed store with a gene in focus: the default spacing, on a whole map
    # (the store does not say which map the page has)
    for bad in (None, {"width": "x"}, 12):
        fig, alert = gene_map_update(context, only_size, None, "type", "GATA4", 30, None, bad)
        default, _ = build_gene_figure(context, "type", "GATA4", 30, None)
        assert alert is None and isinstance(fig, go.Figure)
        assert _ring_labels(fig) == _ring_labels(default)


def test_labels_alone_only_onto_the_map_they_were_placed_for(context):
    """A map for a new gene in focus, still on its way when the user zoomed, is dropped by Dash
    for the newer call: labels sent alone then landed on the rings of the old gene's
    neighbours. The page says which map it measured; another one gets the whole map."""
    old, _ = build_gene_figure(context, "type", "GATA4", 30, None)
    size = {"width": 900, "height": 700, FIGURE_KEY: old.layout.meta[FIGURE_KEY]}
    fig, _ = gene_map_update(context, {GENE_MAP_SIZE}, None, "type", "TBX5", 30, None, size)
    assert isinstance(fig, go.Figure)
    assert "TBX5" in [t.name for t in fig.data]
    # the key follows every input the map is drawn from, not the labels' spacing
    keys = {
        build_gene_figure(context, *args, plot_size=plot)[0].layout.meta[FIGURE_KEY]
        for args, plot in [
            (("type", "GATA4", 30, None), None),
            (("type", "GATA4", 30, None), {"width": 2000, "height": 1500}),
        ]
    }
    assert len(keys) == 1
    others = [
        ("type", "TBX5", 30, None),
        ("type", "GATA4", 10, None),
        ("type", "GATA4", 30, ["TBX5"]),
        ("go:GO:0007507", "GATA4", 30, None),
    ]
    for args in others:
        key = build_gene_figure(context, *args)[0].layout.meta[FIGURE_KEY]
        assert key not in keys, args
        keys.add(key)


def test_a_zoom_sends_the_labels_spaced_for_the_view_and_keeps_the_focus_label(context):
    """Zoomed in, the labels are spaced for the view; the star's label with an arrow (rings all
    round it) is an annotation of the layout, which the patch carries too."""
    import numpy as np

    st = context.require_state()
    base, _ = build_gene_figure(context, "type", "GATA4", 30, None)
    star = next(t for t in base.data if "in focus" in t.hovertemplate)
    x, y = float(star.x[0]), float(star.y[0])
    span = np.ptp(st.gene_layout, axis=0) / 8
    size = {
        "width": 430,
        "height": 330,
        "x": [x - span[0], x + span[0]],
        "y": [y - span[1], y + span[1]],
    }
    size[FIGURE_KEY] = base.layout.meta[FIGURE_KEY]
    patch, _ = gene_map_update(context, {GENE_MAP_SIZE}, None, "type", "GATA4", 30, None, size)
    want, _ = build_gene_figure(context, "type", "GATA4", 30, None, plot_size=size)
    assert json.loads(_apply(patch, base).to_json()) == json.loads(want.to_json())
    locations = [op["location"] for op in patch.to_plotly_json()["operations"]]
    assert ["layout", "annotations"] in locations
    assert {loc[-1] for loc in locations if loc[0] == "data"} == {"text", "textposition", "mode"}


def test_the_page_measures_the_gene_map_into_the_store(context, sepira_es):
    """The store is in the page, the gene map's callback listens to it, and the script that
    fills it is served with the page and names both components."""
    app = create_app(sepira_es, context.config)
    cb = next(cb for key, cb in app.callback_map.items() if f"{ids.GENE_MAP}.figure" in key)
    assert {"id": GENE_MAP_SIZE, "property": "data"} in cb["inputs"]
    script = (ASSETS / "plot_size.js").read_text()
    assert f'"{GENE_MAP_SIZE}"' in script and f'"{ids.GENE_MAP}"' in script
    assert "_fullLayout" in script and "set_props" in script
    page = app.server.test_client().get("/").get_data(as_text=True)
    assert "plot_size.js" in page
    layout = str(app.layout)
    assert f"id='{GENE_MAP_SIZE}'" in layout


def test_a_size_with_a_map_key_before_the_model_is_ready_gives_the_waiting_figure():
    """No model yet: the blank figure that says why, never a traceback, whatever the store;
    also when the model becomes ready while the callback runs (the blank figure has no key)."""
    import types

    answers = iter([None])  # no model at the first look, one at any later look
    waiting = types.SimpleNamespace(state=lambda: next(answers, object()))
    size = {"width": 500, "height": 400, FIGURE_KEY: "0123456789abcdef"}
    fig, alert = gene_map_update(waiting, {GENE_MAP_SIZE}, None, "type", "GATA4", 15, None, size)
    assert isinstance(fig, go.Figure) and not isinstance(fig, Patch) and alert is None


def test_a_new_map_keeps_the_zoom_the_user_made(context):
    """Zoomed into the gene map, then a new number of neighbours, gene in focus or selection:
    the map went back to its whole extent (the page's copy of the figure had taken the zoom
    in after a Patch, and a map without ranges undid it) while the link kept ``gzoom``. The
    map is now drawn at the zoom of the ``map-zoom`` store; a double-click (the store's
    ranges None) or a zoom made on another model's map leaves it whole."""
    key = context.require_state().key
    zoomed = {ids.GENE_MAP: {"key": key, "x": [1.0, 4.0], "y": [8.0, 12.0]}}
    args = (None, "type", "GATA4", 9, None, {"width": 600, "height": 450})
    for triggers in ({ids.NEIGHBORS_K}, {ids.FOCUS_GENE}, {ids.SELECTION_GENES_STORE}):
        fig, _ = gene_map_update(context, triggers, *args, None, "", map_zoom=zoomed)
        assert list(fig.layout.xaxis.range) == [1.0, 4.0], triggers
        assert list(fig.layout.yaxis.range) == [8.0, 12.0] and fig.layout.xaxis.autorange is False
    whole = {ids.GENE_MAP: {"key": key, "x": None, "y": None}}
    other = {ids.GENE_MAP: {"key": "another model", "x": [1.0, 4.0], "y": [8.0, 12.0]}}
    for store in (whole, other, {}):
        fig, _ = gene_map_update(context, {ids.NEIGHBORS_K}, *args, None, "", map_zoom=store)
        assert fig.layout.xaxis.range is None and fig.layout.yaxis.range is None
    # the page's link gives the zoom until the user zooms this map (the store of another model)
    x, y = context.require_state().gene_layout[:, :2].T
    box = [float(v) for v in (x.min(), x.mean(), y.min(), y.mean())]  # (holds genes)
    link = "?gene=GATA4&gzoom=" + ",".join(f"{v:g}" for v in box)
    fig, _ = gene_map_update(context, {ids.NEIGHBORS_K}, *args, link, "", map_zoom=other)
    assert list(fig.layout.xaxis.range) == pytest.approx(box[:2], rel=1e-4)
