"""A title line above a table's header (a spreadsheet's or a lab system's export writes
``Expression export 2026-12-01`` on line 1): left out with a warning, the table read as
without it. Small files cut from the real SEPIRA GTEx table; fast."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from core.data import load_table, text_table_columns


@pytest.fixture(scope="module")
def real(sepira_file) -> pd.DataFrame:
    """15 real samples x 20 genes (symbols as columns), indexed by sample."""
    frame = pd.read_csv(sepira_file).iloc[:15, :22].drop(columns="tissue")
    return frame.set_index("sample")


@pytest.mark.parametrize(
    ("title", "sep", "decimal", "name"),
    [
        ("Expression export from lab LIMS 2026-12-01", ",", ".", "export.csv"),
        ("Expression export from lab LIMS; 2026-12-01", ";", ",", "export.csv"),
        ("Normalised counts", "\t", ".", "export.tsv"),
    ],
)
def test_a_title_line_above_the_header_is_left_out_with_a_warning(
    tmp_path, caplog, real, title, sep, decimal, name
):
    """The title made every line one field (or its ';' two): the table's orientation could not
    be told, and the page asked to name the first column 'sample', which it already was."""
    path = tmp_path / name
    with path.open("w") as fh:
        fh.write(title + "\n")
        real.to_csv(fh, sep=sep, decimal=decimal)
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(path, transform="none")
    assert list(es.sample_ids) == list(real.index)
    assert list(es.gene_symbols) == list(real.columns)
    np.testing.assert_allclose(es.values, real.to_numpy(), rtol=1e-6)
    assert "line 1" in caplog.text and "title above the header" in caplog.text
    assert repr(title) in caplog.text
    # what the loader says of the header names its line (line 2), not line 1 (the title)
    assert "line 1 has no" not in caplog.text


@pytest.mark.parametrize(
    ("name", "sep", "column", "values"),
    [
        # a quoted text with commas: 4 fields when every comma is counted
        (
            "annotations.csv",
            ",",
            "tissue",
            ['"brain, cortex, left, BA9"', '"liver, lobe, left, right"'],
        ),
        # lanes listed with commas in a tab-separated file
        ("annotations.tsv", "\t", "lanes", ["1,2,5,6", "1,2,5,7"]),
    ],
)
def test_a_two_column_table_with_separators_in_its_text_keeps_its_header(
    tmp_path, caplog, real, name, sep, column, values
):
    """The header of a two-column annotation table (``sample,tissue``) was read as a title
    above rows of four fields: the first sample's row became the header (its column named
    'brain, cortex, left, BA9') and that sample was left unannotated."""
    matrix = tmp_path / "matrix.csv"
    real.to_csv(matrix)
    path = tmp_path / name
    rows = [f"{s}{sep}{values[i % 2]}" for i, s in enumerate(real.index)]
    path.write_text("\n".join([f"sample{sep}{column}", *rows]) + "\n")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(matrix, annotations=path, transform="none")
    assert "title above the header" not in caplog.text
    assert list(es.samples.columns) == [column]
    assert es.samples[column].notna().all()
    assert es.samples[column].iloc[0] == values[0].strip('"')


def test_a_header_naming_the_id_column_is_no_title(tmp_path, caplog):
    """``gene,value`` above rows of four fields is the file's header (its rows are wider than
    it), not a title: the first row is not taken for the header."""
    path = tmp_path / "values.csv"
    path.write_text("gene,value\nGATA4,1,2,3\nHNF4A,4,5,6\nTP53,7,8,9\n")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        assert text_table_columns(path) == ["gene", "value"]
    assert "title above the header" not in caplog.text
