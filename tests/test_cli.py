"""`python -m core train`: writes a loadable model; bad input is an `error:` line and exit 2."""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import shutil

import numpy as np
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
    # annotations travel with the model
    assert model.samples_["tissue"].tolist() == pd.read_csv(small_matrix)["tissue"].tolist()
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
        (["--hidden", "100,,50"], "--hidden must be comma-separated integers"),
        (["--hidden", ""], "--hidden needs at least one width"),
        (["--resume"], "no checkpoint"),
        (["--neighbour-weight", "-1"], "--neighbour-weight must be >= 0"),
        (["--min-detection", "5"], "--min-detection must be between 0 and 1"),
        (["--top-genes", "-3"], "--top-genes must be a positive number"),
        (["--top-genes", "0"], "--top-genes must be a positive number"),
        (["--seed", "-1"], "--seed must be >= 0"),
        (["--exclude-tissues", "Brain"], "--exclude-tissues works with the GTEx files"),
        (["--gtex-attributes", "attrs.txt"], "--gtex-attributes works with --gtex-gct"),
        (["--gtex-phenotypes", "ph.txt"], "--gtex-phenotypes works with --gtex-gct"),
    ],
)
def test_bad_arguments_are_clear(small_matrix, tmp_path, capsys, extra, message):
    args = ["train", "--matrix", str(small_matrix), "--out", str(tmp_path / "m"), "--epochs", "1"]
    assert main(args + extra) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "m").exists() and not (tmp_path / "m.partial").exists()


