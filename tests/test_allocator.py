"""``tinygrad_dk.allocator``: freed memory is kept for the next step (glibc), harmless elsewhere.

The behaviour tests run in fresh Python processes: the malloc settings are process-wide
and only apply once, and counting page faults needs an allocator in a known state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tinygrad_dk import allocator

ROOT = Path(__file__).resolve().parents[1]
ON_GLIBC = hasattr(os, "confstr") and (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
needs_glibc = pytest.mark.skipif(not ON_GLIBC, reason="the setting exists on glibc only")

#: Allocate four 1 MiB arrays and free them, 30 times: with glibc's default thresholds
#: the freed 4 MiB lie beyond the trim threshold and go back to the OS every time.
CHURN = """
import json, resource, numpy as np
from tinygrad_dk import allocator
applied = allocator.keep_freed_memory() if KEEP else False
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for i in range(30):
    if i == 10:
        before = faults()
    arrays = [np.ones(2**18, dtype=np.float32) for _ in range(4)]
    del arrays
print(json.dumps({"applied": applied, "faults_per_round": (faults() - before) / 20}))
"""

#: A training loop whose arrays (256 x 256 float32: 256 KiB) are beyond glibc's default
#: thresholds: the setting comes with the first backward.
TRAINING = """
import json, resource, numpy as np
import nn
from nn import optim
from tinygrad_dk import Tensor, allocator
rng = np.random.default_rng(0)
X = Tensor(rng.standard_normal((256, 256), dtype=np.float32))
y = Tensor(rng.integers(0, 10, 256))
model = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
for step in range(15):
    if step == 5:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    opt.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    opt.step()
after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
applied = allocator.keep_freed_memory()
print(json.dumps({"applied": applied, "faults_per_step": (after - before) / 10}))
"""


def run_fresh(script: str, **env: str) -> dict:
    """Run ``script`` in a new interpreter (this checkout first on the path); its JSON."""
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("MALLOC_", "GLIBC_TUNABLES", allocator.SWITCH))}
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT), environment.get("PYTHONPATH", "")])
    environment.update(env)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], env=environment,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@needs_glibc
def test_kept_memory_is_reused_without_page_faults():
    kept = run_fresh("KEEP = True\n" + CHURN)
    assert kept["applied"] is True
    assert kept["faults_per_round"] < 5  # the same heap memory, round after round
    default = run_fresh("KEEP = False\n" + CHURN)
    assert default["faults_per_round"] > 500  # ~1,000: 4 MiB back from the OS each round


@needs_glibc
def test_training_turns_it_on_and_steps_take_no_fresh_memory():
    trained = run_fresh(TRAINING)
    assert trained["applied"] is True
    assert trained["faults_per_step"] < 5


@needs_glibc
def test_the_environment_variable_switches_it_off():
    left_alone = run_fresh("KEEP = True\n" + CHURN, **{allocator.SWITCH: "0"})
    assert left_alone["applied"] is False
    assert left_alone["faults_per_round"] > 500


def test_other_c_libraries_are_left_alone(monkeypatch):
    monkeypatch.setattr(allocator, "_state", {"tried": False, "applied": False})
    monkeypatch.setattr(allocator.os, "confstr", lambda name: None)  # as on musl or macOS
    assert allocator.keep_freed_memory() is False
    assert allocator.keep_freed_memory() is False  # tried once, then only reports
