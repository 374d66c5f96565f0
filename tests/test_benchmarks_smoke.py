"""Smoke test of the side-by-side benchmark runner (issues 8 and 17).

Runs ``python -m benchmarks --quick`` (each engine in its own worker process; about
half a minute, most of it starting PyTorch) and checks the JSON it writes. It never
asserts a speed: timings depend on the machine, not on correctness.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is not installed; it lives beside tests/
    sys.path.insert(0, str(ROOT))

from benchmarks import registry, runner  # noqa: E402
from benchmarks.inputs import flatten_neuron_order, make_moons  # noqa: E402
from benchmarks.processes import Worker, WorkerDied  # noqa: E402
from benchmarks.spec import OURS, Plan, Settings  # noqa: E402

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


def test_only_repeats_and_threads_flags(tmp_path: Path) -> None:
    path = tmp_path / "w1.json"
    assert runner.main(["--quick", "--only", "w1", "--repeats", "1", "--threads", "1",
                        "--json", str(path)]) == 0
    data = json.loads(path.read_text(encoding="utf-8"))
    assert list(data["workloads"]) == ["W1"]
    rows = [r for r in data["workloads"]["W1"]["results"] if r["status"] == "ok"]
    ours = [r for r in rows if r["engine"] == OURS]
    others = [r for r in rows if r["engine"] != OURS]
    assert len(ours) == 1, "our engine did not run"  # else the checks below check nothing
    assert all(len(r["samples"]) == 1 for r in others)
    # ours, the reference, takes one turn right before each other engine's (or one alone)
    assert len(ours[0]["samples"]) == max(1, len(others))
    assert data["machine"]["thread_variables"]["OMP_NUM_THREADS"] == "1"
    assert all(r["info"]["blas_threads"] in (1, None) for r in rows)


def test_each_engine_runs_in_its_own_process(quick_results: dict[str, Any]) -> None:
    for key, workload in quick_results["workloads"].items():
        pids = {row["engine"]: row["info"]["pid"] for row in workload["results"]
                if row["status"] == "ok"}
        assert os.getpid() not in pids.values(), key
        assert len(set(pids.values())) == len(pids), f"{key}: engines shared a process {pids}"


def test_ratios_come_from_rounds_and_faults_and_memory_are_counted(
        quick_results: dict[str, Any]) -> None:
    rows = {row["engine"]: row for row in quick_results["workloads"]["W3s"]["results"]}
    ours, numpy_row = rows[OURS], rows["numpy"]
    assert ours["ratio"] is None and ours["round_ratios"] == []
    assert numpy_row["round_ratios"] and numpy_row["ratio"] == pytest.approx(
        float(np.median(numpy_row["round_ratios"])))
    assert ours["faults_per_call"] is not None and ours["faults_per_call"] >= 0
    # tracemalloc sees numpy's arrays: a step of ours allocates at least its activations
    batch, hidden = 32, 32
    assert ours["peak_bytes"] > batch * hidden * 4
    assert rows["torch"]["peak_bytes"] is None or rows["torch"]["status"] != "ok"


def test_unchecked_rows_and_threads_are_reported(quick_results: dict[str, Any]) -> None:
    fit_rows = {row["engine"] for row in quick_results["workloads"]["W3f"]["results"]}
    assert fit_rows == {"nn.fit", "hand loop", "hand loop, steps only"}
    threads = quick_results["machine"]["worker_threads"]
    assert threads[OURS]["blas_threads"] is None or threads[OURS]["blas_threads"] >= 1


def test_plan_follows_repeats_and_rounds() -> None:
    plan = Plan(warmup=20, rounds=5, calls=30, settle=3)
    assert plan.adjusted(Settings()) == plan
    assert plan.adjusted(Settings(repeats=1)) == Plan(warmup=20, rounds=1, calls=1, settle=3)
    assert plan.adjusted(Settings(repeats=12, rounds=4)) == Plan(20, 4, 3, 3)


def test_every_registered_module_declares_its_key() -> None:
    for key in registry.WORKLOADS:
        workload = registry.load(key)
        assert workload.key == key and workload.engines and workload.sizes(True)


def test_a_worker_that_dies_is_reported_with_its_error() -> None:
    worker = Worker("test")
    try:
        with pytest.raises(WorkerDied, match="KeyError"):
            worker.ask(op="build", workload="no such workload", engine=OURS, size=1,
                       quick=True)
    finally:
        worker.close()


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


def test_products_rows_do_the_same_products_as_the_step() -> None:
    # The informational rows of W3s time the step's matrix products alone: they must be
    # the same eight products for numpy and PyTorch, of the shapes the step's own
    # forward pass and gradients have.
    from benchmarks import mlp_steps
    from benchmarks.results import Measurement, WorkloadResult

    setup = mlp_steps.Setup((12, 8, 6, 3), 5)
    weights, _, _ = setup.problem()
    numpy_check, numpy_outs = mlp_steps.products("numpy", setup)()
    forward = [(5, 8), (5, 6), (5, 3)]
    weight_grads = [w.shape for w in weights[0::2]][::-1]
    assert [o.shape for o in numpy_outs[:3]] == forward
    assert [numpy_outs[i].shape for i in (3, 5, 7)] == weight_grads
    assert [numpy_outs[i].shape for i in (4, 6)] == [(5, 6), (5, 8)]  # input gradients
    if importlib.util.find_spec("torch") is not None:  # PyTorch's row, where installed
        torch_check, torch_outs = mlp_steps.products("torch", setup)()
        assert torch_check == pytest.approx(numpy_check, rel=1e-5)
        for a, b in zip(numpy_outs, torch_outs, strict=True):
            np.testing.assert_allclose(a, b.numpy(), rtol=1e-5, atol=1e-5)

    result = WorkloadResult("W3s", "t")
    result.measurements += [Measurement(mlp_steps.PRODUCTS["numpy"], 5, "ms/step", [3.0]),
                            Measurement(mlp_steps.PRODUCTS["torch"], 5, "ms/step", [2.0])]
    mlp_steps.products_note(result)
    assert "numpy/PyTorch 1.50" in result.notes[0]


def test_each_product_of_workload_bl_is_labelled_with_its_shapes() -> None:
    # BL times the products one by one under these labels: each label must name the
    # shapes the product multiplies, and the product must be what the label says.
    import re

    from benchmarks import mlp_steps

    setup = mlp_steps.Setup((12, 8, 6, 3), 5)
    listed = mlp_steps.product_list("numpy", setup)
    assert len({label for label, _ in listed}) == len(listed) == 8
    for label, call in listed:
        (a_rows, a_cols), (b_rows, b_cols) = (
            map(int, m) for m in re.findall(r"\((\d+)x(\d+)\)", label))
        out = call()
        if "^T" in label:  # (n x out)^T (n x in): the weight gradient, out x in
            assert a_rows == b_rows and out.shape == (a_cols, b_cols), label
        else:
            assert a_cols == b_rows and out.shape == (a_rows, b_cols), label
    # the whole labels: the shapes above are only checked against each other and the
    # result, so the dimension a product sums over must also be the step's own
    assert [label for label, _ in listed] == [
        "forward 0: (5x12) (12x8)", "forward 1: (5x8) (8x6)", "forward 2: (5x6) (6x3)",
        "W grad 2: (5x3)^T (5x6)", "x grad 2: (5x3) (3x6)", "W grad 1: (5x6)^T (5x8)",
        "x grad 1: (5x6) (6x8)", "W grad 0: (5x8)^T (5x12)"]
