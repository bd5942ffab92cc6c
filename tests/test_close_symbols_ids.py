"""A name shaped as an Ensembl id gets no "did you mean" of arbitrary symbols."""

from __future__ import annotations

from core.data import close_symbols

SYMBOLS = ["APC", "DSP", "ENSA", "ENSAP1", "ENSAP2", "GLA", "NF2", "OTC", "ENSG00000092054"]


def test_a_short_malformed_ensembl_id_gets_no_symbols():
    """``ENSG0001`` (too short for the id pattern) was answered with 5 symbols starting with
    ENS or containing it: any symbol of the dataset, for an id mistyped."""
    for query in ("ENSG0001", "ensg12", "ENST0001", "ENSMUSG123"):
        assert close_symbols(query, SYMBOLS) == [], query
    # symbols named as ids: no id is offered for another
    assert close_symbols("ENSG0001", SYMBOLS, ids=SYMBOLS) == []


def test_an_id_shaped_symbol_still_finds_its_kin():
    """ENS, letters, digits: only symbols starting with its letters are close to it."""
    assert close_symbols("ENSAP4", SYMBOLS) == ["ENSAP1", "ENSAP2"]
    assert close_symbols("ENSA1", SYMBOLS) == ["ENSA", "ENSAP1", "ENSAP2"]
