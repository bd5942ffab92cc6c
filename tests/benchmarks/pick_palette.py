"""Pick the class palette (``core.palette.CLASS_COLORS``) for normal and colour-deficient vision.

Thirty colours are picked one by one from a grid of sRGB colours (each channel a multiple of
15), each the candidate whose smallest CIEDE2000 difference to the colours before it, to the
grey of unlabelled samples and to the white background is largest, where a difference counts
in three views: normal vision, deuteranopia and protanopia (the two common deficiencies, about
6% and 2% of men), plus a quarter of its smallest difference in normal vision
(:data:`NORMAL_WEIGHT`: most readers see normally). Only colours of CIELAB lightness between
``L_MIN`` and ``L_MAX`` and chroma ``C_MIN`` or more are candidates (the bounds of the palette
before this one): lighter colours fade into white, darker ones read as the black rings and
outlines of the dashboard, greyer ones as the unlabelled grey. The first colours are thus as
far apart as the grid allows (a map of two classes, sex, gets two colours 50 or more apart in
every view).

References, implemented here with numpy alone:

- sRGB -> CIE XYZ (D65) -> CIELAB: IEC 61966-2-1 and CIE 15:2004.
- CIEDE2000: G. Sharma, W. Wu, E. N. Dalal, "The CIEDE2000 color-difference formula:
  implementation notes, supplementary test data, and mathematical observations", Color Research
  and Application 30(1), 2005.
- Colour-vision deficiency: G. M. Machado, M. M. Oliveira, L. A. F. Fernandes, "A
  physiologically-based model for simulation of color vision deficiency", IEEE TVCG 15(6),
  2009; the severity-1.0 matrices of deuteranopia and protanopia, applied to linear RGB.

Printed: the picked palette (as ``core/palette.py`` writes it) and whether it is
``CLASS_COLORS``, then for the first 27 colours (the GTEx map of 27 tissues) and all 30, the
palette before (``OLD_PALETTE``) against the one picked here: the smallest pairwise difference
and the number of pairs below 10 (hard to tell apart) in each view, and the smallest difference
to the unlabelled grey. For comparison, the pure maximin over the three views (without
:data:`NORMAL_WEIGHT`).

    python tests/benchmarks/pick_palette.py
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

#: The colours the palette is kept apart from: the unlabelled grey and the white background.
UNLABELLED = "#d0d0d0"
BACKGROUND = "#ffffff"
#: Candidates: each sRGB channel a multiple of this (0, 15, ..., 255).
GRID_STEP = 15
#: CIELAB lightness bounds and least chroma of a candidate: a point reads on white, apart from
#: black, and as a colour rather than a grey.
L_MIN, L_MAX = 30.0, 80.0
C_MIN = 30.0
N_COLOURS = 30
#: What a pick adds to its smallest difference over the three views: this share of its smallest
#: difference in normal vision. The pure maximin (0) left 6 pairs of the first 27 colours under
#: 10 for normal vision (the palette before: 1) for a deutan minimum of 7.7; with a quarter,
#: none, for a deutan minimum of 6.8 and fewer pairs under 10 in every view.
NORMAL_WEIGHT = 0.25
#: The palette before this pick (2026-12-07), picked for normal vision alone: the figures'
#: "before".
OLD_PALETTE = (
    "#1e78b4 #ff0000 #0000ff #00d200 #ff1eb4 #e1b400 #005a1e #872d2d #5a2da5 #00d2b4 "
    "#e1a5ff #ffa578 #e100ff #96c35a #f0005a #785a00 #693c69 #f087a5 #f07800 #4b87ff "
    "#2dc3e1 #a50f69 #784bff #a50000 #008700 #00d278 #d25ae1 #b4a569 #2d8778 #96d200"
).split()

#: Machado et al. 2009, severity 1.0 (dichromacy), on linear RGB.
MACHADO = {
    "deutan": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "protan": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
}
VIEWS = ("normal", "deutan", "protan")


def hex_to_rgb(colours) -> np.ndarray:
    """sRGB in [0, 1], one row per ``#rrggbb`` colour."""
    return (
        np.array(
            [[int(c.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)] for c in colours], dtype=float
        )
        / 255.0
    )


def rgb_to_hex(rgb: np.ndarray) -> str:
    return "#" + "".join(f"{int(round(v * 255)):02x}" for v in rgb)


def _to_linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)


