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
