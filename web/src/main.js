// The Lantern open map: MapLibre over PMTiles, coloured from per-measure value files.
import maplibregl from "maplibre-gl";
import { Protocol } from "pmtiles";
import { classesFor, fillExpression, FILTERED } from "./colour.js";
import { areasFile, detailFile, getJSON, valuesFile } from "./data.js";
import { el, fmt } from "./format.js";
import { renderPanel } from "./panel.js";
import { readState, writeState } from "./state.js";
import { AreaTable } from "./table.js";

const meta = JSON.parse(document.getElementById("lantern-meta").textContent);
const $ = (id) => document.getElementById(id);
const live = (text) => {
  $("live").textContent = "";
  setTimeout(() => ($("live").textContent = text), 50);
};
const geoById = Object.fromEntries(meta.geographies.map((g) => [g.id, g]));
const measureById = Object.fromEntries(meta.measures.map((m) => [m.id, m]));
let state = readState(meta);
let map;
let areas = null; // areas of the current geography
let values = null; // values of the current measure
let indexValues = null; // index ranks/deciles of the current geography (for the decile filter)
let firstColoured = false;

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}
function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

function geo() {
  return geoById[state.geography] || geoById.lsoa;
}

function fillControls() {
  const measureSelect = $("measure");
  const groups = { index: "Index", domain: "Domains", indicator: "Indicators" };
  measureSelect.replaceChildren();
  for (const [group, label] of Object.entries(groups)) {
    const list = meta.measures.filter((m) => m.group === group && geo().measures.includes(m.id));
    if (!list.length) continue;
    measureSelect.append(el("optgroup", { label }, list.map((m) => el("option", { value: m.id }, m.title))));
  }
  $("geography").replaceChildren(...meta.geographies.map((g) => el("option", { value: g.id }, g.label)));
  $("district").replaceChildren(el("option", { value: "" }, "All districts"), ...meta.districts.map((d) => el("option", { value: d.code }, d.name)));
}

function syncControls() {
  if (!geo().measures.includes(state.measure)) state.measure = geo().measures[0];
  fillControls();
  $("measure").value = state.measure;
  $("geography").value = geo().id;
  $("district").value = state.district;
  $("deciles").value = state.deciles;
  $("deciles").disabled = !geo().hasDecile;
  $("table-filter").value = table.filter;
}

function keepFn() {
  const di = state.district ? meta.districts.findIndex((d) => d.code === state.district) : -1;
  const maxDecile = state.deciles ? parseInt(state.deciles, 10) : 0;
  const deciles = indexValues && indexValues.decile;
  return (i) => (di < 0 || areas.district[i] === di) && (!maxDecile || !deciles || (deciles[i] !== null && deciles[i] <= maxDecile));
}

function legend(measure, spec) {
  $("legend-title").textContent = measure.title + (measure.unit && measure.unit !== "score" ? ` (${measure.unit})` : "");
  const items = [];
  let lower = spec.min;
  spec.breaks.forEach((upper, i) => {
    items.push(el("li", {}, el("span", { class: "swatch", style: `background:${spec.colours[i]}`, "aria-hidden": "true" }), `${fmt(lower, measure.unit)} to ${fmt(upper, measure.unit)}`));
    lower = upper;
  });
  items.push(el("li", {}, el("span", { class: "swatch", style: `background:${meta.noData}`, "aria-hidden": "true" }), "No data"));
  if (state.district || state.deciles) items.push(el("li", {}, el("span", { class: "swatch", style: `background:${meta.filtered}`, "aria-hidden": "true" }), "Outside the filter"));
  $("legend-items").replaceChildren(...items);
  const darker = measure.polarity === "higher_better" ? "Darker means lower values (more vulnerable)." : measure.polarity === "neutral" ? "Darker means higher values." : "Darker means higher values (more vulnerable).";
  const stability = measure.id === "index" && meta.stabilityNote ? ` ${meta.stabilityNote}` : "";
  $("legend-note").textContent = `Five classes with equal numbers of areas. ${darker}${stability}`;
}

