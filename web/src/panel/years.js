// Indicators over the years (QOF prevalences 2018/19–2021/22, population shares mid-2019 and
// mid-2020) for a neighbourhood: a table of each year's value with its 95% confidence interval
// where that year has counts, and beside it a small chart of the same with England's line.
// The table carries every number; the chart is a picture of the table (hidden from screen readers).
import { el, fmtValue, isMissing, svg } from "../format.js";

// A row's chart: one dot per period with its 95% whisker, England dashed.
function yearChart(values, lo, hi, england) {
  const all = [...values, ...(lo || []), ...(hi || []), ...england].filter((v) => !isMissing(v));
  const node = svg("svg", { viewBox: "0 0 100 30", class: "year-chart", "aria-hidden": "true", focusable: "false" });
  if (!all.length) return node;
  let min = Math.min(...all);
  let max = Math.max(...all);
  if (max === min) [min, max] = [min - 1, max + 1];
  const pad = (max - min) * 0.08;
  const y = (v) => 27 - (24 * (v - min + pad)) / (max - min + 2 * pad);
  const n = values.length;
  const x = (i) => (n > 1 ? 8 + (84 * i) / (n - 1) : 50);
  const path = (vals) => {
    let d = "";
    vals.forEach((v, i) => {
      if (isMissing(v)) return;
      d += `${d && !isMissing(vals[i - 1]) ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    });
    return d;
  };
  if (england.some((v) => !isMissing(v))) node.append(svg("path", { d: path(england), class: "year-england", fill: "none" }));
  node.append(svg("path", { d: path(values), class: "year-line", fill: "none" }));
  values.forEach((v, i) => {
    if (lo && hi && !isMissing(lo[i]) && !isMissing(hi[i]))
      node.append(svg("line", { x1: x(i), x2: x(i), y1: y(lo[i]), y2: y(hi[i]), class: "year-ci" }));
    if (!isMissing(v)) node.append(svg("circle", { cx: x(i), cy: y(v), r: 1.8, class: "year-dot" }));
  });
  return node;
}

// "2019-06-30" (a mid-year population estimate) reads as "mid-2019"; "2018/19" stays.
const periodLabel = (p) => (/^\d{4}-06-30$/.test(p) ? `mid-${p.slice(0, 4)}` : p);

// One table per set of periods: each indicator is a row group (its name and chart, then this
// area's value with the 95% interval under it, then England's) so it fits a narrow panel.
function table(group, meta) {
  const { periods, rows } = group;
  const span = String(periods.length + 1);
  const head = el("tr", {}, el("td", {}), ...periods.map((p) => el("th", { scope: "col", class: "num" }, periodLabel(p))));
  const bodies = rows.map(({ m, t, bench }) => {
    const cells = periods.map((p, i) => {
      const ci = t.lo && !isMissing(t.lo[i]) && !isMissing(t.hi[i]) ? `${fmtValue(m, t.lo[i])}–${fmtValue(m, t.hi[i])}` : null;
      return el("td", { class: "num" }, fmtValue(m, t.v[i]), ci ? el("span", { class: "ci" }, el("span", { class: "visually-hidden" }, "95% CI "), ci) : null);
    });
    const hasEngland = bench.england.some((v) => !isMissing(v));
    return el(
      "tbody",
      { "data-indicator": m.id },
      el("tr", { class: "year-name" }, el("th", { scope: "rowgroup", colspan: span }, el("span", {}, m.label), yearChart(t.v, t.lo, t.hi, bench.england))),
      el("tr", {}, el("th", { scope: "row" }, "This area"), ...cells),
      hasEngland
        ? el(
            "tr",
            { class: "year-bench" },
            el("th", { scope: "row" }, "England"),
            ...periods.map((p, i) => el("td", { class: "num" }, isMissing(bench.england[i]) ? "–" : fmtValue(m, bench.england[i]))),
          )
        : null,
    );
  });
  const caption = `Indicators from ${periodLabel(periods[0])} to ${periodLabel(periods[periods.length - 1])}`;
  return el(
    "div",
    { class: "table-scroll", tabindex: "0", role: "group", "aria-label": `${caption} (scrolls sideways on small screens)` },
    el("table", { class: "values years" }, el("caption", { class: "visually-hidden" }, caption), el("thead", {}, head), ...bodies),
  );
}

export function years({ meta, geo, record }) {
  const trend = record.trend;
  const bench = meta.yearTrends || {};
  if (geo.id !== "lsoa" || !trend || !Object.keys(trend).length) return null;
  const groups = new Map(); // rows sharing the same periods share a table
  // in the map's order of measures where the map shows them, then the others
  const order = new Map(meta.measures.map((m, i) => [m.id, i]));
  const ids = Object.keys(bench).sort((a, b) => (order.get(a) ?? 1e9) - (order.get(b) ?? 1e9));
  for (const id of ids) {
    const t = trend[id];
    const b = bench[id];
    const m = { id, label: b.label, unit: b.unit, decimals: b.decimals };
    if (!t || !b || t.v.every(isMissing)) continue;
    const key = b.periods.join("|");
    if (!groups.has(key)) groups.set(key, { periods: b.periods, rows: [] });
    groups.get(key).rows.push({ m, t, bench: b });
  }
  if (!groups.size) return null;
  const noCounts = [...groups.values()].flatMap((g) => g.periods.filter((p, i) => g.rows.every((r) => !r.t.lo || isMissing(r.t.lo[i]))));
  return el(
    "section",
    { class: "panel-section", "aria-labelledby": "years-title" },
    el("h3", { id: "years-title" }, "Over the years"),
    ...[...groups.values()].map((g) => table(g, meta)),
    el(
      "p",
      { class: "hint" },
      "Each year's value with its 95% confidence interval below it (Wilson score, from the neighbourhood's own counts). Chart: ",
      el("span", { class: "key-year" }, "blue"),
      " this area with its interval, ",
      el("span", { class: "key-england" }, "dashed"),
      " England. ",
      noCounts.length ? `${[...new Set(noCounts)].join(", ")}: published as rates without counts, so no interval and no England total. ` : "",
      "Differences between years smaller than the intervals may be chance; QOF 2020/21 was a pandemic year, when practices recorded less.",
    ),
  );
}
