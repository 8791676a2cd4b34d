// The legend, overlaid on the map: the measure's name with its unit once, its classes in words
// (most vulnerable first) with their ranges, and the hatched "no data" and "outside the filter".
import { el, fmtInt, fmtValue } from "./format.js";
import { hatchCss } from "./map/patterns.js";

function range(measure, cls) {
  const [, , low, high, rankLow, rankHigh] = cls;
  if (measure.group !== "indicator") {
    if (rankLow === null || rankLow === undefined) return "";
    return rankLow === rankHigh ? `rank ${fmtInt(rankLow)}` : `ranks ${fmtInt(rankLow)}–${fmtInt(rankHigh)}`;
  }
  if (low === null || low === undefined) return "";
  const a = fmtValue(measure, low);
  const b = fmtValue(measure, high);
  return a === b ? a : `${a}–${b}`;
}

export function renderLegend(root, meta, measure, geo, { filtered, hasMissing }) {
  const spec = measure.geos[geo.id];
  root.querySelector("#legend-title").textContent = measure.label;
  const items = spec.classes.map((cls) =>
    el(
      "li",
      {},
      el("span", { class: "swatch", style: `background:${cls[0]}`, "aria-hidden": "true" }),
      el("span", { class: "words" }, cls[1]),
      el("span", { class: "range" }, range(measure, cls)),
    ),
  );
  if (hasMissing) items.push(el("li", { class: "special" }, el("span", { class: "swatch", style: `background:${hatchCss(meta.patterns.noData, 3)}`, "aria-hidden": "true" }), el("span", { class: "words" }, "No data")));
  if (filtered) items.push(el("li", { class: "special" }, el("span", { class: "swatch", style: `background:${hatchCss(meta.patterns.filtered, 1)}`, "aria-hidden": "true" }), el("span", { class: "words" }, "Outside the filter")));
  root.querySelector("#legend-items").replaceChildren(...items);
  const darker = measure.group === "indicator" && measure.polarity === "neutral" ? "Darker = higher." : "Darker = more vulnerable.";
  const note = root.querySelector("#legend-note");
  note.textContent = darker;
  // how stable the index classes are (on a phone the area panel says it per area instead)
  if (measure.id === "index" && meta.stabilityNote) note.append(" ", el("span", { class: "legend-stability" }, meta.stabilityNote));
}

// Put the legend in the corner of the map where it hides least of the areas: sample points in
// each candidate corner and count those that fall on an area.
export function placeLegend(root, map, layer, corners) {
  const canvas = map.getCanvas();
  const W = canvas.clientWidth;
  const H = canvas.clientHeight;
  const w = root.offsetWidth;
  const h = root.offsetHeight;
  const margin = 8;
  const boxes = {
    bl: [margin, H - h - 28],
    br: [W - w - margin, H - h - 28],
    tl: [margin, margin],
  };
  let best = corners[0];
  let fewest = Infinity;
  for (const corner of corners) {
    const [x0, y0] = boxes[corner];
    let hits = 0;
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 5; j++) {
        const x = x0 + ((i + 0.5) * w) / 6;
        const y = y0 + ((j + 0.5) * h) / 5;
        if (map.queryRenderedFeatures([x, y], { layers: [layer] }).length) hits++;
      }
    }
    if (hits < fewest) {
      fewest = hits;
      best = corner;
    }
  }
  root.dataset.corner = best;
  return best;
}

// The legend can be folded away on a phone (its state is kept while the page is open).
export function legendToggle(root, onChange) {
  const button = root.querySelector("#legend-toggle");
  button.addEventListener("click", () => {
    root.dataset.touched = "true";
    foldLegend(root, button.getAttribute("aria-expanded") === "true");
    if (onChange) onChange();
  });
}

export function foldLegend(root, folded) {
  const button = root.querySelector("#legend-toggle");
  button.setAttribute("aria-expanded", String(!folded));
  root.querySelector("#legend-body").hidden = folded;
  button.textContent = folded ? "Show" : "Hide";
  root.classList.toggle("folded", folded);
}
