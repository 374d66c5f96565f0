// Pictures on canvases: the shade pictures the server sends, the data points, the loss curves.
//
// A picture arrives as base64 bytes, one per pixel, row 0 at the top: 0 means -1
// (orange), 127.5 means 0 (light grey), 255 means +1 (blue). The same colour scale is
// used for every neuron, the output and the regression targets.

const NEGATIVE = [224, 122, 36];
const ZERO = [240, 240, 240];
const POSITIVE = [40, 110, 180];

// PALETTE[byte] = [r, g, b]: a straight blend through grey.
export const PALETTE = Array.from({ length: 256 }, (_, byte) => {
  const v = byte / 127.5 - 1;
  const end = v < 0 ? NEGATIVE : POSITIVE;
  const t = Math.abs(v);
  return ZERO.map((z, i) => Math.round(z + (end[i] - z) * t));
});

export function colourOf(value) {
  const byte = Math.max(0, Math.min(255, Math.round((value + 1) * 127.5)));
  const [r, g, b] = PALETTE[byte];
  return `rgb(${r},${g},${b})`;
}

function decode(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

// Draw a size x size shade picture over the whole canvas (smoothly scaled up).
export function drawShades(canvas, base64, size) {
  const bytes = decode(base64);
  const small = document.createElement("canvas");
  small.width = small.height = size;
  const image = small.getContext("2d").createImageData(size, size);
  for (let i = 0; i < bytes.length; i++) {
    const [r, g, b] = PALETTE[bytes[i]];
    image.data.set([r, g, b, 255], 4 * i);
  }
  small.getContext("2d").putImageData(image, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}

// Data coordinates (the plane is [-domain, domain]^2) to canvas pixels and back.
export function toCanvas(canvas, domain, [x1, x2]) {
  return [(x1 + domain) / (2 * domain) * canvas.width,
    (domain - x2) / (2 * domain) * canvas.height];
}

// The points: class 0 orange, class 1 blue (regression: the target's colour); training
// points with a white ring, test points with a dark one; the chosen point circled red.
export function drawPoints(canvas, net, chosen, showTest) {
  const ctx = canvas.getContext("2d");
  net.points.forEach((p, i) => {
    if (!net.train[i] && !showTest) return;
    const [x, y] = toCanvas(canvas, net.domain, p);
    const t = net.targets[i];
    ctx.beginPath();
    ctx.arc(x, y, 3.5, 0, 2 * Math.PI);
    ctx.fillStyle = net.task === "classification" ? colourOf(t ? 1 : -1) : colourOf(t);
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = net.train[i] ? "#ffffff" : "#222222";
    ctx.stroke();
  });
  if (chosen !== null && chosen < net.points.length) {
    const [x, y] = toCanvas(canvas, net.domain, net.points[chosen]);
    ctx.beginPath();
    ctx.arc(x, y, 7, 0, 2 * Math.PI);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = "#d0021b";
    ctx.stroke();
  }
}

// The index of the data point nearest to a click (canvas pixels), within 12 pixels.
export function pointAt(canvas, net, px, py, showTest) {
  let best = null;
  let bestDistance = 12 * 12;
  net.points.forEach((p, i) => {
    if (!net.train[i] && !showTest) return;
    const [x, y] = toCanvas(canvas, net.domain, p);
    const d = (x - px) ** 2 + (y - py) ** 2;
    if (d < bestDistance) { best = i; bestDistance = d; }
  });
  return best;
}

// Loss curves: history rows are [epoch, train loss, test loss]; long runs are thinned.
export function drawCurves(canvas, history) {
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  if (history.length < 2) return;
  const stride = Math.ceil(history.length / width);
  const rows = history.filter((_, i) => i % stride === 0 || i === history.length - 1);
  const top = Math.max(...rows.map(r => Math.max(r[1], r[2]))) || 1;
  const last = rows[rows.length - 1][0] || 1;
  const line = (column, colour, dash) => {
    ctx.beginPath();
    ctx.setLineDash(dash);
    rows.forEach((r, i) => {
      const x = r[0] / last * (width - 2) + 1;
      const y = height - 2 - r[column] / top * (height - 6);
      if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
    });
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5;
    ctx.stroke();
    ctx.setLineDash([]);
  };
  line(2, "#222222", []);
  line(1, "#9a9a9a", [4, 2]);
}
