// Where the numbers come from.
import { el } from "../format.js";

export function sources({ meta }) {
  if (!meta.sources.length) return null;
  const seen = new Set();
  const items = [];
  for (const s of meta.sources) {
    const key = `${s.publisher}|${s.dataset}`;
    if (seen.has(key)) continue;
    seen.add(key);
    items.push(el("li", {}, `${s.publisher}: ${s.dataset}`, s.vintage ? ` (${s.vintage})` : "", s.loaded_at ? `, loaded ${s.loaded_at}` : "", `. ${s.licence}`));
  }
  return el("section", { class: "panel-section", "aria-labelledby": "sources-title" }, el("h3", { id: "sources-title" }, "Sources"), el("ul", { class: "sources" }, items));
}
