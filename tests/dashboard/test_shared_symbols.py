"""Genes found by a name that names several of them (GTEx: ``Y_RNA``), or by a name of other
case (``Tp53`` beside ``TP53``): the dashboard finds what the neighbours command finds, and
says which gene it shows and how to show another."""

from __future__ import annotations

import dataclasses
import types

import pytest

from core.analysis import find_genes
from core.data import ExpressionSet
from dashboard import ids, sample_map
from dashboard.context import AppContext
from dashboard.gene_space import neighbors_info, search_options
from tests.dashboard.layout_tree import alert_text as _text

#: Columns of the dataset below: two genes of one symbol, and two of one symbol in other case.
Y1, Y2, TWIN, TP53 = 3, 9, 12, 13


def _level(alert) -> str:
    return str(getattr(alert, "className", ""))


@pytest.fixture(scope="module")
def shared(context, sepira_es, tmp_path_factory) -> AppContext:
    """The 26-tissue set named by Ensembl ids with symbols beside, with ``Y_RNA`` twice and
    ``Tp53`` beside ``TP53``; trained (stand-in model)."""
    gene_ids = [f"ENSG{j:011d}.3" for j in range(sepira_es.n_genes)]
    symbols = [str(s) for s in sepira_es.gene_ids]
    symbols[Y1] = symbols[Y2] = "Y_RNA"
    symbols[TWIN], symbols[TP53] = "Tp53", "TP53"
    es = ExpressionSet.from_array(
        sepira_es.values,
        sepira_es.sample_ids,
        gene_ids,
        samples=sepira_es.samples,
        gene_symbols=symbols,
    )
    cfg = dataclasses.replace(context.config, cache_dir=tmp_path_factory.mktemp("shared"))
    ctx = AppContext(es, cfg)
    ctx.train()
    return ctx


def test_the_page_finds_the_gene_the_neighbours_command_finds(shared):
    """``Tp53`` beside ``TP53`` in a dataset of Ensembl ids found TP53 in the dashboard (the
    page names Tp53 ``Tp53 (ENSG...)``), and Tp53 in the command and ExpressionSet."""
    model = types.SimpleNamespace(
        gene_ids_=shared.es.gene_ids, gene_symbols_=shared.es.gene_symbols
    )
    queries = ["Y_RNA", "y_rna", "ENSG00000000009", "Tp53", "TP53", "tp53", " Tp53 "]
    for q in queries:
        want = find_genes(model, [q]).rows[0]
        assert shared.gene_index(q) == want == shared.es.gene_index(q), q
    # an id in lower case, of another version (ExpressionSet.gene_index did not find it)
    want = find_genes(model, ["ensg00000000009.7"]).rows[0]
    assert (
        shared.gene_index("ensg00000000009.7") == want == shared.es.gene_index("ensg00000000009.7")
    )
    assert [shared.gene_index(q) for q in ("Tp53", "TP53", "tp53")] == [TWIN, TP53, TWIN]
    # the names the page gives are found too (the first's with its id, as the others')
    assert shared.gene_index(f"Y_RNA ({shared.gene_ids[Y2].split('.')[0]})") == Y2
    assert shared.gene_index(f"Y_RNA ({shared.gene_ids[Y1].split('.')[0]})") == Y1
    assert shared.gene_index(str(shared.gene_symbols[TWIN])) == TWIN


def test_which_genes_a_symbol_names_is_as_the_command_says(shared):
    model = types.SimpleNamespace(
        gene_ids_=shared.es.gene_ids, gene_symbols_=shared.es.gene_symbols
    )
    for q in ("Y_RNA", "y_rna", "TP53", "Tp53", "tp53", "ENSG00000000003", "GATA4"):
        warned = any("names 2" in note for _, note in find_genes(model, [q]).notes)
        assert bool(shared.sharing(q)) == warned, q
    assert shared.sharing("Y_RNA") == [Y1, Y2]
    assert shared.sharing(str(shared.gene_symbols[Y2])) == []  # the page's own name: one gene


