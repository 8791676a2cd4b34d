// Weekly COVID-19 cases on the map: a week slider with play that recolours the MSOAs by the
// week's case rate (fixed bands, the same every week), and a 3×3 "where cases meet
// vulnerability" view of the latest week against the index. Data: lantern.publish.weekly.
import { getJSON } from "./data.js";
import { el, svg } from "./format.js";
import { hatchCss } from "./map/patterns.js";

const NO_DATA = "#ffffff"; // drawn white under the map's "no data" hatching
const ROWS = ["low", "middle", "high"];

export class Cases {
  constructor({ meta, root, legend, onShow, onHide, announce }) {
    this.site = meta;
    this.meta = meta.cases || null;
    this.root = root;
    this.legend = legend;
    this.onShow = onShow;
    this.onHide = onHide;
    this.announce = announce || (() => {});
    this.mode = "";
    this.week = this.meta ? this.meta.weeks.length - 1 : 0;
    this.data = null;
    this.map = null;
    this.timer = null;
    if (this.meta) this.render();
  }

  active() {
    return Boolean(this.mode && this.data && this.map);
  }

  render() {
    const weeks = this.meta.weeks;
    this.view = el(
      "select",
      { id: "cases-view" },
      el("option", { value: "" }, "Index and indicators"),
      el("option", { value: "weekly" }, "COVID-19 cases by week"),
      ...(this.meta.bivariate ? [el("option", { value: "bivariate" }, "Where cases meet vulnerability")] : []),
    );
    this.slider = el("input", { id: "cases-week", type: "range", min: "0", max: String(weeks.length - 1), step: "1", value: String(this.week), "aria-describedby": "cases-week-label" });
    this.label = el("output", { id: "cases-week-label", for: "cases-week" }, this.weekText(this.week));
    this.play = el("button", { type: "button", id: "cases-play", "aria-pressed": "false" }, "Play");
    this.weekBox = el("div", { class: "cases-week", hidden: "" }, el("label", { for: "cases-week" }, "Week"), this.slider, this.label, this.play);
    this.root.replaceChildren(el("div", { class: "control" }, el("label", { for: "cases-view" }, "Map view"), this.view), this.weekBox);
    this.root.hidden = false;
    this.view.addEventListener("change", () => this.setMode(this.view.value));
    this.slider.addEventListener("input", () => this.setWeek(parseInt(this.slider.value, 10)));
    this.play.addEventListener("click", () => (this.timer ? this.stop() : this.start()));
  }

  weekText(i) {
    const w = this.meta.weeks[i];
    const n = parseInt(w.slice(6), 10);
    // ISO week n of 2020 ends on Sunday 5 January 2020 + 7n days
    const end = new Date(Date.UTC(2020, 0, 5 + 7 * (n - 1)));
    const start = new Date(end.getTime() - 6 * 86400000);
    const f = (d) => d.toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
    return `Week ${n} (${f(start)}–${f(end)} 2020)`;
  }

  async setMode(mode) {
    this.mode = mode;
    this.view.value = mode;
    this.weekBox.hidden = mode !== "weekly";
    if (!mode) {
      this.stop();
      this.release();
      this.onHide();
      return;
    }
    if (!this.data) this.data = await getJSON(this.meta.file);
    this.map = await this.onShow(this.meta.geography);
    this.paint();
    this.announce(mode === "weekly" ? `Map coloured by COVID-19 cases, ${this.weekText(this.week)}.` : "Map coloured by latest cases against vulnerability.");
  }

  // Recolour for a week; resolves with the milliseconds until the map has drawn it.
  setWeek(i) {
    const t0 = performance.now();
    this.week = Math.max(0, Math.min(this.meta.weeks.length - 1, i));
    this.slider.value = String(this.week);
    this.label.textContent = this.weekText(this.week);
    if (!this.active()) return Promise.resolve(0);
    this.paint();
    return new Promise((resolve) => this.map.once("idle", () => resolve(performance.now() - t0)));
  }

  start() {
    if (this.week >= this.meta.weeks.length - 1) this.setWeek(0);
    this.play.textContent = "Pause";
    this.play.setAttribute("aria-pressed", "true");
    this.timer = setInterval(() => {
      if (this.week >= this.meta.weeks.length - 1) return this.stop();
      this.setWeek(this.week + 1);
    }, 900);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    if (this.play) {
      this.play.textContent = "Play";
      this.play.setAttribute("aria-pressed", "false");
    }
  }

  // Colour of each area: weekly bands, or the 9 bivariate classes.
  colours() {
    if (this.mode === "bivariate") {
      const b = this.data.bivariate;
      return { classes: b.classes, palette: b.colours };
    }
    const lg = this.data.legend;
    return { classes: this.data.bands[this.week], palette: [...lg.colours, lg.low] };
  }

