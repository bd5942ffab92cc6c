"""Files and flags as they come from a lab's own computers, on the real 26-tissue GTEx set: line
ends of classic Mac OS, pipe-separated exports, and a result cache pointed at a model."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from core.cli import command_line_words, main
from core.data import load_table
from tests.cli_run import TINY
from tests.cli_run import run_cli as _run


@pytest.fixture()
def small_table(sepira_file):
    """40 real samples x 20 genes of the 26-tissue GTEx set, with its tissue column."""
    return pd.read_csv(sepira_file).iloc[:40, :22]


@pytest.fixture()
def tiny_model(small_table, tmp_path):
    matrix = tmp_path / "small.csv"
    small_table.to_csv(matrix, index=False)
    out = tmp_path / "tiny"
    args = ["train", "--matrix", matrix, "--out", out, "--epochs", "1", *TINY]
    assert main([str(a) for a in args]) == 0
    return out


def test_classic_mac_line_ends_are_named(small_table, tmp_path, capsys):
    """Excel's 'CSV (Macintosh)' ends lines with a carriage return alone: the whole file was
    one line, refused as "no header line" (matrix), "a header line but no rows" (annotations)
    or "not a GCT v1.2 file" (its first line ran on into the second)."""
    genes = small_table.drop(columns="tissue").set_index("sample")
    cr_matrix = tmp_path / "mac.csv"
    cr_matrix.write_bytes(genes.to_csv().replace("\n", "\r").encode())
    cr_gzip = tmp_path / "mac.csv.gz"
    cr_gzip.write_bytes(gzip.compress(cr_matrix.read_bytes()))
    plain = tmp_path / "plain.csv"
    genes.to_csv(plain)
    cr_annotations = tmp_path / "annotations.csv"
    annotations = small_table[["sample", "tissue"]].to_csv(index=False)
    cr_annotations.write_bytes(annotations.replace("\n", "\r").encode())
    gct = [
        "#1.2",
        f"{genes.shape[1]}\t{genes.shape[0]}",
        "Name\tDescription\t" + "\t".join(genes.index),
    ]
    gct += [f"{g}\t{g}\t" + "\t".join(map(str, genes[g])) for g in genes.columns]
    cr_gct = tmp_path / "mac.gct"
    cr_gct.write_bytes("\r".join(gct).encode() + b"\r")
    for data in (
        ["--matrix", cr_matrix],
        ["--matrix", cr_gzip],
        ["--matrix", cr_gct],
        ["--matrix", plain, "--annotations", cr_annotations],
    ):
        out = tmp_path / "m"
        code, _, err = _run(["train", *data, "--out", out, "--epochs", "1", *TINY], capsys)
        assert code == 2 and "Traceback" not in err
        error = err.strip().splitlines()[-1]
        assert "carriage return alone" in error and str(data[-1]) in error, error
        assert "header" not in error and "GCT v1.2" not in error
        assert not out.exists()
    # Windows line ends (a carriage return and a line feed) are read as ever
    crlf = tmp_path / "windows.csv"
    crlf.write_bytes(genes.to_csv().replace("\n", "\r\n").encode())
    assert load_table(crlf).n_samples == 40


def test_a_pipe_separated_table_is_read(small_table, tmp_path):
    """A database export separated by '|' was read as one column, and refused as a table whose
    rows are neither samples nor genes; its annotations likewise."""
    genes = small_table.drop(columns="tissue").set_index("sample")
    matrix = tmp_path / "export.txt"
    genes.T.to_csv(matrix, sep="|")
    annotations = tmp_path / "annotations.txt"
    small_table[["sample", "tissue"]].to_csv(annotations, sep="|", index=False)
    es = load_table(matrix, annotations=annotations)
    assert (es.n_samples, es.n_genes) == genes.shape
    assert list(es.samples["tissue"]) == list(small_table["tissue"])
    first = genes.columns[0]
    assert np.allclose(es.values[:, list(es.gene_symbols).index(first)], genes[first], atol=1e-6)


def test_the_result_cache_is_kept_out_of_a_model_directory(
    tiny_model, tmp_path, capsys, monkeypatch
):
    """evaluate kept its cache wherever --cache-dir (or ./cache, run inside the model
    directory) said: inside a model directory, whose own files alone it must hold (training it
    again with --force then refused the directory); a --cache-dir that is a file failed only
    after the data were read, naming '.../entries'."""
    monkeypatch.delenv("FE_CACHE_DIR", raising=False)
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine\n")
    before = sorted(p.name for p in tiny_model.iterdir())
    common = ["--methods", "pca", "--classifiers", "1-NN", "--splits", "2", "--fraction", "0.5"]
    for cache, expected in (
        (["--cache-dir", tiny_model], "is the model directory"),
        (["--cache-dir", tiny_model / "cache"], "is inside the model directory"),
        (["--cache-dir", a_file], "is a file, not a folder"),
    ):
        out = tmp_path / "table1.json"
        code, _, err = _run(
            ["evaluate", "--model", tiny_model, "--out", out, *common, *cache], capsys
        )
        assert code == 2 and expected in err and "--cache-dir" in err, err
        assert "data:" not in err  # said before the training data are read again
        assert not out.exists()
    monkeypatch.chdir(tiny_model)  # the default ./cache
    code, _, err = _run(["evaluate", "--model", ".", "--out", tmp_path / "t.json", *common], capsys)
    assert code == 2 and "is inside the model directory" in err and "--no-cache" in err, err
    assert sorted(p.name for p in tiny_model.iterdir()) == before
    assert a_file.read_text() == "mine\n"
    # --no-cache, or a cache elsewhere, runs as before
    code, _, err = _run(
        ["evaluate", "--model", ".", "--out", tmp_path / "t.json", "--no-cache", *common], capsys
    )
    assert code == 0, err
    assert sorted(p.name for p in tiny_model.iterdir()) == before


@pytest.mark.parametrize("placeholder", ["na", ""])
def test_a_gct_body_without_its_two_first_lines_is_read(small_table, tmp_path, placeholder):
    """A GCT file whose '#1.2' and dimension lines were cut off (tail -n +3), its Description
    column all "na" placeholders or empty: the Description column was read as a sample without
    values, and the table refused ("remove them from the matrix")."""
    genes = small_table.drop(columns="tissue").set_index("sample")
    body = genes.T.copy()
    body.insert(0, "Description", placeholder)
    body.index.name = "Name"
    path = tmp_path / "body.txt"
    body.to_csv(path, sep="\t")
    es = load_table(path)
    assert list(es.sample_ids) == list(genes.index)
    assert list(es.gene_symbols) == list(genes.columns)
    assert np.allclose(es.values, genes.to_numpy(), atol=1e-6)


def test_one_of_a_kind_is_said_in_the_singular(small_table, tiny_model, tmp_path, capsys):
    """ "1 samples placed", "1 of its genes are not in the model and are ignored", "1 epochs
    in 2 s", "40 samples x 1 genes"."""
    from types import SimpleNamespace

    from core.train_cli import _shape_text, _written_text

    assert _shape_text(SimpleNamespace(n_samples=1, n_genes=1)) == "1 sample x 1 gene"
    assert _shape_text(SimpleNamespace(n_samples=40, n_genes=20)) == "40 samples x 20 genes"
    model = SimpleNamespace(n_epochs_=1, train_time_s_=2.0, history_=[0.5], pairs_per_s_=1e3)
    assert "(1 epoch in 2" in _written_text(model, tmp_path / "m")
    one = small_table.drop(columns="tissue").set_index("sample").iloc[:1].assign(NOT_A_GENE=1.0)
    path = tmp_path / "one.csv"
    one.to_csv(path)
    args = ["embed", "--model", tiny_model, "--matrix", path, "--out", tmp_path / "p.csv"]
    code, _, err = _run(args, capsys)
    assert code == 0, err
    assert "1 of its genes is not in the model and is ignored (NOT_A_GENE)" in err
    assert "1 sample placed on the map" in err


