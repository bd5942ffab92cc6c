"""Lasso/box selection of samples (genes specific to it) and the in-silico probe (click anywhere
on the sample map: the profile the model decodes there and the nearest real samples)."""

from __future__ import annotations

import base64
import logging
import sys
import zlib
from typing import Any

import numpy as np
import pandas as pd
from dash import Input, Output, State, ctx, html, no_update

from core.errors import CoreError, DataError
from dashboard import figures, ids
from dashboard.context import (
    MAX_SPECIFIC_P,
    SPECIFIC_HIGHER,
    SPECIFIC_LOWER,
    SPECIFIC_PAGE,
    SPECIFIC_SAVED,
)
from dashboard.figure_samples import REFERENCE_META
from dashboard.gene_space import MAX_SELECTED_GENES
from dashboard.layout import (
    LABEL_SELECT_WITHIN_TEXT,
    NO_SELECTION,
    NO_SELECTION_DRAWN,
    SELECTION_GENES_GO_NONE,
    SELECTION_GENES_GO_TEXT,
    SIMULATED_GENES,
    alert_id,
    annotation_word,
    label_within_options,
    specific_columns,
    specific_heading,
    specific_threshold,
)
from dashboard.layout import alert as _alert
from dashboard.layout import table_records as _records
from dashboard.sample_map import parse_query, reference_outlined, resolve_color
from dashboard.uploads import quoted

log = logging.getLogger(__name__)


def rows_from_selected(selected: dict[str, Any] | None) -> list[int] | None:
    """Sample rows of the points in a ``selectedData`` (their ``customdata``); None if no event.

    Points of the invisible probe grid carry no row and are ignored.
    """
    if selected is None:
        return None
    rows = []
    for p in selected.get("points", []) or []:
        cd = p.get("customdata")
        if isinstance(cd, list):
            cd = cd[0] if cd else None
        if isinstance(cd, int | float) and not isinstance(cd, bool):
            rows.append(int(cd))
    return sorted(set(rows))


#: First character of a selection written as a compressed bitmap (:func:`encode_rows`); the
#: ranges form starts with a digit.
BITMAP_PREFIX = "z"


def encode_rows(rows: list[int]) -> str:
    """Compact text of sorted row indices, the shorter of two forms.

    Ranges joined by dots (``0-4.9.12-13``), readable, for a few samples or a few runs of
    them; or ``z`` and the zlib-compressed bitmap of the rows in URL-safe base64, for samples
    scattered over the matrix (a lasso on a map of 8,000 samples takes rows from all over it:
    about 1,300 characters for any number of them, where ranges held about 600 samples).
    """
    rows = sorted(set(int(r) for r in rows))
    parts, i = [], 0
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and rows[j + 1] == rows[j] + 1:
            j += 1
        parts.append(str(rows[i]) if i == j else f"{rows[i]}-{rows[j]}")
        i = j + 1
    ranges = ".".join(parts)
    if len(rows) < 8:
        return ranges
    bits = np.zeros(rows[-1] + 1, dtype=bool)
    bits[rows] = True
    packed = zlib.compress(np.packbits(bits).tobytes(), 9)
    bitmap = BITMAP_PREFIX + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")
    return min(ranges, bitmap, key=len)


def _decode_bitmap(text: str, n_samples: int) -> list[int]:
    """Rows of a ``z`` selection; never inflates more than ``n_samples`` bits (a link cannot
    make the server decompress a bomb)."""
    body = text[len(BITMAP_PREFIX) :]
    limit = (max(int(n_samples), 0) + 7) // 8
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflate = zlib.decompressobj()
        raw = inflate.decompress(packed, limit)
        beyond = bool(inflate.unconsumed_tail) or bool(inflate.flush(1))
    except (ValueError, zlib.error):
        raise DataError(
            "the selection in the link is malformed (its bitmap does not read)"
        ) from None
    if not inflate.eof and not beyond:
        raise DataError("the selection in the link is malformed (its bitmap is cut short)")
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8)).astype(bool)
    if beyond or bits[n_samples:].any():
        raise DataError(f"the selection in the link refers to samples beyond the {n_samples} here")
    return np.flatnonzero(bits[:n_samples]).tolist()


def decode_rows(text: str, n_samples: int) -> list[int]:
    """Inverse of :func:`encode_rows` (raises DataError on malformed text or rows out of range).

    Each row or range is checked against ``n_samples`` before it is read: a short link that
    names ranges of millions of rows costs no more than one of the samples here."""
    if (text or "").startswith(BITMAP_PREFIX):
        return _decode_bitmap(text, n_samples)
    chosen = np.zeros(max(int(n_samples), 0), dtype=bool)
    for part in (text or "").split("."):
        if not part:
            continue
        try:
            a, b = (int(x) for x in part.split("-", 1)) if "-" in part else (int(part),) * 2
        except ValueError:
            raise DataError(f"the selection in the link is malformed near {part!r}") from None
        if b < a:
            raise DataError(f"the selection in the link is malformed near {part!r}")
        if a < 0 or b >= n_samples:
            raise DataError(
                f"the selection in the link refers to samples beyond the {n_samples} here"
            )
        chosen[a : b + 1] = True
    return np.flatnonzero(chosen).tolist()


