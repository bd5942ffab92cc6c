"""Shared loading of a model and its data for ``python -m core evaluate`` and ``report``, and
``evaluate`` itself (Table 1 as JSON and Markdown); ``report`` is :mod:`core.report_cli`.

Both read a model directory written by ``python -m core train`` and reload its training data
through the data source the model recorded. Heavy results (baseline maps, Table-1 cells) are
kept in a :class:`core.cache.ResultCache` (``--cache-dir``, default ``$FE_CACHE_DIR`` or
``./cache``), so ``report`` after ``evaluate`` reuses their work. Here too: the flags both
commands take, the progress lines, the baseline maps and Table 1 they compute, and the words
both say of them.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from core import analysis
from core.data import is_simulated
from core.data.sources import TRANSFORM_SCALES
from core.errors import CoreError, DataError, ModelError
from core.provenance import software_line

log = logging.getLogger(__name__)
#: Table 1's labelled share used to train, as in the paper (``--fraction``).
DEFAULT_FRACTION = 0.02
#: Table 1's random train/test splits unless --splits says otherwise.
DEFAULT_SPLITS = 100


# ============================================================================= arguments
def register(subparsers: Any) -> None:
    """Add ``evaluate`` to the ``python -m core`` sub-commands (``report``:
    :func:`core.report_cli.register`)."""
    p = subparsers.add_parser(
        "evaluate",
        help="Table 1: how well the model's sample map separates tissues, against PCA, NMF, "
        "t-SNE and UMAP maps",
        description="Train classifiers on a fraction of labelled samples' coordinates, test on "
        "the rest, over random splits, for the model's sample embedding and baseline maps. "
        "Writes F.json and a Markdown table F.md.",
    )
    _common(p)
    p.add_argument(
        "--fraction",
        type=float,
        default=DEFAULT_FRACTION,
        metavar="SHARE",
        help="share of the labelled samples the classifiers train on; they are tested on the "
        f"rest (default {DEFAULT_FRACTION:g}, i.e. {DEFAULT_FRACTION * 100:g}%%, as in the paper)",
    )
    p.add_argument(
        "--splits",
        type=int,
        default=DEFAULT_SPLITS,
        metavar="N",
        help=f"random train/test splits averaged over (default {DEFAULT_SPLITS}; 10 give a "
        "quick look)",
    )
    p.add_argument("--out", required=True, metavar="F.json", help="JSON result (F.md beside it)")
    p.add_argument("--force", action="store_true", help="replace an existing F.json / F.md")
    p.add_argument(
        "--methods",
        default="pca,nmf,tsne,umap",
        metavar="M,M,...",
        help="baselines to compare, comma-separated, from pca,nmf,tsne,umap,raw "
        "(raw = the expression matrix itself, only when asked for; default %(default)s)",
    )
    p.add_argument(
        "--classifiers",
        default=",".join(analysis.CLASSIFIERS),
        metavar="C,C,...",
        help="comma-separated subset of: " + ", ".join(analysis.CLASSIFIERS) + " (default: all)",
    )
    p.set_defaults(func=run_evaluate)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model", required=True, metavar="DIR", help="model directory (written by train)"
    )
    p.add_argument(
        "--label",
        default=None,
        help="sample annotation column to classify (default: SMTS, tissue, or the first "
        "categorical column)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="seed of the random splits and the baseline maps (default 0)",
    )
    p.add_argument(
        "--stratify",
        action="store_true",
        help="Table 1: draw the share of each class's labelled samples (at least one, and one "
        "left to test) instead of the share of them all, so that every class has training "
        "samples in every split (the paper draws at random: the default)",
    )
    p.add_argument(
        "--center-samples",
        action="store_true",
        help="compute the baseline maps (and raw) on each sample's values minus its own mean "
        "over genes, the space of the model's default neighbour graph: a comparison on equal "
        "terms when the data carry per-sample offsets such as sequencing depth (NMF, which "
        "needs values of 0 or more, stays on the values as they are)",
    )
    p.add_argument(
        "--cache-dir",
        default=None,
        metavar="DIR",
        help="where baseline maps and scores are kept for later runs to reuse (default "
        "$FE_CACHE_DIR, else ./cache)",
    )
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="compute everything afresh, neither reading nor keeping results in --cache-dir",
    )


def _split_list(text: str, allowed: tuple[str, ...] | None, flag: str) -> list[str]:
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    if not items:
        raise CoreError(f"{flag} is empty")
    if allowed is not None:
        lower = {a.lower(): a for a in allowed}
        bad = [t for t in items if t.lower() not in lower]
        if bad:
            raise CoreError(f"{flag}: unknown {', '.join(bad)}; choose from {', '.join(allowed)}")
        items = [lower[t.lower()] for t in items]
    # a name given twice is one (1-NN,1-NN crashed evaluate after all its work)
    return list(dict.fromkeys(items))


# ============================================================================= loading
class _Loaded:
    """A model, its training data aligned to the model's samples and genes, and the labels."""

    def __init__(
        self, model_dir: str, label: str | None, flag: str = "--model", model: Any = None
    ) -> None:
        from core.data import load_source
        from core.embed_cli import load_model_dir, model_is_simulated

        self.dir = Path(model_dir)
        # (``model``: the directory's model when it has been read already)
        self.model = load_model_dir(model_dir, flag) if model is None else model
        saved = getattr(self.model, "samples_", None)
        source = getattr(self.model, "data_source_", None)
        if label is not None and saved is not None:  # before the data is read again (minutes)
            try:
                _label_column(SimpleNamespace(samples=saved), label)
            except CoreError:
                if not _in_annotation_headers(source, label):  # a column added since training
                    raise
        if not source:
            raise ModelError(f"{flag} {model_dir}: the model does not record its training data")
        try:
            es = load_source(source, expected_samples=self.model.sample_ids_)
        except DataError as exc:
            error = DataError(
                f"{flag} {model_dir}: cannot re-load the data it was trained on: {exc}"
            )
            error.fix = exc.fix  # (the command line words it as its flag)
            raise error from None
        self.es = _align(es, self.model, model_dir)
        # of simulated data when the data read again say so, or the model recorded it
        self.simulated = is_simulated(self.es) or model_is_simulated(self.model)
        # the genes' names in tables and figures (``readable_symbols`` fills the ones missing)
        self.symbols = np.asarray(self.es.gene_symbols, dtype=object)
        trained = getattr(self.model, "dataset_fingerprint_", "")
        if trained and self.es.fingerprint() != trained:
            raise ModelError(
                f"{flag} {model_dir}: its training data ({_source_path(source)}) has other "
                "values now than when the model was trained; train the model again on it"
            )
        self.label = _label_column(self.es, label)
        self.labels = None
        if self.label:
            from core.placed_samples import read_labels

            # one reading of the labels for every count, table and figure, the protocols':
            # spaces around a name are not part of it, a blank is no label, 1 and 1.0 are one
            # class (the page said 520 labelled samples and 28 classes above Table 1's 517, 26)
            self.labels = read_labels(self.es.samples[self.label], None)


