"""Applying the right to object: objection token lists, and the NHS opt-out cleaned list.

A token list (``release``, ``key``, ``token``; the ``release`` column holds the batch id) holds
only tokens, never identifiers; each partner applies it at pseudonymisation and the hub again at
linkage. It is written by the objection register (``lantern.governance.objections``), which
keeps the objectors' identifiers encrypted and re-tokenises them for every batch. The national
data opt-out works differently: NHS England returns a "cleaned list" of the NHS numbers that may
be used, and a partner under the opt-out keeps only records whose NHS number is on it.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from lantern.errors import InputError
from lantern.linkage.normalise import normalise_nhs_number
from lantern.linkage.tokens import OBJECTION_KEYS, objection_tokens

REGISTER_COLUMNS = ("release", "key", "token")


def add_objection(
    register: str | Path, identifiers: Mapping[str, object], secret: bytes, release: str
) -> int:
    """Append one objector's tokens to a register; return how many tokens were added."""
    tokens = objection_tokens(identifiers, secret, release)
    if not tokens:
        raise InputError(
            "an objection needs a valid NHS number, or given name, family name and date of birth"
        )
    path = Path(register)
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        if new:
            writer.writerow(REGISTER_COLUMNS)
        for key, token in tokens.items():
            writer.writerow([release, key, token])
    return len(tokens)


def load_register(register: str | Path, release: str) -> dict[str, set[str]]:
    """The token list's tokens for one batch, by objection key.

    A list written by the register marks each batch it was tokenised for; a list that marks
    other batches but not this one is refused, since objections would silently not apply.
    """
    path = Path(register)
    if not path.exists():
        raise InputError("objection register not found", file=path)
    out: dict[str, set[str]] = {k: set() for k in OBJECTION_KEYS}
    marked: set[str] = set()
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = set(REGISTER_COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise InputError(f"missing column(s) {sorted(missing)}", file=path, row=1)
        for n, row in enumerate(reader, start=2):
            if row["key"] == "tokenised":
                marked.add(row["release"])
                continue
            if row["key"] not in out:
                raise InputError(
                    f"unknown objection key; expected one of {list(OBJECTION_KEYS)}",
                    file=path,
                    row=n,
                    column="key",
                )
            if row["release"] == release:
                out[row["key"]].add(row["token"])
    if marked and release not in marked:
        raise InputError(
            f"the objection token list has no tokens for batch {release!r} (it covers "
            f"{', '.join(sorted(marked))}): the register holder must run `lantern objections "
            "tokens` with this batch's keys so every objection reaches it",
            file=path,
        )
    return out


def load_objections(register: str | Path, keys) -> dict[str, set[str]]:  # noqa: ANN001
    """Objection tokens for ``keys``' batch: re-tokenised from the encrypted register when this
    party holds it (and the token list updated), else read from the token list."""
    from lantern.governance.objections import ObjectionRegister, register_paths
    from lantern.keys.store import KeyStore

    _, encrypted = register_paths(register)
    if encrypted.exists() and keys.store_root is not None and keys.token_secret is not None:
        reg = ObjectionRegister(register, KeyStore(keys.store_root), keys.project)
        if not reg.holds_key():
            return load_register(register, keys.release)
        reg.write_tokens([keys])
        return reg.tokens_for(keys)
    return load_register(register, keys.release)


def objector_mask(tokens: pd.DataFrame, register: Mapping[str, set[str]]) -> np.ndarray:
    """True for rows whose NHS-number or name-and-birth-date token is on the register."""
    mask = np.zeros(len(tokens), dtype=bool)
    for key, values in register.items():
        if key in tokens.columns and values:
            mask |= tokens[key].isin(values).to_numpy()
    return mask


def load_cleaned_list(path: str | Path) -> set[str]:
    """NHS numbers that may be used (one per line, or a CSV with an ``nhs_number`` column)."""
    path = Path(path)
    if not path.exists():
        raise InputError("NHS opt-out cleaned list not found", file=path)
    numbers: set[str] = set()
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    start = 1 if rows and rows[0] and rows[0][0].strip().lower() == "nhs_number" else 0
    for n, row in enumerate(rows[start:], start=start + 1):
        if not row or not row[0].strip():
            continue
        value = normalise_nhs_number(row[0])
        if value is None:
            raise InputError(
                "not a valid NHS number (modulus-11 check failed)",
                file=path,
                row=n,
                column="nhs_number",
            )
        numbers.add(value)
    return numbers
