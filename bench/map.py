"""Map benchmark: the published site against a folium-style Leaflet page, in headless Chromium.

For Essex (1,111 LSOA 2021, from the bundled open data) and England (33,755, from the England-wide
files), each built by the real pipeline (ingest → build of the essex-covid index → publish): time
from navigation to the first fully coloured map (place labels and district outlines drawn),
bytes transferred, time to recolour by another measure (median of three), and the publish step's
wall and CPU time and the site's size. The baseline is drawn the way folium does it: Leaflet (SVG
renderer, folium's default) with the GeoJSON inline in the page and a generated style function
with one ``case`` per area. Both pages are served by the same local server; one run each, fresh
browser context per page. Targets (issue 17): England ≥ 5× faster than the baseline, ≤ 2.5 MB,
recolour ≤ 0.8 s, publish ≤ 60 s and a site ≤ 100 MB.

    python bench/map.py            # builds both sites in a temporary folder
    python bench/map.py --site DIR --warehouse FILE --repeats 5
                                   # a published site against the baseline, alternating, repeated
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "publish"))

from site_helpers import CHROMIUM, CHROMIUM_ARGS, LocalServer  # noqa: E402

from lantern.config import ESSEX_AREA_CODES, config_from_mapping  # noqa: E402
from lantern.paths import BUNDLED_ESSEX, shared_data_dir  # noqa: E402
from lantern.pipeline.build import build  # noqa: E402
from lantern.pipeline.publish import ASSETS, precompress, publish  # noqa: E402
from lantern.publish.classify import class_of, colours_for, quantile_breaks  # noqa: E402
from lantern.publish.reader import read_site_data  # noqa: E402

FIRST, SECOND = "index", "domain.deprivation"
THIRD = "census2021.aged_65_plus_pct"
TARGETS = {
    "essex": {"speedup": 1.0, "bytes": 1_000_000, "recolour_s": 0.8},
    "england": {
        "speedup": 5.0,
        "bytes": 2_500_000,
        "recolour_s": 0.8,
        "publish_s": 60,
        "site_mb": 100,
    },
}


def baseline_page(warehouse: Path, out: Path) -> None:
    """A folium-style page: Leaflet, inline GeoJSON, one ``case`` per area in the style code."""
    data = read_site_data(warehouse)
    features = []
    for code, geom in zip(data.geometry.index, data.geometry.geometry, strict=True):
        features.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {"code": code},
                "geometry": geom.__geo_interface__,
            }
        )
    stylers = []
    for n, measure in enumerate((FIRST, SECOND)):
        values = data.values[measure]
        breaks = quantile_breaks(values.tolist())
        colours = colours_for("YlOrRd", len(breaks), "higher_worse")
        cases = "".join(
            f'case "{code}": return {{"color":"#ffffff","weight":0.4,"fillColor":"{colours[class_of(v, breaks)]}","fillOpacity":1}};'
            for code, v in values.items()
        )
        stylers.append(
            f'function styler_{n}(feature) {{ switch(feature.id) {{ {cases} default: return {{"fillOpacity":0}}; }} }}'
        )
    b = data.geometry.total_bounds
    html = f"""<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="assets/leaflet.css"><script src="assets/leaflet.js"></script>
<style>html,body,#map{{height:100%;margin:0}}</style></head><body><div id="map"></div><script>
var map = L.map("map", {{zoomControl: true}}).fitBounds([[{b[1]},{b[0]}],[{b[3]},{b[2]}]]);
{stylers[0]}
{stylers[1]}
var geo_json_data = {json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))};
var layer = L.geoJson(geo_json_data, {{style: styler_0}}).addTo(map);
requestAnimationFrame(function () {{ requestAnimationFrame(function () {{ window.colouredAt = performance.now(); }}); }});
window.recolour = function () {{
  var t0 = performance.now();
  layer.setStyle(styler_1);
  return new Promise(function (r) {{ requestAnimationFrame(function () {{ requestAnimationFrame(function () {{ r(performance.now() - t0); }}); }}); }});
}};
</script></body></html>"""
    (out / "assets").mkdir(parents=True, exist_ok=True)
    for name in ("leaflet.js", "leaflet.css"):
        shutil.copy2(ASSETS / name, out / "assets" / name)
    (out / "baseline.html").write_text(html, encoding="utf-8")
    precompress(out)  # served gzipped like the site, so bytes compare fairly


def _browser_cpu() -> dict[int, float]:
    """CPU seconds (user + system) of each Chromium process under this one, from /proc (Linux;
    empty elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid], names[pid] = int(fields[1]), name
        cpu[pid] = (int(fields[11]) + int(fields[12])) / tick
    mine = {os.getpid()}
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in mine and pid not in mine:
                mine.add(pid)
                changed = True
    return {pid: cpu[pid] for pid in mine if "chrom" in names[pid]}


