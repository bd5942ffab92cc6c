"""The CUDA path in one short run (for a machine with a GPU): prints the figures.

Run on demand (not collected by pytest)::

    .venv/bin/python tests/benchmarks/device_check.py [--device cuda] [--quick]

1. The CUDA unit test (``pytest -m gpu``).
2. The default model on GTEx v8 acmg59 (``../shared/data``, Brain and Fallopian Tube removed as
   in the paper): training time, final loss, 1-NN from 2% labels (20 splits) of the map, against
   the CPU figures in RESULTS.md (0.93; 80 epochs). On an H200 it trained in 56.0 s (100
   epochs) before the steps' random draws and the error sum moved to the GPU (commit 8d87ba2,
   not yet measured there): about 4.3 ms per step.
3. The CUDA-trained model saved, then loaded and used in a process that sees no GPU
   (``CUDA_VISIBLE_DEVICES=""``): 200 held-out samples placed there and on the device agree, and
   so do their value scales (the check of another log base's values), which are near 1: the
   training samples' scale (``value_scale_``) is measured on the device.
4. Throughput at GTEx width: 1 epoch on a SIMULATED 17,382 x 5,000 matrix, values per second.
5. GTEx 26 tissues (sepira, 520 x 467), the default model for seeds 0 / 1 / 2 on the device and
   seed 0 on the CPU in the same run: training time, 1-NN from 10% labels (100 splits) and the
   gene space's GO ratio (5 nearest genes sharing a BP term of 3-500 genes, against random pairs).

``--quick`` trains 5 epochs and skips steps 4 and 5 (a check of the plumbing, on a CPU too:
``--device cpu --quick``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PLACE = """
import sys, numpy as np
sys.path.insert(0, {root!r})
import torch
from core.data import ExpressionSet
from core.estimator import FactorizedEmbeddings
assert not torch.cuda.is_available(), "this step must run without a GPU"
model = FactorizedEmbeddings.load({model!r})
held = np.load({held!r})
es = ExpressionSet.from_array(held["values"], gene_ids=list(held["gene_ids"]))
coords = model.transform(es)
np.save({out!r}, coords)
np.save({scales!r}, model.value_scales(es, coords))
"""


def main() -> int:
    import torch

    from core.analysis import one_nn_accuracy
    from core.data import ExpressionSet, load_gtex
    from core.estimator import FactorizedEmbeddings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--data", default=os.environ.get("FE_SHARED_DATA", ROOT.parent / "shared/data")
    )
    args = parser.parse_args()
    print(f"torch {torch.__version__}; CUDA available: {torch.cuda.is_available()}", flush=True)
    if torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name(0)}", flush=True)

    if args.device.startswith("cuda"):
        code = subprocess.call(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-m",
                "gpu",
                str(ROOT / "tests" / "test_train.py"),
            ]
        )
        print(f"[1] pytest -m gpu: exit {code}", flush=True)

    base = Path(args.data) / "gtex_v8_acmg59"
    es = load_gtex(
        base / "GTEx_Analysis_2017-06-05_v8_RNASeQCv1.1.9_gene_reads.acmg_59.gct.gz",
        base / "SampleAttributesDS.reconstructed.txt",
        base / "GTEx_Analysis_v8_Annotations_SubjectPhenotypesDS.txt",
        exclude_tissues=("Brain", "Fallopian Tube"),
    )
    rng = np.random.default_rng(0)
    held = np.sort(rng.choice(es.values.shape[0], 200, replace=False))
    train = es.subset(samples=np.setdiff1d(np.arange(es.values.shape[0]), held))
    new = es.subset(samples=held)
    model = FactorizedEmbeddings(device=args.device, epochs=5 if args.quick else None)
    t0 = time.perf_counter()
    model.fit(train)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    wall = time.perf_counter() - t0
    acc = one_nn_accuracy(model.sample_embedding_, train.samples["SMTS"], 0.02, 20, 0)
    epochs = model.train_config.epochs
    print(
        f"[2] acmg59 {train.values.shape[0]:,} x {train.values.shape[1]} on {args.device}: "
        f"{epochs} epochs in {wall:.1f} s, final loss {model.history_[-1]:.4f}, "
        f"1-NN (2%, 20 splits) {acc.mean:.4f} +- {acc.sd:.4f}",
        flush=True,
    )

    with tempfile.TemporaryDirectory() as tmp:
        path = model.save(Path(tmp) / "model")
        np.savez(Path(tmp) / "held.npz", values=new.values, gene_ids=new.gene_ids.astype(str))
        here = model.transform(new)
        scales = model.value_scales(new, here)
        print(
            f"[3] value_scale_ (training samples, on {args.device}) {model.value_scale_}; "
            f"held-out samples' median scale {float(np.nanmedian(scales)):.3f}",
            flush=True,
        )
        script = PLACE.format(
            root=str(ROOT), model=str(path), held=str(Path(tmp) / "held.npz"),
            out=str(Path(tmp) / "cpu.npy"), scales=str(Path(tmp) / "cpu_scales.npy"),
        )  # fmt: skip
        env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
        code = subprocess.call([sys.executable, "-c", script], env=env)
        if code == 0:
            there = np.load(Path(tmp) / "cpu.npy")
            diff = float(np.abs(there - here).max())
            there_scales = np.load(Path(tmp) / "cpu_scales.npy")
            scale_diff = float(np.nanmax(np.abs(there_scales - scales)))
            print(
                f"[3] placed on {args.device} vs a CPU-only process: max |diff| {diff:.2e}; "
                f"value scales max |diff| {scale_diff:.2e}"
            )
        else:
            print(f"[3] placing in a CPU-only process failed: exit {code}")

    if not args.quick:
        from core.simulate import simulate_gtex_like

        demo = simulate_gtex_like(n_samples=17382, n_genes=5000, seed=0)
        wide = FactorizedEmbeddings(device=args.device, epochs=1, neighbour_weight=0)
        t0 = time.perf_counter()
        wide.fit(ExpressionSet.from_array(demo.values))
        wall = time.perf_counter() - t0
        print(
            f"[4] SIMULATED 17,382 x 5,000, 1 epoch on {args.device}: the whole fit {wall:.1f} s "
            f"(checks, PCA start, device start-up); its training loop {wide.pairs_per_s_:,.0f} "
            "values/s",
            flush=True,
        )
        devices = [args.device] if args.device == "cpu" else [args.device, "cpu"]
        for device in devices:
            for seed in (0, 1, 2) if device == args.device else (0,):
                print("[5] " + _sepira_row(Path(args.data), device, seed), flush=True)
    return 0


def _sepira_row(data: Path, device: str, seed: int) -> str:
    """The default model on GTEx 26 tissues: time, 1-NN from 10% labels, GO ratio (one line)."""
    import torch

    from core import analysis
    from core.annotations import GeneOntology
    from core.data import load_table
    from core.estimator import FactorizedEmbeddings

    es = load_table(data / "gtex_sepira_26tissues" / "sepira_gtex_520x467.csv.gz")
    es = es.drop_zero_genes()
    go_matrix = GeneOntology.load().annotation_matrix(
        es.gene_ids, ontology="BP", min_size=3, max_size=500, symbols=es.gene_symbols
    )[0]
    model = FactorizedEmbeddings(device=device, seed=seed)
    t0 = time.perf_counter()
    model.fit(es)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    wall = time.perf_counter() - t0
    labels = es.samples[es.label_column()].to_numpy()
    acc = analysis.one_nn_accuracy(model.sample_embedding_, labels, 0.10, 100, seed=0)
    idx, _ = analysis.gene_neighbors(model.gene_embedding_, 5)
    ratio = analysis.neighbor_agreement(
        analysis.pairs_from_neighbors(idx), go_matrix, None, seed=0, n_random=100_000
    )["go_ratio"]
    return (
        f"GTEx 26 tissues on {device}, seed {seed}: {model.train_config.epochs} epochs in "
        f"{wall:.1f} s, final loss {model.history_[-1]:.4f}, 1-NN (10%, 100 splits) "
        f"{acc.mean:.4f}, GO ratio {ratio:.2f}x"
    )


if __name__ == "__main__":
    raise SystemExit(main())
