"""What the open site shows, as plain data: areas, measures, values, index results and sources.

Built by :mod:`lantern.publish.reader` from the warehouse; everything else in the package writes
files from it. All frames are indexed by LSOA code unless stated otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

GEOGRAPHIES = ("lsoa", "msoa", "ward", "district")
GEOGRAPHY_LABELS = {
    "lsoa": "LSOA (neighbourhood)",
    "msoa": "MSOA",
    "ward": "Ward",
    "district": "District",
}


@dataclass(frozen=True)
class Measure:
    """One thing the map can be coloured by: the index, a domain or a single indicator."""

    id: str
    title: str
    group: str  # "index", "domain" or "indicator"
    unit: str = ""
    polarity: str = "higher_worse"  # higher_worse | higher_better | neutral
    kind: str = "score"
    description: str = ""
    domain: str | None = None  # the domain an indicator feeds, if any
    period: str = ""
    source_id: str | None = None
    licence: str = ""


@dataclass(frozen=True)
class Source:
    """A source file the warehouse loaded, with its publisher, licence and load date."""

    source_id: str
    publisher: str
    dataset: str
    licence: str
    url: str = ""
    file: str = ""
    vintage: str = ""
    loaded_at: str = ""


LEAN_AREAS = 30_000


@dataclass
class SiteData:
    """Everything the site and the downloads are written from.

    ``areas``: LSOA code → ``name``, ``msoa_code``, ``msoa_name``, ``ward_code``, ``ward_name``,
    ``district_code``, ``district_name`` (names may be empty where the warehouse has none).
    ``values``: LSOA code × measure id. ``index``: LSOA code × ``<component>.<field>`` for fields
    ``score``, ``rank``, ``decile``, ``rank_p05``, ``rank_p95``, ``imputed_share`` (the share of
    the component's weight resting on imputed values; over one half is flagged on the map),
    ``decile_change_share`` (share of sensitivity draws in another decile).
    ``trends``: indicator id → LSOA code × period. ``contributions``: long frame
    ``area_code``, ``component``, ``term``, ``contribution``, ``share``. ``summaries``: geography →
    frame indexed by that geography's code with ``name`` and one column per index/domain measure
    id, plus ``<measure>.rank``. ``comparators``: measure id → {"county": x, "england": y}.
    """

    title: str
    vintage: str
    boundary_note: str
    areas: pd.DataFrame
    measures: list[Measure]
    values: pd.DataFrame
    geometry: gpd.GeoDataFrame  # index: LSOA code; column geometry (WGS84)
    index: pd.DataFrame = field(default_factory=pd.DataFrame)
    index_title: str = ""
    index_reference: str = ""
    stability_note: str = ""  # how stable the deciles are, for the legend
    contributions: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["area_code", "component", "term", "contribution", "share"]
        )
    )
    summaries: dict[str, pd.DataFrame] = field(default_factory=dict)
    comparators: dict[str, dict[str, float | None]] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)
    # postcode → lsoa_code (+ approximate), when the warehouse holds a postcode lookup
    postcodes: pd.DataFrame | None = None
    # indicator id → LSOA code × period (oldest first), for indicators held for several periods
    trends: dict[str, pd.DataFrame] = field(default_factory=dict)
    # the same indicators long: LSOA × indicator × period with 95% limits and the county's and
    # England's value where the period has counts (lantern.publish.trends)
    yearly: pd.DataFrame = field(default_factory=pd.DataFrame)
    # QOF apportionment quality flags of the shown QOF values: ``area_code, indicator_id, flag``
    # (``low_coverage`` or ``dominant_outlier``), on the map's boundary vintage
    # (lantern.profile.quality); empty when the QOF source files were not at hand
    quality: pd.DataFrame = field(default_factory=pd.DataFrame)
    # What the build covers: "England", "Colchester", "Essex, Southend-on-Sea and Thurrock"; the
    # names it is made of; names of other places a title may start with; how many areas the
    # index ranks among and whether that is all of England.
    place: str = ""
    place_names: tuple[str, ...] = ()
    other_places: tuple[str, ...] = ()
    rank_total: int = 0
    national_reference: bool = False
    # indicators shown on the map though held on the other boundary vintage (moved through the
    # LSOA crosswalk: the index's inputs, e.g. QOF on a 2021 map)
    moved: tuple[str, ...] = ()
    # LSOA × <indicator>_lower95/_upper95/_vs_county/_vs_england (lantern.publish.comparisons)
    intervals: pd.DataFrame = field(default_factory=pd.DataFrame)
    # the week slider's data for the MSOA geography (lantern.publish.weekly), if cases are loaded
    cases: dict | None = None

    @property
    def national(self) -> bool:
        """A build of all England (about 33,000 LSOAs): its downloads stay lean (see
        ``lantern.publish.downloads``)."""
        return len(self.areas) > LEAN_AREAS

    def measure(self, measure_id: str) -> Measure:
        for m in self.measures:
            if m.id == measure_id:
                return m
        raise KeyError(measure_id)

    @property
    def default_measure(self) -> str:
        return self.measures[0].id
