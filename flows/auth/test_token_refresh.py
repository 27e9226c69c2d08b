"""Refreshing a session."""

import pytest

from helpers.assertions import assert_error_response, assert_status, assert_validation_error

pytestmark = [pytest.mark.e2e, pytest.mark.auth]


@pytest.mark.priority_p0
async def test_refreshed_access_token_works_for_the_same_user(auth_api, user_factory):
    """
    A logged-in user refreshes the session and keeps working.

    Flow:
    1. Log in (fresh user).
    2. POST /auth/refresh-token with the refresh token.
    3. The new access token opens /users/me as the same user.
    """
    user = await user_factory()
    body = assert_status(await auth_api.refresh(user.refresh_token), 200)
    assert (body["object"], body["message"]) == ("info", "Token refreshed successfully")
    user.remember_token(body["token"])
    me = assert_status(await auth_api.me(user.access_token), 200)
    assert me["user"]["id"] == user.id


@pytest.mark.priority_p1
async def test_refresh_with_garbage_is_401(auth_api):
    assert_error_response(await auth_api.refresh("not-a-refresh-token"), 401, "Token Expired or Invalid")


@pytest.mark.priority_p1
async def test_access_token_is_not_a_refresh_token(auth_api, test_user):
    """Presenting the access token where a refresh token belongs is refused."""
    assert_error_response(await auth_api.refresh(test_user.access_token), 401, "Token Expired or Invalid")


@pytest.mark.priority_p2
async def test_refresh_token_is_required(auth_api):
    assert_validation_error(await auth_api.submit("refresh-token", {}), (("body", "refresh_token"), "missing"))
