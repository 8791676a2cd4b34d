"""``lantern profile``: a printable profile of an area (PDF)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from lantern.cli.progress import progress_bar

console = Console()


def profile_command(
    area: str = typer.Argument(
        None, help="LSOA, MSOA, ward or district code (a district: one page per ward)."
    ),
    csv: Path = typer.Option(
        None, "--csv", help="Instead of AREA: a custom set, a CSV of LSOA codes."
    ),
    geojson: Path = typer.Option(
        None,
        "--geojson",
        help="Instead of AREA: a custom set, LSOAs whose centroid lies in a GeoJSON polygon.",
    ),
    name: str = typer.Option(
        None, "--name", help="Name of the custom set (default: the file name)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="PDF file to write."),
    html: Path = typer.Option(None, "--html", help="Also write the page as HTML."),
    config: Path = typer.Option(
        None, "--config", "-c", help="lantern.toml (default: ./lantern.toml)."
    ),
) -> None:
    """Write an area profile: the index with its interval and stability, domains and indicators
    with 95% confidence intervals against the county and England, trends and a map inset."""
    from lantern.config import load_config
    from lantern.errors import InputError
    from lantern.profile.make import profile, set_profile_pdf

    if (area is None) == (csv is None and geojson is None):
        raise InputError("give an AREA code, or a custom set with --csv or --geojson (not both)")
    cfg = load_config(config)
    with progress_bar(console, "Profile") as progress:
        if area is None:
            result = set_profile_pdf(
                cfg, csv=csv, geojson=geojson, name=name, out=out, html=html, progress=progress
            )
        else:
            result = profile(cfg, area=area.strip().upper(), out=out, html=html, progress=progress)
    console.print(f"[green]wrote[/] {result.out} ({result.pages} page(s), {result.area_type})")


def register(app: typer.Typer) -> None:
    app.command("profile")(profile_command)
