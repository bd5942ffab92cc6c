"""The sample map coloured by a GO term: each sample's mean z-score of the dataset's genes
annotated to the term (propagated, as the gene tables use GO), chosen by typing the term's words
or id in "Colour samples by", by a click on a row of the enrichment table, or by a link."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
from dash import no_update

from dashboard import export, figures, ids, sample_map
from dashboard.figure_samples import COLORBAR_MARGIN
from dashboard.gene_space import gene_color_options, neighbor_tables
from dashboard.layout import build_layout
from tests.dashboard.callback_post import post_callback
from tests.dashboard.layout_tree import components

HEART = "GO:0007507"  # heart development
HEART_MORPHOGENESIS = "GO:0003007"  # a child of it


def _text(alert) -> str:
    return "" if alert is None else str(alert.children)


def _members(context, go_id: str) -> np.ndarray:
    return np.flatnonzero(context.go_term_members(go_id))


def test_typing_a_term_offers_it_with_its_genes_here(context):
    n = len(_members(context, HEART))
    assert n >= 10  # 23 of the 467 genes
    for typed in ("heart development", HEART, "go:0007507"):
        opts = sample_map.color_options(context, typed, None)
        found = [o for o in opts if o["value"] == f"go:{HEART}"]
        assert found, typed
        assert found[0]["label"] == f"GO term: heart development ({HEART}) — {n} genes here"
        assert not found[0].get("disabled")
        # the dropdown keeps the options whose search text holds what was typed
        assert typed.lower() in found[0]["search"].lower()
        assert sample_map.NOT_FOUND not in [o["value"] for o in opts]
    # the gene map's term search, not a second one: the same terms, in its order
    opts = sample_map.color_options(context, "heart development", None)
    offered = [o["value"][3:] for o in opts if o["value"].startswith("go:")]
    listed = [o["value"][3:] for o in gene_color_options(context, "heart development", None)[1:]]
    assert set(offered) <= set(listed) and len(offered) >= 5
    # a term of no gene here is greyed (chosen, it could only give an error), listed last
    empty = [o for o in opts if o["value"] == "go:GO:0007508"]  # larval heart development
    assert empty and empty[0]["disabled"] and empty[0]["label"].endswith("— no gene here")
    states = [bool(o.get("disabled")) for o in opts if o["value"].startswith("go:")]
    assert states == sorted(states)
    # a typo names neither a gene nor a term: said in the dropdown
    note = sample_map.color_options(context, "heart developmnt", None)[-1]
    assert note["value"] == sample_map.NOT_FOUND and "GO term" in note["label"]


def test_a_term_colours_the_samples_by_its_genes_mean_z(context):
    fig, kind, alert = sample_map.recolor(context, f"go:{HEART}", (1, 99), None)
    assert alert is None and isinstance(fig, go.Figure) and kind["kind"] == "continuous"
    cols = _members(context, HEART)
    trace = fig.data[figures.COLOR_TRACE]  # (its points lowest value first: customdata rows)
    values = np.asarray(trace.marker.color, dtype=float)
    assert np.allclose(values, context.gene_set_score(cols)[list(trace.customdata)], atol=1e-5)
    title = fig.data[figures.COLOR_TRACE].marker.colorbar.title.text
    assert title.startswith(f"heart development ({HEART}): mean z ({len(cols)} genes)"), title
    # a long name shortened: the title runs along the colour bar, in one line (the hover text
    # names the term whole)
    long = sample_map.resolve_color(context, "go:GO:0045944")
    assert long.title.startswith("positive") and "…" in long.title  # its first and last words
    assert "RNA polymerase II (GO:0045944)" in long.title
    assert "<br>" not in long.title and len(long.title) <= figures.BAR_TITLE_CHARS
    assert long.title.endswith("(GO:0045944): mean z (" + long.title.split("mean z (")[1])
    whole = "positive regulation of transcription by RNA polymerase II (GO:0045944)"
    assert whole in long.hover.replace("<br>", " ")
    # the liver development genes (HNF4A, HNF1A, ONECUT1...) are highest in the liver samples
    # (heart development's 23 genes here are highest in lung: TBX2-5, FOXF1, FOXJ1)
    liver = sample_map.resolve_color(context, "go:GO:0001889").values
    tissue = context.samples["tissue"].to_numpy()
    assert liver[tissue == "Liver"].mean() > np.percentile(liver[tissue != "Liver"], 95)
    # another term after it: only the colours change (made in the page), its title named
    recolour, kind2, alert = sample_map.recolor(context, f"go:{HEART_MORPHOGENESIS}", (1, 99), kind)
    assert isinstance(recolour, sample_map.Recolour) and kind2 == kind and alert is None
    assert "heart morphogenesis (GO:0003007): mean z (" in recolour["colorbar_title"]


def test_a_term_takes_the_genes_of_its_more_specific_terms(context):
    """Annotations are propagated to ancestor terms, as in the gene tables: every gene of
    heart morphogenesis is a gene of heart development."""
    parent, child = set(_members(context, HEART)), set(_members(context, HEART_MORPHOGENESIS))
    assert child and child <= parent
    go_terms = context.ontology()
    k = go_terms.terms.index.get_loc(HEART)
    direct = go_terms.direct_matrix[:, k].nonzero()[0]
    rows = context._go_rows(go_terms)
    assert int(np.isin(rows, direct).sum()) < len(parent)  # more than the direct annotations
    assert context.go_term_size(HEART) == len(parent)


def test_a_term_in_a_link_survives_the_round_trip(context):
    query = export.view_query(f"go:{HEART}", None, None, None)
    assert f"color=go:{HEART}" in query
    color, gene, focus, alert = sample_map.sync_focus(
        context, ids.URL, query, None, None, None, None
    )
    assert (color, gene, focus, alert) == (f"go:{HEART}", None, None, None)
    # the dropdown is given the term's option with the value (else it drops the value)
    out = sample_map.sync_all(context, None, query, None, None, None, None, None, None)
    assert out[0] == f"go:{HEART}" and f"go:{HEART}" in [o["value"] for o in out[1]]
    # a term typed in lower case is named as the page names it, and written back so
    color, *_ = sample_map.sync_focus(
        context, ids.URL, "?color=go:go:0007507", None, None, None, None
    )
    assert color == f"go:{HEART}"
    assert export.view_query(color, None, None, None) == query


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("go:GO:9999999", "GO:9999999 is not a term of the Gene Ontology used here"),
        ("go:heart", "'heart' is not a GO id (GO: and 7 digits"),
        ("go:GO:0007508", "no gene of this dataset is annotated with larval heart development"),
    ],
)
def test_a_term_that_cannot_colour_is_said(context, value, said):
    fig, kind, alert = sample_map.recolor(context, value, (1, 99), None)
    assert fig is no_update and kind is no_update and said in _text(alert)
    color, _, _, alert = sample_map.sync_focus(context, ids.URL, f"?color={value}", *[None] * 4)
    assert color == "ann:tissue" and _text(alert).startswith("link: ") and said in _text(alert)


def test_without_go_the_page_says_so(context, monkeypatch):
    monkeypatch.setattr(context, "ontology", lambda: None)
    monkeypatch.setattr(context, "_ontology_error", "Gene Ontology not available (no snapshot)")
    fig, _, alert = sample_map.recolor(context, f"go:{HEART}", (1, 99), None)
    assert fig is no_update
    assert _text(alert) == (
        "Gene Ontology not available (no snapshot): the samples cannot be coloured by a GO term"
    )
    # typing offers no term and says nothing of GO
    opts = sample_map.color_options(context, "heart development", None)
    assert not any(o["value"].startswith("go:") for o in opts)
    assert "GO term" not in opts[-1]["label"]


def test_a_term_of_very_many_genes_is_said_and_still_shown(context):
    n = len(_members(context, "GO:0009987"))  # cellular process
    assert n > context.n_genes / 2
    fig, _, alert = sample_map.recolor(context, "go:GO:0009987", (1, 99), None)
    assert isinstance(fig, go.Figure)
    assert f"cellular process (GO:0009987) has {n:,} genes here" in _text(alert)
    assert alert.className.endswith("warning")


def test_a_click_on_an_enrichment_row_colours_by_its_term(context):
    _, enrichment, _ = neighbor_tables(context, "HNF4A", 15)
    assert len(enrichment) >= 10  # 92 terms
    shown = list(reversed(enrichment))  # sorted by the user: the rows as shown count
    cell = {"row": 0, "column": 1, "column_id": "term"}
    color, gene, focus, alert = sample_map.sync_focus(
        context, ids.GENE_ENRICHMENT, None, None, None, "ann:tissue", None, None, (cell, shown)
    )
    go_id = shown[0]["go_id"]
    assert (color, gene, focus, alert) == (f"go:{go_id}", no_update, no_update, None)
    # every gene of the dataset annotated to the term, not only those of the list
    spec = sample_map.resolve_color(context, color)
    assert f"({len(_members(context, go_id))} gene" in spec.title
    assert len(_members(context, go_id)) >= int(shown[0]["n_term"]) > int(shown[0]["n_overlap"])
    # no cell (the table emptied): nothing changes
    out = sample_map.sync_focus(context, ids.GENE_ENRICHMENT, None, None, None, "ann:tissue", None)
    assert out == (no_update, no_update, no_update, None)


def test_the_page_sends_enrichment_clicks_to_the_colouring(context, sepira_es):
    """Through the app's own callback, as the page sends a click: the colouring becomes the
    term's and the cell is let go (the same row clicked again is a change)."""
    from dashboard.factory import create_app

    app = create_app(sepira_es, context.config)
    rows = [{"go_id": HEART, "term": "heart development"}]
    cell = {"row": 0, "column": 1, "column_id": "term"}
    values = {
        (ids.GENE_ENRICHMENT, "active_cell"): cell,
        (ids.GENE_ENRICHMENT, "derived_viewport_data"): rows,
        (ids.GENE_ENRICHMENT, "data"): rows,
        (ids.COLOR_BY, "value"): "ann:tissue",
    }
    response = post_callback(
        app, f"{ids.COLOR_BY}.options", values, f"{ids.GENE_ENRICHMENT}.active_cell"
    )
    assert response[ids.COLOR_BY]["value"] == f"go:{HEART}"
    assert response[ids.GENE_ENRICHMENT]["active_cell"] is None
    # the table says a click colours the samples
    hints = [
        str(c.children)
        for c in components(build_layout(context))
        if getattr(c, "className", None) == "hint"
    ]
    assert any("Click a term's row to colour the samples" in h for h in hints)


