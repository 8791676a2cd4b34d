// Every indicator for the area beside the map's average and England, with a spine chart whose
// left end is always the worse one.
import { el, fmtValue } from "../format.js";
import { spineChart } from "./charts.js";

export function indicators({ meta, record }) {
  const values = record.values || {};
  const list = meta.measures.filter((m) => m.group === "indicator" && values[m.id] !== undefined);
  if (!list.length) return null;
  const local = meta.countyLabel; // null on an England map: England is the map
  const england = list.some((m) => m.england !== null && m.england !== undefined) || !local;
  const head = [el("th", { scope: "col" }, "Indicator"), el("th", { scope: "col" }, "This area")];
  if (local) head.push(el("th", { scope: "col" }, local));
  if (england) head.push(el("th", { scope: "col" }, "England"));
  head.push(el("th", { scope: "col", class: "chart-cell" }, el("span", { "aria-hidden": "true" }, "← worse"), el("span", { class: "visually-hidden" }, "Spine chart")));
  const rows = list.map((m) => {
    const cells = [el("th", { scope: "row" }, m.label), el("td", { class: "num" }, fmtValue(m, values[m.id]))];
    if (local) cells.push(el("td", { class: "num" }, fmtValue(m, m.county)));
    if (england) cells.push(el("td", { class: "num" }, fmtValue(m, local ? m.england : m.england ?? m.county)));
    cells.push(el("td", { class: "chart-cell" }, spineChart(m, values[m.id])));
    return el("tr", {}, cells);
  });
  return el(
    "section",
    { class: "panel-section", "aria-labelledby": "indicators-title" },
    el("h3", { id: "indicators-title" }, "Indicators"),
    el("div", { class: "table-scroll" }, el("table", { class: "values indicators" }, el("caption", { class: "visually-hidden" }, "Indicators for this area"), el("thead", {}, el("tr", {}, head)), el("tbody", {}, rows))),
    el(
      "p",
      { class: "hint chart-key" },
      "Charts: the left end is worse (more vulnerable; for measures with no better or worse, higher). Grey bar: range of the neighbourhoods on this map; dark block: the middle half; ",
      local ? el("span", { class: "key-county" }, "blue line") : null,
      local ? ` ${local.toLowerCase() === "map average" ? "the map average" : local}; ` : null,
      el("span", { class: "key-england" }, "black line"),
      " England; ",
      el("span", { class: "key-area" }, "red dot"),
      " this area.",
    ),
  );
}
