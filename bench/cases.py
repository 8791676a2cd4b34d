"""Benchmark: the week slider's recolour on the England site (target ≤ 1 s).

Builds the England site through the real pipeline (ingest → essex-covid build with 100 draws →
publish, as ``bench/map.py`` does), opens it in headless Chromium, switches the map to weekly
cases (7,264 MSOAs) and times ``setWeek`` from the call until MapLibre is idle again, for ten
weeks. The baseline, measured in the same run on the same page, is the site's own recolour by
another measure at the same geography (``setMeasure``). Prints the median, the worst and the
ratio, and for each week how many MSOAs change colour and how long the page's own JavaScript
takes (the rest of a recolour is the one frame MapLibre draws). Run with ``python bench/cases.py`` (needs the England-wide files).

    python bench/cases.py [--site DIR]   # reuse a published England site
    python bench/cases.py --keep DIR     # build it into DIR and keep it
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "publish"))
sys.path.insert(0, str(ROOT / "bench"))

from site_helpers import CHROMIUM, CHROMIUM_ARGS, LocalServer  # noqa: E402

from lantern.paths import shared_data_dir  # noqa: E402

WEEKS = [14, 20, 26, 30, 33, 35, 37, 38, 39, 40]
TARGET_S = 1.0


def measure(site: Path) -> dict:
    from playwright.sync_api import sync_playwright

    with LocalServer(site) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(f"{server.url}/index.html", timeout=300_000)
        page.wait_for_selector("body[data-ready=true]", timeout=300_000)
        page.select_option("#cases-view", "weekly")
        page.wait_for_function(
            "document.querySelector('#map canvas').dataset.casesWeek", timeout=300_000
        )
        page.evaluate("new Promise(r => window.lantern.map.once('idle', r))")
        weeks, detail = [], []
        for w in WEEKS:
            # the areas whose colour changes, and the page's own work (JavaScript, synchronous)
            # apart from the frame MapLibre then draws
            changed = page.evaluate(
                f"(() => {{ const c = window.lantern.cases, a = c.drawn, b = c.data.bands[{w - 5}];"
                " let n = 0; for (let i = 0; i < b.length; i++) if (!a || a[i] !== b[i]) n++;"
                " return n; })()"
            )
            # as setWeek does, timing the page's own (synchronous) work on its own as well
            js, total = page.evaluate(
                "new Promise(r => { const c = window.lantern.cases, m = window.lantern.map;"
                f" const t = performance.now(); c.setWeek({w - 5}).then(ms => r([js, ms]));"
                " const js = performance.now() - t; })"
            )
            weeks.append(total)
            detail.append((changed, js))
        page.select_option("#cases-view", "")
        measures = page.evaluate(
            "window.lantern.meta.measures.filter(m => m.geos.msoa).map(m => m.id).slice(1, 6)"
        )
        base = [page.evaluate(f"window.lantern.setMeasure('{m}')") for m in measures]
        browser.close()
    return {"weeks_ms": weeks, "measure_ms": base, "detail": detail}


def main() -> int:
    site = Path(sys.argv[sys.argv.index("--site") + 1]) if "--site" in sys.argv else None
    if site is None:
        data = shared_data_dir()
        if data is None:
            print("England-wide open data not found: set LANTERN_SHARED_DATA")
            return 1
        from map import build_site

        if "--keep" in sys.argv:
            keep = Path(sys.argv[sys.argv.index("--keep") + 1])
            _wh, site, _timing = build_site("england", ["E92000001"], data, keep)
            result = measure(site)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                _wh, site, _timing = build_site("england", ["E92000001"], data, Path(tmp))
                result = measure(site)
    else:
        result = measure(site)
    weeks, base = result["weeks_ms"], result["measure_ms"]
    med, worst, med_base = statistics.median(weeks), max(weeks), statistics.median(base)
    print(f"England, 7,264 MSOAs: week slider recolour median {med:.0f} ms, worst {worst:.0f} ms")
    print(
        "each week (ms):", ", ".join(f"{w}: {ms:.0f}" for w, ms in zip(WEEKS, weeks, strict=True))
    )
    print(
        "areas recoloured, page JavaScript (ms):",
        ", ".join(
            f"{w}: {n} / {js:.0f}" for w, (n, js) in zip(WEEKS, result["detail"], strict=True)
        ),
    )
    print(f"baseline (recolour by another measure, MSOA geography): median {med_base:.0f} ms")
    print(
        f"ratio week / measure recolour: {med / med_base:.2f}x; target <= {TARGET_S:.0f} s: "
        f"{'ok' if worst <= 1000 * TARGET_S else 'MISS'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
