"""Where the gene map's labels go, in plot pixels: the plot area and zoom the page measured, the
boxes of labels and markers, and the placement that keeps each label off every highlighted
marker and off the labels placed before it (:func:`place_labels`). Numbers only: no figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: Plot area of a map (pixels, without legend and margins) assumed for label spacing when the
#: page has not said how large the map is drawn (:func:`plot_area`), and in exported files.
_PLOT_PX = (430.0, 330.0)
#: The font (pixels) of the gene map's ring labels: they are drawn in it
#: (:mod:`dashboard.figure_genes`) and spaced for it (:func:`place_labels`), and a journal-size
#: file's larger print font spaces them as much further apart (``dashboard.export``).
LABEL_FONT_PX = 10.0
#: Plot areas outside these bounds (pixels) are not believed (:func:`plot_area`).
_PLOT_PX_RANGE = (40.0, 8000.0)

#: The axis ranges ``((x0, x1), (y0, y1))`` a map is zoomed to.
View = tuple[tuple[float, float], tuple[float, float]]


#: Text positions a label may take around its point -> the direction it lies in (y up).
LABEL_POSITIONS: dict[str, tuple[float, float]] = {
    "top center": (0.0, 1.0),
    "bottom center": (0.0, -1.0),
    "middle right": (1.0, 0.0),
    "middle left": (-1.0, 0.0),
    "top right": (0.7071, 0.7071),
    "top left": (-0.7071, 0.7071),
    "bottom right": (0.7071, -0.7071),
    "bottom left": (-0.7071, -0.7071),
}

Box = tuple[float, float, float, float]


#: Advance widths (in ems) of Helvetica / Arial (and their metric twin Liberation Sans, which
#: Linux browsers draw for them), by character; others take :data:`_DEFAULT_EM`.
_EM_WIDTHS = {
    **dict.fromkeys("0123456789", 0.556),
    **dict.fromkeys("ABEKPSVXY", 0.667),
    **dict.fromkeys("CDHNRUw", 0.722),
    **dict.fromkeys("GOQ", 0.778),
    **dict.fromkeys("FTZ", 0.611),
    **dict.fromkeys("Lbdghnopqu", 0.556),
    "M": 0.833,
    "m": 0.833,
    "W": 0.944,
    "I": 0.278,
    "J": 0.5,
    **dict.fromkeys("acekvxyz", 0.5),
    **dict.fromkeys("ijl", 0.222),
    **dict.fromkeys("frt-", 0.333),
    "s": 0.5,
    **dict.fromkeys(" .,:;", 0.278),
    "_": 0.556,
}
_DEFAULT_EM = 0.667


def text_width(text: str, font: float) -> float:
    """The width in pixels of ``text`` written at ``font`` pixels, by the characters' widths
    (a flat 0.62 em a character fell short of names in capitals and digits: "UGT1A4" ran out
    of the plot and was cut)."""
    return font * sum(_EM_WIDTHS.get(c, _DEFAULT_EM) for c in text)


def label_box(
    point_px: Sequence[float], text: str, font: float, position: str, radius: float
) -> Box:
    """Box ``(x0, x1, y0, y1)`` in plot pixels (y up) of the label ``text`` written at
    ``position`` (a plotly ``textposition``) of a point at ``point_px`` whose marker has the
    radius ``radius`` (plotly sets the text ``radius / 0.8 + 1`` pixels off the centre)."""
    w, h = text_width(text, font), 1.25 * font
    gap = radius / 0.8 + 1.0
    vertical, horizontal = position.split()
    x, y = float(point_px[0]), float(point_px[1])
    x0 = x - w / 2 if horizontal == "center" else x + gap if horizontal == "right" else x - gap - w
    y0 = y - h / 2 if vertical == "middle" else y + gap if vertical == "top" else y - gap - h
    return x0, x0 + w, y0, y0 + h


def marker_box(point_px: Sequence[float], radius: float) -> Box:
    """Box ``(x0, x1, y0, y1)`` in plot pixels of a marker of radius ``radius``."""
    x, y = float(point_px[0]), float(point_px[1])
    return x - radius, x + radius, y - radius, y + radius


#: Pixels kept between two labels.
_LABEL_GAP = 4.0


def boxes_overlap(a: Box, b: Box, margin: float = 1.0) -> bool:
    """Whether two boxes overlap (or come closer than ``margin`` pixels)."""
    return not (
        a[1] + margin <= b[0]
        or b[1] + margin <= a[0]
        or a[3] + margin <= b[2]
        or b[3] + margin <= a[2]
    )


def plot_area(size: Any) -> tuple[float, float]:
    """The plot area ``(width, height)`` in pixels of a map, from what the page measured.

    Parameters
    ----------
    size
        ``{"width": w, "height": h}`` in pixels (the ``gene-map-size`` store that
        ``assets/plot_size.js`` fills), or anything else (nothing measured yet, a malformed or
        implausible value).

    Returns
    -------
    (width, height)
        The measured size, or :data:`_PLOT_PX` when ``size`` is not a plausible one.
    """
    if not isinstance(size, dict):
        return _PLOT_PX
    lo, hi = _PLOT_PX_RANGE
    out = []
    for key in ("width", "height"):
        value = size.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _PLOT_PX
        value = float(value)
        if not (np.isfinite(value) and lo <= value <= hi):
            return _PLOT_PX
        out.append(value)
    return out[0], out[1]


#: Plotly's autorange of a scatter of markers leaves 5% of the axis length, plus the radius of
#: the outermost marker, between the outermost points and the edge of the plot.
AUTORANGE_PAD = 0.05


def plot_view(size: Any) -> View | None:
    """The axis ranges the user zoomed the map to, from what the page measured.

    Parameters
    ----------
    size
        The ``gene-map-size`` store (``assets/plot_size.js``): ``{"width", "height"}``, with
        ``"x": [x0, x1]`` and ``"y": [y0, y1]`` while the map is zoomed or panned.

    Returns
    -------
    ((x0, x1), (y0, y1)), or None when the map shows all of its points (autorange) or the
    value is not a plausible view.
    """
    if not isinstance(size, dict):
        return None
    out = []
    for key in ("x", "y"):
        pair = size.get(key)
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            return None
        if any(isinstance(v, bool) or not isinstance(v, int | float) for v in pair):
            return None
        lo, hi = float(pair[0]), float(pair[1])
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            return None
        out.append((lo, hi))
    return out[0], out[1]


def plot_pixels(
    layout: np.ndarray,
    plot_px: tuple[float, float] = _PLOT_PX,
    marker_px: float = 4.0,
    view: View | None = None,
) -> np.ndarray:
    """(n, 2) coordinates -> their place in plot pixels (y up) on a map of ``plot_px``
    (width, height) pixels.

    Autoranged (``view`` None), the points' range spans the plot less plotly's padding
    (:data:`AUTORANGE_PAD` of each side, plus ``marker_px``, the radius of the outer points);
    zoomed, the ``view``'s ranges span it exactly (points outside fall outside the plot)."""
    xy = np.asarray(layout, dtype=np.float64)
    size = np.asarray(plot_px, dtype=np.float64)
    if view is not None:
        lo = np.array([view[0][0], view[1][0]], dtype=np.float64)
        span = np.array([view[0][1], view[1][1]], dtype=np.float64) - lo
        return (xy - lo) / span * size
    lo, hi = np.nanmin(xy, axis=0), np.nanmax(xy, axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    pad = AUTORANGE_PAD * size + marker_px
    return pad + (xy - lo) / span * (size - 2 * pad)


def place_labels(
    layout: np.ndarray,
    rows: Sequence[int],
    texts: Sequence[str],
    *,
    radius: float = 9.0,
    font: float = LABEL_FONT_PX,
    focus: int | None = None,
    focus_text: str = "",
    focus_radius: float = 12.0,
    focus_font: float = 13.0,
    markers: Sequence[tuple[int, float]] = (),
    plot_px: tuple[float, float] = _PLOT_PX,
    view: View | None = None,
) -> tuple[np.ndarray, list[str | tuple[float, float]], str | tuple[float, float]]:
    """Where to write the labels of ``rows`` (the most important first), off every marker.

    Each label takes the first of :data:`LABEL_POSITIONS` (the direction pointing away from the
    gene in focus first) where it overlaps no highlighted marker (the labelled rings, the focus
    star, ``markers``), no label placed before it, and stays in the plot. One of the first
    :data:`NEAREST_WITH_LINE` with no such place beside its ring (rings crowded round the star)
    goes further out, with a line to its ring (:func:`annotation_box`): placed in its turn, or
    after the others, whichever labels more of those nearest, then more in all. Any other label
    with no place is left out (hover still names its point). The gene in focus is always
    labelled (off the rings when it can be).

    Parameters
    ----------
    layout
        (n, 2) coordinates of all points; the map spans their range, on a plot of ``plot_px``
        pixels.
    rows
        Rows of the labelled points (markers of radius ``radius`` pixels).
    texts
        Their labels.
    focus, focus_text, focus_radius, focus_font
        The gene in focus (a star), its label, marker radius and font size.
    markers
        Other highlighted markers to keep clear, as ``(row, radius)``.
    plot_px
        (width, height) in pixels of the plot area (the page's, :func:`plot_area`; by default
        :data:`_PLOT_PX`): a larger map leaves room for more labels.
    view
        The axis ranges the map is zoomed to (:func:`plot_view`), or None when it shows all of
        its points: zoomed in, crowded neighbours have room for their labels, and those outside
        the view have none.

    Returns
    -------
    (shown, positions, focus position)
        (len(rows),) bool: the label is written; (len(rows),) textposition of each label, or,
        for a label further out, the offset (dx, dy) in pixels (y up) of its centre from its
        ring: a label with a line (:func:`annotation_box`); the textposition of the focus
        label, or, when the rings leave no room beside the star, such an offset.
    """
    px = plot_pixels(layout, plot_px, view=view)
    rows = [int(r) for r in rows]
    obstacles = [marker_box(px[r], radius) for r in rows]
    obstacles += [marker_box(px[r], rad) for r, rad in markers]
    if focus is not None:
        obstacles.append(marker_box(px[focus], focus_radius))
    width, height = (float(v) for v in plot_px)
    frame = (0.0, width, 0.0, height)  # plotly cuts text at the plot's edge

    def fits(box: Box, taken: list[Box]) -> bool:
        inside = frame[0] <= box[0] and box[1] <= frame[1] and frame[2] <= box[2]
        return (
            inside
            and box[3] <= frame[3]
            and not any(boxes_overlap(box, o) for o in obstacles)
            # names of capitals run wider than the estimate: two labels end to end read as
            # one ("TBX5-AS1TBX4")
            and not any(boxes_overlap(box, o, margin=_LABEL_GAP) for o in taken)
        )

    # the other points, drawn small: a label may cover them, but where it has the choice, it
    # covers the fewest (a name written over dots is hard to read)
    labelled = set(rows) | ({int(focus)} if focus is not None else set())
    others = np.delete(px, sorted(labelled), axis=0) if labelled else px

    def dots_under(box: Box) -> int:
        x, y = others[:, 0], others[:, 1]
        return int(((x >= box[0]) & (x <= box[1]) & (y >= box[2]) & (y <= box[3])).sum())

    labels: list[Box] = []
    focus_position: str | tuple[float, float] = "bottom center"
    if focus is not None:
        focus_position, box = _focus_label(px[focus], focus_text, focus_font, focus_radius, fits)
        labels.append(box)
    placed = [
        _place_rows(
            px, rows, texts, lined_first, font, radius, focus, fits, labels, dots_under, plot_px
        )
        for lined_first in (False, True)
    ]
    # the nearest few labelled first, then as many as can be (alike: the labels with a line
    # placed last): rings crowded round the star found no place beside them and were left
    # out while farther ones were labelled (SPI1 at 85 mm); labels with a line placed in their
    # turn can take the places of several farther ones, placed last they may find none
    first = min(NEAREST_WITH_LINE, len(rows))
    shown, positions = max(placed, key=lambda p: (int(p[0][:first].sum()), int(p[0].sum())))
    return shown, positions, focus_position


def _place_rows(
    px: np.ndarray,
    rows: list[int],
    texts: Sequence[str],
    lined_first: bool,
    font: float,
    radius: float,
    focus: int | None,
    fits: Any,
    taken: list[Box],
    dots_under: Any,
    plot_px: tuple[float, float],
) -> tuple[np.ndarray, list[str | tuple[float, float]]]:
    """The labels of :func:`place_labels` placed in turn, the nearest first, each beside its
    ring or left out; one of the first :data:`NEAREST_WITH_LINE` with no place beside its ring
    further out with a line (:func:`_label_with_line`): in its turn (``lined_first``), or after
    every label beside a ring was placed. ``taken``: the boxes already placed (the focus
    label)."""
    width, height = (float(v) for v in plot_px)
    labels = list(taken)
    shown = np.zeros(len(rows), dtype=bool)
    positions: list[str | tuple[float, float]] = ["top center"] * len(rows)
    directions = []
    for i, (r, t) in enumerate(zip(rows, texts, strict=True)):
        away = px[r] - px[focus] if focus is not None else np.zeros(2)
        norm = float(np.hypot(*away))
        away = away / norm if norm > 1e-9 else np.array([0.0, 1.0])
        directions.append(away)
        if not (0.0 <= px[r][0] <= width and 0.0 <= px[r][1] <= height):
            continue  # out of the view zoomed to: plotly draws neither the ring nor its label
        order = sorted(LABEL_POSITIONS, key=lambda p: -float(np.dot(LABEL_POSITIONS[p], away)))
        # inside the plot or not at all: the edge of the plot cuts a label, and a cut name
        # reads as another gene (ONECUT1 as "CUT1"); hover still names the ring
        best: tuple[int, str | tuple[float, float], Box] | None = None
        for pos in order:  # the first clear place that covers the fewest other points
            box = label_box(px[r], str(t), font, pos, radius)
            if fits(box, labels):
                under = dots_under(box)
                if best is None or under < best[0]:
                    best = (under, pos, box)
                if under == 0:
                    break
        if best is None and lined_first and i < NEAREST_WITH_LINE:  # crowded: further out
            best = _label_with_line(px[r], str(t), font, away, fits, labels, dots_under)
        if best is not None:
            shown[i], positions[i] = True, best[1]
            labels.append(best[2])
    if not lined_first:
        for i in range(min(NEAREST_WITH_LINE, len(rows))):
            r = rows[i]
            if shown[i] or not (0.0 <= px[r][0] <= width and 0.0 <= px[r][1] <= height):
                continue
            best = _label_with_line(
                px[r], str(texts[i]), font, directions[i], fits, labels, dots_under
            )
            if best is not None:
                shown[i], positions[i] = True, best[1]
                labels.append(best[2])
    return shown, positions


#: How many of the nearest neighbours (the first rows of :func:`place_labels`) are labelled
#: further out with a line to their ring when no place beside it is clear: in the crowd round
#: the star the nearest found none and were left out, while farther rings were labelled (SPI1
#: at 85 mm: 4 of 15 labelled, not MNDA nor PIK3R5).
NEAREST_WITH_LINE = 3

#: Distances (pixels) from its ring of the centre of a label with a line, tried nearest first.
_LINE_DISTANCES = (24.0, 32.0, 42.0, 54.0, 68.0, 84.0, 100.0)


def _label_with_line(
    point: np.ndarray,
    text: str,
    font: float,
    away: np.ndarray,
    fits: Any,
    taken: list[Box],
    dots_under: Any,
) -> tuple[int, tuple[float, float], Box] | None:
    """A place further out for the label of a ring at ``point`` with no clear place beside it:
    ``(dots under it, (dx, dy) offset of its centre in pixels, y up, box)``, the nearest clear
    one, in the direction most ``away`` from the gene in focus (of those at one distance, the
    one over the fewest dots), whose line to the ring crosses no label placed (``taken``);
    None if there is none."""
    angles = np.linspace(0.0, 2.0 * np.pi, 16, endpoint=False)
    start = float(np.arctan2(away[1], away[0]))
    # away first, then alternately either side of it
    turns = sorted(angles, key=lambda a: abs((a + np.pi) % (2.0 * np.pi) - np.pi))
    for distance in _LINE_DISTANCES:
        best: tuple[int, tuple[float, float], Box] | None = None
        for turn in turns:
            angle = start + float(turn)
            offset = (distance * float(np.cos(angle)), distance * float(np.sin(angle)))
            box = annotation_box(point, text, font, offset)
            if not fits(box, taken):
                continue
            end = (float(point[0]) + offset[0], float(point[1]) + offset[1])
            if any(_segment_crosses(point, end, o) for o in taken):
                continue
            under = dots_under(box)
            if best is None or under < best[0]:
                best = (under, offset, box)
            if under == 0:
                break
        if best is not None:
            return best
    return None


def _segment_crosses(start: Sequence[float], end: Sequence[float], box: Box) -> bool:
    """Whether the segment from ``start`` to ``end`` (plot pixels) passes through ``box``."""
    t = np.linspace(0.0, 1.0, 25)
    x = float(start[0]) + t * (float(end[0]) - float(start[0]))
    y = float(start[1]) + t * (float(end[1]) - float(start[1]))
    return bool(((x >= box[0]) & (x <= box[1]) & (y >= box[2]) & (y <= box[3])).any())


def annotation_box(
    point_px: Sequence[float], text: str, font: float, offset: Sequence[float]
) -> Box:
    """Box ``(x0, x1, y0, y1)`` in plot pixels (y up) of a label written as an annotation whose
    centre lies ``offset`` (dx, dy) pixels from the point (its text as wide as :func:`text_width`
    counts it: 0.62 em a character fell short of names in capitals, with its 3-pixel padding)."""
    w, h = text_width(text, font) + 6.0, 1.25 * font + 6.0
    x, y = float(point_px[0]) + float(offset[0]), float(point_px[1]) + float(offset[1])
    return x - w / 2, x + w / 2, y - h / 2, y + h / 2


def _focus_label(
    point: np.ndarray, text: str, font: float, radius: float, fits: Any
) -> tuple[str | tuple[float, float], Box]:
    """Where the focus label goes: a text position beside the star when one is clear, else an
    offset (dx, dy) in pixels of a label with an arrow, further out (neighbours crowd the star);
    with its box."""
    for pos in ("bottom center", "top center", *LABEL_POSITIONS):
        box = label_box(point, text, font, pos, radius)
        if fits(box, []):
            return pos, box
    for distance in (35.0, 50.0, 65.0, 80.0, 100.0, 120.0):
        for angle in np.linspace(-np.pi / 2, 1.5 * np.pi, 16, endpoint=False):
            offset = (distance * float(np.cos(angle)), distance * float(np.sin(angle)))
            box = annotation_box(point, text, font, offset)
            if fits(box, []):
                return offset, box
    return "bottom center", label_box(point, text, font, "bottom center", radius)


def spaced_labels(
    layout: np.ndarray,
    rows: Sequence[int],
    texts: Sequence[str],
    font: float = 10.0,
    plot_px: tuple[float, float] = _PLOT_PX,
) -> np.ndarray:
    """Which labels of ``rows`` (the most important first) :func:`place_labels` writes on a
    plot of ``plot_px`` pixels: (len(rows),) bool."""
    return place_labels(layout, rows, texts, font=font, plot_px=plot_px)[0]
