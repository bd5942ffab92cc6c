"""The sample map: what colours it (``color-by``), fast recolouring in the page
(:class:`Recolour`), and the link to gene space (a gene chosen in ``color-by``, ``gene-search``
or clicked in ``gene-map`` becomes the gene in focus everywhere).

Values of ``color-by``: ``ann:<column>`` (sample annotation), ``obs:<SYMBOL>`` (observed
expression), ``pred:<SYMBOL>`` (model-predicted), ``res:<SYMBOL>`` (residual = observed -
predicted), ``set:<preset name>`` (gene-set preset), ``list:<A,B,...>`` (typed list) and
``go:<GO id>`` (the dataset's genes annotated to a GO term, propagated as the gene tables use
GO); the score of a set, list or term is the mean z-score of its genes.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import ClientsideFunction, Input, Output, State, ctx, html, no_update

from core.data import did_you_mean, not_a_table
from core.errors import CoreError, DataError
from dashboard import figures, ids
from dashboard.context import GENE_SET_PRESETS, preset_name
from dashboard.figure_samples import MISSING_TRACE, reference_trace, value_order
from dashboard.layout import (
    COLOR_OPTION_HEIGHT,
    GENE_LIST_MAX_BYTES,
    GENE_LIST_SUMMARY,
    GENE_SEARCH_OPTION_HEIGHT,
    SAMPLE_MAP_RECOLOUR,
    alert_id,
    clip_marks,
    waiting_text,
)
from dashboard.layout import alert as _alert
from dashboard.uploads import QUOTED_CHARS, parse_gene_list, quoted

log = logging.getLogger(__name__)

MODES = {
    "obs": "observed",
    "pred": "model-predicted",
    "res": "residual (observed − predicted)",
}
GENE_MODES = tuple(MODES)
#: What a colouring may be, said after an unknown one (a link typed by hand: ``gene:XIST``).
COLOR_FORMS = (
    ": a colouring is obs:GENE, pred:GENE or res:GENE (observed, predicted, residual), "
    "ann:COLUMN, list:GENE, GENE, set:PRESET or go:GO:ID; ?gene=GENE alone colours by a gene"
)
#: Value of the disabled option that says why a search lists nothing (never selectable).
NOT_FOUND = "__not_found__"


@dataclass
class ColorSpec:
    """What a ``color-by`` value means for the map.

    Attributes
    ----------
    kind
        ``continuous`` or ``categorical``.
    values
        (n_samples,) float32 (continuous) or labels (categorical).
    title
        Colour bar / legend title.
    diverging
        Centre the colour scale at 0.
    gene
        Symbol of the gene shown, when one gene is shown.
    note
        What the page says beside the map (a GO term of very many genes), or None.
    hover
        What the hover text calls the value, when more than ``title`` (a GO term's whole name);
        None: ``title``.
    """

    kind: str
    values: np.ndarray
    title: str
    diverging: bool = False
    gene: str | None = None
    note: str | None = None
    hover: str | None = None


def list_value(genes: Any) -> str:
    """The ``color-by`` value of a list of genes: ``list:A, B, C``.

    With a space after each comma: the dropdown indexes every substring of each word of its
    options' values, and one word of 440 symbols run together (``list:A,B,C...``, 3,000
    characters) took the browser tab's memory and crashed it. Links of either form are read.
    """
    return "list:" + ", ".join(genes)


def parse_color(value: str | None) -> tuple[str, str]:
    """Split a ``color-by`` value into (kind, argument)."""
    if not value or ":" not in value:
        raise DataError(f"unknown colouring {quoted(value)}{COLOR_FORMS}")
    kind, arg = value.split(":", 1)
    if kind not in ("ann", "set", "list", "go", *GENE_MODES) or not arg:
        raise DataError(f"unknown colouring {quoted(value)}{COLOR_FORMS}")
    return kind, arg


def gene_of(value: str | None) -> str | None:
    """The gene symbol a ``color-by`` value shows, if it shows one gene."""
    try:
        kind, arg = parse_color(value)
    except DataError:
        return None
    return arg if kind in GENE_MODES else None


def canonical_color(context: Any, value: str) -> str:
    """A link's ``color-by`` value as the page's own options name it: a gene by its symbol
    (``obs:ENSG00000136574`` and ``obs:gata4`` -> ``obs:GATA4``; they stayed as typed, an
    option of their own, and the gene in focus an id), a preset by its current name."""
    kind, arg = parse_color(value)
    if kind == "set":  # (its short name, set:Keratins, or a former one: the full name)
        return f"set:{preset_name(arg)}"
    if kind == "go":  # go:go:0007507, or an alt_id: the term's own id
        try:
            return f"go:{context.go_term(arg)[0]}"
        except DataError:
            return value
    if kind in GENE_MODES:
        try:
            j = context.gene_index(arg)
            sym = str(context.gene_symbols[j])
            if context.gene_index(sym) == j:  # (a symbol of several genes: the id is kept)
                return f"{kind}:{sym}"
        except DataError:
            pass
    return value


def default_color(context: Any) -> str:
    cols = context.annotation_columns
    return f"ann:{cols[0]}" if cols else f"obs:{context.gene_symbols[0]}"


def option_for(context: Any, value: str) -> dict[str, str]:
    kind, arg = parse_color(value)
    if kind == "ann":
        about = ANNOTATION_NAMES.get(arg)
        return {"label": f"annotation: {arg}" + (f" ({about})" if about else ""), "value": value}
    if kind == "set":
        return {"label": f"gene set: {arg}", "value": value}
    if kind == "go":
        return go_option(context, value)
    if kind == "list":
        genes = [g.strip() for g in arg.split(",") if g.strip()]
        if any("*" in g for g in genes):  # a pattern: the genes it stands for, named
            cols, _ = context.gene_list_columns(genes)
            names = [str(context.gene_symbols[j]) for j in cols]
            shown = ", ".join(names[:6]) + ("…" if len(names) > 6 else "")
            n = f"{len(names)} gene{'' if len(names) == 1 else 's'}"
            return {"label": f"gene list {', '.join(genes)} ({n}): {shown}", "value": value}
        shown = ", ".join(genes[:6]) + ("…" if len(genes) > 6 else "")
        return {"label": f"gene list ({len(genes)}): {shown}", "value": value}
    return {"label": f"{_gene_label(context, arg)} — {MODES[kind]}", "value": value}


def _gene_label(context: Any, name: str) -> str:
    """The gene ``name`` as a list names it, told apart from genes of the same symbol
    (:meth:`AppContext.gene_label`: ``Y_RNA (ENSG00000201001)``); ``name`` when unknown."""
    try:
        return str(context.gene_label(context.gene_index(name)))
    except DataError:
        return name


def gene_notes(context: Any, names: Sequence[str | None]) -> list[Any]:
    """Alerts for the genes that typed or linked ``names`` found where the name chose one
    (a symbol of several genes, :meth:`AppContext.gene_note`), each said once."""
    said: dict[str, str] = {}
    for name in names:
        note = context.gene_note(name) if name else None
        if note is not None:
            said.setdefault(note[1], note[0])
    return [_alert(text, level) for text, level in said.items()]


def list_note(context: Any, genes: Sequence[str]) -> Any:
    """An alert naming the entries of a gene list that name several genes each (the list
    takes the first of each), or None."""
    shared = [g for g in dict.fromkeys(genes) if "*" not in g and context.sharing(g)]
    if not shared:
        return None
    one = len(shared) == 1
    return _alert(
        f"{unknown_entries(shared)} {'names' if one else 'each name'} several genes here: the "
        f"list takes the first{'' if one else ' of each'}; give the id of another to take it "
        "(ids are listed in \u201cFind a gene\u201d)",
        "warning",
    )


def alias_note(context: Any, genes: Sequence[str]) -> Any:
    """An alert counting the entries of a gene list read as aliases of genes here (``2 entries
    read as aliases: HER2 as ERBB2, ALB2 as AFM``), or None."""
    read = []
    for g in dict.fromkeys(genes):
        alias = None if "*" in g else context.alias_of(g)
        if alias is not None and alias.column is not None:
            try:
                if context.gene_index(g) == alias.column:  # (not a name of the data's own)
                    read.append(f"{g} as {context.gene_symbols[alias.column]}")
            except DataError:
                continue
    if not read:
        return None
    n = len(read)
    return _alert(
        f"{n} entr{'y' if n == 1 else 'ies'} read as {'an alias' if n == 1 else 'aliases'}: "
        f"{named_genes(read, UNKNOWN_CHARS)}",
        "info",
    )


def _one(alerts: list[Any]) -> Any:
    """None, the alert, or the alerts together, for one alert slot."""
    return None if not alerts else alerts[0] if len(alerts) == 1 else html.Div(alerts)


def not_found_option(context: Any, search: str, options: list[dict[str, Any]]) -> dict | None:
    """A disabled option that says why nothing is listed for ``search`` (an unknown gene, with
    close symbols), or None when an option matches it or it is shorter than 2 characters.

    The dropdown alone answered "No results found" for a typo and for a gene the dataset does
    not have alike."""
    text = search.strip()
    if len(text) < 2:
        return None
    low = text.lower()
    if any(low in str(o.get("search") or o.get("label", "")).lower() for o in options):
        return None
    try:
        context.gene_index(text)
    except DataError as exc:
        label = str(exc)
        if re.search(r"[*,;]|\S\s+\S", text):  # a pattern (KRT*) or several genes: not one gene
            label += f"; a pattern or several genes: “{GENE_LIST_SUMMARY}”"
        return {"label": label, "value": NOT_FOUND, "disabled": True, "search": text}
    return None


#: Characters of a line of the greyed "unknown gene" entry in the narrowest dropdown (a
#: window 420 pixels wide), and the height of a line in pixels (``assets/style.css``).
NOT_FOUND_LINE_CHARS = 40
NOT_FOUND_LINE_PX = 17


def option_height(options: list[dict[str, Any]], base: int) -> int:
    """Height in pixels of the rows of a dropdown with ``options``: ``base``, or as tall as the
    greyed entry that says a gene is unknown (:func:`not_found_option`) needs.

    A dropdown draws every row at one height, and that entry (with the close symbols) wrapped
    onto two or three lines in a row of 30 pixels: cut off, it could not be read. It is listed
    only when no other option matches what was typed, so it is then the only row shown.
    """
    labels = [str(o.get("label", "")) for o in options if o.get("value") == NOT_FOUND]
    if not labels:
        return base
    lines = max(-(-len(label) // NOT_FOUND_LINE_CHARS) for label in labels)
    return max(base, lines * NOT_FOUND_LINE_PX + 12)


def color_options(context: Any, search: str | None, value: str | None) -> list[dict[str, str]]:
    """Options of ``color-by``: annotations, presets, genes matching ``search`` (3 modes each)."""
    opts = [option_for(context, f"ann:{c}") for c in context.annotation_columns]
    opts += [option_for(context, f"set:{name}") for name in available_presets(context)]
    typed = (search or "").strip()
    for j in context.search_genes(typed, limit=20):
        sym = context.gene_symbols[j]
        modelled = context.modelled(j)
        for m in GENE_MODES:
            option = option_for(context, f"{m}:{sym}")
            if m != "obs" and not modelled:
                # a gene left out of training (--top-genes) has no prediction: offered, it
                # answered two errors and left the map and the box saying different things
                option = {**option, "label": f"{option['label']} (not in the model)"}
                option["disabled"] = True
            # the dropdown keeps the options whose search text holds what was typed: the id
            # (and a versioned id, ENSG...11) find the gene as well as its symbol
            option["search"] = f"{option['label']} {context.gene_ids[j]} {typed}"
            opts.append(option)
    opts += go_options(context, typed)
    missing = not_found_option(context, typed, opts)
    if missing is not None:
        if len(typed) >= 3 and context.ontology() is not None:
            missing["label"] += "; no GO term's name or id holds it either"
        missing["label"] += empty_preset_note(context, typed)
        opts.append(missing)
    if not search:
        for sym in example_genes(context):
            opts.append(option_for(context, f"obs:{sym}"))
    if value and value not in {o["value"] for o in opts}:
        try:
            opts.insert(0, option_for(context, value))
        except DataError:
            pass
    return opts


#: GO terms ``color-by`` lists for what is typed (3 characters or more): those of the gene map's
#: search ("Colour genes by"), biological processes first.
GO_OPTIONS = 15
#: The GO ontologies other than biological process, as an option names them.
ONTOLOGY_NAMES = {"MF": "molecular function", "CC": "cellular component"}


def go_option(
    context: Any, value: str, columns: np.ndarray | None = None, where: str = "here"
) -> dict[str, Any]:
    """The ``color-by`` option of a ``go:`` value, ``GO term: heart development (GO:0007507) —
    12 genes here``; disabled (``no gene here``) when no gene of the dataset is annotated to it
    (chosen, it would only give an error).

    ``columns``: the dataset genes counted (None: every gene), as ``where`` names them (the
    gene map's colouring counts the genes of the map: ``on the map``).
    """
    arg = parse_color(value)[1]
    try:
        go_id, name, ontology = context.go_term(arg)
        n = context.go_term_size(go_id, columns)
    except DataError:
        return {"label": f"GO term {arg}", "value": value}
    place = f"{go_id}, {ONTOLOGY_NAMES[ontology]}" if ontology in ONTOLOGY_NAMES else go_id
    count = f"{n:,} gene{'' if n == 1 else 's'} {where}" if n else f"no gene {where}"
    option: dict[str, Any] = {"label": f"GO term: {name} ({place}) — {count}", "value": value}
    if not n:
        option["disabled"] = True
    return option


def go_options(
    context: Any,
    typed: str,
    limit: int = GO_OPTIONS,
    columns: np.ndarray | None = None,
    where: str = "here",
) -> list[dict[str, Any]]:
    """Options of the GO terms whose name or id holds ``typed`` (the gene map's term search,
    :meth:`GeneAnnotations.search_go_terms`), the terms with genes here first (the genes
    ``columns``, named ``where``: :func:`go_option`)."""
    out = []
    for go_id, _ in context.search_go_terms(typed, limit=limit, columns=columns):
        option = go_option(context, f"go:{go_id}", columns, where)
        # the dropdown keeps the options whose search text holds what was typed
        option["search"] = f"{option['label']} {typed}"
        out.append(option)
    return sorted(out, key=lambda o: bool(o.get("disabled")))


def go_term_columns(context: Any, arg: str) -> tuple[str, str, np.ndarray]:
    """The term a ``go:`` value names and the dataset's genes annotated to it (or to a more
    specific term) -> (GO id, name, dataset columns).

    Raises
    ------
    DataError
        GO not available, not a GO id, not a term of this GO, or a term of no gene here.
    """
    go_id, name, _ = context.go_term(arg)
    cols = np.flatnonzero(context.go_term_members(go_id))
    if not cols.size:
        raise DataError(
            f"no gene of this dataset is annotated with {name} ({go_id}) or a more specific "
            "term: nothing to colour the samples by"
        )
    return go_id, name, cols


#: Characters of a GO term's name in the colour bar's title, at least (its first and last words
#: around "…", :func:`dashboard.figure_samples.elide_words`): as many as the title's other words
#: leave of :data:`dashboard.figure_samples.BAR_TITLE_CHARS`.
GO_TITLE_CHARS = 20
#: Characters of a line of a GO term's whole name in the hover text (broken at words): in one
#: line, a name of 144 characters (GO:0002824 on GTEx) made a label of about 1,000 pixels, wider
#: than the map, cut at both ends.
HOVER_LINE_CHARS = 50
#: A GO term of this many genes here, or of a quarter of the dataset's genes (from 50), is said
#: to be broad: the mean z of so many genes follows what most genes do more than the process.
MANY_TERM_GENES = 500


def go_note(context: Any, go_id: str, name: str, n: int) -> str | None:
    """What the page says of a GO term of very many genes here (still shown), or None."""
    share = n / max(context.n_genes, 1)
    if n < MANY_TERM_GENES and not (n >= 50 and share >= 0.25):
        return None
    return (
        f"{name} ({go_id}) has {n:,} genes here ({share:.0%} of the dataset's "
        f"{context.n_genes:,}): their mean z-score follows what most genes do more than the "
        "process; a more specific term says more"
    )


def clicked_term(active_cell: Any, rows: Any) -> str | None:
    """The GO id of the enrichment table's row clicked, or None: ``active_cell`` names its row
    in ``rows``, the table's rows as shown (sorted as the user sorted them)."""
    try:
        go_id = rows[int(active_cell["row"])]["go_id"]
    except (TypeError, KeyError, IndexError, ValueError):
        return None
    return str(go_id) if go_id else None


