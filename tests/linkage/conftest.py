"""Session-scoped linkage runs on FEBRL (data no person owns), shared by the tests."""

from __future__ import annotations

import importlib.util
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from lantern.linkage import crypto
from lantern.linkage.keystore import KeyStore, ReleaseKeys
from lantern.linkage.link import LinkResult
from lantern.linkage.pseudonymise import file_label


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


ROOT = Path(__file__).resolve().parents[2]


def febrl_bench():
    """``bench/febrl_cli.py``: the FEBRL extracts, the documented commands, the scoring."""
    spec = importlib.util.spec_from_file_location("febrl_cli", ROOT / "bench" / "febrl_cli.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _documented_run(base: Path, name: str) -> TokenRun:
    """Run one FEBRL set through exactly the commands docs/linkage.md gives, in-process."""
    from lantern.cli import main

    febrl = febrl_bench()
    root = base / name
    frames = febrl.write_extracts(root, name)
    _, truth = febrl.load(name)
    (root / "hub-out").mkdir(parents=True)
    handler = _FileLog(root / "hub-out" / "run.log")
    logging.getLogger().addHandler(handler)
    previous = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    cwd = Path.cwd()
    os.chdir(base)
    agreement_path = ROOT / febrl.AGREEMENT
    try:
        for argv in febrl.documented_commands(name):
            argv = [str(agreement_path) if a == febrl.AGREEMENT else a for a in argv]
            assert main(argv) == 0, argv
    finally:
        os.chdir(cwd)
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(previous)
        handler.fh.close()
    partner_keys, hub_keys = KeyStore(root / "partner-keys"), KeyStore(root / "hub-keys")
    keys = partner_keys.load("febrl", "r1")
    persons, keymap, quality = febrl.read_run(root, list(frames))
    out_dir = root / "hub-out"
    links = crypto.read_frame(
        out_dir / "links.lnt", keys.storage_key, file_label("r1", "hub", "links")
    )
    return TokenRun(
        root,
        agreement_path,
        partner_keys,
        hub_keys,
        keys,
        root / "release",
        out_dir,
        keymap,
        LinkResult(persons, links, quality, out_dir),
        frames,
        truth,
    )


@pytest.fixture(scope="session")
def febrl_runs(tmp_path_factory: pytest.TempPathFactory):
    """FEBRL1-4, each linked once per test session, on first use."""
    base = tmp_path_factory.mktemp("febrl")
    runs: dict[str, TokenRun] = {}

    def get(name: str) -> TokenRun:
        if name not in runs:
            runs[name] = _documented_run(base, name)
        return runs[name]

    return get


@pytest.fixture(scope="session")
def febrl4_tokens(febrl_runs) -> TokenRun:
    return febrl_runs("febrl4")


@pytest.fixture(scope="session")
def febrl3_tokens(febrl_runs) -> TokenRun:
    return febrl_runs("febrl3")
