"""Genes of a model found by the names a biologist types, and the table of their nearest genes.

:func:`find_genes` is the lookup of ``python -m core neighbours --genes``; :func:`neighbour_table`
is that command's table, from Python, for a fitted model.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from core.analysis.common import _as_matrix, _reject_nan
from core.analysis.gene_space import GENE_METRICS, unit_rows
from core.data import _ENSEMBL_RE, _strip_version, mark_simulated
from core.errors import CoreError, DataError, ModelError, first_names

log = logging.getLogger("core.analysis")

#: Unknown gene names listed (and looked up for a near spelling) in the lookup's messages.
_NAMED_UNKNOWN = 10

#: The columns of :func:`neighbour_table`, as ``python -m core neighbours`` prints them.
NEIGHBOUR_COLUMNS = ("gene", "gene_id", "rank", "neighbour", "neighbour_id", "distance")


class FoundGenes(NamedTuple):
    """What :func:`find_genes` found.

    Attributes
    ----------
    rows : list of int
        Rows of the model's genes (``gene_ids_``), in the order asked; a gene asked under two
        spellings is there twice.
    found : list of str
        The names found, one per row, as given.
    notes : list of (int, str)
        What the caller should say, in order, each with its logging level: ``INFO`` for an
        Ensembl id read through the GO snapshot, ``WARNING`` for a symbol of several genes and
        for names not found (the last note).
    """

    rows: list[int]
    found: list[str]
    notes: list[tuple[int, str]]


def find_genes(model: Any, genes: Iterable[str]) -> FoundGenes:
    """The rows of genes of a model, given by symbol or id.

    A name is looked up as written (``Tp53`` beside ``TP53`` finds its own), then in any case,
    then as an Ensembl id without its version (``ENSG00000092054`` finds
    ``ENSG00000092054.12``, not its ``_PAR_Y`` copy). An Ensembl id the model lacks is read as
    its symbol in the bundled GO snapshot's gene table, and finds a gene that the model names
    by that symbol alone (every gene of a model of symbols; in a model of Ensembl ids, a gene
    its data named by symbol, such as one of several ids in the snapshot: ``GATA4``), never
    one named by another Ensembl id.
    A symbol of several genes (GTEx: ``Y_RNA``) finds the first. Names found nowhere are left
    out, with a near spelling or the loading step that left them out of the training data.

    Parameters
    ----------
    model
        Anything with ``gene_ids_`` and ``gene_symbols_`` (a fitted ``FactorizedEmbeddings``).
    genes
        Symbols or ids (surrounding blanks ignored).

    Returns
    -------
    FoundGenes
        The rows found, the names found and the notes to say; nothing is printed or logged.

    Raises
    ------
    DataError
        When no name is a gene of the model (the message names them).
    """
    queries = [str(g) for g in genes]
    ids = {_strip_version(str(g)).upper(): i for i, g in enumerate(model.gene_ids_)}
    exact_ids = {str(g): i for i, g in enumerate(model.gene_ids_)}
    exact: dict[str, list[int]] = {}  # symbols as written: Tp53 beside TP53 each finds its own
    symbols: dict[str, list[int]] = {}
    for i, s in enumerate(model.gene_symbols_):
        exact.setdefault(str(s), []).append(i)
        symbols.setdefault(str(s).upper(), []).append(i)
    rows: list[int] = []
    found: list[str] = []
    unknown: list[str] = []
    notes: list[tuple[int, str]] = []
    # an Ensembl id the model lacks, read as its symbol in the bundled gene table, finds only a
    # gene that the model names by symbol alone (all of them in a model of symbols, a few in a
    # lab's matrix of Ensembl ids where the snapshot lists several ids for GATA4); in a model of
    # Ensembl ids alone an id it lacks is not one of its genes, whatever that id's symbol
    by_symbol = [not _ENSEMBL_RE.match(str(g).upper()) for g in model.gene_ids_]
    mixed = not all(by_symbol)
    by_id = (
        _symbols_of_ensembl_ids(
            [
                q
                for q in queries
                if q.strip() not in exact_ids
                and q.strip().upper() not in symbols
                and _strip_version(q.strip().upper()) not in ids
            ]
        )
        if any(by_symbol)
        else {}
    )
    for q in queries:
        key = q.strip().upper()
        if q.strip() in exact_ids:
            shared, i = [], exact_ids[q.strip()]
        else:
            shared = exact.get(q.strip()) or symbols.get(key, [])
            i = shared[0] if shared else ids.get(_strip_version(key))
        if i is None and q.strip() in by_id:
            # the id's symbol in the bundled gene table, among the genes named by symbol alone
            symbol = by_id[q.strip()]
            shared = [j for j in exact.get(symbol, []) if by_symbol[j]] or [
                j for j in symbols.get(symbol.upper(), []) if by_symbol[j]
            ]
            i = shared[0] if shared else None
            if i is not None:
                how = (
                    "the model names that gene by its symbol, not by an Ensembl id"
                    if mixed
                    else "the model names its genes by symbol"
                )
                notes.append(
                    (
                        logging.INFO,
                        f"{q.strip()} is {symbol} in the GO snapshot's gene table ({how})",
                    )
                )
        if i is None:
            unknown.append(q)
            continue
        rows.append(i)
        found.append(q)
        if len(shared) > 1:  # GTEx: Y_RNA, and other symbols of several Ensembl ids
            others = [str(model.gene_ids_[j]) for j in shared[1:4]]
            notes.append(
                (
                    logging.WARNING,
                    f"{q} names {len(shared)} of the model's genes; listed for the first, "
                    f"{model.gene_ids_[i]}; give the id of another ({', '.join(others)}"
                    f"{', ...' if len(shared) > 4 else ''}) for its neighbours",
                )
            )
    if unknown:
        listed, what = _unknown_words(model, unknown)
        if not rows:
            raise DataError(f"unknown gene(s) {listed}: {what}")
        # one gene left out of a model (a typo, a gene dropped by --top-genes) does not cost
        # the neighbours of the others
        notes.append((logging.WARNING, f"{listed} left out: {what}"))
    return FoundGenes(rows, found, notes)


def _unknown_words(model: Any, unknown: list[str]) -> tuple[str, str]:
    """The unknown names, listed, and why they are not genes of the model, in words (a near
    spelling, the loading step that left a gene out)."""
    what = (
        f"not among the model's {len(model.gene_ids_)} genes (symbols or ids, e.g. "
        f"{', '.join(map(str, list(model.gene_symbols_)[:3]))})"
    )
    left_out = left_out_genes(getattr(model, "data_source_", None) or {})
    names = [str(s) for s in model.gene_symbols_]
    hinted = unknown[:_NAMED_UNKNOWN]  # (5,000 unknown names: a 34 KB line, and slow)
    upper = [n.upper() for n in names]
    close = {q: difflib.get_close_matches(q.strip().upper(), upper, 3, 0.75) for q in hinted}
    by_upper = {n.upper(): n for n in names}
    hints, explained = [], 0
    for q in hinted:
        why = left_out.get(_strip_version(q.strip().upper()))
        if why:  # not a typo: the gene was in the data, and left out before training
            hints.append(f"{q} was left out before training ({why})")
            explained += 1
        elif close[q]:
            hints.append(f"{q}: did you mean {' or '.join(by_upper[c] for c in close[q])}?")
    if hints:
        what += "; " + "; ".join(hints)
    dropped = _dropping_steps(getattr(model, "data_source_", None) or {})
    if dropped and explained < len(unknown):  # (said already of each one named so)
        what += f"; genes left out before training ({dropped}) are not in it"
    listed = first_names(unknown, _NAMED_UNKNOWN)
    if len(unknown) > _NAMED_UNKNOWN:
        listed = f"{len(unknown):,} of them: {listed}"
    return listed, what


def _symbols_of_ensembl_ids(queries: list[str]) -> dict[str, str]:
    """The symbol of each Ensembl gene id among ``queries`` (version ignored) in the bundled GO
    snapshot's gene table, for a model with genes named by symbol alone; {} when none is an
    Ensembl id, or the table is not there."""
    wanted = [q.strip() for q in queries if _ENSEMBL_RE.match(q.strip().upper())]
    if not wanted:
        return {}
    from core.annotations import GeneOntology

    quiet = logging.getLogger("core.annotations")  # its "n of m ids unmatched": said below
    level = quiet.level
    if not log.isEnabledFor(logging.DEBUG):
        quiet.setLevel(logging.WARNING)
    try:
        table = GeneOntology.load().map_genes([q.upper() for q in wanted])
    except (CoreError, OSError) as exc:
        log.debug("Ensembl ids not looked up in the GO snapshot: %s", exc)
        return {}
    finally:
        quiet.setLevel(level)
    hit = table["matched"].to_numpy(dtype=bool) & (table["symbol"].astype(str) != "").to_numpy()
    return {q: str(s) for q, s, h in zip(wanted, table["symbol"], hit, strict=True) if h}


def read_aliases(
    gene_ids: Any, gene_symbols: Any, queries: list[str], go: Any = None
) -> dict[str, tuple[str | None, str]]:
    """For each of ``queries`` that is no name of the genes (``gene_ids``, ``gene_symbols``)
    but an alias in the GO snapshot's gene table: the name to look up instead (the gene's
    symbol, or its id where the symbol names several genes) and the line that says so
    (``HER2 read as ERBB2, its alias``), or None and why it is not read (an alias of several of
    the genes, or of genes not among them). A symbol or id of the genes always wins.

    ``go``: a :class:`core.annotations.GeneOntology` with aliases (default: the snapshot,
    loaded only when some query is no name of the genes); {} when it cannot be loaded.
    """
    symbols = [str(s) for s in np.asarray(gene_symbols).astype(str)]
    ids = [str(g) for g in np.asarray(gene_ids).astype(str)]
    names = {s.upper() for s in symbols} | {_strip_version(g).upper() for g in ids}
    asked = [
        q.strip()
        for q in queries
        if q.strip()
        and _strip_version(q.strip().upper()) not in names
        and not _ENSEMBL_RE.match(q.strip().upper())
        and not any(ch in q for ch in "*?[")
    ]
    if not asked:
        return {}
    if go is None or not getattr(go, "_alias_name", ()).size:
        from core.annotations import GeneOntology

        quiet = logging.getLogger("core.annotations")  # (its "n of m ids unmatched")
        level = quiet.level
        quiet.setLevel(max(level, logging.WARNING))
        try:
            go = GeneOntology.load()
        except (CoreError, OSError):
            return {}
        finally:
            quiet.setLevel(level)
    table = go.dataset_aliases(ids, symbols)
    upper = pd.Series([s.upper() for s in symbols])
    shared = set(upper[upper.duplicated()])
    out: dict[str, tuple[str | None, str]] = {}
    for q in dict.fromkeys(asked):
        hit = table.get(q.upper()) or go.absent_alias(q)
        if hit is None:
            continue
        j = hit.column
        if j is None:
            out[q] = (None, hit.why_not(q, "in the model"))
        else:
            out[q] = (ids[j] if symbols[j].upper() in shared else symbols[j], hit.read_as(q))
    return out


def left_out_genes(source: dict[str, Any]) -> dict[str, str]:
    """The genes that the recorded loading steps of a model's data name as left out (symbols
    and ids, upper case, Ensembl versions dropped) -> why, in words."""
    out: dict[str, str] = {}
    for step in source.get("steps") or []:
        if isinstance(step, dict) and step.get("op") == "drop_zero_genes":
            for name in [*(step.get("dropped") or []), *(step.get("dropped_ids") or [])]:
                out.setdefault(_strip_version(str(name).upper()), "0 in every sample")
    return out


def _dropping_steps(source: dict[str, Any]) -> str:
    """Why the recorded loading steps of a model's data left genes out, in words (empty if
    none): ``0 in every sample; outside the 5000 most variable (--top-genes)``."""
    words = []
    for step in source.get("steps") or []:
        op = step.get("op") if isinstance(step, dict) else None
        if isinstance(step, dict) and step.get("n_dropped", 1) == 0:  # it left no gene out
            continue
        if op == "drop_zero_genes":
            words.append("0 in every sample")
        elif op == "detected_genes":
            words.append(f"above 0 in fewer than {step.get('min_fraction')} of the samples")
        elif op == "top_variable_genes":
            words.append(f"outside the {step.get('n')} most variable (--top-genes)")
    return "; ".join(words)


def _listed_once(model: Any, rows: list[int], names: list[str]) -> tuple[list[int], list[str]]:
    """The rows found for ``names`` (:func:`find_genes`) each once (TBX5, tbx5 and its id are
    one gene), in the order asked, and a note for each name that repeats a gene listed."""
    once: list[int] = []
    notes = []
    for row, query in zip(rows, names, strict=True):
        if row in once:
            notes.append(
                f"{query} is {model.gene_symbols_[row]} ({model.gene_ids_[row]}): listed once"
            )
        else:
            once.append(row)
    return once, notes


def neighbour_table(
    model: Any, genes: str | Iterable[str], k: int = 10, metric: str = "cosine"
) -> pd.DataFrame:
    """The genes nearest to some genes in a fitted model's gene space, as a table.

    The table of ``python -m core neighbours --model DIR --genes ... --k K`` (one model),
    from Python: ``neighbour_table(fe, "GATA4", k=10)``. Genes are found as that command finds
    them (:func:`find_genes`: symbol or id, any case, Ensembl version ignored); a gene asked
    under two names is listed once. Neighbours and distances are those of
    :func:`gene_neighbors` on ``model.gene_embedding_``, for the genes asked only.

    Parameters
    ----------
    model
        A fitted ``FactorizedEmbeddings``, or anything with ``gene_embedding_`` (n_genes,
        gene_dim), ``gene_ids_`` and ``gene_symbols_`` (n_genes,).
    genes
        A gene symbol or id, or a list of them.
    k
        Neighbours per gene, 1 to n_genes - 1.
    metric
        ``cosine`` (default, as the command: ``1 - cos`` of the two gene vectors, 0 = same
        direction, 1 = unrelated, 2 = opposite) or ``euclidean``.

    Returns
    -------
    DataFrame
        One row per (gene asked, neighbour), nearest first, with the columns ``gene``,
        ``gene_id`` (the gene asked, named as the model names it), ``rank`` (1 = the nearest),
        ``neighbour``, ``neighbour_id`` and ``distance`` (float64, not rounded); first, for a
        model of simulated data (``simulated_``), ``data`` = ``SIMULATED``.

    Raises
    ------
    DataError
        When no gene asked is a gene of the model (the message names them). Names not found
        beside others that are: logged as a warning naming them, and left out of the table.
    CoreError
        A bad ``k`` or ``metric``, no gene given; ModelError for a model without genes.
    """
    if metric not in GENE_METRICS:
        raise CoreError(f"metric must be one of {GENE_METRICS}, got {metric!r}")
    # (an unfitted FactorizedEmbeddings says so itself, from gene_embedding_)
    embedding = getattr(model, "gene_embedding_", None)
    gene_ids = getattr(model, "gene_ids_", None)
    gene_symbols = getattr(model, "gene_symbols_", None)
    if embedding is None or gene_ids is None or gene_symbols is None:
        raise ModelError(
            "model has no gene_embedding_, gene_ids_ or gene_symbols_: give a fitted "
            f"FactorizedEmbeddings, got {type(model).__name__}"
        )
    emb = _as_matrix(embedding, "gene_embedding_")
    _reject_nan(emb, "gene_embedding_")
    n_genes = emb.shape[0]
    if len(gene_ids) != n_genes or len(gene_symbols) != n_genes:
        raise ModelError(
            f"model has {n_genes} gene vectors for {len(gene_ids)} gene_ids_ and "
            f"{len(gene_symbols)} gene_symbols_: one each"
        )
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise CoreError(f"k (neighbours) must be an integer, got {k!r}")
    if not 1 <= k < n_genes:
        raise CoreError(f"k must be between 1 and {n_genes - 1} (the model's genes - 1), got {k}")
    try:
        queries = [genes] if isinstance(genes, str) else [str(g) for g in genes]
    except TypeError:  # (None, a number)
        raise CoreError(
            f"genes must be a gene symbol or id, or a list of them, got {genes!r}"
        ) from None
    queries = [q for q in queries if q.strip()]
    if not queries:
        raise CoreError("genes: give at least one gene symbol or id")
    found = find_genes(model, queries)
    for level, note in found.notes:
        log.log(level, note)
    rows, repeated = _listed_once(model, found.rows, found.found)
    for note in repeated:
        log.info(note)
    # the distances gene_neighbors takes (cosine: half the squared distance between unit
    # vectors), for the genes asked only: not a search over every gene of the model
    points = unit_rows(emb) if metric == "cosine" else emb.astype(np.float64)
    symbols = np.asarray(gene_symbols).astype(str)
    ids = np.asarray(gene_ids).astype(str)
    parts = []
    for m in rows:
        squared = ((points - points[m]) ** 2).sum(axis=1)
        d = squared / 2 if metric == "cosine" else np.sqrt(squared)
        d[m] = np.inf
        idx = np.argsort(d, kind="stable")[:k]
        parts.append(
            pd.DataFrame(
                {
                    "gene": symbols[m],
                    "gene_id": ids[m],
                    "rank": np.arange(1, len(idx) + 1),
                    "neighbour": symbols[idx],
                    "neighbour_id": ids[idx],
                    "distance": d[idx],
                }
            )
        )
    table = pd.concat(parts, ignore_index=True)[list(NEIGHBOUR_COLUMNS)]
    if getattr(model, "simulated_", False) is True:  # not findings: said as the command says it
        mark_simulated(table)
    return table
