// Hatch patterns for areas with no data and areas outside the filter: drawn on the map as
// MapLibre images and in the legend as CSS gradients, from the same two colours each.
const SIZE = 8;

function hex(colour) {
  const c = colour.replace("#", "");
  return [0, 2, 4].map((i) => parseInt(c.slice(i, i + 2), 16));
}

// Diagonal lines (bottom-left to top-right) `width` pixels wide on a plain background.
export function hatchImage([background, line], { width = 2, ratio = 1 } = {}) {
  const size = SIZE * ratio;
  const data = new Uint8Array(size * size * 4);
  const bg = hex(background);
  const fg = hex(line);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = (x + y) % size;
      const on = d < width * ratio;
      const c = on ? fg : bg;
      const o = (y * size + x) * 4;
      data[o] = c[0];
      data[o + 1] = c[1];
      data[o + 2] = c[2];
      data[o + 3] = 255;
    }
  }
  return { width: size, height: size, data };
}

export function hatchCss([background, line], width = 2) {
  return `repeating-linear-gradient(135deg, ${line} 0 ${width * 0.71}px, ${background} ${width * 0.71}px ${SIZE * 0.71}px)`;
}

export function addPatterns(map, patterns) {
  const ratio = Math.max(1, Math.round(window.devicePixelRatio || 1));
  map.addImage("hatch-nodata", hatchImage(patterns.noData, { width: 3, ratio }), { pixelRatio: ratio });
  map.addImage("hatch-filtered", hatchImage(patterns.filtered, { width: 1, ratio }), { pixelRatio: ratio });
}
