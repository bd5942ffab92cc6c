"""A gene-set preset in a link (``?color=set:...``) by its short name (``set:Keratins``, the
words before the bracket, as the colour bar names it) as well as by its full or former name;
an unknown one is said, with the presets' names. ``set:Keratins`` was refused as "unknown gene
set": only the full name was read."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from dashboard import ids, sample_map
from dashboard.context import GENE_SET_PRESETS

HEART = "Heart genes (GATA4, TBX5)"


def _text(alert) -> str:
    return "" if alert is None else str(alert.children)


def _link(context, color: str):
    return sample_map.sync_focus(context, ids.URL, f"?color={color}", None, None, None, None)


def test_a_preset_is_named_by_its_short_or_full_name():
    full = "Keratins (KRT + a number)"
    for typed in ("Keratins", "keratins", " Keratins ", full, "Keratins (KRT   a number)"):
        assert sample_map.canonical_color(None, f"set:{typed}") == f"set:{full}", typed
    assert sample_map.canonical_color(None, "set:Keratins (KRT*)") == f"set:{full}"


@pytest.mark.parametrize("typed", ["Heart%20genes", "Heart+genes", "heart+genes", quote(HEART)])
def test_a_link_colours_by_a_preset_of_its_short_or_full_name(context, monkeypatch, typed):
    monkeypatch.setitem(GENE_SET_PRESETS, HEART, r"^(GATA4|TBX5)$")
    color, _, _, alert = _link(context, f"set:{typed}")
    assert (color, alert) == (f"set:{HEART}", None), _text(alert)
    spec = sample_map.resolve_color(context, color)
    assert spec.title == "Heart genes: mean z (2 genes)"


def test_a_link_to_an_unknown_preset_names_the_presets(context):
    color, _, _, alert = _link(context, "set:Heart")
    said = _text(alert)
    assert color == sample_map.default_color(context)
    assert said.startswith("link: unknown gene set 'Heart': the presets are "), said
    assert all(repr(name) in said for name in GENE_SET_PRESETS), said