def test_choosing_a_term_recolours_in_place(context):
    """Per click: the dropdown's options, and the map's colours made in the page from the shown
    map (not a whole new figure)."""
    sample_map.recolor(context, f"go:{HEART}", (1, 99), None)  # GO loaded, counts made
    _, kind, _ = sample_map.recolor(context, "obs:GATA4", (1, 99), None)
    for go_id in (HEART, HEART_MORPHOGENESIS, "GO:0009987"):
        out = sample_map.sync_all(
            context, f"{ids.COLOR_BY}.value", None, None, None, f"go:{go_id}", None, None, None
        )
        recolour, _, _ = sample_map.recolor(context, f"go:{go_id}", (1, 99), kind)
        assert f"go:{go_id}" in [o["value"] for o in out[1]]
        assert isinstance(recolour, sample_map.Recolour)


def test_a_term_on_simulated_data_keeps_the_simulated_mark(tmp_path):
    from core.simulate import simulate_gtex_like
    from dashboard.context import AppContext, DashboardConfig, ModelSettings

    demo = simulate_gtex_like(n_samples=60, n_genes=300, n_tissues=3, seed=0)
    cfg = DashboardConfig(
        cache_dir=tmp_path / "cache",
        settings=ModelSettings(gene_dim=4, standin=True),
        gene_layout="pca",
    )
    ctx = AppContext(demo, cfg)
    ctx.train()
    opts = sample_map.color_options(ctx, "GO:0006955", None)  # immune response
    term = next(o for o in opts if o["value"] == "go:GO:0006955")
    assert "genes here" in term["label"] and not term.get("disabled")
    fig, _, _ = sample_map.recolor(ctx, "go:GO:0006955", (1, 99), None)
    assert isinstance(fig, go.Figure) and "SIMULATED" in fig.layout.title.text


