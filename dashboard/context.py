"""What one dashboard instance serves: the dataset, the trained model and the derived results.

:class:`AppContext` is built once by :func:`dashboard.app.create_app` and attached to the Dash app
(``app.fe_context``); callbacks reach it through their closure, never through module globals.
Everything heavy is computed outside requests: training, the gene-space layout and the baseline
maps run in background jobs (:meth:`AppContext.train`, :meth:`AppContext.compute_baselines`) and
are stored on disk, keyed by the dataset fingerprint and the model settings, so that a restart
loads them in seconds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import shutil
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.analysis import (
    BASELINE_METHODS,
    CODE_VERSION,
    GENE_FAMILIES,
    MIN_MAP_SAMPLES,
    label_classes,
    unit_rows,
)
from core.data import _strip_version as _core_strip_version
from core.data import (
    exclusion_words,
    is_simulated,
    match_genes,
    not_a_table,
    shared_name_note,
    step_words,
)
from core.errors import CoreError, DataError, ModelError
from core.files import remove_stale_temporaries, replace_dir, temporary_name
from dashboard.render import ImageRenderer

log = logging.getLogger(__name__)

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

#: An Ensembl gene id (any species prefix), with or without its version.
_ENSEMBL_GENE = re.compile(r"^ENS[A-Z]*G\d{6,}(\.\d+)?$", re.IGNORECASE)

#: The score (Welch t) a gene needs to be listed as specific to a selection of samples.
MIN_SPECIFIC_SCORE = 2.0
#: Genes most specific to a selection: listed on the page / saved by "Specific genes as CSV".
SPECIFIC_SHOWN, SPECIFIC_SAVED = 25, 200

#: Values a gene needs in the selected samples to be scored as specific to the selection.
MIN_SELECTED_VALUES = 3

#: Sample annotation columns offered first, in this order, when present.
PREFERRED_ANNOTATIONS = ("SMTS", "SMTSD", "tissue", "sex", "age", "SEX", "AGE")

ProgressFn = Callable[[float, str], None]
#: What a page says of the training it follows when another page (or tab) started it.
EARLIER_TRAINING = "training started from another page"


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
        """The part of ``es`` the model is trained on: every gene with an observed value
        (a gene missing in every sample has nothing to learn from), less the gene filters."""
        observed = es._gene_stats()[0] > 0
        if not observed.all():
            es = es.subset(genes=observed)
        if self.min_detection:
            es = es.drop_zero_genes().detected_genes(self.min_detection)
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
def estimator_class(standin: bool = False) -> type:
    """``core.estimator.FactorizedEmbeddings``, or the PCA stand-in when asked (``--standin``)."""
    if standin:
        from dashboard.standin import PCAEmbedding

        return PCAEmbedding
    from core.estimator import FactorizedEmbeddings

    return FactorizedEmbeddings


def load_model(path: Path) -> Any:
    """Load a model directory, whichever class wrote it."""
    path = Path(path)
    if not path.is_dir():
        raise ModelError(f"--model {path}: no such directory")
    if (path / "standin.npz").exists():
        from dashboard.standin import PCAEmbedding

        return PCAEmbedding.load(path)
    return estimator_class(False).load(path)


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


def _runs(units: Sequence[np.ndarray], m: int, idx: np.ndarray, k: int) -> np.ndarray:
    """For genes ``idx``: in how many of the unit gene spaces each is among ``m``'s k nearest."""
    counts = np.zeros(len(idx), dtype=int)
    for emb in units:
        d = 1.0 - emb @ emb[m]
        d[m] = np.inf
        own = np.argpartition(d, k - 1)[:k]
        counts += np.isin(idx, own)
    return counts


#: Characters of a typed entry (gene, list entry, link value) quoted in a message.
QUOTED_CHARS = 40


def quoted(text: Any, limit: int = QUOTED_CHARS) -> str:
    """``text`` as a message quotes it: ``'GATA4'``; a longer one cut, with its length
    (``'XXXX…' (5,000 characters)``). A paste of 5,000 characters came back whole in the
    message, hundreds of lines of it."""
    text = str(text)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit] + '…'!r} ({len(text):,} characters)"


#: Names of spreadsheet files: an upload named so is a workbook, whatever its first bytes.
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")


def _other_kind(raw: bytes, name: str) -> str:
    """What to say of an upload whose ``name`` is not that of a table: what it is, and what to
    give instead. An Excel workbook was answered "give a CSV, TSV, GCT (optionally .gz) or
    parquet matrix", without saying what it was or how to save it as CSV."""
    expected = "give a CSV, TSV, GCT (optionally .gz) or parquet matrix"
    said = not_a_table(raw[:4096])
    end = Path(name).suffix.lower()
    if said is None and end in SPREADSHEET_SUFFIXES:
        said = (
            f"its name ({end}) is that of an Excel workbook, not a text table; in Excel, save "
            "the sheet as 'CSV UTF-8' or 'Text (Tab delimited)'"
        )
    if said is not None:
        return said if "CSV" in said else f"{said}; {expected}"
    if b"\x00" not in raw[:4096]:  # text, or nothing: named otherwise
        named = f"its name ends in {end}" if end else "its name has no extension"
        return f"{named}: {expected} (a text table: name it .csv or .tsv)"
    return expected


def _strip_version(gene_id: str) -> str:
    """An Ensembl id without its version, as :func:`core.data._strip_version` (a suffix after
    the version stays: ``ENSG00000092054.12_PAR_Y``, GTEx's Y copy of a pseudoautosomal gene,
    is not the X gene), in any case."""
    upper = gene_id.upper()
    if not upper.startswith("ENS"):
        return gene_id
    stripped = _core_strip_version(upper)
    return stripped if stripped != upper else gene_id.split(".", 1)[0]


def unique_symbols(symbols: np.ndarray, gene_ids: np.ndarray) -> np.ndarray:
    """The names the page shows and looks genes up by: the symbols, except where a symbol
    names several genes (GTEx's gene table repeats some across Ensembl ids): the first keeps
    it and the others read ``SYMBOL (ENSG00000...)``. Otherwise searching for, clicking or
    colouring by any of them showed the first."""
    out = np.asarray(symbols, dtype=object).copy()
    keys = pd.Series([str(s).upper() for s in out])
    repeated = np.flatnonzero(keys.duplicated(keep="first").to_numpy())
    taken = set(keys)
    for j in repeated:
        name = f"{out[j]} ({_strip_version(str(gene_ids[j]))})"
        while name.upper() in taken:  # ids are unique; a symbol of that very form is not
            name += "'"
        taken.add(name.upper())
        out[j] = name
    return out


