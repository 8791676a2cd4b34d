"""Synthetic partner extracts for tests, demonstrations and benchmarks (no real person).

People get Faker (en_GB) names, valid NHS numbers (modulus 11), dates of birth and real Essex
postcodes; each partner's copy then carries realistic recording errors: typed-name typos,
transposed or mistyped date digits, moved house, missing values. Seeded, so reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from faker import Faker

LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def valid_nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid NHS numbers (ten digits, correct modulus-11 check digit)."""
    out: set[str] = set()
    weights = np.arange(10, 1, -1)
    while len(out) < n:
        digits = rng.integers(0, 10, size=(2 * (n - len(out)) + 10, 9))
        digits[:, 0] = rng.integers(4, 10, size=len(digits))
        check = (11 - (digits * weights).sum(axis=1) % 11) % 11
        ok = check != 10
        for row, c in zip(digits[ok], check[ok], strict=True):
            out.add("".join(map(str, row)) + str(c))
            if len(out) == n:
                break
    return np.array(sorted(out))[rng.permutation(n)]


def _name_pool(fake: Faker, method: str, size: int) -> np.ndarray:
    return np.array([getattr(fake, method)() for _ in range(size)])


def synthetic_people(n: int, *, postcodes: Sequence[str], seed: int = 2020) -> pd.DataFrame:
    """``n`` distinct synthetic people with a true ``person`` key."""
    from faker import Faker

    rng = np.random.default_rng(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    pool = max(2000, min(n // 5, 40000))
    sex = rng.choice(np.array(["M", "F"]), size=n)
    male, female = (
        _name_pool(fake, "first_name_male", pool),
        _name_pool(fake, "first_name_female", pool),
    )
    given = np.where(sex == "M", male[rng.integers(0, pool, n)], female[rng.integers(0, pool, n)])
    family = _name_pool(fake, "last_name", pool * 2)[rng.integers(0, pool * 2, n)]
    dob = pd.Timestamp("1925-01-01") + pd.to_timedelta(rng.integers(0, 365 * 80, n), unit="D")
    return pd.DataFrame(
        {
            "person": np.arange(n),
            "nhs_number": valid_nhs_numbers(rng, n),
            "forename": given,
            "surname": family,
            "date_of_birth": dob.strftime("%Y-%m-%d"),
            "sex": sex,
            "postcode": np.asarray(postcodes)[rng.integers(0, len(postcodes), n)],
        }
    )


def _typo(rng: np.random.Generator, word: str) -> str:
    if len(word) < 3:
        return word
    i = int(rng.integers(1, len(word) - 1))
    kind = rng.integers(0, 3)
    if kind == 0:  # transpose two letters
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    if kind == 1:  # drop a letter
        return word[:i] + word[i + 1 :]
    return word[:i] + str(rng.choice(LETTERS)) + word[i + 1 :]  # wrong letter


def _date_error(rng: np.random.Generator, iso: str) -> str:
    y, m, d = iso.split("-")
    if rng.random() < 0.5 and int(d) <= 12:
        return f"{y}-{d}-{m}"  # day and month transposed
    return f"{y}-{m}-{min(28, max(1, int(d) + int(rng.choice([-1, 1])))):02d}"


def partner_extract(
    people: pd.DataFrame,
    *,
    fraction: float,
    seed: int,
    error_rate: float = 0.1,
    with_nhs_number: bool = True,
    moved_postcodes: Sequence[str] = (),
) -> pd.DataFrame:
    """One partner's copy of a sample of people, with recording errors at ``error_rate``."""
    rng = np.random.default_rng(seed)
    take = rng.random(len(people)) < fraction
    out = people.loc[take].copy().reset_index(drop=True)
    n = len(out)

    def pick(rate: float) -> np.ndarray:
        return rng.random(n) < rate

    for col in ("forename", "surname"):
        hit = pick(error_rate)
        out.loc[hit, col] = [_typo(rng, w) for w in out.loc[hit, col]]
        out.loc[pick(error_rate / 5), col] = None
    hit = pick(error_rate / 2)
    out.loc[hit, "date_of_birth"] = [_date_error(rng, d) for d in out.loc[hit, "date_of_birth"]]
    if len(moved_postcodes):
        moved = pick(error_rate)
        out.loc[moved, "postcode"] = np.asarray(moved_postcodes)[
            rng.integers(0, len(moved_postcodes), moved.sum())
        ]
    out.loc[pick(error_rate / 4), "postcode"] = None
    lower = pick(0.3)
    out.loc[lower, "postcode"] = (
        out.loc[lower, "postcode"].str.lower().str.replace(" ", "", regex=False)
    )
    if with_nhs_number:
        out.loc[pick(error_rate / 2), "nhs_number"] = None
    else:
        out = out.drop(columns=["nhs_number"])
    out.insert(0, "record_id", [f"R{seed}-{i:07d}" for i in rng.permutation(n)])
    return out
