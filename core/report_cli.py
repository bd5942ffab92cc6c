"""``python -m core report``: every analysis of a model on one HTML page.

The command (its flags and :func:`run_report`), and the page around the sections: the dataset
and model, the software, Figure 2's caption, the styles. The figures are built in
:mod:`core.report_figures`, the sections in :mod:`core.report_sections`; the loading and the
Table-1 work shared with ``evaluate`` are in :mod:`core.analysis_cli`.
"""

from __future__ import annotations

import argparse
import html
import json
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import analysis
from core.analysis_cli import (
    BASELINE_INPUT,
    DEFAULT_FRACTION,
    DEFAULT_SPLITS,
    SIMULATED_LABEL,
    SIMULATED_NOTE,
    _baseline_names,
    _baselines,
    _check_protocol,
    _common,
    _fraction_problem,
    _hits,
    _label_problem,
    _Loaded,
    _lowest_value,
    _measurement_note,
    _model_settings_text,
    _model_summary,
    _open_cache,
    _split_list,
    _table1,
    _tqdm,
    chance_accuracy,
    readable_symbols,
    values_note,
)
from core.data import exclusion_words, mark_simulated, source_words
from core.errors import CoreError
from core.files import folder_written
from core.model_directory import model_words
from core.provenance import software_line
from core.report_figures import (
    MAX_LEGEND_CLASSES,
    _fig_loss,
    _fig_maps,
    _fig_table1,
    _mark_simulated,
    _write_figures,
)
from core.report_sections import (
    SectionTime,
    _and,
    _cache_words,
    _go_options,
    _html_table,
    _load_go,
    _section_gene_space,
    _section_markers,
    _section_table1,
    _section_times_text,
    _table1_csv,
    stand_in_words,
)
from core.spreadsheet import spreadsheet_safe_table

#: What ``report`` writes in its directory (``--force`` replaces only such a directory).
REPORT_ENTRIES = ("index.html", "figures", "tables")


#: The report's gene neighbours compared to GO (Figure 4), unless --k says otherwise.
REPORT_K = 5


def register(subparsers: Any) -> None:
    """Add ``report`` to the ``python -m core`` sub-commands."""
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
        default=None,
        metavar="SHARE",
        help="Table 1: share of the labelled samples the classifiers train on; they are tested "
        f"on the rest (default: {DEFAULT_FRACTION:g}, i.e. {DEFAULT_FRACTION * 100:g}%%, as in the "
        "paper, where it draws at least as many samples as classes (a random draw may still "
        "miss a small class); else the smallest of "
        + ", ".join(f"{f:g}" for f in analysis.FRACTION_CHOICES[1:])
        + " that draws about two per class, as the dashboard; the page says which; with "
        "--stratify: 2%%, at least one of each class)",
    )
    p.add_argument(
        "--splits",
        type=int,
        default=DEFAULT_SPLITS,
        metavar="N",
        help=f"Table 1: random train/test splits averaged over (default {DEFAULT_SPLITS}; 10 "
        "give a quick look)",
    )
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


@dataclass
class _ReportParts:
    """What the report's stages add up: figures, tables, sections, their times, cache counts."""

    figures: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)
    times: list[SectionTime] = field(default_factory=list)
    #: (read from the cache, in all) by stage, in the stages' order
    stage_counts: dict[str, tuple[int, int]] = field(default_factory=dict)


def run_report(args: argparse.Namespace) -> int:
    """``python -m core report``: one HTML page with every analysis, figures in PNG and SVG."""
    t0 = time.perf_counter()
    classifiers, methods, markers, out, k_given = _checked_flags(args)
    loaded, others = _load_models(args)
    problem = _table1_problem(args, loaded)
    _check_compared(loaded, others)
    few_samples = _check_data(args, loaded, k_given)
    if few_samples:
        methods = []
    markers = _checked_markers(args, loaded, markers)
    parts = _ReportParts()
    cache = _open_cache(args)
    stages = ["maps", "table 1", "markers", "gene space", "figures"]
    bar = _tqdm(len(stages), "report")
    # each section's time on the page: at GTEx's scale t-SNE and Table 1 took 70% of the
    # report's 445 s, and a section read from the cache takes seconds instead
    parts.times.append(
        SectionTime(
            "reading the model and data" if args.go is None else "reading the model, data and GO",
            time.perf_counter() - t0,
        )
    )
    try:
        bar.set_postfix_str("baseline maps")
        sample_maps = _maps_stage(parts, loaded, methods, args, cache, few_samples)
        bar.update(1)
        bar.set_postfix_str("Table 1")
        _table1_stage(parts, loaded, sample_maps, args, classifiers, cache, problem)
        bar.update(1)
        bar.set_postfix_str("markers")
        _markers_stage(parts, loaded, sample_maps, markers)
        bar.update(1)
        bar.set_postfix_str("gene space")
        _gene_space_stage(parts, loaded, others, args, cache)
        bar.update(1)
        bar.set_postfix_str("writing figures")
        _label_outputs(parts, loaded)
        no_static = _write_report(out, parts, loaded, methods, args, cache, t0, bar)
    finally:
        bar.close()
        if cache is not None:
            cache.close()
    _say_written(out, loaded, no_static, _results_kept(cache), t0)
    return 0


