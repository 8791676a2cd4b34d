// Page state that lives in the URL hash, so a view can be shared and Back/Forward step through
// selections: m measure, g geography, d district, dec decile filter, a area, v view
// (zoom/lat/lon), p table page, q table filter.
const KEYS = ["m", "g", "d", "dec", "a", "v", "p", "q"];
// Changing one of these is a new selection (a new history entry); the rest replace the entry.
const SELECTION = ["measure", "geography", "district", "deciles", "area"];

export function parseView(text) {
  const parts = (text || "").split("/").map(Number);
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x))) return null;
  const [zoom, lat, lon] = parts;
  if (zoom < 0 || zoom > 22 || Math.abs(lat) > 85 || Math.abs(lon) > 180) return null;
  return { zoom, center: [lon, lat] };
}

export function formatView(view) {
  if (!view) return "";
  const [lon, lat] = view.center;
  return `${view.zoom.toFixed(2)}/${lat.toFixed(5)}/${lon.toFixed(5)}`;
}

export function readState(meta, hash = location.hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  return {
    measure: params.get("m") || meta.defaultMeasure,
    geography: params.get("g") || "lsoa",
    district: params.get("d") || "",
    deciles: params.get("dec") || "",
    area: params.get("a") || "",
    view: parseView(params.get("v")),
    page: Math.max(0, parseInt(params.get("p") || "1", 10) - 1) || 0,
    filter: params.get("q") || "",
  };
}

export function toHash(state) {
  const values = {
    m: state.measure,
    g: state.geography === "lsoa" ? "" : state.geography,
    d: state.district,
    dec: state.deciles,
    a: state.area,
    v: formatView(state.view),
    p: state.page ? String(state.page + 1) : "",
    q: state.filter,
  };
  const params = new URLSearchParams();
  for (const key of KEYS) if (values[key]) params.set(key, values[key]);
  return "#" + params.toString().replace(/%2F/g, "/");
}

export function sameSelection(a, b) {
  return SELECTION.every((k) => (a[k] || "") === (b[k] || ""));
}

let last = null;

// Record the state: a new history entry when the selection changed, else replace the entry.
export function writeState(state, { push = null } = {}) {
  const hash = toHash(state);
  const isNew = push === null ? last !== null && !sameSelection(last, state) : push;
  last = { ...state };
  if (hash === location.hash) return;
  if (isNew) history.pushState(null, "", hash);
  else history.replaceState(null, "", hash);
}

export function rememberState(state) {
  last = { ...state };
}

// Fix a state that contradicts itself or the data: unknown measure, geography, district or
// decile filter, or an area hidden by its own filter. Returns the fixed state and, for each
// change, a sentence saying what was changed.
export function reconcile(state, meta, areaInfo) {
  const s = { ...state };
  const notes = [];
  const geo = meta.geographies.find((g) => g.id === s.geography);
  if (!geo) {
    notes.push(`There is no "${s.geography}" geography on this map, so it shows neighbourhoods.`);
    s.geography = "lsoa";
  }
  const g = meta.geographies.find((x) => x.id === s.geography);
  if (!g.measures.includes(s.measure)) {
    const known = meta.measures.find((m) => m.id === s.measure);
    notes.push(known ? `${known.title} is not available for ${g.label}; the map shows ${meta.measures.find((m) => m.id === g.measures[0]).title}.` : `The link names a measure this map does not have; the map shows ${meta.measures.find((m) => m.id === g.measures[0]).title}.`);
    s.measure = g.measures[0];
  }
  if (s.district && !meta.districts.some((d) => d.code === s.district)) {
    notes.push(`The link names a district this map does not cover (${s.district}); showing all districts.`);
    s.district = "";
  }
  if (s.deciles && (!g.hasDecile || !["1", "2", "3"].includes(s.deciles))) {
    notes.push("The decile filter in the link does not apply here; showing all areas.");
    s.deciles = "";
  }
  const info = s.area ? areaInfo(s.area) : null;
  if (info) {
    if (s.district && info.district && info.district.code !== s.district) {
      notes.push(`${info.name} is in ${info.district.name}, so the district filter now shows ${info.district.name}.`);
      s.district = info.district.code;
    }
    if (s.deciles && (info.decile === null || info.decile === undefined || info.decile > parseInt(s.deciles, 10))) {
      notes.push(`${info.name} is not among the most vulnerable ${s.deciles}0%, so all areas are shown.`);
      s.deciles = "";
    }
  }
  return { state: s, notes };
}
