"""The HTML sections of ``python -m core report`` and the tables written beside them.

Table 1 with the split-by-split differences, the marker genes over the maps (Figure 3), the
gene space against Gene Ontology and co-expression (Figure 4) with the close pairs that
neither holds; the HTML tables they are shown in, and the report's GO settings.
"""

from __future__ import annotations

import argparse
import html
import numbers
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from core import analysis
from core.analysis_cli import (
    BASELINE_INPUT,
    CEILING_NOTED,
    DEFAULT_SPLITS,
    MAPS_FROM_EVERY_SAMPLE,
    PAIRED_CAPTION,
    PAIRED_DIGITS,
    SD_WORDS,
    SIMULATED_LABEL,
    _chance_text,
    _classifiers_text,
    _drawn_from,
    _has_comparison,
    _Loaded,
    _model_settings_text,
    _model_summary,
    _percent,
    few_labels_note,
    one_sample_classes_note,
)
from core.errors import CoreError
from core.model_directory import model_words
from core.report_figures import _fig_agreement, _fig_markers, _fig_smoothness

#: Genes detected in fewer samples than this share are flagged among the novel close pairs.
RARELY_DETECTED = 0.1
#: A close pair's first columns, in the page's tables and in tables/close_pairs.csv.
PAIR_COLUMNS = ["symbol_a", "symbol_b", "type_a", "type_b", "distance", "correlation"]
NOVEL_COLUMNS = [*PAIR_COLUMNS, "min_detection"]
#: The page's headers of the gene-space table (Figure 4); tables/gene_space.csv keeps the names.
GENE_SPACE_WORDS = {
    "n_pairs": "pairs",
    "go_pairs": "pairs counted for GO",
    "go_fraction": "share with a GO term in common",
    "go_random": "random pairs' share (GO)",
    "go_ratio": "ratio to random (GO)",
    "go_ratio_low": "ratio to random (GO), 95% low",
    "go_ratio_high": "ratio to random (GO), 95% high",
    "coexp_fraction": "share that are co-expression edges",
    "coexp_random": "random pairs' share (co-expression)",
    "coexp_ratio": "ratio to random (co-expression)",
}
#: The page's headers of the close-pair tables; tables/close_pairs.csv keeps the names.
PAIR_WORDS = {
    "symbol_a": "gene A",
    "symbol_b": "gene B",
    "type_a": "type of A",
    "type_b": "type of B",
    "distance": "distance",
    "correlation": "correlation",
    "min_detection": "detected in (the rarer gene)",
    "runs": "runs",
    "n_pairs": "novel pairs",
    "fraction": "share of the novel pairs",
    "unannotated": "with a gene without a GO term",
    "n_close": "close pairs",
    "novel_rate": "share novel",
    "expected": "expected share",
    "enrichment": "enrichment",
}
#: Close-pair columns that are shares, shown as percentages.
PAIR_SHARES = ("min_detection", "fraction", "novel_rate", "expected")


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


# ----------------------------------------------------------------------------- tables
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


def _cached_note(hits: int, total: int) -> str:
    """Empty when nothing came from the cache, else e.g. "3 of 30 cells read from ..."."""
    if hits <= 0:
        return ""
    return (
        f"{hits} of {total} cells read from the result cache (stored by an earlier run, "
        "--cache-dir), so the time is mostly that of reading them"
    )


class SectionTime(NamedTuple):
    """One section's run time on the page: its name, seconds, what of it was read from the
    result cache (empty: all computed), and its parts (the maps: each baseline's time)."""

    name: str
    seconds: float
    cached: str = ""
    parts: tuple[SectionTime, ...] = ()


def _cache_words(hits: int, total: int, what: str = "") -> str:
    """What of a section came from the result cache: empty (nothing), "read from the result
    cache" (all of it, or "its cells read ..."), or "3 of 30 cells read ..." (some)."""
    if hits <= 0 or total <= 0:
        return ""
    if hits >= total:
        return (f"its {what} " if what else "") + "read from the result cache"
    return f"{hits:,} of {total:,} " + (f"{what} " if what else "") + "read from the result cache"


def _seconds(value: float) -> str:
    """``162 s``, ``under 1 s``: a section's time (seconds, as the sections' costs compare)."""
    return "under 1 s" if value < 0.5 else f"{value:,.0f} s"


def _section_times_text(times: list[SectionTime]) -> str:
    """Each section's time in words, e.g. "the maps 230 s, of which t-SNE 162 s, UMAP 1 s
    (read from the result cache); Table 1 150 s; ...": on GTEx, t-SNE and Table 1 took 70%
    of a report's 445 s, which its total alone did not say."""

    def one(t: SectionTime) -> str:
        return f"{t.name} {_seconds(t.seconds)}" + (f" ({t.cached})" if t.cached else "")

    return "; ".join(
        one(t) + (", of which " + ", ".join(one(p) for p in t.parts) if t.parts else "")
        for t in times
    )


def _section_table1(
    table: pd.DataFrame,
    label: str | None,
    args: argparse.Namespace,
    cells_cached: int = 0,
    chance: float | None = None,
    neighbour_weight: float | None = None,
    n_samples: int | None = None,
) -> str:
    """Table 1's section; ``n_samples``: all samples of the map, to say how many have no
    label and are in no split."""
    fmt = analysis.format_table(table)
    fmt.columns = [analysis.METHOD_NAMES.get(c, c) for c in fmt.columns]
    a = table.attrs
    n_cells = table.shape[0] * len(set(table.columns.get_level_values(0)))
    cached = _cached_note(cells_cached, n_cells)
    lead = _table1_lead(table, chance)
    n_labelled = int(a["n_train"]) + int(a["n_test"])
    unlabelled = (
        f"The other {n_samples - n_labelled:,} of the {n_samples:,} samples have no "
        f"{html.escape(str(label))} and are in no split. "
        if n_samples is not None and n_samples > n_labelled
        else ""
    )
    return (
        "<h2>Semi-supervised classification (Table 1)</h2>"
        + (f"<p class='lead'>{html.escape(lead)}</p>" if lead else "")
        + f"<p>Classify <b>{html.escape(str(label))}</b> ({a['n_classes']} classes) from the "
        f"samples' coordinates on each map: train on {_percent(a['fraction'])} of "
        f"{html.escape(_drawn_from(a))} ({a['n_train']:,}), test on the other {a['n_test']:,}, "
        f"over {a['n_splits']} "
        f"random split{'s' if a['n_splits'] != 1 else ''} (seed {args.seed}; the same "
        f"split{'s' if a['n_splits'] != 1 else ''} for every map). {unlabelled}Each cell: "
        + (f"mean ± sd ({SD_WORDS}) over the splits of " if a["n_splits"] != 1 else "")
        + "the accuracy (share of the test samples whose "
        f"{html.escape(str(label))} is predicted right). {html.escape(MAPS_FROM_EVERY_SAMPLE)} "
        "Baselines computed on "
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
            f"<p>{html.escape(args.fraction_chosen)}.</p>"
            if getattr(args, "fraction_chosen", None)
            else ""
        )
        + (
            "<p>The <i>Factorized Embeddings</i> column is the model's map as trained: the "
            "paper's objective plus the neighbour-graph term of weight "
            f"{neighbour_weight:g} (Figure 2). On GTEx acmg59 (1-NN from 2% of 13,292 samples) "
            "the map read 0.83 without the term (an earlier run, older settings) and 0.93 with "
            "it (tests/benchmarks/RESULTS.md); the term's weight, kernel and graph were chosen "
            "by that same 1-NN on those same samples and splits, while the baselines run at "
            "their own defaults: on that set, read FE's column as a tuned method's.</p>"
            if neighbour_weight
            else ""
        )
        + _note_html(few_labels_note(a, chance))
        + _note_html(one_sample_classes_note(a, list(table.index)))
        + _html_table(_index_as_column(fmt, "classifier"), index=False)
        + '<p class="hint">In files: <a href="tables/table1.csv">tables/table1.csv</a> (each '
        'cell\'s mean, sd and splits) and <a href="tables/table1_splits.csv">'
        "tables/table1_splits.csv</a> (the accuracy of every split).</p>"
        + "{fig:table1}"
        + _section_paired(table)
    )


