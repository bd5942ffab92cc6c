"""Baseline rows of ``RESULTS.md``: 1-NN from few labels on PCA, NMF, t-SNE, UMAP and raw data.

Run from the repository root (maps are cached in ``--cache-dir``, default ``./cache``)::

    .venv/bin/python tests/benchmarks/baselines.py [--splits 100] [--table1] [--skip-sepira]

- GTEx v8 acmg59 (``../shared/data/gtex_v8_acmg59``): Brain and Fallopian Tube removed,
  log10(x+1), labelled samples only (13,292), label SMTS; 1-NN from 2% labels.
- GTEx 26 tissues (sepira, 520 x 467, already log scale): 1-NN from 10% labels.
- ``--table1``: the whole Table-1 protocol (6 classifiers) on the acmg59 maps + raw data, with
  its run time.

Prints Markdown tables to stdout.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from core import analysis  # noqa: E402
from core.cache import ResultCache  # noqa: E402
from core.data import load_gtex, load_table  # noqa: E402

DATA = Path(os.environ.get("FE_SHARED_DATA", REPO.parent / "shared" / "data"))
ACMG = DATA / "gtex_v8_acmg59"
SEPIRA = DATA / "gtex_sepira_26tissues" / "sepira_gtex_520x467.csv.gz"


def one_nn_rows(name, es, label, fraction, splits, cache, methods, seed=0):
    labels = es.samples[label].to_numpy(dtype=object)
    t0 = time.perf_counter()
    maps = analysis.baseline_embeddings(
        es.values, methods=methods, seed=seed, cache=cache, key=es.fingerprint()
    )
    t_maps = time.perf_counter() - t0
    embeddings = {**maps, "raw": es.values}
    rows = []
    for method, emb in embeddings.items():
        t0 = time.perf_counter()
        acc = analysis.one_nn_accuracy(emb, labels, fraction=fraction, n_splits=splits, seed=seed)
        rows.append((method, acc, time.perf_counter() - t0))
    print(
        f"\n### {name}: 1-NN from {fraction:.0%} labels, {splits} splits "
        f"({es.n_samples} samples x {es.n_genes} genes, {label}, "
        f"{es.samples[label].nunique()} classes; maps {t_maps:.0f} s, cached after the first run)\n"
    )
    print("| map | 1-NN accuracy (mean ± sd) | 1-NN time (s) |\n|---|---|---|")
    for method, acc, secs in rows:
        label_name = "raw data" if method == "raw" else analysis.METHOD_NAMES[method]
        if method == "raw":
            label_name += f" ({es.n_genes}-D)"
        print(f"| {label_name} | {acc.mean:.3f} ± {acc.sd:.3f} | {secs:.1f} |")
    return embeddings, labels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=100)
    parser.add_argument("--methods", default="pca,nmf,tsne,umap")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--table1", action="store_true", help="also time the full Table 1")
    parser.add_argument("--skip-sepira", action="store_true")
    parser.add_argument("--skip-acmg", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    methods = tuple(m for m in args.methods.split(",") if m)
    cache = ResultCache(args.cache_dir)
    print(
        f"host {platform.node()}, {os.cpu_count()} CPUs; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    if not args.skip_acmg:
        es = load_gtex(
            ACMG / "GTEx_Analysis_2017-06-05_v8_RNASeQCv1.1.9_gene_reads.acmg_59.gct.gz",
            ACMG / "SampleAttributesDS.reconstructed.txt",
            exclude_tissues=("Brain", "Fallopian Tube"),
            transform="log10p1",
        )
        es = es.subset(samples=es.samples["SMTS"].notna().to_numpy())
        embeddings, labels = one_nn_rows(
            "GTEx v8 acmg59", es, "SMTS", 0.02, args.splits, cache, methods
        )
        if args.table1:
            t0 = time.perf_counter()
            table = analysis.semi_supervised_table(
                embeddings, labels, fraction=0.02, n_splits=args.splits, seed=0
            )
            total = time.perf_counter() - t0
            print(
                f"\n### GTEx v8 acmg59: Table 1, 2% labels, {args.splits} splits "
                f"({len(embeddings)} embeddings x {len(table.index)} classifiers, "
                f"{total:.0f} s)\n"
            )
            print(analysis.table_to_markdown(table))
            cells = table.attrs["cell_runtime_s"]
            per_clf = {clf: sum(cells[m][clf] for m in cells) for clf in table.index}
            print(
                "time per classifier (s, all embeddings): "
                + ", ".join(f"{k} {v:.0f}" for k, v in per_clf.items())
            )
    if not args.skip_sepira:
        es = load_table(SEPIRA)
        one_nn_rows("GTEx 26 tissues (sepira)", es, "tissue", 0.10, args.splits, cache, methods)
    cache.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
