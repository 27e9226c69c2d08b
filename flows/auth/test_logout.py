"""Logging out revokes the session."""

import pytest

from helpers.assertions import assert_detail, assert_error_response, assert_status, assert_validation_error
from helpers.auth import TestUser
from helpers.waiting import holds_for

# how long a logged-out access token is watched: its revocation must last (budapp keeps it until the token's exp)
REVOCATION_WATCH_SECONDS = 3

pytestmark = [pytest.mark.e2e, pytest.mark.auth]


@pytest.mark.priority_p0
async def test_logout_revokes_access_and_refresh_tokens(auth_api, user_factory, polling):
    """
    After logout neither token opens anything, then or later.

    Flow:
    1. Log in (fresh user); the access token works.
    2. POST /auth/logout with the refresh token and the access token as Bearer.
    3. The access token is rejected by /users/me (401), and stays rejected while it is watched for a few seconds
       (budapp blacklists it for the rest of its lifetime).
    4. The refresh token can no longer be refreshed (401).
    """
    user = await user_factory()
    assert_status(await auth_api.me(user.access_token), 200)

    body = assert_status(await auth_api.logout(user.refresh_token, user.access_token), 200)
    assert body == {"object": "info", "message": "User logged out successfully"}

    assert_detail(await auth_api.me(user.access_token), 401, "Invalid authentication credentials")

    async def status_of_me() -> int:
        return (await auth_api.me(user.access_token)).status_code

    await holds_for(
        status_of_me,
        lambda status: status == 401,
        duration=REVOCATION_WATCH_SECONDS,
        description="the logged-out access token to stay refused",
        polling=polling,
        describe=lambda status: f"/users/me answered {status}",
    )
    assert_error_response(await auth_api.refresh(user.refresh_token), 401, "Token Expired or Invalid")


@pytest.mark.priority_p1
async def test_logout_without_bearer_still_ends_the_refresh_session(auth_api, user_factory):
    """Logging out with only the refresh token revokes it."""
    user = await user_factory()
    assert_status(await auth_api.logout(user.refresh_token), 200)
    assert_error_response(await auth_api.refresh(user.refresh_token), 401, "Token Expired or Invalid")


@pytest.mark.priority_p1
async def test_logout_does_not_touch_other_sessions(auth_api, user_factory):
    """Two logins of one user are two sessions: ending one leaves the other working."""
    user = await user_factory()
    second_session = TestUser(email=user.email, password=user.password, name=user.name)
    await auth_api.login_user(second_session)

    assert_status(await auth_api.logout(user.refresh_token, user.access_token), 200)

    assert_status(await auth_api.me(second_session.access_token), 200)
    assert_status(await auth_api.refresh(second_session.refresh_token), 200)


@pytest.mark.priority_p2
async def test_logout_requires_the_refresh_token(auth_api):
    assert_validation_error(await auth_api.submit("logout", {}), (("body", "refresh_token"), "missing"))