def test_h5ad_messages_speak_the_command_lines_words(small_table, tmp_path, capsys, caplog):
    """An .h5ad with repeated gene names printed anndata's own UserWarning (its file and
    line) above the error that names them; one with genes in obs, and --annotation-columns on
    a table of genes in rows, advised '--orientation samples_x_genes', which the command line
    refuses (its words are samples-in-rows, genes-in-rows)."""
    import warnings

    import anndata

    genes = small_table.drop(columns="tissue").set_index("sample")
    obs = small_table.set_index("sample")[["tissue"]]
    names = [*genes.columns[:-1], genes.columns[0]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        repeated = anndata.AnnData(
            X=genes.to_numpy(np.float32), obs=obs, var=pd.DataFrame(index=names)
        )
        repeated.write_h5ad(tmp_path / "repeated.h5ad")
        plain = anndata.AnnData(
            X=genes.to_numpy(np.float32), obs=obs, var=pd.DataFrame(index=genes.columns)
        )
        plain.T.write_h5ad(tmp_path / "genes_in_obs.h5ad")
    out = tmp_path / "m"
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        code, _, err = _run(
            ["train", "--matrix", tmp_path / "repeated.h5ad", "--out", out, "--epochs", "1"],
            capsys,
        )
    assert code == 2 and "duplicate gene ids (var_names) ['TBX4']" in err, err
    assert not [w for w in shown if "not unique" in str(w.message)]
    code, _, err = _run(
        ["train", "--matrix", tmp_path / "genes_in_obs.h5ad", "--out", out, "--epochs", "1", *TINY],
        capsys,
    )
    assert code == 0, err
    # (the record words the Python argument; the command line's formatter its flag)
    said = "\n".join(
        command_line_words(r.getMessage(), getattr(r, "fix", None)) for r in caplog.records
    )
    assert "--orientation samples-in-rows" in said and "--orientation samples_x_genes" not in said
    table = tmp_path / "genes_in_rows.tsv"
    genes.T.to_csv(table, sep="\t")
    code, _, err = _run(
        [
            "train",
            "--matrix",
            table,
            "--annotation-columns",
            genes.index[0],
            "--out",
            tmp_path / "m2",
        ],
        capsys,
    )
    assert code == 2 and "--orientation samples-in-rows" in err, err


def test_labels_that_differ_only_by_case_are_warned_of(small_table, tmp_path, caplog):
    """'Blood' and 'blood' typed by hand in a spreadsheet were two tissues of their own in
    evaluate's classes and chance level, the map's legend and embed's votes, without a word."""
    import logging

    genes = small_table.drop(columns="tissue").set_index("sample")
    matrix = tmp_path / "m.csv"
    genes.to_csv(matrix)
    clean = small_table[["sample", "tissue"]]
    messy = clean.assign(tissue=[t.lower() if i % 2 else t for i, t in enumerate(clean.tissue)])
    for name, table in (("clean.csv", clean), ("messy.csv", messy)):
        table.to_csv(tmp_path / name, index=False)
    with caplog.at_level(logging.INFO, logger="core.data"):
        load_table(matrix, annotations=tmp_path / "clean.csv")
        assert "letter case" not in caplog.text
        es = load_table(matrix, annotations=tmp_path / "messy.csv")
    assert es.samples["tissue"].nunique() == 2 * clean.tissue.nunique()  # (kept as written)
    said = [r.getMessage() for r in caplog.records if "letter case" in r.getMessage()]
    assert len(said) == 1 and "messy.csv" in said[0] and "'tissue'" in said[0], said
    assert "'Adipose Tissue'/'adipose tissue'" in said[0]


def test_embed_says_whose_annotations_are_missing(small_table, tiny_model, tmp_path, capsys):
    """GTEx samples that the attributes file does not list: "44 of the 300 samples ... placed
    without its annotations"."""
    genes = small_table.drop(columns="tissue").set_index("sample").iloc[:5]
    lines = ["#1.2", f"{genes.shape[1]}\t{genes.shape[0]}"]
    lines.append("Name\tDescription\t" + "\t".join(genes.index))
    lines += [f"{g}\t{g}\t" + "\t".join(map(str, genes[g])) for g in genes.columns]
    gct = tmp_path / "new.gct"
    gct.write_text("\n".join(lines) + "\n")
    for listed, words in ((3, "2 of the 5 samples are not in"), (4, "1 of the 5 samples")):
        attributes = tmp_path / f"attributes{listed}.txt"
        pd.DataFrame(
            {"SAMPID": genes.index[:listed], "SMTS": "Adipose Tissue", "SMTSD": "Subcutaneous"}
        ).to_csv(attributes, sep="\t", index=False)
        args = ["embed", "--model", tiny_model, "--gtex-gct", gct, "--gtex-attributes"]
        args += [attributes, "--transform", "none", "--out", tmp_path / f"placed{listed}.csv"]
        code, _, err = _run(args, capsys)
        assert code == 0, err
        line = next(line for line in err.splitlines() if "samples are not in" in line)
        assert words in line
        assert ("placed without its annotations" in line) == (listed == 4), line
        assert ("placed without their annotations" in line) == (listed == 3), line


def test_tables_joined_with_their_headers_are_refused_naming_the_line(
    small_table, tmp_path, capsys
):
    """`cat batch1.csv batch2.csv > all.csv` repeats the header line inside the table: every
    column was said to be "read as an annotation" (one warning a gene), then the table was
    refused as one without a numeric gene column; annotations likewise."""
    genes = small_table.drop(columns="tissue").set_index("sample")
    first, second = tmp_path / "batch1.csv", tmp_path / "batch2.csv"
    genes.iloc[:20].to_csv(first)
    genes.iloc[20:].to_csv(second)
    joined = tmp_path / "all.csv"
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    annotations = tmp_path / "annotations.csv"
    half = small_table[["sample", "tissue"]].iloc[:20].to_csv(index=False)
    annotations.write_text(half + small_table[["sample", "tissue"]].iloc[20:].to_csv(index=False))
    for data, named in (
        (["--matrix", joined], joined),
        (["--matrix", first, "--annotations", annotations], annotations),
    ):
        code, _, err = _run(["train", *data, "--out", tmp_path / "m", "--epochs", "1"], capsys)
        assert code == 2, err
        assert "warning" not in err, err
        error = err.strip().splitlines()[-1]
        assert f"{named}, line 22: the header line (line 1) again" in error, error


def test_a_settings_file_a_full_disk_cuts_leaves_no_temporary_file(tmp_path, monkeypatch):
    """A full disk while params.json was written left params.json.tmp in the model's folder
    (kept for --resume when a checkpoint exists); the old file stays as it was."""
    import errno
    import pathlib

    from core import train_cli

    target = tmp_path / "params.json"
    target.write_text('{"lr": 1}')

    def full(self, data, *args, **kwargs):
        with open(self, "w") as fh:
            fh.write(data[:3])
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(pathlib.Path, "write_text", full)
    with pytest.raises(OSError):
        train_cli._write_json(target, {"lr": 2})
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.json"]
    assert target.read_text() == '{"lr": 1}'
