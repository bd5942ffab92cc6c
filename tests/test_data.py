"""Tests of core.data on the real GTEx / SEPIRA files (and small files derived from them)."""

from __future__ import annotations

import csv
import gzip
import json
import logging
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data import ExpressionSet, load_gtex, load_source, load_table
from core.errors import DataError

PAPER_EXCLUDED = ("Brain", "Fallopian Tube")


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def gtex_all(gtex_acmg59_files) -> ExpressionSet:
    """The whole acmg59 GCT, no exclusion, with phenotypes."""
    f = gtex_acmg59_files
    return load_gtex(f["gct"], f["attributes"], phenotypes=f["phenotypes"])


@pytest.fixture(scope="module")
def gtex_paper(gtex_acmg59_files) -> ExpressionSet:
    """The paper's selection: Brain and Fallopian Tube removed."""
    f = gtex_acmg59_files
    return load_gtex(
        f["gct"], f["attributes"], phenotypes=f["phenotypes"], exclude_tissues=PAPER_EXCLUDED
    )


@pytest.fixture(scope="module")
def gct_lines(gtex_acmg59_files) -> list[list[str]]:
    """The real GCT's header and first 5 gene rows, cut to the first 40 samples (as fields)."""
    rows = []
    with gzip.open(gtex_acmg59_files["gct"], "rt") as fh:
        fh.readline()
        fh.readline()
        for _ in range(6):
            rows.append(fh.readline().rstrip("\n").split("\t")[:42])
    return rows


@pytest.fixture(scope="module")
def sepira(sepira_file) -> ExpressionSet:
    return load_table(sepira_file)


def write_gct(
    path: Path,
    rows: list[list[str]],
    dims: str | None = None,
    gz: bool = False,
    first: str = "#1.2",
) -> Path:
    """Write a GCT v1.2 file from header + rows (fields); ``dims`` defaults to the true sizes."""
    n_genes, n_samples = len(rows) - 1, len(rows[0]) - 2
    dims = dims or f"{n_genes}\t{n_samples}"
    text = f"{first}\n{dims}\n"
    text += "".join("\t".join(r) + "\n" for r in rows)
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def small_attributes(path: Path, src: Path, sample_ids: list[str]) -> Path:
    """The real attribute rows of ``sample_ids`` (those that have one)."""
    attrs = pd.read_csv(src, sep="\t")
    attrs[attrs["SAMPID"].isin(sample_ids)].to_csv(path, sep="\t", index=False)
    return path


@pytest.fixture()
def small(tmp_path, gct_lines, gtex_acmg59_files) -> dict[str, Path]:
    """A valid 5 genes x 40 samples GCT (gz) + its attribute rows, from the real files."""
    gct = write_gct(tmp_path / "small.gct.gz", gct_lines, gz=True)
    attrs = small_attributes(
        tmp_path / "attrs.txt", gtex_acmg59_files["attributes"], gct_lines[0][2:]
    )
    return {
        "gct": gct,
        "attributes": attrs,
        "phenotypes": gtex_acmg59_files["phenotypes"],
        "rows": gct_lines,
    }


# ----------------------------------------------------------------------------- real GTEx
def test_load_full_acmg59(gtex_all, gtex_acmg59_files, gct_lines):
    es = gtex_all
    assert es.shape == (17382, 59)
    assert es.values.dtype == np.float32 and es.values.flags["C_CONTIGUOUS"]
    assert np.isfinite(es.values).all()
    # log10(count + 1) of the raw counts of the first gene row
    raw = np.asarray(gct_lines[1][2:], dtype=np.float64)
    np.testing.assert_allclose(es.values[:40, 0], np.log10(raw + 1), rtol=1e-6)
    assert es.gene_ids[0] == gct_lines[1][0] and es.gene_symbols[0] == gct_lines[1][1]
    assert len(set(es.gene_ids)) == 59
    labelled = es.samples["SMTS"].notna()
    attrs = pd.read_csv(gtex_acmg59_files["attributes"], sep="\t")
    assert labelled.sum() == len(attrs) == 13797
    assert es.samples.loc[labelled, "SMTS"].nunique() == attrs["SMTS"].nunique() == 29
    assert es.samples["SMTSD"].notna().sum() == 13797
    assert es.label_column() == "SMTS"
    assert es.source["loader"] == "gtex" and json.loads(json.dumps(es.source)) == es.source


def test_fewer_gene_rows_than_declared_warns(gtex_acmg59_files, caplog):
    f = gtex_acmg59_files
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_gtex(f["gct"], f["attributes"], max_genes=None)
    assert es.n_genes == 59
    assert any("declares 56,200" in r.getMessage() for r in caplog.records)


def test_paper_exclusion(gtex_paper, gtex_all):
    es = gtex_paper
    smts = es.samples["SMTS"]
    assert not smts.isin(PAPER_EXCLUDED).any()
    removed = int(gtex_all.samples["SMTS"].isin(PAPER_EXCLUDED).sum())
    assert removed == 505
    assert es.n_samples == 17382 - removed
    assert smts.notna().sum() == 13292
    assert smts.nunique() == 27
    # unlabelled samples (absent from the attributes) are kept
    assert smts.isna().sum() == 17382 - 13797
    # rows are the same values as in the unfiltered load
    idx = pd.Index(gtex_all.sample_ids).get_indexer(es.sample_ids)
    np.testing.assert_array_equal(es.values, gtex_all.values[idx])


def test_phenotype_join(gtex_all, gtex_acmg59_files):
    es = gtex_all
    ph = pd.read_csv(gtex_acmg59_files["phenotypes"], sep="\t", dtype={"AGE": str})
    ph = ph.set_index("SUBJID")
    assert set(es.samples["sex"].dropna()) == {"male", "female"}
    assert es.samples["age"].dropna().str.fullmatch(r"\d0-\d9").all()
    subj = es.samples["subject"]
    assert (subj == [s.split("-")[0] + "-" + s.split("-")[1] for s in es.sample_ids]).all()
    known = subj.isin(ph.index)
    assert known.mean() > 0.99
    expected_sex = ph["SEX"].map({1: "male", 2: "female"}).reindex(subj[known]).to_numpy()
    assert (es.samples.loc[known, "sex"].to_numpy() == expected_sex).all()
    assert (es.samples.loc[known, "age"].to_numpy() == ph["AGE"].reindex(subj[known])).all()
    first = es.samples.loc["GTEX-1117F-0226-SM-5GZZ7"]
    assert first["SMTS"] == "Adipose Tissue"
    assert first["sex"] == {1: "male", 2: "female"}[ph.loc["GTEX-1117F", "SEX"]]


# ----------------------------------------------------------------------------- lookups
def test_gene_lookup(gtex_all):
    es = gtex_all
    i = es.gene_index("SDHB")
    assert es.gene_symbols[i] == "SDHB"
    assert es.gene_index("sdhb") == i
    assert es.gene_index(es.gene_ids[i]) == i
    assert es.gene_index(es.gene_ids[i].split(".")[0]) == i  # version suffix ignored
    assert es.gene_index(es.gene_ids[i].split(".")[0] + ".999") == i
    assert es.gene_index(es.gene_ids[i].lower().split(".")[0] + ".999") == i  # (it was not found)
    np.testing.assert_array_equal(
        es.gene_indices(["MYH7", "brca1"]), [es.gene_index("MYH7"), es.gene_index("BRCA1")]
    )
    with pytest.raises(DataError, match="BRCA1"):
        es.gene_index("BRCA3")
    with pytest.raises(DataError, match="unknown gene"):
        es.gene_index("NOT_A_GENE_AT_ALL")
    my = es.find_genes("MY*")
    assert len(my) >= 4
    assert all(s.upper().startswith("MY") for s in es.gene_symbols[my])
    assert set(es.gene_symbols[my]) == {s for s in es.gene_symbols if s.startswith("MY")}
    assert len(es.find_genes("ENSG00000117118")) == 1


def test_subset(gtex_paper):
    es = gtex_paper
    ids = list(es.sample_ids[[5, 2, 9]])
    sub = es.subset(samples=ids, genes=["MYH7", "SDHB"])
    assert sub.shape == (3, 2)
    assert list(sub.sample_ids) == ids
    np.testing.assert_array_equal(
        sub.values, es.values[np.ix_([5, 2, 9], es.gene_indices(["MYH7", "SDHB"]))]
    )
    assert list(sub.samples.index) == ids and list(sub.gene_symbols) == ["MYH7", "SDHB"]
    mask = (es.samples["SMTS"] == "Heart").to_numpy()
    heart = es.subset(samples=mask)
    assert heart.n_samples == mask.sum() and (heart.samples["SMTS"] == "Heart").all()
    by_index = es.subset(genes=np.arange(10))
    assert by_index.n_genes == 10 and by_index.values.flags["C_CONTIGUOUS"]
    with pytest.raises(DataError):
        es.subset(samples=np.ones(3, dtype=bool))
    with pytest.raises(DataError, match="unknown sample"):
        es.subset(samples=["NOPE"])
    with pytest.raises(DataError, match="twice"):
        es.subset(genes=["MYH7", "myh7"])


def test_filters(gtex_paper):
    es = gtex_paper.subset(samples=np.arange(300))
    values = es.values.copy()
    values[:, 3] = 0.0
    values[:, 7] = np.nan
    values[::2, 11] = np.nan
    values[1::2, 11] = 0.0
    modified = ExpressionSet.from_array(
        values, sample_ids=es.sample_ids, genes=es.genes, samples=es.samples
    )
    kept = modified.drop_zero_genes()
    assert kept.n_genes == es.n_genes - 3
    assert not {es.gene_ids[3], es.gene_ids[7], es.gene_ids[11]} & set(kept.gene_ids)
    # which: named in the source (a gene asked for later is said to have been left out)
    step = kept.source["steps"][-1]
    assert step["dropped_ids"] == [str(es.gene_ids[j]) for j in (3, 7, 11)]
    assert step["dropped"] == [str(es.gene_symbols[j]) for j in (3, 7, 11)]

    top = es.top_variable_genes(10)
    var = np.nanvar(es.values.astype(np.float64), axis=0)
    expected = np.sort(np.argsort(-var, kind="stable")[:10])
    assert list(top.gene_ids) == list(es.gene_ids[expected])
    assert top.values.var(axis=0).min() >= np.delete(var, expected).max() - 1e-6
    assert es.top_variable_genes(1000).n_genes == es.n_genes
    with pytest.raises(DataError):
        es.top_variable_genes(0)


def test_detected_genes(sepira):
    """Genes kept by detection rate among observed values; the step replays from the source."""
    values = sepira.values.copy()
    values[:, 0] = 0.0
    values[:5, 0] = 1.0  # detected in 5 of 520 samples: about 1%
    values[:, 1] = np.nan
    values[:260, 1] = 2.0  # detected in every observed sample (260 of 260)
    values[:, 2] = np.nan  # never observed
    es = ExpressionSet.from_array(
        values, sample_ids=sepira.sample_ids, genes=sepira.genes, samples=sepira.samples
    )
    rate = (values > 0).sum(axis=0) / np.maximum((~np.isnan(values)).sum(axis=0), 1)
    kept = es.detected_genes(0.1)
    expected = np.flatnonzero((rate >= 0.1) & ~np.isnan(values).all(axis=0))
    assert list(kept.gene_ids) == list(es.gene_ids[expected])
    assert es.gene_ids[1] in set(kept.gene_ids)
    assert not {es.gene_ids[0], es.gene_ids[2]} & set(kept.gene_ids)
    assert 0 < kept.n_genes < es.n_genes
    assert kept.source["steps"][-1] == {
        "op": "detected_genes",
        "min_fraction": 0.1,
        "n_dropped": es.n_genes - kept.n_genes,
    }
    assert es.detected_genes(0.0).n_genes == es.n_genes - 1  # only the never-observed gene
    with pytest.raises(DataError, match="between 0 and 1"):
        es.detected_genes(10)
    with pytest.raises(DataError, match="no gene is detected"):
        ExpressionSet.from_array(np.zeros((4, 3)), sample_ids=list("abcd")).detected_genes(0.5)
    real = sepira.detected_genes(0.5)
    assert load_source(json.loads(json.dumps(real.source))).fingerprint() == real.fingerprint()


def test_fingerprint(gtex_acmg59_files, gtex_paper):
    f = gtex_acmg59_files
    again = load_gtex(f["gct"], f["attributes"], exclude_tissues=PAPER_EXCLUDED)
    fp = gtex_paper.fingerprint()
    assert len(fp) == 32 and fp == again.fingerprint() and fp == gtex_paper.fingerprint()
    values = again.values.copy()
    values[0, 0] += 1e-3
    changed = ExpressionSet.from_array(values, sample_ids=again.sample_ids, gene_ids=again.gene_ids)
    assert changed.fingerprint() != fp
    assert gtex_paper.subset(samples=np.arange(100)).fingerprint() != fp


