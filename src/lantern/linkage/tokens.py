"""Keyed tokens: HMAC-SHA256 per field with keys derived by HKDF from a per-release secret.

``token = HMAC-SHA256(K_domain, normalised value)`` truncated to 128 bits (hex), where
``K_domain = HKDF-SHA256(ikm=project release secret, salt="lantern/release/<release>",
info="lantern/token/v1/<domain>")``; every project and release has its own random secret. Each field has its own key, so a token from one field says
nothing about another; given and family names share a domain so swapped names still agree.
Variant tokens (phonetic codes, date-of-birth parts, postcode sector and district) allow fuzzy
agreement with exact comparisons only. Without the secret no token can be recomputed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from functools import lru_cache

import jellyfish
import pandas as pd
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lantern.linkage.normalise import NORMALISERS

TOKEN_BYTES = 16
OBJECTION_KEYS = (
    "nhs_number", "name_dob", "obj_soundex_dob", "obj_name_ym", "obj_name_md", "obj_name_yd",
    "obj_given_dob_pc", "obj_family_dob_pc",
)  # fmt: skip


def derive_key(secret: bytes, *, release: str, domain: str) -> bytes:
    """The 256-bit HMAC key for one token domain of one project release."""
    if len(secret) < 32:
        raise ValueError("the release secret must be at least 32 random bytes")
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=f"lantern/release/{release}".encode(),
        info=f"lantern/token/v1/{domain}".encode(),
    ).derive(secret)


class Tokeniser:
    """Computes tokens for one project release; holds its derived keys in memory only."""

    def __init__(self, secret: bytes, *, release: str) -> None:
        self._secret = secret
        self.release = release

    def __repr__(self) -> str:  # never show key material
        return f"Tokeniser(release={self.release!r})"

    @lru_cache(maxsize=64)  # noqa: B019 - keys live as long as the tokeniser, by design
    def _key(self, domain: str) -> bytes:
        return derive_key(self._secret, release=self.release, domain=domain)

    def token(self, domain: str, value: str | None) -> str | None:
        if value is None:
            return None
        mac = hmac.new(self._key(domain), value.encode("utf-8"), hashlib.sha256)
        return mac.digest()[:TOKEN_BYTES].hex()

    def token_series(self, domain: str, values: pd.Series) -> pd.Series:
        """Tokenise a column of normalised text, once per distinct value."""
        key = self._key(domain)
        base = hmac.new(key, digestmod=hashlib.sha256)
        mapping: dict[object, str | None] = {}
        for v in pd.unique(values.astype(object)):
            if v is None or (isinstance(v, float) and pd.isna(v)):
                mapping[v] = None
                continue
            mac = base.copy()
            mac.update(str(v).encode("utf-8"))
            mapping[v] = mac.digest()[:TOKEN_BYTES].hex()
        return values.astype(object).map(mapping)


def _phonetic(func, values: pd.Series) -> pd.Series:  # type: ignore[no-untyped-def]
    def code(v: object) -> str | None:
        if not isinstance(v, str):
            return None
        return func(v.replace(" ", "")) or None

    uniques = pd.unique(values.astype(object))
    return values.astype(object).map({v: code(v) for v in uniques})


def _part(values: pd.Series, parts: tuple[slice, ...]) -> pd.Series:
    def pick(v: object) -> str | None:
        return "|".join(v[s] for s in parts) if isinstance(v, str) else None

    uniques = pd.unique(values.astype(object))
    return values.astype(object).map({v: pick(v) for v in uniques})


def variants(kind: str, column: str, normalised: pd.Series) -> dict[str, tuple[str, pd.Series]]:
    """Token columns for one normalised identifier: ``{column name: (key domain, values)}``."""
    if kind in ("given_name", "family_name"):
        return {
            kind: ("name", normalised),
            f"{kind}_mp": ("name_metaphone", _phonetic(jellyfish.metaphone, normalised)),
            f"{kind}_sx": ("name_soundex", _phonetic(jellyfish.soundex, normalised)),
        }
    if kind == "date_of_birth":
        y, m, d = slice(0, 4), slice(4, 6), slice(6, 8)
        return {
            "dob": ("dob", normalised),
            "dob_ym": ("dob_ym", _part(normalised, (y, m))),
            "dob_md": ("dob_md", _part(normalised, (m, d))),
            "dob_yd": ("dob_yd", _part(normalised, (y, d))),
        }
    if kind == "postcode":
        return {
            "postcode": ("postcode", normalised),
            "postcode_sector": ("postcode_sector", normalised.str[:-2]),
            "postcode_district": ("postcode_district", normalised.str.split(" ").str[0]),
        }
    if kind in ("nhs_number", "sex"):
        return {kind: (kind, normalised)}
    return {column: (f"field:{column}", normalised)}


def _join(*parts: pd.Series) -> pd.Series:
    frame = pd.concat(parts, axis=1, ignore_index=True)
    ok = frame.notna().all(axis=1)
    out = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    if ok.any():
        out[ok] = frame.loc[ok].astype(str).agg("|".join, axis=1)
    return out


def composite_keys(normalised: Mapping[str, pd.Series]) -> dict[str, pd.Series]:
    """Composite texts for strong linkage (``name_dob``) and objection screening (``obj_*``).

    Objection keys tolerate one recording error: a name typo (soundex codes), one wrong date
    part (two of year, month, day), or one missing name (the other name, birth date and postcode).
    """
    g, f, d = (normalised.get(k) for k in ("given_name", "family_name", "date_of_birth"))
    pc = normalised.get("postcode")
    out: dict[str, pd.Series] = {}
    if g is None or f is None or d is None:
        return out
    out["name_dob"] = _join(g, f, d)
    sx = lambda s: _phonetic(jellyfish.soundex, s)  # noqa: E731
    out["obj_soundex_dob"] = _join(sx(g), sx(f), d)
    out["obj_name_ym"] = _join(g, f, d.str[:6])
    out["obj_name_md"] = _join(g, f, d.str[4:])
    out["obj_name_yd"] = _join(g, f, d.str[:4] + d.str[6:])
    if pc is not None:
        out["obj_given_dob_pc"] = _join(g, d, pc)
        out["obj_family_dob_pc"] = _join(f, d, pc)
    return out


def composite_tokens(
    tokeniser: Tokeniser, normalised: Mapping[str, pd.Series]
) -> dict[str, pd.Series]:
    return {k: tokeniser.token_series(k, v) for k, v in composite_keys(normalised).items()}


def objection_tokens(
    identifiers: Mapping[str, object], project_secret: bytes, release: str
) -> dict[str, str]:
    """Tokens an objection register stores for one person (identifiers are never kept).

    ``identifiers`` may hold ``nhs_number``, ``given_name``, ``family_name``, ``date_of_birth``
    and ``postcode``. Returns ``{key: token}`` for every objection key that could be formed.
    """
    tk = Tokeniser(project_secret, release=release)
    normalised = {
        k: pd.Series([NORMALISERS[k](identifiers.get(k))], dtype=object) for k in NORMALISER_KEYS
    }
    out: dict[str, str] = {}
    nhs = normalised.pop("nhs_number")[0]
    if nhs:
        out["nhs_number"] = tk.token("nhs_number", nhs) or ""
    for key, values in composite_tokens(tk, normalised).items():
        if values[0] is not None:
            out[key] = values[0]
    return out


NORMALISER_KEYS = ("nhs_number", "given_name", "family_name", "date_of_birth", "postcode")
