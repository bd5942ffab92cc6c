"""`python -m core train`: writes a loadable model; bad input is an `error:` line and exit 2."""

from __future__ import annotations

import pandas as pd
import pytest

from core.cli import main
from core.estimator import FactorizedEmbeddings


@pytest.fixture()
def small_matrix(sepira_file, tmp_path):
    """60 real samples x 30 genes of the 26-tissue GTEx set, with its tissue column."""
    table = pd.read_csv(sepira_file).iloc[:60, :32]
    path = tmp_path / "small.csv"
    table.to_csv(path, index=False)
    return path


def test_train_writes_a_model_and_never_overwrites(small_matrix, tmp_path, capsys):
    out = tmp_path / "model"
    args = ["train", "--matrix", str(small_matrix), "--out", str(out), "--epochs", "2"]
    assert main(args + ["--hidden", "16", "--gene-dim", "4"]) == 0
    model = FactorizedEmbeddings.load(out)
    assert model.sample_embedding_.shape == (60, 2)
    assert model.gene_embedding_.shape[1] == 4
    assert list(model.samples_["tissue"].unique())  # annotations travel with the model
    before = (out / "weights.pt").read_bytes()
    capsys.readouterr()
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "weights.pt").read_bytes() == before
    assert not (tmp_path / "model.partial").exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--hidden", "10,x"], "--hidden must be comma-separated integers"),
        (["--resume"], "no checkpoint"),
        (["--neighbour-weight", "-1"], "neighbour_weight must be >= 0"),
        (["--min-detection", "5"], "--min-detection must be between 0 and 1"),
        (["--top-genes", "-3"], "--top-genes must be a positive number"),
    ],
)
def test_bad_arguments_are_clear(small_matrix, tmp_path, capsys, extra, message):
    args = ["train", "--matrix", str(small_matrix), "--out", str(tmp_path / "m"), "--epochs", "1"]
    assert main(args + extra) == 2
    assert message in capsys.readouterr().err


