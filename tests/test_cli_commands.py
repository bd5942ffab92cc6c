"""`train`, `embed` and `neighbours` used as a biologist would, on the real 26-tissue GTEx set
and the real GTEx v8 files: messages that name the problem and the remedy, outputs that say
what they hold, progress that is not noise, nothing lost without --force."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import load_data_from_args, main
from core.estimator import FactorizedEmbeddings
from tests.cli_run import TINY
from tests.cli_run import run_cli as _run


@pytest.fixture()
def small_matrix(sepira_file, tmp_path):
    """60 real samples x 30 genes of the 26-tissue GTEx set, with its tissue column."""
    table = pd.read_csv(sepira_file).iloc[:60, :32]
    path = tmp_path / "small.csv"
    table.to_csv(path, index=False)
    return path


@pytest.fixture()
def tiny_model(small_matrix, tmp_path):
    out = tmp_path / "tiny"
    args = ["train", "--matrix", str(small_matrix), "--out", str(out), "--epochs", "2", *TINY]
    assert main(args) == 0
    return out


@pytest.fixture()
def held_out(sepira_file, tmp_path):
    """20 other real samples of the same set (same genes, already log-scaled)."""
    table = pd.read_csv(sepira_file).iloc[60:80, :32]
    path = tmp_path / "held.csv"
    table.to_csv(path, index=False)
    return table, path


# ----------------------------------------------------------------------------- train
def test_progress_in_a_log_is_a_line_per_tenth(small_matrix, tmp_path, capsys):
    """Redirected to a file (not a terminal), training progress is a few plain lines, not a
    bar redrawn twice a second with carriage returns."""
    args = ["train", "--matrix", small_matrix, "--out", tmp_path / "m", "--epochs", "20", *TINY]
    code, _, err = _run(args, capsys)
    assert code == 0, err
    assert "\r" not in err
    lines = [line for line in err.splitlines() if line.startswith("training:")]
    assert 2 <= len(lines) <= 12 and "(20 of 20 epochs done)" in lines[-1]
    assert "fit error" in lines[-1] and "model written to" in err


def test_train_closing_lines_read_as_words():
    """GTEx-sized counts with thousands separators (16877 samples read as one number), the
    speed in values a second (it said 0.07M values/s), and the commands that read the model."""
    from types import SimpleNamespace

    from core.train_cli import _shape_text, _written_text

    es = SimpleNamespace(n_samples=16877, n_genes=59)
    assert _shape_text(es) == "16,877 samples x 59 genes"
    model = SimpleNamespace(
        n_epochs_=80, train_time_s_=61.2, history_=[1.0, 0.1533], pairs_per_s_=1_401_234.4
    )
    text = _written_text(model, Path("models/gtex"))
    assert "model written to models/gtex (80 epochs in 61 s; final fit error 0.1533" in text
    assert "1,401,234 values a second" in text and "M values/s" not in text
    assert "next: python -m core evaluate --model models/gtex" in text


def test_training_bar_on_a_terminal_says_fit_error_in_words():
    """On a terminal the bar's suffix read ``fit_error=0.1533``, a keyword, not words."""
    import io
    from types import SimpleNamespace

    from core.train_cli import TrainingProgress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = TrainingProgress(stream)
    for epoch in (1, 2):
        progress(SimpleNamespace(epoch=epoch, n_epochs=2, loss=0.1533, elapsed_s=1.0))
    progress.close()
    text = stream.getvalue()
    assert "fit error 0.1533" in text and "fit_error" not in text


def test_a_resumed_runs_time_left_goes_by_its_own_pace():
    """Resumed at epoch 28 of 80 after a run at 26 s an epoch, the log said "about 8 min left"
    with 40 s to go: the first run's time and share were counted with the resumed run's."""
    import io
    from types import SimpleNamespace

    from core.train_cli import TrainingProgress

    def said(reports) -> str:
        stream = io.StringIO()
        progress = TrainingProgress(stream)
        for epoch, elapsed in reports:
            progress(
                SimpleNamespace(
                    epoch=epoch, n_epochs=80, loss=0.1, fraction=epoch / 80, elapsed_s=elapsed
                )
            )
        return stream.getvalue().strip().splitlines()[-1]

    # 27 epochs in 702 s (26 s each), then 1.5 s an epoch: at epoch 56, 36 s for 24 more
    line = said([(27, 702.0), (40, 721.5), (56, 745.5)])
    assert "56 of 80 epochs done" in line and "about 36 s left" in line, line
    # a run from the start: its whole pace, as before (10 s an epoch: 240 s for 24 more)
    line = said([(0.05, 0.5), (56, 560.0)])
    assert "about 4 min left" in line, line


def _fit_stopped_after_2_epochs(stop_run):
    """``FactorizedEmbeddings.fit`` that calls ``stop_run()`` once its second epoch ended."""
    fit = FactorizedEmbeddings.fit

    def stopped(self, es, callback=None, **kwargs):
        def stop(p):
            if callback is not None:
                callback(p)
            if p.epoch >= 2:
                stop_run()

        return fit(self, es, callback=stop, **kwargs)

    return stopped


def test_rerun_without_resume_keeps_the_interrupted_runs_checkpoint(
    small_matrix, tmp_path, capsys, monkeypatch
):
    """Ctrl-C after 2 epochs, then the same command again: it must not silently start over
    (and overwrite the checkpoint); --resume continues, --force starts afresh."""
    fit = FactorizedEmbeddings.fit

    def ctrl_c():
        raise KeyboardInterrupt

    interrupted = _fit_stopped_after_2_epochs(ctrl_c)

    out = tmp_path / "m"
    args = ["train", "--matrix", small_matrix, "--out", out, "--epochs", "6", *TINY]
    monkeypatch.setattr(FactorizedEmbeddings, "fit", interrupted)
    code, _, err = _run(args, capsys)
    # the epoch that ended before the interruption is in the checkpoint (its progress line, where
    # Ctrl-C arrived here, came before the checkpoint was written: epoch 1 was kept)
    assert code == 130 and "checkpoint (epoch 2 of 6) is kept" in err, err
    assert "run the same command with --resume" in err
    monkeypatch.setattr(FactorizedEmbeddings, "fit", fit)
    checkpoint = tmp_path / "m.partial" / "checkpoint.pt"
    before = checkpoint.read_bytes()
    code, _, err = _run(args, capsys)
    assert code == 2 and "interrupted run (epoch 2 of 6)" in err, err
    assert "add --resume" in err and "--force" in err
    assert checkpoint.read_bytes() == before and not out.exists()
    code, _, err = _run([*args, "--resume"], capsys)
    assert code == 0, err
    assert FactorizedEmbeddings.load(out).n_epochs_ == 6
    # interrupted again over the finished model: the same command names the checkpoint, not
    # only "already exists" (whose advice, --force, would discard it)
    monkeypatch.setattr(FactorizedEmbeddings, "fit", interrupted)
    assert _run([*args, "--force"], capsys)[0] == 130
    monkeypatch.setattr(FactorizedEmbeddings, "fit", fit)
    code, _, err = _run(args, capsys)
    assert code == 2 and "add --resume" in err and "already exists" not in err, err
    # a damaged checkpoint: neither message sends the user back to --resume
    checkpoint.write_bytes(checkpoint.read_bytes()[:2000])
    code, _, err = _run(args, capsys)
    assert code == 2 and "damaged (unreadable): add --force" in err, err
    code, _, err = _run([*args, "--resume"], capsys)
    assert code == 2 and "is damaged and cannot be resumed" in err, err
    assert "with --resume to continue" not in err and "internal miniz error" not in err, err
    assert len(err.strip().splitlines()[-1]) < 400
    code, _, err = _run([*args, "--force"], capsys)
    assert code == 0 and "resuming" not in err and not checkpoint.exists()


def test_sigterm_keeps_the_checkpoint_and_says_how_to_resume(
    small_matrix, tmp_path, capsys, monkeypatch
):
    """SIGTERM (a scheduler's time limit, ``timeout``, ``kill``) ended training with exit 143
    and nothing said; the checkpoint's temporary file could be left. It now stops the run as
    Ctrl-C does, and the previous SIGTERM handler is put back."""
    import signal

    fit = FactorizedEmbeddings.fit

    def sigterm():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends

    terminated = _fit_stopped_after_2_epochs(sigterm)

    before = signal.getsignal(signal.SIGTERM)
    out = tmp_path / "m"
    args = ["train", "--matrix", small_matrix, "--out", out, "--epochs", "6", *TINY]
    monkeypatch.setattr(FactorizedEmbeddings, "fit", terminated)
    t0 = time.perf_counter()
    code, _, err = _run(args, capsys)
    assert code == 143 and "terminated (SIGTERM)" in err, err
    assert time.perf_counter() - t0 < 60
    assert "is kept in" in err and "run the same command with --resume" in err, err
    assert signal.getsignal(signal.SIGTERM) == before
    assert not list((tmp_path / "m.partial").glob("*.tmp"))
    monkeypatch.setattr(FactorizedEmbeddings, "fit", fit)
    code, _, err = _run([*args, "--resume"], capsys)
    assert code == 0, err
    assert FactorizedEmbeddings.load(out).n_epochs_ == 6


