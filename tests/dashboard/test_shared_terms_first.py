"""A neighbour's GO terms in the gene table: those it shares with the gene asked about first.

The page shows each gene's first 3 direct GO biological-process terms; they came in GO id
order, so beside MYH7 the terms that MYL2 shares with it ("cardiac muscle contraction") were
among its "+7".
"""

from __future__ import annotations

import numpy as np


def _a_pair_sharing_a_late_term(context):
    """(query, neighbour, shared term name): a neighbour with more than 3 terms, that shares
    with the query a term which is not among its first 3 in GO id order."""
    csr, bp, names, rows = context._go_direct()

    def terms(symbol):
        k = rows[symbol]
        cols = np.sort(csr.indices[csr.indptr[k] : csr.indptr[k + 1]])
        return cols[bp[cols]]

    symbols = [s for s in map(str, context.gene_symbols) if s in rows]
    for n in symbols:
        late = terms(n)
        if len(late) <= 3:
            continue
        for q in symbols:
            if q == n:
                continue
            shared = np.intersect1d(terms(q), late[3:])
            if len(shared) and not len(np.intersect1d(terms(q), late[:3])):
                return q, n, str(names[shared[0]])
    raise AssertionError("no such pair among the 26-tissue set's genes")


def test_terms_shared_with_the_gene_asked_about_come_first(context):
    query, neighbour, term = _a_pair_sharing_a_late_term(context)
    plain = context.go_terms_of([neighbour])[0]
    assert term not in plain.split(" (+")[0], plain  # (beyond the 3 shown, in GO id order)
    shown = context.go_terms_of([neighbour], shared_with=query)[0]
    assert shown.startswith(term), (query, neighbour, shown)
    assert shown.endswith(plain[plain.rindex(" (+") :])  # the same count left out
    # in the neighbour table of the query, the neighbour's row shows it
    table = context.neighbors(context.gene_index(query), k=len(context.gene_symbols) - 1)
    row = table[table["symbol"] == neighbour].iloc[0]
    assert row["go_terms"].startswith(term), row["go_terms"]
