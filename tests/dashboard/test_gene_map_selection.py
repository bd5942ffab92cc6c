"""A box or lasso on the gene map: its genes fill the gene tables (the genes, the GO terms
enriched among them, against the model's genes) in place of a neighbourhood, until a gene is in
focus again or the selection is cleared; the tables' CSV files are named by the selection."""

from __future__ import annotations

import io

import pandas as pd

from dashboard import export, gene_space, ids
from dashboard.layout import build_layout
from tests.dashboard.callback_post import post_callback
from tests.dashboard.layout_tree import find

TABLES = f"{ids.GENE_NEIGHBORS}.data"


def _group(context, n: int = 12) -> list[str]:
    """A group of genes that lie together in gene space: a liver gene and its neighbours."""
    near = context.neighbors(context.gene_index("HNF4A"), n - 1)
    return sorted({"HNF4A", *near["symbol"]})


def _selected(symbols: list[str]) -> dict:
    # as plotly sends a box: each point's customdata is its symbol (a gene drawn twice, in its
    # category and as a neighbour, sends two points)
    points = [{"curveNumber": 0, "pointIndex": i, "customdata": s} for i, s in enumerate(symbols)]
    return {"points": points + points[:2], "range": {"x": [0, 1], "y": [0, 1]}}


def _tables(app, focus, selection, k=15):
    values = {
        (ids.FOCUS_GENE, "data"): focus,
        (ids.NEIGHBORS_K, "value"): k,
        (ids.GENE_SELECTION, "data"): selection,
    }
    out = post_callback(app, TABLES, values, f"{ids.GENE_SELECTION}.data")
    return (
        out[ids.GENE_NEIGHBORS]["data"],
        out[ids.GENE_ENRICHMENT]["data"],
        out[ids.NEIGHBORS_INFO]["children"],
        out[ids.GO_SOURCE]["children"],
        str(out["alert-neighbors"]["children"]) if "alert-neighbors" in out else "",
    )


def test_the_gene_map_offers_the_box_and_lasso(context):
    graph = find(build_layout(context), ids.GENE_MAP)
    assert {"select2d", "lasso2d"} <= set(graph.config.get("modeBarButtonsToAdd", []))
    assert not set(graph.config.get("modeBarButtonsToRemove", [])) & {"select2d", "lasso2d"}


def _store(app, selected, focus, changed: str):
    """The ``gene-selection`` callback, posted as the page posts it (one output)."""
    key = f"{ids.GENE_SELECTION}.data"
    spec = app.callback_map[key]
    given = {(ids.GENE_MAP, "selectedData"): selected, (ids.FOCUS_GENE, "data"): focus}
    body = {
        "output": key,
        "outputs": {"id": ids.GENE_SELECTION, "property": "data"},
        "inputs": [{**i, "value": given.get((i["id"], i["property"]))} for i in spec["inputs"]],
        "state": [{**i, "value": None} for i in spec["state"]],
        "changedPropIds": [changed],
    }
    answer = app.server.test_client().post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.data[:300]
    return answer.get_json()["response"][ids.GENE_SELECTION]["data"]


def test_a_box_on_the_gene_map_is_stored_and_a_focus_clears_it(app, context):
    genes = _group(context)
    box = _selected(genes)
    assert _store(app, box, "GATA4", f"{ids.GENE_MAP}.selectedData") == {"genes": genes}
    # a gene clicked or found: the neighbourhood again
    assert _store(app, box, "GATA4", f"{ids.FOCUS_GENE}.data") is None
    # a double-click clears the box: plotly sends no selection
    assert _store(app, None, "GATA4", f"{ids.GENE_MAP}.selectedData") is None


