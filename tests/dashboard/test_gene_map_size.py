"""The gene map's labels are spaced for the plot area the page draws (the ``gene-map-size``
store, filled by ``assets/plot_size.js``), not for a fixed 430 x 330 pixels; without a
plausible size (none measured yet, a malformed one, an export) the default is used."""

from __future__ import annotations

from dash import no_update

from dashboard import figures, ids
from dashboard.factory import ASSETS, create_app
from dashboard.gene_space import build_gene_figure, gene_map_update
from dashboard.layout import GENE_MAP_SIZE


def _ring_labels(fig) -> tuple[list[str], list[str]]:
    ring = next(t for t in fig.data if t.name == "nearest neighbours")
    positions = ring.textposition
    return list(ring.text), [positions] if isinstance(positions, str) else list(positions)


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
    # with a gene in focus: redrawn, spaced for the new size
    fig, alert = gene_map_update(context, only_size, None, "type", "GATA4", 30, None, size)
    want, _ = build_gene_figure(context, "type", "GATA4", 30, None, plot_size=size)
    assert alert is None and _ring_labels(fig) == _ring_labels(want)
    # the size with another input (or the first call, nothing triggered): always drawn
    for triggers in ({GENE_MAP_SIZE, ids.GENE_COLOR}, set(), {ids.MODEL_STATUS}):
        fig, _ = gene_map_update(context, triggers, None, "type", None, 10, None, size)
        assert fig is not no_update and "nearest neighbours" not in [t.name for t in fig.data]
    # an empty or malformed store with a gene in focus: the default spacing
    for bad in (None, {"width": "x"}, 12):
        fig, alert = gene_map_update(context, only_size, None, "type", "GATA4", 30, None, bad)
        default, _ = build_gene_figure(context, "type", "GATA4", 30, None)
        assert alert is None and _ring_labels(fig) == _ring_labels(default)


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
