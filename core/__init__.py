"""Factorized embeddings of RNA-Seq samples and genes (Trofimov et al., 2017).

Public entry points:

- :mod:`core.data` -- :class:`~core.data.ExpressionSet` and loaders (GTEx GCT, tables, h5ad).
- :mod:`core.estimator` -- :class:`~core.estimator.FactorizedEmbeddings` (fit / transform /
  predict / save / load).
- :mod:`core.annotations` -- Gene Ontology terms, propagation and enrichment.
- :mod:`core.analysis` -- baselines, the Table-1 protocol, gene neighbourhoods.
"""

from core.errors import CoreError, DataError, ModelError

__all__ = ["CoreError", "DataError", "ModelError"]

# No NullHandler: a program that sets up no logging (a notebook, a script) sees the library's
# warnings on stderr through logging's last resort, as Python intends; with a NullHandler here
# they reached nobody ("values look like raw counts" said to no one). Programs that configure
# logging (the command line, the dashboard) show them their way.