def test_resume_needs_the_same_annotations_and_force_over_a_model(
    sepira_file, tmp_path, capsys, monkeypatch
):
    """Resumed without --annotations, a run wrote a model without its tissues, silently; and
    resumed over a finished model, it replaced it without --force."""
    table = pd.read_csv(sepira_file).iloc[:60, :32]
    table.drop(columns=["tissue"]).to_csv(tmp_path / "m.csv", index=False)
    table[["sample", "tissue"]].to_csv(tmp_path / "ann.csv", index=False)
    out = tmp_path / "model"
    data = ["--matrix", tmp_path / "m.csv"]
    args = ["train", *data, "--annotations", tmp_path / "ann.csv", "--out", out, *TINY]
    assert _run([*args, "--epochs", "2"], capsys)[0] == 0  # a finished model
    before = (out / "weights.pt").read_bytes()
    fit = FactorizedEmbeddings.fit

    def interrupted(self, es, callback=None, **kwargs):
        def stop(p):
            if p.epoch >= 2:
                raise KeyboardInterrupt

        return fit(self, es, callback=stop, **kwargs)

    monkeypatch.setattr(FactorizedEmbeddings, "fit", interrupted)
    assert _run([*args, "--epochs", "6", "--force", "--seed", "3"], capsys)[0] == 130
    monkeypatch.setattr(FactorizedEmbeddings, "fit", fit)
    code, _, err = _run([*args, "--epochs", "6"], capsys)
    assert code == 2 and "add --resume --force to continue it (its model replaces" in err, err
    code, _, err = _run([*args, "--epochs", "6", "--resume"], capsys)
    assert code == 2 and "--resume would replace it" in err and "add --force" in err, err
    assert (out / "weights.pt").read_bytes() == before
    without = ["train", *data, "--out", out, *TINY, "--epochs", "6", "--resume", "--force"]
    code, _, err = _run(without, capsys)
    assert code == 2 and "read sample annotations that this command does not (tissue)" in err
    assert (out / "weights.pt").read_bytes() == before
    code, _, err = _run([*args, "--epochs", "6", "--resume", "--force"], capsys)
    assert code == 0, err
    assert "tissue" in FactorizedEmbeddings.load(out).samples_.columns


def test_evaluating_a_model_without_sample_annotations_says_what_is_missing(
    sepira_file, tmp_path, capsys
):
    """It said "pass --label COLUMN", of samples that have no column at all."""
    table = pd.read_csv(sepira_file).iloc[:60, :32].drop(columns=["tissue"])
    table.to_csv(tmp_path / "m.csv", index=False)
    train = ["train", "--matrix", tmp_path / "m.csv", "--out", tmp_path / "model", *TINY]
    assert _run([*train, "--epochs", "1"], capsys)[0] == 0
    evaluate = ["evaluate", "--model", tmp_path / "model", "--out", tmp_path / "t.json"]
    code, _, err = _run(evaluate, capsys)
    assert code == 2 and "its samples have no annotations to classify" in err, err
    assert "train it with --annotations" in err and "pass --label" not in err


@pytest.mark.parametrize("out", ["", ".", ".."])
def test_out_without_a_directory_name(small_matrix, out, capsys):
    code, _, err = _run(["train", "--matrix", small_matrix, "--out", out, "--epochs", "1"], capsys)
    assert code == 2 and "give the name of the model directory" in err and "Traceback" not in err


def test_out_that_is_a_file(small_matrix, tmp_path, capsys):
    """--force cannot help there: the message must not suggest it."""
    target = tmp_path / "results.csv"
    target.write_text("keep me")
    for extra in ([], ["--force"]):
        code, _, err = _run(
            ["train", "--matrix", small_matrix, "--out", target, "--epochs", "1", *extra], capsys
        )
        assert code == 2 and "is a file" in err and "--force" not in err
    assert target.read_text() == "keep me"


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--epochs", "0"], "--epochs must be between 1 and 100,000, got 0"),
        (["--epochs", "-1"], "--epochs must be between 1 and 100,000"),
        # a slip of the keyboard, not a run of years
        (["--epochs", "10000000000000000000"], "--epochs must be between 1 and 100,000"),
        (["--gene-dim", "0"], "--gene-dim must be a positive integer"),
        (["--hidden", "0"], "--hidden must be one or more positive widths"),
        (["--neighbour-power", "5"], "--neighbour-power must be in (0, 2]"),
        (["--neighbour-decay", "-1"], "--neighbour-decay must be >= 0"),
    ],
)
def test_setting_errors_name_the_flag(small_matrix, tmp_path, capsys, extra, message):
    code, _, err = _run(
        ["train", "--matrix", small_matrix, "--out", tmp_path / "m", *extra], capsys
    )
    assert code == 2 and message in err and "Traceback" not in err


def test_missing_gpu_is_known_before_the_data_is_read(tmp_path, capsys, monkeypatch):
    """--device cuda on a machine without a GPU: said before minutes of loading a GCT."""
    import torch

    import core.data

    def never(*args, **kwargs):
        raise AssertionError("the data was read before the device was checked")

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(core.data, "load_table", never)
    matrix = tmp_path / "m.csv"
    matrix.write_text("sample,A,B\ns1,1,2\ns2,3,4\n")
    args = ["train", "--matrix", matrix, "--out", tmp_path / "m", "--device", "cuda"]
    code, _, err = _run(args, capsys)
    assert code == 2 and "no CUDA GPU" in err and "--device cpu" in err


def test_exclude_tissues_must_name_tissues(gtex_acmg59_files, tmp_path, capsys):
    """A tissue that is not in the attributes (a typo, a site for a broad tissue) is an error
    naming the tissues there, not a run that keeps every sample; case does not matter."""
    files = gtex_acmg59_files
    data = ["--gtex-gct", files["gct"], "--gtex-attributes", files["attributes"]]
    code, _, err = _run(
        ["train", *data, "--out", tmp_path / "m", "--exclude-tissues", "Liverr", "Brain"], capsys
    )
    assert code == 2 and "no SMTS tissue 'Liverr'" in err and "Liver," in err
    assert "'Brain'" not in err and not (tmp_path / "m").exists()
    args = argparse.Namespace(
        gtex_gct=str(files["gct"]),
        gtex_attributes=str(files["attributes"]),
        gtex_phenotypes=None,
        exclude_tissues=["brain", "fallopian tube", "Testis"],
        matrix=None,
        annotations=None,
        transform=None,
    )
    es = load_data_from_args(args)
    kept = set(es.samples["SMTS"].dropna())
    assert not kept & {"Brain", "Fallopian Tube", "Testis"} and "Liver" in kept


def test_verbose_after_the_command(tiny_model, capsys):
    model = FactorizedEmbeddings.load(tiny_model)
    gene = str(model.gene_symbols_[0])
    code, out, _ = _run(["neighbours", "--model", tiny_model, "--genes", gene, "-v"], capsys)
    assert code == 0 and gene in out


def test_help_texts_say_defaults_units_and_columns(capsys):
    def help_of(*command):
        with pytest.raises(SystemExit) as exit_:
            main([*command, "--help"])
        assert exit_.value.code == 0
        return " ".join(capsys.readouterr().out.split())

    top = help_of()
    assert "``" not in top and "python -m core train" in top and "embed" in top
    train = help_of("train")
    assert "default 50" in train and "default 100,50,50" in train
    assert "DIR.partial" in train and "GPU" in train
    # the transforms' code names explained; metavars that read as values, not as flag names
    assert "log10p1 = log10(x+1)" in train and "--neighbour-weight W " in train
    assert "NEIGHBOUR_WEIGHT" not in train and "debug logging" not in train
    evaluate = help_of("evaluate")
    assert "FE " not in evaluate and "default $FE_CACHE_DIR, else ./cache" in evaluate
    embed = help_of("embed")
    for column in ("genes_used", "fit_error", "distance_on_map", "majority_share", "poor_fit"):
        assert column in embed
    # (the factor the page and the warning name, written out in the help)
    from core.estimator import POOR_FIT_FACTOR

    assert f"poor_fit (the last column) True when fit_error is above {POOR_FIT_FACTOR:g} " in embed
    assert "default: none, every sample is placed" in embed
    neighbours = help_of("neighbours")
    assert "cosine distance" in neighbours and "gene_id" in neighbours
    # report's Table-1 flags say what they are, as evaluate's do
    report = help_of("report")
    assert "--fraction SHARE" in report and "--splits N" in report
    assert "share of the labelled samples the classifiers train on" in report


