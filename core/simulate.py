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
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.errors import DataError

if TYPE_CHECKING:
    from core.annotations import GeneOntology
    from core.data import ExpressionSet

logger = logging.getLogger(__name__)

SIMULATED_NAME = "Simulated GTEx-like demo (simulated data)"
MAX_VALUE = 5.3  # log10(TPM + 1) ceiling (~200,000 TPM)
_DROPOUT_LEVEL = 0.6  # values below this are set to 0 with probability (1 - v / level)^2
_CHUNK_ROWS = 2048  # rows generated per random stream; fixed so results never depend on chunking


# --------------------------------------------------------------------------------------------
# Tissues: GTEx v8 broad tissues (SMTS) and sites (SMTSD) with their GTEx v8 RNA-Seq sample
# counts, used as relative sizes (from the sample attributes in shared/data; Whole Blood and
# Brain - Caudate, which that file lacks, from the GTEx v8 release). Order = order in which
# `n_tissues` takes them.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TissueSite:
    """One GTEx tissue site (``SMTSD``) of a broad tissue (``SMTS``).

    Attributes
    ----------
    smts, smtsd : str
        GTEx broad tissue and tissue site names.
    gtex_samples : int
        Number of RNA-Seq samples of that site in GTEx v8 (used as a relative size).
    sex : str or None
        ``"female"`` or ``"male"`` for sex-specific sites, None otherwise.
    code : int
        Two-digit site code used in the simulated sample ids.
    """

    smts: str
    smtsd: str
    gtex_samples: int
    sex: str | None = None
    code: int = 0


def _sites(spec: Sequence[tuple[str, str, int, str | None]]) -> tuple[TissueSite, ...]:
    return tuple(
        TissueSite(smts, smtsd, n, sex, code=i + 1) for i, (smts, smtsd, n, sex) in enumerate(spec)
    )


TISSUE_SITES: tuple[TissueSite, ...] = _sites(
    [
        ("Skin", "Skin - Sun Exposed (Lower leg)", 701, None),
        ("Skin", "Skin - Not Sun Exposed (Suprapubic)", 604, None),
        ("Esophagus", "Esophagus - Mucosa", 555, None),
        ("Esophagus", "Esophagus - Muscularis", 515, None),
        ("Esophagus", "Esophagus - Gastroesophageal Junction", 375, None),
        ("Heart", "Heart - Atrial Appendage", 429, None),
        ("Heart", "Heart - Left Ventricle", 432, None),
        ("Muscle", "Muscle - Skeletal", 803, None),
        ("Blood", "Whole Blood", 755, None),
        ("Spleen", "Spleen", 241, None),
        ("Lung", "Lung", 578, None),
        ("Colon", "Colon - Sigmoid", 373, None),
        ("Colon", "Colon - Transverse", 406, None),
        ("Blood Vessel", "Artery - Tibial", 663, None),
        ("Blood Vessel", "Artery - Aorta", 432, None),
        ("Blood Vessel", "Artery - Coronary", 240, None),
        ("Adipose Tissue", "Adipose - Subcutaneous", 663, None),
        ("Adipose Tissue", "Adipose - Visceral (Omentum)", 541, None),
        ("Brain", "Brain - Cortex", 255, None),
        ("Brain", "Brain - Cerebellum", 241, None),
        ("Brain", "Brain - Caudate (basal ganglia)", 246, None),
        ("Thyroid", "Thyroid", 653, None),
        ("Nerve", "Nerve - Tibial", 619, None),
        ("Testis", "Testis", 361, "male"),
        ("Stomach", "Stomach", 359, None),
        ("Pancreas", "Pancreas", 328, None),
        ("Liver", "Liver", 226, None),
        ("Pituitary", "Pituitary", 283, None),
        ("Adrenal Gland", "Adrenal Gland", 258, None),
        ("Breast", "Breast - Mammary Tissue", 459, None),
        ("Prostate", "Prostate", 245, "male"),
        ("Small Intestine", "Small Intestine - Terminal Ileum", 187, None),
        ("Ovary", "Ovary", 180, "female"),
        ("Salivary Gland", "Minor Salivary Gland", 162, None),
        ("Vagina", "Vagina", 156, "female"),
        ("Uterus", "Uterus", 142, "female"),
        ("Kidney", "Kidney - Cortex", 85, None),
        ("Cervix Uteri", "Cervix - Ectocervix", 9, "female"),
        ("Cervix Uteri", "Cervix - Endocervix", 10, "female"),
        ("Bladder", "Bladder", 21, None),
        ("Fallopian Tube", "Fallopian Tube", 9, "female"),
    ]
)
BROAD_TISSUES: tuple[str, ...] = tuple(dict.fromkeys(site.smts for site in TISSUE_SITES))

