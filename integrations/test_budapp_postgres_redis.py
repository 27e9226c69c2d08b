"""budapp's API against its stores: PostgreSQL rows and the Redis gateway cache."""

import asyncio
import json
import uuid

import pytest

from helpers.assertions import assert_status
from helpers.gateway import initialize_playground
from helpers.masking import register_secret
from helpers.models import enabled_capabilities, gateway_model_name

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.mark.priority_p1
async def test_registration_writes_user_and_default_project(user_factory, postgres_connection):
    """A registered user is an active client row, member of its "My First Project"."""
    user = await user_factory()
    row = await postgres_connection.fetchrow(
        'SELECT status, user_type, role, first_login FROM "user" WHERE id = $1', uuid.UUID(user.id)
    )
    assert dict(row) == {"status": "active", "user_type": "client", "role": user.role, "first_login": True}
    projects = await postgres_connection.fetch(
        "SELECT p.name, p.project_type FROM project p JOIN project_user_association a ON a.project_id = p.id "
        "WHERE a.user_id = $1 AND p.status = 'active'",
        uuid.UUID(user.id),
    )
    assert [tuple(p) for p in projects] == [("My First Project", "client_app")]


@pytest.mark.priority_p1
async def test_model_delete_is_a_soft_delete(model_factory, models_api, admin_token, postgres_connection):
    """Deleting a model answers 200 and leaves its row with status deleted."""
    model = await model_factory()
    assert (
        await postgres_connection.fetchval("SELECT status FROM model WHERE id = $1", uuid.UUID(model["id"])) == "active"
    )
    assert_status(await models_api.delete(admin_token, model["id"]), 200)
    assert (
        await postgres_connection.fetchval("SELECT status FROM model WHERE id = $1", uuid.UUID(model["id"]))
        == "deleted"
    )


@pytest.mark.priority_p1
async def test_running_endpoint_has_a_gateway_route(test_endpoint, test_model, gateway_redis):
    """budapp writes model_table:<endpoint_id> for the gateway as soon as a cloud endpoint runs."""
    route = json.loads(await gateway_redis.get(f"model_table:{test_endpoint['id']}") or "null")
    assert route, f"no gateway route for endpoint {test_endpoint['id']}"
    entry = route[test_endpoint["id"]]
    # every endpoint the model supports, by the gateway's capability names
    assert sorted(entry["endpoints"]) == sorted(enabled_capabilities(test_model))
    assert entry["providers"][test_model["source"]]["model_name"] == gateway_model_name(test_model)


PARALLEL_SESSIONS = 24
# a team reopening the playground: each burst initializes every session again, all at once
BURSTS = 3


@pytest.mark.priority_p1
async def test_playground_sessions_started_at_once_all_become_gateway_keys(
    user_factory, auth_api, budapp_client, gateway_api
):
    """A user opens the playground in several tabs at once (one login each), and again, and again: every
    initialization answers 200 and every session's token becomes a key the gateway accepts. Each
    initialization writes budapp's Redis; concurrent writes must not fail one another."""
    user = await user_factory()
    logins = await asyncio.gather(*(auth_api.login(user.email, user.password) for _ in range(PARALLEL_SESSIONS)))
    tokens = [assert_status(login, 200)["token"]["access_token"] for login in logins]
    for token in tokens:
        register_secret(token)

    for burst in range(1, BURSTS + 1):
        answers = await asyncio.gather(*(initialize_playground(budapp_client, token) for token in tokens))
        outcomes = [(a.status_code, a.json().get("initialization_status"), a.json().get("user_id")) for a in answers]
        failed = [(a.status_code, a.text[:120]) for a in answers if a.status_code != 200]
        assert outcomes == [(200, "success", user.id)] * PARALLEL_SESSIONS, (
            f"burst {burst}: {len(failed)} of {PARALLEL_SESSIONS} initializations failed, e.g. {failed[:2]}"
        )
    for token in tokens:
        await gateway_api.wait_for_key(token)
