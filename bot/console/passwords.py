"""Staff passwords: argon2id hashes (argon2-cffi), never stored in clear."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
#: Verified against when the user does not exist, so both cases take as long.
_DUMMY = _hasher.hash("not a password")
MIN_LENGTH = 8


def hash_password(password: str) -> str:
    """Hash a password for storage.

    Raises:
        ValueError: Shorter than :data:`MIN_LENGTH`.
    """
    if len(password) < MIN_LENGTH:
        raise ValueError(f"password must have at least {MIN_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Tell whether ``password`` matches ``stored`` (``None``: unknown user)."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
