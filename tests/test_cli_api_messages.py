"""Messages of the command line and of the Python API, each worded for its caller: embed's
genes matched in another case or misspelt, the option that reads text cells as missing, the
report's drawing time, the .h5ad README's scanpy call, and enrichment of an empty gene list."""

from __future__ import annotations

import logging
import re
import time

import pandas as pd
import pytest

from core.cli import main
from core.errors import DataError
from tests.cli_run import TINY
from tests.cli_run import run_cli as _run


@pytest.fixture()
def real_table(sepira_file):
    """The first 60 real samples (3 tissues of 20) of the 26-tissue set, 30 of its genes."""
    return pd.read_csv(sepira_file).iloc[:60, :32]


@pytest.fixture()
def small_model(real_table, tmp_path):
    path = tmp_path / "small.csv"
    real_table.to_csv(path, index=False)
    out = tmp_path / "small_model"
    assert main(["train", "--matrix", str(path), "--out", str(out), "--epochs", "2", *TINY]) == 0
    return out


def test_embed_says_genes_matched_in_another_case_and_a_misspelt_one(
    small_model, real_table, tmp_path, capsys
):
    """Columns myh7, tnnt2 ... were placed as MYH7, TNNT2 without a word, and a misspelt column
    (MYH77) was only "ignored": the first are named as matched in another case, the second
    with the model gene it may have meant, by the page's rule."""
    genes = list(real_table.columns[2:])
    lower, misspelt = genes[:2], genes[5]
    table = real_table.drop(columns="tissue").iloc[:5]
    table = table.rename(columns={**{g: g.lower() for g in lower}, misspelt: misspelt + "9"})
    path = tmp_path / "lower.csv"
    table.to_csv(path, index=False)
    argv = ["embed", "--model", small_model, "--matrix", path, "--transform", "none"]
    code, _, err = _run([*argv, "--out", tmp_path / "e.csv"], capsys)
    assert code == 0, err
    line = next(line for line in err.splitlines() if line.startswith("genes:"))
    folded = ", ".join(f"{g.lower()} as {g}" for g in lower)
    assert f"2 of them matched in another case ({folded})" in line, line
    assert f"{misspelt}9 (did you mean {misspelt}?)" in line, line


def test_embed_says_a_gene_left_out_before_training_is_no_typo(real_table, tmp_path, capsys):
    """A gene 0 in every training sample (left out before training) given again in the new
    samples was listed as not in the model with a "did you mean" another gene (MIR4692: did you
    mean MIR4448, MIR4795 ...? on the 26-tissue set): it is said to have been left out."""
    genes = list(real_table.columns[2:])
    zero = genes[3]
    train = real_table.assign(**{zero: 0.0})
    path = tmp_path / "zero.csv"
    train.to_csv(path, index=False)
    model = tmp_path / "zero_model"
    argv = ["train", "--matrix", path, "--out", model, "--epochs", "1", *TINY]
    assert _run(argv, capsys)[0] == 0
    new = tmp_path / "new.csv"
    real_table.drop(columns="tissue").iloc[:5].to_csv(new, index=False)
    argv = ["embed", "--model", model, "--matrix", new, "--transform", "none"]
    code, _, err = _run([*argv, "--out", tmp_path / "e.csv"], capsys)
    assert code == 0, err
    line = next(line for line in err.splitlines() if line.startswith("genes:"))
    assert f"{zero} (left out before training: 0 in every sample)" in line, line
    assert "did you mean" not in line, line


def test_the_close_symbols_rule_is_the_pages():
    """The rule lives in core, and the page's context uses it (not a copy of it)."""
    from core.data import close_symbols, did_you_mean
    from dashboard import context

    symbols = ["MYH11", "MYH7", "TNNT2", "GATA4"]
    assert close_symbols("MYH77", symbols) == ["MYH7", "MYH11"]
    assert close_symbols("ENSG00000092054", symbols) == []
    assert did_you_mean({"MYH77": ["MYH7"]}) == " (did you mean MYH7?)"
    assert context.did_you_mean is did_you_mean


