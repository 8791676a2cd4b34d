// The Lantern open map: MapLibre over PMTiles, coloured from per-measure value files, with place
// labels, district outlines, a hover/focus tooltip, an overlaid legend, an area panel (a bottom
// sheet on a phone) and the whole view in the URL.
import { certaintyText, groupCertainty } from "./certainty.js";
import maplibregl from "maplibre-gl";
import { Protocol } from "pmtiles";
import { classesFor, FILTERED, fillExpression, hatchFilter, hatchKey, hatchPattern, palette, paletteIndex, stateExpression } from "./colour.js";
import { areasFile, detailFile, getJSON, valuesFile } from "./data.js";
import { decileWords, el, fmtInt, fmtWithUnit } from "./format.js";
import { foldLegend, legendToggle, renderLegend } from "./legend.js";
import { PlaceLabels } from "./map/labels.js";
import { casesGeography, ensureGeography, knownArchives, showGeography, style } from "./map/layers.js";
import { clearOf } from "./map/camera.js";
import { addPatterns } from "./map/patterns.js";
import { Tooltip } from "./map/tooltip.js";
import { Cases } from "./cases.js";
import { clearPanel, recordOf, renderPanel, setCases } from "./panel/index.js";
import { Search } from "./search.js";
import { Sheet } from "./sheet.js";
import { readState, reconcile, rememberState, writeState } from "./state.js";
import { AreaTable } from "./table.js";

const meta = JSON.parse(document.getElementById("lantern-meta").textContent);
const $ = (id) => document.getElementById(id);
const geoById = Object.fromEntries(meta.geographies.map((g) => [g.id, g]));
const measureById = Object.fromEntries(meta.measures.map((m) => [m.id, m]));
const CHOOSE = "Click or tap an area on the map, find it by name, code or postcode, or pick it in the table.";
let state = readState(meta);
let map;
let areas = null; // areas of the current geography
let values = null; // values of the current measure
let indexValues = null; // index ranks and deciles of the current geography
let classes = null;
let lastHatch = null;
let record = null; // the selected area's detail
let labels;
let started = false; // the first view is drawn and the state recorded
let areasLoaded = Promise.resolve(); // the first area list, fetched while the map starts

function live(text) {
  $("live").textContent = "";
  setTimeout(() => ($("live").textContent = text), 50);
}
function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = false;
}
function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}
function notify(notes) {
  const box = $("panel-notice");
  box.replaceChildren(...notes.map((n) => el("p", {}, n)));
  box.hidden = !notes.length;
}

const geo = () => geoById[state.geography] || geoById.lsoa;
const measure = () => measureById[state.measure];
const record_ = () => ({ ...state, page: table.page, filter: table.filter, view: currentView() });
const save = (opts) => writeState(record_(), opts);

function currentView() {
  if (!map || !started) return state.view;
  const c = map.getCenter();
  return { zoom: map.getZoom(), center: [c.lng, c.lat] };
}

// Keep the map's box filling the first screen below the header and controls.
function fitLayout() {
  const top = document.querySelector(".layout").getBoundingClientRect().top + window.scrollY;
  document.documentElement.style.setProperty("--above-map", `${Math.round(top)}px`);
}

function fillControls() {
  const select = $("measure");
  const groups = { index: "Index", domain: "Domains", indicator: "Indicators" };
  select.replaceChildren();
  for (const [group, label] of Object.entries(groups)) {
    const list = meta.measures.filter((m) => m.group === group && geo().measures.includes(m.id));
    if (list.length) select.append(el("optgroup", { label }, list.map((m) => el("option", { value: m.id }, m.label))));
  }
  $("geography").replaceChildren(...meta.geographies.map((g) => el("option", { value: g.id }, g.label)));
  $("district").replaceChildren(el("option", { value: "" }, "All districts"), ...meta.districts.map((d) => el("option", { value: d.code }, d.name)));
}

