"""Turning DOT source into pictures, with or without a system Graphviz.

The ``graphviz`` Python package only writes DOT text; to get an SVG or PNG it runs
an executable literally called ``dot``, which a fresh laptop or a school lab rarely
has. This module finds a renderer itself, in this order:

1. the environment variable ``TINYGRAD_DK_DOT`` (path or name of any program that
   is called like ``dot``), for when you want to choose;
2. a system ``dot`` on ``PATH`` (the real Graphviz: every output format, pdf too);
3. ``graphviz-pure``, the pip-installed Graphviz that is a dependency of
   tinygrad-dk, looked up on ``PATH`` *and* next to the running Python, because a
   virtual environment that was never activated is not on ``PATH``.

``Digraph`` is ``graphviz.Digraph`` with ``pipe``, ``render`` and the Jupyter
display hooks redirected to that renderer, so ``draw_graph(y)`` shows up inline in
a notebook and ``.render()`` works on a machine without Graphviz installed.

This module is plain Graphviz plumbing and knows nothing about computation graphs;
``viz.graph`` draws them and ``viz.render`` (a function in ``viz.graph``) writes them.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import graphviz

ENV_VAR = "TINYGRAD_DK_DOT"

# What graphviz-pure 0.2 can write (from its "Format not recognized" message).
# It has no pdf/ps writer: those need the system Graphviz.
PURE_FORMATS = frozenset(
    "canon dot dot_json gv jpe jpeg jpg json json0 plain plain-ext png svg "
    "xdot xdot1.2 xdot1.4 xdot_json".split()
)

INSTALL_HELP = (
    "Install a renderer with `pip install graphviz-pure` (pure Python wheel, no system "
    "package; writes svg, png and jpg), or install the system Graphviz for every format "
    "including pdf (`sudo apt install graphviz`, `brew install graphviz`, "
    "`conda install graphviz`, or https://graphviz.org/download/). "
    f"You can also point the environment variable {ENV_VAR} at a dot-compatible program."
)


def _script_dirs() -> list[Path]:
    """Folders where pip puts console scripts for the running interpreter."""
    dirs = []
    scripts = sysconfig.get_path("scripts")
    if scripts:
        dirs.append(Path(scripts))
    dirs.append(Path(sys.executable).parent)
    return dirs


def find_renderer() -> str | None:
    """Return the path of the program used to render graphs, or None if there is none.

    Looks at ``$TINYGRAD_DK_DOT``, then a system ``dot`` on PATH, then
    ``graphviz-pure`` on PATH or in this Python's scripts folder.
    """
    override = os.environ.get(ENV_VAR)
    if override:
        found = shutil.which(override)
        if found is None:
            raise RuntimeError(
                f"{ENV_VAR}={override!r} is not an executable program. Set it to the full "
                f"path of `dot` or `graphviz-pure`, or unset it to let tinygrad_dk search."
            )
        return found
    for name in ("dot", "graphviz-pure"):
        found = shutil.which(name)
        if found:
            return found
    for folder in _script_dirs():
        found = shutil.which("graphviz-pure", path=str(folder))
        if found:
            return found
    return None


@lru_cache(maxsize=16)
def _is_graphviz_pure(executable: str) -> bool:
    """True when ``executable`` is graphviz-pure (asks it for its version once)."""
    if "graphviz-pure" in Path(executable).name:
        return True
    try:
        done = subprocess.run([executable, "-V"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"graphviz-pure" in done.stdout + done.stderr


def _require_renderer(fmt: str) -> str:
    """The renderer to use for ``fmt``; a clear RuntimeError when there is none or it can't."""
    exe = find_renderer()
    if exe is None:
        raise RuntimeError(f"No Graphviz renderer found. {INSTALL_HELP}")
    if _is_graphviz_pure(exe) and fmt not in PURE_FORMATS:
        raise RuntimeError(
            f"graphviz-pure ({exe}) cannot write {fmt!r}; it writes "
            f"{', '.join(sorted({'svg', 'png', 'jpg', 'json', 'dot'}))} and a few text "
            "formats. For pdf install the system Graphviz (`sudo apt install graphviz`, "
            "`brew install graphviz`, `conda install graphviz`) or render svg/png instead."
        )
    return exe