function paint() {
  const g = geo();
  const measure = measureById[state.measure];
  const spec = measure.geos[g.id];
  const classes = classesFor(values.v, spec.breaks, keepFn());
  map.setPaintProperty(`fill-${g.id}`, "fill-color", fillExpression(classes, spec.colours, meta.noData, meta.filtered));
  legend(measure, spec);
  updateTable(classes);
}

function updateTable(classes) {
  const g = geo();
  const rows = [];
  for (let i = 0; i < areas.codes.length; i++) {
    if (classes[i] === FILTERED) continue;
    const d = meta.districts[areas.district[i]];
    rows.push({ i, code: areas.codes[i], name: areas.names[i], district: d ? d.name : "", value: values.v[i], decile: indexValues && indexValues.decile ? indexValues.decile[i] : null, interval: indexValues && indexValues.p05 && indexValues.p05[i] !== null ? [indexValues.p05[i], indexValues.p95[i]] : null, stays: indexValues && indexValues.stays ? indexValues.stays[i] : null });
  }
  table.setData({ rows, measure: measureById[state.measure], selected: state.area, hasDecile: g.hasDecile });
}

async function loadGeographyData() {
  const g = geo();
  [areas, indexValues] = await Promise.all([getJSON(areasFile(g.id)), g.hasDecile || g.measures.includes("index") ? getJSON(valuesFile(g.id, "index")) : null]);
}

async function loadGeography() {
  const g = geo();
  await loadGeographyData();
  ensureGeography(g);
  for (const other of meta.geographies) {
    const visible = other.id === g.id ? "visible" : "none";
    for (const layer of [`fill-${other.id}`, `line-${other.id}`, `sel-${other.id}`]) if (map.getLayer(layer)) map.setLayoutProperty(layer, "visibility", visible);
  }
}

async function recolour() {
  values = await getJSON(valuesFile(geo().id, state.measure));
  paint();
  writeState({ ...state, page: table.page, filter: table.filter });
}

function zoomTo(bbox, maxZoom = 13) {
  map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding: 30, maxZoom, duration: 0 });
}

async function select(code, from) {
  const g = geo();
  const i = areas.codes.indexOf(code);
  if (i < 0) {
    showError(`No area with code ${code} on this map. Check the code, or choose a different geography.`);
    state.area = "";
    writeState(state);
    return;
  }
  clearError();
  state.area = code;
  const district = meta.districts[areas.district[i]];
  const detail = (await getJSON(detailFile(g.id, district ? district.code : "")))[code];
  map.setFilter(`sel-${g.id}`, ["==", ["get", "code"], code]);
  renderPanel($("panel"), meta, g, detail, code);
  if (from !== "map") zoomTo(detail.bbox);
  const idx = detail.index && detail.index.index;
  const position = idx && idx[2] ? `decile ${idx[2]} of 10 (1 is the most vulnerable), rank ${idx[1]} of ${g.count}` : idx ? `rank ${idx[1]} of ${g.count} (1 is the most vulnerable)` : `${measureById[state.measure].title} ${fmt(values.v[i], measureById[state.measure].unit)}`;
  live(`Selected ${detail.name}, ${code}: ${position}.`);
  if (from !== "table") {
    const page = table.pageOf(code);
    if (page !== null) table.page = page;
  }
  table.selected = code;
  table.render();
  writeState({ ...state, page: table.page, filter: table.filter });
  if (from === "search" || from === "table") $("panel").focus();
}

