"""The page: header, help, training progress, linked sample map and gene space, probe, baselines,
export. Only structure here; behaviour lives in the feature modules' callbacks."""

from __future__ import annotations

from typing import Any

from dash import dash_table, dcc, html

from core.data.sources import TRANSFORM_SCALES
from core.estimator import POOR_FIT_FACTOR
from dashboard import ids
from dashboard.baseline_maps import (
    ACCURACY_COLUMN,
    PER_CLASS_LABEL,
    PER_CLASS_VALUE,
    accuracy_header,
)
from dashboard.context import (
    MAX_SPECIFIC_P,
    MIN_SPECIFIC_SCORE,
    SPECIFIC_HIGHER,
    SPECIFIC_LOWER,
    SPECIFIC_P_FLOOR,
    SPECIFIC_PAGE,
    SPECIFIC_SAVED,
)
from dashboard.figures import EXPORT_SIZES, empty_figure
from dashboard.new_samples import OWN_LABEL, POOR_FIT
from dashboard.pair_references import GO_TERM_SIZES

HELP = (
    "Each point of the left map is a sample placed by its learned 2-D embedding (its axes, FE 1 "
    "and FE 2, are the two numbers the model learned for each sample); each point of the right "
    "map is a gene (its learned gene vector, laid out in 2-D). Colour the samples by a tissue "
    "annotation, a gene (observed, model-predicted or residual) or a gene set. Click a gene "
    "(or search it) to list its nearest neighbours, their GO terms and the terms enriched among "
    "them; the sample map follows. Draw a lasso or box on the sample map to find the genes "
    "specific to those samples. Click anywhere on the sample map, also in empty space, to see "
    "the profile the model decodes there. The address bar keeps the view: copy it to share."
)

#: What the words of the model's line in the header mean (``samples 2-D, genes 50-D · hidden
#: 100×50×50 · ... final MSE 0.0910``), said on hovering it after the line itself.
MODEL_INFO_HELP = (
    "samples 2-D, genes n-D: the model learns 2 numbers for each sample (its place on the map, "
    "FE 1 and FE 2) and n for each gene (its vector in gene space); hidden: the sizes of the "
    "network's layers. Final MSE: the mean squared difference between the values the model "
    "predicts and the data's, at the end of training (lower: a closer fit)."
)

GRAPH_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "scrollZoom": True,
    "toImageButtonOptions": {"format": "svg", "filename": "figure", "scale": 2},
    # a double-click shows the whole map: plotly's default first goes back to the zoom the
    # figure came with (a link's), which a 1:1 map widens, so it never reached the whole map
    "doubleClick": "autosize",
}


#: Plotly's mode bar buttons that draw a box or lasso selection.
SELECT_BUTTONS = ["lasso2d", "select2d"]


def graph_config(context: Any, filename: str, selectable: bool = False) -> dict[str, Any]:
    """A graph's :data:`GRAPH_CONFIG` with the name of the file its camera button saves:
    ``SIMULATED_`` first for simulated data, as every file the page gives (the image's own
    title says so too: :func:`dashboard.figures.mark_simulated`).

    Only a ``selectable`` graph offers the box and lasso: the sample map (its selection lists
    its specific genes) and the gene map (its selection lists its genes and the GO terms
    enriched among them: :func:`dashboard.gene_space.selection_tables`)."""
    if getattr(context, "simulated", False):
        filename = f"SIMULATED_{filename}"
    options = {**GRAPH_CONFIG["toImageButtonOptions"], "filename": filename}
    config = {**GRAPH_CONFIG, "toImageButtonOptions": options}
    if selectable:
        config["modeBarButtonsToAdd"] = list(SELECT_BUTTONS)
    else:
        config["modeBarButtonsToRemove"] = list(SELECT_BUTTONS)
    return config


TABLE_STYLE: dict[str, Any] = dict(
    style_table={"overflowX": "auto", "maxHeight": "340px", "overflowY": "auto"},
    style_cell={
        "fontFamily": "inherit",
        "fontSize": "12px",
        "padding": "3px 6px",
        "textAlign": "left",
        "maxWidth": "260px",
        # long gene names and GO terms wrap (cut off, they could not be read on the page)
        "whiteSpace": "normal",
        "height": "auto",
        "verticalAlign": "top",
    },
    # the long texts wrap in columns wide enough to read them in a few lines
    style_cell_conditional=[
        {"if": {"column_id": "go_terms"}, "minWidth": "200px"},
        {"if": {"column_id": "name"}, "minWidth": "130px"},
        {"if": {"column_id": "term"}, "minWidth": "200px"},
    ],
    style_header={"fontWeight": "600", "backgroundColor": "#f3f5f8"},
    style_data_conditional=[{"if": {"row_index": "odd"}, "backgroundColor": "#fafbfc"}],
    tooltip_delay=0,
    tooltip_duration=None,
    page_action="none",
    sort_action="native",
)

ALERT_SLOTS = (
    "status",
    "link",
    "view",
    "color",
    "map",
    "gene",
    "neighbors",
    "selection",
    "label",
    "probe",
    "baselines",
    "export",
    "csv",
    "place",
)


def alert_id(slot: str) -> str:
    """Id of one alert slot (each feature writes its own)."""
    return f"alert-{slot}"


def alert(message: str, level: str = "error") -> html.Div:
    """A message for an alert slot (``level``: error, warning or info)."""
    return html.Div(message, className=f"alert alert-{level}")


def waiting_text(status: dict[str, Any] | None) -> str:
    """What a map shows while there is no model: training, or the reason there is none."""
    if status and status.get("error"):
        return "no model to show: see the message at the top of the page"
    return "the model is training: see the progress bar"


def table_records(df: Any) -> list[dict]:
    """DataFrame -> DataTable rows, missing values shown empty."""
    return df.astype(object).where(df.notna(), "").to_dict("records")


#: Largest gene-list file read (``gene-list-upload``).
GENE_LIST_MAX_BYTES = 1_000_000


def sized_upload(
    upload: Any, max_bytes: int, slot: str, limit_text: str, title: str = ""
) -> html.Div:
    """``upload`` (a ``dcc.Upload`` with ``max_size=max_bytes``) in a wrapper that names its limit
    and says on hovering what the upload does (``title``: ``dcc.Upload`` takes none).

    ``dcc.Upload`` drops a file over ``max_size`` without a word; ``assets/uploads.js`` reads
    these attributes and writes ``<file>: <size> MB; <limit_text>`` in the alert slot ``slot``.
    """
    return html.Div(
        upload,
        className="sized-upload",
        title=title or None,
        **{"data-max-bytes": str(int(max_bytes)), "data-alert": alert_id(slot)},
        **{"data-limit": limit_text},
    )


#: The gene tables' headings (ids ``neighbors-head``, ``enrichment-head``), for a gene in focus;
#: a selection of genes lists its genes under headings of its own (``gene_space.table_heads``).
NEIGHBORS_HEAD, ENRICHMENT_HEAD = "neighbors-head", "enrichment-head"
NEIGHBORS_TITLE = "Nearest neighbours in gene space"
ENRICHMENT_TEST = "(hypergeometric, BH FDR ≤ 0.25)"
ENRICHMENT_TITLE = (
    f"GO biological processes enriched among the gene and its neighbours {ENRICHMENT_TEST}"
)

#: What the neighbour table says while no gene is in focus.
NEIGHBORS_EMPTY = (
    "Find a gene above, or click one on the gene map or choose one in \u201cColour samples "
    "by\u201d, to list its nearest neighbours and the GO terms enriched among them."
)

#: Header and explanation (shown on hovering the header) of table columns, by column id; a
#: table may override them (:func:`_table`). CSV files keep the ids as column names.
COLUMN_HELP: dict[str, tuple[str, str]] = {
    "rank": ("rank", "1 = the nearest"),
    "symbol": ("symbol", "gene symbol"),
    "gene_id": ("gene id", "the gene's id in the data file"),
    "sample_id": ("sample", "sample id in the data file"),
    "name": ("name", "gene name"),
    "gene_type": ("gene type", "protein-coding, lncRNA, pseudogene..."),
    "go_terms": (
        "GO biological process",
        "the gene's first direct GO BP annotations, in a neighbour table those it shares with "
        "the gene asked about first; (+n): n more (all of them in the CSV)",
    ),
    "detected": (
        "detected",
        "share of samples in which the gene is above 0 (100.0% = in every sample: a gene absent "
        "from even one reads 99.9% or less; 0.0% = in none); genes off almost everywhere lie "
        "close together in gene space because they are off",
    ),
    "runs": (
        "runs",
        "in how many of the joined models, alone, the gene is among the k nearest (k: the "
        "Neighbours box)",
    ),
    "go_id": ("GO id", "Gene Ontology term"),
    "term": ("term", "GO term name"),
    "ontology": ("ontology", "BP: biological process"),
    "n_overlap": (
        "genes in list",
        "genes of the list (the gene in focus and its neighbours) annotated with the term",
    ),
    "n_term": (
        "genes in term",
        "genes of the model annotated with the term (the genes a neighbourhood is drawn from)",
    ),
    "n_list_annotated": (
        "list annotated",
        "genes of the list with any GO biological-process annotation (those tested)",
    ),
    "n_background": (
        "background",
        "genes of the model with any GO biological-process annotation: the background of the test",
    ),
    "p_value": (
        "p",
        "hypergeometric test: the term's share of the list's annotated genes vs. of the "
        "background (both in the CSV file)",
    ),
    "fdr": ("FDR", "Benjamini-Hochberg false discovery rate over all terms tested"),
    "score": (
        "score (t)",
        "difference divided by its standard error (Welch t); the table is sorted by it, and a "
        "gene is listed when it is high enough and its p (the p column) low enough, as the "
        "heading says",
    ),
    "z": (
        "z",
        "(predicted − the gene's mean over samples) / its standard deviation (taken as at least "
        "a tenth of the median gene's, so that genes off almost everywhere do not top the list)",
    ),
    "x": ("x", "place on the sample map (FE 1)"),
    "y": ("y", "place on the sample map (FE 2)"),
    "fit_error": (
        "fit error",
        "mean squared difference between the sample's values and the profile the model decodes "
        "at its place (standardised); compare with the model's final MSE in the page header",
    ),
    "nearest_sample": ("nearest sample", "the nearest sample of the map"),
    "majority_share": ("majority share", "share of the nearest samples that have that label"),
}