def test_missing_file_is_an_error_line(tmp_path, capsys):
    code = main(["train", "--matrix", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "m")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "nope.csv" in err


def test_pure_objective_from_the_command_line(small_matrix, tmp_path):
    out = tmp_path / "pure"
    args = ["train", "--matrix", str(small_matrix), "--out", str(out), "--epochs", "2"]
    assert main(args + ["--hidden", "16", "--gene-dim", "4", "--neighbour-weight", "0"]) == 0
    model = FactorizedEmbeddings.load(out)
    params = model.get_params()
    assert params["neighbour_weight"] == 0.0 and model.train_config.reassign_until == 0.7
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
    # 3 tissues trained on: the majority of 15 neighbours is at least 5 of them
    assert table["majority_share"].between(1 / 3 - 1e-6, 1).all()
    assert set(table["majority_tissue"]) <= set(trained.samples_["tissue"])
    # the samples' own tissue beside the map's majority (the new table's annotation column)
    assert list(table["tissue"]) == list(new["tissue"])
    assert list(table.columns).index("tissue") > list(table.columns).index("majority_share")
    err = capsys.readouterr().err
    # the summary quotes the table's own fit errors
    median = re.search(r"median fit error ([0-9.]+)", err)
    assert median and float(median.group(1)) == pytest.approx(table["fit_error"].median(), 0.01)
    # beside it the model's training fit error, said as what it is (it read "the model's
    # training samples", as if a median over them)
    trained_error = f"{trained.history_[-1]:.3g}"
    assert f"(the model's training fit error, the mean of its last epoch: {trained_error})" in err
    assert "30 samples placed" in err
    # the new samples are of tissues the 3 trained on lack: no agreement to measure, said so
    # (test_cli_commands checks the line with a share)
    lacking = sorted(set(new["tissue"]) - set(trained.samples_["tissue"]))
    assert (
        "the majority tissue of the 15 nearest training samples is not measured: 30 of the 30 "
        f"labelled samples are of tissue {', '.join(lacking)}, which no training sample has"
    ) in err, err
    assert "fit the model far worse" not in err  # same units as the training data
    # values in other units (here x 10): placed, with a warning naming the likely cause
    scaled = new.copy()
    genes = scaled.select_dtypes("number").columns
    scaled[genes] = scaled[genes] * 10
    scaled.to_csv(tmp_path / "scaled.csv", index=False)
    wrong = ["embed", "--model", str(tiny_cli_model), "--matrix", str(tmp_path / "scaled.csv")]
    assert main([*wrong, "--out", str(tmp_path / "scaled_placed.csv")]) == 0
    assert "fit the model far worse than its training samples" in capsys.readouterr().err
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
    assert list(table["rank"]) == [1, 2, 3] and (table["gene"] == gene).all()  # model's name
    assert gene not in set(table["neighbour"]) and table["distance"].is_monotonic_increasing
    assert gene in capsys.readouterr().out
    # a gene asked twice is listed once
    assert main([*args, "--genes", f"{gene},{gene.lower()}", "--out", str(out), "--force"]) == 0
    assert list(pd.read_csv(out)["gene"]) == [gene] * 3
    # the same model twice would count one run as two: refused
    assert main([*args, "--compare-models", str(tiny_cli_model), "--out", str(out), "--force"]) == 2
    assert "is the same run as --model" in capsys.readouterr().err
    # a gene the model lacks: left out, with a warning, the others listed; none known: refused
    assert main([*args[:-4], "--genes", f"NOTAGENE,{gene}", "--k", "3"]) == 0
    captured = capsys.readouterr()
    # the names first (they came last, after the hints), then why
    assert "warning: NOTAGENE left out: not among the model's" in captured.err
    # what the distances are, said above the table (on stderr: the table stays parseable)
    assert f"the 3 genes nearest to {gene} in the gene space of" in captured.err
    assert "cosine distance between gene vectors, 0 = same direction" in captured.err
    assert "NOTAGENE" in captured.err and captured.out.count(gene) >= 3
    assert main([*args[:-4], "--genes", "NOTAGENE,NOPE2"]) == 2
    assert "unknown gene(s) NOTAGENE, NOPE2" in capsys.readouterr().err
    # thousands of unknown names: counted, ten named (a 34 KB line before)
    many = ",".join(f"NOGENE{i}" for i in range(5000))
    assert main([*args[:-4], "--genes", f"{many},{gene}", "--k", "3"]) == 0
    err = capsys.readouterr().err
    assert "5,000 of them: NOGENE0, NOGENE1" in err and "NOGENE10," not in err
    assert len(err) < 3000, len(err)
    assert main([*args[:-2], "--k", "500"]) == 2
    assert "--k must be between 1 and" in capsys.readouterr().err
    other = tmp_path / "other"
    train = ["train", "--matrix", str(small_matrix), "--out", str(other), "--epochs", "1"]
    assert main([*train, "--hidden", "8", "--gene-dim", "2", "--top-genes", "10"]) == 0
    assert main([*args, "--compare-models", str(other)]) == 2
    assert "lacks" in capsys.readouterr().err
    # the same genes, other samples: refused as report refuses it
    fewer = tmp_path / "fewer.csv"
    pd.read_csv(small_matrix).iloc[:50].to_csv(fewer, index=False)
    moved = tmp_path / "moved"
    train = ["train", "--matrix", str(fewer), "--out", str(moved), "--epochs", "1"]
    assert main([*train, "--hidden", "16", "--gene-dim", "4"]) == 0
    assert main([*args, "--compare-models", str(moved)]) == 2
    assert "trained on other data than --model" in capsys.readouterr().err


def test_gene_ids_with_dots_are_not_confused():
    """Only Ensembl ids lose their version: AC000061.1 and AC000061.2 are different genes."""
    from types import SimpleNamespace

    import numpy as np

    from core.embed_cli import _aligned, _gene_rows

    ids = np.array(["AC000061.1", "AC000061.2", "ENSG00000117118.9"])
    model = SimpleNamespace(gene_ids_=ids, gene_symbols_=ids, gene_embedding_=np.eye(3))
    rows, found = _gene_rows(model, ["ac000061.2", "ENSG00000117118", "AC000061.1"])
    assert rows == [1, 2, 0] and found == ["ac000061.2", "ENSG00000117118", "AC000061.1"]
    other = SimpleNamespace(gene_ids_=ids[[2, 1, 0]], gene_embedding_=np.eye(3)[[2, 1, 0]])
    np.testing.assert_array_equal(_aligned(model, other, "o"), np.eye(3))


# ----------------------------------------------------------------------------- mistakes users make
def _run(args, capsys):
    """Exit status and stderr of ``python -m core ARGS``."""
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def test_force_never_replaces_a_folder_of_other_files(small_matrix, tmp_path, capsys):
    results = tmp_path / "results"
    results.mkdir()
    (results / "notes.txt").write_text("three weeks of notes")
    train = ["train", "--matrix", small_matrix, "--out", results, "--epochs", "1", "--hidden", "8"]
    for flag in ("--force", "--resume"):
        code, err = _run([*train, flag], capsys)
        assert code == 2 and ("not a model directory" in err or "no checkpoint" in err)
    assert (results / "notes.txt").read_text() == "three weeks of notes"
    assert sorted(p.name for p in results.iterdir()) == ["notes.txt"]
    code, err = _run(["train", "--matrix", small_matrix, "--out", small_matrix / "m"], capsys)
    assert code == 2 and "is a file, not a folder" in err


def test_failed_training_leaves_no_stray_folder(sepira_file, tmp_path, capsys):
    """One sample, or a sample without any value: an error line, no ``.partial`` folder."""
    table = pd.read_csv(sepira_file).iloc[:20, :12]
    table.iloc[:1].to_csv(tmp_path / "one.csv", index=False)
    code, err = _run(["train", "--matrix", tmp_path / "one.csv", "--out", tmp_path / "m"], capsys)
    assert code == 2 and "1 sample to train on; a map of samples needs at least 2" in err
    assert not (tmp_path / "m.partial").exists()
    table.iloc[4, 2:] = float("nan")
    table.to_csv(tmp_path / "nan.csv", index=False)
    code, err = _run(["train", "--matrix", tmp_path / "nan.csv", "--out", tmp_path / "m"], capsys)
    assert code == 2 and "1 sample(s) have no value for any of the 10 genes kept" in err
    assert table["sample"][4] in err and not (tmp_path / "m.partial").exists()


def test_resume_refuses_other_data(small_matrix, sepira_file, tmp_path, capsys):
    """A checkpoint continued with another matrix: an error line, the checkpoint kept."""
    import json

    from core.data import load_table

    partial = tmp_path / "m.partial"
    es = load_table(small_matrix)
    model = FactorizedEmbeddings(gene_dim=2, hidden=(8,), epochs=1, device="cpu")
    model.fit(es, checkpoint=partial / "checkpoint.pt")  # as an interrupted run leaves it
    (partial / "params.json").write_text(json.dumps(model.get_params()))
    before = (partial / "checkpoint.pt").read_bytes()
    other = pd.read_csv(sepira_file).iloc[100:150, :42]
    other.to_csv(tmp_path / "other.csv", index=False)
    resume = ["train", "--out", tmp_path / "m", "--resume", "--epochs", "2"]
    code, err = _run([*resume, "--matrix", tmp_path / "other.csv"], capsys)
    assert code == 2 and "trained on other data (60 samples x 30 genes)" in err
    # the same shape, other values: the data record beside the checkpoint tells them apart
    record = {"n_samples": 60, "n_genes": 30, "fingerprint": "0" * 32}
    (partial / "data.json").write_text(json.dumps(record))
    code, err = _run([*resume, "--matrix", small_matrix], capsys)
    assert code == 2 and "other values of the same shape (60 samples x 30 genes)" in err
    assert "Traceback" not in err
    (partial / "params.json").write_text("{")
    code, err = _run([*resume, "--matrix", small_matrix], capsys)
    assert code == 2 and "params.json is unreadable" in err
    assert "with --force instead of --resume to discard it and start afresh" in err
    assert (partial / "checkpoint.pt").read_bytes() == before and not (tmp_path / "m").exists()


def test_damaged_model_directory_is_an_error_line(tiny_cli_model, tmp_path, capsys):
    import shutil

    for name, damage in (("arrays.npz", b"PK\x03\x04"), ("samples.parquet", b"PAR1")):
        broken = tmp_path / f"broken_{name}"
        shutil.copytree(tiny_cli_model, broken)
        (broken / name).write_bytes(damage)
        code, err = _run(["neighbours", "--model", broken, "--genes", "TBX4", "--k", "2"], capsys)
        assert code == 2 and "damaged or incomplete model directory" in err, name
        code, err = _run(
            [
                "neighbours",
                "--model",
                tiny_cli_model,
                "--genes",
                "TBX4",
                "--compare-models",
                broken,
            ],
            capsys,
        )
        assert code == 2 and f"--compare-models {broken}: damaged" in err
    broken = tmp_path / "no_params"
    shutil.copytree(tiny_cli_model, broken)
    (broken / "config.json").write_text('{"format_version": 1}')
    code, err = _run(["neighbours", "--model", broken, "--genes", "TBX4"], capsys)
    assert code == 2 and "missing entry 'params'" in err


def test_neighbours_of_a_one_gene_model(small_matrix, tmp_path, capsys):
    out = tmp_path / "one_gene"
    train = ["train", "--matrix", small_matrix, "--out", out, "--epochs", "1", "--hidden", "8"]
    assert main([str(a) for a in [*train, "--gene-dim", "2", "--top-genes", "1"]]) == 0
    gene = str(FactorizedEmbeddings.load(out).gene_symbols_[0])
    code, err = _run(["neighbours", "--model", out, "--genes", gene, "--k", "1"], capsys)
    assert code == 2 and "has 1 gene: no gene neighbours" in err


EVALUATE = ["--methods", "pca", "--classifiers", "1-NN", "--splits", "2", "--no-cache"]


def test_evaluate_never_overwrites_and_checks_first(tiny_cli_model, tmp_path, capsys):
    out = tmp_path / "eval.json"
    args = ["evaluate", "--model", tiny_cli_model, "--out", out, "--fraction", "0.3", *EVALUATE]
    assert main([str(a) for a in args]) == 0
    before = out.read_bytes(), out.with_suffix(".md").read_bytes()
    code, err = _run(args, capsys)
    assert code == 2 and "already exists" in err
    assert (out.read_bytes(), out.with_suffix(".md").read_bytes()) == before
    assert main([str(a) for a in [*args, "--force"]]) == 0
    assert not list(tmp_path.glob(".*.tmp"))
    for extra, message in (
        (["--seed", "-1"], "--seed must be an integer in [0, 2**32)"),
        (["--seed", "5000000000"], "--seed must be an integer in [0, 2**32)"),  # a traceback
        (["--splits", "100000000"], "--splits must be 1 to 1,000, got 100,000,000"),  # ran on
        (["--out", tmp_path / "eval.json" / "x.json"], "is a file, not a folder"),
    ):
        code, err = _run([*args, "--force", *extra], capsys)
        assert code == 2 and message in err and "Traceback" not in err
    # report: the flags of its Table 1 are checked before any map is computed
    report = ["report", "--model", tmp_path / "nope", "--out", tmp_path / "r", "--no-go"]
    for extra, message in ((["--fraction", "0"], "--fraction"), (["--splits", "0"], "--splits")):
        code, err = _run([*report, *extra], capsys)
        assert code == 2 and message in err


def test_evaluate_writes_json_others_read_and_takes_a_repeated_classifier_once(
    tiny_cli_model, tmp_path, capsys
):
    """One split wrote ``"sd": NaN`` (not JSON: other tools refused the file), and
    ``--classifiers 1-NN,1-nn`` crashed with a traceback once every map was computed."""
    out = tmp_path / "one.json"
    args = ["evaluate", "--model", tiny_cli_model, "--out", out, "--fraction", "0.3"]
    args += ["--methods", "pca", "--classifiers", "1-NN,1-nn", "--splits", "1", "--no-cache"]
    code, err = _run(args, capsys)
    assert code == 0 and "Traceback" not in err, err
    text = out.read_text()
    result = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
    assert "NaN" not in text and "null" in text  # the interval of one split: none
    assert text.count('"1-NN"') >= 1 and "1-nn" not in text
    markdown = out.with_suffix(".md").read_text()
    assert "nan" not in markdown.lower(), markdown
    assert "the accuracy on 1 random split (seed" in markdown and "mean ± sd" not in markdown
    assert markdown.count("| 1-NN |") == 2, markdown  # once in Table 1, once split by split
    assert result


def test_report_k_beyond_the_genes_and_a_tiny_fraction_are_said(
    tiny_cli_model, sepira_file, tmp_path, capsys
):
    """``report --k 1000`` on a 30-gene model ended "successfully" with a section saying there
    were no neighbourhoods; a tiny --fraction was said as "fraction=0.0001"."""
    report = ["report", "--model", tiny_cli_model, "--out", tmp_path / "r", "--no-go", *EVALUATE]
    code, err = _run([*report, "--k", "1000"], capsys)
    assert code == 2 and "--k 1000: the model has 30 genes" in err, err
    assert not (tmp_path / "r").exists()
    out = tmp_path / "e.json"
    evaluate = ["evaluate", "--model", tiny_cli_model, "--out", out, *EVALUATE]
    code, err = _run([*evaluate, "--fraction", "0.0001"], capsys)
    assert code == 2 and "--fraction 0.0001 of the 60 labelled samples leaves 0" in err, err
    # the default --k on a model of 4 genes: the report is written, and says why no gene space
    if not (shutil.which("chromium") or os.environ.get("BROWSER_PATH")):
        pytest.skip("the report's figures need Chromium")
    few = tmp_path / "four.csv"
    pd.read_csv(sepira_file).iloc[:60, :6].to_csv(few, index=False)
    model = tmp_path / "four"
    train = ["train", "--matrix", few, "--out", model, "--epochs", "1", "--hidden", "8"]
    assert _run(train, capsys)[0] == 0
    one_split = [*EVALUATE[:-2], "1", "--no-cache"]  # with --splits 1: no "mean ± sd"
    report = ["report", "--model", model, "--out", tmp_path / "r4", "--no-go", *one_split]
    code, err = _run(report, capsys)
    assert code == 0, err
    page = (tmp_path / "r4" / "index.html").read_text()
    assert "Only 4 genes: no neighbourhoods to compare" in page
    assert "over 1 random split (seed" in page and "mean ± sd" not in page, page


def test_report_never_replaces_other_files(tiny_cli_model, tmp_path, capsys):
    from core.files import replace_dir

    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "index.html").write_text("an old report")
    report = ["report", "--model", tiny_cli_model, "--out", folder, "--no-go", *EVALUATE]
    code, err = _run(report, capsys)
    assert code == 2 and "already exists" in err
    (folder / "notes.txt").write_text("mine")
    code, err = _run([*report, "--force"], capsys)
    assert code == 2 and "it also holds notes.txt" in err
    assert (folder / "notes.txt").read_text() == "mine"
    new = tmp_path / "new"
    (new / "figures").mkdir(parents=True)
    (new / "index.html").write_text("a new report")
    (folder / "notes.txt").unlink()
    replace_dir(new, folder)  # how a finished report takes the place of the old one
    assert (folder / "index.html").read_text() == "a new report" and not new.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "small.csv", "tiny"]


