"""`python -m core export`: a model's sample map and gene vectors as plain tables that R or a
spreadsheet reads, with the annotations beside them; simulated data said as such; nothing
replaced without --force, and never a directory that is not an earlier export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.estimator import FactorizedEmbeddings
from tests.cli_run import run_cli as _run


def _fit(es, path):
    model = FactorizedEmbeddings(gene_dim=4, hidden=(8,), epochs=1, device="cpu", seed=0)
    return model.fit(es).save(path)


@pytest.fixture(scope="module")
def real_model(sepira_file, tmp_path_factory):
    """A one-epoch model of 130 real GTEx samples (26 tissues) x 40 genes."""
    from core.data import load_table

    es = load_table(sepira_file)
    es = es.subset(samples=np.arange(0, es.n_samples, 4), genes=np.arange(40))
    return _fit(es, tmp_path_factory.mktemp("models") / "real")


@pytest.fixture(scope="module")
def sim_model(tmp_path_factory):
    from core.simulate import simulate_gtex_like

    es = simulate_gtex_like(n_samples=60, n_genes=300, n_tissues=3, seed=0)
    return _fit(es, tmp_path_factory.mktemp("models") / "sim")


def test_tables_hold_the_models_coordinates_annotations_and_vectors(real_model, tmp_path, capsys):
    out = tmp_path / "tables"
    code, _, err = _run(["export", "--model", real_model, "--out", out], capsys)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["README.txt", "genes.csv", "samples.csv"]
    model = FactorizedEmbeddings.load(real_model)
    samples = pd.read_csv(out / "samples.csv")
    assert list(samples.columns[:3]) == ["sample_id", "x", "y"] and "tissue" in samples.columns
    assert samples["sample_id"].tolist() == model.sample_ids_.tolist()
    np.testing.assert_allclose(samples[["x", "y"]], model.sample_embedding_, rtol=1e-5, atol=1e-6)
    assert samples["tissue"].nunique() == 26
    assert samples["tissue"].tolist() == model.samples_["tissue"].tolist()
    genes = pd.read_csv(out / "genes.csv")
    # the GTEx matrix names genes by symbol alone: no gene_id column repeating it
    assert list(genes.columns) == ["symbol", "gene_type", "g1", "g2", "g3", "g4"]
    assert genes["symbol"].tolist() == model.gene_symbols_.tolist()
    np.testing.assert_allclose(genes[["g1", "g2", "g3", "g4"]], model.gene_embedding_, rtol=1e-5)
    assert "protein-coding" in set(genes["gene_type"])
    readme = (out / "README.txt").read_text()
    assert "130 samples x 40 genes" in readme and "g1..g4" in readme
    assert "SIMULATED" not in readme and "data" not in samples.columns
    assert "130 samples" in err and "40 genes" in err


def test_counts_are_written_with_thousands_separators():
    """GTEx-sized counts read 16,877, not 16877, in README.txt and in the closing line."""
    from types import SimpleNamespace

    from core.export_cli import _readme, _written_text

    model = SimpleNamespace(
        dataset_name_="GTEx",
        n_samples_=16877,
        n_genes_=56200,
        n_epochs_=3,
        gene_embedding_=np.zeros((2, 50)),
    )
    readme = _readme(model, "models/gtex", False, True, ",")
    assert "(16,877 samples x 56,200 genes)" in readme
    line = _written_text(Path("tables"), "csv", 16877, (56200, 50), False)
    assert "16,877 samples" in line and "56,200 genes" in line and "README.txt" in line


def test_tab_separated_without_gene_types(real_model, tmp_path, capsys):
    out = tmp_path / "tsv"
    args = ["export", "--model", real_model, "--out", out, "--format", "tsv", "--no-gene-types"]
    assert _run(args, capsys)[0] == 0
    genes = pd.read_csv(out / "genes.tsv", sep="\t")
    assert "gene_type" not in genes.columns and genes.shape == (40, 5)  # symbol, g1..g4
    assert pd.read_csv(out / "samples.tsv", sep="\t").shape[0] == 130


def test_simulated_model_says_so_in_every_file(sim_model, tmp_path, capsys):
    out = tmp_path / "sim"
    code, _, err = _run(["export", "--model", sim_model, "--out", out], capsys)
    assert code == 0, err
    for name in ("samples.csv", "genes.csv"):
        table = pd.read_csv(out / name)
        assert table.columns[0] == "data" and set(table["data"]) == {"SIMULATED"}
    assert (out / "README.txt").read_text().startswith("SIMULATED DATA")
    assert "SIMULATED" in err


def test_nothing_replaced_without_force_and_never_a_foreign_directory(real_model, tmp_path, capsys):
    out = tmp_path / "tables"
    assert _run(["export", "--model", real_model, "--out", out], capsys)[0] == 0
    before = (out / "samples.csv").read_bytes()
    code, _, err = _run(["export", "--model", real_model, "--out", out], capsys)
    assert code == 2 and "already exists" in err and "--force" in err
    assert (out / "samples.csv").read_bytes() == before
    # --force replaces an earlier export as a whole (tsv now: no csv left behind)
    args = ["export", "--model", real_model, "--out", out, "--force", "--format", "tsv"]
    assert _run(args, capsys)[0] == 0
    assert sorted(p.name for p in out.iterdir()) == ["README.txt", "genes.tsv", "samples.tsv"]
    # a directory with other work in it is never replaced, even with --force
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes")
    code, _, err = _run(["export", "--model", real_model, "--out", mine, "--force"], capsys)
    assert code == 2 and "not an export directory" in err and "notes.txt" in err
    assert (mine / "notes.txt").read_text() == "my notes"


def test_bad_model_and_out_are_named(real_model, tmp_path, capsys):
    code, _, err = _run(["export", "--model", tmp_path / "nope", "--out", tmp_path / "o"], capsys)
    assert code == 2 and "no such model directory" in err and "Traceback" not in err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = _run(["export", "--model", real_model, "--out", blocker / "o"], capsys)
    assert code == 2 and "is a file, not a folder" in err
    code, _, err = _run(["export", "--model", real_model, "--out", blocker], capsys)
    assert code == 2 and "not a directory" in err
    assert not (tmp_path / "o").exists()


def test_neighbours_and_placements_of_a_simulated_model_say_so(
    sim_model, real_model, sepira_file, tmp_path, capsys
):
    """export, evaluate and report marked a simulated model's tables; neighbours and embed did
    not, and a neighbour list pasted from their files looked like a finding."""
    from core.simulate import simulate_gtex_like

    model = FactorizedEmbeddings.load(sim_model)
    gene = str(model.gene_symbols_[0])
    args = ["neighbours", "--model", sim_model, "--genes", gene, "--k", "2"]
    code, out, err = _run([*args, "--out", tmp_path / "nb.tsv"], capsys)
    assert code == 0, err
    assert "SIMULATED data" in err and out.split()[0] == "data" and "SIMULATED" in out
    table = pd.read_csv(tmp_path / "nb.tsv", sep="\t")
    assert table.columns[0] == "data" and set(table["data"]) == {"SIMULATED"}
    new = simulate_gtex_like(n_samples=60, n_genes=300, n_tissues=3, seed=0)
    frame = pd.DataFrame(new.values[:5], columns=new.gene_ids)
    frame.insert(0, "sample", [f"new{i}" for i in range(5)])
    frame.to_csv(tmp_path / "new.csv", index=False)
    args = ["embed", "--model", sim_model, "--matrix", tmp_path / "new.csv", "--transform", "none"]
    code, _, err = _run([*args, "--out", tmp_path / "placed.csv"], capsys)
    assert code == 0, err
    placed = pd.read_csv(tmp_path / "placed.csv")
    assert placed.columns[0] == "data" and set(placed["data"]) == {"SIMULATED"}
    assert "SIMULATED data: 5 samples placed" in err
    # a real model's tables carry no such column
    real = FactorizedEmbeddings.load(real_model)
    args = ["neighbours", "--model", real_model, "--genes", str(real.gene_symbols_[0])]
    code, out, err = _run([*args, "--k", "2"], capsys)
    assert code == 0 and "SIMULATED" not in out + err and out.split()[0] == "gene"
    rows = pd.read_csv(sepira_file).iloc[:3]
    rows.to_csv(tmp_path / "real.csv", index=False)
    args = ["embed", "--model", real_model, "--matrix", tmp_path / "real.csv"]
    code, _, err = _run([*args, "--out", tmp_path / "real_placed.csv"], capsys)
    assert code == 0, err
    placed = pd.read_csv(tmp_path / "real_placed.csv")
    assert placed.columns[0] == "sample_id" and "SIMULATED" not in err


def test_h5ad_holds_the_tables_map_annotations_and_gene_vectors(real_model, tmp_path, capsys):
    """scanpy users get one AnnData file: the samples in obs with their map in obsm["X_fe"]
    (scanpy's basis "fe"), the genes in var with their vectors in varm; X stays empty."""
    import anndata

    assert _run(["export", "--model", real_model, "--out", tmp_path / "csv"], capsys)[0] == 0
    out = tmp_path / "h5ad"
    code, _, err = _run(["export", "--model", real_model, "--out", out, "--format", "h5ad"], capsys)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["README.txt", "factorized_embeddings.h5ad"]
    adata = anndata.read_h5ad(out / "factorized_embeddings.h5ad")
    model = FactorizedEmbeddings.load(real_model)
    samples = pd.read_csv(tmp_path / "csv" / "samples.csv")
    genes = pd.read_csv(tmp_path / "csv" / "genes.csv")
    assert adata.shape == (130, 40) and adata.X is None
    assert adata.obs_names.tolist() == model.sample_ids_.tolist() == samples["sample_id"].tolist()
    assert adata.obsm["X_fe"].dtype == np.float32 and adata.obsm["X_fe"].shape == (130, 2)
    np.testing.assert_allclose(adata.obsm["X_fe"], samples[["x", "y"]], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(adata.obsm["X_fe"], model.sample_embedding_)
    annotations = [c for c in samples.columns if c not in ("sample_id", "x", "y")]
    assert "tissue" in annotations and list(adata.obs.columns) == annotations
    assert adata.obs["tissue"].astype(str).tolist() == samples["tissue"].tolist()
    assert adata.var_names.tolist() == genes["symbol"].tolist()
    assert adata.var["symbol"].tolist() == genes["symbol"].tolist()
    assert adata.var["gene_type"].astype(str).tolist() == genes["gene_type"].tolist()
    vectors = adata.varm["FE_genes"]
    np.testing.assert_allclose(vectors, genes[["g1", "g2", "g3", "g4"]], rtol=1e-5, atol=1e-6)
    about = adata.uns["factorized_embeddings"]
    assert about["key"] == model.key() and about["simulated"] is False
    assert about["n_samples"] == 130 and about["settings"]["gene_dim"] == 4
    assert "X" in about["contents"] and "data" not in adata.obs.columns
    readme = (out / "README.txt").read_text()
    assert 'obsm["X_fe"]' in readme and "X is empty" in readme
    assert "130 samples x 40 genes" in readme
    assert "SIMULATED" not in readme
    assert "factorized_embeddings.h5ad" in err and "130 samples" in err and "40 genes" in err


def test_h5ad_of_a_simulated_model_is_marked_and_keeps_the_gene_ids(sim_model, tmp_path, capsys):
    import anndata

    out = tmp_path / "sim"
    code, _, err = _run(["export", "--model", sim_model, "--out", out, "--format", "h5ad"], capsys)
    assert code == 0, err
    adata = anndata.read_h5ad(out / "factorized_embeddings.h5ad")
    assert set(adata.obs["data"]) == {"SIMULATED"} and set(adata.var["data"]) == {"SIMULATED"}
    assert adata.uns["factorized_embeddings"]["simulated"] is True
    assert (out / "README.txt").read_text().startswith("SIMULATED DATA")
    assert "SIMULATED" in err
    model = FactorizedEmbeddings.load(sim_model)
    # the simulated genes have Ensembl ids beside their symbols: var_names are the ids
    assert adata.var_names.tolist() == [str(g) for g in model.gene_ids_]
    assert adata.var["symbol"].tolist() == [str(s) for s in model.gene_symbols_]
    assert adata.var_names.tolist() != adata.var["symbol"].tolist()
    np.testing.assert_array_equal(adata.varm["FE_genes"], model.gene_embedding_)


def test_h5ad_replaces_an_export_only_with_force_and_in_one_step(
    real_model, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "export"
    h5ad = ["export", "--model", real_model, "--out", out, "--format", "h5ad"]
    assert _run(h5ad, capsys)[0] == 0
    before = (out / "factorized_embeddings.h5ad").read_bytes()
    code, _, err = _run(h5ad, capsys)
    assert code == 2 and "already exists" in err and "--force" in err
    assert (out / "factorized_embeddings.h5ad").read_bytes() == before
    # --force replaces the export as a whole, between formats either way
    assert _run(["export", "--model", real_model, "--out", out, "--force"], capsys)[0] == 0
    assert sorted(p.name for p in out.iterdir()) == ["README.txt", "genes.csv", "samples.csv"]
    assert _run([*h5ad, "--force"], capsys)[0] == 0
    assert sorted(p.name for p in out.iterdir()) == ["README.txt", "factorized_embeddings.h5ad"]
    before = (out / "factorized_embeddings.h5ad").read_bytes()
    # a file anndata cannot write is a one-line error; the earlier export stays whole
    import anndata

    def refuse(self, path, **kwargs):
        raise TypeError("cannot store this value")

    monkeypatch.setattr(anndata.AnnData, "write_h5ad", refuse)
    code, _, err = _run([*h5ad, "--force"], capsys)
    assert code == 2 and "cannot write factorized_embeddings.h5ad" in err
    assert "cannot store this value" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]
    assert (out / "factorized_embeddings.h5ad").read_bytes() == before


def test_h5ad_onto_a_disk_without_room_is_refused_before_any_file_is_opened(
    real_model, tmp_path, capsys, monkeypatch
):
    """A nearly full disk crashed h5py half-way through the file (a segmentation fault, 88 lines
    of tracebacks, a temporary folder left behind): the room is checked first."""
    import shutil
    from collections import namedtuple

    import anndata

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**6, 10**6 - 81920, 81920))

    def opened(self, path, **kwargs):
        raise AssertionError("the file was opened")

    monkeypatch.setattr(anndata.AnnData, "write_h5ad", opened)
    out = tmp_path / "deep" / "h5ad"
    code, _, err = _run(["export", "--model", real_model, "--out", out, "--format", "h5ad"], capsys)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"not enough room in {tmp_path}" in err and "80 KB free" in err
    assert "factorized_embeddings.h5ad needs about" in err and " MB" in err
    assert list(tmp_path.iterdir()) == []  # (not even the folder --out was to be in)


