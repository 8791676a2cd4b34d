// Place labels over the map: districts, towns and wards (from the names the warehouse holds,
// placed at population-weighted centroids), as HTML text so they need no font files.
// At each view the labels are placed biggest place first and a label that would overlap one
// already placed is left out.
import { getJSON } from "../data.js";

// Zoom range in which each kind of label is shown, and its order of precedence.
const KINDS = [
  { kind: "district", minzoom: 0, maxzoom: 11.5 },
  { kind: "town", minzoom: 9.2, maxzoom: 22 },
  { kind: "ward", minzoom: 11, maxzoom: 22 },
];
const GAP = 6; // pixels kept clear around each label

export class PlaceLabels {
  constructor(map, container, files) {
    this.map = map;
    this.files = files || {};
    this.loaded = {};
    this.loading = {};
    this.layer = document.createElement("div");
    this.layer.className = "place-labels";
    this.layer.setAttribute("aria-hidden", "true");
    container.append(this.layer);
    this.canvas = document.createElement("canvas").getContext("2d");
    this.nodes = new Map();
    this.placed = [];
    map.on("move", () => this.position());
    map.on("moveend", () => this.update());
    map.on("resize", () => this.update());
  }

  // Loads the label files needed at the current zoom; resolves when they are drawn.
  async update() {
    const zoom = this.map.getZoom();
    const wanted = KINDS.filter((k) => this.files[k.kind] && zoom >= k.minzoom - 0.5 && zoom < k.maxzoom);
    await Promise.all(wanted.map((k) => this.load(k.kind)));
    this.layout();
  }

  load(kind) {
    if (!this.loading[kind]) {
      this.loading[kind] = getJSON(this.files[kind])
        .then((rows) => {
          this.loaded[kind] = rows.map(([name, lon, lat]) => ({ kind, name, lon, lat, key: `${kind}:${name}:${lon}:${lat}` }));
        })
        .catch(() => {
          this.loaded[kind] = [];
        });
    }
    return this.loading[kind];
  }

  // Width in pixels as drawn (style.css: districts in bold small capitals, letter-spaced).
  width(label) {
    const ctx = this.canvas;
    if (label.kind === "district") {
      ctx.font = "700 14px system-ui, sans-serif";
      if ("fontVariantCaps" in ctx) {
        ctx.fontVariantCaps = "all-small-caps";
        const w = ctx.measureText(label.name).width;
        ctx.fontVariantCaps = "normal";
        return w + label.name.length * 0.84;
      }
      ctx.font = "700 12px system-ui, sans-serif"; // about as wide as 14px small capitals
      return ctx.measureText(label.name.toUpperCase()).width + label.name.length * 1.2;
    }
    ctx.font = label.kind === "town" ? "700 13px system-ui, sans-serif" : "500 12px system-ui, sans-serif";
    return ctx.measureText(label.name).width;
  }

  layout() {
    const zoom = this.map.getZoom();
    const canvas = this.map.getCanvas();
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    const boxes = [];
    const placed = [];
    const blocked = this.blocked ? this.blocked() : [];
    for (const k of KINDS) {
      if (zoom < k.minzoom || zoom >= k.maxzoom) continue;
      for (const label of this.loaded[k.kind] || []) {
        const p = this.map.project([label.lon, label.lat]);
        if (p.x < 0 || p.y < 0 || p.x > w || p.y > h) continue;
        if (label.w === undefined) label.w = this.width(label);
        const half = label.w / 2 + GAP;
        const box = [p.x - half, p.y - 8 - GAP, p.x + half, p.y + 8 + GAP];
        if (box[0] < 0 || box[2] > w || box[1] < 0 || box[3] > h) continue;
        if (boxes.some((b) => overlaps(b, box)) || blocked.some((b) => overlaps(b, box))) continue;
        boxes.push(box);
        placed.push(label);
      }
    }
    const keep = new Set(placed.map((l) => l.key));
    for (const [key, node] of this.nodes) {
      if (!keep.has(key)) {
        node.remove();
        this.nodes.delete(key);
      }
    }
    for (const label of placed) {
      if (this.nodes.has(label.key)) continue;
      const node = document.createElement("span");
      node.className = `place-label place-${label.kind}`;
      node.textContent = label.name;
      this.layer.append(node);
      this.nodes.set(label.key, node);
    }
    this.placed = placed;
    this.position();
  }

  position() {
    for (const label of this.placed) {
      const node = this.nodes.get(label.key);
      const p = this.map.project([label.lon, label.lat]);
      node.style.transform = `translate(${Math.round(p.x)}px, ${Math.round(p.y)}px) translate(-50%, -50%)`;
    }
  }

  names() {
    return this.placed.map((l) => l.name);
  }
}

function overlaps(a, b) {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}