function syncControls() {
  fillControls();
  $("measure").value = state.measure;
  $("geography").value = geo().id;
  $("district").value = state.district;
  $("deciles").value = state.deciles;
  $("deciles").disabled = !geo().hasDecile;
  $("table-filter").value = table.filter;
  const d = meta.districts.find((x) => x.code === state.district);
  $("options-summary").textContent = `${measure().title}${d ? ` · ${d.name}` : ""}${state.deciles ? ` · most vulnerable ${state.deciles}0% (estimate)` : ""}`;
}

// How certain the "most vulnerable" filter is, in the district shown (certainty.js).
function filterCertainty() {
  if (!state.deciles || !areas) return "";
  const k = parseInt(state.deciles, 10);
  const di = state.district ? meta.districts.findIndex((d) => d.code === state.district) : -1;
  const c = groupCertainty(indexValues, k, rankTotal(), (i) => di < 0 || areas.district[i] === di);
  return certaintyText(c, k);
}

function keepFn() {
  const di = state.district && areas ? meta.districts.findIndex((d) => d.code === state.district) : -1;
  const maxDecile = state.deciles ? parseInt(state.deciles, 10) : 0;
  const deciles = indexValues && indexValues.decile;
  return (i) => (di < 0 || areas.district[i] === di) && (!maxDecile || !deciles || (deciles[i] !== null && deciles[i] <= maxDecile));
}

// The map's colours and hatching from each area's class. A geography's first colours are baked
// into its layer's expression; after that only the areas whose colour changes get a new feature
// state, so a new measure or filter never lays the tiles out again (~0.2 s for England's
// 33,755 areas, against ~0.9 s for a new expression). The cases overlay's geography keeps a
// plain expression (the overlay sets its own states there).
const PALETTE = palette(meta);
const shown = {}; // geography id -> palette position each area shows

function paintMap() {
  const g = geo();
  const spec = measure().geos[g.id];
  const layer = `fill-${g.id}`;
  if (casesGeography(meta, g)) {
    map.setPaintProperty(layer, "fill-color", fillExpression(classes, spec.colours, meta.noData, meta.filtered));
  } else {
    const k = paletteIndex(classes, spec.colours, PALETTE, meta.noData, meta.filtered);
    const before = shown[g.id];
    if (!before || map.getPaintProperty(layer, "fill-color")[0] !== "match" || map.getPaintProperty(layer, "fill-color")[1][0] !== "coalesce") {
      if (before) map.removeFeatureState({ source: g.id, sourceLayer: "areas" });
      map.setPaintProperty(layer, "fill-color", stateExpression(k, PALETTE));
    } else {
      for (let i = 0; i < k.length; i++) if (k[i] !== before[i]) map.setFeatureState({ source: g.id, sourceLayer: "areas", id: i }, { k: k[i] });
    }
    shown[g.id] = k;
  }
  const hatched = hatchKey(classes);
  const key = `${g.id}:${hatched}`;
  if (key !== lastHatch) {
    lastHatch = key;
    // Nothing hatched (the usual case): the layer is hidden, so tiles are not laid out for it.
    const hatch = `hatch-${g.id}`;
    if (hatched === null) {
      if (map.getFilter(hatch) === null || map.getPaintProperty(hatch, "fill-opacity") !== undefined) {
        // after the cases overlay: back to matching nothing
        map.setFilter(hatch, ["==", ["get", "i"], -1]);
        map.setPaintProperty(hatch, "fill-opacity", 1);
      }
      map.setLayoutProperty(hatch, "visibility", "none");
    } else {
      map.setFilter(hatch, hatchFilter(classes));
      map.setPaintProperty(hatch, "fill-pattern", hatchPattern(classes));
      map.setPaintProperty(hatch, "fill-opacity", 1);
      map.setLayoutProperty(hatch, "visibility", "visible");
    }
  }
}

