"""The project's release history: every release that passed the gate, kept outside every release
folder so a fresh folder, a new period or a renamed table is still audited against it.

``<history_dir>/releases.jsonl`` is a hash-chained, append-only log (``lantern.audit``): one entry
per release with its id, folder, output kind, the sha256 of every file, its cohorts, periods and
tables, and the sha256 of ``cells/<sha256>.parquet``, which holds every published count cell
(cohort, period, series, area, value — blank where withheld — and the table's policy). Reading
verifies the chain and every cells file; an edited history is an ``IntegrityError``, not a pass.

Earlier releases join an audit in two ways: the same cohort and period is the same counts
published again (one system: ``same_period``); the same cohort in another period is different
counts of much the same people, so the change between the two must not be pinned to a small
number (``cross_period_failures``).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lantern.audit import AuditLog
from lantern.disclosure.areas import AreaSets
from lantern.disclosure.check import Failure
from lantern.disclosure.linked import Publication, build_linked
from lantern.disclosure.policy import Policy
from lantern.disclosure.recovery import audit
from lantern.errors import IntegrityError

LOG = "releases.jsonl"
CELLS = "cells"
SIMILAR_SHARE = 0.9  # share of shared cells that must agree ...
SIMILAR_GAP = 3  # ... to within 3 people
SIMILAR_SHARE_GAP = 0.1  # or 10%
SIMILAR_MIN = 5


def _policy(text: str) -> Policy:
    return Policy(**json.loads(text))


class History:
    """The append-only history of released cells at ``root`` (nothing there yet is fine)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.log = AuditLog(self.root / LOG)
        self._cells: pd.DataFrame | None = None

    def entries(self) -> list[dict[str, Any]]:
        if not self.log.path.exists():
            return []
        self.log.verify()
        return list(self.log.entries())

    def cells(self) -> pd.DataFrame:
        """Every recorded cell, with the release id (verified against the log)."""
        if self._cells is not None:
            return self._cells
        frames = []
        for e in self.entries():
            d = e["details"]
            path = self.root / CELLS / f"{d['cells_sha256']}.parquet"
            if not path.exists():
                raise IntegrityError(
                    f"release history: cells of {d['release_id']} are missing ({path})"
                )
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != d["cells_sha256"]:
                raise IntegrityError(
                    f"release history: cells of {d['release_id']} were altered ({path})"
                )
            frames.append(
                pd.read_parquet(io.BytesIO(data)).assign(release=d["release_id"], seq=e["seq"])
            )
        cols = [
            "cohort",
            "period",
            "series",
            "area",
            "value",
            "row",
            "column",
            "table",
            "policy",
            "release",
            "seq",
        ]
        self._cells = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
        return self._cells

    def counts(self, pubs: Sequence[Publication]) -> dict[str, int]:
        """How many earlier releases hold each current cohort."""
        cells = self.cells()
        cohorts = {p.cohort for p in pubs}
        sub = cells[cells["cohort"].isin(cohorts)]
        return sub.groupby("cohort")["release"].nunique().to_dict()

    def same_period(self, pubs: Sequence[Publication]) -> list[Publication]:
        """Earlier publications of the same cohort and period as any current one."""
        cells = self.cells()
        if cells.empty or not pubs:
            return []
        slots = {(p.cohort, p.period) for p in pubs}
        keep = [(c, p) in slots for c, p in zip(cells["cohort"], cells["period"], strict=True)]
        return _as_publications(cells[np.asarray(keep, dtype=bool)])

    def record(
        self, pubs: Sequence[Publication], *, release_id: str, folder: str, output: str, files: dict
    ) -> dict | None:
        """Append one passed release (``None`` when it holds no count cells)."""
        if not pubs:
            return None
        frame = pd.concat(
            [
                pd.DataFrame(
                    {
                        "cohort": p.cohort,
                        "period": p.period,
                        "series": p.series,
                        "area": np.asarray(p.area, dtype=str),
                        "value": np.asarray(p.value, dtype=float),
                        "row": np.asarray(p.row, dtype=np.int64),
                        "column": p.column,
                        "table": p.table,
                        "policy": json.dumps(p.policy.to_dict()),
                    }
                )  # fmt: skip
                for p in pubs
            ],
            ignore_index=True,
        )
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        data = buf.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        for e in self.entries():
            if (
                e["details"].get("cells_sha256") == digest
                and e["details"].get("release_id") == release_id
            ):
                return None
        path = self.root / CELLS / f"{digest}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self._cells = None
        return self.log.append(
            "release.passed",
            release_id=release_id,
            folder=folder,
            output=output,
            cohorts=sorted({p.cohort for p in pubs}),
            periods=sorted({p.period for p in pubs}),
            tables=sorted({p.table for p in pubs}),
            cells=int(len(frame)),
            cells_sha256=digest,
            files={k: v["sha256"] for k, v in files.items()},
        )


