"""Placing new samples without torch's optimiser and scikit-learn: the coordinates are those
torch's Adam gives, the neighbours those scikit-learn finds, and neither ``torch._dynamo`` nor
scikit-learn is imported to place a few samples; ``python -m core --help`` imports no
scipy.spatial (``tests/benchmarks/RESULTS.md``, "Placing a few samples: imports")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from core.data import ExpressionSet
from core.estimator import FactorizedEmbeddings

REPO = Path(__file__).resolve().parents[1]


def _small(seed=0, n=60, genes=12):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(3), n // 3)
    values = rng.uniform(0, 3, size=(3, genes))[groups] + rng.normal(0, 0.05, (n, genes))
    return ExpressionSet.from_array(values.astype(np.float32))


def _descend(make, start, weights, target, steps):
    """``steps`` steps of the optimiser ``make(coords)`` on a loss of the coordinates."""
    coords = start.clone().requires_grad_(True)
    optimizer = make(coords)
    for step in range(steps):
        optimizer.zero_grad(set_to_none=True)
        if step % 7 != 3:  # (some steps without a gradient: no step, as torch's)
            loss = ((torch.tanh(coords @ weights) - target) ** 2).sum()
            loss.backward()
        optimizer.step()
    return coords.detach()


@pytest.mark.parametrize("lr", [0.02, 0.3])
def test_coordinate_adam_steps_as_torch_adam(lr):
    from core.train_grid import CoordinateAdam

    gen = torch.Generator().manual_seed(0)
    start = torch.randn(40, 2, generator=gen)
    weights = torch.randn(2, 30, generator=gen)
    target = torch.rand(40, 30, generator=gen)
    theirs = _descend(lambda c: torch.optim.Adam([c], lr=lr), start, weights, target, 60)
    ours = _descend(lambda c: CoordinateAdam(c, lr), start, weights, target, 60)
    assert (theirs - start).abs().max() > 0.1  # (the steps moved the points)
    assert (ours - theirs).abs().max().item() <= 1e-6


@pytest.mark.parametrize("neighbour_weight", [None, 0.0])
def test_placed_samples_have_the_coordinates_of_torch_adam(monkeypatch, neighbour_weight):
    """Both placings (from the neighbours' place; grid search without the regulariser) give
    the coordinates they gave with ``torch.optim.Adam``."""
    import core.estimator
    import core.placement
    from core.train_grid import refine_coordinates

    fe = FactorizedEmbeddings(
        epochs=3, gene_dim=4, hidden=(8,), seed=0, neighbour_weight=neighbour_weight
    ).fit(_small())
    new = _small(seed=1, n=9)
    ours, our_error = fe.transform(new, return_error=True)
    given = []

    def with_torch_adam(*args, **kwargs):
        given.append(kwargs.pop("torch_adam"))
        return refine_coordinates(*args, **kwargs, torch_adam=True)

    monkeypatch.setattr(core.estimator, "refine_coordinates", with_torch_adam)
    monkeypatch.setattr(core.placement, "refine_coordinates", with_torch_adam)
    theirs, their_error = fe.transform(new, return_error=True)
    assert given == [False]
    assert np.abs(ours - theirs).max() <= 1e-6
    assert np.abs(our_error - their_error).max() <= 1e-6


def _run(script: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_placing_a_few_samples_imports_neither_dynamo_nor_sklearn(tmp_path):
    FactorizedEmbeddings(epochs=2, gene_dim=4, hidden=(8,), seed=0).fit(_small()).save(
        tmp_path / "m"
    )
    loaded = _run(
        f"""
import json, sys
import numpy as np
from core.data import ExpressionSet
from core.estimator import FactorizedEmbeddings
fe = FactorizedEmbeddings.load({str(tmp_path / "m")!r})
values = np.random.default_rng(1).uniform(0, 3, size=(6, 12)).astype(np.float32)
coords = fe.transform(ExpressionSet.from_array(values))
print(json.dumps({{"placed": bool((coords == coords).all()),
                  **{{m: m in sys.modules for m in ("torch._dynamo", "sklearn")}}}}))
"""
    )
    assert loaded == {"placed": True, "torch._dynamo": False, "sklearn": False}


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"]])
def test_help_imports_no_torch_nor_scipy_spatial(argv):
    loaded = _run(
        f"""
import json, runpy, sys
sys.argv = ["core", *{argv!r}]
try:
    runpy.run_module("core", run_name="__main__")
except SystemExit as exc:
    code = exc.code
names = ("torch", "sklearn", "scipy.spatial", "scipy.special")
print(json.dumps({{"code": code, **{{m: m in sys.modules for m in names}}}}))
"""
    )
    assert loaded == {
        "code": 0,
        "torch": False,
        "sklearn": False,
        "scipy.spatial": False,
        "scipy.special": False,
    }


def test_reference_neighbours_as_sklearn_finds_them(monkeypatch):
    """Complete samples: numpy below ``NUMPY_NEIGHBOUR_PAIRS``, scikit-learn above, the same
    neighbours in the same order as ``NearestNeighbors`` in the reference's space."""
    from sklearn.neighbors import NearestNeighbors

    import core.placement
    from core.estimator import _graph_reference, center_rows

    rng = np.random.default_rng(0)
    groups = rng.normal(size=(5, 40)) * 2
    train = (groups[np.repeat(np.arange(5), 60)] + rng.normal(size=(300, 40))).astype(np.float32)
    ref = _graph_reference(train, seed=0)
    new = center_rows(train[::3] + rng.normal(scale=0.5, size=(100, 40)).astype(np.float32))
    expected = (
        NearestNeighbors(n_neighbors=7)
        .fit(ref["scores"].astype(np.float64))
        .kneighbors(
            (new.astype(np.float64) - ref["mean"]) @ ref["basis"].astype(np.float64),
            return_distance=False,
        )
    )
    found = {}
    for pairs in (0, 10**9):  # (all by scikit-learn; all by numpy)
        monkeypatch.setattr(core.placement, "NUMPY_NEIGHBOUR_PAIRS", pairs)
        found[pairs] = core.placement._reference_neighbours(new, ref, 7)
    np.testing.assert_array_equal(found[0], expected)
    np.testing.assert_array_equal(found[10**9], expected)