#: Headers and help of the neighbour table's pair columns (dashboard.pair_references): what
#: the paper's Figure 4 asks of each neighbour. The page shows ``r`` and ``shared_go`` and marks
#: ``coexp`` (on r) and ``novel`` (on the symbol) as :data:`PAIR_MARKS` says; the CSV file holds
#: all four.
PAIR_HELP: dict[str, tuple[str, str]] = {
    "r": (
        "r",
        "Pearson correlation of the neighbour's values with the gene's over the samples "
        "(a missing value counts as the gene's mean)",
    ),
    "coexp": (
        "co-expressed",
        "yes: the pair is among the top 1% of the model's gene pairs by correlation (the "
        "co-expression reference of the paper's Figure 4 and of the report; above 2,000 genes "
        "the cut is estimated from the pairs of 2,000 genes drawn at random)",
    ),
    "shared_go": (
        "shared GO",
        "GO biological-process terms (of 3-500 genes, with their ancestors) both genes have",
    ),
    "novel": (
        "novel",
        "yes: close in gene space, yet neither co-expressed (not among the top 1% of pairs by r: "
        "the line above the table gives the cut) nor sharing a GO term, a pair worth a look; "
        "unannotated: the same, but a gene has no GO term of "
        f"{GO_TERM_SIZES[0]}-{GO_TERM_SIZES[1]} genes, so it could share none",
    ),
}

#: Colours of the neighbour table's marks: a co-expression edge (its r in bold, this colour),
#: a novel pair (its symbol on this background) and an unannotated one (a paler background).
COEXP_COLOR = "#1f5fbf"
NOVEL_BACKGROUND = "#ffe08a"
UNANNOTATED_BACKGROUND = "#fff3cc"

#: The neighbour table's marks, each as the line above it says it: the co-expression edges'
#: (with the co-expression cut), the novel pairs' (with the cut and GO), the GO column's.
COEXP_MARK = "Bold blue r: co-expressed (top 1% of the gene pairs)"
#: What makes a pair novel, as the novel mark says it without the co-expression cut.
NOVEL_WHY = "neither co-expressed nor sharing a GO term"


def novel_why(cut: float) -> str:
    """What makes a pair novel, with the co-expression cut ``cut`` (the r of the top 1% of the
    model's gene pairs): a close pair of r 0.86 is novel where the cut is 0.952."""
    return (
        f"in neither reference: no co-expression edge (an edge: r of {cut:.3f} or more, the top "
        "1% of the gene pairs here) and no shared GO BP term"
    )


NOVEL_MARK = (
    f"symbol on yellow: novel, {NOVEL_WHY} (pale: a gene has no "
    f"GO term of {GO_TERM_SIZES[0]}-{GO_TERM_SIZES[1]} genes; broader terms, though listed, "
    "do not count)"
)
#: The GO column counts the terms both genes share with their ancestors: beside MYH7 on GTEx,
#: MYL2 shares 35 while its GO column lists 10 direct terms, which the line must explain.
GO_MARK = "GO: terms both share, ancestors included (so it can exceed the direct terms listed)"
#: What the neighbour table's CSV file adds to its columns.
CSV_MARK = "The CSV adds rank, coexp and novel."


def pair_marks(coexp: bool = True, go: bool = True, cut: float | None = None) -> str:
    """What the neighbour table's marks say, those alone that apply: the r of a co-expression
    edge with the co-expression cut known (``coexp``; with its value ``cut`` when given: a
    reader saw r = 0.76 unmarked and its pair called novel without knowing the cut was 0.95),
    the novel pairs with the cut and GO (``go``; without it no pair is novel), the GO column
    with GO."""
    coexp_mark = COEXP_MARK
    novel_mark = NOVEL_MARK
    if cut is not None:  # (inside the mark's bracket)
        coexp_mark = COEXP_MARK.removesuffix(")") + f": r of {cut:.3f} or more here)"
        # (SPI1's neighbour MEFV, r 0.86, on yellow read as unexpected: "novel" is below the
        # cut of the top 1%, here 0.952, which the novel mark did not say)
        novel_mark = NOVEL_MARK.replace(NOVEL_WHY, novel_why(cut))
    marks = [coexp_mark] if coexp else []
    if go:
        marks += [novel_mark, GO_MARK] if coexp else [GO_MARK]
    said = "; ".join(marks)
    return f"{said[0].upper()}{said[1:]}. {CSV_MARK}" if said else CSV_MARK


#: What the neighbour table's marks say, as the line above it says it (GO and the cut known).
PAIR_MARKS = pair_marks()

#: The neighbour table's headers and help on the page: the pair columns shown, with the marks
#: of those folded into them (``coexp`` and ``novel`` stay in the rows, and in the CSV file).
NEIGHBOR_HELP: dict[str, tuple[str, str]] = {
    "symbol": (
        "symbol",
        "gene symbol; on yellow: a novel pair ("
        + PAIR_HELP["novel"][1].removeprefix("yes: ").replace("; unannotated:", "; pale yellow:")
        + ")",
    ),
    "distance": (
        "cosine distance",
        "1 − cosine similarity of the two gene vectors (0: same direction, 1: "
        "unrelated, 2: opposite)",
    ),
    "r": (
        "r",
        PAIR_HELP["r"][1]
        + "; in bold blue: a co-expression edge, "
        + PAIR_HELP["coexp"][1].removeprefix("yes: "),
    ),
    "shared_go": ("GO", "shared GO: how many " + PAIR_HELP["shared_go"][1]),
}


def neighbor_help(context: Any) -> dict[str, tuple[str, str]]:
    """:data:`NEIGHBOR_HELP` for ``context``: with joined models (``--join-models``), the
    distance is the mean over them, which the header's tooltip did not say."""
    joined = list(getattr(context.config, "join_models", None) or [])
    if not joined:
        return NEIGHBOR_HELP
    name, words = NEIGHBOR_HELP["distance"]
    n = len(joined) + 1
    return {**NEIGHBOR_HELP, "distance": (name, f"mean over the {n} joined models of {words}")}


def neighbor_columns(context: Any, selection: bool = False) -> list[dict[str, Any]]:
    """The ``gene-neighbors`` table's columns on the page: a neighbourhood's (no rank, the order
    is the rank; r and shared GO terms, with the co-expression edges and novel pairs marked:
    :func:`neighbor_marks`), or a gene selection's (``selection``: no gene is the query, so
    without a distance or pair columns, which its rows leave empty)."""
    pairs = ["distance"] + (["runs"] if context.config.join_models else []) + ["r", "shared_go"]
    shown = ["symbol", *([] if selection else pairs), "detected", "name", "gene_type", "go_terms"]
    return _columns(shown, neighbor_help(context), NEIGHBOR_FORMATS)


def neighbor_marks() -> list[dict[str, Any]]:
    """``style_data_conditional`` of the neighbour table: odd rows shaded, a co-expression edge's
    r in bold blue, a novel pair's symbol on yellow (pale when unannotated). The rows' ``coexp``
    and ``novel`` keys are read though no column shows them."""
    return [
        *TABLE_STYLE["style_data_conditional"],
        {
            "if": {"column_id": "r", "filter_query": '{coexp} = "yes"'},
            "fontWeight": "700",
            "color": COEXP_COLOR,
        },
        {
            "if": {"column_id": "symbol", "filter_query": '{novel} = "yes"'},
            "backgroundColor": NOVEL_BACKGROUND,
        },
        {
            "if": {"column_id": "symbol", "filter_query": '{novel} = "unannotated"'},
            "backgroundColor": UNANNOTATED_BACKGROUND,
        },
    ]