// Search: names and codes of areas, wards and districts, and postcodes where loaded.
const POSTCODE = /^[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}$/;
async function search(query) {
  const list = $("search-results");
  const q = query.trim().toLowerCase();
  if (q.length < 2) {
    list.hidden = true;
    list.replaceChildren();
    return;
  }
  const results = [];
  const upper = query.trim().toUpperCase();
  if (meta.hasPostcodes && POSTCODE.test(upper)) {
    const outward = upper.replace(/\s+/g, "").slice(0, -3);
    try {
      const table = await getJSON(`data/postcodes/${outward}.json`);
      const lsoa = table[upper.replace(/\s+/g, "")];
      if (lsoa) results.push({ kind: "area", code: lsoa, label: `Postcode ${upper}: area ${lsoa}${meta.postcodesApproximate ? " (approximate: postcode placed by its grid reference)" : ""}` });
    } catch {
      /* no postcodes in this outward code */
    }
  }
  for (const d of meta.districts) if (d.name.toLowerCase().includes(q) || d.code.toLowerCase() === q) results.push({ kind: "district", code: d.code, label: `${d.name} (district): show only this district` });
  const lsoa = await getJSON(areasFile(geo().id));
  for (let i = 0; i < lsoa.codes.length && results.length < 25; i++) {
    const extra = lsoa.ward ? lsoa.wardNames[lsoa.ward[i]] : "";
    if (lsoa.names[i].toLowerCase().includes(q) || lsoa.codes[i].toLowerCase() === q || (extra && extra.toLowerCase().includes(q))) {
      const d = meta.districts[lsoa.district[i]];
      results.push({ kind: "area", code: lsoa.codes[i], label: `${lsoa.names[i]} (${lsoa.codes[i]})${extra ? `, ${extra} ward` : ""}${d && d.name !== lsoa.names[i] ? `, ${d.name}` : ""}` });
    }
  }
  list.replaceChildren(
    ...results.map((r) =>
      el("li", {}, el("button", {
        type: "button",
        class: "result",
        onclick: () => {
          list.hidden = true;
          if (r.kind === "district") setDistrict(r.code);
          else select(r.code, "search");
        },
      }, r.label)),
    ),
  );
  if (!results.length) list.append(el("li", { class: "none" }, "No areas match."));
  list.hidden = false;
  live(results.length ? `${results.length} result${results.length === 1 ? "" : "s"} found. Press Tab to move to them.` : "No areas match.");
}

async function setDistrict(code) {
  state.district = code;
  $("district").value = code;
  const d = meta.districts.find((x) => x.code === code);
  zoomTo(d ? d.bbox : meta.bounds);
  table.page = 0;
  paint();
  writeState({ ...state, page: table.page, filter: table.filter });
  live(d ? `Showing ${d.name} only.` : "Showing all districts.");
}

const table = new AreaTable($("table-view"), {
  onSelect: (code, from) => select(code, from),
  onChange: () => writeState({ ...state, page: table.page, filter: table.filter }),
});
table.filter = state.filter;
table.page = state.page;

function geoLayers(g, fillColor) {
  const visibility = g.id === geo().id ? "visible" : "none";
  return [
    { id: `fill-${g.id}`, type: "fill", source: g.id, "source-layer": "areas", layout: { visibility }, paint: { "fill-color": fillColor || meta.filtered, "fill-antialias": false } },
    { id: `line-${g.id}`, type: "line", source: g.id, "source-layer": "areas", minzoom: g.id === "lsoa" ? 8 : 0, layout: { visibility }, paint: { "line-color": "#ffffff", "line-width": 0.4, "line-opacity": 0.7 } },
    { id: `sel-${g.id}`, type: "line", source: g.id, "source-layer": "areas", filter: ["==", ["get", "code"], ""], layout: { visibility }, paint: { "line-color": "#000000", "line-width": 3 } },
  ];
}

function geoSource(g) {
  return { type: "vector", url: `pmtiles://${new URL(g.tiles, location.href).href}` };
}

// The first style already carries the colours, so the first frame drawn is the coloured map.
function style(fillColor) {
  const sources = {};
  const layers = [{ id: "background", type: "background", paint: { "background-color": "#f4f6f8" } }];
  if (meta.tileUrl) {
    sources.basemap = { type: "raster", tiles: [meta.tileUrl], tileSize: 256, attribution: meta.tileAttribution || "" };
    layers.push({ id: "basemap", type: "raster", source: "basemap", paint: { "raster-opacity": 0.6 } });
  }
  sources[geo().id] = geoSource(geo());
  layers.push(...geoLayers(geo(), fillColor));
  return { version: 8, sources, layers };
}

function ensureGeography(g) {
  if (map.getSource(g.id)) return;
  map.addSource(g.id, geoSource(g));
  for (const layer of geoLayers(g)) map.addLayer(layer);
}

