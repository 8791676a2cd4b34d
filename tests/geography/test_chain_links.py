"""``chain_links`` (codes numbered once, pairs compared as integers) against a plain pandas oracle.

The oracle is the table built the obvious way: for every (child level, parent level) pair, the
distinct non-blank code pairs in order of first appearance, without self-links; then a
unitary's link to itself as county dropped in favour of its district link, and each (child,
parent) pair kept once. Chains are drawn with blanks, repeated rows, codes shared between levels
(unitaries) and codes equal across a pair.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.config import ESSEX_AREA_CODES
from lantern.geography.codes import AreaType
from lantern.geography.hierarchy import (
    CHAINS,
    LINK_COLUMNS,
    chain_areas,
    chain_links,
    filter_chain,
    read_lookups,
)
from lantern.paths import BUNDLED_ESSEX


def oracle(chain: pd.DataFrame, vintage: int, areas: pd.DataFrame) -> pd.DataFrame:
    levels = CHAINS[vintage]
    parts = []
    for i, child in enumerate(levels):
        for parent in levels[i + 1 :]:
            pair = chain[[child.code, parent.code]].dropna().drop_duplicates()
            pair.columns = ["child_code", "parent_code"]
            pair = pair[pair["child_code"] != pair["parent_code"]]
            parts.append(
                pair.assign(child_type=child.area_type.value, parent_type=parent.area_type.value)
            )
    links = pd.concat(parts, ignore_index=True).assign(vintage=vintage)
    unitary = links["parent_type"] == AreaType.COUNTY.value
    districts = areas.loc[areas["area_type"] == "district", "area_code"]
    links = links[~(unitary & links["parent_code"].isin(districts))]
    links = links.drop_duplicates(["child_code", "parent_code"])[LINK_COLUMNS]
    links = links.reset_index(drop=True)
    links["vintage"] = links["vintage"].astype("int64")
    return links


CODES = ["A1", "A2", "B1", "B2", "C1", "C2", "D1"]  # few, so levels share and repeat codes


@st.composite
def chains(draw):  # noqa: ANN001, ANN201
    vintage = draw(st.sampled_from([2011, 2021]))
    levels = CHAINS[vintage]
    n = draw(st.integers(0, 12))
    code = st.one_of(st.none(), st.sampled_from(CODES))
    rows = draw(st.lists(st.tuples(*[code] * len(levels)), min_size=n, max_size=n))
    chain = pd.DataFrame(rows, columns=[lv.code for lv in levels], dtype=object)
    if draw(st.booleans()) and n:  # a unitary: its county column repeats its district
        district = next(lv.code for lv in levels if lv.area_type == AreaType.DISTRICT)
        county = next(lv.code for lv in levels if lv.area_type == AreaType.COUNTY)
        chain[county] = chain[district]
    types = draw(st.lists(st.sampled_from(["district", "county", "lsoa"]), min_size=7, max_size=7))
    areas = pd.DataFrame({"area_code": CODES, "area_type": types})
    return chain, vintage, areas


@settings(max_examples=150, deadline=None)
@given(drawn=chains())
def test_links_match_the_plain_pandas_oracle(drawn):
    chain, vintage, areas = drawn
    if not len(chain):
        return  # the oracle cannot concatenate nothing; a chain always has LSOAs
    pd.testing.assert_frame_equal(chain_links(chain, vintage, areas), oracle(chain, vintage, areas))


@pytest.mark.parametrize("vintage", [2011, 2021])
def test_links_match_the_oracle_on_the_essex_lookups(vintage):
    chain = filter_chain(read_lookups(BUNDLED_ESSEX).chains[vintage], vintage, ESSEX_AREA_CODES)
    areas = chain_areas(chain, vintage)
    links = chain_links(chain, vintage, areas)
    assert len(links) > 5_000
    pd.testing.assert_frame_equal(links, oracle(chain, vintage, areas))
