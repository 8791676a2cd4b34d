"""Cut the bundled sample: the rows of each national open-data file that fall in an area.

``bundle`` writes every file listed in ``bundled/catalogue.toml`` under the same relative
path and name as in the England-wide folder, so one source registry reads either root. CSV rows
are copied byte for byte (line endings included); GeoJSON features are copied unchanged. It
also derives the postcode lookup and writes ``ATTRIBUTION.md`` and ``manifest.json`` (sha256,
bytes, rows and licence per file).
"""

from __future__ import annotations

import hashlib
import io
import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lantern.errors import InputError, IntegrityError
from lantern.geography.hierarchy import LOOKUP_2011, filter_chain, load_chain
from lantern.geography.postcodes import build_nspl_from_codepoint
from lantern.paths import BUNDLED_DIR
from lantern.pipeline.progress import Progress, or_quiet

CATALOGUE = BUNDLED_DIR / "catalogue.toml"
REGISTRATIONS = "gp_registrations_lsoa/gp_reg_pat_prac_lsoa11_jul2022_essex.csv"
LEVELS = frozenset(
    {"lsoa11", "msoa11", "lsoa21", "msoa21", "districts", "districts19", "counties"}
    | {"county_names", "practices"}
)


@dataclass(frozen=True)
class BundleFile:
    """One file of the bundle: where it is, which rows to keep, and its attribution."""

    path: str
    publisher: str
    dataset: str
    licence: str
    vintage: str
    provenance: str
    attribution: str
    key: str | None = None  # CSV column or GeoJSON property holding the selecting code
    level: str | None = None  # which AreaSets entry the key must be in; None = whole file
    also_key: str | None = None  # a second column that may match instead
    also_level: str | None = None


def load_catalogue(path: Path = CATALOGUE) -> tuple[list[BundleFile], BundleFile, str]:
    """The catalogued files, the derived postcode file, and the postcode source path."""
    spec = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    notes, defaults = spec["notes"], spec["defaults"]

    def build(entry: dict[str, str]) -> BundleFile:
        merged = {**defaults.get(entry.get("defaults", ""), {}), **entry}
        merged.pop("defaults", None)
        merged.pop("source", None)
        merged["attribution"] = notes[merged["attribution"]]
        for level in (merged.get("level"), merged.get("also_level")):
            if level is not None and level not in LEVELS:
                raise InputError(f"unknown level {level!r}", file=path)
        return BundleFile(**merged)

    postcodes = spec["postcodes"]
    return [build(e) for e in spec["file"]], build(postcodes), postcodes["source"]


def area_sets(data_dir: Path, areas: list[str]) -> dict[str, set[str]]:
    """The codes of every level inside ``areas``, read from the lookups in ``data_dir``."""
    c11 = filter_chain(load_chain(data_dir, 2011), 2011, areas)
    c21 = filter_chain(load_chain(data_dir, 2021), 2021, areas)
    if c11.empty or c21.empty:
        raise InputError(f"no LSOAs found inside {', '.join(areas)}; give district or county codes")
    lookup = pd.read_csv(data_dir / LOOKUP_2011, dtype=str, usecols=["lsoa11_code", "ltla19_code"])
    reg = pd.read_csv(data_dir / REGISTRATIONS, usecols=["practice_code", "lsoa11_code"], dtype=str)
    lsoa11 = set(c11["lsoa11_code"])
    return {
        "lsoa11": lsoa11,
        "msoa11": set(c11["msoa11_code"]),
        "lsoa21": set(c21["lsoa21_code"]),
        "msoa21": set(c21["msoa21_code"]),
        "districts": set(c11["ltla21_code"]) | set(c21["ltla24_code"]),
        "districts19": set(lookup.loc[lookup["lsoa11_code"].isin(lsoa11), "ltla19_code"]),
        "counties": set(c11["utla21_code"]),
        "county_names": set(c11["utla21_name"]),
        "practices": set(reg.loc[reg["lsoa11_code"].isin(lsoa11), "practice_code"]),
    }


def select_csv(raw: bytes, spec: BundleFile, sets: dict[str, set[str]]) -> tuple[bytes, int]:
    """The header and the selected rows of a CSV, byte for byte; and the number of rows kept."""
    lines = raw.splitlines(keepends=True)
    while lines and not lines[-1].strip():
        lines.pop()
    if spec.key is None or spec.level is None:
        return raw, len(lines) - 1
    columns = [spec.key] + ([spec.also_key] if spec.also_key else [])
    frame = pd.read_csv(io.BytesIO(raw), dtype=str, usecols=columns, keep_default_na=False)
    if len(frame) != len(lines) - 1:
        raise IntegrityError(
            f"{spec.path}: rows span several lines; cannot copy them byte for byte"
        )
    keep = frame[spec.key].isin(sets[spec.level]).to_numpy()
    if spec.also_key and spec.also_level:
        keep |= frame[spec.also_key].isin(sets[spec.also_level]).to_numpy()
    body = [line for line, k in zip(lines[1:], keep, strict=True) if k]
    return b"".join([lines[0], *body]), len(body)


def select_geojson(raw: bytes, spec: BundleFile, sets: dict[str, set[str]]) -> tuple[bytes, int]:
    """The FeatureCollection with only the features whose code is in the area (features unchanged)."""
    collection = json.loads(raw.decode("utf-8"))
    if spec.key is not None and spec.level is not None:
        wanted = sets[spec.level]
        collection["features"] = [
            f for f in collection["features"] if f["properties"].get(spec.key) in wanted
        ]
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8"), len(collection["features"])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _entry(data: bytes, rows: int, spec: BundleFile) -> dict[str, object]:
    return {"sha256": sha256(data), "bytes": len(data), "rows": rows, "licence": spec.licence}


