"""The neighbour table's line says when GO knows none of the dataset's genes: its shared GO
column was 0 and its novel column "unannotated" on every row, and nothing said why."""

from __future__ import annotations

from types import SimpleNamespace

import scipy.sparse as sp

from core.errors import DataError
from dashboard import gene_neighbours, gene_space
from dashboard.layout import PAIR_MARKS


def _context(matrix, ontology=True) -> SimpleNamespace:
    def gene_index(name: str) -> int:
        raise DataError(f"unknown gene {name}")

    return SimpleNamespace(
        state=lambda: None,
        gene_index=gene_index,
        gene_label=str,
        simulated=False,
        ontology=lambda: object() if ontology else None,
        go_bp_matrix=lambda: matrix,
    )


def test_genes_go_does_not_know_are_said_under_the_neighbours():
    rows = [{"symbol": "XG0045", "shared_go": 0, "novel": "unannotated"}]
    unknown = sp.csr_matrix((3, 5), dtype=bool)  # (no gene has a term)
    said = gene_space.neighbors_info(_context(unknown), "XG0044", rows)
    assert "No gene of this dataset has a GO biological-process term here" in said
    assert said.endswith("whatever GO would say of these genes.")
    # genes GO knows, or no GO at all (the columns are blank then): not said
    note = "No gene of this dataset"
    known = sp.csr_matrix(([True], ([0], [2])), shape=(3, 5))
    assert note not in gene_space.neighbors_info(_context(known), "A", rows)
    without = _context(None, ontology=False)
    assert note not in gene_space.neighbors_info(without, "A", rows)


def test_without_go_the_neighbour_line_explains_only_the_marks_that_apply():
    """Without GO no pair is novel and the GO column is blank: the line still explained the
    yellow symbols and the GO column. The r mark needs the co-expression cut alone."""
    cut = [{"symbol": "B", "coexp": "yes"}, {"symbol": "C", "coexp": "no"}]
    said = gene_space.neighbors_info(_context(None, ontology=False), "A", cut)
    assert "Bold blue r: co-expressed" in said
    assert "on yellow" not in said and "GO: terms both share" not in said
    # the cut not known yet (coexp blank on every row): no mark at all
    pending = [{"symbol": "B", "coexp": ""}, {"symbol": "C", "coexp": ""}]
    said = gene_space.neighbors_info(_context(None, ontology=False), "A", pending)
    assert "Bold blue" not in said and "on yellow" not in said
    assert said.endswith("The CSV adds rank, coexp and novel.")
    # GO and the cut: every mark, as before
    known = sp.csr_matrix(([True], ([0], [2])), shape=(3, 5))
    assert gene_space.neighbors_info(_context(known), "A", cut).endswith(PAIR_MARKS)
    assert "on yellow" in PAIR_MARKS and "Bold blue r" in PAIR_MARKS


def _unannotated(context) -> list[str]:
    """Model genes without a GO biological-process annotation (none in the GO column)."""
    st = context.require_state()
    symbols = [str(context.gene_symbols[c]) for c in st.gene_es_index if c >= 0]
    return [s for s, t in zip(symbols, context.go_terms_of(symbols), strict=True) if not t]


def test_a_selection_of_genes_go_does_not_know_is_not_said_to_enrich_nothing(context):
    """A box around genes without GO terms was told "no GO biological-process term is
    enriched", as if they had been tested; none of them can be."""
    genes = _unannotated(context)[:6]
    assert len(genes) == 6
    _, terms, alert = gene_space.selection_tables(context, genes)
    said = str(alert.children)
    assert terms == [] and "is enriched" not in said
    assert said.startswith("no GO term can be enriched among the 6 genes selected on the gene")
    assert said.endswith("none of them has a GO biological-process annotation here")
    # one gene GO knows among them: tested, and said as before
    known = [s for s in ("HNF4A", "GATA4") if context.go_terms_of([s])[0]]
    _, _, alert = gene_space.selection_tables(context, genes[:5] + known[:1])
    assert "no GO biological-process term is enriched (FDR ≤ 0.25) among" in str(alert.children)


def test_a_neighbourhood_go_does_not_know_says_so(context, monkeypatch):
    """GO loaded, knowing none of the dataset's genes (names GO does not use): the
    neighbourhood's enrichment said "no GO biological-process term is enriched"."""
    monkeypatch.setattr(
        context, "go_terms_of", lambda symbols, max_terms=3, shared_with=None: [""] * len(symbols)
    )
    empty = sp.csr_matrix((context.n_genes, 5), dtype=bool)
    monkeypatch.setattr(context, "go_bp_matrix", lambda: empty)
    # (and so no term is enriched: the enrichment of no gene)
    monkeypatch.setattr(gene_neighbours, "model_enrichment", lambda c, cols: c.enrichment([]))
    _, enrichment, alert = gene_space.neighbor_tables(context, "HNF4A", 10)
    said = str(alert)
    assert enrichment == [] and "is enriched" not in said
    assert "no GO term can be enriched among HNF4A and its 10 neighbours" in said
    assert "no gene of this dataset has a GO biological-process term here" in said


def test_the_enrichment_line_agrees_with_the_alert_when_go_knows_none_of_the_genes(
    context, monkeypatch
):
    """The alert said "none of them has a GO biological-process annotation here" and the
    table's own line "No term is enriched among ...", as if they had been tested."""
    genes = _unannotated(context)[:6]
    rows, terms, alert = gene_space.selection_tables(context, genes)
    line = gene_space.enrichment_info(context, None, rows, terms, True)
    assert "is enriched" not in line
    assert line.endswith("none of them has a GO biological-process annotation here.")
    assert ". No GO term can be enriched among the 6 genes selected on the gene map: " in line
    # a neighbourhood GO knows nothing of: its line says the alert's reason too
    monkeypatch.setattr(
        context, "go_terms_of", lambda symbols, max_terms=3, shared_with=None: [""] * len(symbols)
    )
    monkeypatch.setattr(gene_neighbours, "model_enrichment", lambda c, cols: c.enrichment([]))
    nb, enrichment, alert = gene_space.neighbor_tables(context, "HNF4A", 10)
    line = gene_space.enrichment_info(context, "HNF4A", nb, enrichment)
    assert "is enriched" not in line
    assert "No GO term can be enriched among HNF4A and its 10 neighbours: " in line
    why = "none of them has a GO biological-process annotation here"
    assert line.endswith(f": {why}.") and why in str(alert)