def selection_from_inputs(
    context: Any,
    trigger: str | None,
    selected: dict | None,
    url_search: str | None,
    previous: dict | None = None,
) -> tuple[Any, Any]:
    """The selection store from a map selection or the link -> (store, alert).

    The store is ``{"rows": [...]}``, with ``"drawn": True`` when the selection was drawn on the
    map (the map shows it already), ``"empty": True`` when a box or lasso caught no sample, and
    ``"reference": [...]`` while a reference group is kept (a new selection keeps it; a link
    gives its own, ``ref``). ``previous``: the store before this event.
    """
    if trigger == ids.SAMPLE_MAP:
        reference = (previous or {}).get("reference")
        kept = {"reference": reference} if reference else {}
        rows = rows_from_selected(selected)
        if rows is None:
            if (previous or {}).get("empty"):
                # the page took the empty box away (it faded every sample): no selection
                # still, and the message that the box was empty stays
                return no_update, None
            return {"rows": [], **kept}, None
        if not rows:
            if not (selected.get("range") or selected.get("lassoPoints")):
                # plotly sends an empty selection, with no box or lasso, each time the figure
                # is replaced (a new colouring): not the user's, the selection stays
                return no_update, None
            return {"rows": [], "empty": True, **kept}, None
        return {"rows": rows, "drawn": True, **kept}, None
    q = parse_query(url_search)
    if "sel" not in q and LINK_REFERENCE not in q:
        return no_update, None
    store: dict[str, Any] = {"rows": []}
    if "sel" in q:
        try:
            store["rows"] = decode_rows(q["sel"], context.n_samples)
        except DataError as exc:
            return {"rows": []}, _alert(f"link: {exc}")
    if LINK_REFERENCE in q:
        # (a reference that does not read is left out, said; the link's selection stays)
        try:
            store["reference"] = decode_rows(q[LINK_REFERENCE], context.n_samples)
        except DataError as exc:
            return store, _alert(f"link's ref (the reference group, left out): {exc}")
    return store, None


#: The link's part that holds the reference group (:func:`encode_rows`), beside ``sel``.
LINK_REFERENCE = "ref"
#: The link's part that holds the direction of the genes listed: ``dir=lower`` for the genes
#: lower in the selection; absent, the genes higher in it.
LINK_DIRECTION = "dir"


def is_lower(direction: Any) -> bool:
    """Whether the choice by the specific-genes table (its value) lists the genes lower in the
    selection (anything else lists the higher ones, the default)."""
    return direction == SPECIFIC_LOWER


def link_direction_problem(url_search: str | None) -> str | None:
    """What is wrong with a link's ``dir`` (neither ``higher`` nor ``lower``), or None."""
    q = parse_query(url_search)
    value = q.get(LINK_DIRECTION)
    if value is None or value in (SPECIFIC_HIGHER, SPECIFIC_LOWER):
        return None
    shown = str(value)[:40]
    return (
        f"{LINK_DIRECTION}={shown!r} is neither {SPECIFIC_HIGHER!r} nor {SPECIFIC_LOWER!r}; "
        "the specific genes listed are those higher in the selection"
    )


def direction_from_link(url_search: str | None, shown: Any = None) -> Any:
    """The value of the choice by the specific-genes table that a link holds (``dir=lower``;
    no ``dir``: higher), or ``no_update`` when the page shows it already (``shown``) or the
    link's ``dir`` does not read (said by :func:`link_direction_problem`, the higher genes
    then listed: the page's default)."""
    value = parse_query(url_search).get(LINK_DIRECTION, SPECIFIC_HIGHER)
    if value not in (SPECIFIC_HIGHER, SPECIFIC_LOWER):
        value = SPECIFIC_HIGHER
    return no_update if value == (shown or SPECIFIC_HIGHER) else value


def _threshold_text(lower: bool = False) -> str:
    """What a gene needs to be listed as specific to a selection, in the page's words."""
    return (
        f"{specific_threshold(lower)}, and one-sided p of {MAX_SPECIFIC_P:g} or "
        f"less: a small selection needs a {'more negative' if lower else 'larger'} t"
    )


