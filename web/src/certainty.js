// How certain the "most vulnerable 10% / 20% / 30%" filter is. An area's decile comes from its
// rank (decile d ≤ k exactly when rank ≤ ⌊k·N/10⌋); its 90% rank interval (5th–95th percentile
// over the sensitivity draws) says where that rank lay when the index was re-run with other
// reasonable weights and methods. An area is surely in the group when its whole interval is,
// possibly when only part of it is.
import { fmtInt } from "./format.js";

// {shown, sure, borderline, outside} among the areas `keep(i)` allows (e.g. one district), for
// the most vulnerable `k` deciles of `total` ranked areas: `shown` in the group by the index's
// ranking, `sure` of those with the whole interval inside, `borderline` the rest of them, and
// `outside` areas not in the group whose interval reaches into it. null without rank intervals.
export function groupCertainty(index, k, total, keep = () => true) {
  if (!index || !index.rank || !index.p05 || !index.p95 || !k || !total) return null;
  const cut = Math.floor((k * total) / 10);
  let shown = 0;
  let sure = 0;
  let outside = 0;
  for (let i = 0; i < index.rank.length; i++) {
    if (!keep(i) || index.rank[i] === null || index.p05[i] === null || index.p95[i] === null) continue;
    const inGroup = index.decile ? index.decile[i] !== null && index.decile[i] <= k : index.rank[i] <= cut;
    if (inGroup) {
      shown++;
      if (index.p95[i] <= cut) sure++;
    } else if (index.p05[i] <= cut) outside++;
  }
  return { shown, sure, borderline: shown - sure, outside };
}

// The sentence the legend and the screen-reader announcement use.
export function certaintyText(c, k) {
  if (!c) return "";
  const n = (x, one, many) => `${fmtInt(x)} ${x === 1 ? one : many}`;
  return (
    `${n(c.shown, "area is", "areas are")} in the most vulnerable ${k}0% by the index's ranking. ` +
    `${fmtInt(c.sure)} of them stay in it across their whole 90% rank interval; the other ${fmtInt(c.borderline)} are borderline, ` +
    `as ${c.outside === 1 ? "is 1 area" : `are ${fmtInt(c.outside)} areas`} just outside (part of the interval reaches into it).`
  );
}
