"""The tables behind the simulated GTEx-like demo (:mod:`core.simulate`): tissue sites with their
GTEx v8 sample counts, donor ages and sexes, gene programmes (one GO biological-process term
each, with an activity per tissue), hand-set marker levels per site, sex-specific genes and the
share of each gene type. They are the simulation's settings, not measurements (see
:mod:`core.simulate` for how the matrix is built from them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np


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
AGE_WEIGHTS = np.array([84, 78, 153, 315, 317, 33], dtype=float)
MALE_FRACTION = 0.67
SAMPLES_PER_SUBJECT = 18.0  # GTEx v8: 17,382 samples of 948 donors
MIN_SAMPLES_PER_SITE = 10


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
    # sex: XIST and Y-linked genes are handled by `SEX_GENES`
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
SEX_GENES: Mapping[str, tuple[float, float]] = {
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
TYPE_QUOTAS: Mapping[str, float] = {
    "pseudogene": 0.06,
    "snoRNA": 0.02,
    "miRNA": 0.02,
    "lncRNA": 0.03,
}
