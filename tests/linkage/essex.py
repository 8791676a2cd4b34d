"""A synthetic three-partner Essex run under the example agreement (no real person)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from lantern.governance import Agreement, load_agreement
from lantern.linkage import crypto
from lantern.linkage.keystore import KeyStore, ReleaseKeys
from lantern.linkage.link import LinkResult, link
from lantern.linkage.objections import load_register
from lantern.linkage.pseudonymise import file_label, pseudonymise
from lantern.linkage.synthetic import partner_extract, synthetic_people
from lantern.paths import BUNDLED_ESSEX, repo_root

EXAMPLE = (repo_root() or Path.cwd()) / "examples" / "agreements" / "essex-covid-vulnerability.yaml"
NSPL = BUNDLED_ESSEX / "postcodes" / "nspl_derived_essex.csv"
TODAY = date(2026, 6, 1)  # inside the example agreement's term
PURPOSE = "covid-vulnerability-targeting"
ATTRIBUTES = {
    "ecc-asc": ["lives_alone", "receives_care_package"],
    "nhs-mse": ["clinically_extremely_vulnerable", "severe_frailty"],
    "essex-police": ["vulnerable_adult_concern"],
}
SHARE = {"ecc-asc": 0.45, "nhs-mse": 0.7, "essex-police": 0.15}


def essex_postcodes() -> list[str]:
    return pd.read_csv(NSPL, usecols=["pcds"])["pcds"].tolist()


@dataclass
class EssexData:
    people: pd.DataFrame
    extracts: dict[str, pd.DataFrame]  # with the ``person`` truth column
    cleaned_list: set[str]


def essex_data(n: int = 600, seed: int = 7) -> EssexData:
    postcodes = essex_postcodes()
    people = synthetic_people(n, postcodes=postcodes, seed=seed)
    rng = np.random.default_rng(seed)
    extracts = {}
    for i, (partner, share) in enumerate(SHARE.items()):
        frame = partner_extract(
            people, fraction=share, seed=seed * 10 + i, error_rate=0.08,
            with_nhs_number=partner != "essex-police", moved_postcodes=postcodes,
        )  # fmt: skip
        if partner == "essex-police":
            frame = frame.drop(columns=["sex"])
        for attr in ATTRIBUTES[partner]:
            frame[attr] = np.where(rng.random(len(frame)) < 0.5, "true", "false")
        extracts[partner] = frame
    opted_out = set(people["nhs_number"].sample(frac=0.05, random_state=seed))
    return EssexData(people, extracts, set(people["nhs_number"]) - opted_out)


@dataclass
class EssexRun:
    agreement: Agreement
    keys: ReleaseKeys
    result: LinkResult
    keymap: pd.Series  # release id -> record id
    release_dir: Path
    out_dir: Path


def run_essex(
    root: Path,
    data: EssexData,
    keys: ReleaseKeys,
    *,
    drop_people: set[int] = frozenset(),  # type: ignore[assignment]
    register: Path | None = None,
    partner_register: bool = True,
) -> EssexRun:
    """Pseudonymise every partner extract, then link, as each party would."""
    from lantern.geography.postcodes import PostcodeLookup

    agreement = load_agreement(EXAMPLE)
    lookup = PostcodeLookup.from_file(NSPL)
    reg = load_register(register, keys.release) if register else None
    keymaps = []
    release_dir = root / "release"
    root.mkdir(parents=True, exist_ok=True)
    for partner, frame in data.extracts.items():
        extract = root / f"{partner}.csv"
        frame[~frame["person"].isin(drop_people)].drop(columns=["person"]).to_csv(
            extract, index=False
        )
        keymap_path = root / f"{partner}-private" / "keymap.lnt"
        pseudonymise(
            agreement=agreement, partner=partner, purpose=PURPOSE, extract=extract, keys=keys,
            out_dir=release_dir, keymap_path=keymap_path, audit_log=root / f"{partner}-private" / "audit.jsonl",
            register=reg if partner_register else None,
            cleaned_list=data.cleaned_list if partner == "nhs-mse" else None,
            lsoa_for=lookup.lsoa_for, today=TODAY,
        )  # fmt: skip
        km = crypto.read_frame(
            keymap_path, keys.storage_key, file_label(keys.release, partner, "keymap")
        )
        keymaps.append(km.set_index("release_id")["record_id"])
    result = link(
        agreement=agreement, purpose=PURPOSE, release_dir=release_dir, keys=keys, out_dir=root / "hub",
        audit_log=root / "hub-audit.jsonl", register=reg, today=TODAY,
    )  # fmt: skip
    return EssexRun(agreement, keys, result, pd.concat(keymaps), release_dir, root / "hub")


def new_keys(root: Path, release: str = "2026-06") -> ReleaseKeys:
    return KeyStore(root).create("essex-covid", release)
