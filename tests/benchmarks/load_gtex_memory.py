"""Benchmark: streaming a GTEx-layout GCT with ``core.data.load_gtex`` (time and peak memory).

Writes a SYNTHETIC GCT v1.2 file (random negative-binomial counts; every gene row is named
``SYNTHETIC_...`` and described as ``synthetic``) plus a synthetic SampleAttributesDS to a
temporary directory, then loads it with :func:`core.data.load_gtex` in a fresh child process and
prints the parse time, rows/s, the float32 array size and the peak resident memory
(``resource.getrusage``) above the process's baseline after imports: the loader keeps peak memory
close to one float32 copy of the matrix.

Usage::

    .venv/bin/python tests/benchmarks/load_gtex_memory.py [--genes 2000] [--samples 17382]
        [--plain] [--no-exclude] [--keep DIR [--reuse]]

Not collected by pytest (``tests/benchmarks`` is excluded in pyproject.toml).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def write_synthetic_gct(path: Path, n_genes: int, n_samples: int, seed: int = 0) -> list[str]:
    """Write a synthetic GCT (gzip level 1 when ``path`` ends in .gz); returns sample ids."""
    rng = np.random.default_rng(seed)
    sample_ids = [f"SYNTH-{i // 20:04d}-{i % 20:04d}-SM-SIM{i:05d}" for i in range(n_samples)]
    opener = (
        (lambda p: gzip.open(p, "wt", compresslevel=1))
        if path.suffix == ".gz"
        else (lambda p: open(p, "w"))
    )
    with opener(path) as fh:
        fh.write(f"#1.2\n{n_genes}\t{n_samples}\n")
        fh.write("Name\tDescription\t" + "\t".join(sample_ids) + "\n")
        for g in range(n_genes):
            mean = rng.lognormal(4.0, 2.0)
            counts = rng.negative_binomial(2, 2 / (2 + mean), size=n_samples)
            fh.write(f"SYNTHETIC_GENE_{g:06d}.1\tsynthetic\t" + "\t".join(map(str, counts)) + "\n")
    return sample_ids


def write_synthetic_attributes(path: Path, sample_ids: list[str], seed: int = 0) -> None:
    """Synthetic SAMPID/SMTS/SMTSD table for 80% of the samples (5 synthetic tissues)."""
    rng = np.random.default_rng(seed + 1)
    tissues = [f"Synthetic tissue {k}" for k in range(5)]
    with open(path, "w") as fh:
        fh.write("SAMPID\tSMTS\tSMTSD\n")
        for sid in sample_ids:
            if rng.random() < 0.8:
                t = tissues[int(rng.integers(len(tissues)))]
                fh.write(f"{sid}\t{t}\t{t} - site\n")


def peak_rss_bytes() -> int:
    """Peak resident set size of this process (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def load_only(gct: Path, attributes: Path, exclude: list[str]) -> dict:
    """Child process: import, record the baseline peak RSS, load, record the peak RSS."""
    sys.path.insert(0, str(REPO))
    import pyarrow  # noqa: F401  (imported before the baseline, as the loader uses it)

    from core.data import load_gtex

    baseline = peak_rss_bytes()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    es = load_gtex(gct, attributes, exclude_tissues=tuple(exclude))
    seconds = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    peak = peak_rss_bytes()
    return {
        "n_samples": es.n_samples,
        "n_genes": es.n_genes,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "array_bytes": int(es.values.nbytes),
        "baseline_rss": baseline,
        "peak_rss": peak,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=17382)
    parser.add_argument("--plain", action="store_true", help="write .gct instead of .gct.gz")
    parser.add_argument(
        "--no-exclude",
        action="store_true",
        help="keep every sample (default: exclude one synthetic tissue, about 16%% of samples)",
    )
    parser.add_argument("--keep", metavar="DIR", help="write the files here and keep them")
    parser.add_argument(
        "--reuse", action="store_true", help="with --keep: reuse the files already written there"
    )
    parser.add_argument(
        "--load-only", nargs=3, metavar=("GCT", "ATTRS", "EXCLUDE_JSON"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.load_only:
        gct, attrs, exclude = args.load_only
        print(json.dumps(load_only(Path(gct), Path(attrs), json.loads(exclude))))
        return

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.keep) if args.keep else Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        gct = out / ("synthetic.gct" if args.plain else "synthetic.gct.gz")
        attrs = out / "synthetic_attributes.txt"
        t0 = time.perf_counter()
        if args.reuse and gct.is_file() and attrs.is_file():
            with gzip.open(gct, "rt") if gct.suffix == ".gz" else open(gct) as fh:
                fh.readline()
                args.genes, args.samples = map(int, fh.readline().split())
            made = "reused"
        else:
            ids = write_synthetic_gct(gct, args.genes, args.samples)
            write_synthetic_attributes(attrs, ids)
            made = f"written in {time.perf_counter() - t0:.1f} s"
        print(
            f"SYNTHETIC data (random counts, not GTEx): {args.genes} genes x {args.samples} "
            f"samples, {gct.name} {gct.stat().st_size / 2**20:.1f} MiB {made}"
        )
        exclude = [] if args.no_exclude else ["Synthetic tissue 0"]
        child = subprocess.run(
            [sys.executable, __file__, "--load-only", str(gct), str(attrs), json.dumps(exclude)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        r = json.loads(child.stdout.strip().splitlines()[-1])
    mib = 2**20
    extra = r["peak_rss"] - r["baseline_rss"]
    print(
        f"loaded:        {r['n_samples']} samples x {r['n_genes']} genes "
        f"(excluded tissue: {exclude or 'none'})"
    )
    print(
        f"parse time:    {r['seconds']:.2f} s wall ({args.genes / r['seconds']:.0f} gene rows/s, "
        f"{args.genes * args.samples / r['seconds'] / 1e6:.1f} M values/s); "
        f"{r['cpu_seconds']:.2f} CPU s (all threads), machine load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"array size:    {r['array_bytes'] / mib:.1f} MiB float32")
    print(f"baseline RSS:  {r['baseline_rss'] / mib:.1f} MiB (after imports)")
    print(
        f"peak RSS:      {r['peak_rss'] / mib:.1f} MiB; above baseline {extra / mib:.1f} MiB "
        f"= {extra / r['array_bytes']:.2f} x the array, i.e. the array + "
        f"{(extra - r['array_bytes']) / mib:.1f} MiB of parse buffers"
    )


if __name__ == "__main__":
    main()
