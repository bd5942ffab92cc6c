"""Gene names across data sets.

Looking a gene up by id or symbol, Ensembl ids without their version, and matching the genes of
new samples to a model's.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

_ENSEMBL_RE = re.compile(r"^ENS[A-Z]*G\d{6,}")

#: What an Ensembl id starts with, however short or malformed (``ENSG0001``): ENS, letters,
#: a digit. Its letters (``ENSG``) are what a "did you mean" may match (:func:`close_symbols`).
_ENSEMBL_LIKE_RE = re.compile(r"^(ENS[A-Z]*)\d")


#: An Ensembl id's version, and what follows it (GTEx's ``_PAR_Y``, a gene's copy on Y).
_VERSION_RE = re.compile(r"^(ENS[A-Z]*G\d{6,})\.\d+(.*)$")


def gene_lookup_tables(gene_ids: Any, gene_symbols: Any) -> list[dict[str, int]]:
    """The tables :func:`find_gene` looks a name up in: ids and symbols as written, then with
    case ignored, then Ensembl ids without their version (first gene of each key)."""
    tables: list[dict[str, int]] = [{}, {}, {}, {}, {}]
    for i, (gid, sym) in enumerate(zip(gene_ids, gene_symbols, strict=True)):
        gid, sym = str(gid), str(sym)
        for table, key in zip(
            tables,
            (gid, sym, gid.upper(), sym.upper(), _strip_version(gid).upper()),
            strict=True,
        ):
            table.setdefault(key, i)
    return tables


def find_gene(tables: list[dict[str, int]], name: str) -> int | None:
    """Position of the gene ``name`` names (:func:`gene_lookup_tables`), or None: an exact id or
    symbol first (a mouse ``Gata4`` beside the human ``GATA4`` found the mouse gene for
    "GATA4", and a data source replayed its gene subset onto the wrong one)."""
    name = str(name).strip()
    up = name.upper()
    keys = (name, name, up, up, _strip_version(up))  # (ensg...1.7, in any case, too)
    return next((t[k] for t, k in zip(tables, keys, strict=True) if k in t), None)


def ids_are_symbols(gene_ids: Any, gene_symbols: Any) -> bool:
    """Whether genes are named by symbols alone: every id is its symbol (a matrix whose gene
    columns are symbols). A table of them then leaves the id column out: it repeated the
    symbol column beside it."""
    ids = np.asarray(gene_ids).astype(str)
    return np.array_equal(ids, np.asarray(gene_symbols).astype(str))


def _strip_version(gene_id: str) -> str:
    """``ENSG00000117118.9`` -> ``ENSG00000117118`` (Ensembl ids only; others unchanged).

    A suffix after the version stays: ``ENSG00000092054.12_PAR_Y`` -> ``ENSG00000092054_PAR_Y``
    (GTEx's copy of a pseudoautosomal gene on Y is another row than the gene on X: both lost
    their suffix, and the later row answered for the id of the earlier).
    """
    match = _VERSION_RE.match(gene_id)
    return match.group(1) + match.group(2) if match else gene_id


def match_genes(model_ids: Any, model_symbols: Any, ids: Any, symbols: Any) -> np.ndarray:
    """For each gene of a new table (``ids``, ``symbols``), its row among a model's genes, or
    -1 when it is not one of them.

    A gene is matched by id first (Ensembl version ignored). The model's genes left unmatched
    are then matched by symbol or id in any case (``Gata4`` to ``GATA4``), gene by gene: a
    table with a few ids in common and the rest named otherwise keeps all its genes. Each model
    gene takes one column, the first that names it.
    """
    model_ids = [_strip_version(str(g)) for g in np.asarray(model_ids).astype(str)]
    model_symbols = [str(g) for g in np.asarray(model_symbols).astype(str)]
    ids = [_strip_version(str(g)) for g in np.asarray(ids).astype(str)]
    symbols = [str(g) for g in np.asarray(symbols).astype(str)]
    rows = np.full(len(ids), -1, dtype=np.int64)
    taken: set[int] = set()
    by_id: dict[str, int] = {}
    for i, g in enumerate(model_ids):
        by_id.setdefault(g, i)
    for j, g in enumerate(ids):
        i = by_id.get(g)
        if i is not None and i not in taken:
            rows[j] = i
            taken.add(i)
    if len(taken) == len(model_ids):
        return rows
    by_name: dict[str, int] = {}
    for names in (model_symbols, model_ids):  # a symbol before an id of the same spelling
        for i, name in enumerate(names):
            if i not in taken:
                by_name.setdefault(name.upper(), i)
    # an empty name is no name: genes given without a symbol matched each other by it
    by_name.pop("", None)
    for j, (g, sym) in enumerate(zip(ids, symbols, strict=True)):
        if rows[j] >= 0:
            continue
        for name in (sym, g):
            i = by_name.get(name.upper())
            if i is not None and i not in taken:
                rows[j] = i
                taken.add(i)
                break
    return rows


#: Symbols a "did you mean" names, at most (:func:`close_symbols`).
CLOSE_SYMBOLS = 5


def names_starting(text: str, symbols: Any, ids: Any) -> tuple[list[int], list[int]]:
    """Positions of the genes whose symbol or id (``ids``; an Ensembl version in ``text`` is
    ignored) starts with ``text``, in any case, shortest symbol first; and of those whose symbol
    contains it: how the page's gene search and a "did you mean" find names."""
    t = _strip_version(str(text or "").strip().upper())
    if not t:
        return [], []
    symbols = [str(s) for s in np.asarray(symbols).astype(str)]
    starts, contains = [], []
    for j, (s, g) in enumerate(zip(symbols, np.asarray(ids).astype(str), strict=True)):
        su, gu = s.upper(), str(g).upper()
        if su.startswith(t) or gu.startswith(t):
            starts.append(j)
        elif t in su:
            contains.append(j)
    starts.sort(key=lambda j: (len(symbols[j]), symbols[j]))
    return starts, contains


