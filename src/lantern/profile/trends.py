"""Trends for profile pages: weekly COVID-19 cases and indicators held for several periods."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lantern.benchmarks import ENGLAND
from lantern.profile.compare import indicator_table
from lantern.sources.cases import INDICATOR as CASES
from lantern.stats import poisson_limits
from lantern.warehouse import Warehouse


def _lsoa11_of(wh: Warehouse, codes: Sequence[str], area_type: str, vintage: int) -> pd.DataFrame:
    """``area_code, lsoa11_code``: the LSOA 2011s making up each area (best fit)."""
    if area_type == "lsoa":
        members = pd.DataFrame({"area_code": list(codes), "lsoa_code": list(codes)})
    else:
        links = wh.area_links(child_type="lsoa", parent_type=area_type, vintage=vintage)
        links = links[links["parent_code"].isin(codes)]
        members = pd.DataFrame(
            {"area_code": links["parent_code"].to_numpy(), "lsoa_code": links["child_code"]}
        )
    if vintage == 2011:
        return members.rename(columns={"lsoa_code": "lsoa11_code"})
    cross = wh.crosswalk()
    best = cross.sort_values("weight", ascending=False).drop_duplicates("lsoa21_code")
    lookup = dict(zip(best["lsoa21_code"], best["lsoa11_code"], strict=True))
    members["lsoa11_code"] = members["lsoa_code"].map(lookup)
    return members.dropna(subset=["lsoa11_code"])[["area_code", "lsoa11_code"]]


def msoa11_members(
    wh: Warehouse, codes: Sequence[str], area_type: str, vintage: int
) -> dict[str, list[str]]:
    """Each area's best-fit MSOA 2011s: those with most of their LSOA 2011s inside the area
    (for an LSOA: the MSOA it lies in; for a small ward: the MSOA holding most of it)."""
    lsoa11 = _lsoa11_of(wh, codes, area_type, vintage)
    links = wh.area_links(child_type="lsoa", parent_type="msoa", vintage=2011)
    msoa_of = dict(zip(links["child_code"], links["parent_code"], strict=False))
    size = links.groupby("parent_code")["child_code"].nunique()
    lsoa11["msoa11_code"] = lsoa11["lsoa11_code"].map(msoa_of)
    pairs = lsoa11.dropna(subset=["msoa11_code"]).drop_duplicates(["area_code", "lsoa11_code"])
    inside = pairs.groupby(["area_code", "msoa11_code"]).size().rename("n").reset_index()
    inside["share"] = inside["n"] / inside["msoa11_code"].map(size).to_numpy()
    # the MSOA holding most of the area (on a tie the first code, as idxmax gives)
    top = inside.sort_values(["area_code", "n", "msoa11_code"], ascending=[True, False, True])
    most = dict(top.drop_duplicates("area_code")[["area_code", "msoa11_code"]].to_numpy())
    halves: dict[str, list[str]] = {}
    if area_type != "lsoa":
        for code, msoa in inside.loc[
            inside["share"] > 0.5, ["area_code", "msoa11_code"]
        ].to_numpy():
            halves.setdefault(str(code), []).append(str(msoa))
    return {str(c): sorted(halves.get(str(c)) or [str(m)]) for c, m in most.items()}


def weekly_cases(
    wh: Warehouse, codes: Sequence[str], area_type: str, vintage: int
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Each area's weekly cases per 100,000 over its best-fit MSOA 2011s, with 95% limits.

    A week in which any of those MSOAs was suppressed (0-2 cases) has no single value: ``low``
    and ``high`` give the range its rate must lie in, and the limits span that range.
    """
    if not wh.meta([CASES]).shape[0]:
        return {}, {}
    rows = wh.indicator_values([CASES])
    england = rows[rows["area_code"] == ENGLAND].set_index("period")
    if wh.has("benchmarks"):
        bench = wh.query(
            "SELECT period, value_max FROM benchmarks WHERE indicator_id = ? AND area_code = ?",
            [CASES, ENGLAND],
            table="benchmarks",
        ).set_index("period")["value_max"]
    else:
        bench = england["value"]
    rows = rows[rows["area_code"] != ENGLAND]
    members = msoa11_members(wh, codes, area_type, vintage)
    names = wh.area_names()
    out, notes = {}, {}
    for code, msoas in members.items():
        part = rows[rows["area_code"].isin(msoas)]
        if part.empty:
            continue
        g = part.groupby("period")
        known = g["numerator"].sum(min_count=0)
        suppressed = g["numerator"].apply(lambda s: int(s.isna().sum()))
        pop = g["denominator"].sum()
        lo_count = known
        hi_count = known + 2 * suppressed
        lower, _ = poisson_limits(lo_count.to_numpy())
        _, upper = poisson_limits(hi_count.to_numpy())
        frame = pd.DataFrame(
            {
                "cases": known,
                "suppressed": suppressed,
                "population": pop,
                "low": lo_count / pop * 1e5,
                "high": hi_count / pop * 1e5,
                "lower95": lower / pop.to_numpy() * 1e5,
                "upper95": upper / pop.to_numpy() * 1e5,
            }
        )
        frame["value"] = np.where(frame["suppressed"] == 0, frame["low"], np.nan)
        frame["england"] = england["value"].reindex(frame.index)
        frame["england_max"] = bench.reindex(frame.index)
        out[code] = frame.reset_index().sort_values("period").reset_index(drop=True)
        label = ", ".join(f"{m} {names.get(m, '')}".strip() for m in msoas[:3])
        more = f" and {len(msoas) - 3} more" if len(msoas) > 3 else ""
        notes[code] = (
            f"Cases are published for MSOAs (2011 boundaries): {label}{more}"
            + ("" if area_type in ("lsoa", "msoa") else " (best fit)")
            + "."
        )
    return out, notes


def yearly_trends(
    wh: Warehouse, ids: Sequence[str], codes: Sequence[str], area_type: str, vintage: int
) -> dict[str, pd.DataFrame]:
    """Indicators held for several periods: each period's value, limits and England value."""
    held = wh.periods(list(ids))
    many = held.groupby("indicator_id")["period"].nunique()
    out = {}
    for indicator_id in many[many > 1].index:
        frames = []
        for period in held[held["indicator_id"] == indicator_id]["period"]:
            t = indicator_table(
                wh,
                [str(indicator_id)],
                vintage=vintage,
                area_type=area_type,
                codes=list(codes),
                county=[],
                period=str(period),
            )
            frames.append(t)
        out[str(indicator_id)] = pd.concat(frames, ignore_index=True)
    return out