#: Genes offered in ``color-by`` before anything is typed, when the dataset has them.
EXAMPLE_GENES = ("MYH6", "XIST", "CD8B")


def example_genes(context: Any, n: int = 5) -> list[str]:
    """Genes ``color-by`` offers before anything is typed: :data:`EXAMPLE_GENES` present in the
    dataset, else its ``n`` most variable genes (cached on the context).

    A dataset without those genes (the 26-tissue GTEx set) offered only its annotations, and
    nothing said that typing a symbol lists genes.
    """
    cached = getattr(context, "_example_genes", None)
    if cached is None:
        cached = [s for s in EXAMPLE_GENES if s.upper() in context._by_symbol]
        if not cached:
            std = context.gene_stats()[1]
            cached = [str(context.gene_symbols[j]) for j in np.argsort(-std, kind="stable")[:n]]
        context._example_genes = cached
    return cached


#: What the coded columns of GTEx sample annotations stand for (option labels, legend titles).
def _map_name(model_class: Any) -> str:
    """The map's name in the title: the method in words, not the Python class."""
    if model_class == "FactorizedEmbeddings":
        return "factorized-embedding map"
    return f"{model_class or 'model'} map"


ANNOTATION_NAMES: dict[str, str] = {
    "SMTS": "tissue",
    "SMTSD": "detailed tissue",
    "DTHHRDY": "Hardy scale: circumstances of death",
}
#: Meaning of the codes of coded annotations (GTEx subject phenotypes).
ANNOTATION_CODES: dict[str, dict[int, str]] = {
    "DTHHRDY": {
        0: "0: ventilator case",
        1: "1: violent and fast death",
        2: "2: fast death of natural causes",
        3: "3: intermediate death",
        4: "4: slow death",
    },
}


