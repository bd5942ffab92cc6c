"""The smoothness verdict on the paper's claim names the map it judged: the claim is of the
paper's objective, and a model trained with the neighbour-graph term drew another map (the
page said "the claim is not reproduced" without saying that FE's map there had the term)."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import numpy as np
import pytest

from core.report_sections import _section_markers


def _verdict(page: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    said = re.search(r"The paper reports gene expression organised.*?(?=The same smoothness)", text)
    assert said, text[:400]
    return said.group(0)


@pytest.mark.parametrize("weight", [1.0, 0.5])
def test_verdict_names_the_neighbour_graph_term_of_the_map_it_judged(weight):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(40, 6))
    symbols = np.array([f"G{i}" for i in range(6)], dtype=object)
    es = SimpleNamespace(values=values, gene_symbols=symbols, gene_ids=symbols, n_genes=6)
    loaded = SimpleNamespace(es=es, symbols=symbols)
    maps = {"fe": rng.normal(size=(40, 2)), "tsne": rng.normal(size=(40, 2))}
    page = _section_markers(loaded, maps, ["G1"], {}, neighbour_weight=weight)
    verdict = _verdict(page)
    assert re.search(r"(in line with that claim|the claim is not reproduced)", verdict)
    assert f"neighbour-graph term of weight {weight:g}" in verdict
    assert "--neighbour-weight 0 trains the paper's objective alone" in verdict
    # the paper's objective alone (or a model that records no weight): nothing to add
    for none in (0.0, None):
        verdict = _verdict(_section_markers(loaded, maps, ["G1"], {}, neighbour_weight=none))
        assert re.search(r"(in line with that claim|the claim is not reproduced)", verdict)
        assert "neighbour-graph" not in verdict and "--neighbour-weight" not in verdict


def test_each_genes_smoothness_is_written_as_the_verdict_counts_it():
    """Only the summary and the histogram were given: a reader could not look up a gene."""
    from core import analysis

    rng = np.random.default_rng(1)
    values = rng.normal(size=(40, 6))
    symbols = np.array([f"G{i}" for i in range(6)], dtype=object)
    ids = np.array([f"ENSG{i:011d}" for i in range(6)], dtype=object)
    es = SimpleNamespace(values=values, gene_symbols=symbols, gene_ids=ids, n_genes=6)
    loaded = SimpleNamespace(es=es, symbols=symbols)
    maps = {"fe": rng.normal(size=(40, 2)), "tsne": rng.normal(size=(40, 2))}
    tables: dict = {}
    page = _section_markers(loaded, maps, ["G1"], {}, tables)
    genes = tables["gene_smoothness"]
    assert list(genes.columns) == ["symbol", "gene_id", "smoothness_fe", "smoothness_tsne"]
    assert list(genes["gene_id"]) == list(ids)
    for name, emb in maps.items():
        expected = analysis.gene_smoothness(emb, values, k=15)
        np.testing.assert_allclose(genes[f"smoothness_{name}"], expected)
    smoother = int((genes["smoothness_fe"] > genes["smoothness_tsne"]).sum())
    assert f"the smoother for {smoother} of the 6 genes" in _verdict(page)
    assert 'href="tables/gene_smoothness.csv"' in page
