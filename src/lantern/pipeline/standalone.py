"""``lantern index``: run a spec on an analyst's own CSV, without a warehouse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lantern.errors import ConfigError, InputError, Problem
from lantern.index import compute_index, load_preset, parse_spec_text
from lantern.index.robustness import monte_carlo


def read_area_table(path: Path, area_column: str | None = None) -> pd.DataFrame:
    """A user's CSV (one row per area) indexed by its area-code column, with clear errors."""
    if not Path(path).is_file():
        raise InputError("file not found", file=path)
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    if frame.empty:
        raise InputError("the table has no rows", file=path)
    column = area_column or frame.columns[0]
    if column not in frame.columns:
        raise InputError("no such column", file=path, column=column)
    codes = frame[column].str.strip()
    if codes.isna().any():
        row = int(np.flatnonzero(codes.isna().to_numpy())[0]) + 2
        raise InputError("area code is missing", file=path, row=row, column=column)
    dup = codes.duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0]) + 2
        raise InputError("area code appears more than once", file=path, row=row, column=column)
    return frame.drop(columns=[column]).set_index(pd.Index(codes, name="area_code"))


def _column(frame: pd.DataFrame, column: str | None, path: Path, what: str) -> pd.Series | None:
    if column is None:
        return None
    if column not in frame.columns:
        raise InputError(f"no such column (the {what} column)", file=path, column=column)
    return frame[column]


def run_standalone(
    *,
    spec: Path | str,
    data: Path,
    out: Path,
    area_column: str | None = None,
    parent_column: str | None = None,
    population_column: str | None = None,
    draws: int = 0,
) -> pd.DataFrame:
    """``lantern index``: run a spec (file or preset name) on a CSV and write every result column.

    ``parent_column`` names each area's parent area (used by ``impute_parent_mean`` and, with
    ``population_column``, for the higher-geography summaries written to ``<out>-summaries.csv``).
    """
    from lantern.index.presets_loader import PRESETS

    spec_path = Path(spec)
    if str(spec) in PRESETS and not spec_path.exists():
        index_spec = load_preset(str(spec))
    elif spec_path.is_file():
        index_spec = parse_spec_text(spec_path.read_text("utf-8"), source=str(spec_path))
    else:
        raise ConfigError(
            "Index spec", [Problem("file not found (nor a preset name)", file=str(spec_path))]
        )
    data = Path(data)
    frame = read_area_table(data, area_column)
    parents = _column(frame, parent_column, data, "parent")
    population = _column(frame, population_column, data, "population")
    if population is not None:
        population = _numbers(population, data, population_column or "")
    result = compute_index(index_spec, frame, parents=parents, source=str(data))
    wide = result.wide()
    if draws:
        rob = monte_carlo(index_spec, frame, draws=draws, base=result, parents=parents)
        for col, values in rob.frame().items():
            wide[f"index_{col}"] = values.to_numpy()
        for domain_id in rob.domains:
            for col, values in rob.domain_frame(domain_id).items():
                wide[f"{domain_id}_{col}"] = values.to_numpy()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    wide.to_csv(out)
    if parents is not None:
        summaries = parent_summaries(result, parents, population)
        summaries.to_csv(summaries_path(out), index=False)
    return wide


def summaries_path(out: Path) -> Path:
    """Where ``lantern index`` writes the parent-area summaries beside ``out``."""
    return Path(out).with_name(Path(out).stem + "-summaries.csv")


def _numbers(column: pd.Series, path: Path, name: str) -> pd.Series:
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise InputError("population must be a number ≥ 0", file=path, row=row, column=name)
    return values


def parent_summaries(result, parents: pd.Series, population: pd.Series | None) -> pd.DataFrame:
    """Appendix N summaries of the index and each domain for every parent area (long form)."""
    from lantern.index.summaries import area_summaries, top_share_mask

    pop = (
        population.reindex(result.areas).to_numpy(dtype=float)
        if population is not None
        else np.ones(len(result.areas))
    )
    frames = []
    share = result.spec.classify.summary_proportion
    least_first = result.spec.classify.rank_direction == "least_vulnerable_first"
    for comp, cols in result.components.items():
        n_total = int(np.sum(~np.isnan(cols["rank"])))
        # the summaries count rank 1 as most vulnerable
        rank = n_total + 1 - cols["rank"] if least_first else cols["rank"]
        f = pd.DataFrame(
            {
                "parent_code": parents.reindex(result.areas).to_numpy(),
                "population": pop,
                "score": cols["score"],
                "rank": rank,
            }
        )
        top = top_share_mask(cols["decile"], share, least_first=least_first)
        if top is not None:
            f["top"] = top
        f = f.dropna(subset=["parent_code"])
        s = area_summaries(f, n_total=n_total, proportion=share, top=None if top is None else "top")
        frames.append(s.assign(component=comp))
    out = pd.concat(frames, ignore_index=True)
    return out[["component", *[c for c in out.columns if c != "component"]]]