def warm_up(browser) -> None:
    """One untimed blank page with a WebGL canvas, so that neither timed page pays for starting
    the browser's GPU process (the first page of a fresh browser did, the second not)."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<canvas></canvas>")
    page.evaluate("document.querySelector('canvas').getContext('webgl2') !== null")
    context.close()


def measure(browser, url: str, *, kind: str) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    before = _browser_cpu()
    # every response, the page's and its workers' (the map's tile workers fetch the tiles),
    # counted as received: compressed body and headers
    finished: list = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(url, timeout=180_000)
    if kind == "site":
        page.wait_for_selector("body[data-ready=true]", timeout=180_000)
        interactive = page.evaluate("window.lantern.colouredAt")
        first = page.evaluate("window.lanternPreviewAt || window.lantern.colouredAt")
    else:
        page.wait_for_function("window.colouredAt", timeout=180_000, polling=50)
        first = interactive = page.evaluate("window.colouredAt")
    # the browser's CPU (every process: page, its workers, software WebGL) up to the map drawn,
    # the other engineers' load on the cores left out
    after = _browser_cpu()
    cpu = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
    page.wait_for_load_state("networkidle")
    transferred = sum(
        size["responseBodySize"] + size["responseHeadersSize"]
        for size in (request.sizes() for request in finished)
    )
    extra = {}
    if kind == "site":
        # labels and district outlines are part of the first view that was timed; the page's
        # performance marks say where the time went (start = the script running, first-tile,
        # idle = every tile drawn, labels = place names placed)
        extra = {
            "labels": page.evaluate("window.lantern.labels().length"),
            "outlines": page.evaluate("window.lantern.map.isSourceLoaded('outlines')"),
            "marks": page.evaluate(
                "Object.fromEntries(performance.getEntriesByType('mark')"
                ".filter(m => m.name.startsWith('lantern:'))"
                ".map(m => [m.name.slice(8), Math.round(m.startTime)]))"
            ),
        }
        times = [page.evaluate(f"window.lantern.setMeasure('{m}')") for m in (SECOND, THIRD, FIRST)]
        recolour = sorted(times)[1]  # median of three
    else:
        recolour = page.evaluate("window.recolour()")
    context.close()
    return {
        "first_coloured_s": round(first / 1000, 2),
        "interactive_s": round(interactive / 1000, 2),
        "cpu_s": round(cpu, 2),
        "bytes": transferred,
        "recolour_s": round(recolour / 1000, 2),
        **extra,
    }


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def build_site(name: str, areas: list[str], data: Path, work: Path) -> tuple[Path, Path, dict]:
    """Ingest, build the default index and publish, as ``lantern up`` does (fewer MC draws);
    returns the warehouse, the site and the publish step's wall and CPU seconds."""
    from lantern.pipeline.ingest import ingest

    config = config_from_mapping(
        {
            "name": name,
            "area_codes": list(areas),
            "data_dir": str(data),
            "vintage": 2021,
            "output_dir": str(work / name / "out"),
            "warehouse": str(work / name / "out" / "lantern.duckdb"),
        },
        root=work / name,
    )
    ingest(config)
    build(config, draws=100)
    t0, c0 = time.perf_counter(), _cpu()
    site = publish(config, site_dir=work / name / "site")
    timing = {
        "publish_s": round(time.perf_counter() - t0, 1),
        "publish_cpu_s": round(_cpu() - c0, 1),
        "site_mb": round(sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 1e6, 1),
    }
    return Path(config.warehouse), site, timing


def run(data: Path, work: Path) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict = {}
    for name, areas, folder in (
        ("essex", ESSEX_AREA_CODES, BUNDLED_ESSEX),
        ("england", ["E92000001"], data),
    ):
        t0 = time.perf_counter()
        wh, site, timing = build_site(name, areas, folder, work)
        build_s = time.perf_counter() - t0
        baseline_page(wh, site)
        load = [round(os.getloadavg()[0], 1)]
        with LocalServer(site) as server, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            warm_up(browser)
            ours = measure(browser, f"{server.url}/index.html", kind="site")
            base = measure(browser, f"{server.url}/baseline.html", kind="baseline")
            browser.close()
        load.append(round(os.getloadavg()[0], 1))
        results[name] = {
            "site": ours,
            "baseline": base,
            "load_average": load,
            "build_s": round(build_s, 1),
            **timing,
            "speedup": round(base["first_coloured_s"] / ours["first_coloured_s"], 2),
        }
    return results


