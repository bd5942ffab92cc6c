"""The gene-list box on Back and Forward: a view coloured by the list shown already leaves what
was typed in the box alone (it was written over, the typing lost); a link coloured by another
list still puts that list in the box."""

from __future__ import annotations

from dashboard import ids
from tests.dashboard.callback_post import post_callback


def _sync(app, search: str, shown: str, typed: str) -> dict:
    return post_callback(
        app,
        f"{ids.GENE_LIST}.value",
        {
            (ids.URL, "search"): search,
            (ids.COLOR_BY, "value"): shown,
            (ids.GENE_LIST, "value"): typed,
        },
        f"{ids.URL}.search",
    )


def test_back_to_the_list_shown_keeps_what_was_typed_in_the_box(app, context):
    a, b, c = (str(s) for s in context.gene_symbols[:3])
    shown = f"list:{a}, {b}"
    # Back to the view before a gene was clicked: the same list colours the samples
    out = _sync(app, f"?color=list:{a},%20{b}", shown, f"{a}, {b}, {c}")
    assert ids.GENE_LIST not in out or "value" not in out[ids.GENE_LIST], out.get(ids.GENE_LIST)
    # a link, or Back, to another list: its genes in the box, to change one of them
    out = _sync(app, f"?color=list:{a},%20{c}", shown, f"{a}, {b}, {c}")
    assert out[ids.GENE_LIST]["value"] == f"{a}, {c}"
    # a link opened on a page coloured by tissue
    out = _sync(app, f"?color=list:{a},%20{b}", "ann:tissue", "")
    assert out[ids.GENE_LIST]["value"] == f"{a}, {b}"
