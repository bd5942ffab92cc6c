"""The dashboard context on real GTEx data (26 tissues, 520 samples x 467 genes)."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data import ExpressionSet
from core.errors import CoreError, DataError, ModelError
from dashboard.context import AppContext, DashboardConfig, ModelSettings
from dashboard.uploads import parse_gene_list

DATA = Path(__file__).resolve().parents[1] / "data"
GAF_EXCERPT = DATA / "goa_human_excerpt.gaf"
OBO_EXCERPT = DATA / "go_excerpt.obo"


def test_dataset_description(context):
    d = context.describe()
    assert (d["n_samples"], d["n_genes"]) == (520, 467)
    assert d["simulated"] is False
    assert "tissue" in context.annotation_columns


def test_gene_lookup_by_symbol_case_insensitive(context):
    j = context.gene_index("gata4")
    assert context.gene_symbols[j] == "GATA4"
    with pytest.raises(DataError, match="unknown gene 'NOTAGENE'"):
        context.gene_index("NOTAGENE")
    assert context.search_genes("GATA")[0] in [
        context.gene_index(f"GATA{i}")
        for i in range(1, 7)
        if f"GATA{i}".upper() in context._by_symbol
    ]


def test_an_ensembl_id_finds_its_gene_in_a_dataset_of_symbols(context):
    """This dataset names genes by symbol only: GATA4's Ensembl id was "not in this dataset",
    though the gene list's help says symbols or ids."""
    gata4 = context.gene_index("GATA4")
    assert context.gene_index("ENSG00000136574") == gata4
    assert context.gene_index("ensg00000136574.17") == gata4  # any case, any version
    assert context.gene_list_columns(["ENSG00000136574", "TBX5"])[0][0] == gata4
    with pytest.raises(DataError, match="unknown gene 'ENSG00000000000'"):
        context.gene_index("ENSG00000000000")
    # the dropdowns offer it too (they offered nothing once the id was known)
    assert context.search_genes("ENSG00000136574") == [gata4]
    assert gata4 in context.search_genes("ENSG0000013657")
    from dashboard import sample_map

    values = [o["value"] for o in sample_map.color_options(context, "ENSG00000136574", None)]
    assert "obs:GATA4" in values
    # a former symbol in the dataset is found by its gene's Ensembl id (GO knows the alias)
    assert len(context.ensembl_columns()) >= 0.9 * context.n_genes


def test_an_ensembl_id_without_the_gene_ontology_says_why(context, monkeypatch):
    monkeypatch.setattr(context, "_ensembl_map", None)
    monkeypatch.setattr(context, "ontology", lambda: None)
    with pytest.raises(DataError, match="snapshot that translates Ensembl ids is not available"):
        context.gene_index("ENSG00000136574")


def test_model_is_cached_on_disk(context, sepira_es):
    # a second context on the same data and settings loads the stored model, no training
    again = AppContext(sepira_es, context.config)
    assert again.model_ready_on_disk()
    st = again.state()
    assert st.key == context.state().key
    np.testing.assert_allclose(st.sample_embedding, context.state().sample_embedding)
    assert st.gene_layout.shape == (460, 2)  # (the 7 genes 0 in every sample left out)


@pytest.mark.parametrize(
    "damage", ["standin.npz", "gene_layout.npy", "empty gene_layout.npy", "dashboard.json"]
)
def test_a_damaged_cached_model_is_trained_again(context, sepira_es, tmp_path, damage):
    """A cached model cut short (a full disk, by hand) showed "model: not available" for ever,
    restart or not; it is the app's own entry, so it is removed and trained again. A model the
    user gave (--model) is never removed: its error is said."""
    config = dataclasses.replace(context.config, cache_dir=tmp_path / "cache")
    first = AppContext(sepira_es, config)
    first.train()
    entry = first.model_entry
    name = damage.removeprefix("empty ")
    where = entry / "model" / name if name == "standin.npz" else entry / name
    where.write_bytes(b"" if damage.startswith("empty") else where.read_bytes()[:40])
    again = AppContext(sepira_es, config)
    if damage == "dashboard.json":  # train() at once: it said "still training" and stopped
        again.train()
    else:
        assert again.model_ready_on_disk() and again.state() is None
        assert not entry.exists() and not list(entry.parent.glob("*.damaged-*"))
        again.train()
    assert again.state().gene_layout.shape == (460, 2)
    # the user's own model directory: said, kept
    (entry / "model" / "standin.npz").write_bytes(b"cut")
    own = AppContext(sepira_es, dataclasses.replace(config, model_dir=entry / "model"))
    with pytest.raises(ModelError, match="not a stand-in model directory"):
        own.state()
    assert own.loaded_state() is None and (entry / "model" / "standin.npz").exists()


@pytest.mark.parametrize("error", [MemoryError, PermissionError])
def test_a_cached_model_that_cannot_be_read_for_now_is_kept(context, sepira_es, error, monkeypatch):
    """Memory short for a moment, or a permission, said nothing of the files: the cached model
    was discarded and trained again."""
    import dashboard.model_state as model_state

    def fails(path):
        raise error("for now")

    monkeypatch.setattr(model_state, "load_model", fails)
    again = AppContext(sepira_es, context.config)
    with pytest.raises(error):
        again.state()
    assert (context.model_entry / "dashboard.json").exists()