def _counts(values: Any, rows: list[int]) -> str:
    """The labels of the selected ``rows`` counted, the largest first: ``Ovary 178, Uterus
    138``; a sample without one is "unlabelled", as in the map's legend (was "nan")."""
    labels = legend_labels(values)[rows]
    vals, n = np.unique(labels, return_counts=True)
    ranked = sorted(zip(vals, n, strict=True), key=lambda t: -t[1])
    # the largest 4 named, and the rest counted: "(A 20, B 20, C 20, D 20)" of 171
    # samples read as a selection of those 4 tissues alone
    top = ", ".join(f"{v} {int(c):,}" for v, c in ranked[:4])
    rest = ranked[4:]
    if rest:
        more = sum(int(c) for _, c in rest)
        top += f", and {len(rest)} more ({more:,} sample{'s' if more > 1 else ''})"
    return top


#: The label of samples without one, as the map's legend and the selection line call it.
UNLABELLED = "unlabelled"


def legend_labels(values: Any) -> np.ndarray:
    """(n_samples,) the labels as the sample map's legend writes them: a blank, ``nan`` or
    ``None`` label is :data:`UNLABELLED`, as the map draws it (``figure_style._missing``;
    pandas' missing values alone left " (2)" and "nan (3)" in the box beside "unlabelled (1)",
    where the legend said "unlabelled (6)")."""
    return np.array(
        [UNLABELLED if figures._missing(v) else str(v) for v in pd.Series(values)], dtype=object
    )


def _colour_annotation(context: Any, color: str | None) -> tuple[str, Any] | None:
    """(column, legend labels) of the categorical annotation that ``color`` (the ``color-by``
    value) colours the sample map by, or None: a gene, a continuous annotation, no colouring."""
    if not color or not str(color).startswith("ann:"):
        return None
    try:
        spec = resolve_color(context, color)
    except CoreError:
        return None
    if spec.kind != "categorical":
        return None
    return str(color).split(":", 1)[1], spec.values


def label_word(column: str) -> str:
    """What an annotation's labels are, in a line's words: ``tissue`` (SMTS), ``sex``; the
    column's name where its meaning is a sentence (DTHHRDY)."""
    word = annotation_word(column)
    return column if ":" in word else word


def group_counts(context: Any, rows: list[int], color: str | None) -> str:
    """`` (Heart 431; sex: male 290, female 141)``: ``rows`` counted by tissue, and by the
    categorical annotation the sample map is coloured by (``color``) when it is another one,
    else by GTEx's detailed tissue when the rows are of one tissue (``(Heart 429; detailed
    tissue: Heart - Atrial Appendage 429)``); "" without annotations."""
    cols = [c for c in ("SMTS", "tissue") if c in context.samples.columns]
    counted = []
    if cols:
        counted.append(_counts(context.samples[cols[0]], rows))
    colour = _colour_annotation(context, color)
    if colour is not None and colour[0] not in cols[:1]:
        word = label_word(colour[0])
        counted.append(f"{word}: {_counts(colour[1], rows)}")
    elif cols and "SMTSD" in context.samples.columns and rows:
        # one tissue: its detailed tissues say more (on a map coloured by MYH7 the atrial
        # appendage against the left ventricle read "(Heart 429)" against "(Heart 431)")
        tissues = context.samples[cols[0]].iloc[sorted(set(rows))]
        if tissues.nunique(dropna=False) == 1:
            detailed = _counts(context.samples["SMTSD"], rows)
            counted.append(f"{label_word('SMTSD')}: {detailed}")
    return f" ({'; '.join(counted)})" if counted else ""


def samples_text(n: int) -> str:
    """``1 sample``, ``1,204 samples``."""
    return f"{n:,} sample{'' if n == 1 else 's'}"


def reference_rows(context: Any, store: dict[str, Any] | None) -> list[int]:
    """The reference group's rows that the ``selection`` store holds (``reference``), those out
    of this dataset's range left out (a link made on other data is said by the link's check)."""
    rows = (store or {}).get("reference") or []
    try:
        return sorted({int(r) for r in rows if 0 <= int(r) < context.n_samples})
    except (TypeError, ValueError):
        return []


