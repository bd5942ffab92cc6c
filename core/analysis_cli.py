"""``python -m core evaluate`` (Table 1) and ``python -m core report`` (all analyses as HTML).

Both read a model directory written by ``python -m core train`` and reload its training data
through the data source the model recorded. Heavy results (baseline maps, Table-1 cells) are
kept in a :class:`core.cache.ResultCache` (``--cache-dir``, default ``$FE_CACHE_DIR`` or
``./cache``), so ``report`` after ``evaluate`` reuses their work.
"""

from __future__ import annotations

import argparse
import errno
import html
import json
import logging
import math
import numbers
import os
import platform
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from core import analysis
from core.data import exclusion_words, is_simulated, step_words
from core.errors import CoreError, DataError, ModelError
from core.files import remove_stale_temporaries, replace_dir
from core.palette import CLASS_COLORS, METHOD_COLORS, UNLABELLED_COLOR

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
#: Genes detected in fewer samples than this share are flagged among the novel close pairs.
RARELY_DETECTED = 0.1
#: What ``report`` writes in its directory (``--force`` replaces only such a directory).
REPORT_ENTRIES = ("index.html", "figures", "tables")
#: Table 1's labelled share used to train, as in the paper (``--fraction``).
DEFAULT_FRACTION = 0.02
#: PNG figures are written at this multiple of their layout size (about 200 dpi at A4 width).
PNG_SCALE = 2
#: A close pair's first columns, in the page's tables and in tables/close_pairs.csv.
PAIR_COLUMNS = ["symbol_a", "symbol_b", "type_a", "type_b", "distance", "correlation"]
NOVEL_COLUMNS = [*PAIR_COLUMNS, "min_detection"]


# ============================================================================= arguments
def register(subparsers: Any) -> None:
    """Add ``evaluate`` and ``report`` to the ``python -m core`` sub-commands."""
    p = subparsers.add_parser(
        "evaluate",
        help="Table 1: semi-supervised tissue classification on FE and baseline maps",
        description="Train classifiers on a fraction of labelled samples' coordinates, test on "
        "the rest, over random splits, for the model's sample embedding and baseline maps. "
        "Writes F.json and a Markdown table F.md.",
    )
    _common(p)
    p.add_argument(
        "--fraction",
        type=float,
        default=DEFAULT_FRACTION,
        help=f"labelled share used to train (default {DEFAULT_FRACTION:g})",
    )
    p.add_argument("--splits", type=int, default=100, help="random splits (default 100)")
    p.add_argument("--out", required=True, metavar="F.json", help="JSON result (F.md beside it)")
    p.add_argument("--force", action="store_true", help="replace an existing F.json / F.md")
    p.add_argument(
        "--methods",
        default="pca,nmf,tsne,umap",
        help="baselines to compare, comma-separated, from pca,nmf,tsne,umap,raw "
        "(raw = the expression matrix itself, only when asked for; default %(default)s)",
    )
    p.add_argument(
        "--classifiers",
        default=",".join(analysis.CLASSIFIERS),
        help="comma-separated subset of: " + ", ".join(analysis.CLASSIFIERS) + " (default: all)",
    )
    p.set_defaults(func=run_evaluate)

    p = subparsers.add_parser(
        "report",
        help="write one HTML page with every analysis (figures as PNG and SVG, tables)",
        description="Write DIR/index.html: the model's sample map beside the baseline maps "
        "(Figure 2), Table 1 (semi-supervised tissue classification), marker genes over the "
        "maps with their smoothness (Figure 3), the gene space's agreement with Gene Ontology "
        "and co-expression against chance (Figure 4) and the close gene pairs that "
        "neither reference holds, with the dataset, the model's settings and the run time; "
        "figures in DIR/figures/ (PNG and SVG), tables in DIR/tables/ (CSV). Reloads the "
        "data the model was trained on.",
    )
    _common(p)
    p.add_argument("--out", required=True, metavar="DIR", help="report directory to write")
    p.add_argument("--force", action="store_true", help="replace an existing report directory")
    p.add_argument(
        "--methods",
        default=",".join(analysis.BASELINE_METHODS),
        help="baseline maps beside the model's, comma-separated, from pca,nmf,tsne,umap "
        "(default: all four)",
    )
    p.add_argument(
        "--fraction",
        type=float,
        default=DEFAULT_FRACTION,
        help=f"Table 1: labelled share used to train (default {DEFAULT_FRACTION:g})",
    )
    p.add_argument("--splits", type=int, default=100, help="Table 1: random splits (default 100)")
    p.add_argument(
        "--classifiers",
        default=",".join(analysis.CLASSIFIERS),
        help="Table-1 classifiers, comma-separated (default %(default)s)",
    )
    p.add_argument(
        "--markers",
        default=",".join(analysis.DEFAULT_MARKERS),
        help="genes or patterns shown over the maps (Figure 3), comma-separated "
        "(default %(default)s)",
    )
    p.add_argument(
        "--k",
        type=int,
        default=None,
        help=f"gene neighbours compared to GO (Figure 4; default {REPORT_K})",
    )
    p.add_argument(
        "--compare-models",
        nargs="*",
        default=[],
        metavar="DIR",
        help="more models of the same data (other gene_dim or seed) for the gene-space "
        "comparison; the page adds their consensus (mean cosine distance over the models)",
    )
    p.add_argument("--no-go", action="store_true", help="skip the Gene Ontology comparison")
    p.add_argument(
        "--go-gaf",
        default=None,
        metavar="FILE",
        help="GO annotations (GAF 2.x, with --go-obo) instead of the bundled GO snapshot",
    )
    p.add_argument("--go-obo", default=None, metavar="FILE", help="GO ontology for --go-gaf (OBO)")
    p.add_argument(
        "--go-exclude-evidence",
        default="",
        metavar="CODES",
        help="GO evidence codes to leave out, comma-separated (e.g. IEA,ND); default: keep all",
    )
    p.add_argument(
        "--go-term-size",
        default="3-500",
        metavar="MIN-MAX",
        help="GO biological-process terms compared, by genome-wide size (default 3-500)",
    )
    p.set_defaults(func=run_report)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, metavar="DIR", help="model directory")
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
        help="seed of the random splits and the baseline maps (default 0)",
    )
    p.add_argument(
        "--center-samples",
        action="store_true",
        help="compute the baseline maps (and raw) on each sample's values minus its own mean "
        "over genes, the space of the model's default neighbour graph: a comparison on equal "
        "terms when the data carry per-sample offsets such as sequencing depth (NMF, which "
        "needs values of 0 or more, stays on the values as they are)",
    )
    p.add_argument("--cache-dir", default=None, metavar="DIR", help="result cache directory")
    p.add_argument("--no-cache", action="store_true", help="compute everything afresh")


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


def _term_size_range(text: str) -> tuple[int, int]:
    parts = str(text).replace(" ", "").split("-")
    try:
        lo, hi = (int(parts[0]), int(parts[1])) if len(parts) == 2 else (None, None)
    except ValueError:
        lo = hi = None
    if lo is None or hi is None or lo < 1 or hi < lo:
        raise CoreError(f"--go-term-size {text}: expected MIN-MAX with 1 <= MIN <= MAX, e.g. 3-500")
    return lo, hi


def _go_options(args: argparse.Namespace) -> dict[str, Any]:
    """The report's GO settings, checked before any work starts."""
    from core.annotations import check_go_settings

    exclude = list(check_go_settings(args.go_gaf, args.go_obo, args.go_exclude_evidence))
    lo, hi = _term_size_range(args.go_term_size)
    return {"gaf": args.go_gaf, "obo": args.go_obo, "exclude": exclude, "sizes": (lo, hi)}


def _load_go(opts: dict[str, Any]) -> Any:
    from core.annotations import GeneOntology

    if opts["gaf"] is not None:
        return GeneOntology.from_gaf(opts["gaf"], opts["obo"], exclude_evidence=opts["exclude"])
    return GeneOntology.load(exclude_evidence=opts["exclude"])


