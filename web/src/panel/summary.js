// First section of the panel: where the area stands on the index (decile and rank), and its
// value of the measure the map is coloured by. On a phone this is what the sheet shows first.
import { decileWords, el, fmtInt, fmtValue } from "../format.js";
import { decileStrip } from "./charts.js";

export function summary({ meta, geo, record, measure, rankTotal }) {
  const idx = record.index && record.index.index;
  const out = el("div", { class: "summary" });
  if (idx && idx.rank !== null && idx.rank !== undefined) {
    const indexMeasure = meta.measures.find((m) => m.id === "index");
    const colours = indexMeasure.geos[geo.id] ? indexMeasure.geos[geo.id].colours : indexMeasure.geos.lsoa.colours;
    out.append(
      el("p", { class: "summary-index" }, el("span", { class: "summary-label" }, meta.indexTitle || "Index"), " "),
      el(
        "p",
        { class: "summary-decile" },
        idx.decile ? el("strong", {}, `Decile ${idx.decile} of 10`) : null,
        idx.decile ? ` – ${decileWords(idx.decile)}` : null,
      ),
      decileStrip(idx.decile, colours),
      el("p", { class: "summary-rank" }, `Rank ${fmtInt(idx.rank)} of ${fmtInt(rankTotal)} (1 = most vulnerable)`),
    );
    // how certain that is: the 90% rank interval and how often the area stays in its decile
    const sure = [];
    if (idx.p05 !== null && idx.p05 !== undefined && idx.p95 !== null && idx.p95 !== undefined)
      sure.push(`rank interval (90%) ${fmtInt(idx.p05)} to ${fmtInt(idx.p95)}`);
    if (idx.decile && record.stays !== null && record.stays !== undefined) {
      const pct = Math.round(100 * record.stays);
      const how = pct >= 90 ? "stable" : pct >= 60 ? "fairly stable" : "uncertain";
      sure.push(`decile ${how}: in decile ${idx.decile} in ${pct}% of sensitivity draws`);
    }
    if (sure.length) out.append(el("p", { class: "summary-stability" }, sure.join("; ")));
    if (record.why) out.append(el("p", { class: "summary-why" }, record.why));
    if (record.imputed > 0.5)
      out.append(
        el(
          "p",
          { class: "summary-imputed" },
          `Caution: ${Math.round(record.imputed * 100)}% of this area's index rests on imputed values ` +
            "(data missing here were filled in from the surrounding district), so its position is less certain.",
        ),
      );
  }
  if (measure && measure.id !== "index") {
    let shown;
    if (measure.group === "indicator") shown = fmtValue(measure, record.values ? record.values[measure.id] : null);
    else {
      const r = record.index && record.index[measure.id.replace(/^domain\./, "")];
      shown = r && r.decile ? `decile ${r.decile} of 10, rank ${fmtInt(r.rank)}` : "no data";
    }
    out.append(el("p", { class: "summary-measure" }, el("span", { class: "summary-label" }, `${measure.label}: `), el("strong", {}, shown)));
  }
  return out;
}
