"""The orientation's messages name the option as its caller gives it: Python code reads the
argument (``orientation="samples-in-rows"``), the command line its flag (``--orientation
samples-in-rows``); each said only the flag to both."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from core.cli import _MessageFormatter, main
from core.data import load_table
from core.errors import DataError


@pytest.fixture()
def real_table(sepira_file):
    """The first 40 real samples (2 tissues of 20) of the 26-tissue set, 20 of its genes."""
    return pd.read_csv(sepira_file).iloc[:40, :22]


def test_an_orientation_against_the_names_is_warned_with_the_argument(real_table, tmp_path, caplog):
    path = tmp_path / "samples.csv"
    real_table.drop(columns="tissue").rename(columns={"sample": "id"}).to_csv(path, index=False)
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(path, orientation="genes_x_samples", transform="none")
    assert es.shape == (20, 40)  # read as asked
    record = next(r for r in caplog.records if "as asked, but its names say" in r.getMessage())
    said = record.getMessage()
    assert 'orientation="samples-in-rows" reads it as its names say' in said
    assert "--orientation" not in said
    shown = _MessageFormatter().format(record)
    assert "(--orientation samples-in-rows reads it as its names say)" in shown
    assert "orientation=" not in shown
    # the value named reads the table as its names say, without the warning
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.data"):
        fixed = load_table(path, orientation="samples-in-rows", transform="none")
    assert fixed.shape == (40, 20) and "as asked" not in caplog.text


def test_annotation_columns_of_a_genes_in_rows_table_name_the_argument(
    real_table, tmp_path, capsys
):
    table = real_table.drop(columns="tissue").set_index("sample").T
    table.index.name = "gene"
    path = tmp_path / "genes.csv"
    table.to_csv(path)
    first = str(table.columns[0])
    with pytest.raises(DataError) as err:
        load_table(path, label_columns=[first], transform="none")
    assert 'if the samples are the rows, say so (orientation="samples-in-rows")' in str(err.value)
    assert "--orientation" not in str(err.value)
    args = ["train", "--matrix", str(path), "--annotation-columns", first]
    assert main([*args, "--out", str(tmp_path / "m"), "--epochs", "1"]) == 2
    said = capsys.readouterr().err
    assert "say so (--orientation samples-in-rows)" in said
    assert "orientation=" not in said


def test_an_h5ad_file_read_against_its_names_is_warned_with_the_argument(
    real_table, tmp_path, caplog
):
    anndata = pytest.importorskip("anndata")

    values = real_table.drop(columns=["sample", "tissue"])
    obs = pd.DataFrame(index=real_table["sample"].astype(str))
    var = pd.DataFrame(index=values.columns.astype(str))
    adata = anndata.AnnData(X=values.to_numpy(dtype="float32"), obs=obs, var=var)
    with anndata.settings.override(allow_write_nullable_strings=True):
        adata.T.write_h5ad(tmp_path / "genes_in_obs.h5ad")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        load_table(tmp_path / "genes_in_obs.h5ad", transform="none")
    record = next(r for r in caplog.records if "anndata keeps samples in obs" in r.getMessage())
    assert 'orientation="samples-in-rows" reads it as it is' in record.getMessage()
    shown = _MessageFormatter().format(record)
    assert "--orientation samples-in-rows reads it as it is" in shown
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.data"):
        load_table(tmp_path / "genes_in_obs.h5ad", orientation="samples_x_genes", transform="none")
    record = next(r for r in caplog.records if "as asked, but its names say" in r.getMessage())
    assert 'orientation="genes-in-rows" reads it as its names say' in record.getMessage()
    shown = _MessageFormatter().format(record)
    assert "(--orientation genes-in-rows reads it as its names say)" in shown


def test_a_table_whose_names_do_not_tell_names_the_option_as_its_caller_gives_it(
    real_table, tmp_path, capsys
):
    """Names that tell neither samples nor genes: the message named both the flag and the
    Python argument (with values the flag does not take) to every caller."""
    table = real_table.drop(columns="tissue").set_index("sample").T
    table.index = [f"feat{i}" for i in range(len(table))]
    table.columns = [f"x{i}" for i in range(table.shape[1])]
    path = tmp_path / "plain.csv"
    table.to_csv(path, index_label="")
    with pytest.raises(DataError) as err:
        load_table(path, transform="none")
    said = str(err.value)
    assert "cannot tell whether its rows are samples or genes" in said
    assert 'give the orientation (orientation="genes-in-rows" or ' in said
    assert 'orientation="samples-in-rows")' in said
    assert "--orientation" not in said and "command line" not in said
    # the values named read it
    assert load_table(path, orientation="genes-in-rows", transform="none").shape == (40, 20)
    args = ["train", "--matrix", str(path), "--out", str(tmp_path / "m"), "--epochs", "1"]
    assert main(args) == 2
    shown = capsys.readouterr().err
    assert "cannot tell whether its rows are samples or genes" in shown
    assert "(--orientation genes-in-rows or --orientation samples-in-rows)" in shown
    assert "orientation=" not in shown and "Python" not in shown
