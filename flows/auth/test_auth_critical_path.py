"""The authentication critical path, end to end."""

import pytest

from helpers.assertions import assert_detail, assert_error_response, assert_status, assert_success_envelope

pytestmark = [pytest.mark.e2e, pytest.mark.auth, pytest.mark.flow]


@pytest.mark.priority_p0
async def test_register_login_use_refresh_logout(auth_api, unregistered_user, projects_api):
    """
    A new user signs up and goes through a whole session.

    Flow:
    1. Register with name, email, password and role.
    2. Log in and receive a Keycloak token object.
    3. Call a protected endpoint (/users/me, /projects/) as that user.
    4. Refresh the session; the new access token works and is still the same user.
    5. Log out; the access token and the refresh token are rejected from then on.
    """
    user = unregistered_user
    body = assert_status(await auth_api.register(user), 200)
    assert body == {"object": "info", "message": "User registered successfully"}

    login = await auth_api.login_user(user)
    assert_success_envelope(login, "auth_token")
    assert login["token"]["token_type"] == "Bearer"

    me = assert_status(await auth_api.me(user.access_token), 200)
    assert me["user"]["email"] == user.email, "/users/me answered for somebody else"
    user.id = me["user"]["id"]
    projects = assert_status(await projects_api.list(user.access_token), 200)
    assert_success_envelope(projects, "project.list")

    refreshed = assert_status(await auth_api.refresh(user.refresh_token), 200)
    assert refreshed["message"] == "Token refreshed successfully"
    user.remember_token(refreshed["token"])
    me_again = assert_status(await auth_api.me(user.access_token), 200)
    assert me_again["user"]["id"] == user.id, "refreshed token belongs to another user"

    bye = assert_status(await auth_api.logout(user.refresh_token, user.access_token), 200)
    assert bye == {"object": "info", "message": "User logged out successfully"}

    assert_detail(await auth_api.me(user.access_token), 401, "Invalid authentication credentials")
    assert_error_response(await auth_api.refresh(user.refresh_token), 401, "Token Expired or Invalid")