def test_evaluate_labels_and_changed_training_data(sepira_file, tmp_path, capsys):
    table = pd.read_csv(sepira_file).iloc[:40, :22]  # Adipose Tissue and Adrenal Gland
    path = tmp_path / "data.csv"
    table.to_csv(path, index=False)
    notes = pd.DataFrame({"sample": table["sample"], "batch": "b1"})  # one class
    notes["rin"] = [6.0 + i / 10 for i in range(40)]  # a measurement: a class per sample
    notes.to_csv(tmp_path / "notes.csv", index=False)
    model = tmp_path / "m"
    train = ["train", "--matrix", path, "--annotations", tmp_path / "notes.csv", "--out", model]
    train += ["--epochs", "1", "--hidden", "8", "--gene-dim", "2"]
    assert main([str(a) for a in train]) == 0
    args = ["evaluate", "--model", model, "--out", tmp_path / "e.json", *EVALUATE]
    for label, message in (("batch", "has 1 class"), ("rin", "40 classes for 40 labelled")):
        code, err = _run([*args, "--fraction", "0.3", "--label", label], capsys)
        assert code == 2 and message in err
    table.iloc[:, 5] += 1.0  # the training file edited after training
    table.to_csv(path, index=False)
    code, err = _run([*args, "--fraction", "0.3"], capsys)
    assert code == 2 and "has other values now than when the model was trained" in err
    path.unlink()
    code, err = _run([*args, "--fraction", "0.3"], capsys)
    assert code == 2 and "cannot re-load the data it was trained on: matrix file not found" in err
    assert not (tmp_path / "e.json").exists()


