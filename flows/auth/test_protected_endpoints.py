"""What a protected endpoint does with missing, forged, expired and foreign tokens."""

import pytest

from helpers import tokens
from helpers.assertions import assert_detail, assert_status
from helpers.waiting import Polling, poll_until

pytestmark = [pytest.mark.e2e, pytest.mark.auth]

PROTECTED = ["/users/me", "/projects/"]


@pytest.mark.priority_p0
async def test_users_me_answers_for_the_caller(auth_api, test_user):
    """/users/me describes the user whose token was presented, nobody else."""
    me = assert_status(await auth_api.me(test_user.access_token), 200)
    assert me["object"] == "user.me"
    assert (me["user"]["id"], me["user"]["email"], me["user"]["name"]) == (
        test_user.id,
        test_user.email,
        test_user.name,
    )


@pytest.mark.priority_p0
@pytest.mark.parametrize("path", PROTECTED)
async def test_missing_token_is_401_not_authenticated(budapp_client, path):
    """No Authorization header: 401 {"detail": "Not authenticated"} with a Bearer challenge."""
    response = await budapp_client.get(path)
    assert_detail(response, 401, "Not authenticated")
    assert response.headers.get("www-authenticate", "").lower().startswith("bearer")


@pytest.mark.priority_p1
async def test_non_bearer_scheme_is_401(test_user, auth_api):
    response = await auth_api.me_with_authorization(f"Basic {test_user.access_token}")
    assert_detail(response, 401, "Not authenticated")


@pytest.mark.priority_p1
@pytest.mark.parametrize(
    "forge",
    [
        *(pytest.param(forge, id=name) for name, forge in tokens.FORGERIES.items()),
        pytest.param(lambda t: tokens.unsigned(t, aud="somebody-else"), id="wrong-audience-unsigned"),
        pytest.param(lambda t: "not.a.jwt", id="garbage"),
    ],
)
async def test_forged_tokens_are_401(auth_api, test_user, forge):
    """A token the platform did not sign (or signed for something else) opens nothing."""
    assert_detail(await auth_api.me(forge(test_user.access_token)), 401, "Invalid authentication credentials")


@pytest.mark.priority_p1
async def test_client_user_cannot_list_users(auth_token, users_api):
    """Listing users needs user:manage, which a self-registered client does not have."""
    response = await users_api.list(auth_token)
    assert_detail(response, 403, "Insufficient permissions for this operation")


# python-keycloak, which budapp decodes access tokens with, accepts them this long past their exp
ACCESS_TOKEN_LEEWAY = 60


async def _wait_until_seconds_past_exp(token: str, seconds: float) -> None:
    async def seconds_left() -> float:
        return tokens.seconds_left(token)

    await poll_until(
        seconds_left,
        lambda left: left <= -seconds,
        description=f"the token to be {seconds}s past its exp",
        polling=Polling(timeout=tokens.seconds_left(token) + seconds + 10, interval=0.2, max_interval=0.2, jitter=0),
        describe=lambda left: f"not yet {seconds}s past exp" if left > -seconds else f"{seconds}s past exp",
    )


@pytest.mark.priority_p2
@pytest.mark.slow
async def test_expired_token_is_refused_after_the_leeway(auth_api, user_factory, settings):
    """
    A real access token is still accepted just past its exp, and refused 60 s later as invalid credentials.

    budapp has no message of its own for an expired token here: its "Token has expired" is never reached.
    The test waits for the token to lapse, so it runs only where the deployment issues tokens short-lived
    enough (expires_in + 60 s <= auth.max_token_expiry_wait).
    """
    user = await user_factory()
    lifespan = user.token["expires_in"]
    limit = settings.auth.max_token_expiry_wait
    if lifespan + ACCESS_TOKEN_LEEWAY > limit:
        pytest.skip(
            f"access tokens live {lifespan}s (+{ACCESS_TOKEN_LEEWAY}s leeway) here; the test waits at most "
            f"{limit}s (E2E_MAX_TOKEN_EXPIRY_WAIT)"
        )
    await _wait_until_seconds_past_exp(user.access_token, 2)
    assert_status(await auth_api.me(user.access_token), 200)
    await _wait_until_seconds_past_exp(user.access_token, ACCESS_TOKEN_LEEWAY + 2)
    assert_detail(await auth_api.me(user.access_token), 401, "Invalid authentication credentials")


@pytest.mark.priority_p1
async def test_the_id_token_is_not_an_access_token(auth_api, test_user):
    """
    The ID token a login returns is signed with the realm's key too, but it is issued to the client (aud is the
    client, typ ID), not to call APIs: presented as a Bearer token it opens nothing (401).
    """
    id_token = test_user.token["id_token"]
    assert tokens.claims(id_token)["typ"] == "ID"
    assert_detail(await auth_api.me(id_token), 401, "Invalid authentication credentials")
