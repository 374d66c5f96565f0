// The page: one websocket to this tab's session on the server, controls that send
// changes, and drawing of whatever the server sends (see viz/playground/messages.py).
// The server owns the settings; the page shows them and keeps them in its address, so
// a reload or a shared link brings the same set-up back.

import { NetworkView } from "./network.js";
import { drawCurves, drawPoints, drawShades, pointAt } from "./plots.js";

const $ = id => document.getElementById(id);
const PLAY_ICON = '<svg viewBox="0 0 24 24"><path d="M8 5l12 7-12 7z"/></svg>';
const PAUSE_ICON = '<svg viewBox="0 0 24 24"><rect x="6" y="5" width="4" height="14"/>' +
  '<rect x="14" y="5" width="4" height="14"/></svg>';
const page = {
  socket: null, settings: null, net: null, frame: null, history: [], chosen: null,
  selected: null, playing: false, unacknowledged: 0, drawScheduled: false, drawnAt: [],
};
const view = new NetworkView($("network"), $("tooltip"), {
  onNeuron: (layer, neuron) => send({ type: "select_neuron", layer, neuron }),
  onFeature: name => {
    if (page.settings.hide.split(",").includes("features")) return;
    const features = new Set(page.settings.features.split(","));
    if (features.has(name)) features.delete(name); else features.add(name);
    send({ type: "set", changes: { features: [...features].join(",") } });
  },
  onHidden: sizes => send({ type: "set", changes: { hidden: sizes.length ? sizes.join(",") : "none" } }),
});

function send(message) {
  if (page.socket && page.socket.readyState === WebSocket.OPEN) {
    page.socket.send(JSON.stringify(message));
  }
}

// --- errors: a banner of messages, each with a close button ---------------------------

function showError(text) {
  const box = $("errors");
  if ([...box.children].some(child => child.dataset.text === text)) return;
  const item = document.createElement("div");
  item.className = "error";
  item.dataset.text = text;
  item.textContent = text;
  const close = document.createElement("button");
  close.textContent = "×";
  close.title = "dismiss";
  close.addEventListener("click", () => item.remove());
  item.appendChild(close);
  box.appendChild(item);
  while (box.children.length > 6) box.firstChild.remove();
}

// --- messages from the server ------------------------------------------------------------

const handlers = {
  state(message) {
    page.settings = message.settings;
    history.replaceState(null, "", `?${message.query}`);
    $("share-link").value = location.href;
    message.errors.forEach(showError);
    syncControls(message);
  },
  network(message) {
    page.net = message;
    page.history = [];
    page.chosen = message.point;
    view.build(message);
    view.select(page.selected?.layer ?? null, page.selected?.neuron ?? null);
    applyHidden();
  },
  frame(message) {
    page.history = message.history_from === 0 ? message.history
      : page.history.concat(message.history);
    page.frame = message;
    page.unacknowledged += 1;
    if (!page.drawScheduled) {
      page.drawScheduled = true;
      requestAnimationFrame(draw);
    }
  },
  graph(message) { showGraph(message); },
  status(message) {
    page.playing = message.playing;
    $("play").innerHTML = message.playing ? PAUSE_ICON : PLAY_ICON;
    $("play").classList.toggle("playing", message.playing);
  },
  error(message) { showError(message.message); },
};

// Draw the newest frame once per animation frame, then acknowledge every frame received,
// which lets the server send more (it keeps at most two unacknowledged).
function draw() {
  page.drawScheduled = false;
  const frame = page.frame;
  if (frame && page.net) {
    view.update(frame, page.net.grid);
    const canvas = $("output");
    drawShades(canvas, frame.output, page.net.grid);
    drawPoints(canvas, page.net, page.chosen, $("show-test").checked);
    drawCurves($("curves"), page.history);
    $("epoch").textContent = frame.epoch.toLocaleString("en");
    $("loss-train").textContent = frame.loss.train.toFixed(4);
    $("loss-test").textContent = frame.loss.test.toFixed(4);
    $("accuracy").textContent = frame.accuracy
      ? `Accuracy: test ${(100 * frame.accuracy.test).toFixed(1)} %, ` +
        `training ${(100 * frame.accuracy.train).toFixed(1)} %` : "";
    $("engine-name").textContent = frame.engine === "tensor" ? "Tensor" : "Value";
    const now = performance.now();
    page.drawnAt = page.drawnAt.filter(t => now - t < 2000).concat([now]);
    $("speed").textContent = page.playing && page.drawnAt.length > 1
      ? ((page.drawnAt.length - 1) / ((now - page.drawnAt[0]) / 1000)).toFixed(1) : "0";
    document.body.dataset.epoch = String(frame.epoch);
  }
  for (; page.unacknowledged > 0; page.unacknowledged--) send({ type: "ack" });
}