def test_save_load_roundtrip(tmp_path, gtex_paper):
    es = gtex_paper
    es.save(tmp_path / "es")
    assert (tmp_path / "es" / "values.npy").is_file()
    back = ExpressionSet.load(tmp_path / "es")
    np.testing.assert_array_equal(back.values, es.values)
    np.testing.assert_array_equal(back.sample_ids, es.sample_ids)
    np.testing.assert_array_equal(back.gene_ids, es.gene_ids)
    np.testing.assert_array_equal(back.gene_symbols, es.gene_symbols)
    pd.testing.assert_frame_equal(back.samples, es.samples, check_dtype=False)
    assert back.source == es.source and back.name == es.name
    assert back.fingerprint() == es.fingerprint()
    mapped = ExpressionSet.load(tmp_path / "es", mmap=True)
    assert isinstance(mapped.values, np.memmap)
    np.testing.assert_array_equal(mapped.values[:, 5], es.values[:, 5])
    with pytest.raises(DataError, match="not a saved expression set"):
        ExpressionSet.load(tmp_path)


def test_load_source_replays(gtex_paper, sepira):
    sub = gtex_paper.subset(samples=np.arange(50)).top_variable_genes(5)
    again = load_source(json.loads(json.dumps(sub.source)))
    assert again.fingerprint() == sub.fingerprint()
    assert load_source(sepira.source).fingerprint() == sepira.fingerprint()
    with pytest.raises(DataError, match="cannot be re-loaded"):
        load_source({"loader": "array"})
    with pytest.raises(DataError):
        load_source({"nothing": 1})


def test_load_source_simulated(monkeypatch):
    """A "simulated" source calls core.simulate.simulate_gtex_like(**params), then replays steps."""
    import core.simulate as simulate

    calls = []

    def fake(**params):
        calls.append(params)
        rng = np.random.default_rng(params["seed"])
        return ExpressionSet.from_array(
            rng.random((params["n_samples"], 4)), source={"loader": "simulated", **params}
        )

    monkeypatch.setattr(simulate, "simulate_gtex_like", fake)
    source = {
        "loader": "simulated",
        "n_samples": 6,
        "seed": 3,
        "steps": [{"op": "subset", "samples": ["sample_1", "sample_4"], "genes": None}],
    }
    es = load_source(source)
    assert calls == [{"n_samples": 6, "seed": 3}]
    np.testing.assert_array_equal(
        es.values, np.random.default_rng(3).random((6, 4)).astype(np.float32)[[1, 4]]
    )
    assert es.source["steps"] == source["steps"]


def test_from_array_takes_a_dataframes_labels_as_ids(sepira_file):
    """A DataFrame's index and columns were ignored: with annotations in another row order,
    518 of 520 samples carried another sample's id and tissue, and no gene was GATA4."""
    raw = pd.read_csv(sepira_file, index_col="sample")
    expr = raw.drop(columns="tissue")
    shuffled = raw[["tissue"]].sample(frac=1, random_state=0)
    es = ExpressionSet.from_array(expr, samples=shuffled)
    assert list(es.sample_ids) == list(expr.index) and list(es.gene_ids) == list(expr.columns)
    assert (es.samples["tissue"].to_numpy() == raw["tissue"].to_numpy()).all()
    assert es.values[0, es.gene_index("GATA4")] == np.float32(expr["GATA4"].iloc[0])
    # a RangeIndex names nothing: ids as before
    plain = ExpressionSet.from_array(pd.DataFrame(np.ones((2, 3))))
    assert list(plain.sample_ids) == ["sample_0", "sample_1"]
    assert list(plain.gene_ids) == ["gene_0", "gene_1", "gene_2"]
    # row numbers left by a filter or a concat are positions, not ids (a filtered frame with
    # its annotations, or two frames joined, were refused)
    ann = pd.DataFrame({"t": list("abcdef")}, index=[f"S{i}" for i in range(6)])
    frame = pd.DataFrame(np.arange(12.0).reshape(6, 2), columns=["G1", "G2"])
    keep = np.array([True, False, True, True, False, True])
    kept = ExpressionSet.from_array(frame[keep], samples=ann[keep])
    assert list(kept.sample_ids) == ["S0", "S2", "S3", "S5"] and list(kept.samples["t"]) == list(
        "acdf"
    )
    joined = ExpressionSet.from_array(pd.concat([frame.iloc[:2], frame.iloc[:2]]))
    assert list(joined.sample_ids) == [f"sample_{i}" for i in range(4)]
    # ids given win over the labels
    named = ExpressionSet.from_array(expr.iloc[:2, :2], sample_ids=["a", "b"])
    assert list(named.sample_ids) == ["a", "b"] and list(named.gene_ids) == list(expr.columns[:2])


def test_an_exact_name_wins_and_a_labelled_mask_is_read_by_its_labels(tmp_path, sepira_file):
    """A mouse Gata4 beside the human GATA4: "GATA4" found Gata4, and a data source replayed
    its gene subset onto the wrong gene (the model then "lacked" one of its genes). A mask
    labelled by sample id picked samples by position (the "Liver" subset held 2 livers)."""
    from core.estimator import FactorizedEmbeddings

    table = pd.DataFrame(
        {"Gata4": [0.0] * 4, "GATA4": [1.0, 2, 3, 4], "ACTB": [5.0, 6, 7, 8]},
        index=pd.Index(["s1", "s2", "s3", "s4"], name="sample"),
    )
    table.to_csv(tmp_path / "xeno.csv")
    full = load_table(tmp_path / "xeno.csv")
    assert list(full.subset(genes=["GATA4"]).gene_ids) == ["GATA4"]
    assert full.gene_index("Gata4") == 0 and full.gene_index("gata4") == 0  # as written, first
    sub = full.subset(genes=np.array([False, True, True]))
    again = load_source(sub.source)
    assert list(again.gene_ids) == ["GATA4", "ACTB"] and again.fingerprint() == sub.fingerprint()
    model = FactorizedEmbeddings(epochs=1, hidden=(4,), gene_dim=2, device="cpu").fit(full)
    assert list(model._gene_positions(["GATA4", "Gata4", "actb"])) == [1, 0, 2]
    # a mask labelled by sample id, in another order than the set's
    es = load_table(sepira_file)
    shuffled = es.samples.sample(frac=1, random_state=0)
    liver = es.subset(samples=shuffled["tissue"] == "Liver")
    assert set(liver.samples["tissue"]) == {"Liver"} and liver.n_samples == 20
    with pytest.raises(DataError, match="labelled by ids that are not this set's samples"):
        es.subset(samples=shuffled["tissue"].iloc[:10] == "Liver")
    # a mask labelled by row numbers (a frame filtered before) is read by position, as before
    by_row = pd.Series(
        es.samples["tissue"].to_numpy() == "Liver", index=np.arange(es.n_samples) + 5
    )
    assert set(es.subset(samples=by_row).samples["tissue"]) == {"Liver"}


def test_from_array_validation():
    es = ExpressionSet.from_array(np.arange(6, dtype=np.int64).reshape(2, 3))
    assert es.values.dtype == np.float32 and list(es.sample_ids) == ["sample_0", "sample_1"]
    assert list(es.gene_symbols) == ["gene_0", "gene_1", "gene_2"]
    with pytest.raises(DataError, match="2-D"):
        ExpressionSet.from_array(np.zeros(3))
    with pytest.raises(DataError, match="duplicate sample ids"):
        ExpressionSet.from_array(np.zeros((2, 2)), sample_ids=["a", "a"])
    with pytest.raises(DataError, match="gene_ids has 3"):
        ExpressionSet.from_array(np.zeros((2, 2)), gene_ids=["a", "b", "c"])
    with pytest.raises(DataError, match="infinite"):
        ExpressionSet.from_array(np.array([[1.0, np.inf]]))
    samples = pd.DataFrame({"tissue": ["x", "y"]}, index=["s2", "s1"])
    es = ExpressionSet.from_array(np.zeros((2, 1)), sample_ids=["s1", "s2"], samples=samples)
    assert list(es.samples["tissue"]) == ["y", "x"]


# ----------------------------------------------------------------------------- tables
def test_sepira_table(sepira):
    es = sepira
    assert es.shape == (520, 467)
    assert "tissue" in es.samples.columns and es.label_column() == "tissue"
    counts = es.samples["tissue"].value_counts()
    assert len(counts) == 26 and (counts == 20).all()
    assert es.values.min() >= 0 and 12 < es.values.max() < 13
    assert 0.15 < (es.values == 0).mean() < 0.3
    assert es.gene_index("foxa2") == list(es.gene_symbols).index("FOXA2")


def test_table_orientations_and_annotations(tmp_path, sepira, sepira_file):
    frame = pd.read_csv(sepira_file)
    # genes as rows, TSV, with a separate annotation table
    matrix = frame.drop(columns=["tissue"]).set_index("sample").T
    matrix.index.name = "gene"
    matrix.to_csv(tmp_path / "genes_rows.tsv", sep="\t")
    frame[["sample", "tissue"]].iloc[::-1].to_csv(tmp_path / "ann.csv", index=False)
    es = load_table(tmp_path / "genes_rows.tsv", annotations=tmp_path / "ann.csv")
    assert es.shape == (520, 467)
    np.testing.assert_allclose(es.values, sepira.values, rtol=1e-6)
    assert (es.samples["tissue"].to_numpy() == sepira.samples["tissue"].to_numpy()).all()
    # forced orientation gives the transpose
    es_t = load_table(tmp_path / "genes_rows.tsv", orientation="samples_x_genes")
    assert es_t.shape == (467, 520)
    # annotations sharing no sample id
    pd.DataFrame({"sample": ["x1", "x2"], "tissue": ["a", "b"]}).to_csv(
        tmp_path / "other.csv", index=False
    )
    with pytest.raises(DataError, match="no sample in common"):
        load_table(
            tmp_path / "genes_rows.tsv",
            annotations=tmp_path / "other.csv",
            orientation="genes_x_samples",
        )


def test_table_genes_as_rows_with_symbols(tmp_path, small):
    """A GCT-like CSV (Name, Description, samples...) loads as samples x genes with symbols."""
    rows = small["rows"]
    text = "".join(",".join(r) + "\n" for r in rows)
    (tmp_path / "genes.csv").write_text(text)
    es = load_table(tmp_path / "genes.csv", transform="log10p1")
    assert es.shape == (40, 5)
    assert list(es.sample_ids) == rows[0][2:]
    assert list(es.gene_ids) == [r[0] for r in rows[1:]]
    assert list(es.gene_symbols) == [r[1] for r in rows[1:]]
    raw = np.asarray([r[2:] for r in rows[1:]], dtype=np.float64).T
    np.testing.assert_allclose(es.values, np.log10(raw + 1), rtol=1e-6)
    assert es.gene_index(rows[1][0].split(".")[0]) == 0


def test_parquet_roundtrip(tmp_path, sepira, sepira_file):
    frame = pd.read_csv(sepira_file)
    frame.to_parquet(tmp_path / "m.parquet", index=False)
    es = load_table(tmp_path / "m.parquet")
    assert es.shape == (520, 467)
    np.testing.assert_array_equal(es.values, sepira.values)
    assert es.fingerprint() == sepira.fingerprint()
    frame.set_index("sample").to_parquet(tmp_path / "indexed.parquet")
    assert load_table(tmp_path / "indexed.parquet").fingerprint() == sepira.fingerprint()


def _h5ad_strings(anndata):
    """anndata writes text of pandas 3's string dtype (FE_PANDAS_FUTURE=1) only when told to."""
    return anndata.settings.override(allow_write_nullable_strings=True)


