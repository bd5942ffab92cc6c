"""Gene space: the gene map (coloured by gene type or a GO term, the genes of a set that colours
the samples marked), gene search, the gene in focus with its nearest neighbours, their GO terms
and the terms enriched among them."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import numpy as np
from dash import Input, Output, Patch, State, ctx, html, no_update

from core.errors import CoreError, DataError
from dashboard import figures, ids
from dashboard.context import GENE_SET_PRESETS, SPECIFIC_LOWER, preset_name
from dashboard.figure_genes import (
    COLOURING_SET,
    SELECTED_LOWER_NAME,
    SELECTED_NAME,
    category_count,
    colouring_trace,
)
from dashboard.gene_neighbours import (
    COEXP_PENDING,
    _k,
    _none_known_to_go,
    model_enrichment,
    neighbor_tables,
    neighbors_info,
)
from dashboard.layout import (
    COEXP_POLL,
    ENRICHMENT_HEAD,
    ENRICHMENT_TEST,
    ENRICHMENT_TITLE,
    GENE_MAP_DRAWN,
    GENE_MAP_SIZE,
    NEIGHBORS_EMPTY,
    NEIGHBORS_HEAD,
    NEIGHBORS_TITLE,
    SIMULATED_GENES,
    alert_id,
    neighbor_columns,
    waiting_text,
)
from dashboard.layout import alert as _alert
from dashboard.layout import table_records as _records
from dashboard.sample_map import (
    close_hint,
    figure_zoom,
    go_option,
    go_options,
    go_term_columns,
    link_zoom,
    named_genes,
    not_found_option,
    parse_color,
    parse_query,
    unknown_entries,
)
from dashboard.uploads import parse_gene_list

log = logging.getLogger(__name__)


def search_options(context: Any, search: str | None, value: str | None) -> list[dict[str, str]]:
    """Options of ``gene-search``: symbols / Ensembl ids matching ``search`` (value = symbol)."""
    out, seen = [], set()
    typed = (search or "").strip()
    alias = context.alias_of(typed) if len(typed) >= 2 else None
    for j in context.search_genes(typed, limit=30):
        sym = context.gene_symbols[j]
        if sym in seen:
            continue
        seen.add(sym)
        gid = context.gene_ids[j]
        label = sym if gid == sym else f"{sym}  ·  {gid}"
        chosen = sym
        if alias is not None and j in alias.columns:
            label += f"  ·  {typed}, its alias" if not alias.current else f"  ·  {typed}"
            # the alias itself when it names this gene alone: chosen, the page says how it
            # was read (HER2 read as ERBB2, its alias)
            chosen = typed if alias.column == j else sym
        # the dropdown keeps the options whose search text holds what was typed (a versioned
        # id, ENSG...11, as well)
        out.append({"label": label, "value": chosen, "search": f"{sym} {gid} {typed}"})
    missing = not_found_option(context, typed, out)
    if missing is not None:
        out.append(missing)
    if value and value not in {o["value"] for o in out}:  # (AFM, chosen as ALB2: its alias)
        out.insert(0, {"label": value, "value": value, "search": value})
    return out


#: GO terms "Colour genes by" lists for what is typed (3 characters or more).
GENE_GO_OPTIONS = 30


def map_columns(context: Any) -> np.ndarray | None:
    """The dataset columns of the gene map's genes (the model's: fewer than the dataset's with
    ``--top-genes``), or None before the model is ready."""
    st = context.loaded_state()
    if st is None:
        return None
    cols = np.asarray(st.gene_es_index)
    return cols[cols >= 0]


def gene_color_options(context: Any, search: str | None, value: str | None) -> list[dict[str, Any]]:
    """Options of ``gene-color``: ``type`` and GO terms matching ``search`` (``go:<id>``).

    Each term says how many genes of the map it colours (:func:`sample_map.go_option`, as
    "Colour samples by" says them); a term of none is greyed and listed last: chosen, it
    greyed every gene of the map.
    """
    out: list[dict[str, Any]] = [{"label": "gene type", "value": "type"}]
    columns = map_columns(context)
    where = "on the map" if columns is not None else "here"
    out += go_options(context, search or "", GENE_GO_OPTIONS, columns, where)
    if value and value not in {o["value"] for o in out}:
        if value.startswith("go:"):
            # the term chosen (or a link's): it keeps its name once the search text is gone
            out.append(go_option(context, value, columns, where))
        else:
            out.append({"label": value, "value": value})
    return out


def gene_color_state(
    context: Any, trigger: str | None, url_search: str | None, search: str | None, value: Any
) -> tuple[Any, list[dict[str, str]]]:
    """Value and options of ``gene-color``, set together: the colouring of a link (``gcolor``)
    on the first call or a new address, else the options for what is typed.

    A dropdown drops a value that is not among its options: a GO term from a link, set alone,
    was dropped before its option came, and the map stayed coloured by gene type.
    """
    new = no_update
    if trigger in (None, ids.URL):
        color, problem = link_gene_color(context, url_search)
        if color is not None:
            new = value = color
        elif problem is not None or value not in (None, "type"):
            # an unknown GO term stayed the value, and so in the address bar, after the page
            # said it was unknown: gene type instead (:func:`dashboard.export.view_settings`
            # says why); an address without gcolor (Back to a view before the gene map was
            # coloured) is coloured by gene type
            new = value = "type"
    return new, gene_color_options(context, search, value)


def link_gene_color(context: Any, url_search: str | None) -> tuple[str | None, str | None]:
    """The gene colouring a link sets (``gcolor=type`` or ``gcolor=go:GO:0006936``).

    A GO id without ``go:`` or in lower case is corrected.

    Returns
    -------
    (value of ``gene-color`` or None, what is wrong with the link's ``gcolor`` or None)
    """
    color = (parse_query(url_search).get("gcolor") or "").strip()
    if not color:
        return None, None
    if color == "type":
        return "type", None
    go_id = color[3:] if color.lower().startswith("go:go:") else color
    if not go_id.upper().startswith("GO:"):
        return None, f"gcolor={color!r} is neither 'type' nor a GO term such as go:GO:0006936"
    go = context.ontology()
    if go is None:
        return None, f"gcolor={color!r}: the Gene Ontology is not available here"
    try:  # an alt_id (secondary id, as older annotations and links name terms): its term
        go_id = go.primary_id(go_id.upper())
    except CoreError:
        unknown = go_id.upper()
        return None, f"gcolor={color!r}: {unknown} is not a term of the Gene Ontology used here"
    return f"go:{go_id}", None


def gene_labels(context: Any, color: str | None) -> tuple[np.ndarray, str]:
    """Category of every model gene for the gene map -> ((n_model_genes,) labels, title)."""
    st = context.require_state()
    cols = st.gene_es_index
    if color and color.startswith("go:"):
        go_id = color[3:]
        member = context.go_term_members(go_id)
        lab = np.where(cols >= 0, member[np.maximum(cols, 0)], False)
        name = go_id
        go = context.ontology()
        if go is not None and go_id in go.terms.index:
            name = f"{go.terms.loc[go_id, 'name']} ({go_id})"
        return np.where(lab, "annotated", "not annotated"), name
    types = context.gene_table()["gene_type"].to_numpy(dtype=object)
    return np.where(cols >= 0, types[np.maximum(cols, 0)], "unknown"), "gene type"


def model_rows(context: Any, symbols: list[str]) -> list[int]:
    """Rows in the model's gene order of the given symbols (unknown ones skipped)."""
    st = context.require_state()
    rows = []
    for s in symbols:
        try:
            m = int(st.es_model_index[context.gene_index(s)])
        except DataError:
            continue
        if m >= 0:
            rows.append(m)
    return rows


def focus_in_model(context: Any, focus: str | None) -> str | None:
    """The gene in focus as the gene map draws it (a star and its neighbours' rings), or None
    when it is no gene of the model: a link's ``?gene=KRT5`` on data without KRT5, a gene of
    the data the model was not trained on. (A file of the map was titled "KRT5 and its 0
    nearest neighbours", and named by KRT5, with no KRT5 drawn.)"""
    name = str(focus or "").strip()
    return name if name and model_rows(context, [name]) else None


@dataclass(frozen=True)
class ColouringSet:
    """The genes of the set that colours the samples, as the gene map marks them.

    Attributes
    ----------
    name
        What the set is (``liver development``, ``Keratins``, ``KRT5, KRT14 and 3 more``).
    rows
        Rows in the model's gene order of its genes that the model was trained on.
    absent
        Its genes here that the model was not trained on (``--top-genes``): counted, not drawn.
    """

    name: str
    rows: tuple[int, ...]
    absent: int

    @property
    def legend(self) -> str:
        """``genes of the colouring: liver development (11)``, the absent ones counted."""
        n = f"{len(self.rows):,}"
        if self.absent:
            n += f"; {self.absent:,} not in the model, not drawn"
        return f"{COLOURING_SET}: {self.name} ({n})"


#: Characters of the genes of a gene list named in the legend (the others counted).
LISTED_NAME_CHARS = 40


def colouring_set(context: Any, color_by: str | None) -> ColouringSet | None:
    """The genes behind a ``color-by`` value that colours the samples by a set of genes (a
    typed or uploaded list, a preset, a GO term; see :func:`dashboard.sample_map.resolve_color`),
    or None: one gene, an annotation, no model, or a value that names no gene here (the sample
    map says what is wrong with it)."""
    st = context.state()
    if st is None or not color_by:
        return None
    try:
        kind, arg = parse_color(color_by)
        if kind == "set":
            arg = preset_name(arg)  # (raises CoreError for an unknown one: None)
            cols, name = context.gene_set(GENE_SET_PRESETS[arg]), arg.split(" (")[0]
        elif kind == "go":
            _, name, cols = go_term_columns(context, arg)
        elif kind == "list":
            cols, _ = context.gene_list_columns(parse_gene_list(arg))
            name = named_genes([context.gene_symbols[j] for j in cols], LISTED_NAME_CHARS)
        else:
            return None
    except CoreError:
        return None
    model = np.asarray(st.es_model_index)[np.asarray(list(cols), dtype=int)]
    if not model.size:
        return None
    return ColouringSet(str(name), tuple(int(r) for r in model[model >= 0]), int((model < 0).sum()))


def build_gene_figure(
    context: Any,
    color: str | None,
    focus: str | None,
    k: Any,
    selection_genes: list[str] | None,
    webgl: bool = True,
    status: dict[str, Any] | None = None,
    plot_size: Any = None,
    zoom: dict[str, Any] | None = None,
    color_by: str | None = None,
    keep_slot: bool = False,
    lower: bool = False,
) -> tuple[Any, Any]:
    """The gene map with the gene in focus, its neighbours and the selection's genes (``lower``:
    those lower in it, so named in the legend), and the genes of the set that colours the
    samples.

    ``zoom``: the axis ranges a link opened the page with (``sample_map.link_zoom``); the
    user's own zoom is kept by ``uirevision``.

    ``status`` (``model-status``) says why there is no model yet, if there is none.
    ``plot_size`` (the ``gene-map-size`` store: ``{"width", "height"}`` of the map's plot area
    in the page, in pixels, and ``"x"``, ``"y"``, the axis ranges, while the map is zoomed)
    spaces the neighbours' labels for what is in view; without a plausible one (nothing
    measured yet, an exported file) they are spaced for :data:`figures._PLOT_PX`
    (:func:`figures.plot_area`).
    ``color_by`` (the ``color-by`` value): a gene list, preset or GO term marks its genes
    (:func:`colouring_set`). ``keep_slot``: the map holds the trace of those genes even when no
    set colours the samples (empty, out of the legend), for a new colouring to be sent as that
    trace alone (:func:`colouring_patch`); the page's maps do.

    Returns
    -------
    (figure, alert or None)
    """
    st = context.state()
    if st is None:
        return figures.empty_figure(waiting_text(status)), None
    alert = None
    try:
        labels, title = gene_labels(context, color)
    except CoreError as exc:
        labels, title = gene_labels(context, "type")
        alert = _alert(str(exc))
    else:
        if color and color.startswith("go:") and not (labels == "annotated").any():
            # the map would be all grey, with nothing to say why
            alert = _alert(
                f"none of the {len(labels):,} genes of the map is annotated with {title} "
                "(nor with a more specific term): every gene is grey",
                "warning",
            )
    symbols = np.array(
        [context.gene_symbols[c] if c >= 0 else "" for c in st.gene_es_index], dtype=object
    )
    focus_row, neighbor_rows = None, []
    if focus:
        rows = model_rows(context, [focus])
        if rows:
            focus_row = rows[0]
            nb = context.neighbors(context.gene_index(focus), _k(k, context))
            neighbor_rows = model_rows(context, list(nb["symbol"]))
    marks = colouring_set(context, color_by)
    fig = figures.gene_map_figure(
        st.gene_layout,
        symbols,
        labels,
        color_title=title,
        focus=focus_row,
        neighbors=neighbor_rows,
        selected=model_rows(context, list(selection_genes or [])),
        selected_name=SELECTED_LOWER_NAME if lower else SELECTED_NAME,
        method=st.info.get("gene_layout", "UMAP"),
        title=f"Genes ({len(symbols):,}) — {st.info.get('gene_layout', '')} of "
        + (
            f"the gene embeddings of {st.info['joined_models']} runs joined"
            if st.info.get("joined_models")
            else f"{st.info['gene_dim']}-D gene embeddings"
        ),
        uirevision=st.key,
        webgl=webgl,
        plot_px=figures.plot_area(plot_size),
        view=figures.plot_view(plot_size),
        marked=marks.rows if marks else [] if keep_slot else None,
        marked_name=marks.legend if marks else COLOURING_SET,
    )
    key = figure_key(context, color, focus, k, selection_genes, _marks_key(marks, keep_slot))
    base = figure_key(context, color, focus, k, selection_genes)
    fig.update_layout(meta={FIGURE_KEY: key, BASE_KEY: base})
    figures.set_ranges(fig, zoom)
    if context.simulated:
        figures.mark_simulated(fig)
    return fig, alert


#: Name, in the gene map's ``layout.meta``, of what the figure was drawn from
#: (:func:`figure_key`); ``assets/plot_size.js`` sends it back with the size it measured.
FIGURE_KEY = "figure_key"
#: Name, in the gene map's ``layout.meta``, of what it was drawn from, the colouring of the
#: samples aside (:func:`figure_key` without the marked genes): the page copies it to
#: ``layout.GENE_MAP_DRAWN`` at each new figure, for :func:`gene_map_update` to tell whether a
#: new colouring can be sent as its trace alone.
BASE_KEY = "base_key"


def figure_key(
    context: Any,
    color: str | None,
    focus: str | None,
    k: Any,
    selection_genes: Any,
    marks: Any = None,
) -> str:
    """What a gene map was drawn from (model, colouring, gene in focus, number of neighbours,
    the selection's genes, the genes marked for the samples' colouring: :func:`_marks_key`),
    short: two maps of the same key differ only in their labels."""
    st = context.state()
    what = [
        st.key if st is not None else None,
        color,
        focus,
        _k(k, context),
        [str(g) for g in selection_genes or []],
    ]
    if marks is not None:  # (maps without the trace keep the keys they had)
        what.append(marks)
    return hashlib.sha1(json.dumps(what, default=str).encode()).hexdigest()[:16]


def _marks_key(marks: ColouringSet | None, keep_slot: bool) -> Any:
    """The part of a map's key (:func:`figure_key`) that the colouring's genes make: None
    without their trace, else what it shows."""
    if marks is None:
        return [] if keep_slot else None
    return [marks.legend, list(marks.rows)]


def colouring_patch(
    context: Any,
    color: str | None,
    focus: str | None,
    k: Any,
    selection_genes: list[str] | None,
    color_by: str | None,
) -> Any:
    """What a new colouring of the samples changes on a gene map the page drew with the trace
    of the colouring's genes (``keep_slot``): that trace (its genes, or empty) and the map's
    key, as a ``Patch``; the points of every gene, which can weigh megabytes, stay in the page.
    ``no_update`` before there is a model (the page shows why there is no map).

    The trace follows the gene map's categories (:func:`figures.gene_map_figure`): its index
    is their number, which the gene colouring (``color``) gives.
    """
    st = context.state()
    if st is None:
        return no_update
    try:
        labels, _ = gene_labels(context, color)
    except CoreError:  # as the map was drawn (build_gene_figure)
        labels, _ = gene_labels(context, "type")
    marks = colouring_set(context, color_by)
    symbols = np.array(
        [context.gene_symbols[c] if c >= 0 else "" for c in st.gene_es_index], dtype=object
    )
    trace = colouring_trace(
        st.gene_layout,
        symbols,
        labels,
        marks.rows if marks else [],
        marks.legend if marks else COLOURING_SET,
    )
    patch = Patch()
    patch["data"][category_count(labels)] = trace.to_plotly_json()
    key = figure_key(context, color, focus, k, selection_genes, _marks_key(marks, True))
    patch["layout"]["meta"][FIGURE_KEY] = key
    return patch


def gene_map_update(
    context: Any,
    triggers: Collection[Any],
    status: dict[str, Any] | None,
    color: str | None,
    focus: str | None,
    k: Any,
    selection_genes: list[str] | None,
    plot_size: Any,
    url_search: str | None = None,
    color_by: str | None = None,
    drawn: str | None = None,
    map_zoom: dict[str, Any] | None = None,
    lower: bool = False,
) -> tuple[Any, Any]:
    """The ``gene-map`` callback: :func:`build_gene_figure` on the plot size the page measured,
    zoomed as the page's link says (``gzoom``), the genes of the samples' colouring marked
    (``lower``: the selection's genes listed are those lower in it, the choice by their table).

    ``triggers`` are the ids of the inputs that changed. A new size or view alone
    (``gene-map-size``: the window was resized, the map was first drawn, zoomed, panned or
    reset) only moves labels, and there are none without a gene in focus: the figure is then
    left as it is (``no_update``) rather than sent again; with one, only its labels are sent
    (:func:`label_patch`) when the store says the map in the page was drawn from the same
    inputs (:func:`figure_key`), else the whole map. The figure keeps the user's zoom
    (``uirevision``).

    ``color_by`` (the ``color-by`` value): the page gives it (None while the dropdown is empty
    counts as no set), and every map it draws holds the trace of the colouring's genes
    (``keep_slot``); a new colouring alone, onto a map the page has measured, sends only that
    trace (:func:`colouring_patch`), empty for one gene or an annotation: the map's points are
    not sent again for each colour change. Without it (None: a caller that has no colouring)
    the map has no such trace.

    ``map_zoom`` (the ``map-zoom`` store): the axis ranges the user zoomed the map to, which
    a new map keeps (:func:`sample_map.figure_zoom`; else the link's ``gzoom``). ``uirevision``
    alone did not keep them: the page's copy of the figure takes the zoom in, so a map sent
    after a Patch (labels, colouring) made the zoom the figure's own, and the next map, without
    ranges, reset it to the whole map while the link kept ``gzoom``.

    ``drawn`` (the ``gene-map-drawn`` store): what the map in the page was drawn from, the
    colouring aside (:data:`BASE_KEY`). The colouring's trace alone is sent only onto a map of
    the inputs it is computed for: when the user changes the gene colouring (or the gene in
    focus...) and then the samples' colouring before the new map arrives, Dash drops the map
    for the newer call, and a trace alone would land on the older map (at the index of other
    categories), which would then stay until the next redraw; the whole map is sent instead.

    Returns
    -------
    (figure, label or colouring Patch or no_update; alert or None or no_update)
    """
    linked = color_by is not None
    recolour = linked and set(triggers) == {ids.COLOR_BY}
    if recolour and context.state() is None:
        return no_update, no_update  # no model yet: the page shows why there is no map
    # a map drawn in the page of these inputs holds the trace (the blank figure of a model in
    # training has no key): anything else, or a map still on its way, gets the whole map
    if (
        recolour
        and drawn is not None
        and drawn == figure_key(context, color, focus, k, selection_genes)
    ):
        return colouring_patch(context, color, focus, k, selection_genes, color_by), no_update
    only_size = set(triggers) == {GENE_MAP_SIZE}
    if only_size and not focus:
        return no_update, no_update
    zoom = (
        figure_zoom(context, map_zoom, ids.GENE_MAP, url_search)
        if map_zoom is not None
        else link_zoom(url_search, ids.GENE_MAP, context)
    )
    if set(triggers) == {ids.URL} and not zoom and isinstance(plot_size, dict):
        return no_update, no_update  # a link without a zoom, onto a map already drawn
    fig, alert = build_gene_figure(
        context,
        color,
        focus,
        k,
        selection_genes,
        status=status,
        plot_size=plot_size,
        zoom=zoom,
        color_by=color_by,
        keep_slot=linked,
        lower=lower,
    )
    # only the labels, when the map in the page is of the same inputs: a map sent for a new
    # gene in focus and still on its way when the user zooms is dropped by Dash for the newer
    # call, and the labels of the new neighbours would land on the rings of the old ones
    drawn = plot_size.get(FIGURE_KEY) if isinstance(plot_size, dict) else None
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    if only_size and drawn is not None and drawn == meta.get(FIGURE_KEY):
        return label_patch(fig), alert
    return fig, alert


def label_patch(fig: Any) -> Patch:
    """What differs between gene maps of the same inputs spaced for other plot sizes or views:
    the labels of the rings and of the star (text, position, mode) and the layout's annotations
    (the focus label with an arrow). Sent instead of the figure, whose points (every gene, with
    its hover) can weigh megabytes on a genome-wide map, after each resize, zoom or pan."""
    patch = Patch()
    for i, trace in enumerate(fig.data):
        if trace.name == "nearest neighbours" or "in focus" in str(trace.hovertemplate or ""):
            positions = trace.textposition
            patch["data"][i]["text"] = [str(t) for t in trace.text]
            patch["data"][i]["textposition"] = (
                positions if isinstance(positions, str) else list(positions)
            )
            patch["data"][i]["mode"] = trace.mode
    patch["layout"]["annotations"] = [a.to_plotly_json() for a in fig.layout.annotations]
    return patch


#: Most genes a box or lasso on the gene map lists and tests for enriched GO terms: more make
#: a table no one reads, and the terms of a large part of the map are those of the map.
MAX_SELECTED_GENES = 500


def genes_from_selected(selected: dict[str, Any] | None) -> list[str] | None:
    """Symbols of the genes in a gene map's ``selectedData`` (each point's ``customdata``),
    once each, sorted; None when there is no selection (none drawn, or a double-click cleared
    it: plotly sends None, or no point and no box when a click in the box mode takes the box
    away); ``[]`` for a box or lasso around no gene. A gene drawn twice (in its category and
    as a neighbour's ring) counts once."""
    if not isinstance(selected, dict):
        return None
    if not selected.get("points") and not (selected.get("range") or selected.get("lassoPoints")):
        return None
    genes = set()
    for point in selected.get("points") or []:
        sym = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(sym, list):
            sym = sym[0] if sym else None
        if isinstance(sym, str) and sym:
            genes.add(sym)
    return sorted(genes)


#: Where the genes of a ``gene-selection`` store without a ``source`` come from.
MAP_SOURCE = "selected on the gene map"
#: How the source of the genes lower in a sample selection starts (:func:`specific_source`).
LOWER_SOURCE = "lower in"


def specific_source(sample_selection: Any, lower: bool = False) -> str:
    """Where the specific genes of a sample selection come from, in the page's words
    (``specific to the selection of 863 samples``; ``..., against the reference group of 431
    samples`` while one is kept), from the ``selection`` store; ``lower``: the genes lower in
    it (``lower in the selection of 863 samples``)."""
    rows = (sample_selection or {}).get("rows") if isinstance(sample_selection, dict) else None
    n = len(set(rows)) if isinstance(rows, list) else 0
    said = f"{LOWER_SOURCE if lower else 'specific to'} the selection of {n:,} sample"
    said += "" if n == 1 else "s"
    reference = (sample_selection or {}).get("reference") if isinstance(rows, list) else None
    if isinstance(reference, list) and reference:
        left = len(set(reference) - set(rows or []))
        said += f", against the reference group of {left:,} sample{'' if left == 1 else 's'}"
    return said


def gene_selection_update(
    trigger: Any,
    selected: dict[str, Any] | None,
    specific: list[str] | None = None,
    sample_selection: Any = None,
    current: Any = None,
    lower: bool = False,
) -> dict | None:
    """The ``gene-selection`` store: the genes of a box or lasso on the gene map
    (:func:`genes_from_selected`), or None once a gene is in focus (clicked or searched) or the
    selection is cleared: the tables then list the neighbourhood again.

    ``trigger`` ``selection-genes-go`` (the button by the specific-genes table): the genes that
    table lists (``specific``, the ``selection-genes-store``; at most
    :data:`MAX_SELECTED_GENES`), with where they come from (``source``:
    :func:`specific_source` of the ``selection`` store, ``sample_selection``, and of the
    direction of the genes the table lists, ``lower``).
    ``selection-genes-store`` (a new sample selection, or none): the specific genes of the
    former one (``current``, the store now; a link's too, :func:`link_gene_selection`) give way
    to the neighbourhood; a box's genes stay.
    A box cleared on the gene map while the tables list specific genes (the page takes a box
    drawn before off the map when the button lists them) leaves them listed.
    """
    if trigger == ids.FOCUS_GENE:
        return None
    listed = [str(g) for g in specific or []][:MAX_SELECTED_GENES]
    if trigger == ids.SELECTION_GENES_GO:
        if not listed:
            return no_update
        return {"genes": listed, "source": specific_source(sample_selection, lower)}
    if trigger == ids.SELECTION_GENES_STORE:
        if isinstance(current, dict) and isinstance(current.get("rows"), list):
            # a link's genes specific to its selection (link_gene_selection): kept while that
            # selection is the page's (the link read), else they said "specific to the
            # selection of 2 samples" beside another selection, and a link shared then too
            # the same with the reference group: the genes listed against the left ventricle
            # stayed, labelled as against all others, once the page compared with all others
            rows = sample_selection.get("rows") if isinstance(sample_selection, dict) else None
            ref = sample_selection.get("reference") if isinstance(sample_selection, dict) else None
            same = isinstance(rows, list) and sorted(set(rows)) == current["rows"]
            same = same and sorted(set(ref or [])) == current.get("reference", [])
            # and with the direction: the link's lower genes go once the table lists higher ones
            same = same and bool(current.get("lower")) == bool(lower)
            return no_update if same else None
        if isinstance(current, dict) and current.get("source"):
            same = listed == current.get("genes") and (
                current.get("source") == specific_source(sample_selection, lower)
            )
            return no_update if same else None
        return no_update
    genes = genes_from_selected(selected)
    if genes is None and isinstance(current, dict) and current.get("source"):
        # the box taken off the map when the button listed the specific genes: they stay
        return no_update
    return None if genes is None else {"genes": genes}


def selected_genes(store: Any) -> list[str] | None:
    """The genes of a ``gene-selection`` store, or None (no selection)."""
    if not isinstance(store, dict) or not isinstance(store.get("genes"), list):
        return None
    return [str(g) for g in store["genes"]]


def selection_source(store: Any) -> str:
    """Where the genes of a ``gene-selection`` store come from (``selected on the gene map``,
    ``specific to the selection of 863 samples``), to follow their number: its ``source``, or
    the ``label`` of a selection a link gave (:func:`link_gene_selection`)."""
    for key in ("source", "label"):
        source = store.get(key) if isinstance(store, dict) else None
        if isinstance(source, str) and source.strip():
            return source
    return MAP_SOURCE


#: A link's ``gsrc`` for genes specific to a sample selection (the link's ``sel``); a link
#: without it holds genes selected on the gene map.
LINK_SPECIFIC = "sel"


def link_gene_param(store: Any) -> dict[str, str]:
    """The parts of a link that hold a ``gene-selection`` store: ``gsel`` (its genes' symbols,
    comma-separated, in its order; one holding a comma or a ``%`` percent-quoted) and, for
    genes specific to a sample selection, ``gsrc=sel``; empty without a selection."""
    genes = selected_genes(store)
    if not genes:
        return {}
    # (a symbol that holds a comma, or a %, is quoted: split on the commas, "A,B" was two genes)
    out = {"gsel": ",".join(quote(g, safe="") if "," in g or "%" in g else g for g in genes)}
    if selection_source(store) != MAP_SOURCE:
        out["gsrc"] = LINK_SPECIFIC
    return out


def _link_genes(url_search: str | None) -> list[str]:
    """The entries of a link's ``gsel``, once each, in its order (a symbol quoted by
    :func:`link_gene_param` read back)."""
    text = parse_query(url_search).get("gsel") or ""
    return list(dict.fromkeys(unquote(g).strip() for g in text.split(",") if g.strip()))


def link_gene_selection(context: Any, url_search: str | None) -> dict | None:
    """The ``gene-selection`` store a link holds (``gsel=MYH7,MYL2,...``, made by
    :func:`link_gene_param`): its genes as the page names them, those that name no gene here
    left out (said by :func:`link_gene_problem`); None for a link without one, or with no gene
    known here: the tables list the gene in focus's neighbours.

    Genes specific to a sample selection (``gsrc=sel``) are labelled by the link's ``sel``, as
    the button that listed them labelled them (and its ``ref``), and keep its ``rows`` (and
    ``reference``): another sample selection, or reference group, takes them away
    (:func:`gene_selection_update`), as it takes the button's. The store has no
    ``source`` (the link's own selection, read as the page opens, would take them away); the
    map's double-click treats them as a box's genes."""
    cols = gene_columns(context, _link_genes(url_search))[0]
    if not cols:
        return None
    store: dict[str, Any] = {"genes": [str(context.gene_symbols[j]) for j in cols]}
    q = parse_query(url_search)
    if q.get("gsrc") == LINK_SPECIFIC:
        from dashboard.selection import decode_rows

        def read(param: str) -> list[int]:
            try:
                return decode_rows(q[param], context.n_samples) if q.get(param) else []
            except DataError:
                return []

        # (the link's reference group too: "against the reference group of 426 samples")
        rows, reference = read("sel"), read("ref")
        lower = q.get("dir") == SPECIFIC_LOWER  # (selection.LINK_DIRECTION)
        store["label"] = (
            specific_source({"rows": rows, "reference": reference}, lower)
            if rows
            else f"{LOWER_SOURCE if lower else 'specific to'} a selection of samples"
        )
        if lower:  # (the table listing the higher genes takes them away)
            store["lower"] = True
        if rows:  # (the sample selection they are specific to: another one takes them away)
            store["rows"] = sorted(set(rows))
            if reference:  # (and the reference group: another one, or none, takes them away)
                store["reference"] = sorted(set(reference))
    return store


def link_gene_problem(context: Any, url_search: str | None) -> str | None:
    """What is wrong with a link's gene selection (``gsel``): its entries that name no gene
    here, with the genes close to them (``did you mean``), and those that name a gene of the
    dataset outside the model (not on the gene map, as a box cannot hold them); or None."""
    _, unknown, unmodelled = gene_columns(context, _link_genes(url_search))
    problems = []
    if unknown:
        problems.append(
            "not in this dataset, ignored in the gene selection (gsel): "
            + unknown_entries(unknown)
            + close_hint(context, unknown)
        )
    if unmodelled:
        problems.append(
            "not in the model (not on the gene map), ignored in the gene selection (gsel): "
            + unknown_entries(unmodelled)
        )
    return "; ".join(problems) or None


def gene_selection_from_link(context: Any, url_search: str | None, current: Any) -> Any:
    """The ``gene-selection`` store when the page reads its link (opened, or Back and
    Forward): the link's selection (:func:`link_gene_selection`), or none, so that Back to a
    view without one lists the gene in focus's neighbours again; ``no_update`` when both are
    none."""
    store = link_gene_selection(context, url_search)
    if store is None and current is None:
        return no_update
    return store


def gene_columns(context: Any, genes: list[str]) -> tuple[list[int], list[str], list[str]]:
    """Dataset columns of the model's genes among ``genes`` (symbols or other names), once each
    in their order; the entries that name no gene here; and those that name a gene of the
    dataset that is not one of the model's (:meth:`AppContext.modelled`: not on the gene map).

    The map's points carry the page's own symbols, read directly; another name is looked up
    (:meth:`AppContext.gene_index`). A box around a whole map of GTEx's 56,200 genes was a
    search through a growing list for every gene: seconds, quadratic in their number."""
    by_symbol = {str(s): j for j, s in enumerate(context.gene_symbols)}
    cols: list[int] = []
    unknown: list[str] = []
    unmodelled: list[str] = []
    seen: set[int] = set()
    for g in genes:
        j = by_symbol.get(str(g))
        if j is None:
            try:
                j = context.gene_index(g)
            except DataError:
                unknown.append(str(g))
                continue
        if j in seen:
            continue
        seen.add(j)
        if context.modelled(j):
            cols.append(j)
        else:
            unmodelled.append(str(g))
    return cols, unknown, unmodelled


def _selection_columns(context: Any, genes: list[str]) -> list[int]:
    """Dataset columns of the model's genes among ``genes`` (symbols), in their order
    (:func:`gene_columns`)."""
    return gene_columns(context, genes)[0]


def selection_rows(context: Any, cols: list[int]) -> list[dict]:
    """Rows of the ``gene-neighbors`` table for the selected genes (dataset columns): the
    neighbour table's columns, without a rank or a distance (no gene is the query)."""
    described = context.gene_columns(cols)
    blank = [None] * len(cols)
    rows = {"rank": blank, **described, "distance": blank}
    return [dict(zip(rows, values, strict=True)) for values in zip(*rows.values(), strict=True)]


def _genes(n: int) -> str:
    return f"{n:,} gene{'' if n == 1 else 's'}"


def selection_tables(
    context: Any, genes: list[str], source: str = MAP_SOURCE
) -> tuple[list[dict], list[dict], Any]:
    """Rows of the ``gene-neighbors`` and enrichment tables for the genes of a box or lasso on
    the gene map: the genes (:func:`selection_rows`) and the GO BP terms enriched among them,
    against the model's genes (those the map draws), as a neighbourhood's.

    One gene gets no test, more than :data:`MAX_SELECTED_GENES` neither table; the page says
    why. ``source``: where the genes come from (:func:`selection_source`), as the page says it.

    Returns
    -------
    (gene rows, enrichment rows, alert)
    """
    if context.state() is None:
        return [], [], None
    cols = _selection_columns(context, genes)
    n = len(cols)
    on_map = source == MAP_SOURCE
    if n == 0:  # (genes of another model's map)
        if not on_map:
            return [], [], _alert(f"no gene {source} is on the gene map", "info")
        return [], [], _alert("no gene of the selection is on the map: draw another box", "info")
    if n > MAX_SELECTED_GENES:
        return (
            [],
            [],
            _alert(
                f"{_genes(n)} {source}: at most {MAX_SELECTED_GENES} are listed "
                "and tested for GO terms" + ("; draw a smaller box or lasso" if on_map else ""),
                "warning",
            ),
        )
    rows = selection_rows(context, cols)
    if n == 1:
        return (
            rows,
            [],
            _alert(
                f"1 gene {source} ({rows[0]['symbol']}): "
                + (
                    "draw around 2 genes or more to test them for GO terms they share, or click "
                    "it to list its neighbours"
                    if on_map
                    else "2 genes or more are tested for GO terms they share; click it on the "
                    "gene map or find it to list its neighbours"
                ),
                "info",
            ),
        )
    try:
        enr = model_enrichment(context, cols)
    except CoreError as exc:
        return rows, [], _alert(str(exc))
    alert = None
    if context.ontology() is None:
        alert = _alert("Gene Ontology not available: no GO terms or enrichment", "warning")
    elif enr.empty:
        among = f"among the {_genes(n)} {source}"
        bare = _none_known_to_go(context, cols, among)
        alert = _alert(
            bare or f"no GO biological-process term is enriched (FDR ≤ 0.25) {among}", "info"
        )
    return rows, _records(enr), alert


def selection_info(context: Any, rows: list[dict], source: str = MAP_SOURCE) -> str:
    """The line above the gene table for a selection: how many genes and where they come from
    (``source``: :func:`selection_source`), how many of them without a GO biological-process
    annotation, how to go back to a neighbourhood."""
    n = len(rows)
    text = f"{_genes(n)} {source}"
    if context.ontology() is not None:
        bare = sum(1 for r in rows if not r.get("go_terms"))
        text += f" ({bare:,} of them without a GO biological-process annotation)"
    if getattr(context, "simulated", False):  # (as the neighbour line says of a gene's)
        text += f". {SIMULATED_GENES[:-1]}"
    if source != MAP_SOURCE:
        return f"{text}. Click or find a gene to list its neighbours."
    return (
        f"{text}. Double-click the map to clear the selection, or click or find a gene to list "
        "its neighbours."
    )


#: What the enrichment of the demo's genes adds under its terms (:data:`SIMULATED_GENES` says
#: why in the gene table's line above).
SIMULATED_ENRICHMENT = "SIMULATED data: these terms show how the simulation was built, not biology."


def enrichment_info(
    context: Any,
    focus: str | None,
    rows: list[dict],
    enrichment: list[dict],
    selection: bool = False,
    source: str = MAP_SOURCE,
) -> str:
    """The line above the enrichment table: which GO it uses, then how many terms are enriched
    among the gene in focus and its neighbours, or among the genes of a selection on the gene
    map (``selection``; ``source``: where they come from, :func:`selection_source`). An empty
    table read as still loading once the message that no term was enriched had gone (messages
    go after 8 seconds)."""
    caption = context.ontology_caption()
    if selection and len(rows) > 1 and context.ontology() is not None:
        n = len(enrichment)
        among = f"among the {_genes(len(rows))} {source}"
        cols = [] if n else _row_columns(context, rows)
        bare = _none_known_to_go(context, cols, among) if cols else None
        if bare:  # (the alert's reason: "no term is enriched" read as tested)
            return f"{caption}. {bare[0].upper()}{bare[1:]}."
        found = f"{n} term{' is' if n == 1 else 's are'} enriched" if n else "no term is enriched"
        text = f"{caption}. {found[0].upper()}{found[1:]} {among} (FDR ≤ 0.25)."
        if n and getattr(context, "simulated", False):  # ("complement activation" read as real)
            text += f" {SIMULATED_ENRICHMENT}"
        return text
    if selection or not focus or not rows or context.ontology() is None:
        return caption
    focus_name = focus
    try:  # a symbol of several genes: which one (Y_RNA (ENSG00000201001))
        focus = context.gene_label(context.gene_index(focus))
    except CoreError:
        pass
    n, m = len(enrichment), len(rows)
    among = f"among {focus} and its {m} neighbour{'' if m == 1 else 's'}"
    if not n:
        cols = _row_columns(context, [{"symbol": focus_name}, *rows])
        bare = _none_known_to_go(context, cols, among) if cols else None
        if bare:  # (the alert's reason: "no term is enriched" read as tested)
            return f"{caption}. {bare[0].upper()}{bare[1:]}."
    found = f"{n} term{' is' if n == 1 else 's are'} enriched" if n else "no term is enriched"
    return f"{caption}. {found[0].upper()}{found[1:]} {among} (FDR ≤ 0.25)."


def _row_columns(context: Any, rows: list[dict]) -> list[int]:
    """The dataset columns of the genes of table ``rows`` (by ``gene_id``, else ``symbol``);
    a gene the dataset lacks is left out."""
    cols = []
    for row in rows:
        name = row.get("gene_id") or row.get("symbol")
        if not name:
            continue
        try:
            cols.append(int(context.gene_index(name)))
        except CoreError:
            continue
    return cols


def _shows(alert: Any, text: str) -> bool:
    """Whether ``alert`` (an alert, several in a Div, or None) holds one that says ``text``."""
    if isinstance(alert, str):
        return alert == text
    if isinstance(alert, (list, tuple)):
        return any(_shows(a, text) for a in alert)
    return alert is not None and _shows(getattr(alert, "children", None), text)


def table_heads(selection: Any) -> tuple[str, str]:
    """The gene tables' headings: the gene in focus and its neighbours, or, while a selection
    of genes fills the tables, where its genes come from (the headings said "the gene and its
    neighbours" over the genes specific to a sample selection)."""
    if selected_genes(selection):
        source = selection_source(selection)
        return f"Genes {source}", f"GO biological processes enriched among them {ENRICHMENT_TEST}"
    return NEIGHBORS_TITLE, ENRICHMENT_TITLE


def neighbor_update(
    context: Any, focus: str | None, k: Any, selection: Any, tick: bool = False
) -> tuple:
    """The neighbour table's callback: :func:`gene_tables`, the table's columns, whether
    ``coexp-poll`` is disabled (enabled while the table says it waits for the co-expression
    cut, :data:`COEXP_PENDING`) and the two tables' headings (:func:`table_heads`).

    A tick of ``coexp-poll`` (``tick``) changes nothing while the cut is being computed; once it
    is known or failed it builds the table again (what choosing the gene costs: the model in
    memory, the cut read back), which marks the pairs or says why not, and disables the poll.
    """
    if tick and context.coexp_pending():
        return (no_update,) * 9
    tables = gene_tables(context, focus, k, selection)
    # (polls while the table says it waits: a cut that failed as the table was built, said
    # pending, is said failed at the next tick)
    waiting = _shows(tables[2], COEXP_PENDING)
    return (*tables, gene_table_columns(context, selection), not waiting, *table_heads(selection))


def register_callbacks(app: Any) -> None:
    context = app.fe_context

    @app.callback(
        Output(ids.GENE_COLOR, "value"),
        Output(ids.GENE_COLOR, "options"),
        Input(ids.URL, "search"),
        Input(ids.GENE_COLOR, "search_value"),
        Input(ids.GENE_COLOR, "value"),
    )
    def update_gene_color(url_search, search, value):
        return gene_color_state(context, ctx.triggered_id, url_search, search, value)

    @app.callback(
        Output(ids.GENE_MAP, "figure"),
        Output(alert_id("gene"), "children"),
        Input(ids.MODEL_STATUS, "data"),
        Input(ids.GENE_COLOR, "value"),
        Input(ids.FOCUS_GENE, "data"),
        Input(ids.NEIGHBORS_K, "value"),
        Input(ids.SELECTION_GENES_STORE, "data"),
        Input(GENE_MAP_SIZE, "data"),
        Input(ids.URL, "search"),  # its zoom, for every figure of the page (see sample_map)
        Input(ids.COLOR_BY, "value"),  # a set of genes colouring the samples: marked
        State(GENE_MAP_DRAWN, "data"),
        State(ids.MAP_ZOOM, "data"),
        # (its change lists other genes: the store above redraws the map)
        State(ids.SPECIFIC_DIRECTION, "value"),
    )
    def update_gene_map(
        status, color, focus, k, selection_genes, plot_size, url_search, by, drawn, zoom, way
    ):
        triggers = set(ctx.triggered_prop_ids.values())
        return gene_map_update(
            context,
            triggers,
            status,
            color,
            focus,
            k,
            selection_genes,
            plot_size,
            url_search,
            # "" while the dropdown is empty: the map holds the colouring's trace all the same
            color_by=by or "",
            drawn=drawn,
            map_zoom=zoom or {},
            lower=way == SPECIFIC_LOWER,
        )

    # what the map in the page was drawn from (its inputs but the samples' colouring), copied
    # in the page at each new figure or Patch: nothing goes to the server for it
    app.clientside_callback(
        """function (figure) {
            var meta = figure && figure.layout && figure.layout.meta;
            return (meta && meta.base_key) || null;
        }""",
        Output(GENE_MAP_DRAWN, "data"),
        Input(ids.GENE_MAP, "figure"),
    )

    @app.callback(
        Output(ids.GENE_NEIGHBORS, "data"),
        Output(ids.GENE_ENRICHMENT, "data"),
        Output(alert_id("neighbors"), "children"),
        Output(ids.NEIGHBORS_INFO, "children"),
        Output(ids.GO_SOURCE, "children"),
        Output(ids.GENE_NEIGHBORS, "columns"),
        Output(COEXP_POLL, "disabled"),
        Output(NEIGHBORS_HEAD, "children"),
        Output(ENRICHMENT_HEAD, "children"),
        Input(ids.FOCUS_GENE, "data"),
        Input(ids.NEIGHBORS_K, "value"),
        Input(ids.MODEL_STATUS, "data"),
        Input(ids.GENE_SELECTION, "data"),
        Input(COEXP_POLL, "n_intervals"),
    )
    def update_neighbors(focus, k, _status, selection, _ticks):
        # (a tick writes the table alone: no store another callback reads as a choice); a
        # tick alone: the page merges a tick and a new gene into one request, the tick first,
        # and the new gene's table was not built until the cut arrived
        tick = set(ctx.triggered_prop_ids) == {f"{COEXP_POLL}.n_intervals"}
        return neighbor_update(context, focus, k, selection, tick)

    # a box or lasso on the gene map lists its genes in place of a neighbourhood, and so does
    # the button by the specific-genes table (the genes it lists); a gene clicked or found (the
    # focus) or a double-click that clears the box lists one again, and a new sample selection
    # takes the former one's specific genes away
    # and a link's (``gsel``), when the page is opened or Back and Forward give it its address
    @app.callback(
        Output(ids.GENE_SELECTION, "data"),
        Input(ids.GENE_MAP, "selectedData"),
        Input(ids.FOCUS_GENE, "data"),
        Input(ids.SELECTION_GENES_GO, "n_clicks"),
        Input(ids.SELECTION_GENES_STORE, "data"),
        Input(ids.URL, "search"),
        State(ids.SELECTION, "data"),
        State(ids.GENE_SELECTION, "data"),
        State(ids.SPECIFIC_DIRECTION, "value"),
    )
    def update_gene_selection(
        selected, _focus, _clicks, specific, url_search, sample_selection, current, direction
    ):
        # (a link also sets the gene in focus: the link's selection wins)
        if ctx.triggered_id is None or ids.URL in ctx.triggered_prop_ids.values():
            return gene_selection_from_link(context, url_search, current)
        return gene_selection_update(
            ctx.triggered_id,
            selected,
            specific,
            sample_selection,
            current,
            direction == SPECIFIC_LOWER,
        )

    # the gene tables lie below the gene map, often off screen: the button brings them in view
    app.clientside_callback(
        """
        function(clicks) {
            const table = document.getElementById('__INFO__');
            if (clicks && table) {
                const box = table.getBoundingClientRect();
                if (box.top < 0 || box.top > window.innerHeight - 40) {
                    table.scrollIntoView({behavior: 'smooth', block: 'start'});
                }
            }
            return window.dash_clientside.no_update;
        }
        """.replace("__INFO__", ids.NEIGHBORS_INFO),
        Output(ids.GENE_SELECTION, "data", allow_duplicate=True),
        Input(ids.SELECTION_GENES_GO, "n_clicks"),
        prevent_initial_call=True,
    )

    # a new gene in focus takes the box or lasso off the map, with its dimming: the map would
    # otherwise stay dimmed around genes that the tables no longer list; so does the end of the
    # box's list for any other reason (a new gene map, for a new colouring of the genes, keeps
    # plotly's dimming, trace by trace, and drops the box: the tables list the neighbourhood)
    app.clientside_callback(
        """
        function(focus, selection) {
            const gd = document.querySelector('#__MAP__ .js-plotly-plot');
            if (!gd || !gd.layout || !gd.data) {
                return window.dash_clientside.no_update;
            }
            const trigger = (window.dash_clientside.callback_context.triggered[0] || {}).prop_id;
            // (genes listed from elsewhere, a sample selection's specific genes: a box drawn
            // before, and its dimming, no longer say what the tables list)
            const gone = trigger === '__FOCUS__.data' || selection === null
                || selection === undefined || Boolean(selection.source);
            const drawn = (gd.layout.selections || []).length;
            const dimmed = gd.data.some(function(t) {
                return t.selectedpoints !== undefined && t.selectedpoints !== null;
            });
            if (gone && (drawn || dimmed)) {
                Plotly.relayout(gd, {selections: []}).then(function() {
                    Plotly.restyle(gd, {selectedpoints: [null]});
                });
            }
            return window.dash_clientside.no_update;
        }
        """.replace("__MAP__", ids.GENE_MAP).replace("__FOCUS__", ids.FOCUS_GENE),
        Output(ids.GENE_SELECTION, "data", allow_duplicate=True),
        Input(ids.FOCUS_GENE, "data"),
        Input(ids.GENE_SELECTION, "data"),
        prevent_initial_call=True,
    )


def gene_table_columns(context: Any, selection: Any) -> list[dict[str, Any]]:
    """The gene table's columns for what fills it (:func:`gene_tables`): a gene selection's
    genes (the ``gene-selection`` store ``selection`` names some) without the columns their rows
    leave empty (distance and the pair columns), else a neighbourhood's."""
    return neighbor_columns(context, selection=bool(selected_genes(selection)))


def gene_tables(
    context: Any, focus: str | None, k: Any, selection: Any
) -> tuple[list[dict], list[dict], Any, str, str]:
    """The gene tables' callback: the genes of a selection on the gene map
    (:func:`selection_tables`) while there is one, else the gene in focus and its neighbours.

    Returns
    -------
    (gene rows, enrichment rows, alert, gene table's line, enrichment table's line)
    """
    genes = selected_genes(selection)
    if genes:
        source = selection_source(selection)
        rows, enrichment, alert = selection_tables(context, genes, source)
        if rows:
            info = selection_info(context, rows, source)
        elif len(genes) > MAX_SELECTED_GENES and context.state() is not None:
            info = (
                f"{_genes(len(genes))} {source}: more than the "
                f"{MAX_SELECTED_GENES} listed at most. Draw a smaller box or lasso, or "
                "double-click the map to clear it."
            )
        else:
            info = NEIGHBORS_EMPTY
        go_line = enrichment_info(context, None, rows, enrichment, True, source)
        return rows, enrichment, alert, info, go_line
    rows, enrichment, alert = neighbor_tables(context, focus, k)
    if genes == []:  # a box around no gene: the neighbourhood stays, and the page says why
        empty = _alert(
            "the box or lasso holds no gene of the map: draw around some genes to list them",
            "info",
        )
        alert = empty if alert is None else html.Div([empty, alert])
    return (
        rows,
        enrichment,
        alert,
        neighbors_info(context, focus, rows),
        enrichment_info(context, focus, rows, enrichment),
    )
