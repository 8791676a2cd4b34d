// Number and text formatting shared by the legend, panel, tooltip and table.
// Each measure carries `decimals` (chosen at publish time so a typical value shows three
// significant figures); index and domain measures are shown as ranks and deciles, never scores.
const formatters = new Map();

function formatter(decimals) {
  if (!formatters.has(decimals)) {
    formatters.set(decimals, new Intl.NumberFormat("en-GB", { minimumFractionDigits: decimals, maximumFractionDigits: decimals }));
  }
  return formatters.get(decimals);
}

export const isMissing = (value) => value === null || value === undefined || Number.isNaN(value);

// A measure's value as a plain number with the measure's decimals (the unit is in its label).
export function fmtValue(measure, value) {
  if (isMissing(value)) return "no data";
  const text = formatter(measure ? measure.decimals || 0 : 2).format(value);
  return /^-?0(\.0*)?$/.test(text) ? text.replace("-", "") : text;
}

// The same with the unit where it reads naturally after a number ("24.3%", "3.1 km").
export function fmtWithUnit(measure, value) {
  const text = fmtValue(measure, value);
  if (isMissing(value) || !measure.unit) return text;
  if (measure.unit === "%") return `${text}%`;
  if (["km", "people", "households", "deaths", "people per km²"].includes(measure.unit)) return `${text} ${measure.unit}`;
  return text;
}

export function fmtInt(value) {
  return isMissing(value) ? "–" : formatter(0).format(value);
}

export function ordinalDecile(decile) {
  return isMissing(decile) ? "no decile" : `decile ${decile} of 10`;
}

// "Most vulnerable 10%" for decile 1, "10–20% most vulnerable" … "Least vulnerable 10%".
export function decileWords(decile) {
  if (isMissing(decile)) return "no data";
  if (decile === 1) return "most vulnerable 10%";
  if (decile === 10) return "least vulnerable 10%";
  return `${(decile - 1) * 10}–${decile * 10}% most vulnerable`;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function svg(tag, attrs = {}) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}
