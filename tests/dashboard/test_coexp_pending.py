"""The neighbour table marks co-expression edges and novel pairs by itself once the
co-expression cut, computed in a thread, is known: it said "choose the gene again" and stayed
unmarked until the user did. A cut computed but not written to the result cache is used; and a
model too small for any co-expression edge says so above the table."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pandas as pd
import pytest
from dash import dcc, no_update

import core.analysis
from core.errors import CoreError
from dashboard import gene_space, ids
from dashboard.factory import create_app
from dashboard.layout import COEXP_POLL, build_layout
from tests.dashboard.callback_post import post_callback
from tests.dashboard.layout_tree import components


def _exact_cut(ctx) -> float:
    st = ctx.require_state()
    cols = st.gene_es_index[st.gene_es_index >= 0]
    every = np.corrcoef(ctx.values[:, cols].astype(np.float64).T)[np.triu_indices(cols.size, 1)]
    return float(np.sort(every)[::-1][int(round(0.01 * every.size)) - 1])


def _marked(rows) -> bool:
    return all(r["coexp"] in ("yes", "no") for r in rows) and any(r["novel"] for r in rows)


def test_a_pending_cut_polls_and_its_arrival_marks_the_table(fresh, monkeypatch):
    ctx = fresh
    release = threading.Event()
    calls = []
    computed = core.analysis.coexpression_cut

    def blocked(values, top_fraction=0.01):
        calls.append(top_fraction)
        release.wait(60)
        return computed(values, top_fraction)

    monkeypatch.setattr(core.analysis, "coexpression_cut", blocked)
    state = ctx.require_state()
    out = gene_space.neighbor_update(ctx, "HNF4A", 10, None)
    rows, alert, disabled = out[0], str(out[2]), out[6]
    assert rows and all(r["coexp"] == "" for r in rows)
    assert "being computed" in alert and "choose the gene again" not in alert
    assert disabled is False  # (the poll runs)
    # a tick while the cut is computed changes nothing (no table built again)
    assert gene_space.neighbor_update(ctx, "HNF4A", 10, None, tick=True) == (no_update,) * 9
    release.set()
    for _ in range(600):
        if not ctx.coexp_pending():
            break
        time.sleep(0.05)
    out = gene_space.neighbor_update(ctx, "HNF4A", 10, None, tick=True)
    rows, alert, disabled = out[0], str(out[2]), out[6]
    assert _marked(rows)
    assert "being computed" not in alert
    assert disabled is True  # (the poll stops)
    # the tick cost a click: the cut computed once, the model in memory the same
    assert len(calls) == 1 and ctx.require_state() is state
    # a gene chosen now (the cut known) does not start the poll
    assert gene_space.neighbor_update(ctx, "GATA4", 10, None)[6] is True


def test_a_failed_cut_stops_the_poll(fresh, monkeypatch):
    ctx = fresh

    def failing(values, top_fraction=0.01):
        raise CoreError("no room for the pairs")

    monkeypatch.setattr(core.analysis, "coexpression_cut", failing)
    for tick in (False, True):
        out = gene_space.neighbor_update(ctx, "HNF4A", 10, None, tick=tick)
        assert "could not be computed" in str(out[2])
        assert out[6] is True


def test_the_page_polls_with_the_neighbour_table_alone(sepira_es, context):
    polls = [
        c
        for c in components(build_layout(context))
        if isinstance(c, dcc.Interval) and c.id == COEXP_POLL
    ]
    assert len(polls) == 1 and polls[0].disabled is True
    app = create_app(sepira_es, context.config)
    spec = next(s for k, s in app.callback_map.items() if f"{ids.GENE_NEIGHBORS}.data" in k)
    key = next(k for k, s in app.callback_map.items() if s is spec)
    assert {"id": COEXP_POLL, "property": "n_intervals"} in spec["inputs"]
    assert f"{COEXP_POLL}.disabled" in key
    # what a tick rewrites is no other callback's input (a gene or a selection chosen again)
    written = {o.split("@")[0] for o in key.strip(".").split("...")}
    for k, s in app.callback_map.items():
        if k != key:
            read = {f"{i['id']}.{i['property']}" for i in s["inputs"]}
            assert not read & written, k


@pytest.mark.parametrize(
    "error", [OSError(28, "No space left on device"), CoreError("cannot write to the cache")]
)
def test_a_cut_not_cached_is_used(fresh, monkeypatch, caplog, error):
    ctx = fresh

    def full(key, value):
        raise error

    monkeypatch.setattr(ctx.results, "set", full)
    with caplog.at_level(logging.WARNING, logger="dashboard.pair_references"):
        assert ctx.coexp_cut(wait=None) == pytest.approx(_exact_cut(ctx), abs=1e-5)
    assert ctx.coexp_problem() is None
    assert "not cached" in caplog.text
    rows, _, alert = gene_space.neighbor_tables(ctx, "HNF4A", 10)
    assert _marked(rows)
    assert "could not be computed" not in str(alert) and "being computed" not in str(alert)


def _small(sepira_file, tmp_path, n_genes: int):
    from core.data import load_table
    from dashboard.context import AppContext, DashboardConfig, ModelSettings

    table = pd.read_csv(sepira_file)
    tissues = table["tissue"].drop_duplicates().iloc[:3]
    cut = pd.concat([table[table["tissue"] == t].head(10) for t in tissues])
    genes = cut.iloc[:, 2:].var().sort_values(ascending=False).index[:n_genes]
    path = tmp_path / f"cut{n_genes}.csv"
    cut[["sample", "tissue", *genes]].to_csv(path, index=False)
    cfg = DashboardConfig(
        cache_dir=tmp_path / f"cache{n_genes}",
        settings=ModelSettings(gene_dim=4, standin=True),
        gene_layout="pca",
    )
    ctx = AppContext(load_table(path), cfg)
    ctx.train()
    return ctx


def test_a_model_too_small_for_an_edge_says_so(sepira_file, tmp_path):
    """10 genes: 1% of their 45 pairs rounds to no edge, the cut is infinite and every pair was
    marked "no" without a word; 11 genes: 1% of 55 pairs rounds to one edge, nothing said."""
    ctx = _small(sepira_file, tmp_path, 10)
    assert ctx.coexp_cut(wait=None) == float("inf")
    focus = str(ctx.gene_symbols[0])
    rows, _, _, info, _ = gene_space.gene_tables(ctx, focus, 5, None)
    assert rows and all(r["coexp"] == "no" for r in rows)
    assert "With 10 genes in the model, 1% of their 45 pairs" in info
    assert "no pair is a co-expression edge" in info
    ctx = _small(sepira_file, tmp_path, 11)
    assert np.isfinite(ctx.coexp_cut(wait=None))
    rows, _, _, info, _ = gene_space.gene_tables(ctx, str(ctx.gene_symbols[0]), 5, None)
    assert rows and "no pair is a co-expression edge" not in info


def _post(app, changed: list[str], values: dict[tuple[str, str], object]) -> dict:
    """The neighbour table's callback posted as the page posts it, ``changed`` its inputs that
    changed (several when the page merges them)."""
    return post_callback(app, f"{ids.GENE_NEIGHBORS}.data", values, changed)


def test_a_gene_chosen_as_the_poll_ticks_is_listed(sepira_es, tmp_path, monkeypatch):
    """The page merges a tick and a new gene that reach the callback together (one request,
    both changed, the tick first): the tick's "nothing changed" kept the former gene's
    neighbours under the new gene until the cut arrived."""
    from dashboard.context import DashboardConfig, ModelSettings

    release = threading.Event()
    computed = core.analysis.coexpression_cut

    def blocked(values, top_fraction=0.01):
        release.wait(60)
        return computed(values, top_fraction)

    monkeypatch.setattr(core.analysis, "coexpression_cut", blocked)
    cfg = DashboardConfig(
        cache_dir=tmp_path / "cache", settings=ModelSettings(gene_dim=8, standin=True),
        gene_layout="pca",
    )  # fmt: skip
    app = create_app(sepira_es, cfg)
    app.fe_context.train()
    tick, focus = (COEXP_POLL, "n_intervals"), (ids.FOCUS_GENE, "data")
    k = (ids.NEIGHBORS_K, "value")
    changed = {tick: f"{COEXP_POLL}.n_intervals", focus: f"{ids.FOCUS_GENE}.data"}
    try:
        out = _post(app, [changed[focus]], {focus: "HNF4A", k: 10})
        assert "being computed" in str(out)  # (the alert over the table)
        assert out[COEXP_POLL]["disabled"] is False and app.fe_context.coexp_pending()
        # a tick alone while the cut is computed: nothing sent
        assert _post(app, [changed[tick]], {tick: 1, focus: "HNF4A", k: 10}) == {}
        # a tick and a new gene together: the new gene's neighbours, the poll going on
        out = _post(app, [changed[tick], changed[focus]], {tick: 2, focus: "GATA4", k: 10})
        expected, _, _ = gene_space.neighbor_tables(app.fe_context, "GATA4", 10)
        rows = out[ids.GENE_NEIGHBORS]["data"]
        assert rows and [r["symbol"] for r in rows] == [r["symbol"] for r in expected]
        assert out[COEXP_POLL]["disabled"] is False
    finally:
        release.set()
