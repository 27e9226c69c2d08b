"""A realm's OpenID Connect endpoints: token (password, refresh_token, uma-ticket), logout, certs, userinfo,
discovery, and the realm's public page (``GET /realms/master`` is the stand-in's health route)."""

from __future__ import annotations

import base64
import hmac
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData

from sandbox.common.passwords import password_matches
from sandbox.keycloak import authz, tokens
from sandbox.keycloak.realms import effective_roles
from sandbox.keycloak.sessions import Session
from sandbox.keycloak.store import Obj, Realm
from sandbox.keycloak.web import base_url, bearer, oauth_error, realm_or_404, sessions, settings, store

router = APIRouter()
UMA_GRANT = "urn:ietf:params:oauth:grant-type:uma-ticket"
BAD_CLIENT = ("invalid_client", "Invalid client or Invalid client credentials")


async def _realm(request: Request, name: str) -> Realm:
    return await realm_or_404(request, name, error="Realm does not exist")


def _client_credentials(request: Request, form: FormData) -> tuple[str, str | None]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
        return client_id, secret
    return str(form.get("client_id") or ""), form.get("client_secret")  # type: ignore[return-value]


async def _authenticate_client(request: Request, realm: Realm, form: FormData) -> Obj:
    client_id, secret = _client_credentials(request, form)
    client = await store(request).by_name(realm.name, "client", client_id) if client_id else None
    if client is None or not client.body.get("enabled", True):
        raise oauth_error(401, *BAD_CLIENT)
    if not client.body.get("publicClient") and not hmac.compare_digest(str(secret or ""), client.secret or ""):
        raise oauth_error(401, *BAD_CLIENT)
    return client


async def _user(request: Request, realm: Realm, username: str) -> Obj | None:
    found = await store(request).by_name(realm.name, "user", username.lower())
    if found is None and realm.body.get("loginWithEmailAllowed", True):
        users = await store(request).all(realm.name, "user")
        found = next((u for u in users if (u.body.get("email") or "").lower() == username.lower()), None)
    return found


