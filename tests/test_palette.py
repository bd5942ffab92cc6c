"""The class palette reads for normal vision and for deutan and protan viewers alike.

The old palette, picked for normal vision alone, made Testis and Pancreas of a GTEx map of 27
tissues one colour for a deutan viewer (CIEDE2000 2.3; 1.0 for the closest pair of a protan
viewer). The palette is picked by tests/benchmarks/pick_palette.py (its figures in
tests/benchmarks/RESULTS.md, "Class palette for colour-deficient vision").
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from core.palette import CLASS_COLORS, UNLABELLED_COLOR

_SCRIPT = Path(__file__).resolve().parent / "benchmarks" / "pick_palette.py"


@pytest.fixture(scope="module")
def pick_palette():
    spec = importlib.util.spec_from_file_location("pick_palette", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_colour_difference_follows_sharma_test_data(pick_palette):
    """CIEDE2000 as Sharma, Wu and Dalal (2005) tabulate it (pairs 1, 7, 17, 25, 34)."""
    first = np.array(
        [
            [50.0, 2.6772, -79.7751],
            [50.0, 0.0, 0.0],
            [50.0, 2.5, 0.0],
            [60.2574, -34.0099, 36.2677],
            [2.0776, 0.0795, -1.1350],
        ]
    )
    second = np.array(
        [
            [50.0, 0.0, -82.7485],
            [50.0, -1.0, 2.0],
            [73.0, 25.0, -18.0],
            [60.4626, -34.1751, 39.4387],
            [0.9033, -0.0636, -0.5514],
        ]
    )
    expected = [2.0425, 2.3669, 27.1492, 1.2644, 0.9082]
    assert pick_palette.ciede2000(first, second) == pytest.approx(expected, abs=1e-4)
    # the simulated views keep white white and grey grey (Machado's rows sum to 1)
    for view in ("deutan", "protan"):
        grey = pick_palette.lab(pick_palette.hex_to_rgb(["#ffffff", UNLABELLED_COLOR]), view)
        assert np.abs(grey[:, 1:]).max() < 0.5


def test_first_27_colours_are_apart_in_every_view(pick_palette):
    """Measured: 10.8 normal, 6.8 deutan, 7.2 protan (the old palette: 7.2, 2.3, 1.0); no pair
    under 10 for normal vision (old: 1), 20 for deutan and 16 for protan (old: 27, 29); each
    colour 7.8 or more from the unlabelled grey in every view (old: 7.4 deutan)."""
    colours = list(CLASS_COLORS[:27])
    for view, least, under_10 in (("normal", 10.0, 0), ("deutan", 6.5, 22), ("protan", 7.0, 18)):
        differences = pick_palette.pair_differences(colours, view)
        assert differences.min() > least, (view, differences.min())
        assert (differences < 10).sum() <= under_10, view
        assert pick_palette.to_grey(colours, view).min() > 7.0, view
    # a map of two classes (sex): the first two colours far apart for every viewer
    for view in pick_palette.VIEWS:
        assert pick_palette.pair_differences(colours[:2], view)[0] > 40, view


def test_the_script_picks_the_palette(pick_palette):
    picked, distances = pick_palette.pick()
    assert picked == list(CLASS_COLORS)
    assert distances[0] >= distances[1] > 40  # (the first pick: far from white and the grey)