#: A GO term of a long name: 3 lines and the clip's made its colour bar 127 to 137 pixels wide.
LONG_TERM = "GO:0000122"  # negative regulation of transcription by RNA polymerase II


def _bar_lines(title: str) -> int:
    return title.count("<br>") + 1


def test_a_long_term_lays_out_its_colour_bar_as_a_gene_does(context):
    """The colour bar of a GO term of a long name widened the sample map's right margin beyond
    COLORBAR_MARGIN (3 lines of name, and the clip's): a zoomed map moved a little each time
    the page went from a GO term to a gene. Its title is held to a gene's lines."""
    name = context.go_term(LONG_TERM)[1]
    assert name == "negative regulation of transcription by RNA polymerase II"
    gene = sample_map.resolve_color(context, "obs:GATA4")
    term = sample_map.resolve_color(context, f"go:{LONG_TERM}")
    fig_gene, kind = sample_map.build_sample_figure(context, "obs:GATA4")
    fig_term, _ = sample_map.build_sample_figure(context, f"go:{LONG_TERM}")
    bars = [f.data[figures.COLOR_TRACE].marker.colorbar for f in (fig_gene, fig_term)]
    assert fig_term.layout.margin.r == fig_gene.layout.margin.r == COLORBAR_MARGIN
    assert "clipped at percentiles" in bars[1].title.text  # (a line of its own, as a gene's)
    assert _bar_lines(bars[1].title.text) == _bar_lines(bars[0].title.text) == 2
    assert len(bars[1].title.text.split("<br>")[0]) <= figures.BAR_TITLE_CHARS
    # the page's recolouring from the gene to the term: the same lines
    recolour, *_ = sample_map.recolor(context, f"go:{LONG_TERM}", (1, 99), kind)
    assert isinstance(recolour, sample_map.Recolour)
    assert recolour["colorbar_title"] == bars[1].title.text
    # the hover text names the term whole
    for template in (fig_term.data[figures.COLOR_TRACE].hovertemplate, recolour["hovertemplate"]):
        assert f"{name} ({LONG_TERM}): mean z (" in template.replace("<br>", " ")
    assert term.title.startswith("negative ") and gene.title.startswith("GATA4 (observed")


