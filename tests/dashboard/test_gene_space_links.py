"""The gene space's files and links: what a neighbours CSV says about its query, and a link's
gene colouring that names no GO term (said, and left out of the address bar)."""

from __future__ import annotations

import io

import pandas as pd
from dash import no_update

from dashboard import export, ids
from dashboard.gene_space import gene_color_state, link_gene_color, neighbor_tables


def test_neighbours_csv_names_its_query_model_k_and_distance(context):
    """The file named its gene in focus only in its file name: renamed, it said nothing of what
    it answers. Each row now carries the query (symbol and id), the dataset, the model, k and
    the distance used; pandas reads it without options."""
    rows, _, _ = neighbor_tables(context, "HNF4A", 12)
    out = export.csv_download(context, ids.EXPORT_NEIGHBORS_CSV, rows, None, "HNF4A")
    table = pd.read_csv(io.StringIO(out["content"]))
    # (the GTEx matrix names genes by symbol alone: no query_gene_id repeating the symbol)
    assert list(table.columns[:5]) == ["query", "dataset", "model", "k", "metric"]
    assert "query_gene_id" not in table.columns and "gene_id" not in table.columns
    assert set(table["query"]) == {"HNF4A"}
    assert set(table["dataset"]) == {context.name}
    assert set(table["k"]) == {12} and len(table) == 12
    (model,) = set(table["model"])
    st = context.state()
    assert st.info["class"] in model and st.key in model
    assert set(table["metric"]) == {"cosine distance between gene vectors"}
    # the table itself follows, as on the page
    assert list(table["symbol"]) == [r["symbol"] for r in rows]
    assert list(table["rank"]) == list(range(1, 13))
    assert table["distance"].between(0, 2).all()


def test_neighbours_csv_of_simulated_data_says_so_first(context, monkeypatch):
    rows, _, _ = neighbor_tables(context, "HNF4A", 5)
    monkeypatch.setattr(context, "simulated", True)
    out = export.csv_download(context, ids.EXPORT_NEIGHBORS_CSV, rows, None, "HNF4A")
    table = pd.read_csv(io.StringIO(out["content"]))
    assert list(table.columns[:2]) == ["data", "query"]
    assert set(table["data"]) == {"SIMULATED"}


def _query(href: str) -> dict[str, str]:
    from dashboard.sample_map import parse_query

    return parse_query(href)


def test_a_link_to_an_unknown_go_term_is_said_and_left_out_of_the_address_bar(context):
    """``?gcolor=go:GO:9999999``: the map said the term was unknown, but the dropdown kept it as
    its value, and so the address bar kept it. It is now said once, the genes are coloured by
    gene type, and the link the page writes back keeps everything else (k, clip, gene,
    colouring)."""
    search = "?color=obs:HNF4A&gene=HNF4A&k=7&clip=5-95&gcolor=go:GO:9999999"
    value, _ = gene_color_state(context, None, search, None, "type")
    assert value == "type"
    k, clip, alert = export.view_settings(context, search)
    assert (k, clip) == (7, [5.0, 95.0])
    text = str(alert.children)
    assert "GO:9999999" in text and "not a term" in text
    href = export.view_query("obs:HNF4A", "HNF4A", None, value, None, k=k, clip=clip, default_k=15)
    assert _query(href) == {"color": "obs:HNF4A", "gene": "HNF4A", "k": "7", "clip": "5-95"}


def test_a_link_whose_gene_colouring_is_garbage_is_said(context):
    for bad in ("garbage", "go:garbage", "GO:abc"):
        value, _ = gene_color_state(context, ids.URL, f"?k=9&gcolor={bad}", None, "type")
        assert value == "type", bad
        k, _, alert = export.view_settings(context, f"?k=9&gcolor={bad}")
        assert k == 9 and alert is not None and bad in str(alert.children), bad


def test_a_link_gene_colouring_is_corrected_when_it_can_be(context):
    """A GO id without ``go:`` or in lower case is the term it names."""
    go_id = "GO:0001889"  # liver development
    for spelled in (f"go:{go_id}", go_id, f"go:{go_id.lower()}", go_id.lower()):
        assert link_gene_color(context, f"?gcolor={spelled}") == (f"go:{go_id}", None), spelled
        value, options = gene_color_state(context, ids.URL, f"?gcolor={spelled}", None, "type")
        assert value == f"go:{go_id}" and value in {o["value"] for o in options}
        assert export.view_settings(context, f"?gcolor={spelled}")[2] is None
    # an alt_id (secondary id) colours by its term: it was refused as "not a term"
    go = context.ontology()
    alt, primary = next(iter(go._alt_ids.items()))
    assert alt not in go.terms.index and go.primary_id(alt) == primary
    assert link_gene_color(context, f"?gcolor=go:{alt}") == (f"go:{primary}", None)
    assert export.view_settings(context, f"?gcolor=go:{alt}")[2] is None
    assert link_gene_color(context, "?gcolor=type") == ("type", None)
    assert link_gene_color(context, "?k=3") == (None, None)
    # no link (or typing in the dropdown): the value is left alone
    assert gene_color_state(context, ids.GENE_COLOR, "?gcolor=garbage", "", "type")[0] is no_update


def test_back_to_an_address_without_k_clip_or_gcolor_brings_their_defaults_back(context):
    """The browser's Back to a view before k, the clip or the gene colouring was changed: that
    address leaves them out (their defaults), and the page kept the new ones, then wrote them
    into that view's address."""
    before = "?color=obs:HNF4A&gene=HNF4A"
    k, clip, alert = export.view_settings(context, before, shown=(30, [5, 95]))
    assert (k, clip, alert) == (context.config.n_neighbors, [1.0, 99.0], None)
    value, _ = gene_color_state(context, ids.URL, before, None, "go:GO:0006936")
    assert value == "type"
    # the page already shows the defaults (a first load): nothing is set again
    assert export.view_settings(context, before, shown=(context.config.n_neighbors, [1, 99]))[
        :2
    ] == (no_update, no_update)
    assert gene_color_state(context, ids.URL, before, None, "type")[0] is no_update
