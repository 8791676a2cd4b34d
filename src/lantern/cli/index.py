"""``lantern build``, ``explain``, ``index`` and ``validate``: adapters over the index use cases."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from lantern.cli.progress import progress_bar

console = Console()


def build_command(
    config: Path = typer.Option(Path("lantern.toml"), "--config", "-c", help="Settings file."),
    draws: int = typer.Option(None, "--draws", help="Monte Carlo draws (default: index.draws)."),
) -> None:
    """Compute the configured index into the warehouse and write the method note."""
    from lantern.config import load_config
    from lantern.pipeline.build import build

    cfg = load_config(config)
    with progress_bar(console, "Building the index") as progress:
        result = build(cfg, draws=draws, progress=progress)
    console.print(
        f"[green]built[/] {result.index_id}: {result.n_areas:,} areas, ranked within the "
        f"{result.reference}; {100 * (result.share_changing_decile or 0):.1f}% of areas change decile "
        f"under the Monte Carlo draws (average)"
    )
    if result.mostly_imputed:
        console.print(
            f"[yellow]warning[/]: {len(result.mostly_imputed):,} of {result.n_areas:,} areas "
            f"(e.g. {result.mostly_imputed[0]}) have an index resting on more than half imputed "
            "weight; they are flagged `mostly_imputed` in index_scores and on the map"
        )
    console.print(f"method note: {result.note_path}\nresolved spec: {result.spec_path}")


def explain_command(
    area_code: str = typer.Argument(..., help="Area code, e.g. an LSOA 2021 code."),
    config: Path = typer.Option(Path("lantern.toml"), "--config", "-c", help="Settings file."),
) -> None:
    """Show each domain's and indicator's contribution to an area's score, and what would change
    its decile."""
    from lantern.config import load_config
    from lantern.pipeline.explain import explain_area

    console.print(
        explain_area(load_config(config), area_code=area_code),
        highlight=False,
        soft_wrap=True,
    )


def index_command(
    spec: Path = typer.Option(
        ..., "--spec", help="Index spec TOML, or a preset name (essex-covid, iod2019, cdc-svi)."
    ),
    data: Path = typer.Option(
        ..., "--data", help="CSV: one row per area, one column per indicator."
    ),
    out: Path = typer.Option(..., "--out", help="Where to write the results CSV."),
    area_column: str = typer.Option(
        None, "--area-column", help="Column holding area codes (default: the first)."
    ),
    parent_column: str = typer.Option(
        None,
        "--parent-column",
        help="Column holding each area's parent area (gap filling by parent mean; summaries).",
    ),
    population_column: str = typer.Option(
        None, "--population-column", help="Column holding each area's population (summaries)."
    ),
    draws: int = typer.Option(
        0, "--draws", help="Monte Carlo draws for rank intervals (0 = none)."
    ),
) -> None:
    """Run a spec on your own table, without a warehouse: every score, rank, class and flag as
    columns; with --parent-column, the parent areas' summaries in <out>-summaries.csv."""
    from lantern.pipeline.standalone import run_standalone

    with progress_bar(console, f"Computing {spec} on {data}"):
        frame = run_standalone(
            spec=spec,
            data=data,
            out=out,
            area_column=area_column,
            parent_column=parent_column,
            population_column=population_column,
            draws=draws,
        )
    console.print(f"[green]wrote[/] {out}: {len(frame):,} areas × {frame.shape[1]} columns")


def validate_command(
    config: Path = typer.Option(Path("lantern.toml"), "--config", "-c", help="Settings file."),
) -> None:
    """Set the index against COVID-19 deaths by MSOA (2020) and against simpler baselines."""
    from lantern.config import load_config
    from lantern.pipeline.validate import validate

    cfg = load_config(config)
    with progress_bar(console, "Validating") as progress:
        report = validate(cfg, progress=progress)
    console.print(report.summary_text(), highlight=False, soft_wrap=True)
    console.print(f"written into {report.note_path}")


def register(app: typer.Typer) -> None:
    app.command("build")(build_command)
    app.command("explain")(explain_command)
    app.command("index")(index_command)
    app.command("validate")(validate_command)
