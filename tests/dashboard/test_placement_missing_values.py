"""Missing values in an upload of new samples: the page says how many, as `embed` does."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd

from dashboard import placement


def _data_url(frame: pd.DataFrame) -> str:
    raw = frame.to_csv(index=False).encode()
    return "data:text/csv;base64," + base64.b64encode(raw).decode()


def _rows(sepira_file, which: list[int]) -> pd.DataFrame:
    return pd.read_csv(sepira_file).iloc[which].drop(columns=["tissue"]).reset_index(drop=True)


def test_the_placement_counts_the_missing_values(context, sepira_file):
    """3 real samples with 3 empty cells (2 in one sample, 1 in another) were placed without a
    word of them; `embed` counts them. The page's line now says so, with embed's counts."""
    rows = _rows(sepira_file, [0, 25, 50])
    genes = list(rows.columns[1:])
    rows.loc[0, genes[:2]] = np.nan
    rows.loc[2, genes[7]] = np.nan
    placed, _, info, alert = placement.place_from_upload(
        context, _data_url(rows), "three.csv", False
    )
    assert len(placed) == 3
    said = "3 missing values in 2 samples: placed from the genes they have"
    assert said in info, info
    # said once, in the line, not as one more warning
    assert "missing" not in str(getattr(alert, "children", "")), alert
    assert [r["genes_used"] for r in placed] == [458, 460, 459]

    # one empty cell: in the singular
    rows = _rows(sepira_file, [0, 25])
    rows.loc[1, genes[4]] = np.nan
    info = placement.place_from_upload(context, _data_url(rows), "one.csv", False)[2]
    assert "1 missing value in 1 sample: placed from the genes it has" in info, info


def test_no_word_without_missing_values_nor_for_samples_placed_from_few_genes(context, sepira_file):
    """No empty cell, no word; a sample placed from few genes has its own warning, and its
    hundreds of empty cells are not counted again in the line."""
    rows = _rows(sepira_file, [0, 25])
    info = placement.place_from_upload(context, _data_url(rows), "full.csv", False)[2]
    assert "missing" not in info, info

    genes = list(rows.columns[1:])
    rows.loc[1, genes[3:]] = np.nan  # the second sample: 3 genes, warned of
    placed, _, info, alert = placement.place_from_upload(context, _data_url(rows), "few.csv", False)
    assert "placed from fewer than 20 of the model's genes" in str(alert.children)
    assert "missing" not in info, info
    rows.loc[0, genes[0]] = np.nan  # and one empty cell in the first: that one is counted
    info = placement.place_from_upload(context, _data_url(rows), "both.csv", False)[2]
    assert "1 missing value in 1 sample: placed from the genes it has" in info, info