def test_parquet_files_as_users_write_them(tmp_path, sepira_file):
    """Repeated column names (pyarrow writes them) gave a page of schema; a gene column kept
    as text ("0.036") was read as an annotation and left out; a date column among the genes
    was read as nanoseconds ("values up to 1.578e+12 look like counts"); an annotation file
    in parquet was read as text ("duplicate column names ['\ufffd']")."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pd.read_csv(sepira_file).iloc[:60, :12]
    genes = list(table.columns[2:])
    twice = pa.table(
        [*(pa.array(table[c]) for c in table.columns), pa.array(table[genes[0]])],
        names=[*table.columns, genes[0]],
    )
    pq.write_table(twice, tmp_path / "twice.parquet")
    with pytest.raises(DataError, match=rf"duplicate column names {genes[0]}: each gene"):
        load_table(tmp_path / "twice.parquet")
    as_text = table.copy()
    as_text[genes[0]] = as_text[genes[0]].map(lambda v: f"{v:.3f}")
    as_text.to_parquet(tmp_path / "text.parquet", index=False)
    es = load_table(tmp_path / "text.parquet")
    assert list(es.gene_symbols) == genes and list(es.samples.columns) == ["tissue"]
    np.testing.assert_allclose(es.values[:, 0], table[genes[0]].round(3), atol=1e-6)
    dated = table.assign(when=pd.Timestamp("2020-01-01"))
    dated.to_parquet(tmp_path / "dated.parquet", index=False)
    with pytest.raises(DataError, match="column 'when' holds dates or times among the"):
        load_table(tmp_path / "dated.parquet")
    table[["sample", *genes]].to_csv(tmp_path / "m.csv", index=False)
    table[["sample", "tissue"]].set_index("sample").to_parquet(tmp_path / "ann.parquet")
    es = load_table(tmp_path / "m.csv", annotations=tmp_path / "ann.parquet")
    assert list(es.samples["tissue"]) == list(table["tissue"])


def test_a_line_break_inside_a_quoted_cell_is_read(tmp_path, sepira_file):
    """A cell written with Alt+Enter in Excel ("Adipose\nTissue", quoted, as CSV allows) was
    refused as a short row ("line 4: 2 fields, expected 62: a field is missing")."""
    table = pd.read_csv(sepira_file).iloc[:30, :12]
    table.loc[2, "tissue"] = "Adipose\nTissue"
    table.loc[3, "tissue"] = "Adipose \nTissue"  # a space before the break: one class still
    table.to_csv(tmp_path / "wrapped.csv", index=False)
    assert '"Adipose\nTissue"' in (tmp_path / "wrapped.csv").read_text()
    es = load_table(tmp_path / "wrapped.csv")
    assert es.shape == (30, 10) and list(es.samples["tissue"].iloc[2:4]) == ["Adipose Tissue"] * 2
    np.testing.assert_allclose(es.values, table.iloc[:, 2:].to_numpy(), rtol=1e-6)
    # a row that is short without any quote is still refused, naming its line
    # a cell over three lines, with commas inside: its middle line has no quote of its own
    table.loc[4, "tissue"] = "Heart,\nleft, ventricle\nbiopsy"
    table.to_csv(tmp_path / "three.csv", index=False)
    es = load_table(tmp_path / "three.csv")
    assert es.samples["tissue"].iloc[4] == "Heart, left, ventricle biopsy"
    table["tissue"] = table["tissue"].str.replace("\n", " ")
    lines = table.to_csv(index=False).splitlines()
    lines[10] = ",".join(lines[10].split(",")[:6])
    (tmp_path / "short.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="line 11: 6 fields, expected 12"):
        load_table(tmp_path / "short.csv")


def test_h5ad_roundtrip(tmp_path, sepira):
    anndata = pytest.importorskip("anndata")
    from scipy import sparse

    obs = sepira.samples.copy()
    var = pd.DataFrame({"gene_symbols": sepira.gene_symbols}, index=sepira.gene_ids)
    with _h5ad_strings(anndata):
        anndata.AnnData(X=sepira.values, obs=obs, var=var).write_h5ad(tmp_path / "dense.h5ad")
    es = load_table(tmp_path / "dense.h5ad")
    assert es.fingerprint() == sepira.fingerprint()
    assert (es.samples["tissue"] == sepira.samples["tissue"]).all()
    with _h5ad_strings(anndata):
        anndata.AnnData(X=sparse.csr_matrix(sepira.values), obs=obs, var=var).write_h5ad(
            tmp_path / "sparse.h5ad"
        )
    es2 = load_table(tmp_path / "sparse.h5ad")
    np.testing.assert_array_equal(es2.values, sepira.values)
    assert list(es2.gene_symbols) == list(sepira.gene_symbols)


def test_h5ad_with_genes_in_obs_is_read_as_its_names_say(tmp_path, sepira, caplog):
    """``AnnData(table)`` on a genes x samples table keeps genes in obs; it trained as 467
    samples named TBX4, TFEC, ... with --orientation ignored and nothing said."""
    anndata = pytest.importorskip("anndata")

    var = sepira.samples.copy()
    obs = pd.DataFrame({"gene_symbols": sepira.gene_symbols}, index=sepira.gene_ids)
    with _h5ad_strings(anndata):
        anndata.AnnData(X=sepira.values.T, obs=obs, var=var).write_h5ad(tmp_path / "genes.h5ad")
    with caplog.at_level("WARNING", logger="core.data"):
        es = load_table(tmp_path / "genes.h5ad")
    assert es.fingerprint() == sepira.fingerprint()  # the same samples, genes and values
    assert (es.samples["tissue"] == sepira.samples["tissue"]).all()
    assert list(es.gene_symbols) == list(sepira.gene_symbols)
    assert "genes in obs and samples in var, as its names say" in caplog.text
    assert es.source["orientation"] == "genes_x_samples"
    # an orientation given is followed, and said when the names disagree
    caplog.clear()
    with caplog.at_level("WARNING", logger="core.data"):
        as_asked = load_table(tmp_path / "genes.h5ad", orientation="samples_x_genes")
    assert as_asked.shape == (sepira.n_genes, sepira.n_samples)
    assert "read with samples in obs, as asked, but its names say genes in obs" in caplog.text
    assert load_table(tmp_path / "genes.h5ad", orientation="genes_x_samples").shape == sepira.shape
    # a source recorded before (orientation "auto", obs read as samples whatever the names)
    # is read again as then: its model was trained on that
    old_source = {k: v for k, v in es.source.items() if k != "h5ad_by_names"}
    old_source["orientation"] = "auto"
    assert load_source(old_source).shape == (sepira.n_genes, sepira.n_samples)
    assert load_source(es.source).fingerprint() == es.fingerprint()
    # samples in var unnamed (0 to n-1): said of the samples, not as genes without names
    with _h5ad_strings(anndata):
        anndata.AnnData(X=sepira.values.T[:, :5], obs=obs).write_h5ad(tmp_path / "unnamed.h5ad")
    es = load_table(tmp_path / "unnamed.h5ad")
    assert es.shape == (5, sepira.n_genes) and list(es.sample_ids) == ["0", "1", "2", "3", "4"]


def test_table_log_transform_and_gct(tmp_path, small):
    es = load_table(small["gct"], transform="log10p1")
    raw = np.asarray([r[2:] for r in small["rows"][1:]], dtype=np.float64).T
    np.testing.assert_allclose(es.values, np.log10(raw + 1), rtol=1e-6)
    assert list(es.gene_symbols) == [r[1] for r in small["rows"][1:]]


# ----------------------------------------------------------------------------- bad input
def test_small_gct_loads(small):
    es = load_gtex(small["gct"], small["attributes"], phenotypes=small["phenotypes"])
    assert es.shape == (40, 5)
    assert es.samples["SMTS"].notna().sum() == len(pd.read_csv(small["attributes"], sep="\t"))


def test_error_missing_file(tmp_path, small):
    with pytest.raises(DataError, match="not found"):
        load_gtex(tmp_path / "nope.gct", small["attributes"])
    with pytest.raises(DataError, match="not found"):
        load_gtex(small["gct"], tmp_path / "nope.txt")
    with pytest.raises(DataError, match="not found"):
        load_table(tmp_path / "nope.csv")


def test_error_empty_and_not_gct(tmp_path, small, sepira_file):
    empty = tmp_path / "empty.gct"
    empty.write_text("")
    with pytest.raises(DataError, match=r"empty\.gct.*empty file"):
        load_gtex(empty, small["attributes"])
    with pytest.raises(DataError, match=r"line 1: not a GCT v1\.2"):
        load_gtex(sepira_file, small["attributes"])
    bad_dims = write_gct(tmp_path / "dims.gct", small["rows"], dims="five\tforty")
    with pytest.raises(DataError, match="line 2"):
        load_gtex(bad_dims, small["attributes"])


def test_error_truncated_gzip(tmp_path, small):
    data = small["gct"].read_bytes()
    (tmp_path / "cut.gct.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"cut\.gct\.gz: damaged or truncated gzip file"):
        load_gtex(tmp_path / "cut.gct.gz", small["attributes"])


def test_error_dimension_line(tmp_path, small, caplog):
    rows = small["rows"]
    wrong_samples = write_gct(tmp_path / "s.gct", rows, dims="5\t41")
    with pytest.raises(DataError, match=r"line 3: the header names 40 samples.*declares 41"):
        load_gtex(wrong_samples, small["attributes"])
    # a spreadsheet's tab at the end of the header: the message names it
    tab = write_gct(tmp_path / "tab.gct", [[*rows[0], ""], *rows[1:]], dims="5\t40")
    with pytest.raises(DataError, match=r"41 samples.*declares 40 \(the header ends with a tab"):
        load_gtex(tab, small["attributes"])
    too_many = write_gct(tmp_path / "g.gct", rows, dims="4\t40")
    with pytest.raises(DataError, match=r"line 8: more gene rows than the 4 declared"):
        load_gtex(too_many, small["attributes"])
    fewer = write_gct(tmp_path / "f.gct", rows, dims="9\t40")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_gtex(fewer, small["attributes"])
    assert es.n_genes == 5 and any("declares 9" in r.getMessage() for r in caplog.records)


def test_chunked_streaming_matches(tmp_path, small, monkeypatch):
    """Many small chunks (and a file shorter than declared) give the same matrix."""
    from core.data import gct

    whole = load_gtex(small["gct"], small["attributes"], exclude_tissues=("Muscle",))
    fewer = write_gct(tmp_path / "f.gct.gz", small["rows"], dims="50\t40", gz=True)
    monkeypatch.setattr(gct, "_GCT_CHUNK_BYTES", 300)  # two gene rows per chunk
    monkeypatch.setattr(gct, "_GCT_PEEK_VALUES", 50)  # allocate 50 declared, then trim
    chunked = load_gtex(fewer, small["attributes"], exclude_tissues=("Muscle",))
    assert chunked.shape == whole.shape and chunked.values.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(chunked.values, whole.values)
    first3 = load_gtex(small["gct"], small["attributes"], max_genes=3)
    full = load_gtex(small["gct"], small["attributes"])
    assert first3.n_genes == 3
    np.testing.assert_array_equal(first3.values, full.values[:, :3])


def test_error_gct_huge_value_names_gene_and_sample(tmp_path, small):
    rows = [list(r) for r in small["rows"]]
    rows[2][7] = "1e30"
    path = write_gct(tmp_path / "h.gct", rows)
    said = rf"h\.gct, line 5 \(gene {re.escape(rows[2][0])}, sample {rows[0][7]}\): value 1e\+30"
    with pytest.raises(DataError, match=said):
        load_gtex(path, small["attributes"])


def test_error_ragged_row(tmp_path, small):
    rows = [list(r) for r in small["rows"]]
    rows[3] = rows[3][:-1]
    path = write_gct(tmp_path / "r.gct", rows, gz=True)
    with pytest.raises(DataError, match=r"r\.gct, line 6: ragged row with 41 fields, expected 42"):
        load_gtex(path, small["attributes"])


@pytest.mark.parametrize("gz", [False, True])
def test_error_gct_last_line_cut_short(tmp_path, small, gz):
    """A GCT whose last line stops short, with no line break after it (a download or copy
    cut short), was refused as "ragged row with 10 fields, expected 42": named as cut short,
    as a plain table is. A short line in the middle, or a short last line that ends in a line
    break (an edit), is still a ragged row."""
    rows = small["rows"]
    name = "cut.gct.gz" if gz else "cut.gct"
    full = write_gct(tmp_path / "full.gct", rows).read_bytes()
    for cut_at in (8, 1):  # in the values; in the Name and Description fields
        kept = full[: full.rindex(b"\n")]  # no line break after the last row
        fields = kept.rsplit(b"\n", 1)[1].split(b"\t")
        text = kept[: len(kept) - len(b"\t".join(fields[cut_at:])) - 1]
        path = tmp_path / name
        if gz:
            path.write_bytes(gzip.compress(text))
        else:
            path.write_bytes(text)
        said = (
            rf"{re.escape(name)}, line 8: its last line has {cut_at} of the 42 fields of a gene "
            r"row \(Name, Description and 40 samples; it ends in '.*'\), with no line break "
            r"after it: the file looks cut short \(an interrupted download or copy\)"
        )
        with pytest.raises(DataError, match=said):
            load_gtex(path, small["attributes"])
        with pytest.raises(DataError, match=said):  # embed --matrix, analyze --matrix
            load_table(path)
    # the same short last line with a line break after it: a ragged row
    path = tmp_path / "edited.gct"
    path.write_bytes(text + b"\n")
    with pytest.raises(DataError, match=r"edited\.gct, line 8: ragged row with 1 fields"):
        load_gtex(path, small["attributes"])
    # a short line in the middle, no line break after the last: a ragged row
    short = [list(r) for r in rows]
    short[2] = short[2][:-5]
    path.write_bytes(write_gct(tmp_path / "mid.gct", short).read_bytes().rstrip(b"\n"))
    with pytest.raises(DataError, match=r"edited\.gct, line 5: ragged row with 37 fields"):
        load_gtex(path, small["attributes"])


def test_error_non_numeric(tmp_path, small):
    rows = [list(r) for r in small["rows"]]
    rows[4][10] = "12x"
    path = write_gct(tmp_path / "n.gct", rows)
    with pytest.raises(
        DataError, match=rf"line 7: non-numeric value '12x' for sample {rows[0][10]}"
    ):
        load_gtex(path, small["attributes"])


def test_line_numbers_count_blank_lines(tmp_path, small):
    rows = [list(r) for r in small["rows"]]
    rows[5][3] = "1_000"
    rows.insert(2, [])  # a blank line 5
    path = write_gct(tmp_path / "b.gct", rows, dims="5\t40")
    with pytest.raises(
        DataError, match=rf"line 9: non-numeric value '1_000' for sample {rows[0][3]}"
    ):
        load_gtex(path, small["attributes"])
    rows[6][3] = "7"
    assert load_gtex(write_gct(path, rows, dims="5\t40"), small["attributes"]).n_genes == 5


def test_missing_values_become_nan(tmp_path, small):
    rows = [list(r) for r in small["rows"]]
    rows[2][5] = "NA"
    rows[2][6] = ""
    es = load_gtex(write_gct(tmp_path / "na.gct", rows), small["attributes"])
    assert np.isnan(es.values[[3, 4], 1]).all() and np.isnan(es.values).sum() == 2


def test_error_negative_values(tmp_path, small):
    rows = [list(r) for r in small["rows"]]
    rows[1][7] = "-3"
    path = write_gct(tmp_path / "neg.gct", rows)
    with pytest.raises(DataError, match=r"line 4: negative value -3 .*log10p1.*--transform none"):
        load_gtex(path, small["attributes"])
    es = load_gtex(path, small["attributes"], transform="none")
    assert es.values[5, 0] == -3
    frame = pd.DataFrame({"sample": ["a", "b"], "G1": [1.0, -2.0], "G2": [0.0, 1.0]})
    frame.to_csv(tmp_path / "neg.csv", index=False)
    with pytest.raises(DataError, match="negative value -2"):
        load_table(tmp_path / "neg.csv", transform="log2p1")


def test_error_duplicate_sample_ids(tmp_path, small, sepira_file):
    rows = [list(r) for r in small["rows"]]
    rows[0][12] = rows[0][11]
    with pytest.raises(DataError, match="line 3: duplicate sample ids"):
        load_gtex(write_gct(tmp_path / "d.gct", rows), small["attributes"])
    frame = pd.read_csv(sepira_file, nrows=10)
    frame.loc[3, "sample"] = frame.loc[2, "sample"]
    frame.to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(DataError, match="duplicate sample ids"):
        load_table(tmp_path / "dup.csv")


def test_error_attributes_columns(tmp_path, small):
    attrs = pd.read_csv(small["attributes"], sep="\t")
    attrs.drop(columns=["SMTS"]).to_csv(tmp_path / "no_smts.txt", sep="\t", index=False)
    with pytest.raises(DataError, match=r"no_smts\.txt, line 1: no SMTS column"):
        load_gtex(small["gct"], tmp_path / "no_smts.txt")
    attrs.rename(columns={"SAMPID": "ID"}).to_csv(tmp_path / "no_id.txt", sep="\t", index=False)
    with pytest.raises(DataError, match="no SAMPID column"):
        load_gtex(small["gct"], tmp_path / "no_id.txt")


def test_error_no_common_samples(tmp_path, small):
    attrs = pd.read_csv(small["attributes"], sep="\t")
    attrs["SAMPID"] = "X-" + attrs["SAMPID"]
    attrs.to_csv(tmp_path / "other.txt", sep="\t", index=False)
    with pytest.raises(DataError, match="no sample in common"):
        load_gtex(small["gct"], tmp_path / "other.txt")


def test_error_table_non_numeric_and_ragged(tmp_path, sepira_file):
    lines = gzip.open(sepira_file, "rt").read().splitlines()[:6]
    fields = lines[4].split(",")
    fields[20] = "high"
    bad = [*lines[:4], ",".join(fields), lines[5]]
    (tmp_path / "nn.csv").write_text("\n".join(bad) + "\n")
    with pytest.raises(DataError, match=r"nn\.csv, line 5: non-numeric value 'high'"):
        load_table(tmp_path / "nn.csv")
    ragged = [*lines[:3], lines[3] + ",1.0,2.0", *lines[4:]]
    (tmp_path / "rg.csv").write_text("\n".join(ragged) + "\n")
    with pytest.raises(DataError, match=r"rg\.csv, line 4: ragged row"):
        load_table(tmp_path / "rg.csv")


def test_a_row_one_field_short_is_refused(tmp_path, sepira_file):
    """pandas filled a short row's missing field at its end: every value after the gap was read
    as the next gene's, without a word. Quoted fields holding the separator are not short."""
    lines = gzip.open(sepira_file, "rt").read().splitlines()[:40]
    fields = lines[10].split(",")
    del fields[100]
    short = [*lines[:10], ",".join(fields), *lines[11:]]
    for name, write in (("short.csv", Path.write_text), ("short.csv.gz", None)):
        path = tmp_path / name
        text = "\n".join(short) + "\n"
        if write is None:
            with gzip.open(path, "wt") as fh:
                fh.write(text)
        else:
            write(path, text)
        with pytest.raises(DataError, match=r"line 11: 468 fields, expected 469: a field is"):
            load_table(path)
    # a quoted sample name with a comma in some rows only: as many fields as the others
    quoted = [lines[0]] + [
        f'"{line.split(",", 1)[0]}, rerun",{line.split(",", 1)[1]}' if i % 3 else line
        for i, line in enumerate(lines[1:])
    ]
    (tmp_path / "quoted.csv").write_text("\n".join(quoted) + "\n")
    assert load_table(tmp_path / "quoted.csv").values.shape == (39, 467)


