"""``lantern geography …`` and ``lantern bundle``: thin adapters over ``lantern.geography`` and
``lantern.pipeline.bundle``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from lantern.cli.progress import progress_bar
from lantern.errors import InputError
from lantern.geography.codes import AreaType, first_invalid, validate_code
from lantern.paths import BUNDLED_ESSEX, shared_data_dir

if TYPE_CHECKING:
    import pandas as pd

geography_app = typer.Typer(
    help="GSS codes, the 2011 ↔ 2021 crosswalk and postcodes.", no_args_is_help=True
)
console = Console()
ESSEX_AREAS = ["E10000012", "E06000033", "E06000034"]


def _data_dir(data: Path | None) -> Path:
    return data or shared_data_dir() or BUNDLED_ESSEX


@geography_app.command("codes")
def codes(
    codes: list[str] = typer.Argument(..., help="GSS codes to check, e.g. E01021988."),
) -> None:
    """Say which kind of area each code names; exit 2 if any code is malformed."""
    table = Table("code", "area type")
    bad = 0
    for code in codes:
        try:
            table.add_row(code, validate_code(code).value)
        except InputError as exc:
            bad += 1
            table.add_row(code, f"[red]invalid[/]: {exc}")
    console.print(table)
    if bad:
        raise InputError(f"{bad} of {len(codes)} code(s) are not valid ONS GSS codes")


def _read_values(path: Path, kind: str) -> pd.DataFrame:
    import pandas as pd

    if not path.exists():
        raise InputError("file not found", file=path)
    try:
        frame = pd.read_csv(path, dtype={"area_code": str})
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"cannot read as UTF-8 CSV ({type(exc).__name__})", file=path) from exc
    needed = ["area_code", "value"] + (["numerator", "denominator"] if kind == "rate" else [])
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=path, row=1)
    first_invalid(frame["area_code"], AreaType.LSOA, file=path, column="area_code")
    for column in needed[1:]:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = numbers.isna() & frame[column].notna()
        if bad.any():
            row = int(bad.to_numpy().argmax()) + 2
            raise InputError("expected a number", file=path, row=row, column=column)
        frame[column] = numbers
    return frame


@geography_app.command("crosswalk")
def crosswalk(
    input_file: Path = typer.Option(
        ..., "--in", help="CSV with area_code, value (+ numerator, denominator for rates)."
    ),
    kind: str = typer.Option(
        ..., "--kind", help="count, rate or score (ranks and deciles are refused)."
    ),
    to: int = typer.Option(2021, "--to", help="Target LSOA vintage: 2021 or 2011."),
    out: Path = typer.Option(..., "--out", help="Where to write the moved values (CSV)."),
    data: Path | None = typer.Option(
        None, "--data", help="Data folder (default: England-wide data, else the bundled sample)."
    ),
) -> None:
    """Move LSOA values between the 2011 and 2021 boundaries (counts split by population share)."""
    from lantern.geography.crosswalk import (
        POPULATION_2011,
        POPULATION_2021,
        load_crosswalk,
        move,
        read_population,
    )

    if to not in (2011, 2021):
        raise InputError(f"--to must be 2011 or 2021, not {to}")
    values = _read_values(input_file, kind)
    folder = _data_dir(data)
    cw = load_crosswalk(folder)
    direction = "2011->2021" if to == 2021 else "2021->2011"
    population = None
    if kind == "score":
        population = (
            read_population(folder / POPULATION_2011, "lsoa11_code", "total_population")
            if to == 2021
            else read_population(folder / POPULATION_2021, "lsoa21_code", "total_usual_residents")
        )
    moved = move(values, kind, cw, direction=direction, population=population)
    out.parent.mkdir(parents=True, exist_ok=True)
    moved.to_csv(out, index=False)
    console.print(
        f"[green]moved[/] {len(values)} LSOA {'2011' if to == 2021 else '2021'} rows to {len(moved)} LSOA {to} rows → {out}"
    )


@geography_app.command("postcodes")
def postcodes(
    out: Path = typer.Option(
        Path("nspl_derived.csv"), "--out", help="Where to write the NSPL-format lookup."
    ),
    data: Path | None = typer.Option(
        None, "--data", help="Data folder holding postcodes/, boundaries/ and lookups/."
    ),
    codepoint: Path | None = typer.Option(
        None, "--codepoint", help="OS Code-Point Open CSV (default: the one in the data folder)."
    ),
    lsoa11: Path | None = typer.Option(None, "--lsoa11", help="LSOA 2011 boundaries."),
    lsoa21: Path | None = typer.Option(None, "--lsoa21", help="LSOA 2021 boundaries."),
) -> None:
    """Derive an approximate postcode → LSOA lookup from Code-Point Open grid references."""
    from lantern.geography.postcodes import build_nspl_from_codepoint

    folder = _data_dir(data)
    codepoint = codepoint or folder / "postcodes/codepoint_open_2014-07_essex_postcodes.csv"
    with console.status("placing postcodes in LSOA boundaries…"):
        table = build_nspl_from_codepoint(
            codepoint,
            lsoa11 or folder / "boundaries/lsoa11_essex_bsc.geojson",
            lsoa21 or folder / "boundaries/lsoa21_essex_bsc.geojson",
            out,
            data_dir=folder,
        )
    nearest = int((table["lsoa21_method"] == "nearest").sum())
    console.print(
        f"[green]wrote[/] {len(table)} postcodes → {out} ({nearest} placed in the nearest LSOA 2021)"
    )


def bundle(
    source: Path = typer.Option(
        ..., "--from", help="England-wide data folder (e.g. ../shared/data)."
    ),
    area: list[str] = typer.Option(
        ESSEX_AREAS, "--area", help="County, unitary or district code; repeat for more."
    ),
    out: Path = typer.Option(
        BUNDLED_ESSEX, "--out", help="Folder to write the bundled subset into."
    ),
) -> None:
    """Write the area subset of every open-data file, with ATTRIBUTION.md and manifest.json."""
    from lantern.pipeline.bundle import BundleSettings
    from lantern.pipeline.bundle import bundle as cut_bundle

    for code in area:
        validate_code(code, column="--area")
    with progress_bar(console, "Bundling") as progress:
        manifest = cut_bundle(BundleSettings(source, list(area), out), progress=progress)
    size = sum(int(e["bytes"]) for e in manifest.values())  # type: ignore[call-overload]
    console.print(f"[green]bundled[/] {len(manifest)} files, {size / 1e6:.1f} MB → {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(geography_app, name="geography")
    app.command("bundle")(bundle)