// tableLater: the table (33,755 rows for England) is rebuilt after the map's next frame, which
// hands the new colours to the map's worker first.
function paint({ tableLater = false } = {}) {
  const g = geo();
  const m = measure();
  classes = classesFor(values.c, keepFn());
  paintMap();
  renderLegend($("legend"), meta, m, g, { filtered: Boolean(state.district || state.deciles), hasMissing: values.c.some((c) => c < 0), certainty: filterCertainty() });
  if (tableLater) requestAnimationFrame(() => setTimeout(updateTable, 0));
  else updateTable();
  syncControls();
  if (cases.active()) {
    cases.ownStyle = false; // the measure's colours were just set: the overlay restyles the layer
    cases.paint(); // the weekly cases view paints over the measure's colours
  }
}

function updateTable() {
  if (!areas || !classes) return; // drawn once the area list has arrived
  const rows = [];
  for (let i = 0; i < areas.codes.length; i++) {
    if (classes[i] === FILTERED) continue;
    const d = meta.districts[areas.district[i]];
    rows.push({ i, code: areas.codes[i], name: areas.names[i], district: d ? d.name : "", value: values.v ? values.v[i] : null, rank: values.rank ? values.rank[i] : null, decile: indexValues && indexValues.decile ? indexValues.decile[i] : null, interval: indexValues && indexValues.p05 && indexValues.p05[i] !== null ? [indexValues.p05[i], indexValues.p95[i]] : null, stays: indexValues && indexValues.stays ? indexValues.stays[i] : null });
  }
  table.setData({ rows, measure: measure(), selected: state.area, hasDecile: geo().hasDecile });
}

async function loadGeographyData() {
  const g = geo();
  [areas, indexValues] = await Promise.all([getJSON(areasFile(g.id)), g.measures.includes("index") ? getJSON(valuesFile(g.id, "index")) : null]);
}

async function loadValues() {
  values = await getJSON(valuesFile(geo().id, state.measure));
}

function areaInfo(code) {
  const i = areas.codes.indexOf(code);
  if (i < 0) return null;
  return { name: areas.names[i], district: meta.districts[areas.district[i]], decile: indexValues && indexValues.decile ? indexValues.decile[i] : null };
}

// The legend's rectangle in the map box's pixels (null when it is not shown).
function legendRect() {
  const box = $("map").getBoundingClientRect();
  const r = $("legend").getBoundingClientRect();
  if ($("legend").hidden || !r.width || !r.height) return null;
  return { left: r.left - box.left, top: r.top - box.top, right: r.right - box.left, bottom: r.bottom - box.top };
}

// The parts of the map hidden by the legend (on a phone across the top, on a wider screen the
// side, top or bottom that leaves `bbox` biggest) and the bottom sheet.
function covered(bbox) {
  const c = map.getCanvas();
  const out = { top: 0, bottom: 0, left: 0, right: 0 };
  if (sheet.phone()) {
    const legend = $("legend").getBoundingClientRect();
    out.top = Math.min(legend.bottom - c.getBoundingClientRect().top, c.clientHeight * 0.4);
    out.bottom = Math.min(sheet.covered(), c.clientHeight * 0.6);
  } else {
    const pad = clearOf(bbox, c.clientWidth, c.clientHeight, legendRect(), 0);
    out.top = Math.min(pad.top, c.clientHeight * 0.5);
    out.bottom = Math.min(pad.bottom, c.clientHeight * 0.5);
    out.left = Math.min(pad.left, c.clientWidth * 0.6);
    out.right = Math.min(pad.right, c.clientWidth * 0.6);
  }
  return out;
}

// The box last fitted by Lantern (not by the reader): when an overlay changes size afterwards
// (the legend for another measure or filter, the phone's sheet, a rotated screen), the same box
// is fitted again so nothing of it hides under the overlay, unless the reader has moved the map
// since. `how` is "first" (the first camera) or fit()'s options.
let lastFit = null;

function viewKey() {
  const c = map.getCenter();
  return `${c.lng.toFixed(7)},${c.lat.toFixed(7)},${map.getZoom().toFixed(5)}`;
}

function remember(bbox, how) {
  lastFit = { bbox, how, view: viewKey() };
}