def _table1_lead(table: pd.DataFrame, chance: float | None = None) -> str:
    """Table 1's result in one or two sentences, before its protocol: the model's accuracy with
    1-NN (else the first classifier) set against each other map, "higher" or "lower" only where
    the 95% interval of the split-by-split difference leaves out 0, "level" where it holds 0;
    then chance, the ceiling the splits allow, and how few splits there were (the page gave
    the protocol first and left the reader to draw the conclusion from a grid of 30 cells).
    """
    names = list(dict.fromkeys(table.columns.get_level_values(0)))
    if "fe" not in names or not len(table.index):
        return ""
    clf = "1-NN" if "1-NN" in table.index else table.index[0]
    a = table.attrs

    means = {n: float(table.loc[clf, (n, "mean")]) for n in names}
    others = [n for n in names if n != "fe"]
    paired = None
    if others and a.get("split_scores") and a.get("n_splits", 1) > 1:
        paired = analysis.paired_differences(table, "fe")
    sides = {}
    for n in others if paired is not None else []:
        low, high = paired.loc[(clf, n), ["ci_low", "ci_high"]]
        sides[n] = "higher than" if low > 0 else "lower than" if high < 0 else "level with"
    # as many decimals as it takes for "higher than t-SNE" not to read 0.29 against 0.29
    digits = next(
        (
            d
            for d in (2, 3)
            if all(
                round(means["fe"], d) != round(means[n], d)
                for n, side in sides.items()
                if side != "level with"
            )
        ),
        4,
    )

    def mean(name: str) -> str:
        return f"{means[name]:.{digits}f}"

    words = f"In short ({clf}): Factorized Embeddings {mean('fe')}"
    if others:
        groups: dict[str, list[str]] = {"higher than": [], "level with": [], "lower than": []}
        for n, side in sides.items():
            groups[side].append(f"{analysis.METHOD_NAMES.get(n, n)} ({mean(n)})")
        if paired is None:
            words += "; " + ", ".join(
                f"{analysis.METHOD_NAMES.get(n, n)} {mean(n)}" for n in others
            )
        else:
            said = [f"{side} {_and(items)}" for side, items in groups.items() if items]
            words += (
                ", "
                + "; ".join(said)
                + (
                    " (higher or lower: the 95% interval of the split-by-split difference, in the "
                    "table below, leaves out 0; it covers the choice of splits for these maps as "
                    "computed, not the maps' own training seeds, which can move an accuracy by "
                    "as much as a small difference here)"
                )
            )
    words += "."
    extra = []
    if chance is not None and np.isfinite(chance):
        extra.append(f"chance is {chance:.3f}")
    ceiling = a.get("ceiling")
    if ceiling is not None and np.isfinite(ceiling) and ceiling < CEILING_NOTED:
        extra.append(f"these splits allow at most {ceiling:.2f} (see the note)")
    n_splits = int(a.get("n_splits", DEFAULT_SPLITS))
    if n_splits < DEFAULT_SPLITS:
        extra.append(
            f"only {n_splits} split{'s' if n_splits != 1 else ''} (the default is "
            f"{DEFAULT_SPLITS}), so small differences are not resolved"
        )
    if extra:
        text = "; ".join(extra)
        words += " " + text[0].upper() + text[1:] + "."
    return words


def _nearest(k: int, what: str = "", whose: str = "") -> str:
    """``its 15 nearest samples``, and ``its nearest sample`` for k = 1."""
    words = [whose, "nearest" if k == 1 else f"{k} nearest", what + ("s" if what and k > 1 else "")]
    return " ".join(w for w in words if w)


def _among(k: int) -> str:
    """``among `` the other's k nearest; nothing before the other's nearest (k = 1)."""
    return "" if k == 1 else "among "