def _source_path(source: dict[str, Any]) -> str:
    """The data file a data source reads, for messages."""
    return str(source.get("path") or source.get("gct") or source.get("loader", "?"))


def _align(es: Any, model: Any, model_dir: str) -> Any:
    sample_ids = np.asarray(model.sample_ids_, dtype=str)
    gene_ids = np.asarray(model.gene_ids_, dtype=str)
    same_samples = es.n_samples == sample_ids.size and np.array_equal(es.sample_ids, sample_ids)
    same_genes = es.n_genes == gene_ids.size and np.array_equal(es.gene_ids, gene_ids)
    if same_samples and same_genes:
        return es
    missing_s = np.setdiff1d(sample_ids, es.sample_ids)
    missing_g = np.setdiff1d(gene_ids, es.gene_ids)
    if missing_s.size or missing_g.size:
        raise ModelError(
            f"--model {model_dir}: its data source lacks {missing_s.size:,} of the model's samples "
            f"and {missing_g.size:,} of its genes (has the data file changed?)"
        )
    return es.subset(samples=sample_ids, genes=gene_ids)


def _label_column(es: Any, label: str | None) -> str | None:
    if label is None:
        return es.label_column()
    by_lower = {str(c).lower(): str(c) for c in es.samples.columns}
    if label.lower() not in by_lower:
        cols = ", ".join(map(str, es.samples.columns)) or "none"
        raise CoreError(f"--label {label}: no such sample annotation (available: {cols})")
    return by_lower[label.lower()]


def _in_annotation_headers(source: Any, label: str) -> bool:
    """Whether ``label`` names a column of an annotation file that ``source`` (a model's
    ``data_source_``) reads again, its id column aside: a column added to it after training.
    Only the header line is read (past comment lines, as the loader reads it). Unreadable files
    say yes: re-loading the data names their problem."""
    from core.data import text_table_columns

    if not isinstance(source, dict):
        return False
    paths = [source.get(k) for k in ("annotations", "attributes", "phenotypes")]
    wanted = label.strip().lower()
    for path in filter(None, paths):
        try:
            columns = text_table_columns(path)
        except (OSError, EOFError, CoreError):
            return True
        if wanted in {c.lower() for c in columns[1:]}:
            return True
    return False


def _check_protocol(args: argparse.Namespace) -> None:
    """The Table-1 flags, checked before any work starts."""
    if args.fraction is not None and not 0.0 < args.fraction < 1.0:  # (None: the report's own)
        raise CoreError(f"--fraction must be in (0, 1), got {args.fraction}")
    if not 1 <= args.splits <= analysis.MAX_SPLITS:
        raise CoreError(
            f"--splits must be 1 to {analysis.MAX_SPLITS:,}, got {args.splits:,} (each split is "
            "held in memory; 1,000 give a mean accurate to about 0.002)"
        )
    if not 0 <= args.seed < 2**32:  # as train says (scikit-learn's maps took it late)
        raise CoreError(f"--seed must be an integer in [0, 2**32), got {args.seed}")


