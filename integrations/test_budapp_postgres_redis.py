"""budapp's API against its stores: PostgreSQL rows and the Redis gateway cache."""

import json
import uuid

import pytest

from helpers.assertions import assert_status
from helpers.models import enabled_capabilities, gateway_model_name

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.mark.priority_p1
async def test_registration_writes_user_and_default_project(user_factory, postgres_connection):
    """A registered user is an active client row, member of its "My First Project"."""
    user = await user_factory()
    row = await postgres_connection.fetchrow(
        'SELECT status, user_type, role, first_login FROM "user" WHERE id = $1', uuid.UUID(user.id))
    assert dict(row) == {"status": "active", "user_type": "client", "role": user.role, "first_login": True}
    projects = await postgres_connection.fetch(
        "SELECT p.name, p.project_type FROM project p JOIN project_user_association a ON a.project_id = p.id "
        "WHERE a.user_id = $1 AND p.status = 'active'", uuid.UUID(user.id))
    assert [tuple(p) for p in projects] == [("My First Project", "client_app")]


@pytest.mark.priority_p1
async def test_model_delete_is_a_soft_delete(model_factory, models_api, admin_token, postgres_connection):
    """Deleting a model answers 200 and leaves its row with status deleted."""
    model = await model_factory()
    assert await postgres_connection.fetchval("SELECT status FROM model WHERE id = $1", uuid.UUID(model["id"])) == "active"
    assert_status(await models_api.delete(admin_token, model["id"]), 200)
    assert await postgres_connection.fetchval("SELECT status FROM model WHERE id = $1", uuid.UUID(model["id"])) == "deleted"


@pytest.mark.priority_p1
async def test_running_endpoint_has_a_gateway_route(test_endpoint, test_model, gateway_redis):
    """budapp writes model_table:<endpoint_id> for the gateway as soon as a cloud endpoint runs."""
    route = json.loads(await gateway_redis.get(f"model_table:{test_endpoint['id']}") or "null")
    assert route, f"no gateway route for endpoint {test_endpoint['id']}"
    entry = route[test_endpoint["id"]]
    # every endpoint the model supports, by the gateway's capability names
    assert sorted(entry["endpoints"]) == sorted(enabled_capabilities(test_model))
    assert entry["providers"][test_model["source"]]["model_name"] == gateway_model_name(test_model)