def test_a_training_killed_while_it_saved_leaves_nothing_for_ever(context, sepira_es, tmp_path):
    """The app's model entry was written in ``<entry>.tmp<pid>.<uuid>`` beside it, which a
    kill -9 left for ever; the next training removes it once its process is gone and it is
    an hour old."""
    import os
    import subprocess
    import time

    from core.files import STALE_AFTER_S

    config = dataclasses.replace(context.config, cache_dir=tmp_path / "cache")
    ctx = AppContext(sepira_es, config)
    entry = ctx.model_entry
    gone = subprocess.Popen(["true"])
    gone.wait()
    left = entry.with_name(f".{entry.name}.tmp-{gone.pid}.0123abcd")
    (left / "model").mkdir(parents=True)
    old = time.time() - 2 * STALE_AFTER_S
    os.utime(left, (old, old))
    ctx.train()
    assert ctx.state() is not None
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]


def test_a_damaged_lock_store_is_made_anew(context, sepira_es, tmp_path, monkeypatch):
    """A cut-short locks/cache.db failed every training ("DatabaseError: database disk image
    is malformed"), restart or not."""
    config = dataclasses.replace(context.config, cache_dir=tmp_path / "cache")
    AppContext(sepira_es, config).train()
    db = tmp_path / "cache" / "locks" / "cache.db"
    assert db.is_file()
    db.write_bytes(db.read_bytes()[:100])
    other = dataclasses.replace(config, settings=dataclasses.replace(config.settings, seed=3))
    again = AppContext(sepira_es, other)
    again.train()
    assert again.state() is not None and db.is_file() and db.stat().st_size > 100
    # a busy store ("database is locked") is no damage: another job may hold a lock in it
    import sqlite3

    import diskcache

    def busy(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(diskcache, "Cache", busy)
    third = dataclasses.replace(config, settings=dataclasses.replace(config.settings, seed=4))
    with pytest.raises(sqlite3.OperationalError):
        AppContext(sepira_es, third).train()
    assert db.is_file() and not list(db.parent.parent.glob("locks.damaged-*"))


def test_scores_follow_the_labels_not_only_the_values(context, sepira_es):
    """The same matrix restarted with a corrected annotation file kept the 1-NN accuracies of
    the old labels (the cache knew the values, not the labels): shuffled tissues scored 0.19
    from the cache, 0.04 in truth."""

    samples = sepira_es.samples.copy()
    samples["tissue"] = np.random.default_rng(0).permutation(samples["tissue"].to_numpy())
    shuffled = ExpressionSet.from_array(
        sepira_es.values, sepira_es.sample_ids, samples=samples, genes=sepira_es.genes
    )
    again = AppContext(shuffled, context.config)
    assert again.fingerprint == context.fingerprint and again.state().key == context.state().key
    right, wrong = context.model_accuracy("tissue"), again.model_accuracy("tissue")
    assert right["mean"] > 0.15 and wrong["mean"] < 0.1, (right, wrong)
    assert again.baselines_key() != context.baselines_key()
    # another seed draws other t-SNE and UMAP maps: its own entry
    seeded = dataclasses.replace(
        context.config, settings=dataclasses.replace(context.config.settings, seed=1)
    )
    assert AppContext(sepira_es, seeded).baselines_key() != context.baselines_key()


def test_liver_selection_finds_liver_genes(context, sepira_es):
    rows = np.nonzero(sepira_es.samples["tissue"].to_numpy() == "Liver")[0]
    table = context.specific_genes(rows, top=10)
    assert len(table) == 10
    assert (table["difference"] > 1.0).all()  # log scale: clearly higher in liver
    # plasma proteins made by hepatocytes lead the list on real GTEx
    assert {"AHSG", "APCS", "AGXT", "SERPINC1"} & set(table["symbol"])


def test_only_genes_higher_in_the_selection_are_specific_to_it(context, sepira_es):
    """Fewer than ``top`` genes higher in the selection: the list went on with genes lower in
    it (negative scores), and the gene map marked them "specific to the selection"."""
    rng = np.random.default_rng(0)
    mixed = rng.choice(context.n_samples, 60, replace=False)  # a bit of every tissue
    everything = context.specific_genes(mixed, top=500, min_score=-np.inf, max_p=1)
    assert len(everything) == context.n_genes and (everything["score"] < 0).any()
    table = context.specific_genes(mixed, top=500)
    assert (table["score"] >= 2.0).all() and (table["difference"] > 0).all()
    assert len(table) < 0.2 * context.n_genes  # a random mixture has few
    assert table["symbol"].tolist() == everything["symbol"].tolist()[: len(table)]
    liver = np.nonzero(sepira_es.samples["tissue"].to_numpy() == "Liver")[0]
    assert len(context.specific_genes(liver, top=25)) == 25  # a tissue has many


def test_a_gene_measured_in_one_selected_sample_is_not_specific_to_the_selection(
    sepira_es, tmp_path
):
    """With missing values, a gene measured in 1 of 20 selected samples had no spread there,
    and its t score topped the list (FOXA2, t 33.5, above the adrenal markers)."""
    values = sepira_es.values.copy()
    tissue = sepira_es.samples["tissue"].to_numpy()
    rows = np.flatnonzero(tissue == "Adrenal Gland")
    j = 7
    values[rows[1:], j] = np.nan  # measured in one of the selected samples only
    values[rows[0], j] = np.nanmax(values[:, j]) + 1
    es = ExpressionSet.from_array(
        values, sepira_es.sample_ids, sepira_es.gene_ids, samples=sepira_es.samples
    )
    ctx = AppContext(es, DashboardConfig(cache_dir=tmp_path, settings=ModelSettings(standin=True)))
    table = ctx.specific_genes(rows, top=50)
    assert len(table) > 5 and sepira_es.gene_ids[j] not in set(table["gene_id"])
    # measured in 3 of them, it is scored again; a selection of 1 or 2 needs its own values
    values[rows[1:3], j] = values[rows[0], j]
    es = ExpressionSet.from_array(
        values, sepira_es.sample_ids, sepira_es.gene_ids, samples=sepira_es.samples
    )
    ctx = AppContext(es, DashboardConfig(cache_dir=tmp_path, settings=ModelSettings(standin=True)))
    assert sepira_es.gene_ids[j] in set(ctx.specific_genes(rows, top=50)["gene_id"])
    assert sepira_es.gene_ids[j] in set(ctx.specific_genes(rows[:2], top=50)["gene_id"])
    assert ctx.specific_genes(rows[:1], top=50).empty  # (one sample: no spread, no t)


def test_the_selection_score_is_welchs_t(tmp_path, monkeypatch):
    """The score added 1e-6 to the variance of the difference: 3% below Welch's t for a
    selection of 9,523 GTEx samples, enough to swap genes; genes of small spread, worse."""
    from scipy import stats

    from dashboard import context as context_module

    rng = np.random.default_rng(1)
    n = 10_000
    values = rng.normal(5.0, [0.01, 0.5, 1.0, 0.2], size=(n, 4)).astype(np.float32)
    sel = np.arange(n // 2)
    values[sel] += np.array([0.0005, 0.05, 0.1, 0.0], dtype=np.float32)
    values[sel[:10], 3] = np.nan  # missing values leave the counts of that gene
    es = ExpressionSet.from_array(values, [f"s{i}" for i in range(n)], ["A", "B", "C", "D"])
    ctx = AppContext(es, DashboardConfig(cache_dir=tmp_path, settings=ModelSettings(standin=True)))
    table = ctx.specific_genes(sel, top=4, min_score=-np.inf, max_p=1).set_index("symbol")
    rest = np.setdiff1d(np.arange(n), sel)
    for j, gene in enumerate("ABCD"):
        a, b = values[sel, j], values[rest, j]
        welch = stats.ttest_ind(a[np.isfinite(a)], b, equal_var=False).statistic
        assert table.loc[gene, "score"] == pytest.approx(welch, abs=0.01), gene
    # read a few genes at a time (a wide matrix), the same
    monkeypatch.setattr(context_module, "_SUM_BLOCK_VALUES", 3)
    ctx = AppContext(es, DashboardConfig(cache_dir=tmp_path, settings=ModelSettings(standin=True)))
    again = ctx.specific_genes(sel, top=4, min_score=-np.inf, max_p=1).set_index("symbol")
    pd.testing.assert_frame_equal(again, table)


def test_selection_errors(context):
    with pytest.raises(DataError, match="empty"):
        context.specific_genes([])
    # counted (a box over the whole map said "(almost) every sample", never how many)
    with pytest.raises(DataError, match=r"the selection holds 520 of the 520 samples: nothing"):
        context.specific_genes(range(context.n_samples))
    with pytest.raises(DataError, match=r"holds 519 of the 520 samples"):
        context.specific_genes(range(1, context.n_samples))
    with pytest.raises(DataError, match="not in this dataset"):
        context.specific_genes([10_000])


def test_neighbors_sorted_and_annotated(context):
    j = context.gene_index("GATA4")
    nb = context.neighbors(j, k=12)
    assert len(nb) == 12
    assert "GATA4" not in set(nb["symbol"])
    assert list(nb["distance"]) == sorted(nb["distance"])
    assert (nb["gene_type"] != "").all()
    j_nb = [context.gene_index(g) for g in nb["symbol"]]
    assert np.allclose(nb["detected"], np.mean(context.values[:, j_nb] > 0, axis=0), atol=1e-3)
    assert nb["name"].str.len().gt(0).mean() > 0.8  # names from the GO snapshot gene table


def test_enrichment_of_a_real_neighbourhood(context):
    # the genes most specific to liver share liver GO processes
    rows = np.nonzero(context.samples["tissue"].to_numpy() == "Liver")[0]
    genes = context.specific_genes(rows, top=30)["symbol"].tolist()
    enr = context.enrichment(genes)
    assert len(enr) > 0
    assert (enr["fdr"] <= 0.25).all()
    assert list(enr["p_value"]) == sorted(enr["p_value"])
    # as the enrichment computes them: the page shows 2 significant figures, the file all (they
    # were cut to 3 first, so that 6.1453e-05 showed as 6.2e-5)
    direct = context.enricher().enrich(
        [context._gene_queries()[context.gene_index(g)] for g in genes], min_overlap=2
    )
    direct = direct.set_index("go_id")
    for row in enr.itertuples():
        assert row.p_value == direct.loc[row.go_id, "p_value"]
        assert row.fdr == direct.loc[row.go_id, "fdr"]


def test_enrichment_maps_the_set_as_the_background(context, sepira_es, tmp_path):
    """With Ensembl ids, the background is mapped to GO by id; the set was mapped by symbol, so
    a gene whose symbol names another GO gene (renamed, reused symbols in a 56k-gene GTEx) fell
    out of the set. Set and background now map alike: the result does not change when such a
    gene's symbol does."""
    go = context.ontology()
    mapped = go.map_genes(list(sepira_es.gene_symbols))
    ens = mapped["ensembl"].fillna("").astype(str).str.split(";").str[0].to_numpy()
    has_id = (ens != "") & ~pd.Series(ens).duplicated(keep=False).to_numpy()
    rows = np.nonzero(context.samples["tissue"].to_numpy() == "Liver")[0]
    liver = [
        j
        for j in context.specific_genes(rows, top=30)["symbol"].map(context.gene_index)
        if has_id[j]
    ]
    keep = np.flatnonzero(has_id)
    cols = [int(np.searchsorted(keep, j)) for j in liver]
    symbols = sepira_es.gene_symbols[keep].copy()
    # another annotated gene, not in the dataset, lends its symbol to the first liver gene
    others = set(go.genes["symbol"]) - set(sepira_es.gene_symbols)
    symbols[cols[0]] = "TTR" if "TTR" in others else sorted(others)[0]

    def enriched(gene_symbols):
        es = ExpressionSet.from_array(
            sepira_es.values[:, keep],
            sepira_es.sample_ids,
            ens[keep],
            samples=sepira_es.samples,
            gene_symbols=gene_symbols,
        )
        cfg = DashboardConfig(cache_dir=tmp_path, settings=ModelSettings(standin=True))
        return AppContext(es, cfg).enrichment([gene_symbols[c] for c in cols])

    as_named, renamed = enriched(sepira_es.gene_symbols[keep]), enriched(symbols)
    assert len(as_named) > 0
    pd.testing.assert_frame_equal(as_named, renamed)


def test_gene_values_modes(context):
    j = context.gene_index("GATA4")
    obs, pred, res = (context.gene_values(j, m) for m in ("obs", "pred", "res"))
    np.testing.assert_allclose(res, obs - pred, atol=1e-5)
    assert np.corrcoef(obs, pred)[0, 1] > 0.3  # the map's decoding follows the gene
    st = context.require_state()
    whole = st.model.predict(st.sample_embedding)  # the gene decoded alone = in the whole matrix
    np.testing.assert_allclose(pred, whole[:, st.es_model_index[j]], rtol=1e-5, atol=1e-5)
    with pytest.raises(DataError):
        context.gene_values(j, "bogus")


def test_gene_set_score_leaves_out_genes_without_variance(context, sepira_es):
    """MIR4692 is 0 in every sample: it counted as z = 0, and a list of TBX4, TFEC and it
    scored two thirds of the library's score (-0.0719 against -0.1078 for the first sample)."""
    from core.analysis import gene_set_score
    from dashboard import sample_map

    flat = int(np.flatnonzero(np.nanstd(sepira_es.values, axis=0) == 0)[0])
    cols = [context.gene_index("TBX4"), context.gene_index("TFEC"), flat]
    np.testing.assert_allclose(
        context.gene_set_score(cols), gene_set_score(sepira_es.values, cols), rtol=1e-5, atol=1e-6
    )
    spec = sample_map.resolve_color(context, "list:TBX4, TFEC, " + str(context.gene_symbols[flat]))
    assert spec.title == "gene list: mean z (3 genes, 1 without variance left out)"
    with pytest.raises(DataError, match="same value in every sample"):
        context.gene_set_score([flat])


def test_gene_set_score_is_mean_z(context):
    cols = [context.gene_index(g) for g in ("GATA4", "TBX5")]
    score = context.gene_set_score(cols)
    mean, std = context.gene_stats()
    z = (context.values[:, cols] - mean[cols]) / std[cols]
    np.testing.assert_allclose(score, z.mean(axis=1), atol=1e-5)
    heart = context.samples["tissue"].to_numpy() == "Heart"
    assert score[heart].mean() > score[~heart].mean() + 1


def test_probe_returns_profile_and_nearest_samples(context):
    st = context.state()
    x, y = st.sample_embedding[0]
    res = context.probe(float(x), float(y), top=5, n_samples=3)
    assert len(res["genes"]) == 5
    assert res["samples"]["sample_id"].iloc[0] == context.sample_ids[0]
    with pytest.raises(DataError):
        context.probe(float("nan"), 0.0)


def test_probe_does_not_put_genes_that_are_off_everywhere_first(context, monkeypatch):
    """A gene detected in 3 of 520 samples has an sd near 0.007: a decoded 0.05 made it the
    top gene of the probe (z = 7) on the real model, above every gene of the tissue."""
    st = context.state()
    mean, std = context.gene_stats()
    rare = int(np.argmin(std))
    assert std[rare] < 0.1 * np.median(std) and context.detection()[rare] < 0.05
    cols = st.gene_es_index

    class ShiftedMean:  # decodes every gene's mean over samples, plus 0.05
        def predict(self, xy):
            return (mean[cols] + 0.05)[None, :]

    monkeypatch.setattr(st, "model", ShiftedMean())
    genes = context.probe(0.0, 0.0, top=5)["genes"]
    assert genes["z"].max() < 1  # 0.05 above the mean is not several sd above it


def test_parse_gene_list():
    assert parse_gene_list("KRT5, krt14;KRT1\nKRT10") == ["KRT5", "krt14", "KRT1", "KRT10"]
    with pytest.raises(DataError, match="empty"):
        parse_gene_list("  ,, ")
    with pytest.raises(DataError, match="not gene symbols"):
        parse_gene_list("KRT5, <script>")
    # fly and mouse symbols hold parentheses and primes; one refused the whole list
    assert parse_gene_list("Su(H), Gt(ROSA)26Sor E(spl)m3-HLH") == [
        "Su(H)",
        "Gt(ROSA)26Sor",
        "E(spl)m3-HLH",
    ]


def test_bad_settings_are_refused():
    with pytest.raises(CoreError):
        ModelSettings(sample_dim=3)
    with pytest.raises(CoreError):
        DashboardConfig(gene_layout="tsne")
    with pytest.raises(CoreError, match="--go-exclude-evidence: unknown GO evidence code.*XYZ"):
        DashboardConfig(go_exclude_evidence=("IEA", "XYZ"))
    with pytest.raises(CoreError, match="--go-gaf and --go-obo go together"):
        DashboardConfig(go_gaf=GAF_EXCERPT)
    with pytest.raises(CoreError, match="no such file"):
        DashboardConfig(go_gaf=GAF_EXCERPT, go_obo=GAF_EXCERPT.with_name("missing.obo"))


def test_gene_ontology_settings(context, sepira_es, tmp_path):
    assert context.ontology_caption() == "GO: bundled snapshot, release 2022-07-01"
    cfg = DashboardConfig(
        cache_dir=tmp_path,
        go_gaf=GAF_EXCERPT,
        go_obo=OBO_EXCERPT,
        go_exclude_evidence=("tas",),
    )
    assert cfg.go_exclude_evidence == ("TAS",)
    other = AppContext(sepira_es, cfg)
    caption = other.ontology_caption()
    assert caption == "GO: goa_human_excerpt.gaf + go_excerpt.obo; evidence TAS left out"
    go = other.ontology()
    assert go.metadata["excluded_evidence"] == ["TAS"]
    assert set(go.genes["symbol"]) == {"MYH6", "MYH7", "TNNT2", "KRT5", "KRT14", "CYP2D7"}
    assert len(go.gene_terms("KRT5", propagate=False)) == 0  # its only annotation is TAS


def test_a_gaf_and_a_dataset_of_ensembl_ids(tmp_path):
    """A GO read from a GAF knows symbols only: with a dataset keyed by Ensembl id (GTEx),
    the enrichment's background was empty and every neighbourhood "enriched in no term"."""
    ids = ["ENSG00000092054.12", "ENSG00000197616.11", "ENSG00000118194.18",
           "ENSG00000186081.11", "ENSG00000186847.5"]  # fmt: skip
    symbols = ["MYH7", "MYH6", "TNNT2", "KRT5", "KRT14"]
    values = np.random.default_rng(0).random((10, 5)).astype(np.float32)
    es = ExpressionSet.from_array(values, [f"s{i}" for i in range(10)], ids, gene_symbols=symbols)
    cfg = DashboardConfig(cache_dir=tmp_path, go_gaf=GAF_EXCERPT, go_obo=OBO_EXCERPT)
    ctx = AppContext(es, cfg)
    assert ctx.enricher().background_size == 5
    res = ctx.enrichment(["MYH6", "MYH7", "TNNT2"], max_fdr=1.0)
    assert len(res) > 0 and (res["n_overlap"] >= 2).all()
    assert ctx.gene_table()["name"].tolist()[:2] == ["Myosin-7", "Myosin-6"]
    assert ctx.go_terms_of(["MYH6"])[0] != ""


def test_a_shared_ensembl_id_is_read_with_the_dataset_symbol(tmp_path):
    """WNT3's Ensembl id is also listed by the ncRNA LOC101929777: the gene table showed WNT3
    as "uncharacterized LOC101929777", ncRNA, without GO terms, and out of the background."""
    ids = ["ENSG00000108379.9", "ENSG00000136574.17", "ENSG00000125798.14"]
    symbols = ["WNT3", "GATA4", "FOXA2"]
    values = np.random.default_rng(0).random((10, 3)).astype(np.float32)
    es = ExpressionSet.from_array(values, [f"s{i}" for i in range(10)], ids, gene_symbols=symbols)
    ctx = AppContext(es, DashboardConfig(cache_dir=tmp_path))
    table = ctx.gene_table().set_index("symbol")
    assert table.loc["WNT3", "gene_type"] == "protein-coding"
    assert "Wnt" in table.loc["WNT3", "name"]
    assert ctx.go_terms_of(["WNT3"])[0] != ""
    assert ctx.enricher().background_size == 3
    wnt = ctx.ontology().term_genes("GO:0016055")  # Wnt signaling pathway
    assert "WNT3" in set(wnt["symbol"])
    assert ctx.go_term_members("GO:0016055").tolist() == [True, False, False]


def test_gene_missing_everywhere_is_left_out_of_training(sepira_es, tmp_path):
    """A gene without any observed value: the model learns the others, the page still opens."""
    values = np.array(sepira_es.values, copy=True)
    values[:, 5] = np.nan
    es = ExpressionSet.from_array(
        values, sepira_es.sample_ids, sepira_es.gene_ids, samples=sepira_es.samples
    )
    settings = ModelSettings(gene_dim=4, hidden=(8,), epochs=2)
    ctx = AppContext(es, DashboardConfig(cache_dir=tmp_path, settings=settings))
    ctx.train()
    st = ctx.state()
    # it and the 7 genes 0 in every sample, and those only
    blank = (np.nan_to_num(values) == 0).all(axis=0)
    assert blank[5] and blank.sum() == 8
    assert st.gene_embedding.shape[0] == es.n_genes - 8
    assert (st.es_model_index[blank] < 0).all() and (st.es_model_index[~blank] >= 0).all()


def test_selection_csv_writes_whole_codes_as_the_page_shows_them(sepira_es, tmp_path):
    """GTEx's DTHHRDY (codes beside blanks, read as floats) was written 4.0 in the selection's
    CSV while the page said "4: slow death"."""
    es = sepira_es.subset(samples=np.arange(40))
    es.samples = es.samples.assign(
        DTHHRDY=[np.nan if i % 5 == 0 else float(i % 4) for i in range(40)],
        RIN=np.linspace(5.5, 9.5, 40),
        ratio=[np.inf if i == 2 else float(i) for i in range(40)],  # (it stopped the export)
    )
    settings = ModelSettings(gene_dim=4, standin=True)
    ctx = AppContext(es, DashboardConfig(cache_dir=tmp_path, settings=settings, gene_layout="pca"))
    ctx.train()
    text = ctx.selection_table([1, 2, 5]).to_csv(index=False)
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert list(table["DTHHRDY"]) == ["1", "2", ""]  # not 1.0, 2.0
    assert list(table["ratio"]) == ["1.0", "inf", "5.0"]  # not whole numbers only: as they are
    assert list(table["RIN"].astype(float)) == pytest.approx(
        list(es.samples["RIN"].iloc[[1, 2, 5]])
    )


def test_model_trained_on_filtered_genes(sepira_es, tmp_path):
    """--min-detection / --top-genes: the model learns a subset; every gene stays browsable."""
    from dashboard.status import model_summary

    settings = ModelSettings(gene_dim=4, standin=True, min_detection=0.5, top_genes=100)
    ctx = AppContext(sepira_es, DashboardConfig(cache_dir=tmp_path, settings=settings))
    ctx.train()
    st = ctx.state()
    expected = sepira_es.drop_zero_genes().detected_genes(0.5).top_variable_genes(100)
    assert st.gene_embedding.shape == (100, 4)
    assert list(sepira_es.gene_ids[st.gene_es_index]) == list(expected.gene_ids)
    left_out = int(np.flatnonzero(st.es_model_index < 0)[0])
    assert ctx.gene_values(left_out, "obs").shape == (520,)
    with pytest.raises(DataError, match="not among the model's genes"):
        ctx.gene_values(left_out, "pred")
    # its prediction and residual are shown, not offered (chosen, they answered two errors
    # while the box said "model-predicted" over a map coloured by tissue)
    from dashboard import sample_map

    kept = int(np.flatnonzero(st.es_model_index >= 0)[0])
    for j, offered in ((left_out, False), (kept, True)):
        sym = str(ctx.gene_symbols[j])
        options = {o["value"]: o for o in sample_map.color_options(ctx, sym, None)}
        assert not options[f"obs:{sym}"].get("disabled")
        for mode in ("pred", "res"):
            assert bool(options[f"{mode}:{sym}"].get("disabled")) is not offered, (sym, mode)
            assert ("not in the model" in options[f"{mode}:{sym}"]["label"]) is not offered
    # in focus, it has no neighbours: said as a warning, not an error
    from dashboard.gene_space import neighbor_tables

    rows, terms, alert = neighbor_tables(ctx, str(ctx.gene_symbols[left_out]), 5)
    assert rows == [] and terms == [] and alert.className == "alert alert-warning"
    assert "is not among the 100 genes the model was trained on (of the 467 here)" in alert.children
    assert "trained on 100 of the 467 genes" in model_summary(st.info)
    # without filters the settings keep the digest they had before the filters existed
    import hashlib
    import json

    plain = ModelSettings(gene_dim=4, standin=True)
    fields = dataclasses.asdict(plain)
    del fields["min_detection"], fields["top_genes"]
    old = hashlib.sha1(json.dumps(fields, sort_keys=True, default=list).encode()).hexdigest()[:12]
    assert plain.digest() == old != settings.digest()
    with pytest.raises(CoreError, match="min_detection must be between 0 and 1"):
        ModelSettings(min_detection=2.0)
    with pytest.raises(CoreError, match="top_genes must be >= 1"):
        ModelSettings(top_genes=0)


def test_gene_space_joined_with_other_models(context, sepira_es, tmp_path):
    """--join-models: neighbours by the mean of the models' cosine distances; same genes needed."""
    from core.analysis import unit_rows
    from dashboard.standin import PCAEmbedding
    from dashboard.status import model_summary

    trained_on = context.config.settings.training_genes(sepira_es)  # (the genes not all 0)
    PCAEmbedding(gene_dim=4, seed=1).fit(trained_on).save(tmp_path / "m4")
    config = dataclasses.replace(context.config, join_models=(tmp_path / "m4",))
    joined = AppContext(sepira_es, config)
    st, single = joined.state(), context.state()
    assert st.key == single.key  # the sample map is the model's
    np.testing.assert_array_equal(st.sample_embedding, single.sample_embedding)
    other = unit_rows(PCAEmbedding.load(tmp_path / "m4").gene_embedding_)
    mine = unit_rows(single.gene_embedding)
    j = joined.gene_index("GATA4")
    m = int(st.es_model_index[j])
    expected = 1.0 - ((mine @ mine[m]) + (other @ other[m])) / 2
    table = joined.neighbors(j, k=5)
    rows = [int(st.es_model_index[joined.gene_index(g)]) for g in table["gene_id"]]
    np.testing.assert_allclose(table["distance"], expected[rows], atol=1e-4)
    expected[m] = np.inf
    assert rows == list(np.argsort(expected)[:5])
    assert "2 models joined" in model_summary(st.info)
    # each run's vectors are 8-D (the joined matrix, 12 columns, is not what was trained)
    assert st.gene_embedding.shape[1] == 12 and "genes 8-D" in model_summary(st.info)
    own = [
        set(np.argsort(np.where(np.arange(len(u)) == m, np.inf, 1 - u @ u[m]))[:5])
        for u in (mine, other)
    ]
    assert list(table["runs"]) == [f"{sum(r in o for o in own)}/2" for r in rows]
    assert "runs" not in context.neighbors(j, k=5)
    from dashboard.gene_space import build_gene_figure

    fig, _ = build_gene_figure(joined, None, "GATA4", 5, None)
    assert "gene embeddings of 2 runs joined" in fig.layout.title.text
    # the distance's tooltip says it is a mean, and the CSV names every joined model (it said
    # one model beside "mean over 2 joined models")
    from dashboard.export import neighbors_query
    from dashboard.layout import neighbor_help

    assert neighbor_help(joined)["distance"][1].startswith("mean over the 2 joined models of 1 −")
    assert not neighbor_help(context)["distance"][1].startswith("mean")
    query = neighbors_query(joined, "GATA4", 5)
    assert f"joined with {tmp_path / 'm4'}" in query["model"], query
    assert "mean over 2 joined models" in query["metric"]
    assert st.gene_layout.shape == (460, 2)
    # a model of other genes is refused with the count of the missing ones
    PCAEmbedding(gene_dim=4).fit(sepira_es.subset(genes=np.arange(400))).save(tmp_path / "few")
    config = dataclasses.replace(context.config, join_models=(tmp_path / "few",))
    with pytest.raises(CoreError, match="lacks 67 of the 460 genes"):
        AppContext(sepira_es, config).state()
    # and the dashboard says so when it starts (it served a page whose maps waited for ever)
    from dashboard.factory import create_app

    with pytest.raises(CoreError, match="lacks 67 of the 460 genes"):
        create_app(sepira_es, config)
    with pytest.raises(CoreError, match="--join-models .*: no such directory"):
        dataclasses.replace(context.config, join_models=(tmp_path / "nope",))


def test_genes_sharing_a_symbol_are_each_their_own(context, sepira_es, tmp_path):
    """GTEx's gene table repeats some symbols across Ensembl ids. Every lookup by symbol went
    to the first of them: the search offered the second by its id but focused the first,
    a click on the second's point focused the first, and the rings of its neighbours were
    drawn on the first's point."""
    from dashboard import sample_map
    from dashboard.gene_space import model_rows, search_options

    ids = [f"ENSG{j:011d}.3" for j in range(sepira_es.n_genes)]
    symbols = list(sepira_es.gene_ids)
    symbols[5] = symbols[3].lower()  # the same symbol, in other case
    symbols[9] = symbols[3]
    es = ExpressionSet.from_array(
        sepira_es.values, sepira_es.sample_ids, ids, samples=sepira_es.samples, gene_symbols=symbols
    )
    cfg = dataclasses.replace(context.config, cache_dir=tmp_path)
    dup = AppContext(es, cfg)
    dup.train()
    first = symbols[3]
    names = list(dup.gene_symbols)
    assert names[3] == first
    assert names[5] == f"{first.lower()} (ENSG00000000005)"
    assert names[9] == f"{first} (ENSG00000000009)"
    assert len({n.upper() for n in names}) == len(names)
    # found by id or by the name shown, each its own gene
    assert dup.gene_index("ENSG00000000009.3") == 9 == dup.gene_index(names[9])
    assert dup.gene_index(first) == 3
    options = search_options(dup, "ENSG00000000009", None)
    assert options[0]["value"] == names[9]
    assert dup.gene_index(options[0]["value"]) == 9
    colours = [o["value"] for o in sample_map.color_options(dup, first, None)]
    assert len(colours) == len(set(colours)) and f"obs:{names[9]}" in colours
    # its point on the gene map, and a neighbour ring drawn on it, are its own
    st = dup.require_state()
    assert model_rows(dup, [names[9]]) == [int(np.flatnonzero(st.gene_es_index == 9)[0])]


def test_a_given_models_gene_layout_is_drawn_for_the_seed_asked(context, tmp_path, monkeypatch):
    """With --model, the gene map's layout (UMAP) was cached without the seed: another
    FE_SEED showed the layout drawn for the first."""
    import dashboard.model_state as model_state

    seeds = []

    def layout(vectors, seed=0, method="umap"):
        seeds.append(seed)
        return np.zeros((len(vectors), 2), dtype=np.float32), method.upper()

    monkeypatch.setattr(model_state, "gene_layout_2d", layout)
    model_dir = context.model_entry / "model"
    for seed in (0, 1, 0):
        cfg = dataclasses.replace(
            context.config,
            cache_dir=tmp_path,
            model_dir=model_dir,
            settings=dataclasses.replace(context.config.settings, seed=seed),
        )
        assert AppContext(context.es, cfg).state() is not None
    assert seeds == [0, 1]  # the third, seed 0 again, from the cache


def test_a_pseudoautosomal_copy_on_y_is_its_own_gene(sepira_es, tmp_path):
    """GTEx names the Y copy of a pseudoautosomal gene ``ENSG....12_PAR_Y``: the dashboard
    dropped the suffix with the version, so the copy answered for the X gene, and the model's Y
    copy was drawn with the X gene's values."""
    from core.data import ExpressionSet

    gene_ids = list(sepira_es.gene_ids)
    gene_ids[3] = "ENSG00000092054.12"
    gene_ids[4] = "ENSG00000092054.12_PAR_Y"
    es = ExpressionSet.from_array(
        sepira_es.values, sepira_es.sample_ids, gene_ids, samples=sepira_es.samples
    )
    ctx = AppContext(es, DashboardConfig(cache_dir=tmp_path, settings=ModelSettings(standin=True)))
    assert ctx.gene_index("ENSG00000092054.12_PAR_Y") == 4
    assert ctx.gene_index("ENSG00000092054_PAR_Y") == 4
    assert ctx.gene_index("ensg00000092054.12") == 3
    ctx.train()
    state = ctx.require_state()
    model_ids = list(state.model.gene_ids_)
    rows = [model_ids.index(g) for g in ("ENSG00000092054.12", "ENSG00000092054.12_PAR_Y")]
    assert [int(state.gene_es_index[m]) for m in rows] == [3, 4]


def test_the_header_gives_the_epochs_and_time_of_a_model_with_automatic_epochs():
    """Without --epochs (the passes follow the data size) the header said neither the epochs
    nor, for a model given with --model, the training time, though the model records both."""
    from types import SimpleNamespace

    from dashboard.model_state import _model_config, _positive
    from dashboard.status import model_summary

    model = SimpleNamespace(sample_dim=2, gene_dim=50, hidden=(100, 50, 50), epochs=None)
    model.n_epochs_, model.train_time_s_ = 80, 127.4
    cfg = _model_config(model)
    assert cfg["epochs"] == 80
    info = {"class": "FactorizedEmbeddings", "sample_dim": 2, "gene_dim": 50, "config": cfg}
    info["train_seconds"] = None or _positive(model, "train_time_s_")
    line = model_summary(info)
    assert "80 epochs" in line and "trained in 127 s" in line
    assert _positive(SimpleNamespace(train_time_s_=0.0), "train_time_s_") is None


def test_the_dashboards_scores_are_keyed_by_the_codes_version(context, monkeypatch):
    """The baseline maps' scores and the model's 1-NN were kept across versions of the code that
    computes them (a report read a stale Table 1 so): their keys now hold its digest."""
    import dashboard.baseline_maps as module

    before = context.baselines_key()
    monkeypatch.setattr(module, "CODE_VERSION", "another")
    assert context.baselines_key() != before


def test_training_progress_says_what_it_trains_in_words(sepira_es, tmp_path):
    """The progress bar read "training PCAEmbedding on 520 x 467": a class name and bare
    numbers."""
    ctx = AppContext(
        sepira_es,
        DashboardConfig(cache_dir=tmp_path, settings=ModelSettings(gene_dim=8, standin=True)),
    )
    said: list[str] = []
    ctx.train(progress=lambda fraction, message: said.append(message))
    assert said[0] == f"training the model on {sepira_es.n_samples:,} samples x 460 genes"
