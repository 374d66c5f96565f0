"""``torch.distributions`` here: ``import tinygrad_dk as torch; torch.distributions.Normal``.

Probability distributions with PyTorch's names, arguments and shapes, written with the
engine's Tensor operations so that ``log_prob``, ``entropy``, ``rsample`` and
``kl_divergence`` are differentiable in the parameters:

* ``distribution.py``: the base class (shapes, sampling, validation, ``expand``);
* ``constraints.py``: where parameters and values may lie (for ``validate_args``);
* ``continuous.py``: Normal, LogNormal, Laplace, Uniform, Exponential;
* ``discrete.py``: Bernoulli, Categorical, OneHotCategorical, Poisson;
* ``multivariate.py``: MultivariateNormal, Independent;
* ``kl.py``: ``kl_divergence`` and ``register_kl``.
"""

from tinygrad_dk.distributions import constraints
from tinygrad_dk.distributions.continuous import Exponential, Laplace, LogNormal, Normal, Uniform
from tinygrad_dk.distributions.discrete import Bernoulli, Categorical, OneHotCategorical, Poisson
from tinygrad_dk.distributions.distribution import Distribution
from tinygrad_dk.distributions.kl import kl_divergence, register_kl
from tinygrad_dk.distributions.multivariate import Independent, MultivariateNormal

__all__ = ["Distribution", "Normal", "LogNormal", "Laplace", "Uniform", "Exponential",
           "Bernoulli", "Categorical", "OneHotCategorical", "Poisson", "MultivariateNormal",
           "Independent", "kl_divergence", "register_kl", "constraints"]