def category_labels(column: str, values: Any) -> np.ndarray:
    """Legend labels of a categorical annotation: whole numbers without ``.0``, known codes with
    their meaning (``DTHHRDY`` 2 -> ``2: fast death of natural causes``), missing as None."""
    s = pd.Series(values)
    if s.dtype.kind == "f":
        finite = s.dropna()
        if len(finite) and np.all(finite == np.round(finite)):
            s = s.astype("Int64")
    codes = ANNOTATION_CODES.get(column, {})
    out = [
        None if pd.isna(v) else codes.get(int(v), str(v)) if isinstance(v, int | np.integer) else v
        for v in s.astype(object)
    ]
    return np.array(out, dtype=object)


def empty_preset_note(context: Any, typed: str) -> str:
    """``; the gene set 'XIST (female)' has no gene here either`` when ``typed`` names a preset
    (full, short or former name) that has no gene in the dataset, else ``""``.

    A preset without genes is not offered: its name typed (``Keratins``, ``XIST (female)``)
    was only an unknown gene, as if the page had no such set."""
    try:
        name = preset_name(typed)
    except DataError:
        return ""
    if name in available_presets(context):
        return ""
    return f"; the gene set {quoted(name)} has no gene here either" + _preset_go_hint(context, name)


#: Words that find the GO terms of what a gene-set preset marks (its cells or tissue), offered
#: when the preset has no gene in the dataset: none of the four presets' genes is among the
#: 26-tissue GTEx set's 467, and "CD8B" typed led nowhere until "T cell" was guessed.
PRESET_GO_WORDS: dict[str, str] = {
    "Keratins (KRT + a number)": "keratinization",
    "MYH6 (heart, atrial)": "cardiac muscle",
    "CD8B (T cells)": "T cell",
    "XIST (female)": "X chromosome",
}


def _preset_go_hint(context: Any, name: str) -> str:
    """``: type 'T cell' to find GO terms of what it marks`` for a preset without genes, when a
    GO term with genes here holds its words (:data:`PRESET_GO_WORDS`, as whole words: "T cell"
    is in "plant cell"); else ``""``."""
    import re

    words = PRESET_GO_WORDS.get(name)
    if not words or getattr(context, "ontology", lambda: None)() is None:
        return ""
    counts = context.go_term_counts()
    if counts is None:
        return ""
    names = context.ontology().terms["name"].astype(str)
    held = names.str.contains(rf"\b{re.escape(words)}\b", case=False, regex=True).to_numpy()
    if not (held & (np.asarray(counts) > 0)).any():
        return ""
    return f": type {quoted(words)} to find GO terms of what it marks"


def available_presets(context: Any) -> list[str]:
    """The gene-set presets with at least one gene in the dataset (cached on the context).

    The others would only give an error when chosen, so ``color-by`` does not offer them.
    """
    cached = getattr(context, "_available_presets", None)
    if cached is None:
        cached = [n for n, pattern in GENE_SET_PRESETS.items() if context.gene_set(pattern)]
        context._available_presets = cached
    return cached


def resolve_color(context: Any, value: str) -> ColorSpec:
    """The per-sample values a ``color-by`` value stands for (raises DataError when unknown)."""
    kind, arg = parse_color(value)
    if kind == "ann":
        s = context.annotation_values(arg)
        if s.dtype.kind in "fi" and s.nunique(dropna=True) > 30:
            return ColorSpec("continuous", s.to_numpy(dtype=np.float32), arg)
        title = f"{arg} ({ANNOTATION_NAMES[arg]})" if arg in ANNOTATION_NAMES else arg
        return ColorSpec("categorical", category_labels(arg, s), title)
    if kind in GENE_MODES:
        j = context.gene_index(arg)
        sym = context.gene_symbols[j]
        vals = context.gene_values(j, kind)
        scale = context.value_scale() or (
            "as in the file" if getattr(context, "values_as_in_file", lambda: False)() else None
        )
        # a symbol of several genes: the gene shown, with its id (Y_RNA (ENSG00000201001))
        what = MODES[kind].split(" ")[0] + (f", {scale}" if scale else "")
        title = f"{context.gene_label(j)} ({what})"
        return ColorSpec("continuous", vals, title, diverging=kind == "res", gene=sym)
    if kind == "set":
        arg = preset_name(arg)
        cols = context.gene_set(GENE_SET_PRESETS[arg])
        if not cols:
            raise DataError(f"no gene of the set {arg!r} in this dataset")
        title = f"{arg.split(' (')[0]}: mean z ({_counted(context, cols)})"
        if len(cols) == 1:
            title = f"{context.gene_symbols[cols[0]]} (z-score)"
        return ColorSpec("continuous", context.gene_set_score(cols), title, diverging=True)
    if kind == "go":
        go_id, name, cols = go_term_columns(context, arg)
        n = _counted(context, list(cols))
        if len(cols) <= 3:  # a handful of genes: named
            n += ": " + ", ".join(str(context.gene_symbols[j]) for j in cols)
        # one line, the name shortened: the colour bar's title runs along it (a long name,
        # positive regulation of transcription by RNA polymerase II, ran off the plot), and a
        # title in lines widened the bar beyond its margin; the hover text names it whole
        what = f" ({go_id}): mean z ({n})"
        if len(what) + GO_TITLE_CHARS > figures.BAR_TITLE_CHARS:
            # the genes named, or those left out, in the hover text alone: the bar's title cut
            # its own end ("3 genes: KCNH2, KCNQ1…", SCN5A lost)
            what = f" ({go_id}): mean z ({len(cols)} gene{'' if len(cols) == 1 else 's'})"
        room = max(GO_TITLE_CHARS, figures.BAR_TITLE_CHARS - len(what))
        return ColorSpec(
            "continuous",
            context.gene_set_score(cols),
            figures.elide_words(name, room) + what,
            diverging=True,
            note=go_note(context, go_id, name, len(cols)),
            hover=figures.wrap_title(f"{name} ({go_id}): mean z ({n})", HOVER_LINE_CHARS),
        )
    genes = parse_gene_list(arg)
    cols, unknown = context.gene_list_columns(genes)
    if not cols:
        raise DataError(none_listed(unknown))
    n = _counted(context, cols)
    if any(ch in g for g in genes for ch in "*?[") and len(cols) <= 3:
        # a pattern that matched a handful of genes names them (KRT* matched one gene of a
        # 467-gene set, KRTAP13-4, and the map read "mean z (1 gene)")
        n += ": " + ", ".join(str(context.gene_symbols[j]) for j in cols)
    # entries of a link that are not here are counted, not dropped without a word
    title = (
        f"gene list: mean z ({n}; {len(unknown)} not here)"
        if unknown
        else f"gene list: mean z ({n})"
    )
    return ColorSpec("continuous", context.gene_set_score(cols), title, diverging=True)


