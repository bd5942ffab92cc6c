"""Dashboard test fixtures: a dashboard context on real GTEx data (26 tissues, 520 x 467)."""

from __future__ import annotations

import pytest

from dashboard.context import AppContext, DashboardConfig, ModelSettings


@pytest.fixture(scope="session")
def sepira_es(sepira_file):
    from core.data import load_table

    return load_table(sepira_file)


@pytest.fixture(scope="session")
def context(sepira_es, tmp_path_factory) -> AppContext:
    """A trained context (linear stand-in model, PCA gene layout: seconds)."""
    cfg = DashboardConfig(
        cache_dir=tmp_path_factory.mktemp("fe-cache"),
        settings=ModelSettings(gene_dim=8, standin=True),
        gene_layout="pca",
    )
    ctx = AppContext(sepira_es, cfg)
    ctx.train()
    return ctx


@pytest.fixture()
def untrained(sepira_es, tmp_path) -> AppContext:
    """A context with an empty cache: no model, no baseline maps."""
    cfg = DashboardConfig(
        cache_dir=tmp_path / "cache",
        settings=ModelSettings(gene_dim=8, standin=True),
        gene_layout="pca",
    )
    return AppContext(sepira_es, cfg)


@pytest.fixture
def kept_figures(context, monkeypatch) -> list:
    """The figures the context's exports render, kept (each rendered as a stub SVG): a test
    reads what a file would show without Chromium."""
    figs: list = []

    class Keep:
        def render(self, fig, fmt, width, height, scale):
            figs.append(fig)
            return b"<svg/>"

    monkeypatch.setattr(context, "image_renderer", Keep())
    return figs


@pytest.fixture
def result(context):
    """The context's baseline maps (PCA, NMF, t-SNE, UMAP), computed or read from its cache."""
    return context.compute_baselines()


@pytest.fixture
def fresh(sepira_es, tmp_path) -> AppContext:
    """A trained context whose co-expression cut is not known yet (a cache of its own)."""
    cfg = DashboardConfig(
        cache_dir=tmp_path / "cache", settings=ModelSettings(gene_dim=8, standin=True),
        gene_layout="pca",
    )  # fmt: skip
    ctx = AppContext(sepira_es, cfg)
    ctx.train()
    return ctx


@pytest.fixture(scope="module")
def app(context, sepira_es):
    """The page's app on the model of ``context`` (read from its cache, not trained again)."""
    from dashboard.factory import create_app

    app = create_app(sepira_es, context.config)
    app.fe_context.train()
    return app
