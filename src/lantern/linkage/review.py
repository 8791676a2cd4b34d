"""Clerical review: label a sample of scored pairs, then estimate precision and recall from it.

As in Splink's clerical labelling, people judge pairs; here the hub never sees a value, so
the sample holds only release ids, partners, match weights and each comparison's agreement
level (e.g. "metaphone equal"). Each partner looks its side up through its own key map; the
reviewer writes 1 (same person) or 0 (not) in ``is_match``.

The sample is stratified: scored pairs fall into bands of match weight (accepted and
rejected pairs never share a band), every band gets at least ``MIN_PER_BAND`` pairs and the
rest go to the bands where the model is least sure (Neyman allocation with the model's own
``p(1-p)``), so borderline pairs dominate. From the labels, each band's share of true links
has a Beta posterior (Jeffreys prior); summing ``band size × share`` gives the true links
among accepted and among all scored pairs, hence precision and recall among compared pairs,
with 95% intervals by simulation. Recall over all true links also counts the links blocking
never compared (``quality.json``'s estimate), which no label can reach.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lantern.errors import InputError

KEYS = ["release_id_l", "release_id_r"]
BAND_WIDTH = 2.0
NEAR = 10.0  # bits of match weight either side of the threshold that get their own bands
MIN_PER_BAND = 3
LABEL = "is_match"
TRUE_LABELS = {"1", "y", "yes", "true", "match", "same"}
FALSE_LABELS = {"0", "n", "no", "false", "non-match", "different"}


def bands(pairs: pd.DataFrame, threshold: float = 0.95) -> pd.Series:
    """Stratum of each pair: accepted (a link) or rejected, then a band of match weight.

    Bands are ``BAND_WIDTH`` wide within ``NEAR`` of the threshold's match weight; beyond that,
    one band on each side holds the pairs the model is sure of.
    """
    side = np.where(pairs["accepted"], "accepted", "rejected")
    centre = math.log2(threshold / (1 - threshold))
    weight = pairs["match_weight"].replace([np.inf], 99.0).clip(-99, 99)
    lo = np.floor((weight - centre) / BAND_WIDTH) * BAND_WIDTH + centre
    names = []
    for s, w, a in zip(side, weight, lo, strict=True):
        if w >= centre + NEAR:
            names.append(f"{s} [{centre + NEAR:+.1f}, +inf)")
        elif w < centre - NEAR:
            names.append(f"{s} (-inf, {centre - NEAR:+.1f})")
        else:
            names.append(f"{s} [{a:+.1f}, {a + BAND_WIDTH:+.1f})")
    return pd.Series(names, index=pairs.index)


def allocate(sizes: pd.Series, uncertainty: pd.Series, total: int) -> pd.Series:
    """Sample size per stratum: ``MIN_PER_BAND`` each, the rest by ``N_h × sqrt(p(1-p))``."""
    base = np.minimum(sizes, MIN_PER_BAND)
    rest = max(total - int(base.sum()), 0)
    # a floor on p(1-p): the model's certainty is what is being checked, so sure bands still
    # get labels in proportion to their size
    score = sizes * np.sqrt(uncertainty.fillna(0.0).clip(lower=0.01))
    extra = np.floor(rest * score / score.sum()) if score.sum() > 0 else score * 0
    return np.minimum(base + extra.astype(int), sizes).astype(int)


def sample_pairs(
    pairs: pd.DataFrame,
    partner_of: Mapping[str, str],
    comparisons: Sequence[Mapping[str, Any]],
    *,
    threshold: float = 0.95,
    size: int = 200,
    seed: int = 42,
) -> pd.DataFrame:
    """A stratified sample for labelling: ids, partners, weights and agreement levels only."""
    if pairs.empty:
        raise InputError("no scored pairs to review")
    strata = bands(pairs, threshold)
    p = pairs["match_probability"].clip(0, 1)
    sizes = strata.value_counts().sort_index()
    uncertainty = (p * (1 - p)).groupby(strata).mean().reindex(sizes.index)
    take = allocate(sizes, uncertainty, size)
    rng = np.random.default_rng(seed)
    chosen = []
    for stratum, n in take.items():
        idx = np.flatnonzero((strata == stratum).to_numpy())
        chosen.extend(rng.choice(idx, size=int(n), replace=False).tolist())
    out = pairs.iloc[sorted(chosen)].copy()
    out.insert(0, "stratum", strata.iloc[sorted(chosen)].to_numpy())
    out.insert(0, "pair", [f"pair-{i:04d}" for i in range(1, len(out) + 1)])
    out.insert(3, "partner_l", out["release_id_l"].map(partner_of))
    out.insert(5, "partner_r", out["release_id_r"].map(partner_of))
    for comparison in comparisons:
        name = str(comparison["output_column_name"])
        labels = [
            str(lv.get("label_for_charts", i))
            for i, lv in enumerate(comparison["comparison_levels"])
        ]
        col = f"level_{name}"
        if col in out:
            out[name] = [labels[i] if 0 <= i < len(labels) else "unknown" for i in out.pop(col)]
    out = out.drop(columns=[c for c in out.columns if c.startswith("level_")] + ["accepted"])
    out["match_weight"] = out["match_weight"].round(3)
    out["match_probability"] = out["match_probability"].round(6)
    out[LABEL] = ""
    return out.reset_index(drop=True)


def read_labels(path: str | Path) -> pd.DataFrame:
    """A labelled sample: every row's ``is_match`` must be 1/0 (yes/no); blanks are refused."""
    path = Path(path)
    if not path.exists():
        raise InputError("labelled sample not found", file=path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"stratum", *KEYS, LABEL} - set(frame.columns)
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(sorted(missing))}: not a review sample", file=path
        )
    labels = frame[LABEL].str.strip().str.lower()
    bad = ~labels.isin(TRUE_LABELS | FALSE_LABELS)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise InputError(
            f"{int(bad.sum())} pair(s) not labelled 1 (same person) or 0 (not)",
            file=path,
            row=row,
            column=LABEL,
        )
    return frame.assign(**{LABEL: labels.isin(TRUE_LABELS)})