# ============================================================================= loading
class _Loaded:
    """A model, its training data aligned to the model's samples and genes, and the labels."""

    def __init__(self, model_dir: str, label: str | None, flag: str = "--model") -> None:
        from core.data import load_source
        from core.embed_cli import load_model_dir, model_is_simulated

        self.dir = Path(model_dir)
        self.model = load_model_dir(model_dir, flag)
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
            raise DataError(
                f"{flag} {model_dir}: cannot re-load the data it was trained on: {exc}"
            ) from None
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
            from core.embed_cli import read_labels

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
            f"--model {model_dir}: its data source lacks {missing_s.size} of the model's samples "
            f"and {missing_g.size} of its genes (has the data file changed?)"
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
    if not 0.0 < args.fraction < 1.0:
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
    from core.analysis import _labels_to_codes

    codes, _ = _labels_to_codes(labels, len(labels))  # the classes the protocols will see
    known = codes[codes >= 0]
    n_classes = int(np.unique(known).size)
    if n_classes < 2:
        return (
            f"label {label!r} has {n_classes} class among its {len(known)} labelled samples: "
            "nothing to classify; choose another --label"
        )
    if n_classes > max(2, len(known) // 2):
        return (
            f"label {label!r} has {n_classes} classes for {len(known)} labelled samples (an id or "
            "a measurement, not a category): a class is rarely seen in training; choose a "
            "categorical --label such as a tissue"
        )
    return None


def _fraction_problem(labels: np.ndarray, fraction: float) -> str | None:
    """Why ``fraction`` of the labelled samples cannot train and test (none to train on, or
    none left to test), with the fractions that can; or None. Said before the maps are
    computed (it was said after them, by the first split)."""
    from core.analysis import _labels_to_codes

    codes, _ = _labels_to_codes(labels, len(labels))
    n = int((codes >= 0).sum())
    n_train = int(round(fraction * n))
    if 1 <= n_train < n or n < 2:
        return None
    # (three significant digits, rounded inwards: each still leaves 1 and n - 1)
    lo = math.ceil(1000 / n) / 1000 if n <= 1000 else float(f"{1.001 / n:.3g}")
    hi = math.floor(1000 * (n - 1) / n) / 1000
    return (
        f"--fraction {fraction:g} of the {n} labelled samples leaves {n_train} to train on "
        f"and {n - n_train} to test: give --fraction from {lo:g} (1 sample to train on) to "
        f"{hi:g} ({n - 1})"
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


def _open_cache(args: argparse.Namespace) -> _CountingCache | None:
    if args.no_cache:
        return None
    from core.cache import ResultCache

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

    def counts(self) -> tuple[int, int]:
        """(read, read + computed) so far."""
        return self.hits, self.hits + self.computed


def _hits(cache: _CountingCache | None) -> int:
    return cache.hits if cache is not None else 0


def _cached_note(hits: int, total: int, what: str) -> str:
    """Empty when nothing came from the cache, else e.g. "3 of 30 cells read from ..."."""
    if hits <= 0:
        return ""
    return (
        f"{hits} of {total} {what} read from the result cache (stored by an earlier run, "
        "--cache-dir), so the time is mostly that of reading them"
    )


SIMULATED_LABEL = "SIMULATED DATA"
SIMULATED_NOTE = (
    "Every expression value here is simulated (core/simulate.py: GTEx-like tissues, gene "
    "programs that follow GO biological-process terms, marker levels set by hand to mimic "
    "GTEx); only the gene names, ids and GO annotations are real. Nothing here is a "
    "measurement."
)


class _LineProgress:
    """The calls of a tqdm bar used here, as plain lines on stderr (a log, not a terminal): a
    line when a new step begins (the part of the step's name before " / "), none redrawn."""

    def __init__(self, total: int, desc: str) -> None:
        self.total, self.desc, self.n, self.step = max(int(total), 1), desc, 0, None

    def set_postfix_str(self, text: str) -> None:
        step = str(text).split(" / ")[0]
        if step != self.step:
            self.step = step
            print(f"{self.desc}: {step} ({self.n} of {self.total} done)", file=sys.stderr)

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
    loaded: _Loaded, methods: list[str], seed: int, cache: Any, centered: bool = False
) -> dict[str, np.ndarray]:
    """Baseline maps of the model's data (cached), with a progress bar."""
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
            bar.set_postfix_str(method)
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
            bar.update(1)
    finally:
        bar.close()
    return maps


def _table1(
    embeddings: dict[str, np.ndarray],
    labels: np.ndarray,
    fraction: float,
    splits: int,
    classifiers: list[str],
    seed: int,
    cache: Any,
) -> pd.DataFrame:
    bar = _tqdm(len(embeddings) * len(classifiers), "Table 1")
    state = {"first": True}

    def progress(name: str, clf: str) -> None:
        if not state["first"]:
            bar.update(1)
        state["first"] = False
        bar.set_postfix_str(f"{name} / {clf}")

    try:
        return analysis.semi_supervised_table(
            embeddings,
            labels,
            fraction=fraction,
            n_splits=splits,
            classifiers=classifiers,
            seed=seed,
            progress=progress,
            cache=cache,
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


#: The report's gene neighbours compared to GO (Figure 4), unless --k says otherwise.
REPORT_K = 5


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
        loaded.labels, args.fraction
    )
    if problem:
        raise CoreError(problem)
    print(
        f"data: {loaded.es.name}: {loaded.es.n_samples} samples x {loaded.es.n_genes} genes; "
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
        table = _table1(
            embeddings, loaded.labels, args.fraction, args.splits, classifiers, args.seed, cache
        )
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
    print(analysis.table_to_markdown(table), file=sys.stderr)
    a = table.attrs
    note = few_labels_note(a, result["protocol"]["chance_accuracy"])
    if note:
        print(f"warning: {note}", file=sys.stderr)
    if _has_comparison(table):
        paired = analysis.paired_differences(table, "fe")
        print(
            "FE minus each map, same splits (mean [95% interval], share of splits FE >=):\n"
            + analysis.paired_to_markdown(paired, PAIRED_DIGITS),
            file=sys.stderr,
        )
    print(f"{simulated}wrote {out} and {md} ({result['runtime_s']:.0f} s)", file=sys.stderr)
    return 0


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
    return {
        "simulated": loaded.simulated,
        "definitions": EVALUATION_DEFINITIONS,
        "dataset": _dataset_summary(loaded),
        "model": _model_summary(loaded),
        "protocol": {
            "label": loaded.label,
            "fraction": args.fraction,
            "n_splits": args.splits,
            "n_train": table.attrs["n_train"],
            "n_test": table.attrs["n_test"],
            "n_classes": table.attrs["n_classes"],
            "chance_accuracy": chance_accuracy(loaded.labels),
            "ceiling": table.attrs.get("ceiling"),
            "splits_short": table.attrs.get("splits_short"),
            "fraction_all_classes": table.attrs.get("fraction_all_classes"),
            "seed": args.seed,
            "baselines_on": BASELINE_INPUT[args.center_samples] + _missing_note(loaded.es.values),
            "baselines": _baseline_names(
                [n for n in baselines if n != "raw"], int(loaded.es.n_samples)
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
    }


EVALUATION_DEFINITIONS = {
    "results": "map -> classifier -> mean and sd over the splits of the accuracy: the share of "
    "a split's test samples whose label is predicted right",
    "protocol.chance_accuracy": "accuracy of always predicting the most frequent class (its "
    "share of the labelled samples)",
    "protocol.ceiling": "the highest accuracy any classifier can reach on these splits: the "
    "share of a split's test samples whose class has a training sample, mean over the splits",
    "fe_minus_other": "classifier -> map -> accuracy of Factorized Embeddings minus that map's, "
    "split by split on the same splits: difference (mean), sd, se (sd / sqrt(n_splits)), "
    "ci_low and ci_high (95% interval of the mean, Student's t; how precisely the splits fix "
    "the mean, not how the difference would vary on other data), share_ge (share of splits "
    "where Factorized Embeddings is at least as accurate), share_tie (share of splits where "
    "both are equally accurate, counted in share_ge)",
    "split_scores": "map -> classifier -> the accuracy of every split, in split order",
    "runtime_s": "seconds for the whole command; baseline_maps_s and table1_s its parts, "
    "cell_runtime_s each cell's (small when read from the result cache: see cached)",
}


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


def _over_splits(n_splits: int) -> str:
    """How a cell of Table 1 summarises its splits: a mean ± sd, or one split's accuracy."""
    return f"mean ± sd over {n_splits} random splits" if n_splits != 1 else "1 random split"


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
        f"{d['n_samples']} samples x {d['n_genes']} genes; {p['n_classes']} classes. "
        f"Train on {_percent(p['fraction'])} of the labelled samples ({p['n_train']}), test on the "
        f"other {p['n_test']}; "
        + (
            f"mean ± sd over {p['n_splits']} random splits (seed {p['seed']}) of the accuracy "
            if p["n_splits"] != 1
            else f"the accuracy on 1 random split (seed {p['seed']}) "
        )
        + f"(share of the test samples whose {p['label']} is predicted right). "
        f"Baselines computed on {p['baselines_on']}: "
        + ", ".join(p["baselines"].values())
        + ". "
        + _chance_text(p["chance_accuracy"], p["label"], p["n_classes"]),
        "",
        f"Classifiers: {_classifiers_text(list(p['classifiers']))}.",
        "",
        *([f"**Note.** {note}", ""] if note else []),
        f"Model `{m['directory']}` (key {m['key']}): {_model_settings_text(m)}.",
        "",
        _run_time_text(result, read),
        "",
        analysis.table_to_markdown(table),
    ]
    if _has_comparison(table):
        lines += [
            "## Factorized Embeddings minus each map, split by split",
            "",
            PAIRED_CAPTION,
            "",
            analysis.paired_to_markdown(analysis.paired_differences(table, "fe"), PAIRED_DIGITS),
        ]
    return "\n".join(lines)


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


def _missing_note(values: np.ndarray, rows: int = 4096) -> str:
    """What the baselines do with missing values, when the matrix has any (counted by blocks
    of rows): they read them as each gene's mean, which "the values as they are" did not say."""
    n = sum(int(np.isnan(values[i : i + rows]).sum()) for i in range(0, values.shape[0], rows))
    if not n:
        return ""
    share = n / max(1, values.size)
    return f" (its {n:,} missing values, {share:.1%} of the cells, read as each gene's mean)"


def _lowest_value(values: np.ndarray, rows: int = 4096) -> float:
    """The matrix's lowest value, ignoring missing ones (by blocks of rows; 0 when empty)."""
    lows = [
        float(np.nanmin(block, initial=np.inf))
        for block in (values[i : i + rows] for i in range(0, values.shape[0], rows))
    ]
    low = min(lows, default=0.0)
    return low if np.isfinite(low) else 0.0


PAIRED_CAPTION = (
    "Every map's classifiers train on the same samples in each split, so the difference is "
    "read split by split: mean accuracy of Factorized Embeddings minus the other map, its 95% "
    "interval over the splits (it says how precisely the splits fix the mean, not how the "
    "difference would vary on other data), and the share of splits where Factorized Embeddings "
    "is at least as accurate (including, in brackets when there are any, the share of all "
    "splits where both are equally accurate)."
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
    "AdaBoost": "50 boosted decision stumps",
    "MLP": "one hidden layer of 100 ReLU units, 300 full-batch Adam steps, on standardised "
    "coordinates",
}
#: Digits of the split-by-split differences: an accuracy of a few hundred test samples moves
#: in steps of a few thousandths, and the 95% intervals are a hundredth wide or more.
PAIRED_DIGITS = 3


def _n_unlabelled(labels: np.ndarray | None) -> int:
    """Samples without a label (NaN, None, empty)."""
    if labels is None:
        return 0
    from core.analysis import _labels_to_codes

    codes, _ = _labels_to_codes(labels, len(labels))
    return int((codes < 0).sum())


def chance_accuracy(labels: np.ndarray) -> float:
    """Accuracy of always predicting the most frequent class: its share of the labelled samples
    (the floor a map's classifiers should beat; 1/26 for 26 tissues of 20 samples each)."""
    from core.analysis import _labels_to_codes

    codes, _ = _labels_to_codes(labels, len(labels))
    known = codes[codes >= 0]
    return float(np.bincount(known).max() / known.size) if known.size else float("nan")


def _classifiers_text(classifiers: list[str]) -> str:
    """'1-NN: the label of ...; Random Forest: 30 trees' for the classifiers of a table."""
    return "; ".join(
        f"{c}: {CLASSIFIER_SETTINGS[c]}" for c in classifiers if c in CLASSIFIER_SETTINGS
    )


def _baseline_names(methods: list[str], n_samples: int) -> dict[str, str]:
    """Each baseline map with its settings, e.g. ``{"tsne": "t-SNE (perplexity 30)"}``."""
    perplexity = analysis._tsne_perplexity(n_samples)
    return {m: _MAP_NAMES.get(m, m).format(perplexity=perplexity) for m in methods}


def _chance_text(chance: float, label: str, n_classes: int | None = None) -> str:
    if n_classes and abs(chance * n_classes - 1) < 1e-9:  # every class the same size
        return (
            f"Chance level: 1/{n_classes} = {chance:.3f} (every {label} has as many samples: "
            "guessing any one is right for that share)."
        )
    return (
        f"Chance level: always predicting the most frequent {label} is right for "
        f"{chance:.1%} of the samples ({chance:.3f})."
    )


def _chance_legend(chance: float, n_classes: int | None = None) -> str:
    """The chance line's words in a figure's legend, as :func:`_chance_text` says them."""
    if n_classes and abs(chance * n_classes - 1) < 1e-9:
        return f"chance: 1/{n_classes} = {chance:.3f} (classes of one size)"
    return f"chance: the most frequent class ({chance:.3f})"


# ============================================================================= report
def run_report(args: argparse.Namespace) -> int:
    """``python -m core report``: one HTML page with every analysis, figures in PNG and SVG."""
    from core.cli import check_output_dir

    t0 = time.perf_counter()
    classifiers = _split_list(args.classifiers, analysis.CLASSIFIERS, "--classifiers")
    methods = _split_list(args.methods, analysis.BASELINE_METHODS, "--methods")
    markers = _split_list(args.markers, None, "--markers")
    out = Path(args.out)
    check_output_dir(out, args.force, "a report directory", REPORT_ENTRIES, "index.html")
    _check_protocol(args)
    k_given = args.k is not None  # (the default is not refused for a model of few genes)
    args.k = REPORT_K if args.k is None else args.k
    if args.k < 1:
        raise CoreError(f"--k must be >= 1, got {args.k}")
    if args.no_go:
        given = [
            flag
            for flag, value, default in (
                ("--go-gaf", args.go_gaf, None),
                ("--go-obo", args.go_obo, None),
                ("--go-exclude-evidence", args.go_exclude_evidence, ""),
                ("--go-term-size", args.go_term_size, "3-500"),
            )
            if value != default
        ]
        if given:
            raise CoreError(f"--no-go skips the GO comparison: drop {', '.join(given)} or --no-go")
    args.go_options = None if args.no_go else _go_options(args)
    loaded = _Loaded(args.model, args.label)
    # read once, before the long stages (a bad --go-gaf is said now, not after the maps); its
    # symbols name the genes of data keyed by Ensembl ids alone in the markers and pair tables
    args.go = None if args.no_go else _load_go(args.go_options)
    loaded.symbols = readable_symbols(loaded.es, args.go)
    others = [_Loaded(d, args.label, "--compare-models") for d in args.compare_models]
    problem = _label_problem(loaded.labels, str(loaded.label)) if loaded.label else None
    if problem and args.label is not None:
        raise CoreError(problem)
    few = _fraction_problem(loaded.labels, args.fraction) if loaded.label else None
    if few and args.fraction != DEFAULT_FRACTION:  # asked for: refused before any work
        raise CoreError(few)
    problem = problem or few  # the default on a small dataset: Table 1 skipped, said why
    for other in others:
        if other.es.fingerprint() != loaded.es.fingerprint():
            raise CoreError(f"--compare-models {other.dir}: trained on other data than --model")
    if others:
        from core.analysis import check_distinct_runs

        check_distinct_runs(
            [np.asarray(x.model.gene_embedding_) for x in (loaded, *others)],
            [f"--model {loaded.dir}", *(f"--compare-models {x.dir}" for x in others)],
        )
    es = loaded.es
    if k_given and args.k >= es.n_genes:  # said before the maps, not as an empty section
        raise CoreError(
            f"--k {args.k}: the model has {es.n_genes} genes, so a gene has at most "
            f"{es.n_genes - 1} neighbours; choose a smaller --k"
        )
    args.missing_note = _missing_note(es.values)
    print(f"data: {es.name}: {es.n_samples} samples x {es.n_genes} genes", file=sys.stderr)
    few_samples = ""
    if es.n_samples < analysis.MIN_MAP_SAMPLES:  # (refused the whole report after loading)
        few_samples = (
            f"{es.n_samples} samples: too few for the baseline maps (PCA, NMF, t-SNE and UMAP "
            f"need at least {analysis.MIN_MAP_SAMPLES}); the model's map is shown alone"
        )
        print(f"warning: {few_samples}", file=sys.stderr)
        methods = []
    if args.markers != ",".join(analysis.DEFAULT_MARKERS):  # asked for: said here too
        found = analysis.match_genes(loaded.symbols, markers, ids=es.gene_ids)
        absent = [m for m in markers if not len(found[m])]
        if absent:
            print(
                f"warning: --markers: not among the model's {es.n_genes:,} genes, left out: "
                f"{', '.join(absent)}",
                file=sys.stderr,
            )
    figures: dict[str, Any] = {}
    tables: dict[str, pd.DataFrame] = {}
    sections: list[str] = []
    cache = _open_cache(args)
    stages = ["maps", "table 1", "markers", "gene space", "figures"]
    bar = _tqdm(len(stages), "report")
    try:
        bar.set_postfix_str("baseline maps")
        maps = _baselines(loaded, methods, args.seed, cache, args.center_samples)
        stage_counts = {"baseline maps": cache.counts() if cache is not None else (0, 0)}
        sample_maps = {"fe": np.asarray(loaded.model.sample_embedding_), **maps}
        figures["maps"] = _fig_maps(sample_maps, loaded.labels, loaded.label)
        if getattr(loaded.model, "history_", None):
            figures["loss"] = _fig_loss(loaded.model.history_)
        bar.update(1)

        if few_samples:
            sections.append(f"<h2>Baseline maps</h2><p>Skipped: {html.escape(few_samples)}.</p>")
        bar.set_postfix_str("Table 1")
        if problem:
            sections.append(f"<h2>Table 1</h2><p>Skipped: {html.escape(problem)}.</p>")
        elif loaded.labels is not None:
            before = _hits(cache)
            table = _table1(
                sample_maps,
                loaded.labels,
                args.fraction,
                args.splits,
                classifiers,
                args.seed,
                cache,
            )
            cells_cached = _hits(cache) - before
            stage_counts["Table-1 cells"] = (cells_cached, table.size // 2)
            chance = chance_accuracy(loaded.labels)
            figures["table1"] = _fig_table1(table, chance, loaded.label)
            tables["table1"], tables["table1_splits"] = _table1_csv(table)
            weight = (_model_summary(loaded).get("params") or {}).get("neighbour_weight")
            sections.append(
                _section_table1(table, loaded.label, args, cells_cached, chance, weight)
            )
        else:
            sections.append("<h2>Table 1</h2><p>No sample label: skipped (pass --label).</p>")
        bar.update(1)

        bar.set_postfix_str("markers")
        sections.append(_section_markers(loaded, sample_maps, markers, figures, tables))
        bar.update(1)

        bar.set_postfix_str("gene space")
        before = cache.counts() if cache is not None else (0, 0)
        sections.append(_section_gene_space(loaded, others, args, figures, cache, tables))
        after = cache.counts() if cache is not None else (0, 0)
        stage_counts["gene correlations"] = (after[0] - before[0], after[1] - before[1])
        bar.update(1)

        bar.set_postfix_str("writing figures")
        simulated = loaded.simulated
        if simulated:  # a figure or table taken out of the page still says so
            _mark_simulated(figures)
            for frame in tables.values():
                frame.insert(0, "data", "SIMULATED")
        cache_line = ""
        if cache is not None and cache.hits:
            cache_line = (
                f"read from the result cache {cache.directory} (stored by an earlier run) "
                "instead of computed: "
                + ", ".join(f"{what} {n} of {total}" for what, (n, total) in stage_counts.items())
            )
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CoreError(f"cannot create {out.parent}: {exc}") from None
        # built beside --out, renamed into place at the end: never half a report under its name
        remove_stale_temporaries(out)  # (left by a run killed before)
        tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            written, no_static = _write_figures(figures, tmp / "figures")
            for name, table in tables.items():
                (tmp / "tables").mkdir(parents=True, exist_ok=True)
                table.to_csv(tmp / "tables" / f"{name}.csv", index=False)
            bar.update(1)
            page = _page(
                loaded,
                sections,
                written,
                time.perf_counter() - t0,
                methods=methods,
                centered=args.center_samples,
                simulated=simulated,
                cache_line=cache_line,
                command=_report_command(args),
                missing_note=args.missing_note,
                figures_note=no_static or "",
                figures_cached=cache is not None,
            )
            (tmp / "index.html").write_text(page, encoding="utf-8")
            replace_dir(tmp, out)
        except OSError as exc:
            raise CoreError(f"cannot write the report to {out}: {exc}") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        bar.close()
        if cache is not None:
            cache.close()
    if no_static:
        print(
            f"warning: {no_static}. The figures are interactive HTML pages instead "
            "(figures/*.html); run the same command again with --force once Chromium is there"
            + (" (the results are cached)" if cache is not None else ""),
            file=sys.stderr,
        )
    simulated = f"{SIMULATED_LABEL}: " if loaded.simulated else ""
    print(
        f"{simulated}wrote {out / 'index.html'} ({time.perf_counter() - t0:.0f} s)",
        file=sys.stderr,
    )
    return 0


# ----------------------------------------------------------------------------- figures
_PALETTE = CLASS_COLORS
#: Height of one legend entry of the sample maps (10-px font, no gap between entries).
_LEGEND_ROW_PX = 20
#: Marker symbols of the classes beyond the palette's colours (a 31st class: blue squares).
_SYMBOLS = ("circle", "square", "diamond", "cross", "x")


#: Most classes named on the sample maps of Figure 2 (beyond, the legend alone).
MAX_NAMED_CLASSES = 40


#: A white halo around text drawn over points (CSS text-shadow, which plotly passes to SVG).
_HALO = ", ".join(f"{dx}px {dy}px 1px white" for dx in (-1, 1) for dy in (-1, 1))


def _name_classes(fig, xy: np.ndarray, lab: pd.Series, classes: list[str], row: int, col: int):
    """Each class named on its samples in one panel (26 colours are more than an eye tells
    apart), just above (or else below) the densest clump of its own samples: its sample with
    the most samples of the class within 30 px, weighted by their share of all samples there.
    (The sample nearest the class's median named, on t-SNE, Spleen's cluster "Small
    Intestine", after a few strays of the class in it.) Larger classes first. A name that
    would cover one already written tries the class's next clumps; a class with no place
    where 3 or more of its samples are at least a quarter of those around, or no free place,
    is left unnamed (the legend has every class). Sizes in pixels are those of a panel about 370 x
    330 px, the map drawn at 1:1 in it (one scale for both axes: an elongated map fills one
    side only)."""
    from scipy.spatial import cKDTree

    span = np.ptp(xy, axis=0)
    span[span == 0] = 1.0
    scale = float(min(370.0 / span[0], 330.0 / span[1]))
    px = (xy - xy.min(axis=0)) * scale
    every = cKDTree(px)
    placed: list[tuple[float, float, float, float]] = []

    def free(box: tuple[float, float, float, float]) -> bool:
        return not any(
            b[0] < box[1] and box[0] < b[1] and b[2] < box[3] and box[2] < b[3] for b in placed
        )

    for cls in sorted(classes, key=lambda k: -int((lab == k).sum())):
        mask = (lab == cls).to_numpy()
        if mask.sum() < 3:
            continue
        pts, cls_px = xy[mask], px[mask]
        half_w, height = 2.4 * len(cls) + 3, 14.0  # 8-pt text
        own = cKDTree(cls_px).query_ball_point(cls_px, 30.0, return_length=True)
        around = every.query_ball_point(cls_px, 30.0, return_length=True)
        share = own / np.maximum(around, 1)
        order = np.argsort(-(own * share), kind="stable")
        order = order[(share[order] >= 0.25) & (own[order] >= min(3, len(cls_px)))]
        spot = None
        for i in order[:25]:
            # the name sits just above (or below) the samples around that one (within 30 px),
            # not on them: on UMAP a class of 20 samples is a clump smaller than its name
            near = np.flatnonzero(((cls_px - cls_px[i]) ** 2).sum(axis=1) <= 30.0**2)
            top = int(near[np.argmax(cls_px[near, 1])])
            bottom = int(near[np.argmin(cls_px[near, 1])])
            x = cls_px[i, 0]
            above = (x - half_w, x + half_w, cls_px[top, 1] + 3.0, cls_px[top, 1] + 3.0 + height)
            below = (x - half_w, x + half_w, cls_px[bottom, 1] - 3.0 - height, cls_px[bottom, 1])
            if free(above):
                spot = (above, int(i), top, "bottom", 3)
            elif free(below):
                spot = (below, int(i), bottom, "top", -3)
            if spot is not None:
                break
        if spot is None:
            continue
        box, i, j, anchor, shift = spot
        placed.append(box)
        fig.add_annotation(
            x=float(pts[i, 0]),
            y=float(pts[j, 1]),
            yanchor=anchor,
            yshift=shift,
            text=cls,
            showarrow=False,
            # no box: the samples under a name stay visible (a 60% white box hid 84-92% of a
            # named class's samples on t-SNE and UMAP); a white halo keeps the name legible
            font={"size": 8, "color": "#222", "shadow": _HALO},
            row=row,
            col=col,
        )


def _fig_maps(maps: dict[str, np.ndarray], labels: np.ndarray | None, label: str | None):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = list(maps)
    cols = min(3, len(names))
    rows = (len(names) + cols - 1) // cols
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[analysis.METHOD_NAMES.get(n, n) for n in names],
        horizontal_spacing=0.04,
        vertical_spacing=0.08,
    )
    lab = pd.Series(labels if labels is not None else np.full(len(next(iter(maps.values()))), None))
    lab = lab.fillna("unlabelled").astype(str)
    classes = sorted(lab.unique(), key=lambda c: (c == "unlabelled", c))
    colors = {
        c: (UNLABELLED_COLOR if c == "unlabelled" else _PALETTE[i % len(_PALETTE)])
        for i, c in enumerate(classes)
    }
    # beyond the palette's colours, a class takes the colour again with another symbol
    symbols = {c: _SYMBOLS[(i // len(_PALETTE)) % len(_SYMBOLS)] for i, c in enumerate(classes)}
    for k, name in enumerate(names):
        xy = maps[name]
        r, c = k // cols + 1, k % cols + 1
        for cls in classes:
            mask = (lab == cls).to_numpy()
            fig.add_trace(
                go.Scatter(
                    x=xy[mask, 0],
                    y=xy[mask, 1],
                    mode="markers",
                    marker={"size": 3, "color": colors[cls], "symbol": symbols[cls]},
                    name=cls,
                    legendgroup=cls,
                    showlegend=k == 0,
                ),
                row=r,
                col=c,
            )
        if len(classes) <= MAX_NAMED_CLASSES:
            _name_classes(fig, xy, lab, [c for c in classes if c != "unlabelled"], r, c)
    # the coordinates have no units and no origin: no tick labels, no zero line; each map at
    # 1:1, as 1-NN and smoothness read its distances
    fig.update_xaxes(showticklabels=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, zeroline=False)
    fig.for_each_yaxis(lambda axis: axis.update(scaleanchor=axis.anchor or "x", scaleratio=1))
    fig.update_layout(
        width=1200,
        # every class in the legend: a group gap (plotly's default 10 px between legend groups)
        # pushed the 26th tissue of GTEx below the figure's edge
        height=max(400 * rows + 40, _LEGEND_ROW_PX * len(classes) + 140),
        title=f"Sample maps coloured by {label}" if label else "Sample maps (no sample label)",
        legend={
            "font": {"size": 10},
            "itemsizing": "constant",
            "tracegroupgap": 0,
            "title": {"text": label or ""},
        },
        template="plotly_white",
        margin={"l": 20, "r": 20, "t": 90, "b": 20},
    )
    return fig


def _fig_loss(history: list[float]):
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=np.arange(1, len(history) + 1), y=list(history), mode="lines"))
    fig.update_layout(
        width=700,
        height=320,
        title="Training error per epoch (MSE of the predicted values, mean over its steps)",
        xaxis_title="epoch",
        yaxis_title="MSE (log scale)",
        yaxis_type="log",
        # the value on every tick: plotly's default log ticks label 2, 1, 0.5, 0.2 "2, 1, 5, 2"
        yaxis_tickformat=".2~g",
        template="plotly_white",
    )
    finite = [float(v) for v in history if np.isfinite(v) and v > 0]
    if finite:
        # ticks at 1, 2 and 5 times a power of ten: plotly's own put 0.6 to 1 on top of each
        # other below a decade's span
        lo, hi = min(finite), max(finite)
        exps = range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1)
        ticks = [
            m * 10.0**e for e in exps for m in (1, 2, 5) if lo / 1.3 <= m * 10.0**e <= hi * 1.3
        ]
        if len(ticks) >= 2:
            fig.update_yaxes(tickvals=ticks)
    return fig


def _mark_simulated(figures: dict[str, Any]) -> None:
    """Put SIMULATED DATA in every figure's title (a PNG or SVG taken alone still says so)."""
    for fig in figures.values():
        title = fig.layout.title.text or ""
        fig.update_layout(
            title_text=f"<span style='color:#b45309'><b>{SIMULATED_LABEL}</b></span> · {title}"
        )


def _fig_table1(table: pd.DataFrame, chance: float | None = None, label: str | None = None):
    import plotly.graph_objects as go

    fig = go.Figure()
    for name in dict.fromkeys(table.columns.get_level_values(0)):
        fig.add_trace(
            go.Bar(
                x=list(table.index),
                y=table[(name, "mean")],
                error_y={"type": "data", "array": table[(name, "sd")]},
                name=analysis.METHOD_NAMES.get(name, name),
                marker_color=METHOD_COLORS.get(name),
            )
        )
    fig.update_layout(
        barmode="group",
        width=1000,
        height=400,
        yaxis_title="accuracy on the held-out samples",
        yaxis_range=[0, 1],
        legend_title_text="map",
        title=f"Semi-supervised classification of {label or 'the label'} "
        f"({_percent(table.attrs['fraction'])} labels, {_over_splits(table.attrs['n_splits'])})",
        template="plotly_white",
    )
    if chance is not None and np.isfinite(chance):
        # the line across the plot; its words in the legend, where no bar lies under them
        fig.add_hline(y=chance, line={"dash": "dash", "color": "#555", "width": 1.5})
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                line={"dash": "dash", "color": "#555", "width": 1.5},
                name=_chance_legend(chance, table.attrs.get("n_classes")),
            )
        )
    ceiling = table.attrs.get("ceiling")
    if ceiling is not None and np.isfinite(ceiling) and ceiling < CEILING_NOTED:
        style = {"dash": "dot", "color": "#b03030", "width": 1.5}
        fig.add_hline(y=ceiling, line=style)
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                line=style,
                name=f"ceiling ({ceiling:.2f}): share of test samples whose class has a "
                "training sample",
            )
        )
    return fig