def _checked_flags(
    args: argparse.Namespace,
) -> tuple[list[str], list[str], list[str], Path, bool]:
    """Flags checked before any reading: (classifiers, methods, markers, --out, --k given)."""
    from core.cli import check_output_dir

    classifiers = _split_list(args.classifiers, analysis.CLASSIFIERS, "--classifiers")
    methods = _split_list(args.methods, analysis.BASELINE_METHODS, "--methods")
    markers = _split_list(args.markers, None, "--markers")
    out = Path(args.out)
    check_output_dir(out, args.force, "a report directory", REPORT_ENTRIES, "index.html")
    _check_cache_outside(args, out)
    _check_protocol(args)
    k_given = args.k is not None  # (the default is not refused for a model of few genes)
    args.k = REPORT_K if args.k is None else args.k
    if args.k < 1:
        raise CoreError(f"--k must be >= 1, got {args.k}")
    _check_no_go(args)
    args.go_options = None if args.no_go else _go_options(args)
    return classifiers, methods, markers, out, k_given


def _check_no_go(args: argparse.Namespace) -> None:
    """Refuse GO flags given with --no-go, which skips what they set."""
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


def _load_models(args: argparse.Namespace) -> tuple[_Loaded, list[_Loaded]]:
    """The model and its data (with GO, read into ``args.go``), and the models compared."""
    # the models compared are checked before any data is read again (seconds to minutes each)
    models = _comparable_models(args.model, args.compare_models)
    loaded = _Loaded(args.model, args.label, model=models[0])
    # read once, before the long stages (a bad --go-gaf is said now, not after the maps); its
    # symbols name the genes of data keyed by Ensembl ids alone in the markers and pair tables
    args.go = None if args.no_go else _load_go(args.go_options)
    loaded.symbols = readable_symbols(loaded.es, args.go)
    loaded.marker_ids = _marker_ids(loaded.es, args.go)
    args.go_unmatched = _go_unmatched(args, loaded.es)
    if args.go_unmatched:
        print(f"warning: {args.go_unmatched}", file=sys.stderr)
    others = [
        _Loaded(d, args.label, "--compare-models", model=m)
        for d, m in zip(args.compare_models, models[1:], strict=True)
    ]
    return loaded, others


def _table1_problem(args: argparse.Namespace, loaded: _Loaded) -> str | None:
    """Why Table 1 is skipped (None: it is not); chooses the share trained on, in ``args``."""
    problem = _label_problem(loaded.labels, str(loaded.label)) if loaded.label else None
    if problem and args.label is not None:
        raise CoreError(problem)
    measurement = _measurement_note(loaded.labels, str(loaded.label)) if loaded.label else None
    if measurement:
        print(f"warning: {measurement}", file=sys.stderr)
    asked = args.fraction is not None
    args.fraction_chosen = None  # (the share the report took, and why: _fraction_choice)
    if not asked:
        args.fraction = DEFAULT_FRACTION
        # (drawn per class, the paper's 2% trains on every class: nothing to choose)
        if loaded.label and not problem and not args.stratify:
            args.fraction, args.fraction_chosen = _fraction_choice(loaded.labels)
    few = _fraction_problem(loaded.labels, args.fraction, args.stratify) if loaded.label else None
    if few and asked:  # refused before any work
        raise CoreError(few)
    return problem or few  # the default on a small dataset: Table 1 skipped, said why


def _check_compared(loaded: _Loaded, others: list[_Loaded]) -> None:
    """Refuse models compared that were trained on other data, or are the same run."""
    for other in others:
        if other.es.fingerprint() != loaded.es.fingerprint():
            raise CoreError(f"--compare-models {other.dir}: trained on other data than --model")
    if others:
        from core.analysis import check_distinct_runs

        check_distinct_runs(
            [np.asarray(x.model.gene_embedding_) for x in (loaded, *others)],
            [f"--model {loaded.dir}", *(f"--compare-models {x.dir}" for x in others)],
        )


