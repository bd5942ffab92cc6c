"""A table whose genes are named mostly by Ensembl id, a few by symbol alone (a lab's matrix:
the GO snapshot lists several ids for GATA4, C1R and TRIM15, so they kept their symbols). Asked
by Ensembl id, ``neighbours`` said GATA4 was "not among the model's genes" and the page's
``?gene=`` said "unknown gene", where ``embed`` matched such an id to GATA4 by its symbol."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pandas as pd
import pytest

from core.analysis import find_genes, neighbour_table
from core.annotations import GeneOntology
from core.data import load_table, match_genes
from core.estimator import FactorizedEmbeddings
from dashboard.context import AppContext, DashboardConfig
from tests.cli_run import TINY
from tests.cli_run import run_cli as _run

#: Genes the GO snapshot gives several Ensembl ids, and their first id there.
KEPT = {"GATA4": "ENSG00000136574", "C1R": "ENSG00000159403", "TRIM15": "ENSG00000137384"}


@pytest.fixture(scope="module")
def mixed_matrix(sepira_file, tmp_path_factory):
    """60 real samples x 33 genes of the 26-tissue set, renamed to their Ensembl id where the GO
    snapshot's gene table gives the symbol one id; GATA4, C1R and TRIM15 keep their symbols.
    One gene is 0 in every sample (left out before training, as a lab's matrix has some)."""
    table = pd.read_csv(sepira_file).iloc[:60]
    genes = [*table.columns[2:32], *KEPT]
    go = GeneOntology.load().map_genes(genes)
    one_id = (go["matched_by"] == "symbol") & ~go["ensembl"].fillna(";").str.contains(";")
    names = [
        e if one and g not in KEPT else g
        for g, e, one in zip(genes, go["ensembl"], one_id, strict=True)
    ]
    assert sum(n.startswith("ENSG") for n in names) >= 25  # mostly ids
    out = table[["sample", "tissue", *genes]].copy()
    out.columns = ["sample", "tissue", *names]
    out[names[0]] = 0.0
    path = tmp_path_factory.mktemp("mixed") / "mixed.csv"
    out.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def mixed_model(mixed_matrix, tmp_path_factory):
    from core.cli import main

    out = tmp_path_factory.mktemp("mixed_model") / "tiny"
    args = ["train", "--matrix", mixed_matrix, "--out", out, "--epochs", "2", *TINY]
    assert main([str(a) for a in args]) == 0
    return out


def test_neighbours_find_a_gene_named_by_symbol_by_its_ensembl_id(mixed_model, tmp_path, capsys):
    out = tmp_path / "nb.tsv"
    args = ["neighbours", "--model", mixed_model, "--k", "3", "--out", out]
    code, _, err = _run([*args, "--genes", f"{KEPT['GATA4']},C1R"], capsys)
    assert code == 0, err
    assert "left out" not in err and "not among" not in err, err
    assert f"{KEPT['GATA4']} is GATA4 in the GO snapshot's gene table" in err
    assert "names that gene by its symbol, not by an Ensembl id" in err
    assert pd.read_csv(out, sep="\t")["gene"].drop_duplicates().tolist() == ["GATA4", "C1R"]
    # an id of a gene the data lacks stays unknown; the tail about genes left out before
    # training is said of it, and not of the id found beside it
    code, _, err = _run([*args, "--force", "--genes", "ENSG00000121075,ENSG00000159403.1"], capsys)
    assert code == 0 and "ENSG00000121075 left out" in err, err
    assert "ENSG00000159403.1 left out" not in err and "is C1R" in err, err


def test_the_python_lookup_finds_only_genes_named_by_symbol_alone(mixed_model, caplog):
    fe = FactorizedEmbeddings.load(mixed_model)
    ids = [str(g) for g in fe.gene_ids_]
    gata4 = ids.index("GATA4")
    with caplog.at_level(logging.INFO, logger="core.analysis"):
        table = neighbour_table(fe, [KEPT["TRIM15"], "ENSG00000136574.17"], k=2)
    assert table["gene"].drop_duplicates().tolist() == ["TRIM15", "GATA4"]
    assert "not among" not in caplog.text
    # as embed matches a new table's ENSG00000136574 (symbol GATA4) to the model's GATA4
    rows = match_genes(fe.gene_ids_, fe.gene_symbols_, [KEPT["GATA4"]], ["GATA4"])
    assert rows.tolist() == [gata4]
    # an id whose symbol names a gene of another Ensembl id: not that gene
    renamed = SimpleNamespace(gene_ids_=ids.copy(), gene_symbols_=list(fe.gene_symbols_))
    renamed.gene_ids_[gata4] = "ENSG00000285109"  # GATA4's other id in the snapshot
    with pytest.raises(Exception, match="unknown gene"):
        find_genes(renamed, [KEPT["GATA4"]])
    found = find_genes(fe, ["ENSG00000000001", KEPT["C1R"]])
    assert [ids[i] for i in found.rows] == ["C1R"]
    assert "genes left out before training (0 in every sample)" in found.notes[-1][1]
    assert KEPT["C1R"] not in found.notes[-1][1]


def test_the_page_finds_a_gene_named_by_symbol_by_its_ensembl_id(mixed_matrix, tmp_path):
    es = load_table(mixed_matrix)
    ctx = AppContext(es, DashboardConfig(cache_dir=tmp_path))
    ids = [str(g) for g in ctx.gene_ids]
    for symbol, ensembl in KEPT.items():
        assert ctx.gene_index(ensembl) == ids.index(symbol)
        assert ctx.gene_index(f"{ensembl.lower()}.9") == ids.index(symbol)
    level, note = ctx.gene_note(KEPT["GATA4"])
    assert level == "info" and "is GATA4 here: the dataset names that gene by its symbol" in note
    assert ctx.search_genes(KEPT["GATA4"]) == [ids.index("GATA4")]
    # only the genes named by symbol: the ids of the others are theirs alone
    assert set(ctx.ensembl_columns().values()) == {ids.index(s) for s in KEPT}
    j = ids.index(next(g for g in ids if g.startswith("ENSG")))
    assert ctx.gene_index(ids[j]) == j
    with pytest.raises(Exception, match="unknown gene 'ENSG00000000001'"):
        ctx.gene_index("ENSG00000000001")
