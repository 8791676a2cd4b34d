"""``fetch``: download official files into a local cache, verifying SHA-256 before keeping them.

Each file is streamed to a temporary name in the cache folder and renamed into place only when
its checksum matches the one pinned in the registry, so a failed or refused download never
leaves a half-written or unverified file behind. The cache has the same layout as the data
folder, so it can be used directly as ``data_dir``.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from lantern.errors import InputError, IntegrityError
from lantern.pipeline.progress import Progress, or_quiet
from lantern.sources import CHECKSUMS, SOURCES, Source

CHUNK = 1 << 16


@dataclass(frozen=True)
class FetchItem:
    """One file to fetch: its path in the data layout, where to get it, its pinned checksum."""

    path: str
    url: str | None
    sha256: str | None
    source_id: str


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/lantern`` or ``~/.cache/lantern``."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "lantern"


def plan(
    sources: Iterable[Source] = SOURCES, *, mirror: str | None = None, lookups: bool = True
) -> list[FetchItem]:
    """The files to fetch: each source's files, plus the lookups and boundaries when ``lookups``.

    With ``mirror`` (a base URL serving the data layout) every file comes from
    ``<mirror>/<path>``; otherwise from the publisher download URL in the registry, where the
    publisher offers the file byte-for-byte.
    """
    items: list[FetchItem] = []
    seen: set[str] = set()

    def add(path: str, url: str | None, source_id: str) -> None:
        if path in seen:
            return
        seen.add(path)
        if mirror:
            url = mirror.rstrip("/") + "/" + path
        items.append(FetchItem(path, url, CHECKSUMS.get(path), source_id))

    for source in sources:
        add(source.path, source.download_url, source.source_id)
        for extra in source.extra_paths:
            add(extra, None, source.source_id)
    if lookups:
        for path in CHECKSUMS:
            if path.startswith(("lookups/", "boundaries/")):
                add(path, None, "geography")
    return items


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download(
    url: str,
    dest: Path,
    *,
    sha256: str | None,
    client: httpx.Client,
    on_bytes: Callable[[int], None] | None = None,
) -> Path:
    """Stream ``url`` to ``dest`` atomically; refuse (and keep nothing) on a checksum mismatch."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
    digest = hashlib.sha256()
    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise InputError(
                    f"download failed: HTTP {response.status_code} from {url}", file=dest.name
                )
            with part.open("wb") as fh:
                for block in response.iter_bytes(CHUNK):
                    fh.write(block)
                    digest.update(block)
                    if on_bytes:
                        on_bytes(len(block))
        got = digest.hexdigest()
        if sha256 is not None and got != sha256:
            raise IntegrityError(
                f"{dest.name}: checksum mismatch from {url}: expected sha256 {sha256}, got {got}; "
                "the download was refused and nothing was kept"
            )
        os.replace(part, dest)
        return dest
    except httpx.HTTPError as exc:
        raise InputError(
            f"download failed from {url}: {type(exc).__name__}: {exc}", file=dest.name
        ) from exc
    finally:
        with suppress(FileNotFoundError):
            part.unlink()


@dataclass
class FetchReport:
    fetched: list[str]
    cached: list[str]
    unavailable: list[str]


@dataclass(frozen=True)
class FetchSettings:
    """What ``lantern fetch`` downloads: ``source_ids`` (empty: every source, with the lookups and
    boundaries) into ``cache`` (default :func:`default_cache`), optionally from a ``mirror``."""

    source_ids: tuple[str, ...] = ()
    cache: Path | None = None
    mirror: str | None = None


def fetch(
    config: FetchSettings, *, progress: Progress | None = None, client: httpx.Client | None = None
) -> FetchReport:
    """Fetch every planned file not already cached with the right checksum into the cache."""
    from lantern.errors import ConfigError
    from lantern.sources import get_source

    try:
        chosen = [get_source(s) for s in config.source_ids] if config.source_ids else SOURCES
    except KeyError as exc:
        raise ConfigError("fetch", [str(exc.args[0])]) from None
    items = plan(chosen, mirror=config.mirror, lookups=not config.source_ids)
    say = or_quiet(progress)
    return fetch_items(
        items,
        Path(config.cache or default_cache()),
        client=client,
        on_item=lambda n, item: say(item.path, step=n, of=len(items)),
    )


def fetch_items(
    items: Sequence[FetchItem],
    cache: Path,
    *,
    client: httpx.Client | None = None,
    on_item: Callable[[int, FetchItem], None] | None = None,
) -> FetchReport:
    """Fetch every item not already cached with the right checksum."""
    report = FetchReport([], [], [])
    own = client is None
    client = client or httpx.Client(
        follow_redirects=True, timeout=httpx.Timeout(60.0, connect=10.0)
    )
    try:
        for n, item in enumerate(items):
            if on_item:
                on_item(n, item)
            dest = Path(cache) / item.path
            if dest.exists() and (item.sha256 is None or sha256_of(dest) == item.sha256):
                report.cached.append(item.path)
                continue
            if item.url is None:
                report.unavailable.append(item.path)
                continue
            download(item.url, dest, sha256=item.sha256, client=client)
            report.fetched.append(item.path)
    finally:
        if own:
            client.close()
    return report
