"""`Warehouse.indicator_frame`: pivoting, moving across vintages by kind, aggregating upward."""

from __future__ import annotations

import numpy as np
import pytest

from lantern.errors import ConfigError, InputError


def test_one_row_per_area_one_column_per_indicator(essex):
    ids = ["iod2025.imd_score", "census2021.overcrowded_pct"]
    frame = essex.indicator_frame(ids, vintage=2021)
    assert list(frame.columns) == ids
    assert frame.index.name == "area_code" and len(frame) == 1111 and frame.index.is_unique
    assert frame.notna().all().all()
    stored = essex.query(
        "SELECT area_code, value FROM indicators WHERE indicator_id = 'iod2025.imd_score'"
    )
    assert np.allclose(frame.loc[stored["area_code"], "iod2025.imd_score"], stored["value"])


def test_counts_moved_to_2021_keep_their_total(essex):
    moved = essex.indicator_frame(["pop.total"], vintage=2021)["pop.total"]
    original = essex.indicator_frame(["pop.total"], vintage=2011)["pop.total"]
    assert len(moved) == 1111 and moved.notna().all()
    assert moved.sum() == pytest.approx(original.sum(), rel=1e-9)


def split_lsoa(essex):
    """A 2011 LSOA split into several 2021 LSOAs (Essex has splits but no merges)."""
    cross = essex.crosswalk()
    split = cross.loc[cross["change_code"] == "S", "lsoa11_code"].iloc[0]
    return split, list(cross.loc[cross["lsoa11_code"] == split, "lsoa21_code"])


def test_rates_are_rebuilt_from_moved_numerators_and_denominators(essex):
    cross = essex.crosswalk()
    unchanged = cross.loc[cross["change_code"] == "U"].iloc[0]
    old, parts = split_lsoa(essex)
    dm = "qof.dm_prevalence"  # 2019/20: registers and lists, so a rate with its counts
    f11 = essex.indicator_frame([dm], vintage=2011, period="2019/20")[dm]
    f21 = essex.indicator_frame([dm], vintage=2021, period="2019/20")[dm]
    assert f21[unchanged["lsoa21_code"]] == pytest.approx(f11[unchanged["lsoa11_code"]])
    assert f21[parts].to_numpy() == pytest.approx([f11[old]] * len(parts))  # a split keeps the rate
    # 2021 -> 2011 merges the parts back: Σ numerators / Σ denominators
    back = essex.indicator_frame(["census2021.overcrowded_pct"], vintage=2011)[
        "census2021.overcrowded_pct"
    ]
    rows = essex.query(
        "SELECT numerator, denominator FROM indicators WHERE indicator_id = 'census2021.overcrowded_pct' "
        "AND list_contains(?, area_code)",
        [parts],
    )
    assert len(rows) == len(parts) >= 2
    assert back[old] == pytest.approx(100 * rows["numerator"].sum() / rows["denominator"].sum())


def test_scores_are_population_weighted_when_merged(essex):
    old, parts = split_lsoa(essex)
    f21 = essex.indicator_frame(
        ["iod2025.imd_score", "census2021.usual_residents"], vintage=2021
    ).loc[parts]
    moved = essex.indicator_frame(["iod2025.imd_score"], vintage=2011)["iod2025.imd_score"][old]
    weights = f21["census2021.usual_residents"]
    assert moved == pytest.approx((f21["iod2025.imd_score"] * weights).sum() / weights.sum())


def test_ranks_are_not_moved(essex):
    with pytest.raises(InputError, match="rank"):
        essex.indicator_frame(["iod2019.imd_rank"], vintage=2021)


def test_aggregating_up_sums_counts_and_rate_parts(essex):
    districts = essex.indicator_frame(
        ["pop.total", "census2021.overcrowded_pct"], vintage=2021, area_type="district"
    )
    assert len(districts) == 14 and districts.notna().all().all()
    assert districts["pop.total"].sum() == pytest.approx(
        essex.indicator_frame(["pop.total"], vintage=2011)["pop.total"].sum()
    )
    rows = essex.query("""SELECT sum(numerator) AS n, sum(denominator) AS d FROM indicators i
                          JOIN area_links l ON l.child_code = i.area_code AND l.vintage = 2021
                          WHERE indicator_id = 'census2021.overcrowded_pct' AND l.parent_code = 'E07000066'""")
    assert districts.loc["E07000066", "census2021.overcrowded_pct"] == pytest.approx(
        100 * rows["n"][0] / rows["d"][0]
    )