def test_a_long_terms_hover_text_keeps_to_lines_that_fit_the_map(context):
    """A GO term's whole name was one line of the hover text: a name of 144 characters on GTEx
    (GO:0002824) made a label of about 1,000 pixels, wider than the map, cut at both ends. It is
    broken at words into short lines, the whole name kept, in the figure and the page's
    recolouring alike."""
    go_id = "GO:0045944"  # positive regulation of transcription by RNA polymerase II
    name = context.go_term(go_id)[1]
    hover = sample_map.resolve_color(context, f"go:{go_id}").hover
    lines = hover.split("<br>")
    assert len(lines) >= 2, hover
    assert max(len(line) for line in lines) <= sample_map.HOVER_LINE_CHARS, lines
    assert " ".join(lines).startswith(f"{name} ({go_id}): mean z (")
    fig, kind = sample_map.build_sample_figure(context, "obs:GATA4")
    recolour, *_ = sample_map.recolor(context, f"go:{go_id}", (1, 99), kind)
    fig_term, _ = sample_map.build_sample_figure(context, f"go:{go_id}")
    for template in (fig_term.data[figures.COLOR_TRACE].hovertemplate, recolour["hovertemplate"]):
        assert f"<br>{hover}: %{{marker.color" in template, template


def test_a_long_terms_bar_title_keeps_its_end_and_names_the_genes_in_the_hover(context):
    """A term of a few genes, named in the title, with a long name: the bar's title keeps its
    end (the count of genes), the names go to the hover text (the title was cut at "3 genes:
    KCNH2, KCNQ1…", the third gene lost)."""
    from dashboard.figure_samples import BAR_TITLE_CHARS, bar_title

    found = None
    for go_id, _ in context.search_go_terms("regulation", limit=5000):
        cols = _members(context, go_id)
        symbols = [str(context.gene_symbols[j]) for j in cols]
        if 2 <= len(cols) <= 3 and len(", ".join(symbols)) >= 12:
            found = go_id, symbols
            break
    assert found is not None
    go_id, symbols = found
    spec = sample_map.resolve_color(context, f"go:{go_id}")
    assert len(spec.title) <= BAR_TITLE_CHARS and bar_title(spec.title) == spec.title
    assert spec.title.endswith(f"({go_id}): mean z ({len(symbols)} genes)")
    hover = spec.hover.replace("<br>", " ")
    assert all(s in hover for s in symbols)