def test_evaluate_says_how_the_baselines_read_missing_values(small_matrix, tmp_path, capsys):
    """The baselines read a missing value as its gene's mean; the table said they were
    computed "on the values as they are"."""
    table = pd.read_csv(small_matrix)
    table.iloc[::7, 5] = np.nan  # 9 holes in 60 x 30
    path = tmp_path / "holes.csv"
    table.to_csv(path, index=False)
    model = tmp_path / "m"
    train = ["train", "--matrix", path, "--out", model, "--epochs", "1", "--hidden", "8"]
    assert main([str(a) for a in [*train, "--gene-dim", "2"]]) == 0
    out = tmp_path / "e.json"
    code, err = _run(
        ["evaluate", "--model", model, "--out", out, "--fraction", "0.3", *EVALUATE], capsys
    )
    assert code == 0, err
    text = out.with_suffix(".md").read_text()
    assert "its 9 missing values, 0.5% of the cells, read as each gene's mean" in text


def test_evaluate_says_the_baselines_read_the_transformed_values(small_matrix, tmp_path, capsys):
    """For a model trained on log10(x+1) of a file's counts, "Baselines computed on the values
    as they are" read as the counts themselves."""
    table = pd.read_csv(small_matrix)
    genes = table.select_dtypes("number").columns
    table[genes] = np.round(10 ** table[genes].clip(lower=0) - 1)
    path = tmp_path / "counts.csv"
    table.to_csv(path, index=False)
    model = tmp_path / "m"
    train = ["train", "--matrix", path, "--out", model, "--epochs", "1", "--hidden", "8"]
    assert main([str(a) for a in [*train, "--gene-dim", "2", "--transform", "log10p1"]]) == 0
    out = tmp_path / "e.json"
    code, err = _run(
        ["evaluate", "--model", model, "--out", out, "--fraction", "0.3", *EVALUATE], capsys
    )
    assert code == 0, err
    said = "the values as they are, log10(x+1) of the file's values, as the model was trained on"
    assert said in out.with_suffix(".md").read_text()
    assert json.loads(out.read_text())["protocol"]["baselines_on"] == said


def test_raw_counts_without_a_transform_are_refused(small_matrix, tmp_path, caplog):
    """Raw counts without --transform were only warned of: the model trained on them had fit
    errors in the millions, and the run said it had succeeded."""
    import argparse
    import logging

    from core.cli import load_data_from_args
    from core.errors import DataError

    table = pd.read_csv(small_matrix)
    genes = table.columns[2:]
    table[genes] = (2 ** table[genes] * 1000).round()  # counts, as a GCT of reads holds
    table.to_csv(tmp_path / "counts.csv", index=False)
    args = argparse.Namespace(
        gtex_gct=None, matrix=str(tmp_path / "counts.csv"), annotations=None, transform=None
    )
    with pytest.raises(DataError, match="look like counts or TPM.*--transform log10p1"):
        load_data_from_args(args)
    args.transform = "none"  # said: used as they are, with a warning
    with caplog.at_level(logging.WARNING, logger="core.cli"):
        load_data_from_args(args)
    assert "look like counts or TPM" in caplog.text and "--transform log10p1" in caplog.text
    caplog.clear()
    args.transform = "log10p1"
    with caplog.at_level(logging.WARNING, logger="core.cli"):
        load_data_from_args(args)
    assert "counts" not in caplog.text


def test_embed_of_gct_counts_as_they_are_is_warned_of(gtex_acmg59_files, tmp_path, capsys, caplog):
    """GTEx's GCT of read counts given to embed with --transform none (or the model's "none")
    was placed without the word a --matrix of the same counts gets."""
    lines = gzip.open(gtex_acmg59_files["gct"], "rt").read().splitlines()[2:]
    rows = [line.split("\t")[:32] for line in lines]
    gct = tmp_path / "reads.gct"
    gct.write_text(f"#1.2\n{len(rows) - 1}\t30\n" + "\n".join(map("\t".join, rows)) + "\n")
    model = tmp_path / "model"
    data = ["--gtex-gct", str(gct), "--gtex-attributes", str(gtex_acmg59_files["attributes"])]
    args = ["train", *data, "--out", str(model), "--epochs", "1", "--exclude-tissues", "Brain"]
    assert main([*args, "--hidden", "8", "--gene-dim", "4"]) == 0
    said = "look like counts or TPM, not a log scale (--transform none)"

    def warned(args: list[str]) -> list[str]:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            assert main(args) == 0, capsys.readouterr().err
        return [r.getMessage() for r in caplog.records if said in r.getMessage()]

    for given in (data[:2], data):  # new samples, and samples GTEx's attributes list
        out = tmp_path / f"placed{len(given)}.csv"
        args = ["embed", "--model", str(model), *given, "--out", str(out)]
        said_of = warned([*args, "--transform", "none"])
        assert len(said_of) == 1 and said_of[0].startswith(f"{gct}: values up to"), said_of
        assert not warned([*args, "--force"])  # (the model's log10p1)