# GTEx v8 donors: ~2/3 male; age brackets with the donor table's frequencies.
AGE_BRACKETS: tuple[str, ...] = ("20-29", "30-39", "40-49", "50-59", "60-69", "70-79")
_AGE_WEIGHTS = np.array([84, 78, 153, 315, 317, 33], dtype=float)
_MALE_FRACTION = 0.67
_SAMPLES_PER_SUBJECT = 18.0  # GTEx v8: 17,382 samples of 948 donors
_MIN_SAMPLES_PER_SITE = 10


# --------------------------------------------------------------------------------------------
# Gene programs: one GO biological-process term each, with an activity (0..1) per tissue.
# Activity keys are SMTSD names, SMTS names (all sites of the tissue) or "*" (every site);
# the most specific key wins.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GeneProgram:
    """A gene program: genes annotated to one GO term, active at given levels in given tissues.

    Attributes
    ----------
    go_id : str
        GO biological-process term whose (propagated) genes form the program.
    activity : Mapping[str, float]
        Activity per site/tissue (``SMTSD`` name, ``SMTS`` name or ``"*"``), 0 when absent.
    strength : float
        Mean loading (log10 units at activity 1) of member genes.
    subject_sd : float
        Between-donor variation of the program's activity (relative).
    """

    go_id: str
    activity: Mapping[str, float] = field(default_factory=dict)
    strength: float = 1.6
    subject_sd: float = 0.12


_SQUAMOUS = {"Esophagus - Mucosa": 0.8, "Vagina": 0.8, "Cervix - Ectocervix": 0.7}
_ARTERY = {"Artery - Tibial": 1.0, "Artery - Aorta": 1.0, "Artery - Coronary": 0.8}
_IMMUNE = {"Whole Blood": 0.8, "Spleen": 1.0, "Lung": 0.5, "Small Intestine": 0.5}
_GUT = {"Colon - Transverse": 1.0, "Small Intestine": 1.0, "Stomach": 0.6}