function refit() {
  if (!map || !lastFit || viewKey() !== lastFit.view) return;
  const { bbox, how } = lastFit;
  if (how === "first") {
    map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding: firstPadding(bbox), duration: 0 });
    remember(bbox, how);
  } else fit(bbox, how);
}

function fit(bbox, how) {
  const { share, maxZoom } = how;
  const c = map.getCanvas();
  const { top, bottom, left, right } = covered(bbox);
  const w = Math.max(40, c.clientWidth - left - right);
  const h = Math.max(40, c.clientHeight - top - bottom);
  const padX = Math.max(10, (w * (1 - share)) / 2);
  const padY = Math.max(10, (h * (1 - share)) / 2);
  map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding: { top: top + padY, bottom: bottom + padY, left: left + padX, right: right + padX }, maxZoom, duration: 0 });
  remember(bbox, how);
}

// A selected area takes the middle third of the free part of the map, so its neighbours and
// the place names around it stay in view.
const fitArea = (bbox) => fit(bbox, { share: 0.34, maxZoom: 12.5 });
const fitBox = (bbox) => fit(bbox, { share: 0.96, maxZoom: 13 });

function rankTotal() {
  return geo().id === "lsoa" ? meta.rankTotal : geo().count;
}

// from: "map", "search", "table", "keyboard", "url" (a link), "history" (Back/Forward).
async function select(code, from, { fit = !["map", "history"].includes(from) } = {}) {
  if (!areas) await areasLoaded;
  const g = geo();
  const info = areaInfo(code);
  if (!info) {
    showError(`No area with code ${code} on this map. Check the code, or choose a different geography.`);
    state.area = "";
    record = null;
    clearPanel($("panel"), CHOOSE);
    sheet.set("closed");
    save({ push: false });
    return;
  }
  clearError();
  const fixed = reconcile({ ...state, area: code }, meta, areaInfo);
  const filtersChanged = fixed.state.district !== state.district || fixed.state.deciles !== state.deciles;
  state = fixed.state;
  // A link's own corrections (made when it was read) stay on show until the next choice.
  if (fixed.notes.length || !["url", "history"].includes(from)) notify(fixed.notes);
  if (filtersChanged) paint();
  const district = info.district;
  const file = await getJSON(detailFile(g.id, district ? district.code : ""));
  if (state.area !== code) return; // another selection came first
  await cases.load().catch(() => null); // the panel's weekly trend (fetched once, when first needed)
  if (state.area !== code) return;
  record = recordOf(file, code);
  for (const id of [`sel-${g.id}`, `selcase-${g.id}`]) map.setFilter(id, ["==", ["get", "code"], code]);
  renderPanel($("panel"), { meta, geo: g, code, record, measure: measure(), rankTotal: rankTotal() });
  if (sheet.state() === "closed") sheet.set("peek");
  if (sheet.phone() && !$("legend").dataset.touched) foldLegend($("legend"), true);
  // A new history entry first, so the camera move below updates that entry's view.
  if (from !== "history" && from !== "url") save();
  if (fit) fitArea(record.bbox);
  const idx = record.index && record.index.index;
  const position = idx && idx.decile ? `decile ${idx.decile} of 10 (${decileWords(idx.decile)}), rank ${fmtInt(idx.rank)} of ${fmtInt(rankTotal())}` : idx ? `rank ${fmtInt(idx.rank)} of ${fmtInt(rankTotal())} (1 is the most vulnerable)` : `${measure().label} ${values.v ? fmtWithUnit(measure(), values.v[areas.codes.indexOf(code)]) : ""}`;
  live(`Selected ${record.name}, ${code}: ${position}.`);
  if (from !== "table") {
    const page = table.pageOf(code);
    if (page !== null) table.page = page;
  }
  table.selected = code;
  table.render();
  if (from !== "history" && from !== "url") save({ push: false });
  if (from === "search" || from === "table") $("panel").focus();
}

function deselect() {
  state.area = "";
  record = null;
  for (const g of meta.geographies) for (const id of [`sel-${g.id}`, `selcase-${g.id}`]) if (map.getLayer(id)) map.setFilter(id, ["==", ["get", "code"], ""]);
  clearPanel($("panel"), CHOOSE);
  sheet.set("closed");
  table.selected = "";
  table.render();
}

