"""The guide's notebook (docs/kom-i-gang.ipynb) runs top to bottom in a real Jupyter kernel.

A real kernel (nbclient + ipykernel, both in the test extra) is the only way to see
what a student sees: the inline matplotlib backend, the display of a cell's value,
and the figures shown at the end of a cell. So the test also checks that every cell
ending in a `viz.plot_*` call shows exactly one picture (a figure returned by a
function used to be shown twice) and that the graph cell shows an SVG.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "kom-i-gang.ipynb"


def images(cell: dict, mime: str = "image/png") -> int:
    return sum(mime in output.get("data", {}) for output in cell.get("outputs", []))


def test_notebook_runs_and_each_plot_shows_once(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # the kernel is a new process with this environment: it must import this checkout
    # and choose Jupyter's inline matplotlib backend itself
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the traceback, if a cell fails

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    plots = [cell for cell in code if cell.source.strip().splitlines()[-1].startswith("viz.plot_")]
    assert len(plots) >= 4
    for cell in plots:
        assert images(cell) == 1, f"shown {images(cell)} times:\n{cell.source}"
    graph = next(cell for cell in code if "viz.draw_graph" in cell.source)
    assert images(graph, "image/svg+xml") == 1
    printed = "".join(output.get("text", "") for cell in code for output in cell.outputs)
    assert "bedste epoke:" in printed and "(talt fra 0)" in printed
