"""Regenerate docs/graph_example.svg: one tanh neuron, z = w1*x1 + w2*x2 + b, after backward.

Run from the repository root:  python docs/make_graph_example.py
"""

from pathlib import Path

import viz
from tinygrad_dk import Value

x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")  # chosen so that tanh(z) is exactly 1/sqrt(2)
z = w1 * x1 + w2 * x2 + b
z.label = "z"
out = z.tanh()
out.label = "out"
out.backward()

path = viz.render(out, Path(__file__).with_name("graph_example.svg"))
print(f"wrote {path} with {viz.find_renderer()}")