def test_train_on_counts_as_they_are_warns_once(small_matrix, tmp_path, capsys, caplog):
    """`train --transform none` on counts was warned of twice: by the loader and by the fit."""
    table = pd.read_csv(small_matrix)
    genes = table.columns[2:]
    table[genes] = (2 ** table[genes] * 1000).round()
    table.to_csv(tmp_path / "counts.csv", index=False)
    args = ["train", "--matrix", tmp_path / "counts.csv", "--transform", "none"]
    with caplog.at_level(logging.WARNING):
        code, err = _run([*args, "--out", tmp_path / "m", "--epochs", "1", "--hidden", "8"], capsys)
    assert code == 0, err
    said = [r.getMessage() for r in caplog.records if "look like counts or TPM" in r.getMessage()]
    assert len(said) == 1 and "--transform log10p1" in said[0], said


def test_file_system_errors_are_an_error_line(monkeypatch, tmp_path, capsys):
    import core.train_cli

    def full(args):
        raise OSError(28, "No space left on device", str(tmp_path / "m"))

    monkeypatch.setattr(core.train_cli, "run_train", full)
    code, err = _run(["train", "--matrix", "x.csv", "--out", tmp_path / "m"], capsys)
    assert code == 2 and err.strip() == f"error: No space left on device ({tmp_path / 'm'})"


def test_report_refuses_go_flags_with_no_go(tiny_cli_model, tmp_path, capsys):
    args = ["report", "--model", str(tiny_cli_model), "--out", str(tmp_path / "r"), "--no-go"]
    assert main([*args, "--go-exclude-evidence", "IEA", "--go-term-size", "3-200"]) == 2
    err = capsys.readouterr().err
    assert "drop --go-exclude-evidence, --go-term-size or --no-go" in err
    assert not (tmp_path / "r").exists()


def test_resume_continues_the_runs_settings(small_matrix, tmp_path, capsys):
    """--resume keeps the interrupted run's seed and network; flags asking for others: error."""
    import json

    from core.data import load_table

    partial = tmp_path / "m.partial"
    model = FactorizedEmbeddings(gene_dim=2, hidden=(8,), epochs=1, device="cpu", seed=3)
    es = load_table(small_matrix)
    model.fit(es, checkpoint=partial / "checkpoint.pt")  # as an interrupted run leaves it
    (partial / "params.json").write_text(json.dumps(model.get_params()))
    resume = ["train", "--out", tmp_path / "m", "--resume", "--matrix", small_matrix]
    code, err = _run([*resume, "--epochs", "2", "--gene-dim", "7"], capsys)
    assert code == 2 and "--gene-dim 2 (given 7)" in err and (partial / "checkpoint.pt").exists()
    code, err = _run([*resume, "--epochs", "2", "--seed", "0"], capsys)
    assert code == 2 and "--seed 3 (given 0)" in err
    # the time trained before the interruption counts in the model's training time
    import torch

    saved = torch.load(partial / "checkpoint.pt", map_location="cpu", weights_only=True)
    saved["elapsed_s"] = 500.0
    torch.save(saved, partial / "checkpoint.pt")
    code, err = _run([*resume, "--epochs", "2"], capsys)
    assert code == 0, err
    assert 500 <= FactorizedEmbeddings.load(tmp_path / "m").train_time_s_ < 600
    # another length continues the run, and says so (its schedule changes)
    assert "the interrupted run was set for 1 epochs; --epochs 2 continues it to 2" in err
    resumed = FactorizedEmbeddings.load(tmp_path / "m")
    assert resumed.get_params()["seed"] == 3 and resumed.get_params()["gene_dim"] == 2


def test_resume_with_fewer_epochs_than_done_says_only_why(small_matrix, tmp_path, capsys):
    """--resume --epochs 1 on a run 2 epochs in said "run the same command with --resume to
    continue" before the error that the same command would meet again."""
    import json

    from core.data import load_table

    partial = tmp_path / "m.partial"
    model = FactorizedEmbeddings(gene_dim=2, hidden=(8,), epochs=2, device="cpu")
    model.fit(load_table(small_matrix), checkpoint=partial / "checkpoint.pt")
    (partial / "params.json").write_text(json.dumps(model.get_params()))
    resume = ["train", "--out", tmp_path / "m", "--resume", "--matrix", small_matrix]
    code, err = _run([*resume, "--epochs", "1"], capsys)
    assert code == 2 and "error:" in err and "Traceback" not in err, err
    assert "run the same command with --resume" not in err, err
    assert (partial / "checkpoint.pt").exists()  # kept for a resume with more epochs


def test_orientation_flag_reads_a_table_whose_ids_do_not_tell(sepira_file, tmp_path, capsys):
    """Genes in rows under ids of no known form: refused with a message that names the flag;
    ``--orientation genes-in-rows`` reads it (and trains on it)."""
    from core.cli import build_parser, load_data_from_args

    genes = pd.read_csv(sepira_file).iloc[:40, :14].drop(columns="tissue").set_index("sample").T
    genes.index = [f"feat{i}" for i in range(len(genes))]
    genes.columns = [f"x{i}" for i in range(genes.shape[1])]
    path = tmp_path / "plain.csv"
    genes.to_csv(path, index_label="")
    out = tmp_path / "m"
    train = ["train", "--matrix", path, "--out", out, "--epochs", "1", "--hidden", "8"]
    code, err = _run(train, capsys)
    assert code == 2 and "cannot tell whether its rows are samples or genes" in err
    assert "--orientation genes-in-rows" in err and "Traceback" not in err
    args = build_parser().parse_args(
        ["train", "--matrix", str(path), "--out", str(out), "--orientation", "genes-in-rows"]
    )
    es = load_data_from_args(args)
    assert es.shape == (40, 12) and list(es.gene_ids) == list(genes.index)
    assert _run([*train, "--orientation", "genes-in-rows"], capsys)[0] == 0
    assert FactorizedEmbeddings.load(out).sample_embedding_.shape == (40, 2)


