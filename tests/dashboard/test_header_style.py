"""The header's lines (data, model) as the page's style sheet draws them at a window's width."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STYLE = Path(__file__).resolve().parents[2] / "assets" / "style.css"


def _white_space(selector: str, width: int) -> str | None:
    """The ``white-space`` of ``selector`` in a window ``width`` pixels wide: the last rule of
    style.css for exactly that selector, at the top level or in an ``@media`` block of min- and
    max-widths that the width meets."""
    css = re.sub(r"/\*.*?\*/", "", STYLE.read_text(), flags=re.S)
    found = None
    pos = 0
    blocks = []  # (media condition or None, rules text), in the sheet's order
    for media in re.finditer(r"@media([^{]*)\{((?:[^{}]*\{[^{}]*\})*)\s*\}", css):
        blocks.append((None, css[pos : media.start()]))
        blocks.append((media.group(1), media.group(2)))
        pos = media.end()
    blocks.append((None, css[pos:]))
    for condition, rules in blocks:
        if condition is not None:
            low = [int(n) for n in re.findall(r"min-width:\s*(\d+)px", condition)]
            high = [int(n) for n in re.findall(r"max-width:\s*(\d+)px", condition)]
            if any(width < n for n in low) or any(width > n for n in high):
                continue
        for names, body in re.findall(r"([^{}]+)\{([^{}]*)\}", rules):
            if selector in [n.strip() for n in names.split(",")]:
                value = re.search(r"white-space:\s*([\w-]+)", body)
                found = value.group(1) if value else found
    return found


@pytest.mark.parametrize("width", [1280, 1440, 1920])
def test_the_model_line_wraps_whole_in_a_wide_window(width):
    """At 1280 and 1440 pixels the model's line of the 26 tissues was cut at "gene map: UMAP
    of…" (one line, an ellipsis): in a wide window it wraps, whole."""
    assert _white_space(".model-info", width) == "normal"


@pytest.mark.parametrize("width", [1100, 1000, 700])
def test_the_model_line_keeps_one_line_in_a_smaller_window(width):
    """At 1100 pixels and below the header keeps its height: one line, cut with an ellipsis,
    whole on hovering and unfolded by a click (tests/browser/test_small_screens.py)."""
    assert _white_space(".model-info", width) == "nowrap"
