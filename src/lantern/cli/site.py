"""``lantern publish`` and ``lantern serve``: the open site."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

console = Console()


def _config(path: Path | None):
    from lantern.config import load_config

    return load_config(path)


def publish_command(
    config: Path = typer.Option(
        None, "--config", "-c", help="lantern.toml (default: ./lantern.toml)."
    ),
    site_dir: Path = typer.Option(
        None, "--out", "-o", help="Site folder (default: publish.site_dir)."
    ),
    warehouse: Path = typer.Option(
        None, "--warehouse", help="Warehouse file (default: from the config)."
    ),
) -> None:
    """Write the open site (map, table, downloads, method page) as a self-contained folder."""
    from lantern.publish import publish
    from lantern.release import project_rules

    cfg = _config(config)
    out = site_dir or cfg.publish.site_dir
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("Publishing", total=None)
        publish(
            warehouse=warehouse or cfg.warehouse,
            site_dir=out,
            title=cfg.publish.title,
            tile_url=cfg.publish.tile_url,
            area_codes=cfg.area_codes,
            vintage=str(cfg.vintage),
            progress=lambda msg: bar.update(task, description=msg),
            rules=project_rules(cfg),
        )
    console.print(f"[green]published[/]: {out} — view it with `lantern serve`")


def serve_command(
    config: Path = typer.Option(
        None, "--config", "-c", help="lantern.toml (default: ./lantern.toml)."
    ),
    site_dir: Path = typer.Option(None, "--site", help="Site folder (default: publish.site_dir)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
) -> None:
    """Serve a published site locally (HTTP Range supported, so the map tiles load)."""
    from lantern.publish.server import serve

    folder = site_dir or _config(config).publish.site_dir
    console.print(f"Serving {folder} at http://{host}:{port}/ (Ctrl+C to stop)")
    serve(folder, host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command("publish")(publish_command)
    app.command("serve")(serve_command)