def test_a_true_false_column_among_the_genes_is_refused(tmp_path, sepira_file):
    """TRUE/FALSE read as 1/0 were trained as a gene without a word; before the genes, the
    column stays a sample annotation."""
    lines = gzip.open(sepira_file, "rt").read().splitlines()[:30]

    def with_column(at: int) -> list[str]:
        out = []
        for i, line in enumerate(lines):
            fields = line.split(",")
            cell = "smoker" if i == 0 else ("TRUE" if i % 2 else ("" if i % 5 == 0 else "FALSE"))
            fields.insert(at, cell)
            out.append(",".join(fields))
        return out

    (tmp_path / "mid.csv").write_text("\n".join(with_column(100)) + "\n")
    for text_values in ("refuse", "missing"):
        with pytest.raises(DataError, match="column 'smoker' holds TRUE/FALSE values"):
            load_table(tmp_path / "mid.csv", text_values=text_values)
    (tmp_path / "lead.csv").write_text("\n".join(with_column(2)) + "\n")
    es = load_table(tmp_path / "lead.csv")
    assert es.n_genes == 467 and "smoker" in es.samples.columns


def test_exclude_everything_and_bad_arguments(small):
    attrs = pd.read_csv(small["attributes"], sep="\t")
    with pytest.raises(DataError, match="unknown transform"):
        load_gtex(small["gct"], small["attributes"], transform="log")
    with pytest.raises(DataError, match="unknown orientation"):
        load_table(small["gct"], orientation="diagonal")
    tissues = attrs["SMTS"].value_counts()
    es = load_gtex(small["gct"], small["attributes"], exclude_tissues=(tissues.index[0],))
    assert es.n_samples == 40 - tissues.iloc[0]
    assert not (es.samples["SMTS"] == tissues.index[0]).any()
    with pytest.raises(DataError, match="no sample left"):
        load_gtex(small["gct"], small["attributes"], exclude_tissues=tuple(tissues.index))


# ----------------------------------------------------------------------------- mistakes users make
def test_orientation_follows_the_id_column_name(tmp_path, sepira, sepira_file):
    """More samples than genes: a ``sample`` (or ``gene``) id column says which axis is which."""
    frame = pd.read_csv(sepira_file).drop(columns=["tissue"])  # 520 samples x 467 genes
    frame.to_csv(tmp_path / "no_tissue.csv", index=False)
    es = load_table(tmp_path / "no_tissue.csv")
    assert es.shape == (520, 467) and list(es.sample_ids[:2]) == list(frame["sample"][:2])
    np.testing.assert_array_equal(es.values, sepira.values)
    # genes as rows, fewer genes than samples: 60 samples x 30 genes
    part = frame.iloc[:60, :31].set_index("sample").T
    part.index.name = "gene"
    part.to_csv(tmp_path / "genes_rows.csv")
    es = load_table(tmp_path / "genes_rows.csv")
    assert es.shape == (60, 30) and list(es.gene_ids) == list(part.index)


def test_error_table_infinite_value_names_the_cell(tmp_path, sepira_file):
    frame = pd.read_csv(sepira_file).iloc[:10, :12]
    frame.iloc[3, 5] = np.inf
    frame.to_csv(tmp_path / "inf.csv", index=False)
    sample, gene = frame["sample"][3], frame.columns[5]
    with pytest.raises(DataError, match=rf"inf\.csv \(sample {sample}, gene {gene}\): infinite"):
        load_table(tmp_path / "inf.csv")
    # beyond float32 (read as inf, with numpy's overflow warning before), and beyond any
    # expression value (its square overflowed the fit errors of embed: inf)
    for value, said in (
        ("1e39", "infinite value (inf, or a number beyond 3.4e+38"),
        ("1e30", "value 1e+30 is beyond any expression value"),
    ):
        frame.iloc[3, 5] = float(value)
        frame.to_csv(tmp_path / "huge.csv", index=False)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no RuntimeWarning of the cast
            with pytest.raises(
                DataError, match=rf"\(sample {sample}, gene {gene}\): {re.escape(said)}"
            ):
                load_table(tmp_path / "huge.csv")


def test_semicolon_csv_and_decimal_commas(tmp_path, sepira_file, caplog):
    """A .csv saved by a spreadsheet in a decimal-comma locale: ';' between fields."""
    frame = pd.read_csv(sepira_file).iloc[:20, :12]
    frame.to_csv(tmp_path / "semi.csv", index=False, sep=";")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "semi.csv")
    assert es.shape == (20, 10) and "reading it as ';'-separated" in caplog.text
    np.testing.assert_allclose(es.values, frame.iloc[:, 2:].to_numpy(), rtol=1e-6)
    # decimal commas between commas (quoted): refused, not read as thousands nor as text
    frame.to_csv(tmp_path / "decimal.csv", index=False, sep=",", decimal=",")
    with pytest.raises(
        DataError, match=r"decimal\.csv: no numeric gene column: .* decimal comma .* not by ','"
    ):
        load_table(tmp_path / "decimal.csv")
    one = frame.astype({frame.columns[4]: object})
    one.iloc[2, 4] = "0,25"
    one.to_csv(tmp_path / "one.csv", index=False)
    with pytest.raises(DataError, match=r"line 4: non-numeric value '0,25' .* decimal comma"):
        load_table(tmp_path / "one.csv")
    one.iloc[2, 4] = "1e400"  # a number no float holds: said as such, not as text
    one.to_csv(tmp_path / "huge.csv", index=False)
    with pytest.raises(DataError, match=r"line 4: non-numeric value '1e400' .* too large for any"):
        load_table(tmp_path / "huge.csv")


@pytest.fixture()
def decimal_frame(sepira_file) -> pd.DataFrame:
    """58 real samples of the 26 tissues x 40 genes; one tissue named with a comma, as
    GTEx's sites are ("Skin, sun exposed")."""
    frame = pd.read_csv(sepira_file).iloc[::9].iloc[:60, :42].reset_index(drop=True)
    first = frame["tissue"].iloc[0]
    frame["tissue"] = frame["tissue"].replace(first, f"{first}, sun exposed")
    return frame


@pytest.mark.parametrize(
    "name, sep", [("eu.csv", ";"), ("eu.csv.gz", ";"), ("eu.tsv", "\t"), ("eu.txt.gz", "\t")]
)
def test_decimal_commas_are_read(tmp_path, decimal_frame, caplog, name, sep):
    """A table saved by a spreadsheet in a decimal-comma locale ("GATA4;1,25") was refused;
    its values are read as written, its text as written, and the reading is said."""
    frame = decimal_frame
    frame.to_csv(tmp_path / name, index=False, sep=sep, decimal=",")
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / name)
    said = [r.getMessage() for r in caplog.records if "decimal comma" in r.getMessage()]
    assert len(said) == 1 and name in said[0] and "read as such" in said[0], caplog.text
    assert list(es.sample_ids) == list(frame["sample"])
    assert list(es.gene_ids) == list(frame.columns[2:])
    assert es.samples["tissue"].tolist() == frame["tissue"].tolist()
    assert any(", sun exposed" in t for t in es.samples["tissue"])
    np.testing.assert_array_equal(es.values, frame.iloc[:, 2:].to_numpy(np.float32))