def test_a_terms_words_find_it_in_any_order(context):
    """Words typed in another order than the term's name find it, after the terms that hold
    them as typed ("transcription negative regulation" found nothing)."""
    target = "GO:0000122"  # negative regulation of transcription by RNA polymerase II
    typed = "transcription negative regulation"
    opts = sample_map.color_options(context, typed, None)
    values = [o["value"] for o in opts]
    assert f"go:{target}" in values
    # the dropdown keeps every option offered: its search text holds what was typed
    assert all(typed in o["search"] for o in opts if o["value"].startswith("go:"))
    # as typed, a phrase still comes first
    found = context.search_go_terms("regulation of transcription", limit=5)
    assert found and all("regulation of transcription" in name for _, name in found)


def test_t_cell_typed_with_a_hyphen_or_extra_spaces_finds_the_same_first_term(context):
    """ "t-cell" found no "T cell" term, and "  T   cell " listed "cellular response to
    stimulus" first."""
    first = context.search_go_terms("T cell", limit=5)[0]
    assert first[0] == "GO:0042110"  # T cell activation
    for typed in ("t-cell", "  T   cell ", "T-Cell"):
        assert context.search_go_terms(typed, limit=5)[0] == first, typed


def test_t_cell_lists_the_t_cell_terms_of_most_genes_first(context):
    """ "T cell" typed: the terms whose name starts with it first, those of more genes here
    first ("T cell activation", 11 genes, before "T cell migration", 1: Enter took the one
    gene's), then the terms that hold it at the start of a word, and a name that holds it
    inside a word ("mast cell activation") only after all of them."""
    import re

    found = context.search_go_terms("T cell", limit=5000)
    ids = [go_id for go_id, _ in found]
    names = [name.rsplit(" (", 1)[0] for _, name in found]
    sizes = [context.go_term_size(go_id) for go_id in ids]
    assert ids[0] == "GO:0042110" and sizes[0] == 11  # T cell activation
    assert ids.index("GO:0042110") < ids.index("GO:0072678")  # T cell migration, 1 gene
    # the first option offered, what Enter picks, in both dropdowns
    opts = sample_map.color_options(context, "T cell", None)
    offered = [o for o in opts if o["value"].startswith("go:")]
    assert offered[0]["value"] == "go:GO:0042110"
    assert offered[0]["label"].endswith("— 11 genes here")
    assert gene_color_options(context, "T cell", None)[1]["value"] == "go:GO:0042110"
    for o in offered + gene_color_options(context, "T cell", None)[1:]:
        assert "mast cell" not in o["label"], o["label"]
    # starting the name, then at a word's start, then inside a word; more genes first within
    start = [bool(re.match("t cell", n, re.I)) for n in names]
    word = [bool(re.search(r"(?<![a-z0-9])t cell", n, re.I)) for n in names]
    with_genes = [k for k, n in enumerate(sizes) if n]
    tiers = [0 if start[k] else 1 if word[k] else 2 for k in with_genes]
    assert tiers == sorted(tiers) and 2 in tiers  # "mast cell ..." kept, last
    assert "pro-T cell differentiation" in [names[k] for k in with_genes if tiers[k] == 1]
    first = [sizes[k] for k in with_genes if tiers[k] == 0]
    assert first == sorted(first, reverse=True)
    # the terms of no gene here after every term of genes
    assert [n == 0 for n in sizes] == sorted(n == 0 for n in sizes)
    # a GO id finds its term alone, as it did
    assert context.search_go_terms("GO:0042110") == [("GO:0042110", "T cell activation (BP)")]


def test_text_held_inside_words_only_still_finds_terms(context):
    """A word's end ("poiesis") is held inside words only: its terms are still listed, those of
    genes here first."""
    found = context.search_go_terms("poiesis", limit=30)
    assert found and all("poiesis" in name for _, name in found)
    assert found[0][0] == "GO:0030097"  # hemopoiesis, 19 genes here
