"""The specific-genes table's numbers are rounded once, by the page's formats: the pituitary's
GPR50 against the thyroid and the adrenal gland (mean 3.6647) read 3.67, rounded to 3.665 for
the file and then to 2 decimals by the table; the 3 tissues' PEG10 against all others (Welch's
t 9.748) read 9.8. The file keeps its 3 decimals (2 for the score)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dashboard import export, ids, selection
from dashboard.layout import SPECIFIC_FORMATS

#: (selected tissues, reference tissues: None for all other samples)
CASES = [
    (("Pituitary",), ("Thyroid", "Adrenal Gland")),
    (("Thyroid", "Adrenal Gland", "Pituitary"), None),
]


def _rows(context, tissues) -> list[int]:
    return np.flatnonzero(context.samples["tissue"].isin(tissues).to_numpy()).tolist()


def _shown(value: float, column: str) -> str:
    """A number as the page's table writes it (its d3 format: Python's reads alike)."""
    return format(value, SPECIFIC_FORMATS[column]["format"]["specifier"])


@pytest.mark.parametrize(("tissues", "reference"), CASES)
def test_the_table_shows_the_means_and_t_as_scipy_rounds_them(context, tissues, reference):
    rows = _rows(context, tissues)
    store = {"rows": rows}
    if reference:
        store["reference"] = _rows(context, reference)
    rest = store.get("reference") or np.setdiff1d(np.arange(context.n_samples), rows)
    values = np.asarray(context.values, dtype=np.float64)
    _, records, _, alert = selection.describe_selection(context, store)
    assert alert is None and len(records) > 20
    column = {s: i for i, s in enumerate(context.gene_symbols)}
    for record in records:
        x, y = values[rows, column[record["symbol"]]], values[rest, column[record["symbol"]]]
        t = stats.ttest_ind(x, y, equal_var=False).statistic
        expected = {
            "mean_selected": x.mean(),
            "mean_rest": y.mean(),
            "difference": x.mean() - y.mean(),
            "score": t,
        }
        for name, value in expected.items():
            assert _shown(record[name], name) == _shown(value, name), (record, name, value)


def test_the_file_keeps_its_decimals(context):
    rows = _rows(context, ("Pituitary",))
    store = {"rows": rows, "reference": _rows(context, ("Thyroid", "Adrenal Gland"))}
    sent = export.csv_download(context, ids.EXPORT_SELECTION_GENES_CSV, None, store, None)
    table = pd.read_csv(io.StringIO(sent["content"]), float_precision="round_trip")
    gpr50 = table.set_index("symbol").loc["GPR50"]
    assert gpr50["mean_selected"] == 3.665  # (3.6647: the file's 3 decimals)
    assert gpr50["score"] == 17.79
    for name, digits in {"mean_selected": 3, "mean_rest": 3, "difference": 3, "score": 2}.items():
        assert (table[name] == table[name].round(digits)).all(), name
    assert all(float(f"{p:.3g}") == p for p in table["p_value"]), table["p_value"]