def _check_data(args: argparse.Namespace, loaded: _Loaded, k_given: bool) -> str:
    """Check --k against the genes and say the data's size; returns why maps are skipped."""
    es = loaded.es
    if k_given and args.k >= es.n_genes:  # said before the maps, not as an empty section
        raise CoreError(
            f"--k {args.k}: the model has {es.n_genes:,} genes, so a gene has at most "
            f"{es.n_genes - 1} neighbours; choose a smaller --k"
        )
    args.missing_note = values_note(es.source, es.values)
    print(f"data: {es.name}: {es.n_samples:,} samples x {es.n_genes:,} genes", file=sys.stderr)
    few_samples = ""
    if es.n_samples < analysis.MIN_MAP_SAMPLES:  # (refused the whole report after loading)
        few_samples = (
            f"{es.n_samples} samples: too few for the baseline maps (PCA, NMF, t-SNE and UMAP "
            f"need at least {analysis.MIN_MAP_SAMPLES}); the model's map is shown alone"
        )
        print(f"warning: {few_samples}", file=sys.stderr)
    return few_samples


def _checked_markers(args: argparse.Namespace, loaded: _Loaded, markers: list[str]) -> list[str]:
    """The markers shown, aliases read as the model's genes; says which are not among them."""
    es = loaded.es
    if args.markers == ",".join(analysis.DEFAULT_MARKERS):
        found = analysis.match_genes(loaded.symbols, markers, ids=loaded.marker_ids)
        if not any(len(found[m]) for m in markers):  # (said on the page only)
            print(
                f"note: none of the default markers ({', '.join(markers)}) is among the "
                f"model's {es.n_genes:,} genes; the marker section shows "
                f"{stand_in_words(es.n_genes)} instead (--markers names others)",
                file=sys.stderr,
            )
        return markers
    # asked for: said here too
    found = analysis.match_genes(loaded.symbols, markers, ids=loaded.marker_ids)
    absent = [m for m in markers if not len(found[m])]
    if absent:  # an alias of one gene of the model is that gene (HER2: ERBB2)
        from core.analysis.gene_lookup import read_aliases

        families = {f.upper() for f in analysis.GENE_FAMILIES}
        read = read_aliases(
            es.gene_ids,
            loaded.symbols,
            [m for m in absent if m.strip().upper() not in families],
            args.go,
        )
        for name, line in dict.fromkeys(read.values()):  # one line each
            said = f"--markers: {line}" if name else f"warning: --markers: left out: {line}"
            print(said, file=sys.stderr)
        markers = [read.get(m.strip(), (None,))[0] or m for m in markers]
        absent = [m for m in absent if m.strip() not in read]
    if absent:
        # none left: the section shows other genes, said as for the default markers
        instead = (
            f"; the marker section shows {stand_in_words(es.n_genes)} instead"
            if len(absent) == len(markers)
            else ""
        )
        print(
            f"warning: --markers: not among the model's {es.n_genes:,} genes, left out: "
            f"{', '.join(absent)}{instead}",
            file=sys.stderr,
        )
    return markers


def _maps_stage(
    parts: _ReportParts,
    loaded: _Loaded,
    methods: list[str],
    args: argparse.Namespace,
    cache: Any,
    few_samples: str,
) -> dict[str, np.ndarray]:
    """The baseline maps and Figure 2 (and the training error's figure); returns every map."""
    start = time.perf_counter()
    maps, map_times = _timed_baselines(loaded, methods, args, cache)
    parts.stage_counts["baseline maps"] = _counts(cache)
    drawn = time.perf_counter()
    sample_maps = {"fe": np.asarray(loaded.model.sample_embedding_), **maps}
    parts.figures["maps"] = _fig_maps(sample_maps, loaded.labels, loaded.label)
    # (the figures' time is a part of its own: "the maps 5 s" of four maps each "under
    # 1 s" read from the cache left the reader to guess where the rest went)
    if map_times:
        map_times.append(SectionTime("drawing them", time.perf_counter() - drawn))
    parts.times.append(SectionTime("the maps", time.perf_counter() - start, parts=tuple(map_times)))
    # (the training error's figure is no map: drawn outside the maps' time, which it had
    # swelled under "drawing them")
    if getattr(loaded.model, "history_", None):
        parts.figures["loss"] = _fig_loss(loaded.model.history_)
    if few_samples:
        parts.sections.append(f"<h2>Baseline maps</h2><p>Skipped: {html.escape(few_samples)}.</p>")
    return sample_maps


