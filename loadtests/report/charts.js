// The canvas renderer of the lab's HTML report (the load report is the
// dashboard's page, drawn with uPlot):
// line charts over seconds, drawn with no library and nothing loaded.
function niceStep(range, ticks) {
  const raw = range / ticks, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

function fmt(v) {
  if (v >= 1e6) return (v / 1e6).toFixed(1) + "M";
  if (v >= 1e3) return (v / 1e3).toFixed(1) + "k";
  return Math.round(v * 100) / 100 + "";
}

// draw plots lines on canvas: each line is [name, colour, values] on the
// shared seconds xs, or [name, colour, values, seconds] on its own.
function draw(canvas, lines, xs) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  canvas.width = w * dpr; canvas.height = h * dpr;
  const g = canvas.getContext("2d");
  g.scale(dpr, dpr);
  const left = 52, right = 12, top = 24, bottom = 28;
  const pw = w - left - right, ph = h - top - bottom;
  let ymax = 0;
  for (const [, , vs] of lines) for (const v of vs) ymax = Math.max(ymax, v);
  if (ymax <= 0) ymax = 1;
  const step = niceStep(ymax, 4);
  ymax = Math.ceil(ymax / step) * step;
  let xmax = 1;
  for (const l of lines) { const lx = l[3] || xs; if (lx.length) xmax = Math.max(xmax, lx[lx.length - 1]); }
  const X = t => left + pw * t / xmax, Y = v => top + ph - ph * v / ymax;
  g.font = "11px system-ui, sans-serif"; g.strokeStyle = "#e5e8ee"; g.fillStyle = "#5c6675";
  g.textAlign = "right"; g.textBaseline = "middle";
  for (let v = 0; v <= ymax + 1e-9; v += step) {
    g.beginPath(); g.moveTo(left, Y(v)); g.lineTo(left + pw, Y(v)); g.stroke();
    g.fillText(fmt(v), left - 6, Y(v));
  }
  g.textAlign = "center"; g.textBaseline = "top";
  const xstep = niceStep(xmax, 6);
  for (let t = 0; t <= xmax + 1e-9; t += xstep) g.fillText(t + "s", X(t), top + ph + 6);
  g.strokeStyle = "#9aa3b1"; g.beginPath(); g.moveTo(left, top); g.lineTo(left, top + ph); g.lineTo(left + pw, top + ph); g.stroke();
  let lx = left;
  g.textAlign = "left"; g.textBaseline = "middle";
  for (const [name, color, vs, own] of lines) {
    const ts = own || xs;
    g.strokeStyle = color; g.lineWidth = 1.8; g.beginPath();
    vs.forEach((v, i) => { const x = X(ts[i]), y = Y(v); i ? g.lineTo(x, y) : g.moveTo(x, y); });
    if (vs.length === 1) { g.fillStyle = color; g.fillRect(X(ts[0]) - 2, Y(vs[0]) - 2, 4, 4); }
    g.stroke();
    g.fillStyle = color; g.fillRect(lx, 8, 10, 3);
    g.fillStyle = "#1d2330"; g.fillText(name, lx + 14, 10);
    lx += g.measureText(name).width + 34;
  }
  canvas.dataset.drawn = "true";
}

// drawCharts draws every canvas with a data-chart attribute from charts[name],
// again whenever the window is resized.
function drawCharts(charts, xs) {
  const all = () => {
    for (const c of document.querySelectorAll("canvas[data-chart]")) draw(c, charts[c.dataset.chart] || [], xs);
  };
  all();
  window.addEventListener("resize", all);
}
