"""Gene Ontology for an :class:`~dashboard.context.AppContext` (:class:`GeneAnnotations`, a
part of it): the ontology loaded once, each gene's name, type and GO terms, the enrichment of a
gene list against the dataset's genes, the GO terms searched by name and a term's genes.

Genes are mapped to GO as the enrichment's background is: by Ensembl id when the dataset has
them, the symbol as a hint (:meth:`GeneAnnotations._gene_queries`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import CoreError, DataError
from dashboard.uploads import quoted

log = logging.getLogger(__name__)

#: Sets of genes whose GO term counts are kept (:meth:`GeneAnnotations.go_term_counts`): every
#: gene, and the genes of the gene map of each model shown.
GO_COUNT_SETS = 8


class GeneAnnotations:
    """The GO annotations of an :class:`~dashboard.context.AppContext`'s genes (a part of it).

    Uses the context's ``config`` (GO files, evidence left out), genes (``es``, ``gene_ids``,
    ``gene_symbols``, ``n_genes``, :meth:`gene_index`), lock and caches (``_ontology``,
    ``_ontology_error``, ``_gene_table``).
    """

    def ontology(self) -> Any:
        """The :class:`core.annotations.GeneOntology` snapshot (None when it cannot be loaded)."""
        with self._lock:
            if self._ontology is None and self._ontology_error is None:
                try:
                    from core.annotations import GeneOntology

                    cfg = self.config
                    if cfg.go_gaf is not None:
                        self._ontology = GeneOntology.from_gaf(
                            cfg.go_gaf, cfg.go_obo, exclude_evidence=cfg.go_exclude_evidence
                        )
                    else:
                        self._ontology = GeneOntology.load(exclude_evidence=cfg.go_exclude_evidence)
                except (ImportError, CoreError, OSError) as exc:
                    self._ontology_error = f"Gene Ontology not available ({exc})"
                    log.warning(self._ontology_error)
            return self._ontology

    def ontology_caption(self) -> str:
        """Which GO the gene tables use (source, release, evidence), without loading it."""
        cfg = self.config
        loaded = self._ontology
        if cfg.go_gaf is not None and loaded is not None:
            # once read, the files' species, dates and release (the file names alone did not
            # say which GO release the page uses)
            text = f"GO: {loaded.metadata.get('source', Path(cfg.go_gaf).name)}"
            text += f", release {loaded.release}"
        elif cfg.go_gaf is not None:
            text = f"GO: {Path(cfg.go_gaf).name} + {Path(cfg.go_obo).name}"
        else:
            from core.annotations import SNAPSHOT_DIR

            try:
                meta = json.loads((SNAPSHOT_DIR / "metadata.json").read_text())
            except (OSError, ValueError):
                meta = {}
            text = f"GO: bundled snapshot, release {meta.get('go_release', 'unknown')}"
        if cfg.go_exclude_evidence:
            text += f"; evidence {', '.join(cfg.go_exclude_evidence)} left out"
        return text

    def _gene_queries(self) -> list[str]:
        """Ids to map genes to GO by: Ensembl ids when the dataset has them, else symbols.
        Mapped with the symbols as hints (:meth:`_gene_hints`): an id that GO does not know
        (a GO read from a GAF knows symbols only) falls back to its symbol, and the symbol
        decides between the genes that share an Ensembl id (WNT3's id is also listed for an
        ncRNA)."""
        return [
            g if g.upper().startswith("ENSG") else s
            for g, s in zip(self.gene_ids, self.gene_symbols, strict=True)
        ]

    def _gene_hints(self) -> list[str]:
        """The symbol of each gene, beside :meth:`_gene_queries` when GO maps genes."""
        return [str(s) for s in self.gene_symbols]

    def gene_table(self) -> pd.DataFrame:
        """One row per dataset gene: ``symbol, gene_id, name, gene_type`` (strings)."""
        with self._lock:
            if self._gene_table is not None:
                return self._gene_table
        table = pd.DataFrame({"symbol": self.gene_symbols, "gene_id": self.gene_ids})
        genes = getattr(self.es, "genes", None)
        if isinstance(genes, pd.DataFrame) and len(genes) == self.n_genes:
            for src, dst in (("name", "name"), ("gene_type", "gene_type"), ("type", "gene_type")):
                if src in genes.columns and dst not in table.columns:
                    table[dst] = genes[src].astype(str).to_numpy()
        if "name" not in table.columns or "gene_type" not in table.columns:
            go = self.ontology()
            if go is not None:
                mapped = go.map_genes(self._gene_queries(), symbols=self._gene_hints())
                for col in ("name", "gene_type"):
                    if col not in table.columns:
                        table[col] = mapped[col].astype(str).to_numpy()
        for col in ("name", "gene_type"):
            if col not in table.columns:
                table[col] = ""
            table[col] = table[col].replace({"None": "", "nan": "", "<NA>": ""}).fillna("")
        table.loc[table["gene_type"].isin(["", "unmapped"]), "gene_type"] = "unknown"
        with self._lock:
            self._gene_table = table
        return table

    def _go_rows(self, go: Any) -> np.ndarray:
        """(n_genes,) int: each dataset gene's row of ``go.genes`` (-1: not in GO), mapped as
        the enrichment's background is (:meth:`_gene_queries`)."""
        with self._lock:
            cached = getattr(self, "_go_rows_cache", None)
            if cached is None or cached[0] is not go:
                rows = go.map_genes(self._gene_queries(), symbols=self._gene_hints())
                cached = (go, rows["gene_index"].to_numpy(dtype=np.int64))
                self._go_rows_cache = cached
            return cached[1]

    def _go_direct(self) -> tuple[Any, np.ndarray, np.ndarray, dict[str, int]] | None:
        """Direct GO BP annotations as (csr genes x terms, BP mask, term names, symbol -> row)."""
        go = self.ontology()
        if go is None:
            return None
        with self._lock:
            cached = getattr(self, "_go_direct_cache", None)
            if cached is None:
                rows = {
                    s: int(g)
                    for s, g in zip(self.gene_symbols, self._go_rows(go), strict=True)
                    if int(g) >= 0
                }
                # the root term (GO:0008150 "biological_process") marks a process unknown
                # (evidence ND): listed, it read as one of the gene's processes
                roots = {"GO:0008150", "GO:0003674", "GO:0005575"}
                cached = (
                    go.direct_matrix,
                    ((go.terms["ontology"] == "BP") & ~go.terms.index.isin(roots)).to_numpy(),
                    go.terms["name"].astype(str).to_numpy(),
                    rows,
                )
                self._go_direct_cache = cached
            return cached

    def go_terms_of(
        self, symbols: Sequence[str], max_terms: int | None = 3, shared_with: str | None = None
    ) -> list[str]:
        """The first ``max_terms`` direct GO biological-process terms of each gene (``; ``-joined,
        ``(+n)`` for the n left out); None: all of them. With ``shared_with`` (the symbol of the
        gene whose neighbours these are), the terms a gene shares with it come first: MYL2's
        "cardiac muscle contraction" beside MYH7 was among its "+7", after three terms of lower
        GO ids."""
        direct = self._go_direct()
        if direct is None:
            return [""] * len(symbols)
        csr, bp, names, rows = direct

        def terms(k: int) -> np.ndarray:
            cols = np.sort(csr.indices[csr.indptr[k] : csr.indptr[k + 1]])
            return cols[bp[cols]]

        query = rows.get(shared_with) if shared_with is not None else None
        ours = terms(query) if query is not None else np.zeros(0, dtype=np.int64)
        out = []
        for s in symbols:
            k = rows.get(s)
            if k is None:
                out.append("")
                continue
            cols = terms(k)
            if len(ours):  # (a stable sort: the shared terms first, each part in GO id order)
                cols = cols[np.argsort(~np.isin(cols, ours), kind="stable")]
            shown = [str(n) for n in names[cols if max_terms is None else cols[:max_terms]]]
            more = len(cols) - len(shown)
            out.append("; ".join(shown) + (f" (+{more})" if more > 0 else ""))
        return out

    def enricher(self, background: Sequence[int] | None = None) -> Any:
        """The GO BP enricher against this dataset's genes, or against the dataset columns
        ``background`` (built once for each; None without GO)."""
        go = self.ontology()
        if go is None:
            return None
        key = None
        if background is not None:
            background = np.unique(np.asarray(background, dtype=np.int64))
            key = hashlib.sha1(background.tobytes()).hexdigest()
        with self._lock:
            built = getattr(self, "_enrichers", None)
            if built is None or len(built) > GO_COUNT_SETS:  # every gene, each model's genes
                built = self._enrichers = {}
            if key not in built:
                queries, hints = self._gene_queries(), self._gene_hints()
                if background is not None:
                    queries = [queries[c] for c in background]
                    hints = [hints[c] for c in background]
                built[key] = go.enricher(queries, ontology="BP", symbols=hints)
            return built[key]

    def enrichment(
        self,
        genes: Sequence[str | int],
        max_fdr: float = 0.25,
        background: Sequence[int] | None = None,
    ) -> pd.DataFrame:
        """GO BP terms enriched in ``genes`` against the dataset's genes, or against the
        dataset columns ``background`` (hypergeometric, BH): a gene's neighbours are drawn
        from the model's genes only, and a gene of the data that the model left out (0 in every
        sample) or was not trained on counted in the background as a gene that could have been
        drawn.

        ``genes``: dataset columns (int), symbols or ids. They are mapped to GO as the
        background is (:meth:`_gene_queries`: by Ensembl id when the dataset has them, the
        symbol as a hint): mapped by symbol, a gene whose symbol names another GO gene than
        its id was left out of the set, or counted as that other gene.

        Returns
        -------
        pandas.DataFrame
            Columns ``go_id, term, ontology, n_overlap, n_term, n_list_annotated,
            n_background, p_value, fdr`` with ``fdr <= max_fdr``, sorted by p-value; empty
            when GO is not available. The test's four numbers are in it (a CSV reader could not
            reproduce the p-values from ``k + 1`` and the dataset's size): the list's genes
            with a GO BP annotation (``n_list_annotated``) among the background's annotated
            genes (``n_background``).
        """
        columns = [
            "go_id",
            "term",
            "ontology",
            "n_overlap",
            "n_term",
            "n_list_annotated",
            "n_background",
            "p_value",
            "fdr",
        ]
        enr = self.enricher(background)
        if enr is None or not len(genes):
            return pd.DataFrame(columns=columns)
        queries, hints = self._gene_queries(), self._gene_hints()
        cols = [int(g) if isinstance(g, (int, np.integer)) else self.gene_index(g) for g in genes]
        res = enr.enrich(
            [queries[c] for c in cols],
            min_overlap=2 if len(genes) > 3 else 1,
            symbols=[hints[c] for c in cols],
        )
        res = res.rename(
            columns={
                "name": "term",
                "n_in_set": "n_overlap",
                "n_in_background": "n_term",
                "set_size": "n_list_annotated",
                "background_size": "n_background",
            }
        )
        # (not rounded: the page shows 2 significant figures of these, the CSV file all; 3
        # here, then 2 there, showed 6.1453e-05 as 6.2e-5)
        return res[res["fdr"] <= max_fdr][columns].reset_index(drop=True)

    def _go_search_table(self, go: Any) -> tuple[list[str], list[str], list[str], np.ndarray]:
        """Each GO term's name in lower case, its words each after a space (``" pro t cell
        differentiation"``: a word of the name starts where a space and the word are), its id
        in lower case and whether it is BP, in ``go.terms`` order: made once for
        :meth:`search_go_terms`, which runs per keystroke."""
        with self._lock:
            cached = getattr(self, "_go_search_cache", None)
            if cached is None or cached[0] is not go:
                lower = go.terms["name"].astype(str).str.lower()
                cached = (
                    go,
                    (
                        lower.tolist(),
                        (" " + lower.str.replace(r"[\W_]+", " ", regex=True)).tolist(),
                        go.terms.index.astype(str).str.lower().tolist(),
                        (go.terms["ontology"] == "BP").to_numpy(),
                    ),
                )
                self._go_search_cache = cached
            return cached[1]

    def search_go_terms(
        self, text: str, limit: int = 30, columns: np.ndarray | None = None
    ) -> list[tuple[str, str]]:
        """GO terms whose id or name contains ``text``, or each of its words in any order
        ("transcription negative regulation") -> [(go_id, name)], at most ``limit``, in the
        order a reader looks for them:

        1. the terms of genes among the dataset columns ``columns`` (None: every gene;
           :meth:`go_term_counts`) before the terms of none, wherever ``text`` is in their
           name: ranked by name alone, "respiratory" listed "respiratory burst" (no gene of the
           data) first, and terms of genes here could be cut off by terms of none;
        2. where ``text`` is: a name that starts with it (or an id that holds it), then a name
           that holds it at the start of a word, then one that holds each of its words at the
           start of a word, in any order, then a name that holds it (or its words) inside a
           word only ("T cell" is in "mast cell": ranked by length alone, "mast cell
           activation" came before "T cell differentiation"; "poiesis" still finds
           "hemopoiesis");
        3. BP terms first, then the terms of more genes here first ("T cell activation", 11
           genes of the 26 tissues', before "T cell migration", 1), then shorter names.
        """
        go = self.ontology()
        # spaces as one ("  T   cell " listed "cellular response to stimulus" first)
        t = " ".join((text or "").lower().split())
        if go is None or len(t) < 3:
            return []
        lower, spaced, ids, bp = self._go_search_table(go)
        n = len(lower)
        phrase = np.fromiter((t in s for s in lower), dtype=bool, count=n)
        # the phrase with its punctuation as spaces, in the names so read ("t-cell" is the
        # phrase of "T cell activation", "t helper" of "T-helper 1 type immune response")
        plain = " " + re.sub(r"[\W_]+", " ", t).strip()
        if plain.strip():
            phrase |= np.fromiter((plain[1:] in s for s in spaced), dtype=bool, count=n)
        by_id = np.fromiter((t in s for s in ids), dtype=bool, count=n)
        hit = phrase | by_id
        # a hyphen parts words too: "t-cell" found no "T cell" term
        words = [w for w in re.split(r"[\s\-]+", t) if w]
        every = np.zeros(n, dtype=bool)
        if len(words) > 1:  # (as typed, the words had to follow each other)
            every[:] = True
            for word in words:
                every &= np.fromiter((word in s for s in lower), dtype=bool, count=n)
            hit |= every
        rows = np.flatnonzero(hit)

        def at_word_start(word: str) -> np.ndarray:
            """Whether ``word`` starts a word of each name hit (after a space, hyphen or
            bracket: "pro-T cell"; not after a letter or digit: "mast cell")."""
            if not word[:1].isalnum():  # ("-beta", "(ifn": wherever it is)
                return np.fromiter((word in lower[k] for k in rows), dtype=bool, count=len(rows))
            key = " " + re.sub(r"[\W_]+", " ", word)
            return np.fromiter((key in spaced[k] for k in rows), dtype=bool, count=len(rows))

        tier = np.full(len(rows), 4, dtype=np.int64)  # its words in any order, inside words
        tier[phrase[rows]] = 3  # as typed, inside a word only
        if len(words) > 1:
            starts = np.ones(len(rows), dtype=bool)
            for word in words:
                starts &= at_word_start(word)
            tier[every[rows] & starts] = 2  # each word at the start of a word, in any order
        tier[phrase[rows] & at_word_start(t)] = 1  # as typed, at the start of a word
        first = np.fromiter(
            (lower[k].startswith(t) or spaced[k].startswith(plain) for k in rows),
            dtype=bool,
            count=len(rows),
        )
        tier[by_id[rows] | first] = 0
        length = np.fromiter((len(lower[k]) for k in rows), dtype=np.int64, count=len(rows))
        counts = self.go_term_counts(columns)[rows]
        # np.lexsort: the last key first; the terms' order breaks ties
        order = np.lexsort((rows, length, -counts, ~bp[rows], tier, counts == 0))
        terms = go.terms
        return [
            (str(terms.index[k]), f"{terms['name'].iat[k]} ({terms['ontology'].iat[k]})")
            for k in rows[order[:limit]]
        ]

    def go_term_members(self, go_id: str) -> np.ndarray:
        """(n_genes,) bool: dataset genes annotated to ``go_id`` (propagated)."""
        go = self.ontology()
        if go is None:
            raise DataError("Gene Ontology not available: cannot colour by a GO term")
        members = go.term_genes(go_id)
        # each dataset gene as the enrichment maps it: one GO gene each
        return np.isin(self._go_rows(go), members.index.to_numpy(dtype=np.int64))

    def go_unavailable(self) -> str:
        """Why the samples cannot be coloured by a GO term: the ontology could not be loaded."""
        reason = self._ontology_error or "Gene Ontology not available"
        return f"{reason}: the samples cannot be coloured by a GO term"

    def go_term(self, go_id: str) -> tuple[str, str, str]:
        """The term ``go_id`` names, as (primary id, name, ontology ``BP``/``MF``/``CC``).

        ``go_id`` in any case, or an alt_id (secondary id, as older links name terms).

        Raises
        ------
        DataError
            GO is not available, or ``go_id`` is not one of its terms (each said in one line).
        """
        go = self.ontology()
        if go is None:
            raise DataError(self.go_unavailable())
        key = str(go_id).strip().upper()
        if not re.fullmatch(r"GO:\d{7}", key):
            raise DataError(
                f"{quoted(go_id)} is not a GO id (GO: and 7 digits, such as GO:0007507)"
            )
        try:
            primary = go.primary_id(key)
        except CoreError:
            raise DataError(
                f"{key} is not a term of the Gene Ontology used here ({self.ontology_caption()})"
            ) from None
        term = go.terms.loc[primary]
        return primary, str(term["name"]), str(term["ontology"])

    def go_term_counts(self, columns: np.ndarray | None = None) -> np.ndarray | None:
        """(n_terms,) int: the dataset genes annotated to each GO term (propagated, each gene
        mapped as :meth:`go_term_members` maps it), in ``ontology().terms`` order; None without
        GO. Counted once for all terms: ``color-by`` names the count of each term it offers.

        ``columns``: the dataset genes counted (a column listed twice counts twice), such as
        those of the gene map, which holds the model's genes only; None: every gene.
        """
        go = self.ontology()
        if go is None:
            return None
        key = None
        if columns is not None:
            columns = np.asarray(columns, dtype=np.int64)
            key = hashlib.sha1(columns.tobytes()).hexdigest()
        with self._lock:
            cached = getattr(self, "_go_counts_cache", None)
            if cached is None or cached[0] is not go or len(cached[1]) > GO_COUNT_SETS:
                # every gene and the map of each model shown: emptied past a few sets
                cached = (go, {})
                self._go_counts_cache = cached
            counts = cached[1].get(key)
            if counts is None:
                rows = self._go_rows(go)
                if columns is not None:
                    rows = rows[columns]
                per_gene = np.bincount(rows[rows >= 0], minlength=go.n_genes)
                prop = go.propagated_matrix
                weights = np.repeat(per_gene, np.diff(prop.indptr))
                counts = np.bincount(prop.indices, weights=weights, minlength=go.n_terms)
                counts = np.rint(counts).astype(np.int64)
                cached[1][key] = counts
            return counts

    def go_term_size(self, go_id: str, columns: np.ndarray | None = None) -> int:
        """Dataset genes annotated to the term ``go_id`` (a primary id; propagated), among the
        dataset columns ``columns`` (None: every gene)."""
        counts = self.go_term_counts(columns)
        if counts is None:
            raise DataError(self.go_unavailable())
        return int(counts[self.ontology().terms.index.get_loc(go_id)])
