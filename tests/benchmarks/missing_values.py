"""Training with missing values, on real data (GTEx 26 tissues, 520 x 460 genes).

A share of the matrix's values is hidden at random (NaN) before training; the model trains on
the rest. Printed for each share: the sample map's tissue 1-NN from 10% labels (100 splits),
the gene space's agreement with GO (5 nearest genes, GO BP 3-500, all evidence, against
100,000 random pairs), and how well the hidden values are recovered: the root mean squared
error between each hidden value and what the model decodes at its sample's place on the map,
against two references computed from the same observed values, the gene's mean and
scikit-learn's KNNImputer (10 nearest samples).

    python tests/benchmarks/missing_values.py [--shares 0,0.1,0.3,0.5] [--seed 0]
        [--in-samples 0.3] [--high-mean]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core import analysis  # noqa: E402
from core.annotations import GeneOntology  # noqa: E402
from core.data import ExpressionSet, load_table  # noqa: E402
from core.estimator import FactorizedEmbeddings  # noqa: E402

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def _rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shares", default="0,0.1,0.3,0.5")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default=str(SHARED / "gtex_sepira_26tissues"))
    parser.add_argument(
        "--in-samples",
        type=float,
        default=1.0,
        help="hide values only in this share of the samples (at the --shares rate there), "
        "e.g. 0.3: samples with many missing values among complete ones",
    )
    parser.add_argument(
        "--high-mean",
        action="store_true",
        help="hide the genes with the highest means (that share of the genes) instead of values "
        "at random: samples measured on a panel without the most expressed genes",
    )
    args = parser.parse_args()
    from sklearn.impute import KNNImputer

    es = load_table(Path(args.data) / "sepira_gtex_520x467.csv.gz").drop_zero_genes()
    labels = es.samples[es.label_column()].to_numpy()
    go = GeneOntology.load()
    go_matrix = go.annotation_matrix(
        es.gene_ids, ontology="BP", min_size=3, max_size=500, symbols=es.gene_symbols
    )[0]
    full = es.values
    print(f"{es.name}: {es.n_samples} samples x {es.n_genes} genes (real data)")
    header = "hidden share | 1-NN (10%) | GO ratio | RMSE of hidden values: FE / gene mean / KNN"
    print(header + " | same tissue among the 5 nearest on the map: samples with holes / others")
    what = "the highest-mean genes" if args.high_mean else "values at random"
    print(f"({what} hidden in {args.in_samples:.0%} of the samples)")
    for share in (float(s) for s in args.shares.split(",")):
        rng = np.random.default_rng(args.seed)
        if args.high_mean:
            top = np.argsort(-np.nanmean(full, axis=0))[: int(round(share * full.shape[1]))]
            hidden = np.zeros(full.shape, bool)
            hidden[:, top] = True
        else:
            hidden = rng.random(full.shape) < share
        affected = rng.random(full.shape[0]) < args.in_samples
        hidden &= affected[:, None]
        values = full.copy()
        values[hidden] = np.nan
        # a gene or sample left without any value cannot be trained; keep one value for it
        for axis in (0, 1):
            empty = np.isnan(values).all(axis=axis)
            for i in np.flatnonzero(empty):
                where = (slice(None), i) if axis == 0 else (i, slice(None))
                values[where][0] = full[where][0]
                hidden[where][0] = False
        train = ExpressionSet(
            np.ascontiguousarray(values, np.float32),
            es.sample_ids,
            es.genes,
            es.samples,
            f"{es.name}, {share:.0%} hidden",
            {},
        )
        t0 = time.perf_counter()
        model = FactorizedEmbeddings(seed=args.seed).fit(train)
        seconds = time.perf_counter() - t0
        onn = analysis.one_nn_accuracy(model.sample_embedding_, labels, 0.1, 100, seed=0)
        idx, _ = analysis.gene_neighbors(model.gene_embedding_, 5)
        go_ratio = analysis.neighbor_agreement(
            analysis.pairs_from_neighbors(idx), go_matrix, None, seed=0, n_random=100_000
        )["go_ratio"]
        if hidden.any():
            decoded = model.predict(model.sample_embedding_)
            gene_mean = np.nanmean(values, axis=0)
            mean_fill = np.broadcast_to(gene_mean, values.shape)
            knn = KNNImputer(n_neighbors=10).fit_transform(values)
            truth = full[hidden]
            errors = (
                f"{_rmse(decoded[hidden], truth):.3f} / {_rmse(mean_fill[hidden], truth):.3f} / "
                f"{_rmse(knn[hidden], truth):.3f}"
            )
        else:
            errors = "- (nothing hidden)"
        from sklearn.neighbors import NearestNeighbors

        coords = model.sample_embedding_
        near = NearestNeighbors(n_neighbors=6).fit(coords).kneighbors(coords)[1][:, 1:]
        same = (labels[near] == labels[:, None]).mean(1)
        holed = hidden.any(axis=1)
        local = (
            f"{same[holed].mean():.3f} / {same[~holed].mean():.3f}"
            if holed.any() and (~holed).any()
            else f"{same.mean():.3f}"
        )
        print(
            f"{share:.0%} | {onn.mean:.3f} ± {onn.sd:.3f} | {go_ratio:.2f}x | {errors} | {local}"
            f" | trained in {seconds:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