async function setDistrict(code) {
  state.district = code;
  const d = meta.districts.find((x) => x.code === code);
  if (state.area && d && areaInfo(state.area)?.district?.code !== code) deselect();
  table.page = 0;
  paint();
  save();
  fitBox(d ? d.bbox : meta.bounds);
  live(d ? `Showing ${d.name} only.` : "Showing all districts.");
}

async function setMeasure(id) {
  state.measure = id;
  const t0 = performance.now();
  await loadValues();
  paint({ tableLater: true });
  if (record) renderPanel($("panel"), { meta, geo: geo(), code: state.area, record, measure: measure(), rankTotal: rankTotal() });
  save();
  map.triggerRepaint(); // a frame even when no area changes colour, so "idle" follows
  return new Promise((resolve) => map.once("idle", () => resolve(performance.now() - t0)));
}

async function setGeography(id) {
  if (cases.active() && id !== cases.meta.geography) cases.setMode("");
  state.geography = id;
  if (!geo().measures.includes(state.measure)) state.measure = geo().measures[0];
  if (!geo().hasDecile) state.deciles = "";
  deselect();
  await loadGeographyData();
  ensureGeography(map, meta, geo());
  showGeography(map, meta)(geo());
  tooltip.fillLayer = `fill-${geo().id}`;
  lastHatch = null;
  await loadValues();
  paint();
  save();
  live(`Showing ${geo().label}.`);
}

// Apply a state read from the URL (first load, Back/Forward, an edited address).
async function applyState(next, from) {
  const geoChanged = next.geography !== state.geography;
  const prev = state;
  state = { ...state, ...next, view: next.view || state.view };
  if (!geoById[state.geography]) state.geography = "lsoa";
  if (geoChanged) {
    await loadGeographyData();
    ensureGeography(map, meta, geo());
    showGeography(map, meta)(geo());
    tooltip.fillLayer = `fill-${geo().id}`;
    lastHatch = null;
  }
  const fixed = reconcile(state, meta, areaInfo);
  state = fixed.state;
  notify(fixed.notes);
  table.filter = next.filter;
  table.page = next.page;
  await loadValues();
  paint();
  if (next.view) map.jumpTo({ center: next.view.center, zoom: next.view.zoom });
  else if (state.district !== prev.district) {
    const d = meta.districts.find((x) => x.code === state.district);
    fitBox(d ? d.bbox : meta.bounds);
  }
  if (state.area) await select(state.area, from, { fit: !next.view });
  else deselect();
  rememberState(record_());
  if (fixed.notes.length) save({ push: false });
}

const table = new AreaTable($("table-view"), {
  onSelect: (code, from) => select(code, from),
  onChange: () => save({ push: false }),
});
table.filter = state.filter;
table.page = state.page;
const sheet = new Sheet($("panel"), $("sheet-toggle"));
const cases = new Cases({
  meta,
  root: $("cases-control"),
  legend: $("legend"),
  announce: (text) => live(text),
  onShow: async (geoId) => {
    if (state.geography !== geoId) await setGeography(geoId);
    return map;
  },
  onHide: () => {
    lastHatch = null; // the overlay changed the hatching: let paint() set it again
    paint();
  },
});
setCases(cases);
let tooltip;

function describe(i) {
  if (!areas || i === null || i === undefined || i >= areas.codes.length) return null;
  const m = measure();
  const lines = [];
  if (m.group === "indicator") {
    lines.push(`${m.label}: ${fmtWithUnit(m, values.v[i])}`);
  } else if (values.rank) {
    lines.push(`${m.title}: rank ${fmtInt(values.rank[i])} of ${fmtInt(rankTotal())}`);
  }
  const spec = m.geos[geo().id];
  const k = values.c[i];
  const cls = k >= 0 ? spec.classes.find((c) => c[0] === spec.colours[k]) : null;
  if (cls) lines.push(cls[1]);
  const decile = indexValues && indexValues.decile ? indexValues.decile[i] : null;
  if (decile) lines.push(`Index decile ${decile} of 10 (${decileWords(decile)})`);
  if (classes && classes[i] === FILTERED) lines.push("Outside the filter");
  const d = meta.districts[areas.district[i]];
  return { title: `${areas.names[i]}${d && d.name !== areas.names[i] && geo().id !== "district" ? `, ${d.name}` : ""}`, lines };
}

