"""The block form of the network computes exactly the per-pair function of the paper."""

from __future__ import annotations

import pytest
import torch

from core.errors import ModelError
from core.model import FactorizedEmbedding, NetworkConfig


@pytest.mark.parametrize("hidden", [(10,), (25,), (100, 50, 50)])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_block_equals_pairs(hidden, activation):
    gen = torch.Generator().manual_seed(len(hidden) * 7 + len(activation))
    net = FactorizedEmbedding(NetworkConfig(37, 23, 2, 11, hidden, activation), gen)
    rows = torch.randperm(37, generator=gen)[:9]
    genes = torch.randperm(23, generator=gen)[:17]
    block = net.forward_block(rows, genes)
    assert block.shape == (9, 17)
    pair_rows = rows[:, None].expand(9, 17).reshape(-1)
    pair_genes = genes[None, :].expand(9, 17).reshape(-1)
    pairs = net.forward_pairs(pair_rows, pair_genes).reshape(9, 17)
    rel = (block - pairs).norm() / pairs.norm()
    assert rel < 1e-5


def test_all_genes_and_seeded_init():
    cfg = NetworkConfig(5, 8, gene_dim=3, hidden=(4,))
    a = FactorizedEmbedding(cfg, torch.Generator().manual_seed(1))
    b = FactorizedEmbedding(cfg, torch.Generator().manual_seed(1))
    c = FactorizedEmbedding(cfg, torch.Generator().manual_seed(2))
    rows = torch.arange(5)
    assert torch.equal(a(rows), b(rows))
    assert not torch.equal(a(rows), c(rows))
    assert a(rows).shape == (5, 8)


def test_flops_per_pair_counts_layers():
    net = FactorizedEmbedding(NetworkConfig(2, 2, hidden=(100, 50, 50)))
    assert net.flops_per_pair() == 100 + 2 * 100 * 50 + 2 * 50 * 50 + 2 * 50


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sample_dim": 0},
        {"hidden": ()},
        {"hidden": (10, -1)},
        {"activation": "softmax"},
        {"activation": ["relu"]},  # was a TypeError (unhashable), not a ModelError
    ],
)
def test_bad_config(kwargs):
    with pytest.raises(ModelError):
        NetworkConfig(3, 3, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [{"sample_dim": 2.5}, {"gene_dim": "4"}, {"hidden": 5}, {"hidden": ("a",)}, {"hidden": "8"}],
)
def test_bad_config_types_are_model_errors(kwargs):
    with pytest.raises(ModelError, match="sample_dim|gene_dim|hidden"):
        NetworkConfig(3, 3, **kwargs)
    # whole numbers of other types are taken as they are
    cfg = NetworkConfig(3.0, 3, hidden=[4.0])
    assert cfg.n_samples == 3 and isinstance(cfg.n_samples, int) and cfg.hidden == (4,)


def test_seeded_init_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    FactorizedEmbedding(NetworkConfig(5, 4, hidden=(8, 8, 4)), torch.Generator().manual_seed(0))
    assert torch.equal(torch.rand(3), expected)


def test_building_a_network_leaves_sympy_unloaded():
    """torch.nn.utils.skip_init imported torch.fx and sympy: 34 MB of resident memory in every
    process that built a model (the dashboard's server among them)."""
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import sys, torch\n"
        "from core.model import FactorizedEmbedding, NetworkConfig\n"
        "FactorizedEmbedding(NetworkConfig(5, 4), torch.Generator().manual_seed(0))\n"
        "print('sympy' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"