def test_the_tables_list_the_selected_genes_and_their_enrichment(app, context):
    genes = _group(context)
    assert "GATA4" not in genes
    rows, terms, info, go_line, _ = _tables(app, "GATA4", {"genes": genes})
    assert sorted(r["symbol"] for r in rows) == genes
    cols = [context.gene_index(g) for g in genes]
    model_genes = context.require_state().gene_es_index
    expected = context.enrichment(cols, background=model_genes[model_genes >= 0])
    assert not expected.empty  # (liver genes share processes)
    assert [t["go_id"] for t in terms] == list(expected["go_id"])
    assert info.startswith(f"{len(genes)} genes selected on the gene map")
    bare = sum(1 for t in context.go_terms_of(genes) if not t)
    assert f"({bare} of them without a GO biological-process annotation)" in info
    assert "GATA4" not in info
    n = len(expected)
    assert f"{n} terms are enriched among the {len(genes)} genes selected on the gene map" in (
        go_line
    )
    # no selection: the neighbourhood of the gene in focus, as before
    rows, _, info, go_line, _ = _tables(app, "GATA4", None)
    assert len(rows) == 15 and "nearest to GATA4" in info and "GATA4 and its 15" in go_line


def _columns(app, focus, selection):
    values = {
        (ids.FOCUS_GENE, "data"): focus,
        (ids.NEIGHBORS_K, "value"): 15,
        (ids.GENE_SELECTION, "data"): selection,
    }
    out = post_callback(app, TABLES, values, f"{ids.GENE_SELECTION}.data")
    return [c["id"] for c in out[ids.GENE_NEIGHBORS]["columns"]], out[ids.GENE_NEIGHBORS]["data"]


def test_a_selection_shows_only_the_columns_its_rows_fill(app, context):
    """A box's genes filled the neighbour table's columns with blanks: rank, distance and the
    pair columns (no gene is the query). The table shows the columns each case fills, and a
    gene clicked again brings the neighbourhood's back."""
    shown, rows = _columns(app, "GATA4", {"genes": _group(context)})
    assert rows and shown[0] == "symbol"
    assert {"detected", "name", "gene_type", "go_terms"} <= set(shown)
    assert not {"rank", "distance", "r", "coexp", "shared_go", "novel"} & set(shown), shown
    for column in shown:
        assert any(r.get(column) not in (None, "") for r in rows), column
    # a gene in focus: the neighbourhood's columns again, each filled
    shown, rows = _columns(app, "GATA4", None)
    assert {"symbol", "distance", "r", "shared_go"} <= set(shown) and len(rows) == 15
    for column in shown:
        assert any(r.get(column) not in (None, "") for r in rows), column
    assert not {"rank", "coexp", "novel"} & set(shown)  # (the order; marks on r and symbol)


def test_one_gene_or_too_many_are_said(app, context, monkeypatch):
    rows, terms, info, _, alert = _tables(app, None, {"genes": ["HNF4A"]})
    assert [r["symbol"] for r in rows] == ["HNF4A"] and terms == []
    assert "1 gene selected on the gene map (HNF4A)" in alert and "2 genes or more" in alert
    genes = _group(context)
    monkeypatch.setattr(gene_space, "MAX_SELECTED_GENES", len(genes) - 1)
    table, terms, alert = gene_space.selection_tables(context, genes)
    assert table == [] and terms == []
    assert f"{len(genes)} genes selected on the gene map: at most {len(genes) - 1}" in str(alert)


def test_the_csv_files_of_a_selection_are_named_by_it(context):
    genes = _group(context)
    store = {"genes": genes}
    first = "-".join(genes[:3])
    for which, part in (
        (ids.EXPORT_NEIGHBORS_CSV, "genes"),
        (ids.EXPORT_ENRICHMENT_CSV, "go_enrichment"),
    ):
        out = export.csv_download(
            context, which, None, None, "GATA4", None, 15, gene_selection=store
        )
        assert out["filename"] == f"gene_selection-{len(genes)}_{first}_{part}.csv"
        table = pd.read_csv(io.StringIO(out["content"]))
        assert (table["query"] == f"{len(genes)} genes selected on the gene map").all()
        assert "GATA4" not in set(table.get("symbol", []))
    genes_csv = export.csv_download(
        context, ids.EXPORT_NEIGHBORS_CSV, None, None, "GATA4", None, 15, gene_selection=store
    )
    assert sorted(pd.read_csv(io.StringIO(genes_csv["content"]))["symbol"]) == genes


