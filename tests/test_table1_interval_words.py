"""What Table 1's words claim against what its numbers measure.

The paired 95% intervals are over the random splits of one computed map per method: more
splits narrow them, while another seed moves an accuracy as much as the differences they call
"higher" (26-tissue set, 1-NN from 10%, 20 splits: UMAP's 1-NN went from 0.775 to 0.785 over
six seeds of its map; FE minus t-SNE read "higher" with four split seeds of six and "level"
with two). The maps are computed from
every sample, the test samples' values too, and FE's defaults were chosen by the acmg59 1-NN
the page quoted: none of this was said where the results are.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from core.cli import main


def _table():
    from core.analysis import semi_supervised_table

    rng = np.random.default_rng(0)
    labels = np.repeat(list("abcdefgh"), 10)
    good = np.c_[np.repeat(np.arange(8), 10) * 3.0, np.zeros(80)] + rng.normal(size=(80, 2)) / 3
    maps = {"fe": good, "pca": rng.normal(size=(80, 2)), "tsne": good + 0.01}
    return semi_supervised_table(maps, labels, fraction=0.3, n_splits=5, classifiers=["1-NN"])


def test_the_lead_says_its_interval_leaves_out_the_seeds_of_the_maps():
    from core.report_sections import _table1_lead

    lead = _table1_lead(_table())
    assert "higher than PCA (" in lead, lead
    assert "it covers the choice of splits for these maps as computed, not the maps' own " in lead
    assert "training seeds" in lead


def test_the_section_says_what_the_maps_saw_and_that_fe_was_tuned_on_acmg59():
    from core.report_sections import _section_table1

    args = SimpleNamespace(seed=0, center_samples=False)
    section = _section_table1(_table(), "tissue", args, chance=0.125, neighbour_weight=1.0)
    assert "the test samples&#x27; too (not from their labels)" in section
    assert "only the classifiers are trained on the training share alone" in section
    # acmg59's figures beside FE's column: a tuned method's; 0.83 of older settings
    assert "the map read 0.83 without the term (an earlier run, older settings)" in section
    assert "chosen by that same 1-NN on those same samples and splits" in section
    assert "read FE's column as a tuned method's" in section
    # the paired table's caption
    assert "or with other training seeds of the maps" in section


def test_evaluate_markdown_says_what_the_maps_saw(sepira_file, tmp_path, capsys):
    import json

    matrix = tmp_path / "small.csv"
    pd.read_csv(sepira_file).iloc[:60, :32].to_csv(matrix, index=False)
    model = tmp_path / "tiny"
    argv = ["train", "--matrix", str(matrix), "--out", str(model), "--epochs", "2"]
    assert main([*argv, "--hidden", "16", "--gene-dim", "4"]) == 0
    out = tmp_path / "t1.json"
    argv = ["evaluate", "--model", str(model), "--fraction", "0.5", "--splits", "3"]
    argv += ["--out", str(out), "--methods", "pca", "--classifiers", "1-NN", "--no-cache"]
    assert main(argv) == 0
    capsys.readouterr()
    md = out.with_suffix(".md").read_text()
    assert "the test samples' too (not from their labels)" in md
    assert "or with other training seeds of the maps" in md
    definitions = json.loads(out.read_text())["definitions"]["fe_minus_other"]
    assert "with other training seeds of the maps" in definitions
