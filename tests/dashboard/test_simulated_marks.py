"""Simulated data say so beyond the page's figures and files: the browser tab, the images the
graphs' camera buttons save, a shared link, and data served beside a model of simulated data.
Real data never do."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from dashboard import export, ids, sample_map
from dashboard.context import AppContext, DashboardConfig, ModelSettings
from dashboard.factory import create_app
from dashboard.layout import build_layout

TITLE = "Factorized embeddings explorer"


@pytest.fixture(scope="module")
def demo():
    from core.simulate import simulate_gtex_like

    return simulate_gtex_like(n_samples=60, n_genes=300, n_tissues=3, seed=0)


def _config(tmp_path, **kw) -> DashboardConfig:
    return DashboardConfig(
        cache_dir=tmp_path / "cache",
        settings=ModelSettings(gene_dim=4, standin=True),
        gene_layout="pca",
        **kw,
    )


def _camera_files(layout) -> dict[str, str]:
    text = json.dumps(layout.to_plotly_json(), default=lambda o: o.to_plotly_json())
    found = {}
    for graph in (ids.SAMPLE_MAP, ids.GENE_MAP, ids.BASELINES_GRAPH):
        at = text.index(f'"id": "{graph}"')
        start = text.rfind('"toImageButtonOptions"', 0, at)
        # (a graph's config comes before or after its id in the JSON)
        if start < 0 or text.rfind('"id"', start, at) != -1:
            start = text.index('"toImageButtonOptions"', at)
        found[graph] = text[start : text.index("}", start)]
    return found


def test_the_tab_title_and_camera_images_say_simulated(demo, context, sepira_es, tmp_path):
    """The browser tab read "Factorized embeddings explorer" and the camera buttons saved
    sample_map.svg, gene_space.svg and figure.svg, also on the demo."""
    app = create_app(demo, _config(tmp_path))
    assert app.title.startswith("SIMULATED DATA") and TITLE in app.title
    for graph, options in _camera_files(app.layout).items():
        assert '"filename": "SIMULATED_' in options, (graph, options)
    real = create_app(sepira_es, context.config)
    assert real.title == TITLE
    for graph, options in _camera_files(build_layout(real.fe_context)).items():
        assert "SIMULATED" not in options, (graph, options)


def test_data_served_beside_a_model_of_simulated_data_say_so(demo, tmp_path):
    """`python app.py --model DIR --matrix F`: the matrix alone (ids renamed, no annotations)
    does not tell, but the model was trained on the simulation."""
    from core.data import load_table
    from core.estimator import FactorizedEmbeddings

    model_dir = tmp_path / "model"
    FactorizedEmbeddings(gene_dim=4, hidden=(8,), epochs=1, device="cpu", seed=0).fit(demo).save(
        model_dir
    )
    frame = pd.DataFrame(demo.values, columns=demo.gene_symbols)
    frame.insert(0, "sample_id", [f"S{i}" for i in range(demo.n_samples)])
    frame.to_csv(tmp_path / "expression.csv", index=False)
    es = load_table(tmp_path / "expression.csv")
    assert not AppContext(es, _config(tmp_path)).simulated
    ctx = AppContext(es, _config(tmp_path, model_dir=model_dir))
    assert ctx.simulated and ctx.describe()["simulated"]


def test_a_shared_link_says_simulated_and_is_told_on_a_real_server(context):
    """A link of the demo said nothing of it; opened on a server of real data it was "another
    dataset", as any other."""
    link = export.view_query("ann:SMTS", "MYH7", None, None, "abc123", simulated=True)
    assert link.startswith("?data=SIMULATED&")
    real = export.view_query("ann:tissue", "GATA4", None, None, context.fingerprint)
    assert "SIMULATED" not in real
    *_, alert = sample_map.sync_focus(context, ids.URL, link, None, None, None, None)
    assert "made for SIMULATED data (the demo), not the real data served here" in str(alert)
    assert export.view_settings(context, link)[2] is None  # (data= is a part of the links)
    *_, alert = sample_map.sync_focus(context, ids.URL, real, None, None, None, None)
    assert "SIMULATED" not in str(alert)


def test_the_demo_offers_the_log_its_values_stand_for(demo, context, tmp_path):
    """The demo's values are log10(TPM+1)-like, yet its upload box offered "apply log2(x+1)"
    (its source records no transform): TPM placed with it fit at 6.2 against 0.09."""
    from dashboard.layout import place_transform_label
    from dashboard.placement import upload_transform

    demo_context = AppContext(demo, _config(tmp_path))
    assert demo_context.training_transform() == "log10p1"
    assert upload_transform(demo_context, True) == "log10p1"
    assert "log10(x+1)" in place_transform_label(demo_context.training_transform())
    assert demo_context.value_scale() is None  # (a colour bar's words: not a transform)
    # a file used as it is stays as it is
    assert context.training_transform() == "none"
