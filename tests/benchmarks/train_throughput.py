"""Training throughput: the whole-row block trainer vs a per-pair DataLoader trainer.

Run on demand (not collected by pytest)::

    .venv/bin/python tests/benchmarks/train_throughput.py [--device cpu|cuda] [--hidden 100,50,50]

Both trainers fit the same network (:class:`core.model.FactorizedEmbedding`) to the same matrix:
a SIMULATED GTEx-like set (``core.simulate``; throughput does not depend on the values). The
per-pair trainer is the paper's approach: a table of (sample, gene, value) for every pair, shuffled
by a DataLoader in batches of 10,000, each batch through the per-pair forward, RMSprop. The block
trainer is :func:`core.train.train_network` (whole sample rows per step, split first layer).
Printed: pairs/s of each, their ratio, and the achieved FLOP rate (forward + backward ~ 3x the
forward multiply-adds x 2).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core.model import FactorizedEmbedding, NetworkConfig  # noqa: E402
from core.simulate import simulate_gtex_like  # noqa: E402
from core.train import TrainConfig, auto_pairs_per_step, train_network  # noqa: E402


def per_pair_throughput(
    values: np.ndarray, net_cfg: NetworkConfig, device, seconds: float
) -> float:
    """Pairs/s of the paper's per-pair DataLoader trainer (batch 10,000, RMSprop 1e-3)."""
    n, g = values.shape
    sample_idx = torch.arange(n).repeat_interleave(g)
    gene_idx = torch.arange(g).repeat(n)
    target = torch.from_numpy(values.reshape(-1))
    dataset = torch.utils.data.TensorDataset(sample_idx, gene_idx, target)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=10_000, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    model = FactorizedEmbedding(net_cfg, torch.Generator().manual_seed(0)).to(device)
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    pairs, t0, started = 0, None, 0
    for s, j, y in loader:
        s, j, y = s.to(device), j.to(device), y.to(device)
        loss = torch.nn.functional.mse_loss(model.forward_pairs(s, j), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        started += 1
        if started == 3:  # warm-up done
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
        elif t0 is not None:
            pairs += len(y)
            if time.perf_counter() - t0 > seconds:
                break
    if device.type == "cuda":
        torch.cuda.synchronize()
    return pairs / (time.perf_counter() - t0)


def block_throughput(
    values: np.ndarray, net_cfg: NetworkConfig, device, epochs: int, pairs_per_step: int
):
    model = FactorizedEmbedding(net_cfg, torch.Generator().manual_seed(0))
    cfg = TrainConfig(
        epochs=epochs, device=device.type, pairs_per_step=pairs_per_step, reassign_every=0, lr=1e-3
    )
    state = train_network(model, values, cfg)
    return state.pairs_seen / state.elapsed_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--hidden", default="100,50,50")
    parser.add_argument("--gene-dim", type=int, default=50)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--genes", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--pairs-per-step", type=int, default=0, help="0 = the trainer's default")
    parser.add_argument(
        "--seconds", type=float, default=15.0, help="timing of the per-pair trainer"
    )
    args = parser.parse_args()

    device = torch.device(
        ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    )
    hidden = tuple(int(h) for h in args.hidden.split(","))
    es = simulate_gtex_like(n_samples=args.samples, n_genes=args.genes, seed=0)
    values = es.values
    net_cfg = NetworkConfig(values.shape[0], values.shape[1], 2, args.gene_dim, hidden)
    flops_fwd = FactorizedEmbedding(NetworkConfig(2, 2, 2, args.gene_dim, hidden)).flops_per_pair()
    flops_train = 3 * flops_fwd
    print(
        f"device: {device} ({torch.cuda.get_device_name() if device.type == 'cuda' else 'CPU'}), "
        f"torch threads: {torch.get_num_threads()}"
    )
    print(
        f"data: SIMULATED {values.shape[0]} samples x {values.shape[1]} genes; network "
        f"gene_dim {args.gene_dim}, hidden {hidden}; "
        f"~{flops_train / 1e3:.1f} kFLOP per pair trained"
    )

    pairs_per_step = args.pairs_per_step or auto_pairs_per_step(device, min(args.genes, 8192))
    block = block_throughput(values, net_cfg, device, args.epochs, pairs_per_step)
    pair = per_pair_throughput(values, net_cfg, device, args.seconds)
    print(f"{'trainer':<34}{'pairs/s':>14}{'GFLOP/s':>10}")
    print(f"{'per-pair DataLoader (batch 10k)':<34}{pair:>14,.0f}{pair * flops_train / 1e9:>10.1f}")
    label = f"block ({pairs_per_step} pairs/step)"
    print(f"{label:<34}{block:>14,.0f}{block * flops_train / 1e9:>10.1f}")
    print(f"ratio block / per-pair: {block / pair:.1f}x")


if __name__ == "__main__":
    main()
