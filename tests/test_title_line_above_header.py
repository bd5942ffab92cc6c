"""A title line above a table's header (a spreadsheet's or a lab system's export writes
``Expression export 2026-12-01`` on line 1): left out with a warning, the table read as
without it. Small files cut from the real SEPIRA GTEx table; fast."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from core.data import load_table


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
