"""Small faults of the command line seen on the real 26-tissue GTEx set: Gaussian NB equal to
1-NN without a word, "1 of 1 epochs", the maps' time that held their figures, a gene_id column
that repeats the symbol, and a scale warning before the error of a file of other genes."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from tests.cli_run import TINY
from tests.cli_run import run_cli as _run


@pytest.fixture()
def real_table(sepira_file):
    """The first 60 real samples (3 tissues of 20) of the 26-tissue set, all its genes."""
    return pd.read_csv(sepira_file).iloc[:60]


@pytest.fixture()
def small_model(real_table, tmp_path):
    """A model of 30 genes, named by symbols alone (as the set names them)."""
    path = tmp_path / "small.csv"
    real_table.iloc[:, :32].to_csv(path, index=False)
    out = tmp_path / "small_model"
    assert main(["train", "--matrix", str(path), "--out", str(out), "--epochs", "2", *TINY]) == 0
    return out


def test_evaluate_says_when_gaussian_nb_is_1nn(small_model, tmp_path, capsys):
    """--stratify at 2% trains on one sample of each tissue: Gaussian NB's variances are its
    smoothing alone and it scores exactly as 1-NN, which the outputs now say (and only then)."""
    out = tmp_path / "t1.json"
    argv = ["evaluate", "--model", small_model, "--out", out, "--methods", "pca", "--splits", "3"]
    argv += ["--classifiers", "1-NN,Gaussian NB", "--no-cache"]
    code, _, err = _run([*argv, "--stratify", "--fraction", "0.02"], capsys)
    assert code == 0, err
    result = json.loads(out.read_text())
    for by_classifier in result["results"].values():
        assert by_classifier["Gaussian NB"] == by_classifier["1-NN"]
    assert result["protocol"]["splits_one_each"] == result["protocol"]["splits_one_sample"] == 3
    notes = [n for n in result["notes"] if "Gaussian NB" in n]
    assert len(notes) == 1 and "In every split" in notes[0] and "as 1-NN" in notes[0]
    md = out.with_suffix(".md").read_text()
    table_end = md.index("| Gaussian NB")
    assert md.index(f"**Note.** {notes[0]}") > table_end  # under the table
    assert notes[0] in err
    # ten training samples of each tissue: no class of one, no note
    code, _, err = _run([*argv, "--stratify", "--fraction", "0.5", "--force"], capsys)
    assert code == 0, err
    result = json.loads(out.read_text())
    assert result["protocol"]["splits_one_sample"] == 0
    assert not [n for n in result["notes"] if "Gaussian NB" in n]
    assert "as 1-NN" not in out.with_suffix(".md").read_text() and "as 1-NN" not in err


def test_the_one_sample_note_counts_its_splits():
    from core.analysis_cli import one_sample_classes_note
    from core.report_sections import _section_table1  # noqa: F401 (the page's Table 1)
    from core.report_sections import one_sample_classes_note as on_the_page

    assert on_the_page is one_sample_classes_note  # one rule for the page and evaluate
    some = {"n_splits": 10, "splits_one_sample": 4, "splits_one_each": 1}
    text = one_sample_classes_note(some, ["1-NN", "Gaussian NB"])
    assert text.startswith("In 4 of the 10 splits, some class has a single training sample")
    assert "in 1 of the 10 splits, every class trained on has one" in text
    assert "read the 1-NN row" in text
    assert one_sample_classes_note(some, ["1-NN"]) == ""
    assert one_sample_classes_note({**some, "splits_one_sample": 0}, ["Gaussian NB"]) == ""


def test_progress_of_one_epoch_reads_as_words(real_table, tmp_path, capsys):
    path = tmp_path / "small.csv"
    real_table.iloc[:, :12].to_csv(path, index=False)
    argv = ["train", "--matrix", path, "--out", tmp_path / "m", "--epochs", "1", *TINY]
    code, _, err = _run(argv, capsys)
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("training:")]
    assert lines and "(1 of 1 epoch done)" in lines[-1]
    assert "1 epochs" not in err


def test_a_step_progress_of_one_reads_as_words(capsys):
    from core.cli import StepProgress

    bar = StepProgress("reading x.gct", "genes", 1)
    bar.update(1)
    bar.close()
    err = capsys.readouterr().err
    assert "reading x.gct: 1 of 1 gene" in err and "1 genes" not in err


def test_neighbours_leave_out_ids_that_repeat_the_symbols(small_model, tmp_path, capsys):
    """The 26-tissue set names genes by symbols alone: gene_id repeated the gene column, which
    export's genes.csv already leaves out."""
    from core.embed_cli import load_model_dir
    from core.export_cli import gene_table

    out = tmp_path / "near.csv"
    model = load_model_dir(str(small_model))
    gene = str(model.gene_symbols_[0])
    argv = ["neighbours", "--model", small_model, "--genes", gene, "--k", "3", "--out", out]
    code, stdout, err = _run(argv, capsys)
    assert code == 0, err
    header = stdout.splitlines()[0].split()
    assert header == ["gene", "rank", "neighbour", "distance"]
    assert list(pd.read_csv(out).columns) == header
    assert "gene_id" not in gene_table(model).columns  # (export's rule, the same)