def test_missing_file_is_an_error_line(tmp_path, capsys):
    code = main(["train", "--matrix", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "m")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "nope.csv" in err


def test_pure_objective_from_the_command_line(small_matrix, tmp_path):
    out = tmp_path / "pure"
    args = ["train", "--matrix", str(small_matrix), "--out", str(out), "--epochs", "2"]
    assert main(args + ["--hidden", "16", "--gene-dim", "4", "--neighbour-weight", "0"]) == 0
    params = FactorizedEmbeddings.load(out).get_params()
    assert params["neighbour_weight"] == 0.0 and params["reassign_until"] == 0.7
    ranked = tmp_path / "ranked"
    args = ["train", "--matrix", str(small_matrix), "--out", str(ranked), "--epochs", "2"]
    assert main(args + ["--hidden", "16", "--gene-dim", "4", "--neighbour-decay", "5"]) == 0
    assert FactorizedEmbeddings.load(ranked).train_config.neighbour_decay == 5.0
    plain = tmp_path / "plain"
    args = ["train", "--matrix", str(small_matrix), "--out", str(plain), "--epochs", "2"]
    assert main(args + ["--hidden", "16", "--gene-dim", "4", "--neighbour-space", "values"]) == 0
    assert FactorizedEmbeddings.load(plain).neighbour_space == "values"


def test_detection_filter_from_the_command_line(small_matrix, tmp_path):
    table = pd.read_csv(small_matrix)
    genes = table.select_dtypes("number")
    rate = (genes > 0).mean()
    assert 0 < (rate < 0.5).sum() < len(rate) and (rate == 0).sum() < (rate < 0.5).sum()
    out = tmp_path / "detected"
    args = ["train", "--matrix", str(small_matrix), "--out", str(out), "--epochs", "1"]
    assert main(args + ["--hidden", "8", "--gene-dim", "2", "--min-detection", "0.5"]) == 0
    model = FactorizedEmbeddings.load(out)
    assert model.gene_embedding_.shape[0] == int((rate >= 0.5).sum())


def test_resume_keeps_the_kernel_of_older_runs(tmp_path):
    import json

    from core.train_cli import _saved_params

    checkpoint = tmp_path / "checkpoint.pt"
    assert _saved_params(checkpoint) is None
    (tmp_path / "params.json").write_text(json.dumps({"neighbour_weight": 1.0, "hidden": [8]}))
    assert _saved_params(checkpoint)["neighbour_power"] == 1.0  # written before the setting
    assert _saved_params(checkpoint)["neighbour_decay"] == 0.0  # equal weights then
    assert _saved_params(checkpoint)["neighbour_space"] == "values"  # graph on the values then
    (tmp_path / "params.json").write_text(json.dumps({"neighbour_power": None, "hidden": [8]}))
    assert _saved_params(checkpoint)["neighbour_power"] is None  # automatic, resolved at fit


@pytest.fixture()
def tiny_cli_model(small_matrix, tmp_path):
    out = tmp_path / "tiny"
    args = ["train", "--matrix", str(small_matrix), "--out", str(out), "--epochs", "2"]
    assert main(args + ["--hidden", "16", "--gene-dim", "4"]) == 0
    return out


def test_embed_places_new_samples(tiny_cli_model, sepira_file, tmp_path, capsys):
    """Other real samples of the same set, placed on the map, with their nearest tissues."""
    new = pd.read_csv(sepira_file).iloc[60:90, :32]
    path = tmp_path / "new.csv"
    new.to_csv(path, index=False)
    out = tmp_path / "placed.tsv"
    args = ["embed", "--model", str(tiny_cli_model), "--matrix", str(path), "--out", str(out)]
    assert main(args) == 0
    table = pd.read_csv(out, sep="\t")
    assert list(table["sample_id"]) == list(new["sample"])
    expected = {"x", "y", "fit_error", "nearest_training_sample", "nearest_tissue"}
    assert expected | {"majority_tissue", "majority_share"} <= set(table.columns)
    trained = FactorizedEmbeddings.load(tiny_cli_model)
    assert set(table["nearest_training_sample"]) <= set(trained.sample_ids_)
    assert table["majority_share"].between(1 / 15, 1).all() and table["fit_error"].ge(0).all()
    err = capsys.readouterr().err
    assert "30 samples placed" in err and "= the samples' own tissue" in err
    before = out.read_bytes()
    assert main(args) == 2  # never overwritten without --force
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == before
    assert main([*args, "--force", "--label", "nope"]) == 2
    assert "--label nope: no such training sample annotation" in capsys.readouterr().err
    assert main(["embed", "--model", str(tiny_cli_model), "--out", str(tmp_path / "x.csv")]) == 2
    assert "needs the new samples" in capsys.readouterr().err
    assert out.read_bytes() == before and not list(tmp_path.glob(".*.tmp"))


def test_neighbours_from_the_command_line(tiny_cli_model, small_matrix, tmp_path, capsys):
    model = FactorizedEmbeddings.load(tiny_cli_model)
    gene = str(model.gene_symbols_[0])
    args = ["neighbours", "--model", str(tiny_cli_model), "--genes", gene.lower(), "--k", "3"]
    out = tmp_path / "nb.csv"
    assert main([*args, "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table["rank"]) == [1, 2, 3] and (table["gene"] == gene.lower()).all()
    assert gene not in set(table["neighbour"]) and table["distance"].is_monotonic_increasing
    assert gene.lower() in capsys.readouterr().out
    # the same model twice: the joined space is the model's, every neighbour holds in both runs
    assert main([*args, "--compare-models", str(tiny_cli_model), "--out", str(out), "--force"]) == 0
    joined = pd.read_csv(out)
    assert list(joined["neighbour"]) == list(table["neighbour"]) and (joined["runs"] == "2/2").all()
    assert main([*args[:-4], "--genes", f"{gene},NOTAGENE"]) == 2
    assert "unknown gene(s) NOTAGENE" in capsys.readouterr().err
    assert main([*args[:-2], "--k", "500"]) == 2
    assert "--k must be between 1 and" in capsys.readouterr().err
    other = tmp_path / "other"
    train = ["train", "--matrix", str(small_matrix), "--out", str(other), "--epochs", "1"]
    assert main([*train, "--hidden", "8", "--gene-dim", "2", "--top-genes", "10"]) == 0
    assert main([*args, "--compare-models", str(other)]) == 2
    assert "lacks" in capsys.readouterr().err


def test_gene_ids_with_dots_are_not_confused():
    """Only Ensembl ids lose their version: AC000061.1 and AC000061.2 are different genes."""
    from types import SimpleNamespace

    import numpy as np

    from core.embed_cli import _aligned, _gene_rows

    ids = np.array(["AC000061.1", "AC000061.2", "ENSG00000117118.9"])
    model = SimpleNamespace(gene_ids_=ids, gene_symbols_=ids, gene_embedding_=np.eye(3))
    assert _gene_rows(model, ["ac000061.2", "ENSG00000117118", "AC000061.1"]) == [1, 2, 0]
    other = SimpleNamespace(gene_ids_=ids[[2, 1, 0]], gene_embedding_=np.eye(3)[[2, 1, 0]])
    np.testing.assert_array_equal(_aligned(model, other, "o"), np.eye(3))