def _fig_markers(maps: dict[str, np.ndarray], scores: dict[str, np.ndarray], smooth: pd.DataFrame):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = list(maps)
    markers = list(scores)
    titles = [
        f"{m} on {analysis.METHOD_NAMES.get(n, n)} (smoothness {smooth.loc[m, n]:.2f})"
        for m in markers
        for n in names
    ]
    fig = make_subplots(
        rows=len(markers), cols=len(names), subplot_titles=titles, vertical_spacing=0.05
    )
    for i, m in enumerate(markers):
        z = scores[m]
        order = np.argsort(np.nan_to_num(z, nan=-np.inf))  # high values drawn on top
        lo, hi = np.nanpercentile(z, [2, 98]) if np.isfinite(z).any() else (0.0, 1.0)
        for j, n in enumerate(names):
            xy = maps[n][order]
            fig.add_trace(
                go.Scatter(
                    x=xy[:, 0],
                    y=xy[:, 1],
                    mode="markers",
                    marker={
                        "size": 3,
                        "color": z[order],
                        "colorscale": "Viridis",
                        "cmin": lo,
                        "cmax": hi,
                        "showscale": j == len(names) - 1,
                        "colorbar": {
                            "len": 1.0 / len(markers),
                            "y": 1 - (i + 0.5) / len(markers),
                            "thickness": 10,
                            "title": {"text": "z-score", "side": "right"},
                        },
                    },
                    showlegend=False,
                ),
                row=i + 1,
                col=j + 1,
            )
    fig.update_xaxes(showticklabels=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, zeroline=False)
    fig.for_each_yaxis(lambda axis: axis.update(scaleanchor=axis.anchor or "x", scaleratio=1))
    fig.update_annotations(font_size=11)
    fig.update_layout(
        width=420 * len(names),
        height=360 * len(markers),
        # on one column of panels (420 px), the title on one line was cut at "(mean z-sc"
        title=("Marker expression over the sample maps" + ("<br>" if len(names) < 2 else " "))
        + "(mean z-score of the matched genes)",
        template="plotly_white",
        margin={"l": 20, "r": 60, "t": 90 if len(names) < 2 else 70, "b": 20},
    )
    return fig


