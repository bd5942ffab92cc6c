"""Two faults of the sample card: a specific gene's p written as exactly 0 (scipy's t.sf
underflows for a tissue's markers: 14 of the 27 genes of the GTEx heart samples on the ACMG-59
data, t up to 265 on 1,120 df), and a typed or linked gene list that named its unknown genes
without the "did you mean" that the gene search gives."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.errors import DataError
from dashboard import export, ids, sample_map
from dashboard.context import SPECIFIC_P_FLOOR, AppContext, DashboardConfig, ModelSettings
from dashboard.layout import SPECIFIC_P_HELP

SYMBOLS = ["MYH7", "MYH11", "TNNT2", "ACTB", "NOISE"]


@pytest.fixture(scope="module")
def marked(tmp_path_factory) -> AppContext:
    """400 samples, the first 200 with MYH7 far higher (t in the thousands on about 400 df)."""
    from core.data import ExpressionSet

    rng = np.random.default_rng(3)
    n = 400
    values = rng.normal(3.0, 1.0, size=(n, len(SYMBOLS))).astype(np.float32)
    values[:, 0] = rng.normal(1.0, 0.01, size=n)
    values[:200, 0] += 5.0
    gene_ids = [f"ENSG{i:011d}.1" for i in range(1, len(SYMBOLS) + 1)]
    es = ExpressionSet.from_array(
        values, [f"s{i}" for i in range(n)], gene_ids, gene_symbols=SYMBOLS
    )
    ctx = AppContext(
        es,
        DashboardConfig(
            cache_dir=tmp_path_factory.mktemp("fe-cache"),
            settings=ModelSettings(gene_dim=2, standin=True),
            gene_layout="pca",
        ),
    )
    ctx.train()
    return ctx


def test_a_p_too_small_for_a_float_is_the_floor_not_0(marked):
    """The page's table and the CSV: the marker's p is the floor, which the p's help and the
    file's note explain; a p above the floor is scipy's, as before."""
    rows = list(range(200))
    table = marked.specific_genes(rows, top=5, min_score=-np.inf, max_p=1).set_index("symbol")
    assert table.loc["MYH7", "score"] > 1000
    assert stats.t.sf(table.loc["MYH7", "score"], table.loc["MYH7", "df"]) == 0.0  # (the fault)
    assert table.loc["MYH7", "p_value"] == SPECIFIC_P_FLOOR
    assert (table["p_value"] >= SPECIFIC_P_FLOOR).all()
    others = table.drop(index="MYH7")
    np.testing.assert_allclose(
        others["p_value"], stats.t.sf(others["score"], others["df"]), rtol=0.01
    )
    out = export.csv_download(marked, ids.EXPORT_SELECTION_GENES_CSV, None, {"rows": rows}, None)
    saved = pd.read_csv(io.StringIO(out["content"])).set_index("symbol")
    assert saved.loc["MYH7", "p_value"] == SPECIFIC_P_FLOOR
    assert saved["p_value"].dtype.kind == "f"  # (a number, sortable, not the text "< 1e-300")
    floor = f"{SPECIFIC_P_FLOOR:.0e}"
    for text in (SPECIFIC_P_HELP, saved["p_value_note"].iloc[0]):
        assert f"{floor} means {floor} or less" in text


def _list_alert(context, text: str) -> str:
    apply = ids.GENE_LIST_APPLY
    _, _, _, alert = sample_map.sync_focus(context, apply, None, None, None, None, text)
    return alert.children


def test_a_gene_list_says_what_an_unknown_gene_may_have_meant(marked):
    """As the gene search does (``unknown gene 'MYH77' ... (did you mean MYH7, MYH11?)``), for
    the entries that have close symbols, each named when several entries are."""
    with pytest.raises(DataError, match=r"did you mean MYH7, MYH11\?"):
        marked.gene_index("MYH77")
    said = _list_alert(marked, "MYH7, TNNT2, MYH77, GAPDH")
    assert said.startswith("not in this dataset, ignored: MYH77, GAPDH")
    assert said.endswith("(did you mean MYH7, MYH11 for MYH77?)")
    assert _list_alert(marked, "MYH7, MYH77").endswith("ignored: MYH77 (did you mean MYH7, MYH11?)")
    two = _list_alert(marked, "ACTB, MYH77, TNNT22, GAPDH")
    assert two.endswith("(did you mean MYH7, MYH11 for MYH77; TNNT2 for TNNT22?)")
    assert _list_alert(marked, "MYH7, GAPDH").endswith("ignored: GAPDH")  # (nothing close)
    # an Ensembl id not here: every id starts with ENS, so no id or symbol is close to it
    assert _list_alert(marked, "MYH7, ENSG00000999999").endswith("ignored: ENSG00000999999")
    with pytest.raises(DataError) as err:
        marked.gene_index("ENSG00000999999")
    assert "did you mean" not in str(err.value)
    none = _list_alert(marked, "MYH77")
    assert none == "none of the listed genes is in this dataset: MYH77 (did you mean MYH7, MYH11?)"


def test_a_links_gene_list_says_it_too(marked):
    """``?color=list:...``: the link's warning names the close symbols as the list box does."""
    link = "?color=list:MYH7,TNNT2,MYH77,GAPDH"
    _, _, _, alert = sample_map.sync_focus(marked, ids.URL, link, None, None, None, None)
    assert "ignored in the gene list: MYH77, GAPDH (did you mean MYH7, MYH11 for MYH77?)" in str(
        alert.children
    )


def test_a_list_of_patterns_that_match_nothing_says_so(marked):
    """``KRT*`` on a set without keratins: no symbol matches it (it read "none of the listed
    genes is in this dataset"), in the list box and in a link's colouring alike."""
    assert _list_alert(marked, "KRT*") == "no gene symbol in this dataset matches the pattern KRT*"
    assert _list_alert(marked, "KRT*, XIST*").startswith("no gene symbol in this dataset matches")
    assert "patterns KRT*, XIST*" in _list_alert(marked, "KRT*, XIST*")
    # a gene among the patterns: the list's words, with the did-you-mean of the gene
    mixed = _list_alert(marked, "KRT*, MYH77")
    assert mixed.startswith("none of the listed genes is in this dataset: KRT*, MYH77")
    with pytest.raises(DataError, match="matches the pattern KRT\\*"):
        sample_map.resolve_color(marked, "list:KRT*")
