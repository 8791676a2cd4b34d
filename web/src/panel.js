// The area panel: names and codes, index position, spine charts, contributions and sources.
import { el, fmt, fmtInt } from "./format.js";

function spine(measure, value) {
  // Spine chart: range of the map's areas, middle half shaded, county and England marks, this area.
  const d = measure.dist;
  if (!d || d.max === d.min || value === null || value === undefined) return el("span", { "aria-hidden": "true" });
  const x = (v) => (100 * (v - d.min)) / (d.max - d.min);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 100 14");
  svg.setAttribute("class", "spine");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const add = (tag, attrs) => {
    const n = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    svg.append(n);
  };
  add("rect", { x: 0, y: 5, width: 100, height: 4, class: "spine-range" });
  add("rect", { x: x(d.q1), y: 3, width: Math.max(0.5, x(d.q3) - x(d.q1)), height: 8, class: "spine-iqr" });
  if (measure.county !== null) add("rect", { x: x(measure.county) - 0.6, y: 1, width: 1.2, height: 12, class: "spine-county" });
  if (measure.england !== null && measure.england >= d.min && measure.england <= d.max)
    add("rect", { x: x(measure.england) - 0.6, y: 1, width: 1.2, height: 12, class: "spine-england" });
  add("circle", { cx: Math.min(97, Math.max(3, x(value))), cy: 7, r: 3, class: "spine-area" });
  return svg;
}

function valueRows(meta, measures, values) {
  return measures.map((m) =>
    el(
      "tr",
      {},
      el("th", { scope: "row" }, m.title),
      el("td", {}, fmt(values[m.id], m.unit)),
      el("td", {}, fmt(m.county, m.unit)),
      el("td", {}, fmt(m.england, m.unit)),
      el("td", { class: "spine-cell" }, spine(m, values[m.id])),
    ),
  );
}

function valueTable(meta, caption, measures, values) {
  const withEngland = measures.some((m) => m.england !== null);
  const table = el(
    "table",
    { class: "values" },
    el("caption", {}, caption),
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", { scope: "col" }, "Measure"),
        el("th", { scope: "col" }, "This area"),
        el("th", { scope: "col" }, meta.countyLabel),
        el("th", { scope: "col" }, "England"),
        el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "Comparison chart"), el("span", { "aria-hidden": "true" }, "Range")),
      ),
    ),
    el("tbody", {}, valueRows(meta, measures, values)),
  );
  if (!withEngland) for (const row of table.querySelectorAll("tr")) row.children[3].remove();
  return table;
}

export function renderPanel(panel, meta, geo, detail, code) {
  const title = panel.querySelector("#panel-title");
  const body = panel.querySelector("#panel-body");
  body.replaceChildren();
  title.textContent = detail.name;
  const codes = el("dl", { class: "codes" });
  const codeRow = (label, pair) => {
    if (!pair || !pair[0]) return;
    codes.append(el("dt", {}, label), el("dd", {}, pair[1] ? `${pair[1]} (${pair[0]})` : pair[0]));
  };
  const geoLabel = { lsoa: "LSOA", msoa: "MSOA", ward: "Ward", district: "District" };
  codeRow(geoLabel[geo.id], [code, null]);
  if (geo.id === "lsoa") {
    codeRow("MSOA", detail.msoa);
    codeRow("Ward", detail.ward);
  }
  if (geo.id !== "district") codeRow("District", detail.district);
  body.append(codes);

  const idx = detail.index && detail.index.index;
  if (idx) {
    const n = geo.count;
    const [score, rank, decile, p05, p95] = idx;
    const summary = el(
      "dl",
      { class: "index-summary" },
      el("dt", {}, "Index score"),
      el("dd", {}, fmt(score)),
      el("dt", {}, "Rank"),
      el("dd", {}, `${fmtInt(rank)} of ${fmtInt(n)}`),
    );
    if (decile) summary.append(el("dt", {}, "Decile"), el("dd", {}, `${decile} of 10`));
    if (p05 !== null && p05 !== undefined && p95 !== null && p95 !== undefined)
      summary.append(el("dt", {}, "Rank interval (90%)"), el("dd", {}, `${fmtInt(p05)} to ${fmtInt(p95)}`));
    if (decile && detail.stays !== null && detail.stays !== undefined) {
      const pct = Math.round(100 * detail.stays);
      const how = pct >= 90 ? "stable" : pct >= 60 ? "fairly stable" : "uncertain";
      summary.append(el("dt", {}, "Decile stability"), el("dd", {}, `${how}: in decile ${decile} in ${pct}% of sensitivity draws`));
    }
    body.append(el("h3", {}, meta.indexTitle || "Index"));
    if (detail.why) body.append(el("p", { class: "why" }, detail.why));
    body.append(summary, el("p", { class: "hint" }, meta.rankNote));
  }

  const groups = [
    ["Index and domains", meta.measures.filter((m) => m.group !== "indicator" && detail.values[m.id] !== undefined)],
    ["Indicators", meta.measures.filter((m) => m.group === "indicator" && detail.values[m.id] !== undefined)],
  ];
  for (const [caption, list] of groups) {
    if (!list.length) continue;
    body.append(valueTable(meta, caption, list, detail.values));
  }
  if (meta.measures.some((m) => m.dist))
    body.append(
      el(
        "p",
        { class: "hint legend-spine" },
        "Chart: grey bar is the range of areas on this map, darker block the middle half; ",
        el("span", { class: "key-county" }, "blue line"),
        ` is the ${meta.countyLabel.toLowerCase()} value, `,
        el("span", { class: "key-england" }, "black line"),
        " England, the red dot this area.",
      ),
    );

  const contrib = detail.contrib && detail.contrib.index;
  if (contrib && contrib.length) {
    const titles = Object.fromEntries(meta.measures.map((m) => [m.id.replace(/^domain\./, ""), m.title]));
    const rows = contrib.map(([term, c, share]) =>
      el("tr", {}, el("th", { scope: "row" }, titles[term] || term), el("td", {}, fmt(c)), el("td", {}, share === null ? "–" : `${fmt(100 * share)}%`)),
    );
    body.append(
      el("h3", {}, "What drives the score"),
      el(
        "table",
        { class: "values" },
        el("caption", {}, "Contribution of each domain to the index score"),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Domain"), el("th", { scope: "col" }, "Contribution"), el("th", { scope: "col" }, "Share"))),
        el("tbody", {}, rows),
      ),
    );
  }

  if (meta.sources.length) {
    body.append(
      el("h3", {}, "Sources"),
      el(
        "ul",
        { class: "sources" },
        meta.sources.map((s) => el("li", {}, `${s.publisher}: ${s.dataset}`, s.vintage ? ` (${s.vintage})` : "", s.loaded_at ? `, loaded ${s.loaded_at}` : "", `. ${s.licence}`)),
      ),
    );
  }
}