PROGRAMS: Mapping[str, GeneProgram] = {
    "keratinization": GeneProgram(
        "GO:0031424", {"Skin": 1.0, **_SQUAMOUS, "Minor Salivary Gland": 0.3}
    ),
    "epidermis development": GeneProgram(
        "GO:0008544", {"Skin": 1.0, **_SQUAMOUS, "Breast": 0.2, "Prostate": 0.2}
    ),
    "melanin biosynthetic process": GeneProgram(
        "GO:0042438", {"Skin - Sun Exposed (Lower leg)": 1.0, "Skin": 0.5}, subject_sd=0.3
    ),
    "muscle contraction": GeneProgram(
        "GO:0006936",
        {
            "Muscle": 1.0,
            "Heart": 0.8,
            **_ARTERY,
            "Esophagus - Muscularis": 0.6,
            "Esophagus - Gastroesophageal Junction": 0.6,
            "Colon - Sigmoid": 0.6,
            "Bladder": 0.5,
            "Uterus": 0.3,
            "Stomach": 0.2,
        },
    ),
    "cardiac muscle contraction": GeneProgram("GO:0060048", {"Heart": 1.0, "Muscle": 0.3}),
    "sarcomere organization": GeneProgram("GO:0045214", {"Heart": 1.0, "Muscle": 1.0}),
    "skeletal muscle cell differentiation": GeneProgram("GO:0035914", {"Muscle": 1.0}),
    "smooth muscle contraction": GeneProgram(
        "GO:0006939",
        {
            **_ARTERY,
            "Esophagus - Muscularis": 1.0,
            "Esophagus - Gastroesophageal Junction": 0.9,
            "Colon - Sigmoid": 1.0,
            "Bladder": 0.8,
            "Uterus": 0.7,
            "Prostate": 0.4,
            "Stomach": 0.3,
            "Vagina": 0.3,
            "Cervix Uteri": 0.3,
        },
    ),
    "T cell receptor signaling pathway": GeneProgram(
        "GO:0050852", {**_IMMUNE, "Colon - Transverse": 0.3}
    ),
    "T cell activation": GeneProgram("GO:0042110", {**_IMMUNE, "Colon - Transverse": 0.3}),
    "B cell receptor signaling pathway": GeneProgram(
        "GO:0050853", {"Spleen": 1.0, "Whole Blood": 0.5, "Small Intestine": 0.5, "Lung": 0.3}
    ),
    "complement activation, classical pathway": GeneProgram(
        "GO:0006958",
        {
            "Spleen": 0.9,
            "Small Intestine": 0.8,
            "Colon - Transverse": 0.7,
            "Minor Salivary Gland": 0.8,
            "Stomach": 0.5,
            "Lung": 0.5,
            "Breast": 0.3,
            "Liver": 0.5,
        },
        subject_sd=0.3,
    ),
    "antigen processing and presentation via MHC class II": GeneProgram(
        "GO:0019886",
        {"Spleen": 1.0, "Lung": 0.9, "Whole Blood": 0.5, "Small Intestine": 0.5, "*": 0.15},
    ),
    "type I interferon signaling pathway": GeneProgram(
        "GO:0060337", {"Whole Blood": 0.7, "Spleen": 0.7, "Lung": 0.4, "*": 0.1}, subject_sd=0.4
    ),
    "neutrophil chemotaxis": GeneProgram(
        "GO:0030593", {"Whole Blood": 1.0, "Lung": 0.4, "Spleen": 0.4}
    ),
    "oxygen transport": GeneProgram(
        "GO:0015671",
        {"Whole Blood": 1.0, "Spleen": 0.5, "Lung": 0.4, "*": 0.15},
        strength=2.2,
        subject_sd=0.25,
    ),
    "platelet activation": GeneProgram("GO:0030168", {"Whole Blood": 0.6, "Spleen": 0.3}),
    "complement activation": GeneProgram(
        "GO:0006956", {"Liver": 1.0, "Lung": 0.3, "Adipose Tissue": 0.3}
    ),
    "fatty acid beta-oxidation": GeneProgram(
        "GO:0006635",
        {
            "Liver": 0.8,
            "Heart": 1.0,
            "Muscle": 0.7,
            "Kidney": 0.8,
            "Adipose Tissue": 0.5,
            "Adrenal Gland": 0.5,
            "*": 0.1,
        },
    ),
    "triglyceride biosynthetic process": GeneProgram(
        "GO:0019432", {"Adipose Tissue": 1.0, "Breast": 0.8, "Liver": 0.5}
    ),
    "xenobiotic metabolic process": GeneProgram(
        "GO:0006805",
        {
            "Liver": 1.0,
            "Small Intestine": 0.6,
            "Colon - Transverse": 0.5,
            "Kidney": 0.6,
            "Adrenal Gland": 0.4,
            "Lung": 0.3,
        },
    ),
    "bile acid metabolic process": GeneProgram(
        "GO:0008206", {"Liver": 1.0, "Small Intestine": 0.5}
    ),
    "cholesterol biosynthetic process": GeneProgram(
        "GO:0006695",
        {"Adrenal Gland": 1.0, "Liver": 0.7, "Brain": 0.5, "Skin": 0.3, "Testis": 0.3, "*": 0.1},
    ),
    "steroid biosynthetic process": GeneProgram(
        "GO:0006694", {"Adrenal Gland": 1.0, "Testis": 0.6, "Ovary": 0.5}
    ),
    "spermatid development": GeneProgram("GO:0007286", {"Testis": 1.0}, strength=2.0),
    "meiotic cell cycle": GeneProgram("GO:0051321", {"Testis": 1.0, "Ovary": 0.2}),
    "chemical synaptic transmission": GeneProgram(
        "GO:0007268", {"Brain": 1.0, "Pituitary": 0.4, "Nerve": 0.2}
    ),
    "myelination": GeneProgram("GO:0042552", {"Nerve": 1.0, "Brain": 0.7}),
    "homophilic cell adhesion via plasma membrane adhesion molecules": GeneProgram(
        "GO:0007156", {"Brain": 1.0, "Nerve": 0.3, "Pituitary": 0.3}
    ),
    "thyroid hormone generation": GeneProgram("GO:0006590", {"Thyroid": 1.0}, strength=2.2),
    "digestion": GeneProgram(
        "GO:0007586",
        {"Stomach": 1.0, "Pancreas": 1.0, "Small Intestine": 0.8, "Colon - Transverse": 0.5},
        strength=2.0,
    ),
    "intestinal absorption": GeneProgram("GO:0050892", _GUT),
    "insulin secretion": GeneProgram("GO:0030073", {"Pancreas": 0.8, "Pituitary": 0.3}),
    "response to unfolded protein": GeneProgram(
        "GO:0006986",
        {
            "Pancreas": 1.0,
            "Liver": 0.5,
            "Minor Salivary Gland": 0.5,
            "Stomach": 0.5,
            "Thyroid": 0.4,
            "*": 0.3,
        },
        subject_sd=0.3,
    ),
    "surfactant homeostasis": GeneProgram("GO:0043129", {"Lung": 1.0}, strength=2.2),
    "cilium assembly": GeneProgram(
        "GO:0060271",
        {
            "Fallopian Tube": 1.0,
            "Testis": 0.8,
            "Lung": 0.5,
            "Brain": 0.3,
            "Pituitary": 0.3,
            "Cervix - Endocervix": 0.3,
        },
    ),
    "angiogenesis": GeneProgram(
        "GO:0001525",
        {
            **{k: 0.8 for k in _ARTERY},
            "Lung": 0.8,
            "Adipose Tissue": 0.6,
            "Breast": 0.5,
            "Heart": 0.4,
            "Thyroid": 0.4,
            "*": 0.15,
        },
    ),
    "extracellular matrix organization": GeneProgram(
        "GO:0030198",
        {
            **_ARTERY,
            "Skin": 0.6,
            "Nerve": 0.7,
            "Uterus": 0.7,
            "Cervix Uteri": 0.7,
            "Ovary": 0.7,
            "Breast": 0.6,
            "Adipose Tissue": 0.5,
            "Esophagus - Muscularis": 0.5,
            "Colon - Sigmoid": 0.5,
            "Bladder": 0.6,
            "Vagina": 0.5,
            "*": 0.1,
        },
    ),
    "collagen fibril organization": GeneProgram(
        "GO:0030199",
        {
            **{k: 0.8 for k in _ARTERY},
            "Skin": 0.8,
            "Nerve": 0.6,
            "Ovary": 0.6,
            "Uterus": 0.6,
            "Cervix Uteri": 0.6,
            "Breast": 0.5,
        },
    ),
    "DNA replication": GeneProgram(
        "GO:0006260",
        {
            "Testis": 1.0,
            "Small Intestine": 0.5,
            "Colon - Transverse": 0.5,
            "Spleen": 0.4,
            "Esophagus - Mucosa": 0.4,
            "Skin": 0.2,
            "Whole Blood": 0.2,
        },
    ),
    "chromosome segregation": GeneProgram(
        "GO:0007059",
        {
            "Testis": 1.0,
            "Small Intestine": 0.5,
            "Colon - Transverse": 0.5,
            "Spleen": 0.4,
            "Esophagus - Mucosa": 0.4,
            "Skin": 0.2,
        },
    ),
    "mitochondrial electron transport, NADH to ubiquinone": GeneProgram(
        "GO:0006120",
        {"Heart": 1.0, "Muscle": 0.9, "Kidney": 0.8, "Brain": 0.6, "Liver": 0.5, "*": 0.35},
        strength=1.8,
    ),
    "cytoplasmic translation": GeneProgram(
        "GO:0002181",
        {"*": 1.0, "Muscle": 0.7, "Brain": 0.6, "Pancreas": 0.8, "Heart": 0.7},
        strength=1.2,
        subject_sd=0.05,
    ),
    "glycolytic process": GeneProgram(
        "GO:0006096", {"Muscle": 1.0, "Heart": 0.5, "Brain": 0.5, "*": 0.3}
    ),
    "renal water homeostasis": GeneProgram("GO:0003091", {"Kidney": 1.0}),
    "mammary gland development": GeneProgram("GO:0030879", {"Breast": 1.0, "Prostate": 0.3}),
    "ovarian follicle development": GeneProgram("GO:0001541", {"Ovary": 1.0}),
    "decidualization": GeneProgram("GO:0046697", {"Uterus": 1.0, "Ovary": 0.3}),
    "pituitary gland development": GeneProgram("GO:0021983", {"Pituitary": 1.0}),
    "prostate gland development": GeneProgram("GO:0030850", {"Prostate": 1.0}),
    "antimicrobial humoral response": GeneProgram(
        "GO:0019730",
        {
            "Minor Salivary Gland": 1.0,
            "Small Intestine": 0.7,
            "Colon - Transverse": 0.4,
            "Lung": 0.3,
            "Vagina": 0.3,
            "Whole Blood": 0.4,
        },
    ),
    # Olfactory receptors: annotated, never expressed in these tissues (GTEx has many such genes).
    "sensory perception of smell": GeneProgram("GO:0007608", {}, strength=0.0),
}