# ----------------------------------------------------------------------------- embed
def test_embed_places_in_chunks_with_progress(tiny_model, held_out, tmp_path, capsys, monkeypatch):
    """Many samples are placed chunk by chunk with progress lines; the places are those of one
    go (placement is per sample)."""
    import core.embed_cli

    table, path = held_out
    one_go = tmp_path / "one.csv"
    args = ["embed", "--model", tiny_model, "--matrix", path]
    code, _, err = _run([*args, "--out", one_go], capsys)
    assert code == 0 and "placing:" not in err
    monkeypatch.setattr(core.embed_cli, "EMBED_CHUNK", 7)
    chunked = tmp_path / "chunked.csv"
    code, _, err = _run([*args, "--out", chunked], capsys)
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("placing:")]
    assert lines[-1] == "placing: 20 of 20 samples" and len(lines) == 3
    a, b = pd.read_csv(one_go), pd.read_csv(chunked)
    assert list(b["sample_id"]) == list(table["sample"])
    np.testing.assert_allclose(a[["x", "y", "fit_error"]], b[["x", "y", "fit_error"]], atol=1e-5)


def test_embed_names_one_missing_gene_in_the_singular(tiny_model, held_out, tmp_path, capsys):
    """One model gene absent: "the other 1 is left out", not "the other 1 are"."""
    table, _ = held_out
    gene = table.columns[2]
    path = tmp_path / "new.csv"
    table.drop(columns=[gene]).to_csv(path, index=False)
    args = ["embed", "--model", tiny_model, "--matrix", path, "--out", tmp_path / "p.csv"]
    code, _, err = _run(args, capsys)
    assert code == 0, err
    assert f"(the other 1 is left out of the fit: {gene})" in err, err
    assert "values of these genes" not in err  # no missing value: nothing said of them


def test_embed_says_which_genes_it_uses(tiny_model, held_out, tmp_path, capsys):
    """Genes the model has but the matrix lacks, genes the model does not know, NaN: said on
    stderr and counted per sample (genes_used); numbers in the table at float32 precision."""
    table, _ = held_out
    genes = list(table.columns[2:])
    new = table.drop(columns=genes[:5]).assign(NOT_A_GENE=1.0, ALSO_NOT=2.0)
    new.loc[new.index[0], genes[5:8]] = np.nan
    path = tmp_path / "new.csv"
    new.to_csv(path, index=False)
    out = tmp_path / "placed.csv"
    code, _, err = _run(["embed", "--model", tiny_model, "--matrix", path, "--out", out], capsys)
    assert code == 0, err
    n_model = len(FactorizedEmbeddings.load(tiny_model).gene_ids_)
    assert f"genes: {n_model - 5} of the model's {n_model} genes are in {path}" in err
    # the model genes the file lacks are named, not only counted
    assert f"(the other 5 are left out of the fit: {', '.join(genes[:5])})" in err, err
    assert "2 of its genes are not in the model and are ignored (NOT_A_GENE, ALSO_NOT)" in err
    # the missing values are said too (only the genes_used column told of them)
    assert "3 values of these genes are missing, in 1 sample: left out of its fit" in err
    placed = pd.read_csv(out)
    assert placed["genes_used"].tolist() == [n_model - 8] + [n_model - 5] * 19
    digits = re.findall(r"\d+\.(\d+)", out.read_text())
    assert max(len(d) for d in digits) <= 9  # %.6g, not float64 reprs of float32 values


def test_embed_names_samples_placed_from_few_genes(
    tiny_model, held_out, tmp_path, capsys, monkeypatch
):
    """Samples placed from a handful of the model's genes were placed without a word, and their
    fit error, over fewer values, was lower than with every gene: said once, not per chunk."""
    import core.embed_cli

    table, _ = held_out
    genes = list(table.columns[2:])
    path = tmp_path / "few.csv"
    table.drop(columns=genes[4:]).to_csv(path, index=False)
    monkeypatch.setattr(core.embed_cli, "EMBED_CHUNK", 7)
    out = tmp_path / "placed.csv"
    code, _, err = _run(["embed", "--model", tiny_model, "--matrix", path, "--out", out], capsys)
    assert code == 0, err
    n_model = len(FactorizedEmbeddings.load(tiny_model).gene_ids_)
    said = f"20 sample(s) placed from fewer than {n_model // 2} of the model's {n_model} genes"
    assert err.count(said) == 1 and "fewest: 4" in err
    assert err.count("placed from fewer") == 1, err  # (not by chunk, nor by the estimator too)
    # every gene: nothing said
    code, _, err = _run(
        ["embed", "--model", tiny_model, "--matrix", held_out[1], "--out", tmp_path / "all.csv"],
        capsys,
    )
    assert code == 0 and "placed from fewer" not in err


def test_text_values_flag(small_matrix, tmp_path, capsys, caplog):
    """A text cell among the numbers: refused with its line by default; --text-values missing
    trains with it as a missing value and says so."""
    table = pd.read_csv(small_matrix).astype(object)
    table.iloc[4, 5] = "n.d."
    path = tmp_path / "text.csv"
    table.to_csv(path, index=False)
    args = ["train", "--matrix", path, "--epochs", "1", *TINY]
    code, _, err = _run([*args, "--out", tmp_path / "a"], capsys)
    assert code == 2 and "line 6: non-numeric value 'n.d.'" in err
    code, _, err = _run([*args, "--out", tmp_path / "b", "--text-values", "missing"], capsys)
    assert code == 0, err
    said = f"1 text value(s) read as missing (line 6, {table.columns[5]}: 'n.d.')"
    assert said in caplog.text
    model = FactorizedEmbeddings.load(tmp_path / "b")
    assert len(model.gene_ids_) == len(table.columns) - 2


def test_decimal_comma_tables_are_read_and_said(small_matrix, held_out, tmp_path, capsys, caplog):
    """Tables saved by a spreadsheet in a decimal-comma locale ("GATA4;1,25") were refused:
    train reads them, and embed places their samples where it places those of the same table
    written with decimal points; both say how they read them."""
    eu = tmp_path / "small_eu.csv"
    pd.read_csv(small_matrix).to_csv(eu, index=False, sep=";", decimal=",")
    model = tmp_path / "eu_model"
    code, _, err = _run(["train", "--matrix", eu, "--out", model, "--epochs", "2", *TINY], capsys)
    assert code == 0, err
    assert f"{eu}: numbers written with a decimal comma, read as such" in caplog.text
    assert len(FactorizedEmbeddings.load(model).gene_ids_) == 30
    table, path = held_out
    held_eu = tmp_path / "held_eu.csv.gz"
    table.to_csv(held_eu, index=False, sep=";", decimal=",")
    placed = []
    for matrix in (path, held_eu):
        out = tmp_path / f"placed_{len(placed)}.csv"
        args = ["embed", "--model", model, "--matrix", matrix, "--out", out]
        code, _, err = _run(args, capsys)
        assert code == 0, err
        placed.append(pd.read_csv(out))
    assert f"{held_eu}: numbers written with a decimal comma" in caplog.text
    assert placed[1]["sample_id"].tolist() == table["sample"].tolist()
    pd.testing.assert_frame_equal(placed[0], placed[1])


def test_embed_sample_without_values(tiny_model, held_out, tmp_path, capsys):
    """An empty row among the new samples (common in exported tables) stopped the whole run:
    now the others are placed, and its row is blank and named."""
    table, _ = held_out
    new = table.copy()
    new.iloc[3, 2:] = np.nan
    new.to_csv(tmp_path / "nan.csv", index=False)
    args = ["embed", "--model", tiny_model, "--matrix", tmp_path / "nan.csv", "--label", "tissue"]
    code, _, err = _run([*args, "--out", tmp_path / "p.csv"], capsys)
    assert code == 0, err
    assert f"1 sample(s) have no value for any model gene ({table['sample'].iloc[3]})" in err
    assert "19 samples placed on the map" in err and "(1 not placed)" in err
    # the agreement counts the placed ones (here of a tissue the tiny model was not trained on)
    assert "19 of the 19 labelled samples are of tissue Blood Vessel, which no training" in err
    placed = pd.read_csv(tmp_path / "p.csv")
    assert len(placed) == 20 and placed["sample_id"].tolist() == table["sample"].tolist()
    empty = placed.iloc[3]
    assert empty["genes_used"] == 0 and empty[["x", "y", "fit_error"]].isna().all()
    assert pd.isna(empty["nearest_training_sample"]) and pd.isna(empty["majority_tissue"])
    others = placed.drop(index=3)
    assert others[["x", "y", "nearest_training_sample", "majority_tissue"]].notna().all().all()
    assert "0 for every model gene" not in err


@pytest.mark.parametrize("sample_dim", [1, 3])
def test_embed_on_a_map_of_other_than_two_axes(
    small_matrix, held_out, tmp_path, capsys, sample_dim
):
    """A model with a 3-D (or 1-D) sample embedding, from the python API: embed stopped with a
    traceback (a 2-column array for the places), or an internal message."""
    from core.data import load_table
    from core.estimator import FactorizedEmbeddings

    es = load_table(small_matrix)
    model = FactorizedEmbeddings(sample_dim=sample_dim, gene_dim=4, hidden=(16,), epochs=2)
    model.fit(es).save(tmp_path / "m")
    _, path = held_out
    args = ["embed", "--model", tmp_path / "m", "--matrix", path, "--label", "tissue"]
    code, _, err = _run([*args, "--out", tmp_path / "p.csv"], capsys)
    assert code == 0, err
    placed = pd.read_csv(tmp_path / "p.csv")
    axes = [f"axis{i + 1}" for i in range(sample_dim)]
    assert list(placed.columns[1 : 1 + sample_dim]) == axes
    assert placed[axes].notna().all().all() and "x" not in placed.columns
    again = model.transform(load_table(path))
    np.testing.assert_allclose(placed[axes].to_numpy(), again, rtol=1e-4, atol=1e-4)