def test_decimal_commas_genes_in_rows_and_in_annotations(tmp_path, decimal_frame, caplog):
    """Genes in rows, every field quoted (numbers too), and an annotation file of the same
    locale: numbers read with their decimal comma, text kept with its commas."""
    frame = decimal_frame
    genes = frame.set_index("sample").drop(columns="tissue").T.rename_axis("gene")
    genes.to_csv(tmp_path / "genes.csv", sep=";", decimal=",", quoting=csv.QUOTE_NONNUMERIC)
    assert '\n"TBX4";"0,' in (tmp_path / "genes.csv").read_text()
    ann = frame[["sample", "tissue"]].assign(RIN=np.linspace(5.5, 9.25, len(frame)))
    ann.to_csv(tmp_path / "samples.csv", sep=";", decimal=",", index=False)
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(tmp_path / "genes.csv", annotations=tmp_path / "samples.csv")
    assert caplog.text.count("decimal comma") == 2  # the matrix, the annotations
    assert list(es.sample_ids) == list(frame["sample"])
    np.testing.assert_array_equal(es.values, frame.iloc[:, 2:].to_numpy(np.float32))
    assert es.samples["tissue"].tolist() == frame["tissue"].tolist()
    np.testing.assert_allclose(es.samples["RIN"], ann["RIN"])


def test_decimal_commas_with_text_cells_further_down_and_thousands(tmp_path, decimal_frame):
    """Text among decimal commas is text as in any table; decimal commas that start after
    the lines looked at first are read too; a number with a '.' among decimal commas
    (1.234,5: a thousands separator) and commas that may all be thousands separators
    between tabs (1,250) are refused, never misread."""
    frame = decimal_frame
    path = tmp_path / "eu.csv"
    frame.to_csv(path, index=False, sep=";", decimal=",")
    lines = path.read_text().splitlines()

    def with_cell(text: str, line: int = 4, column: int = 5) -> Path:
        fields = lines[line - 1].split(";")
        fields[column] = text
        out = tmp_path / "cell.csv"
        out.write_text("\n".join([*lines[: line - 1], ";".join(fields), *lines[line:]]) + "\n")
        return out

    gene = frame.columns[5]
    with pytest.raises(DataError, match=rf"line 4: non-numeric value 'n\.d\.' in column '{gene}'"):
        load_table(with_cell("n.d."))
    es = load_table(with_cell("n.d."), text_values="missing")
    expected = frame.iloc[:, 2:].to_numpy(np.float32)
    assert np.isnan(es.values[2, 3]) and es.source["text_cell_count"] == 1
    kept = ~np.isnan(es.values)
    np.testing.assert_array_equal(es.values[kept], expected[kept])
    for text in ("1.234,5", "1.5"):
        for text_values in ("refuse", "missing"):
            with pytest.raises(
                DataError, match=rf"line 4: value '{re.escape(text)}' in column '{gene}' has a '\.'"
            ):
                load_table(with_cell(text), text_values=text_values)
    # whole numbers first (0), beyond the first MiB: the decimal commas below are read too
    zeros = frame.iloc[:, :2].merge(pd.DataFrame({"copy": range(400)}), how="cross")
    zeros = zeros.assign(sample=zeros["sample"] + "_" + zeros["copy"].astype(str))
    zeros = zeros.drop(columns="copy").reindex(columns=frame.columns, fill_value=0)
    below = frame.to_csv(index=False, header=False, sep=";", decimal=",")
    (tmp_path / "late.csv").write_text(zeros.to_csv(index=False, sep=";") + below)
    assert re.search(r"\d,\d", (tmp_path / "late.csv").read_text()).start() > 2 << 20
    es = load_table(tmp_path / "late.csv")
    assert es.n_samples == len(zeros) + len(frame) and not es.values[: len(zeros)].any()
    np.testing.assert_array_equal(es.values[len(zeros) :], expected)
    # between tabs, numbers such as 1,250 may have thousands separators: refused
    counts = frame.copy()
    counts.iloc[:, 2:] = counts.iloc[:, 2:] * 100 + 1000
    text = counts.to_csv(index=False, sep="\t", float_format="%.0f")
    text = re.sub(r"(?<=\t)(\d)(\d{3})(?=\t|\n)", r"\1,\2", text)
    (tmp_path / "us.tsv").write_text(text)
    with pytest.raises(DataError, match=r"decimal comma or a thousands separator"):
        load_table(tmp_path / "us.tsv")


@pytest.mark.parametrize("counts", [False, True])
def test_lists_in_a_text_column_are_no_decimal_commas(tmp_path, decimal_frame, caplog, counts):
    """A tab-separated table of decimal points with a text column of lists (a gene's Entrez
    ids, "4609,4610"; a sample's lanes, "1,2") was read as one of decimal commas, and its
    values refused for their '.'; one of whole counts had the list column read as a sample
    of values (4609.461, "read as such")."""
    frame = decimal_frame.drop(columns="tissue").set_index("sample")
    genes = frame.T.rename_axis("gene")
    if counts:
        genes = (genes * 100).round().astype(int)
    genes.insert(0, "entrez", [str(2600 + i) for i in range(len(genes))])
    genes.iloc[[3, 17], 0] = ["4609,4610", "1956,1957"]
    genes.to_csv(tmp_path / "genes.tsv", sep="\t")
    samples = frame.copy()
    samples.insert(0, "lanes", ["1,2" if i % 2 else "3,4" for i in range(len(samples))])
    samples.to_csv(tmp_path / "samples.tsv", sep="\t")
    for name in ("genes.tsv",) if counts else ("genes.tsv", "samples.tsv"):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="core.data"):
            es = load_table(tmp_path / name)
        assert "decimal comma" not in caplog.text
        assert list(es.sample_ids) == list(frame.index) and es.n_genes == frame.shape[1]
        np.testing.assert_allclose(es.values, genes.iloc[:, 1:].T.to_numpy(np.float32), rtol=1e-6)


def test_gtex_attributes_saved_as_csv(tmp_path, small):
    """A comma-separated copy of SampleAttributesDS is read, not reported as lacking SAMPID."""
    attrs = pd.read_csv(small["attributes"], sep="\t")
    attrs.to_csv(tmp_path / "attrs.csv", index=False)
    es = load_gtex(small["gct"], tmp_path / "attrs.csv")
    ref = load_gtex(small["gct"], small["attributes"])
    np.testing.assert_array_equal(es.values, ref.values)
    assert es.samples["SMTS"].equals(ref.samples["SMTS"])


def test_error_text_column_among_the_genes_says_where_it_belongs(tmp_path, sepira_file):
    frame = pd.read_csv(sepira_file).iloc[:20, :12]
    frame.insert(6, "flowcell", ["run1", "run2"] * 10)
    frame.to_csv(tmp_path / "flowcell.csv", index=False)
    message = r"column 'flowcell': the column holds text.*right after the id column 'sample'"
    with pytest.raises(DataError, match=message):
        load_table(tmp_path / "flowcell.csv")
    # named as a sample annotation (batch, age, RIN, ...), it is read as one where it stands
    frame.rename(columns={"flowcell": "batch"}).to_csv(tmp_path / "batch.csv", index=False)
    es = load_table(tmp_path / "batch.csv")
    assert es.samples["batch"].tolist() == ["run1", "run2"] * 10 and es.n_genes == 10


def test_gtex_reading_reports_progress(gtex_acmg59_files, monkeypatch):
    """The GCT is read chunk by chunk; each chunk reports (rows read, rows declared)."""
    from core.data import gct

    monkeypatch.setattr(gct, "_GCT_CHUNK_BYTES", 200_000)  # several chunks of this small file
    calls = []
    f = gtex_acmg59_files
    es = load_gtex(
        f["gct"], f["attributes"], progress=lambda done, total: calls.append((done, total))
    )
    # this file is a row subset of the published one: its dimension line declares 56,200
    assert len(calls) > 1 and calls[-1] == (59, 56_200) and es.values.shape[1] == 59
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_command_line_progress_lines_in_a_log(capsys):
    from core.cli import StepProgress, _declared

    bar = StepProgress("reading x.gct", "genes", 1)
    report = _declared(bar)
    for done in range(5_000, 56_201, 5_000):
        report(done, 56_200)
    report(56_200, 56_200)
    bar.close()
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == "reading x.gct: 10,000 of 56,200 genes"  # a line per tenth, not per call
    assert lines[-1] == "reading x.gct: 56,200 of 56,200 genes" and len(lines) <= 10


def test_more_top_genes_than_the_data_has_is_said(caplog):
    es = ExpressionSet.from_array(np.arange(12, dtype=np.float32).reshape(3, 4))
    with caplog.at_level("WARNING", logger="core.data"):
        assert es.top_variable_genes(5000).n_genes == 4
    assert "top 5000 variable genes asked for, but the data has 4 genes" in caplog.text


# ----------------------------------------------------------------------------- files as found
@pytest.fixture()
def sepira_small(sepira_file) -> pd.DataFrame:
    """30 real samples x 10 genes of the 26-tissue set: columns sample, tissue, genes."""
    return pd.read_csv(sepira_file).iloc[:30, :12]


def _xlsx_bytes() -> bytes:
    """The start of an Excel workbook: a zip archive with an ``xl/`` folder."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def _cut_gzip() -> bytes:
    """The first half of a gzip'd table: a download cut short."""
    rng = np.random.default_rng(0)
    text = "sample,TBX4,GATA4\n" + "".join(
        f"s{i},{a:.6f},{b:.6f}\n" for i, (a, b) in enumerate(rng.random((5000, 2)))
    )
    packed = gzip.compress(text.encode())
    return packed[: len(packed) // 2]


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("expression.csv", _xlsx_bytes(), r"cannot be read: it is an Excel workbook"),
        ("expression.tsv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), r"Excel 97-2003"),
        (
            "expression.csv",
            b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>\n",
            r"web page \(HTML\), not the data",
        ),
        ("expression.h5ad", b"sample,TBX4\ns1,1.0\n", r"is not an \.h5ad \(HDF5\) file.*\.csv"),
        ("expression.parquet", b"sample,TBX4\ns1,1.0\n", r"is not a parquet file"),
        # bytes that are no text (nor NUL among them): not said to be "a CSV/TSV table?"
        ("random.h5ad", bytes(range(128, 256)) * 2, r"is not an \.h5ad \(HDF5\) file: it is a bin"),
        ("expression.csv", b"PAR1" + bytes(100), r"it is a parquet file; name it .*\.parquet"),
        ("expression.csv.gz", _cut_gzip(), r"truncated gzip"),
        ("expression.txt", "sample\tTBX4\ns1\t1.0\n".encode("utf-16"), r"UTF-16 text"),
    ],
)
def test_files_of_another_kind_are_named(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as err:
        load_table(path)
    assert name in str(err.value)


def test_files_of_another_kind_as_annotations_and_gtex_files(tmp_path, small, sepira_small):
    page = tmp_path / "attrs.txt"
    page.write_text("<html><body>404 Not Found</body></html>\n")
    with pytest.raises(DataError, match=r"sample attributes file .*attrs\.txt: cannot be read"):
        load_gtex(small["gct"], page)
    matrix = tmp_path / "m.csv"
    sepira_small.drop(columns="tissue").to_csv(matrix, index=False)
    with pytest.raises(DataError, match=r"annotation file .*attrs\.txt: .*web page"):
        load_table(matrix, annotations=page)


def test_latin1_tables_are_read_with_a_warning(tmp_path, small, sepira_small, caplog):
    # saved by a Windows spreadsheet: cp1252 / Latin-1, an "e acute" as the single byte 0xE9
    table = sepira_small.copy()
    table["tissue"] = table["tissue"].str.replace("Adipose", "Adip\u00e9se")
    matrix = tmp_path / "latin1.csv"
    matrix.write_bytes(table.to_csv(index=False).encode("latin-1"))
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(matrix)
    assert es.samples["tissue"].iloc[0] == "Adip\u00e9se Tissue"
    assert "latin1.csv: not valid UTF-8 (first at line 2)" in caplog.text
    annotations = tmp_path / "ann.tsv"
    annotations.write_bytes(
        table[["sample", "tissue"]].to_csv(sep="\t", index=False).encode("cp1252")
    )
    plain = tmp_path / "plain.csv"
    sepira_small.drop(columns="tissue").to_csv(plain, index=False)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.data"):
        es = load_table(plain, annotations=annotations)
    assert es.samples["tissue"].iloc[0] == "Adip\u00e9se Tissue"
    assert caplog.text.count("ann.tsv: not valid UTF-8") == 1  # read once
    attrs = pd.read_csv(small["attributes"], sep="\t")
    attrs["SMTSD"] = attrs["SMTSD"] + " \u00e9"
    latin = tmp_path / "attrs_latin1.txt"
    latin.write_bytes(attrs.to_csv(sep="\t", index=False).encode("latin-1"))
    es = load_gtex(small["gct"], latin)
    assert es.samples["SMTSD"].dropna().str.endswith(" \u00e9").all()


def test_gct_with_a_byte_order_mark(tmp_path, small):
    plain = write_gct(tmp_path / "plain.gct", small["rows"])
    bom = tmp_path / "bom.gct"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    es = load_gtex(bom, small["attributes"])
    np.testing.assert_array_equal(es.values, load_gtex(plain, small["attributes"]).values)


def test_gct_non_numeric_value_names_the_gene(tmp_path, small):
    rows = [list(r) for r in small["rows"]]
    rows[3][7] = "n.d."
    path = write_gct(tmp_path / "nd.gct", rows)
    with pytest.raises(DataError, match=rf"line 6: non-numeric value 'n\.d\.' .*gene {rows[3][0]}"):
        load_gtex(path, small["attributes"])


def test_table_without_a_header_line(tmp_path, sepira_small):
    path = tmp_path / "noheader.csv"
    sepira_small.drop(columns="tissue").to_csv(path, index=False, header=False)
    with pytest.raises(DataError, match=r"noheader\.csv, line 1: column names expected, found"):
        load_table(path)


def test_comment_lines_above_the_header(tmp_path, sepira_small):
    path = tmp_path / "commented.tsv"
    body = sepira_small.drop(columns="tissue").to_csv(sep="\t", index=False)
    path.write_text("# exported by a lab tool, 2024-01-01\n" + body)
    es = load_table(path)
    assert es.shape == (30, 10) and es.sample_ids[0] == sepira_small["sample"].iloc[0]
    # a line number counts the comment line
    lines = path.read_text().splitlines()
    fields = lines[5].split("\t")
    fields[3] = "n.d."
    lines[5] = "\t".join(fields)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"commented\.tsv, line 6: non-numeric value 'n\.d\.'"):
        load_table(path)