# --------------------------------------------------------------------------------------------
# Markers: explicit log10(TPM+1)-like level per site (keys as for programs; absent = `rest`).
# --------------------------------------------------------------------------------------------
_SIMPLE_EPITHELIA = {
    "Colon - Transverse": 3.5,
    "Small Intestine": 3.5,
    "Stomach": 3.6,
    "Liver": 3.1,
    "Lung": 2.8,
    "Pancreas": 3.0,
    "Kidney": 3.0,
    "Thyroid": 3.2,
    "Prostate": 3.0,
    "Breast": 2.6,
    "Minor Salivary Gland": 3.0,
    "Bladder": 2.8,
    "Cervix - Endocervix": 3.1,
    "Uterus": 2.0,
    "Fallopian Tube": 3.0,
    "Esophagus - Gastroesophageal Junction": 1.8,
    "Colon - Sigmoid": 1.5,
    "Adrenal Gland": 1.0,
    "Pituitary": 1.5,
    "Ovary": 0.8,
}


def _scaled(levels: Mapping[str, float], factor: float) -> dict[str, float]:
    return {k: round(v * factor, 3) for k, v in levels.items()}


@dataclass(frozen=True)
class Marker:
    """A marker gene: explicit mean level per site (``levels``), ``rest`` elsewhere."""

    levels: Mapping[str, float]
    rest: float = 0.05