@pytest.mark.parametrize("code", [28, None])
def test_h5ad_write_failure_is_one_line_and_leaves_no_temporary_folder(
    real_model, tmp_path, capsys, monkeypatch, code
):
    """h5py's report of a full disk ran over two lines with the time, the buffer address and
    the file descriptor of the failed write; the errno's words say it (with or without errno)."""
    import anndata

    report = (
        "Can't close file (file write failed: time = Mon Dec  7 18:06:19 2026\n, filename = "
        "'factorized_embeddings.h5ad', file descriptor = 3, errno = 28, error message = "
        "'No space left on device', buf = 0x5649417f3508, total write size = 96, offset = 0)"
    )

    def full(self, path, **kwargs):
        Path(path).write_bytes(b"partial")
        raise OSError(code, report) if code else OSError(report)

    monkeypatch.setattr(anndata.AnnData, "write_h5ad", full)
    out = tmp_path / "h5ad"
    status, _, err = _run(
        ["export", "--model", real_model, "--out", out, "--format", "h5ad"], capsys
    )
    assert status == 2
    assert len(err.strip().splitlines()) == 1, err
    assert f"cannot write the export to {out}" in err
    assert "No space left on device (writing factorized_embeddings.h5ad)" in err
    assert "time =" not in err and "buf =" not in err
    assert list(tmp_path.iterdir()) == []


