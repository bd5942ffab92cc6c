"""The gene map marks the genes of the set that colours the samples (a gene list, a preset, a GO
term): a biologist colouring the samples by "liver development" sees where its genes sit in gene
space. A new colouring alone sends only that trace; one gene or an annotation empties it."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from dash import Patch, no_update

from dashboard import export, ids
from dashboard.context import GENE_SET_PRESETS
from dashboard.factory import create_app
from dashboard.gene_space import BASE_KEY, FIGURE_KEY, build_gene_figure, gene_map_update
from dashboard.layout import GENE_MAP_SIZE

LIVER = "go:GO:0001889"  # liver development: 11 of the 467 genes (HNF4A, HNF1A, ONECUT1...)
MARKS = "genes of the colouring"


def _marks(fig: go.Figure) -> list[tuple[int, go.Scattergl]]:
    # (an entry broken into lines: a journal size's legend breaks long ones shorter)
    return [(i, t) for i, t in enumerate(fig.data) if _legend(t).startswith(MARKS)]


def _legend(trace) -> str:
    return str(trace.name).replace("<br>", " ")


def _draw(context, color_by, focus="GATA4", gene_color="type", selection=None):
    """The map the page draws for a new gene in focus (a whole figure)."""
    fig, alert = gene_map_update(
        context,
        {ids.FOCUS_GENE},
        None,
        gene_color,
        focus,
        15,
        selection,
        {"width": 600, "height": 450},
        None,
        color_by=color_by,
    )
    assert isinstance(fig, go.Figure)
    return fig, alert


def _recolour(context, color_by, drawn, focus="GATA4", gene_color="type", selection=None):
    """What the page is sent when only the samples' colouring changes, ``drawn`` being the
    map in the page (``None``: none drawn yet)."""
    return gene_map_update(
        context,
        {ids.COLOR_BY},
        None,
        gene_color,
        focus,
        15,
        selection,
        {"width": 600, "height": 450},
        None,
        color_by=color_by,
        drawn=drawn.layout.meta[BASE_KEY] if drawn is not None else None,
    )


def _apply(patch: Patch, fig: go.Figure) -> dict:
    """``fig`` (as JSON) with ``patch``'s assignments made, as the page makes them."""
    out = json.loads(fig.to_json())
    for op in patch.to_plotly_json()["operations"]:
        assert op["operation"] == "Assign", op
        *path, last = op["location"]
        node = out
        for key in path:
            node = node[key]
        node[last] = json.loads(json.dumps(op["params"]["value"], default=list))
    return out


def _members(context, go_id: str) -> list[str]:
    st = context.require_state()
    cols = np.flatnonzero(context.go_term_members(go_id))
    return [str(context.gene_symbols[j]) for j in cols if st.es_model_index[j] >= 0]


def test_a_go_term_colouring_marks_its_genes_under_the_other_highlights(context):
    fig, alert = _draw(context, LIVER, selection=["HNF4A", "TBX5"])
    assert alert is None
    marks = _marks(fig)
    assert len(marks) == 1
    index, trace = marks[0]
    genes = _members(context, LIVER[3:])
    assert len(genes) >= 8  # 11 here
    assert _legend(trace) == f"{MARKS}: liver development ({len(genes)})"
    assert sorted(trace.customdata) == sorted(genes) and trace.showlegend is not False
    # where the genes are on the map
    st = context.require_state()
    rows = [context.gene_symbols.tolist().index(g) for g in trace.customdata]
    xy = st.gene_layout[st.es_model_index[rows]]
    assert np.allclose(np.column_stack([trace.x, trace.y]), xy, atol=1e-4)
    # over every category, under the selection's genes, the rings and the star
    names = [str(t.name) for t in fig.data]
    first_highlight = names.index("specific to the selection (2 genes)")
    assert index == first_highlight - 1
    assert all("(" in n and not n.startswith(MARKS) for n in names[:index])
    assert names.index("nearest neighbours") > index and names[-1] == "GATA4"
    # larger than a gene, smaller than a ring (drawn over it): the rings still show
    ring = next(t for t in fig.data if t.name == "nearest neighbours")
    assert fig.data[0].marker.size < trace.marker.size < ring.marker.size
    assert trace.marker.color not in (ring.marker.color, fig.data[-1].marker.color)


