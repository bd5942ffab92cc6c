"""The neighbour table's line says when GO knows none of the dataset's genes: its shared GO
column was 0 and its novel column "unannotated" on every row, and nothing said why."""

from __future__ import annotations

from types import SimpleNamespace

import scipy.sparse as sp

from core.errors import DataError
from dashboard import gene_space


def _context(matrix, ontology=True) -> SimpleNamespace:
    def gene_index(name: str) -> int:
        raise DataError(f"unknown gene {name}")

    return SimpleNamespace(
        state=lambda: None,
        gene_index=gene_index,
        gene_label=str,
        simulated=False,
        ontology=lambda: object() if ontology else None,
        go_bp_matrix=lambda: matrix,
    )


def test_genes_go_does_not_know_are_said_under_the_neighbours():
    rows = [{"symbol": "XG0045", "shared_go": 0, "novel": "unannotated"}]
    unknown = sp.csr_matrix((3, 5), dtype=bool)  # (no gene has a term)
    said = gene_space.neighbors_info(_context(unknown), "XG0044", rows)
    assert "No gene of this dataset has a GO biological-process term here" in said
    assert said.endswith("whatever GO would say of these genes.")
    # genes GO knows, or no GO at all (the columns are blank then): not said
    note = "No gene of this dataset"
    known = sp.csr_matrix(([True], ([0], [2])), shape=(3, 5))
    assert note not in gene_space.neighbors_info(_context(known), "A", rows)
    without = _context(None, ontology=False)
    assert note not in gene_space.neighbors_info(without, "A", rows)
