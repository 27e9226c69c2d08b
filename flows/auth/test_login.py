"""Logging in: the token a user receives, and the refusals."""

import time

import pytest

from helpers import tokens
from helpers.assertions import assert_error_response, assert_status, assert_success_envelope, assert_validation_error

pytestmark = [pytest.mark.e2e, pytest.mark.auth]

KEYCLOAK_TOKEN_FIELDS = {
    "access_token",
    "expires_in",
    "refresh_expires_in",
    "refresh_token",
    "token_type",
    "id_token",
    "not-before-policy",
    "session_state",
    "scope",
}


@pytest.mark.priority_p0
async def test_login_returns_a_keycloak_token_for_the_user(auth_api, test_user):
    """
    A registered user logs in with email and password.

    Flow:
    1. POST /auth/login with the user's credentials.
    2. The answer is the auth_token envelope carrying Keycloak's raw token object.
    3. The access token is a live JWT whose subject is the user.
    4. Each token's own exp claim matches the lifetime the answer announces (expires_in, refresh_expires_in).
    """
    response = await auth_api.login(test_user.email, test_user.password)
    body = assert_status(response, 200)
    assert_success_envelope(body, "auth_token")
    assert body["message"] == "User logged in successfully"
    assert isinstance(body["first_login"], bool) and isinstance(body["is_reset_password"], bool)

    token = body["token"]
    assert token.keys() >= KEYCLOAK_TOKEN_FIELDS, f"token object lacks {KEYCLOAK_TOKEN_FIELDS - token.keys()}"
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] > 0 and token["refresh_expires_in"] > 0

    claims = tokens.claims(token["access_token"])
    assert claims["exp"] > time.time()
    assert claims["email"] == test_user.email
    assert_lifetime(claims, token["expires_in"], "access")
    assert_lifetime(tokens.claims(token["refresh_token"]), token["refresh_expires_in"], "refresh")
    test_user.remember_token(token)


def assert_lifetime(claims: dict, announced: int, kind: str) -> None:
    """A token lives as long as the answer announces: Keycloak signs exp = iat + lifespan and counts the announced
    seconds when it answers, up to a second after iat."""
    lived_longer = claims["exp"] - claims["iat"] - announced
    assert 0 <= lived_longer <= 1, (
        f"the {kind} token lives {claims['exp'] - claims['iat']}s (exp - iat), the answer announced {announced}s"
    )


@pytest.mark.priority_p1
async def test_super_user_logs_in_as_admin(auth_api, settings):
    """The deployment's super user can log in with user_type=admin."""
    password = settings.admin.password.get_secret_value()
    body = assert_status(await auth_api.login(settings.admin.email, password, user_type="admin"), 200)
    me = assert_status(await auth_api.me(body["token"]["access_token"]), 200)["user"]
    assert (me["email"], me["user_type"], me["role"]) == (settings.admin.email, "admin", "super_admin")


@pytest.mark.priority_p1
async def test_wrong_password_is_refused(auth_api, test_user):
    response = await auth_api.login(test_user.email, test_user.password + "x")
    assert_error_response(response, 400, "Incorrect email or password")


@pytest.mark.priority_p1
async def test_unknown_email_is_refused(auth_api, unregistered_user):
    response = await auth_api.login(unregistered_user.email, unregistered_user.password)
    # budapp asks Keycloak about an email it does not know (just-in-time provisioning); Keycloak refuses it
    assert_error_response(response, 400, "Incorrect email or password")


@pytest.mark.priority_p1
async def test_a_deleted_account_cannot_log_in(auth_api, user_factory, admin_token, users_api):
    """
    An admin deletes a user; the user's password still works at the identity provider, but budapp refuses them.

    Flow:
    1. A fresh user registers and logs in; /users/me names them.
    2. The super user deletes the account: 200 "User deleted successfully".
    3. The same email and password: 400 "User account is not active" (budapp only marks the user deleted).
    """
    user = await user_factory()
    me = assert_status(await auth_api.me(user.access_token), 200)["user"]
    assert me["email"] == user.email
    deleted = await users_api.delete(admin_token, me["id"])
    assert assert_status(deleted, 200)["message"] == "User deleted successfully"

    assert_error_response(await auth_api.login(user.email, user.password), 400, "User account is not active")


@pytest.mark.priority_p1
async def test_malformed_login_is_a_422(auth_api):
    """Bad email and too-short password are both reported, each at its field."""
    response = await auth_api.submit("login", {"email": "bad", "password": "x"})
    assert_validation_error(response, (("body", "email"), "value_error"), (("body", "password"), "string_too_short"))
