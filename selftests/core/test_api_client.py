"""APIClient: retries only where safe, clear errors, masked logs and history."""

import logging
import re

import httpx
import pytest

from helpers.api_client import APIClient, ServiceTimeoutError, ServiceUnreachableError
from helpers.masking import MASK


class Script:
    """A transport answering from a list of statuses or exceptions, counting calls."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return httpx.Response(outcome, json={"echo": request.url.path})


def client_for(script: Script, **kwargs) -> APIClient:
    return APIClient("budapp", "http://budapp.test", retry_backoff=0, transport=httpx.MockTransport(script), **kwargs)


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_idempotent_calls_retry_gateway_errors(status):
    script = Script(status, status, 200)
    response = await client_for(script).get("/health")
    assert response.status_code == 200 and len(script.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 500])
async def test_other_statuses_are_never_retried(status):
    script = Script(status)
    assert (await client_for(script).get("/x")).status_code == status
    assert len(script.requests) == 1


async def test_post_is_not_retried_unless_asked():
    script = Script(503, 200)
    assert (await client_for(script).post("/auth/login", json={})).status_code == 503
    assert len(script.requests) == 1
    script = Script(503, 200)
    assert (await client_for(script).post("/auth/login", json={}, retry=True)).status_code == 200
    assert len(script.requests) == 2


async def test_last_answer_is_returned_when_retries_run_out():
    script = Script(503)
    assert (await client_for(script, retry_attempts=3).get("/x")).status_code == 503
    assert len(script.requests) == 3


async def test_connection_errors_retry_then_fail_with_a_readable_line():
    script = Script(httpx.ConnectError("Connection refused"))
    with pytest.raises(ServiceUnreachableError) as error:
        await client_for(script, retry_attempts=2).get("/health")
    message = str(error.value)
    assert len(script.requests) == 2
    assert "budapp is unreachable at http://budapp.test" in message
    assert "./scripts/setup.sh" in message and "E2E_BUDAPP_URL" in message
    assert "\n" not in message


async def test_connection_error_then_success_recovers():
    script = Script(httpx.ConnectError("refused"), 200)
    assert (await client_for(script).delete("/projects/1")).status_code == 200


async def test_read_timeout_is_reported_not_retried():
    script = Script(httpx.ReadTimeout("slow"))
    with pytest.raises(ServiceTimeoutError, match=re.escape("did not answer GET http://budapp.test/slow in time")):
        await client_for(script).get("/slow")
    assert len(script.requests) == 1


async def test_token_becomes_bearer_header_and_can_be_overridden():
    script = Script(200)
    client = client_for(script, token="default-token")
    await client.get("/a")
    await client.get("/b", token="other-token")
    await client.get("/c", token="")
    assert script.requests[0].headers["authorization"] == "Bearer default-token"
    assert script.requests[1].headers["authorization"] == "Bearer other-token"
    assert "authorization" not in script.requests[2].headers


async def test_logs_and_history_are_masked(caplog):
    def answer(request):
        return httpx.Response(200, json={"token": {"access_token": "eyJabcdefgh.eyJabc.sig"}})

    client = APIClient("budapp", "http://budapp.test", transport=httpx.MockTransport(answer))
    with caplog.at_level(logging.DEBUG, logger="e2e.http"):
        await client.post("/auth/login", json={"email": "a@b.c", "password": "Sup3r-Secret!"}, token="tok-abcdef")
    assert "Sup3r-Secret!" not in caplog.text and "tok-abcdef" not in caplog.text and "eyJabcdefgh" not in caplog.text
    assert "POST http://budapp.test/auth/login -> 200" in caplog.text
    exchange = list(client.history)[-1]
    assert '"password": "***"' in exchange.request_body and MASK in exchange.response_body
    assert "Sup3r-Secret!" not in exchange.render()


class Session:
    """A user's session as the client sees it: hands out its current token, logs in again on renew."""

    def __init__(self) -> None:
        self.logins = 1

    async def access_token(self) -> str:
        return f"token-{self.logins}"

    async def renew(self) -> str:
        self.logins += 1
        return await self.access_token()


def bearers(script: Script) -> list[str]:
    return [r.headers.get("Authorization", "") for r in script.requests]


async def test_a_session_refused_with_401_logs_in_again_and_sends_once_more():
    script, session = Script(401, 200), Session()
    response = await client_for(script).post("/projects/", json={}, token=session)
    assert response.status_code == 200
    assert bearers(script) == ["Bearer token-1", "Bearer token-2"]


async def test_a_session_renews_once_then_the_401_is_the_answer():
    script, session = Script(401), Session()
    response = await client_for(script).get("/users/me", token=session)
    assert (response.status_code, session.logins, len(script.requests)) == (401, 2, 2)


async def test_a_raw_token_string_is_sent_as_it_is_and_never_renewed():
    script = Script(401)
    response = await client_for(script).get("/users/me", token="revoked")
    assert (response.status_code, bearers(script)) == (401, ["Bearer revoked"])


async def test_a_session_is_asked_for_its_token_again_before_a_retry():
    script, session = Script(503, 200), Session()

    async def rotating() -> str:
        session.logins += 1  # a refresh between the two attempts
        return f"token-{session.logins}"

    session.access_token = rotating  # type: ignore[method-assign]  # the refresh this test stands in for
    await client_for(script).get("/projects/", token=session)
    assert bearers(script) == ["Bearer token-2", "Bearer token-3"]


async def test_credentials_refresh_ahead_of_expiry_and_log_in_when_the_refresh_is_gone():
    """A token within a third of its life of expiry is refreshed; a refused refresh logs in again."""
    import time

    import jwt

    from helpers.auth import AuthAPI, Credentials, TestUser

    def token(lifetime: int, left: int) -> dict:
        now = int(time.time())
        claims = {"iat": now - (lifetime - left), "exp": now + left, "sub": "u"}
        access = jwt.encode(claims, "k" * 32, algorithm="HS256")
        return {"access_token": access, "refresh_token": f"refresh-{left}"}

    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/auth/refresh-token":
            return httpx.Response(401, json={"message": "Token Expired or Invalid"})
        return httpx.Response(200, json={"token": token(60, 60)})

    auth = AuthAPI(APIClient("budapp", "http://budapp.test", transport=httpx.MockTransport(answer)))
    user = TestUser(email="ann@example.com", password="pw", name="Ann")
    user.remember_token(token(60, 45))
    session = auth.session(user)
    assert isinstance(session, Credentials)
    assert await session.access_token() == user.access_token and calls == []  # 45 of 60 s left: kept
    user.remember_token(token(60, 15))
    fresh = await session.access_token()  # 15 s left, under a third: refresh refused, so a login
    assert calls == ["/auth/refresh-token", "/auth/login"]
    assert (
        fresh == user.access_token and jwt.decode(fresh, options={"verify_signature": False})["exp"] > time.time() + 50
    )
    assert auth.session(user) is session and repr(session) == "Credentials(ann@example.com)"  # one per user