def _label_problem(labels: np.ndarray, label: str) -> str | None:
    """Why ``labels`` cannot be classified (one class; or about one sample per class, as for an
    id or a measurement), or None."""
    from core.analysis import label_codes

    codes, _ = label_codes(labels, len(labels))  # the classes the protocols will see
    known = codes[codes >= 0]
    n_classes = int(np.unique(known).size)
    if n_classes < 2:
        return (
            f"label {label!r} has {n_classes} class among its {len(known):,} labelled samples: "
            "nothing to classify; choose another --label"
        )
    if n_classes > max(2, len(known) // 2):
        return (
            f"label {label!r} has {n_classes:,} classes for {len(known):,} labelled samples (an "
            "id or a measurement, not a category): a class is rarely seen in training; choose a "
            "categorical --label such as a tissue"
        )
    return None


#: A numeric label with more distinct values than this (and than :data:`MEASUREMENT_SHARE` of
#: its labelled samples) is taken for a measurement (RIN, age in years), not for class codes.
MEASUREMENT_CLASSES = 20
MEASUREMENT_SHARE = 0.1


def _measurement_note(labels: np.ndarray, label: str) -> str | None:
    """A one-line warning when ``labels`` are numbers with many distinct values (a measurement
    such as RIN read as classes: Table 1 treats each value as a tissue), or None.

    A warning, not a refusal: whole numbers may be the codes of real classes (clusters,
    batches), and the label was named on purpose; :func:`_label_problem` refuses the cases
    where about one sample stands for each value."""
    known = pd.Series([v for v in labels if v is not None and v == v], dtype=object)
    if known.empty:
        return None
    numbers = pd.to_numeric(known.astype(str).str.strip(), errors="coerce")
    if numbers.isna().any():
        return None
    n_values = int(numbers.nunique())
    if n_values <= max(MEASUREMENT_CLASSES, MEASUREMENT_SHARE * len(known)):
        return None
    low, high = float(numbers.min()), float(numbers.max())
    return (
        f"label {label!r} is numeric, with {n_values:,} distinct values ({low:g} to {high:g}) "
        f"among its {len(known):,} labelled samples: a measurement read as {n_values:,} classes "
        "(Table 1 treats each value as a tissue, and a value near another counts as wrong); "
        "give a categorical --label, or bin the values into a column of a few classes"
    )


def _fraction_problem(labels: np.ndarray, fraction: float, stratify: bool = False) -> str | None:
    """Why ``fraction`` of the labelled samples cannot train and test (none to train on, or
    none left to test), with the fractions that can; or None. Said before the maps are
    computed (it was said after them, by the first split). A stratified draw always can, when
    a class has two samples (:func:`core.analysis.stratified_sizes`)."""
    from core.analysis import label_codes

    codes, _ = label_codes(labels, len(labels))
    n = int((codes >= 0).sum())
    n_train = int(round(fraction * n))
    if 1 <= n_train < n or n < 2:
        return None
    if stratify and n > analysis.stratified_sizes(codes[codes >= 0], fraction).sum():
        return None
    # (three significant digits, rounded inwards: each still leaves 1 and n - 1)
    lo = math.ceil(1000 / n) / 1000 if n <= 1000 else float(f"{1.001 / n:.3g}")
    hi = math.floor(1000 * (n - 1) / n) / 1000
    return (
        f"--fraction {fraction:g} of the {n:,} labelled samples leaves {n_train:,} to train on "
        f"and {n - n_train:,} to test: give --fraction from {lo:g} (1 sample to train on) to "
        f"{hi:g} ({n - 1:,})"
    )


def _write_texts(files: list[tuple[Path, str]]) -> None:
    """Write every file beside its target first, then rename them all: a failed write (a full
    disk) leaves every earlier file as it was, and never a new file beside an old one."""
    tmps = [path.with_name(f".{path.name}.{os.getpid()}.tmp") for path, _ in files]
    try:
        for tmp, (_, text) in zip(tmps, files, strict=True):
            tmp.write_text(text, encoding="utf-8")
        for tmp, (path, _) in zip(tmps, files, strict=True):
            tmp.replace(path)
    finally:
        for tmp in tmps:
            tmp.unlink(missing_ok=True)


def _check_cache_dir(args: argparse.Namespace) -> None:
    """Raise a CoreError, before any work, when the result cache cannot go where it would: a
    file, or a model directory or a folder inside one (the cache went into it, and training
    that model again with --force then refused the directory, or replaced it as a whole)."""
    if args.no_cache:
        return
    from core.cache import CACHE_DIR_ENV, default_cache_dir
    from core.cli import check_out_location, is_model_dir

    directory = Path(args.cache_dir) if args.cache_dir is not None else default_cache_dir()
    flag = (
        "--cache-dir"
        if args.cache_dir is not None
        else f"the cache directory (--cache-dir; default ${CACHE_DIR_ENV}, else ./cache)"
    )
    if directory.exists() and not directory.is_dir():
        raise CoreError(
            f"{flag} {directory} is a file, not a folder; give a folder (or --no-cache)"
        )
    absolute = directory.absolute()
    for folder in (absolute, *absolute.parents):
        if is_model_dir(folder):
            where = "is" if folder == absolute else "is inside"
            raise CoreError(
                f"{flag} {directory} {where} the model directory {folder}: a model directory "
                "holds the model's files alone (it is replaced as a whole when the model is "
                "trained again); keep the cache elsewhere (--cache-dir DIR), or --no-cache"
            )
    check_out_location(directory, flag)


def _open_cache(args: argparse.Namespace) -> _CountingCache | None:
    if args.no_cache:
        return None
    from core.cache import ResultCache

    _check_cache_dir(args)
    return _CountingCache(ResultCache(args.cache_dir))


class _CountingCache:
    """A :class:`core.cache.ResultCache` that counts which results it read and which it computed,
    so that the outputs can say when their run times are those of reading stored results."""

    def __init__(self, cache: Any) -> None:
        self._cache = cache
        self.directory = getattr(cache, "directory", None)
        self.hits = 0
        self.computed = 0

    def key(self, *parts: Any) -> str:
        return self._cache.key(*parts)

    def get_or_compute(self, key: str, fn: Any) -> Any:
        if key in self._cache:
            self.hits += 1
        else:
            self.computed += 1
        return self._cache.get_or_compute(key, fn)

    def close(self) -> None:
        self._cache.close()

    @property
    def unwritable(self) -> bool:
        """Whether a result could not be stored (:attr:`core.cache.ResultCache.unwritable`)."""
        return bool(getattr(self._cache, "unwritable", False))

    def counts(self) -> tuple[int, int]:
        """(read, read + computed) so far."""
        return self.hits, self.hits + self.computed


def _hits(cache: _CountingCache | None) -> int:
    return cache.hits if cache is not None else 0


SIMULATED_LABEL = "SIMULATED DATA"
SIMULATED_NOTE = (
    "Every expression value here is simulated (core/simulate.py: GTEx-like tissues, gene "
    "programs that follow GO biological-process terms, marker levels set by hand to mimic "
    "GTEx); only the gene names, ids and GO annotations are real. Nothing here is a "
    "measurement."
)


class _LineProgress:
    """The calls of a tqdm bar used here, as plain lines on stderr (a log, not a terminal): a
    line when a new step begins (the part of the step's name before " / "), none redrawn.

    After 10 s, a line also gives the time spent and the time left, estimated from the share
    of steps done (steps differ in cost, hence "about")."""

    def __init__(self, total: int, desc: str) -> None:
        self.total, self.desc, self.n, self.step = max(int(total), 1), desc, 0, None
        self.start = time.monotonic()

    def set_postfix_str(self, text: str) -> None:
        from core.cli import duration, time_left

        step = str(text).split(" / ")[0]
        if step != self.step:
            self.step = step
            elapsed, timing = time.monotonic() - self.start, ""
            left = time_left(elapsed, self.n / self.total)
            if left:  # (none under 10 s: "0 s so far" said nothing)
                timing = f", {duration(elapsed)} so far{left}"
            print(
                f"{self.desc}: {step} ({self.n:,} of {self.total:,} done{timing})",
                file=sys.stderr,
            )

    def update(self, n: int = 1) -> None:
        self.n += n

    def close(self) -> None:
        pass


def _tqdm(total: int, desc: str):
    """A progress bar on stderr when it is a terminal, else a line per step."""
    if not sys.stderr.isatty():
        return _LineProgress(total, desc)
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True)


def _baseline_input(loaded: _Loaded, centered: bool) -> tuple[np.ndarray, str]:
    """The matrix the baselines see, and its cache key."""
    if not centered:
        return loaded.es.values, loaded.es.fingerprint()
    from core.estimator import center_rows

    return center_rows(loaded.es.values), loaded.es.fingerprint() + ":centered"


