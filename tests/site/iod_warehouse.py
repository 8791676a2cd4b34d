"""A warehouse in the documented layout built from real England-wide open data.

Used to check publishing at national scale (33,755 LSOA 2021) and by the map benchmark: the
English Indices of Deprivation 2025 on LSOA 2021 stand in as the index (the official IMD score,
its seven official domain scores, and ranks/deciles recomputed within the build), with Census 2021
age counts as one rate indicator. Boundaries: ONS LSOA Dec 2021 BSC; wards and districts 2024.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

DOMAINS = {
    "income": ("Income", "Income_score"),
    "employment": ("Employment", "Employment_score"),
    "education": ("Education, skills and training", "Education_score"),
    "health": ("Health deprivation and disability", "Health_score"),
    "crime": ("Crime", "Crime_score"),
    "housing": ("Barriers to housing and services", "Housing_and_Services_score"),
    "environment": ("Living environment", "Environment_score"),
}
ESSEX_DISTRICTS = [f"E070000{n}" for n in range(66, 78)] + ["E06000033", "E06000034"]


def build_iod_warehouse(data: Path, out: Path, *, districts: list[str] | None = None) -> Path:
    """Write ``out`` (DuckDB) for the English LSOA 2021s, or only those in ``districts``."""
    look = pd.read_csv(data / "lookups/lsoa21_msoa21_ward24_lad24_ew.csv", dtype=str)
    look = look[look["lsoa21_code"].str.startswith("E")]
    if districts:
        look = look[look["ltla24_code"].isin(districts)]
    iod = pd.read_csv(data / "imd2019/iod2025_lsoa21_scores_ranks_deciles_england.csv")
    iod = iod[iod["lsoa21_code"].isin(look["lsoa21_code"])].set_index("lsoa21_code")
    look = look[look["lsoa21_code"].isin(iod.index)]
    codes = look["lsoa21_code"].tolist()

    areas, links = [], []
    for level, col, year in (
        ("lsoa", "lsoa21", 2021),
        ("msoa", "msoa21", 2021),
        ("ward", "ward24", 2024),
        ("district", "ltla24", 2024),
    ):
        part = look[[f"{col}_code", f"{col}_name"]].drop_duplicates(f"{col}_code")
        areas.append(
            pd.DataFrame(
                {
                    "area_code": part.iloc[:, 0],
                    "area_name": part.iloc[:, 1],
                    "area_type": level,
                    "vintage": "2021",
                    "boundary_year": year,
                }
            )
        )
        if level != "lsoa":
            links.append(
                pd.DataFrame(
                    {
                        "child_code": look["lsoa21_code"],
                        "child_type": "lsoa",
                        "parent_code": look[f"{col}_code"],
                        "parent_type": level,
                        "vintage": "2021",
                    }
                )
            )
    areas.append(
        pd.DataFrame(
            [
                {
                    "area_code": "E92000001",
                    "area_name": "England",
                    "area_type": "country",
                    "vintage": "2021",
                    "boundary_year": 2021,
                }
            ]
        )
    )

    ind_rows, meta_rows = [], []
    for dom, (title, col) in {
        "imd": ("Index of Multiple Deprivation", "IMD_score"),
        **DOMAINS,
    }.items():
        ind_id = f"iod2025.{dom}_score"
        ind_rows.append(
            pd.DataFrame(
                {
                    "area_code": iod.index,
                    "vintage": "2021",
                    "indicator_id": ind_id,
                    "period": "2025",
                    "value": iod[col].to_numpy(),
                    "numerator": np.nan,
                    "denominator": np.nan,
                }
            )
        )
        meta_rows.append(
            {
                "indicator_id": ind_id,
                "title": f"{title} score (IoD 2025)",
                "description": "",
                "unit": "score",
                "kind": "score",
                "polarity": "higher_worse",
                "area_type": "lsoa",
                "vintage": "2021",
                "period": "2025",
                "source_id": "iod2025",
                "publisher": "MHCLG",
                "dataset": "English Indices of Deprivation 2025",
                "licence": "OGL-UK-3.0",
                "url": "",
            }
        )
    age = pd.read_csv(data / "census2021/ts007a_like_age6_usual_residents_lsoa21_ew.csv")
    age = age.set_index("lsoa21_code").reindex(codes)
    num, den = age["Aged 65 years and over"], age["total_usual_residents"]
    ind_rows.append(
        pd.DataFrame(
            {
                "area_code": codes,
                "vintage": "2021",
                "indicator_id": "census2021.aged_65_plus_pct",
                "period": "2021",
                "value": (100 * num / den).to_numpy(),
                "numerator": num.to_numpy(),
                "denominator": den.to_numpy(),
            }
        )
    )
    meta_rows.append(
        {
            "indicator_id": "census2021.aged_65_plus_pct",
            "title": "Residents aged 65 and over",
            "description": "Usual residents aged 65+ as a share of all usual residents",
            "unit": "%",
            "kind": "rate",
            "polarity": "higher_worse",
            "area_type": "lsoa",
            "vintage": "2021",
            "period": "2021",
            "source_id": "census2021_age",
            "publisher": "ONS",
            "dataset": "Census 2021 usual residents by age",
            "licence": "OGL-UK-3.0",
            "url": "",
        }
    )
    sources = pd.DataFrame(
        [
            {
                "source_id": "iod2025",
                "file": "iod2025_lsoa21_scores_ranks_deciles_england.csv",
                "sha256": "",
                "bytes": 0,
                "rows": len(iod),
                "publisher": "MHCLG",
                "dataset": "English Indices of Deprivation 2025",
                "licence": "OGL-UK-3.0",
                "vintage": "2021",
                "url": "",
                "loaded_at": "2026-11-23",
            },
            {
                "source_id": "census2021_age",
                "file": "ts007a_like_age6_usual_residents_lsoa21_ew.csv",
                "sha256": "",
                "bytes": 0,
                "rows": len(age),
                "publisher": "ONS",
                "dataset": "Census 2021 usual residents by age",
                "licence": "OGL-UK-3.0",
                "vintage": "2021",
                "url": "",
                "loaded_at": "2026-11-23",
            },
            {
                "source_id": "ons_boundaries",
                "file": "lsoa21_ew_bsc.geojson",
                "sha256": "",
                "bytes": 0,
                "rows": len(codes),
                "publisher": "ONS",
                "dataset": "LSOA Dec 2021 Boundaries EW BSC V4",
                "licence": "OGL-UK-3.0",
                "vintage": "2021",
                "url": "",
                "loaded_at": "2026-11-23",
            },
        ]
    )

    geo = gpd.read_file(data / "boundaries/lsoa21_ew_bsc.geojson")
    geo = geo[geo["lsoa21_code"].isin(set(codes))]
    geometries = pd.DataFrame(
        {
            "area_code": geo["lsoa21_code"].to_numpy(),
            "area_type": "lsoa",
            "vintage": "2021",
            "geometry": shapely.to_wkb(geo.geometry.to_numpy()),
        }
    )

    comps = [("index", "Index of Multiple Deprivation 2025", 1.0)] + [
        (k, v[0], np.nan) for k, v in DOMAINS.items()
    ]
    scores = []
    for comp, col in [("index", "IMD_score")] + [(k, v[1]) for k, v in DOMAINS.items()]:
        s = iod[col]
        rank = s.rank(ascending=False, method="first").astype(int)
        decile = np.ceil(rank * 10 / len(s)).astype(int)
        scores.append(
            pd.DataFrame(
                {
                    "index_id": "iod2025",
                    "area_code": s.index,
                    "vintage": "2021",
                    "component": comp,
                    "reference": "county",
                    "score": s.to_numpy(),
                    "rank": rank.to_numpy(),
                    "decile": decile.to_numpy(),
                    "rank_p05": rank.to_numpy(),
                    "rank_p95": rank.to_numpy(),
                }
            )
        )
    summaries = []
    for level, col in (
        ("msoa", "msoa21_code"),
        ("ward", "ward24_code"),
        ("district", "ltla24_code"),
    ):
        parent = look.set_index("lsoa21_code")[col]
        for sc in scores:
            avg = sc.set_index("area_code")["score"].groupby(parent).mean()
            summaries.append(
                pd.DataFrame(
                    {
                        "index_id": "iod2025",
                        "area_type": level,
                        "area_code": avg.index,
                        "vintage": "2021",
                        "component": sc["component"].iloc[0],
                        "measure": "average_score",
                        "value": avg.to_numpy(),
                        "rank": avg.rank(ascending=False, method="first").astype(int).to_numpy(),
                    }
                )
            )
    weights = pd.DataFrame(
        [
            {
                "index_id": "iod2025",
                "component": k,
                "indicator_id": f"iod2025.{k}_score",
                "weight": 1.0,
                "method": "explicit",
            }
            for k in DOMAINS
        ]
    )

    out.unlink(missing_ok=True)
    con = duckdb.connect(str(out))
    frames = {
        "areas": pd.concat(areas),
        "area_links": pd.concat(links),
        "indicators": pd.concat(ind_rows),
        "indicator_meta": pd.DataFrame(meta_rows),
        "sources": sources,
        "geometries": geometries,
        "index_runs": pd.DataFrame(
            [
                {
                    "index_id": "iod2025",
                    "name": "iod2025",
                    "title": comps[0][1],
                    "reference": "county",
                    "area_type": "lsoa",
                    "vintage": "2021",
                    "n_areas": len(codes),
                    "built_at": "2026-11-23T00:00:00",
                }
            ]
        ),
        "index_components": pd.DataFrame(
            [
                {
                    "index_id": "iod2025",
                    "component": c,
                    "title": t,
                    "description": "",
                    "weight": w,
                    "position": i,
                }
                for i, (c, t, w) in enumerate(comps)
            ]
        ),
        "index_scores": pd.concat(scores),
        "index_summaries": pd.concat(summaries),
        "index_weights": weights,
    }
    for name, frame in frames.items():
        con.register("_f", frame)
        con.execute(f"create table {name} as select * from _f")
        con.unregister("_f")
    con.close()
    return out
