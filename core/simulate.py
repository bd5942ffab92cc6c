"""A simulated GTEx-like RNA-Seq dataset: the dashboard's demo, clearly marked as simulated.

Everything in the matrix is simulated; the gene symbols, ids and GO annotations are real (from the
project's Gene Ontology snapshot, ``data/go/``, read through :mod:`core.annotations`).

The expression of gene ``g`` in sample ``s`` (log10(TPM + 1)-like, 0 to ~5) is built from
interpretable parts::

    mean[s, g] = baseline[g]                              # gene's overall level
               + site_profile[site(s), g]                 # markers + small tissue offsets
               + sum_p activity[s, p] * loading[p, g]     # GO-term gene programs
               + sex_profile[sex(s), g]                   # XIST in females, Y genes in males
               + subject_factors[subject(s)] @ subject_loadings[:, g]
    value = dropout(clip(mean + noise_g))                 # + optional missing values (NaN)

* **Gene programs** follow shared GO biological-process annotations: every program is one GO
  term (``keratinization``, ``muscle contraction``, ``T cell receptor signaling pathway``, ...);
  the genes annotated to that term (propagated through ``is_a``/``part_of``) share the program.
  Each tissue site has an activity per program, and tissues of related function share programs
  (keratinization in skin, oesophagus mucosa, vagina and ectocervix; muscle contraction in heart
  and skeletal muscle; T-cell programs in blood, spleen and lung). Genes of one program are
  therefore co-expressed for a reason that the GO annotations state.
* **Markers** have a per-site level set by hand to mimic the tissue patterns of GTEx (KRT1/KRT10
  skin, KRT4/KRT13 oesophagus mucosa and vagina, MYH6 atrial appendage >> left ventricle, CD8B
  blood/spleen/lung, ALB liver, ...); they are not measurements. For the markers among the real
  GTEx v8 59-gene set in ``shared/data`` (MYH7, MYL2, TNNT2, TNNI3, ACTC1, MYH11) the tests check
  that the simulated top sites are the real top sites. Within a site, markers still move with the
  programs they belong to (around the site's level).
* **Per-sample variation**: a subject effect (program activities and a low-rank gene effect
  shared by all samples of one donor), a within-site gradient (each site has one axis that moves
  activity from one program to another, e.g. a composition gradient), per-sample jitter,
  gene-specific noise, dropout of low values to 0, and an optional fraction of NaN values.

The dataset says what it is: its ``name`` contains "simulated", its ``source`` has
``"simulated": True``, and its samples table has a ``simulated`` column (all True) and
``attrs["simulated"] = True``. Sample ids start with ``SIM-`` so they cannot be taken for GTEx's.

The tissue sites, programmes, marker levels and gene-type shares are in
:mod:`core.simulate_tables`; this module builds the matrix from them.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.errors import DataError
from core.simulate_tables import (
    AGE_BRACKETS,
    AGE_WEIGHTS,
    BROAD_TISSUES,
    MALE_FRACTION,
    MARKERS,
    MIN_SAMPLES_PER_SITE,
    PROGRAMS,
    SAMPLES_PER_SUBJECT,
    SEX_GENES,
    TISSUE_SITES,
    TYPE_QUOTAS,
    TissueSite,
)

if TYPE_CHECKING:
    from core.annotations import GeneOntology
    from core.data import ExpressionSet

logger = logging.getLogger(__name__)

SIMULATED_NAME = "Simulated GTEx-like demo (simulated data)"
MAX_VALUE = 5.3  # log10(TPM + 1) ceiling (~200,000 TPM)
_DROPOUT_LEVEL = 0.6  # values below this are set to 0 with probability (1 - v / level)^2
_CHUNK_ROWS = 2048  # rows generated per random stream; fixed so results never depend on chunking


# --------------------------------------------------------------------------------------------
# The gene catalogue: what the simulation needs from the GO snapshot.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Catalogue:
    genes: pd.DataFrame  # indexed by symbol: gene_id, entrez, name, gene_type, chromosome
    program_members: Mapping[str, frozenset[str]]  # program name -> symbols (propagated)
    annotated: tuple[str, ...]  # protein-coding symbols with >= 1 BP annotation (sorted)


def _catalogue(ontology: GeneOntology | None) -> _Catalogue:
    """Genes (with Ensembl ids) and program memberships from the GO snapshot."""
    if ontology is None:
        from core.annotations import GeneOntology

        ontology = GeneOntology.load()
    genes = _gene_table(ontology)
    go_ids = [program.go_id for program in PROGRAMS.values()]
    columns = ontology.terms.index.get_indexer(go_ids)
    if (columns < 0).any():
        unknown = [t for t, c in zip(go_ids, columns, strict=True) if c < 0]
        raise DataError(f"simulate: GO terms {unknown} are not in the ontology release")
    # propagated annotations (is_a / part_of) of the program terms, genes x programs
    propagated = ontology.propagated_matrix[:, columns].tocsc()
    symbol_of_row = ontology.genes["symbol"].to_numpy(dtype=object)
    known = set(genes.index)
    members: dict[str, frozenset[str]] = {}
    for j, (name, program) in enumerate(PROGRAMS.items()):
        rows = propagated.indices[propagated.indptr[j] : propagated.indptr[j + 1]]
        members[name] = frozenset(s for s in symbol_of_row[rows] if s in known)
        if not members[name]:
            logger.warning("GO term %s (%s) has no gene with an Ensembl id", program.go_id, name)
    annotated = _bp_annotated_symbols(ontology)
    coding = genes.index[genes["gene_type"] == "protein-coding"]
    annotated_coding = tuple(sorted(set(coding).intersection(annotated)))
    return _Catalogue(genes=genes, program_members=members, annotated=annotated_coding)


def _gene_table(ontology: GeneOntology) -> pd.DataFrame:
    """Genes with an Ensembl id, indexed by symbol (first row wins for repeated symbols)."""
    g = ontology.genes
    ensembl = [str(e).split(";", 1)[0].strip() for e in g["ensembl"].fillna("").to_numpy()]
    table = pd.DataFrame(
        {
            "gene_id": ensembl,
            "symbol": g["symbol"].astype(str).to_numpy(),
            "entrez": g["entrez"].to_numpy(),
            "name": g["name"].astype(str).to_numpy(),
            "gene_type": g["gene_type"].astype(str).to_numpy(),
            "chromosome": g["chromosome"].astype(str).to_numpy(),
        }
    )
    # an Ensembl id listed by several genes is ambiguous: leave those genes out
    all_ids = pd.Series([e for cell in g["ensembl"].fillna("").to_numpy() for e in cell.split(";")])
    ambiguous = set(all_ids[all_ids.duplicated()])
    keep = (
        np.array([e.startswith("ENSG") and e not in ambiguous for e in ensembl])
        & (table["symbol"] != "").to_numpy()
    )
    table = table[keep].drop_duplicates("symbol").drop_duplicates("gene_id")
    return table.set_index("symbol", drop=False)


def _bp_annotated_symbols(ontology: GeneOntology) -> set[str]:
    """Symbols with at least one direct BP annotation other than the root term."""
    direct = ontology.direct_matrix
    bp = (ontology.terms["ontology"] == "BP").to_numpy() & (ontology.terms.index != "GO:0008150")
    counts = np.asarray(direct[:, np.flatnonzero(bp)].sum(axis=1)).ravel()
    return set(ontology.genes["symbol"].to_numpy()[counts > 0].astype(str))


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _level(levels: Mapping[str, float], site: TissueSite, default: float) -> float:
    """Most specific value for ``site``: SMTSD key, then SMTS key, then ``"*"``, then default."""
    for key in (site.smtsd, site.smts, "*"):
        if key in levels:
            return float(levels[key])
    return default


def _rng(seed: int, *stream: int) -> np.random.Generator:
    """An independent random stream per purpose (and per chunk) derived from ``seed``."""
    return np.random.default_rng(np.random.SeedSequence([seed, *stream]))


_STREAM_DESIGN, _STREAM_GENES, _STREAM_VALUES, _STREAM_MISSING = 1, 2, 3, 4
_BASE36 = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def _base36(codes: np.ndarray, width: int) -> np.ndarray:
    """Fixed-width base-36 strings of non-negative integers, shape (n,)."""
    digits = np.empty((codes.size, width), dtype="<U1")
    rest = codes.astype(np.int64).copy()
    for j in range(width - 1, -1, -1):
        digits[:, j] = _BASE36[rest % 36]
        rest //= 36
    return np.array(["".join(row) for row in digits], dtype=object)


def _allocate(weights: np.ndarray, total: int, minimum: int) -> np.ndarray:
    """Integer counts summing to ``total``, each >= ``minimum``, proportional to ``weights``."""
    k = weights.size
    base = np.full(k, minimum, dtype=np.int64)
    rest = total - base.sum()
    share = weights / weights.sum() * rest
    counts = base + np.floor(share).astype(np.int64)
    remainder = total - counts.sum()
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    counts[order[:remainder]] += 1
    return counts


# --------------------------------------------------------------------------------------------
# samples: sites, donors, sex, age, ids
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Design:
    site_of_sample: np.ndarray  # (n_samples,) int, index into sites
    subject_of_sample: np.ndarray  # (n_samples,) int, index into subjects
    subject_ids: np.ndarray  # (n_subjects,) str
    subject_female: np.ndarray  # (n_subjects,) bool
    subject_age: np.ndarray  # (n_subjects,) str
    gradient: np.ndarray  # (n_samples,) float32 in [-1, 1]
    sample_ids: np.ndarray  # (n_samples,) str


def _choose_sites(n_tissues: int) -> tuple[TissueSite, ...]:
    chosen = set(BROAD_TISSUES[:n_tissues])
    return tuple(site for site in TISSUE_SITES if site.smts in chosen)


def _design(n_samples: int, sites: tuple[TissueSite, ...], seed: int) -> _Design:
    rng = _rng(seed, _STREAM_DESIGN)
    weights = np.array([s.gtex_samples for s in sites], dtype=float)
    minimum = MIN_SAMPLES_PER_SITE if n_samples >= MIN_SAMPLES_PER_SITE * len(sites) else 1
    counts = _allocate(weights, n_samples, minimum)

    # donors: enough that every site draws distinct donors of the right sex
    need = [math.ceil(n_samples / SAMPLES_PER_SUBJECT), 2]
    for site, count in zip(sites, counts, strict=True):
        frac = {"male": MALE_FRACTION, "female": 1.0 - MALE_FRACTION, None: 1.0}[site.sex]
        need.append(math.ceil(count / frac) + 2)
    n_subjects = max(need)
    n_male = min(max(round(MALE_FRACTION * n_subjects), 1), n_subjects - 1)
    female = np.ones(n_subjects, dtype=bool)
    female[:n_male] = False
    female = rng.permutation(female)
    age = rng.choice(
        np.array(AGE_BRACKETS, dtype=object), size=n_subjects, p=AGE_WEIGHTS / AGE_WEIGHTS.sum()
    )
    subject_codes = rng.choice(36**5, size=n_subjects, replace=False)
    subject_ids = np.array([f"SIM-{c}" for c in _base36(subject_codes, 5)], dtype=object)

    site_of_sample = np.repeat(np.arange(len(sites)), counts)
    subject_of_sample = np.empty(n_samples, dtype=np.int64)
    start = 0
    for site, count in zip(sites, counts, strict=True):
        if site.sex == "female":
            eligible = np.flatnonzero(female)
        elif site.sex == "male":
            eligible = np.flatnonzero(~female)
        else:
            eligible = np.arange(n_subjects)
        subject_of_sample[start : start + count] = rng.choice(eligible, size=count, replace=False)
        start += count
    gradient = rng.uniform(-1.0, 1.0, size=n_samples).astype(np.float32)
    sm_codes = _base36(rng.choice(36**5, size=n_samples, replace=False), 5)
    site_codes = np.array([s.code for s in sites])[site_of_sample]
    sample_ids = np.array(
        [
            f"{subject_ids[j]}-{code:02d}26-SM-{sm}"
            for j, code, sm in zip(subject_of_sample, site_codes, sm_codes, strict=True)
        ],
        dtype=object,
    )
    order = np.argsort(sample_ids, kind="stable")  # GTEx files list samples by id
    return _Design(
        site_of_sample=site_of_sample[order],
        subject_of_sample=subject_of_sample[order],
        subject_ids=subject_ids,
        subject_female=female,
        subject_age=age,
        gradient=gradient[order],
        sample_ids=sample_ids[order],
    )


# --------------------------------------------------------------------------------------------
# genes: which ones, and their roles
# --------------------------------------------------------------------------------------------
_RIBO_PSEUDO = r"^RP[LS]\d+[A-Z]?\d*P\d+$"


def _select_genes(catalogue: _Catalogue, n_genes: int, seed: int) -> pd.DataFrame:
    """Choose ``n_genes`` genes; returns the catalogue rows plus a ``sim_role`` column."""
    rng = _rng(seed, _STREAM_GENES, 0)
    table = catalogue.genes
    chosen: dict[str, str] = {}  # symbol -> role
    known = set(table.index)

    def take(symbols: Iterable[str], role: str, limit: int | None = None) -> None:
        pool = sorted(s for s in set(symbols).intersection(known) if s not in chosen)
        if limit is not None and len(pool) > limit:
            pool = sorted(rng.choice(pool, size=limit, replace=False).tolist())
        for s in pool:
            if len(chosen) >= n_genes:
                return
            chosen[s] = role

    required = [*MARKERS, *SEX_GENES]
    missing = [s for s in required if s not in table.index]
    if missing:
        logger.warning("simulate: marker genes absent from the GO snapshot: %s", missing)
    take(SEX_GENES, "sex-linked")
    take(MARKERS, "marker")

    # non-coding genes so that gene-type summaries have something to show
    types = table["gene_type"]
    for gene_type, fraction in TYPE_QUOTAS.items():
        quota = round(fraction * n_genes)
        pool = table.index[types == gene_type]
        if gene_type == "pseudogene":
            ribo = pool[pool.str.match(_RIBO_PSEUDO)]
            take(ribo, gene_type, quota // 3)
            quota -= quota // 3
        take(pool, gene_type, quota)

    # program genes: an equal share of the remaining budget per (non-silent) program
    budget = max(0, round(0.85 * (n_genes - len(chosen))))
    programs = [p for p in PROGRAMS if catalogue.program_members[p]]
    silent = [p for p in programs if PROGRAMS[p].strength == 0.0]
    for name in silent:
        take(catalogue.program_members[name], "silent", max(3, n_genes // 200))
    active = [p for p in programs if p not in silent]
    per_program = max(3, budget // max(1, len(active)))
    coding = set(table.index[types == "protein-coding"])
    for name in active:
        # mostly protein-coding members; a few others (e.g. immunoglobulin segments)
        members = catalogue.program_members[name]
        take(members & coding, "program", per_program)
        take(members - coding, "program", per_program // 8)

    # background: other annotated protein-coding genes, then any gene
    for pool in (catalogue.annotated, table.index[types == "protein-coding"], table.index):
        if len(chosen) >= n_genes:
            break
        take(pool, "background", n_genes - len(chosen))
    if len(chosen) < n_genes:
        raise DataError(
            f"n_genes={n_genes}: the GO snapshot has only {len(chosen)} genes with Ensembl ids"
        )
    genes = table.loc[list(chosen)].copy()
    genes["sim_role"] = [chosen[s] for s in genes.index]
    return genes.sort_values("gene_id", kind="stable")


# --------------------------------------------------------------------------------------------
# gene parameters: baselines, site profiles, program loadings, noise
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _GeneModel:
    activity: np.ndarray  # (n_sites, n_programs) float32, A
    gradient_axis: np.ndarray  # (n_sites, n_programs) float32, D
    subject_program_sd: np.ndarray  # (n_programs,) float32
    loadings: np.ndarray  # (n_programs, n_genes) float32, L
    site_profile: np.ndarray  # (n_sites, n_genes) float32: baseline + offsets/markers, minus A@L
    sex_columns: np.ndarray  # (n_sex_genes,) int, columns of sex-linked genes
    sex_profile: np.ndarray  # (2, n_sites, n_sex_genes) float32: [female, male]
    subject_loadings: np.ndarray  # (n_subject_factors, n_genes) float32, W
    noise_sd: np.ndarray  # (n_genes,) float32
    memberships: tuple[tuple[str, ...], ...]  # per gene: programs it belongs to


_N_SUBJECT_FACTORS = 4
_BASELINE_RANGES: Mapping[str, tuple[float, float]] = {
    "program": (0.1, 1.0),
    "background": (0.2, 1.6),
    "pseudogene": (0.0, 0.6),
    "snoRNA": (0.0, 0.9),
    "miRNA": (0.0, 0.3),
    "lncRNA": (0.1, 1.2),
    "silent": (0.0, 0.0),
    "marker": (0.0, 0.0),
    "sex-linked": (0.0, 0.0),
}


def _gene_model(
    genes: pd.DataFrame, catalogue: _Catalogue, sites: tuple[TissueSite, ...], seed: int
) -> _GeneModel:
    rng = _rng(seed, _STREAM_GENES, 1)
    n_genes, n_sites = len(genes), len(sites)
    names = tuple(PROGRAMS)
    n_programs = len(names)
    symbols = genes.index.to_numpy()
    roles = genes["sim_role"].to_numpy()

    activity = np.array(
        [[_level(PROGRAMS[p].activity, site, 0.0) for p in names] for site in sites],
        dtype=np.float32,
    )
    strength = np.array([PROGRAMS[p].strength for p in names], dtype=np.float32)
    # each site has one gradient axis: activity moves from one active program to another
    gradient_axis = np.zeros_like(activity)
    for k in range(n_sites):
        active = np.flatnonzero((activity[k] >= 0.3) & (strength > 0))
        active = active[[names[j] != "cytoplasmic translation" for j in active]]
        if active.size >= 2:
            up, down = rng.choice(active, size=2, replace=False)
            gradient_axis[k, up], gradient_axis[k, down] = 0.45, -0.45
        elif active.size == 1:
            gradient_axis[k, active[0]] = 0.45
    subject_sd = np.array([PROGRAMS[p].subject_sd for p in names], dtype=np.float32)

    # memberships follow the (propagated) GO annotations of every selected gene
    member = np.zeros((n_programs, n_genes), dtype=bool)
    for j, p in enumerate(names):
        in_program = catalogue.program_members[p]
        member[j] = [s in in_program for s in symbols]
    member[:, roles == "sex-linked"] = False
    memberships = tuple(
        tuple(names[j] for j in np.flatnonzero(member[:, g])) for g in range(n_genes)
    )
    n_active = np.maximum(1, (member & (strength[:, None] > 0)).sum(axis=0))
    loadings = (
        member
        * strength[:, None]
        * rng.lognormal(0.0, 0.3, size=(n_programs, n_genes))
        / np.sqrt(n_active)[None, :]
    ).astype(np.float32)
    ribo_pseudo = (roles == "pseudogene") & genes.index.str.match(_RIBO_PSEUDO)
    loadings[names.index("cytoplasmic translation"), ribo_pseudo] = 0.4

    # baselines and site offsets
    low = np.array([_BASELINE_RANGES.get(r, (0.2, 1.6))[0] for r in roles])
    high = np.array([_BASELINE_RANGES.get(r, (0.2, 1.6))[1] for r in roles])
    baseline = rng.uniform(low, high)
    background = roles == "background"
    quiet = background & (rng.random(n_genes) < 0.3)
    baseline[quiet] = rng.uniform(0.0, 0.4, size=int(quiet.sum()))
    translation = member[names.index("cytoplasmic translation")]
    baseline[translation] += 1.8
    offset_sd = rng.uniform(0.05, 0.25, size=n_genes)
    site_profile = baseline[None, :] + rng.normal(0.0, 1.0, size=(n_sites, n_genes)) * offset_sd
    # tissue-specific genes outside any program: up in one to three sites
    specific = np.flatnonzero(
        ((roles == "background") | (roles == "lncRNA")) & (rng.random(n_genes) < 0.15)
    )
    for g in specific:
        where = rng.choice(n_sites, size=min(n_sites, int(rng.integers(1, 4))), replace=False)
        site_profile[where, g] += rng.uniform(1.0, 2.2, size=where.size)

    # markers: explicit per-site level; within a site they still follow their programs
    program_mean = activity.astype(np.float64) @ loadings.astype(np.float64)  # (n_sites, n_genes)
    for g in np.flatnonzero(roles == "marker"):
        marker = MARKERS[symbols[g]]
        levels = np.array([_level(marker.levels, site, marker.rest) for site in sites])
        site_profile[:, g] = levels * rng.uniform(0.95, 1.05, size=n_sites) - program_mean[:, g]

    sex_columns = np.flatnonzero(roles == "sex-linked")
    sex_profile = np.zeros((2, n_sites, sex_columns.size), dtype=np.float32)
    for i, g in enumerate(sex_columns):
        female_level, male_level = SEX_GENES[symbols[g]]
        sex_profile[0, :, i] = female_level * rng.uniform(0.85, 1.1, size=n_sites)
        sex_profile[1, :, i] = male_level * rng.uniform(0.85, 1.1, size=n_sites)
        site_profile[:, g] = 0.0

    subject_loadings = rng.normal(0.0, 0.06, size=(_N_SUBJECT_FACTORS, n_genes))
    subject_loadings[:, roles == "silent"] = 0.0
    noise_sd = rng.uniform(0.08, 0.25, size=n_genes)
    noisy = np.isin(roles, ["pseudogene", "snoRNA", "miRNA"])
    noise_sd[noisy] *= 1.3
    return _GeneModel(
        activity=activity,
        gradient_axis=gradient_axis,
        subject_program_sd=subject_sd,
        loadings=loadings,
        site_profile=site_profile.astype(np.float32),
        sex_columns=sex_columns,
        sex_profile=sex_profile,
        subject_loadings=subject_loadings.astype(np.float32),
        noise_sd=noise_sd.astype(np.float32),
        memberships=memberships,
    )


# --------------------------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------------------------
def _values(design: _Design, model: _GeneModel, seed: int, missing_fraction: float) -> np.ndarray:
    """The expression matrix, shape (n_samples, n_genes) float32, generated by row chunks."""
    n_samples = design.sample_ids.size
    n_genes = model.loadings.shape[1]
    rng = _rng(seed, _STREAM_DESIGN, 1)
    n_subjects = design.subject_ids.size
    subject_programs = (
        rng.normal(0.0, 1.0, size=(n_subjects, model.activity.shape[1])) * model.subject_program_sd
    ).astype(np.float32)
    subject_factors = rng.normal(0.0, 1.0, size=(n_subjects, _N_SUBJECT_FACTORS)).astype(np.float32)
    # one matmul for programs and donors: [activity, subject factors] @ [loadings; W]
    # (float64 products rounded to float32: the same bits whatever the BLAS and thread count)
    weights = np.concatenate([model.loadings, model.subject_loadings], axis=0).astype(np.float64)
    n_programs = model.activity.shape[1]
    out = np.empty((n_samples, n_genes), dtype=np.float32)
    scratch = np.empty((min(n_samples, _CHUNK_ROWS), n_genes), dtype=np.float32)
    product = np.empty((min(n_samples, _CHUNK_ROWS), n_genes), dtype=np.float64)
    for chunk, start in enumerate(range(0, n_samples, _CHUNK_ROWS)):
        stop = min(n_samples, start + _CHUNK_ROWS)
        n = stop - start
        crng = _rng(seed, _STREAM_VALUES, chunk)
        site = design.site_of_sample[start:stop]
        subject = design.subject_of_sample[start:stop]
        block, tmp = out[start:stop], scratch[:n]
        jitter = crng.normal(0.0, 0.06, size=(n, n_programs)).astype(np.float32)
        modulation = (
            1.0
            + subject_programs[subject]
            + model.gradient_axis[site] * design.gradient[start:stop, None]
            + jitter
        )
        factors = np.concatenate(
            [model.activity[site] * np.maximum(modulation, 0.0), subject_factors[subject]],
            axis=1,
        )
        np.take(model.site_profile, site, axis=0, out=block)
        np.matmul(factors.astype(np.float64), weights, out=product[:n])
        block += product[:n]
        female = design.subject_female[subject]
        sex = np.where(female[:, None], model.sex_profile[0][site], model.sex_profile[1][site])
        block[:, model.sex_columns] += sex
        crng.standard_normal(dtype=np.float32, out=tmp)
        tmp *= model.noise_sd
        block += tmp
        # dropout of low values: P(0 | v) = (1 - v / D)^2 for v < D, i.e. v < D * (1 - sqrt(u))
        crng.random(dtype=np.float32, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp *= -_DROPOUT_LEVEL
        tmp += _DROPOUT_LEVEL
        np.putmask(block, block < tmp, 0.0)
        np.clip(block, 0.0, MAX_VALUE, out=block)
        if missing_fraction > 0:
            mrng = _rng(seed, _STREAM_MISSING, chunk)
            mrng.random(dtype=np.float32, out=tmp)
            np.putmask(block, tmp < missing_fraction, np.nan)
    return out


# --------------------------------------------------------------------------------------------
# public entry point
# --------------------------------------------------------------------------------------------
def _check_int(value: object, name: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DataError(f"simulate_gtex_like: {name}={value!r} must be an integer")
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in {low}..{high}"
        raise DataError(f"simulate_gtex_like: {name}={value} must be {bound}")
    return int(value)


def simulate_gtex_like(
    n_samples: int = 8000,
    n_genes: int = 2000,
    n_tissues: int = 28,
    seed: int = 0,
    ontology: GeneOntology | None = None,
    missing_fraction: float = 0.0,
    *,
    simulated: bool = True,
) -> ExpressionSet:
    """Simulate a GTEx-like RNA-Seq dataset (log10(TPM+1)-like values), clearly marked simulated.

    Parameters
    ----------
    n_samples : int
        Number of samples (>= the number of tissue sites of the chosen tissues).
    n_genes : int
        Number of genes (>= 300); real human genes from the GO snapshot (symbols, Entrez and
        Ensembl ids, gene types): all markers of :data:`MARKERS` and the sex-linked genes,
        pseudogenes, snoRNA, miRNA and lncRNA genes, members of the GO programs of
        :data:`PROGRAMS`, and other GO-annotated protein-coding genes.
    n_tissues : int
        Number of GTEx broad tissues (SMTS), taken in the order of :data:`BROAD_TISSUES`
        (1..len(BROAD_TISSUES)); their sites (SMTSD) follow :data:`TISSUE_SITES`, with
        sizes proportional to GTEx v8 sample counts (at least 10 samples per site when
        ``n_samples`` allows).
    seed : int
        Everything is a deterministic function of the parameters and ``seed``.
    ontology : core.annotations.GeneOntology, optional
        The gene ontology to take genes and programs from; default ``GeneOntology.load()``
        (the committed snapshot). Pass one to avoid reloading it.
    missing_fraction : float
        Fraction of values replaced by NaN (missing), in [0, 1); the other values do not
        depend on it.
    simulated : bool
        Accepted so that ``source`` (which records ``"simulated": True``) can be passed back
        as keyword arguments (``core.data.load_source``); must be True.

    Returns
    -------
    core.data.ExpressionSet
        ``values`` float32, shape (n_samples, n_genes), 0..~5, NaN where missing;
        ``samples`` indexed by sample id (``SIM-XXXXX-NNNN-SM-XXXXX``) with columns SMTS,
        SMTSD, subject, sex ("female"/"male"), age (decade bracket), simulated (True) and
        sim_gradient (the within-site gradient, -1..1); ``genes`` indexed by Ensembl gene id
        with columns symbol, entrez, name, gene_type, chromosome, sim_role, sim_programs
        ("; "-joined program names) and sim_go_ids; ``name`` contains "simulated";
        ``source`` = {"loader": "simulated", "simulated": True, <parameters>}.

    Raises
    ------
    core.errors.DataError
        For parameters out of range.
    """
    from core.data import ExpressionSet

    t0 = time.perf_counter()
    if simulated is not True:
        raise DataError("simulate_gtex_like: simulated=False makes no sense, the data is simulated")
    n_tissues = _check_int(n_tissues, "n_tissues", 1, len(BROAD_TISSUES))
    sites = _choose_sites(n_tissues)
    n_samples = _check_int(n_samples, "n_samples", len(sites))
    n_genes = _check_int(n_genes, "n_genes", 300)
    seed = _check_int(seed, "seed", 0)
    if isinstance(missing_fraction, bool) or not isinstance(
        missing_fraction, (int, float, np.floating)
    ):
        raise DataError(
            f"simulate_gtex_like: missing_fraction={missing_fraction!r} is not a number"
        )
    missing_fraction = float(missing_fraction)
    if not 0.0 <= missing_fraction < 1.0:
        raise DataError(
            f"simulate_gtex_like: missing_fraction={missing_fraction} must be in [0, 1)"
        )

    catalogue = _catalogue(ontology)
    genes = _select_genes(catalogue, n_genes, seed)
    design = _design(n_samples, sites, seed)
    model = _gene_model(genes, catalogue, sites, seed)
    values = _values(design, model, seed, missing_fraction)

    site_smts = np.array([s.smts for s in sites], dtype=object)
    site_smtsd = np.array([s.smtsd for s in sites], dtype=object)
    subject = design.subject_of_sample
    samples = pd.DataFrame(
        {
            "SMTS": site_smts[design.site_of_sample],
            "SMTSD": site_smtsd[design.site_of_sample],
            "subject": design.subject_ids[subject],
            "sex": np.where(design.subject_female[subject], "female", "male").astype(object),
            "age": design.subject_age[subject],
            "simulated": np.ones(n_samples, dtype=bool),
            "sim_gradient": design.gradient,
        },
        index=pd.Index(design.sample_ids, name="sample_id"),
    )
    samples.attrs["simulated"] = True
    go_ids = {p: PROGRAMS[p].go_id for p in PROGRAMS}
    gene_table = pd.DataFrame(
        {
            "symbol": genes["symbol"].to_numpy(dtype=object),
            "entrez": genes["entrez"].to_numpy(),
            "name": genes["name"].to_numpy(dtype=object),
            "gene_type": genes["gene_type"].to_numpy(dtype=object),
            "chromosome": genes["chromosome"].to_numpy(dtype=object),
            "sim_role": genes["sim_role"].to_numpy(dtype=object),
            "sim_programs": ["; ".join(m) for m in model.memberships],
            "sim_go_ids": ["; ".join(go_ids[p] for p in m) for m in model.memberships],
        },
        index=pd.Index(genes["gene_id"].to_numpy(dtype=object), name="gene_id"),
    )
    gene_table.attrs["simulated"] = True
    source = {
        "loader": "simulated",
        "simulated": True,
        "n_samples": n_samples,
        "n_genes": n_genes,
        "n_tissues": n_tissues,
        "seed": seed,
        "missing_fraction": missing_fraction,
    }
    es = ExpressionSet.from_array(
        values,
        sample_ids=samples.index.to_numpy(),
        gene_ids=gene_table.index.to_numpy(),
        samples=samples,
        genes=gene_table,
        gene_symbols=gene_table["symbol"].to_numpy(),
        name=SIMULATED_NAME,
        source=source,
    )
    logger.info(
        "simulated %d samples x %d genes (%d tissues, seed %d) in %.2f s",
        n_samples,
        n_genes,
        n_tissues,
        seed,
        time.perf_counter() - t0,
    )
    return es