function showGraph(message) {
  page.chosen = message.point;
  if (page.frame) drawPoints($("output"), page.net, page.chosen, $("show-test").checked);
  if (message.layer === null) {
    page.selected = null;
    $("graph-panel").hidden = true;
    view.select(null, null);
    return;
  }
  page.selected = { layer: message.layer, neuron: message.neuron };
  view.select(message.layer, message.neuron);
  const where = message.is_output ? "The output neuron and the loss"
    : `Neuron ${message.neuron + 1} of hidden layer ${message.layer + 1}`;
  const kind = page.net.train[message.point] ? "training" : "test";
  const x = message.x.map(v => v.toFixed(2)).join(", ");
  const target = page.net.task === "classification" ? `class ${message.target}`
    : `target ${message.target.toFixed(3)}`;
  $("graph-title").textContent =
    `${where}, for ${kind} point ${message.point} at (${x}), ${target}, epoch ${message.epoch}`;
  $("graph-caption").textContent =
    "Built with the scalar Value engine from the current weights. Each box: name | value | " +
    "gradient of this point's loss (no regularisation, no dropout). " +
    "w2[3,1]: weight from unit 1 of layer 1 into neuron 3 of layer 2; " +
    `b: bias, z: weighted sum, a: activation. This point's loss: ${message.loss.toFixed(4)}.`;
  $("graph-note").textContent = message.note;
  $("graph").innerHTML = message.svg;
  $("graph-panel").hidden = false;
}

// --- controls -----------------------------------------------------------------------------

const controls = () => document.querySelectorAll("select[name], input[type=range][name]");

function syncControls(message) {
  const settings = message.settings;
  for (const control of controls()) {
    const value = settings[control.name];
    if (control.tagName === "SELECT" && ![...control.options].some(o => o.value === value)) {
      control.add(new Option(value, value));  // a value from the address not in the list
    }
    control.value = value;
    const output = control.parentElement.querySelector("output");
    if (output) output.textContent = value;
  }
  const real = message.real_data.includes(settings.data);
  for (const name of ["noise", "points"]) {
    const input = document.querySelector(`input[name=${name}]`);
    input.disabled = real;
    input.title = real ? "real data: every point is used as it is" : "";
  }
  $("seed").textContent = settings.seed;
  buildHideList(message.controls, settings.hide ? settings.hide.split(",") : []);
  applyHidden();
}

// Teacher mode: the controls named in the "hide" setting are not shown.
function applyHidden() {
  if (!page.settings) return;
  const hidden = new Set(page.settings.hide ? page.settings.hide.split(",") : []);
  document.querySelectorAll("[data-control]").forEach(element => {
    element.hidden = hidden.has(element.dataset.control);
  });
  $("network").classList.toggle("features-locked", hidden.has("features"));
}

function buildHideList(names, hidden) {
  const list = $("hide-list");
  list.replaceChildren();
  for (const name of names) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = name;
    box.checked = hidden.includes(name);
    box.addEventListener("change", () => {
      const chosen = [...list.querySelectorAll("input:checked")].map(b => b.value);
      send({ type: "set", changes: { hide: chosen.join(",") } });
    });
    label.append(box, ` ${name}`);
    list.appendChild(label);
  }
}

function wireControls() {
  for (const control of controls()) {
    control.addEventListener("input", () => {
      const output = control.parentElement.querySelector("output");
      if (output) output.textContent = control.value;
    });
    control.addEventListener("change", () =>
      send({ type: "set", changes: { [control.name]: control.value } }));
  }
  $("play").addEventListener("click", () => send({ type: page.playing ? "pause" : "play" }));
  $("step").addEventListener("click", () => send({ type: "step" }));
  $("reset").addEventListener("click", () => send({ type: "reset" }));
  $("regenerate").addEventListener("click", () => send({ type: "regenerate" }));
  $("graph-close").addEventListener("click", () => send({ type: "clear_neuron" }));
  $("graph-fit").addEventListener("click", () => {
    const fit = $("graph").classList.toggle("fit");
    $("graph-fit").textContent = fit ? "Actual size" : "Fit to width";
  });
  $("show-test").addEventListener("change", () => page.frame && draw());
  $("output").addEventListener("click", event => {
    if (!page.net) return;
    const canvas = $("output");
    const box = canvas.getBoundingClientRect();
    const px = (event.clientX - box.left) * canvas.width / box.width;
    const py = (event.clientY - box.top) * canvas.height / box.height;
    const index = pointAt(canvas, page.net, px, py, $("show-test").checked);
    if (index !== null) send({ type: "select_point", index });
  });
}

function connect() {
  const protocol = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${protocol}://${location.host}/ws${location.search}`);
  page.socket = socket;
  socket.addEventListener("open", () => { $("connection").textContent = "connected"; });
  socket.addEventListener("message", event => {
    const message = JSON.parse(event.data);
    const handler = handlers[message.type];
    if (handler) handler(message);
  });
  socket.addEventListener("close", () => {
    $("connection").textContent = "disconnected";
    showError("The connection to the playground server closed. Start it again " +
      "(python -m viz.playground) and reload this page.");
  });
}

wireControls();
connect();