def run_renderer(source: str, fmt: str, engine: str = "dot") -> bytes:
    """Lay out DOT ``source`` and return the picture in format ``fmt`` as bytes."""
    exe = _require_renderer(fmt)
    cmd = [exe, f"-K{engine}", f"-T{fmt}"]
    done = subprocess.run(cmd, input=source.encode("utf-8"), capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed with exit code {done.returncode}:\n"
            f"{done.stderr.decode('utf-8', 'replace').strip()}"
        )
    return done.stdout


def _fmt_from_path(path: Path, fmt: str | None) -> str:
    if fmt:
        return fmt.lower()
    suffix = path.suffix.lstrip(".").lower()
    return suffix or "svg"


def write_picture(source: str, path: str | os.PathLike, fmt: str | None = None,
                  engine: str = "dot") -> str:
    """Render DOT ``source`` into the file ``path`` and return the path as a string.

    Without any renderer the DOT text is saved next to ``path`` (as ``<name>.dot``)
    and a RuntimeError says where it is and how to install a renderer.
    """
    out = Path(path)
    fmt = _fmt_from_path(out, fmt)
    if find_renderer() is None:
        dot_path = out.with_suffix(".dot")
        with _naming(dot_path):
            dot_path.parent.mkdir(parents=True, exist_ok=True)
            dot_path.write_text(source, encoding="utf-8")
        raise RuntimeError(
            f"No Graphviz renderer found, so {out} was not drawn. The graph's DOT source "
            f"was saved to {dot_path} (paste it into https://dreampuf.github.io/GraphvizOnline "
            f"or render it later). {INSTALL_HELP}"
        )
    data = run_renderer(source, fmt, engine)
    with _naming(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return str(out)


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Turn an OSError while writing ``path`` into one that names it and says what to do."""
    try:
        yield
    except OSError as err:
        what = {errno.EACCES: "the folder is not writable for you",
                errno.EROFS: "the file system is read-only",
                errno.EISDIR: "that name is a folder"}.get(err.errno, err.strerror or str(err))
        message = (f"cannot write the picture {str(path)!r}: {what}. Render into a folder "
                   "you can write (e.g. the current folder or your home folder)")
        raise (type(err)(message) if err.errno is None
               else type(err)(err.errno, message)) from None


class Digraph(graphviz.Digraph):
    """``graphviz.Digraph`` that renders with the program ``find_renderer()`` picks.

    Everything else (``.source``, ``.node``, ``.edge``, ``.save``) is unchanged.
    """

    def pipe(self, format: str | None = None, *args: Any, engine: str | None = None,
             encoding: str | None = None, **kwargs: Any) -> bytes | str:
        """Return the rendered picture (bytes, or str when ``encoding`` is given)."""
        data = run_renderer(self.source, format or self.format, engine or self.engine)
        return data.decode(encoding) if encoding else data

    def render(self, filename: str | os.PathLike | None = None,
               directory: str | os.PathLike | None = None, view: bool = False,
               cleanup: bool = False, format: str | None = None, *args: Any,
               outfile: str | os.PathLike | None = None, engine: str | None = None,
               **kwargs: Any) -> str:
        """Save the DOT source and render it, like ``graphviz.Digraph.render``.

        Returns the path of the picture: ``outfile`` if given, else
        ``<filename>.<format>`` as the graphviz package does.
        """
        if outfile is not None:
            target = Path(outfile)
            fmt = _fmt_from_path(target, format)
            if directory is not None:
                target = Path(directory) / target
            source_path = Path(filename) if filename else target.with_suffix(".gv")
        else:
            fmt = format or self.format
            source_path = Path(filename or self.filename)
            target = Path(f"{source_path}.{fmt}")
        if directory is not None and not source_path.is_absolute():
            source_path = Path(directory) / source_path
        with _naming(source_path):
            source_path.parent.mkdir(parents=True, exist_ok=True)
            source_path.write_text(self.source, encoding="utf-8")
        rendered = write_picture(self.source, target, fmt, engine or self.engine)
        if cleanup:
            source_path.unlink()
        if view:
            self._view(rendered, format=fmt, quiet=False)
        return rendered

    def _repr_svg_(self) -> str:
        """SVG for Jupyter and other rich displays."""
        return self.pipe(format="svg", encoding="utf-8")  # type: ignore[return-value]
