"""budapp's auth endpoints as user-level actions, and the user a test plays."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx

from helpers.api_client import APIClient, Token
from helpers.masking import register_secret
from helpers.naming import strong_password, unique_email, unique_person_name
from helpers.tokens import claims, seconds_left


@dataclass
class TestUser:
    """A user the suite registered; tokens are filled in by ``login``."""

    __test__ = False  # not a test class

    email: str
    password: str
    name: str
    role: str = "developer"
    id: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    token: dict[str, Any] = field(default_factory=dict)

    def remember_token(self, token: dict[str, Any]) -> None:
        self.token = token
        self.access_token = token["access_token"]
        self.refresh_token = token["refresh_token"]
        register_secret(self.access_token)
        register_secret(self.refresh_token)
        register_secret(token.get("id_token"))


def new_user_identity(role: str = "developer") -> TestUser:
    password = strong_password()
    register_secret(password)
    return TestUser(email=unique_email(), password=password, name=unique_person_name(), role=role)


AUTH_ROUTES = frozenset({"register", "login", "refresh-token", "logout"})


class AuthAPI:
    """Register, log in, refresh, log out, and ask who I am."""

    def __init__(self, budapp: APIClient) -> None:
        self.budapp = budapp
        self._sessions: dict[str, Credentials] = {}

    async def register(self, user: TestUser, **extra: Any) -> httpx.Response:
        body = {"name": user.name, "email": user.email, "password": user.password, "role": user.role, **extra}
        return await self.budapp.post("/auth/register", json=body)

    async def login(self, email: str, password: str, **extra: Any) -> httpx.Response:
        return await self.budapp.post("/auth/login", json={"email": email, "password": password, **extra})

    async def refresh(self, refresh_token: str) -> httpx.Response:
        return await self.budapp.post("/auth/refresh-token", json={"refresh_token": refresh_token})

    async def logout(self, refresh_token: str, access_token: str | None = None) -> httpx.Response:
        return await self.budapp.post("/auth/logout", json={"refresh_token": refresh_token}, token=access_token or "")

    async def submit(self, route: str, body: Any) -> httpx.Response:
        """Send ``body`` exactly as given to an unauthenticated auth route (``register``, ``login``,
        ``refresh-token``, ``logout``): how the tests of malformed requests reach it."""
        assert route in AUTH_ROUTES, f"{route!r} is not one of budapp's auth routes {sorted(AUTH_ROUTES)}"
        return await self.budapp.post(f"/auth/{route}", json=body)

    async def me_with_authorization(self, authorization: str) -> httpx.Response:
        """``/users/me`` with the Authorization header as given (another scheme, a malformed value)."""
        return await self.budapp.get("/users/me", headers={"Authorization": authorization})

    async def me(self, access_token: Token) -> httpx.Response:
        return await self.budapp.get("/users/me", token=access_token or "")

    async def super_user_token(self, email: str, password: str) -> str:
        """The super user's access token, for tools that act outside a test (leak check, clean-up); one readable
        error when the login is refused."""
        register_secret(password)
        response = await self.login(email, password, user_type="admin")
        if response.status_code != 200:
            raise RuntimeError(
                f"super user login as {email} failed ({response.status_code}); check E2E_ADMIN_EMAIL and "
                "E2E_ADMIN_PASSWORD (or the credentials.env the set-up wrote)"
            )
        token: str = response.json()["token"]["access_token"]
        register_secret(token)
        return token

    async def login_user(self, user: TestUser, **extra: Any) -> dict[str, Any]:
        """Log ``user`` in and keep its tokens; fail with the answer when it does not work."""
        response = await self.login(user.email, user.password, **extra)
        if response.status_code != 200:
            raise AssertionError(f"login of {user.email} failed: {response.status_code} {response.text[:300]}")
        body = response.json()
        user.remember_token(body["token"])
        return body

    async def set_own_password(self, user: TestUser, password: str) -> None:
        """``user`` changes its password (which activates an invited account); fail with the answer otherwise."""
        register_secret(password)
        response = await self.budapp.patch(f"/users/{user.id}", json={"password": password}, token=user.access_token)
        if response.status_code != 200:
            raise AssertionError(f"{user.email} could not set a password: {response.status_code} {response.text[:300]}")
        user.password = password

    def session(self, user: TestUser) -> Credentials:
        """``user``'s logged-in session, to pass as ``token=`` to any call (one per user, so they refresh once)."""
        found = self._sessions.get(user.email)
        if found is None or found.user is not user:
            found = self._sessions[user.email] = Credentials(user, self)
        return found

    async def valid_access_token(self, user: TestUser, margin: float = 30.0) -> str:
        """``user``'s access token, refreshed first when it expires within ``margin`` seconds."""
        if user.access_token and seconds_left(user.access_token) > margin:
            return user.access_token
        response = await self.refresh(user.refresh_token) if user.refresh_token else None
        if response is not None and response.status_code == 200:
            user.remember_token(response.json()["token"])
        else:
            await self.login_user(user, **login_options(user))
        assert user.access_token is not None, f"{user.email} has no access token after logging in"
        return user.access_token

    async def register_and_login(self, user: TestUser) -> TestUser:
        response = await self.register(user)
        if response.status_code != 200:
            raise AssertionError(f"registration of {user.email} failed: {response.status_code} {response.text[:300]}")
        await self.login_user(user)
        me = await self.me(user.access_token)
        if me.status_code != 200:
            raise AssertionError(f"/users/me for {user.email} failed: {me.status_code} {me.text[:300]}")
        identity = me.json()["user"]
        if identity["email"].lower() != user.email.lower():
            raise AssertionError(f"/users/me for {user.email} answered for {identity['email']}")
        user.id = identity["id"]
        return user


class Credentials:
    """A logged-in user bound to budapp's auth API: each call gets a token that is not about to expire (refreshed
    ahead of time, or a new login once the refresh token is gone too), and ``renew`` logs in again when budapp
    refused the session. Tests pass it as ``token=``; a raw token string stays for tests of bad tokens."""

    MARGIN = 30.0  # refresh this long before expiry, or a third of the token's life when it lives shorter

    def __init__(self, user: TestUser, auth: AuthAPI) -> None:
        self.user = user
        self.auth = auth
        self._lock = asyncio.Lock()  # concurrent calls of one user refresh once, not once each

    def __repr__(self) -> str:
        return f"Credentials({self.user.email})"

    @property
    def user_id(self) -> str | None:
        return self.user.id

    def _margin(self) -> float:
        token = self.user.access_token
        if not token:
            return self.MARGIN
        granted = claims(token)
        return min(self.MARGIN, (granted["exp"] - granted.get("iat", granted["exp"] - 3 * self.MARGIN)) / 3)

    async def access_token(self) -> str:
        async with self._lock:
            return await self.auth.valid_access_token(self.user, margin=self._margin())

    async def renew(self) -> str:
        async with self._lock:
            await self.auth.login_user(self.user, **login_options(self.user))
            assert self.user.access_token is not None, f"{self.user.email} has no access token after logging in"
            return self.user.access_token


def login_options(user: TestUser) -> dict[str, Any]:
    """What budapp's login needs besides the password: an admin account logs in as an admin."""
    return {"user_type": "admin"} if user.role in ("super_admin", "admin") else {}