def test_embed_counts_training_samples_without_a_label_as_unlabelled(
    tiny_model, held_out, tmp_path, capsys
):
    """The majority column was blank where most of the 15 nearest training samples had no
    tissue (GTEx samples the attributes file does not list), as the dashboard does not."""
    model = FactorizedEmbeddings.load(tiny_model)
    samples = model.samples_.copy()
    samples["tissue"] = samples["tissue"].astype(object)
    samples.iloc[1:, samples.columns.get_loc("tissue")] = None  # one labelled sample left
    model.samples_ = samples
    model.save(tmp_path / "few_labels")
    _, path = held_out
    args = ["embed", "--model", tmp_path / "few_labels", "--matrix", path, "--label", "tissue"]
    code, _, err = _run([*args, "--out", tmp_path / "p.csv"], capsys)
    assert code == 0, err
    placed = pd.read_csv(tmp_path / "p.csv")
    assert (placed["majority_tissue"] == "unlabelled").all()
    assert placed["majority_share"].min() >= 0.93  # (14 of 15, written to 6 decimals)


def test_embed_reads_labels_as_evaluate_does(tiny_model, held_out, tmp_path, capsys):
    """Training labels with a space after the name ("Adipose Tissue "): embed named the same
    tissue two ways in its nearest and majority columns, where evaluate and report read one
    class; and compared the new samples' own labels as written."""
    table, path = held_out
    args = ["embed", "--model", tiny_model, "--matrix", path, "--label", "tissue"]
    code, _, err = _run([*args, "--out", tmp_path / "q.csv"], capsys)
    assert code == 0, err
    majority = pd.read_csv(tmp_path / "q.csv")["majority_tissue"]
    model = FactorizedEmbeddings.load(tiny_model)
    samples = model.samples_.copy()
    tissue = samples["tissue"].astype(object)
    samples["tissue"] = [t + " " if i % 2 else t for i, t in enumerate(tissue)]
    model.samples_ = samples
    model.save(tmp_path / "spaced")
    own = table.copy()
    own["tissue"] = (majority + "  ").to_numpy()  # their own labels: the map's, spaced
    own.to_csv(tmp_path / "held.csv", index=False)
    args = ["embed", "--model", tmp_path / "spaced", "--matrix", tmp_path / "held.csv"]
    code, _, err = _run([*args, "--label", "tissue", "--out", tmp_path / "p.csv"], capsys)
    assert code == 0, err
    placed = pd.read_csv(tmp_path / "p.csv", keep_default_na=False)
    for column in ("nearest_tissue", "majority_tissue"):
        assert set(placed[column]) <= set(tissue), set(placed[column]) - set(tissue)
    assert placed["majority_tissue"].tolist() == majority.tolist()
    assert "own tissue for 20 of 20 labelled samples (100%)" in err


def test_embed_keeps_an_annotation_named_data_of_simulated_samples(
    tiny_model, held_out, tmp_path, capsys
):
    """Samples read as simulated (a file named so) with an annotation column "data": the
    table's own "data" column (SIMULATED) was inserted after the annotations were appended,
    and embed ended in a traceback (cannot insert data, already exists)."""
    table, _ = held_out
    table = table.copy()
    table.insert(2, "data", "batch1")
    path = tmp_path / "simulated_new.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "p.csv"
    code, _, err = _run(["embed", "--model", tiny_model, "--matrix", path, "--out", out], capsys)
    assert code == 0, err
    placed = pd.read_csv(out)
    assert list(placed.columns[:2]) == ["data", "sample_id"]
    assert set(placed["data"]) == {"SIMULATED"} and set(placed["sample_data"]) == {"batch1"}


def test_embed_agreement_counts_apart_the_tissues_the_map_lacks(
    sepira_file, tiny_model, tmp_path, capsys
):
    """New samples of a tissue that no training sample has (GTEx Brain, left out of training
    by default) counted as misplaced: on GTEx, 20 Heart samples all placed among Heart and 40
    Brain samples read as an agreement of 0.333."""
    table = pd.read_csv(sepira_file).iloc[40:80, :32]  # a trained tissue, then an untrained one
    trained, untrained = table["tissue"].iloc[0], table["tissue"].iloc[-1]
    assert trained in set(FactorizedEmbeddings.load(tiny_model).samples_["tissue"])
    assert untrained not in set(FactorizedEmbeddings.load(tiny_model).samples_["tissue"])
    path = tmp_path / "mixed.csv"
    table.to_csv(path, index=False)
    args = ["embed", "--model", tiny_model, "--matrix", path, "--out", tmp_path / "p.csv"]
    code, _, err = _run(args, capsys)
    assert code == 0, err
    placed = pd.read_csv(tmp_path / "p.csv")
    agree = int((placed["majority_tissue"].to_numpy()[:20] == trained).sum())
    assert (
        f"own tissue for {agree} of 20 labelled samples ({agree / 20:.0%}); 20 of the 40 "
        f"labelled samples are of tissue {untrained}, which no training sample has, so no "
        "place on the map can name it"
    ) in err, err
    # none of a trained tissue: no share to give
    table.iloc[20:].to_csv(path, index=False)
    code, _, err = _run([*args[:-1], tmp_path / "q.csv"], capsys)
    assert code == 0, err
    assert (
        "training samples is not measured: 20 of the 20 labelled samples are of tissue "
        f"{untrained}," in err
    )


def test_embed_sample_of_zeros_is_said_to_mean_nothing(tiny_model, held_out, tmp_path, capsys):
    """A sample 0 for every gene (an empty library) was placed and named by a tissue with a
    majority share of 1, with only the generic fit warning (about units) for it."""
    table, _ = held_out
    new = table.copy()
    new.iloc[2, 2:] = 0.0
    new.to_csv(tmp_path / "zeros.csv", index=False)
    args = ["embed", "--model", tiny_model, "--matrix", tmp_path / "zeros.csv", "--label", "tissue"]
    code, _, err = _run([*args, "--out", tmp_path / "p.csv"], capsys)
    assert code == 0, err
    name = table["sample"].iloc[2]
    assert f"1 sample(s) are 0 for every model gene they have ({name}): an empty library?" in err
    assert "fit the model far worse" not in err  # the others fit as the training samples do
    # a sample of negative values (another scale, a sign flipped) is not an empty library
    new.iloc[2, 2:] = -table.iloc[2, 2:].to_numpy(dtype=float) - 1.0
    new.to_csv(tmp_path / "negative.csv", index=False)
    args = ["embed", "--model", tiny_model, "--matrix", tmp_path / "negative.csv"]
    code, _, err = _run([*args, "--out", tmp_path / "n.csv", "--transform", "none"], capsys)
    assert code == 0 and "empty library" not in err, err
    # every sample empty: nothing to place
    new.iloc[:, 2:] = np.nan
    new.to_csv(tmp_path / "none.csv", index=False)
    args = ["embed", "--model", tiny_model, "--matrix", tmp_path / "none.csv"]
    code, _, err = _run([*args, "--out", tmp_path / "q.csv"], capsys)
    assert code == 2 and "no sample of" in err and not (tmp_path / "q.csv").exists()


def test_fit_error_remedy_follows_the_transform(small_matrix, tmp_path, capsys, monkeypatch):
    """A model of raw values trained with --transform log2p1. Raw values read as they are: the
    remedy is a log transform, not --transform none; log values transformed again (the model's
    transform, applied by default): the remedy is --transform none."""
    table = pd.read_csv(small_matrix)
    genes = table.columns[2:]
    raw = table.copy()
    raw[genes] = 2 ** raw[genes] * 100 - 1
    raw.to_csv(tmp_path / "raw.csv", index=False)
    model = tmp_path / "raw_model"
    train = ["train", "--matrix", tmp_path / "raw.csv", "--transform", "log2p1", "--out", model]
    assert _run([*train, "--epochs", "30", *TINY], capsys)[0] == 0
    args = ["embed", "--model", model, "--out", tmp_path / "a.csv"]
    code, _, err = _run([*args, "--matrix", tmp_path / "raw.csv", "--transform", "none"], capsys)
    assert code == 0 and "fit the model far worse" in err
    assert "add --transform log2p1, as the model's training data had" in err
    assert "--transform none" not in err
    # (the median said it of them all: the samples are not named again, as the page leaves it)
    assert "times the training error" not in err
    assert pd.read_csv(tmp_path / "a.csv")["poor_fit"].all()
    # (this tiny model does not always tell logged-again values from its own: say it does)
    monkeypatch.setattr(
        FactorizedEmbeddings, "fit_error_warning", lambda self, e, s=None: "far worse"
    )
    args = ["embed", "--model", model, "--out", tmp_path / "b.csv"]
    code, _, err = _run([*args, "--matrix", small_matrix], capsys)
    assert code == 0 and "transform: log2p1 (as the model's training data" in err
    assert "warning: far worse (embed applied log2p1" in err and "add --transform none" in err
    # raw values in other units (x 1,000), rightly transformed: "add --transform none" was the
    # remedy named; their units are
    other = raw.copy()
    other[genes] = raw[genes] * 1000
    other.to_csv(tmp_path / "other.csv", index=False)
    args = ["embed", "--model", model, "--out", tmp_path / "c.csv"]
    code, _, err = _run([*args, "--matrix", tmp_path / "other.csv"], capsys)
    assert code == 0 and "embed applied log2p1 to values that look raw" in err, err
    assert "in the training data's units" in err and "--transform none" not in err


