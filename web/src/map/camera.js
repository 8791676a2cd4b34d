// Fitting a box into the part of the map the overlays leave free (pure Web Mercator maths, shared
// by the first-frame preview and the map): the legend is kept clear by padding the side it sits
// on, across or along, whichever leaves the box bigger.
const mx = (lon) => (lon + 180) / 360;
const my = (lat) => {
  const s = Math.sin((lat * Math.PI) / 180);
  return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
};

// Pixels per world unit when [w, s, e, n] fills the free part of a w×h box with this padding.
export function fitScale([w0, s0, e0, n0], width, height, pad) {
  const fw = Math.max(1, width - pad.left - pad.right);
  const fh = Math.max(1, height - pad.top - pad.bottom);
  return Math.min(fw / Math.max(1e-12, mx(e0) - mx(w0)), fh / Math.max(1e-12, my(s0) - my(n0)));
}

// Padding that keeps `legend` (a rectangle in the map box's pixels, or null) clear of the box.
export function clearOf(bounds, width, height, legend, base = 10) {
  const pad = { top: base, bottom: base, left: base, right: base };
  if (!legend || legend.right <= legend.left || legend.bottom <= legend.top) return pad;
  const gap = 8;
  const side = legend.left + legend.right < width ? { left: legend.right + gap } : { right: width - legend.left + gap };
  const along = legend.top + legend.bottom < height ? { top: legend.bottom + gap } : { bottom: height - legend.top + gap };
  const a = { ...pad, ...side };
  const b = { ...pad, ...along };
  return fitScale(bounds, width, height, a) >= fitScale(bounds, width, height, b) ? a : b;
}

// Project [lon, lat] to pixels for `bounds` fitted into a w×h box with `pad` (as the map does).
export function projector(bounds, width, height, pad) {
  const [w0, s0, e0, n0] = bounds;
  const k = fitScale(bounds, width, height, pad);
  const cx = (mx(w0) + mx(e0)) / 2;
  const cy = (my(n0) + my(s0)) / 2;
  const ox = pad.left + (width - pad.left - pad.right) / 2;
  const oy = pad.top + (height - pad.top - pad.bottom) / 2;
  return (lon, lat) => [ox + (mx(lon) - cx) * k, oy + (my(lat) - cy) * k];
}