  // Colours come from feature state ("band"), so a new week only updates 7,000 small states
  // instead of re-laying out every tile as a data-driven style would.
  paint() {
    if (!this.active()) return;
    const { classes, palette } = this.colours();
    const geoId = this.meta.geography;
    const layer = `fill-${geoId}`;
    const hatch = `hatch-${geoId}`;
    const styleKey = `${this.mode}:${palette.join()}`;
    if (this.styled !== styleKey || this.map.getPaintProperty(layer, "fill-color")[0] !== "match" || !this.ownStyle) {
      const match = ["match", ["coalesce", ["feature-state", "band"], -1]];
      palette.forEach((c, i) => match.push(i, c));
      match.push(NO_DATA);
      this.map.setPaintProperty(layer, "fill-color", match);
      if (this.map.getLayer(hatch)) {
        this.map.setFilter(hatch, null);
        this.map.setPaintProperty(hatch, "fill-pattern", "hatch-nodata");
        this.map.setPaintProperty(hatch, "fill-opacity", ["case", ["==", ["coalesce", ["feature-state", "band"], -1], -1], 1, 0]);
        this.map.setLayoutProperty(hatch, "visibility", "visible");
      }
      this.styled = styleKey;
      this.ownStyle = true;
    }
    // only the areas whose colour changes since the last week drawn get a new state
    const codes = this.data.codes;
    const before = this.drawn && this.drawnStyle === styleKey ? this.drawn : null;
    for (let i = 0; i < codes.length; i++) {
      if (before && before[i] === classes[i]) continue;
      this.map.setFeatureState({ source: geoId, sourceLayer: "areas", id: codes[i] }, { band: classes[i] });
    }
    this.drawn = classes;
    this.drawnStyle = styleKey;
    this.map.getCanvas().dataset.casesWeek = this.mode === "weekly" ? this.meta.weeks[this.week] : "bivariate";
    this.renderLegend();
  }

  // Hand the layers back to the measure's colours.
  release() {
    if (!this.map || !this.ownStyle) return;
    const geoId = this.meta.geography;
    this.map.removeFeatureState({ source: geoId, sourceLayer: "areas" });
    this.drawn = null;
    if (this.map.getLayer(`hatch-${geoId}`)) this.map.setPaintProperty(`hatch-${geoId}`, "fill-opacity", 1);
    this.ownStyle = false;
    this.styled = null;
  }

  renderLegend() {
    const root = this.legend;
    if (this.mode === "bivariate") {
      const b = this.data.bivariate;
      root.querySelector("#legend-title").textContent = `Cases in week ${parseInt(b.week.slice(6), 10)} against vulnerability`;
      root.querySelector("#legend-items").replaceChildren(el("li", { class: "bivariate" }, bivariateKey(b)), this.noDataItem("Cases suppressed (0–2) or no data"));
      root.querySelector("#legend-note").textContent = `Thirds of the MSOAs: cases per 100,000 up to ${b.caseBreaks[0]}, up to ${b.caseBreaks[1]}, above; the index likewise. Darkest: high cases where vulnerability is high.`;
      return;
    }
    const lg = this.data.legend;
    const e = this.data.england[this.week];
    const eMax = this.data.englandMax[this.week];
    root.querySelector("#legend-title").textContent = `COVID-19 cases per 100,000, ${this.weekText(this.week)}`;
    const items = lg.labels.map((text, i) => el("li", {}, el("span", { class: "swatch", style: `background:${lg.colours[i]}`, "aria-hidden": "true" }), el("span", { class: "words" }, text), el("span", { class: "range" }, "")));
    items.push(el("li", { class: "special" }, el("span", { class: "swatch", style: `background:${lg.low}`, "aria-hidden": "true" }), el("span", { class: "words" }, "Fewer than 3 cases (suppressed)")));
    items.push(this.noDataItem("Some counts suppressed, or no data"));
    root.querySelector("#legend-items").replaceChildren(...items);
    root.querySelector("#legend-note").textContent = e === null ? "" : `England: ${e.toFixed(1)}${eMax !== null && eMax - e > 0.05 ? ` to ${eMax.toFixed(1)}` : ""} per 100,000 this week. MSOAs (2021) from PHE's MSOA 2011 counts.`;
  }

  noDataItem(text) {
    const pattern = this.site.patterns ? hatchCss(this.site.patterns.noData, 3) : NO_DATA;
    return el("li", { class: "special" }, el("span", { class: "swatch", style: `background:${pattern}`, "aria-hidden": "true" }), el("span", { class: "words" }, text));
  }

  // The weekly series of one MSOA (by code), for the panel's trend chart.
  series(code) {
    if (!this.data || !this.data.codes) return null;
    const i = this.data.codes.indexOf(code);
    if (i < 0) return null;
    return { weeks: this.data.weeks, rates: this.data.rates.map((w) => w[i]), england: this.data.england, week: this.week };
  }

  async load() {
    if (this.meta && !this.data) this.data = await getJSON(this.meta.file);
    return this.data;
  }
}

// The 3×3 key: cases left to right, vulnerability bottom to top, with words on both axes.
function bivariateKey(b) {
  const size = 18;
  const node = svg("svg", { viewBox: "0 0 120 96", width: "180", height: "144", role: "img", "aria-label": "Key: cases increase to the right, vulnerability upwards" });
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) {
      node.append(svg("rect", { x: 34 + col * size, y: 56 - row * size, width: size, height: size, fill: b.colours[3 * row + col], stroke: "#fff" }));
    }
  }
  const text = (x, y, t, anchor = "middle", rotate = false) => {
    const n = svg("text", { x, y, "font-size": "8", "text-anchor": anchor, ...(rotate ? { transform: `rotate(-90 ${x} ${y})` } : {}) });
    n.textContent = t;
    node.append(n);
  };
  text(34 + 1.5 * size, 92, "cases →");
  text(24, 47, "vulnerability →", "middle", true);
  text(34, 84, "low", "start");
  text(34 + 3 * size, 84, "high", "end");
  return el("span", { class: "bivariate-key" }, node, el("span", { class: "words" }, `${ROWS[2]} cases and ${ROWS[2]} vulnerability: top right`));
}
