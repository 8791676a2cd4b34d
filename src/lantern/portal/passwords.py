"""Password hashing with argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from lantern.errors import InputError

_HASHER = PasswordHasher()
MIN_LENGTH = 12
# A dummy hash to verify against when the user does not exist, so timing reveals nothing.
_DUMMY = _HASHER.hash("lantern-dummy-password")


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InputError(f"passwords must be at least {MIN_LENGTH} characters long")


def hash_password(password: str) -> str:
    check_strength(password)
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches; always does the same work, even with no stored hash."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