def test_a_click_in_box_mode_lists_the_neighbourhood_and_an_empty_box_says_so(app, context):
    # the click that takes a box away sends no point and no box: the neighbourhood again
    assert _store(app, {"points": []}, "GATA4", f"{ids.GENE_MAP}.selectedData") is None
    # a box around no gene: the neighbourhood stays, and the page says the box held none
    empty = {"points": [], "range": {"x": [0, 1], "y": [0, 1]}}
    store = _store(app, empty, "GATA4", f"{ids.GENE_MAP}.selectedData")
    assert store == {"genes": []}
    rows, _, info, _, alert = _tables(app, "GATA4", store)
    assert len(rows) == 15 and "nearest to GATA4" in info
    assert "holds no gene of the map" in alert


def test_an_empty_boxs_files_are_the_neighbourhoods_it_leaves_in_the_tables(context):
    """A box around no gene leaves the neighbourhood of the gene in focus in the tables; their
    download buttons saved nothing ("no gene table for this selection (0 genes ...)")."""
    for which in (ids.EXPORT_NEIGHBORS_CSV, ids.EXPORT_ENRICHMENT_CSV):
        shown = export.csv_download(context, which, None, None, "HNF4A", None, 15)
        out = export.csv_download(
            context, which, None, None, "HNF4A", None, 15, gene_selection={"genes": []}
        )
        assert out["filename"] == shown["filename"] and "HNF4A" in out["filename"]
        assert out["content"] == shown["content"]


def test_a_box_around_a_whole_map_lists_each_modelled_gene_once_in_map_order():
    """The genes of a box are read in one pass, by the page's own symbols (another name through
    gene_index), each once and only those of the model. (Sought in the list of those already
    taken, a box around a map of 20,000 genes took 1.9 s; the time is not asserted here.)"""
    import numpy as np

    n = 2_000
    asked = []

    class Large:
        gene_symbols = np.array([f"G{i}" for i in range(n)], dtype=object)

        def gene_index(self, name):
            asked.append(name)
            if name == "ALIAS":
                return 4
            raise gene_space.DataError(f"unknown gene {name!r}")

        def modelled(self, j):
            return j % 2 == 0

    genes = [f"G{i}" for i in range(n)]
    cols = gene_space._selection_columns(Large(), genes + genes[:10] + ["ALIAS", "NOPE"])
    assert cols == list(range(0, n, 2))
    assert asked == ["ALIAS", "NOPE"]


def test_the_gene_tables_headings_name_what_they_list(context):
    """A selection of genes fills the gene tables under headings of its own: they said "the
    gene and its neighbours" over the genes specific to a sample selection."""
    from dashboard.layout import ENRICHMENT_TITLE, NEIGHBORS_TITLE

    specific = {"genes": ["SFTPB", "SFTPC"], "source": "specific to the selection of 20 samples"}
    out = gene_space.neighbor_update(context, "NKX2-1", 10, specific)
    assert out[7:] == (
        "Genes specific to the selection of 20 samples",
        "GO biological processes enriched among them (hypergeometric, BH FDR ≤ 0.25)",
    )
    assert [r["symbol"] for r in out[0]] == ["SFTPB", "SFTPC"]
    boxed = gene_space.neighbor_update(context, "NKX2-1", 10, {"genes": ["SFTPB"]})
    assert boxed[7] == "Genes selected on the gene map"
    # a gene in focus, or a box around no gene (its neighbourhood stays): the neighbours'
    for selection in (None, {"genes": []}):
        out = gene_space.neighbor_update(context, "NKX2-1", 10, selection)
        assert out[7:] == (NEIGHBORS_TITLE, ENRICHMENT_TITLE)
        assert "gene and its neighbours" in ENRICHMENT_TITLE