def _baselines(
    loaded: _Loaded,
    methods: list[str],
    seed: int,
    cache: Any,
    centered: bool = False,
    after_each: Callable[[str], None] | None = None,
) -> dict[str, np.ndarray]:
    """Baseline maps of the model's data (cached), with one progress bar over them all;
    ``after_each(method)`` is called as each map is done (the report times each one)."""
    maps: dict[str, np.ndarray] = {}
    if not methods:
        return maps
    flat = [m for m in methods if m in ("pca", "nmf", "tsne")]
    if len(flat) > 1 and loaded.es.n_genes < 2:
        # (each said alone: leaving out the one named met the next, three runs for one answer)
        raise DataError(
            f"{', '.join(flat[:-1])} and {flat[-1]} maps of 2 axes need at least 2 genes, got "
            f"{loaded.es.n_genes}: leave them out of --methods (umap and raw take one gene)"
        )
    values, key = _baseline_input(loaded, centered)
    bar = _tqdm(len(methods), "baseline maps")
    try:
        for method in methods:
            bar.set_postfix_str(analysis.METHOD_NAMES.get(method, method))
            # NMF needs values >= 0: centred values are half negative, so it keeps the log values
            on, on_key = (
                (loaded.es.values, loaded.es.fingerprint())
                if method == "nmf" and centered
                else (values, key)
            )
            maps.update(
                analysis.baseline_embeddings(
                    on, methods=(method,), seed=seed, cache=cache, key=on_key
                )
            )
            if after_each is not None:
                after_each(method)
            bar.update(1)
    finally:
        bar.close()
    return maps


def _table1(
    embeddings: dict[str, np.ndarray],
    labels: np.ndarray,
    args: argparse.Namespace,
    classifiers: list[str],
    cache: Any,
) -> pd.DataFrame:
    """Table 1 of ``embeddings`` with a progress bar, drawn as ``args`` say (``fraction``,
    ``splits``, ``seed``, ``stratify``)."""
    bar = _tqdm(len(embeddings) * len(classifiers), "Table 1")
    state = {"first": True}

    def progress(name: str, clf: str) -> None:
        if not state["first"]:
            bar.update(1)
        state["first"] = False
        bar.set_postfix_str(f"{analysis.METHOD_NAMES.get(name, name)} / {clf}")

    try:
        return analysis.semi_supervised_table(
            embeddings,
            labels,
            fraction=args.fraction,
            n_splits=args.splits,
            classifiers=classifiers,
            seed=args.seed,
            progress=progress,
            cache=cache,
            stratify=args.stratify,
        )
    finally:
        bar.update(1)
        bar.close()


def _model_summary(loaded: _Loaded) -> dict[str, Any]:
    model = loaded.model
    return {
        "directory": str(loaded.dir),
        "key": model.key(),
        "params": model.trained_params(),
        "train_time_s": float(getattr(model, "train_time_s_", 0.0) or 0.0),
        "final_loss": float(model.history_[-1]) if getattr(model, "history_", None) else None,
    }


def _dataset_summary(loaded: _Loaded) -> dict[str, Any]:
    es = loaded.es
    out: dict[str, Any] = {
        "name": es.name,
        "n_samples": int(es.n_samples),
        "n_genes": int(es.n_genes),
        "fingerprint": es.fingerprint(),
        "source": es.source,
    }
    if loaded.labels is not None:
        lab = pd.Series(loaded.labels)
        out.update(
            label=loaded.label,
            n_labelled=int(lab.notna().sum()),
            n_classes=int(lab.nunique(dropna=True)),
        )
    return out


