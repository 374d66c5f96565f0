"""The workloads, one line each: key -> the module that holds its ``WORKLOAD``.

To add a workload, write one module with ``WORKLOAD = Workload(...)`` (see
``benchmarks/spec.py`` and any module below for the pattern) and add its line here.
The order is the order of the report.
"""

from __future__ import annotations

import importlib

from benchmarks.spec import Workload

WORKLOADS: dict[str, str] = {
    "W1": "benchmarks.w1_scalar_mlp",
    "W2": "benchmarks.w2_deep_chain",
    "W3": "benchmarks.w3_tensor_mlp",
    "W3s": "benchmarks.w3s_sequential",
    "BL": "benchmarks.blas_products",
    "W3a": "benchmarks.w3a_adam",
    "W3o": "benchmarks.w3o_overhead",
    "W3f": "benchmarks.w3f_fit",
    "SC": "benchmarks.scaling",
    "W4": "benchmarks.w4_small_ops",
    "W5": "benchmarks.w5_digits_cnn",
    "W6": "benchmarks.w6_lstm",
    "PG": "benchmarks.playground",
}


def load(key: str) -> Workload:
    """The workload registered under ``key``."""
    workload = importlib.import_module(WORKLOADS[key]).WORKLOAD
    if workload.key != key:
        raise RuntimeError(f"{WORKLOADS[key]} declares {workload.key!r}, registered as {key!r}")
    return workload
