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

export function renderLegend(root, meta, measure, geo, { filtered, hasMissing, certainty = "" }) {
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
  const imputed =
    measure.id === "index" && meta.mostlyImputed
      ? ` ${meta.mostlyImputed.toLocaleString("en-GB")} area(s) rest mostly on imputed values: see the area panel.`
      : "";
  const note = root.querySelector("#legend-note");
  note.textContent = darker + imputed;
  // how stable the index classes are (on a phone the area panel says it per area instead)
  if (measure.id === "index" && meta.stabilityNote) note.append(" ", el("span", { class: "legend-stability" }, meta.stabilityNote));
  // with the "most vulnerable" filter on: how many areas are surely, and possibly, in that group
  let sure = root.querySelector("#legend-certainty");
  if (!sure) {
    sure = el("p", { id: "legend-certainty", class: "hint legend-certainty" });
    note.after(sure);
  }
  sure.textContent = certainty;
  sure.hidden = !certainty;
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