def _table1_stage(
    parts: _ReportParts,
    loaded: _Loaded,
    sample_maps: dict[str, np.ndarray],
    args: argparse.Namespace,
    classifiers: list[str],
    cache: Any,
    problem: str | None,
) -> None:
    """Table 1: the classifiers' accuracy on every map, or why it is skipped."""
    if problem:
        parts.sections.append(f"<h2>Table 1</h2><p>Skipped: {html.escape(problem)}.</p>")
        return
    if loaded.labels is None:
        parts.sections.append("<h2>Table 1</h2><p>No sample label: skipped (pass --label).</p>")
        return
    before, start = _hits(cache), time.perf_counter()
    table = _table1(sample_maps, loaded.labels, args, classifiers, cache)
    cells_cached = _hits(cache) - before
    parts.stage_counts["Table-1 cells"] = (cells_cached, table.size // 2)
    chance = chance_accuracy(loaded.labels)
    parts.figures["table1"] = _fig_table1(table, chance, loaded.label)
    parts.tables["table1"], parts.tables["table1_splits"] = _table1_csv(table)
    weight = (_model_summary(loaded).get("params") or {}).get("neighbour_weight")
    parts.sections.append(
        _section_table1(table, loaded.label, args, cells_cached, chance, weight, len(loaded.labels))
    )
    parts.times.append(
        SectionTime(
            "Table 1",
            time.perf_counter() - start,
            _cache_words(*parts.stage_counts["Table-1 cells"], "cells"),
        )
    )


def _markers_stage(
    parts: _ReportParts, loaded: _Loaded, sample_maps: dict[str, np.ndarray], markers: list[str]
) -> None:
    """The marker genes over the maps and their smoothness (Figure 3)."""
    start = time.perf_counter()
    weight = (_model_summary(loaded).get("params") or {}).get("neighbour_weight")
    parts.sections.append(
        _section_markers(loaded, sample_maps, markers, parts.figures, parts.tables, weight)
    )
    parts.times.append(SectionTime("markers", time.perf_counter() - start))


def _gene_space_stage(
    parts: _ReportParts,
    loaded: _Loaded,
    others: list[_Loaded],
    args: argparse.Namespace,
    cache: Any,
) -> None:
    """The gene space against GO and co-expression (Figure 4), over every model compared."""
    before, start = _counts(cache), time.perf_counter()
    parts.sections.append(
        _section_gene_space(loaded, others, args, parts.figures, cache, parts.tables)
    )
    after = _counts(cache)
    parts.stage_counts["gene correlations"] = (after[0] - before[0], after[1] - before[1])
    parts.times.append(
        SectionTime(
            "gene space",
            time.perf_counter() - start,
            _cache_words(*parts.stage_counts["gene correlations"], "gene correlations"),
        )
    )


def _label_outputs(parts: _ReportParts, loaded: _Loaded) -> None:
    """Name the data source on every table, and mark simulated data on figures and tables."""
    source = table_source(loaded)
    # a table taken out of the folder still says what it was computed from (the
    # dashboard's CSV files say so on every row too); last, where they move no column
    # that scripts read by position
    for frame in parts.tables.values():
        for name, value in source.items():
            # a table's own column wins (gene_space: each row's model), moved last too
            frame[name] = frame.pop(name) if name in frame.columns else value
    if loaded.simulated:  # a figure or table taken out of the page still says so
        _mark_simulated(parts.figures)
        for frame in parts.tables.values():
            mark_simulated(frame)


def _cache_line(cache: Any, stage_counts: dict[str, tuple[int, int]]) -> str:
    """The page's line on what was read from the result cache ("" when nothing was)."""
    if cache is None or not cache.hits:
        return ""
    return (
        f"read from the result cache {cache.directory} (stored by an earlier run) "
        "instead of computed: "
        + ", ".join(f"{what} {n} of {total}" for what, (n, total) in stage_counts.items())
    )


def _write_report(
    out: Path,
    parts: _ReportParts,
    loaded: _Loaded,
    methods: list[str],
    args: argparse.Namespace,
    cache: Any,
    t0: float,
    bar: Any,
) -> str | None:
    """Write figures, tables and page into ``out`` at once; returns why no PNG/SVG (or None)."""
    cache_line = _cache_line(cache, parts.stage_counts)
    # built beside --out, renamed into place at the end: never half a report under its name
    with folder_written(out, "the report") as tmp:
        start = time.perf_counter()
        try:
            written, no_static = _write_figures(parts.figures, tmp / "figures")
        except CoreError as exc:
            if isinstance(exc.__cause__, OSError):  # a full or read-only disk: the error
                # names --out (below), not the hidden folder the report is built in
                raise OSError(exc.__cause__.errno, exc.__cause__.strerror) from None
            raise
        for name, table in parts.tables.items():
            (tmp / "tables").mkdir(parents=True, exist_ok=True)
            # (a sample or gene named "=HYPERLINK(...)" shown as text, not run)
            spreadsheet_safe_table(table).to_csv(tmp / "tables" / f"{name}.csv", index=False)
        parts.times.append(
            SectionTime("writing the figures and tables", time.perf_counter() - start)
        )
        bar.update(1)
        page = _page(
            loaded,
            parts.sections,
            written,
            time.perf_counter() - t0,
            methods=methods,
            centered=args.center_samples,
            simulated=loaded.simulated,
            cache_line=cache_line,
            command=_report_command(args),
            missing_note=args.missing_note,
            figures_note=no_static or "",
            figures_cached=_results_kept(cache),
            section_times=_section_times_text(parts.times),
        )
        (tmp / "index.html").write_text(page, encoding="utf-8")
    return no_static


def _results_kept(cache: Any) -> bool:
    """Whether the report's results are in the cache for a run again: a cache was used and
    none of its writes failed (a full or read-only disk computes them unkept)."""
    return cache is not None and not cache.unwritable


def _say_written(
    out: Path, loaded: _Loaded, no_static: str | None, cached: bool, t0: float
) -> None:
    """Say where the report is (and, without static figures, how to get them)."""
    if no_static:
        print(
            f"warning: {no_static}. The figures are interactive HTML pages instead "
            "(figures/*.html); run the same command again with --force once Chromium is there"
            + (" (the results are cached)" if cached else ""),
            file=sys.stderr,
        )
    simulated = f"{SIMULATED_LABEL}: " if loaded.simulated else ""
    print(
        f"{simulated}wrote {out / 'index.html'} ({time.perf_counter() - t0:.0f} s)",
        file=sys.stderr,
    )


def _counts(cache: Any) -> tuple[int, int]:
    """(read, read + computed) of the result cache so far; (0, 0) without one."""
    return cache.counts() if cache is not None else (0, 0)


def _timed_baselines(
    loaded: _Loaded, methods: list[str], args: argparse.Namespace, cache: Any
) -> tuple[dict[str, np.ndarray], list[SectionTime]]:
    """The baseline maps, one at a time for each one's time (t-SNE took 162 s of GTEx's
    report, PCA a second), and whether the cache had it. The first map's time holds the
    preparation of the maps' input (each sample centred with --center-samples, and its key in
    the result cache)."""
    if loaded.es.n_genes < 2:  # (in one call: it names every map that cannot be made)
        return _baselines(loaded, methods, args.seed, cache, args.center_samples), []
    times: list[SectionTime] = []
    before = [_counts(cache), time.perf_counter()]

    def timed(method: str) -> None:  # (one call, one progress bar: "NMF (1 of 4 done)")
        after, now = _counts(cache), time.perf_counter()
        times.append(
            SectionTime(
                analysis.METHOD_NAMES.get(method, method),
                now - before[1],
                _cache_words(after[0] - before[0][0], after[1] - before[0][1]),
            )
        )
        before[:] = [after, now]

    maps = _baselines(loaded, methods, args.seed, cache, args.center_samples, after_each=timed)
    return maps, times


def table_source(loaded: Any) -> dict[str, str]:
    """The last columns of every table of the report: the ``dataset`` and the ``model`` (its
    class and key, as the dashboard's CSV files name them: ``FactorizedEmbeddings
    (74fee47dd58c...)``; the figures show the key's first 12 characters)."""
    es = loaded.es
    source = getattr(es, "source", None) or {}
    dataset = getattr(es, "name", None) or source.get("name") or source.get("path") or "dataset"
    return {"dataset": str(dataset), "model": model_words(loaded.model)}


def _marker_ids(es: Any, go: Any) -> np.ndarray:
    """The genes' ids that ``--markers`` may name: a matrix keyed by symbols alone has GO's
    Ensembl id of each symbol instead (``--markers ENSG00000129514`` was "not among the model's
    genes" where FOXA1 was one of them)."""
    ids = np.asarray(es.gene_ids, dtype=object).copy()
    bare = np.flatnonzero(ids == np.asarray(es.gene_symbols, dtype=object))
    if go is None or not bare.size:
        return ids
    mapped = go.map_genes(ids[bare])
    ensembl = mapped["ensembl"].fillna("").astype(str).str.split(";").str[0].to_numpy(dtype=object)
    # by its symbol only: an alias names another gene (NOPE is an alias of IGDCC4)
    found = (mapped["matched_by"] == "symbol").to_numpy() & (ensembl != "")
    ids[bare[found]] = ensembl[found]
    return ids


def _go_unmatched(args: argparse.Namespace, es: Any) -> str:
    """Why the GO comparison cannot be made when none of the model's genes has a GO term of
    the sizes compared (the page gave shares of 0 and called every close pair novel), or "".
    With ``--go-gaf`` the file is refused: the user's own annotations that annotate none of
    the genes are another species' or other ids."""
    if args.go is None:
        return ""
    lo, hi = args.go_options["sizes"]
    matrix, _ = args.go.annotation_matrix(
        es.gene_ids, ontology="BP", min_size=lo, max_size=hi, symbols=es.gene_symbols
    )
    if matrix.getnnz():
        return ""
    shown = ", ".join(map(str, list(es.gene_symbols)[:3])) + (", ..." if es.n_genes > 3 else "")
    sizes = f"a biological-process term of {lo}-{hi} genes"
    if args.go_options["gaf"] is not None:
        raise CoreError(
            f"--go-gaf {args.go_options['gaf']}: none of the model's {es.n_genes:,} genes "
            f"({shown}) has {sizes} in it (another species, or other gene ids?); give "
            "annotations of these genes, or --no-go"
        )
    return (
        f"none of the model's {es.n_genes:,} genes ({shown}) has {sizes} in the bundled GO "
        "snapshot (human genes, by symbol, Entrez or Ensembl id), so the gene space is compared "
        "with co-expression alone; for genes of another species give their annotations with "
        "--go-gaf and --go-obo"
    )


def _check_cache_outside(args: argparse.Namespace, out: Path) -> None:
    """Refuse a result cache inside ``--out``: the finished report replaces that folder as a
    whole, and took the cache with it on every run (nothing was ever read back)."""
    if args.no_cache:
        return
    from core.cache import CACHE_DIR_ENV, default_cache_dir

    given = args.cache_dir is not None
    cache = Path(args.cache_dir) if given else default_cache_dir()
    inside = cache.absolute().resolve()
    report = out.absolute().resolve()
    if inside != report and report not in inside.parents:
        return
    which = (
        f"--cache-dir {cache}"
        if given
        else f"the result cache {cache} (${CACHE_DIR_ENV}, else ./cache)"
    )
    raise CoreError(
        f"{which} is inside --out {out}: the report replaces {out} as a whole, and the cache "
        "with it; give a --cache-dir outside it, or --no-cache"
    )


def _setting_text(name: str, value: Any, params: dict[str, Any]) -> str:
    """One value of the settings table; ``reassign_until`` with the grid searches it gives
    (0.0, the default with the neighbour graph, read as none while two ran); a setting left
    unset in words (the table read "sample_noise_start: None")."""
    if value is None:
        return "not set"
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


def _comparable_models(model_dir: str, compare: list[str]) -> list[Any]:
    """The model of ``--model`` and those of ``--compare-models``, read without their data; a
    CoreError when one was trained on other samples or genes (``--top-genes``) than --model."""
    from core.embed_cli import load_model_dir

    first = load_model_dir(model_dir)
    models = [first]
    if not compare:
        return models
    samples = np.asarray(first.sample_ids_, dtype=str)
    genes = np.asarray(first.gene_ids_, dtype=str)
    for path in compare:
        other = load_model_dir(path, "--compare-models")
        models.append(other)
        for what, mine, theirs in (
            ("genes", genes, np.asarray(other.gene_ids_, dtype=str)),
            ("samples", samples, np.asarray(other.sample_ids_, dtype=str)),
        ):
            if np.array_equal(mine, theirs):
                continue
            shared = int(np.intersect1d(mine, theirs).size)
            hint = " (--top-genes or --min-detection of other values?)" if what == "genes" else ""
            raise CoreError(
                f"--compare-models {path}: trained on other {what} than --model: {theirs.size:,} "
                f"{what}, {shared:,} of them among the {mine.size:,} of --model{hint}; compare "
                f"models trained on the same {what} (other seeds or --gene-dim)"
            )
    return models


def _fraction_choice(labels: np.ndarray) -> tuple[float, str | None]:
    """Table 1's share of labelled samples when ``--fraction`` is not given
    (:func:`core.analysis.suggested_fraction`, the dashboard's first share), and, when it is not
    the paper's, why: the paper's 2% of the 520 samples of 26 GTEx tissues trains on 10 samples,
    and every map scored near the ceiling that leaves (0.30 with 1-NN)."""
    codes, _ = analysis.label_codes(labels, len(labels))
    n_labelled = int((codes >= 0).sum())
    n_classes = int(np.unique(codes[codes >= 0]).size)
    fraction = analysis.suggested_fraction(n_labelled, n_classes)
    if fraction == analysis.PAPER_FRACTION:
        return fraction, None
    n_paper = int(round(analysis.PAPER_FRACTION * n_labelled))
    return fraction, (
        f"--fraction not given: the paper's {analysis.PAPER_FRACTION:.0%} would train on "
        f"{n_paper:,} sample{'' if n_paper == 1 else 's'} for {n_classes} classes, too few to "
        "cover them, so the report takes the smallest of "
        + _and([f"{f:.0%}" for f in analysis.FRACTION_CHOICES[1:]])
        + f" that draws about two per class, as the dashboard does; pass --fraction "
        f"{analysis.PAPER_FRACTION:g} for the paper's share"
    )


def _report_command(args: argparse.Namespace) -> str:
    """The ``report`` command line that makes this page again (cache flags left out)."""
    import shlex

    words = ["python", "-m", "core", "report", "--model", str(args.model)]
    if args.label is not None:
        words += ["--label", str(args.label)]
    words += ["--methods", args.methods, "--fraction", f"{args.fraction:g}"]
    words += ["--splits", str(args.splits), "--classifiers", args.classifiers]
    words += ["--seed", str(args.seed), "--markers", args.markers, "--k", str(args.k)]
    if getattr(args, "stratify", False):  # (Table 1 drawn per class: another table)
        words.append("--stratify")
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
    names = list(_baseline_names(methods, n_samples, lowest).values())
    shown = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1] if names else ""
    colour = (
        f"coloured by {html.escape(str(label))}"
        + (
            # drawn first, under the labelled points: a grey crowd covered most tissues on NMF
            f" (the {n_unlabelled:,} samples without one drawn grey, under the labelled ones)"
            if n_unlabelled
            else ""
        )
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
        f"<p>Each point is one of the {n_samples:,} samples, {colour}. The model's 2-D sample "
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
    parts += [html.escape(words) for words in source_words(source)]  # (as the dashboard's)
    return "; ".join(parts)


#: Words for the fields of a data source (``ExpressionSet.source``) in the settings box.
_SOURCE_FIELD_WORDS = {
    "annotations": "annotations file",
    "attributes": "sample attributes file",
    "phenotypes": "donor phenotypes file",
    "orientation": "orientation as read",
    "sample_column": "sample id column of the annotations",
    "label_columns": "annotation columns",
    "max_genes": "genes read at most",
    "text_values": "text cells in the matrix",
    "text_cell_count": "text cells read as missing",
    "text_cells": "text cells (the first ones)",
}


#: What the annotation fields mean when no flag named them: the annotations were joined and
#: read ("sample id column of the annotations: none" read as if they had not been). The
#: annotation columns are those ``--annotation-columns`` named of the matrix (samples in rows);
#: the annotations file's columns are all read whatever it names ("all of the annotations
#: file's columns" left out the matrix's own: a tissue column beside them).
_UNNAMED_ANNOTATION_FIELDS = {
    "sample_column": "the column whose values match the matrix's sample ids (found as read)",
    "label_columns": "none named (--annotation-columns); the annotations file's columns are all "
    "read",
}


#: Source fields that name a file.
_SOURCE_FILES = ("path", "gct", "annotations", "attributes", "phenotypes")


def _source_value_text(value: Any) -> str:
    """A source field's value in words: none, yes/no, a list joined by commas."""
    if value is None:
        return "none"
    if value in ("samples_x_genes", "genes_x_samples"):  # (the train flag's words)
        return "samples in rows" if value == "samples_x_genes" else "genes in rows"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_source_value_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(_source_value_text(v) for v in value) if value else "none"
    return str(value)


def _source_fields_html(source: dict[str, Any], model_dir: Any) -> str:
    """The data source's fields that the Data line does not say (the settings a re-load needs:
    annotations file, orientation, columns), one per line; the whole record stays in the
    model's config.json (the page dumped it as JSON)."""
    said = {"loader", "transform", "steps"}
    said.add("path" if source.get("path") else "gct")
    if exclusion_words(source):
        said |= {"exclude_tissues", "samples_in_file", "samples_excluded", "samples_unlisted"}
    items = [
        f"<li>{html.escape(_SOURCE_FIELD_WORDS.get(k, k.replace('_', ' ')))}: "
        + (
            f"<code>{html.escape(str(v))}</code>"
            if isinstance(v, str) and k in _SOURCE_FILES
            else "no limit"  # (it read "genes read at most: none")
            if k == "max_genes" and v is None
            else _UNNAMED_ANNOTATION_FIELDS[k]
            if k in _UNNAMED_ANNOTATION_FIELDS and v is None and source.get("annotations")
            else html.escape(_source_value_text(v))
        )
        + "</li>"
        for k, v in source.items()
        if k not in said
    ]
    for step in source.get("steps") or []:  # the Data line names 8 genes at most
        dropped = step.get("dropped") if isinstance(step, dict) else None
        if dropped and len(dropped) > 8:
            items.append(
                f"<li>all {len(dropped):,} genes left out as 0 in every sample: "
                f"{html.escape(', '.join(map(str, dropped)))}</li>"
            )
    where = html.escape(str(Path(model_dir) / "config.json"))
    record = f"recorded as <code>dataset.source</code> in <code>{where}</code>"
    if not items:
        return f"<p>The Data line above says the whole data source ({record}).</p>"
    listed = "".join(items)
    return f"<p>The data source besides the Data line above ({record}):</p><ul>{listed}</ul>"


def _training_note_html(model: Any, values: np.ndarray) -> str:
    """:func:`_short_training_note` for a fitted model and its matrix, as a page note."""
    import torch

    from core.estimator import auto_epochs

    device = str(model.trained_params().get("device") or "cpu")
    n_observed = sum(
        int(np.isfinite(values[i : i + 4096]).sum()) for i in range(0, len(values), 4096)
    )
    note = _short_training_note(
        model.get_params().get("epochs"),
        int(model.n_epochs_),
        auto_epochs(n_observed, torch.device("cuda" if device.startswith("cuda") else "cpu")),
        device,
    )
    return f'<p class="note"><b>Note.</b> {html.escape(note)}</p>' if note else ""


def _short_training_note(given: int | None, trained: int, automatic: int, device: str) -> str:
    """A warning when ``--epochs`` set fewer passes than ``train`` chooses by itself for this
    matrix on this device (the page gave "30 epochs" with no hint that its scores are those of
    a shortened training), else "".

    Parameters
    ----------
    given
        The epochs the model was asked for (None: chosen automatically).
    trained
        The epochs it trained.
    automatic
        What :func:`core.estimator.auto_epochs` gives for the matrix and the device.
    device
        Where it trained (``cpu``, ``cuda``).
    """
    if given is None or trained >= automatic:
        return ""
    where = "a GPU" if str(device).startswith("cuda") else "a CPU"
    return (
        f"Short training: {trained} epoch{'s' if trained != 1 else ''} (--epochs {given}), "
        f"fewer than the {automatic} that train chooses for a matrix of this size on {where}. "
        "The maps, Table 1 and the gene space below are those of this shorter training, not "
        "of the method at its default (a model trained with few epochs may score lower); train "
        "again without --epochs to judge the method."
    )


def _n_unlabelled(labels: np.ndarray | None) -> int:
    """Samples without a label (NaN, None, empty)."""
    if labels is None:
        return 0
    from core.analysis import label_codes

    codes, _ = label_codes(labels, len(labels))
    return int((codes < 0).sum())


def _n_classes(labels: np.ndarray | None) -> int:
    """The classes of a label, as Table 1 and Figure 2 count them (blank ones are none)."""
    if labels is None:
        return 0
    codes, _ = analysis.label_codes(labels, len(labels))
    return int(np.unique(codes[codes >= 0]).size)


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
    section_times: str = "",
) -> str:
    es, model = loaded.es, loaded.model
    params = model.trained_params()
    captions = dict(FIGURE_CAPTIONS)
    n_classes = _n_classes(loaded.labels)
    if n_classes > MAX_LEGEND_CLASSES:  # (the figure has no legend: it said "(legend)")
        captions["maps"] = (
            f"Figure 2: every sample on each map, coloured by its label ({n_classes:,} "
            "classes: too many to list in a legend; the colours repeat, so a colour does not "
            "name one class)."
        )

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
                f"{html.escape(captions.get(name, ''))} "
                f'Interactive: <a href="{f["html"]}">open alone</a> (no PNG or SVG: see the '
                "note at the top)</figcaption></figure>"
            )
        width = f' width="{f["width"]}"' if f.get("width") else ""
        alt = html.escape(captions.get(name, name), quote=True)
        return (
            f'<figure><img src="{f["png"]}"{width} alt="{alt}"><figcaption>'
            f"{html.escape(captions.get(name, ''))} "
            f'Download: <a href="{f["svg"]}">SVG</a> '
            + (
                # tens of MB of vector points open in no editor: the points are an image there
                f"(axes and text vector, the {int(f['svg_points']):,} points one image at twice "
                "the size shown, for print) · "
                if f.get("svg_points")
                else "(vector, for print) · "
            )
            + f'<a href="{f["png"]}">PNG</a></figcaption></figure>'
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
        f"<li>Data: {es.n_samples:,} samples × {es.n_genes:,} genes; "
        f"{_source_html(es.source)}</li>",
    ]
    if lab is not None:
        head.append(
            f"<li>Label <b>{html.escape(str(loaded.label))}</b>: {int(lab.notna().sum()):,} "
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
        + (f"<li>Time by section: {html.escape(section_times)}</li>" if section_times else "")
        + f"<li>Software: {html.escape(software_line())}</li>"
        + (
            f"<li>Made by <code class='command'>{html.escape(command)}</code></li>"
            if command
            else ""
        )
        + "</ul>",
        _training_note_html(model, es.values),
        "<details><summary>Model settings, and the data source as recorded</summary>",
        _html_table(settings),
        _source_fields_html(es.source, loaded.dir),
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