def parse_gene_list(text: str | None) -> list[str]:
    """Symbols typed by a user: separated by commas, spaces, semicolons or new lines; a ``*``
    stands for any characters (``KRT*``), see :meth:`AppContext.gene_list_columns`.

    Raises
    ------
    DataError
        When nothing that looks like a gene symbol is found, or a token has odd characters.
    """
    tokens = [t for t in re.split(r"[\s,;]+", text or "") if t]
    if not tokens:
        raise DataError("the gene list is empty: type symbols separated by commas or spaces")
    # parentheses and primes are parts of fly and mouse symbols: Su(H), Gt(ROSA)26Sor; a
    # star stands for any characters (KRT*: every keratin)
    bad = [t for t in tokens if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._\-/@()'*]*", t)]
    if bad:
        shown = ", ".join(quoted(b) for b in bad[:5])
        raise DataError(
            f"the gene list has entries that are not gene symbols: {shown} (symbols or ids, "
            "separated by commas or spaces; KRT* for every symbol that starts with KRT)"
        )
    if len(tokens) > 2000:
        raise DataError(f"the gene list has {len(tokens)} entries; at most 2000 are accepted")
    return tokens


def _gunzip_within(raw: bytes, limit: int, name: str) -> bytes:
    """The unpacked bytes of a gzip file (members one after another, as ``gzip`` writes
    them), refused with a DataError naming ``name`` once they pass ``limit`` bytes."""
    import zlib

    out: list[bytes] = []
    size, rest = 0, raw
    try:
        while rest:
            unpacker = zlib.decompressobj(wbits=31)
            data = rest
            while True:
                chunk = unpacker.decompress(data, 1 << 20)
                size += len(chunk)
                if size > limit:
                    raise DataError(
                        f"{name}: more than {limit // 1_000_000} MB once unpacked; up to that "
                        "are placed here (use “python -m core embed” for more)"
                    )
                out.append(chunk)
                data = unpacker.unconsumed_tail
                if unpacker.eof or not (data or chunk):
                    break
            if not unpacker.eof:
                raise DataError(f"{name}: a damaged or truncated gzip file (its end is missing)")
            rest = unpacker.unused_data.lstrip(b"\x00")
    except zlib.error as exc:
        raise DataError(f"{name}: a damaged gzip file ({exc})") from None
    return b"".join(out)


def _load_upload(
    path: Path, name: str, transform: str, model_genes: set[str]
) -> tuple[Any, list[dict[str, str]], int]:
    """Read an uploaded matrix; a text value among its numbers is read as missing.

    :func:`core.data.load_table` with ``text_values="missing"``: a column of values with a
    text cell stays a column of values (it is not taken for an annotation), and the cells are
    returned to be said.

    Returns
    -------
    (ExpressionSet, text cells, number of text cells)
        The cells (the first 100): dicts of ``column``, ``row`` (ids), ``text`` and ``axis``
        (``genes`` when the columns are genes, ``samples`` when they are samples).
    """
    from core.data import load_table

    def named(exc: CoreError) -> DataError:  # name the user's file, not the temporary copy
        return DataError(str(exc).replace(str(path), name))

    def read(table: Path) -> Any:
        """load_table; where its ids cannot tell rows from columns, the orientation whose
        genes are the model's (an upload is placed on a model: its genes decide)."""
        try:
            return load_table(table, transform=transform, text_values="missing")
        except DataError as exc:
            if "cannot tell whether its rows are samples or genes" not in str(exc):
                raise
            undecided = exc
        best, best_hits = None, 0
        for orientation in ("samples_x_genes", "genes_x_samples"):
            try:
                candidate = load_table(
                    table, transform=transform, orientation=orientation, text_values="missing"
                )
            except DataError:
                continue
            names = list(candidate.gene_ids) + list(candidate.gene_symbols)
            hits = sum(_is_model_gene(n, model_genes) for n in names)
            if hits > best_hits:
                best, best_hits = candidate, hits
        if best is None:  # (the advice on flags and Python arguments is not for a page)
            advice = re.sub(
                r",? or give the orientation \(on the command line.*$", "", str(undecided)
            )
            raise DataError(advice) from None
        log.info("%s: orientation from the model's genes (%d found)", name, best_hits)
        return best

    try:
        es = read(path)
    except CoreError as exc:
        raise named(exc) from None
    source = es.source or {}
    axis = "genes" if source.get("orientation") == "samples_x_genes" else "samples"
    cells = [
        {"column": c["column"], "row": c["row"], "text": c["text"], "axis": axis}
        for c in source.get("text_cells") or []
    ]
    return es, cells, int(source.get("text_cell_count") or len(cells))


def _gene_key(name: Any) -> str:
    return _strip_version(str(name).strip().strip('"')).upper()


class _ThreadWarnings(logging.Handler):
    """Collects the warnings that ``core`` logs from the calling thread while attached (as a
    context manager): what the loader noticed about an upload reaches the page, not only the
    server's log. Other threads' records (other users' uploads) are left out."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []
        #: the kind of each message (``notice``, given by some of core's warnings), or None
        self.notices: list[str | None] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            message = record.getMessage()
            if message not in self.messages:
                self.messages.append(message)
                self.notices.append(getattr(record, "notice", None))

    def __enter__(self) -> _ThreadWarnings:
        logging.getLogger("core").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("core").removeHandler(self)


def _is_model_gene(name: Any, model_genes: set[str]) -> bool:
    text = str(name).strip().strip('"').upper()
    return text in model_genes or _gene_key(name) in model_genes


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


class OwnedLock:
    """A lock across processes (a ``diskcache`` entry) that a process killed while holding it
    does not keep: its owner's pid is recorded, and a waiter takes over a lock whose owner on
    this machine is gone (``diskcache.Lock`` stayed held until it expired, an hour, and a new
    training job waited that long after the last one was killed).

    Parameters
    ----------
    cache
        The ``diskcache.Cache`` holding the lock.
    name
        The lock's key.
    expire
        Seconds after which the lock lapses whatever its owner (a live owner on another machine).
    poll
        Seconds between two attempts.
    """

    def __init__(self, cache: Any, name: str, expire: float = 3600.0, poll: float = 0.5):
        self.cache, self.name, self.expire, self.poll = cache, name, expire, poll

    @staticmethod
    def identity() -> dict[str, Any]:
        """This process, as :meth:`owner_alive` recognises it: pid, host and start time."""
        import psutil

        pid = os.getpid()
        return {
            "pid": pid,
            "host": socket.gethostname(),
            "started": psutil.Process(pid).create_time(),
        }

    @staticmethod
    def owner_alive(owner: Any) -> bool:
        """Whether the process that holds a lock may still be running (True when unknown)."""
        import psutil

        if not isinstance(owner, dict) or owner.get("host") != socket.gethostname():
            return True  # another machine's process, or an entry of another kind: wait
        try:
            proc = psutil.Process(int(owner["pid"]))
            if (
                owner.get("started") is not None
                and abs(proc.create_time() - float(owner["started"])) > 1.0
            ):
                return False  # the pid was reused by another process
            return proc.status() != psutil.STATUS_ZOMBIE
        except (psutil.NoSuchProcess, KeyError, TypeError, ValueError):
            return False

    def acquire(self, waiting: Callable[[], None] | None = None) -> None:
        """Wait for the lock and take it; ``waiting()`` is called between two attempts (to say
        how far the owner's work is)."""
        owner = self._held = self.identity()
        while not self.cache.add(self.name, owner, expire=self.expire):
            held = self.cache.get(self.name)
            if held is not None and not self.owner_alive(held):
                with self.cache.transact():
                    if self.cache.get(self.name) == held:
                        log.warning("taking over the lock %s of a process that ended", self.name)
                        self.cache.delete(self.name)
                continue
            if waiting is not None:
                waiting()
            time.sleep(self.poll)

    def release(self) -> None:
        with self.cache.transact():
            if self.cache.get(self.name) == getattr(self, "_held", None):
                self.cache.delete(self.name)

    def __enter__(self) -> OwnedLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# ----------------------------------------------------------------------------- model state
@dataclass
class ModelState:
    """A trained model as the dashboard uses it (all arrays in the dataset's order).

    Attributes
    ----------
    model
        The estimator (``FactorizedEmbeddings`` or the stand-in).
    key
        Stable key of the model (cache keys of derived results use it).
    sample_embedding
        (n_samples, 2) float32, rows in ``es.sample_ids`` order.
    gene_embedding
        (n_model_genes, gene_dim) float32, rows in ``model.gene_ids_`` order.
    gene_layout
        (n_model_genes, 2) float32: the gene embedding laid out in 2-D (UMAP when gene_dim > 2).
    gene_es_index
        (n_model_genes,) int: column of each model gene in ``es.values`` (-1 when absent).
    es_model_index
        (n_genes,) int: row of each dataset gene in the model's genes (-1 when absent).
    info
        What the page states about the model (class, settings, training time, final loss).
    gene_unit
        ``gene_embedding`` with rows scaled to unit length (cosine neighbours), computed once.
    run_units
        With joined models (``join_models``): each model's unit gene vectors, rows in the same
        order, to count in how many runs a neighbour is among the nearest; else empty.
    """

    model: Any
    key: str
    sample_embedding: np.ndarray
    gene_embedding: np.ndarray
    gene_layout: np.ndarray
    gene_es_index: np.ndarray
    es_model_index: np.ndarray
    info: dict[str, Any]
    run_units: tuple[np.ndarray, ...] = ()
    gene_unit: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.gene_unit = unit_rows(self.gene_embedding).astype(np.float32)


def gene_layout_2d(
    gene_embedding: np.ndarray, seed: int = 0, method: str = "umap"
) -> tuple[np.ndarray, str]:
    """2-D layout of gene vectors (n_genes, gene_dim) -> ((n_genes, 2) float32, method name).

    ``method``: ``umap`` on cosine distances, as the gene neighbour lists (falls back to PCA for
    fewer than 30 genes) or ``pca``.
    """
    x = np.asarray(gene_embedding, dtype=np.float32)
    if x.shape[1] <= 2:
        out = np.zeros((x.shape[0], 2), dtype=np.float32)
        out[:, : x.shape[1]] = x
        return out, "embedding"
    if method == "umap" and x.shape[0] >= 30:
        try:
            import umap

            reducer = umap.UMAP(
                n_components=2,
                n_neighbors=min(15, x.shape[0] - 1),
                min_dist=0.1,
                metric="cosine",
                random_state=seed,
                n_jobs=1,
            )
            return reducer.fit_transform(x).astype(np.float32), "UMAP"
        except ImportError:  # pragma: no cover - umap-learn is a requirement
            log.warning("umap-learn missing: laying out gene space by PCA")
    xc = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    out = np.zeros((x.shape[0], 2), dtype=np.float32)
    # one gene has one axis (the gene map indexed a second one that was not there)
    out[:, : min(2, vt.shape[0])] = xc @ vt[:2].T
    return out, "PCA"


# ----------------------------------------------------------------------------- context
class _DamagedEntry(Exception):
    """The app's own cached model cannot be loaded (its cause says why): trained again."""


def _said_on_the_page(record: logging.LogRecord) -> bool:
    """Leaves out the estimator's poor-fit warning while uploaded samples are placed: the page
    says it once, of all of them (``fit_warning``), where the log said it of every chunk."""
    return getattr(record, "notice", None) != "fit_error"


class AppContext:
    """The dataset, model and caches of one dashboard instance.

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
        self.gene_symbols = unique_symbols(
            np.asarray(symbols).astype(str).astype(object)
            if symbols is not None
            else self.gene_ids.copy(),
            self.gene_ids,
        )
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
        self._gene_table: pd.DataFrame | None = None
        self._norm_cache: np.ndarray | None = None
        # lookups: symbol or id as written (Gata4 beside GATA4: each finds its own), symbol
        # (upper case) and Ensembl id without version -> dataset column
        self._by_name: dict[str, int] = {}
        for j, name in [*enumerate(self.gene_ids), *enumerate(self.gene_symbols)]:
            self._by_name.setdefault(str(name), j)
        self._by_symbol: dict[str, int] = {}
        for j, s in enumerate(self.gene_symbols):
            self._by_symbol.setdefault(s.upper(), j)
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
        parts = []
        path = src.get("path") or src.get("gct")
        if path:
            parts.append(Path(str(path)).name)
        transform = src.get("transform")
        if transform is not None:
            parts.append(
                "values used as in the file"
                if str(transform) == "none"
                else f"values transformed by {self.value_scale() or transform}"
            )
        excluded = exclusion_words(src)  # GTEx has 17,382: where are the others?
        if excluded:
            parts.append(excluded)
        steps = [step_words(st) for st in src.get("steps") or [] if isinstance(st, dict)]
        if steps:
            parts.append("then " + ", ".join(steps))
        return "; ".join(parts)

    def gene_index(self, query: str) -> int:
        """Dataset column of a gene given by symbol or Ensembl id (version ignored).

        Raises
        ------
        DataError
            Unknown gene (the message suggests close symbols).
        """
        q = (query or "").strip()
        if not q:
            raise DataError("no gene given")
        j = self._by_name.get(q)
        if j is None:
            j = self._by_symbol.get(q.upper())
        if j is None:
            j = self._by_id.get(_strip_version(q).upper())
        ensembl = j is None and _ENSEMBL_GENE.match(q) is not None
        if ensembl:
            j = self.ensembl_columns().get(_strip_version(q).upper())
        if j is None:
            close = self.search_genes(q[:3], limit=5) if len(q) >= 2 else []
            hint = (
                f" (did you mean {', '.join(self.gene_symbols[i] for i in close)}?)"
                if close
                else ""
            )
            if ensembl and self._ensembl_map == {} and not self._has_ensembl_ids():
                hint = (
                    ": the genes here are named by symbol, and the Gene Ontology snapshot that "
                    "translates Ensembl ids is not available; give the symbol"
                )
            raise DataError(f"unknown gene {quoted(q)}: not among the {self.n_genes} genes{hint}")
        return int(j)

    def _has_ensembl_ids(self) -> bool:
        return any(_ENSEMBL_GENE.match(str(g)) for g in self.gene_ids[:50])

    def ensembl_columns(self) -> dict[str, int]:
        """Ensembl gene id (upper case, no version) -> column, for a dataset that names its genes
        by symbol only: through the Gene Ontology snapshot's gene table (current symbols and
        unambiguous former ones). Built once; empty when the dataset has Ensembl ids of its
        own or the snapshot cannot be loaded."""
        if self._ensembl_map is not None:
            return self._ensembl_map
        mapping: dict[str, int] = {}
        go = None if self._has_ensembl_ids() else self.ontology()
        if go is not None:
            table = go.map_genes(list(self.gene_symbols))
            for j, (matched, ids) in enumerate(
                zip(table["matched"], table["ensembl"], strict=True)
            ):
                if matched:
                    for e in str(ids).split(";"):
                        if e.strip():
                            mapping.setdefault(_strip_version(e.strip()).upper(), j)
        self._ensembl_map = mapping
        return mapping

    def search_genes(self, text: str, limit: int = 30) -> list[int]:
        """Dataset columns whose symbol or Ensembl id (version ignored) starts with (then
        contains) ``text``; in a dataset of symbols, an Ensembl id (8 characters or more) finds
        its gene through :meth:`ensembl_columns`."""
        t = _strip_version((text or "").strip().upper())
        if not t:
            return []
        starts, contains = [], []
        for j, (s, g) in enumerate(zip(self.gene_symbols, self.gene_ids, strict=True)):
            su, gu = s.upper(), g.upper()
            if su.startswith(t) or gu.startswith(t):
                starts.append(j)
            elif t in su:
                contains.append(j)
        starts.sort(key=lambda j: (len(self.gene_symbols[j]), self.gene_symbols[j]))
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

    # ------------------------------------------------------------------ model
    @property
    def results(self) -> Any:
        """The :class:`core.cache.ResultCache` of derived results (opened lazily)."""
        with self._lock:
            if self._results is None:
                from core.cache import ResultCache

                self._results = ResultCache(self.cache_dir / "results")
            return self._results

    @property
    def model_entry(self) -> Path:
        """Directory of the model trained for this dataset and settings."""
        if self.config.model_dir is not None:
            return Path(self.config.model_dir)
        s = self.config.settings
        tag = "standin" if s.standin else "fe"
        return (
            self.cache_dir
            / "models"
            / f"{self.fingerprint}-{tag}-{s.digest()}-{self.config.gene_layout}"
        )

    def model_ready_on_disk(self) -> bool:
        if self.config.model_dir is not None:
            return True
        return (self.model_entry / "dashboard.json").exists()

    def state(self) -> ModelState | None:
        """The loaded model state, loading it from disk when it is there; None while training."""
        with self._lock:
            if self._state is not None:
                return self._state
            if not self.model_ready_on_disk():
                return None
            try:
                self._state = self._load_state()
            except _DamagedEntry as exc:
                self._discard_damaged_entry(exc.__cause__ or exc)
                return None  # the page trains it again
            return self._state

    def _discard_damaged_entry(self, exc: Exception) -> None:
        """Remove the app's own cached model that cannot be loaded (a file cut short by a full
        disk or by hand): it was shown as "model: not available" for ever, restart or not."""
        entry = self.model_entry
        log.warning("the cached model %s cannot be loaded (%s): it is trained again", entry, exc)
        doomed = entry.with_name(f"{entry.name}.damaged-{uuid.uuid4().hex[:8]}")
        try:
            entry.rename(doomed)  # at once: no reader meets a half-removed entry
        except OSError:
            return
        shutil.rmtree(doomed, ignore_errors=True)

    def loaded_state(self) -> ModelState | None:
        """:meth:`state`, or None when the model cannot be loaded (the status box says why;
        a link or a zoom kept need no model)."""
        try:
            return self.state()
        except CoreError:
            return None

    def require_state(self) -> ModelState:
        st = self.state()
        if st is None:
            raise ModelError("the model is still training: wait for the progress bar to finish")
        return st

    def _model_path(self) -> Path:
        if self.config.model_dir is not None:
            return Path(self.config.model_dir)
        return self.model_entry / "model"

    def _load_state(self) -> ModelState:
        t0 = time.perf_counter()
        try:
            model = load_model(self._model_path())
        except (CoreError, ValueError, EOFError) as exc:  # (not OSError: a permission or a
            # full file table is no damage, and a good model would be trained again)
            if self.config.model_dir is not None:
                raise  # the user's model: said in the page, never removed
            raise _DamagedEntry() from exc
        model_gene_ids = np.asarray(model.gene_ids_).astype(str).astype(object)
        gene_es_index = np.array(
            [self._by_id.get(_strip_version(g).upper(), -1) for g in model_gene_ids], dtype=int
        )
        es_model_index = np.full(self.n_genes, -1, dtype=int)
        ok = gene_es_index >= 0
        es_model_index[gene_es_index[ok]] = np.nonzero(ok)[0]
        sample_embedding = self._sample_embedding(model)
        gene_embedding = np.asarray(model.gene_embedding_, dtype=np.float32)
        joined_keys: list[str] = []
        run_units: tuple[np.ndarray, ...] = ()
        gene_dim = int(gene_embedding.shape[1])  # the model's own (joined: one run's)
        if self.config.join_models:
            gene_embedding, run_units, joined_keys = self._joined_gene_space(
                model_gene_ids, gene_embedding
            )
        meta_path = self.model_entry / "dashboard.json"
        key = str(model.key())
        layout_path = self.model_entry / "gene_layout.npy"
        stored_layout = self.config.model_dir is None and layout_path.exists() and not joined_keys
        try:
            meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
            if stored_layout:
                gene_layout = np.load(layout_path, allow_pickle=False)
                method = meta.get("gene_layout", "UMAP")
                if len(gene_layout) != len(model_gene_ids):  # (cut short: fewer rows)
                    raise ValueError(f"gene_layout.npy has {len(gene_layout)} rows")
        except (ValueError, EOFError, AttributeError) as exc:
            if self.config.model_dir is None:
                raise _DamagedEntry() from exc
            meta = {}  # (the user's model: its dashboard.json is not needed)
        if not stored_layout:
            cache_key = self.results.key(  # UMAP draws another layout for another seed
                "gene-layout",
                key,
                *joined_keys,
                self.config.gene_layout,
                "cosine",
                self.config.settings.seed,
            )
            cached = self.results.get(cache_key)
            if cached is None:
                gene_layout, method = gene_layout_2d(
                    gene_embedding, seed=self.config.settings.seed, method=self.config.gene_layout
                )
                self.results.set(cache_key, {"layout": gene_layout, "method": method})
            else:
                gene_layout, method = cached["layout"], cached["method"]
        info = {
            "class": type(model).__name__,
            "key": key,
            "sample_dim": int(sample_embedding.shape[1]),
            "gene_dim": gene_dim,
            "n_model_genes": int(len(model_gene_ids)),
            "n_dataset_genes": int(self.n_genes),
            "joined_models": len(joined_keys) + 1 if joined_keys else None,
            "gene_layout": method,
            "config": _model_config(model),
            "final_loss": float(model.history_[-1]) if getattr(model, "history_", None) else None,
            # (a model given with --model: its own record of the time)
            "train_seconds": meta.get("train_seconds") or _positive(model, "train_time_s_"),
            "path": str(self._model_path()),
        }
        log.info("model %s loaded in %.2f s", key[:12], time.perf_counter() - t0)
        return ModelState(
            model=model,
            key=key,
            sample_embedding=sample_embedding,
            gene_embedding=gene_embedding,
            gene_layout=np.asarray(gene_layout, dtype=np.float32),
            gene_es_index=gene_es_index,
            es_model_index=es_model_index,
            info=info,
            run_units=run_units,
        )

    def _joined_gene_space(
        self, gene_ids: np.ndarray, gene_embedding: np.ndarray
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...], list[str]]:
        """The model's gene vectors joined with those of ``config.join_models`` (same genes).

        Returns the joined vectors, each model's unit vectors and the joined models' keys.
        """
        from core.analysis import check_distinct_runs, consensus_gene_space

        wanted = [_strip_version(g).upper() for g in gene_ids]
        embeddings, keys = [gene_embedding], []
        for path in self.config.join_models:
            other = load_model(path)
            pos = {
                _strip_version(str(g)).upper(): i for i, g in enumerate(np.asarray(other.gene_ids_))
            }
            rows = np.array([pos.get(g, -1) for g in wanted], dtype=int)
            missing = int((rows < 0).sum())
            if missing:
                raise ModelError(
                    f"--join-models {path}: lacks {missing} of the {len(wanted)} genes of the "
                    "model shown; join models trained on the same genes (other seeds or gene_dim)"
                )
            embeddings.append(np.asarray(other.gene_embedding_, dtype=np.float32)[rows])
            keys.append(str(other.key()))
        check_distinct_runs(
            embeddings,
            ["the model shown", *(f"--join-models {p}" for p in self.config.join_models)],
        )
        joined = consensus_gene_space(embeddings).astype(np.float32)
        units = tuple(unit_rows(e).astype(np.float32) for e in embeddings)
        log.info("gene space: %d models joined", len(embeddings))
        return joined, units, keys

    def _sample_embedding(self, model: Any) -> np.ndarray:
        emb = np.asarray(model.sample_embedding_, dtype=np.float32)
        train_ids = np.asarray(model.sample_ids_).astype(str)
        if len(train_ids) == self.n_samples and np.array_equal(train_ids, self.sample_ids):
            return emb
        pos = {s: i for i, s in enumerate(train_ids)}
        rows = np.array([pos.get(s, -1) for s in self.sample_ids])
        out = np.empty((self.n_samples, emb.shape[1]), dtype=np.float32)
        known = rows >= 0
        out[known] = emb[rows[known]]
        if (~known).any():
            log.info("embedding %d samples absent from training with transform()", (~known).sum())
            sub = _subset_samples(self.es, np.nonzero(~known)[0])
            out[~known] = np.asarray(model.transform(sub), dtype=np.float32)
        return out

    def train(self, progress: ProgressFn | None = None, record: bool = False) -> str:
        """Train the model of this dataset + settings and store it with its gene layout.

        Runs in a background job (never in a request). Idempotent: when another process trained
        the same model meanwhile, it is loaded instead. One job trains: a second (a page
        reloaded meanwhile, another user) waits for it, relaying its progress, and loads its
        model.

        Parameters
        ----------
        progress
            ``progress(fraction, message)`` called during training (fraction in 0..1).
        record
            Keep the job's record (``train``: :meth:`job_progress`, :meth:`job_finished`),
            which jobs started meanwhile relay. Only the job that trains writes it.

        Returns
        -------
        str
            The model key.
        """
        progress = progress or (lambda f, m: None)
        entry = self.model_entry

        def relay() -> None:  # the page reloaded while another job trains: its progress
            job = self.job_running("train")
            if job is not None and job.get("progress"):
                fraction = float(job.get("fraction") or 0.0)
                progress(fraction, f"{job['progress']} ({EARLIER_TRAINING})")
            else:
                progress(0.0, f"waiting for the model ({EARLIER_TRAINING})")

        lock_cache, lock = self._job_turn("train", f"train-owned-{entry.name}", record, relay)
        try:
            st = self.state() if self.model_ready_on_disk() else None  # (None: damaged,
            if st is not None:  # discarded, and trained below)
                progress(1.0, "model found in the cache")
                return st.key
            if not record:
                return self._train(progress)
            return self._recorded("train", self._train, progress)
        finally:
            lock.release()
            lock_cache.close()

    def _renew_lock_store(self, exc: Exception) -> None:
        locks = self.cache_dir / "locks"
        log.warning("the job lock store %s is damaged (%s): made anew", locks, exc)
        doomed = locks.with_name(f"locks.damaged-{uuid.uuid4().hex[:8]}")
        try:
            locks.rename(doomed)
        except OSError as err:
            raise CoreError(
                f"the job lock store {locks} is damaged ({exc}) and cannot be moved aside "
                f"({err}); stop the dashboard, delete that folder and start it again"
            ) from None
        shutil.rmtree(doomed, ignore_errors=True)

    def _job_turn(
        self, kind: str, name: str, record: bool, waiting: Callable[[], None]
    ) -> tuple[Any, OwnedLock]:
        """The lock ``name`` of the background job ``kind``, waited for (``waiting()`` between
        two attempts) -> (its cache, to close; the lock, held).

        With ``record``, a failure here (a cache that cannot be opened) is recorded as the job's
        end: the page reads the end from the record, and without it the failure was told as a
        job killed for lack of memory (a job that another runs meanwhile keeps its record)."""
        import diskcache

        lock_cache = None
        try:
            try:
                lock_cache = diskcache.Cache(str(self.cache_dir / "locks"))
                lock = OwnedLock(lock_cache, name, expire=6 * 3600)
                lock.acquire(waiting=waiting)
            except sqlite3.DatabaseError as exc:  # a damaged lock store ("disk image is
                # malformed") failed every training, restart or not: it holds only the locks
                # of running jobs, so it is made anew; a busy one ("database is locked", an
                # OperationalError) is no damage, and another job may hold a lock in it
                if isinstance(exc, sqlite3.OperationalError):
                    raise
                if lock_cache is not None:
                    lock_cache.close()
                lock_cache = None
                self._renew_lock_store(exc)
                lock_cache = diskcache.Cache(str(self.cache_dir / "locks"))
                lock = OwnedLock(lock_cache, name, expire=6 * 3600)
                lock.acquire(waiting=waiting)
        except Exception as exc:
            if lock_cache is not None:
                lock_cache.close()
            if record and not self._job_record_held(kind):
                self.job_finished(kind, error=_job_error(exc))
            raise
        return lock_cache, lock

    def _recorded(
        self,
        kind: str,
        work: Callable[[ProgressFn], Any],
        progress: ProgressFn,
        words: Callable[[float, str], str] = lambda fraction, message: message,
    ) -> Any:
        """``work(progress)`` run by the job that holds the lock of ``kind``, its start, its
        progress (as ``words`` says it) and its end kept in the job's record, which pages
        opened meanwhile follow."""
        self.job_started(kind)

        def recorded(fraction: float, message: str) -> None:
            progress(fraction, message)
            self.job_progress(kind, words(fraction, message), fraction)

        try:
            result = work(recorded)
        except Exception as exc:
            self.job_finished(kind, error=_job_error(exc))
            raise
        self.job_finished(kind)
        return result

    def _train(self, progress: ProgressFn) -> str:
        """:meth:`train` once its lock is held."""
        entry = self.model_entry
        settings = self.config.settings
        cls = estimator_class(settings.standin)
        model = cls(**settings.estimator_kwargs())
        t0 = time.perf_counter()

        def on_epoch(p: Any) -> None:
            frac = float(getattr(p, "fraction", 0.0))
            loss = getattr(p, "loss", float("nan"))
            msg = (
                f"training: epoch {getattr(p, 'epoch', '?')}/{getattr(p, 'n_epochs', '?')}, "
                f"loss {loss:.4f}, {getattr(p, 'elapsed_s', 0.0):.0f} s"
            )
            progress(0.9 * frac, msg)

        train_es = settings.training_genes(self.es)
        progress(0.0, f"training {cls.__name__} on {train_es.n_samples} x {train_es.n_genes}")
        model.fit(train_es, callback=on_epoch)
        train_seconds = time.perf_counter() - t0
        progress(0.92, f"laying out gene space ({self.config.gene_layout.upper()})")
        layout, method = gene_layout_2d(
            np.asarray(model.gene_embedding_),
            seed=settings.seed,
            method=self.config.gene_layout,
        )
        remove_stale_temporaries(entry)  # (left by a training killed while it saved)
        tmp = temporary_name(entry, uuid.uuid4().hex)
        tmp.mkdir(parents=True)
        try:
            model.save(tmp / "model")
            np.save(tmp / "gene_layout.npy", layout)
            meta = {
                "train_seconds": round(train_seconds, 2),
                "gene_layout": method,
                "settings": dataclasses.asdict(settings),
                "dataset": self.describe(),
            }
            (tmp / "dashboard.json").write_text(json.dumps(meta, indent=1, default=list))
            replace_dir(tmp, entry)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        progress(1.0, f"model ready ({train_seconds:.0f} s)")
        log.info("trained %s in %.1f s -> %s", cls.__name__, train_seconds, entry)
        return str(model.key())

    # ------------------------------------------------------------------ background jobs
    def _job_file(self, kind: str) -> Path:
        # named as what the job makes: a model, the baseline maps of these values, seed and
        # labels (two apps of the same data with other seeds followed each other's job), or
        # placed samples of this dataset
        if kind == "train":
            scope = self.model_entry.name
        elif kind == "baselines":
            if self._baselines_scope is None:
                self._baselines_scope = self.baselines_key()[:24]
            scope = self._baselines_scope
        else:
            scope = self.fingerprint
        return self.cache_dir / "jobs-state" / f"{kind}-{scope}.json"

    def _write_job_record(self, kind: str, record: dict[str, Any]) -> None:
        # a small file, replaced in one step (as the results are, core.cache): seen at once by
        # the server and by every job forked from it
        path = self._job_file(kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record))
        tmp.replace(path)

    def job_started(self, kind: str) -> None:
        """Record that the background job ``kind`` (``train``, ``baselines``, ``place-<id>``)
        started here."""
        self.job_progress(kind, "")

    def job_progress(self, kind: str, progress: str, fraction: float | None = None) -> None:
        """Record how far the background job ``kind``, running here, is (``progress``, and
        the ``fraction`` done when known): a page opened later shows it (:meth:`job_running`)."""
        record = {"state": "running", **OwnedLock.identity(), "progress": progress}
        if fraction is not None:
            record["fraction"] = float(fraction)
        self._write_job_record(kind, record)

    def job_running(self, kind: str) -> dict[str, Any] | None:
        """The record of the job ``kind`` while its process runs (``progress`` says how far),
        None once it ended or when there was none.

        A job belongs to the page that started it: a page reloaded meanwhile learns of it here.
        """
        try:
            record = json.loads(self._job_file(kind).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("state") != "running":
            return None
        # a record without this machine's name (another machine's, or an older version's, which
        # named no host) cannot be checked: the page does not wait for it
        if record.get("host") != socket.gethostname():
            return None
        return record if OwnedLock.owner_alive(record) else None

    #: A running job's record written on another machine (a cache shared by several hosts),
    #: rewritten within this many seconds, is taken for a live job's: its process cannot be
    #: checked from here, and a job writes its record at every step of its progress.
    OTHER_HOST_RECORD_FRESH_S = 3600.0

    def _job_record_held(self, kind: str) -> bool:
        """Whether the record of the job ``kind`` is a live job's, which an end recorded here
        would overwrite: running here (:meth:`job_running`), or running on another machine
        and recently written (:attr:`OTHER_HOST_RECORD_FRESH_S`). A job that failed while
        waiting for its turn wrote "failed" over another host's live job."""
        if self.job_running(kind) is not None:
            return True
        path = self._job_file(kind)
        try:
            record = json.loads(path.read_text())
            age = time.time() - path.stat().st_mtime
        except (OSError, ValueError):
            return False
        return (
            isinstance(record, dict)
            and record.get("state") == "running"
            and record.get("host") not in (None, socket.gethostname())
            and age < self.OTHER_HOST_RECORD_FRESH_S
        )

    def job_finished(self, kind: str, error: str | None = None) -> None:
        """Record how the job ``kind`` ended: ``done``, or ``failed`` with its ``error``."""
        record = {"state": "failed", "error": error} if error else {"state": "done"}
        self._write_job_record(kind, record)

    def job_outcome(self, kind: str) -> dict[str, Any]:
        """How the last job ``kind`` ended, asked once Dash reports that it is over.

        Returns
        -------
        dict
            ``{"state": "done"}``, ``{"state": "failed", "error": message}`` or
            ``{"state": "stopped"}``: the job ended without finishing (a process killed, e.g.
            for lack of memory, leaves no Python exception and no result behind).
        """
        try:
            record = json.loads(self._job_file(kind).read_text())
        except (OSError, ValueError):
            record = {}
        if isinstance(record, dict) and record.get("state") in ("done", "failed"):
            return dict(record)
        return {"state": "stopped"}

    def job_forget(self, kind: str) -> None:
        """Remove the record of the job ``kind`` (one per request, as placing an upload, once
        its outcome was read)."""
        self._job_file(kind).unlink(missing_ok=True)

    #: How long the samples placed by a page are kept on the server for that page to find them
    #: again after a reload.
    PLACEMENT_KEEP_S = 7 * 24 * 3600

    def _placement_file(self, kind: str) -> Path:
        job = self._job_file(kind)
        return job.with_name(f"{job.stem}.placed.json")

    def save_placement(self, kind: str, result: dict[str, Any]) -> None:
        """Keep what the placing job ``kind`` placed (``records``, ``info``, ``warnings``), so
        that its page, reloaded, shows it again (:meth:`placement`). Results older than
        :attr:`PLACEMENT_KEEP_S` are removed meanwhile."""
        folder = self._job_file(kind).parent
        folder.mkdir(parents=True, exist_ok=True)
        now = time.time()
        # (and the records of placing jobs whose end no page read: a page reloaded meanwhile)
        for old in [*folder.glob("*.placed.json"), *folder.glob("place-*.json")]:
            try:
                if now - old.stat().st_mtime > self.PLACEMENT_KEEP_S:
                    old.unlink()
            except OSError:
                pass
        st = self.require_state()
        path = self._placement_file(kind)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"model": str(st.key), **result}))
        tmp.replace(path)

    def placement(self, kind: str) -> dict[str, Any] | None:
        """What the placing job ``kind`` placed on this model's map, None when it is not kept
        (never placed, removed, placed on another model's map: by its key, which a model
        retrained into the same folder does not keep) or while no model is ready."""
        st = self.state()
        if st is None:
            return None
        try:
            result = json.loads(self._placement_file(kind).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(result, dict) or result.get("model") != str(st.key):
            return None
        return result

    def placement_forget(self, kind: str) -> None:
        """Remove what the placing job ``kind`` placed (its page cleared it)."""
        self._placement_file(kind).unlink(missing_ok=True)

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

    # ------------------------------------------------------------------ gene annotations
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
        if cfg.go_gaf is not None:
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

    def go_terms_of(self, symbols: Sequence[str], max_terms: int | None = 3) -> list[str]:
        """The first ``max_terms`` direct GO biological-process terms of each gene (``; ``-joined,
        ``(+n)`` for the n left out); None: all of them."""
        direct = self._go_direct()
        if direct is None:
            return [""] * len(symbols)
        csr, bp, names, rows = direct
        out = []
        for s in symbols:
            k = rows.get(s)
            if k is None:
                out.append("")
                continue
            cols = np.sort(csr.indices[csr.indptr[k] : csr.indptr[k + 1]])
            cols = cols[bp[cols]]
            shown = [str(n) for n in names[cols if max_terms is None else cols[:max_terms]]]
            more = len(cols) - len(shown)
            out.append("; ".join(shown) + (f" (+{more})" if more > 0 else ""))
        return out

    def enricher(self) -> Any:
        """The GO BP enricher against this dataset's genes (built once; None without GO)."""
        go = self.ontology()
        if go is None:
            return None
        with self._lock:
            if getattr(self, "_enricher", None) is None:
                self._enricher = go.enricher(
                    self._gene_queries(), ontology="BP", symbols=self._gene_hints()
                )
            return self._enricher

    def enrichment(self, genes: Sequence[str | int], max_fdr: float = 0.25) -> pd.DataFrame:
        """GO BP terms enriched in ``genes`` against the dataset's genes (hypergeometric, BH).

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
            with a GO BP annotation (``n_list_annotated``) among the dataset's annotated genes
            (``n_background``).
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
        enr = self.enricher()
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

    def search_go_terms(self, text: str, limit: int = 30) -> list[tuple[str, str]]:
        """GO terms whose id or name contains ``text`` -> [(go_id, name)], BP first."""
        go = self.ontology()
        t = (text or "").strip().lower()
        if go is None or len(t) < 3:
            return []
        terms = go.terms
        names = terms["name"].astype(str)
        hit = names.str.lower().str.contains(t, regex=False) | terms.index.str.lower().str.contains(
            t, regex=False
        )
        sub = terms[hit].copy()
        sub["_bp"] = sub["ontology"] != "BP"
        sub["_len"] = sub["name"].str.len()
        sub = sub.sort_values(["_bp", "_len"]).head(limit)
        return [(str(i), f"{r['name']} ({r['ontology']})") for i, r in sub.iterrows()]

    def go_term_members(self, go_id: str) -> np.ndarray:
        """(n_genes,) bool: dataset genes annotated to ``go_id`` (propagated)."""
        go = self.ontology()
        if go is None:
            raise DataError("Gene Ontology not available: cannot colour by a GO term")
        members = go.term_genes(go_id)
        # each dataset gene as the enrichment maps it: one GO gene each
        return np.isin(self._go_rows(go), members.index.to_numpy(dtype=np.int64))

    # ------------------------------------------------------------------ gene space
    def neighbors(self, j: int, k: int | None = None) -> pd.DataFrame:
        """The ``k`` genes nearest to dataset gene ``j`` in gene space (cosine distance, as
        :func:`core.analysis.gene_neighbors`; with ``join_models``, the mean over the models).

        Returns
        -------
        pandas.DataFrame
            Columns ``rank, symbol, gene_id, distance, detected, name, gene_type, go_terms``;
            ``detected`` is the share of samples in which the gene is above 0 (genes that are
            off almost everywhere lie close together in gene space). With joined models, also
            ``runs``: in how many of the models, alone, the gene is among the ``k`` nearest.
        """
        st = self.require_state()
        k = int(k or self.config.n_neighbors)
        m = int(st.es_model_index[j])
        if m < 0:
            raise DataError(f"gene {self.gene_symbols[j]} has no embedding in this model")
        emb = st.gene_unit
        d = 1.0 - emb @ emb[m]
        d[m] = np.inf
        k = min(k, len(d) - 1)
        idx = np.argpartition(d, k)[:k]
        idx = idx[np.argsort(d[idx])]
        cols = st.gene_es_index[idx]
        table = self.gene_table()
        detection = self.detection()
        symbols = [self.gene_symbols[c] if c >= 0 else "" for c in cols]
        out = pd.DataFrame(
            {
                "rank": np.arange(1, len(idx) + 1),
                "symbol": symbols,
                "gene_id": [self.gene_ids[c] if c >= 0 else "" for c in cols],
                "distance": [round(float(v), 4) for v in d[idx]],
                "detected": [round(float(detection[c]), 3) if c >= 0 else None for c in cols],
                "name": [table["name"].iat[c] if c >= 0 else "" for c in cols],
                "gene_type": [table["gene_type"].iat[c] if c >= 0 else "" for c in cols],
                "go_terms": self.go_terms_of(symbols),
            }
        )
        if st.run_units:
            out.insert(
                4, "runs", [f"{n}/{len(st.run_units)}" for n in _runs(st.run_units, m, idx, k)]
            )
        return out

    # ------------------------------------------------------------------ selections
    def _column_sums(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with self._lock:
            if self._sums is None:
                self._sums = _masked_sums(self.values, None)
            return self._sums

    def specific_genes(
        self, rows: Sequence[int], top: int = 25, min_score: float = MIN_SPECIFIC_SCORE
    ) -> pd.DataFrame:
        """Genes most specific to the selected samples against all others (Welch t-like score).

        Parameters
        ----------
        rows
            Selected sample rows (indices into ``es.sample_ids``).
        top
            Most genes returned (highest score first).
        min_score
            Only genes whose score reaches it: higher in the selection than in the other
            samples, clearly (a gene lower in the selection is not specific to it, and was
            listed, and marked on the gene map, when fewer than ``top`` genes were higher).
            Genes with values in fewer than :data:`MIN_SELECTED_VALUES` selected samples
            (all of them, in a smaller selection) are not scored.

        Returns
        -------
        pandas.DataFrame
            Columns ``symbol, gene_id, mean_selected, mean_rest, difference, score``; no rows
            when no gene reaches ``min_score``.

        Raises
        ------
        DataError
            Empty selection, or a selection of every sample.
        """
        sel = np.unique(np.asarray(list(rows), dtype=int))
        if sel.size == 0:
            raise DataError("the selection is empty: draw a lasso or box around some samples")
        if sel.min() < 0 or sel.max() >= self.n_samples:
            raise DataError("the selection refers to samples that are not in this dataset")
        if sel.size >= self.n_samples - 1:
            raise DataError(
                f"the selection holds {sel.size:,} of the {self.n_samples:,} samples: nothing "
                "left to compare it with; select fewer"
            )
        s_all, ss_all, n_all = self._column_sums()
        s_sel, ss_sel, n_sel = _masked_sums(self.values, sel)
        n_rest = n_all - n_sel
        with np.errstate(invalid="ignore", divide="ignore"):
            m_sel = s_sel / n_sel
            m_rest = (s_all - s_sel) / n_rest
            v_sel = np.maximum(ss_sel / n_sel - m_sel**2, 0) * n_sel / np.maximum(n_sel - 1, 1)
            v_rest = (
                np.maximum((ss_all - ss_sel) / n_rest - m_rest**2, 0)
                * n_rest
                / np.maximum(n_rest - 1, 1)
            )
            # Welch's t; the floor only for a gene without spread in either group (a constant
            # 1e-6 added to the variance took 3% off the scores of large selections)
            var = v_sel / np.maximum(n_sel, 1) + v_rest / np.maximum(n_rest, 1)
            score = (m_sel - m_rest) / np.sqrt(np.maximum(var, 1e-12))
        # a gene measured in one of the selected samples (missing values) had no spread there
        # and topped the list; it needs values in 3 of them (or all, in a smaller selection),
        # and in 2 at least: one sample has no variance, and Welch's t none (t = 119 listed
        # for a selection of one sample)
        enough = n_sel >= max(2, min(MIN_SELECTED_VALUES, sel.size))
        score = np.where(np.isfinite(score) & enough, score, -np.inf)
        idx = np.flatnonzero(score >= min_score)
        idx = idx[np.argsort(-score[idx], kind="stable")][: max(0, int(top))]
        return pd.DataFrame(
            {
                "symbol": self.gene_symbols[idx],
                "gene_id": self.gene_ids[idx],
                "mean_selected": [round(float(v), 3) for v in m_sel[idx]],
                "mean_rest": [round(float(v), 3) for v in m_rest[idx]],
                "difference": [round(float(v), 3) for v in m_sel[idx] - m_rest[idx]],
                "score": [round(float(v), 2) for v in score[idx]],
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
            decoded value against the gene's mean and sd over samples (the sd taken as at least
            :attr:`PROBE_SD_FLOOR` times the median gene's: a gene off in almost every sample
            has an sd near 0, and a decoded 0.05 put it first); ``samples``: DataFrame
            ``sample_id, distance, <first annotations>`` of the nearest real samples.
        """
        if not (np.isfinite(x) and np.isfinite(y)):
            raise DataError(f"the probe point ({x}, {y}) is not a finite coordinate")
        st = self.require_state()
        profile = np.asarray(st.model.predict(np.array([[x, y]], dtype=np.float32)))[0]
        cols = st.gene_es_index
        ok = cols >= 0
        mean, std = self.gene_stats()
        std = np.maximum(std, self.PROBE_SD_FLOOR * float(np.median(std)))
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

    # ------------------------------------------------------------------ new samples
    #: Largest upload of new samples, and most samples placed at once, in the page (larger
    #: sets: ``python -m core embed``).
    MAX_PLACE_BYTES = 50_000_000
    #: Largest upload once unpacked (a .gz file).
    MAX_PLACE_UNPACKED = 250_000_000
    MAX_PLACED = 2_000
    #: Training samples consulted for a placed sample's majority label.
    PLACE_K = 15

    def training_transform(self) -> str:
        """The log transform the data shown was loaded with (``none`` when not known)."""
        source = getattr(self.es, "source", None) or {}
        return str(source.get("transform") or "none")

    def value_scale(self) -> str | None:
        """The scale of the values shown (``log10(x+1)``, ``log2(x+1)``), None when not known."""
        return {"log10p1": "log10(x+1)", "log2p1": "log2(x+1)"}.get(self.training_transform())

    def values_as_in_file(self) -> bool:
        """Whether the values shown are a file's, untransformed (the file's scale, whatever it
        is: a colour bar said only "observed")."""
        source = getattr(self.es, "source", None) or {}
        return str(source.get("transform")) == "none" and bool(
            source.get("path") or source.get("gct")
        )

    #: Samples placed at a time: the progress is reported between chunks (each sample is placed
    #: on its own, so the places are those of one go).
    PLACE_CHUNK = 100
    #: Seconds between two progress messages of a baseline map that says nothing as it runs.
    PROGRESS_TICK_S = 2.0

    def place_samples(
        self,
        raw: bytes,
        filename: str,
        transform: str = "none",
        progress: ProgressFn | None = None,
    ) -> pd.DataFrame:
        """Place the samples of an uploaded matrix on the sample map.

        Parameters
        ----------
        raw
            The file's bytes: CSV/TSV (optionally gzipped) or parquet, samples x genes or genes x
            samples, genes by symbol or id (as ``python -m core train --matrix``).
        filename
            Its name (the format is read from the extension).
        transform
            Log transform applied on load (``log10p1``, ``log2p1`` or ``none``): the new
            values must be on the training data's scale.
        progress
            Called as ``progress(fraction, message)`` while the file is read and every
            :attr:`PLACE_CHUNK` samples placed (``"placing 1,200 samples… 40%"``).

        Returns
        -------
        pandas.DataFrame
            ``sample_id, x, y, fit_error, nearest_sample, distance_on_map`` and, when the
            dataset has a label column (tissue), ``nearest_label, majority_label,
            majority_share`` over the ``PLACE_K`` nearest samples of the map. ``attrs``:
            ``label`` (that column), ``genes_present`` (model genes in the upload, of all),
            ``no_values`` (ids of the samples left out: no value for any gene of the model),
            ``silent`` (ids of the samples placed that are 0 for every model gene they have),
            ``text_cells`` (the first 100 cells of expression columns that hold text, read as
            missing: dicts of ``column``, ``row``, ``text``, ``axis``: ``genes`` when the
            columns are genes), ``text_cell_count`` (all of them), ``word_genes`` (columns
            named as genes of the model that hold words, not numbers: read as annotations)
            and ``fit_warning``.
        """
        import inspect
        import tempfile

        from core.analysis import map_neighbours

        progress = progress or (lambda f, m: None)
        name = Path(str(filename or "upload")).name
        if len(raw) > self.MAX_PLACE_BYTES:
            raise DataError(
                f"{name}: {len(raw) / 1e6:.0f} MB; up to {self.MAX_PLACE_BYTES // 1_000_000} MB "
                "are placed here (use “python -m core embed” for more)"
            )
        suffixes = "".join(s.lower() for s in Path(name).suffixes[-2:])
        allowed = (".csv", ".tsv", ".txt", ".gct", ".parquet")
        allowed += tuple(f"{a}.gz" for a in allowed[:4])
        suffix = next((a for a in allowed if suffixes.endswith(a)), None)
        if suffix is None:
            raise DataError(f"{name}: {_other_kind(raw, name)}")
        if suffix.endswith(".gz") and raw[:2] != b"\x1f\x8b":
            raise DataError(f"{name}: not a gzip file (its name ends in .gz); give it unpacked")
        if suffix == ".parquet" and raw[:4] != b"PAR1":
            raise DataError(f"{name}: not a parquet file (its name ends in .parquet)")
        st = self.require_state()
        model = st.model
        symbols = getattr(model, "gene_symbols_", model.gene_ids_)
        model_genes = {_strip_version(str(g)).upper() for g in model.gene_ids_}
        model_genes |= {str(g).upper() for g in symbols}
        progress(0.0, f"reading {name}…")
        if suffix.endswith(".gz") or (suffix != ".parquet" and raw[:2] == b"\x1f\x8b"):
            # unpacked here, within a limit: 0.7 MB of gzip'd zeros unpacked to 150,000
            # samples, and took 2 GB before the sample limit refused them. A gzip'd table
            # named .csv is read too, as the command line reads it ("a binary file" before)
            raw = _gunzip_within(raw, self.MAX_PLACE_UNPACKED, name)
            suffix = suffix.removesuffix(".gz")
        said = not_a_table(raw[:4096]) if suffix in (".csv", ".tsv", ".txt", ".gct") else None
        if said is not None:  # an Excel workbook renamed .csv, UTF-16 text: named, with a remedy
            if said.endswith("not a text table"):
                said += "; give a CSV or TSV with the genes in the first row or column"
            raise DataError(f"{name}: {said}")
        if suffix in (".csv", ".tsv", ".txt", ".gct") and b"\x00" in raw[:65536]:
            # read as text, binary bytes gave "duplicate column names ['']" (also unpacked)
            raise DataError(
                f"{name}: not a text table (the file holds binary data); give a CSV or TSV "
                "with the genes in the first row or column"
            )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(raw)
            with _ThreadWarnings() as noticed:
                es, text_cells, n_text_cells = _load_upload(path, name, transform, model_genes)
            # the page says these itself, with the upload's sample and gene names
            said = {"text_cells", "empty_samples"}
            load_warnings = [
                m.replace(str(path), name)
                for m, notice in zip(noticed.messages, noticed.notices, strict=True)
                if notice not in said
            ]
        # a column named as a gene of the model that holds words more than numbers is read as
        # a sample annotation: the gene counts as absent, and the page says why
        samples = getattr(es, "samples", None)
        word_genes = (
            [str(c) for c in samples.columns if _is_model_gene(c, model_genes)]
            if isinstance(samples, pd.DataFrame)
            else []
        )
        if es.n_samples > self.MAX_PLACED:
            raise DataError(
                f"{name}: {es.n_samples:,} samples; up to {self.MAX_PLACED:,} are placed here "
                "(use “python -m core embed” for more)"
            )
        # counted as the placement matches them (core.data.match_genes), and only with a value
        # in some sample: a column of text read as missing values is no gene present
        matched = match_genes(model.gene_ids_, symbols, es.gene_ids, es.gene_symbols) >= 0
        n_present = int((matched & np.isfinite(np.asarray(es.values)).any(axis=0)).sum())
        if not matched.any():  # (genes of the model without any value: said below)
            raise DataError(
                f"{name}: none of its {es.n_genes:,} genes is a gene of the model (the "
                f"model's genes are e.g. {', '.join(map(str, list(self.gene_symbols[:3])))}); "
                "check that genes are named by symbol or id, in the first row or column"
            )
        # a sample with no value (all missing) for the model's genes would land on an
        # arbitrary point with a confident-looking tissue: it is left out, and said so
        in_model = np.array(
            [
                _strip_version(str(g)).upper() in model_genes or str(s).upper() in model_genes
                for g, s in zip(es.gene_ids, es.gene_symbols, strict=True)
            ]
        )
        has_value = np.isfinite(np.asarray(es.values)[:, in_model]).any(axis=1)
        no_values = [str(i) for i in np.asarray(es.sample_ids)[~has_value]]
        if not has_value.any():
            raise DataError(
                f"{name}: no sample has a value for the model's genes (all missing): "
                "nothing to place"
            )
        # 0 for every model gene it has (an empty library): placed, and said to mean nothing
        # (exactly 0: negative values are another scale, which the fit error says)
        expressed = (np.nan_to_num(np.asarray(es.values)[:, in_model]) != 0).any(axis=1)
        silent = [str(i) for i in np.asarray(es.sample_ids)[has_value & ~expressed]]
        # placed from a handful of genes (NaN elsewhere): uncertain, though its fit error is low
        from core.estimator import few_genes_limit

        n_valued = np.isfinite(np.asarray(es.values)[:, in_model]).sum(axis=1)
        limit = few_genes_limit(len(model.gene_ids_))
        few = [str(i) for i in np.asarray(es.sample_ids)[has_value & (n_valued < limit)]]
        if no_values:
            es = es.subset(samples=np.nonzero(has_value)[0])
        n_valued = n_valued[has_value]
        n = es.n_samples
        with_error = "return_error" in inspect.signature(model.transform).parameters
        parts, errors, scales = [], [], []
        # transform logs a poor fit chunk by chunk; the page says it once, of all the samples
        estimator_log = logging.getLogger("core.estimator")
        estimator_log.addFilter(_said_on_the_page)
        try:
            for start in range(0, n, self.PLACE_CHUNK):
                progress(0.05 + 0.9 * start / n, f"placing {n:,} samples… {100 * start // n}%")
                rows = np.arange(start, min(n, start + self.PLACE_CHUNK))
                part = es if len(rows) == n else es.subset(samples=rows)
                if with_error:
                    c, e = model.transform(part, return_error=True)
                else:  # the PCA stand-in has no fit error
                    c, e = model.transform(part), np.full(len(rows), np.nan)
                parts.append(np.asarray(c, dtype=np.float32))
                errors.append(np.asarray(e, dtype=np.float64))
                scale_of = getattr(model, "value_scales", None)  # (nor a decoded profile)
                scales.append(scale_of(part, c) if scale_of else np.full(len(rows), np.nan))
        finally:
            estimator_log.removeFilter(_said_on_the_page)
        progress(0.95, f"placing {n:,} samples… 100%")
        coords = np.concatenate(parts)
        error = np.concatenate(errors)
        label = self.es.label_column() if hasattr(self.es, "label_column") else None
        labels = None
        if label:  # samples without the label are a class of their own, "unlabelled", as in the
            # map's legend: among 14 unlabelled nearest and 1 Lung, the majority was "Lung"
            column = self.samples[label]
            labels = column.astype(object).where(column.notna(), "unlabelled").to_numpy()
            labels = np.where(pd.Series(labels).astype(str).str.strip() == "", "unlabelled", labels)
        near = map_neighbours(st.sample_embedding, coords, labels, k=self.PLACE_K)
        out = pd.DataFrame(
            {
                "sample_id": np.asarray(es.sample_ids).astype(str),
                "x": coords[:, 0],
                "y": coords[:, 1],
                "fit_error": error,
                "genes_used": n_valued.astype(np.int64),
                "nearest_sample": self.sample_ids[near["nearest"].to_numpy()],
                "distance_on_map": near["distance_on_map"].to_numpy(),
            }
        )
        for col in ("nearest_label", "majority_label", "majority_share"):
            if col in near:
                out[col] = near[col].to_numpy()
        out.attrs["label"] = label
        out.attrs["genes_present"] = (int(n_present), len(model.gene_ids_))
        out.attrs["no_values"] = no_values
        out.attrs["silent"] = silent
        out.attrs["few_genes"] = (few, limit)
        out.attrs["text_cells"] = text_cells
        out.attrs["text_cell_count"] = n_text_cells
        out.attrs["word_genes"] = word_genes
        out.attrs["shared_names"] = shared_name_note(
            model.gene_ids_, model.gene_symbols_, es.gene_ids, es.gene_symbols
        )
        out.attrs["load_warnings"] = load_warnings
        check = getattr(model, "fit_error_warning", None)
        loud = ~out["sample_id"].isin(silent).to_numpy()
        scale = np.concatenate(scales)
        out.attrs["fit_warning"] = (
            check(error[loud], scale[loud]) if check is not None and loud.any() else None
        )
        # (a warning of the scale alone says nothing of single samples that fit far worse)
        out.attrs["fit_far"] = bool(out.attrs["fit_warning"]) and check(error[loud]) is not None
        out.attrs["scale_warning"] = self._upload_scale_warning(es, in_model)
        # a few samples far off (a typo, one sample in counts) among well-placed ones: the
        # median fit error said nothing of them
        from core.estimator import POOR_FIT_FACTOR

        history = getattr(model, "history_", None) or []
        trained = float(history[-1]) if history else float("nan")
        poor = loud & (error > POOR_FIT_FACTOR * trained) if trained > 0 else np.zeros(0, bool)
        out.attrs["poor_fit"] = (
            [str(s) for s in out["sample_id"].to_numpy()[poor]] if poor.any() else []
        )
        out.attrs["trained_error"] = trained
        progress(1.0, "done")
        log.info("placed %d uploaded samples (%s)", len(out), name)
        return out

    def _upload_scale_warning(self, es: Any, in_model: np.ndarray) -> str | None:
        """Words for uploaded values of the model's genes (``in_model``: columns of ``es``) far
        above any of the training data's (a cell of 1e12, a sample of counts among log values),
        or None: placed as they were, without a word, where ``python -m core embed`` warns.
        (Columns the model does not use, such as a read count, are not looked at.)"""
        from core.data import LOG_SCALE_MAX

        cols = np.flatnonzero(in_model)
        values = np.asarray(es.values)[:, cols]
        if not values.size or not np.isfinite(values).any():
            return None
        top = float(np.nanmax(values))
        if self._training_max is None:
            self._training_max = float(np.nanmax(self.values)) if self.values.size else 0.0
        limit = max(LOG_SCALE_MAX, 2.0 * self._training_max)
        if not top > limit:
            return None
        r, c = np.unravel_index(int(np.nanargmax(values)), values.shape)
        n_high = int((np.nan_to_num(values, nan=-np.inf) > limit).any(axis=1).sum())
        return (
            f"values up to {top:.4g} (sample {es.sample_ids[r]}, gene "
            f"{es.gene_symbols[cols[c]]}; "
            f"{n_high:,} sample{'' if n_high == 1 else 's'} above {limit:.3g}) are far above "
            f"the training data's (at most {self._training_max:.3g}): counts or TPM, or a typo? "
            "Their places are not to be trusted"
        )

    # ------------------------------------------------------------------ baselines
    #: Share of the labelled samples a map's 1-NN classifier learns from (the paper's Table 1),
    #: and the random draws averaged.
    ACCURACY_FRACTION = 0.02
    ACCURACY_SPLITS = 20

    def accuracy_note(self) -> str:
        """What the 1-NN accuracies of the maps mean here: how many samples are labelled, and
        the ceiling when they are fewer than the classes (a small dataset)."""
        label = self.baseline_label()
        if label is None:
            single = next((c for c in ("SMTS", "tissue") if c in self.samples.columns), None)
            if single is not None:
                # (a single-tissue study was told it had no tissue annotation)
                classes = self._label_classes(single)
                named = f" ({quoted(classes[0])})" if len(classes) else ""
                return (
                    f"Every labelled sample has the same {single}{named}: 1-NN has nothing to "
                    "tell apart, so the maps are not scored."
                )
            return "No tissue annotation: the maps are not scored."
        labels = self.samples[label]
        labels = labels[labels.notna() & (labels.astype(str).str.strip() != "")]
        n_classes = int(labels.nunique())
        n_train = int(round(self.ACCURACY_FRACTION * len(labels)))
        if n_train < 1:  # (it read "the nearest of 0 labelled samples ... above 0.00")
            return (
                f"The maps are not scored: 1-NN accuracy guesses each sample's {label} from "
                f"{self.ACCURACY_FRACTION:.0%} of the labelled samples, as in the paper's Table "
                f"1, and {self.ACCURACY_FRACTION:.0%} of {len(labels):,} is none "
                f"(python -m core evaluate --fraction scores a small dataset)."
            )
        text = (
            f"1-NN accuracy: each sample's {label} is guessed as that of the nearest of "
            f"{n_train:,} labelled samples ({self.ACCURACY_FRACTION:.0%} of {len(labels):,}, drawn "
            f"at random {self.ACCURACY_SPLITS} times; mean and sd), on each 2-D map, as in the "
            "paper's Table 1."
        )
        if n_train < n_classes:
            text += (
                f" Here {n_train} labelled samples cannot cover the {n_classes} classes: no map "
                f"can score much above {n_train / n_classes:.2f}, so compare the maps with each "
                "other rather than with the paper's numbers."
            )
        return text

    def baseline_label(self) -> str | None:
        """The sample annotation the baseline maps are scored on (1-NN accuracy), if any: none
        of one class (a single tissue), where 1-NN has nothing to tell apart."""
        return next(
            (
                c
                for c in ("SMTS", "tissue")
                if c in self.samples.columns and len(self._label_classes(c)) >= 2
            ),
            None,
        )

    def _label_classes(self, column: str) -> np.ndarray:
        """The classes of the annotation ``column`` as 1-NN counts them
        (:func:`core.analysis.one_nn_accuracy`: blanks missing, 1 and "1" one class); pandas'
        nunique counted "Liver" and a blank, or 1 and "1", as two, and the baseline maps'
        job then failed on labels of one class."""
        return label_classes(self.samples[column].to_numpy(dtype=object))

    def model_map_name(self) -> str:
        """Name of the model's sample map beside the baselines: ``FE``, or ``model`` for another
        class (the PCA stand-in is not a factorized embedding)."""
        st = self.state()
        return "FE" if st is not None and st.info["class"] == "FactorizedEmbeddings" else "model"

    def model_accuracy(self, label: str) -> dict[str, float] | None:
        """1-NN accuracy of ``label`` on the model's sample map, as for the baselines (cached).

        Returns
        -------
        dict or None
            ``{"mean", "sd"}``; None while training or when ``label`` is not an annotation.
        """
        st = self.state()
        if st is None or label not in self.samples.columns:
            return None
        key = self.results.key(
            "dashboard-model-1nn",
            CODE_VERSION,  # (scores computed by another version of the code: computed again)
            st.key,
            self.fingerprint,
            label,
            self._labels_digest(label),
        )
        hit = self.results.get(key)
        if hit is None:
            labels = self.samples[label].to_numpy(dtype=object)
            hit = one_nn_accuracy(
                st.sample_embedding,
                labels,
                fraction=self.ACCURACY_FRACTION,
                splits=self.ACCURACY_SPLITS,
            )
            if hit is not None:
                self.results.set(key, hit)
        return hit

    def _labels_digest(self, label: str | None) -> str:
        """A digest of the samples' ``label`` values: the fingerprint covers the values and
        ids, not the annotations, and a corrected annotation file must not be scored as the
        old one was."""
        if label is None or label not in self.samples.columns:
            return ""
        values = self.samples[label].astype(object).where(self.samples[label].notna(), "")
        text = "\x1f".join(map(str, values.tolist()))
        return hashlib.sha1(f"{label}\x1e{text}".encode()).hexdigest()[:16]

    def baselines_key(self) -> str:
        """The baseline maps and their scores: of these values (the maps themselves are cached
        by ``core.analysis.baseline_embeddings`` on the values and the seed), this seed and
        these labels."""
        label = self.baseline_label()
        return self.results.key(
            "dashboard-baselines",
            CODE_VERSION,
            self.fingerprint,
            self.config.settings.seed,
            label,
            self._labels_digest(label),
        )

    def cached_baselines(self) -> dict[str, Any] | None:
        return self.results.get(self.baselines_key())

    def compute_baselines(
        self, progress: ProgressFn | None = None, record: bool = False
    ) -> dict[str, Any]:
        """PCA / NMF / t-SNE / UMAP maps of the samples (+ 1-NN accuracy from 2% labels), cached.

        Runs in a background job. Uses :func:`core.analysis.baseline_embeddings` when present.
        One job computes them: a second (a page reloaded meanwhile, another user) waits for it
        and reads its result instead of computing the same maps again.

        Parameters
        ----------
        record
            Keep the job's record (``baselines``: :meth:`job_progress`, :meth:`job_finished`),
            which pages opened meanwhile follow. Only the job that computes writes it, and its
            end before another job can take over.
        """

        progress = progress or (lambda f, m: None)
        hit = self.cached_baselines()
        if hit is not None:
            return hit
        said: list[bool] = []

        def waiting() -> None:  # said once, of a live job (not of the lock of a killed one)
            if not said:
                said.append(True)
                progress(0.0, "waiting for the same maps, computed by another job")

        name = f"baselines-owned-{self.baselines_key()}"
        lock_cache, lock = self._job_turn("baselines", name, record, waiting)
        try:
            hit = self.cached_baselines()
            if hit is not None:
                return hit
            if not record:
                return self._compute_baselines(progress)
            return self._recorded(
                "baselines",
                self._compute_baselines,
                progress,
                words=lambda fraction, message: f"{int(100 * fraction)}% — {message}",
            )
        finally:
            lock.release()
            lock_cache.close()

    def _compute_baselines(self, progress: ProgressFn) -> dict[str, Any]:
        from core.analysis import baseline_embeddings

        names = {"pca": "PCA", "nmf": "NMF", "tsne": "t-SNE", "umap": "UMAP"}
        done: list[str] = []
        # the map being computed and since when: t-SNE and UMAP say nothing while they run
        # (minutes on thousands of samples), so the time spent is said every few seconds
        now: dict[str, Any] = {"fraction": 0.0, "text": "", "since": time.monotonic()}
        lock = threading.Lock()
        stop = threading.Event()

        def step(method: str) -> None:
            with lock:
                now.update(
                    fraction=0.05 + 0.9 * len(done) / 4,
                    text=f"computing {names.get(method, method)}",
                    since=time.monotonic(),
                )
                progress(now["fraction"], now["text"])
            done.append(method)

        def tick() -> None:
            while not stop.wait(self.PROGRESS_TICK_S):
                with lock:
                    if now["text"]:
                        spent = time.monotonic() - now["since"]
                        progress(now["fraction"], f"{now['text']}… {spent:.0f} s")

        if self.n_samples < MIN_MAP_SAMPLES:
            raise DataError(
                f"{self.n_samples} sample{'' if self.n_samples == 1 else 's'}: too few for the "
                f"baseline maps (PCA, NMF, t-SNE and UMAP need at least {MIN_MAP_SAMPLES})"
            )
        # one gene: PCA, NMF and t-SNE have no second axis; UMAP still draws one
        methods = BASELINE_METHODS if self.n_genes >= 2 else ("umap",)
        ticker = threading.Thread(target=tick, name="baselines-progress", daemon=True)
        ticker.start()
        try:
            res = baseline_embeddings(
                self.values,
                methods=methods,
                cache=self.results,
                key=self.fingerprint,
                progress=step,
                seed=self.config.settings.seed,
            )
        finally:
            stop.set()
            ticker.join()
        maps = {names.get(k, k): np.asarray(v, dtype=np.float32) for k, v in res.items()}
        accuracy = {}
        label = self.baseline_label()
        if label is not None:
            labels = self.samples[label].to_numpy(dtype=object)
            for name, coords in maps.items():
                acc = one_nn_accuracy(
                    coords, labels, fraction=self.ACCURACY_FRACTION, splits=self.ACCURACY_SPLITS
                )
                if acc is not None:
                    accuracy[name] = acc
        # the model's own map is not kept here: these results are the dataset's, whichever
        # model is shown (:meth:`model_accuracy`)
        out = {"maps": maps, "accuracy": accuracy, "label": label or ""}
        self.results.set(self.baselines_key(), out)
        progress(1.0, "done")
        return out


# ----------------------------------------------------------------------------- small helpers
def _job_error(exc: BaseException) -> str:
    """What a background job's record says of the error that ended it."""
    return str(exc) if isinstance(exc, CoreError) else f"{type(exc).__name__}: {exc}"


def accuracy_train_size(labels: Any, fraction: float) -> tuple[int, int]:
    """(samples drawn to train on, labelled samples) of 1-NN accuracy from ``fraction``."""
    labels = pd.Series(np.asarray(labels, dtype=object))
    n_labelled = int((labels.notna() & (labels.astype(str).str.strip() != "")).sum())
    return int(round(fraction * n_labelled)), n_labelled


def one_nn_accuracy(
    coords: np.ndarray, labels: np.ndarray, fraction: float = 0.02, splits: int = 10, seed: int = 0
) -> dict[str, float] | None:
    """1-NN accuracy of ``labels`` from ``fraction`` labelled points (mean and sd over splits):
    the Table-1 protocol, :func:`core.analysis.one_nn_accuracy`; None when ``fraction`` of the
    labelled samples leaves none to train on or none to test (:meth:`AppContext.accuracy_note`
    says so): the maps are shown unscored rather than not at all."""
    from core.analysis import one_nn_accuracy as table1_one_nn

    n_train, n_labelled = accuracy_train_size(labels, fraction)
    if n_train < 1 or n_train >= n_labelled:
        return None
    acc = table1_one_nn(coords, labels, fraction=fraction, n_splits=splits, seed=seed)
    return {"mean": float(acc[0]), "sd": float(acc[1])}


def _subset_samples(es: Any, rows: np.ndarray) -> Any:
    sub = getattr(es, "subset", None)
    if callable(sub):
        try:
            return sub(samples=rows)
        except TypeError:
            pass
    from types import SimpleNamespace

    return SimpleNamespace(
        values=np.asarray(es.values)[rows],
        sample_ids=np.asarray(es.sample_ids)[rows],
        gene_ids=np.asarray(es.gene_ids),
        gene_symbols=np.asarray(es.gene_symbols),
    )


def _positive(obj: Any, name: str) -> float | None:
    value = getattr(obj, name, None)
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def _model_config(model: Any) -> dict[str, Any]:
    out = {}
    for name in ("sample_dim", "gene_dim", "hidden", "epochs", "lr", "init", "seed", "device"):
        v = getattr(model, name, None)
        if v is not None and not callable(v):
            out[name] = list(v) if isinstance(v, tuple) else v
    cfg = getattr(model, "config", None) or getattr(model, "config_", None)
    if dataclasses.is_dataclass(cfg):
        for k, v in dataclasses.asdict(cfg).items():
            out.setdefault(k, v)
    # the passes trained (``epochs`` is None when they followed the data size: not said)
    trained = getattr(model, "n_epochs_", None)
    if isinstance(trained, (int, np.integer)) and trained > 0:
        out["epochs"] = int(trained)
    return out