def report(results: dict) -> str:
    lines = [
        f"{'':8} {'page':9} {'first colour':>12} {'interactive':>11} {'browser CPU':>11} "
        f"{'transferred':>12} {'recolour':>9}"
    ]
    for name, r in results.items():
        for kind in ("site", "baseline"):
            m = r[kind]
            lines.append(
                f"{name:8} {kind:9} {m['first_coloured_s']:>10.2f} s {m['interactive_s']:>9.2f} s "
                f"{m['cpu_s']:>9.2f} s {m['bytes'] / 1e6:>9.2f} MB {m['recolour_s']:>7.2f} s"
            )
        t = TARGETS[name]

        def mark(ok: bool) -> str:
            return "ok" if ok else "MISS"

        lines.append(
            f"{name:8} ratio     baseline/site = {r['speedup']:.2f}x "
            f"[{mark(r['speedup'] >= t['speedup'])} >= {t['speedup']}x]; "
            f"bytes {mark(r['site']['bytes'] <= t['bytes'])}; "
            f"recolour {mark(r['site']['recolour_s'] <= t['recolour_s'])}; "
            f"labels {r['site']['labels']}, outlines {'on' if r['site']['outlines'] else 'MISSING'}"
        )
        publish = f"{name:8} publish   {r['publish_s']} s wall, {r['publish_cpu_s']} s CPU; site {r['site_mb']} MB"
        if "publish_s" in t:
            publish += (
                f" [{mark(r['publish_s'] <= t['publish_s'])} <= {t['publish_s']} s wall;"
                f" {mark(r['site_mb'] <= t['site_mb'])} <= {t['site_mb']} MB]"
            )
        lines.append(publish + f"; ingest+build+publish {r['build_s']} s")
        marks = " ".join(
            f"{k} {v}" for k, v in sorted(r["site"]["marks"].items(), key=lambda kv: kv[1])
        )
        lines.append(
            f"{name:8} marks     {marks} (ms); load average {r['load_average'][0]} -> {r['load_average'][1]}"
        )
    return "\n".join(lines)


def repeat_on_site(site: Path, warehouse: Path, repeats: int) -> dict:
    """A published site (and the warehouse it came from) against the baseline, ``repeats`` times
    each, alternating which page goes first; returns every run and the median and spread."""
    import statistics

    from playwright.sync_api import sync_playwright

    runs: dict[str, list] = {"site": [], "baseline": []}
    load = [round(os.getloadavg()[0], 1)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        shutil.copytree(site, root, copy_function=os.link)  # linked, not copied
        baseline_page(warehouse, root)
        with LocalServer(root) as server, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            warm_up(browser)
            for n in range(repeats):
                order = ["site", "baseline"] if n % 2 == 0 else ["baseline", "site"]
                for kind in order:
                    page = "index.html" if kind == "site" else "baseline.html"
                    runs[kind].append(measure(browser, f"{server.url}/{page}", kind=kind))
            browser.close()
    load.append(round(os.getloadavg()[0], 1))
    ratios = [
        b["first_coloured_s"] / s["first_coloured_s"]
        for s, b in zip(runs["site"], runs["baseline"], strict=True)
    ]

    def spread(values: list[float]) -> dict:
        return {
            "median": round(statistics.median(values), 2),
            "min": round(min(values), 2),
            "max": round(max(values), 2),
        }

    return {
        "runs": runs,
        "load_average": load,
        "ratio": spread(ratios),
        "site_s": spread([r["first_coloured_s"] for r in runs["site"]]),
        "baseline_s": spread([r["first_coloured_s"] for r in runs["baseline"]]),
        "site_cpu_s": spread([r["cpu_s"] for r in runs["site"]]),
        "baseline_cpu_s": spread([r["cpu_s"] for r in runs["baseline"]]),
        "bytes": max(r["bytes"] for r in runs["site"]),
        "recolour_s": spread([r["recolour_s"] for r in runs["site"]]),
    }


def report_repeats(r: dict) -> str:
    def fmt(d: dict, unit: str = "") -> str:
        return f"median {d['median']}{unit} ({d['min']}-{d['max']})"

    site = r["runs"]["site"][-1]
    return "\n".join(
        [
            f"site      first colour {fmt(r['site_s'], ' s')}; browser CPU"
            f" {fmt(r['site_cpu_s'], ' s')}; {r['bytes'] / 1e6:.2f} MB;"
            f" recolour {fmt(r['recolour_s'], ' s')}",
            f"baseline  first colour {fmt(r['baseline_s'], ' s')}; browser CPU"
            f" {fmt(r['baseline_cpu_s'], ' s')}",
            f"ratio     baseline/site {fmt(r['ratio'], 'x')} over {len(r['runs']['site'])} runs;"
            f" labels {site['labels']}, outlines {'on' if site['outlines'] else 'MISSING'};"
            f" load average {r['load_average'][0]} -> {r['load_average'][1]}",
        ]
    )


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, help="a published site to time (skips the builds)")
    parser.add_argument("--warehouse", type=Path, help="the warehouse the site was published from")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each page with --site")
    args = parser.parse_args()
    if args.site:
        if not (args.site / "index.html").exists() or not args.warehouse:
            print("--site needs a published site folder and --warehouse its warehouse")
            return 1
        results = repeat_on_site(args.site, args.warehouse, max(1, args.repeats))
        out = ROOT / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / "map-site.json").write_text(json.dumps(results, indent=2))
        print(report_repeats(results))
        return 0
    data = shared_data_dir()
    if data is None:
        print("England-wide open data not found: set LANTERN_SHARED_DATA")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        results = run(data, Path(tmp))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "map.json").write_text(json.dumps(results, indent=2))
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
