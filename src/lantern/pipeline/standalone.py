"""``lantern index``: run a spec on an analyst's own CSV, without a warehouse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lantern.errors import ConfigError, Problem
from lantern.index import compute_index, load_preset, parse_spec_text
from lantern.index.robustness import monte_carlo


def read_area_table(path: Path, area_column: str | None = None) -> pd.DataFrame:
    """A user's CSV (one row per area) indexed by its area-code column, with clear errors."""
    from lantern.errors import InputError

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


def run_standalone(
    *, spec: Path | str, data: Path, out: Path, area_column: str | None = None, draws: int = 0
) -> pd.DataFrame:
    """``lantern index``: run a spec (file or preset name) on a CSV and write every result column."""
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
    frame = read_area_table(Path(data), area_column)
    result = compute_index(index_spec, frame, source=str(data))
    wide = result.wide()
    if draws:
        rob = monte_carlo(index_spec, frame, draws=draws, base=result)
        for col, values in rob.frame().items():
            wide[f"index_{col}"] = values.to_numpy()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    wide.to_csv(out)
    return wide
