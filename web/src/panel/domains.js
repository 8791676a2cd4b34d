// The index and its domains as ranks and deciles (never raw scores), with a position chart.
import { el, fmtInt } from "../format.js";
import { rankChart } from "./charts.js";

export function domains({ meta, geo, record, rankTotal }) {
  if (!record.index) return null;
  const rows = meta.measures
    .filter((m) => m.group !== "indicator")
    .map((m) => [m, record.index[m.id === "index" ? "index" : m.id.replace(/^domain\./, "")]])
    .filter(([, r]) => r && r.rank !== null && r.rank !== undefined);
  if (!rows.length) return null;
  const total = geo.id === "lsoa" ? rankTotal : geo.count;
  return el(
    "section",
    { class: "panel-section", "aria-labelledby": "domains-title" },
    el("h3", { id: "domains-title" }, "Index and domains"),
    el(
      "table",
      { class: "values domains" },
      el("caption", { class: "visually-hidden" }, "Decile and rank of this area on the index and each domain"),
      el(
        "thead",
        {},
        el("tr", {}, el("th", { scope: "col" }, "Measure"), el("th", { scope: "col" }, "Decile"), el("th", { scope: "col" }, "Rank"), el("th", { scope: "col", class: "chart-cell" }, el("span", { "aria-hidden": "true" }, "← more vulnerable"), el("span", { class: "visually-hidden" }, "Position chart"))),
      ),
      el(
        "tbody",
        {},
        rows.map(([m, r]) =>
          el(
            "tr",
            {},
            el("th", { scope: "row" }, m.title),
            el("td", { class: "num" }, r.decile ? `${r.decile}` : "–"),
            el("td", { class: "num" }, `${fmtInt(r.rank)}`),
            el("td", { class: "chart-cell" }, rankChart(r.rank, total)),
          ),
        ),
      ),
    ),
    el("p", { class: "hint" }, geo.id === "lsoa" ? meta.rankNote : `Rank 1 and decile 1 are the most vulnerable of the ${fmtInt(total)} ${geo.label.toLowerCase()} areas on this map.`),
  );
}
