"""The tokens a realm issues (access, refresh, ID, RPT) and their lifetimes, as Keycloak shapes them.

budapp decodes access tokens with python-keycloak (``decode_token`` against the JWKS) and reads ``sub`` and
``exp``; the RPT's ``authorization.permissions`` it decodes itself. The other claims are Keycloak's usual set.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import uuid4

import jwt

from sandbox.keycloak.sessions import Session
from sandbox.keycloak.store import Obj, Realm
from sandbox.settings import SandboxSettings

OFFLINE_IDLE_DEFAULT = 2_592_000  # Keycloak's offlineSessionIdleTimeout: 30 days
# client scopes whose names Keycloak puts in the scope claim: the defaults always, the optional ones on request
DEFAULT_SCOPES = ("profile", "email")
OPTIONAL_SCOPES = ("offline_access", "address", "phone")


class InvalidToken(Exception):
    """Not signed by the realm, malformed, expired or of the wrong type."""

    def __init__(self, why: str, expired: bool = False) -> None:
        super().__init__(why)
        self.expired = expired


def issuer(base_url: str, realm: str) -> str:
    return f"{base_url}/realms/{realm}"


def granted_scope(requested: str) -> str:
    asked = requested.split()
    return " ".join(
        (["openid"] if "openid" in asked else []) + list(DEFAULT_SCOPES) + [s for s in OPTIONAL_SCOPES if s in asked]
    )


class Lifetimes:
    """A realm's token lifetimes: its own settings (budapp PUTs them), else the sandbox's."""

    def __init__(self, realm: Realm, settings: SandboxSettings) -> None:
        body = realm.body
        self.access = int(body.get("accessTokenLifespan") or settings.access_token_lifespan)
        self.idle = int(body.get("ssoSessionIdleTimeout") or settings.refresh_token_lifespan)
        self.max = int(body.get("ssoSessionMaxLifespan") or settings.refresh_token_lifespan)
        self.offline_idle = int(body.get("offlineSessionIdleTimeout") or OFFLINE_IDLE_DEFAULT)

    def refresh(self, session: Session, now: int) -> int:
        """Seconds the session's refresh token lives: idle timeout, capped by the session's maximum."""
        if session.offline:
            return self.offline_idle
        return max(0, min(self.idle, session.started + self.max - now))


def user_claims(user: Obj, roles: list[str]) -> dict[str, Any]:
    body = user.body
    given, family = body.get("firstName"), body.get("lastName")
    claims: dict[str, Any] = {
        "email_verified": bool(body.get("emailVerified")),
        "preferred_username": user.name,
        "realm_access": {"roles": roles},
    }
    if body.get("email"):
        claims["email"] = body["email"]
    if given or family:
        claims |= {"name": " ".join(p for p in (given, family) if p), "given_name": given, "family_name": family}
    return {k: v for k, v in claims.items() if v is not None}


def token_response(
    realm: Realm,
    base_url: str,
    settings: SandboxSettings,
    session: Session,
    user: Obj,
    roles: list[str],
    authorization: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The token endpoint's answer for a session: a new access token (an RPT when ``authorization`` is given),
    a new refresh token and, for the ``openid`` scope, an ID token."""
    now = int(time.time())
    lifetimes = Lifetimes(realm, settings)
    refresh_in = lifetimes.refresh(session, now)
    iss = issuer(base_url, realm.name)
    scope = granted_scope(session.scope)
    common = {"iat": now, "iss": iss, "sub": session.user_id, "azp": session.client_id, "sid": session.sid}
    access = {
        **common,
        "exp": now + lifetimes.access,
        "jti": str(uuid4()),
        "aud": "account",
        "typ": "Bearer",
        "session_state": session.sid,
        "acr": "1",
        "allowed-origins": ["*"],
        "scope": scope,
        "resource_access": {"account": {"roles": ["manage-account", "view-profile"]}},
        **user_claims(user, roles),
    }
    if authorization is not None:
        access["authorization"] = {"permissions": authorization}
    refresh = {
        **common,
        "exp": now + refresh_in,
        "jti": str(uuid4()),
        "aud": iss,
        "typ": "Offline" if session.offline else "Refresh",
        "scope": scope,
    }
    answer: dict[str, Any] = {
        "access_token": realm.key.sign(access),
        "expires_in": lifetimes.access,
        # Keycloak answers 0 for offline tokens: they live as long as the offline session is used
        "refresh_expires_in": 0 if session.offline else refresh_in,
        "refresh_token": realm.key.sign(refresh),
        "token_type": "Bearer",
        "not-before-policy": 0,
        "session_state": session.sid,
        "scope": scope,
    }
    if authorization is not None:
        answer["upgraded"] = False
    if "openid" in session.scope.split():
        id_token = {
            **common,
            "exp": now + lifetimes.access,
            "jti": str(uuid4()),
            "aud": session.client_id,
            "typ": "ID",
            **user_claims(user, roles),
        }
        id_token.pop("realm_access")
        answer["id_token"] = realm.key.sign(id_token)
    return answer


def verify(realm: Realm, token: str, *types: str) -> dict[str, Any]:
    """The claims of a token of this realm, of one of ``types``; raises InvalidToken."""
    try:
        claims = realm.key.verify(token, options={"verify_aud": False, "require": ["exp", "sub", "typ", "sid"]})
    except jwt.ExpiredSignatureError:
        raise InvalidToken("expired", expired=True) from None
    except jwt.PyJWTError as exc:
        raise InvalidToken(type(exc).__name__) from None
    if claims.get("typ") not in types:
        raise InvalidToken(f"token type {claims.get('typ')!r}")
    return claims
