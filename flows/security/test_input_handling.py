"""Oversized, malformed and injection-shaped input: the contract's error, and nothing changes."""

import pytest

from helpers.assertions import assert_status, assert_validation_error
from helpers.naming import unique_name

pytestmark = [pytest.mark.e2e, pytest.mark.security]


@pytest.mark.priority_p1
@pytest.mark.parametrize(
    ("field", "size"),
    [("name", 101), ("description", 401), ("description", 1_000_000)],
    ids=["name-101", "description-401", "description-1MB"],
)
async def test_creating_a_project_takes_any_length(project_factory, projects_api, auth_token, field, size):
    """budapp bounds lengths only on edit: a long name or description is created and stored as sent."""
    name = unique_name("project")
    fields = {"name": name + "n" * (size - len(name))} if field == "name" else {"name": name, field: "d" * size}
    project = await project_factory(**fields)
    stored = assert_status(await projects_api.get(auth_token, project["id"]), 200)["project"]
    assert {k: stored[k] for k in fields} == fields


@pytest.mark.priority_p1
@pytest.mark.parametrize(
    ("field", "size"),
    [("name", 101), ("description", 401), ("description", 1_000_000)],
    ids=["name-101", "description-401", "description-1MB"],
)
async def test_editing_a_project_bounds_lengths(test_project, projects_api, auth_token, field, size):
    """An edit past 100 characters of name or 400 of description is 422 string_too_long and changes nothing."""
    response = await projects_api.edit(auth_token, test_project["id"], **{field: "x" * size})
    assert_validation_error(response, (("body", field), "string_too_long"))
    stored = assert_status(await projects_api.get(auth_token, test_project["id"]), 200)["project"]
    assert (stored["name"], stored["description"]) == (test_project["name"], test_project["description"])


@pytest.mark.priority_p1
async def test_invalid_tag_colour_is_422_and_creates_nothing(projects_api, auth_token):
    before = assert_status(await projects_api.list(auth_token, limit=1), 200)["total_record"]
    response = await projects_api.create(auth_token, tags=[{"name": "t", "color": "red"}])
    assert_validation_error(response, (("body", "tags", "0", "color"), "string_pattern_mismatch"))
    assert assert_status(await projects_api.list(auth_token, limit=1), 200)["total_record"] == before


@pytest.mark.priority_p1
async def test_malformed_json_is_422(auth_token, projects_api):
    response = await projects_api.create_from_bytes(auth_token, b'{"name": "unterminated')
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
