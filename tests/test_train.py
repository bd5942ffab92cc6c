"""Training loop: learns, masks missing values, is deterministic for a seed, resumes exactly."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from core.errors import ModelError
from core.model import FactorizedEmbedding, NetworkConfig
from core.train import (
    TrainConfig,
    auto_pairs_per_step,
    best_grid_point,
    check_precision,
    grid_points,
    kernel_odds,
    masked_mse_sum,
    neighbour_graph,
    neighbour_loss,
    rank_weights,
    resolve_precision,
    train_network,
)


@pytest.mark.parametrize(
    ("n_samples", "n_genes"),
    [(520, 467), (16_877, 59), (17_382, 5_000), (17_382, 56_200), (8_000, 2_000)],
)
def test_cuda_blocks_leave_many_steps_per_epoch(n_samples, n_genes):
    """On CUDA, blocks of 4M values made an epoch of the 26-tissue set or of GTEx's 59 genes a
    single step, and a 100-epoch run 100 steps (training loss 0.71 against 0.17 on the CPU)."""
    import math

    import torch

    gene_chunk = min(n_genes, TrainConfig().max_genes_per_step)
    pairs = auto_pairs_per_step(torch.device("cuda"), gene_chunk, n_samples)
    rows = max(1, min(n_samples, pairs // gene_chunk))
    assert 16 <= rows and pairs <= max(1 << 22, 64 * gene_chunk)
    steps = math.ceil(n_samples / rows)
    assert steps >= 100 or rows == 16, (pairs, rows, steps)  # 16 rows: the smallest block
    # on the CPU as before
    assert auto_pairs_per_step(torch.device("cpu"), gene_chunk, n_samples) == max(
        8192, 16 * gene_chunk
    )


def _clusters(n_per=40, n_genes=30, n_groups=4, seed=0):
    """Samples of a few groups with distinct mean profiles (a tiny synthetic matrix)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 3, size=(n_groups, n_genes))
    labels = np.repeat(np.arange(n_groups), n_per)
    values = centres[labels] + rng.normal(0, 0.1, size=(len(labels), n_genes))
    return values.astype(np.float32), labels


def _net(values, seed=0, **kw):
    cfg = NetworkConfig(values.shape[0], values.shape[1], gene_dim=8, hidden=(16,), **kw)
    return FactorizedEmbedding(cfg, torch.Generator().manual_seed(seed))


