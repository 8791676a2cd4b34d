// Small charts for the panel. Every chart puts the more vulnerable end on the LEFT: rank 1 and
// decile 1 at the left edge, and for indicators the worse value (higher, unless lower is worse).
import { svg } from "../format.js";

function frame(label) {
  const node = svg("svg", { viewBox: "0 0 100 14", class: "chart", "aria-hidden": "true", focusable: "false" });
  if (label) node.dataset.direction = label;
  return node;
}

// Position of a rank among `total` areas: the bar runs from most (left) to least vulnerable.
export function rankChart(rank, total) {
  const node = frame("left-most-vulnerable");
  if (rank === null || rank === undefined || !total) return node;
  node.append(svg("rect", { x: 0, y: 5, width: 100, height: 4, class: "chart-range" }));
  for (let d = 1; d < 10; d++) node.append(svg("rect", { x: d * 10 - 0.2, y: 4, width: 0.4, height: 6, class: "chart-tick" }));
  const x = total > 1 ? (100 * (rank - 1)) / (total - 1) : 50;
  node.append(svg("circle", { cx: Math.min(97, Math.max(3, x)), cy: 7, r: 3, class: "chart-area" }));
  return node;
}

// Spine chart: the range of the map's areas, the middle half, the map average, England and
// this area, oriented so the worse end is on the left.
export function spineChart(measure, value) {
  const d = measure.dist;
  const node = frame("left-worse");
  if (!d || d.max === d.min || value === null || value === undefined) return node;
  const flip = measure.polarity !== "higher_better";
  const pos = (v) => {
    const x = (100 * (v - d.min)) / (d.max - d.min);
    return flip ? 100 - x : x;
  };
  const left = (a, b) => Math.min(pos(a), pos(b));
  node.append(svg("rect", { x: 0, y: 5, width: 100, height: 4, class: "chart-range" }));
  node.append(svg("rect", { x: left(d.q1, d.q3), y: 3, width: Math.max(0.5, Math.abs(pos(d.q3) - pos(d.q1))), height: 8, class: "chart-iqr" }));
  if (measure.county !== null && measure.county !== undefined) node.append(svg("rect", { x: pos(measure.county) - 0.6, y: 1, width: 1.2, height: 12, class: "chart-county" }));
  if (measure.england !== null && measure.england !== undefined && measure.england >= d.min && measure.england <= d.max)
    node.append(svg("rect", { x: pos(measure.england) - 0.6, y: 1, width: 1.2, height: 12, class: "chart-england" }));
  node.append(svg("circle", { cx: Math.min(97, Math.max(3, pos(value))), cy: 7, r: 3, class: "chart-area" }));
  return node;
}

// Ten cells for the deciles, decile 1 (most vulnerable) on the left, this area's outlined.
export function decileStrip(decile, colours) {
  const node = svg("svg", { viewBox: "0 0 100 12", class: "decile-strip", "aria-hidden": "true", focusable: "false" });
  for (let d = 1; d <= 10; d++) {
    const colour = colours[Math.min(colours.length - 1, Math.floor(((10 - d) * colours.length) / 10))];
    const on = d === decile;
    node.append(svg("rect", { x: (d - 1) * 10 + 0.5, y: on ? 0.5 : 2.5, width: 9, height: on ? 11 : 7, fill: colour, class: on ? "decile-on" : "decile-off" }));
  }
  return node;
}

// Fingertips spine: England is the centre line; the grey bar is the range of the map's areas
// and the dark block the middle half; the whisker is this area's 95% interval and the dot is
// filled by its comparison with England. The worse side is on the left.
export function englandSpine(measure, value, ci, verdict) {
  const node = frame("left-worse");
  const d = measure.dist;
  const e = measure.england;
  if (value === null || value === undefined || e === null || e === undefined) return node;
  node.dataset.centre = "england";
  const pts = [value, ci[0], ci[1], measure.county, ...(d ? [d.min, d.max] : [])].filter((v) => v !== null && v !== undefined);
  const half = Math.max(...pts.map((v) => Math.abs(v - e))) || Math.abs(e) * 0.1 || 1;
  const flip = measure.polarity !== "higher_better";
  const pos = (v) => {
    const t = (v - e) / (2 * half);
    return 50 + (flip ? -t : t) * 94;
  };
  if (d && d.max !== d.min) {
    const [a, b] = [pos(d.min), pos(d.max)].sort((p, q) => p - q);
    node.append(svg("rect", { x: a, y: 5, width: b - a, height: 4, class: "chart-range" }));
    const [c, f] = [pos(d.q1), pos(d.q3)].sort((p, q) => p - q);
    node.append(svg("rect", { x: c, y: 4, width: Math.max(0.5, f - c), height: 6, class: "chart-iqr" }));
  }
  node.append(svg("rect", { x: 49.4, y: 0, width: 1.2, height: 14, class: "chart-england" }));
  if (measure.county !== null && measure.county !== undefined) node.append(svg("rect", { x: pos(measure.county) - 0.5, y: 2, width: 1, height: 10, class: "chart-county" }));
  if (ci[0] !== null && ci[1] !== null) {
    const [a, b] = [pos(ci[0]), pos(ci[1])].sort((p, q) => p - q);
    node.append(svg("line", { x1: a, x2: b, y1: 7, y2: 7, class: "chart-ci" }));
  }
  node.append(svg("circle", { cx: Math.min(97, Math.max(3, pos(value))), cy: 7, r: 3, class: `chart-area ${verdict ? verdict.cls : ""}` }));
  return node;
}