# ============================================================================= evaluate
def _json_safe(value: Any) -> Any:
    """``value`` with every NaN or infinity as None (``null``): JSON has no NaN, and the ``NaN``
    Python writes (the interval of one split) stopped other tools from reading the file."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float | np.floating) and not math.isfinite(float(value)):
        return None
    return value


def run_evaluate(args: argparse.Namespace) -> int:
    """``python -m core evaluate``: Table 1 for the model and the baselines; JSON + Markdown."""
    from core.cli import check_out_location

    t0 = time.perf_counter()
    methods = _split_list(args.methods, (*analysis.BASELINE_METHODS, "raw"), "--methods")
    classifiers = _split_list(args.classifiers, analysis.CLASSIFIERS, "--classifiers")
    out = Path(args.out)
    if out.suffix.lower() != ".json":
        raise CoreError(f"--out {args.out}: give a .json file name (the Markdown goes beside it)")
    md = out.with_suffix(".md")
    for path in (out, md):
        if path.is_dir():
            raise CoreError(f"--out {args.out}: {path} is a directory")
    check_out_location(out, "--out")
    _check_cache_dir(args)
    _check_protocol(args)
    for path in (out, md):  # before the data are read and the maps computed
        if path.exists() and not args.force:
            raise CoreError(f"{path} already exists; choose another --out, or --force")
    loaded = _Loaded(args.model, args.label)
    if loaded.labels is None:
        columns = list(loaded.es.samples.columns)
        if not columns:
            raise CoreError(
                f"--model {args.model}: its samples have no annotations to classify (a tissue "
                "column, say): train it with --annotations (or the GTEx attribute files)"
            )
        shown = ", ".join(map(str, columns[:10]))
        raise CoreError(f"no column is the samples' label: pass --label COLUMN (one of {shown})")
    problem = _label_problem(loaded.labels, str(loaded.label)) or _fraction_problem(
        loaded.labels, args.fraction, args.stratify
    )
    if problem:
        raise CoreError(problem)
    measurement = _measurement_note(loaded.labels, str(loaded.label))
    if measurement:
        print(f"warning: {measurement}", file=sys.stderr)
    print(
        f"data: {loaded.es.name}: {loaded.es.n_samples:,} samples x {loaded.es.n_genes:,} genes; "
        f"label {loaded.label}",
        file=sys.stderr,
    )
    cache = _open_cache(args)
    try:
        t_maps = time.perf_counter()
        maps = _baselines(
            loaded, [m for m in methods if m != "raw"], args.seed, cache, args.center_samples
        )
        t_maps = time.perf_counter() - t_maps
        embeddings = {"fe": np.asarray(loaded.model.sample_embedding_), **maps}
        if "raw" in methods:
            embeddings["raw"] = _baseline_input(loaded, args.center_samples)[0]
        maps_cached = _hits(cache)
        table = _table1(embeddings, loaded.labels, args, classifiers, cache)
        cells_cached = _hits(cache) - maps_cached
    finally:
        if cache is not None:
            cache.close()
    result = _evaluation_json(loaded, table, args, time.perf_counter() - t0, t_maps)
    result["cached"] = {
        "baseline_maps": maps_cached,
        "n_baseline_maps": len(maps),
        "table1_cells": cells_cached,
        "n_table1_cells": len(embeddings) * len(classifiers),
    }
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _write_texts(
            [
                (out, json.dumps(_json_safe(result), indent=2, default=str, allow_nan=False)),
                (md, _evaluation_markdown(result, table)),
            ]
        )
    except OSError as exc:
        raise CoreError(f"cannot write {out}: {exc}") from None
    # the table copied from the terminal says so too, as the files do
    simulated = f"{SIMULATED_LABEL}: " if result.get("simulated") else ""
    if simulated:
        print(f"{simulated}{args.model} is a model of simulated data", file=sys.stderr)
    print(_table_heading(result), file=sys.stderr)
    print(analysis.table_to_markdown(table), file=sys.stderr)
    a = table.attrs
    note = few_labels_note(a, result["protocol"]["chance_accuracy"])
    if note:
        print(f"warning: {note}", file=sys.stderr)
    one_sample = one_sample_classes_note(a, list(table.index))
    if one_sample:
        print(f"note: {one_sample}", file=sys.stderr)
    if _has_comparison(table):
        paired = analysis.paired_differences(table, "fe")
        print(
            "Factorized Embeddings minus each map, on the same splits (mean difference in "
            "accuracy [95% interval], share of the splits where Factorized Embeddings scores "
            "at least as high):\n" + analysis.paired_to_markdown(paired, PAIRED_DIGITS),
            file=sys.stderr,
        )
    print(
        f"{simulated}wrote {out} (every result, for scripts) and {md} (these tables and how "
        f"they were computed) in {_duration(result['runtime_s'])}",
        file=sys.stderr,
    )
    return 0


def _duration(seconds: float) -> str:
    from core.cli import duration

    return duration(seconds)


def _table_heading(result: dict[str, Any]) -> str:
    """The line above the table printed: what its numbers are, so that the table copied from
    the terminal reads without the Markdown file."""
    p = result["protocol"]
    splits = (
        f"mean ± sd over {p['n_splits']:,} random splits"
        if p["n_splits"] != 1
        else "1 random split"
    )
    return (
        f"Accuracy (share of the test samples whose {p['label']} is predicted right) of "
        f"classifiers trained on {_percent(p['fraction'])} of {_drawn_from(p)} "
        f"({p['n_train']:,}) and tested on the other {p['n_test']:,}, {splits}; chance level "
        f"{p['chance_accuracy']:.3f}:"
    )


def _evaluation_json(
    loaded: _Loaded, table: pd.DataFrame, args: argparse.Namespace, runtime: float, t_maps: float
) -> dict[str, Any]:
    names = list(dict.fromkeys(table.columns.get_level_values(0)))
    results = {
        name: {
            clf: {
                "mean": float(table.loc[clf, (name, "mean")]),
                "sd": float(table.loc[clf, (name, "sd")]),
            }
            for clf in table.index
        }
        for name in names
    }
    paired: dict[str, Any] = {}
    if _has_comparison(table):
        for (clf, name), r in analysis.paired_differences(table, "fe").iterrows():
            paired.setdefault(clf, {})[name] = {
                k: float(r[k])
                for k in ("difference", "sd", "se", "ci_low", "ci_high", "share_ge", "share_tie")
            }
    baselines = [n for n in names if n != "fe"]
    notes = [
        few_labels_note(table.attrs, chance_accuracy(loaded.labels)),
        one_sample_classes_note(table.attrs, list(table.index)),
    ]
    return {
        "simulated": loaded.simulated,
        "notes": [n for n in notes if n],
        "definitions": EVALUATION_DEFINITIONS,
        "dataset": _dataset_summary(loaded),
        "model": _model_summary(loaded),
        "protocol": {
            "label": loaded.label,
            "fraction": args.fraction,
            "stratified": bool(table.attrs.get("stratified")),
            "n_splits": args.splits,
            "n_train": table.attrs["n_train"],
            "n_test": table.attrs["n_test"],
            "n_classes": table.attrs["n_classes"],
            "chance_accuracy": chance_accuracy(loaded.labels),
            "ceiling": table.attrs.get("ceiling"),
            "splits_short": table.attrs.get("splits_short"),
            "splits_one_sample": table.attrs.get("splits_one_sample"),
            "splits_one_each": table.attrs.get("splits_one_each"),
            "fraction_all_classes": table.attrs.get("fraction_all_classes"),
            "seed": args.seed,
            "baselines_on": BASELINE_INPUT[args.center_samples]
            + values_note(loaded.es.source, loaded.es.values),
            "baselines": _baseline_names(
                [n for n in baselines if n != "raw"],
                int(loaded.es.n_samples),
                _lowest_value(loaded.es.values) if "nmf" in baselines else 0.0,
            )
            | ({"raw": "the expression matrix itself"} if "raw" in baselines else {}),
            "classifiers": list(table.index),
            "classifier_settings": {c: CLASSIFIER_SETTINGS.get(c, "") for c in table.index},
        },
        "map_names": {n: analysis.METHOD_NAMES.get(n, n) for n in names},
        "results": results,
        "fe_minus_other": paired,
        "split_scores": table.attrs["split_scores"],
        "runtime_s": runtime,
        "baseline_maps_s": t_maps,
        "table1_s": table.attrs["runtime_s"],
        "cell_runtime_s": table.attrs["cell_runtime_s"],
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": platform.node(),
        # the report's page says it; the table alone could not tell which code made it
        "software": software_line(),
    }


EVALUATION_DEFINITIONS = {
    "results": "map -> classifier -> mean and sd over the splits of the accuracy: the share of "
    "a split's test samples whose label is predicted right; sd is the splits' sample standard "
    "deviation (n - 1 in the denominator), 0 for a single split",
    "protocol.n_train": "labelled samples each split trains on: fraction of the labelled "
    "samples, rounded, drawn at random, not per class; or, where protocol.stratified is true "
    "(--stratify), fraction of each class's labelled samples, rounded, at least 1 and at most "
    "all but 1; n_test: the other labelled samples, tested on; samples without a label "
    "(dataset.n_samples - dataset.n_labelled) are in no split",
    "protocol.chance_accuracy": "accuracy of always predicting the most frequent class (its "
    "share of the labelled samples)",
    "notes": "what the Markdown says of the protocol beside the table: classes without a "
    "training sample, classes of a single one (Gaussian NB then has no spread to estimate)",
    "protocol.splits_one_sample": "splits where some class has a single training sample; "
    "splits_one_each: those where every class trained on has a single one (Gaussian NB then "
    "picks the class of the nearest training sample, as 1-NN)",
    "protocol.ceiling": "the highest accuracy any classifier can reach on these splits: the "
    "share of a split's test samples whose class has a training sample, mean over the splits",
    "fe_minus_other": "classifier -> map -> accuracy of Factorized Embeddings minus that map's, "
    "split by split on the same splits: difference (mean), sd, se (sd / sqrt(n_splits)), "
    "ci_low and ci_high (95% interval of the mean, Student's t; how precisely the splits fix "
    "the mean for these maps, not how the difference would vary on other data or with other "
    "training seeds of the maps), share_ge (share of splits "
    "where Factorized Embeddings is at least as accurate), share_tie (share of splits where "
    "both are equally accurate, counted in share_ge)",
    "split_scores": "map -> classifier -> the accuracy of every split, in split order",
    "runtime_s": "seconds for the whole command; baseline_maps_s and table1_s its parts, "
    "cell_runtime_s each cell's (small when read from the result cache: see cached)",
}


def _provenance_lines(result: dict[str, Any], dataset: dict[str, Any]) -> list[str]:
    """The data (file and fingerprint), the date and the software of a Table-1 Markdown, so
    that two runs' tables can be told apart (the JSON held them, the Markdown none)."""
    source = dataset.get("source") or {}
    path = (source.get("path") or source.get("gct")) if isinstance(source, dict) else None
    data = f"`{path}`, " if path else ""
    lines = [f"Data: {data}fingerprint {dataset.get('fingerprint', '?')}."]
    if result.get("created"):
        lines.append(f"Computed {result['created']} with {result.get('software', '?')}.")
    return [" ".join(lines), ""]


