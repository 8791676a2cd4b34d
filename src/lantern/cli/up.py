"""``lantern up``: the main job in one command — init, ingest, build, publish, serve."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

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
    from lantern.build import build
    from lantern.cli.data import init
    from lantern.config import load_config
    from lantern.publish import publish
    from lantern.publish.server import serve as serve_site
    from lantern.release import project_rules
    from lantern.warehouse.ingest import ingest

    if not config.exists():
        init(area=None, data="bundled", out=config, name=None, force=False)
    cfg = load_config(config)
    console.print(f"[bold]1/3[/] Ingesting official open data from {cfg.data_dir}")
    result = ingest(cfg, progress=True)
    console.print(
        f"    {sum(result.areas.values()):,} areas, {result.indicators:,} indicators, {result.rows:,} values "
        f"in {result.seconds:.1f} s → {result.warehouse}"
    )
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("[bold]2/3[/] Building the index", total=None)
        built = build(
            config=cfg, progress=lambda msg: bar.update(task, description=f"[bold]2/3[/] {msg}")
        )
        bar.update(task, description="[bold]3/3[/] Publishing the open site")
        publish(
            warehouse=cfg.warehouse,
            site_dir=cfg.publish.site_dir,
            title=cfg.publish.title,
            tile_url=cfg.publish.tile_url,
            area_codes=cfg.area_codes,
            vintage=str(cfg.vintage),
            progress=lambda msg: bar.update(task, description=f"[bold]3/3[/] {msg}"),
            rules=project_rules(cfg),
        )
    console.print(
        f"    index {getattr(built, 'index_id', '')} built; site in {cfg.publish.site_dir}"
    )
    if serve:
        console.print(f"[green]Serving the map at http://{host}:{port}/[/] (Ctrl+C to stop)")
        serve_site(Path(cfg.publish.site_dir), host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command("up")(up)
