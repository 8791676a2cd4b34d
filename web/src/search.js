// Search: names and codes of areas, wards and districts, and postcodes where loaded.
import { areasFile, getJSON } from "./data.js";
import { el } from "./format.js";

const POSTCODE = /^[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}$/;

export class Search {
  constructor({ meta, input, list, geo, onArea, onDistrict, announce }) {
    Object.assign(this, { meta, input, list, geo, onArea, onDistrict, announce });
    let timer;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.run(input.value), 150);
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        clearTimeout(timer);
        this.run(input.value).then(() => this.first()?.focus());
      } else if (e.key === "ArrowDown" && this.first()) {
        e.preventDefault();
        this.first().focus();
      } else if (e.key === "Escape") this.close();
    });
    list.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        this.close();
        input.focus();
        return;
      }
      if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
      const buttons = [...list.querySelectorAll("button")];
      const at = buttons.indexOf(document.activeElement);
      const next = buttons[at + (e.key === "ArrowDown" ? 1 : -1)];
      e.preventDefault();
      (next || input).focus();
    });
  }

  first() {
    return this.list.querySelector("button");
  }

  close() {
    this.list.hidden = true;
    this.list.replaceChildren();
  }

  async run(query) {
    const q = query.trim().toLowerCase();
    if (q.length < 2) return this.close();
    const results = [];
    const upper = query.trim().toUpperCase();
    const meta = this.meta;
    if (meta.hasPostcodes && POSTCODE.test(upper)) {
      const key = upper.replace(/\s+/g, "");
      try {
        const table = await getJSON(`data/postcodes/${key.slice(0, -3)}.json.gz`);
        const lsoa = table[key];
        if (lsoa) results.push({ kind: "area", code: lsoa, label: `Postcode ${upper}: area ${lsoa}${meta.postcodesApproximate ? " (approximate: postcode placed by its grid reference)" : ""}` });
      } catch {
        /* no postcodes in this outward code */
      }
    }
    for (const d of meta.districts) if (d.name.toLowerCase().includes(q) || d.code.toLowerCase() === q) results.push({ kind: "district", code: d.code, label: `${d.name} (district): show only this district` });
    const areas = await getJSON(areasFile(this.geo().id));
    for (let i = 0; i < areas.codes.length && results.length < 25; i++) {
      const ward = areas.ward ? areas.wardNames[areas.ward[i]] : "";
      if (areas.names[i].toLowerCase().includes(q) || areas.codes[i].toLowerCase() === q || (ward && ward.toLowerCase().includes(q))) {
        const d = meta.districts[areas.district[i]];
        results.push({ kind: "area", code: areas.codes[i], label: `${areas.names[i]} (${areas.codes[i]})${ward ? `, ${ward} ward` : ""}${d && d.name !== areas.names[i] ? `, ${d.name}` : ""}` });
      }
    }
    this.list.replaceChildren(
      ...results.map((r) =>
        el("li", {}, el("button", {
          type: "button",
          class: "result",
          onclick: () => {
            this.close();
            if (r.kind === "district") this.onDistrict(r.code);
            else this.onArea(r.code);
          },
        }, r.label)),
      ),
    );
    if (!results.length) this.list.append(el("li", { class: "none" }, "No areas match."));
    this.list.hidden = false;
    this.announce(results.length ? `${results.length} result${results.length === 1 ? "" : "s"} found. Press Tab to move to them.` : "No areas match.");
  }
}