def _run_time_text(result: dict[str, Any], read: list[str]) -> str:
    """The run time of ``evaluate`` by part, and what of it was read from the result cache."""
    text = (
        f"Run time {result['runtime_s']:.0f} s: baseline maps {result['baseline_maps_s']:.1f} s, "
        f"Table 1 {result['table1_s']:.1f} s."
    )
    if not read:
        return text
    cached = result.get("cached") or {}
    everything = all(
        cached.get(key) == cached.get("n_" + key) for key in ("baseline_maps", "table1_cells")
    )
    return (
        f"{text} Read from the result cache (stored by an earlier run, --cache-dir) instead of "
        f"computed: {', '.join(read)}"
        + ("; these times are mostly those of reading them." if everything else ".")
    )


def _drawn_from(protocol: Mapping[str, Any]) -> str:
    """Whose share a split trains on, as the protocol (a JSON ``protocol`` or a table's
    ``attrs``) drew it: "the labelled samples", or each class's."""
    if protocol.get("stratified"):
        return "each class's labelled samples, at least one of each"
    return "the labelled samples"


def _percent(fraction: float) -> str:
    """A fraction of samples as a percentage, never rounded to a whole one (2.5% read "2%",
    0.5% "0%")."""
    return f"{float(fraction) * 100:g}%"


def _evaluation_markdown(result: dict[str, Any], table: pd.DataFrame) -> str:
    d, p, m = result["dataset"], result["protocol"], result["model"]
    note = few_labels_note(p)
    cached = result.get("cached") or {}
    read = [
        f"{cached[key]} of {cached['n_' + key]} {what}"
        for key, what in (("baseline_maps", "baseline maps"), ("table1_cells", "Table-1 cells"))
        if cached.get(key)
    ]
    lines = [
        f"# Semi-supervised classification of {p['label']} ({d['name']})",
        "",
        *([f"**{SIMULATED_LABEL}.** {SIMULATED_NOTE}", ""] if result.get("simulated") else []),
        f"{d['n_samples']:,} samples x {d['n_genes']:,} genes; {p['n_classes']:,} classes. "
        + _left_out_text(d, p["label"])
        + f"Train on {_percent(p['fraction'])} of {_drawn_from(p)} ({p['n_train']:,}), test on "
        f"the other {p['n_test']:,}; "
        + (
            f"mean ± sd ({SD_WORDS}) over {p['n_splits']} random splits (seed {p['seed']}) of "
            "the accuracy "
            if p["n_splits"] != 1
            else f"the accuracy on 1 random split (seed {p['seed']}) "
        )
        + f"(share of the test samples whose {p['label']} is predicted right). "
        + MAPS_FROM_EVERY_SAMPLE
        + f" Baselines computed on {p['baselines_on']}: "
        + ", ".join(p["baselines"].values())
        + ". "
        + _chance_text(p["chance_accuracy"], p["label"], p["n_classes"]),
        "",
        f"Classifiers: {_classifiers_text(list(p['classifiers']))}.",
        "",
        *([f"**Note.** {note}", ""] if note else []),
        f"Model `{m['directory']}` (key {m['key']}): {_model_settings_text(m)}.",
        "",
        *(_provenance_lines(result, d)),
        *([TUNED_DEFAULTS, ""] if (m.get("params") or {}).get("neighbour_weight") else []),
        _run_time_text(result, read),
        "",
        "Accuracies to 2 decimals (unrounded, with every split's, in the JSON):",
        "",
        analysis.table_to_markdown(table),
    ]
    one_sample = one_sample_classes_note(p, list(p["classifiers"]))
    if one_sample:
        lines += [f"**Note.** {one_sample}", ""]
    if _has_comparison(table):
        lines += [
            "## Factorized Embeddings minus each map, split by split",
            "",
            PAIRED_CAPTION,
            "",
            analysis.paired_to_markdown(analysis.paired_differences(table, "fe"), PAIRED_DIGITS),
        ]
    return "\n".join(lines)


#: How the sd of Table 1 is taken (semi_supervised_table: ``ddof=1``), in words.
SD_WORDS = "the splits' sample standard deviation, n − 1 in the denominator"


def _left_out_text(dataset: dict[str, Any], label: str) -> str:
    """The samples that are in no split, in words: the tissues left out when the data were read
    (GTEx's Brain and Fallopian Tube, as in the paper) and the samples without a label. The
    Markdown named neither: 3,585 of GTEx's 16,877 samples were left out of every split without
    a word, and the 505 of the tissues left out were only in the JSON."""
    from core.data import exclusion_words

    parts = []
    excluded = exclusion_words(dataset.get("source") or {})
    if excluded:
        parts.append(f"Data as read: {excluded}.")
    n, labelled = dataset.get("n_samples"), dataset.get("n_labelled")
    if n is not None and labelled is not None and labelled < n:
        parts.append(
            f"{labelled:,} of the {n:,} samples have a {label}; the other {n - labelled:,} "
            "(no label) are in no split."
        )
    return "".join(f"{p} " for p in parts)


