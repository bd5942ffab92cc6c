"""What a user does with the page's own files and links, end to end through the callbacks."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd

from dashboard import export, ids, sample_map
from dashboard.gene_space import neighbor_tables


def _data_url(text: str) -> str:
    return "data:text/csv;base64," + base64.b64encode(text.encode()).decode()


def _text(alert) -> str:
    return "" if alert is None else str(alert.children)


def _listed(color: str) -> list[str]:
    assert color.startswith("list:"), color
    return [g.strip() for g in color[len("list:") :].split(",")]


def test_the_pages_own_gene_csv_files_read_back_as_gene_lists(context):
    """The neighbours' CSV starts with ``query`` (the gene in focus on every row) and the
    specific genes' CSV with ``dataset``: read back as a gene list, the first coloured the
    samples by the gene in focus alone, and the second was refused, naming the dataset six
    times as unknown genes."""
    focus = "GATA4"
    rows, _, _ = neighbor_tables(context, focus, 10)
    out = export.csv_download(context, ids.EXPORT_NEIGHBORS_CSV, rows, None, focus, k=10)
    color, _, _, alert = sample_map.sync_focus(
        context,
        ids.GENE_LIST_UPLOAD,
        None,
        None,
        None,
        None,
        None,
        (_data_url(out["content"]), out["filename"]),
    )
    assert _listed(color) == [r["symbol"] for r in rows]
    assert alert is None

    liver = np.flatnonzero(context.samples["tissue"].to_numpy() == "Liver").tolist()
    out = export.csv_download(context, ids.EXPORT_SELECTION_GENES_CSV, None, {"rows": liver}, None)
    genes = pd.read_csv(__import__("io").StringIO(out["content"]))["symbol"].astype(str)
    color, _, _, alert = sample_map.sync_focus(
        context,
        ids.GENE_LIST_UPLOAD,
        None,
        None,
        None,
        None,
        None,
        (_data_url(out["content"]), out["filename"]),
    )
    assert _listed(color) == list(dict.fromkeys(genes)), _text(alert)
    assert context.name not in _text(alert)


def test_a_gene_column_after_others_is_read_and_each_gene_once(context):
    """A spreadsheet of results (the gene in the third column, a note with commas in quotes
    before it) gives its genes; a gene named on several rows is listed once."""
    text = ('rank;note;gene_symbol\n1;"high, in liver";GATA4\n2;x;TBX5\n3;y;GATA4\n').replace(
        ";", "\t"
    )
    color, _, _, alert = sample_map.sync_focus(
        context, ids.GENE_LIST_UPLOAD, None, None, None, None, None, (_data_url(text), "r.tsv")
    )
    assert _listed(color) == ["GATA4", "TBX5"] and alert is None
    comma = 'rank,note,symbol\n1,"high, in liver",GATA4\n2,x,TBX5\n'
    color = sample_map.sync_focus(
        context, ids.GENE_LIST_UPLOAD, None, None, None, None, None, (_data_url(comma), "r.csv")
    )[0]
    assert _listed(color) == ["GATA4", "TBX5"]


def test_a_list_pasted_from_r_python_or_a_spreadsheet_column_is_read(context):
    """R prints ``[1] "GATA4" "TBX5"``, Python ``['GATA4', 'TBX5']``, and a column copied from
    a spreadsheet starts with its header: each was refused, or its header said to be a gene
    missing here."""
    for pasted in ('[1] "GATA4" "TBX5"', "['GATA4', 'TBX5']", "Gene\nGATA4\nTBX5\n"):
        color, _, _, alert = sample_map.sync_focus(
            context, ids.GENE_LIST_APPLY, None, None, None, None, pasted
        )
        assert _listed(color) == ["GATA4", "TBX5"] and alert is None, (pasted, _text(alert))
    # a symbol with a prime or parentheses keeps them; a header word that is a gene stays
    from dashboard.uploads import parse_gene_list

    assert parse_gene_list("Su(H) H2-K1' 'Gt(ROSA)26Sor'") == ["Su(H)", "H2-K1'", "Gt(ROSA)26Sor"]


def test_a_link_whose_gene_list_names_genes_not_here_says_which(context):
    """A list typed in the page names the genes it ignores; the same list in a link was shown
    as "gene list (3)" without a word, only the colour bar counting "1 not here"."""
    search = "?color=list:GATA4,NOPE1,TBX5"
    color, _, _, alert = sample_map.sync_focus(context, None, search, None, None, None, None)
    assert _listed(color) == ["GATA4", "NOPE1", "TBX5"]  # the link's list, as made
    assert "NOPE1" in _text(alert) and "GATA4" not in _text(alert)
    assert "alert-warning" in str(alert.className)
    # every entry found, or a pattern that finds genes: nothing to say
    for search in ("?color=list:GATA4,TBX5", "?color=list:GATA*"):
        assert sample_map.sync_focus(context, None, search, None, None, None, None)[3] is None
