"""What the exported files say beyond their numbers: the model they come from (named as the
dashboard's files name it) and the scale of the expression values they hold."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core.estimator import FactorizedEmbeddings
from dashboard import ids
from dashboard.context import AppContext, DashboardConfig, ModelSettings
from dashboard.export import csv_download
from tests.cli_run import run_cli as _run


@pytest.fixture(scope="module")
def real_es(sepira_file):
    """130 real GTEx samples (26 tissues) x 60 genes."""
    from core.data import load_table

    es = load_table(sepira_file)
    return es.subset(samples=np.arange(0, es.n_samples, 4), genes=np.arange(60))


def test_export_readme_names_the_model_by_the_key_of_the_dashboards_files(
    real_es, tmp_path, capsys
):
    model = FactorizedEmbeddings(gene_dim=4, hidden=(8,), epochs=1, device="cpu", seed=0)
    model.fit(real_es).save(tmp_path / "m")
    out = tmp_path / "tables"
    code, _, err = _run(["export", "--model", tmp_path / "m", "--out", out], capsys)
    assert code == 0, err
    key = FactorizedEmbeddings.load(tmp_path / "m").key()
    # the dashboard's figures and CSV files name the model by its key ("FE model 3f2a9c1b0d4e"):
    # the README says which model the tables are, so that they can be joined with those files
    assert key[:12] in (out / "README.txt").read_text()


@pytest.fixture(scope="module")
def context(real_es, tmp_path_factory) -> AppContext:
    cfg = DashboardConfig(
        cache_dir=tmp_path_factory.mktemp("fe-cache"),
        settings=ModelSettings(gene_dim=4, standin=True),
        gene_layout="pca",
    )
    ctx = AppContext(real_es, cfg)
    ctx.train()
    return ctx


def _read(payload) -> pd.DataFrame:
    content = payload["content"]
    return pd.read_csv(io.StringIO(content if isinstance(content, str) else content.decode()))


def test_specific_genes_csv_says_the_scale_of_its_means(context):
    rows = list(range(0, 20))  # the first tissues' samples
    table = _read(csv_download(context, ids.EXPORT_SELECTION_GENES_CSV, None, {"rows": rows}, None))
    assert len(table) > 0
    # the page's headers say "mean value in the selected samples (<scale>)": the file too
    scale = context.value_scale() or "the scale of the data file"
    assert table["value_scale"].eq(scale).all()
    columns = list(table.columns)
    assert columns.index("value_scale") < columns.index("mean_selected")