MARKERS: Mapping[str, Marker] = {
    # keratins: stratified squamous (skin / oesophagus mucosa / vagina / ectocervix), simple
    # epithelia (KRT8/18/19), KRT7 glandular, KRT20 gut.
    "KRT1": Marker(
        {"Skin": 3.9, "Vagina": 1.8, "Esophagus - Mucosa": 1.5, "Cervix - Ectocervix": 1.5}
    ),
    "KRT10": Marker(
        {"Skin": 4.0, "Vagina": 1.6, "Esophagus - Mucosa": 1.2, "Cervix - Ectocervix": 1.2}
    ),
    "KRT2": Marker({"Skin": 3.2, "Vagina": 0.6}),
    "KRT9": Marker({"Skin": 1.2}),
    "KRT4": Marker(
        {
            "Esophagus - Mucosa": 4.3,
            "Vagina": 3.6,
            "Cervix - Ectocervix": 3.5,
            "Esophagus - Gastroesophageal Junction": 1.5,
            "Minor Salivary Gland": 1.8,
            "Esophagus - Muscularis": 0.8,
        }
    ),
    "KRT13": Marker(
        {
            "Esophagus - Mucosa": 4.4,
            "Vagina": 3.9,
            "Cervix - Ectocervix": 3.7,
            "Minor Salivary Gland": 2.2,
            "Bladder": 2.0,
            "Esophagus - Gastroesophageal Junction": 1.4,
            "Esophagus - Muscularis": 0.7,
        }
    ),
    "KRT3": Marker({"Esophagus - Mucosa": 2.0, "Vagina": 1.0}),
    "KRT5": Marker(
        {
            "Skin": 3.6,
            "Esophagus - Mucosa": 3.6,
            "Vagina": 3.3,
            "Cervix - Ectocervix": 3.0,
            "Breast": 2.5,
            "Prostate": 2.6,
            "Minor Salivary Gland": 2.6,
            "Lung": 1.6,
            "Bladder": 2.4,
            "Cervix - Endocervix": 1.8,
        }
    ),
    "KRT14": Marker(
        {
            "Skin": 3.9,
            "Esophagus - Mucosa": 3.1,
            "Vagina": 2.9,
            "Cervix - Ectocervix": 2.8,
            "Breast": 2.6,
            "Minor Salivary Gland": 2.5,
            "Prostate": 1.5,
        }
    ),
    "KRT15": Marker(
        {
            "Skin": 3.1,
            "Esophagus - Mucosa": 3.3,
            "Breast": 2.3,
            "Prostate": 2.5,
            "Vagina": 2.6,
            "Minor Salivary Gland": 2.4,
            "Cervix - Ectocervix": 2.4,
        }
    ),
    "KRT17": Marker(
        {
            "Skin": 2.6,
            "Esophagus - Mucosa": 2.7,
            "Vagina": 2.5,
            "Cervix - Ectocervix": 2.7,
            "Minor Salivary Gland": 2.3,
            "Breast": 1.9,
        }
    ),
    "KRT6A": Marker(
        {
            "Esophagus - Mucosa": 3.9,
            "Skin": 2.9,
            "Vagina": 3.6,
            "Cervix - Ectocervix": 3.3,
            "Minor Salivary Gland": 2.0,
        }
    ),
    "KRT16": Marker(
        {"Esophagus - Mucosa": 3.0, "Skin": 2.2, "Vagina": 2.6, "Cervix - Ectocervix": 2.4}
    ),
    "KRT8": Marker(_SIMPLE_EPITHELIA),
    "KRT18": Marker(_scaled(_SIMPLE_EPITHELIA, 0.93)),
    "KRT19": Marker(
        {
            **_scaled(_SIMPLE_EPITHELIA, 1.0),
            "Pancreas": 3.3,
            "Lung": 3.0,
            "Breast": 3.0,
            "Esophagus - Mucosa": 2.6,
            "Vagina": 1.8,
        }
    ),
    "KRT7": Marker(
        {
            "Lung": 3.3,
            "Breast": 3.0,
            "Bladder": 3.5,
            "Minor Salivary Gland": 3.2,
            "Thyroid": 2.8,
            "Kidney": 2.5,
            "Pancreas": 2.0,
            "Cervix - Endocervix": 3.2,
            "Fallopian Tube": 3.0,
            "Prostate": 1.8,
            "Esophagus - Gastroesophageal Junction": 1.0,
        }
    ),
    "KRT20": Marker(
        {
            "Colon - Transverse": 3.5,
            "Small Intestine": 3.0,
            "Stomach": 2.4,
            "Colon - Sigmoid": 1.0,
            "Bladder": 1.8,
        }
    ),
    "KRT23": Marker({"Colon - Transverse": 2.0, "Stomach": 1.0, "Breast": 0.6}),
    "KRT80": Marker({"Colon - Transverse": 1.5, "Stomach": 1.2, "Breast": 1.2, "Prostate": 1.0}),
    # heart and muscle
    "MYH6": Marker({"Heart - Atrial Appendage": 4.0, "Heart - Left Ventricle": 2.3}),
    "MYH7": Marker(
        {"Heart - Left Ventricle": 4.4, "Muscle": 4.2, "Heart - Atrial Appendage": 3.5}, rest=0.3
    ),
    "ACTC1": Marker(
        {
            "Heart - Atrial Appendage": 3.9,
            "Heart - Left Ventricle": 3.7,
            "Bladder": 2.2,
            "Blood Vessel": 2.0,
            "Muscle": 1.8,
        },
        rest=0.4,
    ),
    "TNNT2": Marker(
        {"Heart - Left Ventricle": 3.85, "Heart - Atrial Appendage": 3.7, "Muscle": 1.0}, rest=0.3
    ),
    "TNNI3": Marker({"Heart - Left Ventricle": 3.7, "Heart - Atrial Appendage": 3.4}),
    "MYL2": Marker({"Heart - Left Ventricle": 4.3, "Muscle": 4.1, "Heart - Atrial Appendage": 2.4}),
    "MYL7": Marker({"Heart - Atrial Appendage": 4.0, "Heart - Left Ventricle": 2.0}),
    "NPPA": Marker({"Heart - Atrial Appendage": 4.3, "Heart - Left Ventricle": 2.5}),
    "NPPB": Marker({"Heart - Left Ventricle": 2.6, "Heart - Atrial Appendage": 2.2}),
    "MB": Marker({"Heart": 3.9, "Muscle": 3.9}, rest=0.3),
    "CKM": Marker({"Muscle": 4.3, "Heart": 3.5}),
    "ACTA1": Marker({"Muscle": 4.5, "Heart": 2.0}),
    "MYH1": Marker({"Muscle": 3.2}),
    "MYH2": Marker({"Muscle": 3.9}),
    "DES": Marker(
        {
            "Muscle": 3.6,
            "Heart": 3.6,
            "Esophagus - Muscularis": 3.5,
            "Colon - Sigmoid": 3.4,
            "Bladder": 3.0,
            "Blood Vessel": 2.0,
            "Esophagus - Gastroesophageal Junction": 3.2,
            "Uterus": 2.5,
        },
        rest=0.8,
    ),
    "MYH11": Marker(
        {
            "Esophagus - Muscularis": 3.6,
            "Colon - Sigmoid": 3.5,
            "Esophagus - Gastroesophageal Junction": 3.4,
            "Artery - Tibial": 3.3,
            "Blood Vessel": 3.1,
            "Bladder": 3.0,
            "Uterus": 2.8,
            "Stomach": 2.6,
            "Prostate": 2.4,
        },
        rest=1.5,
    ),
    # immune
    "CD8B": Marker(
        {
            "Whole Blood": 1.7,
            "Spleen": 1.9,
            "Lung": 1.2,
            "Small Intestine": 1.1,
            "Colon - Transverse": 0.6,
        },
        rest=0.1,
    ),
    "CD8A": Marker(
        {
            "Whole Blood": 1.6,
            "Spleen": 2.0,
            "Lung": 1.3,
            "Small Intestine": 1.3,
            "Colon - Transverse": 0.7,
        },
        rest=0.15,
    ),
    "CD3E": Marker(
        {
            "Whole Blood": 1.8,
            "Spleen": 2.2,
            "Lung": 1.5,
            "Small Intestine": 1.5,
            "Colon - Transverse": 1.0,
        },
        rest=0.2,
    ),
    "CD19": Marker({"Spleen": 1.8, "Whole Blood": 1.0, "Small Intestine": 0.8}),
    "MS4A1": Marker({"Spleen": 2.4, "Whole Blood": 1.6, "Small Intestine": 1.3, "Lung": 0.8}),
    "PTPRC": Marker(
        {"Whole Blood": 2.6, "Spleen": 2.8, "Lung": 2.0, "Small Intestine": 1.6}, rest=0.6
    ),
    "HBB": Marker({"Whole Blood": 5.0, "Spleen": 3.6, "Lung": 3.4}, rest=2.4),
    "HBA1": Marker({"Whole Blood": 4.6, "Spleen": 3.2, "Lung": 3.0}, rest=2.0),
    "S100A8": Marker(
        {"Whole Blood": 4.0, "Lung": 2.2, "Spleen": 2.5, "Esophagus - Mucosa": 2.8, "Vagina": 2.3},
        rest=0.8,
    ),
    "LYZ": Marker(
        {
            "Whole Blood": 3.5,
            "Lung": 3.6,
            "Spleen": 3.3,
            "Minor Salivary Gland": 3.0,
            "Small Intestine": 3.0,
        },
        rest=1.4,
    ),
    # sex: XIST and Y-linked genes are handled by `_SEX_GENES`
    # organ markers
    "ALB": Marker({"Liver": 4.7}),
    "APOA1": Marker({"Liver": 4.4, "Small Intestine": 3.5}),
    "TTR": Marker({"Liver": 3.7, "Pancreas": 2.5, "Pituitary": 1.5, "Brain": 1.5}),
    "HP": Marker({"Liver": 4.2, "Lung": 2.0, "Adipose Tissue": 1.8}, rest=0.5),
    "INS": Marker({"Pancreas": 3.0}),
    "GCG": Marker({"Pancreas": 2.2}),
    "PRSS1": Marker({"Pancreas": 4.8}),
    "CPA1": Marker({"Pancreas": 4.3}),
    "CELA3A": Marker({"Pancreas": 4.4}),
    "PNLIP": Marker({"Pancreas": 4.2}),
    "TG": Marker({"Thyroid": 4.3}),
    "TPO": Marker({"Thyroid": 2.8}),
    "SFTPC": Marker({"Lung": 4.4}),
    "SFTPB": Marker({"Lung": 4.0}),
    "AGER": Marker({"Lung": 2.8}),
    "PRL": Marker({"Pituitary": 4.6}),
    "GH1": Marker({"Pituitary": 4.7}),
    "POMC": Marker({"Pituitary": 3.6}),
    "CGA": Marker({"Pituitary": 4.1}),
    "TSHB": Marker({"Pituitary": 2.5}),
    "LHB": Marker({"Pituitary": 2.8}),
    "PGC": Marker({"Stomach": 4.3, "Lung": 2.0}),
    "GKN1": Marker({"Stomach": 4.2}),
    "LIPF": Marker({"Stomach": 4.0}),
    "FABP2": Marker({"Small Intestine": 3.5, "Colon - Transverse": 1.5}),
    "APOA4": Marker({"Small Intestine": 4.0}),
    "DEFA5": Marker({"Small Intestine": 3.8}),
    "CDX2": Marker({"Colon - Transverse": 2.0, "Small Intestine": 1.8, "Stomach": 0.5}),
    "CEACAM5": Marker(
        {
            "Colon - Transverse": 3.3,
            "Small Intestine": 2.5,
            "Stomach": 2.0,
            "Esophagus - Mucosa": 1.8,
        }
    ),
    "MUC2": Marker({"Colon - Transverse": 3.0, "Small Intestine": 2.8}),
    "PRM1": Marker({"Testis": 4.2}),
    "PRM2": Marker({"Testis": 4.1}),
    "TNP1": Marker({"Testis": 4.0}),
    "CYP17A1": Marker({"Adrenal Gland": 3.9, "Testis": 2.6}),
    "STAR": Marker({"Adrenal Gland": 3.4, "Testis": 2.5, "Ovary": 2.0}),
    "CYP11B1": Marker({"Adrenal Gland": 3.6}),
    "UMOD": Marker({"Kidney": 3.6}),
    "GFAP": Marker({"Brain": 3.5, "Nerve": 1.2, "Pituitary": 1.5}),
    "SNAP25": Marker({"Brain": 3.2, "Pituitary": 2.4}),
    "MBP": Marker({"Brain": 3.3, "Nerve": 2.6}),
    "MPZ": Marker({"Nerve": 4.0}),
    "PMP22": Marker({"Nerve": 3.5, "Brain": 1.5}, rest=0.9),
    "ADIPOQ": Marker({"Adipose Tissue": 3.3, "Breast": 3.0}),
    "LEP": Marker(
        {"Adipose - Subcutaneous": 2.2, "Adipose - Visceral (Omentum)": 1.6, "Breast": 1.8}
    ),
    "PLIN1": Marker({"Adipose Tissue": 3.3, "Breast": 3.0}),
    "FABP4": Marker({"Adipose Tissue": 4.0, "Breast": 3.8, "Heart": 2.5}, rest=1.0),
    "SCGB2A2": Marker({"Breast": 3.0}),
    "KLK3": Marker({"Prostate": 4.3}),
    "MSMB": Marker({"Prostate": 4.2}),
    "ACP3": Marker({"Prostate": 3.9}),
    "STATH": Marker({"Minor Salivary Gland": 4.2}),
    "HTN3": Marker({"Minor Salivary Gland": 3.8}),
    "PGR": Marker(
        {
            "Uterus": 2.0,
            "Cervix Uteri": 1.6,
            "Vagina": 1.2,
            "Fallopian Tube": 1.4,
            "Ovary": 1.0,
            "Breast": 0.6,
        }
    ),
    "ESR1": Marker(
        {
            "Uterus": 2.0,
            "Cervix Uteri": 1.8,
            "Vagina": 1.6,
            "Fallopian Tube": 1.6,
            "Ovary": 1.4,
            "Breast": 0.9,
            "Pituitary": 1.0,
        }
    ),
    "FOXL2": Marker({"Ovary": 2.0, "Uterus": 0.8, "Pituitary": 1.0}),
    "OVGP1": Marker({"Fallopian Tube": 3.2, "Cervix - Endocervix": 1.0}),
    "UPK3A": Marker({"Bladder": 2.5}),
    "UPK1B": Marker({"Bladder": 3.0}),
    "CHGA": Marker({"Pituitary": 3.5, "Adrenal Gland": 3.2, "Pancreas": 1.5}),
    # ubiquitous lncRNAs and housekeeping genes
    "MALAT1": Marker({"*": 3.4, "Brain": 3.7, "Muscle": 2.8}),
    "NEAT1": Marker({"*": 2.4, "Whole Blood": 2.9}),
    "H19": Marker({"Muscle": 3.0, "Adrenal Gland": 2.8, "Uterus": 2.4, "*": 1.2}),
    "MEG3": Marker({"Pituitary": 3.3, "Ovary": 2.8, "Uterus": 2.5, "*": 1.4}),
    "GAPDH": Marker({"*": 3.2, "Muscle": 4.2, "Heart": 3.5}),
    "ACTB": Marker({"*": 3.4, "Muscle": 2.5, "Heart": 2.6}),
}

