"""``build``: compute the configured index from the warehouse into the warehouse.

Reads the indicators the spec names, computes scores, ranks, classes, contributions, Monte Carlo
rank intervals and higher-geography summaries, and replaces the index's ``index_*`` rows in one
transaction. Writes the method note (Markdown) and the resolved spec (TOML) to ``output_dir``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from lantern import __version__
from lantern.errors import ConfigError, Problem
from lantern.index import (
    INDEX,
    IndexResult,
    compute_index,
    load_preset,
    parse_spec_text,
    spec_to_toml,
)
from lantern.index.imputed import mostly_imputed_areas, with_imputed
from lantern.index.note import method_note
from lantern.index.robustness import RobustnessResult, monte_carlo
from lantern.index.spec import IndexSpec
from lantern.index.summaries import area_summaries, summaries_long, top_share_mask
from lantern.index.tables import (
    components_table,
    contributions_table,
    indicator_values_table,
    scores_table,
    weights_table,
)
from lantern.index.validation_note import validation_markdown
from lantern.pipeline.progress import Progress, or_quiet
from lantern.publish.place import ENGLAND, join_names

SUMMARY_LEVELS = ("msoa", "ward", "district", "county")


@dataclass(frozen=True)
class BuildResult:
    index_id: str
    n_areas: int
    reference: str
    share_changing_decile: float | None
    note_path: Path
    spec_path: Path
    mostly_imputed: list[str] = field(default_factory=list)  # index > half imputed weight


def resolve_spec(config) -> tuple[IndexSpec, str]:
    """The spec named by the config (``index.spec`` file, else ``index.preset``) and its name."""
    if config.index.spec is not None:
        path = Path(config.index.spec)
        if not path.is_file():
            raise ConfigError(
                "Index spec", [Problem("file not found", file=str(path), column="index.spec")]
            )
        return parse_spec_text(path.read_text("utf-8"), source=str(path)), path.stem
    name = config.index.preset or "essex-covid"
    return load_preset(name), name


def reference_of(config) -> str:
    """``national`` (rank among every area held, then report the county) or ``county``."""
    return "national" if config.index.reference in ("england", "national") else "county"


def build_place(wh, area_codes) -> str:
    """The configured areas in words ("England", "Essex, Southend-on-Sea and Thurrock"), named
    from the warehouse (a code without a name stays a code)."""
    codes = list(area_codes or [])
    if ENGLAND in codes:
        return "England"
    names = wh.area_names() if codes else pd.Series(dtype=object)
    return join_names([str(names.get(c, c)) for c in codes])


def spec_vintage(spec: IndexSpec, config) -> int:
    return int(spec.vintage) if spec.vintage in ("2011", "2021") else int(config.vintage)


@dataclass
class BuildInputs:
    """What the index needs from the warehouse, read once."""

    county: pd.DataFrame
    everywhere: pd.DataFrame
    parents: pd.Series | None
    population: pd.Series | None
    links: pd.DataFrame
    names: pd.Series


def spec_periods(spec: IndexSpec) -> dict[str, str]:
    """The period each indicator of the spec asks for (indicators without one use the latest)."""
    periods: dict[str, str] = {}
    for ind in spec.indicators:
        if ind.period is None:
            continue
        if periods.setdefault(ind.column, ind.period) != ind.period:
            raise ConfigError(
                "Index spec",
                [Problem(f"{ind.column} is asked for two periods in one index", column=ind.id)],
            )
    return periods


def read_inputs(wh, spec: IndexSpec, *, vintage: int, area_codes) -> BuildInputs:
    ids = [i.column for i in spec.indicators]
    periods = spec_periods(spec)
    county = wh.indicator_frame(
        ids, vintage=vintage, area_type=spec.area_type, areas=area_codes, period=periods
    )
    if county.empty:
        raise ConfigError(
            "Index build",
            [
                f"the warehouse holds no {spec.area_type} areas of vintage {vintage} "
                f"in {', '.join(area_codes)}; run `lantern ingest`"
            ],
        )
    empty = [c for c in ids if county[c].isna().all()]
    if empty:
        raise ConfigError(
            "Index build",
            [
                Problem(f"indicator {c!r} has no values for these areas in the warehouse", column=c)
                for c in empty
            ],
        )
    everywhere = wh.indicator_frame(ids, vintage=vintage, area_type=spec.area_type, period=periods)
    links = wh.area_links(child_type=spec.area_type, vintage=vintage)[
        ["child_code", "parent_code", "parent_type"]
    ]
    district = links[links.parent_type == "district"].drop_duplicates("child_code")
    parents = (
        pd.Series(district["parent_code"].to_numpy(), index=district["child_code"])
        if len(district)
        else None
    )
    names = wh.areas(vintage=vintage)
    return BuildInputs(
        county,
        everywhere,
        parents,
        wh.population(vintage),
        links,
        pd.Series(names["area_name"].to_numpy(), index=names["area_code"]),
    )


def summaries_table(
    result: IndexResult, inputs: BuildInputs, focus: pd.Index, vintage: int
) -> pd.DataFrame:
    """``index_summaries`` rows: Appendix N measures for every higher area, index and each domain."""
    frames = []
    pop = inputs.population
    population = (
        pop.reindex(result.areas).to_numpy(dtype=float)
        if pop is not None
        else np.ones(len(result.areas))
    )
    population = np.where(np.isnan(population), 0.0, population)
    share = result.spec.classify.summary_proportion
    least_first = result.spec.classify.rank_direction == "least_vulnerable_first"
    for comp, cols in result.components.items():
        n_total = int(np.sum(~np.isnan(cols["rank"])))
        base = pd.DataFrame(
            {
                "area_code": result.areas,
                "population": population,
                "score": cols["score"],
                # the summaries count rank 1 as most vulnerable
                "rank": n_total + 1 - cols["rank"] if least_first else cols["rank"],
            }
        )
        top = top_share_mask(cols["decile"], share, least_first=least_first)
        if top is not None:
            base["top"] = top
        base = base[base["area_code"].isin(set(focus))]
        for level in SUMMARY_LEVELS:
            links = inputs.links[inputs.links.parent_type == level]
            if links.empty:
                continue
            f = base.merge(
                links[["child_code", "parent_code"]], left_on="area_code", right_on="child_code"
            )
            if f.empty:
                continue
            wide = area_summaries(
                f, n_total=n_total, proportion=share, top=None if top is None else "top"
            )
            long = summaries_long(wide)
            frames.append(long.assign(area_type=level, component=comp))
    out = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(
            columns=["area_code", "measure", "value", "rank", "area_type", "component"]
        )
    )
    out = out.assign(index_id=result.spec.id, vintage=vintage)
    return out[
        ["index_id", "area_type", "area_code", "vintage", "component", "measure", "value", "rank"]
    ]


def summary_groups(
    result: IndexResult, inputs: BuildInputs, focus: pd.Index
) -> dict[str, tuple[np.ndarray, np.ndarray, int, list[str]]]:
    """Per summary level: each area's parent (position, -1 outside the focus or without one),
    its population, the number of parents and their codes — the same parents and weights
    ``summaries_table`` averages the index over, for the Monte Carlo rank intervals."""
    pop = inputs.population
    population = (
        pop.reindex(result.areas).to_numpy(dtype=float)
        if pop is not None
        else np.ones(len(result.areas))
    )
    population = np.where(np.isnan(population), 0.0, population)
    in_focus = pd.Index(result.areas).isin(focus)
    out = {}
    for level in SUMMARY_LEVELS:
        links = inputs.links[inputs.links.parent_type == level].drop_duplicates("child_code")
        if links.empty:
            continue
        parent_of = pd.Series(links["parent_code"].to_numpy(), index=links["child_code"])
        parent = pd.Series(result.areas).map(parent_of).where(in_focus)
        codes = sorted(parent.dropna().unique())
        if len(codes) < 2:
            continue
        position = {c: i for i, c in enumerate(codes)}
        idx = parent.map(position).fillna(-1).astype(int).to_numpy()
        out[level] = (idx, population, len(codes), [str(c) for c in codes])
    return out


def summary_intervals(
    rob: RobustnessResult,
    groups: dict[str, tuple[np.ndarray, np.ndarray, int, list[str]]],
    index_id: str,
    vintage: int,
) -> pd.DataFrame:
    """``index_summaries`` rows ``rank_p05`` and ``rank_p95`` (value = the rank bound) and
    ``decile_change_share`` for the index's average score of every higher area over the Monte
    Carlo draws."""
    frames = []
    for level, (_median, p05, p95, moved) in rob.groups.items():
        codes = groups[level][3]
        for measure, values in (
            ("rank_p05", np.round(p05)),
            ("rank_p95", np.round(p95)),
            ("decile_change_share", moved),
        ):
            frames.append(
                pd.DataFrame(
                    {
                        "index_id": index_id,
                        "area_type": level,
                        "area_code": codes,
                        "vintage": vintage,
                        "component": INDEX,
                        "measure": measure,
                        "value": values,
                        "rank": np.nan,
                    }
                )
            )
    columns = [
        "index_id",
        "area_type",
        "area_code",
        "vintage",
        "component",
        "measure",
        "value",
        "rank",
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def reference_comparison(county: IndexResult, national: IndexResult, focus: pd.Index) -> str:
    """Markdown cross-tab of county-reference deciles against national-reference deciles."""
    c = pd.Series(county.components[INDEX]["decile"], index=county.areas).reindex(focus)
    n = pd.Series(national.components[INDEX]["decile"], index=national.areas).reindex(focus)
    same = float((c == n).mean())
    tab = pd.crosstab(c.rename("county decile"), n.rename("national decile"))
    lines = [
        "## Reference population: county against national",
        "",
        f"Ranking within the county and ranking among all {len(national.areas):,} areas then keeping the "
        f"county give the same decile for {100 * same:.1f}% of the county's areas. Rows: county decile; "
        "columns: national decile.",
        "",
        "| county \\ national | " + " | ".join(f"{int(x)}" for x in tab.columns) + " |",
        "|---|" + "---|" * len(tab.columns),
    ]
    for dec, row in tab.iterrows():
        lines.append(f"| {int(dec)} | " + " | ".join(str(int(v)) for v in row) + " |")
    return "\n".join(lines)


def build(config, *, progress: Progress | None = None, draws: int | None = None) -> BuildResult:
    """Compute the configured index into the warehouse; write the method note and resolved spec."""
    from lantern.warehouse import Warehouse

    say = or_quiet(progress)
    spec, name = resolve_spec(config)
    vintage = spec_vintage(spec, config)
    reference = reference_of(config)
    draws = draws or config.index.draws or spec.robustness.draws
    with Warehouse.update(config.warehouse, command="build") as wh:
        say("Reading indicators")
        inputs = read_inputs(wh, spec, vintage=vintage, area_codes=config.area_codes)
        focus = inputs.county.index
        say(f"Computing {spec.id} for {len(focus):,} areas")
        county_result = compute_index(
            spec, inputs.county, parents=inputs.parents, source="warehouse"
        )
        national_available = len(inputs.everywhere) > len(focus)
        national_result = None
        reference_note = ""
        if national_available:
            national_frame = inputs.everywhere.dropna(how="all")
            national_result = compute_index(
                spec, national_frame, parents=inputs.parents, source="warehouse"
            )
        elif reference == "national":
            reference_note = (
                "The warehouse holds only the configured areas, so national ranking is not "
                "possible; ranks are within the configured areas."
            )
            reference = "county"
        # "national" survives only when the national result was computed
        if reference == "national" and national_result is not None:
            primary, primary_data = national_result, national_frame
        else:
            primary, primary_data = county_result, inputs.county
        say(f"Monte Carlo robustness ({draws} draws)")
        groups = summary_groups(primary, inputs, focus)
        rob: RobustnessResult = monte_carlo(
            spec,
            primary_data,
            draws=draws,
            seed=config.index.seed,
            base=primary,
            parents=inputs.parents,
            groups={level: g[:3] for level, g in groups.items()},
        )
        say("Summarising to higher geographies")
        scores = [
            with_imputed(
                scores_table(primary, reference=reference, areas=focus, robustness=rob), primary
            )
        ]
        other = county_result if reference == "national" else national_result
        if other is not None:
            scores.append(
                with_imputed(
                    scores_table(
                        other,
                        reference="county" if reference == "national" else "national",
                        areas=focus,
                    ),
                    other,
                )
            )
        mostly = mostly_imputed_areas(primary).intersection(focus)
        spec_toml = spec_to_toml(spec)
        built_at = datetime.now(UTC)
        runs = pd.DataFrame(
            [
                {
                    "index_id": spec.id,
                    "name": name,
                    "title": spec.title,
                    "spec_toml": spec_toml,
                    "spec_sha256": hashlib.sha256(spec_toml.encode()).hexdigest(),
                    "reference": reference,
                    "area_type": spec.area_type,
                    "vintage": vintage,
                    "n_areas": len(focus),
                    "draws": draws,
                    "seed": config.index.seed,
                    "decile_change_share": rob.share_changing_decile,
                    "built_at": built_at,
                    "lantern_version": __version__,
                }
            ]
        )
        tables = {
            "index_runs": runs,
            "index_components": components_table(primary),
            "index_scores": pd.concat(scores, ignore_index=True),
            "index_indicator_values": indicator_values_table(primary, focus),
            "index_contributions": contributions_table(primary, focus),
            "index_weights": weights_table(primary),
            "index_summaries": pd.concat(
                [
                    summaries_table(primary, inputs, focus, vintage),
                    summary_intervals(rob, groups, spec.id, vintage),
                ],
                ignore_index=True,
            ),
        }
        previous = wh.index_runs(spec.id) if wh.has("index_runs") else None
        validation = kept_validation(wh, spec.id, previous, runs["spec_sha256"].iloc[0])
        place = build_place(wh, config.area_codes)
        validation_md = validation_markdown(validation, place=place)
        comparison = (
            reference_comparison(county_result, national_result, focus)
            if national_result is not None
            else ""
        )
        note = method_note(
            primary,
            reference=reference,
            place=place,
            reference_note=reference_note,
            robustness=rob,
            area_names=inputs.names,
            built_at=built_at.strftime("%Y-%m-%d %H:%M UTC"),
            comparison_md=comparison,
            validation_md=validation_md,
        )
        runs["method_note"] = note  # published as it is: the site shows this very note
        say("Writing the warehouse tables")
        _add_note_column(wh)
        wh.replace_index_results(spec.id, tables)
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    note_path, spec_path = note_paths(out, spec.id)
    _atomic_write(note_path, note)
    _atomic_write(spec_path, spec_toml)
    return BuildResult(
        spec.id,
        len(focus),
        reference,
        rob.share_changing_decile,
        note_path,
        spec_path,
        mostly_imputed=sorted(mostly),
    )


def note_paths(output_dir: Path, index_id: str) -> tuple[Path, Path]:
    return Path(output_dir) / f"{index_id}-method.md", Path(output_dir) / f"{index_id}-spec.toml"


def _add_note_column(wh) -> None:
    """A warehouse written before the note was stored gets the ``method_note`` column."""
    if wh.has("index_runs"):
        columns = set(wh.query("SELECT * FROM index_runs LIMIT 0").columns)
        if "method_note" not in columns:
            wh.execute("index_runs", "ALTER TABLE index_runs ADD COLUMN method_note VARCHAR")


def kept_validation(wh, index_id: str, previous, spec_sha256: str) -> pd.DataFrame:
    """This index's ``index_validation`` rows when they were computed for the same spec; rows for
    another spec are stale and deleted (run ``lantern validate`` again)."""
    if not wh.has("index_validation"):
        return pd.DataFrame()
    rows = wh.index_validation(index_id)
    if "scope" not in rows.columns:
        return pd.DataFrame()
    same = previous is not None and len(previous) and previous["spec_sha256"].iloc[0] == spec_sha256
    if not same and len(rows):
        wh.execute(
            "index_validation", "DELETE FROM index_validation WHERE index_id = ?", [index_id]
        )
        return pd.DataFrame()
    return rows


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)
