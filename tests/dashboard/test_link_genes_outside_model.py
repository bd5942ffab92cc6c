"""A link's gene selection (``gsel``) holds the model's genes alone, as a box on the gene map
does, and says the genes of the dataset that the model leaves out."""

from __future__ import annotations

from types import SimpleNamespace

from core.errors import DataError
from dashboard import gene_space


def _dataset(symbols: list[str], modelled: set[str]) -> SimpleNamespace:
    """A dataset of these symbols whose model holds the genes ``modelled``."""

    def gene_index(name: str) -> int:
        raise DataError(f"unknown gene {name}")

    return SimpleNamespace(
        gene_symbols=symbols,
        gene_index=gene_index,
        modelled=lambda j: symbols[j] in modelled,
        alias_of=lambda name: None,
        close_symbols=lambda name: [],
        n_samples=3,
    )


def test_a_link_gene_outside_the_model_is_left_out_and_said():
    """The link's path took every gene of the dataset: a gene the model leaves out (not on the
    gene map) was listed as selected, and nothing said it."""
    context = _dataset(["MYH7", "TNNT2", "XIST", "GATA4"], modelled={"MYH7", "TNNT2", "GATA4"})
    search = "?gsel=MYH7,XIST,TNNT2"
    assert gene_space.link_gene_selection(context, search) == {"genes": ["MYH7", "TNNT2"]}
    said = gene_space.link_gene_problem(context, search)
    assert (
        said == "not in the model (not on the gene map), ignored in the gene selection (gsel): XIST"
    )
    # with an unknown entry too, both are said
    said = gene_space.link_gene_problem(context, "?gsel=MYH7,XIST,NOTAGENE")
    assert said.startswith("not in this dataset, ignored in the gene selection (gsel): NOTAGENE")
    assert said.endswith(
        "not in the model (not on the gene map), ignored in the gene selection (gsel): XIST"
    )
    # only genes outside the model: no selection, the neighbourhood stays
    assert gene_space.link_gene_selection(context, "?gsel=XIST") is None
    # a link and a box read the same genes
    genes = ["MYH7", "XIST", "TNNT2", "MYH7"]
    assert gene_space._selection_columns(context, genes) == [0, 1]
    assert gene_space.gene_columns(context, genes) == ([0, 1], [], ["XIST"])
