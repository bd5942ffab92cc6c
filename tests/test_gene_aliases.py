"""Genes typed by an alias (HER2 for ERBB2, ALB2 for AFM) on the real 26-tissue GTEx set
(520 samples x 467 genes): read as their gene where the alias names one gene of the data, and
said so, in the dashboard's gene box, its gene lists and the command line's ``--genes``.

The bundled GO snapshot's aliases of these genes, as found there: ALB2 is AFM's, ADH1 ADH1A's;
EWSR2 names both ETS1 and FLI1, SP-A both SFTPA1 and SFTPA2 (not guessed); HNF4A is an alias
of HNF1A and the symbol of a gene of its own, which wins; AGT is an alias of AGXT but the symbol
of angiotensinogen, not in the data (not guessed); HER2 names ERBB2, not in the data.
"""

from __future__ import annotations

import base64
import time

import pandas as pd
import pytest

from core.errors import DataError
from tests.cli_run import TINY
from tests.cli_run import run_cli as _run
from tests.dashboard.layout_tree import alert_text as _text


@pytest.fixture(scope="module")
def sepira_context(sepira_file, tmp_path_factory):
    """The dashboard's context of the 26-tissue set (gene lookups need no model)."""
    from core.data import load_table
    from dashboard.context import AppContext, DashboardConfig

    cfg = DashboardConfig(cache_dir=tmp_path_factory.mktemp("alias-cache"))
    return AppContext(load_table(sepira_file), cfg)


def test_the_snapshot_aliases_of_the_data_genes(sepira_file):
    from core.annotations import GeneOntology

    symbols = list(pd.read_csv(sepira_file, nrows=1).columns[2:])
    table = GeneOntology.load().dataset_aliases(symbols)
    read = {a: h for a, h in table.items() if h.column is not None}
    assert len(read) >= 1000  # (1,280 in the 2022 snapshot)
    assert symbols[read["ALB2"].column] == "AFM"
    assert symbols[read["ADH1"].column] == "ADH1A"
    # several genes of the data: not guessed, all named
    assert set(table["EWSR2"].names) == {"ETS1", "FLI1"} and table["EWSR2"].column is None
    assert set(table["SP-A"].names) == {"SFTPA1", "SFTPA2"} and table["SP-A"].column is None
    # the data's own symbols are no alias of another gene
    assert "HNF4A" not in table and "SPP2" not in table
    # a symbol of a gene not in the data is not read as another gene's alias
    assert table["AGT"].other_symbol == "AGT" and table["AGT"].column is None


def test_the_gene_box_reads_an_alias_and_says_so(sepira_context):
    from dashboard import ids
    from dashboard.sample_map import sync_focus

    ctx = sepira_context
    afm = int(list(ctx.gene_symbols).index("AFM"))
    for typed in ("ALB2", "alb2"):  # in any case, as symbols
        assert ctx.gene_index(typed) == afm
    assert ctx.gene_note("ALB2") == ("info", "ALB2 read as AFM, its alias")
    assert ctx.gene_symbols[ctx.gene_index("ADH1")] == "ADH1A"
    color, value, focus, alert = sync_focus(ctx, ids.GENE_SEARCH, None, None, "alb2", None, None)
    assert (color, value, focus) == ("obs:AFM", "AFM", "AFM")
    assert "alb2 read as AFM, its alias" in _text(alert)
    # a link's gene too
    color, _, focus, alert = sync_focus(ctx, None, "?gene=ALB2", None, None, None, None)
    assert focus == "AFM" and "ALB2 read as AFM, its alias" in _text(alert)
    # the dropdown offers the gene for the alias, chosen by the alias itself
    from dashboard.gene_space import search_options

    options = [o for o in search_options(ctx, "ALB2", None) if not o.get("disabled")]
    assert options and options[0]["value"] == "ALB2" and "AFM" in options[0]["label"]


def test_a_data_symbol_wins_over_an_alias(sepira_context):
    """HNF4A is also an alias of HNF1A: both are genes of the data."""
    ctx = sepira_context
    assert ctx.gene_symbols[ctx.gene_index("HNF4A")] == "HNF4A"
    assert ctx.gene_symbols[ctx.gene_index("hnf4a")] == "HNF4A"
    assert ctx.gene_note("HNF4A") is None
    # HNF1A's alias table leaves the data's own symbols out
    assert "HNF4A" not in ctx.alias_columns() and "ALB2" in ctx.alias_columns()