def _model_settings_text(model: dict[str, Any]) -> str:
    """The model's main settings in one line (all of them are in the JSON)."""
    params = model.get("params") or {}
    parts = []
    if params.get("epochs") is not None:
        parts.append(f"{params['epochs']} epoch" + ("" if params["epochs"] == 1 else "s"))
    if params.get("gene_dim") is not None:
        parts.append(f"gene vectors of {params['gene_dim']} dimensions")
    if params.get("hidden") is not None:
        parts.append("hidden layers " + "-".join(str(h) for h in params["hidden"]))
    if params.get("neighbour_weight") is not None:
        parts.append(f"neighbour weight {params['neighbour_weight']}")
    if params.get("seed") is not None:
        parts.append(f"seed {params['seed']}")
    parts.append(f"trained in {model.get('train_time_s') or 0.0:.0f} s")
    if model.get("final_loss") is not None:
        parts.append(f"training MSE {model['final_loss']:.4g} over the last epoch's steps")
    return ", ".join(parts)


BASELINE_INPUT = {
    False: "the values as they are",
    True: "each sample's values minus its mean over genes (--center-samples)",
}


def values_note(source: dict[str, Any] | None, values: np.ndarray) -> str:
    """What :data:`BASELINE_INPUT` leaves unsaid of the values the baselines are computed on:
    the file's transform (":data:`BASELINE_INPUT` as they are" read as the file's counts for
    a model trained on their log10(x+1)) and the missing values (:func:`_missing_note`)."""
    transform = str((source or {}).get("transform") or "none")
    scale = TRANSFORM_SCALES.get(transform)
    said = f", {scale} of the file's values, as the model was trained on" if scale else ""
    return said + _missing_note(values)


def _missing_note(values: np.ndarray, rows: int = 4096) -> str:
    """What the baselines do with missing values, when the matrix has any (counted by blocks
    of rows): they read them as each gene's mean, which "the values as they are" did not say."""
    n = sum(int(np.isnan(values[i : i + rows]).sum()) for i in range(0, values.shape[0], rows))
    if not n:
        return ""
    share = n / max(1, values.size)
    return f" (its {n:,} missing values, {share:.1%} of the cells, read as each gene's mean)"


PAIRED_CAPTION = (
    "Every map's classifiers train on the same samples in each split, so the difference is "
    "read split by split: mean accuracy of Factorized Embeddings minus the other map, its 95% "
    "interval over the splits (it says how precisely the splits fix the mean for these maps as "
    "computed, not how the difference would vary on other data or with other training seeds of "
    "the maps; more splits narrow it whatever the seeds do), and the share of splits where "
    "Factorized Embeddings is at least as accurate (including, in brackets when there are any, "
    "the share of all splits where both are equally accurate)."
)

#: What a reader of FE's column should know of its settings (the neighbour-graph term on).
TUNED_DEFAULTS = (
    "Factorized Embeddings' default settings (the neighbour-graph term's weight, kernel and "
    "graph) were chosen by this 1-NN from 2% of labels on GTEx's 59-gene set "
    "(tests/benchmarks/RESULTS.md), while the baselines run at their own defaults: on that set, "
    "read its column as a tuned method's."
)

#: Whose values the maps of Table 1 are computed from: every sample's, the test samples' too.
MAPS_FROM_EVERY_SAMPLE = (
    "Every map, Factorized Embeddings' included, is computed from all the samples' values, "
    "the test samples' too (not from their labels): only the classifiers are trained on the "
    "training share alone."
)


def _has_comparison(table: pd.DataFrame) -> bool:
    names = set(table.columns.get_level_values(0))
    return "fe" in names and len(names) > 1


#: How each Table-1 classifier is set up (analysis.semi_supervised_table), in words.
CLASSIFIER_SETTINGS = {
    "1-NN": "the label of the nearest training sample (Euclidean distance)",
    "Decision Tree": "one tree grown until its leaves are pure",
    "Gaussian NB": "Gaussian naive Bayes",
    "Random Forest": f"{analysis.RF_TREES} trees",
    # (each stump splits on one coordinate: with tens of classes the boosted stumps stay weak
    # on every map; the paper's column reads 0.16-0.27, and a reader took ours for a fault)
    "AdaBoost": "50 boosted decision stumps (one split each: weak with many classes, on every "
    "map, as in the paper's Table 1)",
    "MLP": "one hidden layer of 100 ReLU units, 300 full-batch Adam steps, on standardised "
    "coordinates",
}
#: Digits of the split-by-split differences: an accuracy of a few hundred test samples moves
#: in steps of a few thousandths, and the 95% intervals are a hundredth wide or more.
PAIRED_DIGITS = 3


def chance_accuracy(labels: np.ndarray) -> float:
    """Accuracy of always predicting the most frequent class: its share of the labelled samples
    (the floor a map's classifiers should beat; 1/26 for 26 tissues of 20 samples each)."""
    from core.analysis import label_codes

    codes, _ = label_codes(labels, len(labels))
    known = codes[codes >= 0]
    return float(np.bincount(known).max() / known.size) if known.size else float("nan")


def _classifiers_text(classifiers: list[str]) -> str:
    """'1-NN: the label of ...; Random Forest: 30 trees' for the classifiers of a table."""
    return "; ".join(
        f"{c}: {CLASSIFIER_SETTINGS[c]}" for c in classifiers if c in CLASSIFIER_SETTINGS
    )


def _baseline_names(methods: list[str], n_samples: int, lowest: float = 0.0) -> dict[str, str]:
    """Each baseline map with its settings, e.g. ``{"tsne": "t-SNE (perplexity 30)"}``; NMF
    with its shift when the data's ``lowest`` value is below 0 (evaluate said "the values as
    they are" of an NMF computed on the values plus their lowest)."""
    perplexity = analysis._tsne_perplexity(n_samples)
    names = {m: _MAP_NAMES.get(m, m).format(perplexity=perplexity) for m in methods}
    if lowest < 0 and "nmf" in names:
        names["nmf"] = (
            f"NMF (on the values plus {-lowest:.4g}: it needs values of 0 or more, and the "
            f"lowest is {lowest:.4g})"
        )
    return names


def _lowest_value(values: np.ndarray, rows: int = 4096) -> float:
    """The matrix's lowest value, ignoring missing ones (by blocks of rows; 0 when empty)."""
    lows = [
        float(np.nanmin(block, initial=np.inf))
        for block in (values[i : i + rows] for i in range(0, values.shape[0], rows))
    ]
    low = min(lows, default=0.0)
    return low if np.isfinite(low) else 0.0


