"""A link holds the gene tables' selection of genes (``gsel=``): opened, the tables list those
genes and the GO terms enriched among them, as after the box; its unknown genes are said; Back
to a view without one lists the neighbourhood again; a link too long leaves it out and says so."""

from __future__ import annotations

from urllib.parse import parse_qs

from dashboard import export, gene_space, ids
from dashboard.selection import encode_rows
from tests.dashboard.callback_post import post_callback
from tests.dashboard.test_gene_map_selection import _group

STORE = f"{ids.GENE_SELECTION}.data"
URL = f"{ids.URL}.search"


def _share(app, gene_selection, selection=None, color="tissue") -> tuple[str, str]:
    """The link the page writes (its query) and the line under it."""
    values = {
        (ids.COLOR_BY, "value"): color,
        (ids.FOCUS_GENE, "data"): "GATA4",
        (ids.SELECTION, "data"): selection,
        (ids.GENE_SELECTION, "data"): gene_selection,
    }
    out = post_callback(app, f"{ids.SHARE_LINK}.href", values, STORE)
    return out[ids.SHARE_LINK]["href"], out[ids.SHARE_NOTE]["children"]


def _opened(app, search: str, current=None):
    """The ``gene-selection`` store once the page reads the link ``search`` (opened, or Back):
    the link also sets the gene in focus, in the same step."""
    given = {
        (ids.URL, "search"): search,
        (ids.FOCUS_GENE, "data"): parse_qs(search.lstrip("?")).get("gene", [None])[0],
        (ids.GENE_SELECTION, "data"): current,
    }
    out = post_callback(app, STORE, given, [URL, f"{ids.FOCUS_GENE}.data"])
    return out[ids.GENE_SELECTION]["data"]


def _tables(app, focus, selection):
    values = {
        (ids.FOCUS_GENE, "data"): focus,
        (ids.NEIGHBORS_K, "value"): 15,
        (ids.GENE_SELECTION, "data"): selection,
    }
    out = post_callback(app, f"{ids.GENE_NEIGHBORS}.data", values, STORE)
    return (
        [r["symbol"] for r in out[ids.GENE_NEIGHBORS]["data"]],
        [t["go_id"] for t in out[ids.GENE_ENRICHMENT]["data"]],
        out[ids.NEIGHBORS_INFO]["children"],
        out[ids.GO_SOURCE]["children"],
    )


def test_the_link_holds_the_box_and_opening_it_lists_its_genes_and_terms(app, context):
    genes = _group(context)
    href, note = _share(app, {"genes": genes})
    query = parse_qs(href.lstrip("?"))
    assert query["gsel"] == [",".join(genes)] and "gsrc" not in query and note == ""
    store = _opened(app, href)
    assert store == {"genes": genes}  # as the box stored them
    boxed = _tables(app, "GATA4", {"genes": genes})
    opened = _tables(app, "GATA4", store)
    assert opened == boxed
    symbols, terms, info, go_line = opened
    assert sorted(symbols) == genes and terms  # (liver genes share processes)
    assert info.startswith(f"{len(genes)} genes selected on the gene map")
    assert f"among the {len(genes)} genes selected on the gene map" in go_line
    # the link made again from the opened page holds the same genes
    assert parse_qs(_share(app, store)[0].lstrip("?"))["gsel"] == query["gsel"]


def test_back_to_a_view_without_the_selection_lists_the_neighbourhood(app, context):
    genes = _group(context)
    assert _opened(app, "?gene=GATA4", current={"genes": genes}) is None
    symbols, _, info, _ = _tables(app, "GATA4", None)
    assert len(symbols) == 15 and "nearest to GATA4" in info
    # Back to a view with another selection lists that one
    other = genes[:4]
    assert _opened(app, f"?gene=GATA4&gsel={','.join(other)}", {"genes": genes}) == {"genes": other}
    # nothing to change: the store stays as it is
    assert gene_space.gene_selection_from_link(context, "?gene=GATA4", None) is export.no_update


def test_a_links_unknown_genes_are_said_and_the_others_listed(app, context):
    genes = _group(context, 6)
    search = f"?gene=GATA4&gsel={','.join([*genes, 'HNF4AA', 'NOTAGENE1'])}"
    assert _opened(app, search) == {"genes": genes}
    values = {(ids.URL, "search"): search}
    out = post_callback(app, f"{ids.NEIGHBORS_K}.value", values, URL)
    said = str(out["alert-view"]["children"])
    assert "link: not in this dataset, ignored in the gene selection (gsel): " in said
    assert "HNF4AA, NOTAGENE1 (did you mean" in said and "HNF4A for HNF4AA?)" in said
    # no known gene: the neighbourhood, and the link's genes said
    assert _opened(app, "?gene=GATA4&gsel=NOTAGENE1", {"genes": genes}) is None
    assert export.view_settings(context, "?gene=GATA4&gsel=GATA4,HNF4A")[2] is None


def test_genes_specific_to_a_sample_selection_keep_their_label(app, context):
    rows = list(range(40, 60))
    genes = _group(context, 5)
    store = {"genes": genes, "source": gene_space.specific_source({"rows": rows})}
    href = _share(app, store, selection={"rows": rows})[0]
    query = parse_qs(href.lstrip("?"))
    assert query["gsrc"] == ["sel"] and query["sel"] == [encode_rows(rows)]
    opened = _opened(app, href)
    label = "specific to the selection of 20 samples"
    assert opened == {"genes": genes, "label": label, "rows": rows}
    info = _tables(app, "GATA4", opened)[2]
    assert info.startswith("5 genes specific to the selection of 20 samples")
    # the link the opened page makes holds them as such again
    assert parse_qs(_share(app, opened, {"rows": rows})[0].lstrip("?"))["gsrc"] == ["sel"]


def test_a_link_too_long_leaves_the_longest_part_out_and_says_so(app, context):
    every = [str(s) for s in context.gene_symbols]
    listed = ",".join(every[:200])
    href, note = _share(app, {"genes": every}, color=f"list:{listed}")
    query = parse_qs(href.lstrip("?"))
    assert len(href) <= export.MAX_URL_QUERY_CHARS
    assert "gsel" not in query and query["color"] == [f"list:{listed}"]
    assert note == f"without the gene selection ({len(every)} genes): too long for a link"
    # a shorter gene selection stays, the longer colouring goes
    href, note = _share(app, {"genes": every[:150]}, color=f"list:{','.join(every)}")
    query = parse_qs(href.lstrip("?"))
    assert "color" not in query and query["gsel"] == [",".join(every[:150])]
    assert note == "without the colouring: too long for a link"
