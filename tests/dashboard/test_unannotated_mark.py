"""A neighbour marked unannotated (pale yellow) may list GO terms: only terms of 3-500 genes
count, and the line above the table said "pale: a gene has no GO term" beside LAT's neighbour
ALG13, whose GO column lists proteolysis (a term of thousands of genes). The line and the
column's help say which terms count."""

from __future__ import annotations

from dashboard.layout import PAIR_HELP, pair_marks
from dashboard.pair_references import GO_TERM_SIZES


def test_the_pale_mark_says_which_go_terms_count(context):
    j, g = context.gene_index("LAT"), context.gene_index("ALG13")
    pair = context.pair_columns(j, [g])
    # the case the line must explain: marked unannotated, yet with GO terms listed
    assert pair["novel"] == ["unannotated"]
    assert context.go_terms_of(["ALG13"])[0] != ""
    bound = f"{GO_TERM_SIZES[0]}-{GO_TERM_SIZES[1]} genes"
    line = pair_marks(cut=0.95)
    pale = line[line.index("pale:") :]
    assert bound in pale.split(")")[0]
    assert bound in PAIR_HELP["novel"][1].split("unannotated:")[1]