def _small_gct(files, tmp_path, n_samples=80):
    """A GCT v1.2 of the real GTEx file's first samples (Brain among them), with its genes."""
    gct = pd.read_csv(files["gct"], sep="\t", skiprows=2)
    attributes = pd.read_csv(files["attributes"], sep="\t", usecols=["SAMPID", "SMTS"])
    brain = set(attributes.loc[attributes["SMTS"] == "Brain", "SAMPID"])
    samples = [c for c in gct.columns[2:] if c in brain][:10]
    samples += [c for c in gct.columns[2:] if c not in brain][: n_samples - len(samples)]
    part = gct[["Name", "Description", *samples]]
    path = tmp_path / "small.gct"
    with open(path, "w") as fh:
        fh.write(f"#1.2\n{len(part)}\t{len(samples)}\n")
        part.to_csv(fh, sep="\t", index=False)
    return path, brain


def test_embed_places_every_gtex_sample_given(gtex_acmg59_files, tmp_path, capsys):
    """train leaves Brain out by default (as the paper); embed places every sample it is given,
    Brain included, unless told otherwise."""
    files = gtex_acmg59_files
    gct, brain = _small_gct(files, tmp_path)
    data = ["--gtex-gct", gct, "--gtex-attributes", files["attributes"]]
    model = tmp_path / "gtex"
    code, _, err = _run(["train", *data, "--out", model, "--epochs", "2", *TINY], capsys)
    assert code == 0, err
    assert not brain & set(FactorizedEmbeddings.load(model).sample_ids_)
    out = tmp_path / "placed.csv"
    code, _, err = _run(["embed", "--model", model, *data, "--out", out], capsys)
    assert code == 0, err
    placed = pd.read_csv(out)
    assert len(placed) == 80 and placed["sample_id"].isin(brain).sum() == 10
    # the attributes' annotations are kept with the places (the help says so): Brain's SMTS
    assert (placed.loc[placed["sample_id"].isin(brain), "SMTS"] == "Brain").all()
    assert {"SMTSD", "SMTS"} <= set(placed.columns)
    out2 = tmp_path / "placed2.csv"
    code, _, err = _run(
        ["embed", "--model", model, *data, "--out", out2, "--exclude-tissues", "Brain"], capsys
    )
    assert code == 0 and len(pd.read_csv(out2)) == 70
    # new samples that GTEx's attributes do not list: placed without --gtex-attributes (it was
    # required, and then refused them: "no sample in common")
    lines = gct.read_text().splitlines(keepends=True)
    header = lines[2].rstrip("\n").split("\t")
    lines[2] = "\t".join(header[:2] + [f"NEW-{i}" for i in range(len(header) - 2)]) + "\n"
    (tmp_path / "new.gct").write_text("".join(lines))
    new = ["--gtex-gct", tmp_path / "new.gct"]
    code, _, err = _run(["embed", "--model", model, *new, "--out", tmp_path / "n.csv"], capsys)
    assert code == 0, err
    assert pd.read_csv(tmp_path / "n.csv")["sample_id"].str.startswith("NEW-").sum() == 80
    listed = [*new, "--gtex-attributes", files["attributes"], "--out", tmp_path / "n2.csv"]
    code, _, err = _run(["embed", "--model", model, *listed], capsys)
    assert code == 2 and "leave out --gtex-attributes to place samples it does not list" in err
    # some listed, some new: all placed, and the new ones counted (they were placed silently
    # without a tissue)
    lines[2] = "\t".join(header[:42] + [f"NEW-{i}" for i in range(len(header) - 42)]) + "\n"
    (tmp_path / "half.gct").write_text("".join(lines))
    half = ["--gtex-gct", tmp_path / "half.gct", "--gtex-attributes", files["attributes"]]
    code, _, err = _run(["embed", "--model", model, *half, "--out", tmp_path / "h.csv"], capsys)
    assert code == 0 and len(pd.read_csv(tmp_path / "h.csv")) == 80, err
    assert "warning: 40 of the 80 samples are not in" in err and "tissue unknown" in err
    code, _, err = _run(["embed", "--model", model, *data, "--out", tmp_path / "p3.csv"], capsys)
    assert code == 0 and "warning: 3 of the 80 samples are not in" in err  # (the shared file's)
    pheno = [*new, "--gtex-phenotypes", files["phenotypes"], "--out", tmp_path / "n3.csv"]
    code, _, err = _run(["embed", "--model", model, *pheno], capsys)
    assert code == 2 and "--gtex-phenotypes needs --gtex-attributes" in err
    # train still needs the attributes
    code, _, err = _run(["train", *new, "--out", tmp_path / "m2", "--epochs", "1"], capsys)
    assert code == 2 and "--gtex-gct needs --gtex-attributes" in err


def test_embed_out_under_a_file(tiny_model, held_out, tmp_path, capsys):
    _, path = held_out
    code, _, err = _run(
        ["embed", "--model", tiny_model, "--matrix", path, "--out", path / "placed.csv"], capsys
    )
    assert code == 2 and f"{path} is a file, not a folder" in err


# ----------------------------------------------------------------------------- neighbours
def test_a_case_twin_finds_its_own_neighbours(sepira_file, tmp_path, capsys):
    """A model with Tp53 beside TP53: ``--genes TP53`` listed Tp53's neighbours and said "give
    the id of another (TP53)", the name typed; the dashboard's search found Tp53 too."""
    table = pd.read_csv(sepira_file).iloc[:60, :10]
    genes = list(table.columns[2:])
    table = table.rename(columns={genes[0]: "Tp53", genes[1]: "TP53"})
    path = tmp_path / "twins.csv"
    table.to_csv(path, index=False)
    model_dir = tmp_path / "twins"
    train = ["train", "--matrix", path, "--out", model_dir, "--epochs", "1", "--hidden", "8"]
    assert _run([*train, "--gene-dim", "3"], capsys)[0] == 0
    out = tmp_path / "nb.tsv"
    args = ["neighbours", "--model", model_dir, "--k", "2", "--out", out, "--genes", "TP53"]
    code, _, err = _run(args, capsys)
    assert code == 0 and "names 2 of the model's genes" not in err, err
    assert set(pd.read_csv(out, sep="\t")["gene"]) == {"TP53"}
    code, _, err = _run([*args[:-1], "tp53", "--force"], capsys)  # another spelling: the first
    assert code == 0 and "names 2 of the model's genes" in err, err
    from core.data import load_table
    from dashboard.context import AppContext, DashboardConfig, ModelSettings

    settings = ModelSettings(gene_dim=3, standin=True)
    ctx = AppContext(load_table(path), DashboardConfig(cache_dir=tmp_path / "c", settings=settings))
    assert [ctx.gene_ids[ctx.gene_index(g)] for g in ("TP53", "Tp53")] == ["TP53", "Tp53"]


def test_neighbours_of_an_ensembl_id_in_a_model_of_symbols(tiny_model, capsys, tmp_path):
    """A model of a table named by symbols (the 26-tissue set) refused ``--genes
    ENSG00000121075`` (TBX4) as an unknown gene, where a model named by Ensembl ids takes its
    symbols from the GO snapshot's gene table and finds ``--genes TBX4``."""
    out = tmp_path / "nb.tsv"
    args = ["neighbours", "--model", tiny_model, "--k", "3", "--out", out]
    code, _, err = _run([*args, "--genes", "ENSG00000121075.7"], capsys)
    assert code == 0, err
    assert "ENSG00000121075.7 is TBX4 in the GO snapshot's gene table" in err
    assert (pd.read_csv(out, sep="\t")["gene"] == "TBX4").all()
    # an id that the gene table does not know stays unknown, said once, without a log line
    code, _, err = _run([*args, "--force", "--genes", "ENSG00000000001"], capsys)
    assert code == 2 and "unknown gene(s) ENSG00000000001" in err, err
    assert "unmatched" not in err