def _columns(
    columns: list[str],
    help: dict[str, tuple[str, str]] | None = None,
    formats: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """A table's ``columns`` prop for column ids ``columns``, headed as :data:`COLUMN_HELP` or
    ``help`` says; ``formats``: column id -> extra column properties."""
    names = {**COLUMN_HELP, **(help or {})}
    return [
        {"name": names.get(c, (c, ""))[0], "id": c, **(formats or {}).get(c, {})} for c in columns
    ]


def _table(
    table_id: str,
    columns: list[str],
    help: dict[str, tuple[str, str]] | None = None,
    formats: dict[str, dict[str, Any]] | None = None,
    **style: Any,
) -> dash_table.DataTable:
    """An empty table of ``columns`` (ids), headed as :data:`COLUMN_HELP` or ``help`` says,
    each header explained on hovering it; ``formats``: column id -> extra column properties
    (``type``, ``format``); ``style``: :data:`TABLE_STYLE` entries replaced."""
    names = {**COLUMN_HELP, **(help or {})}
    return dash_table.DataTable(
        id=table_id,
        columns=_columns(columns, help, formats),
        tooltip_header={c: names[c][1] for c in columns if c in names and names[c][1]},
        data=[],
        **{**TABLE_STYLE, **style},
    )


def specific_p_help(lower: bool = False) -> str:
    """What the p of a gene specific to a selection says, and what it does not: of a higher
    mean in the selection, or of a lower one (``lower``)."""
    return (
        f"one-sided p of a {'lower' if lower else 'higher'} mean in the selection (Welch's t on "
        "its df): descriptive, not a test. The samples were chosen on a map made from these "
        "values, so it overstates the evidence; not corrected for the number of genes. A p of "
        f"{SPECIFIC_P_FLOOR:.0e} means {SPECIFIC_P_FLOOR:.0e} or less: a smaller p (a tissue's "
        "markers against all other samples) is written as this floor, not as 0"
    )


#: What the p of a gene specific to a selection says (higher in it), and what it does not.
SPECIFIC_P_HELP = specific_p_help()

#: The choice by the specific-genes table: the genes higher in the selection, or lower.
SPECIFIC_DIRECTION_OPTIONS = [
    {"label": "higher", "value": SPECIFIC_HIGHER},
    {"label": "lower", "value": SPECIFIC_LOWER},
]
SPECIFIC_DIRECTION_HELP = (
    "list the genes higher in the selection than in the samples it is compared with, or those "
    "lower in it (the score, Welch's t, then negative)"
)


def specific_threshold(lower: bool = False) -> str:
    """The score a gene needs, in the page's words: ``score t of 2 or more`` (``-2 or less``
    for the genes lower in the selection)."""
    if lower:
        return f"score t of {-MIN_SPECIFIC_SCORE:g} or less"
    return f"score t of {MIN_SPECIFIC_SCORE:g} or more"


#: The buttons that keep a selection as the reference group of the next one, and drop it.
REFERENCE_KEEP_TEXT = "Keep as reference"
REFERENCE_KEEP_HELP = (
    "keep these samples as the reference group: the specific genes of the next selection are "
    "scored against them, not against all other samples (one heart chamber against the other)"
)
#: The selection line before any selection: the two ways to make one.
NO_SELECTION = "No selection: draw a lasso or box on the map, or choose labels above"
#: The same, for a dataset without labels to choose (no categorical sample annotation).
NO_SELECTION_DRAWN = "No selection: draw a lasso or box on the map"
#: Selecting samples by a label (dashboard.selection.label_choices fills the dropdown).
LABEL_SELECT_TEXT = "Select"
LABEL_SELECT_HELP = (
    "select every sample of the labels chosen: the category the map is coloured by (tissue, "
    "detailed tissue, sex...), or the tissue while it is coloured by a gene. A lasso or box "
    "drawn later replaces the selection"
)
LABEL_SELECT_WITHIN_TEXT = "only among those selected"
LABEL_SELECT_WITHIN_HELP = (
    "keep, of the samples selected now, those of the labels chosen: the women among the "
    "breast samples once the map is coloured by sex"
)


def label_within_options(disabled: bool = False) -> list[dict]:
    """The "only among those selected" box's one option: disabled with the labels' box (a
    dataset with no category to choose among), where it could be ticked for nothing."""
    return [{"label": LABEL_SELECT_WITHIN_TEXT, "value": "within", "disabled": disabled}]


REFERENCE_CLEAR_TEXT = "Compare with all others"
REFERENCE_CLEAR_HELP = (
    "drop the reference group: score the specific genes against all other samples"
)


#: What the demo's genes listed with their GO terms (a sample selection's specific genes, the
#: genes of a selection in gene space) say: how the simulation made them, not biology (Liver's
#: APOA1 at t = 264 read as a finding). Real data never say it.
SIMULATED_GENES = (
    "SIMULATED data: the demo's genes were made to vary by tissue and together by GO term "
    "(core.simulate), so these genes and their GO terms show how the simulation was built, "
    "not biology."
)


def specific_heading(
    reference: int | None = None, lower: bool = False, simulated: bool = False
) -> str:
    """The specific-genes table's heading: what the selection is compared with (all other
    samples, or a reference group of ``reference`` samples), in which direction (``lower``:
    the genes lower in the selection) and the thresholds; ``(simulated)`` after the genes on
    ``simulated`` data, as the nearest samples' heading."""
    against = f"the reference group ({reference:,} samples)" if reference else "all other samples"
    mark = " (simulated)" if simulated else ""
    # (the lower genes are not "specific to" the selection: they are missing from it)
    what = (
        f"Genes most clearly lower in the selection{mark}"
        if lower
        else f"Genes most specific to the selection{mark}: higher"
    )
    return (
        f"{what} than in {against} ({specific_threshold(lower)}, and one-sided p of "
        f"{MAX_SPECIFIC_P:g} or less)"
    )


def specific_column_ids(with_gene_ids: bool) -> list[str]:
    """The specific-genes table's column ids (``gene_id`` where the data names genes by ids)."""
    return (
        ["symbol"]
        + (["gene_id"] if with_gene_ids else [])
        + ["mean_selected", "mean_rest", "difference", "score", "df", "p_value"]
    )


def specific_help(
    scale: str, reference: int | None = None, lower: bool = False
) -> dict[str, tuple[str, str]]:
    """Headers and hover help of the specific-genes table, for the samples compared with (all
    others, or a reference group of ``reference`` samples) and the genes listed (``lower``:
    those lower in the selection); ``scale``: " (log10(x+1))"."""
    if reference:
        rest = (
            "mean, reference",
            f"mean value in the reference group's {reference:,} samples (those not also "
            f"selected){scale}",
        )
    else:
        rest = ("mean, others", f"mean value in all other samples{scale}")
    return {
        "mean_selected": ("mean, selection", f"mean value in the selected samples{scale}"),
        "mean_rest": rest,
        "difference": (
            "difference",
            f"mean, selection − {rest[0]}{scale}"
            + ("; negative: the genes listed are lower in the selection" if lower else ""),
        ),
        "score": (
            "score (t)",
            "difference divided by its standard error (Welch t), signed: positive for a gene "
            "higher in the selection, negative for one lower in it"
            + (
                " (the genes listed: the most negative first)"
                if lower
                else " (the genes listed: the highest first)"
            )
            + "; a gene is listed when it is far enough from 0 and its p (the p column) low "
            "enough, as the heading says",
        ),
        "df": ("df", "degrees of freedom of Welch's t (Welch-Satterthwaite)"),
        "p_value": ("p", specific_p_help(lower)),
    }


def has_gene_ids(context: Any) -> bool:
    """Whether the data names its genes by ids besides their symbols (the page shows a gene
    id column then only)."""
    ids_, symbols = getattr(context, "gene_ids", ()), getattr(context, "gene_symbols", ())
    return any(str(g) != str(s) for g, s in zip(ids_, symbols, strict=False))


def _scale_words(context: Any) -> str:
    """The scale of the values shown, as the tables' headers add it (`` (log2(x+1))``)."""
    value_scale = context.value_scale()
    return f" ({value_scale})" if value_scale else " (on the scale of the data file)"


def specific_columns(
    context: Any, reference: int | None = None, lower: bool = False
) -> tuple[list[dict], dict]:
    """The specific-genes table's ``columns`` and ``tooltip_header`` for ``context``'s data,
    the selection compared with all other samples or a reference group of ``reference``, for
    the genes higher in the selection or lower (``lower``)."""
    shown = specific_column_ids(has_gene_ids(context))
    help = specific_help(_scale_words(context), reference, lower)
    names = {**COLUMN_HELP, **help}
    tips = {c: names[c][1] for c in shown if c in names and names[c][1]}
    return _columns(shown, help, SPECIFIC_FORMATS), tips


#: p-values and FDRs in scientific notation with 2 significant digits (``5.7e-14``): the
#: 3-digit numbers made the enrichment table scroll sideways on a 1280-pixel screen.
SCIENTIFIC_2: dict[str, Any] = {"type": "numeric", "format": {"specifier": ".1e"}}

#: 4 significant digits, trailing zeros dropped (``0.0123``, ``2.162e+18``): the fit error of an
#: upload in other units ran to a 19-digit integer.
SIGNIFICANT_4: dict[str, Any] = {"type": "numeric", "format": {"specifier": ".4~g"}}

#: Fixed decimals, so that a column's numbers line up and read alike (``4.56`` above ``3.358``:
#: trailing zeros were dropped, and a column showed two and three decimals by turns).
FIXED_1: dict[str, Any] = {"type": "numeric", "format": {"specifier": ".1f"}}
FIXED_2: dict[str, Any] = {"type": "numeric", "format": {"specifier": ".2f"}}
FIXED_3: dict[str, Any] = {"type": "numeric", "format": {"specifier": ".3f"}}

#: The specific-genes table's number formats.
SPECIFIC_FORMATS: dict[str, dict[str, Any]] = {
    "mean_selected": FIXED_2,
    "mean_rest": FIXED_2,
    "difference": FIXED_2,
    "score": FIXED_1,
    "df": FIXED_1,
    "p_value": SCIENTIFIC_2,
}

#: Height (pixels) of the baseline maps' figure before they are computed.
BASELINES_WAITING_HEIGHT = 160

#: A share of samples as a percentage (``91%``, not ``0.913``).
PERCENT: dict[str, Any] = {"type": "numeric", "format": {"specifier": ".0%"}}

#: A share of samples held to 3 decimals, shown as a percentage with one decimal (``91.3%``,
#: ``99.6%``, ``100.0%``): as a whole-number percentage genes in 518 and 519 of 520 samples
#: read 100%. The rows hold the share never rounded to 0 or 1 when it is neither
#: (:func:`dashboard.context.rounded_share`), so that no gene reads 0.0% or 100.0% unless it is.
SHARE_PERCENT: dict[str, Any] = {"type": "numeric", "format": {"specifier": ".1%"}}

#: Number formats of the neighbour table's columns.
NEIGHBOR_FORMATS: dict[str, dict[str, Any]] = {
    "distance": FIXED_3,
    "detected": SHARE_PERCENT,
    "r": FIXED_2,
}

#: A p-value kept on one line: the browser breaks ``7.6e-8`` after its minus in a narrow
#: column of a wrapping table.
NOWRAP_P: list[dict[str, Any]] = [{"if": {"column_id": "p_value"}, "whiteSpace": "nowrap"}]

#: Columns of the gene-space tables kept narrow (they fit beside the sample card at 1280 px).
GENE_TABLE_CELLS: list[dict[str, Any]] = [
    # (a long word, a chemical's name in a GO term, breaks rather than widening the table: in
    # assets/style.css, as DataTable drops an overflowWrap given here)
    {"if": {"column_id": "go_terms"}, "minWidth": "130px"},
    {"if": {"column_id": "name"}, "minWidth": "80px"},
    {"if": {"column_id": "term"}, "minWidth": "150px"},
    {"if": {"column_id": "go_id"}, "whiteSpace": "nowrap"},
    {"if": {"column_id": ["p_value", "fdr"]}, "whiteSpace": "nowrap"},
]


#: Columns of the baseline maps' accuracy table (the accuracy's header names the share).
BASELINE_COLUMNS = ["map", ACCURACY_COLUMN, "sd"]
BASELINE_FORMATS: dict[str, dict[str, Any]] = {ACCURACY_COLUMN: FIXED_3, "sd": FIXED_3}


def baseline_table_help(
    context: Any, fraction: float, per_class: bool = False
) -> dict[str, tuple[str, str]]:
    """Header and hover text of each column of the baseline maps' accuracy table, for 1-NN
    from ``fraction`` of the labelled samples (of each class, ``per_class``)."""
    label = context.baseline_label() if per_class else None
    word = annotation_word(label) if label else "class"
    drawn = f"; the labelled ones drawn from each {word}, at least one of each" if per_class else ""
    return {
        "map": ("map", "FE: the model's sample map; the others from the same matrix"),
        ACCURACY_COLUMN: (
            accuracy_header(fraction, word if per_class else None),
            f"share of the other samples whose label the nearest labelled one gives{drawn}",
        ),
        "sd": ("sd", f"over the {context.ACCURACY_SPLITS} random draws of labels"),
    }


def baseline_table_columns(
    context: Any, fraction: float, per_class: bool = False
) -> list[dict[str, Any]]:
    """The accuracy table's ``columns`` for ``fraction`` (of each class, ``per_class``), as
    :func:`_table` makes them."""
    names = baseline_table_help(context, fraction, per_class)
    return [{"name": names[c][0], "id": c, **BASELINE_FORMATS.get(c, {})} for c in BASELINE_COLUMNS]


def per_class_options(context: Any, disabled: bool = False) -> list[dict[str, Any]]:
    """The per-class checkbox beside the share of labelled samples: "per class: at least one
    of each tissue" (the annotation scored, :meth:`BaselineMaps.baseline_label`)."""
    label = context.baseline_label()
    word = annotation_word(label) if label else "class"
    return [{"label": f"{PER_CLASS_LABEL} {word}", "value": PER_CLASS_VALUE, "disabled": disabled}]


def annotation_word(column: str) -> str:
    """What a sample annotation column is, in words: GTEx's coded names said (``SMTS`` is the
    tissue, ``SMTSD`` the detailed tissue), any other name as it is."""
    from dashboard.sample_map import ANNOTATION_NAMES  # (sample_map imports this module)

    return ANNOTATION_NAMES.get(str(column), str(column))


def annotation_header(column: str) -> tuple[str, str]:
    """Header and explanation of a table column holding the sample annotation ``column``:
    ``tissue (SMTS)`` rather than the bare code."""
    word = annotation_word(column)
    if word == str(column):
        return str(column), f"the sample's {column} (sample annotation)"
    return f"{word} ({column})", f"the sample's {word}: the annotation {column} of the data"


#: Background of a placed sample's fit error far above the model's training fit error.
POOR_FIT_BACKGROUND = "#f8d7d5"


def placed_marks() -> list[dict[str, Any]]:
    """``style_data_conditional`` of the placed samples' table: odd rows shaded, the fit error
    of a sample that fits poorly (its row's ``poor_fit``) on pale red. (A filter query does not
    compare booleans: ``> 0`` reads true as 1.)"""
    return [
        *TABLE_STYLE["style_data_conditional"],
        {
            "if": {"column_id": "fit_error", "filter_query": f"{{{POOR_FIT}}} > 0"},
            "backgroundColor": POOR_FIT_BACKGROUND,
        },
    ]


def _placed_table(
    label: str | None, k: int, rows: list[dict[str, Any]] | None = None
) -> dash_table.DataTable:
    """The placed samples' table for its ``rows`` (none: the page's first, empty table): the
    "copy of" column only when a placed sample is a copy of a map sample (blank for nearly
    every upload), the "own tissue" only when the upload has one (the CSV keeps both always:
    files keep one shape)."""
    columns = ["sample_id", "x", "y", "fit_error", "nearest_sample", "copy_of"]
    help = {
        "fit_error": (
            COLUMN_HELP["fit_error"][0],
            f"{COLUMN_HELP['fit_error'][1]}. On pale red: above {POOR_FIT_FACTOR:g} times "
            "that, a poor fit (poor_fit in the CSV): the sample's place, nearest and majority "
            "are not to be trusted",
        ),
        "copy_of": (
            "copy of",
            "the sample of the map whose values it has, under another id: it lands at or next "
            "to that sample's point, so its neighbours say little (blank for none)",
        ),
    }
    if label:
        word = annotation_word(label)
        said = label if word == label else f"{word} ({label})"
        columns += [OWN_LABEL, "nearest_label", "majority_label", "majority_share"]
        help |= {
            OWN_LABEL: (
                f"own {word}",
                f"the sample's own {said} in the upload, beside the map's nearest and "
                "majority (shown when the upload has such a column)",
            ),
            "nearest_label": (f"nearest {word}", f"the {said} of the nearest sample"),
            "majority_label": (
                f"majority {word} (of {k})",
                f"the most frequent {said} among the {k} nearest samples of the map",
            ),
        }
    formats = {"fit_error": SIGNIFICANT_4, "x": FIXED_3, "y": FIXED_3, "majority_share": PERCENT}
    table = _table(
        ids.PLACED_TABLE, columns, help, formats=formats, style_data_conditional=placed_marks()
    )
    # (its header's explanation kept: the column comes back with the rows of a copy); the
    # upload's own tissue too, left out when the upload has none (an empty column, beside the
    # map's nearest and majority, said nothing of why)
    for column in ("copy_of", OWN_LABEL):
        if not any(isinstance(r, dict) and r.get(column) not in (None, "") for r in rows or []):
            table.columns = [c for c in table.columns if c["id"] != column]
    return table


def placed_columns(
    label: str | None, k: int, rows: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """The columns of the placed samples' table showing ``rows`` (:func:`_placed_table`)."""
    return _placed_table(label, k, rows).columns


#: The button by the specific-genes table (``selection-genes-go``), and its tooltip while the
#: table lists no gene.
SELECTION_GENES_GO_TEXT = "GO processes of these genes"
SELECTION_GENES_GO_NONE = (
    "no gene listed in the table: draw a lasso or box around some samples, or see the line "
    "above the table for why none is listed"
)


# ----------------------------------------------------------------------------- gene map size
#: dcc.Store: ``{"width", "height"}`` in pixels of the gene map's plot area as drawn in the page,
#: written by ``assets/plot_size.js`` (empty until the map is drawn); the gene map's labels are
#: spaced for it (``figures.plot_area``).
GENE_MAP_SIZE = "gene-map-size"

#: dcc.Store: what the gene map in the page was drawn from, colouring of the samples aside
#: (``layout.meta.base_key``, ``gene_space.base_key``), copied in the page at each new figure: a
#: new colouring is sent as its trace alone only onto a map of the inputs it was computed for.
GENE_MAP_DRAWN = "gene-map-drawn"

#: dcc.Interval: enabled while the neighbour table waits for the co-expression cut
#: (``PairReferences.coexp_cut``); each tick asks whether it is known, and once it is (or
#: failed) fills the table's marks and is disabled again (``gene_space.neighbor_update``).
COEXP_POLL = "coexp-poll"

#: Milliseconds between the ticks of ``coexp-poll``.
COEXP_POLL_MS = 3000

#: dcc.Store: a new colouring of the sample map's colour trace (``sample_map.Recolour``), which
#: the page makes from the trace it shows (``assets/recolour.js``)
SAMPLE_MAP_RECOLOUR = "sample-map-recolour"

# ----------------------------------------------------------------------------- placing uploads
#: Ids of the placing job's parts (beside those of ``ids``: ``place-upload``, ``place-info``...).
PLACE_REQUEST = "place-request"  # dcc.Store: {"id"} of the upload to place (a new id each time)
PLACE_JOB_RUNNING = "place-job-running"  # dcc.Store: the placing job runs (True) or ended
PLACE_PROGRESS = "place-progress"  # the job's progress ("placing 1,200 samples… 40%")
PLACE_RETRY = "place-retry"  # shown once a placing job stopped without a result
#: dcc.Store kept by the browser for the tab: ``{"id", "filename"}`` of the upload placed last,
#: whose samples a reloaded page shows again
PLACE_SESSION = "place-session"
PLACE_RESUME_POLL = "place-resume-poll"  # dcc.Interval: a reloaded page follows its earlier job
PLACE_RESTORED = "place-restored"  # what a reloaded page found, for the upload it looked for

#: Text of the button that places the upload again after a job that did not finish.
PLACE_RETRY_LABEL = "Retry placing"

#: Log transform offered for uploads when the model's data were used as they are.
COUNTS_TRANSFORM = "log2p1"


def place_transform_label(training_transform: str) -> str:
    """Label of the "apply a log transform to the upload" box (``place-transform``)."""
    if training_transform != "none":
        # (in words: "log10p1" is a flag's name)
        words = TRANSFORM_SCALES.get(training_transform, training_transform)
        return f" raw values: apply {words}, the training data's scale"
    return " raw counts or TPM: apply log2(x+1)"


#: What the link to the view says (what it leaves out is said under it: ``share-note``).
SHARE_LINK_TEXT = "open in a new tab"

#: Height in pixels of a row of ``color-by``'s options, and of ``gene-search``'s (Dash's
#: default); a row that says a gene is unknown is made taller (``sample_map.option_height``).
COLOR_OPTION_HEIGHT = 30
GENE_SEARCH_OPTION_HEIGHT = 35

#: Handles of the clip slider closer than this (percentile points) share one label.
CLIP_LABELS_MERGED_BELOW = 15


def clip_marks(value: Any) -> dict[float, str]:
    """The clip slider's labels: the percentiles its handles stand at, under each handle.

    Fixed labels 0, 25, ..., 100 stood under the handles at 1 and 99, which read as a scale
    clipped nowhere. Handles closer than :data:`CLIP_LABELS_MERGED_BELOW` share one label
    (``40–45``) between them, as two would overlap.
    """
    try:
        lo, hi = float(value[0]), float(value[1])
    except (TypeError, ValueError, IndexError):
        lo, hi = 1.0, 99.0

    def at(x: float) -> float | int:  # (whole numbers as such: the key "1", not "1.0")
        return int(x) if x == int(x) else x

    if hi - lo < CLIP_LABELS_MERGED_BELOW:
        return {at((lo + hi) / 2): f"{lo:g}–{hi:g}"}
    return {at(lo): f"{lo:g}", at(hi): f"{hi:g}"}


def _card(title: str, *children: Any, class_name: str = "", card_id: str | None = None) -> html.Div:
    kw = {"id": card_id} if card_id else {}
    return html.Div(
        [html.H3(title, className="card-title"), *children], className=f"card {class_name}", **kw
    )


#: The title of the gene-list box (named by the dropdowns when a pattern or a list is typed).
GENE_LIST_SUMMARY = "Score a list of genes (mean z-score)"


def color_placeholder(context: Any) -> str:
    """What ``color-by`` offers, from this dataset's annotations (at most three named)."""
    names = [str(c) for c in (getattr(context, "annotation_columns", None) or [])[:3]]
    return ", ".join([*names, "a gene symbol, a gene set…"])


def gene_search_placeholder(context: Any) -> str:
    """An example for ``gene-search`` from this dataset: a marker of the paper's Figure 3 when the
    dataset has one, else its first gene; with the gene's id when the dataset has ids."""
    symbols = [str(s) for s in context.gene_symbols]
    if not symbols:
        return "a gene symbol"
    at = {s: i for i, s in enumerate(symbols)}
    i = next((at[m] for m in ("MYH6", "XIST", "CD8B") if m in at), 0)
    gene_id = str(context.gene_ids[i])
    return f"e.g. {symbols[i]}" + (f" or {gene_id}" if gene_id != symbols[i] else "")


def gene_list_placeholder(context: Any) -> str:
    """An example for ``gene-list`` from this dataset: the keratins of the paper's Figure 3
    that it has, else its first genes (none of KRT5, KRT14, KRT1, KRT10 is in most sets)."""
    symbols = [str(s) for s in context.gene_symbols]
    keratins = [k for k in ("KRT5", "KRT14", "KRT1", "KRT10") if k in set(symbols)]
    shown = keratins if len(keratins) >= 2 else symbols[:4]
    return f"e.g. {', '.join(shown)}" if shown else "gene symbols or ids"


#: What each control of the page does (for a CSV button, what its file holds), said on hovering
#: it; the controls with a help of their own (``REFERENCE_KEEP_HELP``...) keep it.
CONTROL_HELP: dict[str, str] = {
    ids.TRAIN_RETRY: "start the training job again",
    ids.COLOR_BY: (
        "colour the samples by an annotation (tissue, sex...), a gene's values (observed, "
        "predicted by the model, or the residual: observed − predicted), a gene set or a GO "
        "term; type to search"
    ),
    ids.CLIP: (
        "the colours stop at these percentiles of the values shown: samples below the lower or "
        "above the upper take the end colours, so that a few extreme values do not wash out "
        "the rest"
    ),
    ids.GENE_LIST: (
        "gene symbols or ids, separated by commas, spaces or new lines (KRT* for every gene "
        "whose symbol starts with KRT)"
    ),
    ids.GENE_LIST_APPLY: (
        "colour the samples by the mean z-score of the genes listed: each gene standardised "
        "over the samples, then averaged"
    ),
    ids.GENE_LIST_UPLOAD: (
        "read a gene list from a text or CSV file (up to 1 MB) and colour the samples by its "
        "mean z-score"
    ),
    ids.LABEL_SELECT: (
        "the labels whose samples \u201cSelect\u201d selects: the categories the map is "
        "coloured by, or the tissues while it is coloured by a gene"
    ),
    ids.EXPORT_SELECTION_CSV: (
        "save the selected samples as a CSV file: sample id, x, y (their place on the map) and "
        "every annotation, with the dataset and the model"
    ),
    ids.EXPORT_SELECTION_GENES_CSV: (
        f"save the genes of the table below (up to {SPECIFIC_SAVED}) as a CSV file: symbol, "
        "means, difference, score, df and p, with what the selection is compared with"
    ),
    ids.EXPORT_SAMPLE_MAP_CSV: (
        "save every sample of the map as a CSV file: sample id, x, y, every annotation and the "
        "values the map is coloured by (placed samples have a file of their own)"
    ),
    ids.GENE_SEARCH: (
        "a gene by symbol or id: its nearest neighbours are listed below, and the samples are "
        "coloured by it"
    ),
    ids.GENE_COLOR: (
        "colour the gene map by gene type (protein-coding, lncRNA...) or mark the genes of a GO "
        "term, those of its more specific terms included"
    ),
    ids.NEIGHBORS_K: (
        "how many nearest neighbours of the gene the table lists (1 to 200), by cosine distance "
        "between gene vectors"
    ),
    ids.EXPORT_GENE_MAP_CSV: (
        "save every gene of the gene map as a CSV file: gene id, symbol, gene type and x, y, "
        "with whether the GO term colouring the map annotates it"
    ),
    ids.EXPORT_NEIGHBORS_CSV: (
        "save the table below as a CSV file: its columns plus rank, coexp and novel, and every "
        "GO term of each gene, with the gene in focus and the model"
    ),
    ids.EXPORT_ENRICHMENT_CSV: (
        "save the enriched GO terms as a CSV file: GO id, term, gene counts, p and FDR, with "
        "the gene in focus and the model"
    ),
    ids.PLACE_TRANSFORM: (
        "ticked: the uploaded values are log-transformed, as the training data were, before "
        "they are placed; untick it for values already on the training data's scale"
    ),
    ids.PLACE_CLEAR: (
        "remove the placed samples from the map and the table (a placing that runs is stopped)"
    ),
    ids.EXPORT_PLACED_CSV: (
        "save the placed samples as a CSV file: sample id, x, y, fit error, nearest sample and "
        "labels, named as \u201cpython -m core embed\u201d names them"
    ),
    PLACE_RETRY: "place the file dropped again: the last placing stopped without a result",
    ids.BASELINES_BUTTON: (
        "compute PCA, NMF, t-SNE and UMAP maps of the same samples in the background, and score "
        "how well each map, the model's too, keeps the labels apart (1-NN accuracy)"
    ),
    ids.BASELINES_SHARE: (
        "1-NN (one nearest neighbour): each sample takes the label of the nearest labelled "
        "sample on the map, and a map's accuracy is the share it gets right. Choose how many "
        "samples are labelled."
    ),
    ids.BASELINES_PER_CLASS: (
        "ticked: the labelled samples are drawn from each class, at least one of each; "
        "unticked: at random from all of them, as in the paper's Table 1"
    ),
    ids.EXPORT_FIGURE: "the figure to save, as the page shows it now (colouring, zoom, selection)",
    ids.EXPORT_FORMAT: (
        "SVG and PDF stay sharp at any size and can be edited; PNG is an image of fixed pixels"
    ),
    ids.EXPORT_SIZE: (
        "the figure's size: as on a screen, a journal's single or double column at 300 dpi, or "
        "a 16:9 slide"
    ),
    ids.EXPORT_BUTTON: (
        "save the chosen figure in the chosen format and size, as the page shows it now"
    ),
}


def small_button(text: str, button_id: str, **kwargs: Any) -> html.Button:
    """A small button of the page, saying on hovering what it does (:data:`CONTROL_HELP`,
    unless ``title`` is given)."""
    kwargs.setdefault("title", CONTROL_HELP[button_id])
    return html.Button(text, id=button_id, className="button small", **kwargs)


def gene_map_csv_help(context: Any) -> str:
    """What "Gene space as CSV" saves: :data:`CONTROL_HELP`'s words, without the gene id where
    the data name genes by symbols alone (the file has no ``gene_id`` column then: the 26
    tissues' said "gene id" first)."""
    text = CONTROL_HELP[ids.EXPORT_GENE_MAP_CSV]
    if has_gene_ids(context):
        return text
    return text.replace("gene id, symbol", "symbol")


def place_upload_help(max_bytes: int) -> str:
    """What the placing drop zone does, with its size limit (``max_bytes``)."""
    return (
        f"drop a matrix of new samples here (up to {max_bytes // 10**6} MB): each is placed on "
        "the sample map as a black star and named by its nearest samples"
    )


def source_title(context: Any) -> str:
    """The header's data line as its tooltip shows it: the whole line (the page cuts it at the
    window's edge), then the data file's full path when the context records one."""
    path = str(context.source.get("path") or context.source.get("gct") or "")
    return "\n".join(t for t in (f"data: {context.source_text()}", path) if t)


def _data_badge(simulated: bool) -> html.Span:
    """The header's badge: simulated data (with why on hovering) or real data."""
    if simulated:
        return html.Span(
            "SIMULATED DATA",
            id=ids.SIMULATED_BADGE,
            className="badge badge-simulated",
            title="This dataset is simulated (GTEx-like), not measured.",
        )
    return html.Span("real data", id=ids.SIMULATED_BADGE, className="badge badge-real")


def _header_text(context: Any) -> html.Div:
    """The header's title, the dataset's name and size, its data line and the model's line."""
    d = context.describe()
    return html.Div(
        [
            html.H1("Factorized embeddings explorer"),
            html.Div(
                [
                    _data_badge(d["simulated"]),
                    html.Span(
                        f"{d['name']} — {d['n_samples']:,} samples × {d['n_genes']:,} genes",
                        id=ids.DATASET_INFO,
                        className="dataset-info",
                    ),
                ],
                className="header-line",
            ),
            html.Div(
                f"data: {context.source_text()}",
                className="model-info",
                # whole on hovering (the header cuts the line at the window's edge)
                title=source_title(context),
            )
            if context.source_text()
            else None,
            html.Div("model: loading…", id=ids.MODEL_INFO, className="model-info"),
        ],
        className="header-text",
    )


def _share_box() -> html.Div:
    """The header's link to this view, its copy button and what the link leaves out."""
    return html.Div(
        [
            html.Div(
                [
                    html.Span("link to this view: "),
                    # a new tab: following the link here would reload the page and lose what
                    # the address bar does not hold (placed samples, the probe)
                    html.A(
                        SHARE_LINK_TEXT,
                        id=ids.SHARE_LINK,
                        href="",
                        target="_blank",
                        rel="noopener",
                        className="share-link",
                    ),
                    dcc.Clipboard(
                        id=ids.SHARE_COPY,
                        title="copy the link to this view",
                        className="share-copy",
                    ),
                ],
                className="share-line",
            ),
            # what the link leaves out, wrapped under it (export.share_link_note)
            html.Div(id=ids.SHARE_NOTE, className="share-note"),
        ],
        className="header-share",
    )


def _header(context: Any) -> html.Header:
    """The page's header: what the page shows (dataset, data, model) and the link to the view."""
    return html.Header([_header_text(context), _share_box()], className="header")


def _training_panel() -> html.Div:
    """The training job's progress, or why it stopped with a retry button (hidden at first)."""
    return html.Div(
        [
            html.Div(
                [
                    html.Div(
                        "Preparing the model…",
                        id=ids.TRAIN_PROGRESS_LABEL,
                        className="progress-label",
                    ),
                    html.Progress(
                        id=ids.TRAIN_PROGRESS, value="0", max="100", className="progress"
                    ),
                ],
                id=ids.TRAIN_PROGRESS_BOX,
            ),
            # shown instead when the training job ended without a model (dashboard.status)
            html.Div(
                [
                    html.Span(id=ids.TRAIN_STOPPED_TEXT, className="progress-label"),
                    html.Button(
                        "Retry the training",
                        id=ids.TRAIN_RETRY,
                        n_clicks=0,
                        className="button",
                        title=CONTROL_HELP[ids.TRAIN_RETRY],
                    ),
                ],
                id=ids.TRAIN_STOPPED,
                className="selection-bar",
                style={"display": "none"},
            ),
            html.Div(
                "Training runs once in the background; the model is then kept on disk, so the next "
                "start takes seconds.",
                className="hint",
            ),
        ],
        id=ids.TRAIN_PANEL,
        className="card train-panel",
        style={"display": "none"},
    )


def _alerts() -> html.Div:
    """The alert slots, one per feature (:data:`ALERT_SLOTS`)."""
    return html.Div(
        [html.Div(id=alert_id(s), className="alert-slot") for s in ALERT_SLOTS],
        id=ids.ALERTS,
        className="alerts",
        role="alert",
    )


def _sample_controls(context: Any) -> html.Div:
    """The sample map's colouring: what colours it, and the percentiles its colours clip at."""
    return html.Div(
        [
            html.Div(
                [
                    html.Label("Colour samples by", htmlFor=ids.COLOR_BY),
                    dcc.Dropdown(
                        id=ids.COLOR_BY,
                        options=[],
                        value=None,
                        searchable=True,
                        clearable=False,
                        placeholder=color_placeholder(context),
                        optionHeight=COLOR_OPTION_HEIGHT,
                        maxHeight=360,
                    ),
                ],
                className="control grow",
                title=CONTROL_HELP[ids.COLOR_BY],
            ),
            html.Div(
                [
                    html.Label("Clip colour scale at percentiles", htmlFor=ids.CLIP),
                    dcc.RangeSlider(
                        id=ids.CLIP,
                        min=0,
                        max=100,
                        step=0.5,
                        value=[1, 99],
                        marks=clip_marks([1, 99]),  # (following the handles: sample_map)
                        allowCross=False,
                        tooltip={"placement": "bottom"},
                    ),
                ],
                className="control clip",
                title=CONTROL_HELP[ids.CLIP],
            ),
        ],
        className="controls",
    )


def _gene_list_box(context: Any) -> html.Details:
    """The folded box that colours the samples by a list of genes, typed or read from a file."""
    return html.Details(
        [
            html.Summary(GENE_LIST_SUMMARY),
            html.Div(
                [
                    dcc.Textarea(
                        id=ids.GENE_LIST,
                        placeholder=gene_list_placeholder(context),
                        className="gene-list",
                        title=CONTROL_HELP[ids.GENE_LIST],
                    ),
                    html.Div(
                        [
                            html.Button(
                                "Colour by this list",
                                id=ids.GENE_LIST_APPLY,
                                n_clicks=0,
                                className="button",
                                title=CONTROL_HELP[ids.GENE_LIST_APPLY],
                            ),
                            sized_upload(
                                dcc.Upload(
                                    html.Span(["or drop / ", html.A("choose a file")]),
                                    id=ids.GENE_LIST_UPLOAD,
                                    className="upload",
                                    max_size=GENE_LIST_MAX_BYTES,
                                    multiple=False,
                                ),
                                GENE_LIST_MAX_BYTES,
                                "color",
                                "a gene list is read up to 1 MB",
                                title=CONTROL_HELP[ids.GENE_LIST_UPLOAD],
                            ),
                        ],
                        className="gene-list-buttons",
                    ),
                ],
                className="gene-list-row",
            ),
        ],
        className="details",
    )


def _map_graph(context: Any, graph_id: str, filename: str) -> dcc.Loading:
    """A selectable map (samples or genes) waiting for the model, with a loading mark."""
    return dcc.Loading(
        dcc.Graph(
            id=graph_id,
            figure=empty_figure("waiting for the model…"),
            config=graph_config(context, filename, selectable=True),
            className="map",
        ),
        type="dot",
        delay_show=400,
    )


def _label_selection_bar() -> html.Div:
    """The bar that selects samples by their labels (a tissue's, one sex among a tissue's)."""
    return html.Div(
        [
            html.Div(
                [
                    # (its name for a screen reader: the box shows a placeholder alone, which
                    # names the colouring's annotation: "select samples by sex…")
                    html.Label(
                        "Labels to select samples by",
                        htmlFor=ids.LABEL_SELECT,
                        className="visually-hidden",
                    ),
                    dcc.Dropdown(
                        id=ids.LABEL_SELECT,
                        options=[],
                        value=[],
                        multi=True,
                        searchable=True,
                        placeholder="select samples by tissue…",
                    ),
                ],
                className="label-select",
                title=CONTROL_HELP[ids.LABEL_SELECT],
            ),
            html.Button(
                LABEL_SELECT_TEXT,
                id=ids.LABEL_SELECT_APPLY,
                className="button small",
                disabled=True,
                title=LABEL_SELECT_HELP,
            ),
            html.Span(
                dcc.Checklist(
                    id=ids.LABEL_SELECT_WITHIN,
                    options=label_within_options(),
                    value=[],
                    inline=True,
                    className="radio",
                ),
                title=LABEL_SELECT_WITHIN_HELP,
            ),
        ],
        className="selection-bar",
    )


def _selection_bar() -> html.Div:
    """What the sample selection holds, its CSV buttons and the reference it is compared with."""
    return html.Div(
        [
            html.Span(NO_SELECTION + ".", id=ids.SELECTION_INFO),
            small_button("Selection as CSV", ids.EXPORT_SELECTION_CSV),
            small_button("Specific genes as CSV", ids.EXPORT_SELECTION_GENES_CSV),
            small_button("Sample map as CSV", ids.EXPORT_SAMPLE_MAP_CSV),
            html.Button(
                REFERENCE_KEEP_TEXT,
                id=ids.REFERENCE_KEEP,
                className="button small",
                disabled=True,
                title=REFERENCE_KEEP_HELP,
            ),
            html.Button(
                REFERENCE_CLEAR_TEXT,
                id=ids.REFERENCE_CLEAR,
                className="button small",
                disabled=True,
                title=REFERENCE_CLEAR_HELP,
            ),
        ],
        className="selection-bar",
    )


def _specific_genes_head(context: Any) -> html.Div:
    """The specific genes' heading, the choice of higher or lower, and their GO button."""
    return html.Div(
        [
            html.H4(
                specific_heading(simulated=context.simulated),
                id=ids.SELECTION_GENES_HEAD,
                className="inline",
            ),
            # the genes higher in the selection, or lower (a link's dir=lower)
            html.Span(
                dcc.RadioItems(
                    id=ids.SPECIFIC_DIRECTION,
                    options=SPECIFIC_DIRECTION_OPTIONS,
                    value=SPECIFIC_HIGHER,
                    inline=True,
                    className="radio",
                ),
                title=SPECIFIC_DIRECTION_HELP,
                style={"whiteSpace": "nowrap", "flexShrink": 0},
            ),
            html.Button(
                SELECTION_GENES_GO_TEXT,
                id=ids.SELECTION_GENES_GO,
                className="button small",
                disabled=True,
                title=SELECTION_GENES_GO_NONE,
            ),
        ],
        # (the choice and the button go under the heading in a narrow window: at 420 pixels,
        # beside it, the button ran 11 pixels past the page's edge)
        className="table-head table-head-wrap",
    )


def _specific_genes_table(context: Any) -> dash_table.DataTable:
    """The table of the genes specific to the selected samples (empty until a selection)."""
    return _table(
        ids.SELECTION_GENES,
        specific_column_ids(has_gene_ids(context)),
        specific_help(_scale_words(context)),
        formats=SPECIFIC_FORMATS,
        # every gene saved, a page at a time: a sort orders them all (it ordered the 25 listed
        # alone, and genes past them could not be found by sorting)
        page_action="native",
        page_size=SPECIFIC_PAGE,
        # a p on one line: at 1280 pixels, with the gene-id column, it broke after its minus
        # ("7.6e-" over "8")
        style_cell_conditional=[*TABLE_STYLE["style_cell_conditional"], *NOWRAP_P],
    )


def _sample_card(context: Any) -> html.Div:
    """The samples' card: the sample map, its colouring, selection and specific genes."""
    return _card(
        "Samples",
        _sample_controls(context),
        _gene_list_box(context),
        _map_graph(context, ids.SAMPLE_MAP, "sample_map"),
        # a selection made of labels: a tissue's samples without its neighbours on the map, or
        # one sex among a tissue's samples (dashboard.selection.select_by_label)
        _label_selection_bar(),
        _selection_bar(),
        _specific_genes_head(context),
        _specific_genes_table(context),
        class_name="sample-card",
    )


def _gene_controls(context: Any) -> html.Div:
    """The gene map's controls: the gene searched, the genes' colouring, how many neighbours."""
    return html.Div(
        [
            html.Div(
                [
                    html.Label(
                        "Find a gene (symbol or id)" if has_gene_ids(context) else "Find a gene",
                        htmlFor=ids.GENE_SEARCH,
                    ),
                    dcc.Dropdown(
                        id=ids.GENE_SEARCH,
                        options=[],
                        value=None,
                        searchable=True,
                        clearable=True,
                        placeholder=gene_search_placeholder(context),
                        optionHeight=GENE_SEARCH_OPTION_HEIGHT,
                    ),
                ],
                className="control grow",
                title=CONTROL_HELP[ids.GENE_SEARCH],
            ),
            html.Div(
                [
                    html.Label("Colour genes by", htmlFor=ids.GENE_COLOR),
                    dcc.Dropdown(
                        id=ids.GENE_COLOR,
                        options=[{"label": "gene type", "value": "type"}],
                        value="type",
                        searchable=True,
                        clearable=False,
                        placeholder="gene type or a GO term",
                    ),
                ],
                className="control grow",
                title=CONTROL_HELP[ids.GENE_COLOR],
            ),
            html.Div(
                [
                    html.Label("Neighbours", htmlFor=ids.NEIGHBORS_K),
                    dcc.Input(
                        id=ids.NEIGHBORS_K,
                        type="number",
                        min=1,
                        max=200,
                        step=1,
                        value=context.config.n_neighbors,
                        debounce=True,
                        className="k-input",
                    ),
                ],
                className="control",
                title=CONTROL_HELP[ids.NEIGHBORS_K],
            ),
        ],
        className="controls",
    )


def _neighbours_part(context: Any) -> list[Any]:
    """The nearest neighbours' heading, hint, table and the poll of the co-expression cut."""
    return [
        html.Div(
            [
                html.H4(NEIGHBORS_TITLE, id=NEIGHBORS_HEAD, className="inline"),
                small_button("Neighbours as CSV", ids.EXPORT_NEIGHBORS_CSV),
            ],
            className="table-head",
        ),
        html.Div(NEIGHBORS_EMPTY, id=ids.NEIGHBORS_INFO, className="hint"),
        dcc.Interval(id=COEXP_POLL, interval=COEXP_POLL_MS, disabled=True),
        _table(
            ids.GENE_NEIGHBORS,
            [c["id"] for c in neighbor_columns(context)],
            neighbor_help(context),
            formats=NEIGHBOR_FORMATS,
            style_cell_conditional=GENE_TABLE_CELLS,
            style_data_conditional=neighbor_marks(),
        ),
    ]


def _enrichment_part(context: Any) -> list[Any]:
    """The enriched GO terms' heading, the GO they come from, a hint and their table."""
    return [
        html.Div(
            [
                html.H4(ENRICHMENT_TITLE, id=ENRICHMENT_HEAD, className="inline"),
                small_button("Enrichment as CSV", ids.EXPORT_ENRICHMENT_CSV),
            ],
            className="table-head",
        ),
        html.Div(context.ontology_caption(), id=ids.GO_SOURCE, className="hint"),
        html.Div(
            "Click a term's row to colour the samples by its genes (every gene of the dataset "
            "annotated to it, as \u201cColour samples by\u201d does for a GO term typed there).",
            className="hint",
        ),
        # every term is a biological process (BP): no ontology column
        _table(
            ids.GENE_ENRICHMENT,
            ["go_id", "term", "n_overlap", "n_term", "p_value", "fdr"],
            {"n_overlap": ("in list", COLUMN_HELP["n_overlap"][1])}
            | {"n_term": ("in term", COLUMN_HELP["n_term"][1])},
            formats={"p_value": SCIENTIFIC_2, "fdr": SCIENTIFIC_2},
            style_cell_conditional=GENE_TABLE_CELLS,
        ),
    ]


def _gene_card(context: Any) -> html.Div:
    """The gene space's card: the gene map, a gene's neighbours and the GO terms enriched."""
    return _card(
        "Gene space",
        _gene_controls(context),
        _map_graph(context, ids.GENE_MAP, "gene_space"),
        dcc.Store(id=GENE_MAP_SIZE),
        dcc.Store(id=GENE_MAP_DRAWN),
        html.Div(
            small_button(
                "Gene space as CSV",
                ids.EXPORT_GENE_MAP_CSV,
                title=gene_map_csv_help(context),
            ),
            className="selection-bar",
        ),
        *_neighbours_part(context),
        *_enrichment_part(context),
        class_name="gene-card",
    )


def _place_hint(context: Any, label: str | None) -> html.P:
    """What the placing card takes (formats, scales, limits) and what it says of each sample."""
    return html.P(
        "Upload a matrix of new samples (CSV/TSV or GCT, optionally .gz, or parquet; samples x "
        "genes or genes x samples, genes by symbol or id; raw counts or TPM with the box "
        "beside the upload ticked, values already on the training data's scale with it "
        "unticked). Each is placed on the sample map (black stars) without retraining, and "
        "named by its nearest samples of the map"
        + (
            f" and the majority {annotation_word(label)} of the {context.PLACE_K} nearest"
            if label
            else ""
        )
        + f". Up to {context.MAX_PLACED:,} samples and {context.MAX_PLACE_BYTES // 10**6} MB "
        "here; more with “python -m core embed”.",
        className="hint",
    )


def _place_bar(context: Any) -> html.Div:
    """The placing controls: the drop zone, the log-transform box, its buttons and progress."""
    transform = context.training_transform()
    return html.Div(
        [
            sized_upload(
                dcc.Upload(
                    html.Span(["Drop a matrix here or ", html.A("choose a file")]),
                    id=ids.PLACE_UPLOAD,
                    className="upload",
                    max_size=context.MAX_PLACE_BYTES,
                    multiple=False,
                ),
                context.MAX_PLACE_BYTES,
                "place",
                f"up to {context.MAX_PLACE_BYTES // 10**6} MB are placed here "
                "(use “python -m core embed” for more)",
                title=place_upload_help(context.MAX_PLACE_BYTES),
            ),
            # always offered: also when the model's data were used as they are, placed samples
            # that fit far worse may be raw counts (the warning points here)
            html.Span(
                dcc.Checklist(
                    id=ids.PLACE_TRANSFORM,
                    options=[{"label": place_transform_label(transform), "value": "raw"}],
                    value=["raw"] if transform != "none" else [],
                    className="inline",
                    # kept by the tab: after a reload, samples placed with the box ticked came
                    # back said "(log2p1 applied)" beside an unticked box
                    persistence=True,
                    persistence_type="session",
                ),
                title=CONTROL_HELP[ids.PLACE_TRANSFORM],
            ),
            small_button("Clear", ids.PLACE_CLEAR, n_clicks=0),
            small_button("Placed samples as CSV", ids.EXPORT_PLACED_CSV),
            html.Button(
                PLACE_RETRY_LABEL,
                id=PLACE_RETRY,
                n_clicks=0,
                className="button small",
                title=CONTROL_HELP[PLACE_RETRY],
                style={"display": "none"},
            ),
            html.Span(id=ids.PLACE_RUNNING, className="progress-label"),
            html.Span(id=PLACE_PROGRESS, className="progress-label"),
        ],
        className="selection-bar",
    )


def _place_card(context: Any) -> html.Div:
    """The card that places uploaded samples on the sample map, with their table and job."""
    label = context.es.label_column() if hasattr(context.es, "label_column") else None
    return _card(
        "Place your own samples",
        _place_hint(context, label),
        _place_bar(context),
        html.Div(id=ids.PLACE_INFO, className="hint"),
        _placed_table(label, context.PLACE_K),
        # the placing job: what it places (a new id each time) and whether it runs
        dcc.Store(id=PLACE_REQUEST),
        dcc.Store(id=PLACE_JOB_RUNNING),
        dcc.Store(id=PLACE_SESSION, storage_type="session"),
        dcc.Interval(id=PLACE_RESUME_POLL, interval=1000, disabled=True),
        dcc.Store(id=PLACE_RESTORED),
    )


def _probe_card(context: Any) -> html.Div:
    """The in-silico probe: the profile decoded at a clicked point and the nearest samples."""
    return _card(
        "In-silico probe",
        html.Div(
            "Click anywhere on the sample map (also in empty space).",
            id=ids.PROBE,
            className="hint",
        ),
        html.Div(
            [
                html.Div(
                    [
                        html.H4("Decoded profile: top genes (z vs. samples)"),
                        _table(
                            ids.PROBE_GENES,
                            ["symbol", "predicted", "z"],
                            {
                                "predicted": (
                                    "predicted",
                                    "the value the model decodes at the clicked point"
                                    f"{_scale_words(context)}",
                                )
                            },
                            formats={"predicted": FIXED_2, "z": FIXED_2},
                        ),
                    ],
                    className="half",
                ),
                html.Div(
                    [
                        html.H4(
                            "Nearest samples (simulated)"
                            if context.simulated
                            else "Nearest samples of the dataset"
                        ),
                        _table(
                            ids.PROBE_SAMPLES,
                            ["sample_id", "distance", *context.annotation_columns[:3]],
                            {
                                # GTEx's coded columns said in words (SMTS: tissue)
                                **{
                                    str(c): annotation_header(c)
                                    for c in context.annotation_columns[:3]
                                },
                                "distance": (
                                    "distance on the map",
                                    "from the clicked point, in the map's units",
                                ),
                            },
                            formats={"distance": FIXED_3},
                        ),
                    ],
                    className="half",
                ),
            ],
            className="row",
        ),
    )


def _baseline_share_control(context: Any, share: float) -> html.Div:
    """The choice of how many labelled samples 1-NN learns from, in all or of each class."""
    return html.Div(
        [
            html.Label(
                "Labelled samples 1-NN learns from",
                htmlFor=ids.BASELINES_SHARE,
                title=CONTROL_HELP[ids.BASELINES_SHARE],
            ),
            html.Div(
                dcc.Dropdown(
                    id=ids.BASELINES_SHARE,
                    options=context.accuracy_share_options(),
                    value=share,
                    clearable=False,
                    searchable=False,
                ),
                title=CONTROL_HELP[ids.BASELINES_SHARE],
            ),
            # off: the paper's draw of the share of all labelled samples (Table 1); on, of each
            # class (python -m core evaluate --stratify)
            html.Span(
                dcc.Checklist(
                    id=ids.BASELINES_PER_CLASS,
                    options=per_class_options(context),
                    value=[],
                    className="inline",
                ),
                title=CONTROL_HELP[ids.BASELINES_PER_CLASS],
            ),
        ],
        className="control",
        style={"maxWidth": "320px"},  # (full width, its few words sat in a long box)
    )


def _baseline_card(context: Any) -> html.Div:
    """The baseline maps (PCA, NMF, t-SNE, UMAP) computed on demand, and their 1-NN scores."""
    share = context.default_accuracy_fraction()  # (a link's own: baselines.link_share)
    return _card(
        "Side by side: the same samples in PCA, NMF, t-SNE and UMAP",
        html.Div(
            [
                html.Button(
                    "Compute the baseline maps",  # baselines.COMPUTE_LABEL
                    id=ids.BASELINES_BUTTON,
                    n_clicks=0,
                    className="button",
                    title=CONTROL_HELP[ids.BASELINES_BUTTON],
                ),
                html.Span("", id=ids.BASELINES_PROGRESS, className="hint"),
            ],
            className="selection-bar",
        ),
        dcc.Graph(
            id=ids.BASELINES_GRAPH,
            # low until the maps come: at plotly's default 450 pixels the message sat in a
            # large blank box
            figure=empty_figure(
                "computed on demand in the background (t-SNE takes minutes on large sets)"
            ).update_layout(height=BASELINES_WAITING_HEIGHT),
            config=graph_config(context, "baseline_maps"),
            # (no fixed height: as high as the figure is laid out, 360 px a row of maps)
        ),
        _baseline_share_control(context, share),
        _table(
            ids.BASELINES_TABLE,
            BASELINE_COLUMNS,
            baseline_table_help(context, share),
            formats=BASELINE_FORMATS,
        ),
        html.Div(context.accuracy_note(share), id=ids.BASELINES_NOTE, className="hint"),
    )


def _export_controls() -> html.Div:
    """The figure export's choices (figure, format, size) and its button."""
    return html.Div(
        [
            html.Div(
                [
                    html.Label("Figure", htmlFor=ids.EXPORT_FIGURE),
                    dcc.Dropdown(
                        id=ids.EXPORT_FIGURE,
                        options=[
                            {"label": "sample map", "value": "sample-map"},
                            {"label": "gene space", "value": "gene-map"},
                            {"label": "baseline maps", "value": "baselines"},
                        ],
                        value="sample-map",
                        clearable=False,
                    ),
                ],
                className="control",
                title=CONTROL_HELP[ids.EXPORT_FIGURE],
            ),
            html.Div(
                [
                    html.Label("Format", htmlFor=ids.EXPORT_FORMAT),
                    dcc.RadioItems(
                        id=ids.EXPORT_FORMAT,
                        options=["svg", "pdf", "png"],
                        value="svg",
                        inline=True,
                        className="radio",
                    ),
                ],
                className="control",
                title=CONTROL_HELP[ids.EXPORT_FORMAT],
            ),
            html.Div(
                [
                    html.Label("Size", htmlFor=ids.EXPORT_SIZE),
                    dcc.Dropdown(
                        id=ids.EXPORT_SIZE,
                        options=list(EXPORT_SIZES),
                        value="screen",
                        clearable=False,
                    ),
                ],
                className="control grow",
                title=CONTROL_HELP[ids.EXPORT_SIZE],
            ),
            html.Button(
                "Export figure",
                id=ids.EXPORT_BUTTON,
                n_clicks=0,
                className="button primary",
                title=CONTROL_HELP[ids.EXPORT_BUTTON],
            ),
        ],
        className="controls",
    )


def _export_card() -> html.Div:
    """The export card: a figure saved as SVG, PDF or PNG, and the page's downloads."""
    return _card(
        "Export",
        _export_controls(),
        html.Div(
            "The camera icon of each figure also saves it (SVG) directly from the browser.",
            className="hint",
        ),
        dcc.Download(id=ids.EXPORT_DOWNLOAD),
        dcc.Download(id=ids.EXPORT_CSV_DOWNLOAD),
        dcc.Store(id=ids.MAP_ZOOM),
    )


def _stores() -> list[Any]:
    """The page's address, stores, polls and placed samples' download (nothing shown)."""
    return [
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.MODEL_STATUS),
        dcc.Store(id=ids.TRAIN_REQUEST),
        dcc.Store(id=ids.TRAINED_KEY),
        dcc.Store(id=ids.TRAIN_RUNNING),
        dcc.Store(id=ids.BASELINES_RUNNING),
        dcc.Store(id=ids.BASELINES_REQUEST),
        dcc.Interval(id=ids.BASELINES_POLL, interval=2000, disabled=True),
        dcc.Interval(id=ids.STATUS_POLL, interval=1500, disabled=False),
        dcc.Store(id=ids.SAMPLE_MAP_KIND),
        dcc.Store(id=SAMPLE_MAP_RECOLOUR),
        dcc.Store(id=ids.FOCUS_GENE),
        dcc.Store(id=ids.GENE_SELECTION),
        dcc.Store(id=ids.SELECTION),
        dcc.Store(id=ids.SELECTION_GENES_STORE),
        dcc.Store(id=ids.PROBE_CLICK),
        dcc.Store(id=ids.PLACED),
        dcc.Download(id=ids.PLACED_DOWNLOAD),
    ]


def _footer() -> html.Footer:
    """The footer: the method the page shows, and its paper."""
    return html.Footer(
        "Factorized embeddings (Trofimov et al., 2017): samples and genes embedded jointly by a "
        "network that predicts each expression value from the two embeddings.",
        className="footer",
    )


def build_layout(context: Any) -> html.Div:
    """The whole page for one :class:`dashboard.context.AppContext`."""
    return html.Div(
        [
            *_stores(),
            _header(context),
            html.P(HELP, className="help"),
            _training_panel(),
            _alerts(),
            html.Div([_sample_card(context), _gene_card(context)], className="grid"),
            html.Div([_probe_card(context)], className="grid-1"),
            html.Div([_place_card(context)], className="grid-1"),
            _baseline_card(context),
            _export_card(),
            _footer(),
        ],
        className="page",
    )
