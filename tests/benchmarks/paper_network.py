"""The paper's network against this project's default, on real data (GTEx 26 tissues, 520 x 460).

The paper feeds the two embeddings through "one fully-connected non-linear layer" of 10 or 25
neurons; the default here has three hidden layers (100, 50, 50). Printed for each network, with
the neighbour-graph regulariser (the default) and without it (the paper's pure reconstruction
objective), and for each seed: the final training loss (MSE), the sample map's tissue 1-NN from
10% labels (100 splits), and the gene space's agreement with GO (each gene's 5 nearest genes,
GO BP terms of 3-500 genes, all evidence, and experimental + phylogenetic evidence only)
against chance counted over every pair of genes; then the expression-correlation reference on
the same protocol, with chance both counted and drawn (100,000 random pairs, seed 0, as before
2026-12-05).

    python tests/benchmarks/paper_network.py [--seeds 0,1,2] [--epochs N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core import analysis  # noqa: E402
from core.annotations import GeneOntology  # noqa: E402
from core.data import load_table  # noqa: E402
from core.estimator import FactorizedEmbeddings  # noqa: E402

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
#: GO evidence codes left out for "experimental and phylogenetic evidence only"
NOT_EXPERIMENTAL = ("IEA", "ND", "ISS", "ISO", "ISA", "ISM", "IGC", "RCA", "TAS", "NAS", "IC")
NETWORKS = {
    "default (100, 50, 50)": (100, 50, 50),
    "paper, one layer of 25": (25,),
    "paper, one layer of 10": (10,),
}


def _go_ratios(gene_embedding, go_all, go_exp) -> tuple[float, float]:
    pairs = analysis.pairs_from_neighbors(analysis.gene_neighbors(gene_embedding, 5)[0])
    return tuple(analysis.neighbor_agreement(pairs, m)["go_ratio"] for m in (go_all, go_exp))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=None, help="default: the model's own")
    parser.add_argument("--data", default=str(SHARED / "gtex_sepira_26tissues"))
    args = parser.parse_args()
    es = load_table(Path(args.data) / "sepira_gtex_520x467.csv.gz").drop_zero_genes()
    labels = es.samples[es.label_column()].to_numpy()

    def go_matrix(exclude=()):
        go = GeneOntology.load(exclude_evidence=exclude)
        return go.annotation_matrix(
            es.gene_ids, ontology="BP", min_size=3, max_size=500, symbols=es.gene_symbols
        )[0]

    go_all, go_exp = go_matrix(), go_matrix(NOT_EXPERIMENTAL)
    print(f"{es.name}: {es.n_samples} samples x {es.n_genes} genes (real data)")
    print("network | objective | seed | loss | 1-NN (10%) | GO all | GO exp. | seconds")
    for objective, weight in (("with the neighbour graph", None), ("pure (the paper's)", 0.0)):
        for name, hidden in NETWORKS.items():
            for seed in (int(s) for s in args.seeds.split(",")):
                t0 = time.perf_counter()
                model = FactorizedEmbeddings(
                    hidden=hidden, neighbour_weight=weight, epochs=args.epochs, seed=seed
                ).fit(es)
                seconds = time.perf_counter() - t0
                onn = analysis.one_nn_accuracy(model.sample_embedding_, labels, 0.1, 100, seed=0)
                g_all, g_exp = _go_ratios(model.gene_embedding_, go_all, go_exp)
                print(
                    f"{name} | {objective} | {seed} | {model.history_[-1]:.4f} | "
                    f"{onn.mean:.3f} ± {onn.sd:.3f} | {g_all:.2f}x | {g_exp:.2f}x | "
                    f"{seconds:.0f}",
                    flush=True,
                )
    pairs = analysis.pairs_from_neighbors(analysis.correlation_neighbors(es.values, 5)[0])
    for what, m in (("all evidence", go_all), ("experimental + phylogenetic", go_exp)):
        exact = analysis.neighbor_agreement(pairs, m)
        drawn = analysis.neighbor_agreement(pairs, m, seed=0, n_random=100_000)
        print(
            f"correlation reference, GO {what}: {exact['go_ratio']:.2f}x against every pair "
            f"(chance {exact['go_random']:.4f}); {drawn['go_ratio']:.2f}x against 100,000 "
            f"random pairs (chance {drawn['go_random']:.4f})"
        )


if __name__ == "__main__":
    main()