# Sex-linked genes: (level in females, level in males).
_SEX_GENES: Mapping[str, tuple[float, float]] = {
    "XIST": (1.9, 0.0),
    "RPS4Y1": (0.0, 2.3),
    "DDX3Y": (0.0, 1.5),
    "UTY": (0.0, 1.0),
    "KDM5D": (0.0, 1.2),
    "EIF1AY": (0.0, 1.3),
    "USP9Y": (0.0, 1.1),
    "ZFY": (0.0, 0.9),
}

# Gene-type quotas (fraction of n_genes) for non-coding genes chosen at random.
_TYPE_QUOTAS: Mapping[str, float] = {
    "pseudogene": 0.06,
    "snoRNA": 0.02,
    "miRNA": 0.02,
    "lncRNA": 0.03,
}


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
    sites: tuple[TissueSite, ...]
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
    minimum = _MIN_SAMPLES_PER_SITE if n_samples >= _MIN_SAMPLES_PER_SITE * len(sites) else 1
    counts = _allocate(weights, n_samples, minimum)

    # donors: enough that every site draws distinct donors of the right sex
    need = [math.ceil(n_samples / _SAMPLES_PER_SUBJECT), 2]
    for site, count in zip(sites, counts, strict=True):
        frac = {"male": _MALE_FRACTION, "female": 1.0 - _MALE_FRACTION, None: 1.0}[site.sex]
        need.append(math.ceil(count / frac) + 2)
    n_subjects = max(need)
    n_male = min(max(round(_MALE_FRACTION * n_subjects), 1), n_subjects - 1)
    female = np.ones(n_subjects, dtype=bool)
    female[:n_male] = False
    female = rng.permutation(female)
    age = rng.choice(
        np.array(AGE_BRACKETS, dtype=object), size=n_subjects, p=_AGE_WEIGHTS / _AGE_WEIGHTS.sum()
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
        sites=sites,
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

    required = [*MARKERS, *_SEX_GENES]
    missing = [s for s in required if s not in table.index]
    if missing:
        logger.warning("simulate: marker genes absent from the GO snapshot: %s", missing)
    take(_SEX_GENES, "sex-linked")
    take(MARKERS, "marker")

    # non-coding genes so that gene-type summaries have something to show
    types = table["gene_type"]
    for gene_type, fraction in _TYPE_QUOTAS.items():
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
    program_names: tuple[str, ...]
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
        female_level, male_level = _SEX_GENES[symbols[g]]
        sex_profile[0, :, i] = female_level * rng.uniform(0.85, 1.1, size=n_sites)
        sex_profile[1, :, i] = male_level * rng.uniform(0.85, 1.1, size=n_sites)
        site_profile[:, g] = 0.0

    subject_loadings = rng.normal(0.0, 0.06, size=(_N_SUBJECT_FACTORS, n_genes))
    subject_loadings[:, roles == "silent"] = 0.0
    noise_sd = rng.uniform(0.08, 0.25, size=n_genes)
    noisy = np.isin(roles, ["pseudogene", "snoRNA", "miRNA"])
    noise_sd[noisy] *= 1.3
    return _GeneModel(
        program_names=names,
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
