// Bundles the open map's front-end into src/lantern/publish/assets/ (git-ignored).
import { build } from "esbuild";
import { cpSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "lantern", "publish", "assets");
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { lantern: join(here, "src", "main.js") },
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome110", "firefox110", "safari16"],
  outdir: out,
  legalComments: "linked",
  logLevel: "warning",
});
await build({
  entryPoints: { lantern: join(here, "src", "style.css") },
  bundle: true,
  minify: true,
  outdir: out,
  logLevel: "warning",
});
await build({
  entryPoints: { preview: join(here, "src", "preview.js") },
  bundle: true,
  minify: true,
  format: "iife",
  outdir: out,
  logLevel: "warning",
});
// PMTiles reading inside MapLibre's tile workers (see tiles-worker.js).
await build({
  entryPoints: { "tiles-worker": join(here, "src", "tiles-worker.js") },
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome110", "firefox110", "safari16"],
  outdir: out,
  logLevel: "warning",
});
// Leaflet, for the benchmark's folium-style baseline page only.
await build({
  entryPoints: { leaflet: join(here, "src", "baseline.js") },
  bundle: true,
  minify: true,
  format: "iife",
  outdir: out,
  logLevel: "warning",
});
cpSync(join(here, "..", "node_modules", "leaflet", "dist", "leaflet.css"), join(out, "leaflet.css"));
for (const page of ["index.html", "method.html"]) cpSync(join(here, page), join(out, page));