def test_neighbours_keep_ids_that_are_not_the_symbols(real_table, tmp_path, capsys):
    table = real_table.iloc[:, :22].copy()
    table.columns = [*table.columns[:2], *(f"ENSG{i:011d}" for i in range(20))]
    path = tmp_path / "ids.csv"
    table.to_csv(path, index=False)
    model = tmp_path / "ids_model"
    assert main(["train", "--matrix", str(path), "--out", str(model), "--epochs", "1", *TINY]) == 0
    capsys.readouterr()
    code, stdout, err = _run(["neighbours", "--model", model, "--genes", table.columns[2]], capsys)
    assert code == 0, err
    assert stdout.splitlines()[0].split()[:2] == ["gene", "gene_id"]


def test_embed_of_other_genes_errors_without_the_scale_warning(
    small_model, real_table, tmp_path, capsys, caplog
):
    """Counts of genes the model lacks were first warned of as counts, then refused: the error
    comes alone; counts of its own genes are still warned of."""
    other = real_table.iloc[:5, [0, *range(40, 60)]].copy()
    other.iloc[:, 1:] = np.round(np.exp2(other.iloc[:, 1:].to_numpy() + 10))  # counts, not logs
    path = tmp_path / "other.csv"
    other.to_csv(path, index=False)
    argv = ["embed", "--model", small_model, "--matrix", path, "--transform", "none"]
    code, _, err = _run([*argv, "--out", tmp_path / "a.csv"], capsys)
    assert code == 2
    assert "none of the new samples' genes is a gene of the model" in err
    assert "look like counts" not in err + caplog.text
    caplog.clear()
    own = real_table.iloc[:5, :32].copy()
    own.iloc[:, 2:] = np.round(np.exp2(own.iloc[:, 2:].to_numpy() + 10))
    path = tmp_path / "own.csv"
    own.to_csv(path, index=False)
    argv = ["embed", "--model", small_model, "--matrix", path, "--transform", "none"]
    code, _, err = _run([*argv, "--out", tmp_path / "b.csv"], capsys)
    assert code == 0, err
    assert len(re.findall("look like counts", err + caplog.text)) == 1


def test_the_maps_time_names_their_drawing(small_model, tmp_path):
    """The page said "the maps 5 s" of four maps each under 1 s read from the cache: the rest
    was the drawing of their figures, now a part of its own."""
    out = tmp_path / "report"
    argv = ["report", "--model", str(small_model), "--out", str(out), "--methods", "pca,nmf"]
    argv += ["--splits", "2", "--no-go", "--no-cache", "--classifiers", "1-NN"]
    assert main(argv) == 0
    page = (out / "index.html").read_text()
    maps = re.search(r"the maps [^;]*", page).group(0)
    assert re.fullmatch(
        r"the maps (under 1|\d+) s, of which PCA (under 1|\d+) s, NMF (under 1|\d+) s, "
        r"drawing them (under 1|\d+) s",
        maps,
    ), maps