def test_featurecounts_output(tmp_path):
    # featureCounts: a comment line, then Geneid Chr Start End Strand Length and the samples;
    # Start, End and Length are numbers, yet gene annotations
    text = (
        '# Program:featureCounts v2.0.1; Command:"featureCounts" "-a" "genes.gtf" "a.bam"\n'
        "Geneid\tChr\tStart\tEnd\tStrand\tLength\ta.bam\tb.bam\tc.bam\n"
        "ENSG00000223972.5\tchr1;chr1\t11869;12010\t12227;12057\t+;+\t1735\t0\t3\t1\n"
        "ENSG00000227232.5\tchr1\t14404\t29570\t-\t1351\t120\t98\t77\n"
        "ENSG00000243485.5\tchr1\t29554\t31109\t+\t1021\t5\t0\t2\n"
    )
    path = tmp_path / "counts.txt"
    path.write_text(text)
    es = load_table(path, transform="log10p1")
    assert list(es.sample_ids) == ["a", "b", "c"]  # named as annotation files name them
    assert es.shape == (3, 3) and list(es.genes["Length"]) == [1735, 1351, 1021]
    np.testing.assert_allclose(es.values[:, 1], np.log10([121, 99, 78]), rtol=1e-5)


def test_geo_series_matrix(tmp_path):
    text = (
        '!Series_title\t"Tissues"\n!Series_geo_accession\t"GSE1"\n\n'
        '!Sample_title\t"liver 1"\t"liver 2"\n!series_matrix_table_begin\n'
        '"ID_REF"\t"GSM1"\t"GSM2"\n"1007_s_at"\t8.1\t7.9\n"1053_at"\t5.5\t6.0\n'
        "!series_matrix_table_end\n"
    )
    path = tmp_path / "GSE1_series_matrix.txt"
    path.write_text(text)
    es = load_table(path)
    assert list(es.sample_ids) == ["GSM1", "GSM2"] and list(es.gene_ids) == ["1007_s_at", "1053_at"]
    np.testing.assert_allclose(es.values, [[8.1, 5.5], [7.9, 6.0]], rtol=1e-6)


def test_geo_series_matrix_header_gives_the_sample_annotations(tmp_path, caplog):
    """The tissue, age and source of each sample, as GEO writes them above the table, become
    annotations: a label to colour and classify by, with no annotation file to write."""
    text = (
        '!Series_title\t"Tissues"\n'
        "\n"  # as GEO writes them: a blank line between the !Series_ and !Sample_ lines
        '!Sample_title\t"liver 1"\t"kidney 1"\t"liver 2"\n'
        '!Sample_geo_accession\t"GSM1"\t"GSM2"\t"GSM3"\n'
        '!Sample_source_name_ch1\t"liver biopsy"\t"kidney biopsy"\t"liver biopsy"\n'
        '!Sample_organism_ch1\t"Homo sapiens"\t"Homo sapiens"\t"Homo sapiens"\n'
        '!Sample_characteristics_ch1\t"tissue: liver"\t"tissue: kidney"\t"tissue: liver"\n'
        # GEO mixes keys on one line where samples were described differently
        '!Sample_characteristics_ch1\t"age: 54"\t"Sex: F"\t"age: 61"\n'
        '!Sample_characteristics_ch1\t"Sex: M"\t"age: 47"\t""\n'
        '!Sample_characteristics_ch1\t"batch: 1"\t"batch: 1"\t"batch: 1"\n'
        "!series_matrix_table_begin\n"
        '"ID_REF"\t"GSM1"\t"GSM2"\t"GSM3"\n"1007_s_at"\t8.1\t7.9\t8.0\n'
        '"1053_at"\t5.5\t6.0\t5.1\n'
        "!series_matrix_table_end\n"
    )
    path = tmp_path / "GSE1_series_matrix.txt"
    path.write_text(text)
    with caplog.at_level("INFO", logger="core.data"):
        es = load_table(path)
    assert list(es.sample_ids) == ["GSM1", "GSM2", "GSM3"]
    ann = es.samples
    assert list(ann["tissue"]) == ["liver", "kidney", "liver"]
    assert list(ann["source_name"]) == ["liver biopsy", "kidney biopsy", "liver biopsy"]
    assert list(ann["title"]) == ["liver 1", "kidney 1", "liver 2"]
    assert ann["age"].tolist() == [54, 47, 61] and ann["age"].dtype.kind in "if"
    assert ann["Sex"].tolist()[:2] == ["M", "F"] and pd.isna(ann["Sex"].iloc[2])  # None or NaN
    # one value for every sample says nothing about them
    assert "batch" not in ann.columns
    assert es.label_column() == "tissue"
    assert "annotations read from the GEO header for 3 of 3 samples" in caplog.text
    assert "left out" not in caplog.text
    np.testing.assert_allclose(es.values[:, 1], [5.5, 6.0, 5.1], rtol=1e-6)
    # a line cut short (an editor trimmed its last cell): left out, and said so
    cut = text.replace('"tissue: liver"\t"tissue: kidney"\t"tissue: liver"', '"tissue: liver"')
    path.write_text(cut)
    caplog.clear()
    with caplog.at_level("WARNING", logger="core.data"):
        es = load_table(path)
    assert "tissue" not in es.samples.columns
    assert "1 !Sample_ line(s) left out: they do not give one value for each of the 3" in (
        caplog.text
    )
    assert "!Sample_characteristics_ch1 (1 values)" in caplog.text


def test_an_annotation_file_wins_over_the_geo_header(tmp_path):
    path = tmp_path / "GSE2_series_matrix.txt"
    path.write_text(
        '!Sample_geo_accession\t"GSM1"\t"GSM2"\n'
        '!Sample_characteristics_ch1\t"tissue: liver"\t"tissue: kidney"\n'
        '!series_matrix_table_begin\n"ID_REF"\t"GSM1"\t"GSM2"\n"g1"\t8.1\t7.9\n"g2"\t1\t2\n'
        "!series_matrix_table_end\n"
    )
    ann = tmp_path / "ann.csv"
    ann.write_text("sample,tissue\nGSM1,Liver\nGSM2,Kidney - Cortex\n")
    es = load_table(path, annotations=ann)
    assert list(es.samples["tissue"]) == ["Liver", "Kidney - Cortex"]


@pytest.mark.parametrize("id_name", ["EntrezID", "Gene ID", "gene.id", "Ensembl_Gene_ID"])
def test_gene_id_column_names_as_people_write_them(tmp_path, sepira_small, id_name):
    genes = sepira_small.drop(columns="tissue").set_index("sample").T
    genes.index = pd.Index(range(1000, 1010), name=id_name)  # numeric ids: Entrez
    path = tmp_path / "genes_rows.csv"
    genes.to_csv(path)
    es = load_table(path)
    assert es.shape == (30, 10)
    assert es.gene_ids[0] == "1000" and es.sample_ids[0] == sepira_small["sample"].iloc[0]


def test_separator_at_the_end_of_every_line(tmp_path, sepira_small):
    body = sepira_small.drop(columns="tissue").to_csv(sep="\t", index=False).splitlines()
    path = tmp_path / "trailing.tsv"
    path.write_text("".join(line + "\t\n" for line in body))
    es = load_table(path)
    assert es.shape == (30, 10) and not np.isnan(es.values).any()
    expected = sepira_small.iloc[:, 2:].to_numpy(np.float32)
    np.testing.assert_array_equal(es.values, expected)
    # at the end of every row but not of the header line: the values stay in their columns
    path.write_text(body[0] + "\n" + "".join(line + "\t\n" for line in body[1:]))
    es = load_table(path)
    assert list(es.sample_ids) == list(sepira_small["sample"])
    np.testing.assert_array_equal(es.values, expected)


def test_orientation_from_known_gene_symbols(tmp_path, sepira_file):
    # written by R's write.csv: an empty first header field; more samples (40) than genes (12)
    table = pd.read_csv(sepira_file).iloc[:40, :14].drop(columns="tissue").set_index("sample")
    table.index.name = None
    path = tmp_path / "r_export.csv"
    table.to_csv(path)
    es = load_table(path)
    assert es.shape == (40, 12) and es.gene_ids[0] == table.columns[0]
    table.T.to_csv(tmp_path / "r_export_t.csv")
    assert load_table(tmp_path / "r_export_t.csv").shape == (40, 12)


def test_annotation_file_partly_matching_and_overlapping(tmp_path, sepira_small, caplog):
    matrix = tmp_path / "with_tissue.csv"
    sepira_small.to_csv(matrix, index=False)
    some = sepira_small[["sample", "tissue"]].iloc[:5].copy()
    some.loc[some.index[0], "tissue"] = "Fat"
    annotations = tmp_path / "five.tsv"
    some.to_csv(annotations, sep="\t", index=False)
    with caplog.at_level(logging.INFO, logger="core.data"):
        es = load_table(matrix, annotations=annotations)
    # the matrix's own tissue of the 25 samples the file lacks is kept, the file's used
    assert es.samples["tissue"].notna().all()
    assert es.samples["tissue"].iloc[0] == "Fat"
    assert es.samples["tissue"].iloc[10] == sepira_small["tissue"].iloc[10]
    assert "25 of its 30 samples are not in" in caplog.text
    assert "column 'tissue' is in both" in caplog.text and "1 samples differ" in caplog.text
    assert "rows name no sample" not in caplog.text
    # rows for samples the matrix lacks (a whole study's file for a subset): said, left out
    extra = pd.concat([some, pd.DataFrame({"sample": ["GTEX-NOPE-1"], "tissue": ["Lung"]})])
    extra.to_csv(tmp_path / "extra.tsv", sep="\t", index=False)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="core.data"):
        es = load_table(matrix, annotations=tmp_path / "extra.tsv")
    assert "1 of its 6 rows name no sample of" in caplog.text and "GTEX-NOPE-1" in caplog.text
    assert "GTEX-NOPE-1" not in set(es.sample_ids)
    upper = sepira_small[["sample", "tissue"]].assign(sample=lambda t: t["sample"].str.upper())
    upper.to_csv(tmp_path / "upper.tsv", sep="\t", index=False)
    with pytest.raises(DataError, match="no sample in common.*upper and lower case"):
        load_table(matrix, annotations=tmp_path / "upper.tsv")
    # a header without rows is said as such, not as ids that do not match
    (tmp_path / "header_only.tsv").write_text("sample\ttissue\n")
    with pytest.raises(DataError, match="has a header line \\('sample', 'tissue'\\) but no rows"):
        load_table(matrix, annotations=tmp_path / "header_only.tsv")


@pytest.mark.filterwarnings("ignore:Variable names are not unique")
def test_h5ad_without_gene_names(tmp_path, sepira_small):
    anndata = pytest.importorskip("anndata")
    values = sepira_small.iloc[:, 2:].to_numpy(np.float32)
    obs = pd.DataFrame(index=sepira_small["sample"].to_numpy())
    with _h5ad_strings(anndata):
        anndata.AnnData(X=values, obs=obs).write_h5ad(tmp_path / "unnamed.h5ad")
    with pytest.raises(DataError, match=r"unnamed\.h5ad: the genes have no names"):
        load_table(tmp_path / "unnamed.h5ad")
    var = pd.DataFrame({"gene_symbols": sepira_small.columns[2:]})
    var.index = var.index.astype(str)
    with _h5ad_strings(anndata):
        anndata.AnnData(X=values, obs=obs, var=var).write_h5ad(tmp_path / "symbols.h5ad")
    es = load_table(tmp_path / "symbols.h5ad")
    assert list(es.gene_ids) == list(sepira_small.columns[2:])
    var = pd.DataFrame(index=[*sepira_small.columns[2:-1], sepira_small.columns[2]])
    with _h5ad_strings(anndata):
        anndata.AnnData(X=values, obs=obs, var=var).write_h5ad(tmp_path / "dup.h5ad")
    with pytest.raises(DataError, match=r"dup\.h5ad: duplicate gene ids \(var_names\)"):
        load_table(tmp_path / "dup.h5ad")


