"""Password hashing with argon2 (memory-hard, salted, parameters carried in the hash).

Checking a password costs the same whether or not there is a hash to check against, so the time
a sign-in takes does not tell whether the username exists.
"""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    # Made once per process with the same parameters as real hashes; nothing can match it.
    return _hasher().hash(secrets.token_urlsafe(32))


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches the stored hash (False, after the same work, without one)."""
    try:
        matched = _hasher().verify(stored_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and bool(stored_hash)


def spend_verification(password: str) -> None:
    """Do the work of one password check for a user who does not exist."""
    verify_password(None, password)
