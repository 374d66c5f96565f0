// The network diagram: one column per layer, each neuron a small picture of its output
// over the plane, the edges coloured by the sign of their weight (blue +, orange -) and
// as thick as its size. Hovering an edge shows the weight and its gradient; hovering a
// neuron its bias. Clicking a feature switches it on or off; clicking a neuron asks for
// its computation graph. Weight names follow the graph: w2[3,1] goes from unit 1 of
// layer 1 into neuron 3 of layer 2 (the features are layer 0).

import { drawShades } from "./plots.js";

const NODE = 40;
const GAP = 10;
const TOP = 46;
const SVG = "http://www.w3.org/2000/svg";

function make(tag, attributes = {}, parent = null, namespace = null) {
  const element = namespace ? document.createElementNS(namespace, tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (parent) parent.appendChild(element);
  return element;
}

const number = v => (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2));

export class NetworkView {
  // actions: onNeuron(layer, neuron), onFeature(name), onHidden(sizes)
  constructor(root, tooltip, actions) {
    this.root = root;
    this.tooltip = tooltip;
    this.actions = actions;
    this.frame = null;
    this.hovered = null;
  }

  build(net) {
    this.net = net;
    this.root.replaceChildren();
    const hidden = net.sizes.slice(1, -1);
    const columns = [net.features.length, ...hidden, 1];
    const width = Math.max(this.root.clientWidth, 60 + 90 * columns.length);
    const height = TOP + Math.max(...columns) * (NODE + GAP) + 10;
    this.root.style.height = `${height}px`;
    const svg = make("svg", { width, height, class: "edges" }, this.root, SVG);
    const x = c => 60 + c * (width - NODE - 70) / (columns.length - 1);
    const place = (c, n) => Array.from({ length: n }, (_, k) =>
      TOP + (height - TOP - n * (NODE + GAP)) / 2 + k * (NODE + GAP));

    // Column 0: every feature, the active ones feed the network.
    const featureY = place(0, net.features.length);
    const active = [];
    net.features.forEach((f, k) => {
      const node = this.node(x(0), featureY[k], `feature${f.active ? "" : " off"}`);
      node.dataset.feature = f.name;
      make("span", { class: "caption" }, node).textContent = f.label;
      drawShades(node.firstChild, f.picture, net.grid);
      node.addEventListener("click", () => this.actions.onFeature(f.name));
      node.title = f.active ? `${f.label}: click to switch this input off`
        : `${f.label}: click to use this input`;
      if (f.active) active.push({ x: x(0), y: featureY[k], label: f.label });
    });

    // Hidden columns and the output: layer index l counts the linear layers from 0.
    this.canvases = [];
    this.edges = [];
    let previous = active;
    columns.slice(1).forEach((n, l) => {
      const c = l + 1;
      const ys = place(c, n);
      const isOutput = l === columns.length - 2;
      const current = ys.map((y, j) => {
        const node = this.node(x(c), y, isOutput ? "neuron output" : "neuron");
        Object.assign(node.dataset, { layer: l, neuron: j });
        node.addEventListener("click", () => this.actions.onNeuron(l, j));
        node.addEventListener("mouseenter", () => this.hover({ kind: "bias", l, j }, node));
        node.addEventListener("mouseleave", () => this.hover(null));
        return { x: x(c), y, node };
      });
      this.canvases.push(current.map(p => p.node.firstChild));
      this.edges.push(current.map((to, j) => previous.map((from, i) => {
        const ends = { x1: from.x + NODE, y1: from.y + NODE / 2, x2: to.x, y2: to.y + NODE / 2 };
        const line = make("line", { ...ends, class: "edge" }, svg, SVG);
        const hit = make("line", { ...ends, class: "edge-hit" }, svg, SVG);
        hit.addEventListener("mouseenter", () => this.hover({ kind: "weight", l, j, i }, hit));
        hit.addEventListener("mouseleave", () => this.hover(null));
        return line;
      })));
      if (!isOutput) this.layerButtons(x(c), n, hidden, l);
      previous = current;
    });
    this.layerTools(hidden);
  }