def test_orientation_flag_is_for_tables_only(gtex_acmg59_files, tmp_path, capsys):
    f = gtex_acmg59_files
    args = ["train", "--gtex-gct", f["gct"], "--gtex-attributes", f["attributes"]]
    code, err = _run([*args, "--out", tmp_path / "m", "--orientation", "samples-in-rows"], capsys)
    assert code == 2 and "--orientation works with --matrix" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--matrix", "x.csv", "--out", "m", "--orientation", "diagonal"])
    assert exit_info.value.code == 2 and "invalid choice: 'diagonal'" in capsys.readouterr().err


def test_progress_lines_in_a_log_say_how_long_is_left(monkeypatch, capsys):
    """Placing 17,382 GTEx samples said "13,000 of 17,382 samples" after 400 s, and nothing of
    the time still to come; a long training said the seconds spent only."""
    from core import cli

    clock = iter([0.0, 40.0, 400.0, 530.0])
    monkeypatch.setattr(cli.time, "monotonic", lambda: next(clock))
    bar = cli.StepProgress("placing", "samples", 17_382)
    bar.update(2_000)  # a tenth, at 40 s
    bar.update(11_000)  # at 400 s
    bar.update(4_382)  # at 530 s: done
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "placing: 2,000 of 17,382 samples (40 s, about 5 min left)"
    assert lines[1] == "placing: 13,000 of 17,382 samples (7 min, about 2 min left)"
    assert lines[2] == "placing: 17,382 of 17,382 samples (9 min)"
    assert cli.duration(3_900) == "1 h 05 min" and cli.time_left(5, 0.5) == ""


def test_training_on_three_samples_says_what_it_cannot_do(small_matrix, tmp_path, capsys):
    path = tmp_path / "three.csv"
    pd.read_csv(small_matrix).iloc[:3].to_csv(path, index=False)
    args = ["train", "--matrix", path, "--out", tmp_path / "m", "--epochs", "1", "--hidden", "8"]
    code, err = _run(args, capsys)
    assert code == 0, err
    assert "note: 3 samples: the model is trained, but `evaluate` and `report` need" in err


def test_embed_makes_its_output_folder_and_names_a_file_given_as_model(
    tiny_cli_model, small_matrix, tmp_path, capsys
):
    out = tmp_path / "new" / "folder" / "placed.csv"
    args = ["embed", "--model", tiny_cli_model, "--matrix", small_matrix, "--out", out]
    code, err = _run(args, capsys)
    assert code == 0, err
    assert len(pd.read_csv(out)) == 60
    args = ["embed", "--model", small_matrix, "--matrix", small_matrix, "--out", out]
    code, err = _run([*args, "--force"], capsys)
    assert code == 2 and "a file, not a model directory" in err


def test_embed_reports_the_label_evaluate_would_choose(small_matrix, tmp_path, capsys):
    """With only a `group` annotation, evaluate classified by it and embed reported none."""
    table = pd.read_csv(small_matrix).drop(columns=["tissue"])
    table.to_csv(tmp_path / "m.csv", index=False)
    notes = pd.DataFrame({"sample": table["sample"], "group": ["a", "b", "c"] * 20})
    notes.to_csv(tmp_path / "notes.csv", index=False)
    model = tmp_path / "model"
    train = ["train", "--matrix", tmp_path / "m.csv", "--annotations", tmp_path / "notes.csv"]
    code, err = _run([*train, "--out", model, "--epochs", "1", "--hidden", "8"], capsys)
    assert code == 0, err
    out = tmp_path / "placed.csv"
    code, err = _run(
        ["embed", "--model", model, "--matrix", tmp_path / "m.csv", "--out", out], capsys
    )
    assert code == 0, err
    assert {"nearest_group", "majority_group"} <= set(pd.read_csv(out).columns)


def test_evaluate_and_report_count_labels_as_table_1_does(small_matrix, tmp_path, capsys):
    """Labels with spaces around them, and blank ones: the report's header and the JSON's
    dataset said 60 labelled samples and more classes than Table 1 (which strips the names and
    leaves blanks out), and Figure 2 drew "Liver " apart from "Liver". The share of labelled
    samples was rounded to a whole percent (2.5% read "2%")."""
    table = pd.read_csv(small_matrix)
    tissues = table["tissue"].astype(object).copy()
    tissues.iloc[:3] = tissues.iloc[:3] + " "  # the same tissue with a space after it
    tissues.iloc[10:12] = " "
    notes = pd.DataFrame({"sample": table["sample"], "tissue": tissues})
    table.drop(columns=["tissue"]).to_csv(tmp_path / "m.csv", index=False)
    notes.to_csv(tmp_path / "notes.tsv", sep="\t", index=False)
    model = tmp_path / "model"
    train = ["train", "--matrix", tmp_path / "m.csv", "--annotations", tmp_path / "notes.tsv"]
    code, err = _run([*train, "--out", model, "--epochs", "1", "--hidden", "8"], capsys)
    assert code == 0, err
    n_classes = table["tissue"].nunique()
    evaluate = ["evaluate", "--model", model, "--label", "tissue", "--fraction", "0.25"]
    code, err = _run([*evaluate, *EVALUATE, "--out", tmp_path / "ev.json"], capsys)
    assert code == 0, err
    result = json.loads((tmp_path / "ev.json").read_text())
    assert result["dataset"]["n_labelled"] == 58
    assert result["dataset"]["n_classes"] == result["protocol"]["n_classes"] == n_classes
    assert "Train on 25% of" in (tmp_path / "ev.md").read_text()
    code, err = _run([*evaluate, *EVALUATE, "--fraction", "0.125", "--out", tmp_path / "e2.json"],
                     capsys)  # fmt: skip
    assert code == 0, err
    assert "Train on 12.5% of" in (tmp_path / "e2.md").read_text()
    report = ["report", "--model", model, "--label", "tissue", "--fraction", "0.125", "--no-go"]
    code, err = _run([*report, *EVALUATE, "--out", tmp_path / "r"], capsys)
    assert code == 0, err
    page = (tmp_path / "r" / "index.html").read_text()
    assert f"58 labelled samples, {n_classes} classes" in page
    assert "train on 12.5% of the labelled" in page
    from core.analysis_cli import _Loaded
    from core.report_figures import _fig_maps

    loaded = _Loaded(str(model), "tissue")  # the labels every table and figure reads
    assert sum(lab is None for lab in loaded.labels) == 2
    assert set(loaded.labels) - {None} == set(table["tissue"])
    fig = _fig_maps({"pca": np.zeros((60, 2))}, loaded.labels, "tissue")
    assert {t.name for t in fig.data} == set(table["tissue"]) | {"unlabelled"}