def test_district_tables_are_returned_as_published(essex):
    frame = essex.indicator_frame(["hoc_qof1920.dm_prevalence"], vintage=2011, area_type="district")
    assert len(frame) == 14 and frame["hoc_qof1920.dm_prevalence"].between(4, 12).all()


def test_areas_limit_the_rows(essex):
    basildon = essex.indicator_frame(["iod2019.imd_score"], vintage=2011, areas=["E07000066"])
    links = essex.query(
        "SELECT child_code FROM area_links WHERE parent_code = 'E07000066' AND child_type = 'lsoa' "
        "AND vintage = 2011"
    )
    assert sorted(basildon.index) == sorted(links["child_code"])


def test_unknown_ids_are_all_reported(essex):
    with pytest.raises(ConfigError) as info:
        essex.indicator_frame(["nope.a", "iod2019.imd_score", "nope.b"], vintage=2011)
    assert len(info.value.problems) == 2


def test_msoa_values_are_never_split_down(essex):
    with pytest.raises(InputError, match="never split"):
        essex.indicator_frame(["brc2020.vulnerability_score"], vintage=2011)
    msoa = essex.indicator_frame(["brc2020.vulnerability_score"], vintage=2011, area_type="msoa")
    assert len(msoa) == 211 and msoa.notna().all().all()


@pytest.mark.parametrize(
    ("indicator_id", "vintage"),
    [
        ("pop.total", 2011),  # a count, summed
        ("census2021.overcrowded_pct", 2021),  # a rate with counts: Σ numerators / Σ denominators
        ("iod2025.imd_score", 2021),  # a score: population-weighted
        ("qof.dm_prevalence", 2021),  # a rate moved from 2011 to 2021 first, then summed up
    ],
)
def test_every_kind_aggregates_to_every_level_as_a_plain_groupby_does(essex, indicator_id, vintage):
    """Aggregation up the hierarchy (LSOA → MSOA, ward, district) against an independent
    pandas groupby over the stored links, with an unknown value in the mix."""
    meta = essex.meta([indicator_id]).iloc[0]
    period = "2019/20" if indicator_id.startswith("qof.") else None  # the latest has no counts
    lsoa = essex.indicator_frame([indicator_id], vintage=vintage, period=period)[indicator_id]
    assert lsoa.notna().all()
    pop = essex.population(vintage)
    for level in ("msoa", "ward", "district"):
        links = essex.area_links(child_type="lsoa", parent_type=level, vintage=vintage)
        if links.empty:
            continue
        got = essex.indicator_frame(
            [indicator_id], vintage=vintage, area_type=level, period=period
        )[indicator_id]
        joined = links.merge(lsoa.rename("value"), left_on="child_code", right_index=True)
        if meta["kind"] == "count":
            expected = joined.groupby("parent_code")["value"].sum()
        elif meta["kind"] == "rate":
            counts = essex.indicator_values([indicator_id])
            held = essex.indicator_frame([indicator_id], vintage=vintage, period=period)
            counts = counts[
                (counts["period"] == held.attrs["periods"][indicator_id])
                & (counts["area_code"] != "E92000001")  # England's benchmark row
            ]
            if int(meta["vintage"]) != vintage:
                counts = essex._move(
                    counts.drop(columns=["indicator_id", "period"]), meta, 2011, vintage
                )
            parts = links.merge(counts, left_on="child_code", right_on="area_code")
            sums = parts.groupby("parent_code")[["numerator", "denominator"]].sum()
            expected = sums["numerator"] / sums["denominator"] * 100
        else:
            joined["w"] = joined["child_code"].map(pop)
            sums = joined.assign(vw=joined["value"] * joined["w"]).groupby("parent_code")
            expected = sums["vw"].sum() / sums["w"].sum()
        assert got.reindex(expected.index).to_numpy() == pytest.approx(
            expected.to_numpy(), rel=1e-9
        ), level
