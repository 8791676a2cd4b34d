// Fetches the published JSON files once each. The data files are stored gzip-compressed
// (`.json.gz`): inflated here, unless the server already did (it sent Content-Encoding: gzip).
const cache = new Map();

export async function parseJSON(response, path) {
  if (!response.ok) throw new Error(`Could not load ${path} (HTTP ${response.status})`);
  if (!path.endsWith(".gz")) return response.json();
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return JSON.parse(new TextDecoder().decode(bytes));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}

export const fetchJSON = (path) => fetch(path).then((r) => parseJSON(r, path));

export function getJSON(path) {
  if (!cache.has(path)) cache.set(path, fetchJSON(path));
  return cache.get(path);
}

export const fileId = (id) => id.replace(/[^A-Za-z0-9_.-]/g, "_");
export const areasFile = (geo) => `data/areas/${geo}.json.gz`;
export const valuesFile = (geo, measure) => `data/values/${geo}/${fileId(measure)}.json.gz`;
export const detailFile = (geo, district) => `data/detail/${geo}/${district || "_"}.json.gz`;
