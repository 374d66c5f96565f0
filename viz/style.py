"""How nodes look: the |grad| colour scale and the node kinds.

Gradients span many orders of magnitude, so colour follows log10(|grad|):

* deep blue: |grad| <= 1e-6, the gradient has *vanished*: this weight barely learns;
* pale: |grad| around 0.01 to 1, a healthy gradient;
* deep red: |grad| >= 1e3, the gradient *explodes*: a step of SGD would overshoot.

Exactly 0 gets its own grey (a dead ReLU, or a node the output does not depend on),
and nan/inf get magenta, because they are always a bug.
"""

from __future__ import annotations

import math

# (log10 |grad|, colour) stops; colours between stops are blended linearly.
STOPS: list[tuple[float, tuple[int, int, int]]] = [
    (-6.0, (59, 76, 192)),    # vanishing
    (-3.0, (141, 176, 254)),
    (-1.0, (240, 240, 240)),  # healthy
    (0.0, (240, 240, 240)),
    (1.5, (244, 154, 123)),
    (3.0, (180, 4, 38)),      # exploding
]
ZERO_COLOUR = "#c8c8c8"
NONFINITE_COLOUR = "#ff00ff"
NO_GRAD_COLOUR = "#ffffff"

# Node kinds: the border tells them apart, the fill is left for the gradient.
KIND_STYLE: dict[str, dict[str, str]] = {
    "parameter": {"shape": "record", "style": "filled,bold", "penwidth": "2.5"},
    "constant": {"shape": "record", "style": "filled,dashed", "penwidth": "1"},
    "computed": {"shape": "Mrecord", "style": "filled", "penwidth": "1"},
}
KIND_DESCRIPTION = {
    "parameter": "thick border: parameter / input with grad",
    "constant": "dashed border: constant / data",
    "computed": "rounded: computed by an op",
}
OUTPUT_STYLE = {"color": "#1a7f37", "penwidth": "2.5"}  # the node draw_graph was called on
OP_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#ffffcc",
            "fontsize": "11", "margin": "0.02"}
# several operations summarised in one box (draw_graph(..., summarize=True))
GROUP_STYLE = {"shape": "box", "style": "filled,rounded", "fillcolor": "#fff3d6",
               "fontsize": "10"}


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(c):02x}" for c in rgb)


def grad_colour(magnitude: float) -> str:
    """Fill colour (``#rrggbb``) for a gradient of size ``magnitude`` = |grad|."""
    if not math.isfinite(magnitude):
        return NONFINITE_COLOUR
    if magnitude == 0:
        return ZERO_COLOUR
    t = math.log10(abs(magnitude))
    if t <= STOPS[0][0]:
        return _hex(STOPS[0][1])
    for (t0, c0), (t1, c1) in zip(STOPS, STOPS[1:]):
        if t <= t1:
            w = (t - t0) / (t1 - t0)
            return _hex(tuple(a + w * (b - a) for a, b in zip(c0, c1)))
    return _hex(STOPS[-1][1])


def font_colour(fill: str) -> str:
    """Black or white text, whichever reads better on ``fill``."""
    r, g, b = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 120 else "black"


def legend_html(show_grad: bool, note: str = "", summarized: bool = False) -> str:
    """An HTML-like Graphviz label: the node kinds and the |grad| colour scale."""
    rows = []
    if note:
        rows.append(f'<tr><td colspan="8"><b>{note}</b></td></tr>')
    # two lines, so that the legend is no wider than the colour scale: a legend wider
    # than the graph would make the whole picture shrink to fit a page
    kinds = " &nbsp; ".join(KIND_DESCRIPTION.values())
    kinds += "<br/>ellipse: operation &nbsp; green border: the output"
    if summarized:
        kinds += " &nbsp; orange box: operations between labelled tensors, summarised"
    rows.append(f'<tr><td colspan="8">{kinds}</td></tr>')
    if show_grad:
        cells = ['<td>|grad|:</td>']
        for text, mag in [("&lt;=1e-6 vanishing", 1e-6), ("1e-3", 1e-3), ("0.1 .. 1", 0.5),
                          ("30", 30.0), ("&gt;=1e3 exploding", 1e3)]:
            fill = grad_colour(mag)
            cells.append(f'<td bgcolor="{fill}"><font color="{font_colour(fill)}">'
                         f"{text}</font></td>")
        cells.append(f'<td bgcolor="{ZERO_COLOUR}">0</td>')
        cells.append(f'<td bgcolor="{NONFINITE_COLOUR}">nan/inf</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return '<<table border="0" cellspacing="2" cellpadding="3">' + "".join(rows) + "</table>>"
