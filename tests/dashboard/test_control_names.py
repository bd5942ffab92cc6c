"""Every dropdown and slider of the page has a label that names it, for a screen reader and for a
click: a walk with the keyboard found the export's "Figure" and "Size", the clip's slider and the
box that selects samples by tissue nameless (a label without htmlFor, or none)."""

from __future__ import annotations

from pathlib import Path

from dash import dcc, html

from dashboard import ids
from dashboard.layout import build_layout
from tests.dashboard.layout_tree import components

ASSETS = Path(__file__).resolve().parents[2] / "assets"

#: Form fields a label names by itself (Dash puts the id on the <input> / <textarea>).
FIELDS = (dcc.Input, dcc.Textarea)
#: Controls whose id sits on an outer div: assets/control_names.js names the control inside.
COMPOSITES = (dcc.Dropdown, dcc.RangeSlider, dcc.Slider, dcc.RadioItems)


def _labels(page) -> dict[str, str]:
    """htmlFor -> the label's words, for every label of ``page`` (each must name something)."""
    found = {}
    for c in components(page):
        if isinstance(c, html.Label):
            assert getattr(c, "htmlFor", None), f"a label without htmlFor: {c.children!r}"
            found[c.htmlFor] = str(c.children)
    return found


def test_every_label_names_a_control(context):
    page = build_layout(context)
    by_id = {getattr(c, "id", None): c for c in components(page)}
    labels = _labels(page)
    assert len(labels) >= 8, labels  # (a page without labels would pass the loop below)
    for target, words in labels.items():
        assert isinstance(by_id.get(target), FIELDS + COMPOSITES), (target, words)


def test_every_dropdown_and_slider_is_labelled(context):
    page = build_layout(context)
    labels = _labels(page)
    named = [
        c.id for c in components(page) if isinstance(c, dcc.Dropdown | dcc.RangeSlider | dcc.Slider)
    ]
    assert len(named) >= 8
    assert [i for i in named if not labels.get(i, "").strip()] == []
    assert labels[ids.LABEL_SELECT] == "Labels to select samples by"
    assert labels[ids.EXPORT_FORMAT] == "Format"


def test_the_script_that_names_the_controls_is_served():
    script = (ASSETS / "control_names.js").read_text()
    assert "aria-label" in script and "label[for]" in script
    css = (ASSETS / "style.css").read_text()
    assert ".visually-hidden" in css and "::placeholder" in css
