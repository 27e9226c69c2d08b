"""A Keycloak stand-in: password grant, refresh, logout, RS256 tokens.

Credentials live in PostgreSQL (schema ``keycloak``); sessions live in Redis,
so that logging out one session leaves the user's other sessions alone.
"""

from __future__ import annotations

import json
import time
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import jwt
import redis.asyncio as redis

from sandbox.common.passwords import hash_password, password_matches
from sandbox.common.tokens import SigningKey as CommonSigningKey

SESSION_KEY = "sandbox:keycloak:session:{}"
REALM_KEY = "sandbox:keycloak:realm-key"  # the realm's signing key, shared by every budapp process
AUDIENCE = "account"
CLIENT_ID = "bud-client"
SCOPE = "openid profile email roles"


class AuthenticationError(Exception):
    """Wrong credentials or a disabled account."""


ACCESS_TOKEN_LEEWAY = 60  # seconds an access token is still accepted after its exp


# what passes as each kind: whatever the realm signs with its RSA key passes budapp's access-token check (the ID
# token too); Keycloak signs refresh tokens with the realm's HMAC key, which that check does not know
ACCEPTED_TYPES = {"Bearer": ("Bearer", "ID"), "Refresh": ("Refresh",)}


class TokenExpired(Exception):
    pass


class TokenInvalid(Exception):
    pass


class SigningKey(CommonSigningKey):
    """The realm's key, shared by every budapp process through Redis."""

    @classmethod
    async def shared(cls, store: redis.Redis) -> SigningKey:
        """The realm's key as kept in Redis; the first process to start creates it (like Keycloak's realm keys,
        it outlives restarts, so every budapp worker signs and checks tokens with the same key)."""
        stored = await store.get(REALM_KEY)
        if stored is None:
            candidate = cls.generate()
            await store.set(REALM_KEY, json.dumps({"kid": candidate.kid, "pem": candidate.private_pem()}), nx=True)
            stored = await store.get(REALM_KEY)
        assert stored is not None, f"{REALM_KEY} vanished from Redis"
        record = json.loads(stored)
        return cls.from_pem(record["kid"], record["pem"])


