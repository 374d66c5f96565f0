"""Side-by-side benchmarks of tinygrad_dk against its peers (issue 8).

Run ``python -m benchmarks`` from the repository root; see ``benchmarks/README.md``.
One module per workload (``w1_scalar_mlp`` ... ``w4_small_ops``); ``timing`` holds the
alternating timer, ``peers`` the imports, ``report`` the table, targets and JSON.
"""