@dataclass(frozen=True)
class BundleSettings:
    """What ``lantern bundle`` cuts: ``areas`` (GSS codes) from the England-wide ``source``
    folder into ``out``."""

    source: Path
    areas: list[str]
    out: Path


def bundle(
    config: BundleSettings, *, progress: Progress | None = None
) -> dict[str, dict[str, object]]:
    """Write the ``areas`` subset of every catalogued file from ``source`` into ``out``.

    Returns the manifest (also written to ``out/manifest.json``).
    """
    say = or_quiet(progress)
    source, out, areas = Path(config.source), Path(config.out), list(config.areas)
    files, postcode_file, postcode_source = load_catalogue()
    sets = area_sets(source, areas)
    manifest: dict[str, dict[str, object]] = {}
    for n, spec in enumerate(files):
        say(spec.path, step=n, of=len(files) + 2)
        path = source / spec.path
        if not path.exists():
            raise InputError("source file missing from the data folder", file=path)
        select = select_geojson if path.suffix == ".geojson" else select_csv
        data, rows = select(path.read_bytes(), spec, sets)
        target = out / spec.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        manifest[spec.path] = _entry(data, rows, spec)
    say(postcode_file.path, step=len(files), of=len(files) + 2)
    _write_manifest(out, manifest)  # the postcode step reads the new lookups through their checks
    nspl = build_nspl_from_codepoint(
        source / postcode_source,
        out / "boundaries/lsoa11_essex_bsc.geojson",
        out / "boundaries/lsoa21_essex_bsc.geojson",
        out / postcode_file.path,
        data_dir=out,
    )
    nspl_bytes = (out / postcode_file.path).read_bytes()
    manifest[postcode_file.path] = _entry(nspl_bytes, len(nspl), postcode_file)
    say(ENGLAND_FILE.path, step=len(files) + 1, of=len(files) + 2)
    england = england_benchmarks(source, out, manifest)
    text = attribution_text(areas, [*files, postcode_file, england], manifest)
    (out / "ATTRIBUTION.md").write_text(text, encoding="utf-8")
    _write_manifest(out, manifest)
    return manifest


def _write_manifest(out: Path, manifest: dict[str, dict[str, object]]) -> None:
    body = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (out / "manifest.json").write_text(body, encoding="utf-8")


ENGLAND_FILE = BundleFile(
    path="benchmarks/england_indicators.csv",
    publisher="Lantern, from the England-wide files of this bundle's publishers",
    dataset="England values (Σ numerator / Σ denominator over England) of every rate with a "
    "numerator and denominator, per indicator and period, for comparison with England",
    licence="Open Government Licence v3.0 (as the files it is computed from)",
    vintage="as each indicator",
    provenance="computed by `lantern bundle` (lantern.benchmarks) from the England-wide folder",
    attribution="Contains public sector information licensed under the Open Government Licence "
    "v3.0.",
)


def england_benchmarks(
    source: Path,
    out: Path,
    manifest: dict[str, dict[str, object]],
) -> BundleFile:
    """Compute England's values from the England-wide ``source`` and write them into the bundle."""
    from lantern import benchmarks

    frame = benchmarks.compute(source)
    data = benchmarks.write(frame, out / ENGLAND_FILE.path)
    manifest[ENGLAND_FILE.path] = _entry(data, len(frame), ENGLAND_FILE)
    return ENGLAND_FILE


def attribution_text(
    areas: list[str], files: list[BundleFile], manifest: dict[str, dict[str, object]]
) -> str:
    """``ATTRIBUTION.md``: publisher, dataset, licence, vintage and provenance of every file."""
    lines = [
        "# Bundled open data: attribution",
        "",
        f"Each file holds the rows of the named national file that fall in the area "
        f"{', '.join(areas)} (for Essex: Essex County Council E10000012 with its 12 districts "
        "E07000066–E07000077, Southend-on-Sea E06000033 and Thurrock E06000034), under the same "
        "relative path and file name as the national file. Rows and features are copied "
        "unchanged; small national tables are copied whole. Files whose name ends `_essex` were "
        "already the Essex-area subset of the national file named in their provenance.",
        "",
        "Most files are published under the Open Government Licence v3.0: "
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        "",
    ]
    for spec in files:
        rows = manifest.get(spec.path, {}).get("rows", "?")
        scope = "whole national table" if spec.key is None else "rows in the area"
        if spec.path.startswith("postcodes/"):
            scope = "derived for the area"
        if spec.path.startswith("benchmarks/"):
            scope = "computed for England"
        lines += [
            f"## `{spec.path}`",
            "",
            f"- Publisher: {spec.publisher}",
            f"- Dataset: {spec.dataset}",
            f"- Licence: {spec.licence}",
            f"- Vintage: {spec.vintage}",
            f"- Provenance: {spec.provenance}",
            f"- Rows: {rows} ({scope})",
            f"- Attribution: {spec.attribution}",
            "",
        ]
    return "\n".join(lines)


def verify_bundle(folder: Path) -> Iterator[str]:
    """Problems found checking every file against ``manifest.json`` (nothing when all match)."""
    manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    for name, entry in manifest.items():
        path = Path(folder) / name
        if not path.exists():
            yield f"{name}: missing"
            continue
        data = path.read_bytes()
        if sha256(data) != entry["sha256"] or len(data) != entry["bytes"]:
            yield f"{name}: checksum does not match the manifest"
