// Weekly COVID-19 cases for the selected area (its MSOA), with England's line.
import { el, svg } from "../format.js";

export function trend({ cases, geo, code, record }) {
  if (!cases || !cases.data) return null;
  const msoa = geo.id === "msoa" ? code : record.parents && record.parents.msoa ? record.parents.msoa[0] : null;
  const s = msoa ? cases.series(msoa) : null;
  if (!s) return null;
  const values = [...s.rates, ...s.england].filter((v) => v !== null && v !== undefined);
  const top = Math.max(1, ...values) * 1.1;
  const n = s.weeks.length;
  const x = (i) => 6 + (188 * i) / (n - 1);
  const y = (v) => 56 - (50 * v) / top;
  const node = svg("svg", { viewBox: "0 0 200 64", class: "trend-chart", role: "img", "aria-label": "Weekly cases per 100,000, this MSOA and England" });
  const line = (vals, cls) => {
    let d = "";
    vals.forEach((v, i) => {
      if (v === null || v === undefined) return;
      d += `${d && vals[i - 1] !== null && vals[i - 1] !== undefined ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    });
    node.append(svg("path", { d, class: cls, fill: "none" }));
  };
  node.append(svg("line", { x1: 6, x2: 194, y1: 56, y2: 56, class: "trend-axis" }));
  line(s.england, "trend-england");
  line(s.rates, "trend-area");
  node.append(svg("line", { x1: x(s.week), x2: x(s.week), y1: 4, y2: 56, class: "trend-week" }));
  const known = s.rates.filter((v) => v !== null).length;
  const latest = s.rates[n - 1];
  return el(
    "section",
    { class: "panel-section", "aria-labelledby": "trend-title" },
    el("h3", { id: "trend-title" }, "COVID-19 cases by week, 2020"),
    node,
    el(
      "p",
      { class: "hint" },
      `Cases per 100,000 residents in ${geo.id === "msoa" ? "this MSOA" : `its MSOA (${record.parents.msoa[1] || msoa})`}, weeks 5–41 of 2020 (blue), and England (dashed). `,
      `${n - known} of ${n} weeks had a count of 0–2, suppressed by PHE: those weeks are gaps, not zero. `,
      latest === null ? "" : `Week 41: ${latest.toFixed(1)} per 100,000.`,
    ),
  );
}
