"""The README's Python examples run, in order, and print what their comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_examples_for_both_engines():
    code = "\n".join(python_blocks())
    assert "from tinygrad_dk import Value" in code and "from tinygrad_dk import Tensor" in code
    assert "nn.fit(" in code and "gradcheck(" in code and "viz.render(" in code


def test_readme_examples_run_and_match_their_comments(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)  # viz.render writes neuron.svg here
    namespace: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for block in python_blocks():
            exec(compile(block, str(README), "exec"), namespace)  # noqa: S102
    lines = printed.getvalue().splitlines()
    assert lines[0].startswith("0.7071")                       # tanh neuron output
    assert [round(float(v), 9) for v in lines[1].split()] == [1.0, -1.5]  # w1.grad, x1.grad
    assert "[-1.01, 1.09, 1.14, -1.1]" in printed.getvalue()     # scalar MLP scores
    assert "[0. 1. 1. 0.]" in printed.getvalue()                 # tensor XOR
    assert "11 0.993" in printed.getvalue()                      # fit with early stopping
    assert "(8, 10)" in printed.getvalue()                       # the CNN's scores
    assert "(4, 12, 16) (1, 4, 16)" in printed.getvalue()        # LSTM output and h_n
    assert (tmp_path / "neuron.svg").stat().st_size > 1000