def describe_selection(
    context: Any, store: dict[str, Any] | None, color: str | None = None, lower: bool = False
) -> tuple[str, list[dict], list[str], Any]:
    """Text, specific-gene rows, their symbols (for gene space) and an alert for a selection.

    The rows are every gene "Specific genes as CSV" saves (up to ``SPECIFIC_SAVED``), the
    highest t first: the page's table shows them ``SPECIFIC_PAGE`` a page, and its sorting
    orders them all.
    The selected samples are counted by tissue, and by the annotation the sample map is
    coloured by (``color``, the ``color-by`` value) when it is another categorical one: a box
    on a map coloured by sex said how many of each tissue, not of each sex.
    With a reference group kept (the store's ``reference``), the genes are those higher in
    the selection than in it (its samples also selected left out), and the line counts it.
    ``lower``: the genes lower in the selection instead, the most negative t first, and the
    line says "lower"."""
    reference = reference_rows(context, store)
    rows = (store or {}).get("rows") or []
    if reference:
        ref = f"the reference group of {samples_text(len(reference))}"
        ref += group_counts(context, reference, color)
        if not rows and not (store or {}).get("empty"):
            return (
                f"{no_selection_text(context)}, to compare it with {ref}.",
                [],
                [],
                None,
            )
        if rows and not set(reference) - set(rows):
            text = f"{samples_text(len(set(rows)))} selected{group_counts(context, rows, color)}"
            if len(reference) == len(set(rows)):  # (its counts said once, not twice)
                said = "they are the reference group"
            else:
                said = f"they hold the reference group of {samples_text(len(reference))}"
            return (
                # (both ways to select, as the line without a selection: the label box's
                # choice read as no way to compare with it)
                f"{text}: {said}; draw a lasso or box around the samples to compare with it, "
                "or choose their labels above",
                [],
                [],
                None,
            )
    if not store or (not rows and not store.get("empty")):
        return no_selection_text(context) + ".", [], [], None
    try:
        table = context.specific_genes(
            rows, top=SPECIFIC_SAVED, reference=reference or None, lower=lower
        )
    except CoreError as exc:
        return "No usable selection.", [], [], _alert(str(exc))
    word = "lower" if lower else "higher"
    info = f"{samples_text(len(rows))} selected{group_counts(context, rows, color)}"
    others = "the other samples"
    if reference:
        both = len(set(reference) & set(rows))
        info += f", against {ref}"
        if both:
            info += f" ({both:,} of them selected too: left out of it)"
        others = "the reference group"
    if len(set(rows)) == 1:
        info += "; genes are scored (Welch's t) from 2 selected samples on: select more"
    elif table.empty:
        info += f"; no gene is clearly {word} in them than in {others} ({_threshold_text(lower)})"
    elif len(table) > SPECIFIC_PAGE:  # more than a page: the table's sort orders them all
        cut = len(table) >= SPECIFIC_SAVED
        first = f"the {len(table)} {'lowest' if lower else 'highest'}"
        info += (
            f"; {'at least ' if cut else ''}{len(table)} genes clearly {word} in them "
            f"({_threshold_text(lower)}): {first if cut else 'all'} listed, "
            f"{SPECIFIC_PAGE} a page; sorting a column sorts them all"
        )
    if not table.empty and getattr(context, "simulated", False):
        info += f". {SIMULATED_GENES}"  # (the demo's Liver: APOA1 at t = 264 read as biology)
    # every gene saved is listed, the table pages them (the 25 highest alone were listed)
    return info, _records(table), table["symbol"].tolist(), None


def reference_view(context: Any, store: dict[str, Any] | None, lower: bool = False) -> tuple:
    """The specific-genes table's heading, columns and header help, and whether the reference
    buttons are disabled (keep: a selection of 2 samples or more, not the reference already;
    clear: a reference kept), for the ``selection`` store and the genes listed (``lower``:
    those lower in the selection)."""
    reference = reference_rows(context, store)
    rows = sorted(set((store or {}).get("rows") or []))
    # the samples compared with: those also selected are left out of it, as the line, the
    # gene tables' label, the CSV and the map's outline count them (all of it while it is all
    # selected)
    compared = len(reference_outlined(reference, rows))
    columns, tips = specific_columns(context, compared or None, lower)
    keep_disabled = len(rows) < 2 or rows == reference
    return (
        specific_heading(compared or None, lower, bool(getattr(context, "simulated", False))),
        columns,
        tips,
        keep_disabled,
        not reference,
    )


def keep_reference(store: dict[str, Any] | None, trigger: str | None) -> Any:
    """The ``selection`` store once a reference button is clicked (``trigger``): the selection
    kept as the reference group, or the reference dropped. The selection stays (marked drawn:
    the map shows it already); the map is drawn again for the reference group's outline, which
    changed (:func:`dashboard.sample_map.outline_key`)."""
    store = dict(store or {})
    if trigger == ids.REFERENCE_KEEP:
        rows = sorted(set(store.get("rows") or []))
        if len(rows) < 2:
            return no_update
        store["reference"] = rows
    elif trigger == ids.REFERENCE_CLEAR:
        if not store.pop("reference", None):
            return no_update
    else:
        return no_update
    store["drawn"] = True
    return store


def selection_genes_update(
    context: Any, store: Any, color: Any, trigger: Any, lower: bool = False
) -> tuple:
    """The specific-genes callback: :func:`describe_selection` and the table's page, the first
    for a new selection, or a new direction (``lower``, the choice by the table: a new list
    opened on the page the former one was left at). A new
    colouring (``trigger`` ``color-by``) changes the line's counts alone: the specific genes
    written again would be a new selection's for the gene tables (their listing taken away)."""
    out = describe_selection(context, store, color, lower)
    if trigger == ids.COLOR_BY:
        return out[0], no_update, no_update, no_update, no_update
    return (*out, 0)


