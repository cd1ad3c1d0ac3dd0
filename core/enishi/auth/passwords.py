"""Argon2id password hashing."""

from __future__ import annotations

import base64
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


# Verifying against this keeps the time of a login for an unknown email like that of a known one: verifying
# costs one Argon2 computation with the parameters the hash names, whatever digest it holds, so it names the
# hasher's own and holds random bytes (no password matches them). Written out, not computed: hashing a password
# here took a third of a second of every process's start-up, and a hash computed on the first unknown email
# instead would make that one login slower than the others.
_DUMMY_HASH = (
    f"$argon2{_hasher.type.name.lower()}$v={ARGON2_VERSION}"
    f"$m={_hasher.memory_cost},t={_hasher.time_cost},p={_hasher.parallelism}"
    f"${_b64(os.urandom(_hasher.salt_len))}${_b64(os.urandom(_hasher.hash_len))}"
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        minimum = MIN_PASSWORD_LENGTH
        return f"パスワードは{minimum}文字以上にしてください / must be at least {minimum} characters"
    if len(password) > 512:
        return "パスワードが長すぎます / must be at most 512 characters"
    return None
