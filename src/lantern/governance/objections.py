"""The objection register: objectors' identifiers kept encrypted under the register's own key,
turned into tokens for every linkage batch, now and later.

An objection must reach every later batch, whose token secret does not exist yet when the
resident objects, so the register keeps each objector's normalised identifiers, AES-256-GCM
encrypted under a key of its own (the project's ``objection-register`` secret in the holder's key
store, never a batch key, so shredding a batch loses no objection). ``tokens_for(keys)``
re-tokenises every objector for a batch; ``write_tokens`` puts them in the shareable token list
(``batch,key,token``) that partners and the hub apply.

An objection can be made with any identifier combination the agreement allows: an NHS number;
given and family name with date of birth; or one name with date of birth and postcode. Columns
may use the canonical names, common aliases or the agreement's own field names; any other
column is refused, naming it.
"""

from __future__ import annotations

import csv
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from lantern.errors import ConfigError, GovernanceError, InputError, Problem
from lantern.governance.agreement import Agreement, FieldClass
from lantern.keys import files
from lantern.keys.store import KeyStore, ReleaseKeys
from lantern.linkage.normalise import normalise_series
from lantern.linkage.tokens import Tokeniser, composite_tokens

KINDS = ("nhs_number", "given_name", "family_name", "date_of_birth", "postcode")
BOOKKEEPING = ("reference", "received")
ALIASES = {
    "nhs_number": "nhs_number", "nhs_no": "nhs_number", "nhsnumber": "nhs_number", "nhs": "nhs_number",
    "given_name": "given_name", "forename": "given_name", "first_name": "given_name",
    "firstname": "given_name", "given_names": "given_name", "forenames": "given_name",
    "family_name": "family_name", "surname": "family_name", "last_name": "family_name",
    "lastname": "family_name",
    "date_of_birth": "date_of_birth", "dob": "date_of_birth", "birth_date": "date_of_birth",
    "birthdate": "date_of_birth",
    "postcode": "postcode", "post_code": "postcode", "postal_code": "postcode",
    "reference": "reference", "received": "received",
}  # fmt: skip
ROUTES = {
    "nhs_number": "NHS number",
    "name_dob": "given and family name with date of birth",
    "one_name_dob_postcode": "one name with date of birth and postcode",
}
TOKENS_COLUMNS = ("release", "key", "token")
MARKER = "tokenised"
SECRET = "objection-register"


def register_paths(tokens_path: str | Path) -> tuple[Path, Path]:
    """``(shareable token list, encrypted identifiers kept by the register holder)``."""
    tokens_path = Path(tokens_path)
    return tokens_path, tokens_path.with_name(tokens_path.name + ".objectors.lnt")