# ----------------------------------------------------------------------------- careless input
def test_model_files_empty_of_a_newer_version_or_unreadable(tiny_cli_model, tmp_path, capsys):
    """A file of 0 bytes is named as such (torch said nothing: "unreadable weights:"); a
    setting this version does not know is named (it was a TypeError's words); a file the user
    may not read is no damaged model to train again."""
    empty = tmp_path / "empty_weights"
    shutil.copytree(tiny_cli_model, empty)
    (empty / "weights.pt").write_bytes(b"")
    code, err = _run(["export", "--model", empty, "--out", tmp_path / "x1"], capsys)
    assert code == 2 and "weights.pt: an empty file (0 bytes)" in err, err
    newer = tmp_path / "newer"
    shutil.copytree(tiny_cli_model, newer)
    config = json.loads((newer / "config.json").read_text())
    config["params"]["future_setting"] = 1
    (newer / "config.json").write_text(json.dumps(config))
    code, err = _run(["export", "--model", newer, "--out", tmp_path / "x2"], capsys)
    assert code == 2 and "does not know: 'future_setting'" in err, err
    assert "unexpected keyword" not in err and "train it again" not in err
    assert "the version that saved it" in err

    load = np.load

    def no_permission(path, *args, **kwargs):
        name = str(getattr(path, "name", path))  # (a path or an open file)
        if name.endswith("arrays.npz"):
            raise PermissionError(13, "Permission denied", name)
        return load(path, *args, **kwargs)

    import core.estimator

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(core.estimator.np, "load", no_permission)
        code, err = _run(["export", "--model", tiny_cli_model, "--out", tmp_path / "x3"], capsys)
    assert code == 2 and "cannot read arrays.npz (permission denied)" in err, err
    assert "damaged" not in err and "Traceback" not in err


