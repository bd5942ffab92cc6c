"""The fingerprint a model keeps of its training samples (``copy_keys_``): ``embed`` tells copies
of them among new samples without reading the training data again (GTEx's full matrix was too
large to read again, and copies were not looked for)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.cli_run import TINY
from tests.cli_run import run_cli as _run


@pytest.fixture(scope="module")
def table(sepira_file) -> pd.DataFrame:
    return pd.read_csv(sepira_file)


def _rounded(values: np.ndarray) -> np.ndarray:
    """``values`` as a table written with 6 significant digits reads them back."""
    return np.array([[float(f"{v:.6g}") for v in row] for row in values], dtype=np.float32)


def _near_copies(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row with its middle non-zero value moved by 1%, and each row scaled by 1.001."""
    one = values.copy()
    for row in one:
        nonzero = np.flatnonzero(row)
        middle = nonzero[np.argsort(row[nonzero])[len(nonzero) // 2]]
        row[middle] *= np.float32(1.01)
    return one, values * np.float32(1.001)


def _train(matrix: pd.DataFrame, tmp_path, capsys, name: str = "m"):
    path = tmp_path / f"{name}.csv"
    matrix.to_csv(path, index=False)
    model = tmp_path / name
    code = _run(["train", "--matrix", path, "--out", model, "--epochs", "1", *TINY], capsys)[0]
    assert code == 0
    return path, model


def _without_keys(model) -> None:
    """Make ``model`` a model directory as saved before the fingerprint was kept."""
    with np.load(model / "arrays.npz") as arrays:
        data = {k: arrays[k] for k in arrays.files if not k.startswith("copy_keys")}
    np.savez(model / "arrays.npz", **data)


def test_the_fingerprint_is_saved_and_loaded(table, tmp_path, capsys):
    """Made at training from the values trained on (the table's, not the model's scaled ones),
    written in arrays.npz and read back as it was."""
    from core.estimator import FactorizedEmbeddings
    from core.placed_samples import COPY_KEY_BLOCKS, copy_keys

    small = table.iloc[:40]
    _, path = _train(small, tmp_path, capsys)
    model = FactorizedEmbeddings.load(path)
    assert model.copy_keys_.shape == (40, COPY_KEY_BLOCKS)
    assert model.copy_keys_.dtype == np.float64
    values = small.set_index("sample")[list(model.gene_symbols_)].to_numpy(np.float32)
    assert np.allclose(model.copy_keys_, copy_keys(values, model.copy_keys_seed_), rtol=1e-12)
    again = FactorizedEmbeddings.load(model.save(tmp_path / "again"))
    assert np.array_equal(again.copy_keys_, model.copy_keys_)
    assert again.copy_keys_seed_ == model.copy_keys_seed_


def test_copies_are_told_from_the_fingerprint_and_near_copies_are_not(table):
    """All 520 samples of the 26 tissues: exact copies and copies through 6 significant digits
    are found (as themselves); one value moved by 1%, or all scaled by 1.001, are not."""
    from core.placed_samples import copies_of_keys, copy_keys

    values = table.iloc[:, 2:].to_numpy(np.float32)
    keys = copy_keys(values)
    itself = np.arange(len(values))
    assert np.array_equal(copies_of_keys(values, keys), itself)
    assert np.array_equal(copies_of_keys(_rounded(values), keys), itself)
    one_gene, scaled = _near_copies(values)
    assert (copies_of_keys(one_gene, keys) == -1).all()
    assert (copies_of_keys(scaled, keys) == -1).all()
    # a sample with a missing value is not told from the fingerprint
    gap = values[:3].copy()
    gap[:, 5] = np.nan
    assert (copies_of_keys(gap, keys) == -1).all()


def test_copies_are_told_among_all_gtex_samples(gtex_acmg59_files):
    """The 17,382 GTEx v8 samples (59 genes): copies found, near-copies not."""
    from core.data import load_gtex
    from core.placed_samples import copies_of_keys, copy_keys

    es = load_gtex(gtex_acmg59_files["gct"], gtex_acmg59_files["attributes"], exclude_tissues=())
    values = np.asarray(es.values, dtype=np.float32)
    keys = copy_keys(values)
    rows = np.random.default_rng(0).choice(len(values), 40, replace=False)
    rows = rows[(values[rows] != 0).sum(axis=1) >= 2]
    found = copies_of_keys(np.concatenate([values[rows], _rounded(values[rows])]), keys)
    # (the first sample of those values: GTEx has a few samples with equal values)
    assert (found >= 0).all()
    assert np.array_equal(values[found], np.concatenate([values[rows]] * 2))
    one_gene, scaled = _near_copies(values[rows])
    assert (copies_of_keys(np.concatenate([one_gene, scaled]), keys) == -1).all()


def test_embed_finds_copies_without_the_training_data(table, tmp_path, capsys):
    """The training file moved away after training: the copies are found all the same, from
    the model's fingerprint (the data cannot be read again); near-copies are not copies."""
    small = table.iloc[:40].reset_index(drop=True)
    path, model = _train(small, tmp_path, capsys)
    path.rename(tmp_path / "elsewhere.csv")
    genes = small.columns[2:]
    copies = small.iloc[[1, 5]].assign(sample=["mine_1", "mine_2"])
    rounded = small.iloc[[7]].assign(sample="rounded_7")
    rounded[genes] = _rounded(rounded[genes].to_numpy())
    one_gene, scaled = _near_copies(small.iloc[[8, 9]][genes].to_numpy(np.float32))
    near = small.iloc[[8, 9]].assign(sample=["one_gene_8", "scaled_9"])
    near[genes] = np.stack([one_gene[0], scaled[1]])
    other = table.iloc[[40]]
    gap = small.iloc[[11]].assign(sample="gap_11")
    gap[genes[3]] = np.nan
    new = pd.concat([copies, rounded, near, other, gap], ignore_index=True)
    new.to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "o.csv"
    code, _, err = _run(
        ["embed", "--model", model, "--matrix", tmp_path / "new.csv", "--out", out], capsys
    )
    assert code == 0
    written = pd.read_csv(out, keep_default_na=False)
    s = small["sample"]
    assert written["copy_of"].tolist() == [s[1], s[5], s[7], "", "", "", ""]
    expected = f"mine_1 = {s[1]}, mine_2 = {s[5]}, rounded_7 = {s[7]}"
    assert f"3 of the 7 samples have the same values as samples of the map ({expected})" in err
    # the sample without a value for every model gene: looked for in the data, which are gone
    assert (
        "copies of training samples not looked for among the 1 samples without a value for "
        "every model gene" in err
    )


def test_a_model_saved_without_the_fingerprint_still_finds_copies(table, tmp_path, capsys):
    """A model directory saved before the fingerprint was kept loads (``copy_keys_`` None), and
    ``embed`` reads its training data again, as before; new samples without every model gene
    are looked for that way too."""
    from core.estimator import FactorizedEmbeddings

    small = table.iloc[:40].reset_index(drop=True)
    _, model = _train(small, tmp_path, capsys)
    _without_keys(model)
    loaded = FactorizedEmbeddings.load(model)
    assert loaded.copy_keys_ is None and loaded.copy_keys_seed_ is None
    copies = small.iloc[[1, 5]].assign(sample=["mine_1", "mine_2"])
    new = pd.concat([copies, table.iloc[[40]]], ignore_index=True)
    for name, frame in (("all.csv", new), ("part.csv", new.drop(columns=small.columns[5]))):
        frame.to_csv(tmp_path / name, index=False)
        out = tmp_path / f"o_{name}"
        code, _, err = _run(
            ["embed", "--model", model, "--matrix", tmp_path / name, "--out", out], capsys
        )
        assert code == 0
        written = pd.read_csv(out, keep_default_na=False)
        assert written["copy_of"].tolist() == [small["sample"][1], small["sample"][5], ""]
        assert "2 of the 3 samples have the same values as samples of the map" in err
    # saved again, a loaded model without a fingerprint stays without one
    again = FactorizedEmbeddings.load(loaded.save(tmp_path / "again"))
    assert again.copy_keys_ is None