@pytest.mark.parametrize("link", ["?gene=Y_RNA", "?color=obs:y_rna", "?gene=Y_RNA&color=res:Y_RNA"])
def test_a_link_to_a_shared_symbol_says_which_gene_is_shown(shared, link):
    color, search, focus, alert = sample_map.sync_focus(
        shared, ids.URL, link, None, None, None, None
    )
    assert focus == search == "Y_RNA" and color.endswith(":Y_RNA")
    text = _text(alert)
    assert "names 2 genes here" in text and text.count("names 2 genes here") == 1, text
    assert f"shown is the first, {shared.gene_ids[Y1]}" in text
    assert str(shared.gene_ids[Y2]) in text and "Find a gene" in text
    assert "warning" in _level(alert)


def test_choosing_a_shared_symbol_says_which_gene_is_shown(shared):
    _, _, focus, alert = sample_map.sync_focus(
        shared, ids.COLOR_BY, None, None, None, "obs:Y_RNA", None
    )
    assert focus == "Y_RNA" and str(shared.gene_ids[Y2]) in _text(alert)
    color, _, focus, alert = sample_map.sync_focus(
        shared, ids.GENE_SEARCH, None, None, "y_rna", None, None
    )
    assert color == "obs:Y_RNA" and str(shared.gene_ids[Y1]) in _text(alert)
    # the other gene, chosen by its name on the page or its id: nothing to say
    for name in (str(shared.gene_symbols[Y2]), "ENSG00000000009"):
        _, _, focus, alert = sample_map.sync_focus(
            shared, ids.GENE_SEARCH, None, None, name, None, None
        )
        assert focus == shared.gene_symbols[Y2] and alert is None
    # a gene of one symbol, or a symbol as written beside one of other case: nothing either
    for link in ("?gene=GATA4", "?gene=TP53"):
        _, _, _, alert = sample_map.sync_focus(shared, ids.URL, link, None, None, None, None)
        assert alert is None, link


def test_a_gene_list_says_which_entries_name_several_genes(shared):
    color, _, _, alert = sample_map.sync_focus(
        shared, ids.GENE_LIST_APPLY, None, None, None, None, "Y_RNA, GATA4, NOPE1"
    )
    assert color.startswith("list:Y_RNA")
    text = _text(alert)
    assert "not in this dataset, ignored: NOPE1" in text
    assert "Y_RNA names several genes here: the list takes the first" in text


def test_the_dropdowns_tell_genes_of_one_symbol_apart_by_id(shared):
    first, second = (str(shared.gene_ids[j]).split(".")[0] for j in (Y1, Y2))
    opts = [o for o in sample_map.color_options(shared, "Y_RNA", None) if o["value"][:4] == "obs:"]
    labels = {o["value"]: o["label"] for o in opts}
    assert labels["obs:Y_RNA"].startswith(f"Y_RNA ({first}) — ")
    assert labels[f"obs:Y_RNA ({second})"].startswith(f"Y_RNA ({second}) — ")
    found = {o["value"]: o["label"] for o in search_options(shared, "Y_RNA", None)}
    assert first in found["Y_RNA"] and second in found[f"Y_RNA ({second})"]
    # the colour bar and the neighbour table name the gene shown by its id too
    title = sample_map.resolve_color(shared, "obs:Y_RNA").title
    assert title.startswith(f"Y_RNA ({first}) (observed")
    assert f"nearest to Y_RNA ({first}) in" in neighbors_info(shared, "Y_RNA", [{}])
    # a gene of one symbol keeps its name alone
    assert sample_map.resolve_color(shared, "obs:GATA4").title.startswith("GATA4 (observed")


def test_an_ensembl_id_in_a_dataset_of_symbols_says_which_symbol_it_read(context):
    """The 26-tissue set names genes by symbol: a link's Ensembl id is read as its symbol
    through the GO snapshot (as the neighbours command does, former symbols too), and said."""
    color, _, focus, alert = sample_map.sync_focus(
        context, ids.URL, "?gene=ENSG00000136574.17", None, None, None, None
    )
    assert (color, focus) == ("obs:GATA4", "GATA4")
    assert "ENSG00000136574.17 is GATA4 here" in _text(alert) and "info" in _level(alert)