def listed_symbols(context: Any, value: str | None) -> list[str]:
    """Symbols of the genes a gene-list ``color-by`` value colours by, in the order listed
    (``KRT*`` expanded; entries that name no gene here left out); empty for other values."""
    kind, arg = parse_color(value)
    if kind != "list":
        return []
    cols, _ = context.gene_list_columns(parse_gene_list(arg))
    return [str(context.gene_symbols[j]) for j in cols]


def named_genes(symbols: Sequence[str], limit: int, file_name: bool = False) -> str:
    """``A, B, C and 4 more`` (``A_B_C_and_4_more`` for a ``file_name``: symbols may hold a
    ``-``): as many whole symbols as ``limit`` characters hold (the first always), the others
    counted."""
    sep, space = ("_", "_") if file_name else (", ", " ")

    def text(shown: list[str]) -> str:
        rest = len(symbols) - len(shown)
        return sep.join(shown) + (f"{space}and{space}{rest}{space}more" if rest else "")

    shown: list[str] = []
    for sym in symbols:
        if shown and len(text([*shown, sym])) > limit:
            break
        shown.append(str(sym))
    return text(shown)


#: Characters of the entries of a gene list named as not found (the rest counted).
UNKNOWN_CHARS = 150


def none_listed(unknown: Sequence[str]) -> str:
    """The message of a gene list of which no entry names a gene here (:func:`unknown_entries`).
    A list of patterns alone says that no symbol matches: ``KRT*`` on a set without keratins
    read "none of the listed genes is in this dataset: KRT*"."""
    if unknown and all("*" in str(e) for e in unknown):
        which = "the pattern" if len(unknown) == 1 else "the patterns"
        return f"no gene symbol in this dataset matches {which} {unknown_entries(unknown)}"
    return f"none of the listed genes is in this dataset: {unknown_entries(unknown)}"


def unknown_entries(entries: Sequence[str]) -> str:
    """The entries of a gene list that name no gene here, as a message names them: each cut to
    :data:`QUOTED_CHARS`, as many as :data:`UNKNOWN_CHARS` hold, the others counted (10 entries
    of 400 characters each came back whole)."""
    cut = [e if len(e) <= QUOTED_CHARS else f"{e[:QUOTED_CHARS]}…" for e in map(str, entries)]
    return named_genes(cut, UNKNOWN_CHARS)


#: Entries of a gene list not found here that are looked at for a "did you mean" (each looks
#: through every gene), and those of them that get one, at most.
CLOSE_LOOKED_AT, CLOSE_NAMED = 10, 3


def close_hint(context: Any, unknown: Sequence[str]) -> str:
    """The "did you mean" of a message that names the entries ``unknown`` of a gene list
    (:func:`unknown_entries`), as the gene search's message has it for one gene
    (:func:`core.data.did_you_mean`): `` (did you mean MYH7, MYH11?)``, each entry named
    when the message names several. A pattern (``KRTX*``) and an alias (said apart) get none;
    empty when no entry has a close symbol."""
    close: dict[str, list[str]] = {}
    for entry in list(dict.fromkeys(map(str, unknown)))[:CLOSE_LOOKED_AT]:
        if "*" in entry or context.alias_of(entry) is not None:
            continue
        symbols = context.close_symbols(entry)
        if symbols:
            close[unknown_entries([entry])] = symbols
        if len(close) == CLOSE_NAMED:
            break
    return did_you_mean(close, name_entries=len(set(unknown)) > 1)


def _counted(context: Any, cols: list[int]) -> str:
    """``12 genes``, and how many of them are left out of the score for not varying."""
    n = f"{len(cols)} gene{'' if len(cols) == 1 else 's'}"
    flat = int((~context.gene_varies()[np.asarray(cols, dtype=int)]).sum())
    return n + (f", {flat} without variance left out" if flat else "")


def hover_text(context: Any) -> np.ndarray:
    """Hover text of every sample (id, tissue, sex, age...), cached on the context."""
    cached = getattr(context, "_hover_text", None)
    if cached is not None:
        return cached
    cols = [c for c in context.annotation_columns if c in ("SMTS", "SMTSD", "tissue", "sex", "age")]
    cols = cols or context.annotation_columns[:3]
    text = figures.sample_hover_text(
        context.sample_ids, {c: context.samples[c].to_numpy() for c in cols}
    )
    context._hover_text = text
    return text


def _axis_titles(state: Any) -> tuple[str, str]:
    short = "FE" if state.info.get("class") == "FactorizedEmbeddings" else "PC"
    return f"{short} 1", f"{short} 2"