def label_annotation(context: Any, color: str | None) -> tuple[str, np.ndarray] | None:
    """(column, the samples' labels as the legend writes them, "unlabelled" for none) that the
    labels to select samples by come from: the categorical annotation the map is coloured by
    (``color``), else the first categorical annotation (the tissue, while a gene colours the
    map); None without one."""
    found = _colour_annotation(context, color)
    for column in context.annotation_columns if found is None else ():
        found = _colour_annotation(context, f"ann:{column}")
        if found is not None:
            break
    if found is None:
        return None
    column, values = found
    return column, legend_labels(values)


def no_selection_text(context: Any) -> str:
    """The selection line before any selection: the ways to make one, the labels above only
    where the dataset has some to choose (its box disabled, the line named it all the same)."""
    return NO_SELECTION if label_annotation(context, None) is not None else NO_SELECTION_DRAWN


def label_choices(context: Any, color: str | None) -> tuple[list[dict[str, str]], str, bool]:
    """The dropdown's options to select samples by (``Heart (431)``, in the legend's order:
    by name, numbers by their value, the unlabelled last), its placeholder, and whether it is
    disabled (no categorical annotation: the placeholder names the continuous ones)."""
    found = label_annotation(context, color)
    if found is None:
        columns = list(context.annotation_columns)
        if columns:  # (age, a score: numbers of too many values to choose from)
            named = ", ".join(columns[:3]) + ("…" if len(columns) > 3 else "")
            placeholder = f"no sample annotation of categories to select samples by ({named}: "
            return [], placeholder + "continuous)", True
        return [], "no sample annotation to select samples by", True
    column, labels = found
    names, counts = np.unique(labels, return_counts=True)
    # (a plain sort put 10 before 2, and Zebra before apple: not as the legend lists them)
    ranked = sorted(
        zip(names, counts, strict=True),
        key=lambda t: (t[0] == UNLABELLED, figures._natural_key(t[0])),
    )
    # a name that another holds comes before it: the box lists what matches the text typed
    # in this order, and "male" typed (and Enter) chose "female"
    held: list[tuple[Any, Any]] = []
    for name, n in ranked:
        low = str(name).lower()
        at = next((i for i, (o, _) in enumerate(held) if low in str(o).lower()), len(held))
        held.insert(at, (name, n))
    ranked = held
    # the count in a label of its own, searched by the name alone: the box searches a label's
    # text, and "60" typed chose "50-59 (5,460)" (the label is a component: left unsearched)
    options = [
        {
            "label": html.Span([str(name), html.Span(f" ({int(n):,})", className="option-count")]),
            "value": str(name),
            "search": str(name),
        }
        for name, n in ranked
    ]
    return options, f"select samples by {label_word(column)}…", False


def select_by_label(
    context: Any, chosen: Any, within: Any, color: str | None, store: dict[str, Any] | None
) -> tuple[Any, Any]:
    """The ``selection`` store once "Select" is clicked -> (store, alert): the samples of the
    labels ``chosen``, or, ``within`` ("only among those selected"), those of them already
    selected. A reference group kept stays. Not marked drawn: the map shows it (a link's
    selection is shown so)."""
    chosen = [str(c) for c in (chosen or [])]
    if not chosen:
        return no_update, None
    found = label_annotation(context, color)
    if found is None:
        return no_update, _alert("no sample annotation to select samples by")
    column, labels = found
    word = label_word(column)
    missing = sorted(set(chosen) - set(labels.tolist()))
    if missing:  # (options of another colouring, left in the box)
        return no_update, _alert(
            f"no sample has the {word} {', '.join(quoted(m) for m in missing)}: choose again"
        )
    rows = np.flatnonzero(np.isin(labels, chosen)).tolist()
    store = dict(store or {})
    if within:
        current = set(store.get("rows") or [])
        if not current:
            return no_update, _alert(
                "no samples are selected to choose among: untick "
                f"{quoted(LABEL_SELECT_WITHIN_TEXT)}, or draw a lasso or box first",
                "warning",
            )
        rows = [r for r in rows if r in current]
        if not rows:
            return no_update, _alert(
                f"none of the {samples_text(len(current))} selected has the {word} "
                f"{' or '.join(chosen)}: the selection stays",
                "warning",
            )
    kept = {"reference": store["reference"]} if store.get("reference") else {}
    return {"rows": rows, **kept}, None


