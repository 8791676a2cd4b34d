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
    indicators: bool = typer.Option(
        False, "--indicators", help="List indicator ids from the warehouse."
    ),
    config_path: Path = typer.Option(
        Path("lantern.toml"), "--config", "-c", help="Settings (for --indicators)."
    ),
) -> None:
    """List the registry of sources with publisher and licence (or every indicator)."""
    from lantern.sources import SOURCES

    if indicators:
        from lantern.warehouse import Warehouse

        with Warehouse(load_config(config_path).warehouse) as wh:
            meta = wh.meta()
        table = Table("unit", "kind", "polarity", "geography", "title")
        width = int(meta["indicator_id"].str.len().max()) if len(meta) else 12
        table.columns.insert(0, Column("indicator_id", no_wrap=True, min_width=width))
        for row in meta.itertuples():
            table.add_row(
                row.indicator_id,
                row.unit,
                row.kind,
                row.polarity,
                f"{row.area_type} {row.vintage}",
                row.title,
            )
        console.print(table)
        return
    table = Table(
        Column("source_id", no_wrap=True),
        Column("licence", min_width=12),
        "geography",
        "period",
        "publisher",
        "dataset",
    )
    for s in SOURCES:
        table.add_row(
            s.source_id, s.licence, f"{s.area_type} {s.vintage}", s.period, s.publisher, s.dataset
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("ingest")(ingest_command)
    app.command("fetch")(fetch_command)
    app.command("sources")(sources_command)
