"""Hub side: link partners' token files with Splink, cluster to persons, report quality.

Reads a batch folder of encrypted token files and their manifests, checks them against the
agreement and their checksums, removes objectors again, links (DuckDB by default, Spark for
data that outgrows one machine) and writes, into the output folder: ``persons.lnt`` (release
record id, partner, person id; encrypted), ``links.lnt`` (accepted pairs; encrypted),
``settings.json`` (the trained model, reusable on either backend) and ``quality.json``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd

from lantern import __version__
from lantern.audit import AuditLog
from lantern.errors import InputError, IntegrityError
from lantern.governance.agreement import Agreement, IdentifierKind
from lantern.governance.manifest import check_manifest
from lantern.governance.purposes import authorise_run, require_party
from lantern.governance.retention import bind_batch, record_data_roots
from lantern.keys.placement import mark_data_folder, require_data_location
from lantern.linkage import crypto
from lantern.linkage.engine import duckdb_api, run_splink, spark_api
from lantern.linkage.keystore import ReleaseKeys
from lantern.linkage.objections import objector_mask
from lantern.linkage.pseudonymise import PARTNER, RELEASE_ID, file_label, release_paths, sha256_file
from lantern.linkage.quality import quality_report
from lantern.linkage.settings import blocking_candidates, build_settings, deterministic_rules

log = logging.getLogger(__name__)
Backend = Literal["duckdb", "spark"]
BACKENDS: tuple[str, ...] = get_args(Backend)


@dataclass
class ReleaseFile:
    partner: str
    manifest: dict[str, Any]
    tokens_path: Path
    attributes_path: Path


@dataclass
class LinkResult:
    persons: pd.DataFrame
    links: pd.DataFrame
    quality: dict[str, Any]
    out_dir: Path


def out_paths(out_dir: str | Path) -> dict[str, Path]:
    out = Path(out_dir)
    return {
        "persons": out / "persons.lnt",
        "links": out / "links.lnt",
        "pairs": out / "pairs.lnt",
        "settings": out / "settings.json",
        "quality": out / "quality.json",
    }


def discover_release(
    release_dir: str | Path,
    agreement: Agreement,
    release: str,
    *,
    purpose: str | None = None,
    storage_key: bytes | None = None,
) -> list[ReleaseFile]:
    """Every partner's files in a batch folder, checked against the agreement, the purpose they
    were made for (authenticated with the storage key) and their checksums."""
    folder = Path(release_dir)
    manifests = sorted(folder.glob("*.manifest.json"))
    if not manifests:
        raise InputError("no *.manifest.json files: is this a batch folder?", file=folder)
    files = []
    for path in manifests:
        manifest = json.loads(path.read_text("utf-8"))
        partner = manifest.get("partner", "")
        check_manifest(
            manifest, path, agreement_id=agreement.id, release=release, purpose=purpose,
            storage_key=storage_key,
        )  # fmt: skip
        require_party(agreement, partner)
        paths = release_paths(folder, partner)
        for key in ("tokens", "attributes"):
            expected = manifest["sha256"].get(paths[key].name)
            if not paths[key].exists():
                raise InputError("file named in the manifest is missing", file=paths[key])
            if sha256_file(paths[key]) != expected:
                raise IntegrityError(
                    f"{paths[key]}: checksum does not match its manifest (altered or replaced)"
                )
        files.append(ReleaseFile(partner, manifest, paths["tokens"], paths["attributes"]))
    return files


def _strong_identifiers(agreement: Agreement) -> list[str]:
    return sorted({f.name for f in agreement.fields if f.kind is IdentifierKind.IDENTIFIER})


def link(
    *,
    agreement: Agreement,
    purpose: str,
    release_dir: str | Path,
    keys: ReleaseKeys,
    out_dir: str | Path,
    audit_log: str | Path,
    register: dict[str, set[str]] | None = None,
    backend: Backend = "duckdb",
    spark: Any | None = None,
    link_type: str | None = None,
    model: str | Path | None = None,
    threshold: float = 0.95,
    seed: int = 42,
    max_pairs: float = 2e6,
    extra_blocking: Sequence[Sequence[str]] = (),
    today: date | None = None,
) -> LinkResult:
    """Link every partner file of one release; write persons, links, model and quality report."""
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}; use one of: {', '.join(BACKENDS)}")
    authorise_run(agreement, purpose=purpose, today=today)
    files = discover_release(
        release_dir, agreement, keys.release, purpose=purpose, storage_key=keys.storage_key
    )
    require_data_location(out_dir, *([keys.store_root] if keys.store_root else []))
    bind_batch(keys, agreement)
    frames: dict[str, pd.DataFrame] = {}
    removed: dict[str, int] = {}
    partner_of: list[pd.Series] = []
    inputs: dict[str, str] = {}
    rows_in = 0
    for rf in files:
        tokens = crypto.read_frame(
            rf.tokens_path,
            keys.storage_key,
            file_label(keys.release, rf.partner, "tokens"),
            purpose=purpose,
        )
        inputs[rf.tokens_path.name] = rf.manifest["sha256"][rf.tokens_path.name]
        rows_in += len(tokens)
        mask = objector_mask(tokens, register or {})
        removed[rf.partner] = int(mask.sum())
        tokens = tokens.loc[~mask].reset_index(drop=True)
        partner_of.append(pd.Series(rf.partner, index=tokens[RELEASE_ID]))
        frames["p_" + rf.partner.replace("-", "_")] = tokens.drop(columns=[PARTNER])
    partner_map = pd.concat(partner_of)
    if partner_map.index.duplicated().any():
        raise IntegrityError("release record ids repeat across partner files; pseudonymise again")
    # A field some partners lack (e.g. no NHS number in police records) is missing, not different.
    columns = set.union(*(set(f.columns) for f in frames.values())) - {RELEASE_ID}
    for name, frame in frames.items():
        for col in sorted(columns - set(frame.columns)):
            frame[col] = pd.Series(pd.NA, index=frame.index, dtype="string")
        frames[name] = frame[[RELEASE_ID, *sorted(columns)]]
    if model is not None:
        settings = json.loads(Path(model).read_text("utf-8"))
    else:
        kind = link_type or ("dedupe_only" if len(frames) == 1 else "link_and_dedupe")
        settings = build_settings(columns, link_type=kind)
    blocking = blocking_candidates(columns, _strong_identifiers(agreement), extra_blocking)
    if settings["link_type"] == "dedupe_only" and len(frames) != 1:
        raise InputError("dedupe_only needs exactly one partner file", file=release_dir)
    db_api = spark_api(spark) if backend == "spark" else duckdb_api()
    result = run_splink(
        frames,
        settings,
        db_api=db_api,
        deterministic=deterministic_rules(columns, _strong_identifiers(agreement)),
        threshold=threshold,
        seed=seed,
        max_pairs=max_pairs,
        trained=model is not None,
        blocking=blocking,
    )
    persons = result.persons.assign(partner=result.persons[RELEASE_ID].map(partner_map))[
        [RELEASE_ID, PARTNER, "person_id"]
    ]
    quality = quality_report(
        scored=result.scored,
        links=result.links,
        persons=result.persons,
        partner_of=partner_map,
        threshold=threshold,
        removed_objectors=removed,
        link_type=settings["link_type"],
        blocking_miss=result.blocking_miss,
    )
    quality.update(
        agreement=agreement.id,
        release=keys.release,
        purpose=purpose,
        backend=backend,
        link_type=settings["link_type"],
        blocking_rules=result.blocking,
    )
    log.info(
        "linked %d records from %d partner file(s) on %s: %d links, %d persons, %d objectors removed",
        len(persons),
        len(frames),
        backend,
        len(result.links),
        quality["persons"],
        sum(removed.values()),
    )
    paths = out_paths(out_dir)
    mark_data_folder(out_dir, "linkage hub output")
    record_data_roots(keys, [out_dir, release_dir])
    meta = {"project": keys.project, "batch": keys.release, "agreement": agreement.id,
            "purpose": purpose, "party": "hub"}  # fmt: skip
    crypto.write_frame(
        persons, paths["persons"], keys.storage_key, file_label(keys.release, "hub", "persons"),
        {**meta, "kind": "persons"},
    )  # fmt: skip
    crypto.write_frame(
        result.links, paths["links"], keys.storage_key, file_label(keys.release, "hub", "links"),
        {**meta, "kind": "links"},
    )  # fmt: skip
    crypto.write_frame(
        result.scored, paths["pairs"], keys.storage_key, file_label(keys.release, "hub", "pairs"),
        {**meta, "kind": "pairs"},
    )  # fmt: skip
    paths["settings"].write_text(json.dumps(result.model, indent=2), "utf-8")
    paths["quality"].write_text(json.dumps(quality, indent=2), "utf-8")
    AuditLog(audit_log, key=keys.audit_key).append(
        "link",
        agreement=agreement.id,
        purpose=purpose,
        release=keys.release,
        backend=backend,
        code_version=__version__,
        inputs=inputs,
        outputs={p.name: sha256_file(p) for p in paths.values()},
        rows_in=rows_in,
        rows_out=len(persons),
        removed_objectors=sum(removed.values()),
        links=len(result.links),
        persons=quality["persons"],
    )
    return LinkResult(persons, result.links, quality, Path(out_dir))
