"""Factorized embeddings of RNA-Seq samples and genes (Trofimov et al., 2017).

Public entry points:

- :mod:`core.data` -- :class:`~core.data.ExpressionSet` and loaders (GTEx GCT, tables, h5ad).
- :mod:`core.estimator` -- :class:`~core.estimator.FactorizedEmbeddings` (fit / transform /
  predict / save / load).
- :mod:`core.annotations` -- Gene Ontology terms, propagation and enrichment.
- :mod:`core.analysis` -- baselines, the Table-1 protocol, gene neighbourhoods.
"""

import logging

from core.errors import CoreError, DataError, ModelError

__all__ = ["CoreError", "DataError", "ModelError"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
