"""Reading and forging JWTs for negative tests (never valid on a real deployment)."""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any

import jwt

from helpers.masking import register_secret


def claims(token: str) -> dict[str, Any]:
    """The token's claims, without verifying the signature."""
    return jwt.decode(token, options={"verify_signature": False})


def header(token: str) -> dict[str, Any]:
    return jwt.get_unverified_header(token)


def seconds_left(token: str) -> float:
    return claims(token)["exp"] - time.time()


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _registered(token: str) -> str:
    register_secret(token)
    return token


def with_broken_signature(token: str) -> str:
    """Same header and claims, signature bytes altered."""
    head, body, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return _registered(f"{head}.{body}.{flipped}")


def unsigned(token: str, **overrides: Any) -> str:
    """``alg: none`` copy of the token (optionally with claims changed)."""
    return _registered(f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({**claims(token), **overrides})}.")


def resigned_with_foreign_key(token: str, **overrides: Any) -> str:
    """Claims re-signed with a key the platform has never seen (HS256)."""
    forged = jwt.encode(
        {**claims(token), **overrides},
        secrets.token_hex(32),
        algorithm="HS256",
        headers={"kid": header(token).get("kid", "forged")},
    )
    return _registered(forged)


# Tokens the realm did not sign, each carrying a real user's claims: what every signature check must refuse.
FORGERIES = {
    "broken-signature": with_broken_signature,
    "alg-none": unsigned,
    "foreign-key": resigned_with_foreign_key,
}