def test_log_values_given_a_log_transform_warn(tmp_path, small, sepira_small, caplog):
    matrix = tmp_path / "logged.csv"
    sepira_small.to_csv(matrix, index=False)  # already log2(RPKM + 1)
    with caplog.at_level(logging.WARNING, logger="core.data"):
        load_table(matrix, transform="log2p1")
    assert "look already log-transformed" in caplog.text
    rows = [list(r) for r in small["rows"]]
    for row in rows[1:]:
        row[2:] = [f"{np.log10(float(v) + 1):.4f}" for v in row[2:]]
    gct = write_gct(tmp_path / "logged.gct", rows)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.data"):
        load_gtex(gct, small["attributes"])
    assert "logged.gct: values are at most" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.data"):
        load_gtex(small["gct"], small["attributes"])  # counts: no warning
    assert "log-transformed" not in caplog.text


def test_tables_written_by_r_write_table(tmp_path, sepira_small):
    # write.table(x, sep="\t", quote=FALSE): no header field above the row names
    def r_table(frame: pd.DataFrame, path: Path) -> Path:
        lines = frame.to_csv(sep="\t").splitlines()
        lines[0] = lines[0].split("\t", 1)[1]
        path.write_text("\n".join(lines) + "\n")
        return path

    table = sepira_small.set_index("sample")
    counts = r_table(table.drop(columns="tissue").T, tmp_path / "counts.txt")
    samples = r_table(table[["tissue"]], tmp_path / "samples.txt")
    es = load_table(counts, annotations=samples)
    assert es.shape == (30, 10)
    assert list(es.gene_ids) == list(table.columns[1:])
    assert list(es.sample_ids) == list(table.index)
    assert list(es.samples["tissue"]) == list(table["tissue"])
    np.testing.assert_allclose(es.values, table.iloc[:, 1:].to_numpy(), rtol=1e-6)


def test_gct_file_named_txt(tmp_path, small):
    gct = write_gct(tmp_path / "matrix.gct", small["rows"])
    txt = tmp_path / "matrix.txt"
    txt.write_bytes(gct.read_bytes())
    es = load_table(txt)
    assert es.shape == (40, 5)
    np.testing.assert_array_equal(es.values, load_table(gct).values)


def test_genes_left_out_for_being_0_everywhere_are_counted_and_named(sepira_file):
    from core.data import load_table, step_words

    es = load_table(sepira_file).drop_zero_genes()
    step = es.source["steps"][-1]
    assert step["n_dropped"] == 7 and all(g.startswith("MIR") for g in step["dropped"])
    assert step_words(step).startswith("the 7 genes 0 in every sample left out (MIR")


def test_genes_are_matched_by_id_then_the_rest_by_name_in_any_case():
    """A table whose symbols are cased otherwise (``Gata4``) keeps every gene even when a few
    symbols are unchanged by the casing (``F2``): those matched exactly used to stop the
    case-insensitive matching of all the others."""
    from core.data import match_genes

    model_ids = ["ENSG00000136574", "ENSG00000180210", "ENSG00000197616", "ENSG00000229807"]
    model_symbols = ["GATA4", "F2", "MYH6", "XIST"]
    rows = match_genes(
        model_ids,
        model_symbols,
        ["Gata4", "F2", "Myh6", "ENSG00000229807.12", "Nope", "gata4"],
        ["Gata4", "F2", "Myh6", "Xist", "Nope", "gata4"],
    )
    # versioned id matched exactly, the rest by name; a model gene takes one column only
    assert rows.tolist() == [0, 1, 2, 3, -1, -1]
    # ids of another case, and ids found among the model's symbols
    assert match_genes(model_ids, model_symbols, ["ensg00000197616"], ["x"]).tolist() == [2]
    assert match_genes(model_ids, model_symbols, ["x"], ["xist"]).tolist() == [3]


def test_sample_ids_changed_by_r_are_named_as_such(sepira_file, tmp_path):
    """GTEX-1117F-0226 written back by R as GTEX.1117F.0226: no sample in common, and the
    message says why."""
    table = pd.read_csv(sepira_file).iloc[:6, :8]
    ids = [f"GTEX-11{i}F-0226-SM-5GZZ{i}" for i in range(6)]
    notes = pd.DataFrame({"sample": ids, "tissue": table["tissue"]})
    notes.to_csv(tmp_path / "notes.csv", index=False)
    matrix = table.drop(columns=["tissue"]).assign(sample=[i.replace("-", ".") for i in ids])
    matrix.to_csv(tmp_path / "m.csv", index=False)
    with pytest.raises(DataError, match="no sample in common") as err:
        load_table(tmp_path / "m.csv", annotations=tmp_path / "notes.csv")
    assert "R's read.table/data.frame turns '-' into '.'" in str(err.value)


def test_a_genes_copy_on_y_is_not_the_gene(tmp_path):
    """GTEx names a pseudoautosomal gene's copy on Y ``ENSG....12_PAR_Y``: its id lost the
    suffix with the version, so an exact id named the other row, and a new table that listed
    the copy first had its two columns swapped onto the model's genes."""
    from core.data import _strip_version, match_genes

    assert _strip_version("ENSG00000092054.12_PAR_Y") == "ENSG00000092054_PAR_Y"
    assert _strip_version("ENSG00000092054.12") == "ENSG00000092054"
    assert _strip_version("GATA4.1") == "GATA4.1"  # not an Ensembl id: unchanged
    model_ids = ["ENSG00000092054.12", "ENSG00000092054.12_PAR_Y", "ENSG00000136574.17"]
    symbols = ["MYH7", "MYH7", "GATA4"]
    new = ["ENSG00000092054.12_PAR_Y", "ENSG00000092054.12", "ENSG00000136574.17"]
    assert match_genes(model_ids, symbols, new, ["MYH7", "MYH7", "GATA4"]).tolist() == [1, 0, 2]
    assert match_genes(model_ids, symbols, ["ENSG00000092054"], ["x"]).tolist() == [0]
    # the neighbours command's lookup: the exact id, not the copy listed after it
    from types import SimpleNamespace

    from core.embed_cli import _gene_rows

    model = SimpleNamespace(gene_ids_=model_ids, gene_symbols_=["MYH7", "MYH7-Y", "GATA4"])
    assert _gene_rows(model, ["ENSG00000092054.12"])[0] == [0]
    assert _gene_rows(model, ["ENSG00000092054"])[0] == [0]
    assert _gene_rows(model, ["ENSG00000092054.12_PAR_Y"])[0] == [1]


def test_a_phenotypes_file_missing_subjects_is_said(small, tmp_path, caplog):
    """A phenotypes file cut short (a partial download) was taken as it was: most samples had
    no sex or age, and nothing said so."""
    import logging

    es = load_gtex(small["gct"], small["attributes"], phenotypes=small["phenotypes"])
    subjects = sorted(es.samples["subject"].unique())
    assert len(subjects) >= 2
    table = pd.read_csv(small["phenotypes"], sep="\t", dtype=str)
    cut = tmp_path / "phenotypes_cut.txt"
    table[table["SUBJID"] != subjects[0]].to_csv(cut, sep="\t", index=False)
    with caplog.at_level(logging.INFO, logger="core.data"):
        es = load_gtex(small["gct"], small["attributes"], phenotypes=cut)
    absent = int((es.samples["subject"] == subjects[0]).sum())
    assert f"1 of the {len(subjects)} subjects of the matrix are not in it ({subjects[0]})" in (
        caplog.text
    )
    assert f"their {absent} samples have no sex" in caplog.text
    assert es.samples["sex"].isna().sum() == absent


def test_sex_written_as_words_and_tissues_in_other_case_are_read(small, tmp_path, caplog):
    """SEX written "Male"/"Female" lost every sample's sex without a word; "BRAIN" or "Brain "
    in SMTS escaped the default exclusion of Brain (the log said both excluded and kept)."""
    import logging

    es = load_gtex(small["gct"], small["attributes"], phenotypes=small["phenotypes"])
    table = pd.read_csv(small["phenotypes"], sep="\t", dtype=str)
    words = table.copy()
    words["SEX"] = words["SEX"].map({"1": "Male", "2": "F"})
    words.loc[words.index[:2], "SEX"] = ["unknown", "3"]  # said, and left blank
    path = tmp_path / "phenotypes_words.txt"
    words.to_csv(path, sep="\t", index=False)
    with caplog.at_level(logging.WARNING, logger="core.data"):
        again = load_gtex(small["gct"], small["attributes"], phenotypes=path)
    odd = set(table["SUBJID"][:2])
    same = ~again.samples["subject"].isin(odd)
    assert same.sum() > 0 and again.samples["sex"].notna()[same].all()
    assert (again.samples["sex"][same] == es.samples["sex"][same]).all()
    assert again.samples["sex"][~same].isna().all()
    assert "SEX 'unknown', '3' on 2 line(s) (e.g. line 2, 3)" in caplog.text
    # the tissues, upper-cased and with a space after them: Brain still left out
    attrs = pd.read_csv(small["attributes"], sep="\t", dtype=str)
    tissue = es.samples["SMTS"].dropna().iloc[0]
    shouted = attrs.copy()
    shouted["SMTS"] = shouted["SMTS"].str.upper() + " "
    path = tmp_path / "attributes_upper.txt"
    shouted.to_csv(path, sep="\t", index=False)
    kept = load_gtex(small["gct"], path, exclude_tissues=[tissue])
    assert kept.n_samples == es.n_samples - int((es.samples["SMTS"] == tissue).sum()) > 0


def test_a_gct_with_fewer_rows_than_declared_is_read_and_said(tmp_path, caplog):
    """A row subset of a published GCT (as the shared GTEx files are) keeps its dimension line:
    read, with a warning that also names the other cause, a download cut short."""
    path = tmp_path / "cut.gct"
    path.write_text(
        "#1.2\n3\t4\nName\tDescription\tS1\tS2\tS3\tS4\n"
        "ENSG00000000001.1\tA\t1\t2\t3\t4\nENSG00000000002.1\tB\t2\t3\t4\t5\n"
    )
    with caplog.at_level("WARNING", logger="core.data"):
        es = load_table(path)
    assert es.n_genes == 2 and es.n_samples == 4
    assert "2 gene rows but the dimension line declares 3" in caplog.text
    assert "incomplete download" in caplog.text


def test_a_gct_placeholder_description_names_no_gene(tmp_path):
    """GCT writers put "na" in the Description column when there is none: every gene was
    called "na" (neighbours listed na beside na; "SDHB" was unknown, e.g. "na, na, na")."""
    path = tmp_path / "na.gct"
    path.write_text(
        "#1.2\n3\t2\nName\tDescription\tS1\tS2\n"
        "ENSG00000117118.9\tna\t1\t2\nENSG00000000002.1\tNA\t2\t3\n"
        "ENSG00000000003.1\tTSPAN6\t2\t3\n"
    )
    es = load_table(path)
    # the id stands in, or the symbol the bundled gene table gives it (SDHB)
    assert list(es.gene_symbols) == ["SDHB", "ENSG00000000002.1", "TSPAN6"]


def test_a_table_without_an_id_column_says_how_its_rows_are_named(sepira_file, tmp_path, caplog):
    """A first column of numeric patient ids (or none at all) left the samples named row_0...
    without a word: the user learnt it from an annotation join that found nothing in common."""
    table = pd.read_csv(sepira_file).iloc[:40, :22]
    table.insert(0, "patient", range(1001, 1041))
    table.drop(columns=["sample", "tissue"]).to_csv(tmp_path / "numbers.csv", index=False)
    table.drop(columns=["sample", "tissue", "patient"]).to_csv(tmp_path / "none.csv", index=False)
    with caplog.at_level("WARNING", logger="core.data"):
        es = load_table(tmp_path / "numbers.csv")
    assert es.sample_ids[0] == "row_0"
    assert "no column of sample ids (the first column, 'patient', holds numbers" in caplog.text
    assert "read as a sample annotation" in caplog.text and "row_0 to row_39" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="core.data"):
        load_table(tmp_path / "none.csv")
    assert "the first column, 'TBX4', holds numbers and is read as a gene" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="core.data"):
        load_table(sepira_file)
    assert "no column of" not in caplog.text