def test_neighbours_name_the_gene_as_the_model_does(tiny_model, capsys, tmp_path):
    """Asked in lower case, or twice under two spellings: the table names the model's gene
    (symbol and id) once, and stderr says which spellings were merged."""
    model = FactorizedEmbeddings.load(tiny_model)
    gene = str(model.gene_symbols_[1])
    out = tmp_path / "nb.tsv"
    args = ["neighbours", "--model", tiny_model, "--k", "3", "--out", out]
    code, stdout, err = _run([*args, "--genes", f"{gene.lower()},{gene}"], capsys)
    assert code == 0 and f"{gene} is {gene}" in err and "listed once" in err
    table = pd.read_csv(out, sep="\t")
    # (genes named by symbols alone: no gene_id column repeating them, as in export)
    assert list(table.columns[:2]) == ["gene", "rank"]
    assert (table["gene"] == gene).all()
    assert len(table) == 3 and gene in stdout
    code, _, err = _run([*args, "--force", "--genes", gene, "--k", "999"], capsys)
    assert code == 2 and "got 999" in err
    code, _, err = _run([*args, "--force", "--genes", "NOTAGENE"], capsys)
    assert code == 2 and f"e.g. {model.gene_symbols_[0]}" in err
    # a typo gets the close symbol; a gene of the file left out of training gets the reason
    model.data_source_ = {**model.data_source_, "steps": [{"op": "drop_zero_genes"}]}
    model.save(tmp_path / "dropped")
    typo = gene[:-1] + ("X" if gene[-1] != "X" else "Y")
    args = ["neighbours", "--model", tmp_path / "dropped", "--k", "3", "--out", out, "--force"]
    code, _, err = _run([*args, "--genes", typo], capsys)
    assert code == 2 and f"{typo}: did you mean {gene}" in err, err
    assert "genes left out before training (0 in every sample) are not in it" in err
    # steps that left no gene out are not given as a reason (they were, for any typo)
    steps = [
        {"op": "drop_zero_genes", "n_dropped": 0},
        {"op": "top_variable_genes", "n": 5000, "n_dropped": 0},
        {"op": "detected_genes", "min_fraction": 0.1, "n_dropped": 3},
    ]
    model.data_source_ = {**model.data_source_, "steps": steps}
    model.save(tmp_path / "none_dropped")
    args[2] = tmp_path / "none_dropped"
    code, _, err = _run([*args, "--genes", typo], capsys)
    assert code == 2 and "0 in every sample" not in err and "most variable" not in err, err
    assert "genes left out before training (above 0 in fewer than 0.1 of the samples)" in err
    # a gene the step names: said to have been left out, not given a look-alike
    step = {"op": "drop_zero_genes", "n_dropped": 2, "dropped": ["MSH2", "CACNA1S"]}
    step["dropped_ids"] = ["ENSG00000095002.13", "ENSG00000081248.10"]
    model.data_source_ = {**model.data_source_, "steps": [step]}
    model.save(tmp_path / "named")
    args = ["neighbours", "--model", tmp_path / "named", "--k", "3", "--out", out, "--force"]
    code, _, err = _run([*args, "--genes", "msh2,ENSG00000081248"], capsys)
    assert code == 2 and "msh2 was left out before training (0 in every sample)" in err, err
    assert "ENSG00000081248 was left out before training" in err and "did you mean" not in err
    assert "genes left out before training" not in err  # each one was said already, not twice
    code, _, err = _run([*args, "--genes", "msh2,NOTAGENE"], capsys)
    assert "msh2 was left out" in err and "genes left out before training (0 in" in err, err
    # a symbol of two genes (GTEx: Y_RNA): the first is listed, and the other's id is said
    model.gene_symbols_ = np.array(["Y_RNA", "Y_RNA", *model.gene_symbols_[2:]], dtype=object)
    model.save(tmp_path / "shared")
    args = ["neighbours", "--model", tmp_path / "shared", "--k", "3", "--out", out, "--force"]
    code, _, err = _run([*args, "--genes", "y_rna"], capsys)
    assert code == 0 and "y_rna names 2 of the model's genes" in err
    assert f"listed for the first, {model.gene_ids_[0]}" in err and str(model.gene_ids_[1]) in err
    assert (pd.read_csv(out, sep="\t")["gene_id"] == str(model.gene_ids_[0])).all()


def test_log_lines_read_as_sentences():
    import logging

    from core.cli import _MessageFormatter

    def line(level: int, verbose: bool = False) -> str:
        record = logging.LogRecord("core.data", level, __file__, 1, "kept %d genes", (59,), None)
        return _MessageFormatter(verbose).format(record)

    assert line(logging.INFO) == "kept 59 genes"
    assert line(logging.WARNING) == "warning: kept 59 genes"
    assert line(logging.INFO, verbose=True) == "info core.data: kept 59 genes"


# ----------------------------------------------------------------------------- where outputs go
def _tree(folder):
    """Every file under ``folder`` with its bytes: to show nothing changed."""
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_outputs_inside_a_model_directory_are_refused(tiny_model, held_out, tmp_path, capsys):
    """Training the model again (--force) replaces its directory as a whole: an output kept
    there would go with it."""
    _, path = held_out
    before = _tree(tiny_model)
    for args in (
        ["embed", "--model", tiny_model, "--matrix", path, "--out", tiny_model / "placed.csv"],
        ["neighbours", "--model", tiny_model, "--genes", "TBX4", "--out", tiny_model / "n.tsv"],
        ["train", "--matrix", path, "--out", tiny_model / "inner", "--epochs", "1", *TINY],
        ["evaluate", "--model", tiny_model, "--out", tiny_model / "table1.json", "--splits", "2"],
    ):
        code, _, err = _run(args, capsys)
        assert code == 2, err
        assert f"is inside the model directory {tiny_model}" in err and "Traceback" not in err
    assert _tree(tiny_model) == before


def test_force_keeps_a_model_directory_that_holds_other_files(tiny_model, small_matrix, capsys):
    (tiny_model / "my_notes.txt").write_text("samples placed on 2024-01-01")
    before = _tree(tiny_model)
    args = ["train", "--matrix", small_matrix, "--out", tiny_model, "--epochs", "1", "--force"]
    code, _, err = _run([*args, *TINY], capsys)
    assert code == 2 and "also holds my_notes.txt" in err
    assert _tree(tiny_model) == before


def test_embed_out_that_is_its_input(tiny_model, held_out, capsys):
    _, path = held_out
    before = path.read_bytes()
    args = ["embed", "--model", tiny_model, "--matrix", path, "--out", path, "--force"]
    code, _, err = _run(args, capsys)
    assert code == 2 and "is an input file of this command" in err
    assert path.read_bytes() == before


def test_read_only_out_folder_is_known_before_the_work(
    tiny_model, held_out, small_matrix, tmp_path, capsys, monkeypatch
):
    import core.cli

    _, path = held_out
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    real_access = core.cli.os.access
    monkeypatch.setattr(
        core.cli.os, "access", lambda p, mode: Path(p) != shelf and real_access(p, mode)
    )
    for args in (
        ["embed", "--model", tiny_model, "--matrix", path, "--out", shelf / "placed.csv"],
        ["train", "--matrix", small_matrix, "--out", shelf / "m", "--epochs", "1", *TINY],
        ["report", "--model", tiny_model, "--out", shelf / "report", "--no-go"],
    ):
        code, _, err = _run(args, capsys)
        assert code == 2 and f"cannot write in {shelf} (read-only" in err, err
    assert not any(shelf.iterdir())


def test_full_disk_while_writing_a_table(tiny_model, held_out, tmp_path, capsys, monkeypatch):
    _, path = held_out
    out = tmp_path / "placed.csv"
    out.write_text("an earlier result\n")

    def full(self, target, *args, **kwargs):
        with open(target, "w") as fh:
            fh.write("sample_id,x")  # half a table, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    args = ["embed", "--model", tiny_model, "--matrix", path, "--out", out, "--force"]
    code, _, err = _run(args, capsys)
    assert code == 2 and f"cannot write --out {out}: No space left on device" in err
    assert out.read_text() == "an earlier result\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _torch_write_fails_after(monkeypatch, n_ok: int) -> None:
    """torch.save fails from its (n_ok + 1)-th call as it does on a full disk: a RuntimeError
    raised inside torch.serialization, not an OSError."""
    import torch.serialization

    real = torch.serialization._save
    calls = []

    def save(*args, **kwargs):
        calls.append(1)
        if len(calls) > n_ok:
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 49600")
        return real(*args, **kwargs)

    monkeypatch.setattr(torch.serialization, "_save", save)


def test_full_disk_at_the_first_checkpoint(small_matrix, tmp_path, capsys, monkeypatch):
    _torch_write_fails_after(monkeypatch, 0)
    out = tmp_path / "m"
    args = ["train", "--matrix", small_matrix, "--out", out, "--epochs", "1", *TINY]
    code, _, err = _run(args, capsys)
    assert code == 2 and "Traceback" not in err
    assert f"error: cannot write the checkpoint in {out}.partial" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.csv"]  # nothing left behind


