// Class of each area for the current measure and filters; the map paints from this array.
export const FILTERED = 9;
export const NO_DATA = -1;

export function classOf(value, breaks) {
  if (value === null || value === undefined || Number.isNaN(value) || !breaks.length) return NO_DATA;
  for (let i = 0; i < breaks.length; i++) if (value <= breaks[i]) return i;
  return breaks.length - 1;
}

// Each area's class from the published classes `c` (-1: no data); keep(i) says whether area i
// passes the district and decile filters.
export function classesFor(published, keep) {
  const out = new Array(published.length);
  for (let i = 0; i < published.length; i++) out[i] = keep(i) ? published[i] : FILTERED;
  return out;
}

const classAt = (classes) => ["at", ["get", "i"], ["literal", classes]];

export function fillExpression(classes, colours, noData, filtered) {
  const match = ["match", classAt(classes)];
  colours.forEach((c, i) => match.push(i, c));
  match.push(FILTERED, filtered, noData);
  return match;
}

// The hatch layer draws only areas with no data or outside the filter.
export function hatchFilter(classes) {
  return ["match", classAt(classes), [NO_DATA, FILTERED], true, false];
}

export function hatchPattern(classes) {
  return ["match", classAt(classes), FILTERED, "hatch-filtered", "hatch-nodata"];
}

// A key that changes only when the set of hatched areas (or their kind) changes; null when
// no area is hatched.
export function hatchKey(classes) {
  let h = 0;
  let any = false;
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i];
    if (c === NO_DATA || c === FILTERED) {
      any = true;
      h = (Math.imul(h, 31) + i * 3 + (c === FILTERED ? 1 : 2)) | 0;
    }
  }
  return any ? h : null;
}

// Every colour any measure can paint (with "outside the filter" and "no data"), so one fixed
// expression colours every measure: each area's entry in this list comes from its feature state
// "k" once set, else from the `first` list baked into the expression. A new measure or filter
// then only sets feature states; the tiles are not laid out again.
export function palette(meta) {
  const colours = [];
  for (const m of meta.measures) for (const spec of Object.values(m.geos || {})) for (const c of spec.colours || []) if (!colours.includes(c)) colours.push(c);
  for (const c of [meta.filtered, meta.noData]) if (!colours.includes(c)) colours.push(c);
  return colours;
}

// Each area's palette position for its class under the measure's colours.
export function paletteIndex(classes, colours, all, noData, filtered) {
  const pos = colours.map((c) => all.indexOf(c));
  const nd = all.indexOf(noData);
  const fi = all.indexOf(filtered);
  const out = new Array(classes.length);
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i];
    out[i] = c === FILTERED ? fi : c >= 0 && c < pos.length ? pos[c] : nd;
  }
  return out;
}

export function stateExpression(first, all) {
  const match = ["match", ["coalesce", ["feature-state", "k"], ["at", ["get", "i"], ["literal", first]]]];
  all.forEach((c, i) => match.push(i, c));
  match.push(all[all.length - 1]);
  return match;
}
