"""Shared fixtures: where the England-wide official files are, and the bundled sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from lantern.paths import BUNDLED_ESSEX, shared_data_dir

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="session", autouse=True)
def local_key_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This machine's key store (``$LANTERN_KEYS``) in a temporary folder, never the user's own."""
    import os

    path = tmp_path_factory.mktemp("local-keys")
    os.environ["LANTERN_KEYS"] = str(path)
    # Session-scoped fixtures keep their release history in the run's temporary folder too.
    os.environ["LANTERN_DISCLOSURE_HISTORY_DIR"] = str(tmp_path_factory.mktemp("session-history"))
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (or ``$LANTERN_SHARED_DATA``); skip with a reason when absent."""
    path = shared_data_dir()
    if path is None:
        pytest.skip(
            "England-wide open data not found: set LANTERN_SHARED_DATA or place ../shared/data beside the repo"
        )
    return path


@pytest.fixture(scope="session")
def bundled_essex() -> Path:
    return BUNDLED_ESSEX


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Folder for screenshots and reports a person can look at after the run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module", autouse=True)
def _module_release_history(tmp_path_factory):
    """Module-scoped fixtures get their module's own release history too, never ``./out``."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LANTERN_DISCLOSURE_HISTORY_DIR", str(tmp_path_factory.mktemp("module-history")))
        yield


@pytest.fixture(autouse=True)
def _release_history(tmp_path_factory, monkeypatch):
    """Each test gets its own project release history (the gate keeps it outside release folders)."""
    monkeypatch.setenv(
        "LANTERN_DISCLOSURE_HISTORY_DIR", str(tmp_path_factory.mktemp("release-history"))
    )
