"""Benchmark: the Essex profile PDFs for all 14 districts (one page per ward, 257 pages).

Run with ``python bench/profile.py``. It builds the bundled Essex warehouse in a temporary folder
(``lantern init``, ``ingest``, ``build``), then times ``district_profiles`` (read each district's
wards from the warehouse, render, print with one Chromium) against a baseline measured in the
same run: printing the very same HTML documents again, which is the floor set by Chromium's own
layout and PDF writing. The ratio says what reading and rendering add on top of printing.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

from lantern.cli import main
from lantern.config import load_config
from lantern.profile.collect import profiles
from lantern.profile.make import district_profiles, page_codes
from lantern.profile.pdf import browser, print_pdf
from lantern.profile.render import render
from lantern.warehouse import Warehouse


def setup(work: Path) -> Path:
    here = Path.cwd()
    os.chdir(work)
    try:
        for command in (["init"], ["ingest"], ["build"]):
            if main(command) != 0:
                sys.exit(f"lantern {command[0]} failed")
    finally:
        os.chdir(here)
    return work / "lantern.toml"


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="lantern-bench-profile-") as tmp:
        work = Path(tmp)
        config = load_config(setup(work))
        with Warehouse.from_config(config) as wh:
            districts = wh.area_codes("district", 2021)
        t0 = time.perf_counter()
        results = district_profiles(config, districts, work / "pdf")
        full = time.perf_counter() - t0
        pages = sum(len(PdfReader(str(r.out)).pages) for r in results)
        wards = sum(len(r.codes) for r in results)
        assert pages == wards, (pages, wards)
        # baseline: print the same documents again (rendered beforehand, not timed)
        documents = []
        with Warehouse.from_config(config) as wh:
            for code in districts:
                kind, codes = page_codes(wh, code, 2021)
                documents.append(
                    render(profiles(wh, codes, kind, county=config.area_codes), title=code)
                )
        t0 = time.perf_counter()
        with browser() as chromium:
            for n, html in enumerate(documents):
                print_pdf(html, work / "base" / f"{n}.pdf", chromium=chromium)
        base = time.perf_counter() - t0
    print(f"districts: {len(districts)}, ward pages: {pages}")
    print(f"profiles (read + render + print): {full:6.1f} s  ({1000 * full / pages:.0f} ms a page)")
    print(f"baseline (print the same HTML):   {base:6.1f} s  ({1000 * base / pages:.0f} ms a page)")
    print(f"ratio profiles / print-only: {full / base:.2f}x")


if __name__ == "__main__":
    run()
