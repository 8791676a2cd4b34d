// A first coloured frame for county builds, drawn on a plain canvas from a compact copy of the
// boundaries while the interactive map (MapLibre) starts; removed once the map has drawn.
import { fetchJSON, valuesFile } from "./data.js";

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
  Promise.all([fetchJSON(meta.preview), fetchJSON(valuesFile("lsoa", measure.id))])
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
    ctx.fillStyle = "#eef1f4";
    ctx.fillRect(0, 0, w, h);
    // Web Mercator camera fitted to the bounds with 10 px padding, as the map does.
    const mx = (lon) => (lon + 180) / 360;
    const my = (lat) => {
      const s = Math.sin((lat * Math.PI) / 180);
      return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
    };
    const [w0, s0, e0, n0] = meta.bounds;
    const x0 = mx(w0), x1 = mx(e0), y0 = my(n0), y1 = my(s0);
    const k = Math.min((w - 20) / (x1 - x0), (h - 20) / (y1 - y0));
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    const q = shapes.scale;
    const colour = (i) => (v[i] >= 0 ? spec.colours[v[i]] : meta.noData);
    for (let r = 0; r < shapes.rings.length; r++) {
      const ring = shapes.rings[r];
      let lon = 0, lat = 0;
      ctx.beginPath();
      for (let j = 0; j < ring.length; j += 2) {
        lon += ring[j];
        lat += ring[j + 1];
        const px = w / 2 + (mx(lon / q) - cx) * k;
        const py = h / 2 + (my(lat / q) - cy) * k;
        if (j === 0) ctx.moveTo(px, py);
        else ctx.lineTo(px, py);
      }
      ctx.closePath();
      ctx.fillStyle = colour(shapes.area[r]);
      ctx.fill();
    }
  }
})();
