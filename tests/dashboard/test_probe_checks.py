"""The probe's decoded profile and the genes specific to a selection, counted again with
numpy and scipy from the data (real GTEx data, 26 tissues, 520 x 467)."""

from __future__ import annotations

import numpy as np
import pytest

from core.data import ExpressionSet
from dashboard.context import AppContext, DashboardConfig, ModelSettings
from dashboard.selection import describe_selection


def test_probe_z_floor_is_a_tenth_of_the_median_sd_of_the_genes_decoded(context, monkeypatch):
    """The floor was taken from the sds with a stand-in of 1 for the 7 genes of 0 in every
    sample (0.0830 instead of 0.0821 on the 26-tissue data): the z of genes of little spread
    was off by up to 0.03, and 10 of 300 points of the real model listed other genes."""
    st = context.state()
    values = np.asarray(context.values, dtype=np.float64)
    cols = st.gene_es_index
    ok = cols >= 0
    mean, sd = values.mean(axis=0), values.std(axis=0)  # ddof 0, the observed values
    assert (sd == 0).sum() >= 5  # (the data's genes without spread, which the floor ignored)
    floor = 0.1 * np.median(sd[cols[ok]])
    decoded = np.where(ok, mean[np.maximum(cols, 0)], 0.0) + 0.5

    class Shifted:  # every gene decoded half a unit above its mean over samples
        def predict(self, xy):
            return decoded[None, :].astype(np.float32)

    monkeypatch.setattr(st, "model", Shifted())
    x, y = (float(v) for v in st.sample_embedding[7])
    res = context.probe(x, y, top=460)
    genes = res["genes"].set_index("symbol")
    z = 0.5 / np.maximum(sd[cols[ok]], floor)
    expected = dict(zip(context.gene_symbols[cols[ok]], z, strict=True))
    assert len(genes) == min(460, ok.sum())
    for symbol, row in genes.iterrows():
        assert row["z"] == pytest.approx(expected[symbol], abs=0.006), symbol
    assert genes["z"].max() == pytest.approx(0.5 / floor, abs=0.006)
    # the nearest samples: the map's distances, the sample itself first
    d = np.hypot(*(np.asarray(st.sample_embedding, dtype=np.float64) - [x, y]).T)
    near = res["samples"]
    assert near["sample_id"].iloc[0] == context.sample_ids[7]
    assert list(near["sample_id"]) == list(context.sample_ids[np.argsort(d, kind="stable")[:10]])
    assert np.allclose(near["distance"], np.sort(d)[:10], atol=6e-4)


def _with_values(sepira_es, values, tmp_path):
    es = ExpressionSet.from_array(
        values, sepira_es.sample_ids, sepira_es.gene_ids, samples=sepira_es.samples
    )
    return AppContext(es, DashboardConfig(cache_dir=tmp_path, settings=ModelSettings(standin=True)))


def test_a_gene_with_one_value_in_the_other_samples_is_not_scored(sepira_es, tmp_path):
    """RPL3L missing in all the other samples but one had no spread there: it was listed
    for the Heart samples (t = 11.8), where Welch's t is undefined."""
    from scipy import stats

    values = sepira_es.values.astype(np.float32).copy()
    tissue = sepira_es.samples["tissue"].to_numpy()
    heart = np.flatnonzero(tissue == "Heart")
    rest = np.setdiff1d(np.arange(len(tissue)), heart)
    j = list(sepira_es.gene_symbols).index("RPL3L")
    values[rest[1:], j] = np.nan
    table = _with_values(sepira_es, values, tmp_path).specific_genes(heart, top=200)
    assert len(table) > 20 and "RPL3L" not in set(table["symbol"])
    # with values in 2 of them, it is Welch's t of those
    values[rest[1], j] = sepira_es.values[rest[1], j]
    table = _with_values(sepira_es, values, tmp_path).specific_genes(
        heart, top=500, min_score=-np.inf, max_p=1
    )
    b = values[rest, j]
    welch = stats.ttest_ind(values[heart, j], b[np.isfinite(b)], equal_var=False).statistic
    score = table.set_index("symbol").loc["RPL3L", "score"]
    assert score == pytest.approx(welch, abs=0.01)


def test_a_selection_of_all_samples_but_one_says_one_is_left(context):
    """It said "nothing left to compare it with" with one sample left (Welch's t needs 2)."""
    rows = list(range(1, context.n_samples))
    info, genes, _, alert = describe_selection(context, {"rows": rows})
    assert genes == [] and "only 1 sample left" in str(alert)
    assert "nothing left" not in str(alert)