// Rectangles (in map pixels) that labels keep clear of: the legend, the zoom buttons, the sheet.
function blocked() {
  const base = map.getCanvas().getBoundingClientRect();
  const out = [];
  for (const node of [$("legend"), document.querySelector(".maplibregl-ctrl-top-right"), sheet.phone() ? $("panel") : null]) {
    if (!node || node.hidden) continue;
    const r = node.getBoundingClientRect();
    if (r.width && r.height) out.push([r.left - base.left, r.top - base.top, r.right - base.left, r.bottom - base.top]);
  }
  return out;
}

// The first camera: the URL's view, else the district or the whole map fitted into the part the
// overlays leave free (on a phone the legend across the top and the sheet's bar at the bottom).
function firstCamera(district) {
  if (state.view) return { center: state.view.center, zoom: state.view.zoom };
  const bounds = district ? district.bbox : meta.bounds;
  const pad = firstPadding(bounds);
  // the first-frame preview (county builds) is redrawn with the same camera
  if (!district && window.lanternPreview) window.lanternPreview.redraw(pad);
  return { bounds, fitBoundsOptions: { padding: pad } };
}

function firstPadding(bounds) {
  const box = $("map").getBoundingClientRect();
  let pad = { top: 10, bottom: 10, left: 10, right: 10 };
  if (sheet.phone()) {
    pad.top = Math.min($("legend").getBoundingClientRect().bottom - box.top + 8, box.height * 0.4);
    pad.bottom = Math.min($("panel").getBoundingClientRect().height + 8, box.height * 0.3);
  } else {
    pad = clearOf(bounds, box.width, box.height, legendRect());
  }
  return pad;
}

// The inlined classes of the default view (meta.firstClasses), when the link asks for that view.
function firstClasses() {
  const text = meta.firstClasses;
  const plain = !state.district && !state.deciles && !state.area && state.geography === "lsoa" && state.measure === meta.defaultMeasure;
  if (!text || !plain || !geoById.lsoa || text.length !== geoById.lsoa.count) return null;
  const out = new Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) === 45 ? -1 : text.charCodeAt(i) - 48;
  return out;
}

// The first view is drawn once, whole. MapLibre asks its workers for the tiles in view only once
// a frame is over, so the first frame that has the tile sources ready only asks. After that the
// map would draw a frame each time a tile arrives: England's first view was drawn three times
// (one tile, then two, then all), each frame a full software-WebGL draw of up to 1.3 million
// triangle corners that took the cores the tile worker was laying out the largest tile on. The
// drawing is held until every source has the view's tiles (or for at most FIRST_DRAW_WAIT ms,
// after which the map draws what it has and fills in as usual), then drawn in one frame. If
// MapLibre's painter is not as expected, the map simply draws as usual.
const FIRST_DRAW_WAIT = 4000;

function drawFirstViewOnce(m) {
  const painter = m.painter;
  if (!painter || typeof painter.render !== "function") return;
  const draw = painter.render;
  const managers = (style) => Object.values((style && (style.tileManagers || style.sourceCaches)) || {});
  let deadline = 0;
  let timer;
  painter.render = function (style, options) {
    // a tile's layout is read against the painter's style when it arrives (the draw sets it)
    this.style = style;
    const caches = managers(style);
    if (!deadline) {
      if (!caches.some((c) => c && c.getIds && c.getIds().length)) return draw.call(this, style, options);
      performance.mark("lantern:tiles-asked");
      deadline = performance.now() + FIRST_DRAW_WAIT;
      timer = setTimeout(() => m.triggerRepaint(), FIRST_DRAW_WAIT + 20); // a frame to draw in if none comes
      return;
    }
    const waiting = caches.some((c) => c && typeof c.loaded === "function" && !c.loaded());
    if (waiting && performance.now() < deadline) return;
    painter.render = draw;
    clearTimeout(timer);
    performance.mark("lantern:first-draw", { detail: { whole: !waiting } });
    return draw.call(this, style, options);
  };
}

