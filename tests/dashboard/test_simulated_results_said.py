"""The demo's results say that they are simulated where they read as biology: a selection's
specific genes (Liver's APOA1 at t = 264 said nothing), the GO terms enriched among them
("complement activation ... FDR 1.3e-53" neither) and the 1-NN accuracies "as in the paper's
Table 1". The real 26-tissue set says no such word."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard import gene_space, ids, selection
from dashboard.baselines import accuracy_view
from dashboard.context import AppContext, DashboardConfig, ModelSettings
from dashboard.layout import build_layout
from tests.dashboard.layout_tree import find


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> AppContext:
    """The demo, small (3 tissues, 60 samples, 300 genes), trained with the stand-in model."""
    from core.simulate import simulate_gtex_like

    data = simulate_gtex_like(n_samples=60, n_genes=300, n_tissues=3, seed=0)
    cfg = DashboardConfig(
        cache_dir=tmp_path_factory.mktemp("demo-cache"),
        settings=ModelSettings(gene_dim=4, standin=True),
        gene_layout="pca",
    )
    ctx = AppContext(data, cfg)
    ctx.train()
    assert ctx.simulated
    return ctx


def _rows(ctx: AppContext, column: str, tissue: str) -> list[int]:
    return [int(r) for r in np.flatnonzero(ctx.samples[column].to_numpy() == tissue)]


def _specific(ctx: AppContext, rows: list[int]) -> tuple[str, str, str, int]:
    """The selection's line and, once its genes fill the gene tables ("GO processes of these
    genes"), the gene table's line, the enrichment's line and how many terms are enriched."""
    info, records, symbols, alert = selection.describe_selection(ctx, {"rows": rows})
    assert alert is None and records, info
    store = {"genes": symbols[:200], "source": gene_space.specific_source({"rows": rows})}
    _, enrichment, _, genes_line, go_line = gene_space.gene_tables(ctx, None, 10, store)
    return info, genes_line, go_line, len(enrichment)


def test_the_specific_genes_and_their_go_terms_say_simulated_on_the_demo_alone(demo, context):
    info, genes_line, go_line, n_terms = _specific(demo, _rows(demo, "SMTS", "Heart"))
    assert n_terms > 0  # (terms listed, as "complement activation" was)
    said = "show how the simulation was built, not biology"
    assert "SIMULATED data" in info and said in info, info
    assert "SIMULATED data" in genes_line and said in genes_line, genes_line
    assert "SIMULATED data" in go_line and said in go_line, go_line
    # the gene table's line still ends with what to do next
    assert genes_line.endswith("Click or find a gene to list its neighbours."), genes_line
    info, genes_line, go_line, n_terms = _specific(context, _rows(context, "tissue", "Liver"))
    assert n_terms > 0
    for text in (info, genes_line, go_line):
        assert "simulat" not in text.lower(), text


def test_the_specific_genes_heading_says_simulated_on_the_demo_alone(demo, context):
    heart = {"rows": _rows(demo, "SMTS", "Heart")}
    for lower in (False, True):
        head = selection.reference_view(demo, heart, lower)[0]
        assert "(simulated)" in head, head
    first = find(build_layout(demo), ids.SELECTION_GENES_HEAD).children
    assert first.startswith("Genes most specific to the selection (simulated): higher"), first
    liver = {"rows": _rows(context, "tissue", "Liver")}
    for lower in (False, True):
        assert "simulat" not in selection.reference_view(context, liver, lower)[0].lower()
    assert "simulat" not in find(build_layout(context), ids.SELECTION_GENES_HEAD).children.lower()


def test_the_accuracy_note_says_simulated_on_the_demo_alone(demo, context):
    """ "FE 0.922, PCA 0.820 ... as in the paper's Table 1": the figure's title alone said it."""
    for share in (None, 0.02, 0.1):
        note = accuracy_view(demo, share)[2]
        assert note.startswith("SIMULATED data (the demo), not the paper's GTEx: 1-NN"), note
        assert "simulat" not in accuracy_view(context, share)[2].lower()
    assert demo.accuracy_note(0.1, per_class=True).startswith("SIMULATED data")
    assert find(build_layout(demo), ids.BASELINES_NOTE).children.startswith("SIMULATED data")
    assert "simulat" not in find(build_layout(context), ids.BASELINES_NOTE).children.lower()
