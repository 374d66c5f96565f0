"""The guide's notebook (docs/kom-i-gang.ipynb) runs top to bottom in a real Jupyter kernel.

A real kernel (nbclient + ipykernel, both in the test extra) is the only way to see
what a student sees: the inline matplotlib backend, the display of a cell's value,
and the figures shown at the end of a cell. So the test also checks that every cell
ending in a `viz.plot_*` call shows exactly one picture (a figure returned by a
function used to be shown twice) and that the graph cell shows an SVG.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("matplotlib")
# Only ask whether nbclient and ipykernel are installed: the notebook runs in a child
# process, because running a kernel imports ipykernel, and code that checks
# sys.modules for it (nn.fit's progress bar) would then think this process is a notebook.
for _name in ("nbclient", "ipykernel"):
    if importlib.util.find_spec(_name) is None:
        pytest.skip(f"{_name} is not installed", allow_module_level=True)

RUN = """
import sys, nbformat, nbclient
notebook = nbformat.read(sys.argv[1], as_version=4)
nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[3]}}).execute()
nbformat.write(notebook, sys.argv[2])
"""

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "kom-i-gang.ipynb"


def images(cell: dict, mime: str = "image/png") -> int:
    return sum(mime in output.get("data", {}) for output in cell.get("outputs", []))


def test_notebook_runs_and_each_plot_shows_once(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # the kernel is a new process with this environment: it must import this checkout
    # and choose Jupyter's inline matplotlib backend itself
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    executed = tmp_path / "executed.ipynb"
    done = subprocess.run([sys.executable, "-c", RUN, str(NOTEBOOK), str(executed),
                           str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]  # CellExecutionError with the traceback
    notebook = nbformat.read(executed, as_version=4)

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    plots = [cell for cell in code if cell.source.strip().splitlines()[-1].startswith("viz.plot_")]
    assert len(plots) >= 4
    for cell in plots:
        assert images(cell) == 1, f"shown {images(cell)} times:\n{cell.source}"
    graph = next(cell for cell in code if "viz.draw_graph" in cell.source)
    assert images(graph, "image/svg+xml") == 1
    printed = "".join(output.get("text", "") for cell in code for output in cell.outputs)
    assert "bedste epoke:" in printed and "(talt fra 0)" in printed
