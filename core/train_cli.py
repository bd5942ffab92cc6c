"""``python -m core train``: fit a model on the data flags and write its directory.

A failed or interrupted run never touches an existing model directory: checkpoints go to
``<out>.partial/`` and the finished model replaces ``<out>`` in one rename. ``--resume`` continues
from the last checkpoint there.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from pathlib import Path

from core.errors import CoreError

log = logging.getLogger(__name__)


def _parse_hidden(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(x) for x in text.replace(" ", "").split(",") if x)
    except ValueError:
        raise CoreError(
            f"--hidden must be comma-separated integers such as 100,50,50; got {text!r}"
        ) from None
    if not widths:
        raise CoreError("--hidden needs at least one width")
    return widths


def run_train(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from core.cli import load_data_from_args
    from core.estimator import FactorizedEmbeddings

    out = Path(args.out)
    partial = out.with_name(out.name + ".partial")
    checkpoint = partial / "checkpoint.pt"
    if out.exists() and not (args.force or args.resume):
        raise CoreError(f"{out} already exists; choose another --out, or --force to replace it")
    if args.resume and not checkpoint.exists():
        raise CoreError(f"--resume: no checkpoint at {checkpoint}")
    if out.exists() and not out.is_dir():
        raise CoreError(f"{out} exists and is not a directory")

    if args.min_detection is not None and not 0.0 <= args.min_detection <= 1.0:
        raise CoreError(f"--min-detection must be between 0 and 1, got {args.min_detection}")
    if args.top_genes is not None and args.top_genes < 0:
        raise CoreError(f"--top-genes must be a positive number of genes, got {args.top_genes}")

    es = load_data_from_args(args)
    es = es.drop_zero_genes()
    if args.min_detection:
        es = es.detected_genes(args.min_detection)
    if args.top_genes:
        es = es.top_variable_genes(args.top_genes)
    print(
        f"data: {es.name or 'matrix'}: {es.n_samples} samples x {es.n_genes} genes", file=sys.stderr
    )

    params: dict = {"device": args.device, "seed": args.seed, "checkpoint_every": 1}
    if args.epochs is not None:
        params["epochs"] = args.epochs
    if args.gene_dim is not None:
        params["gene_dim"] = args.gene_dim
    if args.hidden:
        params["hidden"] = _parse_hidden(args.hidden)
    if args.neighbour_weight is not None:
        params["neighbour_weight"] = args.neighbour_weight
    if args.neighbour_power is not None:
        params["neighbour_power"] = args.neighbour_power
    if args.neighbour_decay is not None:
        params["neighbour_decay"] = args.neighbour_decay
    if args.neighbour_space is not None:
        params["neighbour_space"] = args.neighbour_space
    if args.resume:
        saved = _saved_params(checkpoint)
        if saved:
            params = {**saved, **params, "hidden": tuple(saved["hidden"])}
            params.update({k: v for k, v in (("epochs", args.epochs),) if v is not None})
    model = FactorizedEmbeddings(**params)
    partial.mkdir(parents=True, exist_ok=True)
    (partial / "params.json").write_text(json.dumps(model.get_params()))

    bar = tqdm(total=args.epochs, unit="epoch", desc="training", file=sys.stderr, mininterval=1.0)

    def progress(p) -> None:
        bar.total = p.n_epochs
        bar.n = p.epoch
        bar.set_postfix(loss=f"{p.loss:.4f}", pairs_s=f"{p.pairs_per_s / 1e6:.2f}M")
        bar.refresh()

    try:
        model.fit(es, callback=progress, checkpoint=checkpoint, resume=args.resume)
    except KeyboardInterrupt:
        bar.close()
        if checkpoint.exists():
            print(f"checkpoint kept in {partial}; continue with --resume", file=sys.stderr)
        raise
    finally:
        bar.close()
    model.save(out, overwrite=True)
    shutil.rmtree(partial, ignore_errors=True)
    print(
        f"model written to {out} ({model.train_time_s_:.0f} s, "
        f"final loss {model.history_[-1]:.4f}, "
        f"{model.pairs_per_s_ / 1e6:.2f}M pairs/s)",
        file=sys.stderr,
    )
    return 0


def _saved_params(checkpoint: Path) -> dict | None:
    """Network settings recorded beside a checkpoint, so that --resume rebuilds the same model."""
    path = checkpoint.with_name("params.json")
    if not path.exists():
        return None
    params = json.loads(path.read_text())
    # recorded before the kernel's exponent was a setting: those runs used 1
    params.setdefault("neighbour_power", 1.0)
    params.setdefault("neighbour_decay", 0.0)  # recorded since rank weights exist
    params.setdefault("neighbour_space", "values")  # recorded since the centred graph exists
    return params
