"""What one dashboard instance serves: the dataset, the trained model and the derived results.

:class:`AppContext` is built once by :func:`dashboard.app.create_app` and attached to the Dash app
(``app.fe_context``); callbacks reach it through their closure, never through module globals.
Everything heavy is computed outside requests: training, the gene-space layout and the baseline
maps run in background jobs (:meth:`AppContext.train`, :meth:`AppContext.compute_baselines`) and
are stored on disk, keyed by the dataset fingerprint and the model settings, so that a restart
loads them in seconds.

This module holds the context's dataset (gene lookups, values, annotations), gene neighbours,
the genes specific to a selection and the in-silico probe, with :class:`ModelSettings` and
:class:`DashboardConfig`. The other parts of :class:`AppContext` are each in a module of their
own: the model (:mod:`dashboard.model_state`), the background jobs' records
(:mod:`dashboard.job_records`), GO terms and enrichment (:mod:`dashboard.gene_annotations`),
placing uploaded samples (:mod:`dashboard.new_samples`, read by :mod:`dashboard.uploads`) and
the baseline maps (:mod:`dashboard.baseline_maps`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.analysis import GENE_FAMILIES
from core.data import (
    CLOSE_SYMBOLS,
    close_symbols,
    did_you_mean,
    find_gene,
    gene_lookup_tables,
    is_simulated,
    names_starting,
    source_words,
)
from core.errors import CoreError, DataError, ModelError
from dashboard.baseline_maps import BaselineMaps
from dashboard.gene_annotations import GeneAnnotations
from dashboard.job_records import JobRecords
from dashboard.model_state import ModelState, TrainedModel
from dashboard.new_samples import SamplePlacing
from dashboard.pair_references import PairReferences
from dashboard.render import ImageRenderer
from dashboard.uploads import _strip_version, quoted, unique_symbols

#: Gene-set presets offered in ``color-by`` (name -> symbol pattern or list).
GENE_SET_PRESETS: dict[str, str] = {
    # the keratin genes (KRT1, KRT5, KRT6A, ...), the report's: "KRT*" typed in a gene list
    # also takes their pseudogenes (KRT8P12) and the keratin-associated KRTAP, KRTDAP, KRTCAP
    "Keratins (KRT + a number)": GENE_FAMILIES["keratins"],
    "MYH6 (heart, atrial)": r"^MYH6$",
    "CD8B (T cells)": r"^CD8B$",
    "XIST (female)": r"^XIST$",
}

#: Former names of presets (links made with them still open): former -> current.
PRESET_ALIASES: dict[str, str] = {"Keratins (KRT*)": "Keratins (KRT + a number)"}


def _preset_key(name: str) -> str:
    """A preset's name as a link may spell it: letters and digits, lower case (a link's ``+``
    is read as a space, and a name typed by hand varies in case and spaces)."""
    return re.sub(r"[^0-9a-z]+", "", str(name).lower())


def preset_name(name: str) -> str:
    """The current name of the gene-set preset ``name``: its full name (``Keratins (KRT + a
    number)``), its short name (``Keratins``, the words before the bracket, as the colour bar
    names it), or a former name (:data:`PRESET_ALIASES`), in any case; raises DataError naming
    the presets for any other name.

    A link's ``set:Keratins`` was refused as an unknown gene set: only the full name was read.
    """
    names = {**PRESET_ALIASES, **{n: n for n in GENE_SET_PRESETS}}
    keys: dict[str, str] = {}
    for short_too in (False, True):  # (a full or former name before a short one)
        for given, current in names.items():
            key = _preset_key(given.split(" (")[0] if short_too else given)
            keys.setdefault(key, current)
    found = keys.get(_preset_key(name)) if _preset_key(name) else None
    if found is None:
        known = ", ".join(repr(n) for n in GENE_SET_PRESETS)
        raise DataError(
            f"unknown gene set {quoted(name)}: the presets are {known} (the words before the "
            "bracket will do: set:Keratins)"
        )
    return found


#: An Ensembl gene id (any species prefix), with or without its version.
_ENSEMBL_GENE = re.compile(r"^ENS[A-Z]*G\d{6,}(\.\d+)?$", re.IGNORECASE)
#: A gene's Ensembl id in a dataset (``ENSG00000092054.12_PAR_Y`` too).
_ENSEMBL_PREFIX = re.compile(r"^ENS[A-Z]*G\d{6,}", re.IGNORECASE)

#: The score (Welch t) a gene needs to be listed as specific to a selection of samples.
MIN_SPECIFIC_SCORE = 2.0
#: The one-sided p (Welch's t on its degrees of freedom) a gene needs as well: t of 2 is p 0.09
#: for a selection of 3 samples (df about 2), where t needs 2.92.
MAX_SPECIFIC_P = 0.05
#: Genes most specific to a selection: listed by the page's table and saved by "Specific genes
#: as CSV" (SPECIFIC_SAVED), and the table's rows a page (SPECIFIC_PAGE). The table held the 25
#: highest alone, and its sorting ordered those: SFTPC (t rank 30, the second-largest difference
#: of the 196 genes of the lung samples) was never in it.
SPECIFIC_PAGE, SPECIFIC_SAVED = 25, 200
#: The directions of the genes listed for a selection (the choice by the specific-genes table,
#: a link's ``dir``): higher in the selection than in the samples compared with, or lower.
SPECIFIC_HIGHER, SPECIFIC_LOWER = "higher", "lower"

#: Values a gene needs in the selected samples to be scored as specific to the selection.
MIN_SELECTED_VALUES = 3

#: The smallest p of a gene specific to a selection that is written: a smaller one is written
#: as this floor, which reads "this or less". Welch's t of a tissue's markers against all other
#: samples runs to 265 on 1,120 df (GTEx, the 860 heart samples), where the p (about 1e-1013)
#: has no float; scipy's t.sf and t.logsf gave 0 and -inf, and the page wrote a p of 0.
SPECIFIC_P_FLOOR = 1e-300

#: Sample annotation columns offered first, in this order, when present.
PREFERRED_ANNOTATIONS = ("SMTS", "SMTSD", "tissue", "sex", "age", "SEX", "AGE")


# ----------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class ModelSettings:
    """Settings of the model the dashboard trains when none is given (``--model``).

    ``None`` leaves the estimator's own default.
    """

    sample_dim: int = 2
    gene_dim: int | None = None
    hidden: tuple[int, ...] | None = None
    epochs: int | None = None
    lr: float | None = None
    init: str | None = None
    seed: int = 0
    device: str = "auto"
    standin: bool = False  # PCA stand-in instead of FactorizedEmbeddings (fast tests)
    # genes the model is trained on (every gene of the dataset stays browsable by its values)
    min_detection: float | None = None  # genes above 0 in at least this fraction of samples
    top_genes: int | None = None  # then the n most variable genes

    def __post_init__(self) -> None:
        if self.sample_dim != 2:
            raise ModelError(f"the sample map needs sample_dim=2, got {self.sample_dim}")
        for name in ("gene_dim", "epochs"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ModelError(f"{name} must be >= 1, got {value}")
        if self.init not in (None, "pca", "random"):
            raise ModelError(f"init must be pca or random, got {self.init!r}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ModelError(f"device must be auto, cpu or cuda, got {self.device!r}")
        if self.min_detection is not None and not 0.0 <= self.min_detection <= 1.0:
            raise ModelError(f"min_detection must be between 0 and 1, got {self.min_detection}")
        if self.top_genes is not None and self.top_genes < 1:
            raise ModelError(f"top_genes must be >= 1, got {self.top_genes}")

    def training_genes(self, es: Any) -> Any:
        """The part of ``es`` the model is trained on: every gene with a value other than 0
        (a gene 0 or missing in every sample has nothing to learn from), less the gene filters.

        Genes 0 in every sample are left out as ``python -m core train`` leaves them out (the
        step is recorded in the model's data source): the stand-in gave them a vector of 0, at
        distance 1 from every gene (listed as neighbours at that distance, and neighbours of
        their own the first genes of the data), and the factorized embedding a vector learnt
        from nothing; both drew them as a cluster of their own on the gene map.
        """
        count, mean, var = es._gene_stats()
        blank = (count == 0) | ((mean == 0) & (var == 0))
        if blank.any() or self.min_detection:
            es = es.drop_zero_genes()
        if self.min_detection:
            es = es.detected_genes(self.min_detection)
        if self.top_genes:
            es = es.top_variable_genes(self.top_genes)
        return es

    def estimator_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the estimator (unset values left out)."""
        out: dict[str, Any] = {"sample_dim": self.sample_dim, "seed": self.seed}
        for name in ("gene_dim", "hidden", "epochs", "lr", "init"):
            value = getattr(self, name)
            if value is not None:
                out[name] = tuple(value) if name == "hidden" else value
        if not self.standin:
            out["device"] = self.device
        return out

    def digest(self) -> str:
        fields = dataclasses.asdict(self)
        for name in ("min_detection", "top_genes"):  # unset: the digest of earlier versions
            if fields[name] is None:
                del fields[name]
        data = json.dumps(fields, sort_keys=True, default=list)
        return hashlib.sha1(data.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class DashboardConfig:
    """Where the dashboard keeps its results and which model it serves.

    Parameters
    ----------
    cache_dir
        Root of the on-disk cache (models under ``models/``, results under ``results/``).
    model_dir
        A model directory written by ``python -m core train`` / ``FactorizedEmbeddings.save``;
        when given, nothing is trained.
    settings
        Settings of the model trained when ``model_dir`` is None.
    n_neighbors
        Default number of gene neighbours listed.
    gene_layout
        How gene vectors are laid out in 2-D: ``umap`` (default) or ``pca`` (instant).
    go_gaf, go_obo
        GO annotations (GAF) and ontology (OBO) to use instead of the bundled GO snapshot;
        both or neither.
    go_exclude_evidence
        GO evidence codes left out (e.g. ``("IEA",)``); default none.
    join_models
        Other model directories of the same genes (e.g. ``python -m core train --seed 1``):
        the gene space shown joins them with the model (:func:`core.analysis.
        consensus_gene_space`: distances are the mean of the models' cosine distances), so
        gene neighbourhoods do not hang on one training run. The sample map is the model's.
    """

    cache_dir: Path = Path("cache")
    model_dir: Path | None = None
    settings: ModelSettings = field(default_factory=ModelSettings)
    n_neighbors: int = 15
    gene_layout: str = "umap"
    go_gaf: Path | None = None
    go_obo: Path | None = None
    go_exclude_evidence: tuple[str, ...] = ()
    join_models: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        from core.annotations import check_go_settings

        joined = tuple(Path(p) for p in self.join_models)
        for path in joined:
            if not path.is_dir():
                raise ModelError(f"--join-models {path}: no such directory")
        object.__setattr__(self, "join_models", joined)
        if self.n_neighbors < 1:
            raise CoreError(f"n_neighbors must be >= 1, got {self.n_neighbors}")
        if self.gene_layout not in ("umap", "pca"):
            raise CoreError(f"gene_layout must be umap or pca, got {self.gene_layout!r}")
        codes = check_go_settings(self.go_gaf, self.go_obo, self.go_exclude_evidence)
        object.__setattr__(self, "go_exclude_evidence", codes)


# ----------------------------------------------------------------------------- helpers
def dataset_fingerprint(es: Any) -> str:
    """Stable digest of a dataset (ids, shape and a strided sample of the values)."""
    fp = getattr(es, "fingerprint", None)
    if callable(fp):
        return str(fp())[:16]
    h = hashlib.sha1()
    values = np.asarray(es.values)
    h.update(repr(values.shape).encode())
    h.update("\x1f".join(map(str, es.sample_ids)).encode())
    h.update("\x1f".join(map(str, es.gene_ids)).encode())
    step = max(1, values.shape[0] // 512)
    h.update(np.ascontiguousarray(values[::step]).tobytes())
    return h.hexdigest()[:16]


def dataset_name(es: Any) -> str:
    name = getattr(es, "name", None)
    if name:
        return str(name)
    source = getattr(es, "source", None) or {}
    return str(source.get("name") or source.get("path") or source.get("loader") or "dataset")


#: Values read at a time by :func:`_masked_sums` (a block of genes): a selection of 10,000
#: samples of a 56,200-gene matrix took several copies of 2.2 GB at once.
_SUM_BLOCK_VALUES = 8_000_000


def _masked_sums(
    values: np.ndarray, rows: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per gene, over ``rows`` (None: every sample): the sum and the sum of squares of the
    finite values (float64), and their count; read a block of genes at a time."""
    n_rows = values.shape[0] if rows is None else len(rows)
    n_genes = values.shape[1]
    sums, squares, counts = (np.zeros(n_genes, dtype=np.float64) for _ in range(3))
    step = max(1, _SUM_BLOCK_VALUES // max(n_rows, 1))
    for start in range(0, n_genes, step):
        block = values[:, start : start + step]  # a view; the rows below copy only the block
        if rows is not None:
            block = block[rows]
        finite = np.isfinite(block)
        x = np.where(finite, block, 0.0).astype(np.float64, copy=False)
        sums[start : start + step] = x.sum(axis=0)
        squares[start : start + step] = np.einsum("ij,ij->j", x, x)
        counts[start : start + step] = finite.sum(axis=0)
    return sums, squares, counts


def rounded_share(share: float, digits: int = 3) -> float:
    """A share (0 to 1) rounded to ``digits`` decimals, yet never to 0 or 1 when it is neither:
    a gene detected in 2,499 of 2,500 samples is 0.999 (read 99.9%, not 100%), one detected in
    1 of 5,000 is 0.001."""
    out = round(share, digits)
    step = 10.0**-digits
    if out >= 1 and share < 1:
        return round(1 - step, digits)
    if out <= 0 and share > 0:
        return step
    return out


def round_specific_genes(table: pd.DataFrame) -> pd.DataFrame:
    """The genes of :meth:`AppContext.specific_genes` rounded for a file: means and difference
    to 3 decimals, the score to 2, the p to 3 significant digits."""
    out = table.copy()
    for name, digits in {"mean_selected": 3, "mean_rest": 3, "difference": 3, "score": 2}.items():
        if name in out:
            out[name] = out[name].astype(float).round(digits)
    if "p_value" in out:
        out["p_value"] = [float(f"{v:.3g}") for v in out["p_value"]]
    return out


def _shared_symbols(symbols: Sequence[Any]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """The symbols given to several genes -> their columns, in order: as written, and in any
    case (upper case keys)."""
    exact: dict[str, list[int]] = {}
    any_case: dict[str, list[int]] = {}
    for j, s in enumerate(symbols):
        exact.setdefault(str(s), []).append(j)
        any_case.setdefault(str(s).upper(), []).append(j)
    return (
        {s: rows for s, rows in exact.items() if len(rows) > 1},
        {s: rows for s, rows in any_case.items() if len(rows) > 1},
    )


def _distances(units: np.ndarray, m: int) -> np.ndarray:
    """Cosine distance of every unit gene vector to row ``m`` (itself at infinity), in float64
    as ``python -m core neighbours`` counts them: float32 products reordered genes a hair
    apart (2 of the 460 genes of the 26-tissue model listed 200 neighbours in another order)."""
    d = 1.0 - units @ units[m].astype(np.float64)
    d[m] = np.inf
    return d


def _nearest(d: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` smallest of ``d``, nearest first, ties by the lower index: the
    order of ``python -m core neighbours`` (a stable sort), where argpartition took any of the
    genes tied at the k-th place (a gene of 0 is at distance 1 from every gene)."""
    if k < 1:
        return np.zeros(0, dtype=np.intp)
    part = np.argpartition(d, k - 1)[:k]
    if np.count_nonzero(d <= d[part].max()) > k:  # a tie at the k-th place
        return np.argsort(d, kind="stable")[:k]
    return part[np.lexsort((part, d[part]))]


def _runs(units: Sequence[np.ndarray], m: int, idx: np.ndarray, k: int) -> np.ndarray:
    """For genes ``idx``: in how many of the unit gene spaces each is among ``m``'s k nearest
    (ties at the k-th place as the neighbours command breaks them)."""
    counts = np.zeros(len(idx), dtype=int)
    for emb in units:
        counts += np.isin(idx, _nearest(_distances(emb, m), k))
    return counts


def _new_lock_after_fork(context: AppContext) -> None:
    """Give ``context`` a new lock in a process forked from this one (a background job).

    A job is forked while the server's threads answer the page: a lock held by one of them at
    that moment stays held for ever in the job, which then waited without a word on its first
    use of the context (the training job hung on "Preparing the model…").
    """
    import weakref

    ref = weakref.ref(context)

    def renew() -> None:
        ctx = ref()
        if ctx is not None:
            ctx._lock = threading.RLock()

    os.register_at_fork(after_in_child=renew)


# ----------------------------------------------------------------------------- context
class AppContext(
    TrainedModel, JobRecords, GeneAnnotations, PairReferences, SamplePlacing, BaselineMaps
):
    """The dataset, model and caches of one dashboard instance.

    Its parts (:class:`~dashboard.model_state.TrainedModel`,
    :class:`~dashboard.job_records.JobRecords`,
    :class:`~dashboard.gene_annotations.GeneAnnotations`,
    :class:`~dashboard.pair_references.PairReferences`,
    :class:`~dashboard.new_samples.SamplePlacing`, :class:`~dashboard.baseline_maps.BaselineMaps`)
    share its dataset, lock and caches, all made here.

    Parameters
    ----------
    es
        The :class:`core.data.ExpressionSet` shown (values (n_samples, n_genes), log scale).
    config
        Cache directory, model directory or settings.
    """

    def __init__(self, es: Any, config: DashboardConfig | None = None):
        self.es = es
        self.config = config or DashboardConfig()
        self.values = np.asarray(es.values, dtype=np.float32)
        if self.values.ndim != 2 or self.values.shape[0] < 3:
            raise DataError(f"the dataset needs >= 3 samples, got shape {self.values.shape}")
        self.n_samples, self.n_genes = self.values.shape
        self.sample_ids = np.asarray(es.sample_ids).astype(str).astype(object)
        self.gene_ids = np.asarray(es.gene_ids).astype(str).astype(object)
        symbols = getattr(es, "gene_symbols", None)
        # the symbols as given (GTEx repeats some: Y_RNA); the page names genes by
        # ``gene_symbols``, where each is its own (``Y_RNA (ENSG...)`` for the others)
        self._given_symbols = (
            np.asarray(symbols).astype(str).astype(object)
            if symbols is not None
            else self.gene_ids.copy()
        )
        self.gene_symbols = unique_symbols(self._given_symbols, self.gene_ids)
        samples = getattr(es, "samples", None)
        self.samples = (
            samples.reindex(self.sample_ids)
            if isinstance(samples, pd.DataFrame)
            else pd.DataFrame(index=self.sample_ids)
        )
        self.name = dataset_name(es)
        # data given beside a model of simulated data (--model DIR --matrix F): the map, the
        # gene space and every file made from them are of the simulation all the same
        self.simulated = is_simulated(es)
        if not self.simulated and self.config.model_dir is not None:
            from core.estimator import saved_model_is_simulated

            self.simulated = saved_model_is_simulated(self.config.model_dir)
        self.source = dict(getattr(es, "source", None) or {})
        self.fingerprint = dataset_fingerprint(es)
        self.cache_dir = Path(self.config.cache_dir)
        # one Chromium for all figure exports, started on the first (dashboard.render)
        self.image_renderer = ImageRenderer()
        self._lock = threading.RLock()
        _new_lock_after_fork(self)
        self._state: ModelState | None = None
        self._results: Any = None
        self._stats: tuple[np.ndarray, np.ndarray] | None = None
        self._varies: np.ndarray | None = None
        self._training_max: float | None = None
        self._sums: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._spacing: tuple[str, float] | None = None  # (model key, map_spacing)
        self._baselines_scope: str | None = None  # (the baseline job record's name: _job_file)
        self._detection: np.ndarray | None = None
        self._ontology: Any = None
        self._ontology_error: str | None = None
        self._ensembl_map: dict[str, int] | None = None
        self._alias_map: dict[str, Any] | None = None
        self._gene_table: pd.DataFrame | None = None
        # the co-expression cut of each model's genes (dashboard.pair_references)
        self._coexp_cuts: dict[str, float] = {}
        self._coexp_errors: dict[str, str] = {}
        self._coexp_workers: dict[str, threading.Thread] = {}
        # lookups: ids and symbols as given, as ExpressionSet.gene_index and the neighbours
        # command find them (an id or symbol as written first: Tp53 beside TP53 each finds its
        # own), an Ensembl id without version (_by_id, also read by the model's state), then
        # the names the page gives (``Y_RNA (ENSG...)``, exact or in any case)
        self._lookup = gene_lookup_tables(self.gene_ids, self._given_symbols)
        self._by_name: dict[str, int] = {}
        for j, name in enumerate(self.gene_symbols):
            self._by_name.setdefault(str(name), j)
        self._by_symbol: dict[str, int] = {}
        for j, s in enumerate(self.gene_symbols):
            self._by_symbol.setdefault(s.upper(), j)
        # the genes of each symbol given to several (as written, and in any case)
        self._sharing, self._sharing_any_case = _shared_symbols(self._given_symbols)
        for rows in self._sharing_any_case.values():  # the first's name with its id, found too
            self._by_name.setdefault(self.gene_label(rows[0]), rows[0])
        self._by_id: dict[str, int] = {}
        for j, g in enumerate(self.gene_ids):
            self._by_id.setdefault(_strip_version(g).upper(), j)
        self.annotation_columns = self._annotation_columns()

    # ------------------------------------------------------------------ dataset
    def _annotation_columns(self) -> list[str]:
        cols = []
        for c in self.samples.columns:
            s = self.samples[c]
            n = s.nunique(dropna=True)
            if pd.api.types.is_bool_dtype(s) or n < 2:
                continue  # constant columns (e.g. ``simulated``) colour nothing
            if pd.api.types.is_numeric_dtype(s) and n > 30:
                cols.append(c)  # continuous annotation
            elif n <= 100:
                cols.append(c)
        order = {c: i for i, c in enumerate(PREFERRED_ANNOTATIONS)}
        return sorted(cols, key=lambda c: (order.get(c, len(order)), c))

    def describe(self) -> dict[str, Any]:
        """Name, size and source of the dataset, for the page header."""
        return {
            "name": self.name,
            "n_samples": int(self.n_samples),
            "n_genes": int(self.n_genes),
            "simulated": self.simulated,
            "loader": self.source.get("loader"),
            "fingerprint": self.fingerprint,
        }

    def source_text(self) -> str:
        """Where the data shown come from, in words: the file, the values, the loading steps
        (``sepira_gtex_520x467.csv.gz; values used as in the file; then genes that are 0 in
        every sample left out``); empty when not recorded."""
        src = self.source
        if src.get("loader") == "simulated":
            return "simulated by core.simulate (not measured)"
        path = src.get("path") or src.get("gct")
        parts = [Path(str(path)).name] if path else []
        return "; ".join(parts + source_words(src, self.value_scale()))

    def gene_index(self, query: str) -> int:
        """Dataset column of a gene given by symbol or id, as ``python -m core neighbours``
        and :meth:`core.data.ExpressionSet.gene_index` find it (:func:`core.data.find_gene`):
        an id or symbol as written first (``Tp53`` beside ``TP53`` finds its own), then in any
        case, then an Ensembl id without its version; then a name the page gives a gene
        (``Y_RNA (ENSG00000201002)``); an Ensembl id the dataset lacks through the GO snapshot's
        gene table, to a gene named by symbol alone (:meth:`ensembl_columns`, former symbols
        too); then an alias that names one gene of the dataset (:meth:`alias_columns`: ``HER2``
        finds ``ERBB2``).
        A symbol of several genes finds the first (:meth:`gene_note` says so, and that an alias
        was read).

        Raises
        ------
        DataError
            Unknown gene (the message suggests close symbols).
        """
        return self._find(query)[0]

    def _find(self, query: str) -> tuple[int, str]:
        """:meth:`gene_index`, and how the gene was found: ``name``, ``go`` (an Ensembl id
        read as a symbol of the dataset through the GO snapshot) or ``alias``."""
        q = (query or "").strip()
        if not q:
            raise DataError("no gene given")
        j = find_gene(self._lookup, q)
        if j is None:
            j = self._by_name.get(q)
        if j is None:
            j = self._by_symbol.get(q.upper())
        if j is not None:
            return int(j), "name"
        ensembl = _ENSEMBL_GENE.match(q) is not None
        if ensembl:
            j = self.ensembl_columns().get(_strip_version(q).upper())
        alias = None if ensembl else self.alias_of(q)
        if j is None and alias is not None and alias.column is not None:
            return int(alias.column), "alias"
        if j is None:
            hint = did_you_mean({q: self.close_symbols(q)})
            if alias is not None:  # its genes, not names that start alike
                hint = f": {alias.why_not(q, 'here')}"
            if ensembl and self._ensembl_map == {} and not self._has_ensembl_ids():
                hint = (
                    ": the genes here are named by symbol, and the Gene Ontology snapshot that "
                    "translates Ensembl ids is not available; give the symbol"
                )
            raise DataError(f"unknown gene {quoted(q)}: not among the {self.n_genes:,} genes{hint}")
        return int(j), "go"

    def sharing(self, query: str) -> list[int]:
        """The dataset columns that the symbol ``query`` names when it names several genes
        (GTEx: ``Y_RNA``), the one :meth:`gene_index` finds first; empty for a name of one
        gene, an id or a name the page gives (``Y_RNA (ENSG00000201002)``). As the neighbours
        command: a symbol as written names the genes of that very symbol (``TP53``, not
        ``Tp53``), another spelling those of the symbol in any case (``tp53``: both)."""
        q = (query or "").strip()
        if not q or not self._sharing_any_case:  # (the usual case: no symbol is repeated)
            return []
        try:
            j = self.gene_index(q)
        except DataError:
            return []
        if q == str(self.gene_ids[j]):
            return []
        rows = (
            self._sharing.get(q, [])
            if str(self._given_symbols[j]) == q  # found as written (find_gene: before any case)
            else self._sharing_any_case.get(q.upper(), [])
        )
        return list(rows) if rows and rows[0] == j else []

    def gene_note(self, query: str) -> tuple[str, str] | None:
        """What the page says of the gene a typed or linked name found, when it chose:
        ``(level, message)`` for an alert, or None.

        A symbol of several genes (GTEx: ``Y_RNA``) shows the first: the message names it by
        its id, and the ids of the others, which pick them (``warning``). An Ensembl id read as
        the symbol of a gene named by symbol alone: that symbol (``info``).
        """
        shared = self.sharing(query)
        q = (query or "").strip()
        if shared:
            j, others = shared[0], [str(self.gene_ids[i]) for i in shared[1:4]]
            more = ", ..." if len(shared) > 4 else ""
            return (
                "warning",
                f"{q} names {len(shared)} genes here: shown is the first, {self.gene_ids[j]}; "
                f"to see another, choose or type its id in \u201cFind a gene\u201d "
                f"({', '.join(others)}{more})",
            )
        try:
            j, how = self._find(q)
        except DataError:
            return None
        if how == "go":
            named = (
                "names its genes by symbol"
                if self._named_by_symbol().size == self.n_genes
                else "names that gene by its symbol, not by an Ensembl id"
            )
            return (
                "info",
                f"{q} is {self.gene_symbols[j]} here: the dataset {named}, "
                "and the GO snapshot's gene table gives that id this symbol",
            )
        if how == "alias":
            alias = self.alias_of(q)
            if alias is not None:
                return "info", alias.read_as(q)
        return None

    def gene_label(self, j: int) -> str:
        """The name of dataset gene ``j`` in a list, told apart from genes of the same symbol:
        the first of them gets its id beside it, as the others have it in their names
        (``Y_RNA (ENSG00000201001)`` beside ``Y_RNA (ENSG00000201002)``)."""
        name = str(self.gene_symbols[j])
        rows = self._sharing_any_case.get(str(self._given_symbols[j]).upper())
        gene_id = _strip_version(str(self.gene_ids[j]))
        if rows and rows[0] == j and gene_id.upper() != name.upper():
            return f"{name} ({gene_id})"
        return name

    def _has_ensembl_ids(self) -> bool:
        return any(_ENSEMBL_GENE.match(str(g)) for g in self.gene_ids[:50])

    def _named_by_symbol(self) -> np.ndarray:
        """Columns whose gene the dataset names by symbol alone (its id is no Ensembl id, with
        or without a version or a ``_PAR_Y`` tail): every gene of a dataset of symbols, a few
        of a lab's matrix of Ensembl ids (``GATA4``, of several ids in the GO snapshot)."""
        return np.flatnonzero(
            [_ENSEMBL_PREFIX.match(str(g)) is None for g in np.asarray(self.gene_ids).astype(str)]
        )

    def ensembl_columns(self) -> dict[str, int]:
        """Ensembl gene id (upper case, no version) -> column of a gene that the dataset names
        by symbol alone: through the Gene Ontology snapshot's gene table (current symbols and
        unambiguous former ones). In a dataset of Ensembl ids with a few genes named by symbol,
        theirs only: an id finds no gene named by another id. Built once; empty when every gene
        has an Ensembl id of its own or the snapshot cannot be loaded."""
        if self._ensembl_map is not None:
            return self._ensembl_map
        mapping: dict[str, int] = {}
        columns = self._named_by_symbol()
        go = self.ontology() if columns.size else None
        if go is not None:
            table = go.map_genes([str(self._given_symbols[j]) for j in columns])
            for j, matched, ids in zip(columns, table["matched"], table["ensembl"], strict=True):
                if matched:
                    for e in str(ids).split(";"):
                        if e.strip():
                            mapping.setdefault(_strip_version(e.strip()).upper(), int(j))
        self._ensembl_map = mapping
        return mapping

    def alias_columns(self) -> dict[str, Any]:
        """Other names of the dataset's genes (upper case) -> what each names here
        (:class:`core.annotations.ontology.DataAlias`): the aliases of the GO snapshot's gene table
        (``HER2`` -> ``ERBB2``) and current symbols of genes the dataset names otherwise.
        A name the dataset gives a gene is none of them. Built once; empty when the snapshot
        cannot be loaded."""
        if self._alias_map is not None:
            return self._alias_map
        go = self.ontology()
        table = (
            go.dataset_aliases(self._gene_queries(), symbols=self._gene_hints())
            if go is not None
            else {}
        )
        with self._lock:
            self._alias_map = table
        return table

    def alias_of(self, query: str) -> Any:
        """What ``query`` names as an alias (:meth:`alias_columns`; an alias of genes none of
        which is here, too: its ``column`` is None), or None when it is no alias."""
        q = (query or "").strip()
        if not q:
            return None
        hit = self.alias_columns().get(q.upper())
        if hit is None and self._ontology is not None:  # (loaded by alias_columns)
            hit = self._ontology.absent_alias(q)
        return hit

    def close_symbols(self, query: str) -> list[str]:
        """Symbols of genes here that a name not found may have meant (``MYH77``: MYH7, MYH11),
        by the rule the command line's ``embed`` shares (:func:`core.data.close_symbols`): those
        that start with (then contain) its first 3 characters, at most :data:`CLOSE_SYMBOLS`;
        none for a name shorter than 2 characters, nor for an Ensembl id."""
        return close_symbols(query, self.gene_symbols, self.gene_ids, limit=CLOSE_SYMBOLS)

    def search_genes(self, text: str, limit: int = 30) -> list[int]:
        """Dataset columns whose symbol or Ensembl id (version ignored) starts with (then
        contains) ``text``; in a dataset of symbols, an Ensembl id (8 characters or more) finds
        its gene through :meth:`ensembl_columns`; an alias that no name here starts with, the
        genes it names (:meth:`alias_columns`: ``SP-A``, both SFTPA1 and SFTPA2)."""
        t = _strip_version((text or "").strip().upper())
        if not t:
            return []
        starts, contains = names_starting(t, self.gene_symbols, self.gene_ids)
        if not starts and len(t) >= 2:  # an alias (HER2): the genes it names, first
            alias = self.alias_columns().get(t)
            if alias is not None:
                starts = [j for j in alias.columns if j not in contains]
        if not starts and len(t) >= 8 and t.startswith("ENS"):  # an Ensembl id, genes by symbol
            found = {j for e, j in self.ensembl_columns().items() if e.startswith(t)}
            starts = sorted(found, key=lambda j: self.gene_symbols[j])
        return (starts + contains)[:limit]

    def gene_list_columns(self, genes: Sequence[str]) -> tuple[list[int], list[str]]:
        """Dataset columns of listed genes (symbols or ids; ``KRT*``: every symbol that starts
        with KRT), in the order listed, each once, and the entries that name no gene here."""
        cols: dict[int, None] = {}
        unknown = []
        for g in genes:
            if "*" in g:
                pattern = "^" + re.escape(g).replace(r"\*", ".*") + "$"
                found = self.gene_set(pattern)
            else:
                try:
                    found = [self.gene_index(g)]
                except DataError:
                    found = []
            if not found:
                unknown.append(g)
            cols.update(dict.fromkeys(found))
        return list(cols), unknown

    def gene_set(self, pattern: str) -> list[int]:
        """Dataset columns whose symbol matches a regular expression (case-insensitive)."""
        rx = re.compile(pattern, re.IGNORECASE)
        return [j for j, s in enumerate(self.gene_symbols) if rx.search(s)]

    def gene_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-gene mean and standard deviation over samples, (n_genes,) each (NaN ignored)."""
        with self._lock:
            if self._stats is None:
                mean = np.nanmean(self.values, axis=0)
                std = np.nanstd(self.values, axis=0)
                self._varies = std > 1e-8
                std = np.where(self._varies, std, 1.0)
                self._stats = (mean.astype(np.float32), std.astype(np.float32))
            return self._stats

    def gene_varies(self) -> np.ndarray:
        """(n_genes,) bool: genes whose values differ between samples (see :meth:`gene_stats`)."""
        self.gene_stats()
        return self._varies

    def detection(self) -> np.ndarray:
        """Share of samples with each gene above 0 (:func:`core.analysis.detection_rate`)."""
        with self._lock:
            if self._detection is None:
                from core.analysis import detection_rate

                self._detection = detection_rate(self.values)
            return self._detection

    def annotation_values(self, column: str) -> pd.Series:
        if column not in self.samples.columns:
            raise DataError(f"unknown sample annotation {quoted(column)}")
        return self.samples[column]

    # ------------------------------------------------------------------ derived results
    @property
    def results(self) -> Any:
        """The :class:`core.cache.ResultCache` of derived results (opened lazily)."""
        with self._lock:
            if self._results is None:
                from core.cache import ResultCache

                self._results = ResultCache(self.cache_dir / "results")
            return self._results

    # ------------------------------------------------------------------ values per sample
    def gene_values(self, j: int, mode: str = "obs") -> np.ndarray:
        """Values of dataset gene ``j`` over samples, (n_samples,) float32.

        ``mode``: ``obs`` (observed), ``pred`` (decoded by the model at each sample's
        coordinates) or ``res`` (observed - predicted).
        """
        if mode == "obs":
            return self.values[:, j]
        pred = self.predicted(j)
        if mode == "pred":
            return pred
        if mode == "res":
            return self.values[:, j] - pred
        raise DataError(f"unknown value mode {mode!r} (obs, pred or res)")

    def modelled(self, j: int) -> bool:
        """Whether dataset gene ``j`` is one of the model's genes (those it predicts and places
        in gene space); True while no model is loaded (nothing to tell yet)."""
        st = self.state()
        return st is None or int(st.es_model_index[j]) >= 0

    def predicted(self, j: int) -> np.ndarray:
        """Model prediction of dataset gene ``j`` at every sample, (n_samples,) float32.

        Decoded on demand, one gene at a time (a few ms for 8,000 samples): decoding the whole
        matrix ahead took 9-20 s of the demo's first start and a file of n_samples x n_genes
        float32 in the cache.
        """
        st = self.require_state()
        m = int(st.es_model_index[j])
        if m < 0:
            raise DataError(f"gene {self.gene_symbols[j]} is not among the model's genes")
        pred = st.model.predict(st.sample_embedding, genes=[m])
        return np.asarray(pred, dtype=np.float32)[:, 0]

    def gene_set_score(self, columns: Sequence[int]) -> np.ndarray:
        """Mean z-score of the given dataset genes per sample, (n_samples,) float32, as
        :func:`core.analysis.gene_set_score`: genes without variance (0 in every sample) are
        left out. They counted as z = 0 and shrank the score (by a third, for one of 3 genes).
        """
        cols = np.asarray(list(columns), dtype=int)
        if cols.size == 0:
            raise DataError("the gene set has no gene of this dataset")
        mean, std = self.gene_stats()
        cols = cols[self.gene_varies()[cols]]
        if cols.size == 0:
            raise DataError(
                "the genes of the set have the same value in every sample: nothing to colour by"
            )
        z = (self.values[:, cols] - mean[cols]) / std[cols]
        with np.errstate(invalid="ignore"):
            return np.nanmean(z, axis=1).astype(np.float32)

    # ------------------------------------------------------------------ gene space
    def neighbors(self, j: int, k: int | None = None, pairs: bool = False) -> pd.DataFrame:
        """The ``k`` genes nearest to dataset gene ``j`` in gene space (cosine distance, as
        :func:`core.analysis.gene_neighbors`; with ``join_models``, the mean over the models).

        Returns
        -------
        pandas.DataFrame
            Columns ``rank, symbol, gene_id, distance, detected, name, gene_type, go_terms``;
            ``detected`` is the share of samples in which the gene is above 0 (genes that are
            off almost everywhere lie close together in gene space). With joined models, also
            ``runs``: in how many of the models, alone, the gene is among the ``k`` nearest.
            With ``pairs``, also ``r, coexp, shared_go, novel`` after ``distance``: each
            pair's correlation and references (:meth:`pair_columns`).
        """
        st = self.require_state()
        k = int(k or self.config.n_neighbors)
        m = int(st.es_model_index[j])
        if m < 0:
            raise DataError(f"gene {self.gene_symbols[j]} has no embedding in this model")
        d = _distances(st.gene_unit, m)
        k = min(k, len(d) - 1)
        idx = _nearest(d, k)
        cols = st.gene_es_index[idx]
        described = self.gene_columns(cols, shared_with=self.gene_symbols[j])
        out = pd.DataFrame(
            {
                "rank": np.arange(1, len(idx) + 1),
                **{c: described[c] for c in ("symbol", "gene_id")},
                "distance": [float(v) for v in d[idx]],  # (rounded once: the table, round_pairs)
                **(self.pair_columns(j, cols) if pairs else {}),
                **{c: described[c] for c in ("detected", "name", "gene_type", "go_terms")},
            }
        )
        if st.run_units:
            out.insert(
                4, "runs", [f"{n}/{len(st.run_units)}" for n in _runs(st.run_units, m, idx, k)]
            )
        return out

    def gene_columns(self, cols: Sequence[int], shared_with: str | None = None) -> dict[str, list]:
        """What the gene tables say of dataset genes ``cols`` (-1: a model's gene the dataset
        lacks, described by blanks): ``symbol``, ``gene_id``, ``detected`` (the share of
        samples above 0), ``name``, ``gene_type`` and ``go_terms`` (those shared with the gene
        ``shared_with`` first), a list each."""
        table = self.gene_table()
        detection = self.detection()
        symbols = [self.gene_symbols[c] if c >= 0 else "" for c in cols]
        return {
            "symbol": symbols,
            "gene_id": [self.gene_ids[c] if c >= 0 else "" for c in cols],
            "detected": [rounded_share(float(detection[c])) if c >= 0 else None for c in cols],
            "name": [table["name"].iat[c] if c >= 0 else "" for c in cols],
            "gene_type": [table["gene_type"].iat[c] if c >= 0 else "" for c in cols],
            "go_terms": self.go_terms_of(symbols, shared_with=shared_with),
        }

    # ------------------------------------------------------------------ selections
    def _column_sums(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with self._lock:
            if self._sums is None:
                self._sums = _masked_sums(self.values, None)
            return self._sums

    def specific_genes(
        self,
        rows: Sequence[int],
        top: int = 25,
        min_score: float = MIN_SPECIFIC_SCORE,
        max_p: float = MAX_SPECIFIC_P,
        reference: Sequence[int] | None = None,
        lower: bool = False,
    ) -> pd.DataFrame:
        """Genes most specific to the selected samples against all others, or against a
        reference group (Welch t-like score); with ``lower``, the genes clearly lower in the
        selection.

        Parameters
        ----------
        rows
            Selected sample rows (indices into ``es.sample_ids``).
        top
            Most genes returned (highest score first).
        min_score
            Only genes whose score reaches it: higher in the selection than in the other
            samples, clearly (a gene lower in the selection is not specific to it, and was
            listed, and marked on the gene map, when fewer than ``top`` genes were higher;
            the lower genes are asked for with ``lower``).
            Genes with values in fewer than :data:`MIN_SELECTED_VALUES` selected samples
            (all of them, in a smaller selection), or in fewer than 2 other samples, are not
            scored.
        max_p
            Only genes whose one-sided p of "higher in the selection" (Student's t
            distribution on the Welch-Satterthwaite degrees of freedom) is at most it, as
            well: a small selection needs a larger score (t 2.92 at df 2). 1: no limit. The p
            is descriptive, not a test: the samples were chosen on a map made from these
            values, and nothing corrects for the number of genes.
        reference
            Rows of the samples to compare the selection with (one heart chamber against the
            other, where all others held both chambers' neighbours); those also selected are
            left out of it. None: every sample not selected.
        lower
            The genes lower in the selection instead (the atrium's genes down against the
            ventricle, without swapping the groups): ranked by the most negative t, which needs
            ``-min_score`` or less, and the one-sided p of "lower in the selection" at most
            ``max_p``. The ``score`` stays the signed t (negative), as the ``difference``.

        Returns
        -------
        pandas.DataFrame
            Columns ``symbol, gene_id, mean_selected, mean_rest, difference, score, df,
            p_value`` (``df`` to 1 decimal, the others unrounded, for the page's table to round
            once: :func:`round_specific_genes` rounds them for a file; ``p_value`` at least
            :data:`SPECIFIC_P_FLOOR`, which stands for a smaller p), ranked by the score; no
            rows when no gene reaches ``min_score`` and ``max_p``.

        Raises
        ------
        DataError
            Empty selection, a selection of every sample, or a reference of fewer than 2
            samples outside the selection.
        """
        from scipy import stats

        sel = np.unique(np.asarray(list(rows), dtype=int))
        if sel.size == 0:
            raise DataError("the selection is empty: draw a lasso or box around some samples")
        if sel.min() < 0 or sel.max() >= self.n_samples:
            raise DataError("the selection refers to samples that are not in this dataset")
        if reference is not None:
            ref = np.setdiff1d(np.unique(np.asarray(list(reference), dtype=int)), sel)
            if ref.size and (ref.min() < 0 or ref.max() >= self.n_samples):
                raise DataError("the reference group refers to samples not in this dataset")
            if ref.size < 2:
                raise DataError(
                    f"the reference group holds {ref.size} sample{'' if ref.size == 1 else 's'}"
                    " outside the selection (Welch's t needs 2): select other samples than "
                    "the reference, or compare with all other samples"
                )
        elif sel.size >= self.n_samples - 1:
            # (one sample left was said to be "nothing left": Welch's t needs 2 in each group)
            left = "nothing" if sel.size == self.n_samples else "only 1 sample"
            raise DataError(
                f"the selection holds {sel.size:,} of the {self.n_samples:,} samples: {left} "
                "left to compare it with (Welch's t needs 2); select fewer"
            )
        s_sel, ss_sel, n_sel = _masked_sums(self.values, sel)
        if reference is None:  # every other sample: all samples' sums less the selection's
            s_all, ss_all, n_all = self._column_sums()
            s_rest, ss_rest, n_rest = s_all - s_sel, ss_all - ss_sel, n_all - n_sel
        else:
            s_rest, ss_rest, n_rest = _masked_sums(self.values, ref)
        with np.errstate(invalid="ignore", divide="ignore"):
            m_sel = s_sel / n_sel
            m_rest = s_rest / n_rest
            v_sel = np.maximum(ss_sel / n_sel - m_sel**2, 0) * n_sel / np.maximum(n_sel - 1, 1)
            v_rest = (
                np.maximum(ss_rest / n_rest - m_rest**2, 0) * n_rest / np.maximum(n_rest - 1, 1)
            )
            # Welch's t; the floor only for a gene without spread in either group (a constant
            # 1e-6 added to the variance took 3% off the scores of large selections)
            a = v_sel / np.maximum(n_sel, 1)
            b = v_rest / np.maximum(n_rest, 1)
            var = a + b
            score = (m_sel - m_rest) / np.sqrt(np.maximum(var, 1e-12))
            # Welch-Satterthwaite degrees of freedom (genes with fewer than 2 values in either
            # group are not scored below); a gene without spread in either group (0 / 0) gets
            # its lower bound, the smaller group's n - 1
            df = var**2 / (a**2 / np.maximum(n_sel - 1, 1) + b**2 / np.maximum(n_rest - 1, 1))
            df = np.where(var > 0, df, np.minimum(n_sel, n_rest) - 1)
        # a gene measured in one of the selected samples (missing values) had no spread there
        # and topped the list; it needs values in 3 of them (or all, in a smaller selection),
        # and in 2 at least: one sample has no variance, and Welch's t none (t = 119 listed
        # for a selection of one sample)
        # and the other samples 2 values: one value has no spread, and a gene measured in a
        # single other sample was listed (RPL3L missing in all the others but one: t = 11.8
        # for the Heart samples, where Welch's t is undefined)
        enough = (n_sel >= max(2, min(MIN_SELECTED_VALUES, sel.size))) & (n_rest >= 2)
        scored = np.isfinite(score) & np.isfinite(df) & enough
        # the t in the direction asked for: the selection's higher genes, or its lower ones
        sign = -1.0 if lower else 1.0
        directed = np.where(scored, sign * score, -np.inf)
        df = np.where(scored, df, np.nan)
        # one-sided p of "higher (lower) in the selection"; t >= 2 alone listed noise from
        # small selections (p 0.09 for 3 samples, 0.15 for 2)
        p = np.full(score.shape, np.nan)
        # (scipy's t.logsf underflows with its sf, to -inf: the floor reads "this or less")
        p[scored] = np.maximum(stats.t.sf(directed[scored], df[scored]), SPECIFIC_P_FLOOR)
        keep = directed >= min_score
        if max_p < 1:
            keep &= p <= max_p
        idx = np.flatnonzero(keep)
        idx = idx[np.argsort(-directed[idx], kind="stable")][: max(0, int(top))]
        score = sign * directed  # (signed: the lower genes' t negative)
        return pd.DataFrame(
            {
                "symbol": self.gene_symbols[idx],
                "gene_id": self.gene_ids[idx],
                # (unrounded: the page's table rounds them once, to its digits; rounded here
                # too, its 2.0747 read 2.075 and then 2.08. The CSV rounds them:
                # round_specific_genes)
                "mean_selected": m_sel[idx].astype(float),
                "mean_rest": m_rest[idx].astype(float),
                "difference": (m_sel[idx] - m_rest[idx]).astype(float),
                "score": score[idx].astype(float),
                "df": [round(float(v), 1) for v in df[idx]],
                "p_value": p[idx].astype(float),
            }
        )

    def selection_table(self, rows: Sequence[int]) -> pd.DataFrame:
        """The selected samples with their annotations and map coordinates."""
        sel = np.unique(np.asarray(list(rows), dtype=int))
        if sel.size == 0:
            raise DataError("the selection is empty: draw a lasso or box around some samples")
        if sel.min() < 0 or sel.max() >= self.n_samples:
            # (a page left open while the server restarted on other data: row -1 saved the
            # last sample, a row beyond them raised IndexError)
            raise DataError("the selection refers to samples that are not in this dataset")
        st = self.state()
        out = pd.DataFrame({"sample_id": self.sample_ids[sel]})
        if st is not None:
            out["x"] = st.sample_embedding[sel, 0]
            out["y"] = st.sample_embedding[sel, 1]
        for c in self.annotation_columns:
            column = self.samples[c].iloc[sel].reset_index(drop=True)
            finite = column.dropna()
            if (
                column.dtype.kind == "f"
                and len(finite)
                and np.isfinite(finite).all()
                and finite.abs().max() < 2**53  # (whole numbers a float holds exactly)
                and (finite == finite.round()).all()
            ):
                # codes kept as floats beside blanks (GTEx's DTHHRDY): 4, as the page says, not 4.0
                column = column.astype("Int64")
            out[c] = column.values
        return out

    # ------------------------------------------------------------------ in-silico probe
    #: The probe's z-scores divide by at least this share of the median gene's sd.
    PROBE_SD_FLOOR = 0.1

    def probe(self, x: float, y: float, top: int = 15, n_samples: int = 10) -> dict[str, Any]:
        """The expression profile decoded at a point of the plane and the nearest samples.

        Returns
        -------
        dict
            ``genes``: DataFrame ``symbol, predicted, z`` of the ``top`` genes by z-score of the
            decoded value against the gene's mean and sd (ddof 0) of the observed values over
            samples (the sd taken as at least :attr:`PROBE_SD_FLOOR` times the median sd of the
            genes decoded, 0 for a gene without spread: a gene off in almost every sample has
            an sd near 0, and a decoded 0.05 put it first); ``samples``: DataFrame
            ``sample_id, distance, <first annotations>`` of the nearest real samples.
        """
        if not (np.isfinite(x) and np.isfinite(y)):
            raise DataError(f"the probe point ({x}, {y}) is not a finite coordinate")
        st = self.require_state()
        profile = np.asarray(st.model.predict(np.array([[x, y]], dtype=np.float32)))[0]
        cols = st.gene_es_index
        ok = cols >= 0
        mean, std = self.gene_stats()
        # the genes' own sd (0 for a gene without spread), not gene_stats' stand-in of 1 for
        # those: the stand-ins raised the median (the 26-tissue data's 7 genes of 0 took the
        # floor from 0.0821 to 0.0830 and changed the genes listed at 10 of 300 points)
        std = np.where(self.gene_varies(), std, 0.0)
        floor = self.PROBE_SD_FLOOR * float(np.median(std[cols[ok]])) if ok.any() else 0.0
        std = np.maximum(std, floor) if floor > 0 else np.where(std > 0, std, 1.0)
        z = np.full(len(profile), -np.inf, dtype=np.float32)
        z[ok] = (profile[ok] - mean[cols[ok]]) / std[cols[ok]]
        k = min(top, int(ok.sum()))
        best = np.argsort(-z)[:k]
        genes = pd.DataFrame(
            {
                "symbol": self.gene_symbols[cols[best]],
                "predicted": [round(float(v), 3) for v in profile[best]],
                "z": [round(float(v), 2) for v in z[best]],
            }
        )
        d = np.sqrt(((st.sample_embedding - np.array([x, y], dtype=np.float32)) ** 2).sum(axis=1))
        near = np.argsort(d)[:n_samples]
        samples = pd.DataFrame(
            {"sample_id": self.sample_ids[near], "distance": [round(float(v), 3) for v in d[near]]}
        )
        for c in self.annotation_columns[:3]:
            column = self.samples[c].iloc[near]
            samples[c] = column.astype(str).where(column.notna(), "unlabelled").to_numpy()
        nearest = float(d[near[0]]) if len(near) else float("inf")
        spacing = self.map_spacing()
        return {
            "genes": genes,
            "samples": samples,
            "x": float(x),
            "y": float(y),
            # far from every sample, the network extrapolates: genes off almost everywhere
            # came first, decoded above any value observed
            "nearest_distance": nearest,
            "spacing": spacing,
            "far": nearest > spacing,
        }

    def map_spacing(self) -> float:
        """The distance within which 99% of the map's samples have another sample (cached
        per model): a probed point farther from every sample lies where no sample is."""
        st = self.require_state()
        with self._lock:
            if self._spacing is None or self._spacing[0] != st.key:
                from scipy.spatial import cKDTree

                xy = np.asarray(st.sample_embedding, dtype=np.float64)
                if len(xy) < 2:
                    spacing = float("inf")
                else:
                    dist, _ = cKDTree(xy).query(xy, k=2)
                    spacing = float(np.quantile(dist[:, 1], 0.99))
                self._spacing = (st.key, spacing)
            return self._spacing[1]

    # ------------------------------------------------------------------ the values' scale
    def training_transform(self) -> str:
        """The log transform the data shown was loaded with (``none`` when not known); the
        simulated demo's, built on a log10(TPM+1)-like scale, is that scale's
        (:data:`core.data.sources.SIMULATED_SCALE`): an upload of TPM is placed with it."""
        from core.data.sources import source_scale

        return source_scale(getattr(self.es, "source", None)) or "none"

    def value_scale(self) -> str | None:
        """The scale of the values shown (``log10(x+1)``, ``log2(x+1)``), None when not known."""
        source = getattr(self.es, "source", None) or {}
        if not source.get("transform") and source.get("loader") == "simulated":
            return None  # (the demo's scale was not a transform of values shown)
        return {"log10p1": "log10(x+1)", "log2p1": "log2(x+1)"}.get(self.training_transform())

    def values_as_in_file(self) -> bool:
        """Whether the values shown are a file's, untransformed (the file's scale, whatever it
        is: a colour bar said only "observed")."""
        source = getattr(self.es, "source", None) or {}
        return str(source.get("transform")) == "none" and bool(
            source.get("path") or source.get("gct")
        )
