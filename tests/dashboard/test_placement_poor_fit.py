"""How sure a placed sample is, said where the page shows it: read counts uploaded as if they
were logs were placed with "majority share 100%" on every row beside fit errors of 1e6 to
8e7 (training: 0.186); the only word was a warning that can be closed."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core.estimator import POOR_FIT_FACTOR
from dashboard import layout, placement
from dashboard.context import AppContext, DashboardConfig, ModelSettings
from tests.dashboard.test_user_flows import _data_url

#: Held out of the training set: 2 samples of each of 5 tissues.
HELD_OUT = [0, 1, 100, 101, 200, 201, 300, 301, 400, 401]


@pytest.fixture(scope="module")
def held_out(sepira_es, sepira_file, tmp_path_factory):
    """(a context trained without the held-out samples, those samples as an upload)."""
    kept = np.setdiff1d(np.arange(sepira_es.n_samples), HELD_OUT)
    settings = ModelSettings(gene_dim=4, hidden=(8,), epochs=2)
    cfg = DashboardConfig(cache_dir=tmp_path_factory.mktemp("poor-fit"), settings=settings)
    context = AppContext(sepira_es.subset(samples=kept), cfg)
    context.train()
    return context, pd.read_csv(sepira_file).iloc[HELD_OUT].reset_index(drop=True)


def _place(context, frame: pd.DataFrame, name: str, apply_transform: bool = False) -> dict:
    return placement.place_upload(
        context, _data_url(frame.to_csv(index=False).encode()), name, apply_transform
    )


def _csv(context, records) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(placement.placed_csv(records, context)[0]["content"]))


def test_counts_placed_as_logs_are_said_poor_above_the_table_and_on_their_rows(held_out):
    context, frame = held_out
    trained = context.state().model.history_[-1]
    genes = frame.columns[2:]
    good = _place(context, frame, "good.csv")
    assert not any(r["poor_fit"] for r in good["records"])
    assert "poorly" not in good["info"], good["info"]

    counts = frame.copy()
    counts[genes] = (2.0 ** counts[genes] - 1) * 50  # read counts, placed as they are
    result = _place(context, counts, "counts.csv")
    errors = np.array([r["fit_error"] for r in result["records"]])
    assert np.median(errors) > 100 * trained  # (far off: the warning's condition and more)
    # each row whose own fit error is above the factor is marked, and only those
    marked = [r["poor_fit"] for r in result["records"]]
    assert marked == list(errors > POOR_FIT_FACTOR * trained) and all(marked)
    # the line above the table says it, with the fix (the warning beside it can be closed)
    info = result["info"]
    said = "10 samples from counts.csv placed (values used as they are), but they fit the model "
    assert said + "poorly: their places are not to be trusted" in info, info
    assert "tick “raw counts or TPM: apply log2(x+1)” beside the upload" in info, info
    # the fix named works: values of 2^x - 1 with the box ticked are placed without the word
    counts[genes] = 2.0 ** frame[genes] - 1
    fixed = _place(context, counts, "counts.csv", apply_transform=True)
    assert "poorly" not in fixed["info"], fixed["info"]
    assert not any(r["poor_fit"] for r in fixed["records"])
    # a poor fit with the box ticked, of values that look raw (other units: the box is right
    # for them): the units are named, not "untick the box"
    units = _place(context, counts.assign(**{g: counts[g] * 1e3 for g in genes}), "x.csv", True)
    assert (
        "not to be trusted (the values look raw: are they in the training data's units"
        in (units["info"])
    )
    assert "untick" not in units["info"] + " ".join(units["warnings"]), units
    # of values logged already (the loader says they look so): the box is named, to untick
    logged = _place(context, frame, "logged.csv", apply_transform=True)
    assert any("look already log-transformed" in w and "untick it" in w for w in logged["warnings"])


def test_one_sample_far_off_is_marked_on_its_row_only(held_out):
    """A typo in one sample among good ones: the median fits (no word above the table), the
    sample's row is marked."""
    context, frame = held_out
    odd = frame.copy()
    odd.iloc[3, 5:40] = 1e4
    result = _place(context, odd, "odd.csv")
    assert [r["poor_fit"] for r in result["records"]] == [i == 3 for i in range(len(odd))]
    assert "poorly" not in result["info"], result["info"]
    assert any(str(odd.iloc[3, 0]) in w for w in result["warnings"])


def test_the_csv_ends_with_poor_fit_and_keeps_its_columns(held_out):
    """Users join on the file's columns: poor_fit comes last, the others as they were."""
    context, frame = held_out
    odd = frame.copy()
    odd.iloc[3, 5:40] = 1e4
    records = _place(context, odd, "odd.csv")["records"]
    table = _csv(context, records)
    before = _csv(context, [{k: v for k, v in r.items() if k != "poor_fit"} for r in records])
    assert list(table.columns) == [*before.columns, "poor_fit"]
    assert table["poor_fit"].tolist() == [i == 3 for i in range(len(odd))]
    # the page's table marks the fit error of those rows and says what the mark means
    table = layout._placed_table("tissue", 15, records)
    mark = [s for s in table.style_data_conditional if s["if"].get("column_id") == "fit_error"]
    assert mark == [
        {
            "if": {"column_id": "fit_error", "filter_query": "{poor_fit} > 0"},
            "backgroundColor": layout.POOR_FIT_BACKGROUND,
        }
    ]
    help = table.tooltip_header["fit_error"]
    assert f"On pale red: above {POOR_FIT_FACTOR:g} times that, a poor fit" in help, help
