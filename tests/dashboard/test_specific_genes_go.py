"""The button by the specific-genes table: the genes specific to a sample selection fill the
gene tables (the genes and the GO processes enriched among them, against the model's genes), and
the tables and their CSV files say where they came from; a gene clicked or found, or a new sample
selection, lists a neighbourhood again."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from dash import no_update

from dashboard import export, gene_space, ids, selection
from dashboard.layout import build_layout
from tests.dashboard.callback_post import post_callback
from tests.dashboard.layout_tree import find


def _tissue_rows(context, tissue: str) -> list[int]:
    return np.flatnonzero(context.samples["tissue"].astype(str) == tissue).tolist()


@pytest.fixture(scope="module")
def liver(context):
    """A sample selection (the liver samples) and the specific genes its table lists."""
    store = {"rows": _tissue_rows(context, "Liver"), "drawn": True}
    _, table, symbols, alert = selection.describe_selection(context, store)
    assert alert is None and len(symbols) >= 5  # (liver has genes of its own)
    assert [r["symbol"] for r in table] == symbols
    return store, symbols


def _post(app, changed: str, values: dict) -> tuple[int, dict | None]:
    """The ``gene-selection`` callback posted as the page posts it: (status, store or None)."""
    out = post_callback(app, f"{ids.GENE_SELECTION}.data", values, changed)
    return (200, out[ids.GENE_SELECTION]["data"]) if out else (204, None)


def test_the_button_puts_the_listed_specific_genes_in_the_gene_selection(app, context, liver):
    sample_store, symbols = liver
    n = len(sample_store["rows"])
    values = {
        (ids.SELECTION_GENES_GO, "n_clicks"): 1,
        (ids.SELECTION_GENES_STORE, "data"): symbols,
        (ids.SELECTION, "data"): sample_store,
        (ids.FOCUS_GENE, "data"): "GATA4",
    }
    status, store = _post(app, f"{ids.SELECTION_GENES_GO}.n_clicks", values)
    assert status == 200
    assert store == {"genes": symbols, "source": f"specific to the selection of {n} samples"}
    # a gene clicked or found afterwards: the neighbourhood again
    values[(ids.GENE_SELECTION, "data")] = store
    assert _post(app, f"{ids.FOCUS_GENE}.data", values) == (200, None)


def test_a_new_sample_selection_takes_the_former_specific_genes_away(context, liver):
    sample_store, symbols = liver
    store = gene_space.gene_selection_update(
        ids.SELECTION_GENES_GO, None, symbols, sample_store, None
    )
    update = gene_space.gene_selection_update
    # the same selection's genes again (the model's status re-lists them): kept
    assert update(ids.SELECTION_GENES_STORE, None, symbols, sample_store, store) is no_update
    # another selection: its genes are not those listed in the gene tables
    heart = {"rows": _tissue_rows(context, "Heart")}
    _, _, other, _ = selection.describe_selection(context, heart)
    assert other != symbols
    assert update(ids.SELECTION_GENES_STORE, None, other, heart, store) is None
    assert update(ids.SELECTION_GENES_STORE, None, [], {"rows": []}, store) is None
    # a box's genes on the gene map stay whatever the samples do
    box = {"genes": symbols[:3]}
    assert update(ids.SELECTION_GENES_STORE, None, other, heart, box) is no_update
    # no specific gene: nothing to list
    assert update(ids.SELECTION_GENES_GO, None, [], heart, box) is no_update


def test_at_most_the_gene_tables_limit_is_put(context, liver, monkeypatch):
    sample_store, symbols = liver
    monkeypatch.setattr(gene_space, "MAX_SELECTED_GENES", 3)
    store = gene_space.gene_selection_update(
        ids.SELECTION_GENES_GO, None, symbols, sample_store, None
    )
    assert store["genes"] == symbols[:3]


def test_the_gene_tables_list_them_and_say_where_they_came_from(context, liver):
    sample_store, symbols = liver
    n = len(sample_store["rows"])
    store = gene_space.gene_selection_update(
        ids.SELECTION_GENES_GO, None, symbols, sample_store, None
    )
    rows, terms, _, info, go_line = gene_space.gene_tables(context, "GATA4", 15, store)
    cols = [context.gene_index(g) for g in symbols]
    cols = [j for j in cols if context.modelled(j)]
    assert [r["symbol"] for r in rows] == [context.gene_symbols[j] for j in cols]
    model_genes = context.require_state().gene_es_index
    expected = context.enrichment(cols, background=model_genes[model_genes >= 0])
    assert not expected.empty  # (liver genes share processes)
    assert [t["go_id"] for t in terms] == list(expected["go_id"])
    assert [t["n_overlap"] for t in terms] == list(expected["n_overlap"])
    m = len(rows)
    assert info.startswith(f"{m} genes specific to the selection of {n} samples")
    assert "selected on the gene map" not in info and "Double-click" not in info
    assert f"among the {m} genes specific to the selection of {n} samples" in go_line
    assert "selected on the gene map" not in go_line
    # a box on the gene map still says so
    _, _, _, info, _ = gene_space.gene_tables(context, None, 15, {"genes": symbols})
    assert info.startswith(f"{m} genes selected on the gene map")


def test_the_csv_files_say_where_the_genes_came_from(context, liver):
    sample_store, symbols = liver
    n = len(sample_store["rows"])
    store = gene_space.gene_selection_update(
        ids.SELECTION_GENES_GO, None, symbols, sample_store, None
    )
    rows, _, _, _, _ = gene_space.gene_tables(context, None, 15, store)
    listed = [r["symbol"] for r in rows]
    for which, part in (
        (ids.EXPORT_NEIGHBORS_CSV, "genes"),
        (ids.EXPORT_ENRICHMENT_CSV, "go_enrichment"),
    ):
        out = export.csv_download(
            context, which, None, None, "GATA4", None, 15, gene_selection=store
        )
        first = "-".join(listed[:3])
        assert out["filename"] == f"specific_genes-{len(listed)}_{first}_{part}.csv"
        table = pd.read_csv(io.StringIO(out["content"]))
        query = f"{len(listed)} genes specific to the selection of {n} samples"
        assert (table["query"] == query).all()


def test_the_button_is_disabled_without_specific_genes(app, context, liver):
    _, symbols = liver
    button = find(build_layout(context), ids.SELECTION_GENES_GO)
    assert button.disabled is True and "no gene listed" in button.title
    text, disabled, title = selection.go_button([])
    assert disabled is True and "no gene listed" in title
    text, disabled, title = selection.go_button(symbols)
    assert disabled is False and f"these {len(symbols)} genes" in text
    assert "under the gene map" in title
    # the page's callback, from the genes the table lists
    out = post_callback(
        app,
        f"{ids.SELECTION_GENES_GO}.disabled",
        {(ids.SELECTION_GENES_STORE, "data"): []},
        f"{ids.SELECTION_GENES_STORE}.data",
    )
    assert out[ids.SELECTION_GENES_GO]["disabled"] is True


def test_a_box_cleared_on_the_gene_map_leaves_the_specific_genes_listed(context, liver):
    """The button lists the specific genes while a box is drawn on the gene map: the page takes
    the box off the map (it dimmed all but its own genes, which the tables no longer list), and
    the deselection that follows leaves the specific genes in the tables; a box drawn after
    them takes their place."""
    sample_store, symbols = liver
    update = gene_space.gene_selection_update
    store = update(ids.SELECTION_GENES_GO, None, symbols, sample_store, {"genes": ["GATA4"]})
    assert store["genes"] == symbols
    assert update(ids.GENE_MAP, None, symbols, sample_store, store) is no_update
    # a box on the gene map, without it (the map's own deselect): the neighbourhood
    assert update(ids.GENE_MAP, None, symbols, sample_store, {"genes": ["GATA4"]}) is None
    drawn = {"points": [{"customdata": "GATA4"}], "range": {"x": [0, 1], "y": [0, 1]}}
    assert update(ids.GENE_MAP, drawn, symbols, sample_store, store) == {"genes": ["GATA4"]}