def test_a_gene_list_and_a_preset_mark_their_genes(context, monkeypatch):
    fig, _ = _draw(context, "list:GATA4, TBX5, NOTAGENE")
    (_, trace), *rest = _marks(fig)
    assert not rest and sorted(trace.customdata) == ["GATA4", "TBX5"]
    assert _legend(trace) == f"{MARKS}: GATA4, TBX5 (2)"
    fig, _ = _draw(context, "list:HOX*")
    hox = sorted(s for s in context.gene_symbols if str(s).startswith("HOX"))
    assert len(hox) >= 3 and sorted(_marks(fig)[0][1].customdata) == hox
    # (none of the presets has a gene among the 467: one that has)
    monkeypatch.setitem(GENE_SET_PRESETS, "Forkhead box genes (FOX*)", r"^FOX")
    fig, _ = _draw(context, "set:Forkhead box genes (FOX*)")
    (_, trace), *_ = _marks(fig)
    fox = [str(s) for s in context.gene_symbols if str(s).startswith("FOX")]
    assert sorted(trace.customdata) == sorted(fox) and len(fox) >= 3
    assert _legend(trace) == f"{MARKS}: Forkhead box genes ({len(fox)})"


@pytest.mark.parametrize("color_by", ["obs:GATA4", "res:GATA4", "ann:tissue", "", "go:GO:1990402"])
def test_one_gene_or_an_annotation_marks_nothing(context, color_by):
    """(The last: a GO term of no gene here, which the sample map says it cannot show.)"""
    fig, _ = _draw(context, color_by)
    (_, trace), *rest = _marks(fig)
    assert not rest and len(trace.x) == 0 and trace.showlegend is False
    legend = [t for t in fig.data if t.showlegend is not False]
    assert not any(str(t.name).startswith(MARKS) for t in legend)


def test_a_new_colouring_alone_sends_only_the_marks(context):
    """The map's points are not sent again for each colour change: a Patch of the trace of
    the colouring's genes (and the map's key), which makes the map a new one would be."""
    for gene_color in ("type", "go:GO:0007507"):  # the trace's index follows the categories
        before, _ = _draw(context, "obs:GATA4", gene_color=gene_color)
        steps = [LIVER, "list:HNF4A, HNF1A", "ann:tissue", LIVER, "obs:TBX5"]
        for color_by in steps:
            patch, alert = _recolour(context, color_by, before, gene_color=gene_color)
            assert isinstance(patch, Patch) and alert is no_update
            want, _ = _draw(context, color_by, gene_color=gene_color)
            assert _apply(patch, before) == json.loads(want.to_json()), (gene_color, color_by)
            assert len(json.dumps(patch.to_plotly_json(), default=list)) < len(want.to_json()) / 5
            before = want
    # no model yet: the page shows why, nothing to patch
    import types

    waiting = types.SimpleNamespace(state=lambda: None)
    assert _recolour(waiting, LIVER, None) == (no_update, no_update)
    # no map measured in the page yet (the blank figure of a model in training): the whole map
    args = (None, "type", "GATA4", 15, None, None, None)
    fig, _ = gene_map_update(context, {ids.COLOR_BY}, *args, color_by=LIVER)
    assert isinstance(fig, go.Figure) and len(_marks(fig)[0][1].x) >= 8


