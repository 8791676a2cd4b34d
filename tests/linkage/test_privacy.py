"""Done-when: no clear identifier after pseudonymisation; tokens are keyed and project-specific."""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

import pandas as pd

from lantern.linkage.normalise import is_valid_nhs_number, normalise_name
from lantern.linkage.tokens import Tokeniser, objection_tokens

from .helpers import FEBRL_KINDS

WORD = re.compile(rb"[a-z0-9_]+")


def _identifier_values(frames: dict[str, pd.DataFrame]) -> tuple[set[bytes], set[bytes]]:
    """Identifier values of 5+ characters, lower case: single words, and multi-word phrases."""
    values: set[bytes] = set()
    for frame in frames.values():
        for col in FEBRL_KINDS:
            values.update(v.strip().lower().encode() for v in frame[col].dropna().astype(str))
        values.update(v.lower().encode() for v in frame.index)
    values = {v for v in values if len(v) >= 5}
    return {v for v in values if WORD.fullmatch(v)}, {v for v in values if not WORD.fullmatch(v)}


#: In binary files (ciphertext) only identifiers this long count. Random bytes, lower-cased, hold
#: a run of exactly five word characters about once in 20 KB, and FEBRL's ~20,000 distinct 5-7
#: character values then match one by chance in a few runs of a hundred; eight characters
#: make a chance match about a million times rarer, while a file that really held clear
#: records would still show its longer names, addresses and dates.
BINARY_MIN = 8


def _leaks(path: Path, words: set[bytes], phrases: set[bytes]) -> set[bytes]:
    data = path.read_bytes().lower()
    found = set(WORD.findall(data)) & words
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        # ciphertext: whole words only, long enough not to occur in random bytes by chance
        return {w for w in found if len(w) >= BINARY_MIN}
    return found | {p for p in phrases if p in data}


def _files_after_pseudonymisation(root: Path) -> list[Path]:
    return [
        p
        for p in root.rglob("*")
        if p.is_file() and not p.name.endswith("-extract.csv") and p.name != "agreement.yaml"
    ]


def test_no_clear_identifier_in_any_file_or_log(febrl4_tokens):
    run = febrl4_tokens
    words, phrases = _identifier_values(run.inputs)
    files = _files_after_pseudonymisation(run.root)
    names = {p.name for p in files}
    assert {"run.log", "hub-audit.jsonl", "quality.json", "settings.json", "persons.lnt"} <= names
    assert (run.root / "hub-out" / "run.log").stat().st_size > 0
    hits = {}
    for path in files:
        found = _leaks(path, words, phrases)
        if found:
            hits[str(path.relative_to(run.root))] = len(found)
    assert hits == {}


def test_scan_detects_a_clear_identifier_when_present(febrl4_tokens, tmp_path):
    """The scan above can fail: a file holding one surname is caught."""
    frame = febrl4_tokens.inputs["febrl-a"]
    surname = next(s for s in frame["surname"].dropna() if len(s) >= 5)
    address = next(s for s in frame["address_1"].dropna() if " " in s.strip())
    words, phrases = _identifier_values(febrl4_tokens.inputs)
    (tmp_path / "a.log").write_text(f"record for {surname}\n")
    (tmp_path / "b.log").write_text(f"lives at {address.strip()}\n")
    assert _leaks(tmp_path / "a.log", words, phrases)
    assert _leaks(tmp_path / "b.log", words, phrases)
    # in a binary file, a long identifier among random bytes is caught ...
    long_word = sorted(w for w in words if len(w) >= BINARY_MIN)[0]
    blob = b"\xff\xfe" + secrets.token_bytes(64) + b"\x00" + long_word + b"\x00"
    (tmp_path / "c.bin").write_bytes(blob + secrets.token_bytes(64))
    assert _leaks(tmp_path / "c.bin", words, phrases) == {long_word}
    # ... and 4 MB of random bytes (ciphertext) is not mistaken for one
    (tmp_path / "d.bin").write_bytes(b"\xff\xfe" + secrets.token_bytes(4 << 20))
    assert _leaks(tmp_path / "d.bin", words, phrases) == set()


def test_same_nhs_number_gives_different_tokens_under_two_projects():
    nhs = "9434765919"
    assert is_valid_nhs_number(nhs)
    a = Tokeniser(secrets.token_bytes(32), release="2020-06").token("nhs_number", nhs)
    b = Tokeniser(secrets.token_bytes(32), release="2020-06").token("nhs_number", nhs)
    again = Tokeniser(bytes(32) + b"x", release="2020-06")
    assert a != b
    assert again.token("nhs_number", nhs) == again.token("nhs_number", nhs)
    assert objection_tokens({"nhs_number": nhs}, secrets.token_bytes(32), "r1") != objection_tokens(
        {"nhs_number": nhs}, secrets.token_bytes(32), "r1"
    )


def _nhs_space(prefix: str) -> list[str]:
    """Every valid NHS number starting with a 5-digit prefix (about 90,000 numbers)."""
    out = []
    for n in range(10_000):
        first_nine = f"{prefix}{n:04d}"
        total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            out.append(first_nine + str(check))
    return out


def test_brute_forcing_valid_nhs_numbers_without_the_key_finds_nothing():
    """The attacker knows the extract's NHS numbers come from one range, but not the secret."""
    space = _nhs_space("94347")
    rng = secrets.SystemRandom()
    extract = rng.sample(space, 200)
    secret = secrets.token_bytes(32)
    tokens = set(Tokeniser(secret, release="r1").token_series("nhs_number", pd.Series(extract)))

    # Without the key: plain hashes, HMAC under guessable keys, and a wrong secret all miss.
    guesses = [
        {hashlib.sha256(n.encode()).digest()[:16].hex() for n in space},
        Tokeniser(b"\x00" * 32, release="r1").token_series("nhs_number", pd.Series(space)),
        Tokeniser(b"r1".ljust(32, b"\x00"), release="r1").token_series(
            "nhs_number", pd.Series(space)
        ),
        Tokeniser(secrets.token_bytes(32), release="r1").token_series(
            "nhs_number", pd.Series(space)
        ),
    ]
    for guess in guesses:
        assert tokens.isdisjoint(set(guess))

    # Control: the same enumeration with the key recovers all 200, so the search itself works.
    keyed = Tokeniser(secret, release="r1").token_series("nhs_number", pd.Series(space))
    assert len(tokens & set(keyed)) == 200


def test_tokeniser_and_keys_never_show_key_material():
    secret = secrets.token_bytes(32)
    assert secret.hex() not in repr(Tokeniser(secret, release="r1"))
    assert normalise_name("  Mrs  O'Brien-Smith ") == "OBRIEN SMITH"


def test_token_series_is_rfc_2104_hmac_sha256_truncated():
    """The column path (precomputed pads, once per distinct value) equals the standard HMAC."""
    import hmac

    from lantern.linkage.tokens import TOKEN_BYTES, derive_key

    secret = secrets.token_bytes(32)
    tk = Tokeniser(secret, release="r9")
    values = pd.Series(["SMITH", None, "O'NEILL", "SMITH", "ÉLODIE", float("nan")], dtype=object)
    got = tk.token_series("name", values).tolist()
    key = derive_key(secret, release="r9", domain="name")

    def expected(v: str) -> str:
        return hmac.new(key, v.encode(), hashlib.sha256).digest()[:TOKEN_BYTES].hex()

    assert got == [expected("SMITH"), None, expected("O'NEILL"), expected("SMITH"),
                   expected("ÉLODIE"), None]  # fmt: skip
    assert got[0] == tk.token("name", "SMITH")