def _text_cell_table(real_table, tmp_path):
    table = real_table.drop(columns="tissue").iloc[:12].astype(object)
    table.iloc[4, 10] = "n.d."
    path = tmp_path / "text.csv"
    table.to_csv(path, index=False)
    return path


def test_python_is_told_the_argument_and_the_shell_the_flag(real_table, tmp_path, capsys):
    """load_table's error named --text-values missing to Python code, where the option is the
    argument text_values="missing"; the command line still names its flag."""
    from core.data import load_table

    path = _text_cell_table(real_table, tmp_path)
    with pytest.raises(DataError) as err:
        load_table(path, transform="none")
    assert 'read text cells as missing values (text_values="missing")' in str(err.value)
    assert "--text-values" not in str(err.value)
    argv = ["train", "--matrix", str(path), "--out", str(tmp_path / "m"), "--epochs", "1"]
    assert main(argv) == 2
    said = capsys.readouterr().err
    assert "read text cells as missing values (--text-values missing)" in said
    assert "text_values=" not in said


def test_a_warning_names_the_flag_on_the_command_line(real_table, tmp_path, caplog):
    """A gene column with a text cell, read as an annotation, is warned of: Python is told the
    argument, the command line's log lines the flag."""
    from core.cli import _MessageFormatter
    from core.data import load_table

    table = real_table.drop(columns="tissue").iloc[:12].astype(object)
    table.iloc[4, 1] = "n.d."  # (the first gene column: read as an annotation)
    path = tmp_path / "first.csv"
    table.to_csv(path, index=False)
    with caplog.at_level(logging.WARNING, logger="core.data"):
        load_table(path, transform="none")
    record = next(r for r in caplog.records if "read as an annotation" in r.getMessage())
    assert 'read text as missing (text_values="missing")' in record.getMessage()
    shown = _MessageFormatter().format(record)
    assert shown.startswith("warning: ") and "(--text-values missing)" in shown
    assert "text_values=" not in shown


def test_drawing_the_maps_is_timed_without_the_loss_figure(small_model, tmp_path, monkeypatch):
    """The page's "drawing them", a part of the maps' time, counted the training error's
    figure too."""
    import core.report_cli

    drawn = core.report_cli._fig_loss

    class Clock:
        """The report's clock: time's, on which the loss figure takes 100 s (no sleep)."""

        skew = 0.0

        def __getattr__(self, name):
            return getattr(time, name)

        def perf_counter(self):
            return time.perf_counter() + self.skew

    clock = Clock()

    def slow_loss_figure(history):
        clock.skew += 100.0
        return drawn(history)

    monkeypatch.setattr(core.report_cli, "time", clock)
    monkeypatch.setattr(core.report_cli, "_fig_loss", slow_loss_figure)
    out = tmp_path / "report"
    argv = ["report", "--model", str(small_model), "--out", str(out), "--methods", "pca"]
    argv += ["--splits", "2", "--no-go", "--no-cache", "--classifiers", "1-NN"]
    assert main(argv) == 0
    page = (out / "index.html").read_text()
    drawing = re.search(r"drawing them (under 1|\d+) s", page)
    assert drawing is not None, page
    assert drawing.group(1) == "under 1" or int(drawing.group(1)) < 100, drawing.group(0)
    assert "Training error of the model" in page  # (the figure is still drawn)
    assert clock.skew == 100.0  # (drawn once, on the report's clock)


def test_h5ad_readme_colours_by_the_label_as_obs_names_it(real_table, tmp_path, capsys):
    """A label column named y clashes with the map's axis and is written to obs as
    annotation_y: README.txt's scanpy call said color="y", a column the file lacks."""
    import anndata

    path = tmp_path / "y.csv"
    real_table.rename(columns={"tissue": "y"}).to_csv(path, index=False)
    model = tmp_path / "y_model"
    argv = ["train", "--matrix", str(path), "--out", str(model), "--epochs", "1", *TINY]
    assert main(argv) == 0
    out = tmp_path / "h5ad"
    argv = ["export", "--model", str(model), "--out", str(out), "--format", "h5ad"]
    assert main([*argv, "--no-gene-types"]) == 0, capsys.readouterr().err
    readme = (out / "README.txt").read_text()
    colours = re.findall(r'sc\.pl\.embedding\(adata, basis="fe", color="([^"]+)"\)', readme)
    adata = anndata.read_h5ad(out / "factorized_embeddings.h5ad")
    assert len(colours) == 1 and colours[0] in adata.obs.columns, (colours, adata.obs.columns)
    assert set(adata.obs[colours[0]]) == set(real_table["tissue"])


