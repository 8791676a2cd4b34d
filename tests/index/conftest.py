"""Fixtures for the index engine: the real IoD2019 and CDC SVI files, read once per session."""

from __future__ import annotations

import pandas as pd
import pytest

from lantern.index import compute_index, load_preset

IOD_DOMAINS = {
    "Income": "income",
    "Employment": "employment",
    "Education": "education",
    "Health": "health",
    "Crime": "crime",
    "Housing_and_Access": "barriers",
    "Environment": "living_environment",
}


@pytest.fixture(scope="session")
def iod_ranks(shared_data) -> pd.DataFrame:
    """Published IoD2019 ranks and deciles for all 32,844 LSOAs (2011), indexed by code."""
    return pd.read_csv(
        shared_data / "imd2019" / "imd2019_lsoa11_ranks_deciles_england.csv"
    ).set_index("lsoa11_code")


@pytest.fixture(scope="session")
def iod_domain_input(iod_ranks) -> pd.DataFrame:
    """The seven domain ranks under the indicator ids the ``iod2019`` preset reads."""
    return pd.DataFrame(
        {f"iod2019.{v}_rank": iod_ranks[f"{k}_rank"] for k, v in IOD_DOMAINS.items()}
    )


@pytest.fixture(scope="session")
def iod_result(iod_domain_input):
    return compute_index(load_preset("iod2019"), iod_domain_input)


@pytest.fixture(scope="session")
def svi2020(shared_data) -> pd.DataFrame:
    path = shared_data / "anchors" / "svi2020_pa_co.csv"
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"FIPS": str}).set_index("FIPS")
