"""Real PyTorch programs run here after changing only their imports (issue 14's rule).

Each file in ``tests/pytorch_programs/`` is a PyTorch program that checks its own result
(``assert``). ``convert`` applies the rule, and nothing else, to its text:

1. ``import torch`` becomes ``import tinygrad_dk as torch`` followed by ``import nn``;
2. ``import torch.nn as nn`` and ``from torch import nn`` become ``import nn``;
   ``import torch.nn.functional as F`` becomes ``import nn.functional as F``;
   ``import torch.optim as optim`` and ``from torch import optim`` become ``from nn import
   optim``;
3. everywhere else, ``torch.nn.functional`` becomes ``nn.functional``, ``torch.nn`` ``nn``,
   ``torch.optim`` ``nn.optim`` and ``torch.utils.data`` ``nn.data``;
4. any other import from torch's package names the engine instead: ``from torch import X``
   becomes ``from tinygrad_dk import X``, ``from torch.distributions import Normal``
   ``from tinygrad_dk.distributions import Normal`` and ``import torch.special as S``
   ``import tinygrad_dk.special as S``.

The converted program runs on this project (whether or not PyTorch is installed); when
PyTorch is importable, the original runs on it too, which proves the programs are real
PyTorch programs (a program that imports torchvision needs it too: PyPI's torchvision
wheels are built for CUDA and do not load beside a CPU build of torch, so there that run
skips).
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import tinygrad_dk

PROGRAMS = sorted((Path(__file__).parent / "pytorch_programs").glob("p*.py"))

# rules 1 and 2: whole import statements (the line's indentation is kept)
_STATEMENTS = [
    ("import torch.nn.functional as F", ["import nn.functional as F"]),
    ("import torch.nn as nn", ["import nn"]),
    ("from torch import nn", ["import nn"]),
    ("import torch.optim as optim", ["from nn import optim"]),
    ("from torch import optim", ["from nn import optim"]),
    ("import torch", ["import tinygrad_dk as torch", "import nn"]),
]
# rule 3: names, everywhere else (longest first, so torch.nn.functional is not cut short)
_NAMES = [
    (r"\btorchvision\b", "nn.vision"),  # rule 5
    (r"\btorch\.nn\.functional\b", "nn.functional"),
    (r"\btorch\.nn\b", "nn"),
    (r"\btorch\.optim\b", "nn.optim"),
    (r"\btorch\.utils\.data\b", "nn.data"),
]

# rule 4: what is still imported from torch after rules 1-3 (its other submodules and names)
_OTHER_IMPORT = r"^(\s*from |\s*import )torch(?=[. ])"


def convert(source: str) -> str:
    """The program under the rule of the module docstring."""
    out = []
    for line in source.splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        code = line.strip().split("#", 1)[0].strip()
        for statement, replacement in _STATEMENTS:
            if code == statement:
                out += [indent + r for r in replacement]
                break
        else:
            for pattern, name in _NAMES:
                line = re.sub(pattern, name, line)
            line = re.sub(_OTHER_IMPORT, r"\1tinygrad_dk", line)  # rule 4
            out.append(line)
    return "\n".join(out) + "\n"


def _run(source: str, path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.chdir(workdir)  # programs that save files write them here
    namespace = {"__name__": "__main__", "__file__": str(path)}
    threads = tinygrad_dk.get_num_threads()  # a program's set_num_threads stays its own
    try:
        exec(compile(source, str(path), "exec"), namespace)  # noqa: S102 - our own programs
    finally:
        if tinygrad_dk.get_num_threads() != threads:
            tinygrad_dk.set_num_threads(threads)
    return namespace


def _from_pytorch(namespace: dict) -> list[str]:
    """Names in a program's namespace that come from PyTorch (a module, class or function)."""
    found = []
    for name, value in namespace.items():
        home = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", None)
        if isinstance(home, str) and home.split(".")[0] == "torch":
            found.append(name)
    return found


def test_there_are_enough_programs_and_they_are_pytorch_source():
    assert len(PROGRAMS) >= 12
    for path in PROGRAMS:
        text = path.read_text(encoding="utf-8")
        assert "import torch" in text, path.name
        assert "tinygrad_dk" not in text and "\nimport nn" not in text, path.name
        assert "assert " in text, f"{path.name} must check its own result"


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_program_runs_here_after_changing_only_its_imports(path, tmp_path, monkeypatch):
    converted = convert(path.read_text(encoding="utf-8"))
    assert "import tinygrad_dk as torch" in converted
    namespace = _run(converted, path, tmp_path, monkeypatch)
    assert namespace["torch"] is tinygrad_dk  # it really ran on this project ...
    assert _from_pytorch(namespace) == []  # ... and took nothing from PyTorch


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_program_runs_on_pytorch(path, tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    if "torchvision" in path.read_text(encoding="utf-8"):
        pytest.importorskip("torchvision")
    torch.set_num_threads(1)  # tiny programs: threads only fight over the shared cores
    namespace = _run(path.read_text(encoding="utf-8"), path, tmp_path, monkeypatch)
    assert namespace["torch"] is torch


# --- the rule itself -----------------------------------------------------------------------


def test_convert_applies_each_import_rule():
    source = "\n".join([
        "import torch",
        "import torch.nn as nn",
        "from torch import nn",
        "import torch.nn.functional as F",
        "import torch.optim as optim",
        "from torch import optim",
        "from torch.utils.data import DataLoader, TensorDataset",
        "from torch.nn import functional as G",
        "    import torch  # indented, with a comment",
        "y = torch.nn.functional.relu(torch.nn.Linear(2, 1)(x))",
        "opt = torch.optim.SGD(p, lr=0.1); s = torch.optim.lr_scheduler.StepLR(opt, 1)",
        "ds = torch.utils.data.TensorDataset(x)",
        "t = torch.tensor([1]); torchaudio = 1; torch.nnx = 2; torchvisionx = 3",
        "import torchvision",
        "import torchvision.transforms as T",
        "from torchvision import datasets, transforms",
        "from torchvision.transforms import v2",
        "g = torchvision.utils.make_grid(torchvision.transforms.functional.hflip(x))",
    ])
    assert convert(source).splitlines() == [
        "import tinygrad_dk as torch",
        "import nn",
        "import nn",
        "import nn",
        "import nn.functional as F",
        "from nn import optim",
        "from nn import optim",
        "from nn.data import DataLoader, TensorDataset",
        "from nn import functional as G",
        "    import tinygrad_dk as torch",
        "    import nn",
        "y = nn.functional.relu(nn.Linear(2, 1)(x))",
        "opt = nn.optim.SGD(p, lr=0.1); s = nn.optim.lr_scheduler.StepLR(opt, 1)",
        "ds = nn.data.TensorDataset(x)",
        "t = torch.tensor([1]); torchaudio = 1; torch.nnx = 2; torchvisionx = 3",
        "import nn.vision",
        "import nn.vision.transforms as T",
        "from nn.vision import datasets, transforms",
        "from nn.vision.transforms import v2",
        "g = nn.vision.utils.make_grid(nn.vision.transforms.functional.hflip(x))",
    ]
