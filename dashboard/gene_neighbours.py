"""The gene space's neighbour table: the rows of the gene in focus and its nearest neighbours
with their enrichment and alert (:func:`neighbor_tables`), the number of neighbours asked for
(:data:`MAX_K`, :func:`k_warning`), the line above the table (:func:`neighbors_info`, with what it
says of the pair marks, co-expression edges and genes GO does not know) and what the table says
while the co-expression cut is computed or when it failed (:data:`COEXP_PENDING`,
:data:`COEXP_FAILED`). The callbacks are :mod:`dashboard.gene_space`'s."""

from __future__ import annotations

from typing import Any

import numpy as np
from dash import html

from core.errors import CoreError
from dashboard.layout import NEIGHBORS_EMPTY, pair_marks
from dashboard.layout import alert as _alert
from dashboard.layout import table_records as _records

#: Most neighbours listed (the ``neighbors-k`` input's maximum).
MAX_K = 200


def _k(k: Any, context: Any) -> int:
    try:
        k = int(k)
    except (TypeError, ValueError, OverflowError):
        return context.config.n_neighbors
    return int(np.clip(k, 1, MAX_K))


def k_warning(k: Any, context: Any) -> str | None:
    """What the page says when ``neighbors-k`` is not a whole number from 1 to ``MAX_K``.

    The browser sends None for an empty box or a number out of range; the default is then
    listed, and the page says so (the box would otherwise show one number and the table another).
    """
    try:
        ok = float(k) == int(k) and 1 <= int(k) <= MAX_K
    except (TypeError, ValueError, OverflowError):
        ok = False
    if ok:
        return None
    n = _k(k, context)
    return (
        f"Neighbours: give a whole number from 1 to {MAX_K}; "
        f"listing {n} neighbour{'' if n == 1 else 's'} meanwhile"
    )


def model_enrichment(context: Any, cols: list[int]) -> Any:
    """GO terms enriched among dataset genes ``cols`` against the model's genes, the only
    genes a neighbourhood or a box on the gene map is drawn from (:meth:`AppContext.enrichment`)."""
    model_genes = context.require_state().gene_es_index
    return context.enrichment(cols, background=model_genes[model_genes >= 0])


def neighbor_tables(context: Any, focus: str | None, k: Any) -> tuple[list[dict], list[dict], Any]:
    """Rows of the ``gene-neighbors`` and enrichment tables for the gene in focus.

    Returns
    -------
    (neighbour rows, enrichment rows, alert)
    """
    if not focus or context.state() is None:
        return [], [], None
    try:
        j = context.gene_index(focus)
        if not context.modelled(j):  # not an error: the gene colours the samples all the same
            n_model = len(context.require_state().gene_es_index)
            return (
                [],
                [],
                _alert(
                    f"{context.gene_symbols[j]} is not among the {n_model:,} genes the model was "
                    f"trained on (of the {context.n_genes:,} here): it has no place in gene space "
                    "and no neighbours; its observed values still colour the samples",
                    "warning",
                ),
            )
        n_model = len(context.require_state().gene_es_index)
        if n_model < 2:  # (said as "no GO term enriched among it and its 0 neighbours")
            return (
                [],
                [],
                _alert(
                    f"the model was trained on {n_model} gene: a gene has no neighbours in its "
                    "gene space; train it on more genes to list some",
                    "info",
                ),
            )
        nb = context.neighbors(j, _k(k, context), pairs=True)
        # by column: a symbol may name several genes of the dataset (GTEx: Y_RNA, ...); a
        # model's gene that the dataset lacks has neither
        pairs = zip(nb["gene_id"], nb["symbol"], strict=True)
        genes = [j, *(context.gene_index(g or s) for g, s in pairs if g or s)]
        enr = model_enrichment(context, genes)
    except CoreError as exc:
        return [], [], _alert(str(exc))
    alerts = []
    warning = k_warning(k, context)
    if warning:
        alerts.append(_alert(warning, "warning"))
    if nb["r"].notna().any() and not any(nb["coexp"]):  # (the cut is not known)
        problem = context.coexp_problem()
        alerts.append(
            _alert(COEXP_FAILED.format(problem=problem), "warning")
            if problem
            else _alert(COEXP_PENDING, "info")
        )
    among = f"among {focus} and its {len(nb)} neighbour{'' if len(nb) == 1 else 's'}"
    if context.ontology() is None:
        alerts.append(_alert("Gene Ontology not available: no GO terms or enrichment", "warning"))
    elif enr.empty:
        said = _none_known_to_go(context, genes, among)
        said = said or f"no GO biological-process term is enriched (FDR ≤ 0.25) {among}"
        alerts.append(_alert(said, "info"))
    alert = None if not alerts else alerts[0] if len(alerts) == 1 else html.Div(alerts)
    return _records(nb), _records(enr), alert


#: What the neighbour table says while the co-expression reference is not known yet.
COEXP_PENDING = (
    "the co-expression reference (the top 1% of the model's gene pairs by correlation) is being "
    "computed: co-expression edges and novel pairs are not marked (nor the CSV's coexp and "
    "novel columns filled) until it is done; the table marks them then by itself"
)

