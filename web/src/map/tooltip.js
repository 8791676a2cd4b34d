// The hover and focus tooltip: the area's name, its value of the measure on the map and its
// decile. With the mouse it follows the pointer; with the keyboard (the map focused) it describes
// the area under the cross-hair at the centre of the map, and Enter selects that area.
import { el } from "../format.js";

export class Tooltip {
  constructor(map, container, { describe, onPick, announce }) {
    this.map = map;
    this.describe = describe; // (featureIndex) => {title, lines[]} or null
    this.onPick = onPick;
    this.announce = announce;
    this.box = el("div", { class: "tooltip", role: "tooltip", id: "map-tooltip", hidden: true });
    this.cross = el("div", { class: "crosshair", "aria-hidden": "true", hidden: true });
    container.append(this.box, this.cross);
    this.fillLayer = null;
    this.lastKeyboardArea = null;
    const canvas = map.getCanvas();
    map.on("mousemove", (e) => this.hover(e.point));
    map.getCanvasContainer().addEventListener("mouseleave", () => this.hide());
    map.on("movestart", () => {
      if (!this.keyboard) this.hide();
    });
    canvas.addEventListener("focus", () => {
      this.keyboard = canvas.matches(":focus-visible");
      if (this.keyboard) this.atCentre();
    });
    canvas.addEventListener("blur", () => {
      this.keyboard = false;
      this.cross.hidden = true;
      this.hide();
    });
    canvas.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        const i = this.featureAt(this.centre());
        if (i !== null) {
          e.preventDefault();
          this.onPick(i);
        }
      } else if (e.key === "Escape") this.hide();
    });
    map.on("moveend", () => {
      if (this.keyboard) this.atCentre();
    });
  }

  centre() {
    const c = this.map.getCanvas();
    return { x: c.clientWidth / 2, y: c.clientHeight / 2 };
  }

  featureAt(point) {
    if (!this.fillLayer || !this.map.getLayer(this.fillLayer)) return null;
    const hits = this.map.queryRenderedFeatures([point.x, point.y], { layers: [this.fillLayer] });
    return hits.length ? hits[0].properties.i : null;
  }

  hover(point) {
    const i = this.featureAt(point);
    this.map.getCanvas().style.cursor = i === null ? "" : "pointer";
    if (i === null) return this.hide();
    this.show(i, point);
  }

  atCentre() {
    const point = this.centre();
    this.cross.hidden = false;
    const i = this.featureAt(point);
    if (i === null) {
      this.hide();
      return;
    }
    this.show(i, point);
    if (i !== this.lastKeyboardArea) {
      this.lastKeyboardArea = i;
      const d = this.describe(i);
      if (d) this.announce(`Map centre: ${d.title}. ${d.lines.join(". ")}. Press Enter to select.`);
    }
  }

  show(i, point) {
    const d = this.describe(i);
    if (!d) return this.hide();
    this.box.replaceChildren(el("strong", {}, d.title), ...d.lines.map((line) => el("span", {}, line)));
    this.box.hidden = false;
    const c = this.map.getCanvas();
    const w = this.box.offsetWidth;
    const h = this.box.offsetHeight;
    let x = point.x + 14;
    let y = point.y + 14;
    if (x + w > c.clientWidth - 4) x = Math.max(4, point.x - w - 14);
    if (y + h > c.clientHeight - 4) y = Math.max(4, point.y - h - 14);
    this.box.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
  }

  hide() {
    this.box.hidden = true;
  }
}
