"""A gene-set preset none of whose genes is in the dataset points to GO terms of what it marks:
none of the four presets' genes (keratins, MYH6, CD8B, XIST) is among the 26-tissue set's 467,
and "CD8B" typed said only that, until "T cell" was guessed."""

from __future__ import annotations

from dashboard.sample_map import color_options


def _unknown(context, typed: str) -> str:
    (label,) = [o["label"] for o in color_options(context, typed, None) if "unknown" in o["label"]]
    return label


def test_an_absent_preset_names_words_that_find_its_go_terms(context):
    said = _unknown(context, "CD8B")
    assert "the gene set 'CD8B (T cells)' has no gene here either" in said
    assert said.endswith(": type 'T cell' to find GO terms of what it marks")
    # the words find GO terms with genes of this dataset
    offered = color_options(context, "T cell", None)
    assert any("T cell" in o["label"] for o in offered if o["value"].startswith("go:"))
    assert "type 'cardiac muscle'" in _unknown(context, "MYH6")
    # no GO term with genes here holds the words: nothing offered
    assert _unknown(context, "XIST").endswith("has no gene here either")
