"""What the paper's Figure 4 asks of each gene-space neighbour (:class:`PairReferences`, a part
of :class:`~dashboard.context.AppContext`): the pair's correlation over the samples, whether it
is a co-expression edge (the top 1% of the model's gene pairs by correlation, as
``python -m core report`` takes them), the GO biological processes the two genes share, and
whether the pair is in neither reference ("novel", :func:`core.analysis.novel_close_pairs`).

The co-expression network itself is never held: only its cut, the smallest correlation among
its edges (:func:`core.analysis.coexpression_cut`), computed once per model and dataset and kept
in the page's result cache. A click then correlates the gene in focus with its neighbours alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.errors import CoreError

log = logging.getLogger(__name__)

#: Share of the model's gene pairs that are co-expression edges (the report's 1%).
COEXP_FRACTION = 0.01

#: GO biological-process terms compared, by genome-wide size (the report's ``--go-term-size``
#: default).
GO_TERM_SIZES = (3, 500)

#: Seconds a click waits for the co-expression cut when it is not yet known (the 26-tissue
#: set's takes a fraction of a second); a click that waits longer says it is pending.
COEXP_WAIT_S = 5.0

#: Most genes whose pairs give the cut exactly. Above, the cut is the same quantile of the
#: pairs of this many genes drawn at random (seeded): all of GTEx's 56,200 genes took about
#: 10 minutes and 5.4 GiB (tests/benchmarks/RESULTS.md), in the page's server; the top 1% of
#: 2 million pairs estimates the top 1% of 1.6 billion closely.
COEXP_EXACT_GENES = 2000

#: The pair columns, in the order of the neighbour table.
PAIR_COLUMNS = ("r", "coexp", "shared_go", "novel")

#: Decimals of ``r`` and ``distance`` in the neighbour table's CSV file. The page's rows hold
#: them unrounded and the table rounds them once, for display: rounded to 3 here and then to 2
#: by the table, SPI1's neighbour MEFV (r 0.85548) read 0.85.
R_DECIMALS = 3
DISTANCE_DECIMALS = 4


def round_pairs(table: Any) -> Any:
    """The neighbour ``table`` (a DataFrame) with its ``r`` and ``distance`` rounded for a file
    (:data:`R_DECIMALS`, :data:`DISTANCE_DECIMALS`, as Python's ``round``; a blank stays
    blank)."""
    out = table.copy()
    for column, decimals in (("r", R_DECIMALS), ("distance", DISTANCE_DECIMALS)):
        if column in out:
            out[column] = [
                None if v is None or v != v else round(float(v), decimals) for v in out[column]
            ]
    return out


class PairReferences:
    """Co-expression and GO of gene pairs for an :class:`~dashboard.context.AppContext`.

    Uses the context's ``values``, ``fingerprint``, ``results`` (the result cache), lock,
    :meth:`require_state` and GO (:meth:`ontology`, :meth:`_gene_queries`,
    :meth:`_gene_hints`).
    """

    def _model_columns(self) -> np.ndarray:
        """Dataset columns of the model's genes (the genes gene space holds)."""
        index = np.asarray(self.require_state().gene_es_index, dtype=np.int64)
        return index[index >= 0]

    def _coexp_key(self, cols: np.ndarray) -> str:
        from core.analysis import CODE_VERSION

        # (the genes drawn when there are more than COEXP_EXACT_GENES: an estimate from another
        # number of them was read back as this one's)
        drawn = COEXP_EXACT_GENES if cols.size > COEXP_EXACT_GENES else None
        return self.results.key(
            "coexp_cut", CODE_VERSION, self.fingerprint, cols, COEXP_FRACTION, drawn
        )

    def coexp_cut(self, wait: float | None = COEXP_WAIT_S) -> float | None:
        """The correlation from which a pair of the model's genes is a co-expression edge.

        Computed once per model and dataset, in a thread of its own, and kept in the result
        cache; waits at most ``wait`` seconds for it (None: until it is known). Above
        :data:`COEXP_EXACT_GENES` genes, estimated from the pairs of that many drawn at random.

        Returns
        -------
        float or None
            None while it is being computed, or when it could not be (logged).
        """
        cols = self._model_columns()
        key = self._coexp_key(cols)
        with self._lock:
            known = self._coexp_cuts.get(key)
            if known is not None:
                return known
            if key in self._coexp_errors:
                return None
            hit = self.results.get(key)
            if hit is not None:
                self._coexp_cuts[key] = float(np.asarray(hit).ravel()[0])
                return self._coexp_cuts[key]
            worker = self._coexp_workers.get(key)
            if worker is None or not worker.is_alive():  # (a thread of the parent, after a fork)
                worker = threading.Thread(
                    target=self._compute_coexp_cut, args=(key, cols), name="coexp-cut", daemon=True
                )
                self._coexp_workers[key] = worker
                worker.start()
        worker.join(wait)
        with self._lock:
            return self._coexp_cuts.get(key)

    def coexp_problem(self) -> str | None:
        """Why the co-expression cut of the model's genes could not be computed (the error's
        words), or None: known, or still being computed (:meth:`coexp_cut`)."""
        key = self._coexp_key(self._model_columns())
        with self._lock:
            return self._coexp_errors.get(key)

    def coexp_pending(self) -> bool:
        """Whether the co-expression cut of the model's genes is being computed: neither known
        nor failed, its thread running (:meth:`coexp_cut`); False without a model."""
        if self.state() is None:
            return False
        key = self._coexp_key(self._model_columns())
        with self._lock:
            if key in self._coexp_cuts or key in self._coexp_errors:
                return False
            worker = self._coexp_workers.get(key)
            return worker is not None and worker.is_alive()

    def _compute_coexp_cut(self, key: str, cols: np.ndarray) -> None:
        from core.analysis import coexpression_cut

        if cols.size > COEXP_EXACT_GENES:  # (estimated from a random part of the pairs)
            rng = np.random.default_rng(0)
            cols = np.sort(rng.choice(cols, COEXP_EXACT_GENES, replace=False))
        try:
            every = cols.size == self.values.shape[1] and bool((cols == np.arange(cols.size)).all())
            # (the model's genes of all of them: no copy of a genome-wide matrix)
            cut = coexpression_cut(self.values if every else self.values[:, cols], COEXP_FRACTION)
        except Exception as exc:  # noqa: BLE001 - the thread's end: said on the page, not raised
            # (an error the thread did not keep left no trace: each click started it again and
            # waited for it, and the page said the cut was still being computed)
            if isinstance(exc, (CoreError, MemoryError, OSError)):
                log.warning("co-expression cut not computed: %s", exc)
            else:
                log.exception("co-expression cut not computed")
            said = str(exc) if isinstance(exc, CoreError) else f"{type(exc).__name__}: {exc}"
            with self._lock:
                self._coexp_errors[key] = said
            return
        with self._lock:
            self._coexp_cuts[key] = cut
        try:
            self.results.set(key, np.array([cut], dtype=np.float64))
        except (CoreError, OSError) as exc:
            # (a full disk: the cut computed was said "could not be computed"; it is used, and
            # computed again by the next server)
            log.warning("co-expression cut computed but not cached: %s", exc)

    def go_bp_matrix(self) -> Any:
        """(n_genes, n_terms) sparse bool: each dataset gene's GO BP terms of
        :data:`GO_TERM_SIZES` genes genome-wide, propagated (as the report's); None without GO."""
        go = self.ontology()
        if go is None:
            return None
        with self._lock:
            cached = getattr(self, "_go_bp_cache", None)
            if cached is None or cached[0] is not go:
                lo, hi = GO_TERM_SIZES
                matrix, _ = go.annotation_matrix(
                    self._gene_queries(), "BP", lo, hi, symbols=self._gene_hints()
                )
                cached = (go, matrix.tocsr())
                self._go_bp_cache = cached
            return cached[1]

    def pair_columns(
        self, j: int, cols: Sequence[int], wait: float | None = COEXP_WAIT_S
    ) -> dict[str, list]:
        """What Figure 4 asks of the pairs (dataset gene ``j``, each of ``cols``; -1: a model's
        gene the dataset lacks, described by blanks).

        Returns
        -------
        dict
            ``r``: Pearson correlation over the samples, unrounded (NaN read as the gene's
            mean, a gene without variance correlates 0:
            :func:`core.analysis.pair_correlations`; a file rounds it, :func:`round_pairs`);
            ``coexp``: "yes" when the pair is a co-expression edge (r at least
            :meth:`coexp_cut`), "no", or "" while the cut is not known; ``shared_go``: the
            number of GO BP terms the two genes share (:meth:`go_bp_matrix`; "" without GO);
            ``novel``: "yes" in neither reference, "unannotated" when not co-expressed and a
            gene of the two has no GO term (it cannot share one), else "no" ("" when not
            known); a list each.
        """
        from core.analysis import pair_correlations

        cols = np.asarray(list(cols), dtype=np.int64)
        n = cols.size
        have = np.flatnonzero(cols >= 0)
        r = np.full(n, np.nan)
        if have.size:
            block = self.values[:, np.concatenate([[j], cols[have]])]
            r[have] = pair_correlations(
                block, np.zeros(have.size, dtype=np.int64), np.arange(1, have.size + 1)
            )
        cut = self.coexp_cut(wait)
        coexp = np.zeros(n, dtype=bool) if cut is None else r >= cut
        matrix = self.go_bp_matrix()
        shared = np.zeros(n, dtype=np.int64)
        annotated = np.zeros(n, dtype=bool)
        if matrix is not None and have.size:
            # (the rows of the pair's genes alone: GTEx's matrix of 56,200 genes was copied whole
            # on every click)
            rows = matrix[np.concatenate([[j], cols[have]])].astype(np.int64)
            shared[have] = np.asarray((rows[1:] @ rows[0].T).todense()).ravel()
            counts = np.asarray(matrix.getnnz(axis=1)).ravel()
            annotated[have] = (counts[cols[have]] > 0) & (counts[j] > 0)
        out: dict[str, list] = {c: [""] * n for c in PAIR_COLUMNS}
        out["r"] = [None] * n
        for i in have:
            out["r"][i] = float(r[i])  # (rounded once: by the table, or round_pairs)
            if cut is not None:
                out["coexp"][i] = "yes" if coexp[i] else "no"
            if matrix is not None:
                out["shared_go"][i] = int(shared[i])
            if coexp[i] or shared[i] > 0:
                out["novel"][i] = "no"
            elif matrix is not None and cut is not None:
                out["novel"][i] = "yes" if annotated[i] else "unannotated"
        return out