def _key(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def resolve_columns(
    header: list[str], agreement: Agreement | None = None, *, file: str = ""
) -> dict[str, str]:
    """``{column: kind}`` for an objector file; every unknown or unusable column is refused."""
    by_agreement: dict[str, tuple[str, str | None]] = {}
    if agreement is not None:
        for f in agreement.fields:
            by_agreement[_key(f.name)] = (
                f.field_class.value,
                f.kind.value if f.kind is not None else None,
            )
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    for col in header:
        k = _key(col)
        kind = ALIASES.get(k)
        if kind is None and k in by_agreement:
            cls, agreement_kind = by_agreement[k]
            if cls == FieldClass.ATTRIBUTE.value or agreement_kind not in KINDS:
                what = "an attribute" if cls == FieldClass.ATTRIBUTE.value else agreement_kind
                problems.append(Problem(
                    f"is {what} in the agreement and cannot identify an objector; use "
                    "NHS number, names, date of birth and postcode", file, 1, col,
                ))  # fmt: skip
                continue
            kind = agreement_kind
        if kind is None:
            problems.append(Problem(
                f"unknown column; expected one of {', '.join(KINDS)} (or an alias, or the "
                "agreement's own field names with --agreement)", file, 1, col,
            ))  # fmt: skip
            continue
        if kind in mapping.values():
            other = next(c for c, v in mapping.items() if v == kind)
            problems.append(Problem(f"names {kind} as column {other!r} does", file, 1, col))
            continue
        mapping[col] = kind
    if not problems and not set(mapping.values()) & set(KINDS):
        problems.append(Problem("no identifier column at all", file, 1))
    if problems:
        raise ConfigError(f"objector file {file or ''} cannot be used as it is", problems)
    return mapping


def normalise_objectors(frame: pd.DataFrame, mapping: Mapping[str, str]) -> pd.DataFrame:
    """One row per objector: normalised identifiers (None where absent or unusable)."""
    out = pd.DataFrame(index=frame.index)
    for col, kind in mapping.items():
        if kind in KINDS:
            out[kind] = normalise_series(frame[col].astype(object), kind)
    for kind in KINDS:
        if kind not in out:
            out[kind] = pd.Series(None, index=frame.index, dtype=object)
    return out[list(KINDS)].astype(object).where(lambda d: d.notna(), None)


def routes_of(objectors: pd.DataFrame) -> pd.DataFrame:
    """For each objector, which routes to a token it has (True/False per route)."""
    has = objectors.notna()
    both = has["given_name"] & has["family_name"] & has["date_of_birth"]
    one = (has["given_name"] | has["family_name"]) & has["date_of_birth"] & has["postcode"]
    return pd.DataFrame(
        {"nhs_number": has["nhs_number"], "name_dob": both, "one_name_dob_postcode": one & ~both}
    )


@dataclass
class AddSummary:
    objectors: int
    by_route: dict[str, int] = field(default_factory=dict)
    unusable_rows: list[int] = field(default_factory=list)
    register_total: int = 0
    batches: list[str] = field(default_factory=list)


class ObjectionRegister:
    """The register held by one party: ``tokens_path`` (shareable) and the encrypted objectors."""

    def __init__(self, tokens_path: str | Path, store: KeyStore, project: str) -> None:
        self.tokens_path, self.path = register_paths(tokens_path)
        self.store, self.project = store, project

    def _label(self) -> str:
        return f"objections/{self.project}/register"

    def holds_key(self) -> bool:
        """Whether this key store holds the register's own key."""
        return (self.store.root / self.project / f"{SECRET}.secret").exists()

    def _secret(self) -> bytes:
        if self.path.exists() and not self.holds_key():
            raise GovernanceError(
                f"{self.path}: this key store ({self.store.root}) does not hold the register's "
                "key; only the register holder can read or extend it"
            )
        return self.store.secret(self.project, SECRET)

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> pd.DataFrame:
        if not self.path.exists():
            return pd.DataFrame(columns=["reference", "received", *KINDS], dtype=object)
        return files.read_frame(self.path, self._secret(), self._label())

    def _save(self, frame: pd.DataFrame) -> None:
        meta = {"project": self.project, "kind": "objection-register"}
        files.write_frame(frame.astype(object), self.path, self._secret(), self._label(), meta)

    def add_frame(
        self,
        frame: pd.DataFrame,
        mapping: Mapping[str, str],
        *,
        source: str = "",
        skip_unusable: bool = False,
    ) -> AddSummary:
        """Add objectors; refuse (nothing written) if any row has no usable route, unless skipping."""
        objectors = normalise_objectors(frame, mapping)
        routes = routes_of(objectors)
        usable = routes.any(axis=1)
        unusable = [int(i) + 2 for i in range(len(frame)) if not usable.iloc[i]]
        if unusable and not skip_unusable:
            shown = ", ".join(str(r) for r in unusable[:20]) + (" …" if len(unusable) > 20 else "")
            raise InputError(
                f"{len(unusable)} objector row(s) give no usable identifier combination (rows "
                f"{shown}): each needs a valid NHS number, or both names and date of birth, or "
                "one name with date of birth and postcode. Nothing was added; fix them, or "
                "pass --skip-unusable and follow them up by hand",
                file=source or None,
            )
        kept = objectors[usable.to_numpy()].copy()
        refs = (
            frame.loc[usable.to_numpy(), next(c for c, k in mapping.items() if k == "reference")]
            if "reference" in mapping.values()
            else pd.Series([_reference() for _ in range(len(kept))], index=kept.index)
        )
        kept.insert(0, "received", datetime.now(UTC).date().isoformat())
        kept.insert(0, "reference", refs.astype(str).to_numpy())
        merged = pd.concat([self.read(), kept], ignore_index=True)
        merged = merged.drop_duplicates(subset=list(KINDS), keep="first").reset_index(drop=True)
        self._save(merged)
        summary = AddSummary(
            objectors=len(kept),
            by_route={k: int(routes.loc[usable, k].sum()) for k in ROUTES},
            unusable_rows=unusable,
            register_total=len(merged),
        )
        summary.batches = self.write_tokens_for_store()
        return summary

    def add(self, identifiers: Mapping[str, object]) -> str:
        """One objection (e.g. from a form); returns its reference."""
        reference = _reference()
        frame = pd.DataFrame([{k: identifiers.get(k) for k in KINDS}])
        frame.insert(0, "reference", reference)
        self.add_frame(frame, {c: c for c in frame.columns})
        return reference

    def route_counts(self) -> dict[str, int]:
        routes = routes_of(self.read()[list(KINDS)])
        return {k: int(routes[k].sum()) for k in ROUTES}

    def tokens_for(self, keys: ReleaseKeys) -> dict[str, set[str]]:
        """Every current objector's objection tokens under one batch's token secret."""
        return tokens_for(self.read(), keys)

    def write_tokens(self, batches: list[ReleaseKeys]) -> int:
        """Replace the shareable token list's rows for these batches; returns rows written."""
        keep: list[list[str]] = []
        if self.tokens_path.exists():
            ids = {k.release for k in batches}
            with self.tokens_path.open(newline="", encoding="utf-8") as fh:
                keep = [r for r in csv.reader(fh)][1:]
            keep = [r for r in keep if r and r[0] not in ids]
        rows = list(keep)
        for keys in batches:
            found = self.tokens_for(keys)
            rows.append([keys.release, MARKER, str(sum(len(v) for v in found.values()))])
            rows += [[keys.release, k, t] for k, values in found.items() for t in sorted(values)]
        self.tokens_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.tokens_path.with_name(self.tokens_path.name + ".tmp")
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(TOKENS_COLUMNS)
            writer.writerows(rows)
        os.replace(tmp, self.tokens_path)
        return len(rows)

    def write_tokens_for_store(self) -> list[str]:
        """Re-tokenise for every batch of the project whose token secret this key store holds."""
        batches = []
        for project, batch in self.store.releases():
            if project != self.project:
                continue
            keys = self.store.load(project, batch)
            if keys.token_secret is not None:
                batches.append(keys)
        self.write_tokens(batches)
        return [k.release for k in batches]


def tokens_for(objectors: pd.DataFrame, keys: ReleaseKeys) -> dict[str, set[str]]:
    """Objection tokens (NHS number and every objection composite) of normalised objectors."""
    from lantern.linkage.tokens import OBJECTION_KEYS

    tk = Tokeniser(keys.require_token_secret(), release=keys.release)
    out: dict[str, set[str]] = {k: set() for k in OBJECTION_KEYS}
    if objectors.empty:
        return out
    frame = objectors[list(KINDS)].reset_index(drop=True).astype(object)
    out["nhs_number"] = set(tk.token_series("nhs_number", frame["nhs_number"]).dropna())
    names = {k: frame[k] for k in KINDS if k != "nhs_number"}
    for key, values in composite_tokens(tk, names).items():
        if key in out:
            out[key] = set(values.dropna())
    return out


def _reference() -> str:
    raw = secrets.token_hex(5).upper()
    return f"OBJ-{raw[:5]}-{raw[5:]}"


def read_objector_file(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise InputError("objector file not found", file=path)
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path).astype(object)
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
        )
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot be read as CSV: {type(exc).__name__}", file=path) from exc