#: What the neighbour table says when the co-expression reference could not be computed (it
#: said "being computed" for ever, and choosing the gene again did nothing).
COEXP_FAILED = (
    "the co-expression reference (the top 1% of the model's gene pairs by correlation) could "
    "not be computed ({problem}): co-expression edges and novel pairs are not marked (nor the "
    "CSV's coexp and novel columns filled); the server's log says more"
)


def neighbors_info(context: Any, focus: str | None, rows: list[dict]) -> str:
    """The line above the neighbour table: what it lists, or how to fill it."""
    if not focus or not rows:
        return NEIGHBORS_EMPTY
    st = context.state()
    joined = st.info.get("joined_models") if st is not None else None
    space = (
        f"the gene space of {joined} runs joined"
        if joined
        else f"the {st.info.get('gene_dim', '')}-D gene space"
        if st is not None
        else "gene space"
    )
    n = len(rows)
    try:  # a symbol of several genes: which one (Y_RNA (ENSG00000201001))
        focus = context.gene_label(context.gene_index(focus))
    except CoreError:
        pass
    text = (
        f"The {n} gene{'' if n == 1 else 's'} nearest to {focus} in {space} (cosine distance "
        "between gene vectors; black rings on the map). Hover a column header for what it means. "
        + pair_marks(
            coexp=_cut_known(rows),
            go=context.ontology() is not None,
            cut=_finite_cut(context, rows),
        )
    )
    no_edge = _no_coexp_edge(context, rows)
    if no_edge:
        text += f" {no_edge}"
    if getattr(context, "simulated", False):
        text += (
            " SIMULATED data: the demo's genes were made to vary together by GO term "
            "(core.simulate), so neighbours, shared GO terms and enriched terms that follow GO "
            "here show how the simulation was built, not biology."
        )
    if _no_go_terms(context):
        text += f" {NO_GO_GENES}"
    return text


#: What the neighbour line says when GO is loaded but knows none of the dataset's genes (genes
#: named otherwise than GO names them): its GO column was 0 and every pair not co-expressed
#: marked unannotated, and nothing said why.
NO_GO_GENES = (
    "No gene of this dataset has a GO biological-process term here (GO does not know their "
    "names): GO is 0 and every pair not co-expressed is marked unannotated (pale yellow), "
    "whatever GO would say of these genes."
)


def _none_known_to_go(context: Any, cols: list[int], among: str) -> str | None:
    """What the enrichment says when GO is loaded and yet none of dataset genes ``cols`` has a
    GO biological-process annotation (none in the gene table's GO column, as
    :func:`selection_info` counts them): nothing could be enriched ``among`` them, which "no
    term is enriched" did not say; None otherwise."""
    if context.ontology() is None:
        return None
    symbols = [str(context.gene_symbols[int(c)]) for c in cols if int(c) >= 0]
    if any(context.go_terms_of(symbols)):
        return None
    why = (
        "no gene of this dataset has a GO biological-process term here (GO does not know their "
        "names)"
        if _no_go_terms(context)
        else "none of them has a GO biological-process annotation here"
    )
    return f"no GO term can be enriched {among}: {why}"


def _no_coexp_edge(context: Any, rows: list[dict]) -> str | None:
    """What the neighbour line says when the model's genes are too few for a co-expression edge:
    1% of their pairs rounds to none (fewer than 11 genes), the cut is infinite
    (:func:`core.analysis.coexpression_cut`) and every pair was marked "no" without a word; None
    otherwise, or while the cut is not known."""
    if context.state() is None or not any(r.get("coexp") in ("yes", "no") for r in rows):
        return None
    cut = context.coexp_cut(wait=0)
    if cut is None or np.isfinite(cut):
        return None
    n = int((np.asarray(context.require_state().gene_es_index) >= 0).sum())
    pairs = n * (n - 1) // 2
    said = (
        f"With {n:,} gene{'' if n == 1 else 's'} in the model, 1% of their {pairs:,} "
        f"pair{'' if pairs == 1 else 's'} is less than half a pair: no pair is a co-expression "
        "edge"
    )
    if context.ontology() is not None:
        said += " (a pair is novel when its genes share no GO term)"
    return f"{said}."


def _finite_cut(context: Any, rows: list[dict]) -> float | None:
    """The co-expression cut the neighbour rows were marked with, for the line to say (r = 0.76
    unmarked reads as a mistake without it); None while it is not known, when it failed, or
    when it is infinite (no pair is an edge: :func:`_no_coexp_edge` says so)."""
    if context.state() is None or not any(r.get("coexp") in ("yes", "no") for r in rows):
        return None
    cut = context.coexp_cut(wait=0)
    return float(cut) if cut is not None and np.isfinite(cut) else None


def _cut_known(rows: list[dict]) -> bool:
    """Whether the neighbour rows mark co-expression edges: their ``coexp`` says yes or no (it
    is blank on every row while the co-expression cut is not known, or when it failed); rows
    without that column are taken as marked."""
    if not any("coexp" in r for r in rows):
        return True
    return any(r.get("coexp") in ("yes", "no") for r in rows)


def _no_go_terms(context: Any) -> bool:
    """Whether GO is loaded and yet no gene of the dataset has a term the pairs compare
    (:meth:`PairReferences.go_bp_matrix`); False without GO (the columns are blank then)."""
    if context.ontology() is None:
        return False
    matrix = context.go_bp_matrix()
    return matrix is not None and matrix.nnz == 0
