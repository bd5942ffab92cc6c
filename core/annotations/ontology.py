"""The :class:`GeneOntology`: terms, their is_a/part_of graph, the gene table and direct
annotations; built from the shipped snapshot (:meth:`GeneOntology.load`) or a GAF and an OBO
file (:meth:`GeneOntology.from_gaf`); gene id mapping, propagation to ancestors, term sizes,
annotation matrices and enrichment."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.annotations.enrichment import Enricher
from core.annotations.gaf import _gaf_aliases, _read_gaf
from core.annotations.genes import (
    _ENSEMBL_RE,
    _ENTREZ_RE,
    _as_id_list,
    _gaf_gene_type,
    _preferred_order,
    _read_gene_info,
    simplify_gene_types,
)
from core.annotations.obo import _read_obo
from core.annotations.reading import _READ_ERRORS, SNAPSHOT_DIR, _read_snapshot_alt_ids
from core.annotations.vocabulary import (
    GENE_COLUMNS,
    PROPAGATE_THROUGH,
    RELATIONSHIPS,
    _check_sizes,
    _normalise_ontology,
    check_evidence_codes,
)
from core.errors import DataError

LOG = logging.getLogger("core.annotations")  # the package's one logger (-v shows its name)

#: A GO id as users also write it: its seven digits alone, in lower case, or with "_" (the end
#: of an OBO PURL, GO_0006941).
_GO_NUMBER = re.compile(r"^(?:GO[:_])?(\d{7})$", re.IGNORECASE)


def _index_dtype(n: int, smallest: bool = False) -> type:
    """The integer type of row numbers (or codes) below ``n``: int32 (int8 / int16 with
    ``smallest``) where they fit, else int64."""
    for dtype in (np.int8, np.int16, np.int32) if smallest else (np.int32,):
        if n <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def _entrez_row(entrez: tuple[np.ndarray, np.ndarray], query: int) -> int:
    """Row of the Entrez id ``query`` in ``(sorted ids, their rows)``; -1 if absent."""
    ids, rows = entrez
    if not ids.size or not ids[0] <= query <= ids[-1]:  # (also ids beyond int64)
        return -1
    i = int(np.searchsorted(ids, query))
    return int(rows[i]) if ids[i] == query else -1


class DataAlias(NamedTuple):
    """What another name of a gene (an alias in the gene table, or a gene's current symbol where
    the data names it otherwise) names among the genes of a dataset
    (:meth:`GeneOntology.dataset_aliases`).

    Attributes
    ----------
    columns : tuple of int
        The dataset column of each gene of the data it names (the first column of each).
    names : tuple of str
        The data's names of those genes, in the same order.
    absent : tuple of str
        The symbols of the genes it is an alias of that are not in the data.
    other_symbol : str
        The symbol of a gene not in the data that the name is (AGT beside AGT as an alias of
        AGXT); "" otherwise. Such a name is not read as the alias.
    current : bool
        The name is the current symbol of the one gene of ``columns``.
    """

    columns: tuple[int, ...]
    names: tuple[str, ...]
    absent: tuple[str, ...] = ()
    other_symbol: str = ""
    current: bool = False

    @property
    def column(self) -> int | None:
        """The dataset column the name is read as, or None when it names no gene of the data,
        several, or is the symbol of a gene not in the data (no guess)."""
        if self.current or (len(self.columns) == 1 and not self.other_symbol):
            return self.columns[0]
        return None

    def read_as(self, query: str) -> str:
        """``HER2 read as ERBB2, its alias``: what a lookup that took :attr:`column` says."""
        q = str(query).strip()
        if self.current:
            return f"{q} read as {self.names[0]}, the name of that gene here"
        also = f" (also an alias of {_listed(self.absent)}, not in the data)" if self.absent else ""
        return f"{q} read as {self.names[0]}, its alias{also}"

    def why_not(self, query: str, where: str = "in the data") -> str:
        """Why the name is not read as a gene, the genes it may stand for named
        (``PSAP is an alias of 2 genes here: SFTPA1, SFTPA2; give one of them``)."""
        q = str(query).strip()
        if len(self.columns) > 1:
            return (
                f"{q} is an alias of {len(self.columns)} genes {where}: "
                f"{_listed(self.names)}; give one of them"
            )
        if self.other_symbol and self.columns:
            return (
                f"{q} is the symbol of a gene not {where} ({self.other_symbol}); it is also an "
                f"alias of {self.names[0]}, which is: give {self.names[0]} for that gene"
            )
        which = "which is" if len(self.absent) == 1 else "which are"
        return f"{q} is an alias of {_listed(self.absent)}, {which} not {where}"


def _listed(names: Sequence[str], limit: int = 6) -> str:
    """``A, B, C`` (``A, B, C, ... (9 in all)`` beyond ``limit``)."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... ({len(names)} in all)"


