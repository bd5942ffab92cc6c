"""The command line on runs of the real 26-tissue GTEx set: a measurement given as the label,
a model whose training was interrupted, models of other genes compared, one neighbour, and
an annotation file that leaves labels blank."""

from __future__ import annotations

import logging
import shlex

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.data import load_table
from tests.cli_run import TINY
from tests.cli_run import run_cli as _run


@pytest.fixture()
def small_table(sepira_file):
    """60 real samples x 20 genes of the 26-tissue GTEx set, with its tissue column."""
    return pd.read_csv(sepira_file).iloc[:60, :22]


@pytest.fixture()
def matrix(small_table, tmp_path):
    path = tmp_path / "small.csv"
    small_table.drop(columns="tissue").to_csv(path, index=False)
    return path


@pytest.fixture()
def annotations(small_table, tmp_path):
    """The tissues, and an RNA integrity number of 30 values (5.0 to 7.9) as GTEx records it."""
    path = tmp_path / "annotations.csv"
    rin = 5.0 + (np.arange(len(small_table)) % 30) / 10
    small_table[["sample", "tissue"]].assign(RIN=rin).to_csv(path, index=False)
    return path


def _train(matrix, annotations, out, *more):
    args = ["train", "--matrix", matrix, "--annotations", annotations, "--out", out, *TINY]
    return main([str(a) for a in [*args, "--epochs", "1", *more]])


def test_a_measurement_as_label_is_warned_of(matrix, annotations, tmp_path, capsys):
    """RIN (30 values among 60 samples) was classified as 30 tissues without a word."""
    out = tmp_path / "m"
    assert _train(matrix, annotations, out) == 0
    capsys.readouterr()
    evaluate = ["evaluate", "--model", out, "--splits", "1", "--methods", "pca", "--no-cache"]
    evaluate += ["--classifiers", "1-NN", "--fraction", "0.5"]
    code, _, err = _run([*evaluate, "--label", "RIN", "--out", tmp_path / "rin.json"], capsys)
    assert code == 0, err
    warned = [line for line in err.splitlines() if "'RIN' is numeric" in line]
    assert len(warned) == 1 and warned[0].startswith("warning: "), err
    assert "30 distinct values" in warned[0] and "measurement read as 30 classes" in warned[0]
    # a label of categories says nothing of it
    code, _, err = _run([*evaluate, "--label", "tissue", "--out", tmp_path / "t.json"], capsys)
    assert code == 0 and "is numeric" not in err, err


def test_an_interrupted_training_is_named(matrix, annotations, tmp_path, capsys, monkeypatch):
    """A model whose training was interrupted was "no such model directory"; its checkpoint,
    and the command that resumes it, are named. Resumed, the model is complete, and a second
    --resume says so (it said "no checkpoint at ...")."""
    from core import train_cli

    def interrupt(self, p):
        if p.epoch >= 1:
            raise KeyboardInterrupt

    out = tmp_path / "m"
    with monkeypatch.context() as patch:
        patch.setattr(train_cli.TrainingProgress, "__call__", interrupt)
        code = _train(matrix, annotations, out, "--epochs", "3")
    checkpoint = tmp_path / "m.partial" / "checkpoint.pt"
    assert code == 130 and checkpoint.is_file() and not out.exists()
    capsys.readouterr()
    commands = [
        ["report", "--model", out, "--out", tmp_path / "r", "--no-go"],
        ["evaluate", "--model", out, "--out", tmp_path / "e.json"],
        ["embed", "--model", out, "--matrix", matrix, "--out", tmp_path / "e.csv"],
        ["neighbours", "--model", out, "--genes", "TBX5"],
    ]
    for command in commands:
        code, _, err = _run(command, capsys)
        assert code == 2 and "no such model directory" not in err, err
        assert "training into it was interrupted" in err and str(checkpoint) in err, err
    resume = err.split("`")[1]
    assert resume.startswith("python -m core train ") and resume.endswith(" --resume")
    assert str(matrix) in resume and str(annotations) in resume and "--epochs 3" in resume
    code, _, err = _run(shlex.split(resume)[3:], capsys)  # as the user would paste it
    assert code == 0 and (out / "config.json").is_file(), err
    code, _, err = _run(shlex.split(resume)[3:], capsys)
    assert code == 2 and "already trained" in err and "no checkpoint at" not in err, err


def test_compared_models_of_other_genes_refused_at_once(
    matrix, annotations, tmp_path, capsys, monkeypatch
):
    """A model of --top-genes compared was "trained on other data", after every dataset had
    been read again: it is "other genes", with how many are shared, before any is read."""
    import core.data

    assert _train(matrix, annotations, tmp_path / "all") == 0
    assert _train(matrix, annotations, tmp_path / "top", "--top-genes", "8") == 0
    capsys.readouterr()
    reads = []
    real = core.data.load_source
    monkeypatch.setattr(core.data, "load_source", lambda *a, **k: reads.append(a) or real(*a, **k))
    report = ["report", "--model", tmp_path / "all", "--compare-models", tmp_path / "top"]
    code, _, err = _run([*report, "--out", tmp_path / "r", "--no-go", "--no-cache"], capsys)
    assert code == 2 and "trained on other genes than --model" in err, err
    assert "8 genes, 8 of them among the 20 of --model" in err and "other data" not in err
    assert reads == [] and not (tmp_path / "r").exists()


def test_one_neighbour_is_said_in_the_singular(matrix, annotations, tmp_path, capsys):
    """--k 1: "each gene's 1 nearest genes", "1 neighbours", "the 1 genes nearest to"."""
    out = tmp_path / "m"
    assert _train(matrix, annotations, out) == 0
    capsys.readouterr()
    code, _, err = _run(["neighbours", "--model", out, "--genes", "TBX5", "--k", "1"], capsys)
    assert code == 0 and "the gene nearest to TBX5" in err, err
    report = ["report", "--model", out, "--out", tmp_path / "r", "--k", "1", "--no-go"]
    code, _, err = _run([*report, "--splits", "1", "--no-cache"], capsys)
    assert code == 0, err
    page = (tmp_path / "r" / "index.html").read_text()
    assert "each gene's nearest gene (" in page
    for wrong in (" 1 nearest", " 1 neighbours"):
        assert wrong not in page


def test_blank_labels_are_not_called_annotated(small_table, matrix, tmp_path, caplog):
    """An annotation file that lists every sample but leaves 10 tissues empty was said to
    annotate "all 60 samples"."""
    path = tmp_path / "blanks.csv"
    table = small_table[["sample", "tissue"]].copy()
    table.loc[:9, "tissue"] = ""
    table.to_csv(path, index=False)
    with caplog.at_level(logging.INFO):
        es = load_table(matrix, annotations=path)
    assert int(es.samples["tissue"].notna().sum()) == 50
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "all 60 samples annotated" not in said
    assert "50 annotated, 10 with every column blank" in said, said
    # with another column filled in, the blank tissues are counted apart
    table.assign(batch="b1").to_csv(path, index=False)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        load_table(matrix, annotations=path)
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "all 60 samples are in" in said and "blank: 'tissue' for 10" in said, said
