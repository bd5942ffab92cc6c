"""A model shown beside a dataset holding samples it was not trained on places them with
transform(): the dataset's genes the model left out are no news there (transform's warning of
columns ignored was logged at every start)."""

from __future__ import annotations

import logging

import numpy as np

from dashboard.context import AppContext, DashboardConfig


def test_samples_absent_from_training_are_placed_without_a_gene_warning(
    sepira_es, tmp_path, caplog
):
    from core.estimator import FactorizedEmbeddings

    trained = sepira_es.subset(samples=np.arange(100), genes=np.arange(400))
    fe = FactorizedEmbeddings(epochs=1, hidden=(8,), gene_dim=2, seed=0).fit(trained)
    cfg = DashboardConfig(
        cache_dir=tmp_path / "cache", model_dir=fe.save(tmp_path / "m"), gene_layout="pca"
    )
    context = AppContext(sepira_es.subset(samples=np.arange(120)), cfg)
    with caplog.at_level(logging.INFO, logger="core.estimator"):
        context.train()
    st = context.require_state()
    assert st.sample_embedding.shape == (120, 2) and np.isfinite(st.sample_embedding).all()
    assert "no gene of the model" not in caplog.text, caplog.text
    assert not [r for r in caplog.records if getattr(r, "notice", None) == "gene_match"]
