"""Build the compact Gene Ontology snapshot in ``data/go/`` from Debian's Bioconductor packages.

Source: the Debian packages ``r-bioc-go.db`` (the GO graph, from ``go-basic.obo``) and
``r-bioc-org.hs.eg.db`` (human genes from NCBI Entrez Gene and their GO annotations). Each
ships a SQLite database under ``usr/lib/R/site-library/<pkg>/extdata/``; this script reads them
and writes gzip'd TSV files plus a metadata JSON:

- ``terms.tsv.gz``        go_id, ontology (BP/MF/CC), name             (one row per GO term)
- ``parents.tsv.gz``      go_id, parent_id, relationship               (is_a, part_of, regulates,
                                                                        positively_regulates,
                                                                        negatively_regulates)
- ``genes.tsv.gz``        entrez, symbol, name, ncbi_gene_type, ensembl, chromosome
                          (ensembl ids and chromosomes ';'-joined when a gene has several)
- ``annotations.tsv.gz``  entrez, go_id, evidence                      (direct, not propagated)
- ``aliases.tsv.gz``      entrez, alias           (previous / alternative symbols of a gene)
- ``alt_ids.tsv.gz``      alt_id, go_id           (secondary GO id -> primary id: the OBO's
                                                   ``alt_id`` lines, GO.db's ``go_synonym`` rows
                                                   with ``like_go_id = 1``)
- ``metadata.json``       package versions, GO / Entrez / Ensembl release dates, row counts

Usage::

    python data/build_go_snapshot.py                 # apt-get download into a temp dir
    python data/build_go_snapshot.py --deb-dir DIR   # use already downloaded .deb files
    python data/build_go_snapshot.py --from-tsv DIR  # fall back on TSV exports of the same packages

Needs ``apt-get`` and ``dpkg`` (Debian/Ubuntu) for the first two forms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import logging
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

LOG = logging.getLogger("build_go_snapshot")
PACKAGES = ("r-bioc-go.db", "r-bioc-org.hs.eg.db")
OUT_DEFAULT = Path(__file__).resolve().parent / "go"
RELATION_NAMES = {
    "isa": "is_a",
    "part of": "part_of",
    "regulates": "regulates",
    "positively regulates": "positively_regulates",
    "negatively regulates": "negatively_regulates",
}


def _run(cmd: list[str], cwd: Path | None = None) -> str:
    LOG.info("$ %s", " ".join(cmd))
    res = subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True)
    return res.stdout


def download_debs(workdir: Path) -> list[Path]:
    """``apt-get download`` both packages into ``workdir``; returns the .deb paths."""
    _run(["apt-get", "download", *PACKAGES], cwd=workdir)
    return sorted(workdir.glob("*.deb"))


def extract_debs(debs: list[Path], workdir: Path) -> tuple[Path, Path, dict[str, str]]:
    """``dpkg -x`` each package; returns (GO.sqlite, org.Hs.eg.sqlite, {package: version})."""
    root = workdir / "root"
    versions: dict[str, str] = {}
    for deb in debs:
        fields = _run(["dpkg-deb", "-f", str(deb), "Package", "Version"]).splitlines()
        info = dict(line.split(": ", 1) for line in fields if ": " in line)
        versions[info["Package"]] = info["Version"]
        _run(["dpkg", "-x", str(deb), str(root)])
    lib = root / "usr" / "lib" / "R" / "site-library"
    go_db = lib / "GO.db" / "extdata" / "GO.sqlite"
    org_db = lib / "org.Hs.eg.db" / "extdata" / "org.Hs.eg.sqlite"
    for path in (go_db, org_db):
        if not path.is_file():
            raise FileNotFoundError(f"{path}: not found after dpkg -x")
    return go_db, org_db, versions


def _metadata_table(con: sqlite3.Connection) -> dict[str, str]:
    return dict(con.execute("SELECT name, value FROM metadata").fetchall())


def read_go_sqlite(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Terms (go_id, ontology, name) and parent edges (go_id, parent_id, relationship)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        terms = pd.read_sql_query(
            "SELECT go_id, ontology, term AS name FROM go_term "
            "WHERE ontology IN ('BP', 'MF', 'CC') ORDER BY go_id",
            con,
        )
        edges = []
        for ont in ("bp", "mf", "cc"):
            edges.append(
                pd.read_sql_query(
                    f"SELECT c.go_id AS go_id, p.go_id AS parent_id, e.relationship_type "
                    f"AS relationship FROM go_{ont}_parents e "
                    f"JOIN go_term c ON c._id = e._id JOIN go_term p ON p._id = e._parent_id",
                    con,
                )
            )
        meta = _metadata_table(con)
    finally:
        con.close()
    parents = pd.concat(edges, ignore_index=True)
    unknown = set(parents["relationship"]) - set(RELATION_NAMES)
    if unknown:
        raise ValueError(f"{path}: unknown GO relationship types {sorted(unknown)}")
    parents["relationship"] = parents["relationship"].map(RELATION_NAMES)
    parents = parents.sort_values(["go_id", "parent_id", "relationship"], ignore_index=True)
    return terms, parents, meta


def read_go_alt_ids(path: Path) -> pd.DataFrame:
    """Secondary GO ids (alt_id, go_id = the primary id), sorted by alt_id.

    GO.db keeps them in ``go_synonym``: rows with ``like_go_id = 1`` have the secondary id in
    both ``synonym`` and ``secondary`` (the other rows are text synonyms, ``secondary`` NULL);
    ``_id`` is the primary term's row in ``go_term``.
    """
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        alt = pd.read_sql_query(
            "SELECT s.secondary AS alt_id, t.go_id FROM go_synonym s "
            "JOIN go_term t ON t._id = s._id "
            "WHERE s.like_go_id = 1 AND t.ontology IN ('BP', 'MF', 'CC')",
            con,
        )
    finally:
        con.close()
    if alt["alt_id"].isna().any() or not alt["alt_id"].str.fullmatch(r"GO:\d{7}").all():
        raise ValueError(f"{path}: go_synonym rows with like_go_id = 1 that are not GO ids")
    alt = alt.drop_duplicates()
    if alt["alt_id"].duplicated().any():
        raise ValueError(f"{path}: a secondary GO id names several primary terms")
    return alt.sort_values("alt_id", ignore_index=True)


def _joined(df: pd.DataFrame, col: str) -> pd.Series:
    return df.groupby("_id")[col].agg(lambda s: ";".join(sorted(set(s))))


def read_org_sqlite(
    path: Path,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Gene table, direct GO annotations (entrez, go_id, evidence) and symbol aliases
    (entrez, alias) of org.Hs.eg.db."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        genes = pd.read_sql_query(
            "SELECT g._id, g.gene_id AS entrez, i.symbol, i.gene_name AS name, "
            "t.gene_type AS ncbi_gene_type FROM genes g "
            "LEFT JOIN gene_info i ON i._id = g._id LEFT JOIN genetype t ON t._id = g._id",
            con,
        )
        ens = pd.read_sql_query("SELECT _id, ensembl_id FROM ensembl", con)
        chrom = pd.read_sql_query("SELECT _id, chromosome FROM chromosomes", con)
        ann = pd.read_sql_query(
            "SELECT g.gene_id AS entrez, a.go_id, a.evidence FROM go a "
            "JOIN genes g ON g._id = a._id",
            con,
        )
        aliases = pd.read_sql_query(
            "SELECT g.gene_id AS entrez, a.alias_symbol AS alias FROM alias a "
            "JOIN genes g ON g._id = a._id",
            con,
        )
        meta = _metadata_table(con)
    finally:
        con.close()
    if genes["_id"].duplicated().any():
        raise ValueError(f"{path}: a gene has several gene_info/genetype rows")
    genes = genes.set_index("_id")
    genes["ensembl"] = _joined(ens, "ensembl_id")
    genes["chromosome"] = _joined(chrom, "chromosome")
    genes = genes.fillna({"ensembl": "", "chromosome": "", "ncbi_gene_type": "unknown"})
    genes["entrez"] = genes["entrez"].astype(int)
    genes = genes.sort_values("entrez").reset_index(drop=True)
    ann["entrez"] = ann["entrez"].astype(int)
    ann = ann.drop_duplicates().sort_values(["entrez", "go_id", "evidence"], ignore_index=True)
    aliases["entrez"] = aliases["entrez"].astype(int)
    own = aliases.merge(genes[["entrez", "symbol"]], on="entrez", how="left")
    aliases = aliases[(own["alias"] != own["symbol"]).to_numpy()]
    aliases = aliases.drop_duplicates().sort_values(["entrez", "alias"], ignore_index=True)
    return genes, ann, aliases, meta


def read_tsv_exports(src: Path) -> tuple[pd.DataFrame, ...]:
    """Fallback: the TSV exports of the same two packages (``go_terms``, ``go_parents``,
    ``human_gene_map_entrez_symbol_ensembl``, ``human_symbol_go_direct``, all ``.tsv.gz``)."""
    terms = pd.read_csv(src / "go_terms.tsv.gz", sep="\t").rename(columns={"term": "name"})
    terms = terms[terms["ontology"].isin(["BP", "MF", "CC"])].sort_values("go_id")
    parents = pd.read_csv(src / "go_parents.tsv.gz", sep="\t")
    parents = parents.rename(columns={"parent_go_id": "parent_id"})
    parents["relationship"] = parents["relationship"].map(RELATION_NAMES)
    parents = parents.sort_values(["go_id", "parent_id", "relationship"], ignore_index=True)
    gmap = pd.read_csv(src / "human_gene_map_entrez_symbol_ensembl.tsv.gz", sep="\t", dtype=str)
    gmap = gmap.fillna("")
    genes = gmap.groupby("entrez", sort=False).agg(
        symbol=("symbol", "first"),
        name=("name", "first"),
        ncbi_gene_type=("gene_type", "first"),
        ensembl=("ensembl", lambda s: ";".join(sorted(set(s) - {""}))),
        chromosome=("chromosome", lambda s: ";".join(sorted(set(s) - {""}))),
    )
    genes = genes.reset_index()
    genes["entrez"] = genes["entrez"].astype(int)
    genes = genes.sort_values("entrez", ignore_index=True)
    ann = pd.read_csv(src / "human_symbol_go_direct.tsv.gz", sep="\t")[
        ["entrez", "go_id", "evidence"]
    ]
    ann = ann.drop_duplicates().sort_values(["entrez", "go_id", "evidence"], ignore_index=True)
    return terms, parents, genes, ann


def write_tsv_gz(df: pd.DataFrame, path: Path) -> None:
    """Deterministic gzip (mtime 0) so that rebuilding gives byte-identical files."""
    data = df.to_csv(sep="\t", index=False, lineterminator="\n").encode()
    with open(path, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
        gz.write(data)


def write_snapshot(
    out: Path,
    terms: pd.DataFrame,
    parents: pd.DataFrame,
    genes: pd.DataFrame,
    ann: pd.DataFrame,
    metadata: dict,
    aliases: pd.DataFrame | None = None,
    alt_ids: pd.DataFrame | None = None,
) -> None:
    """Write the tables and ``metadata.json`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    known = set(terms["go_id"])
    n_before = len(ann)
    ann = ann[ann["go_id"].isin(known)]
    if len(ann) < n_before:
        LOG.warning("dropped %d annotations to terms absent from the graph", n_before - len(ann))
    write_tsv_gz(terms[["go_id", "ontology", "name"]], out / "terms.tsv.gz")
    write_tsv_gz(parents[["go_id", "parent_id", "relationship"]], out / "parents.tsv.gz")
    cols = ["entrez", "symbol", "name", "ncbi_gene_type", "ensembl", "chromosome"]
    write_tsv_gz(genes[cols], out / "genes.tsv.gz")
    write_tsv_gz(ann[["entrez", "go_id", "evidence"]], out / "annotations.tsv.gz")
    if aliases is not None:
        write_tsv_gz(aliases[["entrez", "alias"]], out / "aliases.tsv.gz")
    if alt_ids is not None:
        # an alt id must name a term of the graph and must not itself be a (primary) term
        ok = alt_ids["go_id"].isin(known) & ~alt_ids["alt_id"].isin(known)
        if not ok.all():
            LOG.warning("dropped %d alt ids (primary absent, or a term itself)", (~ok).sum())
        alt_ids = alt_ids[ok]
        write_tsv_gz(alt_ids[["alt_id", "go_id"]], out / "alt_ids.tsv.gz")
    metadata = dict(metadata)
    metadata["counts"] = {
        "terms": int(len(terms)),
        "terms_by_ontology": {k: int(v) for k, v in terms["ontology"].value_counts().items()},
        "parent_edges": int(len(parents)),
        "edges_by_relationship": {
            k: int(v) for k, v in parents["relationship"].value_counts().items()
        },
        "genes": int(len(genes)),
        "annotations": int(len(ann)),
        "annotated_genes": int(ann["entrez"].nunique()),
        "aliases": int(len(aliases)) if aliases is not None else 0,
        "alt_ids": int(len(alt_ids)) if alt_ids is not None else 0,
    }
    metadata["files"] = {
        "terms.tsv.gz": "go_id, ontology (BP/MF/CC), name",
        "parents.tsv.gz": "go_id, parent_id, relationship (is_a, part_of, regulates, ...)",
        "genes.tsv.gz": "entrez, symbol, name, ncbi_gene_type, ensembl (;-joined), chromosome",
        "annotations.tsv.gz": "entrez, go_id, evidence (direct annotations, not propagated)",
    }
    if aliases is not None:
        metadata["files"]["aliases.tsv.gz"] = "entrez, alias (other symbols of the gene)"
    if alt_ids is not None:
        metadata["files"]["alt_ids.tsv.gz"] = "alt_id, go_id (secondary GO id -> primary id)"
    metadata["propagation"] = "core.annotations propagates through is_a and part_of edges only"
    (out / "metadata.json").write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT_DEFAULT, help="output folder")
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--deb-dir", type=Path, help="folder holding the two downloaded .deb files")
    src.add_argument("--from-tsv", type=Path, help="fallback: TSV exports of the same packages")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    built = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")

    if args.from_tsv is not None:
        terms, parents, genes, ann = read_tsv_exports(args.from_tsv)
        meta = {
            "source": "TSV exports of Debian r-bioc-go.db / r-bioc-org.hs.eg.db (fallback)",
            "packages": {"r-bioc-go.db": "3.16.0-1", "r-bioc-org.hs.eg.db": "3.16.0-1"},
            "go_release": "2022-07-01",
            "entrez_gene_release": "2022-09-12",
            "built": built,
        }
        write_snapshot(args.out, terms, parents, genes, ann, meta)
        return 0

    with tempfile.TemporaryDirectory(prefix="go_snapshot_") as tmp:
        work = Path(tmp)
        if args.deb_dir is not None:
            debs = sorted(p for p in args.deb_dir.glob("*.deb") if p.name.startswith(PACKAGES))
        else:
            debs = download_debs(work)
        if len(debs) != 2:
            raise SystemExit(f"expected 2 .deb files ({', '.join(PACKAGES)}), found {debs}")
        go_db, org_db, versions = extract_debs(debs, work)
        terms, parents, go_meta = read_go_sqlite(go_db)
        alt_ids = read_go_alt_ids(go_db)
        genes, ann, aliases, org_meta = read_org_sqlite(org_db)
    meta = {
        "source": "Debian packages r-bioc-go.db and r-bioc-org.hs.eg.db (Bioconductor "
        "GO.db / org.Hs.eg.db SQLite files), read by data/build_go_snapshot.py",
        "license": "Artistic-2.0 (Bioconductor packages); GO data CC BY 4.0",
        "packages": versions,
        "go_release": go_meta.get("GOSOURCEDATE"),
        "go_source_url": go_meta.get("GOSOURCEURL"),
        "org_go_release": org_meta.get("GOSOURCEDATE"),
        "entrez_gene_release": org_meta.get("EGSOURCEDATE"),
        "entrez_gene_source_url": org_meta.get("EGSOURCEURL"),
        "ensembl_release": org_meta.get("ENSOURCEDATE"),
        "organism": org_meta.get("ORGANISM"),
        "taxid": org_meta.get("TAXID"),
        "built": built,
    }
    write_snapshot(args.out, terms, parents, genes, ann, meta, aliases=aliases, alt_ids=alt_ids)
    LOG.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