def test_a_new_colouring_onto_an_older_map_sends_the_whole_map(context):
    """The user changes the gene colouring (or the gene in focus, the neighbours) and then the
    samples' colouring before the new map arrives: Dash drops that map for the newer call, so
    the page still shows the older one. The colouring's trace alone would land there, at the
    index of other categories, and stay until the next redraw: the whole map is sent."""
    older, _ = _draw(context, "obs:GATA4", gene_color="type")
    changes = [
        {"gene_color": "go:GO:0007507"},  # other categories: the trace at another index
        {"focus": "TBX5"},
        {"selection": ["HNF4A"]},
    ]
    for change in changes:
        fig, _ = _recolour(context, LIVER, older, **change)
        assert isinstance(fig, go.Figure), change
        want, _ = _draw(context, LIVER, **change)
        assert fig.to_json() == want.to_json(), change
    # the map of those inputs drawn: the trace alone again
    newer, _ = _draw(context, "obs:GATA4", gene_color="go:GO:0007507")
    patch, _ = _recolour(context, LIVER, newer, gene_color="go:GO:0007507")
    assert isinstance(patch, Patch)


def test_labels_alone_still_follow_a_resize_after_a_new_colouring(context):
    """The key the page reports after a colouring's Patch is the one of the map it shows: a
    resize then sends the labels alone, as before."""
    drawn, _ = _draw(context, "obs:GATA4")
    patch, _ = _recolour(context, LIVER, drawn)
    page = _apply(patch, drawn)
    size = {"width": 900, "height": 700, FIGURE_KEY: page["layout"]["meta"][FIGURE_KEY]}
    args = (None, "type", "GATA4", 15, None, size, None)
    labels, _ = gene_map_update(context, {GENE_MAP_SIZE}, *args, color_by=LIVER)
    assert isinstance(labels, Patch)
    # a map of another colouring: the whole map
    fig, _ = gene_map_update(context, {GENE_MAP_SIZE}, *args, color_by="list:HNF4A")
    assert isinstance(fig, go.Figure)
    assert _legend(_marks(fig)[0][1]) == f"{MARKS}: HNF4A (1)"


def test_genes_the_model_was_not_trained_on_are_counted_not_drawn(sepira_es, tmp_path):
    from dashboard.context import AppContext, DashboardConfig, ModelSettings

    cfg = DashboardConfig(
        cache_dir=tmp_path,
        settings=ModelSettings(gene_dim=8, standin=True, top_genes=150),
        gene_layout="pca",
    )
    ctx = AppContext(sepira_es, cfg)
    ctx.train()
    st = ctx.require_state()
    cols = np.flatnonzero(ctx.go_term_members(LIVER[3:]))
    trained = int((st.es_model_index[cols] >= 0).sum())
    assert 0 < cols.size - trained  # some of the term's genes are not in the model
    fig, _ = _draw(ctx, LIVER, focus=None)
    (_, trace), *_ = _marks(fig)
    assert len(trace.x) == trained
    absent = cols.size - trained
    assert _legend(trace) == (
        f"{MARKS}: liver development ({trained}; {absent} not in the model, not drawn)"
    )


def test_the_page_gives_the_colouring_to_the_gene_map(context, sepira_es):
    app = create_app(sepira_es, context.config)
    cb = next(cb for key, cb in app.callback_map.items() if f"{ids.GENE_MAP}.figure" in key)
    assert {"id": ids.COLOR_BY, "property": "value"} in cb["inputs"]


def test_the_exported_gene_map_marks_the_colourings_genes(context, monkeypatch):
    figs = []

    class Recorder:
        def render(self, fig, fmt, width, height, scale):
            figs.append(fig)
            return b"<svg/>"

    monkeypatch.setattr(context, "image_renderer", Recorder())
    for color in (LIVER, "obs:GATA4"):
        view = {"focus": "GATA4", "k": 15, "color": color, "gene_color": "type"}
        export.export_figure(context, "gene-map", "svg", "single column (85 mm, 300 dpi)", view)
    liver, one_gene = figs
    (_, trace), *_ = _marks(liver)
    assert isinstance(trace, go.Scatter)  # vector, as the rest of the file
    assert _legend(trace) == f"{MARKS}: liver development ({len(_members(context, LIVER[3:]))})"
    assert not _marks(one_gene)  # a file has no empty trace to fill
    # as the page shows it, the labels spaced for the file
    page, _ = build_gene_figure(context, "type", "GATA4", 15, None, color_by=LIVER)
    assert list(trace.customdata) == list(_marks(page)[0][1].customdata)
