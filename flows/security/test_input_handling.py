"""Oversized, malformed and injection-shaped input: the contract's error, and nothing changes."""

import pytest

from helpers.assertions import assert_status, assert_validation_error
from helpers.naming import unique_name

pytestmark = [pytest.mark.e2e, pytest.mark.security]


@pytest.mark.priority_p1
@pytest.mark.parametrize(
    ("field", "value", "error_type"),
    [("name", "n" * 101, "string_too_long"), ("description", "d" * 401, "string_too_long"),
     ("description", "x" * 1_000_000, "string_too_long"), ("tags", [{"name": "t", "color": "red"}], "string_pattern_mismatch")],
    ids=["name-101", "description-401", "description-1MB", "tag-colour"],
)
async def test_oversized_or_invalid_fields_are_422_and_create_nothing(projects_api, auth_token, field, value, error_type):
    before = assert_status(await projects_api.list(auth_token, limit=1), 200)["total_record"]
    body = {"name": unique_name("project"), field: value}
    response = await projects_api.budapp.post("/projects/", json=body, token=auth_token)
    loc = ("body", field, "0", "color") if field == "tags" else ("body", field)
    assert_validation_error(response, (loc, error_type))
    assert assert_status(await projects_api.list(auth_token, limit=1), 200)["total_record"] == before


@pytest.mark.priority_p1
async def test_malformed_json_is_422(budapp_client, auth_token):
    response = await budapp_client.post("/projects/", content=b'{"name": "unterminated', token=auth_token,
                                        headers={"Content-Type": "application/json"})
    assert_validation_error(response, (("body", "9"), "json_invalid"))  # where the open string starts


@pytest.mark.priority_p1
@pytest.mark.parametrize(
    "payload",
    ["'; DROP TABLE project; --", "<script>alert(1)</script>", "${jndi:ldap://x/y}", "%' OR '1'='1"],
    ids=["sql", "html", "template", "like-pattern"],
)
async def test_injection_shaped_names_are_stored_verbatim(project_factory, projects_api, auth_token, payload):
    """Such a name is just a name: kept as given, and listing by it finds exactly that project."""
    name = f"{unique_name('project')} {payload}"
    project = await project_factory(name=name)
    assert assert_status(await projects_api.get(auth_token, project["id"]), 200)["project"]["name"] == name
    found = assert_status(await projects_api.list(auth_token, name=name, limit=100), 200)["projects"]
    assert [p["project"]["id"] for p in found] == [project["id"]]
    wildcard = assert_status(await projects_api.list(auth_token, name="%", limit=100), 200)["projects"]
    assert wildcard == [], "a bare % in an exact-match filter matched projects"
