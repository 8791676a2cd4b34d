// The area's codes and the areas it lies in.
import { el } from "../format.js";

const LABEL = { lsoa: "LSOA", msoa: "MSOA", ward: "Ward", district: "District" };

export function codes({ meta, geo, record, code }) {
  const list = el("dl", { class: "codes" });
  const row = (label, pair) => {
    if (!pair || !pair[0]) return;
    list.append(el("dt", {}, label), el("dd", {}, pair[1] ? `${pair[1]} (${pair[0]})` : pair[0]));
  };
  row(LABEL[geo.id], [code, null]);
  const parents = record.parents || {};
  if (geo.id === "lsoa") {
    row("MSOA", parents.msoa);
    row("Ward", parents.ward);
  }
  if (geo.id !== "district" && parents.district) {
    const d = meta.districts.find((x) => x.code === parents.district[0]);
    row("District", [parents.district[0], parents.district[1] || (d ? d.name : "")]);
  }
  return el("section", { class: "panel-section", "aria-labelledby": "codes-title" }, el("h3", { id: "codes-title" }, "Where it is"), list);
}