async def _tokens_for(
    request: Request, realm: Realm, session: Session, user: Obj, authorization: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    roles = [r.name for r in await effective_roles(store(request), realm.name, user)]
    return tokens.token_response(realm, base_url(request), settings(request), session, user, roles, authorization)


async def _password_grant(request: Request, realm: Realm, form: FormData) -> dict[str, Any]:
    client = await _authenticate_client(request, realm, form)
    if not client.body.get("directAccessGrantsEnabled", True):
        raise oauth_error(400, "unauthorized_client", "Client not allowed for direct access grants")
    user = await _user(request, realm, str(form.get("username") or ""))
    password = str(form.get("password") or "")
    if user is None or not user.secret or not password_matches(password, user.secret):
        raise oauth_error(401, "invalid_grant", "Invalid user credentials")
    if not user.body.get("enabled"):
        raise oauth_error(400, "invalid_grant", "Account disabled")
    if user.body.get("requiredActions"):
        raise oauth_error(400, "invalid_grant", "Account is not fully set up")
    scope = str(form.get("scope") or "")
    offline = "offline_access" in scope.split()
    lifetimes = tokens.Lifetimes(realm, settings(request))
    session = await sessions(request).start(
        realm.name,
        user.sid,
        client.name,
        scope,
        offline,
        lifetimes.offline_idle if offline else min(lifetimes.idle, lifetimes.max),
    )
    return await _tokens_for(request, realm, session, user)


def _refresh_claims(realm: Realm, client: Obj, token: str, other_client_message: str) -> dict:
    """A refresh (or offline) token's claims, refused as Keycloak refuses it: expired, forged, another client's
    (whose message differs between the grant and logout)."""
    try:
        claims = tokens.verify(realm, token, "Refresh", "Offline")
    except tokens.InvalidToken as exc:
        raise oauth_error(
            400, "invalid_grant", "Token is not active" if exc.expired else "Invalid refresh token"
        ) from exc
    if claims.get("azp") != client.name:
        raise oauth_error(400, "invalid_grant", other_client_message)
    return claims


async def _session_of_refresh_token(request: Request, realm: Realm, client: Obj, token: str) -> tuple[Session, Obj]:
    claims = _refresh_claims(
        realm, client, token, "Invalid refresh token. Token client and authorized client don't match"
    )
    session = await sessions(request).get(realm.name, claims["sid"])
    user = await store(request).get(realm.name, "user", claims["sub"])
    if session is None or user is None:
        raise oauth_error(400, "invalid_grant", "Session not active")
    if not user.body.get("enabled"):
        raise oauth_error(400, "invalid_grant", "User disabled")
    return session, user


async def _refresh_grant(request: Request, realm: Realm, form: FormData) -> dict[str, Any]:
    client = await _authenticate_client(request, realm, form)
    session, user = await _session_of_refresh_token(request, realm, client, str(form.get("refresh_token") or ""))
    lifetimes = tokens.Lifetimes(realm, settings(request))
    await sessions(request).keep(session, lifetimes.refresh(session, int(time.time())))
    return await _tokens_for(request, realm, session, user)


async def _uma_grant(request: Request, realm: Realm, form: FormData) -> Any:
    """The requesting party's permissions on a resource server (``audience``), for its access token."""
    token = bearer(request)
    try:
        claims = tokens.verify(realm, token or "", "Bearer")
    except tokens.InvalidToken:
        raise oauth_error(401, "invalid_grant", "Invalid bearer token") from None
    session = await sessions(request).get(realm.name, claims["sid"])
    user = await store(request).get(realm.name, "user", claims["sub"])
    if session is None or user is None:
        raise oauth_error(401, "invalid_grant", "Invalid bearer token")
    audience = str(form.get("audience") or claims.get("azp") or "")
    server = await store(request).by_name(realm.name, "client", audience)
    if server is None or not server.body.get("authorizationServicesEnabled"):
        raise oauth_error(400, "invalid_client", "Client does not support permissions")
    resources = authz.ResourceServer.of(await store(request).owned_by(server.id))
    roles = await effective_roles(store(request), realm.name, user)
    subject = authz.Subject(user.sid, {r.sid for r in roles})
    try:
        wanted = form.getlist("permission")
        requested = authz.parse_permissions([str(p) for p in wanted], resources) if wanted else None
    except authz.BadPermissionRequest as exc:
        raise oauth_error(400, exc.error, exc.description) from None
    granted = authz.decide(resources, subject, requested)
    if not granted:
        raise oauth_error(403, "access_denied", "not_authorized")
    mode = form.get("response_mode")
    if mode == "permissions":
        return granted
    if mode == "decision":
        return {"result": True}
    return await _tokens_for(request, realm, session, user, authorization=granted)


GRANTS = {"password": _password_grant, "refresh_token": _refresh_grant, UMA_GRANT: _uma_grant}


@router.post("/realms/{realm_name}/protocol/openid-connect/token")
async def token_endpoint(realm_name: str, request: Request) -> Response:
    realm = await _realm(request, realm_name)
    form = await request.form()
    grant = GRANTS.get(str(form.get("grant_type") or ""))
    if grant is None:
        raise oauth_error(400, "unsupported_grant_type", "Unsupported grant_type")
    return JSONResponse(await grant(request, realm, form), headers={"Cache-Control": "no-store"})


@router.post("/realms/{realm_name}/protocol/openid-connect/logout")
async def logout(realm_name: str, request: Request) -> Response:
    """Ends the refresh token's session; an already ended session is no error (as Keycloak)."""
    realm = await _realm(request, realm_name)
    form = await request.form()
    client = await _authenticate_client(request, realm, form)
    token = str(form.get("refresh_token") or "")
    if not token:
        raise oauth_error(400, "invalid_request", "Missing parameter: refresh_token")
    claims = _refresh_claims(realm, client, token, "Invalid refresh token")
    await sessions(request).end(realm.name, claims["sid"])
    return Response(status_code=204)


@router.get("/realms/{realm_name}/protocol/openid-connect/certs")
async def certs(realm_name: str, request: Request) -> dict[str, Any]:
    realm = await _realm(request, realm_name)
    return {"keys": [realm.key.jwk()]}


@router.api_route("/realms/{realm_name}/protocol/openid-connect/userinfo", methods=["GET", "POST"])
async def userinfo(realm_name: str, request: Request) -> dict[str, Any]:
    realm = await _realm(request, realm_name)
    invalid = oauth_error(401, "invalid_token", "Token verification failed")
    try:
        claims = tokens.verify(realm, bearer(request) or "", "Bearer")
    except tokens.InvalidToken:
        raise invalid from None
    user = await store(request).get(realm.name, "user", claims["sub"])
    if user is None or await sessions(request).get(realm.name, claims["sid"]) is None:
        raise invalid
    shown = tokens.user_claims(user, [])
    shown.pop("realm_access")
    return {"sub": user.sid, **shown}


@router.get("/realms/{realm_name}/.well-known/openid-configuration")
async def discovery(realm_name: str, request: Request) -> dict[str, Any]:
    realm = await _realm(request, realm_name)
    iss = tokens.issuer(base_url(request), realm.name)
    oidc = f"{iss}/protocol/openid-connect"
    return {
        "issuer": iss,
        "authorization_endpoint": f"{oidc}/auth",
        "token_endpoint": f"{oidc}/token",
        "introspection_endpoint": f"{oidc}/token/introspect",
        "userinfo_endpoint": f"{oidc}/userinfo",
        "end_session_endpoint": f"{oidc}/logout",
        "jwks_uri": f"{oidc}/certs",
        "grant_types_supported": ["password", "refresh_token", UMA_GRANT],
        "response_types_supported": ["code", "none", "id_token", "token", "id_token token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["openid", "profile", "email", "roles", "offline_access"],
    }


@router.get("/realms/{realm_name}/.well-known/uma2-configuration")
async def uma_discovery(realm_name: str, request: Request) -> dict[str, Any]:
    realm = await _realm(request, realm_name)
    iss = tokens.issuer(base_url(request), realm.name)
    return {
        "issuer": iss,
        "token_endpoint": f"{iss}/protocol/openid-connect/token",
        "jwks_uri": f"{iss}/protocol/openid-connect/certs",
        "grant_types_supported": [UMA_GRANT],
        "resource_registration_endpoint": f"{iss}/authz/protection/resource_set",
        "permission_endpoint": f"{iss}/authz/protection/permission",
    }


@router.get("/realms/{realm_name}")
async def realm_page(realm_name: str, request: Request) -> dict[str, Any]:
    realm = await _realm(request, realm_name)
    iss = tokens.issuer(base_url(request), realm.name)
    return {
        "realm": realm.name,
        "public_key": realm.key.public_der_b64(),
        "token-service": f"{iss}/protocol/openid-connect",
        "account-service": f"{iss}/account",
        "tokens-not-before": 0,
    }
