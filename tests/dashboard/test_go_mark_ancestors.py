"""The line above the neighbour table says that its GO column counts ancestor terms: beside
MYH7 on GTEx, MYL2's GO was 35 while its "GO biological process" column listed 10 direct
terms, and the line said only "terms both share"."""

from __future__ import annotations

from dashboard.layout import COLUMN_HELP, PAIR_HELP, pair_marks


def test_the_go_mark_says_what_the_go_count_counts():
    # what the count and the listed terms are, as their column helps say
    assert "ancestors" in PAIR_HELP["shared_go"][1]
    assert "direct" in COLUMN_HELP["go_terms"][1]
    # the line read without hovering: its GO mark says the same, with or without co-expression
    for coexp in (True, False):
        go_mark = next(m for m in pair_marks(coexp=coexp, go=True).split("; ") if "GO:" in m)
        assert "ancestors" in go_mark, go_mark
        assert "direct terms" in go_mark, go_mark
