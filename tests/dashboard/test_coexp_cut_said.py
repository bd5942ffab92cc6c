"""The neighbour line says the correlation from which r is marked: on the 26-tissue GTEx set
NKX2-1's neighbour SFTPB (r = 0.76) was neither bold nor co-expressed and its symbol on yellow
("novel ... a pair worth a look"), and nothing on the page said that the cut there is 0.95."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp

from core.errors import DataError
from dashboard import gene_space


def _context(cut) -> SimpleNamespace:
    def gene_index(name: str) -> int:
        raise DataError(f"unknown gene {name}")

    known = sp.csr_matrix(([True], ([0], [2])), shape=(3, 5))
    state = SimpleNamespace(info={"gene_dim": 50}, gene_es_index=np.arange(3))
    return SimpleNamespace(
        state=lambda: state,
        require_state=lambda: state,
        gene_index=gene_index,
        gene_label=str,
        simulated=False,
        ontology=lambda: object(),
        go_bp_matrix=lambda: known,
        coexp_cut=lambda wait=None: cut,
    )


def test_the_neighbour_line_says_the_co_expression_cut():
    rows = [
        {"symbol": "SFTA3", "r": 0.99, "coexp": "yes", "novel": "no"},
        {"symbol": "SFTPB", "r": 0.76, "coexp": "no", "novel": "yes"},
    ]
    said = gene_space.neighbors_info(_context(0.95169), "NKX2-1", rows)
    assert "Bold blue r: co-expressed (top 1% of the gene pairs: r of 0.952 or more here)" in said
    said = gene_space.neighbors_info(_context(0.4), "NKX2-1", rows)
    assert "r of 0.400 or more here" in said
    # no value to say: the cut not known yet (the rows' coexp blank), or no pair an edge
    pending = [{**r, "coexp": "", "novel": ""} for r in rows]
    assert "or more here" not in gene_space.neighbors_info(_context(None), "NKX2-1", pending)
    none = gene_space.neighbors_info(_context(float("inf")), "NKX2-1", rows)
    assert "or more here" not in none and "no pair is a co-expression edge" in none