def estimate(
    pairs: pd.DataFrame,
    labelled: pd.DataFrame,
    *,
    threshold: float = 0.95,
    never_compared: float = 0.0,
    draws: int = 4_000,
    seed: int = 0,
) -> dict[str, Any]:
    """Precision and recall from labels, stratum by stratum, with 95% intervals."""
    strata = bands(pairs, threshold)
    sizes = strata.value_counts()
    known = pairs.assign(stratum=strata)[[*KEYS, "stratum"]]
    merged = labelled[[*KEYS, LABEL]].merge(known, on=KEYS, how="left")
    if merged["stratum"].isna().any():
        raise InputError("labelled pairs not among this run's scored pairs (another run?)")
    counts = merged.groupby("stratum")[LABEL].agg(["size", "sum"])
    unlabelled = sorted(set(sizes.index) - set(counts.index))
    rng = np.random.default_rng(seed)
    names = list(sizes.index)
    n_h = sizes.to_numpy(dtype=float)
    is_acc = np.array([s.startswith("accepted") for s in names])
    n = counts["size"].reindex(names).fillna(0).to_numpy(dtype=float)
    t = counts["sum"].reindex(names).fillna(0).to_numpy(dtype=float)
    mean_p = pairs.groupby(strata)["match_probability"].mean().reindex(names).to_numpy()
    share = np.where(n > 0, t / np.where(n > 0, n, 1), mean_p)

    def draw(high: np.ndarray) -> np.ndarray:
        """Per-stratum shares, drawn from the Clopper-Pearson side: ``Beta(t+1, n-t)`` where
        ``high`` (an upper bound), else ``Beta(t, n-t+1)``; unlabelled strata 0 or 1."""
        a = np.where(high, t + 1, t)
        b = np.where(high, n - t, n - t + 1)
        out = np.where(high, 1.0, 0.0) * np.ones((draws, len(names)))
        ok = (a > 0) & (b > 0) & (n > 0)
        out[:, ok] = rng.beta(a[ok], b[ok], (draws, int(ok.sum())))
        return out

    lost = max(never_compared, 0.0)
    n_accepted = float(n_h[is_acc].sum())

    def measures(shares: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        true_acc = (shares * n_h * is_acc).sum(axis=-1)
        true_all = (shares * n_h).sum(axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = true_acc / n_accepted if n_accepted else np.ones_like(true_acc)
            recall_scored = np.where(true_all > 0, true_acc / true_all, 1.0)
            recall_all = np.where(true_all + lost > 0, true_acc / (true_all + lost), 1.0)
        return precision, recall_scored, recall_all

    point = measures(share)
    high_acc, low_acc = draw(np.ones(len(names), bool)), draw(np.zeros(len(names), bool))
    # precision rises with the accepted strata's shares; recall also falls with the rejected ones
    p_lo, _, _ = measures(low_acc)
    p_hi, _, _ = measures(high_acc)
    _, rs_lo, ra_lo = measures(np.where(is_acc, low_acc, draw(np.ones(len(names), bool))))
    _, rs_hi, ra_hi = measures(np.where(is_acc, high_acc, draw(np.zeros(len(names), bool))))

    def interval(est: float, low: np.ndarray, high: np.ndarray) -> dict[str, float]:
        lo, hi = float(np.quantile(low, 0.025)), float(np.quantile(high, 0.975))
        return {"estimate": round(float(est), 6), "low": round(min(lo, est), 6),
                "high": round(max(hi, est), 6)}  # fmt: skip

    return {
        "labelled_pairs": int(len(merged)),
        "labelled_true": int(merged[LABEL].sum()),
        "strata": int(len(sizes)),
        "strata_without_labels": unlabelled,
        "accepted_pairs": int(n_accepted),
        "scored_pairs": int(len(pairs)),
        "precision": interval(float(point[0]), p_lo, p_hi),
        "recall_among_compared_pairs": interval(float(point[1]), rs_lo, rs_hi),
        "estimated_true_links_never_compared": round(lost, 3),
        "recall": interval(float(point[2]), ra_lo, ra_hi),
        "method": "stratified by match-weight band; each band's share of true links from its "
        "labels (Clopper-Pearson sides, simulated); unlabelled bands anywhere from 0 to 1",
    }


def _load(out_dir: Path, storage_key: bytes, release: str) -> tuple[pd.DataFrame, pd.Series]:
    from lantern.linkage import crypto
    from lantern.linkage.link import out_paths
    from lantern.linkage.pseudonymise import file_label

    paths = out_paths(out_dir)
    for key in ("pairs", "links", "persons"):
        if not paths[key].exists():
            raise InputError(
                "not found: is this the output folder of `lantern link`?", file=paths[key]
            )
    pairs = crypto.read_frame(paths["pairs"], storage_key, file_label(release, "hub", "pairs"))
    links = crypto.read_frame(paths["links"], storage_key, file_label(release, "hub", "links"))
    persons = crypto.read_frame(
        paths["persons"], storage_key, file_label(release, "hub", "persons")
    )
    linked = pd.MultiIndex.from_frame(links[KEYS])
    pairs["accepted"] = pd.MultiIndex.from_frame(pairs[KEYS]).isin(linked)
    return pairs, persons.set_index("release_id")["partner"]


def _threshold(out_dir: Path) -> float:
    path = out_dir / "quality.json"
    quality = json.loads(path.read_text("utf-8")) if path.exists() else {}
    return float(quality.get("threshold_match_probability", 0.95))


def export_sample(
    out_dir: str | Path, *, storage_key: bytes, release: str, sample: str | Path,
    size: int = 200, seed: int = 42,
) -> pd.DataFrame:  # fmt: skip
    """Write a sample of a link run's scored pairs to label (CSV, no identifiers)."""
    out_dir, sample = Path(out_dir), Path(sample)
    pairs, partner_of = _load(out_dir, storage_key, release)
    settings = json.loads((out_dir / "settings.json").read_text("utf-8"))
    frame = sample_pairs(
        pairs, partner_of, settings["comparisons"], threshold=_threshold(out_dir), size=size,
        seed=seed,
    )  # fmt: skip
    sample.parent.mkdir(parents=True, exist_ok=True)
    tmp = sample.with_name(sample.name + ".tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(sample)
    return frame


def report(
    out_dir: str | Path, *, storage_key: bytes, release: str, labels: str | Path
) -> dict[str, Any]:
    """Precision and recall from a labelled sample; written to ``review.json`` in the folder."""
    out_dir = Path(out_dir)
    pairs, _ = _load(out_dir, storage_key, release)
    quality_path = out_dir / "quality.json"
    quality = json.loads(quality_path.read_text("utf-8")) if quality_path.exists() else {}
    result = estimate(
        pairs,
        read_labels(labels),
        threshold=_threshold(out_dir),
        never_compared=float(quality.get("estimated_true_links_never_compared") or 0.0),
    )
    (out_dir / "review.json").write_text(json.dumps(result, indent=2), "utf-8")
    return result
