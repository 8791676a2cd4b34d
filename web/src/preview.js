// A first coloured frame for county builds, drawn on a plain canvas from a compact copy of the
// boundaries while the interactive map (MapLibre) starts; removed once the map has drawn.
import { fetchJSON, valuesFile } from "./data.js";
import { projector } from "./map/camera.js";

(function () {
  // The map fills the first screen below the header and controls (lantern.js keeps this up to date).
  const layout = document.querySelector(".layout");
  if (layout) document.documentElement.style.setProperty("--above-map", `${Math.round(layout.getBoundingClientRect().top + window.scrollY)}px`);
  const meta = JSON.parse(document.getElementById("lantern-meta").textContent);
  const start = () => {
    const s = document.createElement("script");
    s.src = "assets/lantern.js";
    document.body.append(s);
  };
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const measure = meta.measures.find((m) => m.id === (params.get("m") || meta.defaultMeasure));
  const plain = !params.get("g") && !params.get("d") && !params.get("dec") && !params.get("a");
  if (!meta.preview || !measure || !measure.geos.lsoa || !plain) return start();
  // the default view's classes are inlined in the page (one character per area, "-": no data)
  const inline = measure.id === meta.defaultMeasure && meta.firstClasses;
  const classes = inline ? Promise.resolve({ c: Array.from(inline, (ch) => (ch === "-" ? -1 : ch.charCodeAt(0) - 48)) }) : fetchJSON(valuesFile("lsoa", measure.id));
  Promise.all([fetchJSON(meta.preview), classes])
    .then(([shapes, values]) => {
      draw(shapes, values.c, measure.geos.lsoa);
      window.lanternPreviewAt = performance.now();
    })
    .catch(() => {})
    .finally(start);

  function draw(shapes, v, spec) {
    const box = document.getElementById("map");
    const w = box.clientWidth;
    const h = box.clientHeight;
    const ratio = window.devicePixelRatio || 1;
    const canvas = document.createElement("canvas");
    canvas.id = "map-preview";
    canvas.setAttribute("aria-hidden", "true");
    canvas.width = w * ratio;
    canvas.height = h * ratio;
    canvas.style.cssText = `position:absolute;left:${box.offsetLeft}px;top:${box.offsetTop}px;width:${w}px;height:${h}px;pointer-events:none;z-index:1`;
    box.parentNode.append(canvas);
    const ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    const colour = (i) => (v[i] >= 0 ? spec.colours[v[i]] : meta.noData);
    // Web Mercator camera fitted to the bounds as the map does (first with 10 px padding; the map
    // calls redraw with the padding that keeps its legend clear).
    const paint = (pad) => {
      const project = projector(meta.bounds, w, h, pad);
      ctx.fillStyle = "#eef1f4";
      ctx.fillRect(0, 0, w, h);
      const q = shapes.scale;
      for (let r = 0; r < shapes.rings.length; r++) {
        const ring = shapes.rings[r];
        let lon = 0, lat = 0;
        ctx.beginPath();
        for (let j = 0; j < ring.length; j += 2) {
          lon += ring[j];
          lat += ring[j + 1];
          const [px, py] = project(lon / q, lat / q);
          if (j === 0) ctx.moveTo(px, py);
          else ctx.lineTo(px, py);
        }
        ctx.closePath();
        ctx.fillStyle = colour(shapes.area[r]);
        ctx.fill();
      }
    };
    paint({ top: 10, bottom: 10, left: 10, right: 10 });
    window.lanternPreview = { redraw: (pad) => canvas.isConnected && paint(pad) };
  }
})();
