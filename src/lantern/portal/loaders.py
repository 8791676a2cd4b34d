"""Fill the portal's area and indicator tables from the warehouse or from official files.

The portal uses the 2021 chain: LSOA 2021 → MSOA 2021 → ward 2024 → district (LAD) 2024.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from lantern.errors import InputError
from lantern.portal import summaries
from lantern.portal.models import Area, AreaLink, IndicatorMeta, IndicatorValue
from lantern.warehouse import Warehouse

LOOKUP_FILE = "lsoa21_msoa21_ward24_lad24_ew.csv"
ESSEX_DISTRICTS = tuple(f"E070000{n}" for n in range(66, 78)) + ("E06000033", "E06000034")
BOUNDARY_YEAR = {"lsoa": 2021, "msoa": 2021, "ward": 2024, "district": 2024}


def lookup_path(lookups_dir: Path) -> Path:
    path = lookups_dir / LOOKUP_FILE
    if not path.is_file():
        raise InputError("LSOA 2021 → ward 2024 → LAD 2024 lookup not found", file=path)
    return path


def read_hierarchy(path: Path, districts: Iterable[str]) -> tuple[list[dict], list[dict]]:
    """Areas and transitive links for the given LAD 2024 districts, from the ONS lookup file."""
    wanted = set(districts)
    cols = (
        "lsoa21_code",
        "lsoa21_name",
        "msoa21_code",
        "msoa21_name",
        "ward24_code",
        "ward24_name",
        "ltla24_code",
        "ltla24_name",
    )
    areas: dict[str, dict] = {}
    links: dict[tuple[str, str], dict] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        for col in cols:
            if col not in (reader.fieldnames or []):
                raise InputError("missing column", file=path, row=1, column=col)
        for n, row in enumerate(reader, start=2):
            if row["ltla24_code"] not in wanted:
                continue
            chain = {
                "lsoa": (row["lsoa21_code"], row["lsoa21_name"]),
                "msoa": (row["msoa21_code"], row["msoa21_name"]),
                "ward": (row["ward24_code"], row["ward24_name"]),
                "district": (row["ltla24_code"], row["ltla24_name"]),
            }
            for kind, (code, name) in chain.items():
                if len(code) != 9 or not code[0].isalpha():
                    raise InputError("not a GSS code", file=path, row=n, column=f"{kind}")
                areas.setdefault(
                    code,
                    {
                        "area_code": code,
                        "area_name": name,
                        "area_type": kind,
                        "vintage": "2021",
                        "boundary_year": BOUNDARY_YEAR[kind],
                    },
                )
            for child, parent in (
                ("lsoa", "msoa"),
                ("lsoa", "ward"),
                ("lsoa", "district"),
                ("msoa", "district"),
                ("ward", "district"),
            ):
                key = (chain[child][0], chain[parent][0])
                links[key] = {
                    "child_code": key[0],
                    "parent_code": key[1],
                    "child_type": child,
                    "parent_type": parent,
                }
    if not areas:
        raise InputError("no rows for the requested districts", file=path)
    return list(areas.values()), list(links.values())


def replace_areas(
    session: Session, areas: list[dict], links: list[dict], *, commit: bool = True
) -> None:
    session.execute(delete(AreaLink))
    session.execute(delete(Area))
    session.execute(insert(Area), areas)
    session.execute(insert(AreaLink), links)
    if commit:
        summaries.rebuild(session)
        session.commit()


def load_lookup_areas(
    session: Session, lookups_dir: Path, districts: Iterable[str] = ESSEX_DISTRICTS
) -> int:
    areas, links = read_hierarchy(lookup_path(lookups_dir), districts)
    replace_areas(session, areas, links)
    return len(areas)


def _number(raw: str, path: Path, row: int, column: str) -> float | None:
    text = (raw or "").strip()
    if text in ("", "NA", "..", "*"):
        return None
    try:
        value = float(text)
    except ValueError as exc:
        raise InputError(f"not a number: {text[:20]!r}", file=path, row=row, column=column) from exc
    if math.isnan(value):
        return None
    return value


def load_indicator_csv(
    session: Session,
    path: Path,
    *,
    code_column: str,
    columns: Mapping[str, str],
    period: str,
    source: str,
    titles: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    england: bool = False,
) -> int:
    """Load wide per-area columns (``column → indicator_id``) for areas the portal knows.

    Titles, units, kind and polarity come from ``titles`` / ``units`` where given, else from the
    catalogue of indicators Lantern's own source loaders define (``lantern.portal.catalogue``),
    else the indicator id. With ``england=True`` the file covers every LSOA in England, and the
    mean of each column over all its rows is kept as the England value (``indicator_benchmarks``).
    """
    from sqlalchemy import select

    from lantern.portal.catalogue import describe
    from lantern.portal.models import IndicatorBenchmark

    known = set(session.scalars(select(Area.area_code)))
    rows: list[dict] = []
    sums = {c: [0.0, 0] for c in columns}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        for col in (code_column, *columns):
            if col not in (reader.fieldnames or []):
                raise InputError("missing column", file=path, row=1, column=col)
        for n, row in enumerate(reader, start=2):
            code = row[code_column].strip()
            if england:
                for col in columns:
                    v = _number(row[col], path, n, col)
                    if v is not None:
                        sums[col][0] += v
                        sums[col][1] += 1
            if code not in known:
                continue
            for col, ind in columns.items():
                rows.append(
                    {
                        "area_code": code,
                        "indicator_id": ind,
                        "period": period,
                        "value": _number(row[col], path, n, col),
                        "numerator": None,
                        "denominator": None,
                    }
                )
    ids = list(columns.values())
    session.execute(delete(IndicatorValue).where(IndicatorValue.indicator_id.in_(ids)))
    session.execute(delete(IndicatorMeta).where(IndicatorMeta.indicator_id.in_(ids)))
    session.execute(
        insert(IndicatorMeta),
        [
            describe(i, source=source, title=(titles or {}).get(i), unit=(units or {}).get(i))
            for i in ids
        ],
    )
    if rows:
        session.execute(insert(IndicatorValue), rows)
    session.execute(
        delete(IndicatorBenchmark).where(
            IndicatorBenchmark.indicator_id.in_(ids), IndicatorBenchmark.period == period
        )
    )
    if england:
        session.add_all(
            IndicatorBenchmark(
                indicator_id=ind,
                period=period,
                geography="england",
                value=sums[col][0] / sums[col][1] if sums[col][1] else None,
                areas=int(sums[col][1]),
            )
            for col, ind in columns.items()
        )
    summaries.rebuild(session)
    session.commit()
    return len(rows)


INDEX_MEASURES = ("score", "rank", "decile")


def _nullable(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def _index_results(wh: Warehouse, codes: set[str]) -> tuple[list[dict], list[dict]]:
    """``index_scores`` as indicators ``index.<index_id>.<component>.<score|rank|decile>``.

    Where an index was built with both references, the county-relative results are used.
    """
    scores = wh.index_scores()
    first = scores.groupby("index_id")["reference"].transform("min")
    scores = scores[scores["reference"] == first]
    titles = wh.index_components()[["index_id", "component", "title"]]
    built = wh.index_runs()[["index_id", "built_at"]].drop_duplicates("index_id")
    scores = scores.merge(titles, on=["index_id", "component"], how="left").merge(
        built, on="index_id", how="left"
    )
    scores["title"] = scores["title"].fillna(scores["component"])
    rows = scores[
        ["index_id", "area_code", "component", "score", "rank", "decile", "title", "built_at"]
    ].itertuples(index=False)
    meta: dict[str, dict] = {}
    values = []
    for index_id, area, component, *numbers, title, built_at in rows:
        if area not in codes:
            continue
        period = str(built_at)[:10] if pd.notna(built_at) else "built"
        for measure, value in zip(INDEX_MEASURES, numbers[:3], strict=True):
            ind = f"index.{index_id}.{component}.{measure}"
            meta.setdefault(
                ind,
                {
                    "indicator_id": ind,
                    "title": f"{title} ({measure})",
                    "unit": "",
                    "kind": "score" if measure == "score" else measure,
                    "polarity": "higher_worse" if measure == "score" else "neutral",
                    "source": f"lantern build ({index_id})",
                },
            )
            values.append(
                {
                    "area_code": area,
                    "indicator_id": ind,
                    "period": period,
                    "value": _nullable(value),
                    "numerator": None,
                    "denominator": None,
                }
            )
    return list(meta.values()), values


def load_warehouse(session: Session, warehouse: Path) -> dict[str, int]:
    """Copy the 2021-vintage areas, links, indicators and index results from a warehouse file."""
    if not warehouse.is_file():
        raise InputError("warehouse file not found", file=warehouse)
    with Warehouse(warehouse) as wh:
        for needed in ("areas", "area_links", "indicators", "indicator_meta"):
            if not wh.has(needed):
                raise InputError(
                    f"warehouse has no {needed} table: run `lantern ingest` first", file=warehouse
                )
        types = ("lsoa", "msoa", "ward", "district")
        frame = wh.areas(vintage=2021)
        frame = frame[frame["area_type"].isin(types)]
        areas = [
            {
                "area_code": c,
                "area_name": n,
                "area_type": t,
                "vintage": "2021",
                "boundary_year": int(y) if pd.notna(y) and y else BOUNDARY_YEAR[t],
            }
            for c, n, t, y in frame[
                ["area_code", "area_name", "area_type", "boundary_year"]
            ].itertuples(index=False)
        ]
        codes = {a["area_code"] for a in areas}
        pairs = wh.area_links(vintage=2021)[
            ["child_code", "child_type", "parent_code", "parent_type"]
        ].drop_duplicates()
        links = [
            {"child_code": c, "parent_code": p, "child_type": ct, "parent_type": pt}
            for c, ct, p, pt in pairs.itertuples(index=False)
            if ct in types and pt in types and c in codes and p in codes
        ]
        replace_areas(session, areas, links, commit=False)
        described = wh.meta().drop_duplicates("indicator_id")
        meta = [
            {
                "indicator_id": r.indicator_id,
                "title": r.title or r.indicator_id,
                "unit": r.unit or "",
                "kind": r.kind or "score",
                "polarity": r.polarity or "neutral",
                "source": f"{r.publisher} {r.dataset}"
                if pd.notna(r.publisher) and pd.notna(r.dataset)
                else "",
            }
            for r in described.itertuples(index=False)
        ]
        long = wh.indicator_values(vintage=2021)
        long = long[long["area_code"].isin(codes)]
        values = [
            {
                "area_code": a,
                "indicator_id": i,
                "period": str(p),
                "value": _nullable(v),
                "numerator": _nullable(n),
                "denominator": _nullable(d),
            }
            for a, i, p, v, n, d in long[
                ["area_code", "indicator_id", "period", "value", "numerator", "denominator"]
            ].itertuples(index=False)
        ]
        if wh.has("index_scores"):
            index_meta, index_values = _index_results(wh, codes)
            meta += index_meta
            values += index_values
    session.execute(delete(IndicatorValue))
    session.execute(delete(IndicatorMeta))
    if meta:
        session.execute(insert(IndicatorMeta), meta)
    if values:
        session.execute(insert(IndicatorValue), values)
    summaries.rebuild(session)
    session.commit()
    return {"areas": len(areas), "links": len(links), "indicators": len(values)}