def test_full_disk_when_the_model_is_written(tiny_model, small_matrix, capsys, monkeypatch):
    before = _tree(tiny_model)
    _torch_write_fails_after(monkeypatch, 1)  # the checkpoint is written, the model is not
    args = ["train", "--matrix", small_matrix, "--out", tiny_model, "--epochs", "1", "--force"]
    code, _, err = _run([*args, *TINY], capsys)
    assert code == 2 and "Traceback" not in err
    assert f"cannot write the model to {tiny_model}" in err and "--resume" in err
    assert f"{tiny_model} is left as it was" in err
    assert _tree(tiny_model) == before
    monkeypatch.undo()
    # "the same command with --resume": --force stays (the model it replaces is still there)
    code, _, err = _run([*args[:-1], "--resume", *TINY], capsys)
    assert code == 2 and "add --force" in err and _tree(tiny_model) == before
    code, _, err = _run([*args, "--resume", *TINY], capsys)
    assert code == 0, err
    assert FactorizedEmbeddings.load(tiny_model).n_epochs_ == 1


def test_too_few_samples_or_no_expressed_gene(sepira_file, tmp_path, capsys):
    table = pd.read_csv(sepira_file).iloc[:1, :12]
    one = tmp_path / "one_sample.csv"
    table.to_csv(one, index=False)
    code, _, err = _run(["train", "--matrix", one, "--out", tmp_path / "m", *TINY], capsys)
    assert code == 2 and f"{one}: 1 sample to train on" in err
    zeros = pd.read_csv(sepira_file).iloc[:20, :12]
    zeros.iloc[:, 2:] = 0.0
    zero = tmp_path / "zeros.csv"
    zeros.to_csv(zero, index=False)
    code, _, err = _run(["train", "--matrix", zero, "--out", tmp_path / "m", *TINY], capsys)
    assert code == 2 and "every gene is 0 or missing" in err and "Traceback" not in err
    assert not (tmp_path / "m").exists() and not (tmp_path / "m.partial").exists()


def test_annotations_with_gtex_files_is_refused(gtex_acmg59_files, small_matrix, tmp_path, capsys):
    f = gtex_acmg59_files
    args = ["train", "--gtex-gct", f["gct"], "--gtex-attributes", f["attributes"]]
    code, _, err = _run([*args, "--annotations", small_matrix, "--out", tmp_path / "m"], capsys)
    assert code == 2 and "--annotations works with --matrix" in err
    assert not (tmp_path / "m").exists()


def test_model_entries_are_what_a_model_directory_holds(tiny_model):
    """``--force`` keeps a model directory that holds files of the user's (test above) by
    knowing which files are the model's: every file training writes must be among them."""
    from core.estimator import MODEL_ENTRIES

    written = {p.name for p in Path(tiny_model).iterdir() if not p.name.startswith(".")}
    assert "config.json" in written and "weights.pt" in written
    assert written <= set(MODEL_ENTRIES), written - set(MODEL_ENTRIES)


def test_annotation_columns_flag(small_matrix, tmp_path, capsys, caplog, gtex_acmg59_files):
    """A sample annotation under a name the loader does not know (ischemic_time) is trained on
    as a gene, with a warning that names the flag; --annotation-columns keeps it an annotation,
    and the model's data source re-loads it so. Misspelt names, and tables or files whose
    columns are not annotations, are refused with the reason."""
    from core.data import load_source

    table = pd.read_csv(small_matrix)
    genes = list(table.columns[2:])
    table.insert(2, "ischemic_time", np.arange(len(table)) * 10.0)
    path = tmp_path / "isch.csv"
    table.to_csv(path, index=False)
    args = ["train", "--matrix", path, "--epochs", "1", *TINY]
    # read as a gene, its minutes (up to 590) are no log scale: refused, the column named
    code, _, err = _run([*args, "--out", tmp_path / "a"], capsys)
    assert code == 2 and "values up to 590 (column 'ischemic_time')" in err, err
    code, _, err = _run([*args, "--out", tmp_path / "a", "--transform", "none"], capsys)
    assert code == 0, err
    assert "'ischemic_time', before the genes" in caplog.text
    assert "--annotation-columns" in caplog.text
    assert list(FactorizedEmbeddings.load(tmp_path / "a").gene_ids_)[0] == "ischemic_time"

    code, _, err = _run(
        [*args, "--out", tmp_path / "b", "--annotation-columns", "ischemic_time"], capsys
    )
    assert code == 0, err
    model = FactorizedEmbeddings.load(tmp_path / "b")
    assert list(model.gene_ids_) == genes
    again = load_source(model.data_source_)
    assert list(again.gene_ids) == genes
    assert again.samples["ischemic_time"].tolist() == table["ischemic_time"].tolist()

    code, _, err = _run(
        [*args, "--out", tmp_path / "c", "--annotation-columns", "Ischemic Time"], capsys
    )
    assert (
        code == 2 and "no column 'Ischemic Time'" in err and "did you mean 'ischemic_time'" in err
    )
    assert not (tmp_path / "c").exists()

    flipped = table.drop(columns=["tissue"]).set_index("sample").T
    flipped.to_csv(tmp_path / "flipped.csv", index_label="gene")
    flip = ["train", "--matrix", tmp_path / "flipped.csv", "--out", tmp_path / "d", "--epochs", "1"]
    sample = str(table["sample"].iloc[0])
    code, _, err = _run([*flip, *TINY, "--annotation-columns", sample], capsys)
    assert code == 2 and f"{sample!r} was named as a sample annotation column" in err
    assert "genes in rows" in err

    gtex = [
        "train", "--gtex-gct", gtex_acmg59_files["gct"], "--gtex-attributes",
        gtex_acmg59_files["attributes"], "--out", tmp_path / "e", "--annotation-columns", "AGE",
    ]  # fmt: skip
    code, _, err = _run(gtex, capsys)
    assert code == 2 and "--annotation-columns works with --matrix" in err


def test_annotation_columns_from_the_environment():
    from dashboard.entry import argv_from_env, build_parser

    argv = argv_from_env({"FE_ANNOTATION_COLUMNS": "ischemic_time, PMI"})
    assert argv == ["--annotation-columns", "ischemic_time, PMI"]
    assert build_parser().parse_args(argv).annotation_columns == "ischemic_time, PMI"


@pytest.mark.skipif(
    not Path("/proc/self").is_dir() or getattr(os, "geteuid", lambda: 1)() != 0,
    reason="needs Linux's /proc, as root (whom permissions let write there)",
)
def test_an_out_where_no_file_can_be_made_is_refused_before_any_work(
    tiny_model, sepira_file, capsys
):
    """Permissions say yes to root in /proc, which takes no file: report and evaluate ran all
    their work (minutes on GTEx), and train read all its data, before failing to write."""
    for args in (
        ["report", "--model", tiny_model, "--out", "/proc/fe-report"],
        ["evaluate", "--model", tiny_model, "--out", "/proc/fe.json"],
        ["train", "--matrix", sepira_file, "--out", "/proc/fe-model"],
    ):
        code, out, err = _run(args, capsys)
        assert code == 2 and "cannot write in /proc" in err, (args, err)
        assert "data:" not in err + out and "Table 1" not in err + out  # nothing read or run