def go_button(symbols: list[str] | None) -> tuple[str, bool, str]:
    """Text, ``disabled`` and tooltip of the button by the specific-genes table, for the genes
    it lists (the ``selection-genes-store``: all of them, on every page of the table, up to
    :data:`MAX_SELECTED_GENES`): disabled, and saying why, when it lists none."""
    n = min(len(symbols or []), MAX_SELECTED_GENES)
    if n == 0:
        return SELECTION_GENES_GO_TEXT, True, SELECTION_GENES_GO_NONE
    genes = "this gene" if n == 1 else f"these {n} genes"
    pages = " (every page of the table)" if n > SPECIFIC_PAGE else ""
    return (
        f"GO processes of {genes}",
        False,
        f"List {genes}{pages} in the gene tables, under the gene map, with the GO biological "
        "processes enriched among them; a gene clicked or found lists its neighbours again",
    )


def probe_at(context: Any, click: dict[str, Any] | None) -> tuple[str, list[dict], list[dict], Any]:
    """Probe text, top decoded genes and nearest samples for a click on a point of the sample
    map (its ``clickData``): a sample, or a placed sample's star, decodes at that point.

    A click plotly reports on the probe grid's invisible points is left alone (``no_update``):
    the page reports the place clicked itself (:func:`probe_at_place`), and decoding at the
    grid point too would answer one click twice.
    """
    if not click:
        return no_update, no_update, no_update, None
    try:
        point = click["points"][0]
        x, y = float(point["x"]), float(point["y"])
    except (KeyError, IndexError, TypeError, ValueError):
        return no_update, no_update, no_update, _alert("could not read the clicked point")
    curve = point.get("curveNumber")
    if curve == figures.PROBE_TRACE:
        return no_update, no_update, no_update, None
    if point.get("customdata") is not None:
        where = "a sample"
    elif curve is not None:  # a point of another trace without sample rows: a star
        where = "a placed sample"
    else:
        where = "empty space"
    return _decode(context, x, y, where)


def _number(value: Any) -> float | None:
    """``value`` as a float when it is a number (a bool or a text is not), else None; an integer
    beyond the floats' range reads as the largest float of its sign (off the map all the same)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:
        return sys.float_info.max if value > 0 else -sys.float_info.max


def probe_at_place(
    context: Any, place: dict[str, Any] | None
) -> tuple[str, list[dict], list[dict], Any]:
    """Probe text, top decoded genes and nearest samples at the place clicked on the sample
    map's plot area, away from any sample (the ``probe-click`` store, ``{"x", "y"}`` in the
    map's data coordinates, written by ``assets/probe.js``).

    The place is checked before decoding: numbers, finite, and within the square the probe
    covers around the samples (:func:`dashboard.figures.probe_reach`; beyond it the model
    extrapolates without bound). Anything else is said in the alert, and the probe panel is
    left as it was.
    """
    if not place:
        return no_update, no_update, no_update, None
    keep = (no_update, no_update, no_update)
    if not isinstance(place, dict):
        return *keep, _alert(f"the probe: the clicked place is not a place ({place!r:.60})")
    x, y = _number(place.get("x")), _number(place.get("y"))
    if x is None or y is None:
        got = f"x = {place.get('x')!r:.30}, y = {place.get('y')!r:.30}"
        return *keep, _alert(f"the probe: the clicked place must be two numbers ({got})")
    if not (np.isfinite(x) and np.isfinite(y)):
        return *keep, _alert(f"the probe: the clicked place ({x}, {y}) is not a finite coordinate")
    try:
        st = context.require_state()
    except CoreError as exc:
        return *keep, _alert(str(exc))
    lo, hi = figures.probe_reach(st.sample_embedding)
    if not (lo[0] <= x <= hi[0] and lo[1] <= y <= hi[1]):
        return *keep, _alert(
            f"the probe: ({x:.3g}, {y:.3g}) lies off the map; a click decodes within x "
            f"{lo[0]:.2f} to {hi[0]:.2f} and y {lo[1]:.2f} to {hi[1]:.2f} (around the samples)"
        )
    return _decode(context, x, y, "empty space")


def place_digits(coords: np.ndarray) -> int:
    """Decimals that show a place on a map of ``coords`` (n, 2) to a ten-thousandth of the
    samples' span, two at the least: the probe decodes where the click landed, and on a map
    1 unit wide drawn 600 pixels wide and zoomed in 4 times, a step of 0.01 spans 24 pixels."""
    xy = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    xy = xy[np.isfinite(xy).all(axis=1)]
    span = float(np.ptp(xy, axis=0).max()) if len(xy) else 0.0
    if not span > 0:
        return 2
    return int(min(max(2, np.ceil(-np.log10(span / 1e4))), 12))


def _decode(
    context: Any, x: float, y: float, where: str
) -> tuple[str, list[dict], list[dict], Any]:
    """The probe's text, tables and alert for the profile decoded at ``(x, y)``."""
    try:
        res = context.probe(x, y)
        digits = place_digits(context.require_state().sample_embedding)
    except CoreError as exc:
        return no_update, no_update, no_update, _alert(str(exc))
    place = f"({x:.{digits}f}, {y:.{digits}f})"
    near = res["samples"]
    label = f"; nearest sample: {near.iloc[0, 0]}" if len(near) else ""
    if len(near.columns) > 2:
        label += f" ({annotation_word(near.columns[2])}: {near.iloc[0, 2]})"
    text = (
        f"Decoded at {place} — {where}{label}. The model's prediction there, "
        f"as z-scores against the samples' mean and sd of each gene."
    )
    alert = None
    if res.get("far"):
        alert = _alert(
            f"{place} is {res['nearest_distance']:.2f} from the nearest sample, "
            f"where 99% of the samples have another within {res['spacing']:.2f}: the model "
            "extrapolates there, and may decode genes that are off almost everywhere above "
            "any value observed. Read this profile with care.",
            "warning",
        )
    return text, _records(res["genes"]), _records(near), alert