def _fig_smoothness(per_gene: pd.DataFrame):
    """One outline per map over shared bins: five filled histograms laid over each other
    mixed their colours beyond reading."""
    import plotly.graph_objects as go

    values = per_gene.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    lo = min(0.0, float(finite.min())) if finite.size else 0.0
    edges = np.linspace(lo, 1.0, 41)
    fig = go.Figure()
    for j, name in enumerate(per_gene.columns):
        x = per_gene[name].to_numpy(dtype=float)
        counts, _ = np.histogram(x[np.isfinite(x)], bins=edges)
        fig.add_trace(
            go.Scatter(
                x=edges,
                y=np.append(counts, counts[-1]),
                mode="lines",
                line={
                    "shape": "hv",
                    "width": 3 if name == "fe" else 1.5,
                    "color": METHOD_COLORS.get(name, _PALETTE[j % len(_PALETTE)]),
                },
                name=analysis.METHOD_NAMES.get(name, name),
            )
        )
    fig.update_layout(
        width=750,
        height=350,
        title="Smoothness of every gene over each map (1 smooth, 0 random)",
        xaxis_title="smoothness",
        yaxis_title="number of genes",
        legend_title_text="map",
        template="plotly_white",
    )
    return fig


def _fig_agreement(table: pd.DataFrame):
    """Horizontal bars, one row per source of neighbours: long row names (the models by
    directory, the runs together) read level instead of slanting into the next panel."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    cols = [c for c in ("go", "coexp") if f"{c}_fraction" in table.columns]
    fig = make_subplots(
        rows=1,
        cols=len(cols),
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=[
            {"go": "share a GO BP term", "coexp": "co-expression edge (top 1%)"}[c] for c in cols
        ],
    )
    labels = [str(i) for i in table.index]
    for j, c in enumerate(cols):
        for column, name, colour in (
            (f"{c}_fraction", "neighbour pairs", "#1f77b4"),
            (f"{c}_random", "all gene pairs (chance)", "#bbbbbb"),
        ):
            fig.add_trace(
                go.Bar(
                    y=labels,
                    x=table[column],
                    orientation="h",
                    name=name,
                    marker_color=colour,
                    showlegend=j == 0,
                ),
                row=1,
                col=j + 1,
            )
        fig.update_xaxes(title_text="fraction of pairs", rangemode="tozero", row=1, col=j + 1)
    fig.update_yaxes(autorange="reversed")  # top to bottom in the table's order
    fig.update_layout(
        barmode="group",
        width=1000,
        height=140 + 55 * len(labels),
        title="Gene neighbours found in the references, vs all gene pairs (chance)",
        template="plotly_white",
    )
    return fig


def _write_figures(
    figures: dict[str, Any], folder: Path
) -> tuple[dict[str, dict[str, str]], str | None]:
    """Write every figure as PNG and SVG in one Chromium session; (name -> format -> path,
    None).

    Without a Chromium that kaleido can drive, every figure is written as an interactive HTML
    page instead (plotly.js beside them, no network needed), and the second value says why: a
    report computed for many minutes was lost at this last step for want of a browser.
    """
    try:
        return _write_static_figures(figures, folder), None
    except _NoRenderer as exc:
        for path in folder.glob("*.*"):
            path.unlink()  # what the failed renderer left
        written = {}
        for name, fig in figures.items():
            fig.write_html(folder / f"{name}.html", include_plotlyjs="directory", full_html=True)
            written[name] = {
                "html": f"figures/{name}.html",
                "width": str(fig.layout.width or ""),
                "height": str(fig.layout.height or ""),
            }
        return written, str(exc)


def _first_sentence(text: str, limit: int = 200) -> str:
    """The first sentence of an error's message, at most ``limit`` characters (kaleido's go on
    to advise downloading Chrome)."""
    first = (text.strip().splitlines() or [""])[0]
    first = first.split(". ")[0].rstrip(".")
    return first if len(first) <= limit else first[: limit - 1] + "…"


class _NoRenderer(CoreError):
    """kaleido could not drive a Chromium (none found, or it failed to start)."""


def _write_static_figures(figures: dict[str, Any], folder: Path) -> dict[str, dict[str, str]]:
    """Every figure as PNG and SVG, in one Chromium session; name -> format -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    browser = os.environ.get("BROWSER_PATH") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    # no MathJax (kaleido's default fetches it from a CDN for every page it opens)
    kopts = {"mathjax": False, **({"path": browser} if browser else {})}
    jobs, written = [], {}
    for name, fig in figures.items():
        written[name] = {}
        for fmt in ("png", "svg"):
            path = folder / f"{name}.{fmt}"
            # PNG at twice the layout's pixels: sharp in print and on high-density screens
            opts = {"format": fmt, **({"scale": PNG_SCALE} if fmt == "png" else {})}
            jobs.append({"fig": fig, "path": str(path), "opts": opts})
            written[name][fmt] = f"figures/{name}.{fmt}"
        written[name]["width"] = str(fig.layout.width or "")
    for noisy in ("kaleido", "choreographer"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        import kaleido

        kaleido.write_fig_from_object_sync(jobs, kopts=kopts, cancel_on_error=True)
    except Exception as exc:  # noqa: BLE001 - kaleido raises many kinds; say what failed
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            # the disk, not the browser: BROWSER_PATH would not help
            raise CoreError(f"could not write the figures in {folder}: {exc.strerror}") from exc
        raise _NoRenderer(
            f"could not render figures as PNG and SVG with kaleido/Chromium "
            f"({type(exc).__name__}: {_first_sentence(str(exc))}); "
            "install Chromium (apt-get install chromium) or set BROWSER_PATH to a "
            "Chrome/Chromium binary"
        ) from exc
    missing = [j["path"] for j in jobs if not Path(j["path"]).is_file()]
    if missing:
        raise CoreError(f"figure export wrote nothing for {', '.join(missing[:3])}")
    return written


# ----------------------------------------------------------------------------- sections
def _number(value: float) -> str:
    """A table's number: 3 significant digits, trailing zeros kept so that a column reads
    evenly (0.350 beside 0.761; 0.000123, 13.6, 2.00), whole above 1,000 (123,457)."""
    if not np.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    # decimals for 3 significant digits, written out (never 7.58e-05: a column of shares
    # reads the same way down to its smallest)
    decimals = max(0, 2 - int(np.floor(np.log10(abs(value)))))
    rounded = round(abs(value), decimals)
    if decimals and rounded >= 10.0 ** (3 - decimals):  # 0.99994 -> 1.00 (it read 1.000)
        decimals -= 1
    if abs(value) >= 1000 or round(abs(value), decimals) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{decimals}f}"


