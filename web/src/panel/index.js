// The area panel: a list of sections, each a function of the area that returns a node (or
// null when it has nothing to show). Add a section by writing a module and listing it here.
import { codes } from "./codes.js";
import { domains } from "./domains.js";
import { drivers } from "./drivers.js";
import { indicators } from "./indicators.js";
import { sources } from "./sources.js";
import { summary } from "./summary.js";
import { trend } from "./trend.js";
import { years } from "./years.js";

let cases = null; // the weekly cases overlay (cases.js), when the build has cases
export function setCases(c) {
  cases = c;
}

// `summary` is shown first (on a phone it is what the bottom sheet shows before it is opened).
export const SUMMARY = summary;
export const SECTIONS = [domains, indicators, years, trend, drivers, codes, sources];

// Comparisons and QOF quality flags are stored as one letter each (lantern.publish.details).
const VERDICTS = { h: "higher", s: "similar", l: "lower" };
const FLAGS = { c: "low_coverage", o: "dominant_outlier" };

// One area's row of a column-wise detail file (see lantern.publish.details).
export function recordOf(file, code) {
  const i = file.codes.indexOf(code);
  if (i < 0) return null;
  const pick = (obj) => Object.fromEntries(Object.entries(obj || {}).map(([k, v]) => [k, v[i]]));
  return {
    name: file.names[i],
    bbox: file.bbox[i],
    values: pick(file.values),
    index: Object.fromEntries(Object.entries(file.index || {}).map(([comp, cols]) => [comp, pick(cols)])),
    parents: pick(file.parents),
    contrib: contribOf(file.contrib, i),
    stays: file.stays ? file.stays[i] : null,
    why: file.why ? file.why[i] : "",
    imputed: file.imputed ? file.imputed[i] : null,
    flags: Object.fromEntries(Object.entries(file.flags || {}).map(([k, col]) => [k, FLAGS[col[i]] || ""])),
    trend: Object.fromEntries(Object.entries(file.trend || {}).map(([k, cols]) => [k, pick(cols)])),
    ci: Object.fromEntries(Object.entries(file.ci || {}).map(([k, cols]) => [k, cols.map((c, j) => (c ? (j >= 2 ? VERDICTS[c[i]] || "" : c[i]) : null))])),
  };
}

// Each domain's share of the index score for area i, largest first: {index: [[domain, share]]}.
function contribOf(contrib, i) {
  const shares = contrib && contrib.index;
  if (!shares) return {};
  const rows = Object.entries(shares).map(([term, col]) => [term, col[i]]).filter(([, v]) => v !== null && v !== undefined);
  rows.sort((a, b) => b[1] - a[1]);
  return { index: rows };
}

export function renderPanel(panel, ctx) {
  panel.querySelector("#panel-title").textContent = ctx.record.name;
  panel.querySelector("#panel-summary").replaceChildren(SUMMARY(ctx));
  const body = panel.querySelector("#panel-body");
  body.replaceChildren(...SECTIONS.map((section) => section({ ...ctx, cases })).filter(Boolean));
  panel.dataset.area = ctx.code;
}

export function clearPanel(panel, text) {
  panel.querySelector("#panel-title").textContent = "Choose an area";
  panel.querySelector("#panel-summary").replaceChildren();
  const body = panel.querySelector("#panel-body");
  body.replaceChildren();
  const p = document.createElement("p");
  p.textContent = text;
  body.append(p);
  delete panel.dataset.area;
}