def build_sample_figure(
    context: Any,
    value: str,
    clip: Any = (1, 99),
    webgl: bool = True,
    placed: list[dict[str, Any]] | None = None,
    selection: Sequence[int] | None = None,
    zoom: dict[str, Any] | None = None,
    reference: Sequence[int] | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Full sample-map figure for a ``color-by`` value -> (figure, kind record for a Recolour).

    ``placed``: samples placed from an upload (``placed-samples``), drawn last, over the map.
    ``selection``: rows of the selected samples, shown selected (the others in grey) in the new
    figure, whose traces differ from the old one's. ``zoom``: the axis ranges it is drawn at, the
    user's zoom or else the link's (:func:`figure_zoom`). ``reference``: rows of the reference
    group kept, outlined over the samples (:func:`reference_outlined`: those compared with);
    the kind record's ``outline`` names the samples outlined (:func:`outline_key`).
    """
    st = context.require_state()
    spec = resolve_color(context, value)
    coords = st.sample_embedding
    title = f"Samples ({context.n_samples:,}) — {_map_name(st.info.get('class'))}"
    common = dict(title=title, uirevision=st.key, axis_titles=_axis_titles(st), webgl=webgl)
    if spec.kind == "categorical":
        fig = figures.sample_map_categorical(
            coords, spec.values, hover_text(context), spec.title, **common
        )
        _add_rows(fig, spec.values)
        kind = {"kind": "categorical", "key": st.key}
    else:
        fig = figures.sample_map_continuous(
            coords,
            spec.values,
            hover_text(context),
            spec.title,
            clip=_clip(clip),
            diverging=spec.diverging,
            hover_title=spec.hover,
            **common,
        )
        finite = np.isfinite(spec.values)
        # the colour trace's points lie lowest value first (high values drawn on top)
        fig.data[figures.COLOR_TRACE].customdata = value_order(spec.values).tolist()
        if not finite.all():
            fig.data[MISSING_TRACE].customdata = _rows(~finite)
        kind = {"kind": "continuous", "key": st.key, "all_finite": bool(finite.all())}
    outlined = reference_outlined(reference, selection)
    if outlined:  # over the samples, under the stars (drawn last)
        fig.add_trace(reference_trace(coords, outlined, webgl=webgl))
    kind["outline"] = outline_key(outlined)
    if placed:
        label = context.es.label_column() if hasattr(context.es, "label_column") else None
        fig.add_trace(figures.placed_samples_trace(placed, label, webgl=webgl))
        stars = [[p.get("x", np.nan), p.get("y", np.nan)] for p in placed]
        figures.bound_autorange(fig, np.vstack([coords[:, :2], np.asarray(stars, float)]))
    if selection:
        _select_rows(fig, selection)
    figures.set_ranges(fig, zoom)
    if context.simulated:
        figures.mark_simulated(fig)
    figures.fit_page_legend(fig)  # every category shown, the placed samples' too
    return fig, kind


def reference_outlined(
    reference: Sequence[int] | None, selection: Sequence[int] | None = None
) -> list[int]:
    """Rows of the reference group that the sample map outlines: those compared with, its
    samples also selected left out (all of it while it is all selected), as the page's line and
    :func:`dashboard.selection.reference_view` count them."""
    group = {int(r) for r in reference or ()}
    return sorted(group - {int(r) for r in selection or ()} or group)


def outline_key(rows: Sequence[int]) -> str | None:
    """A short name of the samples a sample map outlines (``rows``), kept in its kind record:
    the map is drawn again when the reference group it should outline differs; None for none."""
    if not len(rows):
        return None
    digest = hashlib.blake2b(np.asarray(rows, dtype=np.int64).tobytes(), digest_size=8)
    return f"{len(rows)}:{digest.hexdigest()}"


def _rows(mask: Any) -> list[int]:
    """Sample rows where ``mask`` is true, as a plain list (a trace's ``customdata``).

    Not a numpy array: plotly sends numeric arrays as typed (base64) arrays, and ``dcc.Graph``
    looks a point's ``customdata`` up in the figure as sent, so the selection and click events
    would carry no sample row.
    """
    return np.nonzero(np.asarray(mask, dtype=bool))[0].tolist()


def _select_rows(fig: Any, rows: Sequence[int]) -> None:
    """Mark the samples of ``rows`` selected in every sample trace (by their ``customdata``)."""
    chosen = {int(r) for r in rows}
    for tr in fig.data:
        if tr.customdata is not None and tr.name != "probe grid":
            tr.selectedpoints = [i for i, r in enumerate(tr.customdata) if int(r) in chosen]


def _positions(order: np.ndarray, rows: Sequence[int]) -> list[int]:
    """Positions, in a trace whose points are the samples ``order``, of the samples ``rows``
    (its ``selectedpoints``); rows it does not hold are left out."""
    where = {int(r): i for i, r in enumerate(order)}
    return sorted(where[int(r)] for r in set(rows) if int(r) in where)


def _add_rows(fig: Any, labels: np.ndarray) -> None:
    """Sample rows as ``customdata`` of each categorical trace (selection and click read them)."""
    lab = np.array(["" if figures._missing(v) else str(v) for v in labels], dtype=object)
    for tr in fig.data[1:]:
        if tr.meta == figures.LEGEND_ENTRY:  # (a legend entry alone, no sample)
            continue
        name = tr.legendgroup if tr.legendgroup else ""
        merged = (tr.meta or {}).get(figures.MERGED_CATEGORIES) if tr.meta else None
        if merged:  # the smallest categories, drawn together as "other"
            tr.customdata = _rows(np.isin(lab, list(merged)))
        elif tr.name.startswith("unlabelled"):
            tr.customdata = _rows(lab == "")
        elif name:
            tr.customdata = _rows(lab == name)


def _clip(clip: Any) -> tuple[float, float]:
    try:
        lo, hi = float(clip[0]), float(clip[1])
    except (TypeError, ValueError, IndexError):
        return 1.0, 99.0
    if not 0 <= lo < hi <= 100:
        return 1.0, 99.0
    return lo, hi


class Recolour(dict):
    """A new continuous colouring of the sample map's colour trace, made in the page
    (``assets/recolour.js``) from the trace it shows: the points are drawn lowest value first
    (:func:`dashboard.figure_samples.value_order`), an order that changes with each colouring,
    and the page moves each point's x, y and hover text to its sample's new place (the trace's
    ``customdata`` holds the sample row of each point). Only the new order, the colours and the
    scale are sent: on GTEx's 16,877 samples a ``Patch`` that sent every per-point array again
    weighed 3.3 MB, 2.9 MB of it the hover text.

    Keys: ``trace`` (its index), ``order`` (sample rows, the next ``customdata``), ``color``
    (a typed array in that order), ``selectedpoints``, ``cmin``, ``cmax``, ``colorscale``,
    ``colorbar_title``, ``name``, ``hovertemplate``, ``sent_at``.
    """


def recolor(
    context: Any,
    value: str | None,
    clip: Any,
    previous: dict[str, Any] | None,
    placed: list[dict[str, Any]] | None = None,
    selection: Sequence[int] | None = None,
    status: dict[str, Any] | None = None,
    zoom: dict[str, Any] | None = None,
    reference: Sequence[int] | None = None,
) -> tuple[Any, dict[str, Any] | Any, Any]:
    """New sample-map figure (or a :class:`Recolour` of its colour trace) for a ``color-by`` value.

    ``placed`` samples (from an upload) are drawn over a new figure; a Recolour keeps them.
    ``reference`` (the reference group's rows) is outlined over a new figure; a Recolour keeps
    the outline the map shows, when it outlines the same samples (``previous``'s ``outline``),
    else a new figure is made.
    ``selection`` (selected rows) is shown selected in a new figure and in a Recolour (whose
    points lie in the new colouring's order, :func:`dashboard.figure_samples.value_order`).
    ``status`` (``model-status``) says why there is no model yet, if there is none.
    ``zoom``: the axis ranges given to every new figure (:func:`build_sample_figure`); a
    Recolour leaves the map where it is.

    Returns
    -------
    (figure or Recolour, kind record, alert)
    """
    t0 = time.perf_counter()
    st = context.state()
    if st is None:
        return figures.empty_figure(waiting_text(status)), None, None
    value = value or default_color(context)
    try:
        spec = resolve_color(context, value)
    except CoreError as exc:
        return no_update, no_update, _alert(str(exc))
    note = _alert(spec.note, "warning") if spec.note else None
    finite = np.isfinite(spec.values) if spec.kind == "continuous" else None
    if (
        spec.kind == "continuous"
        and previous
        and previous.get("kind") == "continuous"
        and previous.get("all_finite")
        and previous.get("key") == st.key
        and previous.get("outline") == outline_key(reference_outlined(reference, selection))
        and bool(finite.all())
    ):
        lo, hi = figures.clip_range(spec.values, _clip(clip))
        if spec.diverging:
            m = max(abs(lo), abs(hi))
            lo, hi = -m, m
        order = value_order(spec.values)
        # colours as a figure sends them (a typed array, base64): a list wrote 17 digits for each
        # float32 value (0.31 MB instead of 0.09 MB on GTEx's 16,877 samples)
        sent = go.Figure(
            go.Scattergl(marker=dict(color=spec.values[order].astype(np.float32)))
        ).to_plotly_json()["data"][0]
        out = Recolour(
            trace=figures.COLOR_TRACE,
            # the sample rows in the new order: the trace's next customdata, a plain list as in
            # the figure (:func:`_rows`); the page moves x, y and the hover text with them
            order=order.tolist(),
            color=sent["marker"]["color"],
            # the selected samples at their new places (the old positions are other samples now)
            selectedpoints=_positions(order, selection) if selection else None,
            cmin=lo,
            cmax=hi,
            colorscale=figures.colorscale(spec.diverging),
            colorbar_title=figures.clipped_title(spec.title, spec.values, lo, hi, _clip(clip)),
            name=spec.title,
            hovertemplate="%{text}<br>"
            + (spec.hover or spec.title)
            + ": %{marker.color:.3f}<extra></extra>",
            # a new store value each time: the same colouring again still reaches the page
            sent_at=time.time(),
        )
        log.debug("recolour (page) %s in %.1f ms", value, 1e3 * (time.perf_counter() - t0))
        return out, previous, note
    fig, kind = build_sample_figure(
        context, value, clip, placed=placed, selection=selection, zoom=zoom, reference=reference
    )
    log.debug("recolour (figure) %s in %.1f ms", value, 1e3 * (time.perf_counter() - t0))
    return fig, kind, note


def clip_disabled(kind: dict[str, Any] | None) -> bool:
    """Whether the clip slider is off: it clips colour scales, and categories have none."""
    return bool(kind) and kind.get("kind") == "categorical"


def parse_query(search: str | None) -> dict[str, str]:
    """The view stored in the address bar's query string (``?color=...&gene=...&sel=...``)."""
    q = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    return {k: v[-1] for k, v in q.items() if v}


#: Query parameter of a link that holds the zoom of each map: ``zoom=x0,x1,y0,y1``.
ZOOM_PARAMS = {ids.SAMPLE_MAP: "zoom", ids.GENE_MAP: "gzoom"}


def encode_zoom(ranges: dict[str, Any] | None) -> str | None:
    """``x0,x1,y0,y1`` (6 significant digits) for the axis ranges of a zoomed map; an axis left
    whole is an empty pair (``,,y0,y1``); None when both are whole."""
    ranges = ranges or {}
    if not ranges.get("x") and not ranges.get("y"):
        return None
    parts: list[str] = []
    for axis in ("x", "y"):
        rng = ranges.get(axis)
        parts += [f"{float(v):.6g}" for v in rng] if rng else ["", ""]
    return ",".join(parts)


def parse_zoom(text: str) -> dict[str, list[float]]:
    """The axis ranges of a link's ``zoom``/``gzoom`` value (see :func:`encode_zoom`); raises
    ValueError naming what is wrong."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 4:
        raise ValueError("is not four numbers x0,x1,y0,y1 (an axis left whole: two empty)")
    out: dict[str, list[float]] = {}
    for axis, pair in (("x", parts[:2]), ("y", parts[2:])):
        if pair == ["", ""]:
            continue
        try:
            lo, hi = (float(v) for v in pair)
        except ValueError:
            lo = hi = float("nan")
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError(f"has a {axis} range that is not two numbers")
        if lo >= hi:
            raise ValueError(f"has a {axis} range that is not from low to high")
        out[axis] = [lo, hi]
    if not out:
        raise ValueError("leaves both axes whole")
    return out


def zoom_is_empty(
    context: Any,
    which: str,
    ranges: dict[str, list[float]],
    placed: list[dict[str, Any]] | None = None,
) -> bool:
    """Whether the axis ranges ``ranges`` of the map ``which`` hold none of its points (the
    samples of the sample map, with the samples ``placed`` on it from an upload, whose ``x``
    and ``y`` are map coordinates; the genes of the gene map); False while there is no model.
    """
    state = context.state() if context is not None else None
    if state is None or not ranges:
        return False
    points = state.sample_embedding if which == ids.SAMPLE_MAP else state.gene_layout
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] < 2 or not len(points):
        return False
    points = points[:, :2]
    if which == ids.SAMPLE_MAP and placed:
        # a zoom onto placed samples alone shows them: it is not empty
        stars = [[_coordinate(p, "x"), _coordinate(p, "y")] for p in placed if isinstance(p, dict)]
        if stars:
            points = np.vstack([points, np.asarray(stars, dtype=float)])
    inside = np.ones(len(points), dtype=bool)
    for col, axis in enumerate(("x", "y")):
        if ranges.get(axis):
            lo, hi = ranges[axis]
            inside &= (points[:, col] >= lo) & (points[:, col] <= hi)
    return not inside.any()


def _coordinate(record: dict[str, Any], key: str) -> float:
    """A placed sample's map coordinate ``key``; NaN when it is not a number (in no range)."""
    try:
        return float(record.get(key))
    except (TypeError, ValueError):
        return float("nan")


def link_zoom(
    url_search: str | None,
    which: str,
    context: Any = None,
    placed: list[dict[str, Any]] | None = None,
) -> dict[str, list[float]]:
    """The axis ranges a link gives the map ``which`` (:data:`ZOOM_PARAMS`); empty when it
    gives none, or a value :func:`parse_zoom` refuses, or (with the ``context``) a region that
    holds no point of the map (the samples ``placed`` on the sample map count): an empty plot,
    without a word (all said by ``export.view_settings``)."""
    text = parse_query(url_search).get(ZOOM_PARAMS.get(which, ""))
    if not text:
        return {}
    try:
        ranges = parse_zoom(text)
    except ValueError:
        return {}
    return {} if zoom_is_empty(context, which, ranges, placed) else ranges


#: The maps whose zoom the page keeps (the ``map-zoom`` store, the link, the figures exported
#: as zoomed; the baseline maps are exported whole).
ZOOMABLE = (ids.SAMPLE_MAP, ids.GENE_MAP)


def figure_zoom(
    context: Any,
    zoom: dict[str, Any] | None,
    which: str,
    url_search: str | None = None,
    placed: list[dict[str, Any]] | None = None,
) -> dict[str, list[float]]:
    """The axis ranges the figure ``which`` is zoomed to in the page (``x`` and/or ``y``; an
    axis absent: its whole extent): from the ``map-zoom`` store once the user has zoomed the
    map of the model shown, else as the page's link (``url_search``: ``zoom``, ``gzoom``) drew
    it (over the samples ``placed`` on the map, which count as the others). Empty for the
    baseline maps."""
    if which not in ZOOMABLE:
        return {}
    entry = (zoom or {}).get(which) or {}
    st = context.state()
    if st is None or entry.get("key") != st.key:
        return link_zoom(url_search, which, context, placed)
    return {axis: list(entry[axis]) for axis in ("x", "y") if entry.get(axis)}


def link_list_missing(context: Any, color: str) -> str | None:
    """The entries of a link's gene list (``color=list:...``) that name no gene here, as a
    message names them, or None (another colouring, or every entry found)."""
    try:
        kind, arg = parse_color(color)
        if kind != "list":
            return None
        unknown = context.gene_list_columns(parse_gene_list(arg))[1]
    except CoreError:
        return None
    if not unknown:
        return None
    unknown = list(dict.fromkeys(unknown))
    return unknown_entries(unknown) + close_hint(context, unknown)


def sync_focus(
    context: Any,
    trigger: str | None,
    url_search: str | None,
    gene_click: dict[str, Any] | None,
    search_value: str | None,
    color_value: str | None,
    list_text: str | None,
    upload: tuple[str | None, str | None] | None = None,
    enrichment: tuple[Any, Any] | None = None,
) -> tuple[Any, Any, Any, Any]:
    """Keep ``color-by``, ``gene-search`` and the gene in focus in agreement.

    ``upload`` is ``(contents, filename)`` of a gene-list file (``gene-list-upload``); contents
    None (the drop zone emptied once its file was read, see :func:`upload_reset`) change nothing.
    ``enrichment`` is ``(active_cell, rows as shown)`` of the GO enrichment table: a row clicked
    colours the samples by its term's genes (:func:`clicked_term`).

    Returns
    -------
    (color-by value, gene-search value, focus gene, alert)
    """
    mode = "obs"
    current_kind = color_value.split(":", 1)[0] if color_value else ""
    if current_kind in GENE_MODES:
        mode = current_kind
    try:
        if trigger in (None, ids.URL):
            q = parse_query(url_search)
            color = q.get("color") or color_value or default_color(context)
            gene = q.get("gene")
            # every problem of the link is said (one message hid the other before)
            alerts = []
            if q.get("ds") and q["ds"] != context.fingerprint:
                # which of the two is simulated, said (a map of the demo is no finding)
                made_on = "another dataset than the one served here"
                if q.get("data") == "SIMULATED" and not context.simulated:
                    made_on = "SIMULATED data (the demo), not the real data served here"
                elif context.simulated and q.get("data") != "SIMULATED":
                    made_on = "another dataset than the SIMULATED one served here"
                alerts.append(
                    _alert(
                        f"this link was made for {made_on}: the colouring, gene and selection "
                        "may not mean the same",
                        "warning",
                    )
                )
            elif q.get("m") and context.state() is not None:
                key = str(context.state().key)[:12]
                if q["m"] != key:
                    alerts.append(
                        _alert(
                            f"this link was made on another model of this dataset (model "
                            f"{q['m'][:QUOTED_CHARS]}; here {key}): the same samples and genes, "
                            "placed differently, so its zoom and neighbours may not match",
                            "warning",
                        )
                    )
            try:
                resolve_color(context, color) if context.state() else parse_color(color)
                color = canonical_color(context, color)
            except CoreError as exc:
                alerts.append(_alert(f"link: {exc}"))
                color = default_color(context)
            else:
                missing = link_list_missing(context, color)
                if missing:  # (the colour bar only counted them: "1 not here")
                    alerts.append(
                        _alert(
                            f"link: not in this dataset, ignored in the gene list: {missing}",
                            "warning",
                        )
                    )
            focus = None
            if gene:
                try:
                    focus = context.gene_symbols[context.gene_index(gene)]
                except DataError as exc:
                    # ?gene=X&color=obs:X with X unknown: the one problem is said once
                    if f"link: {exc}" not in [a.children for a in alerts]:
                        alerts.append(_alert(f"link: {exc}"))
            if focus and not q.get("color"):
                # ?gene=X alone (typed, or a link whose colouring was too long to keep) colours
                # the samples by X, as choosing X in "Find a gene" does; it kept the tissues
                color = f"obs:{focus}"
            focus = focus or gene_of(color)
            # a symbol of several genes: which one is shown, and how to show another
            alerts += gene_notes(context, [gene if focus else None, gene_of(q.get("color"))])
            return color, focus, focus, _one(alerts)
        if trigger == ids.GENE_MAP:
            sym = _clicked_gene(gene_click)
            if sym is None:
                return no_update, no_update, no_update, None
            return f"{mode}:{sym}", sym, sym, None
        if trigger == ids.GENE_SEARCH:
            if not search_value:
                return no_update, no_update, None, None
            sym = context.gene_symbols[context.gene_index(search_value)]
            return f"{mode}:{sym}", sym, sym, _one(gene_notes(context, [search_value]))
        if trigger == ids.COLOR_BY:
            sym = gene_of(color_value)
            if sym is None:
                return no_update, no_update, no_update, None
            name, sym = sym, context.gene_symbols[context.gene_index(sym)]
            return no_update, sym, sym, _one(gene_notes(context, [name]))
        if trigger == ids.GENE_ENRICHMENT:
            go_id = clicked_term(*(enrichment or (None, None)))
            if go_id is None:
                return no_update, no_update, no_update, None
            # all of the dataset's genes annotated to the term, not only the listed ones
            return f"go:{go_term_columns(context, go_id)[0]}", no_update, no_update, None
        if trigger == ids.GENE_LIST_UPLOAD and (upload is None or upload[0] is None):
            return no_update, no_update, no_update, no_update
        if trigger in (ids.GENE_LIST_APPLY, ids.GENE_LIST_UPLOAD):
            if trigger == ids.GENE_LIST_UPLOAD:
                list_text = decode_upload(*(upload or (None, None)))
            genes = parse_gene_list(list_text)
            first = genes[0]
            if len(genes) > 1 and first.lower() in GENE_LIST_HEADERS:
                # a column pasted from a spreadsheet with its header ("Gene"), which an
                # uploaded file drops: not said to be a gene missing here
                if not context.gene_list_columns([first])[0]:
                    genes = genes[1:]
            known, unknown = [], []
            for g in genes:
                found, _ = context.gene_list_columns([g])
                if not found:
                    unknown.append(g)
                else:  # a pattern (KRT*) stays one, and the link short
                    known.append(g if "*" in g else context.gene_symbols[found[0]])
            if not known:
                raise DataError(none_listed(unknown) + close_hint(context, unknown))
            alerts = [list_note(context, genes), alias_note(context, genes)]
            if unknown:
                why = [a.why_not(g, "here") for g in unknown[:3] if (a := context.alias_of(g))]
                alerts.insert(
                    0,
                    _alert(
                        f"not in this dataset, ignored: {unknown_entries(unknown)}"
                        + close_hint(context, unknown)
                        + "".join(f"; {w}" for w in why),
                        "warning",
                    ),
                )
            alert = _one([a for a in alerts if a is not None])
            return list_value(dict.fromkeys(known)), no_update, no_update, alert
    except CoreError as exc:
        return no_update, no_update, no_update, _alert(str(exc))
    return no_update, no_update, no_update, None


def sync_all(
    context: Any,
    prop_id: str | None,
    url_search: str | None,
    gene_click: dict[str, Any] | None,
    search_value: str | None,
    color_value: str | None,
    list_text: str | None,
    color_search: str | None,
    gene_search: str | None,
    upload: tuple[str | None, str | None] | None = None,
    enrichment: tuple[Any, Any] | None = None,
) -> tuple[Any, Any, Any, Any, Any, Any]:
    """:func:`sync_focus` plus the options of both dropdowns (a dropdown drops a value that is
    not among its options, so values and options are set together).

    ``prop_id`` is the triggering ``"<id>.<prop>"`` (None or ``"."`` on the first call).

    Returns
    -------
    (color-by value, color-by options, gene-search value, gene-search options, focus, alert)
    """
    from dashboard.gene_space import search_options

    prop_id = prop_id or ""
    trigger = prop_id.split(".", 1)[0] if prop_id and prop_id != "." else None
    if prop_id.endswith(".search_value"):  # typing in a dropdown: only its options change
        color, gene, focus, alert = no_update, no_update, no_update, None
    else:
        color, gene, focus, alert = sync_focus(
            context,
            trigger,
            url_search,
            gene_click,
            search_value,
            color_value,
            list_text,
            upload,
            enrichment,
        )
    new_color = color_value if color is no_update else color
    new_gene = search_value if gene is no_update else gene
    return (
        color,
        color_options(context, color_search, new_color),
        gene,
        search_options(context, gene_search, new_gene),
        focus,
        alert,
    )


def upload_reset(props: list[str], contents: str | None) -> Any:
    """The new ``contents`` of ``gene-list-upload`` after a call of the ``color-by`` callback.

    ``props`` are the triggering ``"<id>.<prop>"``. A file just read is emptied (None), so that
    the same file dropped again is a change (``dcc.Upload`` does not report identical contents)
    and is read again; otherwise ``no_update``. The callback empties its own input, which Dash
    does not feed back to it; a clientside callback then empties the ``<input type=file>``.
    """
    if f"{ids.GENE_LIST_UPLOAD}.contents" in props and contents is not None:
        return None
    return no_update


def list_text_after(props: list[str], color: Any, shown: Any = None) -> Any:
    """The new text of the gene-list box after a call of the ``color-by`` callback: the genes of
    a list file just read (the box kept the list typed before, and "Colour by this list" went
    back to it) or of a link's list (a link opened coloured by a list left the box empty, its
    genes to be typed again to change one), else ``no_update``.

    ``shown``: the colouring before the call. A link's list that is the one shown leaves the
    box alone: Back or Forward to a view coloured by the same list (another gene in focus)
    wrote it over what was typed in the box and not yet applied."""
    upload = f"{ids.GENE_LIST_UPLOAD}.contents" in props
    link = f"{ids.URL}.search" in props and color != shown
    if (upload or link) and isinstance(color, str) and color.startswith("list:"):
        return color.split(":", 1)[1]
    return no_update


def upload_bytes(contents: str | None, filename: str | None, max_bytes: int) -> bytes:
    """The bytes of a ``dcc.Upload`` (a base64 data URL); DataError when unreadable or too big."""
    import base64
    import binascii

    name = filename or "the uploaded file"
    if not contents or "," not in contents or not contents.startswith("data:"):
        raise DataError(f"{name}: could not read the upload")
    _, b64 = contents.split(",", 1)
    if len(b64) * 3 // 4 > max_bytes + 3:  # before decoding a huge upload
        raise DataError(f"{name}: more than {max_bytes:,} bytes; that is the limit here")
    try:
        raw = base64.b64decode(b64, validate=False)
    except (binascii.Error, ValueError):
        raise DataError(f"{name}: the upload is not valid base64 data") from None
    if len(raw) > max_bytes:
        raise DataError(f"{name}: {len(raw):,} bytes; up to {max_bytes:,} are accepted here")
    return raw


#: First-column names that mark a header line of an uploaded gene list (left out).
GENE_LIST_HEADERS = {
    "symbol",
    "symbols",
    "gene",
    "genes",
    "gene_symbol",
    "gene_name",
    "gene_id",
    "geneid",
    "hgnc_symbol",
    "ensembl",
    "ensembl_id",
    "entrez",
    "entrez_id",
    "name",
    "id",
}

#: Header names of the column of genes in a table of several columns, the likeliest first:
#: the page's own CSV files start with ``query`` or ``dataset`` and hold the genes under
#: ``symbol`` (and ``name`` is then the gene's full name).
GENE_COLUMN_NAMES = (
    "symbol",
    "gene_symbol",
    "hgnc_symbol",
    "symbols",
    "gene",
    "genes",
    "gene_name",
    "gene_id",
    "geneid",
    "ensembl",
    "ensembl_id",
    "entrez",
    "entrez_id",
)


def _named_gene_column(lines: list[str]) -> list[str] | None:
    """The entries of the column that a header line names as the genes (``symbol``, ...) when
    it is not the first column (the neighbours' CSV starts with ``query``: its first column
    named the gene in focus 15 times, and the neighbours were left out), or None."""
    first = lines[0] if lines else ""
    sep = "\t" if "\t" in first else "," if "," in first else ";" if ";" in first else None
    if sep is None:
        return None
    # (quoted cells hold commas: the model's name, a gene's GO terms)
    rows = list(csv.reader(lines, delimiter=sep))
    header = [cell.strip().lower() for cell in rows[0]]
    if header[0] in GENE_LIST_HEADERS:
        return None
    column = next((header.index(n) for n in GENE_COLUMN_NAMES if n in header), None)
    if column is None:
        return None
    return [r[column].strip() for r in rows[1:] if len(r) > column and r[column].strip()]


def decode_upload(contents: str | None, filename: str | None = None) -> str:
    """Gene symbols of an uploaded text/CSV/TSV file as one comma-joined string, each once: the
    first column, or the column a header line names as the genes (``symbol``, ``gene_id``...,
    :data:`GENE_COLUMN_NAMES`), as in the page's own neighbours and specific genes CSV files.

    Raises
    ------
    DataError
        Not a data URL, not text, too large, or no symbol in it.
    """
    name = filename or "the uploaded file"
    raw = upload_bytes(contents, filename, GENE_LIST_MAX_BYTES)
    if raw.startswith(b"\x1f\x8b"):  # gzip'd (it was "a binary file"): unpacked, within the limit
        import zlib

        unpacker = zlib.decompressobj(wbits=31)
        try:
            raw = unpacker.decompress(raw, GENE_LIST_MAX_BYTES + 1)
        except zlib.error as exc:
            raise DataError(f"{name}: a damaged gzip file ({exc})") from None
        if len(raw) > GENE_LIST_MAX_BYTES:
            raise DataError(
                f"{name}: more than {GENE_LIST_MAX_BYTES:,} bytes once unpacked; that is the "
                "limit here"
            )
        if not unpacker.eof:
            raise DataError(f"{name}: a damaged or truncated gzip file (its end is missing)")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 (Excel's "Unicode Text"): read
        try:
            raw = raw.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            pass
    said = not_a_table(raw[:4096])
    if said is not None:  # an Excel workbook, a PDF...: named, with a remedy
        raise DataError(f"{name}: {said} (give one gene symbol per line, or a CSV)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's "CSV" on Windows is cp1252: an accent in a note column made the list
        # "not a text file" (a binary file was said so above)
        text = raw.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise DataError(f"{name}: not a text file (give one gene symbol per line, or a CSV)")
    lines = [line for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not line.lstrip().startswith("#")]
    tokens = _named_gene_column(lines)
    if tokens is None:
        tokens = []
        for line in lines:
            first = line.replace("\t", ",").replace(";", ",").split(",")[0].strip().strip('"')
            if first:
                tokens.append(first)
        if tokens and tokens[0].lower() in GENE_LIST_HEADERS:  # a header line, not a gene
            tokens = tokens[1:]
    # a table of one row per gene and term, or per query, names a gene again and again
    tokens = list(dict.fromkeys(tokens))
    if not tokens:
        raise DataError(f"{name}: no gene symbol found (one per line, or in the first column)")
    return ",".join(tokens)


def _clicked_gene(click: dict[str, Any] | None) -> str | None:
    try:
        point = click["points"][0]
    except (TypeError, KeyError, IndexError):
        return None
    sym = point.get("customdata")
    if isinstance(sym, list):
        sym = sym[0] if sym else None
    return str(sym) if sym else None


def register_callbacks(app: Any) -> None:
    context = app.fe_context

    @app.callback(
        Output(ids.COLOR_BY, "value"),
        Output(ids.COLOR_BY, "options"),
        Output(ids.GENE_SEARCH, "value"),
        Output(ids.GENE_SEARCH, "options"),
        Output(ids.FOCUS_GENE, "data"),
        Output(alert_id("color"), "children"),
        Output(ids.GENE_LIST_UPLOAD, "contents"),
        Output(ids.GENE_LIST, "value"),
        Output(ids.COLOR_BY, "optionHeight"),
        Output(ids.GENE_SEARCH, "optionHeight"),
        Output(ids.GENE_ENRICHMENT, "active_cell"),
        Input(ids.URL, "search"),
        Input(ids.GENE_MAP, "clickData"),
        Input(ids.GENE_SEARCH, "value"),
        Input(ids.COLOR_BY, "value"),
        Input(ids.GENE_LIST_APPLY, "n_clicks"),
        Input(ids.COLOR_BY, "search_value"),
        Input(ids.GENE_SEARCH, "search_value"),
        Input(ids.GENE_LIST_UPLOAD, "contents"),
        Input(ids.GENE_ENRICHMENT, "active_cell"),
        State(ids.GENE_LIST, "value"),
        State(ids.GENE_LIST_UPLOAD, "filename"),
        State(ids.GENE_ENRICHMENT, "derived_viewport_data"),
        State(ids.GENE_ENRICHMENT, "data"),
    )
    def sync(
        url_search,
        gene_click,
        search_value,
        color_value,
        _n,
        color_search,
        gene_search,
        upload_contents,
        active_cell,
        list_text,
        upload_name,
        shown_terms,
        terms,
    ):
        # a selection in a dropdown also resets its search text: the value change wins
        props = [t["prop_id"] for t in ctx.triggered if t.get("prop_id")] if ctx.triggered else []
        prop_id = next((p for p in props if not p.endswith(".search_value")), None)
        prop_id = prop_id or (props[0] if props else None)
        out = sync_all(
            context,
            prop_id,
            url_search,
            gene_click,
            search_value,
            color_value,
            list_text,
            color_search,
            gene_search,
            (upload_contents, upload_name),
            (active_cell, shown_terms if shown_terms is not None else terms),
        )
        clicked = f"{ids.GENE_ENRICHMENT}.active_cell" in props and active_cell is not None
        return (
            *out,
            upload_reset(props, upload_contents),
            list_text_after(props, out[0], color_value),
            option_height(out[1], COLOR_OPTION_HEIGHT),
            option_height(out[3], GENE_SEARCH_OPTION_HEIGHT),
            # the cell let go: the same row clicked again (after another colouring) is a change
            None if clicked else no_update,
        )

    # once the list file is read (its contents emptied above), also empty the file input: the
    # browser sends no change for the same file chosen again otherwise
    app.clientside_callback(
        """
        function(contents) {
            if (contents !== null && contents !== undefined) {
                return window.dash_clientside.no_update;
            }
            const input = document.querySelector('#gene-list-upload input[type=file]');
            if (input) { input.value = ''; }
            return null;
        }
        """,
        Output(ids.GENE_LIST_UPLOAD, "filename"),
        Input(ids.GENE_LIST_UPLOAD, "contents"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.SAMPLE_MAP, "figure"),
        Output(ids.SAMPLE_MAP_KIND, "data"),
        Output(alert_id("map"), "children"),
        Output(SAMPLE_MAP_RECOLOUR, "data"),
        Input(ids.COLOR_BY, "value"),
        Input(ids.CLIP, "value"),
        Input(ids.MODEL_STATUS, "data"),
        Input(ids.PLACED, "data"),
        Input(ids.SELECTION, "data"),
        # the page's link, once: its zoom is given to every figure of the page (a figure
        # without it would undo it); the address bar's later changes do not reach it
        Input(ids.URL, "search"),
        State(ids.SAMPLE_MAP_KIND, "data"),
        # the zoom the user made: a new figure keeps it (``uirevision`` alone did not: after a
        # Patch the page's copy of the figure holds the zoom, and a figure without ranges
        # undid it while the link kept ``zoom``)
        State(ids.MAP_ZOOM, "data"),
    )
    def update_sample_map(value, clip, status, placed, selection, url_search, previous, map_zoom):
        rows = (selection or {}).get("rows") or []
        zoom = figure_zoom(context, map_zoom, ids.SAMPLE_MAP, url_search, placed)
        # (a link alone: Back to a view of another colouring also changes the colouring)
        alone = set(ctx.triggered_prop_ids.values()) == {ids.URL}
        if alone and not zoom and previous is not None:
            return no_update, no_update, no_update, no_update  # a link without a zoom: as it is
        reference = (selection or {}).get("reference") or []
        reference = [r for r in reference if isinstance(r, int) and 0 <= r < context.n_samples]
        if ctx.triggered_id == ids.SELECTION:
            # the reference group's outline drawn again when it changes: kept or dropped, or a
            # selection over part of it (those selected are left out of it)
            outline = outline_key(reference_outlined(reference, rows))
            same = outline == (previous or {}).get("outline")
            if same and (not rows or (selection or {}).get("drawn")):
                return no_update, no_update, no_update, no_update  # drawn on the map already
            previous = None  # a selection from the link, or a new outline: show it on the map
        if ctx.triggered_id in (ids.CLIP, ids.MODEL_STATUS, ids.PLACED, ids.URL):
            previous = None  # a new clip range, model, placed samples or link: a new figure
        fig, kind, note = recolor(
            context,
            value,
            clip,
            previous,
            placed,
            rows,
            status=status,
            zoom=zoom,
            reference=reference,
        )
        if isinstance(fig, Recolour):  # made in the page from the trace it shows
            return no_update, kind, note, fig
        return fig, kind, note, no_update

    # a new colouring of the colour trace, made from the trace the page shows (its hover text
    # stays in the page: only the new order and colours come from the server)
    app.clientside_callback(
        ClientsideFunction(namespace="fe_sample_map", function_name="recolour"),
        Output(ids.SAMPLE_MAP, "figure", allow_duplicate=True),
        Input(SAMPLE_MAP_RECOLOUR, "data"),
        State(ids.SAMPLE_MAP, "figure"),
        prevent_initial_call=True,
    )

    @app.callback(Output(ids.CLIP, "disabled"), Input(ids.SAMPLE_MAP_KIND, "data"))
    def update_clip(kind):
        return clip_disabled(kind)

    # the slider's labels say where its handles are (dragged, or set by a link)
    @app.callback(Output(ids.CLIP, "marks"), Input(ids.CLIP, "value"))
    def update_clip_marks(value):
        return clip_marks(value)