def _cell(value: Any) -> str:
    """One table cell's text: numbers by :func:`_number`, missing as a dash."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return _number(float(value))
    return str(value)


def _numeric_column(column: pd.Series) -> bool:
    """Numbers, or numbers written out ("0.62 ± 0.02", "+0.010 [...]"): right-aligned."""
    if pd.api.types.is_bool_dtype(column):
        return False
    if pd.api.types.is_numeric_dtype(column):
        return True
    text = column.dropna().astype(str)
    text = text[text != ""]
    number = r"^[+\-−]?\d[\d,]*(\.\d+)?%?(\s|$)"  # "1-NN" is a name, "0.62 ± 0.02" a number
    return bool(len(text)) and bool(text.str.match(number).all())


def _html_table(frame: pd.DataFrame, index: bool = True) -> str:
    """A table with one header row; words left-aligned, numbers right-aligned (``td.num``).

    With ``index``, the index comes first as a column named by the index's name."""
    if index:
        frame = _index_as_column(frame, str(frame.index.name or ""))
    numeric = [_numeric_column(frame.iloc[:, j]) for j in range(frame.shape[1])]
    attrs = [' class="num"' if num else "" for num in numeric]
    head = "".join(
        f"<th{a}>{html.escape(str(c))}</th>" for c, a in zip(frame.columns, attrs, strict=True)
    )
    rows = []
    for values in frame.itertuples(index=False, name=None):
        cells = "".join(
            f"<td{a}>{html.escape(_cell(v))}</td>" for v, a in zip(values, attrs, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    return (
        f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _section_table1(
    table: pd.DataFrame,
    label: str | None,
    args: argparse.Namespace,
    cells_cached: int = 0,
    chance: float | None = None,
    neighbour_weight: float | None = None,
) -> str:
    fmt = analysis.format_table(table)
    fmt.columns = [analysis.METHOD_NAMES.get(c, c) for c in fmt.columns]
    a = table.attrs
    n_cells = table.shape[0] * len(set(table.columns.get_level_values(0)))
    cached = _cached_note(cells_cached, n_cells, "cells")
    return (
        "<h2>Semi-supervised classification (Table 1)</h2>"
        f"<p>Classify <b>{html.escape(str(label))}</b> ({a['n_classes']} classes) from the "
        f"samples' coordinates on each map: train on {_percent(a['fraction'])} of the labelled "
        f"samples ({a['n_train']}), test on the other {a['n_test']}, over {a['n_splits']} "
        f"random split{'s' if a['n_splits'] != 1 else ''} (seed {args.seed}; the same "
        f"split{'s' if a['n_splits'] != 1 else ''} for every map). Each cell: "
        f"{'mean ± sd over the splits of ' if a['n_splits'] != 1 else ''}the accuracy (share of "
        "the test samples whose "
        f"{html.escape(str(label))} is predicted right). Baselines computed on "
        f"{html.escape(BASELINE_INPUT[args.center_samples] + getattr(args, 'missing_note', ''))}. "
        + (
            html.escape(_chance_text(chance, str(label), table.attrs.get("n_classes"))) + " "
            if chance is not None and np.isfinite(chance)
            else ""
        )
        + f"Classifiers: {html.escape(_classifiers_text(list(table.index)))}. "
        f"Computed in {a['runtime_s']:.0f} s"
        + (f" ({html.escape(cached)})" if cached else "")
        + ".</p>"
        + (
            "<p>The <i>Factorized Embeddings</i> column is the model's map as trained: the "
            "paper's objective plus the neighbour-graph term of weight "
            f"{neighbour_weight:g} (Figure 2), not the paper's objective alone (on GTEx acmg59, "
            "1-NN from 2% of its 13,292 labelled samples, about 266 to train on, the objective "
            "alone gave 0.83 and with the term 0.93: another dataset and protocol than this "
            "table's; tests/benchmarks/RESULTS.md).</p>"
            if neighbour_weight
            else ""
        )
        + _note_html(few_labels_note(a, chance))
        + _note_html(_one_sample_classes_note(a, list(table.index)))
        + _html_table(_index_as_column(fmt, "classifier"), index=False)
        + '<p class="hint">In files: <a href="tables/table1.csv">tables/table1.csv</a> (each '
        'cell\'s mean, sd and splits) and <a href="tables/table1_splits.csv">'
        "tables/table1_splits.csv</a> (the accuracy of every split).</p>"
        + "{fig:table1}"
        + _section_paired(table)
    )


#: The packages whose versions can change the report's numbers, by import name.
_VERSIONED = ("numpy", "scipy", "sklearn", "torch", "umap", "pandas", "plotly")


def _software_line() -> str:
    """Python and the versions of the packages behind the numbers, and this code's commit when
    it runs from a git checkout (a reader could not tell which code made a page)."""
    import importlib.metadata as metadata

    names = {"sklearn": "scikit-learn", "umap": "umap-learn"}
    parts = [f"Python {platform.python_version()}"]
    for module in _VERSIONED:
        name = names.get(module, module)
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    commit = _code_commit()
    return ", ".join(parts) + (f"; code at commit {commit}" if commit else "")


def _code_commit() -> str | None:
    """The git commit of this code (with ``+changes`` when files differ from it), or None
    outside a git checkout or without git."""
    import subprocess

    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=True
        )
        return done.stdout.strip()

    try:
        head = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return (head + (" +changes" if dirty else "")) if head else None


def _one_sample_classes_note(protocol: Mapping[str, Any], classifiers: list[str]) -> str:
    """Gaussian naive Bayes with classes of one training sample: no variance to estimate (it
    takes a floor), so its cell says more of the classifier than of the maps (0.10 ± 0.12 on
    the 26-tissue set from 2% labels: 0.03-0.07 in the splits where one class had two samples,
    0.29-0.36 where each had one)."""
    if "Gaussian NB" not in classifiers or protocol["n_train"] >= 2 * protocol["n_classes"]:
        return ""
    return (
        f"With {protocol['n_train']} training samples for {protocol['n_classes']} classes, "
        "many classes have one training sample or none in a split: Gaussian NB cannot "
        "estimate their variance (it falls back on a small floor), so its row measures that "
        "failure as much as the maps; read the 1-NN row, or train on a larger --fraction."
    )


def _index_as_column(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """``frame`` with its index as a first column ``name`` (one header row in HTML)."""
    out = frame.copy()
    out.index.name = name
    return out.reset_index()


def _note_html(text: str) -> str:
    return f'<p class="note"><b>Note.</b> {html.escape(text)}</p>' if text else ""


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
        f"; on these splits no classifier can score above {ceiling:.3f} on average (the "
        "share of the test samples whose class has a training sample, mean over the splits; "
        f"a single split's can be higher){under_chance}"
        if short
        else ""
    )
    suggest = protocol.get("fraction_all_classes")
    advice = (
        f"; the splits are random, not stratified by class: --fraction {suggest:.2f} leaves "
        "fewer than 0.5 classes without a training sample on average"
        if suggest is not None
        else "; the smallest classes are too small for even --fraction 0.50 to give them a "
        "training sample in most splits"
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
        return f"Some classes have no training sample in {where}{most}{advice}."
    return (
        f"Fewer training samples ({n_train}) than classes ({n_classes}): in every split at least "
        f"{n_classes - n_train} classes have no training sample and none of their test samples "
        f"can be classified right, whatever the map{most}{advice}."
    )


#: Below this highest possible accuracy (classes left without a training sample), the Table-1
#: outputs say it.
CEILING_NOTED = 0.99


def _section_paired(table: pd.DataFrame) -> str:
    if not _has_comparison(table):
        return ""
    paired = analysis.format_paired(analysis.paired_differences(table, "fe"), PAIRED_DIGITS)
    return (
        "<h3>Factorized Embeddings minus each map, split by split</h3>"
        f"<p>{html.escape(PAIRED_CAPTION)}</p>"
        + _html_table(_index_as_column(paired, "classifier"), index=False)
    )


#: Neighbours of a sample in the smoothness of the report's Figure 3 section.
SMOOTHNESS_K = 15


def _section_markers(
    loaded: _Loaded,
    maps: dict[str, np.ndarray],
    markers: list[str],
    figures: dict[str, Any],
    tables: dict[str, pd.DataFrame] | None = None,
) -> str:
    es = loaded.es
    symbols = loaded.symbols
    shown = {n: maps[n] for n in ("fe", "tsne") if n in maps}
    k = min(SMOOTHNESS_K, len(es.values) - 1)  # a model of 15 samples or fewer: the others
    smooth = analysis.marker_smoothness(shown, es.values, symbols, markers, k=k, ids=es.gene_ids)
    found = smooth[smooth["n_genes"] > 0]
    absent = [str(m) for m in smooth.index[smooth["n_genes"] == 0]]
    instead: list[str] = []
    if not len(found) and es.n_genes:
        # none of the markers here (the Figure-3 genes in a small panel): the section shows
        # the most variable genes of the dataset rather than an empty figure
        instead = _most_variable(es, symbols, 5)
        smooth = analysis.marker_smoothness(shown, es.values, symbols, instead, k=k)
        found = smooth[smooth["n_genes"] > 0]
    parts = [
        "<h2>Marker genes over the sample maps (Figure 3)</h2>",
        "<p>Each marker is a gene symbol, a pattern (<code>HOX*</code>) or a family: "
        "<code>keratins</code> are the keratin genes, KRT and a number with an optional letter "
        "(KRT5, KRT14, KRT6A), not their pseudogenes (KRT8P12, KRT18P1) nor the "
        "keratin-associated KRTAP genes, which <code>KRT*</code> would add. Each is scored in "
        "each sample as the mean z-score of the matching genes. "
        "Smoothness = 1 − mean squared difference between a sample's score and the mean of "
        f"its {k} nearest samples on the map, over (1 + 1/{k}) × variance: 1 when expression is "
        "organised in sample space, about 0 when it is random over the map. <i>n_genes</i>: "
        "genes of this dataset that match; <i>genes</i>: the first 8 of them; <i>highest "
        "in</i>: the two classes of highest mean score (mean z-score). In the figure, "
        "the colours span each marker's 2nd to 98th percentile (scores beyond it take the end "
        "colours).</p>",
    ]
    scores = {
        m: analysis.gene_set_score(
            es.values, analysis.match_genes(symbols, [m], ids=es.gene_ids)[m]
        )
        for m in found.index
    }
    labels = getattr(loaded, "labels", None)
    if len(found) and labels is not None:
        # where each marker is highest, for a reader to check it against the biology (the maps
        # carry no tissue names, and a stand-in marker said nothing of its tissue)
        found = found.assign(
            **{
                f"highest in ({loaded.label})": [
                    _highest_in(scores[m], labels) for m in found.index
                ]
            }
        )
    if len(found):
        columns = {n: f"smoothness on {analysis.METHOD_NAMES.get(n, n)}" for n in shown}
        parts.append(_html_table(found.rename(columns=columns)))
        if tables is not None:
            tables["marker_smoothness"] = _index_as_column(found.rename(columns=columns), "marker")
            parts.append(
                '<p class="hint">In a file: <a href="tables/marker_smoothness.csv">'
                "tables/marker_smoothness.csv</a>.</p>"
            )
    if absent:
        what = "None of the markers is" if instead else "Not"
        # when none is here, said first: the section then shows other genes
        parts.insert(
            1 if instead else len(parts),
            f"<p>{what} among this dataset's {es.n_genes:,} genes: "
            f"{html.escape(', '.join(absent))}. "
            + (
                "Shown instead: the 5 most variable genes here "
                f"(<code class='flag'>--markers {html.escape(','.join(instead))}</code>); "
                "choose others with <code class='flag'>--markers</code>.</p>"
                if instead
                else "Choose others with <code class='flag'>--markers</code>.</p>"
            ),
        )
    if len(found):
        figures["markers"] = _fig_markers(shown, scores, smooth)
        parts.append("{fig:markers}")
    n_genes = min(es.n_genes, 5000)
    if es.n_genes > n_genes:
        var = np.nanvar(es.values, axis=0)
        cols = np.sort(np.argsort(-np.nan_to_num(var))[:n_genes])
        note = f"the {n_genes} most variable genes"
    else:
        cols = np.arange(es.n_genes)
        note = f"all {n_genes} genes"
    per_gene = pd.DataFrame(
        {n: analysis.gene_smoothness(emb, es.values[:, cols], k=k) for n, emb in maps.items()},
        index=np.asarray(symbols)[cols],
    )
    figures["smoothness"] = _fig_smoothness(per_gene)
    summary = per_gene.describe().T[["mean", "25%", "50%", "75%"]]
    summary.index = pd.Index([analysis.METHOD_NAMES.get(n, n) for n in summary.index], name="map")
    parts += [
        f"<h3>Smoothness of {note}</h3>",
        "<p>The same smoothness for each gene alone (its own values, not z-scores of a set), "
        "over each map: mean and quartiles over the genes.</p>",
        _html_table(summary),
        "{fig:smoothness}",
    ]
    if {"fe", "tsne"} <= set(per_gene.columns) and len(per_gene):
        # the paper's claim, read against these numbers (the page was silent on it)
        smoother = int((per_gene["fe"] > per_gene["tsne"]).sum())
        fe_mean, tsne_mean = float(per_gene["fe"].mean()), float(per_gene["tsne"].mean())
        diff = (per_gene["fe"] - per_gene["tsne"]).dropna()
        spread = f", per gene sd {float(diff.std(ddof=1)):.3f}" if len(diff) > 1 else ""
        # the difference of the means as shown (0.748 against 0.752 read "-0.003"), with a
        # digit more when it is small
        digits = 4 if abs(fe_mean - tsne_mean) < 0.01 else 3
        shown = round(fe_mean, digits) - round(tsne_mean, digits)
        parts.append(
            "<p>The paper reports gene expression organised over FE's map and not over "
            f"t-SNE's. Here FE's map is the smoother for {smoother:,} of the {len(per_gene):,} "
            f"genes (mean {fe_mean:.{digits}f} against t-SNE's {tsne_mean:.{digits}f}: a "
            f"difference of {shown:+.{digits}f}{spread}): "
            + (
                "in line with that claim.</p>"
                if fe_mean > tsne_mean and smoother > len(per_gene) / 2
                else "the claim is not reproduced on these data.</p>"
            )
        )
    return "".join(parts)


def _highest_in(score: np.ndarray, labels: Any, n: int = 2) -> str:
    """The ``n`` classes of highest mean score, with it: ``Heart (+1.8), Muscle (+0.9)``."""
    lab = pd.Series(np.asarray(labels, dtype=object))
    known = lab.notna() & (lab.astype(str).str.strip() != "")
    means = (
        pd.Series(np.asarray(score, dtype=float))[known.to_numpy()]
        .groupby(lab[known].astype(str).to_numpy())
        .mean()
    )
    top = means.dropna().sort_values(ascending=False, kind="stable").head(n)
    return ", ".join(f"{name} ({value:+.1f})" for name, value in top.items())


def _run_names(runs: list[_Loaded]) -> list[str]:
    """Row names of the models in the gene-space table: ``FE gene_dim 50`` for one model;
    with others, each named by its directory (``FE m26, gene_dim 50``), the first one too
    (it was the only one without a name), and a number where two directories share a name."""
    if len(runs) == 1:
        return [f"FE gene_dim {runs[0].model.gene_dim}"]
    names: list[str] = []
    for i, item in enumerate(runs):
        base = f"FE {item.dir.name}, gene_dim {item.model.gene_dim}"
        names.append(base if base not in names else f"{base} (#{i + 1})")
    return names


def _most_variable(es: Any, symbols: Any, n: int) -> list[str]:
    """Symbols of the ``n`` genes of largest variance over the samples."""
    var = np.nan_to_num(np.nanvar(es.values, axis=0), nan=-1.0)
    return [str(symbols[i]) for i in np.argsort(-var, kind="stable")[:n]]


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


#: Correlation above which a novel pair is said to be co-expressed all the same.
NOVEL_CORRELATED = 0.8


def _novel_breakdown(novel: pd.DataFrame, rarely: float) -> str:
    """What makes the novel pairs novel, each pair counted once, in this order: a gene without
    a GO term (novel to GO by that alone), a Pearson correlation of 0.8 or more (co-expressed,
    below the network's top-1% cut), a gene rarely detected; the rest are the pairs both
    references miss for no such reason. (The heading's count read as that many discoveries:
    most were tissue programmes just below the cut, or genes GO does not annotate.)"""
    if not len(novel):
        return ""
    left = np.ones(len(novel), dtype=bool)
    counts = []
    for test, words in (
        (~novel["both_annotated"].to_numpy(dtype=bool), "have a gene without a GO term"),
        (
            novel["correlation"].to_numpy(dtype=float) >= NOVEL_CORRELATED,
            f"have a correlation of {NOVEL_CORRELATED} or more (co-expressed, below the "
            "network's cut)",
        ),
        (
            novel["min_detection"].to_numpy(dtype=float) < rarely,
            f"have a gene detected in fewer than {rarely:.0%} of the samples",
        ),
    ):
        hit = left & test
        counts.append(f"{int(hit.sum()):,} {'more ' if counts else ''}{words}")
        left &= ~hit
    return (
        f"<p>Of the {len(novel):,} novel pairs, "
        + "; ".join(counts)
        + f"; the other {int(left.sum()):,} have none of these reasons: the candidates for "
        "relations that both references miss.</p>"
    )


def _wilson(share: float, n: float, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial share (within [0, 1], and not of width 0 at a share
    of 0 or 1 as the normal approximation is)."""
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _gene_space_limits(
    table: pd.DataFrame,
    coexp: Any,
    k: int,
    has_go: bool,
    loaded: _Loaded,
    n_annotated: int | None = None,
) -> str:
    """What the Figure-4 table can and cannot tell: the highest ratios possible here (a column
    at its ceiling tells nothing), sampling intervals of the GO ratio, and where it departs
    from the paper's protocol. ``n_annotated``: genes with a GO term (a gene without one
    shares a term with none of its neighbours: the GO ceiling is their share, not 1)."""
    n_genes = int(loaded.es.n_genes)
    parts = []
    ceilings = []
    if coexp is not None and "coexp_random" in table.columns:
        top = analysis.coexp_ceiling(coexp, k)
        random_share = float(table["coexp_random"].iloc[0])
        if random_share > 0 and np.isfinite(top):
            # (rows of k pairs per gene: the neighbours found in all runs are fewer pairs)
            full = table["n_pairs"] == n_genes * k
            at = [str(i) for i, v in table.loc[full, "coexp_fraction"].items() if v >= 0.99 * top]
            ceilings.append(
                f"coexp_ratio {top / random_share:.1f} (coexp_fraction {top:.3f}: every gene's "
                f"{k} neighbours among its partners in the network, as far as it has {k})"
                + (f", which {', '.join(at)} reach{'es' if len(at) == 1 else ''}" if at else "")
            )
    if has_go and "go_random" in table.columns:
        random_share = float(table["go_random"].iloc[0])
        counted_annotated = "go_pairs" in table.columns  # (annotated_only: both annotated)
        top = 1.0
        if n_annotated is not None and not counted_annotated and n_genes:
            top = n_annotated / n_genes
        if random_share > 0:
            at = [str(i) for i, v in table["go_fraction"].items() if v >= 0.99 * top]
            ceilings.append(
                f"go_ratio {top / random_share:.2f} (go_fraction {top:.3f}: every pair sharing "
                "a term"
                + (
                    f", as far as the {n_annotated:,} of {n_genes:,} genes with a term can: a "
                    "gene without one shares a term with none of its neighbours"
                    if top < 1.0
                    else ""
                )
                + ")"
                + (f", which {', '.join(at)} reach{'es' if len(at) == 1 else ''}" if at else "")
            )
    if ceilings:
        parts.append(
            "The highest ratios any neighbours could reach here: "
            + "; ".join(ceilings)
            + ". A column at its ceiling cannot tell the rows apart (few genes, or a dense "
            "network)."
        )
    if has_go and {"go_fraction", "go_random", "n_pairs"} <= set(table.columns):
        spans = []
        for name, row in table.iterrows():
            n = float(row.get("go_pairs", row["n_pairs"]))
            p, r = float(row["go_fraction"]), float(row["go_random"])
            if n > 0 and r > 0 and np.isfinite(p):
                low, high = _wilson(p, n)
                spans.append(f"{name} {low / r:.2f}–{high / r:.2f}")
        if spans:
            parts.append(
                "Binomial (Wilson) 95% intervals of go_ratio over the pairs: "
                + "; ".join(spans)
                + ". The pairs are not independent (a gene is in 2k of them), so these are "
                "narrower than the truth; models trained with other seeds differ more (FE's "
                "ratio went from 1.86 to 2.19 over the seeds recorded for the default "
                "100-epoch model on the GTEx 26-tissue set, all evidence, GO BP terms of 3-500 "
                "genes, against drawn random pairs; tests/benchmarks/RESULTS.md)."
            )
    gene_dim = int(np.asarray(loaded.model.gene_embedding_).shape[1])
    parts.append(
        "Where this departs from the paper's Figure 4: neighbours by cosine distance (the "
        "paper's by Euclidean, which scored lower in an earlier comparison on the 26-tissue "
        "set: RESULTS.md); the co-expression network is this data's "
        "own top 1% of Pearson correlations (the paper's ts-coexp network is not available "
        "here); one gene "
        f"embedding size, the model's {gene_dim} dimensions (the paper compares several: train "
        "models of other --gene-dim and compare them with --compare-models)."
    )
    return "<p class='note'>" + " ".join(html.escape(t) for t in parts) + "</p>"


def _section_gene_space(
    loaded: _Loaded,
    others: list[_Loaded],
    args: argparse.Namespace,
    figures: dict[str, Any],
    cache: Any,
    tables: dict[str, pd.DataFrame] | None = None,
) -> str:
    es = loaded.es
    parts = ["<h2>Gene space against references (Figure 4)</h2>"]
    if es.n_genes <= args.k:
        return parts[0] + f"<p>Only {es.n_genes} genes: no neighbourhoods to compare.</p>"
    corr_idx, coexp = _correlation_references(es, cache, args.k)
    go_matrix, gene_types = None, None
    opts = getattr(args, "go_options", None)
    if not args.no_go:
        opts = opts or _go_options(args)
        go = getattr(args, "go", None) or _load_go(opts)
        lo, hi = opts["sizes"]
        go_matrix, terms = go.annotation_matrix(
            es.gene_ids, ontology="BP", min_size=lo, max_size=hi, symbols=es.gene_symbols
        )
        gene_types = go.gene_type(es.gene_ids, symbols=es.gene_symbols).to_numpy()
        evidence = (
            f"evidence {', '.join(opts['exclude'])} left out"
            if opts["exclude"]
            else "all evidence codes"
        )
        release = go.metadata.get("go_release") or go.metadata.get("obo_data_version")
        parts.append(
            f"<p>GO biological-process terms of {lo}–{hi} genes, sizes counted over every gene "
            "the annotations cover (not only this dataset's), with each gene's annotations "
            f"carried up to the ancestor terms along {' and '.join(go.propagate_through)} "
            f"({len(terms)} terms reach these genes; "
            f"{int((go_matrix.getnnz(axis=1) > 0).sum())} of {es.n_genes:,} genes "
            f"annotated; {evidence}; "
            f"{html.escape(str(go.metadata.get('source', 'GO snapshot')))}"
            + (f", GO release {html.escape(str(release))}" if release else "")
            + ").</p>"
        )
    names = _run_names([loaded, *others])
    embeddings = {
        name: np.asarray(item.model.gene_embedding_)
        for name, item in zip(names, [loaded, *others], strict=True)
    }
    if others:  # runs may differ in more than the seed: each one's settings
        parts.append(
            "<p>Models compared (the first is the report's model):</p><ul>"
            + "".join(
                f"<li>{html.escape(name)}: <code>{html.escape(str(item.dir))}</code>, "
                f"{html.escape(_model_settings_text(_model_summary(item)))}</li>"
                for name, item in zip(names, [loaded, *others], strict=True)
            )
            + "</ul>"
        )
    if others:
        embeddings[f"FE, the {len(embeddings)} models together"] = analysis.consensus_gene_space(
            list(embeddings.values())
        )
    # chance: every pair of two distinct genes, counted (a draw of random pairs read 2.6% off)
    chance = analysis.chance_shares(go_matrix, coexp)
    table = analysis.neighbor_agreement_by_size(
        embeddings, go_matrix, coexp, k=args.k, chance=chance
    )
    if others:
        n_runs = len(embeddings) - 1
        idx, _, runs = analysis.neighbour_run_support(list(embeddings.values())[:n_runs], args.k)
        stable = np.argwhere(runs == n_runs)
        if len(stable):
            table.loc[f"FE, together: the neighbours found in all {n_runs} runs"] = pd.Series(
                analysis.neighbor_agreement(
                    np.stack([stable[:, 0], idx[stable[:, 0], stable[:, 1]]], axis=1),
                    go_matrix,
                    coexp,
                    chance=chance,
                )
            )
    table.loc["expression correlation"] = pd.Series(
        analysis.neighbor_agreement(
            analysis.pairs_from_neighbors(corr_idx), go_matrix, coexp, chance=chance
        )
    )
    n_all = int(table["random_pairs"].iloc[0])
    table = table.drop(columns="random_pairs")  # (the same for every row: said in the text)
    table.index.name = "neighbours from"
    for col in ("n_pairs", "go_pairs"):
        if col in table.columns:
            table[col] = table[col].astype(int)
    if "go_pairs" in table.columns and (table["go_pairs"] == table["n_pairs"]).all():
        table = table.drop(columns="go_pairs")  # GO counts every pair: n_pairs again
    figures["gene_space"] = _fig_agreement(table)
    if tables is not None:
        tables["gene_space"] = _index_as_column(table, "neighbours from")
    has_go = go_matrix is not None
    parts += [
        f"<p>Each row takes each gene's {args.k} nearest genes (cosine distance between gene "
        "vectors; "
        + (
            "for the models together, the mean of the models' cosine distances, and apart the "
            "pairs of those neighbours that are also among the nearest in every run alone; "
            if others
            else ""
        )
        + "for the correlation row, the most correlated genes) and counts how many of those "
        "(gene, neighbour) pairs "
        + ("share a GO term, and how many " if has_go else "")
        + "are edges of the co-expression network of this data (the top 1% most correlated "
        "gene pairs), against chance: the same shares over every pair of two distinct genes "
        f"of this dataset's {es.n_genes:,} ({n_all:,} pairs, counted, not drawn), which is "
        "what uniformly random pairs of its genes estimate.</p>",
        _html_table(table),
        _gene_space_limits(
            table,
            coexp,
            args.k,
            has_go,
            loaded,
            int((go_matrix.getnnz(axis=1) > 0).sum()) if has_go else None,
        ),
        '<p class="hint">In a file: <a href="tables/gene_space.csv">tables/gene_space.csv</a>'
        + (
            "; every close pair with its two tests (shares_go, coexp_edge): "
            '<a href="tables/close_pairs.csv">tables/close_pairs.csv</a>'
            if has_go
            else ""
        )
        + ".</p>",
        "<ul class='legend'>"
        f"<li><i>n_pairs</i>: (gene, neighbour) pairs, {es.n_genes:,} genes × {args.k} "
        "neighbours (a pair found from both sides counts twice)"
        + (", fewer for the neighbours found in all runs" if others else "")
        + "</li>"
        + (
            "<li><i>go_fraction</i>: the share of the pairs whose two genes share at least one "
            "GO term (every pair counts: a pair with a gene that has no GO term counts as not "
            "sharing one); <i>go_random</i>: the same share among all pairs of two distinct "
            "genes (chance); <i>go_ratio</i> = go_fraction / go_random (1: no better than "
            "chance)</li>"
            if has_go
            else ""
        )
        + (
            "<li><i>go_pairs</i>: the pairs counted for GO</li>"
            if "go_pairs" in table.columns
            else ""
        )
        + "<li><i>coexp_fraction</i>, <i>coexp_random</i>, <i>coexp_ratio</i>: the same for "
        "being an edge of the co-expression network</li>"
        "<li>The <i>expression correlation</i> row is a reference point, not a test, for the "
        "co-expression columns: its neighbours and the network both come from the same "
        "gene–gene correlations.</li></ul>",
        "{fig:gene_space}",
    ]
    if has_go and loaded.simulated:
        parts.append(
            f'<p class="note"><b>{SIMULATED_LABEL}.</b> The simulation makes the genes of '
            "a GO term co-expressed (its gene programs follow GO terms), so agreement with GO "
            "here is built into the data: it tests that the model recovers the simulated "
            "programs, not that it finds biology.</p>"
        )
    if go_matrix is not None:
        idx, dist = analysis.gene_neighbors(loaded.model.gene_embedding_, args.k)
        detection = analysis.detection_rate(es.values)
        close = analysis.novel_close_pairs(
            idx, go_matrix, coexp, loaded.symbols, gene_types, dist, es.gene_ids,
            return_all=True, detection=detection,
        )  # fmt: skip
        # the pair's own correlation: a pair just below the network's top-1% cut is co-expressed
        # all the same, and "in neither reference" only by that cut
        close["correlation"] = analysis.pair_correlations(
            es.values, close["gene_a"].to_numpy(), close["gene_b"].to_numpy()
        )
        cut = float("nan")
        if coexp is not None and coexp.nnz:
            from scipy import sparse

            upper = sparse.triu(coexp).tocoo()
            cut = float(analysis.pair_correlations(es.values, upper.row, upper.col).min())
        columns = NOVEL_COLUMNS
        if others:  # in how many runs each close pair holds (the model's own run included)
            runs = analysis.pair_run_counts(
                close[["gene_a", "gene_b"]].to_numpy(),
                [loaded.model.gene_embedding_, *(o.model.gene_embedding_ for o in others)],
                args.k,
            )
            close["runs"] = runs
            columns = [*NOVEL_COLUMNS, "runs"]
        novel = close[close["novel"]].reset_index(drop=True)
        summary = analysis.summarize_novel_pairs(novel, gene_types, close=close)
        n_unannotated = int((~novel["both_annotated"]).sum())
        rare = novel["min_detection"] < RARELY_DETECTED
        if tables is not None:
            tables["close_pairs"] = _close_pairs_csv(close)
        shown_types = min(15, len(summary))
        parts += [
            f"<h3>Close pairs in neither reference ({len(novel):,} of {len(close):,} "
            "close pairs)</h3>",
            "<p>A <i>close pair</i> is two genes of which one is among the other's "
            f"{args.k} nearest in the gene space of <code>{html.escape(str(loaded.dir))}</code> "
            "(cosine distance), counted once; <i>novel</i> when its genes neither share a GO "
            "term nor are a co-expression edge. By the gene types of the two genes"
            + (
                f" (the {shown_types} most frequent of {len(summary)} type pairs)"
                if len(summary) > shown_types
                else ""
            )
            + ": <i>n_pairs</i> novel pairs of that type pair and <i>fraction</i> their share "
            "of all novel pairs; <i>unannotated</i> the novel pairs with a gene that has "
            "no biological-process term of the sizes above "
            f"({n_unannotated:,} of {len(novel):,}); <i>n_close</i> the close "
            "pairs of that type pair and <i>novel_rate</i> the share of them that is novel; "
            "<i>expected</i> the type pair's share among all pairs of this dataset's genes and "
            "<i>enrichment</i> = fraction / expected. A pair with an unannotated gene cannot "
            "share a term, so types that GO rarely annotates (most non-coding genes) are novel "
            f"more often whatever the model does. {int(rare.sum()):,} of the {len(novel):,} novel "
            f"pairs have a gene detected (above 0) in fewer than {RARELY_DETECTED:.0%} of the "
            "samples: genes that are off almost everywhere lie together in gene space (the "
            "model predicts about 0 for all of them), so such pairs say little. Every close "
            'pair: <a href="tables/close_pairs.csv">tables/close_pairs.csv</a> (<i>distance</i>: '
            "cosine, in the gene space; <i>correlation</i>: Pearson, over the samples; "
            "<i>shares_go</i>, <i>coexp_edge</i>: the two tests; <i>both_annotated</i>: both "
            "genes have a biological-process term of the sizes above, without which a pair "
            "cannot share one; <i>min_detection</i>: the lower of the two genes' shares of the "
            f"{es.n_samples:,} samples with a value above 0).</p>",
            _novel_breakdown(novel, RARELY_DETECTED),
            _paper_types_text(novel),
            _html_table(summary.head(shown_types).reset_index(), index=False),
            f"<h4>The 30 closest novel pairs of genes detected in at least "
            f"{RARELY_DETECTED:.0%} of the samples</h4>",
            "<p><i>distance</i>: cosine distance of the two genes in that gene space (0: same "
            "direction); <i>correlation</i>: Pearson correlation of their values over the "
            "samples"
            + (
                f" (the co-expression network holds the top 1% of gene pairs: r ≥ {cut:.4f} "
                "here; a pair just below that is co-expressed all the same, and novel only by "
                "the cut)"
                if np.isfinite(cut)
                else ""
            )
            + "; <i>min_detection</i>: the lower of the two genes' shares of samples "
            "with a value above 0"
            + (
                "; <i>runs</i>: in how many of the "
                f"{len(others) + 1} runs either gene is among the other's {args.k} nearest"
                if others
                else ""
            )
            + ".</p>",
            _html_table(_four_decimals(novel[~rare].head(30)[columns]), index=False),
        ]
        if rare.head(30).any():  # (without a rarely detected gene among them: the same table)
            parts += [
                "<h4>The 30 closest novel pairs, rarely detected genes included</h4>",
                _html_table(_four_decimals(novel.head(30)[columns]), index=False),
            ]
        if others:
            n_runs = len(others) + 1
            held = novel[~rare & (novel["runs"] == n_runs)]
            parts += [
                f"<h4>Of the novel pairs of genes detected in at least {RARELY_DETECTED:.0%} "
                f"of the samples, the pairs close in all {n_runs} runs ({len(held):,} pairs"
                + ("; the 30 closest" if len(held) > 30 else "")
                + ")</h4>",
                _html_table(_four_decimals(held.head(30)[columns]), index=False),
            ]
    return "".join(parts)


def _setting_text(name: str, value: Any, params: dict[str, Any]) -> str:
    """One value of the settings table; ``reassign_until`` with the grid searches it gives
    (0.0, the default with the neighbour graph, read as none while two ran)."""
    text = json.dumps(value) if isinstance(value, list | dict) else str(value)
    if name == "reassign_until":
        from core.train import grid_search_epochs

        try:
            epochs = grid_search_epochs(
                int(params["epochs"]), int(params["reassign_every"]), float(value)
            )
        except (KeyError, TypeError, ValueError):
            return text
        shown = ", ".join(map(str, epochs[:8])) + (", …" if len(epochs) > 8 else "")
        text += (
            f" (grid searches after epochs {shown}: {len(epochs)} in all)"
            if epochs
            else " (no grid search)"
        )
    return text


def _four_decimals(pairs: pd.DataFrame) -> pd.DataFrame:
    """Close pairs as the page lists them: correlations to 4 decimals, as the co-expression
    cut is stated (to 3, a pair just under the cut, 0.76758 under 0.76813, read as on it)."""
    if "correlation" not in pairs.columns:
        return pairs
    out = pairs.copy()
    out["correlation"] = [f"{r:.4f}" if np.isfinite(r) else "–" for r in out["correlation"]]
    return out


#: Gene types the paper found most of its novel pairs among.
PAPER_NOVEL_TYPES = ("pseudogene", "snoRNA", "miRNA")


def _paper_types_text(novel: pd.DataFrame) -> str:
    """How the novel pairs here compare with the paper's (mostly pseudogenes, snoRNA and
    miRNA), in one sentence of counts; empty without pairs."""
    if not len(novel):
        return ""
    types = novel[["type_a", "type_b"]].astype(str)
    coding = int(
        ((types["type_a"] == "protein-coding") & (types["type_b"] == "protein-coding")).sum()
    )
    paper = int(types.isin(PAPER_NOVEL_TYPES).any(axis=1).sum())
    return (
        "<p>The paper found most of its novel pairs among pseudogenes, snoRNA and miRNA, on all "
        f"GTEx genes. Here {paper:,} of the {len(novel):,} novel pairs "
        f"({paper / len(novel):.0%}) have a gene of one of these types, and {coding:,} "
        f"({coding / len(novel):.0%}) join two protein-coding genes; the share of each type "
        "among this dataset's genes (<i>expected</i> below) bounds what can be found.</p>"
    )


#: Column order of tables/close_pairs.csv: the pair first, then what was found about it.
CLOSE_PAIR_COLUMNS = [
    *PAIR_COLUMNS,
    "novel",
    "shares_go",
    "coexp_edge",
    "both_annotated",
    "min_detection",
    "runs",
    "id_a",
    "id_b",
]


def _table1_csv(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 1 as written beside the page: one row per (classifier, map) with its mean, sd and
    number of splits, and every split's accuracy (a reader could not check a cell)."""
    rows, splits = [], []
    for map_name, by_classifier in table.attrs.get("split_scores", {}).items():
        for classifier, scores in by_classifier.items():
            values = np.asarray(scores, dtype=np.float64)
            rows.append(
                {
                    "classifier": classifier,
                    "map": analysis.METHOD_NAMES.get(map_name, map_name),
                    "mean": float(values.mean()) if values.size else float("nan"),
                    "sd": float(values.std(ddof=1)) if values.size > 1 else float("nan"),
                    "n_splits": int(values.size),
                }
            )
            splits += [
                {
                    "classifier": classifier,
                    "map": analysis.METHOD_NAMES.get(map_name, map_name),
                    "split": i,
                    "accuracy": float(v),
                }
                for i, v in enumerate(values)
            ]
    return pd.DataFrame(rows), pd.DataFrame(splits)


def _close_pairs_csv(close: pd.DataFrame) -> pd.DataFrame:
    """Every close pair as written to tables/close_pairs.csv (gene indices left out)."""
    first = [c for c in CLOSE_PAIR_COLUMNS if c in close.columns]
    rest = [c for c in close.columns if c not in first and c not in ("gene_a", "gene_b")]
    out = close[first + rest].reset_index(drop=True)
    if "correlation" in out.columns:  # to 4 decimals, as the page states the cut
        out["correlation"] = out["correlation"].round(4)
    return out


def _correlation_references(es: Any, cache: Any, k: int) -> tuple[np.ndarray, Any]:
    """Each gene's ``k`` most correlated genes and the top-1% co-expression network (one pass
    over the gene pairs), cached as neighbour indices and an edge list."""
    from scipy import sparse

    def compute() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        idx, _, edges = analysis.correlation_references(es.values, k, top_fraction=0.01)
        upper = sparse.triu(edges).tocoo()
        return idx, upper.row.astype(np.int64), upper.col.astype(np.int64)

    if cache is None:
        idx, rows, cols = compute()
    else:
        key = cache.key("correlation_refs", analysis.CODE_VERSION, es.fingerprint(), k, 0.01)
        idx, rows, cols = cache.get_or_compute(key, compute)
    n = es.n_genes
    data = np.ones(2 * rows.size, dtype=bool)
    coexp = sparse.csr_matrix(
        (data, (np.concatenate([rows, cols]), np.concatenate([cols, rows]))), shape=(n, n)
    )
    return idx, coexp


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1250px; margin: 2em auto; padding: 0 1em;
  color: #222; line-height: 1.4; }
table.table { border-collapse: collapse; font-size: 13px; margin: 0.5em 0 1em;
  font-variant-numeric: tabular-nums; }
table.table td, table.table th { padding: 3px 8px; border-bottom: 1px solid #ddd;
  text-align: left; vertical-align: top; }
table.table th { border-bottom: 2px solid #999; }
table.table .num { text-align: right; }
figure { margin: 1em 0; } figcaption { font-size: 12px; color: #555; }
img { max-width: 100%; height: auto; }
code { background: #f4f4f4; padding: 1px 3px; overflow-wrap: anywhere; }
code.flag { white-space: nowrap; }
p.note { background: #fff6e0; border-left: 3px solid #e0a000; padding: 4px 8px; }
p.simulated { background: #fde8e8; border: 2px solid #b91c1c; color: #7f1d1d;
  padding: 8px 12px; font-size: 15px; }
ul.legend { font-size: 13px; color: #444; }
.wide { overflow-x: auto; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 11pt; }
  h2, h3, h4 { break-after: avoid; }
  figure, table.table tr, p.note { break-inside: avoid; }
  table.table { font-size: 9pt; }
  .wide { overflow: visible; }
  a { color: inherit; }
}
"""
# the collapsed model settings print too
_PRINT_SCRIPT = (
    "<script>addEventListener('beforeprint', () => "
    "document.querySelectorAll('details').forEach(d => { d.open = true; }));</script>"
)

#: One line under each figure of the page: what is drawn.
FIGURE_CAPTIONS = {
    "loss": "Training error of the model, epoch by epoch.",
    "maps": "Figure 2: every sample on each map, coloured by its label (legend).",
    "table1": "Table 1 as bars: mean accuracy, error bars ± 1 sd over the splits; dashed "
    "line: chance; dotted red line, when drawn: the highest accuracy the splits allow (classes "
    "without a training sample).",
    "markers": "Figure 3: each marker's score (mean z-score) in each sample, on each map "
    "named above its panel.",
    "smoothness": "How many genes reach each smoothness, one outline per map.",
    "gene_space": "Figure 4: share of neighbour pairs (blue) and of all pairs of genes (grey, "
    "chance) that share a GO term or are co-expression edges.",
}


def _report_command(args: argparse.Namespace) -> str:
    """The ``report`` command line that makes this page again (cache flags left out)."""
    import shlex

    words = ["python", "-m", "core", "report", "--model", str(args.model)]
    if args.label is not None:
        words += ["--label", str(args.label)]
    words += ["--methods", args.methods, "--fraction", f"{args.fraction:g}"]
    words += ["--splits", str(args.splits), "--classifiers", args.classifiers]
    words += ["--seed", str(args.seed), "--markers", args.markers, "--k", str(args.k)]
    if args.center_samples:
        words.append("--center-samples")
    if args.compare_models:
        words += ["--compare-models", *map(str, args.compare_models)]
    if args.no_go:
        words.append("--no-go")
    else:
        for flag, value in (
            ("--go-gaf", args.go_gaf),
            ("--go-obo", args.go_obo),
            ("--go-exclude-evidence", args.go_exclude_evidence),
            ("--go-term-size", args.go_term_size),
        ):
            if value:
                words += [flag, str(value)]
    return shlex.join([*words, "--out", str(args.out)])


_MAP_NAMES = {
    "pca": "PCA",
    "nmf": "NMF",
    "tsne": "t-SNE (perplexity {perplexity:g})",
    "umap": f"UMAP ({analysis.UMAP_NEIGHBORS} neighbours)",
}


def _maps_caption(
    methods: list[str],
    n_samples: int,
    label: str | None,
    centered: bool,
    n_unlabelled: int = 0,
    neighbour_weight: float | None = None,
    missing_note: str = "",
    neighbour_space: str = "values",
    lowest: float = 0.0,
) -> str:
    """What Figure 2 shows: only the maps computed, and on which values, and what the model's
    map was trained on (the paper's objective, and the neighbour-graph term when it has one,
    with the values its graph is taken on: ``neighbour_space``, as the estimator's); NMF's
    shift when the data's ``lowest`` value is below 0."""
    perplexity = analysis._tsne_perplexity(n_samples)
    names = [_MAP_NAMES.get(m, m).format(perplexity=perplexity) for m in methods]
    if lowest < 0 and "nmf" in methods:
        names[methods.index("nmf")] = (
            f"NMF (on the values plus {-lowest:.4g}: it needs values of 0 or more, and the "
            f"lowest is {lowest:.4g})"
        )
    shown = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1] if names else ""
    colour = (
        f"coloured by {html.escape(str(label))}"
        + (f" (grey: the {n_unlabelled:,} samples without one)" if n_unlabelled else "")
        + (
            " (GTEx's broad tissue: it merges sub-sites, such as the oesophagus' mucosa and "
            "muscularis, or sun-exposed and unexposed skin, and a tissue can lie in two places "
            "on a map, each beside the tissues its sub-site resembles; SMTSD names the "
            "sub-sites, <code class='flag'>--label SMTSD</code>)"
            if str(label).upper() == "SMTS"
            else ""
        )
        if label
        else "in one colour (no sample label)"
    )
    return (
        f"<p>Each point is one of the {n_samples} samples, {colour}. The model's 2-D sample "
        "embedding"
        + (
            f" beside {shown} of the same samples, computed on "
            f"{html.escape(BASELINE_INPUT[centered] + missing_note)}"
            + (
                " (NMF on the values as they are: it needs values of 0 or more)"
                if centered and "nmf" in methods
                else ""
            )
            if names
            else ""
        )
        + ". The axes are each map's own coordinates, without units: only which samples lie "
        "near which matters."
        + (
            " The model's map is trained on the paper's objective (each value predicted from "
            "its sample's and its gene's vectors) plus a neighbour-graph term of weight "
            f"{neighbour_weight:g}, which keeps samples that are near in expression"
            + (
                " (each sample's values minus its mean over genes, so that an offset such as "
                "sequencing depth does not choose its neighbours)"
                if neighbour_space == "centered"
                else ""
            )
            + " near on the map (<code class='flag'>--neighbour-weight 0</code> trains the "
            "paper's objective alone"
            + (
                "; <code class='flag'>--center-samples</code> gives the baselines the same centring"
                if neighbour_space == "centered" and names and not centered
                else ""
            )
            + ")."
            if neighbour_weight
            else " The model's map is trained on the paper's objective alone (each value "
            "predicted from its sample's and its gene's vectors)."
            if neighbour_weight is not None
            else ""
        )
        + "</p>"
    )


def _source_html(source: dict[str, Any]) -> str:
    """The data source in words: the file, the transform, the loading steps."""
    parts = []
    path = source.get("path") or source.get("gct")
    if path:
        parts.append(f"file <code>{html.escape(str(path))}</code>")
    if source.get("loader"):
        parts.append(f"loader {html.escape(str(source['loader']))}")
    transform = source.get("transform")
    if transform is not None:
        parts.append(
            "values used as in the file"
            if str(transform) == "none"
            else f"values transformed by {html.escape(str(transform))}"
        )
    excluded = exclusion_words(source)  # (the paper's exclusion: it was only in the JSON)
    if excluded:
        parts.append(html.escape(excluded))
    steps = [step_words(st) for st in source.get("steps") or [] if isinstance(st, dict)]
    if steps:
        parts.append("then " + html.escape(", ".join(steps)))
    return "; ".join(parts)


def _page(
    loaded: _Loaded,
    sections: list[str],
    figures: dict[str, dict[str, str]],
    runtime: float,
    methods: list[str] | None = None,
    centered: bool = False,
    simulated: bool = False,
    cache_line: str = "",
    command: str = "",
    missing_note: str = "",
    figures_note: str = "",
    figures_cached: bool = True,
) -> str:
    es, model = loaded.es, loaded.model
    params = model.trained_params()

    def fig_html(name: str) -> str:
        if name not in figures:
            return ""
        f = figures[name]
        if "html" in f:  # no Chromium: the interactive figure, framed
            size = "".join(
                f' {side}="{int(f[side]) + 24}"' for side in ("width", "height") if f.get(side)
            )
            return (
                f'<figure><iframe src="{f["html"]}"{size} style="border:0;max-width:100%" '
                f'title="{html.escape(name, quote=True)}"></iframe><figcaption>'
                f"{html.escape(FIGURE_CAPTIONS.get(name, ''))} "
                f'Interactive: <a href="{f["html"]}">open alone</a> (no PNG or SVG: see the '
                "note at the top)</figcaption></figure>"
            )
        width = f' width="{f["width"]}"' if f.get("width") else ""
        alt = html.escape(FIGURE_CAPTIONS.get(name, name), quote=True)
        return (
            f'<figure><img src="{f["png"]}"{width} alt="{alt}"><figcaption>'
            f"{html.escape(FIGURE_CAPTIONS.get(name, ''))} "
            f'Download: <a href="{f["svg"]}">SVG</a> (vector, for print) · '
            f'<a href="{f["png"]}">PNG</a></figcaption></figure>'
        )

    body = "".join(sections)
    for name in figures:
        body = body.replace("{fig:" + name + "}", fig_html(name))
    for name in ("table1", "markers", "smoothness", "gene_space"):
        body = body.replace("{fig:" + name + "}", "")
    settings = pd.DataFrame(
        {"value": [_setting_text(k, v, params) for k, v in params.items()]},
        index=pd.Index(list(params), name="setting"),
    )
    lab = pd.Series(loaded.labels) if loaded.labels is not None else None
    prefix = f"{SIMULATED_LABEL}: " if simulated else ""
    head = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{prefix}Factorized embeddings report: {html.escape(es.name)}</title>",
        f"<style>{_CSS}</style>{_PRINT_SCRIPT}</head><body>",
        f"<h1>Factorized embeddings: {html.escape(es.name)}</h1>",
    ]
    if simulated:
        head.append(
            f'<p class="simulated"><b>{SIMULATED_LABEL}.</b> {html.escape(SIMULATED_NOTE)}</p>'
        )
    if figures_note:
        head.append(
            '<p class="simulated"><b>Figures drawn interactively, without PNG or SVG files.</b> '
            f"{html.escape(figures_note[0].upper() + figures_note[1:])}, then run the command "
            "again with <code>--force</code>"
            + (" (its results are cached)" if figures_cached else "")
            + ".</p>"
        )
    head += [
        "<h2>Dataset and model</h2><ul>",
        f"<li>Data: {es.n_samples} samples × {es.n_genes} genes; {_source_html(es.source)}</li>",
    ]
    if lab is not None:
        head.append(
            f"<li>Label <b>{html.escape(str(loaded.label))}</b>: {int(lab.notna().sum())} "
            f"labelled samples, {int(lab.nunique(dropna=True))} classes</li>"
        )
    head += [
        f"<li>Model <code>{html.escape(str(loaded.dir))}</code>, key <code>{model.key()}</code>: "
        + html.escape(_model_settings_text(_model_summary(loaded)))
        + " (MSE: mean squared error of the predicted values, in squared units of the "
        "training values)</li>",
        f"<li>Report computed in {runtime:.0f} s on {html.escape(platform.node())} "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})"
        + (f"; {html.escape(cache_line)}" if cache_line else "")
        + "</li>"
        + f"<li>Software: {html.escape(_software_line())}</li>"
        + (
            f"<li>Made by <code class='command'>{html.escape(command)}</code></li>"
            if command
            else ""
        )
        + "</ul>",
        "<details><summary>Model settings, and the data source as recorded</summary>",
        _html_table(settings),
        f"<p><code>{html.escape(json.dumps(es.source))}</code></p>",
        "</details>",
        fig_html("loss"),
        "<h2>Sample maps (Figure 2)</h2>",
        _maps_caption(
            list(methods) if methods is not None else list(analysis.BASELINE_METHODS),
            int(es.n_samples),
            loaded.label,
            centered,
            _n_unlabelled(loaded.labels),
            params.get("neighbour_weight"),
            missing_note,
            params.get("neighbour_space", "values"),
            _lowest_value(es.values),
        ),
        fig_html("maps"),
    ]
    return "".join(head) + body + "</body></html>\n"
