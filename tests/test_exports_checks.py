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


def _saved(es, folder):
    """A one-epoch model of ``es`` saved in ``folder``/m; the model."""
    model = FactorizedEmbeddings(gene_dim=4, hidden=(8,), epochs=1, device="cpu", seed=0)
    model.fit(es).save(folder / "m")
    return model


def _exported(es, folder, capsys):
    """``python -m core export`` of a one-epoch model of ``es``: the model, the tables' folder."""
    model = _saved(es, folder)
    out = folder / "tables"
    code, _, err = _run(["export", "--model", folder / "m", "--out", out], capsys)
    assert code == 0, err
    return model, out


def test_export_readme_names_the_model_by_the_key_of_the_dashboards_files(
    real_es, tmp_path, capsys
):
    _, out = _exported(real_es, tmp_path, capsys)
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


def test_gene_tables_leave_out_a_gene_id_that_repeats_the_symbol(
    context, real_es, tmp_path, capsys
):
    """Data named by symbols alone (the GTEx matrix): the page hides the gene id column, and the
    files had it, the symbol twice."""
    from dashboard.gene_space import neighbor_tables

    assert list(real_es.gene_ids) == list(real_es.gene_symbols)
    focus = str(context.gene_symbols[0])
    rows, _, _ = neighbor_tables(context, focus, 5)
    neighbours = _read(csv_download(context, ids.EXPORT_NEIGHBORS_CSV, rows, None, focus))
    specific = _read(
        csv_download(context, ids.EXPORT_SELECTION_GENES_CSV, None, {"rows": list(range(20))}, None)
    )
    for table in (neighbours, specific):
        assert len(table) > 0 and "symbol" in table.columns
        assert not {"gene_id", "query_gene_id"} & set(table.columns), list(table.columns)
    assert set(neighbours["query"]) == {focus}
    _, out = _exported(real_es, tmp_path, capsys)
    genes = pd.read_csv(out / "genes.csv")
    assert list(genes.columns[:2]) == ["symbol", "gene_type"]
    assert "gene_id" not in (out / "README.txt").read_text()


def test_export_keeps_gene_ids_the_data_has(tmp_path, capsys):
    from core.simulate import simulate_gtex_like

    es = simulate_gtex_like(n_samples=40, n_genes=300, n_tissues=2, seed=0)
    model, out = _exported(es, tmp_path, capsys)
    genes = pd.read_csv(out / "genes.csv")
    assert list(genes.columns[:3]) == ["data", "gene_id", "symbol"]
    assert genes["gene_id"].tolist() == [str(g) for g in model.gene_ids_]


def test_report_tables_name_the_dataset_and_the_model(real_es, tmp_path, capsys):
    """The report's CSV tables said neither the data nor the model they were computed from
    (the dashboard's files and `core export`'s README do): each row says both now, in columns
    after the numbers (pandas reads them as they are)."""
    _saved(real_es, tmp_path)
    out = tmp_path / "report"
    argv = ["report", "--model", tmp_path / "m", "--out", out, "--methods", "pca", "--no-go"]
    argv += ["--classifiers", "1-NN", "--splits", "2", "--fraction", "0.3", "--k", "3"]
    code, _, err = _run(argv + ["--no-cache"], capsys)
    assert code == 0, err
    key = FactorizedEmbeddings.load(tmp_path / "m").key()
    files = sorted((out / "tables").glob("*.csv"))
    assert len(files) >= 3
    for path in files:
        table = pd.read_csv(path)
        assert list(table.columns[-2:]) == ["dataset", "model"], path.name
        assert table["dataset"].eq(real_es.name).all(), path.name
        (named,) = set(table["model"])
        assert key in named and "FactorizedEmbeddings" in named, path.name


def test_a_map_with_placed_samples_is_named_so(context, monkeypatch):
    """Exported with samples placed from an upload, the map took the plain map's name (a
    second export of the map without them replaced it, or became "(1)" beside it)."""
    from dashboard import export

    monkeypatch.setattr(context, "image_renderer", None)
    monkeypatch.setattr(export, "render_image", lambda fig, fmt, w, h, s: b"<svg></svg>")
    placed = [{"sample_id": f"mine_{i}", "x": 0.1 * i, "y": 0.0} for i in range(3)]
    view = {"color": "ann:tissue"}
    plain = export.export_figure(context, "sample-map", "svg", "screen", view)
    payload, alert = export.export_view(
        context, "sample-map", "svg", "screen", {**view, "placed": placed}
    )
    assert plain["filename"] == "sample-map_ann-tissue.svg"
    assert payload["filename"] == "sample-map_ann-tissue_placed-3.svg"
    assert "your 3 placed samples" in str(alert)


def test_selection_tables_are_named_by_the_selections_size(context):
    """Every selection's CSV was "selection.csv" (its specific genes
    "selection_specific_genes.csv"), whatever was selected, while the map's figure of it says
    ``selection-N``: two selections' files could not be told apart by name."""
    # (and by their majority tissue: the first 20 of these samples are of 4 tissues)
    for rows, label in ((list(range(20)), "mixed"), (list(range(5)), "Adipose-Tissue")):
        table = csv_download(context, ids.EXPORT_SELECTION_CSV, None, {"rows": rows}, None)
        genes = csv_download(context, ids.EXPORT_SELECTION_GENES_CSV, None, {"rows": rows}, None)
        assert table["filename"] == f"selection-{len(rows)}-{label}.csv"
        assert genes["filename"] == f"selection-{len(rows)}-{label}_specific_genes.csv"
