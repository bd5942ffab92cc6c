"""Memory the loaded GO snapshot keeps: measured by allocation (tracemalloc), not by timing.

The bounds have a margin over what the tables hold now (tests/benchmarks/RESULTS.md, section
"Dashboard server: resident memory"), and are well below what they held when every annotation's
evidence code, row numbers and edge ends were object arrays or int64, the gene lookups kept a
set or list per key, and :meth:`GeneOntology.term_genes` kept a CSC copy of the propagated
matrix.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

import numpy as np

from core.annotations import GeneOntology

MB = 2**20


def _retained(step: Callable[[], object]) -> tuple[object, int]:
    """What ``step`` returns, and the bytes still allocated once it has returned."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out = step()
        gc.collect()
        return out, tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_loaded_snapshot_and_its_gene_lookups_stay_small():
    # the snapshot (77,614 genes, 43,558 terms, 348,116 annotations) and the maps from symbol,
    # alias, Ensembl and Entrez id to gene that the first map_genes builds: 75 MB before,
    # 47 MB now
    def load_and_map() -> GeneOntology:
        go = GeneOntology.load()
        go.map_genes(["A1BG"])
        return go

    go, size = _retained(load_and_map)
    assert go.n_genes > 70_000 and go.n_terms > 40_000
    assert size < 60 * MB, f"{size / MB:.1f} MB"


def test_term_genes_keeps_no_second_copy_of_the_propagated_matrix():
    go = GeneOntology.load()
    prop = go.propagated_matrix
    heart = go.primary_id("GO:0007507")
    members, size = _retained(lambda: go.term_genes(heart))
    # (a CSC copy kept for the column lookups was 9 MB)
    assert size < 1 * MB, f"{size / MB:.1f} MB"
    col = prop[:, go.terms.index.get_loc(heart)].toarray().ravel()
    assert np.array_equal(np.sort(members.index.to_numpy()), np.flatnonzero(col))
    assert "GATA4" in set(members["symbol"])


def test_entrez_ids_out_of_range_match_nothing():
    go = GeneOntology.load()
    table = go.map_genes([10**30, -(10**30), "99999999999999999999", -1, 1, "1", "1.0", 4625])
    assert table["matched"].tolist() == [False, False, False, False, True, True, True, True]
    assert table["symbol"].tolist()[4:] == ["A1BG", "A1BG", "A1BG", "MYH7"]
    assert set(table["matched_by"].iloc[4:]) == {"entrez"}