def test_gct_not_utf8_is_read_as_latin1_with_a_warning(tmp_path, gct_lines, small, caplog):
    """Accented names of a Latin-1 GCT were decoded with replacement characters, without a
    word: "Sample_é" and "Sample_è" became one id (then "duplicate sample ids")."""
    rows = [list(r) for r in gct_lines]
    rows[0][2], rows[0][3] = "Sample_é", "Sample_è"
    rows[1][1] = "Desc_ü"
    text = "#1.2\n" + f"{len(rows) - 1}\t{len(rows[0]) - 2}\n"
    text += "".join("\t".join(r) + "\n" for r in rows)
    path = tmp_path / "latin1.gct"
    path.write_bytes(text.encode("latin-1"))
    with caplog.at_level("WARNING", logger="core.data"):
        es = load_table(path)
    assert list(es.sample_ids[:2]) == ["Sample_é", "Sample_è"]
    assert "Desc_ü" in list(es.gene_symbols) or "Desc_ü" in str(es.genes.to_dict())
    warned = [r.getMessage() for r in caplog.records if "Latin-1" in r.getMessage()]
    assert len(warned) == 1 and "latin1.gct" in warned[0] and "line 3" in warned[0]
    # the same in GTEx's layout (the header is read twice there: said once)
    caplog.clear()
    with caplog.at_level("WARNING", logger="core.data"):
        es = load_gtex(path, small["attributes"])
    assert "Sample_é" in list(es.sample_ids) and "Sample_è" in list(es.sample_ids)
    assert len([r for r in caplog.records if "Latin-1" in r.getMessage()]) == 1
    # UTF-8 files say nothing
    caplog.clear()
    utf8 = tmp_path / "utf8.gct"
    utf8.write_bytes(text.encode("utf-8"))
    with caplog.at_level("WARNING", logger="core.data"):
        assert list(load_table(utf8).sample_ids[:2]) == ["Sample_é", "Sample_è"]
    assert not [r for r in caplog.records if "Latin-1" in r.getMessage()]


def test_spaces_around_annotation_words_are_taken_off(sepira_file, tmp_path, caplog):
    """ "Liver " (a spreadsheet's trailing space) was a tissue of its own beside "Liver" in the
    map's legend and the placed samples' votes; a cell of spaces was a class " "."""
    table = pd.read_csv(sepira_file).iloc[:40, :12]
    table["tissue"] = table["tissue"].astype(object)
    table.loc[:4, "tissue"] = " " + table.loc[:4, "tissue"] + "  "
    table.loc[5:6, "tissue"] = "   "
    table.to_csv(tmp_path / "spaced.csv", index=False)
    with caplog.at_level("INFO", logger="core.data"):
        es = load_table(tmp_path / "spaced.csv")
    tissue = es.samples["tissue"]
    assert tissue.isna().sum() == 2
    assert set(tissue.dropna()) == {"Adipose Tissue", "Adrenal Gland"}
    assert "7 annotation cell(s) had spaces around their words" in caplog.text
    # an annotation file's cells too
    notes = pd.DataFrame({"sample": table["sample"], "sex": ["male ", " female"] * 20})
    notes.to_csv(tmp_path / "notes.tsv", sep="\t", index=False)
    es = load_table(tmp_path / "spaced.csv", annotations=tmp_path / "notes.tsv")
    assert set(es.samples["sex"]) == {"male", "female"}


def test_a_symbol_shared_by_model_genes_is_said():
    """A new table named by symbols, against a model with two genes of one symbol: the value
    fills the first and the other counts as absent; the words say so. Matched by id, no word."""
    from core.data import match_genes, shared_name_note

    model_ids = ["ENSG00000175164", "ENSG00000281879", "ENSG00000136574"]
    model_symbols = ["ABO", "ABO", "GATA4"]
    assert match_genes(model_ids, model_symbols, ["ABO", "GATA4"], ["ABO", "GATA4"]).tolist() == [
        0,
        2,
    ]
    note = shared_name_note(model_ids, model_symbols, ["abo", "GATA4"], ["abo", "GATA4"])
    assert note.startswith("1 gene of the new samples, named by symbol, names several genes")
    assert "abo (2 model genes)" in note and "the others count as absent" in note
    by_id = ["ENSG00000281879.1", "ENSG00000136574"]
    assert shared_name_note(model_ids, model_symbols, by_id, ["ABO", "GATA4"]) is None
    assert shared_name_note(model_ids, model_symbols, ["GATA4"], ["GATA4"]) is None


def test_samples_the_attributes_do_not_list_are_said_when_tissues_are_excluded(
    gtex_acmg59_files, caplog
):
    """The shared attributes file lists 13,797 of the 17,382 samples: the others (brain
    samples among them) stayed on the map, unlabelled, while the log said Brain was left out."""
    f = gtex_acmg59_files
    with caplog.at_level(logging.WARNING, logger="core.data"):
        load_gtex(f["gct"], f["attributes"], exclude_tissues=("Brain",), max_genes=2)
    said = [r.getMessage() for r in caplog.records if "not in" in r.getMessage()]
    assert len(said) == 1 and "3,585 samples of the matrix are not in" in said[0]
    # recorded for the pages' data lines (the dashboard's header said only "Brain left out")
    es = load_gtex(f["gct"], f["attributes"], exclude_tissues=("Brain",), max_genes=2)
    assert es.source["samples_unlisted"] == 3585
    from core.data import exclusion_words

    assert "3,585 samples the attributes file does not list" in exclusion_words(es.source)
    assert "the excluded tissues (Brain) cannot be left out among them" in said[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.data"):
        load_gtex(f["gct"], f["attributes"], max_genes=2)  # nothing excluded: nothing to say
    assert not [r for r in caplog.records if "samples of the matrix are not in" in r.getMessage()]


def test_a_file_reached_by_a_link_keeps_its_name_when_reloaded(gtex_acmg59_files, tmp_path):
    """GTEx files under their published names as links to the shared copies: the training log
    named the data by the link, and report, evaluate and the dashboard (which reload it) by the
    link's target."""
    f = gtex_acmg59_files
    gct = tmp_path / "GTEx_Analysis_2017-06-05_v8_RNASeQCv1.1.9_gene_reads.gct.gz"
    gct.symlink_to(f["gct"])
    es = load_gtex(gct, f["attributes"], max_genes=2)
    again = load_source(es.source)
    assert again.name == es.name and "acmg" not in again.name
    assert es.source["gct"] == str(gct) and np.array_equal(again.values, es.values)


def test_a_table_with_its_text_columns_is_named_as_such():
    """``pd.read_csv`` output still holding its sample and tissue columns gave "could not
    convert string to float: 'Adipose_Tissue_1'", naming neither the columns nor the fix; a
    duplicate in a subset was named as np.str_('a')."""
    frame = pd.DataFrame(
        {"sample": ["S1", "S2"], "tissue": ["Liver", "Lung"], "GATA4": [1.0, 2.0], "TBX5": [0.5, 0]}
    )
    with pytest.raises(
        DataError, match=r"2 column\(s\) hold text.*\(sample, tissue\).*set_index\('sample'\)"
    ):
        ExpressionSet.from_array(frame)
    # the column to index by is one of unique ids (tissue first named set_index('tissue'))
    with pytest.raises(DataError, match=r"set_index\('sample'\)"):
        ExpressionSet.from_array(frame[["tissue", "sample", "GATA4"]].assign(tissue="Liver"))
    # every column "text": numbers written otherwise (a decimal comma), named by the value
    # and, as the file readers name it, its cell
    with pytest.raises(DataError, match="sample_0, gene GATA4: value '1,5' .* a decimal comma"):
        ExpressionSet.from_array(pd.DataFrame({"GATA4": ["1,5", "2,5"], "TBX5": ["3,1", "0"]}))
    es = ExpressionSet.from_array(frame.set_index("sample").drop(columns="tissue"))
    assert list(es.sample_ids) == ["S1", "S2"]
    with pytest.raises(DataError, match="selects sample 'S1' twice"):
        es.subset(samples=["S1", "S1"])


def test_annotation_columns_are_read_each_on_its_own_values(tmp_path, decimal_frame, caplog):
    """Sample annotations with the lanes and flowcells of each sample ("1,2", "3,4") beside
    RIN: the lists outnumbered RIN's decimal points (7.3) and made RIN text while reading
    themselves as numbers (1.2); a column is numeric on its own values, lists stay text."""
    frame = decimal_frame.drop(columns="tissue")
    frame.to_csv(tmp_path / "matrix.csv", index=False)
    n = len(frame)
    rin = np.round(np.linspace(5.5, 9.4, n), 1)
    ann = pd.DataFrame(
        {
            "sample": frame["sample"],
            "tissue": decimal_frame["tissue"],
            "sex": ["F" if i % 2 else "M" for i in range(n)],
            "RIN": rin,
            "lanes": ["1,2" if i % 3 else "3,4" for i in range(n)],
            "flowcells": ["5,6" if i % 2 else "7,8" for i in range(n)],
            "pool": [("1", "1,2", "2")[i % 3] for i in range(n)],  # (a list: whole numbers)
        }
    )
    ann.to_csv(tmp_path / "points.tsv", sep="\t", index=False)  # RIN 7.3
    ann.to_csv(tmp_path / "commas.csv", sep=";", decimal=",", index=False)  # RIN 7,3
    ann.to_csv(tmp_path / "commas.tsv", sep="\t", decimal=",", index=False)
    for name in ("points.tsv", "commas.csv", "commas.tsv"):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="core.data"):
            es = load_table(tmp_path / "matrix.csv", annotations=tmp_path / name)
        samples = es.samples.loc[list(frame["sample"])]
        assert pd.api.types.is_float_dtype(samples["RIN"]), (name, samples["RIN"].head())
        np.testing.assert_allclose(samples["RIN"].to_numpy(float), rin, rtol=1e-6)
        for col in ("lanes", "flowcells", "pool"):
            assert samples[col].astype(str).tolist() == ann[col].tolist(), (name, col)
        said = [r.getMessage() for r in caplog.records if "decimal comma" in r.getMessage()]
        if name == "points.tsv":
            assert not said, said
        else:  # (the annotations' numbers; the matrix has decimal points)
            assert len(said) == 1 and "'RIN'" in said[0] and "lanes" not in said[0], said
        # the unnamed list of whole numbers is kept as text, and said (it may be numbers)
        kept = [r.getMessage() for r in caplog.records if "kept as text" in r.getMessage()]
        assert len(kept) == 1 and "'pool'" in kept[0] and "'1,2'" in kept[0], kept
        assert "'lanes'" not in kept[0] and "'RIN'" not in kept[0]
    # whole numbers among a column's decimal commas (RIN 7) are its numbers, not a list
    ann["RIN"] = [f"{r:g}".replace(".", ",") for r in rin]
    ann["RIN"] = ann["RIN"].where(np.arange(n) % 3 > 0, "7")
    ann.to_csv(tmp_path / "whole.csv", sep=";", index=False)
    es = load_table(tmp_path / "matrix.csv", annotations=tmp_path / "whole.csv")
    expected = np.where(np.arange(n) % 3 > 0, rin, 7.0)
    np.testing.assert_allclose(es.samples.loc[list(frame["sample"]), "RIN"], expected, rtol=1e-6)


def test_loading_is_logged_in_words(gtex_acmg59_files, tmp_path, caplog):
    """The log said "17382 samples ... after excluding ['Brain', 'Fallopian Tube']" and
    "orientation samples_x_genes": bare counts, a Python list and an internal key."""
    f = gtex_acmg59_files
    with caplog.at_level(logging.INFO, logger="core.data"):
        load_gtex(f["gct"], f["attributes"], exclude_tissues=PAPER_EXCLUDED)
    assert "17,382 samples (" in caplog.text
    assert "after excluding Brain, Fallopian Tube" in caplog.text
    caplog.clear()
    path = tmp_path / "m.csv"
    pd.DataFrame({"sample": ["a", "b", "c"], "TP53": [1.0, 2, 3], "GATA4": [0.5, 1, 2]}).to_csv(
        path, index=False
    )
    with caplog.at_level(logging.INFO, logger="core.data"):
        load_table(path)
    assert "samples in rows (sample id column 'sample')" in caplog.text
    assert "samples_x_genes" not in caplog.text
    # genes in rows, told by a sample sheet: it read "genes in rows (annotation ids)"
    caplog.clear()
    matrix = pd.DataFrame({"gene_id": ["TP53", "GATA4"], "s1": [1.0, 2], "s2": [3.0, 4]})
    matrix["s3"] = [5.0, 6]
    matrix.to_csv(path, index=False)
    sheet = tmp_path / "sheet.csv"
    pd.DataFrame({"sample": ["s2", "s1", "x"], "tissue": ["Lung", "Liver", "Heart"]}).to_csv(
        sheet, index=False
    )
    with caplog.at_level(logging.INFO, logger="core.data"):
        load_table(path, annotations=sheet)
    assert "genes in rows (2 of its column names are sample ids of the annotations)" in (
        caplog.text
    )


def test_counts_in_messages_have_thousands_separators():
    """ "ExpressionSet(...: 1200 samples x 3 genes": GTEx-sized counts read as one number."""
    es = ExpressionSet.from_array(
        np.zeros((1200, 3), np.float32), [f"s{i}" for i in range(1200)], ["A", "B", "C"]
    )
    assert "1,200 samples x 3 genes" in repr(es)
