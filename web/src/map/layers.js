// The map style: the choropleth of the current geography, hatching for areas with no data or
// outside the filter, district outlines and the selected area drawn above it.
const INK = "#1b1b1b";

// The weekly cases overlay's geography: features addressable by GSS code (the overlay's own
// feature states); every other geography by position `i`, which its colours' feature states use.
export const casesGeography = (meta, g) => Boolean(meta && meta.cases && meta.cases.geography === g.id);

const archiveUrl = (path) => `pmtiles://${new URL(path, location.href).href}`;

export function geoSource(g, meta) {
  const promoteId = casesGeography(meta, g) ? "code" : "i";
  return { type: "vector", url: archiveUrl(g.tiles), promoteId };
}

// What each tile archive's header would say (its tile addresses, zoom range and bounds), from the
// page's metadata, for the archives whose zoom range the metadata gives: the map's protocol
// answers with it at once (main.js), so the map asks for the first view's tiles in its first
// frame instead of after reading each archive's header.
export function knownArchives(meta) {
  const out = new Map();
  for (const g of meta.geographies || []) {
    if (!g.tiles || !Number.isInteger(g.minzoom) || !Number.isInteger(g.maxzoom)) continue;
    const url = archiveUrl(g.tiles);
    out.set(url, { tiles: [`${url}/{z}/{x}/{y}`], minzoom: g.minzoom, maxzoom: g.maxzoom, ...(meta.bounds ? { bounds: meta.bounds } : {}) });
  }
  return out;
}

export function geoLayers(g, { visible, fillColor, filtered }) {
  const visibility = visible ? "visible" : "none";
  return [
    { id: `fill-${g.id}`, type: "fill", source: g.id, "source-layer": "areas", layout: { visibility }, paint: { "fill-color": fillColor || filtered, "fill-antialias": false } },
    // Hidden (so not laid out at all) until some area has no data or is outside the filter.
    { id: `hatch-${g.id}`, type: "fill", source: g.id, "source-layer": "areas", layout: { visibility: "none" }, filter: ["==", ["get", "i"], -1], paint: { "fill-pattern": "hatch-nodata", "fill-antialias": false } },
    { id: `line-${g.id}`, type: "line", source: g.id, "source-layer": "areas", minzoom: g.id === "lsoa" ? 8 : 0, layout: { visibility }, paint: { "line-color": "#ffffff", "line-width": ["interpolate", ["linear"], ["zoom"], 8, 0.3, 12, 1], "line-opacity": 0.8 } },
  ];
}

// Selected area: a white casing under a dark line, so it shows on every colour.
export function selectionLayers(g, visible) {
  const visibility = visible ? "visible" : "none";
  const filter = ["==", ["get", "code"], ""];
  return [
    { id: `selcase-${g.id}`, type: "line", source: g.id, "source-layer": "areas", filter, layout: { visibility, "line-join": "round" }, paint: { "line-color": "#ffffff", "line-width": 6 } },
    { id: `sel-${g.id}`, type: "line", source: g.id, "source-layer": "areas", filter, layout: { visibility, "line-join": "round" }, paint: { "line-color": INK, "line-width": 2.5 } },
  ];
}

export function outlineSource(meta) {
  return meta.outlines ? { type: "vector", url: archiveUrl(meta.outlines) } : null;
}

// Mitred joins (with MapLibre's default miter limit): round joins add a fan of triangles at
// every vertex of every district boundary, which made these two lines cost as much to draw as
// England's 33,755 filled areas in software rendering.
export function outlineLayers() {
  const width = ["interpolate", ["linear"], ["zoom"], 5, 0.6, 8, 1.2, 12, 2];
  return [
    { id: "outline-case", type: "line", source: "outlines", "source-layer": "areas", layout: { "line-join": "miter" }, paint: { "line-color": "#ffffff", "line-width": ["interpolate", ["linear"], ["zoom"], 5, 1.6, 8, 3, 12, 4.5], "line-opacity": 0.85 } },
    { id: "outline", type: "line", source: "outlines", "source-layer": "areas", layout: { "line-join": "miter" }, paint: { "line-color": "#3b3b3b", "line-width": width } },
  ];
}

// Layers are ordered: every geography's fills and hatching, then district outlines, then the
// selection outline on top.
export function style(meta, current, fillColor) {
  const sources = {};
  // No background layer: the map box's own colour (style.css) shows through the transparent
  // canvas, which saves a shader and a full-screen draw on every frame.
  const layers = [];
  if (meta.tileUrl) {
    sources.basemap = { type: "raster", tiles: [meta.tileUrl], tileSize: 256, attribution: meta.tileAttribution || "" };
    layers.push({ id: "basemap", type: "raster", source: "basemap", paint: { "raster-opacity": 0.6 } });
  }
  sources[current.id] = geoSource(current, meta);
  layers.push(...geoLayers(current, { visible: true, fillColor, filtered: meta.filtered }));
  const outlines = outlineSource(meta);
  if (outlines) {
    sources.outlines = outlines;
    layers.push(...outlineLayers());
  }
  layers.push(...selectionLayers(current, true));
  return { version: 8, sources, layers };
}

// Add a geography's source and layers to a running map (below the outlines).
export function ensureGeography(map, meta, g) {
  if (map.getSource(g.id)) return;
  map.addSource(g.id, geoSource(g, meta));
  const before = map.getLayer("outline-case") ? "outline-case" : undefined;
  for (const layer of geoLayers(g, { visible: false, filtered: meta.filtered })) map.addLayer(layer, before);
  for (const layer of selectionLayers(g, false)) map.addLayer(layer);
}

export function showGeography(map, meta) {
  return (current) => {
    for (const g of meta.geographies) {
      const visibility = g.id === current.id ? "visible" : "none";
      for (const id of [`fill-${g.id}`, `line-${g.id}`, `selcase-${g.id}`, `sel-${g.id}`]) if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", visibility);
      if (g.id !== current.id && map.getLayer(`hatch-${g.id}`)) map.setLayoutProperty(`hatch-${g.id}`, "visibility", "none");
    }
  };
}
