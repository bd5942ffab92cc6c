"""A gene selection whose symbol holds a comma keeps its genes through a link, and a CSV of
the page's simulated data keeps a sample annotation named ``data``."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlencode

import pandas as pd
from dash import no_update

from core.errors import DataError
from dashboard import export, gene_space, ids
from dashboard.selection import encode_rows


def _names_only(symbols: list[str]) -> SimpleNamespace:
    """A dataset of these symbols, none found by another name."""

    def gene_index(name: str) -> int:
        raise DataError(f"unknown gene {name}")

    return SimpleNamespace(
        gene_symbols=symbols, gene_index=gene_index, modelled=lambda j: True, n_samples=3
    )


def test_a_symbol_with_a_comma_keeps_its_gene_through_a_link():
    """``gsel`` joined the symbols with commas as they were: "A,B" came back as the unknown
    genes A and B, and the gene selection lost it."""
    context = _names_only(["LINC-1,2", "MYH7", "50%GC"])
    store = {"genes": ["LINC-1,2", "MYH7", "50%GC"]}
    search = export.view_query(None, None, None, None, gene_selection=store)
    assert gene_space.link_gene_selection(context, search) == store
    assert gene_space.link_gene_problem(context, search) is None
    # a link typed by hand, its symbols as they are, still reads
    assert gene_space.link_gene_selection(context, "?gsel=MYH7,NOTAGENE") == {"genes": ["MYH7"]}


def test_a_links_specific_genes_give_way_to_another_sample_selection():
    """Genes specific to a link's selection of 2 samples stayed when another selection was
    made: the tables still said "specific to the selection of 2 samples", and a link shared
    then wrote gsrc=sel beside the new selection, opened as specific to it."""
    context = _names_only(["MYH7", "TNNT2", "GATA4"])
    search = "?" + urlencode({"sel": encode_rows([0, 1]), "gsel": "MYH7,TNNT2", "gsrc": "sel"})
    store = gene_space.link_gene_selection(context, search)
    assert gene_space.selection_source(store) == "specific to the selection of 2 samples"
    update = gene_space.gene_selection_update
    # the link's own selection, read as the page opens: its genes stay
    kept = update(ids.SELECTION_GENES_STORE, None, ["MYH7"], {"rows": [1, 0]}, store)
    assert kept is no_update
    # another selection, or none: they give way to the neighbourhood
    for other in ({"rows": [2]}, None):
        assert update(ids.SELECTION_GENES_STORE, None, ["GATA4"], other, store) is None
    # genes selected on the gene map (no gsrc) stay, as a box's do
    boxed = gene_space.link_gene_selection(context, "?gsel=MYH7,TNNT2")
    assert update(ids.SELECTION_GENES_STORE, None, ["GATA4"], {"rows": [2]}, boxed) is no_update


def test_a_simulated_table_keeps_an_annotation_named_data():
    """The page's CSV of the sample map of simulated data failed ("cannot insert data, already
    exists") where the samples have an annotation named data, as export's did."""
    table = pd.DataFrame({"sample_id": ["s1", "s2"], "data": ["batch A", "batch B"]})
    out = export.labelled_table(SimpleNamespace(simulated=True), table)
    assert list(out.columns) == ["data", "sample_id", "sample_data"]
    assert out["data"].tolist() == ["SIMULATED"] * 2
    assert out["sample_data"].tolist() == ["batch A", "batch B"]
