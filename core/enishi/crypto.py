"""Encryption at rest for LINE channel secrets and access tokens, and hashing of bearer secrets."""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretBox:
    """Fernet with key rotation: the first key encrypts, every key decrypts."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken as exc:
            raise ValueError("a stored secret cannot be decrypted with the configured ENISHI_SECRET_KEY") from exc


def token_digest(token: str) -> str:
    """SHA-256 of a high-entropy random token (session cookie, API token): enough, and fast to look up."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