def test_running_out_of_memory_is_an_error_line(small_matrix, tmp_path, monkeypatch, capsys):
    """torch's allocator failing (--gene-dim 10**9 asked for 400 GB) ended in a traceback."""

    def too_big(self, *args, **kwargs):
        raise RuntimeError(
            "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate "
            "memory: you tried to allocate 400000000000 bytes. Error code 12"
        )

    monkeypatch.setattr(FactorizedEmbeddings, "fit", too_big)
    train = ["train", "--matrix", small_matrix, "--out", tmp_path / "m", "--epochs", "1"]
    code, err = _run([*train, "--gene-dim", "1000000000"], capsys)
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error: not enough memory (an allocation of 372")
    assert "--gene-dim" in err and not (tmp_path / "m").exists()

    def failed(self, *args, **kwargs):
        raise RuntimeError("a bug, not memory")

    monkeypatch.setattr(FactorizedEmbeddings, "fit", failed)
    with pytest.raises(RuntimeError, match="a bug"):  # other errors are not said as memory
        main([str(a) for a in [*train, "--force"]])


def test_baseline_maps_of_a_one_gene_model(small_matrix, tmp_path, capsys):
    """PCA, NMF and t-SNE of 2 axes from one gene: scikit-learn's traceback before."""
    out = tmp_path / "one_gene"
    train = ["train", "--matrix", small_matrix, "--out", out, "--epochs", "1", "--hidden", "8"]
    assert main([str(a) for a in [*train, "--gene-dim", "2", "--top-genes", "1"]]) == 0
    capsys.readouterr()
    for method in ("pca", "nmf"):
        evaluate = ["evaluate", "--model", out, *EVALUATE, "--methods", method]
        code, err = _run([*evaluate, "--out", tmp_path / f"{method}.json"], capsys)
        assert code == 2 and "Traceback" not in err
        assert f"a {method} map of 2 axes needs at least 2 genes, got 1" in err, err
    # the default maps: each one that needs 2 genes named at once, not one per run
    evaluate = ["evaluate", "--model", out, "--classifiers", "1-NN", "--splits", "2", "--no-cache"]
    code, err = _run([*evaluate, "--out", tmp_path / "default.json"], capsys)
    assert code == 2 and "pca, nmf and tsne maps of 2 axes need at least 2 genes" in err, err


def test_ctrl_c_while_the_command_line_loads(monkeypatch, capsys):
    """Ctrl-C in the second the modules take to load: "interrupted" and 130, no traceback."""
    import runpy
    import sys

    import core.cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(core.cli, "build_parser", interrupted)
    try:  # (a KeyboardInterrupt that escapes would stop the whole test run)
        code = main(["export", "--model", "m", "--out", "x"])
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C while the parser is built escaped as a traceback")
    assert code == 130
    assert capsys.readouterr().err.strip() == "interrupted"

    class Interrupt:  # the import of core.cli itself, in python -m core
        def find_spec(self, name, path=None, target=None):
            if name == "core.cli":
                raise KeyboardInterrupt
            return None

    monkeypatch.delitem(sys.modules, "core.cli")
    monkeypatch.setattr(sys, "meta_path", [Interrupt(), *sys.meta_path])
    with pytest.raises(SystemExit) as leaving:
        try:
            runpy.run_module("core", run_name="__main__")
        except KeyboardInterrupt:
            pytest.fail("Ctrl-C while core.cli is imported escaped as a traceback")
    assert leaving.value.code == 130 and capsys.readouterr().err.strip() == "interrupted"


def test_a_wide_header_alone_is_refused_at_once(tmp_path):
    """A single line of 60,000 names: pandas took about 25 s over it (minutes at 300,000)."""
    import time

    from core.data import load_table
    from core.errors import DataError

    path = tmp_path / "header.csv"
    path.write_text("sample," + ",".join(f"G{i}" for i in range(60_000)) + "\n")
    start = time.monotonic()
    with pytest.raises(DataError, match="no row under its first line, 60,?001 columns"):
        load_table(path)
    assert time.monotonic() - start < 10


def test_a_model_directory_given_as_the_matrix(tiny_cli_model, tmp_path, capsys):
    """It was "matrix path is not a file", and weights.pt "a zip archive; unpack it"."""
    train = ["train", "--matrix", tiny_cli_model, "--out", tmp_path / "m", "--epochs", "1"]
    code, err = _run(train, capsys)
    assert code == 2 and f"--matrix {tiny_cli_model}: a model directory, not an expression" in err
    embed = ["embed", "--model", tiny_cli_model, "--matrix", tiny_cli_model / "weights.pt"]
    code, err = _run([*embed, "--out", tmp_path / "e.csv"], capsys)
    assert code == 2 and f"a file of the model directory {tiny_cli_model}, not an" in err, err


def test_train_takes_the_start_of_the_embeddings(small_matrix, tmp_path):
    """--init random: README's random-start figure could be reproduced only from Python or
    app.py (train had no --init); the setting is kept with the model."""
    from core.estimator import FactorizedEmbeddings

    out = tmp_path / "m"
    train = ["train", "--matrix", small_matrix, "--out", out, "--epochs", "1", "--hidden", "8"]
    assert main([str(a) for a in [*train, "--gene-dim", "2", "--init", "random"]]) == 0
    model = FactorizedEmbeddings.load(out)
    assert model.init == "random"
    assert model.starting_gene_vectors(np.zeros((60, model.n_genes_))) is None


def test_resume_names_the_init_flag_it_refuses(small_matrix, tmp_path, capsys):
    """--resume of a run that started from PCA, asked --init random: the flag as typed
    ("init pca (given random)" named no flag)."""
    import json

    from core.data import load_table

    partial = tmp_path / "m.partial"
    model = FactorizedEmbeddings(gene_dim=2, hidden=(8,), epochs=1, device="cpu")
    model.fit(load_table(small_matrix), checkpoint=partial / "checkpoint.pt")
    (partial / "params.json").write_text(json.dumps(model.get_params()))
    resume = ["train", "--out", tmp_path / "m", "--resume", "--matrix", small_matrix]
    code, err = _run([*resume, "--init", "random"], capsys)
    assert code == 2 and "settings: --init pca (given random); drop those flags" in err, err


def test_evaluate_says_its_data_date_and_software(tiny_cli_model, small_matrix, tmp_path, capsys):
    """Two Table-1 files of the same model could not be told apart: the Markdown named neither
    the data file, its fingerprint, nor the date, and neither file the software that made it
    (the report's page does)."""
    out = tmp_path / "t.json"
    args = ["evaluate", "--model", tiny_cli_model, "--out", out, "--fraction", "0.3"]
    code, err = _run([*args, "--methods", "pca", "--splits", "2", "--no-cache"], capsys)
    assert code == 0, err
    result = json.loads(out.read_text())
    assert result["software"].startswith("Python ") and "numpy " in result["software"]
    markdown = out.with_suffix(".md").read_text()
    fingerprint = result["dataset"]["fingerprint"]
    assert f"fingerprint {fingerprint}" in markdown and str(small_matrix) in markdown, markdown
    assert f"Computed {result['created']} with Python " in markdown, markdown


def test_train_keeps_its_command_line_in_the_model(tiny_cli_model, small_matrix):
    """The command that trained a model was kept beside its checkpoint only, removed with it:
    the model itself did not say how to train it again."""
    config = json.loads((tiny_cli_model / "config.json").read_text())
    command = config["command"]
    assert command.startswith("python -m core train ") and "--epochs 2" in command, command
    assert os.path.abspath(small_matrix) in command and "--gene-dim 4" in command, command
    assert FactorizedEmbeddings.load(tiny_cli_model).command_ == command
    from core.data import load_table

    fitted = FactorizedEmbeddings(epochs=1, gene_dim=4, hidden=(8,))
    assert fitted.fit(load_table(small_matrix)).command_ is None


def test_a_resumed_model_records_the_settings_it_continued(small_matrix, tmp_path, capsys):
    """A resumed run recorded its own command (``--resume --matrix F --epochs 2``) as the one
    that made the model: without the interrupted run's --seed 3, --gene-dim 2 and --hidden 8
    it trained another model."""
    from core.data import load_table

    partial = tmp_path / "m.partial"
    model = FactorizedEmbeddings(gene_dim=2, hidden=(8,), epochs=1, device="cpu", seed=3)
    model.fit(load_table(small_matrix), checkpoint=partial / "checkpoint.pt")
    (partial / "params.json").write_text(json.dumps(model.get_params()))
    resume = ["train", "--out", tmp_path / "m", "--resume", "--matrix", small_matrix]
    code, err = _run([*resume, "--epochs", "2"], capsys)
    assert code == 0, err
    command = FactorizedEmbeddings.load(tmp_path / "m").command_
    assert "--resume" not in command and "--epochs 2" in command, command
    for flag in ("--seed 3", "--gene-dim 2", "--hidden 8", "--init pca"):
        assert flag in command, command


def test_a_run_resumed_with_other_threads_says_so(small_matrix, tmp_path, capsys, caplog):
    """torch's thread count changes the map, and a run resumed with another count said nothing
    (its config.json then named the resumed part's count alone)."""
    import torch

    from core.data import load_table

    partial = tmp_path / "m.partial"
    model = FactorizedEmbeddings(gene_dim=2, hidden=(8,), epochs=1, device="cpu", seed=3)
    model.fit(load_table(small_matrix), checkpoint=partial / "checkpoint.pt")
    (partial / "params.json").write_text(json.dumps(model.get_params()))
    saved = torch.load(partial / "checkpoint.pt", map_location="cpu", weights_only=True)
    saved["resolved"]["threads"] = torch.get_num_threads() + 1
    torch.save(saved, partial / "checkpoint.pt")
    resume = ["train", "--out", tmp_path / "m", "--resume", "--matrix", small_matrix]
    code, err = _run([*resume, "--epochs", "2", "--device", "cpu"], capsys)
    assert code == 0, err
    said = f"trained with {torch.get_num_threads() + 1} CPU threads, this one continues with"
    assert said in caplog.text, caplog.text
