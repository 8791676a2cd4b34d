// Page state that lives in the URL hash, so a view can be shared.
const KEYS = ["m", "g", "d", "dec", "a", "p", "q"];

export function readState(meta) {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  return {
    measure: params.get("m") || meta.defaultMeasure,
    geography: params.get("g") || "lsoa",
    district: params.get("d") || "",
    deciles: params.get("dec") || "",
    area: params.get("a") || "",
    page: Math.max(0, parseInt(params.get("p") || "1", 10) - 1) || 0,
    filter: params.get("q") || "",
  };
}

export function writeState(state) {
  const values = {
    m: state.measure,
    g: state.geography === "lsoa" ? "" : state.geography,
    d: state.district,
    dec: state.deciles,
    a: state.area,
    p: state.page ? String(state.page + 1) : "",
    q: state.filter,
  };
  const params = new URLSearchParams();
  for (const key of KEYS) if (values[key]) params.set(key, values[key]);
  const hash = "#" + params.toString();
  if (hash !== location.hash) history.replaceState(null, "", hash);
}
