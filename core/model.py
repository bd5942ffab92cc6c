"""The factorized-embedding network (parameters and forward only; no I/O, no training loop).

Every sample ``i`` has a coordinate ``s_i`` (``sample_dim``, 2 by default) and every gene ``j`` a
vector ``g_j`` (``gene_dim``). An MLP on the concatenation ``[s_i; g_j]`` predicts the expression of
gene ``j`` in sample ``i`` (Trofimov et al., 2017, Figure 1).

The first layer is linear in the concatenation, ``W [s; g] + b = W_s s + (W_g g + b)``, so a whole
block of samples x genes is predicted without materialising pairs: the gene part is computed once
for all genes, the sample part once per sample, and the two are broadcast-added
(:meth:`FactorizedEmbedding.forward_block`). :meth:`FactorizedEmbedding.forward_pairs` is the
literal per-pair form, kept as the reference the block form is tested against.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from core.errors import ModelError

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "silu": nn.SiLU}


def as_int(value, name: str) -> int:
    """``value`` as an int when it is a whole number (``3``, ``np.int64(3)``, ``3.0``).

    Raises
    ------
    ModelError
        For anything else (``2.5``, ``"3"``, ``None``, ``True``), naming ``name``.
    """
    if isinstance(value, (bool, np.bool_)):
        raise ModelError(f"{name} must be a whole number, got {value!r}")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    raise ModelError(f"{name} must be a whole number, got {value!r}")


@dataclass(frozen=True)
class NetworkConfig:
    """Shape of the network.

    Parameters
    ----------
    n_samples, n_genes
        Rows of the two embedding tables.
    sample_dim
        Size of a sample coordinate (2 gives a map that is read directly).
    gene_dim
        Size of a gene vector.
    hidden
        Widths of the hidden layers of the MLP above the concatenated embeddings.
    activation
        One of ``relu``, ``tanh``, ``gelu``, ``silu``.
    """

    n_samples: int
    n_genes: int
    sample_dim: int = 2
    gene_dim: int = 50
    hidden: tuple[int, ...] = (100, 50, 50)
    activation: str = "relu"

    def __post_init__(self) -> None:
        for name in ("n_samples", "n_genes", "sample_dim", "gene_dim"):
            value = as_int(getattr(self, name), name)
            if value < 1:
                raise ModelError(f"{name} must be a positive integer, got {value!r}")
            object.__setattr__(self, name, value)
        hidden = self.hidden
        if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__iter__"):
            raise ModelError(f"hidden must be a sequence of layer widths, got {hidden!r}")
        hidden = tuple(as_int(h, "hidden") for h in hidden)
        if not hidden or any(h < 1 for h in hidden):
            raise ModelError(f"hidden must be one or more positive widths, got {hidden!r}")
        object.__setattr__(self, "hidden", hidden)
        if not isinstance(self.activation, str) or self.activation not in ACTIVATIONS:
            raise ModelError(
                f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}"
            )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d


class FactorizedEmbedding(nn.Module):
    """Sample and gene embedding tables with an MLP predicting each (sample, gene) value.

    Parameters
    ----------
    config
        The :class:`NetworkConfig`.
    generator
        Seeds the initialisation (deterministic for a seed); torch's global random generator is
        used only when it is None.
    """

    def __init__(self, config: NetworkConfig, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.config = config
        self.sample_embedding = nn.Parameter(torch.empty(config.n_samples, config.sample_dim))
        self.gene_embedding = nn.Parameter(torch.empty(config.n_genes, config.gene_dim))
        widths = config.hidden
        # First layer, split into its sample and gene halves (same function as one Linear on the
        # concatenation; see module docstring).
        self.first_sample = nn.Parameter(torch.empty(widths[0], config.sample_dim))
        self.first_gene = nn.Parameter(torch.empty(widths[0], config.gene_dim))
        self.first_bias = nn.Parameter(torch.empty(widths[0]))
        layers: list[nn.Module] = []
        act = ACTIVATIONS[config.activation]
        # the default initialisation draws from torch's global random generator: restored
        # after it (reset_parameters initialises every parameter from ``generator``).
        # torch.nn.utils.skip_init did it without drawing, but imports sympy (34 MB resident)
        with torch.random.fork_rng(devices=[]):
            for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
                layers += [nn.Linear(w_in, w_out), act()]
            layers.append(nn.Linear(widths[-1], 1))
        self.activation = act()
        self.head = nn.Sequential(*layers)
        self.reset_parameters(generator)

    @staticmethod
    def state_shapes(config: NetworkConfig) -> dict[str, tuple[int, ...]]:
        """The shape of every entry of the state dict of a network of ``config``, known without
        building it (a saved model's sizes are checked against its weights before any memory is
        taken: a config.json edited to 10**12 samples tried to allocate 8 TB)."""
        widths = config.hidden
        shapes = {
            "sample_embedding": (config.n_samples, config.sample_dim),
            "gene_embedding": (config.n_genes, config.gene_dim),
            "first_sample": (widths[0], config.sample_dim),
            "first_gene": (widths[0], config.gene_dim),
            "first_bias": (widths[0],),
        }
        for i, (w_in, w_out) in enumerate(zip(widths, [*widths[1:], 1], strict=True)):
            shapes[f"head.{2 * i}.weight"] = (w_out, w_in)  # (Linear, activation) pairs
            shapes[f"head.{2 * i}.bias"] = (w_out,)
        return shapes

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Embeddings ~ N(0, 1); layers uniform(+-1/sqrt(fan_in)) as nn.Linear does."""
        self.sample_embedding.normal_(0.0, 1.0, generator=generator)
        self.gene_embedding.normal_(0.0, 1.0, generator=generator)
        fan_in = self.config.sample_dim + self.config.gene_dim
        bound = 1.0 / math.sqrt(fan_in)
        for p in (self.first_sample, self.first_gene, self.first_bias):
            p.uniform_(-bound, bound, generator=generator)
        for module in self.head:
            if isinstance(module, nn.Linear):
                bound = 1.0 / math.sqrt(module.in_features)
                module.weight.uniform_(-bound, bound, generator=generator)
                module.bias.uniform_(-bound, bound, generator=generator)

    # ------------------------------------------------------------------ building blocks
    def gene_part(self, gene_index: torch.Tensor | None = None) -> torch.Tensor:
        """``W_g g_j + b`` for the given genes (all when None): (len(gene_index) or n_genes,
        hidden[0])."""
        genes = self.gene_embedding if gene_index is None else self.gene_embedding[gene_index]
        return torch.addmm(self.first_bias, genes, self.first_gene.t())

    def decode(self, coords: torch.Tensor, gene_part: torch.Tensor) -> torch.Tensor:
        """Predict a block from sample coordinates.

        Parameters
        ----------
        coords
            (b, sample_dim) sample coordinates (learned or any point of the plane).
        gene_part
            (g, hidden[0]) from :meth:`gene_part`, for g genes (all or a selection).

        Returns
        -------
        torch.Tensor
            (b, g) predicted expression.
        """
        sample_part = coords @ self.first_sample.t()  # (b, h0)
        b, g = sample_part.shape[0], gene_part.shape[0]
        hidden = sample_part[:, None, :] + gene_part[None, :, :]  # (b, G, h0), a fresh tensor
        if self.config.activation == "relu":
            hidden = torch.relu_(hidden)  # in place on a non-view: no copy, one buffer less
        else:
            hidden = self.activation(hidden)
        # 2-D matrices from here on (3-D inputs to Linear cost copies in the backward pass)
        return self.head(hidden.view(b * g, -1)).view(b, g)

    # ------------------------------------------------------------------ forwards
    def forward_block(
        self, sample_index: torch.Tensor, gene_index: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Predict the (len(sample_index), len(gene_index) or n_genes) block of sample rows."""
        return self.decode(self.sample_embedding[sample_index], self.gene_part(gene_index))

    def forward_pairs(self, sample_index: torch.Tensor, gene_index: torch.Tensor) -> torch.Tensor:
        """Reference per-pair form: (n_pairs,) predictions for index pairs, as in the paper."""
        x = torch.cat([self.sample_embedding[sample_index], self.gene_embedding[gene_index]], 1)
        weight = torch.cat([self.first_sample, self.first_gene], 1)
        hidden = self.activation(torch.addmm(self.first_bias, x, weight.t()))
        return self.head(hidden).squeeze(-1)

    forward = forward_block

    def flops_per_pair(self) -> int:
        """Multiply-adds x 2 of one forward per pair, block form (the broadcast add counted)."""
        widths = self.config.hidden
        flops = widths[0]  # broadcast add
        for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
            flops += 2 * w_in * w_out
        return flops + 2 * widths[-1]
