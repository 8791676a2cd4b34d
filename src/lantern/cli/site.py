"""``lantern publish`` and ``lantern serve``: the open site."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from lantern.cli.progress import progress_bar

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
    from lantern.pipeline.publish import publish

    cfg = _config(config)
    with progress_bar(console, "Publishing") as progress:
        out = publish(cfg, site_dir=site_dir, warehouse=warehouse, progress=progress)
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