async function start() {
  performance.mark("lantern:start");
  fitLayout();
  // Tile archives whose zoom range the page's metadata gives are described at once (no header
  // read), so the map asks for the first view's tiles in its first frame; the tile workers read
  // the archives themselves (tiles-worker.js), so those tiles are fetched and laid out while this
  // thread compiles the map's shaders. If that script does not load, the workers' requests come
  // back to this protocol.
  const protocol = new Protocol();
  const known = knownArchives(meta);
  maplibregl.addProtocol("pmtiles", (params, abort) => (params.type === "json" && known.has(params.url) ? Promise.resolve({ data: known.get(params.url) }) : protocol.tile(params, abort)));
  const workerReady = maplibregl.importScriptInWorkers(new URL("assets/tiles-worker.js", location.href).href).catch(() => performance.mark("lantern:tiles-worker-failed"));
  // The default view's colours are inlined in the page (meta.firstClasses), so the map is
  // coloured without waiting for a data file; the area list and the value files (names, values
  // and ranks for the table, search and tooltip) are fetched once that first view is drawn.
  // Otherwise the colours need the value file, and the area list is waited for first only when
  // a filter or an area in the link needs it.
  const first = firstClasses();
  let drawn;
  const firstDrawn = new Promise((resolve) => (drawn = resolve));
  areasLoaded = first ? firstDrawn.then(loadGeographyData) : loadGeographyData();
  const areasReady = areasLoaded.then(() => {
    const fixed = reconcile(state, meta, areaInfo);
    state = fixed.state;
    notify(fixed.notes);
  });
  const dataReady = first
    ? Promise.resolve()
    : (async () => {
        if (state.district || state.deciles || state.area || !geoById[state.geography] || !geo().measures.includes(state.measure)) await areasReady;
        await loadValues();
      })();
  // The legend is drawn before the map, in the corner where it hides least (chosen at publish).
  const shown = geo().measures.includes(state.measure) ? measure() : measureById[geo().measures[0]];
  renderLegend($("legend"), meta, shown, geo(), { filtered: Boolean(state.district || state.deciles), hasMissing: Boolean(first && first.some((c) => c < 0)) });
  if (!sheet.phone()) $("legend").dataset.corner = (meta.legendCorners || ["bl"])[0];
  const view = state.view;
  const district = meta.districts.find((x) => x.code === state.district);
  // The tile worker (created just above) needs this thread for a moment to start; once the map
  // is being built this thread is busy for a while (the WebGL context, the first frame), and the
  // worker would sit waiting, so the map is built once the worker has started (or after 0.3 s).
  await Promise.race([workerReady, new Promise((resolve) => setTimeout(resolve, 300))]);
  performance.mark("lantern:worker-ready");
  map = new maplibregl.Map({
    container: "map",
    style: style(meta, geo()),
    ...firstCamera(district),
    minZoom: Math.max(0, geoById.lsoa.minzoom - 1),
    attributionControl: { compact: true, customAttribution: "Contains OS data © Crown copyright and database right" },
    fadeDuration: 0,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
  });
  drawFirstViewOnce(map);
  if (!view) remember(district ? district.bbox : meta.bounds, "first");
  const watch = new ResizeObserver(() => refit());
  for (const node of [$("legend"), $("panel"), $("map")]) watch.observe(node);
  map.on("styleimagemissing", () => {
    if (!map.hasImage("hatch-nodata")) addPatterns(map, meta.patterns);
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  // Marks for profiling the first view (bench/map.py prints them).
  map.once("load", () => performance.mark("lantern:map-load"));
  map.once("render", () => performance.mark("lantern:first-frame"));
  map.on("sourcedata", function first(e) {
    if (e.sourceId === geo().id && e.tile) {
      performance.mark("lantern:first-tile");
      map.off("sourcedata", first);
    }
  });
  labels = new PlaceLabels(map, $("map-column"), meta.labels);
  labels.blocked = blocked;
  tooltip = new Tooltip(map, $("map-column"), {
    describe,
    onPick: (i) => select(areas.codes[i], "keyboard"),
    announce: live,
  });
  tooltip.fillLayer = `fill-${geo().id}`;
  window.lantern = { map, meta, state: () => ({ ...state }), setMeasure, select, labels: () => labels.names(), colouredAt: null, recolouredAt: null, cases };
  map.on("click", (e) => {
    const hits = map.queryRenderedFeatures(e.point, { layers: [`fill-${geo().id}`] });
    if (hits.length) select(hits[0].properties.code, "map");
  });
  map.on("moveend", () => {
    if (started) save({ push: false });
  });
  await dataReady;
  performance.mark("lantern:data");
  syncControls();
  await new Promise((resolve) => (map.style && map.style._loaded ? resolve() : map.once("styledata", resolve)));
  if (!map.hasImage("hatch-nodata")) addPatterns(map, meta.patterns);
  if (first) {
    classes = first;
    paintMap();
  } else paint();
  performance.mark("lantern:coloured-style");
  const labelled = labels.update().then(() => performance.mark("lantern:labels"));
  const ready = new Promise((resolve) =>
    map.once("idle", async () => {
      performance.mark("lantern:idle");
      await labelled;
      const preview = document.getElementById("map-preview");
      if (preview) preview.remove();
      window.lantern.colouredAt = performance.now();
      resolve();
    }),
  );
  if (first) {
    await ready;
    drawn();
    await Promise.all([areasReady, loadValues()]);
    paint(); // the same colours (nothing is laid out again); the legend, table and controls
  }
  ready.then(() => (document.body.dataset.ready = "true"));
  await areasReady;
  if (!first) updateTable();
  if (state.area) await select(state.area, "url", { fit: !view });
  table.render();
  started = true;
  rememberState(record_());
  save({ push: false });
}

$("measure").addEventListener("change", (e) => {
  setMeasure(e.target.value);
  live(`Map coloured by ${measureById[e.target.value].label}.`);
});
$("geography").addEventListener("change", (e) => setGeography(e.target.value));
$("district").addEventListener("change", (e) => setDistrict(e.target.value));
$("deciles").addEventListener("change", (e) => {
  state.deciles = e.target.value;
  if (state.area && e.target.value) {
    const info = areaInfo(state.area);
    if (!info || !info.decile || info.decile > parseInt(e.target.value, 10)) deselect();
  }
  table.page = 0;
  paint();
  save();
  live(e.target.value ? `Showing the most vulnerable ${e.target.value}0% only. ${filterCertainty()}` : "Showing all areas.");
});
$("options-toggle").addEventListener("click", () => {
  const open = $("options-toggle").getAttribute("aria-expanded") !== "true";
  $("options-toggle").setAttribute("aria-expanded", String(open));
  $("controls").classList.toggle("options-open", open);
  fitLayout();
  map?.resize();
});
legendToggle($("legend"), () => labels && labels.layout());
new Search({
  meta,
  input: $("search"),
  list: $("search-results"),
  geo,
  onArea: (code) => select(code, "search"),
  onDistrict: (code) => setDistrict(code),
  announce: live,
});
// Back/Forward and edited addresses (both fire popstate); applied one at a time.
let applying = Promise.resolve();
window.addEventListener("popstate", () => {
  const next = readState(meta);
  applying = applying.then(() => applyState(next, next.view ? "history" : "url")).catch((err) => showError(err.message));
});
window.addEventListener("resize", () => {
  fitLayout();
});

start().catch((err) => {
  showError(`The map could not be loaded: ${err.message}. The table and downloads below still work if the data files are present.`);
});