def test_a_second_run_into_the_same_out_while_the_first_trains_is_refused(
    sepira_file, tmp_path, capsys
):
    """It was told the first run was "interrupted" and offered --force, and then both wrote
    the same checkpoint; and a second run started while the first read its data (minutes on
    GTEx) was not refused at all."""
    import subprocess
    import sys

    out = tmp_path / "model"
    partial = tmp_path / "model.partial"
    holder = (
        "import sys, time; from pathlib import Path; from core.train_cli import TrainingClaim\n"
        "with TrainingClaim(Path(sys.argv[1]), Path(sys.argv[2])):\n"
        "    print('held', flush=True); time.sleep(60)\n"
    )
    root = str(Path(__file__).resolve().parents[1])
    first = subprocess.Popen(
        [sys.executable, "-c", holder, str(partial), str(out)],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdout.readline().strip() == "held"
        args = ["train", "--matrix", sepira_file, "--out", out, "--epochs", "1"]
        for extra in ([], ["--force"], ["--resume"]):
            code, _, err = _run([*args, *extra], capsys)
            assert code == 2 and f"a training run (process {first.pid}, started" in err, err
            assert f"is writing {out} now" in err
            assert (partial / "running.json").is_file()  # the first run's record stays
    finally:
        first.kill()
        first.wait()
    # the run has ended (killed: its record stays): the folder is free again
    assert (partial / "running.json").is_file()
    code, _, err = _run([*args, "--top-genes", "50"], capsys)
    assert code == 0, err
    assert not partial.exists() and (out / "config.json").is_file()


def test_a_run_that_ends_as_another_starts_leaves_the_new_one_its_folder(tmp_path, monkeypatch):
    """The run that ended removed the folder and its lock file by name after a new run had
    claimed them: the new run's claim was deleted under it, and a third run trained beside it."""
    import os

    from core import train_cli
    from core.errors import CoreError

    out, partial = tmp_path / "model", tmp_path / "model.partial"
    first = train_cli.TrainingClaim(partial, out).__enter__()
    with pytest.raises(CoreError, match="is writing"):  # while it holds the folder
        train_cli.TrainingClaim(partial, out).__enter__()
    first.discard = True  # its model written: the folder goes as it leaves
    real_close, started = os.close, []

    def close_then_start_another(fd):
        real_close(fd)
        if fd == first_fd and not started:  # the instant the first run lets go
            started.append(train_cli.TrainingClaim(partial, out).__enter__())

    first_fd = first._fd
    monkeypatch.setattr(os, "close", close_then_start_another)
    first.__exit__(None, None, None)
    monkeypatch.setattr(os, "close", real_close)
    second = started[0]
    assert second.held and (partial / train_cli.RUNNING_FILE).is_file()
    assert (partial / train_cli.LOCK_FILE).is_file()
    with pytest.raises(CoreError, match="is writing"):  # a third run: the second holds it
        train_cli.TrainingClaim(partial, out).__enter__()
    second.__exit__(None, None, None)
    assert not partial.exists() and list(tmp_path.iterdir()) == []  # nothing left aside


def test_a_failed_run_leaves_no_folder_it_made(tmp_path, capsys):
    """The checkpoint folder, made before the data is read, left the --out's parent folders
    behind when the run failed."""
    out = tmp_path / "deep" / "a" / "b" / "model"
    code, _, err = _run(["train", "--matrix", tmp_path / "typo.csv", "--out", out], capsys)
    assert code == 2 and "typo.csv" in err, err
    assert list(tmp_path.iterdir()) == []


def test_a_run_holds_its_folder_while_it_reads_its_data(sepira_file, tmp_path, capsys, monkeypatch):
    """The record was written only once the data was read: a second run started meanwhile
    passed every check, and the first one's end removed the folder the second wrote into."""
    from core import cli

    out = tmp_path / "model"
    args = ["train", "--matrix", sepira_file, "--out", out, "--epochs", "1", "--top-genes", "20"]
    load = cli.load_data_from_args
    seen = []

    def load_and_start_another(*a, **k):
        seen.append(_run([*args, "--force"], capsys))  # while the first reads its data
        return load(*a, **k)

    monkeypatch.setattr(cli, "load_data_from_args", load_and_start_another)
    code, _, err = _run(args, capsys)
    assert code == 0, err
    assert seen and seen[0][0] == 2 and f"is writing {out} now" in seen[0][2], seen
    assert (out / "config.json").is_file() and not (tmp_path / "model.partial").exists()


def test_a_label_added_to_the_annotation_file_after_training_is_read(sepira_file, tmp_path, capsys):
    """The early check of --label knew only the columns saved with the model: a column added to
    the annotation file since then (read again with the data) was refused, and the message
    listed the old columns only."""
    table = pd.read_csv(sepira_file).iloc[:60, :32]
    table.drop(columns=["tissue"]).to_csv(tmp_path / "m.csv", index=False)
    annotations = table[["sample", "tissue"]]
    annotations.to_csv(tmp_path / "ann.csv", index=False)
    model = tmp_path / "model"
    train = ["train", "--matrix", tmp_path / "m.csv", "--annotations", tmp_path / "ann.csv"]
    code, _, err = _run([*train, "--out", model, "--epochs", "2", "--hidden", "16"], capsys)
    assert code == 0, err
    group = np.where(np.arange(60) % 2 == 0, "a", "b")
    # (a comment line above the header, which the loader skips)
    text = annotations.assign(Group=group).to_csv(index=False)
    (tmp_path / "ann.csv").write_text("# sample annotations exported 2024-05-01\n" + text)
    evaluate = ["evaluate", "--model", model, "--splits", "2", "--classifiers", "1-NN"]
    code, _, err = _run([*evaluate, "--label", "group", "--out", tmp_path / "t.json"], capsys)
    assert code == 0, err
    assert json.loads((tmp_path / "t.json").read_text())["protocol"]["label"] == "Group"
    code, _, err = _run([*evaluate, "--label", "grp", "--out", tmp_path / "u.json"], capsys)
    assert code == 2 and "--label grp: no such sample annotation (available: tissue)" in err, err
    # the id column is no label: refused before the data is read again
    code, _, err = _run([*evaluate, "--label", "sample", "--out", tmp_path / "v.json"], capsys)
    assert code == 2 and "--label sample: no such sample annotation" in err, err


def test_an_unknown_label_is_refused_before_the_data_is_read_again(
    tiny_model, capsys, monkeypatch, tmp_path
):
    """--label NOPE was found out only after the training data had been read again (minutes
    for a genome-wide GTEx matrix)."""
    import core.data

    def never(*args, **kwargs):
        raise AssertionError("the data was read again")

    monkeypatch.setattr(core.data, "load_source", never)
    args = ["evaluate", "--model", tiny_model, "--label", "NOPE", "--out", tmp_path / "t1.json"]
    code, _, err = _run(args, capsys)
    assert code == 2 and "--label NOPE: no such sample annotation (available:" in err, err


def test_a_mistyped_flag_is_said_with_the_commands_own_usage(tmp_path, capsys):
    """``train --epochz 3`` printed the top-level usage (the command names only): the user who
    mistyped a train flag was not shown train's flags."""
    commands = (
        (["train", "--matrix", "x", "--out", tmp_path / "m"], "--epochz"),
        (["neighbors", "--model", "x", "--genes", "GATA4"], "--kk"),
    )
    for given, typo in commands:
        command = given[0]
        with pytest.raises(SystemExit) as exit_:
            main([*map(str, given), typo, "3"])
        err = capsys.readouterr().err
        assert exit_.value.code == 2
        name = "neighbours" if command == "neighbors" else command
        assert f"python -m core {name}: error: unrecognized arguments: {typo} 3" in err, err
        assert f"usage: python -m core {name}" in err


def test_train_says_when_few_automatic_epochs_were_chosen(
    sepira_file, tmp_path, capsys, monkeypatch, caplog
):
    """A wide matrix (GTEx with --top-genes 5000) gets 3 automatic passes on a CPU, which the
    run did not mention; it now says more would draw a tighter map, and what 10 would cost.
    The log line of the choice writes its count as the other lines do ("995743 observed
    values" beside "17,382 samples")."""
    from core import estimator

    caplog.set_level(logging.INFO, logger="core")

    table = pd.read_csv(sepira_file).iloc[:80, :30]
    path = tmp_path / "small.csv"
    table.to_csv(path, index=False)
    monkeypatch.setattr(estimator, "auto_epochs", lambda n_observed, device: 3)
    code, _, err = _run(["train", "--matrix", path, "--out", tmp_path / "m", *TINY], capsys)
    assert code == 0, err
    assert "note: 3 epochs were chosen for a matrix of this size" in err
    assert "--epochs 10 would take about" in err
    assert "epochs not given: 3 for 2,240 observed values" in caplog.text
    code, _, err = _run(
        ["train", "--matrix", path, "--out", tmp_path / "m2", "--epochs", "3", *TINY], capsys
    )
    assert code == 0 and "epochs were chosen" not in err  # the user chose them


def test_embed_names_log_values_of_another_base(sepira_file, tmp_path, capsys):
    """Natural-log values given to a model of log2 values fit at less than 3x the training
    loss, under the fit-error warning, and were placed without a word."""
    table = pd.read_csv(sepira_file).iloc[:80, :32]  # 4 tissues of 20 samples, 30 genes
    held = table.groupby("tissue").head(5)  # 5 of each tissue held out
    table.drop(held.index).to_csv(tmp_path / "train.csv", index=False)
    model = tmp_path / "m"
    args = ["train", "--matrix", tmp_path / "train.csv", "--out", model, "--epochs", "100"]
    assert _run(args, capsys)[0] == 0
    embed = ["embed", "--model", model, "--label", "tissue"]
    for name, factor in (("same", 1.0), ("ln", np.log(2))):  # ln(x) = log2(x) * ln(2)
        new = held.copy()
        new[new.columns[2:]] *= factor
        new.to_csv(tmp_path / f"{name}.csv", index=False)
        args = [*embed, "--matrix", tmp_path / f"{name}.csv", "--out", tmp_path / f"{name}_out.csv"]
        code, _, err = _run(args, capsys)
        assert code == 0, err
        said = re.search(r"warning: the new samples' values are about (0\.\d+)x what the", err)
        if factor == 1.0:
            assert not said and "far worse" not in err, err
    assert said and 0.6 < float(said.group(1)) < 0.8, err
    assert "as natural-log values against a model trained on log2 values would be;" in err


def test_the_time_left_goes_by_the_recent_pace_not_the_slow_first_epochs():
    """The first epochs (grid searches) ran 7.5 s each, the others 2.8 s: the whole pace said
    "about 10 min left" with 4 to go. 20 epochs of 7.5 s, then 2.8 s: at epoch 60 of 100, 40
    epochs of 2.8 s are left (112 s)."""
    from core.cli import Pace

    pace, elapsed, said = Pace(), 0.0, ""
    for epoch in range(1, 61):
        elapsed += 7.5 if epoch <= 20 else 2.8
        said = pace.left(elapsed, epoch / 100)
    assert said == ", about 112 s left", said
    # a report that repeats the last share done (within an epoch) says nothing new
    assert pace.left(elapsed, 0.6) in ("", ", about 112 s left")
