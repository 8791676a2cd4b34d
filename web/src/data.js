// Fetches the published JSON files once each.
const cache = new Map();

export function getJSON(path) {
  if (!cache.has(path)) {
    cache.set(
      path,
      fetch(path).then((r) => {
        if (!r.ok) throw new Error(`Could not load ${path} (HTTP ${r.status})`);
        return r.json();
      }),
    );
  }
  return cache.get(path);
}

export const fileId = (id) => id.replace(/[^A-Za-z0-9_.-]/g, "_");
export const areasFile = (geo) => `data/areas/${geo}.json`;
export const valuesFile = (geo, measure) => `data/values/${geo}/${fileId(measure)}.json`;
export const detailFile = (geo, district) => `data/detail/${geo}/${district || "_"}.json`;
