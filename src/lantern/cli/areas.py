"""``lantern areas summary``: IoD Appendix N summaries for a custom area set."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()
areas_app = typer.Typer(
    help="Custom area sets: a catchment's own summaries and outline.", no_args_is_help=True
)

COMPONENT_TITLE = "index"


@areas_app.command("summary")
def summary_command(
    csv: Path = typer.Option(
        None, "--csv", help="CSV with a column of LSOA codes (the build's vintage)."
    ),
    geojson: Path = typer.Option(
        None, "--geojson", help="GeoJSON polygon(s): LSOAs whose centroid lies inside."
    ),
    name: str = typer.Option(None, "--name", help="Name of the set (default: the file name)."),
    centroids: Path = typer.Option(
        None,
        "--centroids",
        help="CSV area_code, x, y of LSOA centroids (e.g. ONS population-weighted).",
    ),
    out: Path = typer.Option(
        None, "--out", "-o", help="Write the summaries (every component) as CSV."
    ),
    outline: Path = typer.Option(
        None, "--outline", help="Write the set's outline and LSOA codes as GeoJSON."
    ),
    config: Path = typer.Option(
        None, "--config", "-c", help="lantern.toml (default: ./lantern.toml)."
    ),
) -> None:
    """Population-weighted average score and rank, extent, local concentration and the share of
    neighbourhoods in the most vulnerable 10%, for the set beside every district of the build."""
    import shapely

    from lantern import areasets
    from lantern.config import load_config
    from lantern.warehouse import Warehouse

    cfg = load_config(config)
    with Warehouse.from_config(cfg) as wh:
        area_set = areasets.from_file(
            wh, csv=csv, geojson=geojson, name=name, centroid_file=centroids
        )
        table = areasets.summaries(wh, area_set)
        shape = areasets.outline(wh, area_set) if outline else None
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False, float_format="%.6g")
    if shape is not None:
        feature = {
            "type": "Feature",
            "properties": {"name": area_set.name, "lsoas": list(area_set.codes)},
            "geometry": json.loads(shapely.to_geojson(shape)),
        }
        Path(outline).write_text(
            json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8"
        )
    index = table[table["component"] == COMPONENT_TITLE]
    view = Table(title=f"{area_set.name} ({area_set.source}) beside the build's districts")
    for column in ("area", "population", "average score (rank)", "extent", "most vulnerable 10%"):
        view.add_column(column, justify="left" if column == "area" else "right")
    for r in index.itertuples():
        bold = "[bold]" if r.area_name == area_set.name else ""
        view.add_row(
            f"{bold}{r.area_name}",
            f"{r.population:,.0f}",
            f"{r.average_score:.3g} ({r.average_score_rank:.0f})",
            f"{r.extent:.1%}",
            f"{r.proportion:.1%}",
        )
    console.print(view)


def register(app: typer.Typer) -> None:
    app.add_typer(areas_app, name="areas")
