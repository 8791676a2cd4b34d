// Class of each area for the current measure and filters; the map paints from this array.
export const FILTERED = 9;
export const NO_DATA = -1;

export function classOf(value, breaks) {
  if (value === null || value === undefined || Number.isNaN(value) || !breaks.length) return NO_DATA;
  for (let i = 0; i < breaks.length; i++) if (value <= breaks[i]) return i;
  return breaks.length - 1;
}

// keep(i) says whether area i passes the district and decile filters.
export function classesFor(values, breaks, keep) {
  const out = new Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = keep(i) ? classOf(values[i], breaks) : FILTERED;
  return out;
}

export function fillExpression(classes, colours, noData, filtered) {
  const match = ["match", ["at", ["get", "i"], ["literal", classes]]];
  colours.forEach((c, i) => match.push(i, c));
  match.push(FILTERED, filtered, noData);
  return match;
}