def test_loss_decreases_and_groups_separate():
    values, labels = _clusters()
    net = _net(values)
    state = train_network(net, values, TrainConfig(epochs=40, lr=1e-2, pairs_per_step=600))
    assert state.history[-1] < 0.2 * state.history[0]
    coords = net.sample_embedding.detach().cpu().numpy()  # on the GPU when there is one
    # nearest other sample is of the same group
    d = ((coords[:, None] - coords[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(1)] == labels).mean() > 0.9


def test_divergence_on_values_far_off_a_log_scale_names_them():
    """Values of 1e30 (counts read without a log transform, taken to an absurd extreme) made the
    loss overflow, and the error advised lowering the learning rate."""
    values, _ = _clusters(n_per=5)
    far_off = r"values reach [0-9.]+e\+30, far off a log scale.*log-transform them"
    with pytest.raises(ModelError, match=far_off):
        train_network(_net(values), values * np.float32(1e30), TrainConfig(epochs=2))
    values[0, 0] = np.nan  # a missing value does not hide the scale
    with pytest.raises(ModelError, match="learning rate"):
        train_network(_net(values), values, TrainConfig(epochs=2, lr=1e12))


def test_deterministic_for_a_seed_on_cpu():
    values, _ = _clusters(n_per=10)
    runs = []
    for _ in range(2):
        net = _net(values, seed=3)
        train_network(
            net, values, TrainConfig(epochs=6, seed=3, pairs_per_step=300, reassign_every=2)
        )
        runs.append(net.sample_embedding.detach().clone())
    assert torch.equal(runs[0], runs[1])


def test_missing_values_are_masked_out(monkeypatch):
    import core.train as train_module

    values, _ = _clusters(n_per=10)
    poisoned = values.copy()
    rng = np.random.default_rng(1)
    holes = rng.random(values.shape) < 0.2
    poisoned[holes] = np.nan
    cfg = TrainConfig(epochs=5, seed=5, pairs_per_step=300, reassign_every=0)
    a = _net(values, seed=5)
    train_network(a, poisoned, cfg)
    assert all(torch.isfinite(p).all() for p in a.parameters())

    # the same holes stored as absurd values on the device give the same model: never seen
    real_init = train_module.ResidentMatrix.__init__

    def stored_as(fill, keep_mask):
        def init(self, values, device):
            real_init(self, values, device)
            self.values[~self.mask] = fill
            if not keep_mask:
                self.mask = None

        return init

    monkeypatch.setattr(train_module.ResidentMatrix, "__init__", stored_as(1e4, True))
    b = _net(values, seed=5)
    train_network(b, poisoned, cfg)
    assert torch.equal(a.sample_embedding, b.sample_embedding)
    # without the mask the same values would be trained on (the check above can fail)
    monkeypatch.setattr(train_module.ResidentMatrix, "__init__", stored_as(1e4, False))
    c = _net(values, seed=5)
    train_network(c, poisoned, cfg)
    assert not torch.equal(a.sample_embedding, c.sample_embedding)


def test_masked_error_counts_only_observed_entries():
    pred = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    mask = torch.tensor([[True, False], [True, True]])
    zero = torch.tensor([[0.0, 0.0], [3.0, 5.0]])
    absurd = torch.tensor([[0.0, 1e4], [3.0, 5.0]])  # differs only where unobserved
    for target in (zero, absurd):
        total, count = masked_mse_sum(pred, target, mask)
        assert float(total) == 2.0 and count == 3


def _resume_matches(tmp_path, **settings) -> tuple[torch.Tensor, torch.Tensor]:
    """The sample map of a run interrupted after epoch 3 and resumed from its checkpoint, and
    of the same run uninterrupted (``settings`` of :class:`TrainConfig` over 6 epochs)."""
    values, _ = _clusters(n_per=10)
    cfg = TrainConfig(epochs=6, seed=2, pairs_per_step=300, checkpoint_every=3, **settings)
    full = _net(values, seed=2)
    train_network(full, values, cfg)

    class Stop(Exception):
        pass

    def stop_after_3(p):
        if p.epoch >= 4:
            raise Stop

    ckpt = tmp_path / "ckpt.pt"
    with pytest.raises(Stop):
        train_network(_net(values, seed=2), values, cfg, callback=stop_after_3, checkpoint=ckpt)
    assert ckpt.exists() and not ckpt.with_name("ckpt.pt.tmp").exists()
    resumed = _net(values, seed=99)  # weights come from the checkpoint
    state = train_network(resumed, values, cfg, checkpoint=ckpt, resume=True)
    assert state.epoch == 6 and len(state.history) == 6
    return resumed.sample_embedding.detach().cpu(), full.sample_embedding.detach().cpu()


#: The regulariser's random partners and the coordinates' noise drawn at every step.
DRAWS = {"neighbour_weight": 1.0, "sample_noise": 0.05}


def test_checkpoint_resume_equals_uninterrupted(tmp_path):
    resumed, full = _resume_matches(tmp_path, reassign_every=2)
    assert torch.allclose(resumed, full, atol=1e-6)


def test_a_gpus_own_generator_of_the_steps_draws_is_resumed(tmp_path, monkeypatch):
    """On a GPU the steps' random draws come from a generator of its own (a CPU draw, copied
    over, waited for the GPU every step): a resumed run continues its draws. Emulated here by
    a second CPU generator."""
    import core.train

    default = _resume_matches(tmp_path / "default", **DRAWS)
    calls = []

    def own(device, generator, seed):
        calls.append(seed)
        draws = torch.Generator(device="cpu")
        draws.manual_seed(seed + 1000)
        return draws

    monkeypatch.setattr(core.train, "step_generator", own)
    resumed, full = _resume_matches(tmp_path / "own", **DRAWS)
    assert calls, "the steps' generator was not asked for"
    assert not torch.equal(full, default[1])  # the draws did come from it
    assert torch.allclose(resumed, full, atol=1e-6)
    saved = torch.load(tmp_path / "own" / "ckpt.pt", weights_only=True)
    assert "step_generator" in saved
    assert "step_generator" not in torch.load(tmp_path / "default" / "ckpt.pt", weights_only=True)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_resume_equals_uninterrupted(tmp_path):
    resumed, full = _resume_matches(tmp_path, device="cuda", **DRAWS)
    assert torch.allclose(resumed, full, atol=1e-4)


def test_resume_without_a_checkpoint_says_so(tmp_path, caplog):
    values, _ = _clusters(n_per=5)
    cfg = TrainConfig(epochs=1, seed=0, pairs_per_step=300)
    with pytest.raises(ModelError, match="resume needs the checkpoint file"):
        train_network(_net(values), values, cfg, resume=True)
    with caplog.at_level("WARNING", logger="core.train"):
        state = train_network(_net(values), values, cfg, checkpoint=tmp_path / "c.pt", resume=True)
    assert state.epoch == 1
    assert "no checkpoint at" in caplog.text and "starts from the beginning" in caplog.text


def test_the_training_line_counts_in_words(caplog):
    """'1 epochs of 1 steps' on a small matrix trained one epoch."""
    values, _ = _clusters(n_per=10)  # 40 x 30: one block of all 40 rows on the CPU
    cfg = TrainConfig(epochs=1, seed=0, reassign_every=0, device="cpu")
    with caplog.at_level("INFO", logger="core.train"):
        train_network(_net(values), values, cfg)
    assert "training on the CPU: 40 samples x 30 genes, 1 epoch of 1 step (" in caplog.text


def test_grid_search_finds_the_generating_point():
    values, _ = _clusters(n_per=10)
    net = _net(values)
    candidates = grid_points(torch.randn(50, 2), 16)
    target_idx = torch.tensor([3, 100, 255])
    with torch.no_grad():
        profiles = net.decode(candidates[target_idx], net.gene_part())
    best, err = best_grid_point(net, profiles, None, candidates)
    assert torch.equal(best, target_idx)
    assert (err < 1e-5).all()


def test_shape_mismatch_and_bad_config():
    values, _ = _clusters(n_per=5)
    with pytest.raises(ModelError, match="network was built"):
        train_network(_net(values[:, :10]), values, TrainConfig(epochs=1))
    with pytest.raises(ModelError):
        TrainConfig(epochs=0)
    with pytest.raises(ModelError):
        TrainConfig(optimizer="sgd")
    all_nan = np.full_like(values, np.nan)
    with pytest.raises(ModelError, match="no observed"):
        train_network(_net(values), all_nan, TrainConfig(epochs=1))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_bf16_training_learns():
    values, labels = _clusters()
    net = _net(values)
    state = train_network(
        net, values, TrainConfig(epochs=40, lr=1e-2, device="cuda", pairs_per_step=600)
    )
    assert state.history[-1] < 0.2 * state.history[0]
    assert net.sample_embedding.device.type == "cuda"


def test_standardize_map_keeps_predictions():
    from core.train import standardize_map

    values, _ = _clusters(n_per=10)
    net = _net(values)
    with torch.no_grad():
        net.sample_embedding.mul_(3.0).add_(torch.tensor([5.0, -2.0]))
    rows = torch.arange(values.shape[0])
    before = net(rows).detach()
    standardize_map(net)
    coords = net.sample_embedding.detach()
    assert torch.allclose(coords.mean(0), torch.zeros(2), atol=1e-5)
    assert torch.allclose(coords.std(0), torch.ones(2), atol=1e-5)
    assert torch.allclose(net(rows).detach(), before, atol=1e-4)


def test_neighbour_graph_exact_and_approximate():
    values, labels = _clusters(n_per=30, n_genes=80)
    values[::7, ::5] = np.nan  # missing values read as the gene mean
    exact = neighbour_graph(values, k=5, n_components=10)
    approx = neighbour_graph(values, k=5, n_components=10, exact_up_to=10)
    for graph in (exact, approx):
        assert graph.shape == (len(values), 5) and graph.dtype == np.int64
        assert not (graph == np.arange(len(values))[:, None]).any()  # never itself
        assert (labels[graph] == labels[:, None]).mean() > 0.95
    with pytest.raises(ModelError, match="at least 2 samples"):
        neighbour_graph(values[:1], k=5)


def test_neighbour_loss_pulls_neighbours_and_pushes_others():
    coords = torch.tensor([[0.0, 0.0], [0.05, 0.0], [3.0, 0.0], [3.0, 0.1]])
    graph = torch.tensor([[1], [0], [3], [2]])
    gen = torch.Generator().manual_seed(0)
    rows = torch.arange(4)
    close = neighbour_loss(coords, rows, graph, 0, 0.2, gen)
    far = neighbour_loss(coords * 4, rows, graph, 0, 0.2, gen)
    assert 0 < close < far  # attraction only: the loss grows as neighbours part
    # the gradient of the attraction moves a sample towards its neighbour
    c = coords.clone().requires_grad_(True)
    neighbour_loss(c, rows, graph, 0, 0.2, gen).backward()
    assert c.grad[0, 0] < 0 < c.grad[1, 0]
    # repulsion: random partners that sit on top of a sample cost more than distant ones
    stacked = torch.zeros(4, 2)
    spread = torch.tensor([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [5.0, 5.0]])
    self_graph = torch.tensor([[0], [1], [2], [3]])  # zero attraction term
    assert neighbour_loss(stacked, rows, self_graph, 8, 0.2, gen) > neighbour_loss(
        spread, rows, self_graph, 8, 0.2, gen
    )


def test_kernel_exponent():
    points = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    others = torch.tensor([[[0.6, 0.8], [0.0, 0.0]], [[1.0, 1.0], [1.0, 1.4]]])
    # distances 1 and 0, then 0 and 0.4; scale 0.5
    cauchy = kernel_odds(points, others, 0.5, 1.0)
    assert torch.allclose(cauchy, torch.tensor([[4.0, 0.0], [0.0, 0.64]]))
    heavy = kernel_odds(points, others, 0.5, 0.5)  # (d / s)^1
    assert torch.allclose(heavy, torch.tensor([[2.0, 0.0], [0.0, 0.8]]), atol=1e-3)
    # coinciding points keep a finite gradient with an exponent below 1
    c = torch.zeros(4, 2, requires_grad=True)
    graph = torch.tensor([[1], [0], [3], [2]])
    gen = torch.Generator().manual_seed(0)
    neighbour_loss(c, torch.arange(4), graph, 3, 0.2, gen, power=0.6).backward()
    assert torch.isfinite(c.grad).all()
    # with a heavier tail, random partners at the same distance still cost more
    spread = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    self_graph = torch.arange(4)[:, None]
    gen1, gen2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    rows = torch.arange(4)
    assert neighbour_loss(spread, rows, self_graph, 8, 0.2, gen1, power=0.6) > neighbour_loss(
        spread, rows, self_graph, 8, 0.2, gen2, power=1.0
    )
    with pytest.raises(ModelError, match="neighbour_power"):
        TrainConfig(neighbour_power=0)


def test_rank_weights_favour_the_nearest_neighbours():
    w = rank_weights(10, 5.0)
    assert w.shape == (10,) and float(w.sum()) == pytest.approx(1.0)
    assert (w[1:] < w[:-1]).all() and float(w[0] / w[5]) == pytest.approx(np.e)
    assert torch.allclose(rank_weights(4, 0.0), torch.full((4,), 0.25))
    # equal weights give the plain mean; weights on the nearest only leave the far one alone
    coords = torch.tensor([[0.0, 0.0], [0.5, 0.0], [3.0, 0.0]], requires_grad=True)
    rows, graph = torch.tensor([0]), torch.tensor([[1, 2], [0, 2], [1, 0]])
    gen = torch.Generator().manual_seed(0)
    plain = neighbour_loss(coords, rows, graph, 0, 0.2, gen)
    same = neighbour_loss(coords, rows, graph, 0, 0.2, gen, weights=rank_weights(2, 0.0))
    assert float(plain.detach()) == pytest.approx(float(same.detach()))
    neighbour_loss(coords, rows, graph, 0, 0.2, gen, weights=torch.tensor([1.0, 0.0])).backward()
    # descent moves the nearest towards sample 0 (positive gradient along x); the far one stays
    assert coords.grad[1, 0] > 0 and coords.grad[2].abs().sum() == 0
    with pytest.raises(ModelError, match="neighbour_decay"):
        TrainConfig(neighbour_decay=-1)


def test_neighbour_regulariser_is_optimised_and_keeps_groups_apart():
    values, labels = _clusters(n_per=40, n_genes=30)
    graph = torch.as_tensor(neighbour_graph(values, k=5))
    rows = torch.arange(len(values))

    def fit(weight):
        net = _net(values, seed=1)
        train_network(
            net,
            values,
            TrainConfig(epochs=40, lr=1e-2, pairs_per_step=600, neighbour_weight=weight),
        )
        coords = net.sample_embedding.detach().cpu()  # unit variance per axis after training
        # the regulariser's value on the final map, many random partners per sample
        cost = float(neighbour_loss(coords, rows, graph, 50, 0.2, torch.Generator().manual_seed(0)))
        return cost, coords.numpy()

    plain, _ = fit(0.0)
    regularised, coords = fit(1.0)
    assert regularised < 0.75 * plain  # measured: 0.71 vs 1.24
    d = ((coords[:, None] - coords[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(1)] == labels).mean() > 0.9
    with pytest.raises(ModelError, match="neighbour"):
        TrainConfig(neighbour_weight=-1)
    with pytest.raises(ModelError, match="neighbour"):
        TrainConfig(neighbour_k=0)
    with pytest.raises(ModelError, match="one row per sample"):
        cfg = TrainConfig(epochs=1, neighbour_weight=1.0)
        train_network(_net(values), values, cfg, neighbours=np.zeros((3, 5), np.int64))


def test_grid_search_schedule():
    values, _ = _clusters(n_per=10)

    def searches(epochs, every, until):
        cfg = TrainConfig(
            epochs=epochs, pairs_per_step=300, reassign_every=every, reassign_until=until
        )
        return len(train_network(_net(values), values, cfg).moved)

    assert searches(3, 5, 0.0) == 2  # short runs: every epoch, at least twice
    assert searches(20, 2, 0.0) == 2  # epochs 2 and 4 only
    assert searches(20, 2, 0.7) == 6  # epochs 2, 4, ..., 12 (< 14)
    assert searches(20, 0, 0.7) == 0


def test_a_run_resumed_on_another_device_keeps_its_block(tmp_path, caplog):
    """The block size is chosen by device (CUDA blocks are larger): a run interrupted on one
    device and resumed on another changed its steps mid-run, without a word."""
    import torch

    values, _ = _clusters(n_per=10)  # 40 x 30: one block of all 40 rows on the CPU
    cfg = TrainConfig(epochs=2, seed=2, reassign_every=0, device="cpu")
    ckpt = tmp_path / "ckpt.pt"
    first = train_network(_net(values), values, cfg, checkpoint=ckpt)
    assert first.resolved["rows_per_step"] == 40 and first.resolved["device"] == "cpu"
    saved = torch.load(ckpt, weights_only=True)
    assert saved["resolved"] == first.resolved
    # as if made on a GPU: 7 rows per block, in bf16
    saved["resolved"] = {**saved["resolved"], "device": "cuda", "rows_per_step": 7}
    saved["resolved"]["precision"] = "bf16"
    saved["epoch"] = 1  # one epoch left to run
    torch.save(saved, ckpt)
    longer = TrainConfig(**{**cfg.to_dict(), "epochs": 3})
    with caplog.at_level("INFO", logger="core.train"):
        again = train_network(_net(values), values, longer, checkpoint=ckpt, resume=True)
    assert again.resolved["rows_per_step"] == 7
    assert "interrupted run's block of 7 rows (made on cuda; 40 here)" in caplog.text
    assert "trained in bf16 on cuda, this one continues in fp32 on cpu" in caplog.text
    # a block given in the settings is the settings' (compared with the checkpoint's anyway);
    # a change of precision is said all the same
    given = TrainConfig(**{**cfg.to_dict(), "pairs_per_step": 300})
    train_network(_net(values), values, given, checkpoint=ckpt)
    saved = torch.load(ckpt, weights_only=True)
    saved["resolved"] = {**saved["resolved"], "device": "cuda", "precision": "bf16"}
    saved["epoch"] = 1
    torch.save(saved, ckpt)
    caplog.clear()
    with caplog.at_level("INFO", logger="core.train"):
        again = train_network(_net(values), values, given, checkpoint=ckpt, resume=True)
    assert again.resolved["rows_per_step"] == 10 and "block of" not in caplog.text
    assert "trained in bf16 on cuda, this one continues in fp32 on cpu" in caplog.text


def test_resume_refuses_another_run(tmp_path):
    """A checkpoint continues only the run it was written by: same network, settings, data."""
    values, _ = _clusters(n_per=10)
    cfg = TrainConfig(epochs=2, seed=2, pairs_per_step=300, reassign_every=0)
    ckpt = tmp_path / "ckpt.pt"
    train_network(_net(values), values, cfg, checkpoint=ckpt, data_key="data-a")
    before = ckpt.read_bytes()
    with pytest.raises(ModelError, match=r"other settings: lr=0.003 \(now 0.1\)"):
        faster = TrainConfig(**{**cfg.to_dict(), "lr": 0.1})
        train_network(_net(values), values, faster, checkpoint=ckpt, resume=True)
    with pytest.raises(ModelError, match="other settings: optimizer"):
        other = TrainConfig(**{**cfg.to_dict(), "optimizer": "rmsprop"})
        train_network(_net(values), values, other, checkpoint=ckpt, resume=True)
    with pytest.raises(ModelError, match="another network or matrix shape"):
        train_network(_net(values[:, :20]), values[:, :20], cfg, checkpoint=ckpt, resume=True)
    with pytest.raises(ModelError, match="another network or matrix shape"):
        wider = NetworkConfig(*values.shape, gene_dim=8, hidden=(32,))
        train_network(FactorizedEmbedding(wider), values, cfg, checkpoint=ckpt, resume=True)
    with pytest.raises(ModelError, match="other data"):
        train_network(_net(values), values, cfg, checkpoint=ckpt, resume=True, data_key="data-b")
    with pytest.raises(ModelError, match="2 epochs trained, more than the 1"):
        fewer = TrainConfig(**{**cfg.to_dict(), "epochs": 1})
        train_network(_net(values), values, fewer, checkpoint=ckpt, resume=True)
    assert ckpt.read_bytes() == before  # refused before anything was written
    # where it runs, how often it checkpoints and a longer run may change
    longer = TrainConfig(**{**cfg.to_dict(), "epochs": 3, "checkpoint_every": 1, "device": "cpu"})
    state = train_network(
        _net(values), values, longer, checkpoint=ckpt, resume=True, data_key="data-a"
    )
    assert state.epoch == 3 and len(state.history) == 3
    torch.save({"model": {}}, ckpt)
    with pytest.raises(ModelError, match="not a training checkpoint"):
        train_network(_net(values), values, cfg, checkpoint=ckpt, resume=True)


def test_checkpoint_path_that_is_a_directory_is_refused_before_training(tmp_path):
    values, _ = _clusters(n_per=5)
    seen = []
    with pytest.raises(ModelError, match="is a directory"):
        train_network(_net(values), values, TrainConfig(epochs=1), seen.append, tmp_path)
    assert seen == []  # not after a whole run


@pytest.mark.parametrize(
    "kwargs",
    [
        {"epochs": 2.5},
        {"epochs": "3"},
        {"lr": "fast"},
        {"seed": -1},
        {"seed": 2**40},
        {"seed": 1.5},
        {"neighbour_weight": float("inf")},
        {"neighbour_scale": float("nan")},
        {"sample_lr_scale": float("inf")},
        {"polish_steps": -1},
        {"checkpoint_every": -1},
        {"device": "cuda:x"},
        {"device": None},
        {"polish_lr": -0.01},
        {"polish_lr": 0.0},
    ],
)
def test_config_types_and_ranges(kwargs):
    with pytest.raises(ModelError, match=next(iter(kwargs))):
        TrainConfig(**kwargs)


def test_config_takes_whole_numbers_of_any_type():
    cfg = TrainConfig(epochs=np.int64(3), grid_size=8.0, lr=np.float32(0.5), seed=np.uint32(7))
    assert (cfg.epochs, cfg.grid_size, cfg.seed) == (3, 8, 7)
    assert all(type(v) is int for v in (cfg.epochs, cfg.grid_size, cfg.seed))
    assert type(cfg.lr) is float and cfg.lr == 0.5
    assert TrainConfig(sample_noise_start=None).sample_noise_start is None


def test_a_noise_schedule_that_would_do_nothing_is_refused():
    """The noise decays over reassign_until of the run, 0 by default with the regulariser: a
    sample_noise_start was taken and did nothing."""
    from core.estimator import FactorizedEmbeddings

    with pytest.raises(ModelError, match="sample_noise_start decreases"):
        FactorizedEmbeddings(sample_noise_start=0.5)
    fe = FactorizedEmbeddings(sample_noise_start=0.5, reassign_until=0.7)
    assert fe.train_config.sample_noise_start == 0.5
    assert FactorizedEmbeddings(sample_noise_start=0.5, neighbour_weight=0).train_config


def test_resume_refuses_a_checkpoint_of_other_estimator_settings(tmp_path):
    """A checkpoint of raw values was resumed on z-scores (or a relu network as tanh) without
    a word: the settings of the estimator that change what is trained on were not compared."""
    values, _ = _clusters(n_per=10)
    cfg = TrainConfig(epochs=2, seed=2, pairs_per_step=300, reassign_every=0)
    ckpt = tmp_path / "ckpt.pt"
    key = "data-a|standardize=none|activation=relu|neighbour_space=centered"
    train_network(_net(values), values, cfg, checkpoint=ckpt, data_key=key)
    z = key.replace("standardize=none", "standardize=z")
    with pytest.raises(ModelError, match=r"other settings: standardize='none' \(now 'z'\)"):
        train_network(_net(values), values, cfg, checkpoint=ckpt, resume=True, data_key=z)
    with pytest.raises(ModelError, match="other data"):
        other = key.replace("data-a", "data-b")
        train_network(_net(values), values, cfg, checkpoint=ckpt, resume=True, data_key=other)
    # a checkpoint written before the settings were recorded (the data alone) still resumes
    train_network(_net(values), values, cfg, checkpoint=ckpt, data_key="data-a")
    state = train_network(_net(values), values, cfg, checkpoint=ckpt, resume=True, data_key=key)
    assert state.epoch == 2


def test_resuming_a_finished_run_gives_its_model(tmp_path):
    """The last checkpoint held the polished map, and a resume polished it again (samples moved
    by up to 0.54); it now holds the map before the polish, which a resume polishes once. (A
    run continued for more epochs is not the same as one run of that length: the learning
    rate's schedule follows the epochs asked for.)"""
    values, _ = _clusters(n_per=10)
    cfg = TrainConfig(epochs=4, seed=2, pairs_per_step=300, reassign_every=0, polish_steps=30)
    ckpt = tmp_path / "ckpt.pt"
    done = _net(values, seed=2)
    train_network(done, values, cfg, checkpoint=ckpt)
    again = _net(values, seed=99)
    train_network(again, values, cfg, checkpoint=ckpt, resume=True)
    assert torch.allclose(again.sample_embedding, done.sample_embedding, atol=1e-6)


def test_samples_with_many_missing_values_find_their_tissue_in_the_graph(sepira_file):
    """Missing values read as gene means pulled the samples that have many of them together:
    with 30% of the samples missing 60% of their values, 93% of their graph neighbours were
    such samples (26% of all), and 55% shared their tissue (96% with no value missing)."""
    from core.data import load_table
    from core.estimator import _graph_reference
    from core.train import neighbour_graph

    es = load_table(sepira_file)
    values = es.values.astype(np.float32)
    tissue = es.samples["tissue"].to_numpy()
    rng = np.random.default_rng(0)
    heavy = rng.random(len(values)) < 0.3
    values[heavy[:, None] & (rng.random(values.shape) < 0.6)] = np.nan
    graph = neighbour_graph(_graph_reference(values, 0)["scores"], 5, 0)
    same_tissue = (tissue[graph] == tissue[:, None]).mean(1)
    assert same_tissue[heavy].mean() > 0.85, same_tissue[heavy].mean()
    assert heavy[graph[heavy]].mean() < 0.45, heavy[graph[heavy]].mean()


def test_the_grid_search_takes_genes_variable_in_their_values_not_their_holes():
    from core.train import _search_genes

    rng = np.random.default_rng(0)
    values = rng.normal(0, 0.1, (200, 8)).astype(np.float32)
    values[:, 0] = rng.normal(0, 3.0, 200)  # the variable gene
    values[:, 1] = 10.0
    values[::2, 1] = np.nan  # constant where measured; missing (stored 0) half the time
    observed = torch.as_tensor(np.isfinite(values))
    stored = torch.as_tensor(np.nan_to_num(values))
    assert _search_genes(8, stored, 1, observed).tolist() == [0]
    assert _search_genes(8, stored, 1).tolist() == [1]  # as it was: the holes' variance


def test_samples_lacking_the_most_expressed_genes_find_their_tissue_in_the_graph(sepira_file):
    """A sample measured without the genes that are high everywhere (a panel without them) was
    centred on the low genes it has: its mean alone set it apart from every complete sample.
    Its offset now sets its mean against the genes' means over the same genes, and its place
    in the components is fitted on the genes it has. Before: 0.70 of such samples' graph
    neighbours shared their tissue (0.96 when complete), and 0.98 were such samples (30% of
    all); after, 0.91 and 0.38."""
    from core.data import load_table
    from core.estimator import _graph_reference
    from core.train import _row_offsets, neighbour_graph

    es = load_table(sepira_file).drop_zero_genes()
    values = es.values.astype(np.float32)
    tissue = es.samples["tissue"].to_numpy()
    rng = np.random.default_rng(0)
    panel = rng.random(len(values)) < 0.3
    top = np.argsort(-values.mean(0))[: values.shape[1] // 3]
    holed = values.copy()
    holed[np.ix_(panel, top)] = np.nan
    # a complete row's offset is its mean; a holed row's, close to what it was when complete
    offsets = _row_offsets(holed, step=50)
    np.testing.assert_allclose(offsets[~panel], values[~panel].mean(1), atol=1e-4)
    shift = offsets[panel] - values[panel].mean(1)
    assert (
        np.abs(shift).mean()
        < 0.25 * np.abs(np.nanmean(holed[panel], 1) - values[panel].mean(1)).mean()
    )
    graph = neighbour_graph(_graph_reference(holed, 0)["scores"], 5, 0)
    same_tissue = (tissue[graph] == tissue[:, None]).mean(1)
    assert same_tissue[panel].mean() > 0.88, same_tissue[panel].mean()
    assert panel[graph[panel]].mean() < 0.5, panel[graph[panel]].mean()


def test_scores_of_rows_with_holes_are_the_fit_of_their_observed_values():
    """Each row with holes gets the least-squares scores of its observed values alone; rows
    that lack the same genes share one normal matrix, and complete rows keep their scores."""
    from core.train import _observed_scores

    rng = np.random.default_rng(3)
    n, g, k = 120, 300, 12
    values = rng.standard_normal((n, g)).astype(np.float32)
    values[:40][rng.random((40, g)) < 0.2] = np.nan  # holes at random
    values[np.ix_(np.arange(40, 70), np.arange(0, g, 3))] = np.nan  # a panel: the same genes
    values[5] = np.nan  # nothing measured
    x = np.nan_to_num(values)
    vt = np.linalg.qr(rng.standard_normal((g, k)))[0].T.astype(np.float32)
    s = np.linspace(5, 1, k).astype(np.float32)
    u = rng.standard_normal((n, k)).astype(np.float32)

    out = _observed_scores(values, x, u, s, vt, step=64)

    np.testing.assert_array_equal(out[70:], u[70:])
    np.testing.assert_array_equal(out[5], 0.0)
    for i in [*range(5), *range(6, 70)]:
        seen = np.isfinite(values[i])
        direct = np.linalg.lstsq(vt[:, seen].T.astype(np.float64), x[i, seen], rcond=None)[0]
        np.testing.assert_allclose(out[i], direct / s, rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is here")
def test_cuda_asked_without_a_gpu_is_said_in_the_librarys_words():
    """The library's message named the command line's flag (``use --device cpu``)."""
    from core.train import resolve_device

    with pytest.raises(ModelError, match="no CUDA GPU is available") as caught:
        resolve_device("cuda")
    assert "--device" not in str(caught.value) and "device cpu, or auto" in str(caught.value)


def test_the_grid_search_runs_without_autograd(monkeypatch):
    """A helper inserted above it took reassign_samples' @torch.no_grad(): the search ran
    with gradients enabled (harmless today only because its callees are no_grad too)."""
    # patched where reassign_samples reads it (core.train only re-exports it)
    import core.train_grid as train_module

    seen = []
    real = train_module.grid_points

    def spy(*args, **kwargs):
        seen.append(torch.is_grad_enabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(train_module, "grid_points", spy)
    values = np.random.default_rng(0).uniform(0, 3, (40, 8)).astype(np.float32)
    from core.estimator import FactorizedEmbeddings

    FactorizedEmbeddings(epochs=4, gene_dim=4, hidden=(8,), neighbour_weight=0).fit(values)
    assert seen and not any(seen)


@pytest.mark.parametrize(
    ("capability", "expected"), [((7, 0), "fp32"), ((8, 0), "bf16"), ((9, 0), "bf16")]
)
def test_automatic_precision_uses_bf16_only_where_the_card_has_it(
    monkeypatch, capability, expected
):
    """bf16 autocast was chosen on any CUDA card; cards before Ampere (compute capability 8.0)
    emulate bf16, slower than float32, so ``auto`` takes float32 there."""
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    assert resolve_precision(torch.device("cuda"), "auto") == expected
    assert resolve_precision(torch.device("cpu"), "auto") == "fp32"
    assert resolve_precision(torch.device("cuda"), "fp32") == "fp32"


def test_bf16_asked_for_on_a_card_that_emulates_it_is_warned_of(monkeypatch, caplog):
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 0))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Tesla V100")
    with caplog.at_level(logging.WARNING, logger="core.train"):
        check_precision(torch.device("cuda"), "bf16")
        check_precision(torch.device("cuda"), "auto")
    assert len(caplog.records) == 1
    assert "Tesla V100 (compute capability 7.0) is emulated" in caplog.text
    caplog.clear()
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (9, 0))
    with caplog.at_level(logging.WARNING, logger="core.train"):
        check_precision(torch.device("cuda"), "bf16")
    assert not caplog.records
