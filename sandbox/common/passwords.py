"""Password hashes of the sandbox's identity stores (scrypt, stored as ``scrypt$<n>$<salt>$<digest>``)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# scrypt cost of new hashes: low, because every test user logs in and the sandbox shares two cores with
# the suite. Hashes without the prefix were made with n = 4096.
SCRYPT_N = 2**10
LEGACY_SCRYPT_N = 2**12


def _scrypt(password: str, salt: bytes, n: int) -> str:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1).hex()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    return f"scrypt${SCRYPT_N}${salt.hex()}${_scrypt(password, salt, SCRYPT_N)}"


def password_matches(password: str, stored: str) -> bool:
    parts = stored.split("$")
    if parts[0] == "scrypt":
        n, salt, digest = int(parts[1]), parts[2], parts[3]
    else:
        (salt, digest), n = parts, LEGACY_SCRYPT_N
    return hmac.compare_digest(_scrypt(password, bytes.fromhex(salt), n), digest)
