"""Finding a renderer and writing pictures, with and without a system Graphviz."""

from __future__ import annotations

import importlib
import os
import shutil
import stat
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import viz
from tinygrad_dk import Value

# ``viz.render`` is a function; the Graphviz plumbing is the module viz.renderer.
vr = importlib.import_module("viz.renderer")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def small_graph() -> Value:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    y = a * b + a
    y.label = "y"
    y.backward()
    return y


def pure_in_scripts() -> str | None:
    """graphviz-pure as installed next to this interpreter (how pip installs it)."""
    for folder in vr._script_dirs():
        found = shutil.which("graphviz-pure", path=str(folder))
        if found:
            return found
    return None


needs_pure = pytest.mark.skipif(pure_in_scripts() is None,
                                reason="graphviz-pure not installed next to this Python")


@pytest.fixture
def no_path(monkeypatch, tmp_path):
    """PATH is an empty folder: no system dot, no activated venv; no override either."""
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv(vr.ENV_VAR, raising=False)
    return empty


def wrapper_script(folder: Path, target: str, marker: Path) -> Path:
    """An executable that records it was called, then runs ``target`` with the same args."""
    script = folder / "my-dot"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{marker}"\nexec "{target}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


@needs_pure
def test_interpreter_scripts_folder_is_found_without_path(no_path, tmp_path):
    assert shutil.which("dot") is None
    assert viz.find_renderer() == pure_in_scripts()
    out = viz.render(small_graph(), tmp_path / "g.svg")
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")


@needs_pure
def test_png_is_written_with_graphviz_pure(no_path, tmp_path):
    out = Path(viz.render(small_graph(), tmp_path / "g.png"))
    data = out.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000


@needs_pure
def test_format_argument_adds_the_extension(no_path, tmp_path):
    out = viz.render(small_graph(), tmp_path / "graph", format="svg")
    assert out.endswith("graph.svg") and Path(out).read_text().lstrip().startswith("<?xml")


@needs_pure
def test_pdf_needs_system_graphviz_and_says_so(no_path, tmp_path):
    with pytest.raises(RuntimeError, match="system Graphviz"):
        viz.render(small_graph(), tmp_path / "g.pdf")


@needs_pure
def test_env_override_wins(monkeypatch, tmp_path):
    marker = tmp_path / "calls.txt"
    script = wrapper_script(tmp_path, pure_in_scripts(), marker)
    monkeypatch.setenv(vr.ENV_VAR, str(script))
    assert viz.find_renderer() == str(script)
    svg = viz.draw_graph(small_graph()).pipe(format="svg", encoding="utf-8")
    assert "<svg" in svg
    assert "-Tsvg" in marker.read_text()  # the override really drew the picture
    # Not named graphviz-pure, but recognised by its -V answer: pdf is refused clearly.
    with pytest.raises(RuntimeError, match="cannot write 'pdf'"):
        viz.render(small_graph(), tmp_path / "g.pdf")


def test_env_override_pointing_nowhere_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv(vr.ENV_VAR, str(tmp_path / "no-such-dot"))
    with pytest.raises(RuntimeError, match=vr.ENV_VAR):
        viz.find_renderer()


def test_no_renderer_writes_dot_file_and_explains(monkeypatch, tmp_path):
    monkeypatch.setattr(vr, "find_renderer", lambda: None)
    target = tmp_path / "out" / "graph.svg"
    with pytest.raises(RuntimeError) as info:
        viz.render(small_graph(), target)
    dot_file = tmp_path / "out" / "graph.dot"
    assert dot_file.exists()
    assert dot_file.read_text().startswith("digraph")
    message = str(info.value)
    assert str(dot_file) in message
    assert "pip install graphviz-pure" in message
    assert "system Graphviz" in message
    assert not target.exists()


def test_no_renderer_pipe_explains(monkeypatch):
    monkeypatch.setattr(vr, "find_renderer", lambda: None)
    with pytest.raises(RuntimeError, match="pip install graphviz-pure"):
        viz.draw_graph(small_graph()).pipe(format="svg")


@needs_pure
def test_digraph_render_and_jupyter_hooks(no_path, tmp_path):
    dot = viz.draw_graph(small_graph())
    out = dot.render(outfile=tmp_path / "r.svg")
    assert Path(out).read_text().count('class="node"') == 4 + 2
    assert (tmp_path / "r.gv").exists()  # the DOT source is kept next to it, as graphviz does
    classic = dot.render(filename=tmp_path / "classic", format="png", cleanup=True)
    assert classic == str(tmp_path / "classic.png")
    assert Path(classic).read_bytes().startswith(PNG_SIGNATURE)
    assert not (tmp_path / "classic").exists()
    bundle = dot._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]
    assert dot._repr_mimebundle_(include=["image/png"])["image/png"].startswith(PNG_SIGNATURE)
    assert "<svg" in dot._repr_svg_()


@needs_pure
def test_render_accepts_a_ready_graphviz_graph(no_path, tmp_path):
    import graphviz

    g = graphviz.Digraph()
    g.edge("a", "b")
    out = viz.render(g, tmp_path / "plain.svg")
    assert Path(out).read_text().count('class="edge"') == 1


def test_renderer_failure_reports_stderr(monkeypatch):
    if vr.find_renderer() is None:
        pytest.skip("no renderer")
    with pytest.raises(RuntimeError, match="exit code"):
        vr.run_renderer("digraph { this is not dot ", "svg")


@pytest.mark.skipif(shutil.which("dot") is None, reason="no system Graphviz dot")
def test_system_dot_is_preferred_and_writes_pdf(monkeypatch, tmp_path):
    monkeypatch.delenv(vr.ENV_VAR, raising=False)
    assert viz.find_renderer() == shutil.which("dot")
    out = Path(viz.render(small_graph(), tmp_path / "g.pdf"))
    assert out.read_bytes().startswith(b"%PDF")


def test_scripts_folders_include_the_interpreters_own():
    assert Path(sys.executable).parent in vr._script_dirs()
    assert os.environ.get("PATH") is not None
