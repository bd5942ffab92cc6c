"""Tests of the simulated GTEx-like demo dataset (core.simulate)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.annotations import GeneOntology
from core.data import ExpressionSet, load_gtex, load_source
from core.errors import DataError
from core.simulate import (
    BROAD_TISSUES,
    MARKERS,
    PROGRAMS,
    TISSUE_SITES,
    simulate_gtex_like,
)

SAMPLE_ID = re.compile(r"^SIM-[0-9A-Z]{5}-\d{4}-SM-[0-9A-Z]{5}$")
REQUIRED = (
    "KRT1 KRT2 KRT4 KRT5 KRT6A KRT10 KRT13 KRT14 KRT15 KRT17 KRT8 KRT18 KRT19 KRT7 KRT20 "
    "MYH6 MYH7 ACTC1 TNNT2 CD8B CD8A CD3E XIST RPS4Y1 DDX3Y UTY KDM5D EIF1AY ALB INS TG SFTPC "
    "PRL GH1"
).split()
Y_GENES = ("RPS4Y1", "DDX3Y", "UTY", "KDM5D", "EIF1AY")


@pytest.fixture(scope="module")
def go() -> GeneOntology:
    """The committed GO snapshot."""
    return GeneOntology.load()


@pytest.fixture(scope="module")
def demo(go: GeneOntology) -> ExpressionSet:
    """The default demo dataset (its cost is measured by tests/benchmarks/simulate_speed.py)."""
    return simulate_gtex_like(ontology=go)


def _tissue_means(es: ExpressionSet, symbol: str, by: str | list[str] = "SMTS") -> pd.Series:
    column = int(np.flatnonzero(es.gene_symbols == symbol)[0])
    keys = [es.samples[b] for b in by] if isinstance(by, list) else es.samples[by]
    return pd.Series(es.values[:, column], index=es.samples.index).groupby(keys).mean()


def test_default_size(demo: ExpressionSet) -> None:
    assert demo.values.shape == (8000, 2000)


def test_says_it_is_simulated(demo: ExpressionSet) -> None:
    assert "simulated" in demo.name.lower()
    assert demo.source["loader"] == "simulated"
    assert demo.source["simulated"] is True
    assert {k: demo.source[k] for k in ("n_samples", "n_genes", "n_tissues", "seed")} == {
        "n_samples": 8000,
        "n_genes": 2000,
        "n_tissues": 28,
        "seed": 0,
    }
    assert demo.source["missing_fraction"] == 0.0
    assert demo.samples["simulated"].all()
    assert demo.samples.attrs.get("simulated") is True
    # ids cannot be mistaken for GTEx's
    assert all(SAMPLE_ID.match(s) for s in demo.sample_ids)
    assert not any(s.startswith("GTEX") for s in demo.sample_ids)


def test_samples_look_like_gtex(demo: ExpressionSet) -> None:
    s = demo.samples
    assert list(s.index) == list(demo.sample_ids)
    assert len(set(demo.sample_ids)) == len(demo.sample_ids)
    for col in ("SMTS", "SMTSD", "subject", "sex", "age"):
        assert s[col].notna().all(), col
    assert s["SMTS"].nunique() == 28
    assert set(s["SMTS"]) == set(BROAD_TISSUES[:28])
    for tissue in ("Skin", "Heart", "Blood", "Esophagus", "Muscle", "Spleen", "Lung", "Testis"):
        assert tissue in set(s["SMTS"])
    sites = s.groupby("SMTS")["SMTSD"].nunique()
    assert sites["Skin"] == 2 and sites["Heart"] == 2 and sites["Colon"] == 2
    assert sites["Esophagus"] == 3 and sites["Blood Vessel"] == 3 and sites["Adipose Tissue"] == 2
    assert {"Skin - Sun Exposed (Lower leg)", "Heart - Atrial Appendage", "Artery - Tibial"} <= set(
        s["SMTSD"]
    )
    # unequal sizes as in GTEx, but every site has samples
    sizes = s["SMTS"].value_counts()
    assert sizes.max() / sizes.min() > 10
    assert s["SMTSD"].value_counts().min() >= 10
    # sample ids carry the subject id, as GTEx's do
    assert all(sid.startswith(subj + "-") for sid, subj in zip(s.index, s["subject"], strict=True))
    # one sex and one age per donor; about 2/3 of donors male
    per_subject = s.groupby("subject")[["sex", "age"]].nunique()
    assert (per_subject == 1).all().all()
    donors = s.groupby("subject")["sex"].first()
    assert 0.55 < (donors == "male").mean() < 0.8
    assert set(s["age"]) <= {"20-29", "30-39", "40-49", "50-59", "60-69", "70-79"}
    assert 12 < s["subject"].value_counts().mean() < 25
    # sex-specific tissues hold one sex only
    for tissue, sex in {
        "Ovary": "female",
        "Uterus": "female",
        "Vagina": "female",
        "Cervix Uteri": "female",
        "Prostate": "male",
        "Testis": "male",
    }.items():
        assert set(s.loc[s["SMTS"] == tissue, "sex"]) == {sex}, tissue


def test_genes_are_real_and_varied(demo: ExpressionSet, go: GeneOntology) -> None:
    g = demo.genes
    assert len(set(demo.gene_ids)) == 2000
    assert all(gid.startswith("ENSG") for gid in demo.gene_ids)
    assert list(demo.gene_symbols) == list(g["symbol"])
    real = go.map_genes(list(demo.gene_ids))
    assert real["matched"].all()
    assert (real["symbol"].to_numpy() == demo.gene_symbols).all()
    assert set(REQUIRED) <= set(demo.gene_symbols)
    assert sum(sym.startswith("KRT") for sym in demo.gene_symbols) >= 15
    counts = g["gene_type"].value_counts()
    for gene_type, at_least in {
        "protein-coding": 1500,
        "pseudogene": 60,
        "snoRNA": 20,
        "miRNA": 20,
        "lncRNA": 20,
    }.items():
        assert counts.get(gene_type, 0) >= at_least, gene_type
    assert g["entrez"].notna().all()
    # most genes belong to at least one GO program, and the programs are named by real GO ids
    assert (g["sim_programs"] != "").mean() > 0.5
    ids = {t for cell in g["sim_go_ids"] for t in cell.split("; ") if t}
    assert ids <= set(go.terms.index)
    assert len(ids) >= 40


def test_values_range_and_dropout(demo: ExpressionSet) -> None:
    v = demo.values
    assert v.dtype == np.float32
    assert not np.isnan(v).any()
    assert v.min() == 0.0 and 4.0 < v.max() <= 5.3
    zeros = (v == 0).mean()
    assert 0.05 < zeros < 0.5
    # genes differ in level: some high (ribosomal/markers), many low
    gene_means = v.mean(axis=0)
    assert (gene_means > 2.0).sum() >= 30 and (gene_means < 0.3).sum() >= 100


def test_sex_linked_genes(demo: ExpressionSet) -> None:
    s = demo.samples
    both = [t for t, sexes in s.groupby("SMTS")["sex"].unique().items() if len(sexes) == 2]
    assert len(both) >= 20
    xist = _tissue_means(demo, "XIST", by=["SMTS", "sex"]).unstack()
    for tissue in both:
        assert xist.loc[tissue, "female"] > 1.3, tissue
        assert xist.loc[tissue, "male"] < 0.15, tissue
    assert (xist["female"].dropna() > 1.3).all()  # female-only tissues too
    for symbol in Y_GENES:
        means = _tissue_means(demo, symbol, by=["SMTS", "sex"]).unstack()
        for tissue in both:
            assert means.loc[tissue, "male"] > means.loc[tissue, "female"] + 0.5, (symbol, tissue)
            assert means.loc[tissue, "female"] < 0.2, (symbol, tissue)


def test_gtex_markers(demo: ExpressionSet) -> None:
    top = {sym: _tissue_means(demo, sym).idxmax() for sym in MARKERS if sym in demo.gene_symbols}
    assert top["MYH6"] == "Heart"
    assert top["KRT1"] == "Skin" and top["KRT10"] == "Skin"
    assert top["CD8B"] in {"Blood", "Spleen"}
    assert top["ALB"] == "Liver" and top["TG"] == "Thyroid" and top["SFTPC"] == "Lung"
    assert top["PRL"] == "Pituitary" and top["GH1"] == "Pituitary" and top["INS"] == "Pancreas"
    site = {sym: _tissue_means(demo, sym, by="SMTSD") for sym in ("MYH6", "MYH7", "KRT4", "KRT13")}
    assert site["MYH6"]["Heart - Atrial Appendage"] > site["MYH6"]["Heart - Left Ventricle"] + 1.0
    assert site["MYH7"]["Heart - Left Ventricle"] > site["MYH7"]["Heart - Atrial Appendage"]
    assert site["MYH7"]["Muscle - Skeletal"] > 3.0
    for sym in ("KRT4", "KRT13"):
        assert site[sym].idxmax() == "Esophagus - Mucosa"
        assert site[sym]["Vagina"] > 3.0 and site[sym]["Skin - Sun Exposed (Lower leg)"] < 0.5
    # simple-epithelium keratins in gut, not in skin or muscle
    krt8 = _tissue_means(demo, "KRT8")
    assert krt8["Colon"] > 2.0 and krt8["Stomach"] > 3.0 and krt8["Muscle"] < 0.3


def test_genes_of_a_program_are_coexpressed(demo: ExpressionSet) -> None:
    rows = np.arange(0, demo.n_samples, 4)  # 2,000 samples are plenty
    corr = np.corrcoef(demo.values[rows].T)
    programs = demo.genes["sim_programs"].str.split("; ")
    rng = np.random.default_rng(0)
    n = corr.shape[0]
    i, j = rng.integers(0, n, 20_000), rng.integers(0, n, 20_000)
    keep = i != j
    random_pairs = float(np.nanmean(corr[i[keep], j[keep]]))
    within = []
    for name in PROGRAMS:
        idx = np.flatnonzero(programs.apply(lambda m, name=name: name in m).to_numpy())
        if idx.size >= 5 and PROGRAMS[name].strength > 0:
            sub = corr[np.ix_(idx, idx)][np.triu_indices(idx.size, 1)]
            within.append(float(np.nanmean(sub)))
    assert len(within) >= 40
    assert abs(random_pairs) < 0.1
    assert np.median(within) > random_pairs + 0.3
    assert np.mean(np.array(within) > random_pairs + 0.1) > 0.9
    # a gene's most correlated partner shares a program far more often than chance
    member = np.array([bool(m[0]) for m in programs])
    np.fill_diagonal(corr, -np.inf)
    nearest = np.nanargmax(np.nan_to_num(corr, nan=-np.inf), axis=1)
    sets = [set(m) - {""} for m in programs]
    shared = [bool(sets[g] & sets[nearest[g]]) for g in np.flatnonzero(member)]
    chance = [bool(sets[g] & sets[h]) for g, h in zip(i[keep], j[keep], strict=True) if member[g]]
    assert np.mean(shared) > 0.6 and np.mean(shared) > 3 * np.mean(chance)


def test_deterministic_for_a_seed(go: GeneOntology) -> None:
    a = simulate_gtex_like(600, 400, n_tissues=10, seed=3, ontology=go)
    b = simulate_gtex_like(600, 400, n_tissues=10, seed=3, ontology=go)
    c = simulate_gtex_like(600, 400, n_tissues=10, seed=4, ontology=go)
    assert a.fingerprint() == b.fingerprint()
    assert np.array_equal(a.values, b.values)
    assert list(a.sample_ids) == list(b.sample_ids) and list(a.gene_ids) == list(b.gene_ids)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    assert a.fingerprint() != c.fingerprint()
    assert set(a.sample_ids).isdisjoint(c.sample_ids)
    assert a.samples["SMTS"].nunique() == 10
    assert set(a.samples["SMTS"]) == set(BROAD_TISSUES[:10])


def test_missing_fraction(go: GeneOntology) -> None:
    full = simulate_gtex_like(500, 400, seed=1, ontology=go)
    holes = simulate_gtex_like(500, 400, seed=1, ontology=go, missing_fraction=0.1)
    nan = np.isnan(holes.values)
    assert 0.09 < nan.mean() < 0.11
    assert not np.isnan(full.values).any()
    # the observed values are those of the complete set
    assert np.array_equal(holes.values[~nan], full.values[~nan])
    assert holes.source["missing_fraction"] == 0.1


def test_source_reloads_the_same_set(go: GeneOntology, monkeypatch: pytest.MonkeyPatch) -> None:
    es = simulate_gtex_like(300, 300, n_tissues=6, seed=2, ontology=go)
    # load_source calls simulate_gtex_like(**params), which loads the snapshot: reuse ours
    monkeypatch.setattr(GeneOntology, "load", classmethod(lambda cls, *a, **k: go))
    again = load_source(es.source)
    assert again.fingerprint() == es.fingerprint()
    assert "simulated" in again.name.lower()


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"n_tissues": 0}, "n_tissues"),
        ({"n_tissues": len(BROAD_TISSUES) + 1}, "n_tissues"),
        ({"n_genes": 10}, "n_genes"),
        ({"n_samples": 5}, "n_samples"),
        ({"n_samples": "many"}, "n_samples"),
        ({"seed": -1}, "seed"),
        ({"missing_fraction": 1.0}, "missing_fraction"),
        ({"missing_fraction": "some"}, "missing_fraction"),
    ],
)
def test_bad_parameters_raise_clear_errors(kwargs: dict, words: str, go: GeneOntology) -> None:
    with pytest.raises(DataError, match=words):
        simulate_gtex_like(**{"n_samples": 300, "n_genes": 300, "ontology": go, **kwargs})


def test_catalogue_keys_name_known_tissues() -> None:
    names = {s.smts for s in TISSUE_SITES} | {s.smtsd for s in TISSUE_SITES} | {"*"}
    for program in PROGRAMS.values():
        assert set(program.activity) <= names, program.go_id
    for symbol, marker in MARKERS.items():
        assert set(marker.levels) <= names, symbol


def test_marker_sites_agree_with_real_gtex(
    demo: ExpressionSet, gtex_acmg59_files: dict[str, Path]
) -> None:
    """Markers that are also in the real GTEx v8 59-gene matrix peak where the real genes peak."""
    real = load_gtex(gtex_acmg59_files["gct"], gtex_acmg59_files["attributes"])
    shared = sorted(set(MARKERS) & set(real.gene_symbols) & set(demo.gene_symbols))
    assert {"MYH7", "MYL2", "TNNT2", "TNNI3", "ACTC1", "MYH11"} <= set(shared)
    for symbol in shared:
        observed = _tissue_means(real, symbol, by="SMTSD")
        simulated = _tissue_means(demo, symbol, by="SMTSD")
        common = observed.index.intersection(simulated.index)
        real_top = list(observed[common].sort_values(ascending=False).index[:3])
        sim_top = list(simulated[common].sort_values(ascending=False).index[:3])
        assert sim_top[0] == real_top[0], (symbol, sim_top, real_top)
        assert set(sim_top[:2]) <= set(real_top), (symbol, sim_top, real_top)


def test_the_demos_scale_is_named_for_samples_placed_on_it():
    """The demo records no transform (its values are made on a log10(TPM+1)-like scale): the
    page offered log2(x+1) for TPM placed on it, and embed applied none."""
    from core.data.sources import source_scale
    from core.simulate import simulate_gtex_like

    demo = simulate_gtex_like(n_samples=30, n_genes=300, n_tissues=3, seed=0)
    assert source_scale(demo.source) == "log10p1"
    assert source_scale({"loader": "table", "transform": "none"}) == "none"
    assert source_scale({"loader": "gtex", "transform": "log2p1"}) == "log2p1"
    assert source_scale({"loader": "table"}) is None and source_scale(None) is None
