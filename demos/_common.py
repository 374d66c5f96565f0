"""Small helpers shared by the demos: where output goes, and how numbers are printed.

Nothing here teaches; it only keeps the demos themselves short. A demo asks
`output_file` for a path (the folder is made), writes the file, and calls `wrote`,
which prints the path and remembers it so the tour can list every file at the end.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Files reported by `wrote` since the last `take_written()`, in order.
_written: list[Path] = []


def output_file(out_dir: Path, name: str) -> Path:
    """The path `out_dir/name`, with its folder created."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir / name


def wrote(path: Path | str) -> Path:
    """Say that `path` was written, and remember it for the tour's list."""
    path = Path(path)
    _written.append(path)
    print(f"  wrote {path}")
    return path


def take_written() -> list[Path]:
    """The files recorded by `output_file` since the last call (the list is emptied)."""
    files = list(_written)
    _written.clear()
    return files


def save_figure(fig: Any, out_dir: Path, name: str) -> Path:
    """Save a matplotlib figure as a PNG that reads well at page width, close it, say where.

    100 dots per inch makes 10-point text about 14 pixels high. The picture is stored
    with a palette of 256 colours (plots use few), which makes it about three times
    smaller than a full-colour PNG, so the guide's pictures stay small.
    """
    import matplotlib.pyplot as plt
    from PIL import Image  # Pillow comes with matplotlib

    path = output_file(out_dir, name)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    with Image.open(buffer) as image:
        image.convert("RGB").quantize(colors=256).save(path, optimize=True)
    return wrote(path)


def fmt(x: Any, digits: int = 4) -> str:
    """A number as text: floats with `digits` significant digits, the rest unchanged."""
    if isinstance(x, bool) or not isinstance(x, float):
        return str(x)
    return f"{x:.{digits}g}"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], digits: int = 4) -> None:
    """Print rows under headers in aligned columns: text left, numbers right."""
    cells = [[fmt(c, digits) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    numeric = [all(isinstance(row[i], (int, float)) for row in rows) for i in range(len(headers))]

    def line(items: Sequence[str]) -> str:
        parts = [s.rjust(w) if num else s.ljust(w) for s, w, num in zip(items, widths, numeric)]
        return "  " + "  ".join(parts).rstrip()

    print(line([str(h) for h in headers]))
    print("  " + "  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row))


def print_headline(title: str, numbers: dict[str, Any]) -> None:
    """Print a demo's headline numbers, one `name: value` per line."""
    print(f"\n{title}: headline numbers")
    width = max(len(k) for k in numbers)
    for key, value in numbers.items():
        print(f"  {key.ljust(width)}  {fmt(value, 5)}")
