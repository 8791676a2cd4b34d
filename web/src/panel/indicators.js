// Every indicator for the area beside the map's average and England, with a spine chart whose
// left end is always the worse one.
import { el, fmtValue } from "../format.js";
import { englandSpine, spineChart } from "./charts.js";

// QOF values shared out from GP practices whose estimate is weak here (lantern.profile.quality).
const FLAG_TEXT = {
  low_coverage: "few residents registered with the practices behind it",
  dominant_outlier: "mostly one practice, whose recorded prevalence is an outlier",
};

const VERDICT = {
  higher_worse: { higher: "worse", lower: "better" },
  higher_better: { higher: "better", lower: "worse" },
};

// "higher than England" etc., and the class that colours it (worse / better / similar).
function verdict(m, vs) {
  if (!vs) return null;
  const judged = vs === "similar" ? "similar" : (VERDICT[m.polarity] || {})[vs] || "neutral";
  return { text: vs === "similar" ? "similar to England" : `${vs} than England`, cls: `vs-${judged}` };
}

export function indicators({ meta, record }) {
  const values = record.values || {};
  const list = meta.measures.filter((m) => m.group === "indicator" && values[m.id] !== undefined);
  if (!list.length) return null;
  const local = meta.countyLabel; // null on an England map: England is the map
  const england = list.some((m) => m.england !== null && m.england !== undefined) || !local;
  const head = [el("th", { scope: "col" }, "Indicator"), el("th", { scope: "col" }, "This area")];
  if (local) head.push(el("th", { scope: "col" }, local));
  if (england) head.push(el("th", { scope: "col" }, "England"));
  const withCi = list.some((m) => (record.ci || {})[m.id]);
  if (withCi) head.push(el("th", { scope: "col" }, "Compared with England"));
  head.push(el("th", { scope: "col", class: "chart-cell" }, el("span", { "aria-hidden": "true" }, "← worse"), el("span", { class: "visually-hidden" }, "Spine chart")));
  const flags = record.flags || {};
  const flagged = list.filter((m) => flags[m.id]);
  const rows = list.map((m) => {
    const ci = (record.ci || {})[m.id];
    const v = ci ? verdict(m, ci[3]) : null;
    const flag = flags[m.id];
    const value = el("td", { class: "num" }, fmtValue(m, values[m.id]));
    if (flag)
      value.append(
        el("span", { class: "qof-flag", title: FLAG_TEXT[flag] }, el("span", { "aria-hidden": "true" }, " ⚑"), el("span", { class: "visually-hidden" }, ` (caution: ${FLAG_TEXT[flag]})`)),
      );
    const cells = [el("th", { scope: "row" }, m.label), value];
    if (local) cells.push(el("td", { class: "num" }, fmtValue(m, m.county)));
    if (england) cells.push(el("td", { class: "num" }, fmtValue(m, local ? m.england : m.england ?? m.county)));
    if (withCi) {
      const cell = el("td", { class: "vs" });
      if (v) cell.append(el("span", { class: `verdict ${v.cls}` }, v.text));
      if (ci && ci[0] !== null) cell.append(el("span", { class: "ci" }, `95% CI ${fmtValue(m, ci[0])}–${fmtValue(m, ci[1])}`));
      cells.push(cell);
    }
    cells.push(el("td", { class: "chart-cell" }, ci && m.england !== null && m.england !== undefined ? englandSpine(m, values[m.id], ci, v) : spineChart(m, values[m.id])));
    return el("tr", {}, cells);
  });
  return el(
    "section",
    { class: "panel-section", "aria-labelledby": "indicators-title" },
    el("h3", { id: "indicators-title" }, "Indicators"),
    el("div", { class: "table-scroll", tabindex: "0", role: "group", "aria-label": "Indicators table (scrolls sideways on small screens)" }, el("table", { class: "values indicators" }, el("caption", { class: "visually-hidden" }, "Indicators for this area"), el("thead", {}, el("tr", {}, head)), el("tbody", {}, rows))),
    flagged.length
      ? el(
          "p",
          { class: "hint qof-note" },
          el("span", { "aria-hidden": "true" }, "⚑ "),
          `Read with care: ${flagged.map((m) => m.label.replace(/: recorded prevalence.*$/, "")).join(", ")}. ` +
            "QOF values are shared out from GP practices by where their patients live; here " +
            [...new Set(flagged.map((m) => FLAG_TEXT[flags[m.id]]))].join(", or ") +
            ". See the method page.",
        )
      : null,
    el(
      "p",
      { class: "hint chart-key" },
      "Charts: the left end is worse (more vulnerable; for measures with no better or worse, higher). Grey bar: range of the neighbourhoods on this map; dark block: the middle half; ",
      local ? el("span", { class: "key-county" }, "blue line") : null,
      local ? ` ${local.toLowerCase() === "map average" ? "the map average" : local}; ` : null,
      el("span", { class: "key-england" }, "black line"),
      " England; ",
      el("span", { class: "key-area" }, "red dot"),
      " this area. Where the area has counts the chart is centred on England (black line), the whisker is its 95% confidence interval and the dot is orange where it is significantly worse than England, blue where better, yellow where similar (Wilson or Byar intervals; the OHID Fingertips rule).",
    ),
  );
}