  node(left, top, kind) {
    const node = make("div", { class: `node ${kind}` }, this.root);
    Object.assign(node.style, { left: `${left}px`, top: `${top}px` });
    make("canvas", { width: NODE, height: NODE }, node);
    return node;
  }

  // + and - above a hidden layer change its number of neurons.
  layerButtons(left, n, hidden, l) {
    const box = make("div", { class: "layer-buttons", "data-control": "layers" }, this.root);
    Object.assign(box.style, { left: `${left - 14}px`, top: "0px" });
    const change = delta => {
      const sizes = hidden.slice();
      sizes[l] = Math.max(1, Math.min(8, sizes[l] + delta));
      this.actions.onHidden(sizes);
    };
    make("button", { title: "one neuron more", class: "plus" }, box).textContent = "+";
    make("button", { title: "one neuron less", class: "minus" }, box).textContent = "−";
    box.querySelector(".plus").addEventListener("click", () => change(1));
    box.querySelector(".minus").addEventListener("click", () => change(-1));
    make("div", { class: "layer-size" }, box).textContent = `${n} neuron${n > 1 ? "s" : ""}`;
  }

  layerTools(hidden) {
    const tools = document.getElementById("layer-tools");
    tools.querySelector("#layer-count").textContent = String(hidden.length);
    tools.querySelector("#add-layer").onclick = () =>
      hidden.length < 6 && this.actions.onHidden([...hidden, 2]);
    tools.querySelector("#remove-layer").onclick = () =>
      hidden.length > 0 && this.actions.onHidden(hidden.slice(0, -1));
  }

  update(frame, gridSize) {
    this.frame = frame;
    const last = this.canvases.length - 1;
    this.canvases.forEach((canvases, l) => canvases.forEach((canvas, j) => {
      if (l === last) drawShades(canvas, frame.output, gridSize);
      else drawShades(canvas, frame.neurons[l][j], gridSize / 2);
    }));
    this.edges.forEach((rows, l) => rows.forEach((lines, j) => lines.forEach((line, i) => {
      const w = frame.weights[l][j][i];
      line.setAttribute("stroke", w > 0 ? "#286eb4" : "#e07a24");
      line.setAttribute("stroke-width", Math.min(0.5 + 3 * Math.abs(w), 8).toFixed(2));
    })));
    if (this.hovered) this.describe();
  }

  select(layer, neuron) {
    this.root.querySelectorAll(".neuron.selected").forEach(n => n.classList.remove("selected"));
    if (layer === null) return;
    const node = this.root.querySelector(`.neuron[data-layer="${layer}"][data-neuron="${neuron}"]`);
    if (node) node.classList.add("selected");
  }

  hover(what, element) {
    this.hovered = what;
    if (!what) { this.tooltip.hidden = true; return; }
    const box = element.getBoundingClientRect();
    Object.assign(this.tooltip.style, {
      left: `${box.left + box.width / 2 + window.scrollX + 8}px`,
      top: `${box.top + box.height / 2 + window.scrollY + 8}px`,
    });
    this.describe();
  }

  describe() {
    const f = this.frame;
    const h = this.hovered;
    if (!f || !h || !f.weights[h.l]) return;
    const tag = `${h.l + 1}[${h.j + 1}`;
    let text;
    if (h.kind === "weight") {
      const from = h.l === 0 ? ` (from ${this.net.features.filter(x => x.active)[h.i].label})` : "";
      text = `w${tag},${h.i + 1}]${from} = ${number(f.weights[h.l][h.j][h.i])}, ` +
        `gradient ${number(f.weight_grads[h.l][h.j][h.i])}`;
    } else {
      text = `b${tag}] = ${number(f.biases[h.l][h.j])}, gradient ${number(f.bias_grads[h.l][h.j])}` +
        " (click: its computation graph)";
    }
    this.tooltip.textContent = text;
    this.tooltip.hidden = false;
  }
}
