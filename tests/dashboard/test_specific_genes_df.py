"""Genes specific to a selection on real GTEx data (26 tissues): Welch's t reads with its
degrees of freedom. t >= 2 alone listed noise from small selections: a one-sided p of about
0.09 for 3 samples (df about 2), 0.15 for 2."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dashboard import export, ids
from dashboard.context import MAX_SPECIFIC_P, MIN_SPECIFIC_SCORE
from dashboard.layout import build_layout
from tests.dashboard.layout_tree import components


def _tissue_rows(context, tissue: str) -> np.ndarray:
    return np.flatnonzero(context.samples["tissue"].to_numpy() == tissue)


def _welch(context, rows) -> pd.DataFrame:
    """scipy's one-sided Welch test of every gene, selection against all other samples."""
    values = np.asarray(context.values, dtype=np.float64)
    rest = np.setdiff1d(np.arange(context.n_samples), rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        res = stats.ttest_ind(
            values[rows], values[rest], equal_var=False, alternative="greater", axis=0
        )
    return pd.DataFrame(
        {"t": res.statistic, "df": res.df, "p": res.pvalue}, index=context.gene_symbols
    )


def test_score_df_and_p_are_welchs_one_sided_test(context):
    """An independent recount with scipy, for a small selection: the same t, df and p."""
    rows = _tissue_rows(context, "Liver")[:4]
    table = context.specific_genes(rows, top=context.n_genes, min_score=-np.inf, max_p=1)
    assert {"df", "p_value"} <= set(table.columns)
    table = table.set_index("symbol")
    welch = _welch(context, rows)
    # the top genes and a few from the middle and the bottom of the ranking
    picked = [*table.index[:3], *table.index[200:202], table.index[-20]]
    for gene in picked:
        ours, theirs = table.loc[gene], welch.loc[gene]
        assert ours["score"] == pytest.approx(theirs["t"], abs=0.006), gene
        assert ours["df"] == pytest.approx(theirs["df"], abs=0.051), gene
        assert ours["p_value"] == pytest.approx(theirs["p"], rel=0.006, abs=1e-300), gene
    assert table.loc[picked, "df"].between(1, 4 + context.n_samples).all()


def test_a_selection_of_three_needs_a_larger_t(context):
    """3 samples (df about 2): a gene at t 2.5 has a one-sided p of about 0.06, and was listed
    as specific; it needs t of about 2.92 now."""
    rows = _tissue_rows(context, "Adipose Tissue")[:3]
    welch = _welch(context, rows)
    listed = context.specific_genes(rows, top=context.n_genes)
    between = welch[(welch["t"] >= MIN_SPECIFIC_SCORE) & (welch["p"] > MAX_SPECIFIC_P)]
    assert len(between) >= 5  # the real data has genes in the gap
    assert set(between.index).isdisjoint(listed["symbol"])
    clear = welch[(welch["t"] >= MIN_SPECIFIC_SCORE) & (welch["p"] <= MAX_SPECIFIC_P)]
    assert set(listed["symbol"]) == set(clear.index) and len(listed) > 5
    # ranked by t, and those at df about 2 reach the df-aware threshold
    assert listed["score"].is_monotonic_decreasing
    near_two = listed[listed["df"] < 2.5]
    assert len(near_two) > 0
    assert (near_two["score"] >= stats.t.isf(MAX_SPECIFIC_P, near_two["df"]) - 0.01).all()
    assert stats.t.isf(MAX_SPECIFIC_P, 2) == pytest.approx(2.92, abs=0.01)


def test_a_large_selection_lists_the_genes_of_t_2_with_tiny_p(context):
    """A tissue's 20 samples and the 60 of three digestive tissues: the degrees of freedom are
    large, and the genes of t 2 or more are listed as before, each with its (small) p."""
    gut = np.flatnonzero(
        np.isin(context.samples["tissue"].to_numpy(), ["Colon", "Stomach", "Small Intestine"])
    )
    for rows in (_tissue_rows(context, "Liver"), gut):
        welch = _welch(context, rows)
        listed = context.specific_genes(rows, top=context.n_genes)
        by_t = context.specific_genes(rows, top=context.n_genes, max_p=1)
        assert len(listed) > 5 and listed["symbol"].tolist() == by_t["symbol"].tolist()
        assert set(listed["symbol"]) == set(welch.index[welch["t"] >= MIN_SPECIFIC_SCORE])
        assert (listed["p_value"] <= 0.035).all() and (listed["df"] > 10).all()
        assert listed["p_value"].min() < 1e-6  # (a tissue's markers and a mixture's best)


def test_the_page_and_the_file_show_df_and_p_and_say_what_p_is(context):
    """The table shows df and p, its p header says the p is descriptive; the CSV holds them
    with a column that says the same."""
    page = build_layout(context)
    table = next(c for c in components(page) if getattr(c, "id", None) == ids.SELECTION_GENES)
    columns = [c["id"] for c in table.columns]
    assert columns[-3:] == ["score", "df", "p_value"]
    assert "descriptive" in table.tooltip_header["p_value"]
    assert "number of genes" in table.tooltip_header["p_value"]
    rows = [int(r) for r in _tissue_rows(context, "Liver")[:5]]
    out = export.csv_download(context, ids.EXPORT_SELECTION_GENES_CSV, None, {"rows": rows}, None)
    saved = pd.read_csv(io.StringIO(out["content"]))
    assert len(saved) > 0 and {"df", "p_value"} <= set(saved.columns)
    assert saved["p_value"].le(MAX_SPECIFIC_P).all()
    note = saved["p_value_note"]
    assert note.nunique() == 1 and "not a test" in note[0] and "map made from" in note[0]
    assert list(saved.columns).index("p_value_note") < list(saved.columns).index("p_value")


def test_a_gene_without_spread_in_either_group_gets_the_lowest_df(tmp_path):
    """0 / 0 in Welch-Satterthwaite: df is its lower bound, the smaller group's n - 1."""
    from core.data import ExpressionSet
    from dashboard.context import AppContext, DashboardConfig, ModelSettings

    n = 40
    values = np.random.default_rng(2).normal(3.0, 1.0, size=(n, 3)).astype(np.float32)
    values[:, 0] = 1.0
    values[:3, 0] = 5.0  # constant in the selection and in the rest, higher in the selection
    values[:, 1] = 0.0  # 0 in every sample
    es = ExpressionSet.from_array(values, [f"s{i}" for i in range(n)], ["UP", "OFF", "NOISE"])
    ctx = AppContext(es, DashboardConfig(cache_dir=tmp_path, settings=ModelSettings(standin=True)))
    table = ctx.specific_genes([0, 1, 2], top=3, min_score=-np.inf, max_p=1).set_index("symbol")
    assert table.loc["UP", "df"] == 2.0 and table.loc["UP", "p_value"] < 1e-6
    assert table.loc["OFF", "score"] == 0 and table.loc["OFF", "p_value"] == pytest.approx(0.5)
    assert np.isfinite(table["df"]).all() and table["p_value"].between(0, 1).all()
    assert ctx.specific_genes([0, 1, 2])["symbol"].tolist() == ["UP"]