def test_enrich_of_an_empty_list_or_unannotated_genes_says_why(caplog):
    """enrich([]) returned an empty table without a word, which reads as "nothing enriched";
    both entry points (the Enricher's and the ontology's) now say the list was empty, and a
    list none of whose genes is annotated names its genes."""
    from core.annotations import GeneOntology

    go = GeneOntology.load()
    background = ["TP53", "BRCA1", "GATA4", "MYH7", "TNNT2"]
    said = []
    for enrich in (go.enricher(background).enrich, lambda s: go.enrich(s, background)):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="core.annotations"):
            table = enrich([])
        assert table.empty
        said.append([r.getMessage() for r in caplog.records])
    assert said[0] == said[1] and len(said[0]) == 1
    assert "the gene set is empty" in said[0][0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.annotations"):
        assert go.enrich(["NOTAGENE1", "NOTAGENE2"], background).empty
    assert "no gene of the set (NOTAGENE1, NOTAGENE2) is in the annotated" in caplog.text


def test_one_gene_in_another_case_among_many_is_worded_so():
    """One column in another case among the 3 genes found read "1 of it matched in another
    case": "it" is the genes found, not the one matched."""
    from types import SimpleNamespace

    import numpy as np

    from core.embed_cli import _gene_report

    symbols = np.array(["MYH7", "TNNT2", "GATA4", "NPPA"])
    model = SimpleNamespace(gene_ids_=symbols, gene_symbols_=symbols)
    for given, said in (
        (["myh7", "TNNT2", "GATA4"], "; 1 of them matched in another case (myh7 as MYH7)"),
        (["myh7"], "; it matched in another case (myh7 as MYH7)"),
    ):
        es = SimpleNamespace(
            gene_ids=np.array(given),
            gene_symbols=np.array(given),
            values=np.ones((2, len(given)), dtype=np.float32),
            n_samples=2,
        )
        line = _gene_report(model, es, "new.csv")
        assert said in line, line


def test_the_pages_command_line_names_its_flag(real_table, tmp_path):
    """``python app.py --matrix`` of a table with a text cell named the Python argument
    ``text_values="missing"``: the page's command line has the flag ``--text-values``."""
    import subprocess
    import sys
    from pathlib import Path

    path = _text_cell_table(real_table, tmp_path)
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "app.py", "--matrix", str(path), "--transform", "none"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "read text cells as missing values (--text-values missing)" in done.stderr
    assert "text_values=" not in done.stderr


def test_a_folder_of_models_given_as_the_model_names_them(tmp_path):
    """``--model models/`` (the folder ``train --out models/mine`` wrote into): the error names
    the model directories inside, not only "config.json missing"."""
    from core.embed_cli import load_model_dir
    from core.errors import ModelError

    (tmp_path / "notes").mkdir()
    for name in ("mine", "other"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text("{}")
    with pytest.raises(ModelError) as err:
        load_model_dir(str(tmp_path))
    said = str(err.value)
    assert said.startswith(f"--model {tmp_path}: not a model directory (config.json missing)")
    assert f"model directories {tmp_path / 'mine'}, {tmp_path / 'other'}: give one" in said
    assert "notes" not in said
    (tmp_path / "other" / "config.json").unlink()
    with pytest.raises(ModelError, match="it holds the model directory .*mine: give it$"):
        load_model_dir(str(tmp_path))
    with pytest.raises(ModelError, match=r"\(config.json missing\)$"):
        load_model_dir(str(tmp_path / "notes"))