def _and(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _index_as_column(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """``frame`` with its index as a first column ``name`` (one header row in HTML)."""
    out = frame.copy()
    out.index.name = name
    return out.reset_index()


def _note_html(text: str) -> str:
    return f'<p class="note"><b>Note.</b> {html.escape(text)}</p>' if text else ""


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
    neighbour_weight: float | None = None,
) -> str:
    """Figure 3's section and the smoothness of every gene; ``neighbour_weight``: the model's
    neighbour-graph term, named beside the verdict on the paper's claim (the claim is of the
    paper's objective alone, and the page did not say that FE's map here had the term)."""
    shown = {n: maps[n] for n in ("fe", "tsne") if n in maps}
    k = min(SMOOTHNESS_K, len(loaded.es.values) - 1)  # a model of 15 samples or fewer: the others
    parts = _marker_parts(loaded, shown, markers, figures, tables, k)
    parts += _gene_smoothness_parts(loaded, maps, figures, tables, k, neighbour_weight)
    return "".join(parts)


class _MarkersFound(NamedTuple):
    """The markers' smoothness over the maps, the markers absent, and the stand-ins shown."""

    smooth: pd.DataFrame  # one row per marker (stand-in), ``n_genes`` 0 for one not here
    absent: list[str]  # the markers asked for that match no gene of the dataset
    instead: list[str]  # the most variable genes shown when none of the markers is here


def _markers_found(
    loaded: _Loaded, shown: dict[str, np.ndarray], markers: list[str], k: int, ids: Any
) -> _MarkersFound:
    """Each marker's smoothness over the maps shown, or the stand-ins' when none is here."""
    es, symbols = loaded.es, loaded.symbols
    smooth = analysis.marker_smoothness(shown, es.values, symbols, markers, k=k, ids=ids)
    absent = [str(m) for m in smooth.index[smooth["n_genes"] == 0]]
    instead: list[str] = []
    if not (smooth["n_genes"] > 0).any() and es.n_genes:
        # none of the markers here (the Figure-3 genes in a small panel): the section shows
        # the most variable genes of the dataset rather than an empty figure
        instead = _most_variable(es, symbols, STAND_IN_MARKERS)
        smooth = analysis.marker_smoothness(shown, es.values, symbols, instead, k=k)
    return _MarkersFound(smooth, absent, instead)


def _markers_intro(k: int, has_labels: bool) -> str:
    """The paragraph on what a marker is, how it is scored and what the table's columns say."""
    return (
        "<p>Each marker is a gene symbol, a pattern (<code>HOX*</code>) or a family: "
        "<code>keratins</code> are the keratin genes, KRT and a number with an optional letter "
        "(KRT5, KRT14, KRT6A), not their pseudogenes (KRT8P12, KRT18P1) nor the "
        "keratin-associated KRTAP genes, which <code>KRT*</code> would add. Each is scored in "
        "each sample as the mean z-score of the matching genes. "
        "Smoothness = 1 − mean squared difference between a sample's score and the mean of "
        f"{_nearest(k, 'sample', 'its')} on the map, over (1 + 1/{k}) × variance "
        "(n − 1 in its denominator): 1 when "
        "expression is organised in sample space, about 0 when it is random over the map. "
        "<i>matching genes</i>: "
        "genes of this dataset that match; <i>genes</i>: the first 8 of them; <i>highest "
        "in</i>: the two classes of highest mean score (mean z-score). In the figure, "
        "the colours span each marker's 2nd to 98th percentile (scores beyond it take the end "
        "colours)"
        + (
            ", and the three classes of highest mean score are named on each map where their "
            "samples gather.</p>"
            if has_labels
            else ".</p>"
        )
    )


def _absent_markers_note(absent: list[str], instead: list[str], n_genes: int) -> str:
    """The markers not in the dataset, and the genes shown instead when none of them is."""
    if not absent:
        return ""
    what = "None of the markers is" if instead else "Not"
    return (
        f"<p>{what} among this dataset's {n_genes:,} genes: "
        f"{html.escape(', '.join(absent))}. "
        + (
            f"Shown instead: {stand_in_words(len(instead))} here "
            f"(<code class='flag'>--markers {html.escape(','.join(instead))}</code>); "
            "choose others with <code class='flag'>--markers</code>.</p>"
            if instead
            else "Choose others with <code class='flag'>--markers</code>.</p>"
        )
    )


def _marker_table_parts(
    found: pd.DataFrame,
    shown: dict[str, np.ndarray],
    stand_in: bool,
    tables: dict[str, pd.DataFrame] | None,
) -> list[str]:
    """The markers' table on the page, and tables/marker_smoothness.csv with its link."""
    if not len(found):
        return []
    columns = {n: f"smoothness on {analysis.METHOD_NAMES.get(n, n)}" for n in shown}
    # the page's header in words; the CSV keeps n_genes, as scripts read it
    parts = [_html_table(found.rename(columns={**columns, "n_genes": "matching genes"}))]
    if tables is not None:
        # a stand-in gene is marked as such in the file too (its rows read as markers)
        table = found.rename(columns=columns).assign(stand_in=stand_in)
        tables["marker_smoothness"] = _index_as_column(table, "marker")
        parts.append(
            '<p class="hint">In a file: <a href="tables/marker_smoothness.csv">'
            "tables/marker_smoothness.csv</a>.</p>"
        )
    return parts


def _marker_parts(
    loaded: _Loaded,
    shown: dict[str, np.ndarray],
    markers: list[str],
    figures: dict[str, Any],
    tables: dict[str, pd.DataFrame] | None,
    k: int,
) -> list[str]:
    """The markers over the maps: heading, intro, table, absent markers and Figure 3."""
    es, symbols = loaded.es, loaded.symbols
    labels = getattr(loaded, "labels", None)
    ids = getattr(loaded, "marker_ids", es.gene_ids)  # (Ensembl ids of a symbol-keyed matrix)
    smooth, absent, instead = _markers_found(loaded, shown, markers, k, ids)
    found = smooth[smooth["n_genes"] > 0]
    scores = {
        m: analysis.gene_set_score(es.values, analysis.match_genes(symbols, [m], ids=ids)[m])
        for m in found.index
    }
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
    table = _marker_table_parts(found, shown, bool(instead), tables)
    absent_note = _absent_markers_note(absent, instead, es.n_genes)
    # when none is here, said first: the section then shows other genes
    parts = [
        "<h2>Marker genes over the sample maps (Figure 3)</h2>",
        *([absent_note] if instead else []),
        _markers_intro(k, labels is not None),
        *table,
        *([] if instead else [absent_note]),
    ]
    if len(found):
        figures["markers"] = _fig_markers(shown, scores, smooth, labels, stand_in=bool(instead))
        parts.append("{fig:markers}")
    return parts


def _smoothness_columns(es: Any) -> tuple[np.ndarray, str]:
    """The genes whose smoothness is measured (at most the 5,000 most variable), in words too."""
    n_genes = min(es.n_genes, 5000)
    if es.n_genes > n_genes:
        var = np.nanvar(es.values, axis=0)
        cols = np.sort(np.argsort(-np.nan_to_num(var))[:n_genes])
        return cols, f"the {n_genes:,} most variable genes"
    return np.arange(es.n_genes), f"all {n_genes:,} genes"


def _smoothness_verdict(per_gene: pd.DataFrame, neighbour_weight: float | None) -> str:
    """The paper's claim (genes smoother over FE's map than t-SNE's) read against these genes."""
    if not ({"fe", "tsne"} <= set(per_gene.columns) and len(per_gene)):
        return ""
    # the paper's claim, read against these numbers (the page was silent on it)
    smoother = int((per_gene["fe"] > per_gene["tsne"]).sum())
    fe_mean, tsne_mean = float(per_gene["fe"].mean()), float(per_gene["tsne"].mean())
    diff = (per_gene["fe"] - per_gene["tsne"]).dropna()
    spread = f", per gene sd {float(diff.std(ddof=1)):.3f}" if len(diff) > 1 else ""
    # the difference of the means as shown (0.748 against 0.752 read "-0.003"), with a
    # digit more when it is small
    digits = 4 if abs(fe_mean - tsne_mean) < 0.01 else 3
    shown = round(fe_mean, digits) - round(tsne_mean, digits)
    return (
        "<p>The paper reports gene expression organised over FE's map and not over "
        f"t-SNE's. Here FE's map is the smoother for {smoother:,} of the {len(per_gene):,} "
        f"genes (mean {fe_mean:.{digits}f} against t-SNE's {tsne_mean:.{digits}f}: a "
        f"difference of {shown:+.{digits}f}{spread}): "
        + (
            "in line with that claim."
            if fe_mean > tsne_mean and smoother > len(per_gene) / 2
            else "the claim is not reproduced on these data."
        )
        + (
            " FE's map here is the model's as trained: the paper's objective plus the "
            f"neighbour-graph term of weight {neighbour_weight:g} (Figure 2); "
            "<code class='flag'>--neighbour-weight 0</code> trains the paper's objective "
            "alone."
            if neighbour_weight
            else ""
        )
        + "</p>"
    )


def _gene_smoothness_file(
    per_gene: pd.DataFrame, es: Any, cols: np.ndarray, tables: dict[str, pd.DataFrame] | None
) -> str:
    """tables/gene_smoothness.csv, each gene's smoothness over each map, and its link."""
    if tables is None:
        return ""
    # each gene's smoothness (the page gives the summary and the histogram alone: a reader
    # could not look up a gene, nor see which ones the maps disagree on)
    columns = {n: f"smoothness_{n}" for n in per_gene.columns}
    genes = per_gene.rename(columns=columns).rename_axis("symbol")
    genes.insert(0, "gene_id", np.asarray(es.gene_ids)[cols])
    tables["gene_smoothness"] = genes.reset_index()
    return (
        '<p class="hint">Each gene\'s: <a href="tables/gene_smoothness.csv">'
        "tables/gene_smoothness.csv</a>.</p>"
    )


def _gene_smoothness_parts(
    loaded: _Loaded,
    maps: dict[str, np.ndarray],
    figures: dict[str, Any],
    tables: dict[str, pd.DataFrame] | None,
    k: int,
    neighbour_weight: float | None,
) -> list[str]:
    """Each gene's own smoothness over every map: verdict, summary, file and histogram."""
    es = loaded.es
    cols, note = _smoothness_columns(es)
    per_gene = pd.DataFrame(
        {n: analysis.gene_smoothness(emb, es.values[:, cols], k=k) for n, emb in maps.items()},
        index=np.asarray(loaded.symbols)[cols],
    )
    figures["smoothness"] = _fig_smoothness(per_gene)
    summary = per_gene.describe().T[["mean", "25%", "50%", "75%"]]
    summary.index = pd.Index([analysis.METHOD_NAMES.get(n, n) for n in summary.index], name="map")
    verdict = _smoothness_verdict(per_gene, neighbour_weight)
    in_file = _gene_smoothness_file(per_gene, es, cols, tables)
    return [
        f"<h3>Smoothness of {note}</h3>",
        verdict,  # the conclusion first, then how it was measured
        "<p>The same smoothness for each gene alone (its own values, not z-scores of a set), "
        "over each map: mean and quartiles over the genes.</p>",
        _html_table(summary),
        in_file,
        "{fig:smoothness}",
    ]


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
    # rounded first: a mean of -0.04 read "-0.0"
    return ", ".join(f"{name} ({round(value, 1) + 0.0:+.1f})" for name, value in top.items())


def _run_names(runs: list[_Loaded], words: bool = False) -> list[str]:
    """Row names of the models in the gene-space table: ``FE gene_dim 50`` for one model;
    with others, each named by its directory (``FE m26, gene_dim 50``), the first one too
    (it was the only one without a name), and a number where two directories share a name.

    ``words``: the names the page shows (``FE, 50-D gene vectors``, ``FE m26, 50-D gene
    vectors``); tables/gene_space.csv keeps the others, which scripts select rows by."""
    if len(runs) == 1:
        dim = runs[0].model.gene_dim
        return [f"FE, {dim}-D gene vectors" if words else f"FE gene_dim {dim}"]
    names: list[str] = []
    for i, item in enumerate(runs):
        dim = item.model.gene_dim
        base = f"FE {item.dir.name}, " + (f"{dim}-D gene vectors" if words else f"gene_dim {dim}")
        names.append(base if base not in names else f"{base} (#{i + 1})")
    return names


#: Genes the marker section shows when none of the markers is in the data: the most variable.
STAND_IN_MARKERS = 5


def stand_in_words(n_genes: int) -> str:
    """The genes shown instead of absent markers, in words, for a model of ``n_genes`` genes:
    "the 5 most variable genes", or fewer when the model has fewer (it said 5 of 3 genes)."""
    n = min(STAND_IN_MARKERS, n_genes)
    return f"the {n} most variable genes" if n > 1 else "the dataset's one gene"


def _most_variable(es: Any, symbols: Any, n: int) -> list[str]:
    """Symbols of the ``n`` genes of largest variance over the samples."""
    var = np.nan_to_num(np.nanvar(es.values, axis=0), nan=-1.0)
    return [str(symbols[i]) for i in np.argsort(-var, kind="stable")[:n]]


#: Draws of the genes for the GO ratio's intervals (:func:`core.analysis.go_ratio_bootstrap`).
GO_BOOTSTRAP = 1000
#: Their seed, fixed: the model's own seed is another thing, and a rerun gives the same intervals.
GO_BOOTSTRAP_SEED = 0

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


def _rows_reach(rows: list[str]) -> str:
    """Table rows that reach a ceiling, in words: one row's name as it is, several quoted and
    joined (the names hold commas: "FE, 50-D gene vectors, expression correlation reach" read
    as three rows)."""
    if len(rows) == 1:
        return f"{rows[0]} reaches"
    return _and([f"“{row}”" for row in rows]) + " reach"


def _gene_space_limits(
    table: pd.DataFrame,
    coexp: Any,
    k: int,
    has_go: bool,
    loaded: _Loaded,
    n_annotated: int | None = None,
    others: list[_Loaded] | None = None,
    go_top: float | None = None,
    differences: pd.DataFrame | None = None,
) -> str:
    """What the Figure-4 table can and cannot tell: the highest ratios possible here (a column
    at its ceiling tells nothing), sampling intervals of the GO ratio, and where it departs
    from the paper's protocol. ``n_annotated``: genes with a GO term (a gene without one
    shares a term with none of its neighbours: the GO ceiling is their share, not 1).
    ``others``: the models compared, whose gene embedding sizes are compared too.
    ``go_top``: the GO ceiling counted by each gene's partners (:func:`core.analysis.
    go_ceiling`; the share of annotated genes assumed each had ``k`` of them).
    ``differences``: FE's GO ratio against other rows on the same draws of the genes
    (:func:`core.analysis.go_ratio_bootstrap`; columns ``a``, ``b``, ``reference`` (``b`` in
    words), ``difference``, ``low``, ``high``)."""
    n_genes = int(loaded.es.n_genes)
    ceilings = [
        _coexp_ceiling_text(table, coexp, k, n_genes),
        _go_ceiling_text(table, k, n_genes, n_annotated, go_top) if has_go else "",
    ]
    texts = [
        _ceilings_text([c for c in ceilings if c]),
        _go_intervals_text(table, n_genes) if has_go else "",
        _go_differences_text(differences) if has_go else "",
        _paper_departures_text([loaded, *(others or [])]),
    ]
    return "<p class='note'>" + " ".join(html.escape(t) for t in texts if t) + "</p>"


def _coexp_ceiling_text(table: pd.DataFrame, coexp: Any, k: int, n_genes: int) -> str:
    """The highest co-expression ratio any neighbours could reach, and the rows that reach it."""
    if coexp is None or "coexp_random" not in table.columns:
        return ""
    top = analysis.coexp_ceiling(coexp, k)
    random_share = float(table["coexp_random"].iloc[0])
    if not (random_share > 0 and np.isfinite(top)):
        return ""
    # (rows of k pairs per gene: the neighbours found in all runs are fewer pairs)
    full = table["n_pairs"] == n_genes * k
    at = [str(i) for i, v in table.loc[full, "coexp_fraction"].items() if v >= 0.99 * top]
    return (
        f"{GENE_SPACE_WORDS['coexp_ratio']} {top / random_share:.1f} "
        f"({GENE_SPACE_WORDS['coexp_fraction']} {top:.3f}: every gene's "
        f"{'neighbour' if k == 1 else f'{k} neighbours'} among its partners in the "
        f"network, as far as it has {'one' if k == 1 else k})"
        + (f", which {_rows_reach(at)}" if at else "")
    )


def _go_ceiling_text(
    table: pd.DataFrame, k: int, n_genes: int, n_annotated: int | None, go_top: float | None
) -> str:
    """The highest GO ratio any neighbours could reach, and the rows that reach it."""
    if "go_random" not in table.columns:
        return ""
    random_share = float(table["go_random"].iloc[0])
    counted_annotated = "go_pairs" in table.columns  # (annotated_only: both annotated)
    top = 1.0
    by_partners = go_top is not None and np.isfinite(go_top) and not counted_annotated
    if by_partners:
        top = float(go_top)
    elif n_annotated is not None and not counted_annotated and n_genes:
        top = n_annotated / n_genes
    if not random_share > 0:
        return ""
    at = [str(i) for i, v in table["go_fraction"].items() if v >= 0.99 * top]
    with_term = (
        f"the {n_annotated:,} of {n_genes:,} genes with a term"
        if n_annotated is not None
        else "the genes with a term"
    )
    return (
        f"{GENE_SPACE_WORDS['go_ratio']} {top / random_share:.2f} "
        f"({GENE_SPACE_WORDS['go_fraction']} {top:.3f}: every pair sharing a term"
        + (
            f", as far as each gene has {'a gene' if k == 1 else f'{k} genes'} sharing "
            f"one of its terms ({with_term}; a gene without one shares a term with none "
            "of its neighbours)"
            if by_partners and top < 1.0
            else f", as far as {with_term} can: a gene without one shares a term with "
            "none of its neighbours"
            if top < 1.0
            else ""
        )
        + ")"
        + (f", which {_rows_reach(at)}" if at else "")
    )


def _ceilings_text(ceilings: list[str]) -> str:
    """The ceilings of the ratio columns in one sentence, with what a column at one means."""
    if not ceilings:
        return ""
    return (
        "The highest ratios any neighbours could reach here: "
        + "; ".join(ceilings)
        + ". A column at its ceiling cannot tell the rows apart (few genes, or a dense "
        "network)."
    )


def _go_intervals_text(table: pd.DataFrame, n_genes: int) -> str:
    """Each row's bootstrap interval of the GO ratio, and how far to trust it."""
    if not {"go_ratio_low", "go_ratio_high"} <= set(table.columns):
        return ""
    spans = [
        f"{name} {row['go_ratio_low']:.2f}–{row['go_ratio_high']:.2f}"
        for name, row in table.iterrows()
        if np.isfinite(row["go_ratio_low"]) and np.isfinite(row["go_ratio_high"])
    ]
    if not spans:
        return ""
    return (
        f"95% intervals of the {GENE_SPACE_WORDS['go_ratio']} by a bootstrap over the "
        f"genes (the {n_genes:,} genes drawn with replacement {GO_BOOTSTRAP:,} times, "
        f"by a fixed seed ({GO_BOOTSTRAP_SEED}: a rerun gives the same intervals), "
        "each with its neighbour pairs; chance kept fixed, as it is counted over all "
        "gene pairs; the 2.5th and 97.5th percentiles of the draws): "
        + "; ".join(spans)
        + ". The genes' neighbourhoods overlap (a gene is also among other genes' "
        "neighbours), so these are still somewhat narrow. They are of this one model: "
        "models trained with other seeds differ too (FE's ratio went from 1.86 to 2.19 "
        "over the seeds recorded for the default 100-epoch model on the GTEx 26-tissue "
        "set, all evidence, GO BP terms of 3-500 genes, against drawn random pairs; "
        "tests/benchmarks/RESULTS.md)."
    )


def _go_differences_text(differences: pd.DataFrame | None) -> str:
    """FE's GO ratio minus other rows' on the same draws, each with its interval and verdict."""
    if differences is None or not len(differences):
        return ""
    said = []
    for row in differences.itertuples(index=False):
        if not (np.isfinite(row.low) and np.isfinite(row.high)):
            continue
        if row.low > 0:
            verdict = f"FE's ratio is above {row.reference}'s here"
        elif row.high < 0:
            verdict = f"FE's ratio is below {row.reference}'s here"
        else:
            verdict = f"FE is not told apart from {row.reference} here (the interval holds 0)"
        said.append(
            f"“{row.a}” minus “{row.b}”, {row.difference:+.2f} (95% interval "
            f"{row.low:+.2f} to {row.high:+.2f}): {verdict}"
        )
    if not said:
        return ""
    return (
        f"The difference of the {GENE_SPACE_WORDS['go_ratio']} between two rows, on "
        "the same draws of the genes: " + "; ".join(said) + "."
    )


def _paper_departures_text(runs: list[_Loaded]) -> str:
    """Where the Figure-4 comparison departs from the paper's, the embedding sizes included."""
    # (models of other --gene-dim compared: the page said "one gene embedding size" all the same)
    dims = sorted({int(np.asarray(x.model.gene_embedding_).shape[1]) for x in runs})
    return (
        "Where this departs from the paper's Figure 4: neighbours by cosine distance (the "
        "paper's by Euclidean, which scored lower in an earlier comparison on the 26-tissue "
        "set: RESULTS.md); the co-expression network is this data's "
        "own top 1% of Pearson correlations (the paper's ts-coexp network is not available "
        "here)"
        + (
            f"; one gene embedding size, the model's {dims[0]} dimensions (the paper compares "
            "several: train models of other --gene-dim and compare them with --compare-models)"
            if len(dims) == 1
            else ""
        )
        + "."
    )


def _section_gene_space(
    loaded: _Loaded,
    others: list[_Loaded],
    args: argparse.Namespace,
    figures: dict[str, Any],
    cache: Any,
    tables: dict[str, pd.DataFrame] | None = None,
) -> str:
    """The Figure-4 section: the gene space's neighbours against GO and co-expression."""
    es = loaded.es
    parts = ["<h2>Gene space against references (Figure 4)</h2>"]
    if es.n_genes <= args.k:
        return parts[0] + f"<p>Only {es.n_genes:,} genes: no neighbourhoods to compare.</p>"
    corr_idx, coexp = _correlation_references(es, cache, args.k)
    go_matrix, gene_types = None, None
    unmatched = getattr(args, "go_unmatched", "")  # (no gene annotated: the GO part left out)
    if unmatched:
        parts.append(
            f'<p class="note"><b>No GO comparison.</b> {html.escape(unmatched[0].upper())}'
            f"{html.escape(unmatched[1:])}.</p>"
        )
    if not args.no_go and not unmatched:
        go_matrix, gene_types, go_text = _gene_space_go(es, args)
        parts.append(go_text)
    runs = [loaded, *others]
    names = _run_names(runs)
    # the page's row names; the file's stay as they were (scripts select rows by them)
    words = dict(zip(names, _run_names(runs, words=True), strict=True))
    if others:  # runs may differ in more than the seed: each one's settings
        parts.append(_models_compared_text(names, words, runs))
    rows = _gene_space_rows(loaded, others, names, words, corr_idx, go_matrix, coexp, args.k)
    table = rows.table
    if tables is not None:
        # (no space in a file's column name: R's read.csv reads it as neighbours.from)
        tables["gene_space"] = _index_as_column(table, "neighbours_from")
        tables["gene_space"]["model"] = _row_models(table.index, names, runs, rows.start_name)
    table = table.rename(index=words)
    figures["gene_space"] = _fig_agreement(table)
    has_go = go_matrix is not None
    parts += [
        _gene_space_lead(
            args.k, bool(others), rows.start_name is not None, has_go, es.n_genes, rows.n_all
        ),
        _html_table(table.rename(columns=GENE_SPACE_WORDS)),
        _gene_space_limits(
            table,
            coexp,
            args.k,
            has_go,
            loaded,
            int((go_matrix.getnnz(axis=1) > 0).sum()) if has_go else None,
            others,
            analysis.go_ceiling(go_matrix, args.k) if has_go else None,
            rows.differences,
        ),
        _gene_space_files_hint(has_go),
        _gene_space_legend(table, words, rows.start_name, bool(others), has_go, es.n_genes, args.k),
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
        parts += _section_close_pairs(loaded, others, args.k, go_matrix, coexp, gene_types, tables)
    return "".join(parts)


def _gene_space_go(es: Any, args: argparse.Namespace) -> tuple[Any, np.ndarray, str]:
    """GO's annotations of the genes, their gene types and the paragraph naming the terms."""
    opts = getattr(args, "go_options", None) or _go_options(args)
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
    text = (
        f"<p>GO biological-process terms of {lo}–{hi} genes, sizes counted over every gene "
        "the annotations cover (not only this dataset's), with each gene's annotations "
        f"carried up to the ancestor terms along {' and '.join(go.propagate_through)} "
        f"({len(terms):,} terms reach these genes; "
        f"{int((go_matrix.getnnz(axis=1) > 0).sum()):,} of {es.n_genes:,} genes "
        f"annotated; {evidence}; "
        f"{html.escape(str(go.metadata.get('source', 'GO snapshot')))}"
        + (f", GO release {html.escape(str(release))}" if release else "")
        + ").</p>"
    )
    return go_matrix, gene_types, text


class _GeneSpaceRows(NamedTuple):
    """The Figure-4 table by the file's row names, with what the text below it says."""

    table: pd.DataFrame
    differences: pd.DataFrame | None
    start_name: str | None
    n_all: int


def _gene_space_rows(
    loaded: _Loaded,
    others: list[_Loaded],
    names: list[str],
    words: dict[str, str],
    corr_idx: np.ndarray,
    go_matrix: Any,
    coexp: Any,
    k: int,
) -> _GeneSpaceRows:
    """The rows of each gene space, FE's PCA start and expression correlation (its page name
    added to ``words``), with the GO ratio's intervals."""
    embeddings = _gene_spaces(names, [loaded, *others])
    # chance: every pair of two distinct genes, counted (a draw of random pairs read 2.6% off)
    chance = analysis.chance_shares(go_matrix, coexp)
    table, row_pairs = _model_rows(embeddings, len(others), k, go_matrix, coexp, chance)
    # where training started (init="pca"): what training added is the FE row's gain over it
    start = _starting_gene_vectors(loaded)
    start_name = None
    if start is not None:
        start_name = f"PCA loadings gene_dim {start.shape[1]}"
        words[start_name] = f"PCA loadings, FE's start ({start.shape[1]}-D, before training)"
        pairs = analysis.pairs_from_neighbors(analysis.gene_neighbors(start, k)[0])
        _add_agreement_row(table, row_pairs, start_name, pairs, go_matrix, coexp, chance)
    pairs = analysis.pairs_from_neighbors(corr_idx)
    _add_agreement_row(table, row_pairs, "expression correlation", pairs, go_matrix, coexp, chance)
    differences = None
    if go_matrix is not None and chance.get("go_random", 0.0) > 0:
        differences = _go_ratio_intervals(
            table, row_pairs, go_matrix, chance, names[0], words, start_name
        )
    n_all = int(table["random_pairs"].iloc[0])
    table = table.drop(columns="random_pairs")  # (the same for every row: said in the text)
    table.index.name = "neighbours from"
    return _GeneSpaceRows(_pair_counts(table), differences, start_name, n_all)


def _models_compared_text(names: list[str], words: dict[str, str], runs: list[_Loaded]) -> str:
    """The list of the models compared, each with its directory and settings."""
    return (
        "<p>Models compared (the first is the report's model):</p><ul>"
        + "".join(
            f"<li>{html.escape(words[name])}: <code>{html.escape(str(item.dir))}</code>, "
            f"{html.escape(_model_settings_text(_model_summary(item)))}</li>"
            for name, item in zip(names, runs, strict=True)
        )
        + "</ul>"
    )


def _gene_spaces(names: list[str], runs: list[_Loaded]) -> dict[str, np.ndarray]:
    """Each model's gene vectors by row name, and with several models their consensus."""
    embeddings = {
        name: np.asarray(item.model.gene_embedding_) for name, item in zip(names, runs, strict=True)
    }
    if len(runs) > 1:
        embeddings[f"FE, the {len(embeddings)} models together"] = analysis.consensus_gene_space(
            list(embeddings.values())
        )
    return embeddings


def _add_agreement_row(
    table: pd.DataFrame,
    row_pairs: dict[str, np.ndarray],
    name: str,
    pairs: np.ndarray,
    go_matrix: Any,
    coexp: Any,
    chance: dict[str, float],
) -> None:
    """Adds the row ``name`` of these (gene, neighbour) pairs to ``table`` and ``row_pairs``."""
    row_pairs[name] = pairs
    table.loc[name] = pd.Series(analysis.neighbor_agreement(pairs, go_matrix, coexp, chance=chance))


def _model_rows(
    embeddings: dict[str, np.ndarray],
    n_others: int,
    k: int,
    go_matrix: Any,
    coexp: Any,
    chance: dict[str, float],
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The gene spaces' rows of the table, and each row's (gene, neighbour) pairs."""
    # each row's pairs, found once: the table's shares and the bootstrap of the GO ratio over
    # the genes both count them
    row_pairs = {
        name: analysis.pairs_from_neighbors(analysis.gene_neighbors(emb, k)[0])
        for name, emb in embeddings.items()
    }
    table = pd.DataFrame.from_dict(
        {
            name: analysis.neighbor_agreement(pairs, go_matrix, coexp, chance=chance)
            for name, pairs in row_pairs.items()
        },
        orient="index",
    )
    if n_others:
        n_runs = len(embeddings) - 1
        idx, _, runs = analysis.neighbour_run_support(list(embeddings.values())[:n_runs], k)
        stable = np.argwhere(runs == n_runs)
        if len(stable):
            name = f"FE, together: the neighbours found in all {n_runs} runs"
            pairs = np.stack([stable[:, 0], idx[stable[:, 0], stable[:, 1]]], axis=1)
            _add_agreement_row(table, row_pairs, name, pairs, go_matrix, coexp, chance)
    return table, row_pairs


def _go_ratio_intervals(
    table: pd.DataFrame,
    row_pairs: dict[str, np.ndarray],
    go_matrix: Any,
    chance: dict[str, float],
    first: str,
    words: dict[str, str],
    start_name: str | None,
) -> pd.DataFrame:
    """Adds the GO ratio's bootstrap interval to ``table``; returns FE's differences from the
    references (``first``: the model's row)."""
    # the GO ratio's intervals by drawing the genes (the pairs of a gene are not
    # independent: Wilson's over the pairs were narrower than the truth)
    references = {"expression correlation": "the expression correlation reference"}
    if start_name is not None:
        references[start_name] = "its PCA start"
    intervals, differences = analysis.go_ratio_bootstrap(
        row_pairs,
        go_matrix,
        chance,
        n_boot=GO_BOOTSTRAP,
        seed=GO_BOOTSTRAP_SEED,
        compare=[(first, ref) for ref in references],
    )
    table["go_ratio_low"] = intervals["go_ratio_low"]
    table["go_ratio_high"] = intervals["go_ratio_high"]
    differences["reference"] = differences["b"].map(references)
    differences["a"] = differences["a"].map(lambda n: words.get(n, n))
    differences["b"] = differences["b"].map(lambda n: words.get(n, n))
    return differences


def _row_models(
    rows: pd.Index, names: list[str], runs: list[_Loaded], start_name: str | None
) -> list[str]:
    """Each row's model in words, as tables/gene_space.csv names it."""
    # each row's own model in the file (the compared models' rows named --model): the models
    # joined for the rows of the models together; the correlation row, --model's (its data)
    row_models = {name: model_words(item.model) for name, item in zip(names, runs, strict=True)}
    row_models["expression correlation"] = model_words(runs[0].model)
    if start_name is not None:
        row_models[start_name] = model_words(runs[0].model)
    every = "; ".join(model_words(item.model) for item in runs)
    return [row_models.get(row, every) for row in rows]


def _pair_counts(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its pair counts as integers, without go_pairs where it is n_pairs."""
    for col in ("n_pairs", "go_pairs"):
        if col in table.columns:
            table[col] = table[col].astype(int)
    if "go_pairs" in table.columns and (table["go_pairs"] == table["n_pairs"]).all():
        table = table.drop(columns="go_pairs")  # GO counts every pair: n_pairs again
    return table


def _gene_space_lead(
    k: int, several: bool, has_start: bool, has_go: bool, n_genes: int, n_all: int
) -> str:
    """The paragraph above the Figure-4 table: what each row counts, against what chance."""
    each_nearest = _nearest(k, "gene", "each gene's")
    return (
        f"<p>Each row takes {each_nearest} (cosine distance "
        "between gene vectors; "
        + (
            "for the models together, the mean of the models' cosine distances, and apart the "
            "pairs of those neighbours that are also among the nearest in every run alone; "
            if several
            else ""
        )
        + (
            "for the PCA loadings row, the cosine distance between the genes' loadings on the "
            "data's leading principal components, the vectors training started from; "
            if has_start
            else ""
        )
        + "for the correlation row, the most correlated genes) and counts how many of those "
        "(gene, neighbour) pairs "
        + ("share a GO term, and how many " if has_go else "")
        + "are edges of the co-expression network of this data (the top 1% of gene pairs by "
        "Pearson r, the most positively correlated: signed, not |r|), against chance: the "
        "same shares over every pair of two distinct genes "
        f"of this dataset's {n_genes:,} ({n_all:,} pairs, counted, not drawn), which is "
        "what uniformly random pairs of its genes estimate.</p>"
    )


def _gene_space_files_hint(has_go: bool) -> str:
    """The links to the Figure-4 tables' CSV files."""
    return (
        '<p class="hint">In a file: <a href="tables/gene_space.csv">tables/gene_space.csv</a>'
        + (
            "; every close pair with its two tests (columns shares_go, coexp_edge): "
            '<a href="tables/close_pairs.csv">tables/close_pairs.csv</a>'
            if has_go
            else ""
        )
        + ".</p>"
    )


def _gene_space_legend(
    table: pd.DataFrame,
    words: dict[str, str],
    start_name: str | None,
    several: bool,
    has_go: bool,
    n_genes: int,
    k: int,
) -> str:
    """The legend of the Figure-4 table: its columns, its file's names and its rows."""
    W = {key: html.escape(v) for key, v in GENE_SPACE_WORDS.items()}  # noqa: N806 (the headers)
    return (
        "<ul class='legend'>"
        f"<li><i>{W['n_pairs']}</i>: (gene, neighbour) pairs, {n_genes:,} genes × {k} "
        f"neighbour{'' if k == 1 else 's'} (a pair found from both sides counts twice)"
        + (", fewer for the neighbours found in all runs" if several else "")
        + "</li>"
        + (
            f"<li><i>{W['go_fraction']}</i>: the share of the pairs whose two genes share at "
            "least one GO term (every pair counts: a pair with a gene that has no GO term counts "
            f"as not sharing one); <i>{W['go_random']}</i>: the same share among all pairs of "
            f"two distinct genes (chance); <i>{W['go_ratio']}</i>: the first divided by the "
            "second (1: no better than chance); "
            f"<i>{W['go_ratio_low']}</i> and <i>{W['go_ratio_high']}</i>: its 95% interval by a "
            f"bootstrap over the genes ({GO_BOOTSTRAP:,} draws of the genes with replacement, "
            "the 2.5th and 97.5th percentiles; below the table)</li>"
            if has_go
            else ""
        )
        + (
            f"<li><i>{W['go_pairs']}</i>: the pairs whose two genes both have a GO term</li>"
            if "go_pairs" in table.columns
            else ""
        )
        + f"<li><i>{W['coexp_fraction']}</i>, <i>{W['coexp_random']}</i>, "
        f"<i>{W['coexp_ratio']}</i>: the same for being an edge of the co-expression network "
        "(a pair of genes among the top 1% by Pearson r, the most positively correlated)</li>"
        "<li>In tables/gene_space.csv these columns are named neighbours_from for “neighbours "
        "from”, "
        + ", ".join(f"{code} for “{name}”" for code, name in W.items() if code in table.columns)
        + ", and the rows "
        + ", ".join(f"{html.escape(c)} for “{html.escape(n)}”" for c, n in words.items())
        + "; its model column names the model of each row"
        + (
            " (all of them for the models together, the report's for the correlation row, "
            "computed from its data)"
            if several
            else ""
        )
        + ".</li>"
        + (
            f"<li>The <i>{html.escape(words[start_name])}</i> row is where training began: the "
            "model's gene vectors start at these loadings (its <code>init</code> setting, "
            "<code>pca</code>), so the difference from this row is what training changed; on small "
            "sets much of the agreement with GO is already there before training.</li>"
            if start_name is not None
            else ""
        )
        + "<li>The <i>expression correlation</i> row is a reference point, not a test, for the "
        "co-expression columns: its neighbours and the network both come from the same "
        "gene–gene correlations.</li></ul>"
    )


class _ClosePairs(NamedTuple):
    """The close pairs of the gene space, with the columns shown and the network's cut."""

    close: pd.DataFrame
    columns: list[str]
    cut: float


def _close_pairs(
    loaded: _Loaded,
    others: list[_Loaded],
    k: int,
    go_matrix: Any,
    coexp: Any,
    gene_types: Any,
) -> _ClosePairs:
    """Every close pair with its two tests, correlation and (with other models) runs."""
    es = loaded.es
    idx, dist = analysis.gene_neighbors(loaded.model.gene_embedding_, k)
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
            k,
        )
        close["runs"] = runs
        columns = [*NOVEL_COLUMNS, "runs"]
    return _ClosePairs(close, columns, cut)


def _section_close_pairs(
    loaded: _Loaded,
    others: list[_Loaded],
    k: int,
    go_matrix: Any,
    coexp: Any,
    gene_types: Any,
    tables: dict[str, pd.DataFrame] | None,
) -> list[str]:
    """The close pairs in neither reference: their types, reasons and the closest ones."""
    close, columns, cut = _close_pairs(loaded, others, k, go_matrix, coexp, gene_types)
    novel = close[close["novel"]].reset_index(drop=True)
    summary = analysis.summarize_novel_pairs(novel, gene_types, close=close)
    rare = novel["min_detection"] < RARELY_DETECTED
    if tables is not None:
        tables["close_pairs"] = _close_pairs_csv(close)
    shown_types = min(15, len(summary))
    parts = [
        f"<h3>Close pairs in neither reference ({len(novel):,} of {len(close):,} close pairs)</h3>",
        _close_pairs_intro(loaded, k, novel, rare, len(summary), shown_types),
        _novel_breakdown(novel, RARELY_DETECTED),
        _paper_types_text(novel),
        _html_table(_pairs_for_page(summary.head(shown_types).reset_index()), index=False),
        f"<h4>The 30 closest novel pairs of genes detected in at least "
        f"{RARELY_DETECTED:.0%} of the samples</h4>",
        _closest_pairs_legend(k, cut, len(others)),
        _html_table(_pairs_for_page(novel[~rare].head(30)[columns]), index=False),
    ]
    if rare.head(30).any():  # (without a rarely detected gene among them: the same table)
        parts += [
            "<h4>The 30 closest novel pairs, rarely detected genes included</h4>",
            _html_table(_pairs_for_page(novel.head(30)[columns]), index=False),
        ]
    if others:
        n_runs = len(others) + 1
        held = novel[~rare & (novel["runs"] == n_runs)]
        parts += [
            f"<h4>Of the novel pairs of genes detected in at least {RARELY_DETECTED:.0%} "
            f"of the samples, the pairs close in all {n_runs} runs ({len(held):,} pairs"
            + ("; the 30 closest" if len(held) > 30 else "")
            + ")</h4>",
            _html_table(_pairs_for_page(held.head(30)[columns]), index=False),
        ]
    return parts


def _close_pairs_intro(
    loaded: _Loaded,
    k: int,
    novel: pd.DataFrame,
    rare: pd.Series,
    n_types: int,
    shown_types: int,
) -> str:
    """The paragraph that says what a close and a novel pair are, and the columns of their
    tables and file."""
    n_unannotated = int((~novel["both_annotated"]).sum())
    P = {key: html.escape(v) for key, v in PAIR_WORDS.items()}  # noqa: N806 (the headers)
    return (
        "<p>A <i>close pair</i> is two genes of which one is "
        f"{_among(k)}the other's "
        f"{_nearest(k)} in the gene space of <code>{html.escape(str(loaded.dir))}</code> "
        "(cosine distance), counted once; <i>novel</i> when its genes neither share a GO "
        "term nor are a co-expression edge. By the gene types of the two genes"
        + (
            f" (the {shown_types} most frequent of {n_types} type pairs)"
            if n_types > shown_types
            else ""
        )
        + f": <i>{P['n_pairs']}</i> of that type pair and <i>{P['fraction']}</i> their "
        f"share of all novel pairs; <i>{P['unannotated']}</i>: the novel pairs with a gene "
        "that has no biological-process term of the sizes above "
        f"({n_unannotated:,} of {len(novel):,}); <i>{P['n_close']}</i>: the close "
        f"pairs of that type pair and <i>{P['novel_rate']}</i> the share of them that is "
        f"novel; <i>{P['expected']}</i>: the type pair's share among all pairs of this "
        f"dataset's genes and <i>{P['enrichment']}</i>: the share of the novel pairs "
        "divided by it. A pair with an unannotated gene cannot "
        "share a term, so types that GO rarely annotates (most non-coding genes) are novel "
        f"more often whatever the model does. {int(rare.sum()):,} of the {len(novel):,} novel "
        f"pairs have a gene detected (above 0) in fewer than {RARELY_DETECTED:.0%} of the "
        "samples: genes that are off almost everywhere lie together in gene space (the "
        "model predicts about 0 for all of them), so such pairs say little. Every close "
        'pair: <a href="tables/close_pairs.csv">tables/close_pairs.csv</a>, whose columns '
        "are symbol_a, symbol_b, type_a, type_b (the tables' gene A, gene B and their "
        "types); distance: cosine, in the gene space; correlation: Pearson, over the "
        "samples; shares_go, coexp_edge: the two tests (True: shares a GO term; is a "
        "co-expression edge; else False); novel: neither; both_annotated: both genes have a "
        "biological-process term of the sizes above, without which a pair cannot share "
        "one; min_detection: the lower of the two genes' shares of the "
        f"{loaded.es.n_samples:,} samples with a value above 0, as a fraction (the tables' "
        f"<i>{P['min_detection']}</i>, as a percentage).</p>"
    )


def _closest_pairs_legend(k: int, cut: float, n_others: int) -> str:
    """The columns of the tables of the closest novel pairs, with the network's cut."""
    P = {key: html.escape(v) for key, v in PAIR_WORDS.items()}  # noqa: N806 (the headers)
    return (
        "<p><i>distance</i>: cosine distance of the two genes in that gene space (0: same "
        "direction), in powers of ten where it is that small; <i>correlation</i>: Pearson "
        "correlation of their values over the samples, to 4 decimals"
        + (
            f" (the co-expression network holds the top 1% of gene pairs: r ≥ {cut:.4f} "
            "here; a pair just below that is co-expressed all the same, and novel only by "
            "the cut)"
            if np.isfinite(cut)
            else ""
        )
        + f"; <i>{P['min_detection']}</i>: the lower of the two genes' shares of "
        "samples with a value above 0"
        + (
            f"; <i>{P['runs']}</i>: in how many of the "
            f"{n_others + 1} runs either gene is {_among(k)}the other's "
            f"{_nearest(k)}"
            if n_others
            else ""
        )
        + ".</p>"
    )


def _pairs_for_page(pairs: pd.DataFrame) -> pd.DataFrame:
    """Close pairs (or their counts by type) as the page lists them, headers in words
    (:data:`PAIR_WORDS`): shares as percentages to 3 significant digits, distances to 3 in
    powers of ten when the column holds one under 0.001 (0.0000598 beside 0.0123 read as
    zeros), correlations to 4 decimals, as the co-expression cut is stated (to 3, a pair just
    under the cut, 0.76758 under 0.76813, read as on it)."""
    out = pairs.copy()
    for col in PAIR_SHARES:
        if col in out.columns:
            out[col] = [
                f"{_number(100 * v)}%" if np.isfinite(v) else np.nan
                for v in out[col].to_numpy(dtype=float)
            ]
    if "distance" in out.columns:
        d = out["distance"].to_numpy(dtype=float)
        tiny = bool(((d > 0) & (d < 1e-3)).any())
        out["distance"] = [
            (_powers_of_ten(v) if tiny else _number(v)) if np.isfinite(v) else np.nan for v in d
        ]
    if "correlation" in out.columns:
        out["correlation"] = [
            f"{r:.4f}" if np.isfinite(r) else np.nan
            for r in out["correlation"].to_numpy(dtype=float)
        ]
    return out.rename(columns=PAIR_WORDS)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _powers_of_ten(value: float) -> str:
    """``5.98 × 10⁻⁵``: 3 significant digits; 0 as ``0``."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


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


def _starting_gene_vectors(loaded: _Loaded) -> np.ndarray | None:
    """The gene vectors the report's model started training from (its PCA loadings,
    recomputed from its data: seconds, one randomized PCA); None for a random start or a
    model that cannot tell."""
    if getattr(loaded.model, "init", None) != "pca":
        return None
    return loaded.model.starting_gene_vectors(loaded.es.values)


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