class GeneOntology:
    """GO terms, their is_a/part_of graph, a gene table and direct gene->term annotations.

    Parameters
    ----------
    terms : DataFrame with columns go_id, ontology (BP/MF/CC), name; shape (n_terms, 3)
    parents : DataFrame with columns go_id, parent_id, relationship; one row per edge
    genes : DataFrame with columns symbol, entrez, name, ncbi_gene_type, ensembl (";"-joined),
        chromosome; shape (n_genes, ...). ``gene_type`` (simplified) is added when absent.
    annotations : DataFrame with columns gene_index (row position in ``genes``), go_id,
        evidence; direct annotations, one row per (gene, term, evidence)
    metadata : dict, optional
        Source and release information.
    propagate_through : tuple of str
        Relationship types followed when propagating to ancestors.
    aliases : DataFrame with columns gene_index, alias; optional
        Other (previous) symbols of genes; used by the mapping when unambiguous.
    alt_ids : mapping of str to str, optional
        Secondary GO id (an OBO ``alt_id``) -> primary id. Methods taking a GO id
        (:meth:`term_genes`, :meth:`ancestors`) accept these and answer for the primary term.
        Filled by :meth:`from_gaf` (from the OBO) and by :meth:`load` (the snapshot's
        ``alt_ids.tsv.gz``; a snapshot without that file accepts only primary ids).
    """

    def __init__(
        self,
        terms: pd.DataFrame,
        parents: pd.DataFrame,
        genes: pd.DataFrame,
        annotations: pd.DataFrame,
        metadata: dict | None = None,
        propagate_through: tuple[str, ...] = PROPAGATE_THROUGH,
        aliases: pd.DataFrame | None = None,
        alt_ids: Mapping[str, str] | None = None,
    ) -> None:
        for df, cols, what in (
            (terms, ("go_id", "ontology", "name"), "terms"),
            (parents, ("go_id", "parent_id", "relationship"), "parents"),
            (genes, ("symbol",), "genes"),
            (annotations, ("gene_index", "go_id"), "annotations"),
        ):
            missing = [c for c in cols if c not in df.columns]
            if missing:
                raise DataError(f"GeneOntology: {what} table lacks columns {missing}")
        bad = set(propagate_through) - set(RELATIONSHIPS)
        if bad:
            raise DataError(f"propagate_through: unknown relationships {sorted(bad)}")
        self.metadata: dict = dict(metadata or {})
        self.propagate_through = tuple(propagate_through)

        terms = terms.drop_duplicates("go_id").sort_values("go_id", ignore_index=True)
        self._term_ids = terms["go_id"].to_numpy(dtype=object)
        self._term_pos = pd.Index(self._term_ids)
        self._term_ont = terms["ontology"].to_numpy(dtype=object)
        self.terms = pd.DataFrame(
            {"ontology": self._term_ont, "name": terms["name"].to_numpy(dtype=object)},
            index=pd.Index(self._term_ids, name="go_id"),
        )
        # secondary id -> primary id, for primary ids that are terms (and alt ids that are not)
        known = set(self._term_ids)
        self._alt_ids: dict[str, str] = {
            str(a).strip(): str(t).strip()
            for a, t in (alt_ids or {}).items()
            if str(t).strip() in known and str(a).strip() not in known
        }

        pi = self._term_pos.get_indexer(parents["go_id"])
        pj = self._term_pos.get_indexer(parents["parent_id"])
        ok = (pi >= 0) & (pj >= 0)
        self._edge_child = pi[ok].astype(_index_dtype(self.n_terms))
        self._edge_parent = pj[ok].astype(_index_dtype(self.n_terms))
        kept = parents.loc[ok, ["go_id", "parent_id", "relationship"]].reset_index(drop=True)
        if kept["go_id"].dtype == object and kept["parent_id"].dtype == object:
            # the terms' own id strings (equal values), in a table of its own: a second string
            # per edge end was 3.5 MB of the snapshot
            kept = pd.DataFrame(
                {
                    "go_id": self._term_ids[self._edge_child],
                    "parent_id": self._term_ids[self._edge_parent],
                    "relationship": kept["relationship"].copy(),
                }
            )
        self.parents = kept
        self._edge_rel = self.parents["relationship"].to_numpy(dtype=object)

        genes = genes.reset_index(drop=True).copy()
        for col in ("entrez", "name", "ncbi_gene_type", "ensembl", "chromosome"):
            if col not in genes.columns:
                genes[col] = pd.NA if col == "entrez" else ""
        genes["entrez"] = pd.to_numeric(genes["entrez"], errors="coerce").astype("Int64")
        for col in ("symbol", "name", "ensembl", "chromosome"):
            genes[col] = genes[col].fillna("").astype(str)
        genes["ncbi_gene_type"] = genes["ncbi_gene_type"].fillna("unknown").astype(str)
        if "gene_type" not in genes.columns:
            genes["gene_type"] = simplify_gene_types(
                genes["ncbi_gene_type"], genes["symbol"], genes["name"]
            )
        cols = list(GENE_COLUMNS) + [c for c in genes.columns if c not in GENE_COLUMNS]
        self.genes = genes[cols]
        self.genes.index.name = "gene_index"

        gi = annotations["gene_index"].to_numpy(dtype=np.int64)
        ti = self._term_pos.get_indexer(annotations["go_id"])
        ok = (ti >= 0) & (gi >= 0) & (gi < len(self.genes))
        if (~ok).any():
            LOG.info("GeneOntology: %d annotations to unknown terms/genes ignored", (~ok).sum())
        # row numbers as int32 and the evidence as small codes into its few distinct values
        # (the snapshot's 348,116 annotations: 2.7 MB each as int64 or object pointers)
        self._ann_gene = gi[ok].astype(_index_dtype(len(self.genes)))
        self._ann_term = ti[ok].astype(_index_dtype(self.n_terms))
        if "evidence" in annotations.columns:
            codes, names = pd.factorize(annotations["evidence"].to_numpy(dtype=object)[ok])
        else:
            codes, names = np.zeros(int(ok.sum()), dtype=np.int8), np.array([""], dtype=object)
        # code -1 (None / NaN: no code) picks the None appended to the names
        self._ann_evidence_code = codes.astype(_index_dtype(len(names), smallest=True))
        self._evidence_names = np.append(np.asarray(names, dtype=object), None)
        if aliases is not None and len(aliases):
            ai = aliases["gene_index"].to_numpy(dtype=np.int64)
            ok = (ai >= 0) & (ai < len(self.genes))
            self._alias_gene = ai[ok]
            self._alias_name = aliases["alias"].astype(str).to_numpy(dtype=object)[ok]
        else:
            self._alias_gene = np.zeros(0, dtype=np.int64)
            self._alias_name = np.zeros(0, dtype=object)

    # ---------------------------------------------------------------- constructors
    @classmethod
    def load(
        cls, path: str | Path | None = None, exclude_evidence: Iterable[str] = ()
    ) -> GeneOntology:
        """Load a snapshot folder written by ``data/build_go_snapshot.py``.

        Parameters
        ----------
        path : folder, optional
            Default: the committed snapshot ``data/go/`` (GO 2022-07-01, human genes from
            Entrez Gene 2022-09-12).
        exclude_evidence : iterable of str
            Evidence codes to ignore (e.g. ``("ND", "IEA")``).

        Optional files: ``aliases.tsv.gz`` (other gene symbols) and ``alt_ids.tsv.gz``
        (secondary GO id -> primary id, accepted by :meth:`term_genes` and
        :meth:`ancestors`); a snapshot without them loads without aliases / alt_ids.
        """
        folder = Path(path) if path is not None else SNAPSHOT_DIR
        if folder.is_file():
            raise DataError(
                f"{folder}: a file; GeneOntology.load takes the snapshot folder (a GAF and an "
                "OBO file are read by GeneOntology.from_gaf)"
            )
        files = {k: folder / f"{k}.tsv.gz" for k in ("terms", "parents", "genes", "annotations")}
        for f in files.values():
            if not f.is_file():
                raise DataError(
                    f"{f}: GO snapshot file missing (rebuild with data/build_go_snapshot.py)"
                )
        try:
            terms = pd.read_csv(files["terms"], sep="\t", dtype=str, keep_default_na=False)
            parents = pd.read_csv(files["parents"], sep="\t", dtype=str, keep_default_na=False)
            genes = pd.read_csv(
                files["genes"],
                sep="\t",
                dtype={"entrez": np.int64},
                keep_default_na=False,
                na_values={"entrez": [""]},
            )
            ann = pd.read_csv(
                files["annotations"], sep="\t", dtype={"entrez": np.int64}, keep_default_na=False
            )
        except (ValueError, pd.errors.ParserError, *_READ_ERRORS) as exc:
            raise DataError(f"{folder}: cannot read GO snapshot: {exc}") from exc
        # (a table without its key column raised a bare KeyError)
        for name, table, needed in (
            ("genes", genes, ("entrez", "symbol")),
            ("annotations", ann, ("entrez", "go_id", "evidence")),
        ):
            missing = [c for c in needed if c not in table.columns]
            if missing:
                raise DataError(f"{files[name]}: GO snapshot table lacks columns {missing}")
        meta_file = folder / "metadata.json"
        try:
            metadata = json.loads(meta_file.read_text()) if meta_file.is_file() else {}
        except (ValueError, OSError) as exc:
            raise DataError(f"{meta_file}: cannot read GO snapshot metadata: {exc}") from exc
        if not isinstance(metadata, dict):
            raise DataError(f"{meta_file}: GO snapshot metadata must be a JSON object {{...}}")
        excluded = check_evidence_codes(exclude_evidence)
        if excluded:
            ann = ann[~ann["evidence"].str.upper().isin(excluded)]
            metadata["excluded_evidence"] = sorted(excluded)
        entrez_index = pd.Index(genes["entrez"])
        pos = entrez_index.get_indexer(ann["entrez"])
        ann = pd.DataFrame(
            {"gene_index": pos, "go_id": ann["go_id"].to_numpy(), "evidence": ann["evidence"]}
        )
        alias_file = folder / "aliases.tsv.gz"
        aliases = None
        if alias_file.is_file():
            try:
                al = pd.read_csv(
                    alias_file,
                    sep="\t",
                    dtype={"entrez": np.int64, "alias": str},
                    keep_default_na=False,
                )
            except (ValueError, pd.errors.ParserError, *_READ_ERRORS) as exc:
                raise DataError(f"{alias_file}: cannot read GO snapshot aliases: {exc}") from exc
            aliases = pd.DataFrame(
                {"gene_index": entrez_index.get_indexer(al["entrez"]), "alias": al["alias"]}
            )
        alt_ids = _read_snapshot_alt_ids(folder / "alt_ids.tsv.gz")
        return cls(terms, parents, genes, ann, metadata=metadata, aliases=aliases, alt_ids=alt_ids)

    @classmethod
    def from_gaf(
        cls,
        gaf_path: str | Path,
        obo_path: str | Path,
        gene_info: str | Path | pd.DataFrame | None = None,
        exclude_evidence: Iterable[str] = (),
    ) -> GeneOntology:
        """Read a GAF 2.x annotation file and an OBO 1.2 ontology (plain or gzip'd).

        Genes are keyed by the GAF's DB_Object_Symbol (column 3); their gene type comes from
        the DB object type (column 12, a Sequence Ontology name or id such as ``protein``,
        ``protein_coding_gene``, ``miRNA_gene`` or ``SO:0001217``; see
        :func:`_gaf_gene_type`) unless ``gene_info`` knows the gene. Rows whose qualifier
        contains ``NOT`` are skipped; GO ids given as an ``alt_id`` are mapped to their primary
        term, and the returned ontology's :meth:`term_genes` / :meth:`ancestors` accept the
        OBO's alt_ids too; annotations to obsolete or unknown terms are dropped (a warning says
        how many; ``metadata["gaf_rows_unknown_term"]`` counts them). From the OBO, ``is_a``
        and the ``part_of`` / ``regulates`` relationships within one namespace are kept (as in
        go-basic); obsolete terms are left out. Both files may be gzip'd, have Windows line
        ends or a UTF-8 byte-order mark; a GAF that is not valid UTF-8 (Latin-1 / cp1252) is
        read as Latin-1, with a warning (``metadata["gaf_encoding"]``). The synonyms (column
        11, pipe-separated) are the genes' aliases, as the snapshot's ``aliases.tsv.gz``
        (``HER2`` for ERBB2; UniProt entry names such as ``ERBB2_HUMAN`` left out;
        ``metadata["gaf_aliases"]`` counts them).

        Raises
        ------
        DataError
            A file that is missing, damaged (e.g. a truncated gzip download), not a GAF 2.x /
            OBO file, without positive annotation, or whose annotations name no term of the
            OBO (another release, a GO slim, not GO); an unknown evidence code.

        Parameters
        ----------
        gaf_path, obo_path : path
        gene_info : path or DataFrame, optional
            Gene table giving Entrez ids, gene types, Ensembl ids and chromosomes: an NCBI
            ``gene_info`` file (header ``#tax_id GeneID Symbol ...``), a TSV / DataFrame with
            at least a ``symbol`` column (and any of entrez, name, ncbi_gene_type, ensembl,
            chromosome), or a snapshot ``genes.tsv.gz``. GAF symbols are matched to it
            case-insensitively; symbols absent from it are added as extra genes.
        exclude_evidence : iterable of str
            Evidence codes to ignore (e.g. ``("ND", "IEA")``), as in :meth:`load`.
        """
        excluded = check_evidence_codes(exclude_evidence)
        terms, parents, alt_ids, obo_meta = _read_obo(Path(obo_path))
        gaf, gaf_meta = _read_gaf(Path(gaf_path))
        if alt_ids:
            gaf["go_id"] = gaf["go_id"].map(alt_ids).fillna(gaf["go_id"])
        if gaf.empty:
            raise DataError(
                f"{gaf_path}: no positive annotation (every line is NOT-qualified or has no "
                "DB_Object_Symbol)"
            )
        unknown = ~gaf["go_id"].isin(terms["go_id"]).to_numpy()
        n_unknown = int(unknown.sum())
        if n_unknown:
            examples = ", ".join(sorted(set(gaf.loc[unknown, "go_id"]))[:3])
            if n_unknown == len(gaf):
                raise DataError(
                    f"{gaf_path}: none of its {len(gaf)} annotations is to a term of {obo_path} "
                    f"(e.g. {examples}): an ontology of another release, a GO slim, or not GO?"
                )
            LOG.warning(
                "%s: %d of %d annotations are to GO ids absent from %s or obsolete there "
                "(e.g. %s); they are left out",
                gaf_path,
                n_unknown,
                len(gaf),
                obo_path,
                examples,
            )
        gaf_meta["gaf_rows_unknown_term"] = n_unknown

        by_symbol = gaf.groupby("symbol", sort=True).agg(
            name=("name", "first"), gaf_type=("type", "first"), gaf_id=("db_object_id", "first")
        )
        gaf_genes = by_symbol.reset_index()
        gaf_types = gaf_genes["gaf_type"].fillna("").astype(str)
        gaf_genes["ncbi_gene_type"] = gaf_types.map(
            {t: _gaf_gene_type(t) for t in gaf_types.unique()}
        )
        gaf_genes = gaf_genes.drop(columns="gaf_type")
        if gene_info is not None:
            info = _read_gene_info(gene_info)
            first_of: dict[str, int] = {}
            info_symbols = info["symbol"].fillna("").astype(str).str.upper().to_numpy()
            for k in _preferred_order(info):  # a symbol of several genes: the likeliest
                first_of.setdefault(info_symbols[k], int(k))
            pos = np.array(
                [first_of.get(s.upper(), -1) for s in gaf_genes["symbol"]], dtype=np.int64
            )
            extra = gaf_genes[pos < 0]
            genes = pd.concat([info, extra], ignore_index=True)
            gaf_ids = genes["gaf_id"].astype(object) if "gaf_id" in genes else None
            if gaf_ids is None:
                gaf_ids = pd.Series([None] * len(genes), dtype=object)
            gaf_ids.iloc[pos[pos >= 0]] = gaf_genes.loc[pos >= 0, "gaf_id"].to_numpy()
            genes["gaf_id"] = gaf_ids.fillna("").to_numpy()
            gene_pos = pd.Series(
                np.where(pos >= 0, pos, len(info) + np.cumsum(pos < 0) - 1),
                index=gaf_genes["symbol"].to_numpy(),
            )
        else:
            genes = gaf_genes
            gene_pos = pd.Series(np.arange(len(genes)), index=genes["symbol"].to_numpy())
        ann = pd.DataFrame(
            {
                "gene_index": gene_pos.reindex(gaf["symbol"]).to_numpy(),
                "go_id": gaf["go_id"].to_numpy(),
                "evidence": gaf["evidence"].to_numpy(),
            }
        ).drop_duplicates()
        if excluded:  # after the gene table: a gene left without annotations keeps its row
            ann = ann[~ann["evidence"].astype(str).str.upper().isin(excluded)]
        taxon = f", {gaf_meta['gaf_taxon']}" if gaf_meta.get("gaf_taxon") else ""
        # the annotations' own date beside the ontology's release (the OBO's data-version is
        # what the pages show as the release; the GAF's date was read but shown nowhere)
        made = gaf_meta.get("gaf_generated", "")
        made = f"; annotations generated {made}" if made else ""
        metadata = {
            "source": f"GAF {Path(gaf_path).name}{taxon} + OBO {Path(obo_path).name}{made}",
            **gaf_meta,
            **obo_meta,
        }
        if excluded:
            metadata["excluded_evidence"] = sorted(excluded)
        # the genes' other names: the GAF's synonym column (HER2 for ERBB2)
        pairs = _gaf_aliases(gaf)
        aliases = pd.DataFrame(
            {
                "gene_index": gene_pos.reindex(pairs["symbol"]).to_numpy(dtype=np.int64),
                "alias": pairs["alias"].to_numpy(dtype=object),
            }
        )
        metadata["gaf_aliases"] = len(aliases)
        return cls(terms, parents, genes, ann, metadata=metadata, aliases=aliases, alt_ids=alt_ids)

    # ---------------------------------------------------------------- sizes
    @property
    def n_terms(self) -> int:
        """Number of GO terms."""
        return int(self._term_ids.size)

    @property
    def n_genes(self) -> int:
        """Number of genes in the gene table (annotated or not)."""
        return len(self.genes)

    @property
    def release(self) -> str:
        """The GO release: the snapshot's date, or the OBO file's ``data-version``; "?" if
        neither is known."""
        meta = self.metadata
        return str(meta.get("go_release") or meta.get("obo_data_version") or "?")

    def __repr__(self) -> str:
        return (
            f"GeneOntology({self.n_terms:,} terms, {self.n_genes:,} genes, "
            f"{self._ann_gene.size} direct annotations, "
            f"GO release {self.release})"
        )

    # ---------------------------------------------------------------- gene mapping
    @cached_property
    def _lookups(self) -> tuple[dict, dict, tuple[np.ndarray, np.ndarray], dict, dict]:
        # Kept small (the snapshot's 77,614 genes): one int object per row shared by every
        # map, a key string shared with the table where upper-casing leaves it unchanged,
        # Entrez ids as two sorted arrays, and no set or list per key while building (they
        # left the heap fragmented: 48 MB resident for 28 MB of maps).
        g = self.genes
        n = len(g)
        row = list(range(n))
        sym = g["symbol"].to_numpy(dtype=object)
        exact: dict[str, int] = {}
        upper: dict[str, int] = {}
        # a symbol of several genes (MEMO1: the protein-coding gene and a phenotype-only NCBI
        # record listed first) goes to the most likely one (see _preferred_order)
        n_ann = np.bincount(self._ann_gene, minlength=n)[:n]
        for k in _preferred_order(g, n_ann)[::-1].tolist():  # reversed: the preferred one wins
            s = sym[k]
            if s:
                exact[s] = row[k]
                u = s.upper()
                upper[s if u == s else u] = row[k]
        # Entrez id -> the first row listing it
        ent = g["entrez"]
        has = ent.notna().to_numpy()
        ids, first = np.unique(ent.to_numpy(dtype=np.int64, na_value=0)[has], return_index=True)
        entrez = (ids, np.flatnonzero(has)[first].astype(_index_dtype(n)))
        # an Ensembl id listed by several genes goes to the gene with the fewest Ensembl ids,
        # then a protein-coding one, then the first; all candidates are kept for a symbol hint
        ensembl: dict[str, int] = {}
        shared: dict[str, list[int]] = {}
        ens = g["ensembl"].to_numpy(dtype=object)
        for k in range(n):
            if ens[k]:
                for e in ens[k].split(";") if ";" in ens[k] else (ens[k],):
                    m = _ENSEMBL_RE.match(e.strip())
                    if m:
                        key = m.group(1).upper()
                        key = e if key == e else key
                        if key in ensembl:
                            shared.setdefault(key, [ensembl[key]]).append(row[k])
                        else:
                            ensembl[key] = row[k]
        n_ids = np.array([e.count(";") + 1 if e else 0 for e in ens])
        coding = (g["gene_type"] == "protein-coding").to_numpy()
        self._ensembl_ambiguous: dict[str, tuple[int, ...]] = {}
        for e, ks in shared.items():
            ensembl[e] = min(ks, key=lambda k: (n_ids[k], not coding[k], k))
            self._ensembl_ambiguous[e] = tuple(ks)
        # aliases: only those naming a single gene and not the symbol of another gene
        alias: dict[str, int] = {}
        several: set[str] = set()
        for name, k in zip(self._alias_name, self._alias_gene.tolist(), strict=True):
            a = name.upper()
            a = name if a == name else a
            if a in upper or a in several:
                continue
            known = alias.get(a)
            if known is None:
                alias[a] = row[k]
            elif known != k:
                del alias[a]
                several.add(a)
        return exact, upper, entrez, ensembl, alias

    def _lookup_one(self, query: object, symbol: object = None) -> tuple[int, str]:
        k, how = self._lookup_id(query)
        if symbol is None or symbol is query:
            return k, how
        if k < 0:
            return self._lookup_id(symbol)
        if how == "ensembl":  # an Ensembl id shared by several genes: the symbol decides
            m = _ENSEMBL_RE.match(str(query).strip())
            shared = self._ensembl_ambiguous.get(m.group(1).upper(), ()) if m else ()
            if shared:
                hint, _ = self._lookup_id(symbol)
                if hint in shared:
                    return hint, how
        return k, how

    def _lookup_id(self, query: object) -> tuple[int, str]:
        exact, upper, entrez, ensembl, alias = self._lookups
        if query is None or (isinstance(query, float) and np.isnan(query)):
            return -1, ""
        if isinstance(query, (float, np.floating)) and float(query).is_integer():
            query = int(query)  # Entrez ids read into a float column (because of missing values)
        if isinstance(query, (int, np.integer)) and not isinstance(query, bool):
            k = _entrez_row(entrez, int(query))
            return k, "entrez" if k >= 0 else ""
        s = str(query).strip()
        if not s:
            return -1, ""
        m = _ENSEMBL_RE.match(s)
        if m:
            k = ensembl.get(m.group(1).upper(), -1)
            if k >= 0:
                return k, "ensembl"
        m = _ENTREZ_RE.match(s)
        if m:
            k = _entrez_row(entrez, int(m.group(1)))
            if k >= 0:
                return k, "entrez"
        k = exact.get(s, -1)
        if k < 0:
            k = upper.get(s.upper(), -1)
        if k >= 0:
            return k, "symbol"
        k = alias.get(s.upper(), -1)
        return k, "alias" if k >= 0 else ""

    def _lookup(self, ids: Sequence[object], symbols: Sequence[object] | None = None) -> np.ndarray:
        """Gene indices (rows of :attr:`genes`) of ``ids``; -1 where unmatched."""
        if symbols is None:
            return np.fromiter((self._lookup_one(q)[0] for q in ids), np.int64, count=len(ids))
        syms = self._check_symbols(ids, symbols)
        return np.fromiter(
            (self._lookup_one(q, s)[0] for q, s in zip(ids, syms, strict=True)),
            np.int64,
            count=len(ids),
        )

    @staticmethod
    def _check_symbols(ids: Sequence[object], symbols: Iterable[object] | None) -> list:
        if symbols is None:
            return [None] * len(ids)
        syms = _as_id_list(symbols, "symbols")
        if len(syms) != len(ids):
            raise DataError(f"symbols: {len(syms)} given for {len(ids)} ids (need one per id)")
        return syms

    def map_genes(
        self, ids: Iterable[str | int], symbols: Iterable[str] | None = None
    ) -> pd.DataFrame:
        """Map gene ids (symbols, Ensembl gene ids, Entrez ids; mixed) to the gene table.

        Symbols match case-insensitively (an exact-case match wins), then through unambiguous
        aliases (previous symbols); Ensembl ids ignore a ``.version`` and ``_PAR_Y``-like
        suffix; Entrez ids may be int or digit strings (``"4625"``, or ``"4625.0"`` from a
        column once read as float).

        Parameters
        ----------
        ids : iterable of str or int, length n
        symbols : iterable of str, length n, optional
            Fallback per id (e.g. ``ExpressionSet.gene_symbols`` beside Ensembl ``gene_ids``):
            tried when the id itself does not match.

        Returns
        -------
        pandas.DataFrame, shape (n, ...), RangeIndex in input order; columns query, matched
        (bool), matched_by ("ensembl"/"entrez"/"symbol"/"alias"/""), gene_index (-1 if
        unmatched) and the gene table's columns (empty / <NA> for unmatched rows, gene_type
        "unmapped").
        """
        queries = _as_id_list(ids, "ids")
        syms = self._check_symbols(queries, symbols)
        found = [self._lookup_one(q, s) for q, s in zip(queries, syms, strict=True)]
        gi = np.fromiter((f[0] for f in found), dtype=np.int64, count=len(found))
        matched = gi >= 0
        table = self.genes.iloc[np.where(matched, gi, 0)].reset_index(drop=True)
        table.loc[~matched, :] = None
        table["entrez"] = table["entrez"].astype("Int64")
        for col in ("symbol", "name", "ensembl", "chromosome", "ncbi_gene_type"):
            table[col] = table[col].fillna("")
        table["gene_type"] = table["gene_type"].fillna("unmapped")
        head = pd.DataFrame(
            {
                "query": pd.Series(queries, dtype=object),
                "matched": matched,
                "matched_by": [f[1] for f in found],
                "gene_index": gi,
            }
        )
        n_miss = int((~matched).sum())
        if n_miss:
            LOG.info("map_genes: %d of %d ids unmatched", n_miss, len(queries))
        return pd.concat([head, table], axis=1)

    def gene_type(
        self, ids: Iterable[str | int], symbols: Iterable[str] | None = None
    ) -> pd.Series:
        """Simplified gene type (:data:`GENE_TYPES`) of each id; "unmapped" when unknown.

        Parameters
        ----------
        ids : iterable of gene ids, length n
        symbols : iterable of str, length n, optional (fallback, as in :meth:`map_genes`)

        Returns
        -------
        pandas.Series of str, length n, indexed by the ids as given.
        """
        queries = _as_id_list(ids, "ids")
        gi = self._lookup(queries, symbols)
        types = self.genes["gene_type"].to_numpy(dtype=object)
        out = np.where(gi >= 0, types[np.maximum(gi, 0)], "unmapped")
        return pd.Series(out, index=pd.Index(queries, dtype=object), name="gene_type")

    def alias_genes(self, name: str) -> list[str]:
        """Symbols of the genes that ``name`` is an alias of (any case), in the table's order;
        empty when it is no alias."""
        key = str(name).strip().upper()
        if not key or not self._alias_name.size:
            return []
        rows = self._alias_gene[self._alias_upper == key]
        sym = self.genes["symbol"].to_numpy(dtype=object)
        return [str(sym[k]) for k in dict.fromkeys(rows.tolist())]

    def absent_alias(self, name: str) -> DataAlias | None:
        """What ``name``, no gene of a dataset, is as an alias of genes none of which are
        there (``why_not`` says so), for a name :meth:`dataset_aliases` did not list; None when
        it is no alias, or is itself a gene's symbol: XIST, a gene of its own and an alias of
        XIC, is an unknown gene to the dataset, not "an alias of XIC"."""
        q = str(name).strip()
        if q.upper() in self._lookups[1]:
            return None
        absent = self.alias_genes(q)
        return DataAlias((), (), tuple(absent)) if absent else None

    @cached_property
    def _alias_upper(self) -> np.ndarray:
        return np.array([a.upper() for a in self._alias_name], dtype=object)

    def dataset_aliases(
        self, ids: Iterable[str], symbols: Iterable[str] | None = None
    ) -> dict[str, DataAlias]:
        """The other names of a dataset's genes: each alias (upper case) of one of its genes,
        and each current symbol of a gene the data names otherwise, with what it names there
        (:class:`DataAlias`; ``table[name.upper()].column`` is the column it is read as).

        A name the data gives a gene (symbol or id, any case) is left out: it is that gene
        and no alias of another. Build once per dataset (a fraction of a second): lookups
        are then a dict access.

        Parameters
        ----------
        ids : iterable of str, length n_genes
            The dataset's gene ids (symbols, or Ensembl ids).
        symbols : iterable of str, length n_genes, optional
            Their symbols (the data's names of its genes), tried where an id is not known.
        """
        queries = _as_id_list(ids, "ids")
        syms = self._check_symbols(queries, symbols)
        names = [str(s if s is not None else q) for q, s in zip(queries, syms, strict=True)]
        taken = {n.upper() for n in names} | {str(q).upper() for q in queries}
        rows = self._lookup(queries, symbols)
        first: dict[int, int] = {}  # GO gene -> its first column
        for j, k in enumerate(rows.tolist()):
            if k >= 0:
                first.setdefault(k, j)
        if not first:
            return {}
        sym = self.genes["symbol"].to_numpy(dtype=object)
        upper = self._lookups[1]
        in_data = np.isin(self._alias_gene, np.fromiter(first, np.int64, len(first)))
        wanted = set(self._alias_upper[in_data].tolist()) - taken
        genes_of: dict[str, list[int]] = {}
        if wanted:
            sel = np.flatnonzero(pd.Series(self._alias_upper).isin(wanted).to_numpy())
            for a, k in zip(self._alias_upper[sel], self._alias_gene[sel].tolist(), strict=True):
                if k not in genes_of.setdefault(a, []):
                    genes_of[a].append(k)
        out: dict[str, DataAlias] = {}
        for a, ks in genes_of.items():
            owner = upper.get(a, -1)  # the name is a gene's own symbol too
            if owner in first:  # that gene, under another name here
                continue
            cols = [first[k] for k in ks if k in first]
            out[a] = DataAlias(
                tuple(cols),
                tuple(names[j] for j in cols),
                tuple(str(sym[k]) for k in ks if k not in first),
                str(sym[owner]) if owner >= 0 else "",
            )
        for k, j in first.items():  # current symbols of genes named otherwise here
            s = str(sym[k]).upper()
            if s and s not in taken:
                out[s] = DataAlias((j,), (names[j],), current=True)
        return out

    def _resolve_gene(self, gene: str | int) -> int:
        k, _ = self._lookup_one(gene)
        if k < 0:
            raise DataError(f"gene {gene!r}: not found by symbol, Ensembl or Entrez id")
        return k

    def primary_id(self, go_id: str) -> str:
        """The term's own id: ``go_id`` itself, or the primary id of an alt_id (secondary id).

        Raises
        ------
        DataError
            Neither a term nor an alt_id of this ontology.
        """
        return str(self.terms.index[self._resolve_term(go_id)])

    def _resolve_term(self, go_id: str) -> int:
        """Term index of ``go_id``: a primary id, or an alt_id known to this ontology."""
        key = str(go_id).strip()
        written = _GO_NUMBER.match(key)  # 0006941, go:0006941, GO_0006941 (an OBO URI's end)
        if written:
            key = f"GO:{written.group(1)}"
        primary = self._alt_ids.get(key)
        if primary is not None:
            LOG.debug("go_id %s: an alt_id of %s", key, primary)
            key = primary
        k = int(self._term_pos.get_indexer([key])[0])
        if k < 0:
            raise DataError(f"go_id {go_id!r}: not a term of this ontology release")
        return k

    # ---------------------------------------------------------------- graph / propagation
    @cached_property
    def ancestors_matrix(self) -> sp.csr_matrix:
        """Ancestor closure: ``A[i, j]`` is True when term j is term i or one of its ancestors
        through :attr:`propagate_through` edges. Sparse bool, shape (n_terms, n_terms)."""
        n = self.n_terms
        keep = np.isin(self._edge_rel, self.propagate_through)
        step = sp.csr_matrix(
            (
                np.ones(int(keep.sum()) + n, dtype=np.float32),
                (
                    np.r_[self._edge_child[keep], np.arange(n)],
                    np.r_[self._edge_parent[keep], np.arange(n)],
                ),
            ),
            shape=(n, n),
        )
        step.data[:] = 1
        closure = step
        for _ in range(64):  # repeated squaring: path lengths double each round
            nxt = closure @ closure
            nxt.data[:] = 1
            if nxt.nnz == closure.nnz:
                break
            closure = nxt
        else:  # pragma: no cover - would need a graph deeper than 2**64
            raise DataError("GO graph: ancestor closure did not converge")
        closure = closure.astype(bool).tocsr()
        closure.sort_indices()
        return closure

    def ancestors(self, go_id: str, include_self: bool = False) -> list[str]:
        """Ancestor term ids of ``go_id`` (through :attr:`propagate_through` edges).

        ``go_id`` may be an alt_id where the ontology knows them (the OBO of :meth:`from_gaf`
        or the snapshot of :meth:`load`); the ids returned are primary ids (with
        ``include_self``, the primary id of ``go_id``).

        Raises
        ------
        DataError
            ``go_id`` is not a term (nor a known alt_id) of this ontology.
        """
        k = self._resolve_term(go_id)
        row = self.ancestors_matrix.indices[
            self.ancestors_matrix.indptr[k] : self.ancestors_matrix.indptr[k + 1]
        ]
        if not include_self:
            row = row[row != k]
        return list(self._term_ids[row])

    @cached_property
    def direct_matrix(self) -> sp.csr_matrix:
        """Direct annotations, sparse bool, shape (n_genes, n_terms)."""
        m = sp.csr_matrix(
            (np.ones(self._ann_gene.size, dtype=bool), (self._ann_gene, self._ann_term)),
            shape=(self.n_genes, self.n_terms),
        )
        m.sum_duplicates()
        m.data[:] = True
        return m

    @cached_property
    def propagated_matrix(self) -> sp.csr_matrix:
        """Annotations propagated to all ancestors, sparse bool, shape (n_genes, n_terms)."""
        d = self.direct_matrix.astype(np.float32)
        a = self.ancestors_matrix.astype(np.float32)
        p = (d @ a).tocsr()
        p.data[:] = 1
        p = p.astype(bool)
        p.sort_indices()
        return p

    def _ontology_mask(self, ontology: str | None) -> np.ndarray:
        code = _normalise_ontology(ontology)
        if code is None:
            return np.ones(self.n_terms, dtype=bool)
        return self._term_ont == code

    # ---------------------------------------------------------------- queries
    def gene_terms(
        self, gene: str | int, ontology: str | None = None, propagate: bool = True
    ) -> pd.DataFrame:
        """GO terms of one gene.

        Parameters
        ----------
        gene : symbol, Ensembl id or Entrez id
        ontology : "BP", "MF", "CC" or None (all)
        propagate : bool
            Include every ancestor of the directly annotated terms.

        Returns
        -------
        pandas.DataFrame indexed by go_id (sorted), columns ontology, name, direct (bool),
        evidence (";"-joined codes of the direct annotations, "" for inherited terms).
        """
        k = self._resolve_gene(gene)
        mat = self.propagated_matrix if propagate else self.direct_matrix
        cols = mat.indices[mat.indptr[k] : mat.indptr[k + 1]]
        cols = np.sort(cols[self._ontology_mask(ontology)[cols]])
        direct = self.direct_matrix
        direct_cols = direct.indices[direct.indptr[k] : direct.indptr[k + 1]]
        sel = self._ann_gene == k
        codes = self._ann_evidence_code[sel]
        ev = (
            pd.Series(self._evidence_names[codes], index=self._ann_term[sel], dtype=object)
            .groupby(level=0)
            .agg(lambda s: ";".join(sorted({str(x) for x in s if pd.notna(x) and str(x)})))
        )
        out = self.terms.iloc[cols].copy()
        evidence = ev.reindex(cols).fillna("").to_numpy(dtype=object)
        out["direct"] = np.isin(cols, direct_cols)  # not from the evidence: it may be blank
        out["evidence"] = evidence
        return out

    def term_genes(self, go_id: str, propagate: bool = True) -> pd.DataFrame:
        """Genes annotated to ``go_id`` (directly, or to any descendant when ``propagate``).

        ``go_id`` may be an alt_id where the ontology knows them (the OBO of :meth:`from_gaf`
        or the snapshot of :meth:`load`): its primary term's genes.

        Raises
        ------
        DataError
            ``go_id`` is not a term (nor a known alt_id) of this ontology.

        Returns
        -------
        pandas.DataFrame: the rows of :attr:`genes` (index gene_index), sorted by symbol.
        """
        k = self._resolve_term(go_id)
        if propagate:
            # a scan of the CSR matrix's column indices (under a millisecond on the snapshot)
            # instead of a CSC copy of the propagated matrix kept beside it (9 MB)
            prop = self.propagated_matrix
            hits = np.flatnonzero(prop.indices == k)
            rows = np.searchsorted(prop.indptr, hits, side="right") - 1
        else:
            rows = np.unique(self._ann_gene[self._ann_term == k])
        return self.genes.iloc[np.sort(rows)].sort_values("symbol", kind="mergesort")

    def term_sizes(
        self, genes_universe: Iterable[str | int] | None = None, ontology: str | None = None
    ) -> pd.Series:
        """Number of genes annotated (propagated) to each term.

        Parameters
        ----------
        genes_universe : gene ids, optional
            Count only these genes (unique matched genes); default all genes.
        ontology : "BP", "MF", "CC" or None (all)

        Returns
        -------
        pandas.Series of int indexed by go_id, terms of the ontology (zeros included).
        """
        mat = self.propagated_matrix
        if genes_universe is not None:
            gi = self._lookup(_as_id_list(genes_universe, "genes_universe"))
            mat = mat[np.unique(gi[gi >= 0])]
        counts = np.asarray(mat.sum(axis=0)).ravel().astype(np.int64)
        mask = self._ontology_mask(ontology)
        return pd.Series(counts[mask], index=self.terms.index[mask], name="n_genes")

    def annotation_matrix(
        self,
        genes: Iterable[str | int],
        ontology: str = "BP",
        min_size: int = 3,
        max_size: int = 500,
        symbols: Iterable[str] | None = None,
        sizes_from: str = "all",
    ) -> tuple[sp.csr_matrix, np.ndarray]:
        """Propagated gene x term membership for the genes of a dataset.

        Terms are kept when their size lies in ``min_size..max_size`` and at least one of
        ``genes`` is annotated to them; unmatched genes get all-False rows.

        Parameters
        ----------
        genes : gene ids, length n_genes (e.g. ``ExpressionSet.gene_ids``)
        ontology : "BP", "MF" or "CC"
        min_size, max_size : int
        symbols : iterable of str, length n_genes, optional
            Fallback per gene when its id does not match (see :meth:`map_genes`).
        sizes_from : "all" or "genes"
            Where term sizes are counted: "all" (default) = every gene of the annotation,
            the usual GO term size, so that broad terms are left out whatever the panel;
            "genes" = only the rows of ``genes``. The two agree for genome-wide datasets; on
            a small panel "genes" keeps broad terms (on the 467-gene GTEx set, every pair of
            annotated genes then shares a term).

        Returns
        -------
        matrix : scipy.sparse.csr_matrix of bool, shape (n_genes, n_terms)
        term_ids : numpy.ndarray of str, shape (n_terms,)
        """
        _check_sizes(min_size, max_size)
        if sizes_from not in ("all", "genes"):
            raise DataError(f"sizes_from={sizes_from!r}: use 'all' or 'genes'")
        code = _normalise_ontology(ontology, allow_none=False)
        queries = _as_id_list(genes, "genes")
        gi = self._lookup(queries, symbols)
        cols = np.flatnonzero(self._ontology_mask(code))
        if sizes_from == "all":
            all_sizes = np.asarray(self.propagated_matrix[:, cols].sum(axis=0)).ravel()
            cols = cols[(all_sizes >= min_size) & (all_sizes <= max_size)]
        sub = self.propagated_matrix[np.maximum(gi, 0)][:, cols].tocsr()
        if (gi < 0).any():
            mask = sp.diags((gi >= 0).astype(np.float32))
            sub = (mask @ sub.astype(np.float32)).tocsr()
            sub.eliminate_zeros()
            sub = sub.astype(bool)
        sizes = np.asarray(sub.sum(axis=0)).ravel()
        if sizes_from == "all":
            keep = sizes > 0
        else:
            keep = (sizes >= min_size) & (sizes <= max_size)
        out = sub[:, np.flatnonzero(keep)].tocsr().astype(bool)
        out.sort_indices()
        return out, self._term_ids[cols[keep]].astype(str)

    # ---------------------------------------------------------------- enrichment
    def enricher(
        self,
        background: Iterable[str | int] | None = None,
        ontology: str = "BP",
        min_size: int = 3,
        max_size: int = 500,
        symbols: Iterable[str] | None = None,
    ) -> Enricher:
        """Precompute enrichment against ``background`` (the fast path for repeated sets).

        The background is the set of unique mapped genes of ``background`` (default: every
        gene of the table) that have at least one annotation in ``ontology``; terms tested are
        those with ``min_size..max_size`` background genes (propagated). ``symbols``: one per
        background id, as in :meth:`map_genes` (a dataset's symbols beside its Ensembl ids:
        a GO built from a GAF alone knows symbols only).

        Returns
        -------
        Enricher
        """
        from scipy.special import gammaln

        _check_sizes(min_size, max_size)
        code = _normalise_ontology(ontology, allow_none=False)
        cols = np.flatnonzero(self._ontology_mask(code))
        prop = self.propagated_matrix
        if background is None:
            bg = np.arange(self.n_genes)
        else:
            bg_ids = _as_id_list(background, "background")
            gi = self._lookup(bg_ids, symbols)
            n_miss = int((gi < 0).sum())
            if n_miss:
                LOG.info("enricher: %d of %d background ids unmatched", n_miss, len(bg_ids))
            bg = np.unique(gi[gi >= 0])
        sub = prop[bg][:, cols].tocsr()
        annotated = np.diff(sub.indptr) > 0
        if background is not None and not annotated.any():
            # (every enrichment against it is then empty)
            LOG.warning(
                "enricher: no gene of the background (%d ids, %d of them genes of this GO) has "
                "a %s annotation: nothing can be enriched",
                len(bg_ids),
                int(bg.size),
                code,
            )
        bg = bg[annotated]
        sub = sub[np.flatnonzero(annotated)]
        sizes = np.asarray(sub.sum(axis=0)).ravel().astype(np.int64)
        keep = (sizes >= min_size) & (sizes <= max_size)
        matrix = sub[:, np.flatnonzero(keep)].tocsr().astype(bool)
        row_of_gene = np.full(self.n_genes, -1, dtype=np.int64)
        row_of_gene[bg] = np.arange(bg.size)
        term_idx = cols[keep]
        return Enricher(
            go=self,
            ontology=code,
            min_size=int(min_size),
            max_size=int(max_size),
            term_ids=self._term_ids[term_idx],
            term_names=self.terms["name"].to_numpy(dtype=object)[term_idx],
            term_sizes=sizes[keep],
            background_genes=bg,
            matrix=matrix,
            _row_of_gene=row_of_gene,
            _log_factorial=gammaln(np.arange(bg.size + 1, dtype=np.float64) + 1.0),
        )

    def enrich(
        self,
        gene_set: Iterable[str | int],
        background: Iterable[str | int] | None = None,
        ontology: str = "BP",
        min_size: int = 3,
        max_size: int = 500,
        min_overlap: int = 1,
    ) -> pd.DataFrame:
        """One-off enrichment: ``self.enricher(background, ...).enrich(gene_set)``, with its
        answers (an empty set, or one none of whose genes is annotated: a table of no row and a
        warning that says which; see :meth:`Enricher.enrich`).

        For repeated sets against the same background keep the :class:`Enricher`.
        """
        ids = _as_id_list(gene_set, "gene_set")  # (a bad set is refused before the background)
        return self.enricher(background, ontology, min_size, max_size).enrich(
            ids, min_overlap=min_overlap
        )