def _chance_text(chance: float, label: str, n_classes: int | None = None) -> str:
    if n_classes and abs(chance * n_classes - 1) < 1e-9:  # every class the same size
        return (
            f"Chance level: 1/{n_classes} = {chance:.3f} (every {label} has as many samples: "
            "guessing any one is right for that share)."
        )
    return (
        f"Chance level: always predicting the most frequent {label} is right for "
        f"{chance:.1%} of the labelled samples ({chance:.3f})."
    )


def few_labels_note(protocol: Mapping[str, Any], chance: float | None = None) -> str:
    """A warning when a split trains on fewer samples than there are classes, or leaves
    classes without a training sample (``ceiling``, the highest accuracy possible, below
    :data:`CEILING_NOTED`), else "".

    ``protocol``: ``n_train``, ``n_classes`` and, when known, ``ceiling``, ``splits_short``,
    ``n_splits``, ``fraction_all_classes`` and ``chance_accuracy`` (as in
    :func:`core.analysis.semi_supervised_table`'s ``attrs`` and in evaluate's JSON
    ``protocol``); ``chance`` (:func:`chance_accuracy`) where the protocol holds none. A
    ceiling below the chance level is explained: that level counts the most frequent class as
    known, which so few training samples may not hold; with classes all of one size, a class
    with a training sample keeps fewer of its samples to test on.
    """
    n_train, n_classes = protocol["n_train"], protocol["n_classes"]
    ceiling = protocol.get("ceiling")
    short = ceiling is not None and np.isfinite(ceiling) and ceiling < CEILING_NOTED
    if n_train >= n_classes and not short:
        return ""
    if chance is None:
        chance = protocol.get("chance_accuracy")
    under_chance = ""
    if short and chance is not None and np.isfinite(chance) and chance > ceiling:
        if abs(chance * n_classes - 1) < 1e-9:  # every class the same size: no class is the
            # most frequent; a class with a training sample has that many fewer to test on
            why = (
                "every class has as many samples, and the classes that have a training "
                "sample keep fewer of theirs to test on"
            )
        else:
            why = (
                "which counts the most frequent class as known: with so few training samples "
                "it often has none"
            )
        under_chance = f", below the chance level ({chance:.3f}): {why}"
    most = (
        # (over all of them: "in 98 of the 100 splits ...; on these splits" read as the 98's)
        f"; no classifier can score above {ceiling:.3f} on average over all the splits (the "
        "share of the test samples whose class has a training sample, mean over the splits; "
        f"a single split's can be higher){under_chance}"
        if short
        else ""
    )
    suggest = protocol.get("fraction_all_classes")
    advice = (
        f"; the splits are random, not stratified by class: --fraction {suggest:.2f} leaves "
        "fewer than 0.5 classes without a training sample on average, and --stratify gives "
        "every class training samples"
        if suggest is not None
        else "; the smallest classes are too small for even --fraction 0.50 to give them a "
        "training sample in most splits; --stratify gives every class training samples"
    )
    if n_train >= n_classes:
        n_short, n_splits = protocol.get("splits_short"), protocol.get("n_splits")
        where = (
            "every split"
            if n_short is not None and n_short == n_splits
            else f"{n_short} of the {n_splits} splits"
            if n_short is not None
            else "some splits"
        )
        return f"In {where}, some classes have no training sample{most}{advice}."
    return (
        f"Fewer training samples ({n_train:,}) than classes ({n_classes:,}): in every split "
        f"at least {n_classes - n_train:,} classes have no training sample and none of their test "
        f"samples can be classified right, whatever the map{most}{advice}."
    )


def one_sample_classes_note(protocol: Mapping[str, Any], classifiers: Sequence[str]) -> str:
    """What Gaussian NB does with classes of a single training sample, when a split had any
    (``splits_one_sample`` and ``splits_one_each`` of :func:`core.analysis.semi_supervised_table`'s
    ``attrs`` and evaluate's JSON ``protocol``), else "".

    Such a class has no spread to estimate: its variance is Gaussian NB's smoothing alone, the
    same for every such class. Where every class has one training sample (``--stratify`` at 2%
    on the 26-tissue set), Gaussian NB picks the class of the nearest training sample and its
    row equals 1-NN's, which read as a fault; where other classes have several, their wider
    Gaussians take the test samples (0.03-0.07 against 0.29-0.36 on that set)."""
    n_one = protocol.get("splits_one_sample")
    if "Gaussian NB" not in classifiers or not n_one:
        return ""
    n_splits = protocol.get("n_splits")
    n_each = protocol.get("splits_one_each") or 0

    def where(n: int) -> str:
        return "every split" if n == n_splits else f"{n:,} of the {n_splits:,} splits"

    nearest = "picks the class of the nearest training sample, as 1-NN does, and scores the same"
    if n_each == n_one:
        return (
            f"In {where(n_one)}, every class trained on has a single training sample: Gaussian "
            "NB has no spread to estimate (each variance is its smoothing alone, the same for "
            f"every class), so it {nearest}."
        )
    return (
        f"In {where(n_one)}, some class has a single training sample: Gaussian NB has no "
        "spread of it to estimate (its variance is the smoothing alone)"
        + (
            f"; in {where(n_each)}, every class trained on has one, and Gaussian NB {nearest}"
            if n_each
            else ""
        )
        + ". Where other classes have several training samples, their wider Gaussians take "
        "most test samples: the Gaussian NB row says more of the classifier than of the maps; "
        "read the 1-NN row, or train on a larger --fraction."
    )


#: Below this highest possible accuracy (classes left without a training sample), the Table-1
#: outputs say it.
CEILING_NOTED = 0.99


def readable_symbols(es: Any, go: Any) -> np.ndarray:
    """The genes' symbols, GO's symbol standing in where the data gave none (a matrix keyed by
    Ensembl ids alone has its ids as symbols: the markers MYH7 or KRT5 were then "not among
    this dataset's genes", and pairs were listed by id)."""
    symbols = np.asarray(es.gene_symbols, dtype=object).copy()
    bare = np.flatnonzero(symbols == np.asarray(es.gene_ids, dtype=object))
    if go is None or not bare.size:
        return symbols
    mapped = go.map_genes(np.asarray(es.gene_ids, dtype=object)[bare])
    found = mapped["matched"].to_numpy(dtype=bool) & mapped["symbol"].notna().to_numpy()
    symbols[bare[found]] = mapped["symbol"].to_numpy(dtype=object)[found]
    return symbols


_MAP_NAMES = {
    "pca": "PCA",
    "nmf": "NMF",
    "tsne": "t-SNE (perplexity {perplexity:g})",
    "umap": f"UMAP ({analysis.UMAP_NEIGHBORS} neighbours)",
}
