// Number and text formatting shared by the legend, panel and table.
const nf = new Intl.NumberFormat("en-GB", { maximumSignificantDigits: 4 });
const nfInt = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 });

export function fmt(value, unit = "") {
  if (value === null || value === undefined || Number.isNaN(value)) return "no data";
  const text = Math.abs(value) >= 1000 ? nfInt.format(value) : nf.format(value);
  return unit === "%" ? `${text}%` : text;
}

export function fmtInt(value) {
  return value === null || value === undefined ? "–" : nfInt.format(value);
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
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
