"""A user organises work in projects: create, read, rename, list, delete."""

import pytest

from helpers.assertions import assert_error_response, assert_status, assert_success_envelope
from helpers.naming import unique_name

pytestmark = [pytest.mark.e2e, pytest.mark.flow]


@pytest.mark.priority_p1
async def test_project_lifecycle(projects_api, auth_token):
    """
    A client user creates a project, reads it, renames it and deletes it.

    Flow:
    1. POST /projects/ with a name, description and a tag.
    2. GET /projects/{id} returns what was sent; the project is a client_app project.
    3. PATCH /projects/{id} renames it and changes its description; reading it back shows both changes.
    4. DELETE /projects/{id}; the project is gone (404).
    """
    name = unique_name("project")
    tags = [{"name": "e2e", "color": "#112233"}]
    created = assert_status(await projects_api.create(auth_token, name, description="first", tags=tags), 200)
    assert_success_envelope(created, "project.create")
    project = created["project"]
    try:
        assert (project["name"], project["description"], project["tags"]) == (name, "first", tags)
        assert project["project_type"] == "client_app"

        fetched = assert_status(await projects_api.get(auth_token, project["id"]), 200)
        assert_success_envelope(fetched, "project.retrieve")
        assert fetched["message"] == "Project retrieved successfully"
        assert (fetched["project"]["name"], fetched["endpoints_count"], fetched["credentials_count"]) == (name, 0, 0)

        renamed = unique_name("renamed")
        edited = assert_status(
            await projects_api.edit(auth_token, project["id"], name=renamed, description="second"), 200
        )
        assert_success_envelope(edited, "project.edit")
        assert edited["message"] == "Project details updated successfully"
        assert (edited["project"]["name"], edited["project"]["description"]) == (renamed, "second")
        stored = assert_status(await projects_api.get(auth_token, project["id"]), 200)["project"]
        assert (stored["name"], stored["description"], stored["tags"]) == (renamed, "second", tags)
    finally:
        deleted = assert_status(await projects_api.delete(auth_token, project["id"]), 200)
    assert deleted == {"object": "project.delete", "message": "Project deleted successfully"}
    assert_error_response(await projects_api.get(auth_token, project["id"]), 404, "Project not found")


@pytest.mark.priority_p2
async def test_a_project_without_description_is_created(projects_api, auth_token):
    """The description is optional in budapp's create request: a project without one is created without one."""
    response = await projects_api.create_exactly(auth_token, name=unique_name("project"))
    project = assert_status(response, 200)["project"]
    try:
        assert project["description"] is None
        assert assert_status(await projects_api.get(auth_token, project["id"]), 200)["project"]["description"] is None
    finally:
        assert_status(await projects_api.delete(auth_token, project["id"]), 200)


@pytest.mark.priority_p1
@pytest.mark.parametrize("spelling", [str, str.swapcase], ids=["same-name", "other-case"])
async def test_duplicate_project_name_is_refused(projects_api, auth_token, test_project, spelling):
    """A name one of my projects has is taken whatever its case (budapp compares names lowercased)."""
    response = await projects_api.create(auth_token, spelling(test_project["name"]))
    assert_error_response(response, 400, "Project already exist with same name")


@pytest.mark.priority_p1
async def test_renaming_to_a_taken_name_is_refused(projects_api, auth_token, project_factory):
    """
    A user renames a project to the name of another of their projects: 400, and the project keeps its name.

    Flow: create two projects; PATCH the first with the second's name; read the first back unchanged.
    """
    first, second = await project_factory(), await project_factory()
    response = await projects_api.edit(auth_token, first["id"], name=second["name"])
    assert_error_response(response, 400, "Project name already exists")
    stored = assert_status(await projects_api.get(auth_token, first["id"]), 200)["project"]
    assert stored["name"] == first["name"]


@pytest.mark.priority_p1
async def test_project_list_pages(projects_api, user_factory, project_factory):
    """
    A user with several projects pages through them.

    Flow: a fresh user (who has only the default project) creates 4 more;
    with limit=2 the list reports 5 records on 3 pages and page 3 holds one.
    """
    user = await user_factory()
    for _ in range(4):
        await project_factory(token=user.access_token)

    first = assert_status(await projects_api.list(user.access_token, limit=2, page=1), 200)
    assert (first["page"], first["limit"], first["total_record"], first["total_pages"]) == (1, 2, 5, 3)
    assert len(first["projects"]) == 2
    last = assert_status(await projects_api.list(user.access_token, limit=2, page=3), 200)
    assert len(last["projects"]) == 1
    seen = {
        p["project"]["id"]
        for page in (1, 2, 3)
        for p in assert_status(await projects_api.list(user.access_token, limit=2, page=page), 200)["projects"]
    }
    assert len(seen) == 5, "pages overlap or miss projects"


@pytest.mark.priority_p1
async def test_other_users_do_not_see_my_project(projects_api, test_project, user_factory):
    """A client user's project list holds only projects that user belongs to."""
    stranger = await user_factory()
    listing = assert_status(await projects_api.list(stranger.access_token, limit=100), 200)
    assert test_project["id"] not in {p["project"]["id"] for p in listing["projects"]}


@pytest.mark.priority_p1
async def test_a_project_counts_its_active_members(projects_api, user_factory, project_factory, admin_token, users_api):
    """
    A user shares a project with a colleague; the project's users_count follows its active members.

    Flow:
    1. User A creates a project; its listing shows users_count 1.
    2. A adds user B by id (endpoint:view): 200 "Invite sent successfully"; the listing shows 2, and B now lists
       and reads the project.
    3. Adding B again is refused: 400 "User already in project".
    4. The super user deletes B's account; A's listing counts 1 again (budapp counts active and invited members).
    """
    owner, colleague = await user_factory(), await user_factory()
    project = await project_factory(token=owner.access_token)

    async def users_count() -> int:
        listing = assert_status(await projects_api.list(owner.access_token, name=project["name"]), 200)
        assert [p["project"]["id"] for p in listing["projects"]] == [project["id"]]
        return listing["projects"][0]["users_count"]

    assert await users_count() == 1
    added = assert_status(await projects_api.add_members(owner.access_token, project["id"], [colleague.id]), 200)
    assert added == {"object": "project.add_users", "message": "Invite sent successfully"}
    assert await users_count() == 2
    shared = assert_status(await projects_api.list(colleague.access_token, limit=100), 200)["projects"]
    assert project["id"] in {p["project"]["id"] for p in shared}
    assert_status(await projects_api.get(colleague.access_token, project["id"]), 200)
    assert_error_response(
        await projects_api.add_members(owner.access_token, project["id"], [colleague.id]),
        400,
        "User already in project",
    )

    deleted = await users_api.delete(admin_token, colleague.id)
    assert assert_status(deleted, 200)["message"] == "User deleted successfully"
    assert await users_count() == 1
