"""The Python API as a notebook uses it, on real data (GTEx, 26 tissues): tables sorted
otherwise than the map, a GCT's two-level columns, paths a user types, a hand-edited GAF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import analysis
from core.errors import DataError, ModelError
from core.estimator import FactorizedEmbeddings

GAF = Path(__file__).parent / "data" / "goa_human_excerpt.gaf"
OBO = Path(__file__).parent / "data" / "go_excerpt.obo"


@pytest.fixture(scope="module")
def sepira_frame(sepira_file):
    """Samples x genes (log values) indexed by sample id, and the tissue of each sample."""
    frame = pd.read_csv(sepira_file).set_index("sample")
    tissue = frame.pop("tissue")
    return frame.astype(np.float32), tissue


@pytest.fixture(scope="module")
def small_model(sepira_frame):
    values, _ = sepira_frame
    return FactorizedEmbeddings(epochs=1, gene_dim=4, hidden=(8,), device="cpu").fit(
        values.iloc[::10, :20]
    )


def test_labels_in_another_order_than_a_map_of_numbered_samples_are_read_by_number(
    sepira_frame,
):
    """Samples numbered 1000, 1001... (a map indexed by them) and their labels in another
    order (sorted by another column): the labels were paired with the map's rows by
    position."""
    values, tissue = sepira_frame
    numbers = np.arange(1000, 1000 + len(values))
    pcs = values.to_numpy() - values.to_numpy().mean(0)
    pcs = pcs @ np.linalg.svd(pcs, full_matrices=False)[2][:5].T
    framed = pd.DataFrame(pcs, index=numbers)
    labels = pd.Series(tissue.to_numpy(), index=numbers)
    in_order = analysis.one_nn_accuracy(framed, labels, 0.1, 5)
    assert in_order.mean > 0.5
    shuffled_labels = labels.sample(frac=1.0, random_state=0)
    assert analysis.one_nn_accuracy(framed, shuffled_labels, 0.1, 5).mean == pytest.approx(
        in_order.mean
    )
    table = analysis.semi_supervised_table(
        {"pca": framed}, shuffled_labels, 0.1, 5, classifiers=("1-NN",)
    )
    assert table.loc["1-NN", ("pca", "mean")] == pytest.approx(in_order.mean)
    # a filtered map keeps row numbers that are not its labels' numbers: read in order
    odd = framed.iloc[1::2]
    odd_labels = pd.Series(tissue.to_numpy()[1::2])
    expected = analysis.one_nn_accuracy(odd.to_numpy(), odd_labels.to_numpy(), 0.1, 5)
    assert analysis.one_nn_accuracy(odd, odd_labels, 0.1, 5) == expected


def test_smoothness_pairs_values_and_map_by_sample_id(sepira_frame, small_model):
    """A map as a DataFrame indexed by sample id and a table of values sorted otherwise: each
    sample's values were paired with another sample's place."""
    values, _ = sepira_frame
    values = values.loc[small_model.sample_ids_]
    genes = list(values.columns[:20])
    place = pd.DataFrame(small_model.sample_embedding_, index=small_model.sample_ids_)
    aligned = analysis.gene_smoothness(place, values[genes], k=5)
    shuffled = values[genes].sample(frac=1.0, random_state=0)
    np.testing.assert_allclose(analysis.gene_smoothness(place, shuffled, k=5), aligned, atol=1e-9)
    one = analysis.gene_smoothness(place, shuffled[genes[0]], k=5)  # a Series of one gene
    assert one[0] == pytest.approx(aligned[0])
    markers = analysis.marker_smoothness({"FE": place}, values, values.columns, genes[:3], k=5)
    markers_shuffled = analysis.marker_smoothness(
        {"FE": place}, shuffled, shuffled.columns, genes[:3], k=5
    )
    np.testing.assert_allclose(markers_shuffled["FE"], markers["FE"], atol=1e-9)
    with pytest.raises(DataError, match="not rows of values"):
        analysis.gene_smoothness(place, values[genes].iloc[3:], k=5)


def test_a_frame_with_two_level_columns_is_refused_by_name(sepira_frame):
    """A GCT read with pandas and turned (Name, Description columns): pandas' TypeError
    about MultiIndex dtypes, which named neither the columns nor the remedy."""
    values, _ = sepira_frame
    values = values.iloc[:20, :10]
    two = values.copy()
    two.columns = pd.MultiIndex.from_arrays(
        [[f"ENSG{i:011d}" for i in range(10)], values.columns], names=["Name", "Description"]
    )
    with pytest.raises(ModelError, match=r"columns have 2 levels \(Name, Description\)"):
        FactorizedEmbeddings(epochs=1).fit(two)
    rows = values.set_index(pd.MultiIndex.from_arrays([values.index, np.arange(20)]))
    with pytest.raises(ModelError, match="index have 2 levels"):
        FactorizedEmbeddings(epochs=1).fit(rows)


def test_save_and_load_paths_a_user_types(small_model, tmp_path, monkeypatch):
    blocker = tmp_path / "results.csv"
    blocker.write_text("a,b\n")
    with pytest.raises(ModelError, match="results.csv is a file, not a folder"):
        small_model.save(blocker / "model")  # was FileExistsError: "File exists"
    assert blocker.read_text() == "a,b\n"
    with pytest.raises(ModelError, match="is a file, not a model directory"):
        FactorizedEmbeddings.load(blocker)  # was "no such model directory"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    saved = small_model.save("~/models/m")
    assert saved == tmp_path / "home" / "models" / "m" and not (tmp_path / "~").exists()
    loaded = FactorizedEmbeddings.load("~/models/m")
    assert loaded.key() == small_model.key()
    with pytest.raises(ModelError, match="load the directory that holds it"):
        FactorizedEmbeddings.load(saved / "config.json")


def test_a_checkpoint_under_a_file_is_refused_before_training(sepira_frame, tmp_path):
    values, _ = sepira_frame
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x")
    fe = FactorizedEmbeddings(epochs=2, gene_dim=4, hidden=(8,), device="cpu", checkpoint_every=1)
    with pytest.raises(ModelError, match="notes.txt is a file, not a folder"):
        fe.fit(values.iloc[::10, :20], checkpoint=blocker / "run.ckpt")
    assert fe.module_ is None


def test_spaces_around_a_gaf_symbol_do_not_make_another_gene(tmp_path):
    from core.annotations import GeneOntology

    lines = GAF.read_text().splitlines()
    edited = [
        line.replace("\tMYH7\t", "\t MYH7 \t", 1) if "\tGO:0030049\t" in line else line
        for line in lines
    ]
    assert edited != lines
    path = tmp_path / "edited.gaf"
    path.write_text("\n".join(edited) + "\n")
    clean = GeneOntology.from_gaf(GAF, OBO)
    go = GeneOntology.from_gaf(path, OBO)
    assert len(go.genes) == len(clean.genes)
    assert set(go.gene_terms("MYH7").index) == set(clean.gene_terms("MYH7").index)


def test_gene_spaces_of_genes_in_other_orders_are_not_joined_row_by_row(small_model):
    """Two runs' gene vectors as DataFrames indexed by gene, one in another order: joined row
    by row, each gene was given another gene's vector in the second run."""
    genes = small_model.gene_symbols_
    run = pd.DataFrame(small_model.gene_embedding_, index=genes)
    other = run.iloc[::-1]
    with pytest.raises(DataError, match="list their genes in different orders"):
        analysis.consensus_gene_space([run, other])
    with pytest.raises(DataError, match="different orders"):
        analysis.pair_run_counts(np.array([[0, 1]]), [run, other], k=3)
    joined = analysis.consensus_gene_space([run, other.loc[genes]])
    assert joined.shape == (len(genes), 2 * run.shape[1])