def test_an_alias_of_several_genes_is_not_guessed(sepira_context):
    ctx = sepira_context
    with pytest.raises(DataError, match=r"EWSR2 is an alias of 2 genes here: ETS1, FLI1"):
        ctx.gene_index("EWSR2")
    names = {ctx.gene_symbols[j] for j in ctx.search_genes("SP-A")}
    assert {"SFTPA1", "SFTPA2"} <= names
    from dashboard.gene_space import search_options

    values = {o["value"] for o in search_options(ctx, "ewsr2", None) if not o.get("disabled")}
    assert {"ETS1", "FLI1"} <= values  # suggestions, each its own gene
    with pytest.raises(DataError, match=r"AGT is the symbol of a gene not here.*AGXT"):
        ctx.gene_index("AGT")


def test_an_alias_of_a_gene_not_in_the_data_says_so(sepira_context):
    with pytest.raises(DataError, match=r"HER2 is an alias of ERBB2, which is not here"):
        sepira_context.gene_index("HER2")
    with pytest.raises(DataError, match=r"unknown gene 'NOTAGENE'"):
        sepira_context.gene_index("NOTAGENE")
    # XIST is a gene of its own (not in this set) and an alias of XIC: an unknown gene, not
    # "an alias of XIC", which sent the user after another gene
    with pytest.raises(DataError, match=r"unknown gene 'XIST'") as err:
        sepira_context.gene_index("XIST")
    assert "XIC" not in str(err.value)
    assert sepira_context.alias_of("XIST") is None


def test_gene_lists_read_aliases_and_count_them(sepira_context):
    from dashboard import ids
    from dashboard.sample_map import sync_focus

    ctx = sepira_context
    typed = "ALB2, GATA4, adh1, EWSR2, HER2"
    color, _, _, alert = sync_focus(ctx, ids.GENE_LIST_APPLY, None, None, None, None, typed)
    assert color == "list:AFM, GATA4, ADH1A"
    said = _text(alert)
    assert "2 entries read as aliases: ALB2 as AFM, adh1 as ADH1A" in said
    assert "not in this dataset, ignored: EWSR2, HER2" in said
    assert "ETS1, FLI1" in said and "ERBB2, which is not here" in said
    assert ctx.gene_list_columns(["ALB2", "GATA4"])[0] == [
        ctx.gene_index("AFM"),
        ctx.gene_index("GATA4"),
    ]
    # an uploaded file is read the same way
    raw = b"gene\nALB2\nTBX5\n"
    upload = ("data:text/plain;base64," + base64.b64encode(raw).decode(), "genes.txt")
    color, _, _, alert = sync_focus(ctx, ids.GENE_LIST_UPLOAD, None, None, None, None, None, upload)
    assert color == "list:AFM, TBX5"
    assert "1 entry read as an alias: ALB2 as AFM" in _text(alert)


def test_the_alias_table_is_built_once_per_dataset(sepira_context):
    ctx = sepira_context
    first = ctx.alias_columns()
    assert ctx.alias_columns() is first
    t0 = time.perf_counter()
    for _ in range(200):
        ctx.gene_index("ALB2")
    assert time.perf_counter() - t0 < 0.5


@pytest.fixture(scope="module")
def alias_model(sepira_file, tmp_path_factory):
    """A tiny model of 60 real samples and 14 real genes, ETS1 and FLI1 (both EWSR2) and AFM
    (ALB2) among them."""
    table = pd.read_csv(sepira_file).iloc[:60]
    genes = ["AFM", "ADH1A", "ETS1", "FLI1", "HNF4A", "HNF1A", "GATA4", "TBX5", "AGXT"]
    genes += ["SFTPA1", "SFTPA2", "F9", "HAO1", "SPP2"]
    folder = tmp_path_factory.mktemp("alias-model")
    path = folder / "small.csv"
    table[["sample", "tissue", *genes]].to_csv(path, index=False)
    from core.cli import main

    out = folder / "model"
    args = ["train", "--matrix", str(path), "--out", str(out), "--epochs", "1", *TINY]
    assert main(args) == 0
    return out


def test_neighbours_reads_an_alias_on_one_line(alias_model, tmp_path, capsys):
    out = tmp_path / "nb.tsv"
    args = ["neighbours", "--model", alias_model, "--k", "2", "--out", out]
    code, _, err = _run([*args, "--genes", "alb2,EWSR2,HNF4A"], capsys)
    assert code == 0, err
    assert err.count("alb2 read as AFM, its alias\n") == 1
    assert "EWSR2 is an alias of 2 genes in the model: ETS1, FLI1" in err
    assert set(pd.read_csv(out, sep="\t")["gene"]) == {"AFM", "HNF4A"}
    code, _, err = _run([*args, "--force", "--genes", "HER2"], capsys)
    assert code != 0 and "HER2 is an alias of ERBB2, which is not in the model" in err
    code, _, err = _run([*args, "--force", "--genes", "XIST"], capsys)  # a gene, not an alias
    assert code != 0 and "unknown gene(s) XIST" in err and "XIC" not in err
    assert "Traceback" not in err
