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
from collections.abc import Callable, Mapping
from functools import lru_cache

import jellyfish
import pandas as pd
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lantern.linkage.normalise import NORMALISERS, expand, per_distinct

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

    @lru_cache(maxsize=64)  # noqa: B019 - as above
    def _pads(self, domain: str) -> tuple[object, object]:
        """Inner and outer SHA-256 states of HMAC (RFC 2104) for one domain key."""
        key = self._key(domain).ljust(64, b"\0")  # 32-byte keys: shorter than the block
        inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
        return inner, outer

    def token_series(self, domain: str, values: pd.Series) -> pd.Series:
        """Tokenise a column of normalised text, once per distinct value.

        Same result as :meth:`token`; the HMAC is built from precomputed pad states, which is
        about a fifth faster than copying an ``hmac`` object per value.
        """
        inner, outer = self._pads(domain)
        icopy, ocopy = inner.copy, outer.copy  # type: ignore[attr-defined]
        codes, uniques = pd.factorize(values)
        out: list[str | None] = []
        append = out.append
        for v in uniques:
            i = icopy()
            i.update(str(v).encode("utf-8"))
            o = ocopy()
            o.update(i.digest())
            append(o.digest()[:TOKEN_BYTES].hex())
        return expand(out, codes, values.index)


def _phonetic(func: Callable[[str], str | None], values: pd.Series) -> pd.Series:
    def code(v: object) -> str | None:
        if not isinstance(v, str):
            return None
        return func(v.replace(" ", "")) or None

    return per_distinct(values, code)


def _part(values: pd.Series, parts: tuple[slice, ...]) -> pd.Series:
    def pick(v: object) -> str | None:
        return "|".join(v[s] for s in parts) if isinstance(v, str) else None

    return per_distinct(values, pick)


def _sector(postcode: str) -> str:
    return postcode[:-2]


def _district(postcode: str) -> str:
    return postcode.split(" ")[0]


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
            "postcode_sector": ("postcode_sector", per_distinct(normalised, _sector)),
            "postcode_district": ("postcode_district", per_distinct(normalised, _district)),
        }
    if kind in ("nhs_number", "sex"):
        return {kind: (kind, normalised)}
    return {column: (f"field:{column}", normalised)}


def _join(*parts: pd.Series) -> pd.Series:
    """``a|b|c`` where every part is present, else None (parts hold text or None)."""
    columns = [p.to_numpy(dtype=object) for p in parts]
    out = ["|".join(row) if None not in row else None for row in zip(*columns, strict=True)]
    return pd.Series(out, index=parts[0].index, dtype=object)


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
    out["obj_name_ym"] = _join(g, f, per_distinct(d, lambda v: v[:6]))
    out["obj_name_md"] = _join(g, f, per_distinct(d, lambda v: v[4:]))
    out["obj_name_yd"] = _join(g, f, per_distinct(d, lambda v: v[:4] + v[6:]))
    if pc is not None:
        out["obj_given_dob_pc"] = _join(g, d, pc)
        out["obj_family_dob_pc"] = _join(f, d, pc)
    return out


def composite_tokens(
    tokeniser: Tokeniser, normalised: Mapping[str, pd.Series]
) -> dict[str, pd.Series]:
    return {k: tokeniser.token_series(k, v) for k, v in composite_keys(normalised).items()}


def composite_texts(normalised: Mapping[str, str | None]) -> dict[str, str | None]:
    """One person's ``composite_keys`` (every key, None where a part is missing), without
    building columns: the objection form tokenises one person at a time."""
    g, f, d, pc = (
        normalised.get(k) for k in ("given_name", "family_name", "date_of_birth", "postcode")
    )

    def join(*parts: str | None) -> str | None:
        return None if None in parts else "|".join(parts)  # type: ignore[arg-type]

    def sx(v: str | None) -> str | None:
        return (jellyfish.soundex(v.replace(" ", "")) or None) if isinstance(v, str) else None

    def part(pick: Callable[[str], str]) -> str | None:
        return pick(d) if d is not None else None

    return {
        "name_dob": join(g, f, d),
        "obj_soundex_dob": join(sx(g), sx(f), d),
        "obj_name_ym": join(g, f, part(lambda v: v[:6])),
        "obj_name_md": join(g, f, part(lambda v: v[4:])),
        "obj_name_yd": join(g, f, part(lambda v: v[:4] + v[6:])),
        "obj_given_dob_pc": join(g, d, pc),
        "obj_family_dob_pc": join(f, d, pc),
    }


@lru_cache(maxsize=32)
def cached_tokeniser(secret: bytes, release: str) -> Tokeniser:
    """One ``Tokeniser`` per secret and release for the life of the process, so its derived
    keys are not derived again for every person tokenised one at a time."""
    return Tokeniser(secret, release=release)


def objection_tokens(
    identifiers: Mapping[str, object], project_secret: bytes, release: str
) -> dict[str, str]:
    """Tokens an objection register stores for one person (identifiers are never kept).

    ``identifiers`` may hold ``nhs_number``, ``given_name``, ``family_name``, ``date_of_birth``
    and ``postcode``. Returns ``{key: token}`` for every objection key that could be formed.
    """
    tk = cached_tokeniser(project_secret, release)
    normalised = {k: NORMALISERS[k](identifiers.get(k)) for k in NORMALISER_KEYS}
    out: dict[str, str] = {}
    nhs = normalised["nhs_number"]
    if nhs:
        out["nhs_number"] = tk.token("nhs_number", nhs) or ""
    for key, text in composite_texts(normalised).items():
        token = tk.token(key, text)
        if token is not None:
            out[key] = token
    return out


NORMALISER_KEYS = ("nhs_number", "given_name", "family_name", "date_of_birth", "postcode")
