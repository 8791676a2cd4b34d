"""``lantern up``: the main job in one command — init, ingest, build, publish, serve."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from lantern.cli.progress import progress_bar

console = Console()


def up(
    config: Path = typer.Option(
        Path("lantern.toml"),
        "--config",
        "-c",
        help="Project settings; written for Essex on the bundled data if missing.",
    ),
    host: str = typer.Option("127.0.0.1", help="Address to serve on."),
    port: int = typer.Option(8000, help="Port to serve on."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the site when built."),
) -> None:
    """Build the configured area (default: Essex, bundled open data) end to end and serve the map."""
    from lantern.config import load_config
    from lantern.errors import LanternError
    from lantern.pipeline.build import build
    from lantern.pipeline.ingest import ingest
    from lantern.pipeline.init import InitSettings, init
    from lantern.pipeline.publish import publish
    from lantern.pipeline.validate import validate
    from lantern.publish.server import serve as serve_site

    if not config.exists():
        init(InitSettings(out=config))
    cfg = load_config(config)
    console.print(f"[bold]1/3[/] Ingesting official open data from {cfg.data_dir}")
    with progress_bar(console, "Ingesting", prefix="[bold]1/3[/] ") as progress:
        result = ingest(cfg, progress=progress)
    console.print(
        f"    {sum(result.areas.values()):,} areas, {result.indicators:,} indicators, {result.rows:,} values "
        f"in {result.seconds:.1f} s → {result.warehouse}"
    )
    with progress_bar(console, "Building the index", prefix="[bold]2/3[/] ") as progress:
        built = build(cfg, progress=progress)
    try:  # the method note (and so the site) then carries the validation table
        with progress_bar(console, "Validating", prefix="[bold]2/3[/] ") as progress:
            validate(cfg, progress=progress)
    except LanternError as exc:
        console.print(f"    validation skipped: {str(exc).splitlines()[0]}")
    with progress_bar(console, "Publishing the open site", prefix="[bold]3/3[/] ") as progress:
        publish(cfg, progress=progress)
    console.print(f"    index {built.index_id} built; site in {cfg.publish.site_dir}")
    if serve:
        console.print(f"[green]Serving the map at http://{host}:{port}/[/] (Ctrl+C to stop)")
        serve_site(Path(cfg.publish.site_dir), host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command("up")(up)