class KeycloakStandIn:
    """Issues and checks tokens of the ``bud`` realm."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        store: redis.Redis,
        issuer: str,
        key: SigningKey,
        access_lifespan: int,
        refresh_lifespan: int,
    ) -> None:
        self.pool = pool
        self.store = store
        self.issuer = issuer
        self.key = key
        self.access_lifespan = access_lifespan
        self.refresh_lifespan = refresh_lifespan

    # -- users ----------------------------------------------------------------

    async def create_user(self, connection: asyncpg.Connection, email: str, password: str) -> UUID:
        user_id = uuid4()
        await connection.execute(
            "INSERT INTO keycloak.user_entity (id, email, password_hash) VALUES ($1, lower($2), $3)",
            user_id,
            email,
            hash_password(password),
        )
        return user_id

    async def ensure_user(self, email: str, password: str) -> UUID:
        """Create or reset a user (used to seed the super user)."""
        existing = await self.pool.fetchrow("SELECT id FROM keycloak.user_entity WHERE email = lower($1)", email)
        if existing:
            await self.pool.execute(
                "UPDATE keycloak.user_entity SET password_hash = $2, enabled = TRUE WHERE id = $1",
                existing["id"],
                hash_password(password),
            )
            return existing["id"]
        async with self.pool.acquire() as connection:
            return await self.create_user(connection, email, password)

    async def set_password(self, auth_id: UUID, password: str) -> None:
        await self.pool.execute(
            "UPDATE keycloak.user_entity SET password_hash = $2 WHERE id = $1", auth_id, hash_password(password)
        )

    async def authenticate(self, email: str, password: str) -> UUID:
        record = await self.pool.fetchrow(
            "SELECT id, password_hash, enabled FROM keycloak.user_entity WHERE email = lower($1)", email
        )
        if record is None or not record["enabled"] or not password_matches(password, record["password_hash"]):
            raise AuthenticationError("invalid_grant")
        return record["id"]

    # -- tokens ---------------------------------------------------------------

    async def password_grant(self, auth_id: UUID, profile: dict[str, Any], remember_me: bool = False) -> dict[str, Any]:
        session_id = str(uuid4())
        lifespan = self.refresh_lifespan * (30 if remember_me else 1)
        session = {"sub": str(auth_id), "profile": profile, "refresh_lifespan": lifespan}
        await self.store.set(SESSION_KEY.format(session_id), json.dumps(session), ex=lifespan)
        return self._token_response(session_id, session)

    async def refresh(self, refresh_token: str, *, expired_access: bool = False) -> dict[str, Any]:
        claims = self._decode(refresh_token, expected_type="Refresh")
        raw = await self.store.get(SESSION_KEY.format(claims["sid"]))
        if raw is None:
            raise TokenInvalid("session not active")
        return self._token_response(claims["sid"], json.loads(raw), expired_access=expired_access)

    async def logout(self, refresh_token: str) -> None:
        claims = self._decode(refresh_token, expected_type="Refresh")
        await self.store.delete(SESSION_KEY.format(claims["sid"]))

    def decode_access(self, token: str) -> dict[str, Any]:
        return self._decode(token, expected_type="Bearer")

    def _token_response(self, session_id: str, session: dict[str, Any], expired_access: bool = False) -> dict[str, Any]:
        now = int(time.time())
        access_exp = now - ACCESS_TOKEN_LEEWAY - 60 if expired_access else now + self.access_lifespan
        base = {"iss": self.issuer, "sub": session["sub"], "sid": session_id, "azp": CLIENT_ID, "iat": now}
        profile = session["profile"]
        access = self._sign(
            {
                **base,
                "exp": access_exp,
                "jti": str(uuid4()),
                "aud": AUDIENCE,
                "typ": "Bearer",
                "session_state": session_id,
                "scope": SCOPE,
                "email": profile["email"],
                "preferred_username": profile["email"],
                "name": profile.get("name"),
            }
        )
        refresh_exp = now + session["refresh_lifespan"]
        refresh = self._sign({**base, "exp": refresh_exp, "jti": str(uuid4()), "aud": self.issuer, "typ": "Refresh"})
        id_token = self._sign(
            {**base, "exp": now + self.access_lifespan, "aud": CLIENT_ID, "typ": "ID", "email": profile["email"]}
        )
        return {
            "access_token": access,
            "expires_in": self.access_lifespan,
            "refresh_expires_in": session["refresh_lifespan"],
            "refresh_token": refresh,
            "token_type": "Bearer",
            "id_token": id_token,
            "not-before-policy": 0,
            "session_state": session_id,
            "scope": SCOPE,
        }

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.key.private_key, algorithm="RS256", headers={"kid": self.key.kid})

    def _decode(self, token: str, expected_type: str) -> dict[str, Any]:
        access = expected_type == "Bearer"
        # budapp checks access tokens itself (python-keycloak's decode_token: jwcrypto with a leeway), while
        # refresh tokens go to Keycloak, which allows none
        leeway = ACCESS_TOKEN_LEEWAY if expected_type == "Bearer" else 0
        try:
            # decode_token checks the signature, exp and nbf of an access token, not its audience, issuer or type
            # (known defect BUD-010); Keycloak checks all of a refresh token
            claims = jwt.decode(
                token,
                self.key.public_key,
                algorithms=["RS256"],
                audience=None if access else self.issuer,
                issuer=None if access else self.issuer,
                leeway=leeway,
                options={"require": ["exp", "sub", "typ"], "verify_aud": not access},
            )
        except jwt.ExpiredSignatureError:
            raise TokenExpired() from None
        except jwt.PyJWTError as exc:
            raise TokenInvalid(str(exc)) from None
        if claims.get("typ") not in ACCEPTED_TYPES[expected_type]:
            raise TokenInvalid(f"token type {claims.get('typ')!r}")
        return claims
