"""``lantern init``, ``ingest``, ``fetch`` and ``sources``: adapters over config, warehouse and fetch."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Column, Table

from lantern.cli.progress import progress_bar
from lantern.config import ESSEX_AREA_CODES, load_config

console = Console()


def init(
    area: list[str] = typer.Option(
        None, "--area", help="County, district, region or country code (repeatable)."
    ),
    data: str = typer.Option(
        "bundled", "--data", help="'bundled' (Essex sample), 'shared' (England-wide) or a folder."
    ),
    out: Path = typer.Option(
        Path("lantern.toml"), "--out", help="Where to write the settings file."
    ),
    name: str = typer.Option(None, "--name", help="Project name (default: from the first area)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a lantern.toml for an area (default: Essex on the bundled sample)."""
    from lantern.pipeline.init import InitSettings, init

    codes = list(area) if area else list(ESSEX_AREA_CODES)
    result = init(InitSettings(areas=codes, data=data, out=out, name=name, force=force))
    console.print(
        f"[green]wrote[/] {result.path}: {', '.join(result.area_codes)} — {result.lsoa11:,} LSOA "
        f"2011s, {result.lsoa21:,} LSOA 2021s from {result.data_dir}. Next: [bold]lantern ingest[/]"
    )


def ingest_command(
    config_path: Path = typer.Option(Path("lantern.toml"), "--config", "-c", help="Settings file."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Validate every source and build the warehouse (atomically; a failure keeps the old one)."""
    from lantern.pipeline.ingest import ingest

    config = load_config(config_path)
    with progress_bar(console, "Ingesting", enabled=not quiet) as progress:
        result = ingest(config, progress=progress)
    table = Table("areas", "count", title=f"{result.warehouse}", title_justify="left")
    for key, count in result.areas.items():
        table.add_row(key.replace("_", " "), f"{count:,}")
    console.print(table)
    console.print(
        f"[green]ok[/]: {result.indicators} indicators, {result.rows:,} values in "
        f"{result.seconds:.1f}s (run {result.run_id[:12]})"
    )


def fetch_command(
    source_ids: list[str] = typer.Argument(None, help="Sources to fetch (default: all)."),
    cache: Path = typer.Option(None, "--cache", help="Cache folder (default ~/.cache/lantern)."),
    mirror: str = typer.Option(
        None, "--mirror", help="Base URL of a mirror serving the data layout."
    ),
) -> None:
    """Download official files into the cache, verifying SHA-256 checksums."""
    from lantern.pipeline.fetch import FetchSettings, default_cache, fetch

    settings = FetchSettings(tuple(source_ids or ()), cache or default_cache(), mirror)
    with progress_bar(console, "Fetching") as progress:
        report = fetch(settings, progress=progress)
    console.print(
        f"[green]ok[/]: {len(report.fetched)} fetched, {len(report.cached)} already cached in "
        f"{settings.cache}"
    )
    if report.unavailable:
        console.print(
            f"{len(report.unavailable)} file(s) have no byte-identical publisher download; use --mirror "
            "or the bundled/England-wide data folder:"
        )
        for path in report.unavailable:
            console.print(f"  {path}")


def sources_command(
    paths: list[str] = typer.Argument(
        None, help="With --check: only these files (paths relative to the data folder)."
    ),
    indicators: bool = typer.Option(
        False, "--indicators", help="List indicator ids and their periods from the warehouse."
    ),
    check: bool = typer.Option(
        False, "--check", help="Run every ingest check on the data folder; write nothing."
    ),
    write_manifest: bool = typer.Option(
        False,
        "--write-manifest",
        help="Pin the SHA-256 and row count of every file in the data folder (manifest.json).",
    ),
    config_path: Path = typer.Option(Path("lantern.toml"), "--config", "-c", help="Settings."),
) -> None:
    """List the registry of sources: coverage, known gaps, periods, publisher and licence."""
    if indicators:
        _indicators(config_path)
    elif check:
        _check(config_path, paths)
    elif write_manifest:
        _write_manifest(config_path)
    else:
        _registry(config_path)


def _indicators(config_path: Path) -> None:
    from lantern.warehouse import Warehouse

    with Warehouse(load_config(config_path).warehouse) as wh:
        meta = wh.meta()
        periods = wh.periods().groupby("indicator_id")["period"].agg(list)
    table = Table("periods", "unit", "kind", "polarity", "geography", "title")
    width = int(meta["indicator_id"].str.len().max()) if len(meta) else 12
    table.columns.insert(0, Column("indicator_id", no_wrap=True, min_width=width))
    for row in meta.itertuples():
        held = periods.get(row.indicator_id, [])
        shown = ", ".join(held) if len(held) <= 4 else f"{held[0]} … {held[-1]} ({len(held)})"
        table.add_row(
            row.indicator_id,
            shown,
            row.unit,
            row.kind,
            row.polarity,
            f"{row.area_type} {row.vintage}",
            row.title,
        )
    console.print(table)


def _registry(config_path: Path) -> None:
    from lantern.sources import SOURCES

    table = Table(
        Column("source_id", no_wrap=True),
        "geography",
        "period",
        "coverage",
        Column("licence", min_width=12),
        "publisher",
        "dataset",
    )
    for s in SOURCES:
        table.add_row(
            s.source_id,
            f"{s.area_type} {s.vintage}",
            s.period,
            s.coverage,
            s.licence,
            s.publisher,
            s.dataset,
        )
    console.print(table)
    console.print("[bold]Known gaps[/] (areas a source does not cover, declared in the registry):")
    measured = _measured_gaps(config_path)
    for s in SOURCES:
        for gap in s.gaps:
            found = (measured or {}).get((s.source_id, gap.reason))
            if found:
                scope = f"{found} in this project's area"
            elif gap.codes or gap.outside:
                scope = ", ".join(sorted(gap.codes)) or f"areas outside {', '.join(gap.outside)}"
            else:  # measured at ingest (e.g. QOF practices missing from the registrations)
                scope = (
                    "none in this project's data" if measured is not None else "measured at ingest"
                )
            console.print(
                f"  {s.source_id}: {scope} — {gap.reason}", soft_wrap=True, highlight=False
            )
    if measured is not None and not measured:
        console.print("[green]the warehouse's sources cover every area of the project[/]")


def _measured_gaps(config_path: Path) -> dict[tuple[str, str], str] | None:
    """Gaps measured at the last ingest, by (source, reason): "12 of 1,111 LSOA 2021"."""
    if not config_path.exists():
        return None
    from lantern.warehouse import Warehouse

    warehouse = load_config(config_path).warehouse
    if not Path(warehouse).exists():
        return None
    with Warehouse(warehouse) as wh:
        frame = wh.source_gaps()
    return {
        (r.source_id, r.reason): f"{r.missing:,} of {r.wanted:,} {r.area_type.upper()} {r.vintage}"
        for r in frame.itertuples()
    }


def _check(config_path: Path, paths: list[str] | None) -> None:
    from lantern.pipeline.check import check_data

    config = load_config(config_path)
    with progress_bar(console, "Checking") as progress:
        report = check_data(config, paths or None, progress=progress)
    for gap in report.gaps:
        console.print(
            f"known gap: {gap.source_id}: {gap.missing:,} of {gap.wanted:,} "
            f"{gap.area_type.upper()} {gap.vintage} (e.g. {gap.example}) — {gap.reason}"
        )
    unverified = [f.file for f in report.files if f.verified != "sha256"]
    if unverified:
        console.print(
            f"{len(unverified)} file(s) not in a manifest (row counts and checksums unchecked): "
            + ", ".join(unverified)
        )
    console.print(
        f"[green]ok[/]: {len(report.files)} file(s) passed every check in {config.data_dir}"
    )


def _write_manifest(config_path: Path) -> None:
    from lantern.errors import ConfigError
    from lantern.geography.tables import BOUNDARIES, SPECS
    from lantern.paths import BUNDLED_DIR
    from lantern.sources import SOURCES
    from lantern.sources.manifest import entry_for, write_manifest

    data_dir = Path(load_config(config_path).data_dir)
    if data_dir.resolve().is_relative_to(BUNDLED_DIR.resolve()):
        raise ConfigError(
            "Manifest", ["the bundled sample keeps its own manifest; `lantern bundle` writes it"]
        )
    relative = {t.path for s in SOURCES for t in s.tables()} | set(SPECS)
    relative |= {spec.path for specs in BOUNDARIES.values() for spec in specs}
    relative |= {str(p.relative_to(data_dir)) for p in (data_dir / "postcodes").glob("*.csv")}
    entries = {r: entry_for(data_dir / r) for r in sorted(relative) if (data_dir / r).is_file()}
    path = write_manifest(data_dir, entries)
    console.print(f"[green]wrote[/] {path}: {len(entries)} files pinned (SHA-256 and row count)")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("ingest")(ingest_command)
    app.command("fetch")(fetch_command)
    app.command("sources")(sources_command)
