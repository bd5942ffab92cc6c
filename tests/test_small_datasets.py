"""The workflow on small and oddly shaped cuts of the real 26-tissue GTEx set, as a small study
would run it: each command works and says what it left out, or refuses with one line that
names the problem and the remedy (never a traceback, nor a refusal after all the work)."""

from __future__ import annotations

import html
import re

import pandas as pd

from core.cli import main
from core.data import load_table
from tests.cli_run import run_cli as _run

TINY = ["--hidden", "16", "--gene-dim", "4", "--epochs", "2"]


def _cut(sepira_file, tmp_path, per_tissue: int, n_tissues: int, n_genes: int = 40):
    """``per_tissue`` real samples of each of the first ``n_tissues`` tissues."""
    table = pd.read_csv(sepira_file)
    tissues = table["tissue"].drop_duplicates().iloc[:n_tissues]
    cut = pd.concat([table[table["tissue"] == t].head(per_tissue) for t in tissues])
    path = tmp_path / f"cut_{per_tissue}x{n_tissues}.csv"
    cut.iloc[:, : 2 + n_genes].to_csv(path, index=False)
    return path


def _train(path, tmp_path):
    out = tmp_path / f"model_{path.stem}"
    assert main(["train", "--matrix", str(path), "--out", str(out), *TINY]) == 0
    return out


def test_a_tissue_column_of_numbers_is_the_label_not_a_gene(sepira_file, tmp_path):
    """Tissues coded 1, 2, 3 under the column name ``tissue``: it was read as a gene (trained
    on, and evaluate said the samples had no annotations to classify)."""
    table = pd.read_csv(sepira_file).iloc[:60, :22]
    table["tissue"] = table["tissue"].map(
        {t: i + 1 for i, t in enumerate(table["tissue"].unique())}
    )
    path = tmp_path / "coded.csv"
    table.to_csv(path, index=False)
    es = load_table(path)
    assert "tissue" not in set(es.gene_ids) and es.n_genes == 20
    assert list(es.samples["tissue"].unique()) == [1, 2, 3]


def test_evaluate_refuses_a_fraction_that_leaves_nothing_to_train_before_the_maps(
    sepira_file, tmp_path, capsys
):
    """8 samples: 2% is none. The refusal named neither the flag nor the fractions that work,
    and came after every baseline map had been computed."""
    model = _train(_cut(sepira_file, tmp_path, 4, 2), tmp_path)
    capsys.readouterr()
    code, _, err = _run(
        ["evaluate", "--model", model, "--out", tmp_path / "t1.json", "--no-cache"], capsys
    )
    assert code == 2
    line = err.strip().splitlines()[-1]
    assert line.startswith("error: --fraction 0.02 of the 8 labelled samples leaves 0")
    assert "0.125" in line and "0.875" in line
    assert "map" not in err  # refused before any baseline map
    # the fractions it names work
    code, _, err = _run(
        ["evaluate", "--model", model, "--out", tmp_path / "t1.json", "--no-cache"]
        + ["--fraction", "0.125", "--splits", "3", "--methods", "pca"],
        capsys,
    )
    assert code == 0, err


def test_report_of_a_small_study_skips_what_it_cannot_compute(sepira_file, tmp_path, capsys):
    """A report of 8 samples (Table 1 at 2%: none to train on) or of 3 (no baseline map) was
    refused whole; it is written, and says what it skipped and why. Without --fraction, the 8
    samples' Table 1 is computed from the share the dashboard would take (50%: 4 samples, two
    per class), and the page says why it is not the paper's 2%."""
    said = {
        (4, 2): "--fraction not given: the paper's 2% would train on 0 samples for 2 classes",
        (1, 3): "Skipped: 3 samples: too few for",
    }
    for (per_tissue, n_tissues), words in said.items():
        model = _train(_cut(sepira_file, tmp_path, per_tissue, n_tissues), tmp_path)
        out = tmp_path / f"report_{per_tissue}x{n_tissues}"
        code, _, err = _run(
            ["report", "--model", model, "--out", out, "--no-go", "--no-cache", "--splits", "3"],
            capsys,
        )
        assert code == 0, err
        assert words in page_of(out)
    assert "train on 50% of the labelled samples (4), test on the other 4" in page_of(
        tmp_path / "report_4x2"
    )
    assert "--fraction 0.5" in page_of(tmp_path / "report_4x2")  # the command that makes it again


def page_of(out) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", (out / "index.html").read_text(encoding="utf-8")))


def test_report_refuses_an_asked_fraction_that_leaves_nothing_to_train(
    sepira_file, tmp_path, capsys
):
    model = _train(_cut(sepira_file, tmp_path, 4, 2), tmp_path)
    capsys.readouterr()
    code, _, err = _run(
        ["report", "--model", model, "--out", tmp_path / "r", "--no-go", "--fraction", "0.05"],
        capsys,
    )
    assert code == 2 and "give --fraction from 0.125" in err
    assert not (tmp_path / "r").exists()


def test_embed_of_a_small_study_counts_the_neighbours_it_has(sepira_file, tmp_path, capsys):
    """A model of 8 samples: the majority label is taken over the 8, as the table holds, but
    the summary spoke of "the 15 nearest training samples"."""
    model = _train(_cut(sepira_file, tmp_path, 4, 2), tmp_path)
    new = pd.read_csv(sepira_file).iloc[[4, 24]].iloc[:, :42]  # other samples of both tissues
    path = tmp_path / "new.csv"
    new.to_csv(path, index=False)
    capsys.readouterr()
    code, _, err = _run(
        ["embed", "--model", model, "--matrix", path, "--out", tmp_path / "placed.tsv"], capsys
    )
    assert code == 0, err
    assert "majority tissue of the 8 nearest training samples" in err, err
    assert "of the 15 nearest" not in err
