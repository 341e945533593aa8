"""Encrypted audio storage: a small interface and a directory implementation."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol

from ivr.crypto import DataCipher


class IntegrityError(RuntimeError):
    """Stored audio does not match the SHA-256 taken when it was received."""


class BlobStore(Protocol):
    """Where encrypted blobs live, by key."""

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` durably under ``key`` (replacing any previous blob)."""
        ...

    def get(self, key: str) -> bytes:
        """The blob under ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob (a missing one counts as removed)."""
        ...


class DirectoryStore:
    """Blobs as files under a directory, written atomically (temp file, fsync, rename)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("storage key escapes the storage directory")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class AudioVault:
    """Encrypts audio before it is stored and checks its hash when it is read."""

    def __init__(self, store: BlobStore, cipher: DataCipher) -> None:
        self.store, self.cipher = store, cipher

    def put(self, key: str, audio: bytes) -> str:
        """Encrypt and store ``audio``; returns its SHA-256 (hex) as received."""
        digest = hashlib.sha256(audio).hexdigest()
        self.store.put(key, self.cipher.encrypt(audio))
        return digest

    def get(self, key: str, sha256: str) -> bytes:
        """Decrypt the audio under ``key`` and verify it against ``sha256``."""
        audio = self.cipher.decrypt(self.store.get(key))
        if hashlib.sha256(audio).hexdigest() != sha256:
            raise IntegrityError(f"stored audio {key} does not match its SHA-256")
        return audio
