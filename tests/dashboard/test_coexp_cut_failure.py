"""A co-expression cut that could not be computed is said as such: the neighbour table said
"being computed ... choose the gene again" for ever, and an error the thread did not expect
left no trace, so that every click started the computation again and waited for it."""

from __future__ import annotations

import pytest

import core.analysis
from core.errors import CoreError
from dashboard.gene_space import neighbor_tables


@pytest.mark.parametrize("error", [CoreError("no room for the pairs"), RuntimeError("broken")])
def test_a_cut_that_failed_is_said_and_not_computed_again(fresh, monkeypatch, error):
    calls = []

    def failing(values, top_fraction=0.01):
        calls.append(top_fraction)
        raise error

    monkeypatch.setattr(core.analysis, "coexpression_cut", failing)
    for _ in range(2):
        rows, _, alert = neighbor_tables(fresh, "HNF4A", 10)
        assert rows and all(r["coexp"] == "" and r["novel"] in ("", "no") for r in rows)
        text = str(alert)
        assert "could not be computed" in text
        assert str(error) in text
        assert "being computed" not in text
    assert len(calls) == 1  # (the failure is kept: a click does not start it again)


def test_an_estimated_cut_is_not_read_back_as_the_exact_one(sepira_es, tmp_path, monkeypatch):
    """The cached cut is keyed by how many genes were drawn: an estimate from 150 of the 460
    model genes was read back, from the same cache, where every gene's pairs give the cut."""
    import numpy as np

    from dashboard import pair_references
    from dashboard.context import AppContext, DashboardConfig, ModelSettings

    cfg = DashboardConfig(
        cache_dir=tmp_path / "cache", settings=ModelSettings(gene_dim=8, standin=True),
        gene_layout="pca",
    )  # fmt: skip
    with monkeypatch.context() as patched:
        patched.setattr(pair_references, "COEXP_EXACT_GENES", 150)
        drawn = AppContext(sepira_es, cfg)
        drawn.train()
        estimate = drawn.coexp_cut(wait=None)
    ctx = AppContext(sepira_es, cfg)  # (the same cache, the model found there)
    ctx.train()
    st = ctx.require_state()
    cols = st.gene_es_index[st.gene_es_index >= 0]
    every = np.corrcoef(ctx.values[:, cols].astype(np.float64).T)[np.triu_indices(cols.size, 1)]
    exact = np.sort(every)[::-1][int(round(0.01 * every.size)) - 1]
    assert estimate != pytest.approx(exact, abs=1e-5)
    assert ctx.coexp_cut(wait=None) == pytest.approx(exact, abs=1e-5)
