// What drives the area's index: each domain's share of its index score.
import { el, fmtValue } from "../format.js";

export function drivers({ meta, record }) {
  const contrib = record.contrib && record.contrib.index;
  if (!contrib || !contrib.length) return null;
  const titles = Object.fromEntries(meta.measures.map((m) => [m.id.replace(/^domain\./, ""), m.title]));
  const pct = { decimals: 0 };
  const max = Math.max(...contrib.map(([, s]) => Math.abs(s || 0)), 0.01);
  const rows = contrib.map(([term, share]) =>
    el(
      "tr",
      {},
      el("th", { scope: "row" }, titles[term] || term),
      el("td", { class: "num" }, share === null ? "–" : `${fmtValue(pct, 100 * share)}%`),
      el("td", { class: "chart-cell" }, el("span", { class: share < 0 ? "bar bar-neg" : "bar", style: `width:${Math.round((100 * Math.abs(share || 0)) / max)}%`, "aria-hidden": "true" })),
    ),
  );
  return el(
    "section",
    { class: "panel-section", "aria-labelledby": "drivers-title" },
    el("h3", { id: "drivers-title" }, "What drives the index here"),
    el(
      "table",
      { class: "values drivers" },
      el("caption", { class: "visually-hidden" }, "Share of the area's index score from each domain"),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Domain"), el("th", { scope: "col" }, "Share"), el("th", { scope: "col", class: "chart-cell" }, el("span", { class: "visually-hidden" }, "Bar")))),
      el("tbody", {}, rows),
    ),
    el("p", { class: "hint" }, "Share of the area's index score that comes from each domain; a negative share lowers the score."),
  );
}