async function start() {
  performance.mark("lantern:start");
  syncControls();
  const protocol = new Protocol();
  maplibregl.addProtocol("pmtiles", protocol.tile);
  // Fetch the colours while MapLibre starts its worker and fetches the tiles.
  const dataReady = (async () => {
    await loadGeographyData();
    values = await getJSON(valuesFile(geo().id, state.measure));
  })();
  map = new maplibregl.Map({
    container: "map",
    style: style(),
    bounds: meta.bounds,
    fitBoundsOptions: { padding: 10 },
    minZoom: geoById.lsoa.minzoom,
    attributionControl: { compact: true, customAttribution: "Contains OS data © Crown copyright and database right" },
    fadeDuration: 0,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  window.lantern = { map, meta, state: () => ({ ...state }), setMeasure, select, colouredAt: null, recolouredAt: null };
  map.on("click", (e) => {
    const hits = map.queryRenderedFeatures(e.point, { layers: [`fill-${geo().id}`] });
    if (hits.length) select(hits[0].properties.code, "map");
  });
  map.on("mousemove", (e) => {
    const hits = map.queryRenderedFeatures(e.point, { layers: [`fill-${geo().id}`] });
    map.getCanvas().style.cursor = hits.length ? "pointer" : "";
  });
  await dataReady;
  await new Promise((resolve) => (map.style && map.style._loaded ? resolve() : map.once("styledata", resolve)));
  paint();
  performance.mark("lantern:coloured-style");
  map.once("idle", () => {
    const preview = document.getElementById("map-preview");
    if (preview) preview.remove();
    firstColoured = true;
    window.lantern.colouredAt = performance.now();
    document.body.dataset.ready = "true";
  });
  writeState({ ...state, page: table.page, filter: table.filter });
  if (state.district) {
    const d = meta.districts.find((x) => x.code === state.district);
    if (d) zoomTo(d.bbox);
  }
  if (state.area) await select(state.area, "url");
  table.render();
}

async function setMeasure(id) {
  state.measure = id;
  $("measure").value = id;
  const t0 = performance.now();
  await recolour();
  return new Promise((resolve) => map.once("idle", () => resolve(performance.now() - t0)));
}

$("measure").addEventListener("change", (e) => {
  setMeasure(e.target.value);
  live(`Map coloured by ${measureById[e.target.value].title}.`);
});
$("geography").addEventListener("change", async (e) => {
  state.geography = e.target.value;
  state.area = "";
  state.deciles = geo().hasDecile ? state.deciles : "";
  syncControls();
  await loadGeography();
  await recolour();
  live(`Showing ${geo().label}.`);
});
$("district").addEventListener("change", (e) => setDistrict(e.target.value));
$("deciles").addEventListener("change", (e) => {
  state.deciles = e.target.value;
  table.page = 0;
  paint();
  writeState({ ...state, page: table.page, filter: table.filter });
  live(e.target.value ? `Showing the most vulnerable ${e.target.value}0% only.` : "Showing all areas.");
});
let searchTimer;
$("search").addEventListener("input", (e) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => search(e.target.value), 150);
});
$("search").addEventListener("keydown", (e) => {
  if (e.key === "Enter") {
    e.preventDefault();
    clearTimeout(searchTimer);
    search(e.target.value).then(() => {
      const first = $("search-results").querySelector("button");
      if (first) first.focus();
    });
  } else if (e.key === "ArrowDown") {
    const first = $("search-results").querySelector("button");
    if (first) {
      e.preventDefault();
      first.focus();
    }
  }
});
$("search-results").addEventListener("keydown", (e) => {
  if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
  const buttons = [...$("search-results").querySelectorAll("button")];
  const at = buttons.indexOf(document.activeElement);
  const next = buttons[at + (e.key === "ArrowDown" ? 1 : -1)];
  e.preventDefault();
  (next || $("search")).focus();
});
window.addEventListener("hashchange", () => {
  const next = readState(meta);
  if (next.area && next.area !== state.area) select(next.area, "url");
});

start().catch((err) => {
  showError(`The map could not be loaded: ${err.message}. The table and downloads below still work if the data files are present.`);
});
export { firstColoured };
