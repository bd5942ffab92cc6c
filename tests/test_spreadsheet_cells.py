"""Tables written as CSV (the report's, the export's): a sample, tissue or gene named as a
spreadsheet formula (``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM(1)``) is written with a ``'``
before it, which a spreadsheet shows as text instead of running it; numbers stay numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.estimator import FactorizedEmbeddings
from core.spreadsheet import spreadsheet_safe, spreadsheet_safe_table

LINK = '=HYPERLINK("http://x","y")'
COMMAND = "+cmd|' /C calc'!A0"
NAMES = (LINK, COMMAND, "@SUM(1)")
#: What a spreadsheet runs: a cell that starts with =, @ (or + before a name)
RUN = ("=", "@", "+c")


@pytest.fixture(scope="module")
def hostile_model(sepira_file, tmp_path_factory):
    """A one-epoch model of 12 real samples (12 tissues) x 40 genes whose first sample, tissue
    and genes are named as formulas; the matrix is a CSV file the report reads again."""
    from core.data import load_table

    table = pd.read_csv(sepira_file)
    table = table.groupby("tissue", sort=False).head(1).head(12)
    table = table.iloc[:, :42].reset_index(drop=True)
    table.loc[0, "sample"] = LINK
    table.loc[0, "tissue"] = COMMAND
    table.columns = [*table.columns[:2], *NAMES, *table.columns[2 + len(NAMES) :]]
    folder = tmp_path_factory.mktemp("hostile")
    table.to_csv(folder / "hostile.csv", index=False)
    es = load_table(folder / "hostile.csv", transform="none")
    model = FactorizedEmbeddings(gene_dim=4, hidden=(8,), epochs=1, device="cpu", seed=0)
    return model.fit(es).save(folder / "model")


def _cells(path, sep=","):
    table = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    return [*table.columns, *table.to_numpy().ravel().tolist()]


def test_cells_that_a_spreadsheet_runs_are_quoted():
    assert [spreadsheet_safe(n) for n in NAMES] == ["'" + n for n in NAMES]
    # numbers, genotypes and dashes are left as they are
    for value in ("-2.5", "+1e3", "-/-", "+/-", "-", "GATA4", 1.5, None):
        assert spreadsheet_safe(value) == value
    table = pd.DataFrame({"symbol": [LINK, "TP53"], "x": [-2.5, 1.0]})
    out = spreadsheet_safe_table(table)
    assert out["symbol"].tolist() == ["'" + LINK, "TP53"] and out["x"].tolist() == [-2.5, 1.0]
    assert table["symbol"][0] == LINK  # (a copy: the table given is left as it was)


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_export_tables_quote_formula_names(hostile_model, tmp_path, fmt):
    out = tmp_path / "export"
    assert main(["export", "--model", str(hostile_model), "--out", str(out), "--format", fmt]) == 0
    sep = "," if fmt == "csv" else "\t"
    samples, genes = _cells(out / f"samples.{fmt}", sep), _cells(out / f"genes.{fmt}", sep)
    assert "'" + LINK in samples and "'" + COMMAND in samples
    assert {"'" + n for n in NAMES} <= set(genes)
    assert not [c for c in samples + genes if c.startswith(RUN)]
    # the coordinates stay numbers (a minus sign is no formula)
    coords = pd.read_csv(out / f"samples.{fmt}", sep=sep)[["x", "y"]]
    assert coords.dtypes.tolist() == [np.float64, np.float64]


def test_report_tables_quote_formula_names(hostile_model, tmp_path):
    out = tmp_path / "report"
    argv = ["report", "--model", str(hostile_model), "--out", str(out), "--methods", "pca"]
    fast = ["--classifiers", "1-NN", "--splits", "2", "--fraction", "0.3", "--k", "3"]
    assert main([*argv, *fast, "--no-go", "--no-cache", "--markers", "@SUM(1)"]) == 0
    cells = [c for f in sorted((out / "tables").glob("*.csv")) for c in _cells(f)]
    assert "'@SUM(1)" in cells
    assert not [c for c in cells if c.startswith(RUN)]


def test_embed_table_quotes_formula_ids(hostile_model, sepira_file, tmp_path):
    new = pd.read_csv(sepira_file).iloc[[1, 2]].drop(columns=["tissue"]).iloc[:, :41]
    new["sample"] = ["@SUM(1)", "-2.5"]  # a formula, and an id that is a number
    new.to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "placed.csv"
    argv = ["embed", "--model", str(hostile_model), "--matrix", str(tmp_path / "new.csv")]
    assert main([*argv, "--transform", "none", "--out", str(out)]) == 0
    cells = _cells(out)
    assert "'@SUM(1)" in cells and "-2.5" in cells
    assert not [c for c in cells if c.startswith(RUN)]
