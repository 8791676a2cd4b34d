"""Partner side: turn an extract into keyed tokens, attributes and a private key map.

``pseudonymise_frame`` is the pure core (frame in, frames out); ``pseudonymise`` is the use
case a partner runs on its own machine: it checks the agreement, reads the extract, removes
objectors, writes encrypted token and attribute files joined by a random per-release record id,
keeps the key map (own record id -> release id) for the partner alone, and appends an audit entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from lantern import __version__
from lantern.audit import AuditLog
from lantern.errors import InputError
from lantern.governance.agreement import Agreement, AgreementField, FieldClass
from lantern.governance.manifest import seal_manifest
from lantern.governance.purposes import authorise_run, require_fields
from lantern.governance.retention import bind_batch, record_data_roots
from lantern.keys.placement import mark_data_folder, require_data_location
from lantern.keys.store import ReleaseKeys
from lantern.linkage import crypto
from lantern.linkage.normalise import normalise_series
from lantern.linkage.objections import objector_mask
from lantern.linkage.tokens import Tokeniser, composite_tokens, variants

log = logging.getLogger(__name__)
RELEASE_ID = "release_id"
PARTNER = "partner"
LSOA = "lsoa_code"


@dataclass
class PseudonymiseStats:
    rows_in: int
    rows_out: int = 0
    removed_objection_register: int = 0
    removed_national_opt_out: int = 0
    removed_no_nhs_number: int = 0
    unusable_values: dict[str, int] = field(default_factory=dict)
    lsoa_found: int = 0


@dataclass
class Pseudonymised:
    tokens: pd.DataFrame
    attributes: pd.DataFrame
    keymap: pd.DataFrame
    stats: PseudonymiseStats


def file_label(release: str, partner: str, kind: str) -> str:
    return f"{release}/{partner}/{kind}"


def release_paths(folder: str | Path, partner: str) -> dict[str, Path]:
    folder = Path(folder)
    return {
        "tokens": folder / f"{partner}.tokens.lnt",
        "attributes": folder / f"{partner}.attributes.lnt",
        "manifest": folder / f"{partner}.manifest.json",
    }


def _random_ids(n: int) -> list[str]:
    """``n`` distinct random 64-bit ids in hex, drawn again on the rare collision."""
    while True:
        raw = secrets.token_bytes(8 * n).hex()
        ids = [raw[i : i + 16] for i in range(0, 16 * n, 16)]
        if len(set(ids)) == n:
            return ids


def pseudonymise_frame(
    frame: pd.DataFrame,
    fields: list[AgreementField],
    tokeniser: Tokeniser,
    *,
    partner: str,
    id_column: str,
    register: dict[str, set[str]] | None = None,
    cleaned_list: set[str] | None = None,
    lsoa_for: Callable[[str], str | None] | None = None,
) -> Pseudonymised:
    """Normalise, tokenise and split one extract; drop objectors and opted-out people."""
    stats = PseudonymiseStats(rows_in=len(frame))
    normalised: dict[str, pd.Series] = {}
    by_kind: dict[str, str] = {}
    tokens = pd.DataFrame(index=frame.index)
    for f in fields:
        if f.field_class is FieldClass.ATTRIBUTE or f.kind is None:
            continue
        if f.kind.value in by_kind and f.kind.value not in ("identifier", "text"):
            raise InputError(f"two columns have kind {f.kind.value!r}; keep one", column=f.name)
        norm = normalise_series(frame[f.name], f.kind.value)
        stats.unusable_values[f.name] = int((frame[f.name].notna() & norm.isna()).sum())
        normalised[f.kind.value if f.kind.value not in ("identifier", "text") else f.name] = norm
        by_kind[f.kind.value] = f.name
        for column, (domain, values) in variants(f.kind.value, f.name, norm).items():
            tokens[column] = tokeniser.token_series(domain, values)
    for column, values in composite_tokens(tokeniser, normalised).items():
        tokens[column] = values

    keep = np.ones(len(frame), dtype=bool)
    if register:
        objecting = objector_mask(tokens, register)
        stats.removed_objection_register = int(objecting.sum())
        keep &= ~objecting
    if cleaned_list is not None:
        if "nhs_number" not in normalised:
            raise InputError(
                "the NHS opt-out applies to this partner but its extract has no NHS number field"
            )
        nhs = normalised["nhs_number"]
        checkable = nhs.notna().to_numpy()
        allowed = nhs.isin(cleaned_list).to_numpy()
        # Opted out: a valid NHS number that NHS England's cleaned list leaves out. A record
        # with no usable NHS number cannot be checked, so it is withheld too, but counted apart.
        stats.removed_national_opt_out = int((keep & checkable & ~allowed).sum())
        stats.removed_no_nhs_number = int((keep & ~checkable).sum())
        keep &= allowed

    ids = pd.Series(_random_ids(int(keep.sum())), dtype=object)
    tokens = tokens.loc[keep].reset_index(drop=True)
    tokens.insert(0, PARTNER, partner)
    tokens.insert(0, RELEASE_ID, ids)

    attr_cols = [f.name for f in fields if f.field_class is FieldClass.ATTRIBUTE]
    attributes = frame.loc[keep, attr_cols].reset_index(drop=True).astype(object)
    if lsoa_for is not None and "postcode" in normalised:
        postcodes = normalised["postcode"][keep].reset_index(drop=True)
        mapping = {pc: lsoa_for(pc) for pc in pd.unique(postcodes.dropna())}
        attributes.insert(0, LSOA, postcodes.map(mapping))
        stats.lsoa_found = int(attributes[LSOA].notna().sum())
    attributes.insert(0, PARTNER, partner)
    attributes.insert(0, RELEASE_ID, ids)

    keymap = pd.DataFrame(
        {id_column: frame.loc[keep, id_column].astype(str).to_numpy(), RELEASE_ID: ids}
    )
    stats.rows_out = len(tokens)
    return Pseudonymised(tokens, attributes, keymap, stats)


def read_extract(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet extract with every column as text."""
    path = Path(path)
    if not path.exists():
        raise InputError("extract not found", file=path)
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path).astype(object).where(lambda d: d.notna(), None)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputError(
            f"cannot be read as CSV or Parquet: {type(exc).__name__}", file=path
        ) from exc


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pseudonymise(
    *,
    agreement: Agreement,
    partner: str,
    purpose: str,
    extract: str | Path,
    keys: ReleaseKeys,
    out_dir: str | Path,
    keymap_path: str | Path,
    audit_log: str | Path,
    id_column: str = "record_id",
    register: dict[str, set[str]] | None = None,
    cleaned_list: set[str] | None = None,
    lsoa_for: Callable[[str], str | None] | None = None,
    lsoa_vintage: int = 2021,
    today: date | None = None,
) -> PseudonymiseStats:
    """Partner-side run: check, tokenise, encrypt, write, and log (no identifiers anywhere)."""
    authorise_run(agreement, purpose=purpose, today=today)
    out_dir, keymap_path = Path(out_dir).resolve(), Path(keymap_path).resolve()
    if keymap_path.parent == out_dir or out_dir in keymap_path.parents:
        raise InputError(
            "the key map must be kept outside the batch folder (it never leaves the partner)",
            file=keymap_path,
        )
    require_data_location(out_dir, *([keys.store_root] if keys.store_root else []))
    bind_batch(keys, agreement)
    frame = read_extract(extract)
    if id_column not in frame.columns:
        raise InputError(
            f"record id column {id_column!r} not found", file=extract, row=1, column=id_column
        )
    fields = require_fields(
        agreement, partner, [c for c in frame.columns if c != id_column], file=str(extract)
    )
    if partner in agreement.objection_policy.national_data_opt_out and cleaned_list is None:
        raise InputError(
            f"agreement {agreement.id} applies the national data opt-out to {partner!r}: supply the cleaned list"
        )
    result = pseudonymise_frame(
        frame,
        fields,
        Tokeniser(keys.require_token_secret(), release=keys.release),
        partner=partner,
        id_column=id_column,
        register=register,
        cleaned_list=cleaned_list,
        lsoa_for=lsoa_for,
    )
    paths = release_paths(out_dir, partner)
    mark_data_folder(out_dir, "linkage outbox")
    record_data_roots(keys, [out_dir, keymap_path.parent])
    meta = {"project": keys.project, "batch": keys.release, "agreement": agreement.id,
            "purpose": purpose, "party": partner}  # fmt: skip
    for kind, frame, path in (
        ("tokens", result.tokens, paths["tokens"]),
        ("attributes", result.attributes, paths["attributes"]),
        ("keymap", result.keymap, keymap_path),
    ):
        label = file_label(keys.release, partner, kind)
        crypto.write_frame(frame, path, keys.storage_key, label, {**meta, "kind": kind})
    outputs = {p.name: sha256_file(p) for p in (paths["tokens"], paths["attributes"])}
    manifest = {
        "agreement": agreement.id,
        "project": keys.project,
        "release": keys.release,
        "partner": partner,
        "purpose": purpose,
        "rows": result.stats.rows_out,
        "token_columns": [c for c in result.tokens.columns if c not in (RELEASE_ID, PARTNER)],
        "attribute_columns": [
            c for c in result.attributes.columns if c not in (RELEASE_ID, PARTNER)
        ],
        "lsoa_vintage": lsoa_vintage if lsoa_for is not None else None,
        "sha256": outputs,
        "lantern_version": __version__,
    }
    sealed = seal_manifest(manifest, keys.storage_key)
    paths["manifest"].write_text(json.dumps(sealed, indent=2), "utf-8")
    log.info(
        "pseudonymised %s for %s: %d rows in, %d out, %d objectors and %d opted out removed",
        partner,
        keys.release,
        result.stats.rows_in,
        result.stats.rows_out,
        result.stats.removed_objection_register,
        result.stats.removed_national_opt_out,
    )
    AuditLog(audit_log, key=keys.audit_key).append(
        "pseudonymise",
        agreement=agreement.id,
        purpose=purpose,
        partner=partner,
        release=keys.release,
        code_version=__version__,
        inputs={Path(extract).name: sha256_file(extract)},
        outputs=outputs,
        rows_in=result.stats.rows_in,
        rows_out=result.stats.rows_out,
        stats=asdict(result.stats),
    )
    return result.stats
