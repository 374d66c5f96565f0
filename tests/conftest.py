"""Shared pytest and hypothesis configuration for the whole test suite.

Hypothesis profiles (choose with ``HYPOTHESIS_PROFILE=<name> pytest``):

* ``default``: modest example counts, so the core suite runs in well under a
  minute on two cores while still trying many random shapes and values;
* ``ci`` (the default when the environment variable ``CI`` is true): fewer
  examples, derandomized (the same examples every run), no deadline (shared CI
  machines have noisy timing), and printing the blob needed to reproduce any
  failure;
* ``thorough``: many more examples, for a long local run before a release.

Tests that set ``@settings(max_examples=...)`` themselves keep their own count.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Gradient checks are slow per example (two forward passes per input element),
# and a too_slow health check would only add noise, so it is suppressed.
_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])

settings.register_profile("default", max_examples=25, **_COMMON)
settings.register_profile("ci", max_examples=15, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("thorough", max_examples=300, **_COMMON)
# CI (which sets CI=true) runs the derandomized profile: the same examples every run.
_DEFAULT_PROFILE = "ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "default"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _DEFAULT_PROFILE))


@pytest.fixture
def rng():
    """A numpy Generator with a fixed seed: the same numbers in every run."""
    return np.random.default_rng(12345)