def close_symbols(
    query: str, symbols: Any, ids: Any = None, limit: int = CLOSE_SYMBOLS
) -> list[str]:
    """Symbols among ``symbols`` (genes named also by ``ids``) that a name not found may have
    meant (``MYH77``: MYH7, MYH11): those that start with (then contain) its first 3
    characters (:func:`names_starting`), at most ``limit``; none for a name shorter than 2
    characters, nor for an Ensembl id (every id starts with ``ENS``: an unknown id was answered
    "did you mean APC, DSP, GLA, NF2, OTC?" on GTEx).

    A name shaped as an id, ENS then letters then digits (``ENSG0001``, too short for one), is
    read as one: only symbols that start with its letters and are no id are close to it
    (``ENSAP4``: ENSA, ENSAP1; ``ENSG0001``: none, where it was given 5 symbols starting with
    ``ENS``)."""
    q = str(query or "").strip()
    if len(q) < 2 or _ENSEMBL_RE.match(q.upper()) is not None:
        return []
    symbols = np.asarray(symbols).astype(str)
    id_like = _ENSEMBL_LIKE_RE.match(q.upper())
    if id_like is not None:
        letters = id_like.group(1)
        close = [
            s
            for s in map(str, symbols)
            if s.upper().startswith(letters) and _ENSEMBL_RE.match(s.upper()) is None
        ]
        return sorted(set(close), key=lambda s: (len(s), s))[:limit]
    starts, contains = names_starting(q[:3], symbols, symbols if ids is None else ids)
    return [str(symbols[j]) for j in (starts + contains)[:limit]]


def did_you_mean(close: dict[str, list[str]], name_entries: bool = False) -> str:
    """The end of the message of a gene not found, from entry -> symbols close to it
    (:func:`close_symbols`): `` (did you mean MYH7, MYH11?)``; with ``name_entries`` (a message
    naming several entries) each entry is named: `` (did you mean MYH7, MYH11 for MYH77; TNNT2
    for TNNT22?)``. Empty when no entry has a close symbol."""
    parts = [
        ", ".join(symbols) + (f" for {entry}" if name_entries else "")
        for entry, symbols in close.items()
        if symbols
    ]
    return f" (did you mean {'; '.join(parts)}?)" if parts else ""


def case_folded(
    model_ids: Any, model_symbols: Any, ids: Any, symbols: Any, rows: np.ndarray
) -> list[tuple[str, str]]:
    """The genes of a new table that :func:`match_genes` (its answer: ``rows``) matched to a
    model gene only in another case (``myh7`` to ``MYH7``), as (name in the table, the model
    gene's symbol), in the table's order."""
    model_ids = np.asarray(model_ids).astype(str)
    model_symbols = np.asarray(model_symbols).astype(str)
    ids, symbols = np.asarray(ids).astype(str), np.asarray(symbols).astype(str)
    folded = []
    for j in np.flatnonzero(np.asarray(rows) >= 0):
        i = int(rows[j])
        own = {str(model_symbols[i]), _strip_version(str(model_ids[i]))}
        if not own & {str(symbols[j]), _strip_version(str(ids[j]))}:
            folded.append((str(symbols[j]) or str(ids[j]), str(model_symbols[i])))
    return folded


def shared_name_note(
    model_ids: Any, model_symbols: Any, ids: Any, symbols: Any, rows: np.ndarray | None = None
) -> str | None:
    """What :func:`match_genes` did with a new table's genes named by a symbol that several
    model genes share (GTEx's ABO, MHC haplotypes): each filled the first of them and the others
    stayed absent. None when no such gene was matched by name. ``rows``: ``match_genes``'s
    answer when at hand."""
    counts = pd.Series(np.asarray(model_symbols).astype(str)).str.upper().value_counts()
    counts = counts[counts > 1]
    if counts.empty:  # (the usual case: said at once, on every transform of every chunk)
        return None
    names = pd.Series(np.asarray(symbols).astype(str)).str.upper()
    candidates = np.flatnonzero(names.isin(counts.index).to_numpy())
    if not candidates.size:
        return None
    model_ids = np.asarray(model_ids).astype(str)
    if rows is None:
        rows = match_genes(model_ids, model_symbols, ids, symbols)
    ids = np.asarray(ids).astype(str)
    shown = np.asarray(symbols).astype(str)
    shared = []
    for j in candidates:
        i = int(rows[j])
        if i >= 0 and _strip_version(ids[j]) != _strip_version(model_ids[i]):  # by name
            shared.append(f"{shown[j]} ({int(counts[names[j]])} model genes)")
    if not shared:
        return None
    one = len(shared) == 1
    return (
        f"{len(shared)} gene{'' if one else 's'} of the new samples, named by symbol, "
        f"{'names' if one else 'name'} several genes of the model: {', '.join(shared[:5])}"
        f"{', ...' if len(shared) > 5 else ''}; the values fill the first of them, and the "
        "others count as absent (name genes by Ensembl id to tell them apart)"
    )
