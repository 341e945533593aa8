"""Encryption at rest and keyed hashing of identifying data.

``DATA_KEY`` holds one or more Fernet keys separated by commas: the first encrypts,
all of them decrypt (``MultiFernet``), so a new key can be put in front and old data
re-encrypted at leisure. The keyed hash that spots repeat callers is derived from the
*last* (oldest) key, so that adding a key in front does not change the hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["DataCipher", "InvalidToken", "generate_key"]


def generate_key() -> str:
    """A new random key in the format ``DATA_KEY`` expects."""
    return Fernet.generate_key().decode("ascii")


class DataCipher:
    """Encrypts and decrypts data at rest; computes keyed hashes of identifiers."""

    def __init__(self, data_key: str) -> None:
        keys = [k.strip() for k in data_key.split(",") if k.strip()]
        if not keys:
            raise ValueError("DATA_KEY is empty")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except ValueError as exc:
            raise ValueError(
                "DATA_KEY must be Fernet keys (32 url-safe base64 bytes), comma separated"
            ) from exc
        oldest = base64.urlsafe_b64decode(keys[-1])
        self._hash_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"hotline identifier hash v1"
        ).derive(oldest)

    def encrypt(self, data: bytes) -> bytes:
        """Encrypt ``data`` with the current key (authenticated encryption)."""
        return self._fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        """Decrypt a token made by :meth:`encrypt` with any configured key."""
        return self._fernet.decrypt(token)

    def encrypt_text(self, text: str) -> bytes:
        """Encrypt a string (UTF-8)."""
        return self.encrypt(text.encode("utf-8"))

    def decrypt_text(self, token: bytes) -> str:
        """Decrypt a token made by :meth:`encrypt_text`."""
        return self.decrypt(token).decode("utf-8")

    def keyed_hash(self, identifier: str) -> str:
        """HMAC-SHA256 of an identifier (hex): equal inputs match, nothing is revealed."""
        return hmac.new(self._hash_key, identifier.encode("utf-8"), hashlib.sha256).hexdigest()