def register_callbacks(app: Any) -> None:
    context = app.fe_context

    @app.callback(
        Output(ids.SELECTION, "data"),
        Output(alert_id("link"), "children"),
        Input(ids.SAMPLE_MAP, "selectedData"),
        Input(ids.URL, "search"),
        State(ids.SELECTION, "data"),
    )
    def update_selection(selected, url_search, previous):
        return selection_from_inputs(context, ctx.triggered_id, selected, url_search, previous)

    # A drawn lasso or box sets the selected points of every trace, the stars' too, and plotly
    # draws the selected points of every trace over the others (on a canvas above): a star just
    # outside the selection lay under the selected samples around it. The stars are made
    # selected again, in the data (kept by a zoom's redraw) and in the drawing; so is the
    # reference group's outline (dimmed with the samples left out, it read as dropped).
    # A box or lasso that caught no sample (empty space: the probe grid's invisible points, or
    # nothing) faded every sample, as if all were left out: the box is taken away and the
    # samples shown again; the page says that the box was empty. A reference group kept stays
    # (a box that missed the other heart chamber dropped the one kept).
    app.clientside_callback(
        """
        function(selected, previous) {
            const keep = window.dash_clientside.no_update;
            const kept = ['__META__', '__REFERENCE__'];
            const gd = document.querySelector('#__MAP__ .js-plotly-plot');
            if (!selected || !gd || !gd.calcdata) { return keep; }
            const drawn = selected.range || selected.lassoPoints;
            const samples = (selected.points || []).some(function(p) {
                const cd = Array.isArray(p.customdata) ? p.customdata[0] : p.customdata;
                return typeof cd === 'number';
            });
            if (drawn && !samples) {
                // the box goes (kept in the layout, it would select again) once the page has
                // recorded the empty selection: the deselection that follows keeps it
                setTimeout(function() {
                    Plotly.relayout(gd, {selections: []}).then(function() {
                        Plotly.restyle(gd, {selectedpoints: [null]});
                    });
                }, 0);
                const reference = previous && previous.reference;
                return reference ? {rows: [], empty: true, reference: reference}
                                 : {rows: [], empty: true};
            }
            gd.calcdata.forEach(function(cd) {
                const trace = cd[0] && cd[0].trace, stash = cd[0] && cd[0].t;
                if (!trace || kept.indexOf(trace.meta) < 0 || !stash) { return; }
                const n = trace._length || 0;
                const sel = trace.selectedpoints;
                if (Array.isArray(sel) && sel.length === n) { return; }
                const all = Array.from({length: n}, function(_, j) { return j; });
                trace.selectedpoints = all;
                if (trace._input) { trace._input.selectedpoints = all.slice(); }
                const scene = stash._scene;
                if (scene && scene.selectBatch && scene.unselectBatch && scene.draw) {
                    scene.selectBatch[stash.index] = all;
                    scene.unselectBatch[stash.index] = [];
                    scene.draw();
                }
            });
            return keep;
        }
        """.replace("__MAP__", ids.SAMPLE_MAP)
        .replace("__META__", figures.PLACED_META)
        .replace("__REFERENCE__", REFERENCE_META),
        Output(ids.SELECTION, "data", allow_duplicate=True),
        Input(ids.SAMPLE_MAP, "selectedData"),
        State(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.SELECTION_INFO, "children"),
        Output(ids.SELECTION_GENES, "data"),
        Output(ids.SELECTION_GENES_STORE, "data"),
        Output(alert_id("selection"), "children"),
        Output(ids.SELECTION_GENES, "page_current"),
        Input(ids.SELECTION, "data"),
        Input(ids.MODEL_STATUS, "data"),
        Input(ids.COLOR_BY, "value"),
        Input(ids.SPECIFIC_DIRECTION, "value"),
    )
    def update_selection_genes(store, _status, color, direction):
        return selection_genes_update(context, store, color, ctx.triggered_id, is_lower(direction))

    # a link's direction of the genes listed (dir=lower; none: higher), as the page opens or
    # Back and Forward give it its address (a dir that does not read: export.view_settings)
    @app.callback(
        Output(ids.SPECIFIC_DIRECTION, "value"),
        Input(ids.URL, "search"),
        State(ids.SPECIFIC_DIRECTION, "value"),
    )
    def restore_direction(url_search, shown):
        return direction_from_link(url_search, shown)

    @app.callback(
        Output(ids.SELECTION, "data", allow_duplicate=True),
        Input(ids.REFERENCE_KEEP, "n_clicks"),
        Input(ids.REFERENCE_CLEAR, "n_clicks"),
        State(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )
    def update_reference(_keep, _clear, store):
        return keep_reference(store, ctx.triggered_id)

    @app.callback(
        Output(ids.SELECTION_GENES_HEAD, "children"),
        Output(ids.SELECTION_GENES, "columns"),
        Output(ids.SELECTION_GENES, "tooltip_header"),
        Output(ids.REFERENCE_KEEP, "disabled"),
        Output(ids.REFERENCE_CLEAR, "disabled"),
        Input(ids.SELECTION, "data"),
        Input(ids.SPECIFIC_DIRECTION, "value"),
    )
    def update_reference_view(store, direction):
        return reference_view(context, store, is_lower(direction))

    # the labels to select samples by follow the colouring (a category's, else the tissue's);
    # those chosen are cleared once selected (the selection line counts them)
    @app.callback(
        Output(ids.LABEL_SELECT, "options"),
        Output(ids.LABEL_SELECT, "placeholder"),
        Output(ids.LABEL_SELECT, "disabled"),
        Output(ids.LABEL_SELECT, "value"),
        Output(ids.LABEL_SELECT_WITHIN, "options"),
        Input(ids.COLOR_BY, "value"),
        Input(ids.MODEL_STATUS, "data"),
        State(ids.LABEL_SELECT, "value"),
    )
    def update_label_choices(color, _status, chosen):
        options, placeholder, disabled = label_choices(context, color)
        names = {o["value"] for o in options}
        kept = [c for c in chosen or [] if c in names]  # (a new colouring's labels differ)
        within = label_within_options(disabled)  # (with nothing to choose, nothing to tick)
        return options, placeholder, disabled, kept if kept != (chosen or []) else no_update, within

    @app.callback(
        Output(ids.LABEL_SELECT_APPLY, "disabled"),
        Input(ids.LABEL_SELECT, "value"),
    )
    def update_label_button(chosen):
        return not chosen

    @app.callback(
        Output(ids.SELECTION, "data", allow_duplicate=True),
        Output(alert_id("label"), "children"),
        Output(ids.LABEL_SELECT, "value", allow_duplicate=True),
        Output(ids.LABEL_SELECT_WITHIN, "value"),
        Input(ids.LABEL_SELECT_APPLY, "n_clicks"),
        State(ids.LABEL_SELECT, "value"),
        State(ids.LABEL_SELECT_WITHIN, "value"),
        State(ids.COLOR_BY, "value"),
        State(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )
    def update_label_selection(_n, chosen, within, color, store):
        new, message = select_by_label(context, chosen, within, color, store)
        if new is no_update:
            return new, message, no_update, no_update
        # the labels chosen cleared, and "only among those selected" unticked: left ticked, the
        # next choice was quietly kept to the samples selected now
        return new, message, [], [] if within else no_update

    @app.callback(
        Output(ids.SELECTION_GENES_GO, "children"),
        Output(ids.SELECTION_GENES_GO, "disabled"),
        Output(ids.SELECTION_GENES_GO, "title"),
        Input(ids.SELECTION_GENES_STORE, "data"),
    )
    def update_go_button(symbols):
        return go_button(symbols)

    @app.callback(
        Output(ids.PROBE, "children"),
        Output(ids.PROBE_GENES, "data"),
        Output(ids.PROBE_SAMPLES, "data"),
        Output(alert_id("probe"), "children"),
        Input(ids.SAMPLE_MAP, "clickData"),
        Input(ids.PROBE_CLICK, "data"),
        prevent_initial_call=True,
    )
    def update_probe(click, place):
        # each click has one of them: a sample's point (clickData), or the place clicked away
        # from every sample (assets/probe.js leaves the samples' clicks to clickData)
        if ctx.triggered_id == ids.PROBE_CLICK:
            return probe_at_place(context, place)
        return probe_at(context, click)
