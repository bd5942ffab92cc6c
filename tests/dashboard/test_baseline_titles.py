"""The baseline maps in a journal column (85 mm: 502 pixels, three maps a row): the panel
titles (map name, 1-NN accuracy, and a smoothness line for a gene's colouring) lay over the
maps of the row above, and each accuracy line over its neighbours'."""

from __future__ import annotations

import re

import pytest

from dashboard import export, figures

#: plotly's subplot titles: a 16-pixel font, lines 1.3 times it apart, ``<sup>`` at 70%.
TITLE_PX, LINE_PX, SUP_CHAR_PX = 16.0, 1.3 * 16.0, 0.55 * 0.7 * 16.0


def _title_boxes(fig):
    """(title, left, right, bottom, top) of each panel title, in pixels of the plot area, and
    the (left, right, bottom, top) of each map."""
    lay = fig.layout
    plot_w = lay.width - lay.margin.l - lay.margin.r
    plot_h = lay.height - lay.margin.t - lay.margin.b
    drawn = {t.xaxis[1:] for t in fig.data if t.x is not None and len(t.x)}  # ("", "2", ...)
    maps = [
        (
            lay[f"xaxis{n}"].domain[0] * plot_w,
            lay[f"xaxis{n}"].domain[1] * plot_w,
            lay[f"yaxis{n}"].domain[0] * plot_h,
            lay[f"yaxis{n}"].domain[1] * plot_h,
        )
        for n in drawn
    ]
    titles = []
    for note in lay.annotations:
        if note.yref != "paper" or note.yanchor != "bottom" or not note.text:
            continue
        lines = re.split(r"<br>", note.text)
        wide = max(
            len(re.sub(r"<[^>]+>", "", t)) * (SUP_CHAR_PX if "<sup>" in t else 0.55 * TITLE_PX)
            for t in lines
        )
        x, y = note.x * plot_w, note.y * plot_h
        top = y + TITLE_PX + LINE_PX * (len(lines) - 1)
        titles.append((lines[0], x - wide / 2, x + wide / 2, y, top))
    return titles, maps


@pytest.mark.parametrize("color", [None, "obs:GATA4"])
def test_panel_titles_of_a_journal_column_lie_over_no_map(context, result, kept_figures, color):
    size = "single column (85 mm, 300 dpi)"
    export.export_figure(context, "baselines", "svg", size, {"color": color})
    fig = kept_figures[-1]
    assert fig.layout.width == figures.EXPORT_SIZES[size][0]
    titles, maps = _title_boxes(fig)
    assert len(titles) == len(maps) == 5
    for name, left, right, bottom, top in titles:
        for m_left, m_right, m_bottom, _ in maps:
            # a title sits on its own map's top: no map above it reaches down into its lines
            if m_bottom > bottom + 1 and left < m_right and right > m_left:
                assert top <= m_bottom, (name, top, m_bottom)
        for other, o_left, o_right, o_bottom, _ in titles:
            if other != name and abs(o_bottom - bottom) < 1:  # (a row's titles side by side)
                assert right <= o_left or left >= o_right, (name, other)