def _lab_from_linear(lin: np.ndarray) -> np.ndarray:
    m = np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return np.stack(
        [116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1
    )


def lab(rgb: np.ndarray, view: str = "normal") -> np.ndarray:
    """CIELAB (D65) of sRGB colours in [0, 1] as seen in ``view`` (normal, deutan, protan)."""
    lin = _to_linear(np.atleast_2d(rgb))
    if view != "normal":
        lin = np.clip(lin @ MACHADO[view].T, 0.0, 1.0)
    return _lab_from_linear(lin)


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 difference (kL = kC = kH = 1) of CIELAB colours, broadcast over rows."""
    L1, a1, b1 = np.moveaxis(np.asarray(lab1, dtype=float), -1, 0)
    L2, a2, b2 = np.moveaxis(np.asarray(lab2, dtype=float), -1, 0)
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    h1p = np.where(c1p == 0, 0.0, h1p)
    h2p = np.where(c2p == 0, 0.0, h2p)
    dl = L2 - L1
    dc = c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0.0, dh)
    dH = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh) / 2)
    l_bar = (L1 + L2) / 2
    cp_bar = (c1p + c2p) / 2
    hsum = h1p + h2p
    h_bar = np.where(
        np.abs(h1p - h2p) <= 180, hsum / 2, np.where(hsum < 360, hsum / 2 + 180, hsum / 2 - 180)
    )
    h_bar = np.where(c1p * c2p == 0, hsum, h_bar)
    t = (
        1
        - 0.17 * np.cos(np.radians(h_bar - 30))
        + 0.24 * np.cos(np.radians(2 * h_bar))
        + 0.32 * np.cos(np.radians(3 * h_bar + 6))
        - 0.20 * np.cos(np.radians(4 * h_bar - 63))
    )
    d_theta = 30 * np.exp(-(((h_bar - 275) / 25) ** 2))
    rc = 2 * np.sqrt(cp_bar**7 / (cp_bar**7 + 25.0**7))
    sl = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    sc = 1 + 0.045 * cp_bar
    sh = 1 + 0.015 * cp_bar * t
    rt = -np.sin(np.radians(2 * d_theta)) * rc
    return np.sqrt((dl / sl) ** 2 + (dc / sc) ** 2 + (dH / sh) ** 2 + rt * (dc / sc) * (dH / sh))


def candidates(step: int = GRID_STEP) -> np.ndarray:
    """The sRGB grid (rows in [0, 1]) within the lightness and chroma bounds, in a fixed order."""
    levels = np.arange(0, 256, step) / 255.0
    grid = np.array(list(itertools.product(levels, repeat=3)))
    lightness, a, b = lab(grid).T
    return grid[(lightness >= L_MIN) & (lightness <= L_MAX) & (np.hypot(a, b) >= C_MIN)]


def pick(
    n: int = N_COLOURS, step: int = GRID_STEP, normal_weight: float = NORMAL_WEIGHT
) -> tuple[list[str], list[float]]:
    """``n`` colours picked one by one, each maximising its smallest difference over the three
    views plus ``normal_weight`` times its smallest difference in normal vision (0: the pure
    maximin, printed for comparison); each pick's smallest difference over the views."""
    grid = candidates(step)
    grid_lab = {v: lab(grid, v) for v in VIEWS}
    nearest = {v: np.full(len(grid), np.inf) for v in VIEWS}

    def keep_apart(rgb: np.ndarray) -> None:
        for v in VIEWS:
            d = ciede2000(grid_lab[v], lab(rgb, v)[0])
            np.minimum(nearest[v], d, out=nearest[v])

    for fixed in hex_to_rgb([UNLABELLED, BACKGROUND]):
        keep_apart(fixed)
    picked, distances = [], []
    for _ in range(n):
        worst = np.minimum.reduce([nearest[v] for v in VIEWS])
        best = int(np.argmax(worst + normal_weight * nearest["normal"]))  # ties: the first
        picked.append(rgb_to_hex(grid[best]))
        distances.append(float(worst[best]))
        keep_apart(grid[best])
    return picked, distances


def pair_differences(colours, view: str) -> np.ndarray:
    """CIEDE2000 of every pair of ``colours`` in ``view`` (condensed, pairs in order)."""
    labs = lab(hex_to_rgb(colours), view)
    i, j = np.triu_indices(len(colours), k=1)
    return ciede2000(labs[i], labs[j])


def to_grey(colours, view: str) -> np.ndarray:
    """CIEDE2000 of each colour to the unlabelled grey in ``view``."""
    return ciede2000(lab(hex_to_rgb(colours), view), lab(hex_to_rgb([UNLABELLED]), view)[0])


def summary(colours, n: int) -> dict[str, tuple[float, int, float]]:
    """Per view: smallest pairwise difference of the first ``n``, pairs below 10, and the
    smallest difference to the unlabelled grey."""
    out = {}
    for v in VIEWS:
        d = pair_differences(colours[:n], v)
        out[v] = (float(d.min()), int((d < 10).sum()), float(to_grey(colours[:n], v).min()))
    return out


def _palette_source(colours: list[str]) -> str:
    rows = [" ".join(colours[k : k + 10]) for k in range(0, len(colours), 10)]
    return "\n".join(f'        "{r} "' for r in rows)


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from core.palette import CLASS_COLORS

    new, distances = pick()
    alt, _ = pick(normal_weight=0.0)
    print("picked:")
    print(_palette_source(new))
    print("each pick's smallest difference:", " ".join(f"{d:.1f}" for d in distances))
    same = list(CLASS_COLORS) == new
    print("core.palette.CLASS_COLORS", "is" if same else "is NOT", "this palette")
    for n in (27, N_COLOURS):
        npairs = n * (n - 1) // 2
        print(f"\nfirst {n} colours ({npairs} pairs): smallest CIEDE2000, pairs < 10, to grey")
        rows = (("before", OLD_PALETTE), ("picked", new), ("pure maximin", alt))
        for name, colours in rows:
            s = summary(colours, n)
            cells = "  ".join(f"{v} {s[v][0]:4.1f} {s[v][1]:3d} {s[v][2]:4.1f}" for v in VIEWS)
            print(f"  {name:13s} {cells}")


if __name__ == "__main__":
    main()