def _as_publications(cells: pd.DataFrame, *, earlier: bool = True) -> list[Publication]:
    pubs = []
    for (release, table, policy), g in cells.groupby(["release", "table", "policy"], sort=False):
        pubs.append(
            Publication(
                f"{table} (release {release})",
                _policy(policy),
                g["series"].to_numpy(dtype=object),
                g["area"].to_numpy(dtype=object),
                g["value"].to_numpy(dtype=float),
                g["row"].to_numpy(dtype=np.int64),
                g["column"].to_numpy(dtype=object),
                earlier=earlier,
                cohort=str(g["cohort"].iat[0]),
                period=str(g["period"].iat[0]),
            )
        )
    return pubs


def _ranges(pubs: Sequence[Publication], sets: AreaSets) -> pd.DataFrame:
    """Every cell of the publications with the reader's feasible range (exact where the audit
    solves it, the published interval otherwise)."""
    system, cells = build_linked(pubs, sets)
    lo = cells["lo"].to_numpy(dtype=float)
    hi = cells["hi"].to_numpy(dtype=float)
    result = audit(system, lo, hi, np.ones(len(cells), dtype=bool), exact=True)
    low = np.where(np.isnan(result.low), lo, result.low)
    high = np.where(np.isnan(result.high), hi, result.high)
    key = (
        cells["series"].astype(str).str.split("|", n=1).str[1].fillna("")
        + "#"
        + cells["area"].astype(str)
    )
    cohort = cells["series"].astype(str).str.split("|", n=1).str[0].str.rsplit("@", n=1).str[0]
    return pd.DataFrame({"cohort": cohort, "key": key, "area": cells["area"], "column": cells["column"],
                         "low": low, "high": high, "required": cells["required"].to_numpy(dtype=float),
                         "tables": cells["tables"]})  # fmt: skip


def _similar(now: pd.DataFrame, before: pd.DataFrame) -> bool:
    """Whether two publications look like the same counts at nearby times: at least
    ``SIMILAR_MIN`` shared cells, nearly all within a few people of each other."""
    m = now.merge(before, on="key", suffixes=("", "_b"))
    m = m[np.isfinite(m["high"]) & np.isfinite(m["high_b"])]
    if len(m) < SIMILAR_MIN:
        return False
    gap = np.maximum(0, np.maximum(m["low"] - m["high_b"], m["low_b"] - m["high"]))
    agree = gap <= np.maximum(SIMILAR_GAP, SIMILAR_SHARE_GAP * np.maximum(m["high"], m["high_b"]))
    return bool(agree.mean() >= SIMILAR_SHARE)


def cross_period_failures(
    store: History, pubs: Sequence[Publication], sets: AreaSets, floor: Policy
) -> list[Failure]:
    """Cells whose change since an earlier period of the same cohort (or of an earlier release
    holding much the same counts under another name) a reader can pin to 1..threshold."""
    cells = store.cells()
    if cells.empty or not pubs:
        return []
    slots = {(p.cohort, p.period) for p in pubs}
    cohorts = {p.cohort for p in pubs}
    other = cells[
        [(c, p) not in slots for c, p in zip(cells["cohort"], cells["period"], strict=True)]
    ]
    if other.empty:
        return []
    now = _ranges(pubs, sets)
    out: list[Failure] = []
    for (release, period, cohort), g in other.groupby(["release", "period", "cohort"], sort=False):
        before = _ranges(_as_publications(g), sets)
        if cohort not in cohorts:
            if not _similar(now, before):
                continue
            how = f"earlier release {release} ({cohort}, period {period or '-'}) holds much the same counts"
        else:
            how = f"earlier release {release} of this cohort, period {period or '-'}"
        m = now.merge(before, on="key", suffixes=("", "_b"))
        if cohort in cohorts:
            m = m[m["cohort"] == cohort]
        d_lo = m["low"] - m["high_b"]
        d_hi = m["high"] - m["low_b"]
        t = np.maximum(m["required"], m["required_b"]) - 1
        small = ((d_lo >= 1) & (d_hi <= t)) | ((d_hi <= -1) & (d_lo >= -t))
        for _, r in m[small.to_numpy()].head(50).iterrows():
            lo, hi = r["low"] - r["high_b"], r["high"] - r["low_b"]
            change = f"{lo:+g}" if lo == hi else f"{lo:+g}..{hi:+g}"
            out.append(
                Failure(
                    ", ".join(r["tables"]) or "(worked out from the others)",
                    "-",
                    str(r["area"]),
                    str(r["column"]),
                    "differencing-periods",
                    f"against {how}: a reader can pin the change in this cell to {change} "
                    f"(now {r['low']:g}..{r['high']:g}, then {r['low_b']:g}..{r['high_b']:g}), "
                    f"a small number of people joining or leaving the cohort",
                )
            )
    return out