def test_h5ad_keeps_whole_number_annotations_with_missing_values_integer(
    real_model, tmp_path, capsys
):
    """GTEx's DTHHRDY (a code, 0 to 4, missing for some donors) was 4.0 in obs, a float, where
    samples.csv says 4: it is a nullable integer, its missing values kept missing."""
    import anndata

    model = FactorizedEmbeddings.load(real_model)
    n = model.n_samples_
    codes = np.arange(n, dtype=np.float64) % 5
    codes[::7] = np.nan  # (read from a file with blanks: pandas holds them as floats)
    model.samples_ = model.samples_.assign(DTHHRDY=codes, SMRIN=np.linspace(5.5, 9.5, n))
    model.save(tmp_path / "model")
    for fmt in ("csv", "h5ad"):
        args = ["export", "--model", tmp_path / "model", "--out", tmp_path / fmt]
        assert _run([*args, "--format", fmt], capsys)[0] == 0
    csv = pd.read_csv(tmp_path / "csv" / "samples.csv", dtype=str, keep_default_na=False)
    adata = anndata.read_h5ad(tmp_path / "h5ad" / "factorized_embeddings.h5ad")
    column = adata.obs["DTHHRDY"]
    assert column.dtype == "Int64", column.dtype
    assert column.isna().tolist() == np.isnan(codes).tolist()
    assert column.astype(object).where(column.notna(), None).tolist() == [
        None if np.isnan(c) else int(c) for c in codes
    ]
    # as samples.csv writes them: 4, not 4.0
    shown = column.astype(str).replace("<NA>", "").tolist()
    assert shown == csv["DTHHRDY"].tolist() and "4" in shown
    # a column of other numbers stays a float
    assert adata.obs["SMRIN"].dtype == np.float64
