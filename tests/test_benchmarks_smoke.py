"""Smoke test of the side-by-side benchmark runner (issue 8).

Runs ``python -m benchmarks --quick`` in-process (a few seconds) and checks the JSON it
writes. It never asserts a speed: timings depend on the machine, not on correctness.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is not installed; it lives beside tests/
    sys.path.insert(0, str(ROOT))

from benchmarks import runner  # noqa: E402
from benchmarks.inputs import flatten_neuron_order, make_moons  # noqa: E402

#: Rows that are failures by design: micrograd at Python's default recursion limit.
EXPECTED_FAILURES = {"micrograd (default limit)"}


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run every workload once on quick sizes and load the JSON it wrote."""
    path = tmp_path_factory.mktemp("bench") / "results.json"
    assert runner.main(["--quick", "--json", str(path)]) == 0
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_workload_is_reported(quick_results: dict[str, Any]) -> None:
    assert set(quick_results["workloads"]) == set(runner.WORKLOADS)


def test_engines_that_ran_have_positive_numbers(quick_results: dict[str, Any]) -> None:
    for key, workload in quick_results["workloads"].items():
        ran = [row for row in workload["results"] if row["status"] == "ok"]
        assert ran, f"{key}: no engine ran at all"
        for row in ran:
            where = f"{key} {row['engine']} size {row['size']}"
            assert row["samples"], f"{where}: no timed samples"
            assert all(sample > 0 for sample in row["samples"]), where
            assert row["median"] > 0, where
            assert row["checks"] and np.all(np.isfinite(row["checks"])), where


def test_no_engine_failed_unexpectedly(quick_results: dict[str, Any]) -> None:
    failed = [
        f"{key} {row['engine']} size {row['size']}: {row['note']}"
        for key, workload in quick_results["workloads"].items()
        for row in workload["results"]
        if row["status"] == "failed" and row["engine"] not in EXPECTED_FAILURES
    ]
    assert not failed, "\n".join(failed)


def test_engines_agree_on_their_check_values(quick_results: dict[str, Any]) -> None:
    disagreements = [note for workload in quick_results["workloads"].values()
                     for note in workload["notes"] if note.startswith("check of call")]
    assert not disagreements, "\n".join(disagreements)


def test_machine_and_targets_are_recorded(quick_results: dict[str, Any]) -> None:
    machine = quick_results["machine"]
    assert machine["cpu"] and machine["cores"] >= 1 and machine["numpy"]
    assert quick_results["targets"]
    assert {t["verdict"] for t in quick_results["targets"]} <= {"PASS", "MISS", "n/a"}


def test_only_and_repeats_flags(tmp_path: Path) -> None:
    path = tmp_path / "w4.json"
    assert runner.main(["--quick", "--only", "w4", "--repeats", "1", "--json", str(path)]) == 0
    data = json.loads(path.read_text(encoding="utf-8"))
    assert list(data["workloads"]) == ["W4"]
    peers = [r for r in data["workloads"]["W4"]["results"]
             if r["status"] == "ok" and r["engine"] != "tinygrad_dk"]
    assert all(len(r["samples"]) == 1 for r in peers)


def test_unknown_workload_is_rejected() -> None:
    with pytest.raises(SystemExit):
        runner.main(["--only", "W9"])


def test_moons_are_two_balanced_labelled_half_circles() -> None:
    X, y = make_moons(100, noise=0.1, seed=0)
    assert X.shape == (100, 2) and y.shape == (100,)
    assert sorted(set(y.tolist())) == [-1.0, 1.0] and (y == 1).sum() == 50
    X_again, y_again = make_moons(100, noise=0.1, seed=0)
    assert np.array_equal(X, X_again) and np.array_equal(y, y_again)


def test_flat_weights_follow_neuron_order() -> None:
    W, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([5.0, 6.0])
    assert flatten_neuron_order([(W, b)]) == [1.0, 2.0, 5.0, 3.0, 4.0, 6.0]
