"""Nobody reads or changes what belongs to somebody else."""

import secrets

import pytest

from helpers import tokens
from helpers.assertions import assert_detail, assert_error_response, assert_status
from helpers.gateway import initialize_playground, playground_key
from helpers.masking import register_secret
from helpers.naming import unique_name, unique_person_name

pytestmark = [pytest.mark.e2e, pytest.mark.security]


@pytest.mark.priority_p1
async def test_another_users_project_is_not_readable(projects_api, test_project, user_factory, auth_token):
    """A client user who is not a member of my project is refused it, without learning anything about it."""
    stranger = await user_factory()
    response = await projects_api.get(stranger.access_token, test_project["id"])
    body = assert_error_response(response, 403, "Access denied: You are not authorized to access this project")
    assert test_project["name"] not in response.text, f"the refusal leaks the project: {body}"
    assert_status(await projects_api.get(auth_token, test_project["id"]), 200)


@pytest.mark.priority_p1
async def test_another_users_project_is_not_changeable(projects_api, test_project, user_factory, auth_token):
    """
    A stranger can neither rename nor delete my project, and it stays as it was.

    Flow: user B renames user A's project, then deletes it. Each call must be refused, and A reads the project
    back unchanged after each one (checked at once, so that a platform that lets B through fails before B's
    delete removes A's project).
    """
    stranger = await user_factory()

    async def still_mine() -> None:
        mine = assert_status(await projects_api.get(auth_token, test_project["id"]), 200)["project"]
        assert (mine["name"], mine["description"]) == (test_project["name"], test_project["description"]), (
            "a stranger changed my project"
        )

    renamed = await projects_api.edit(stranger.access_token, test_project["id"], name=unique_name("taken-over"))
    assert_status(renamed, 403)  # refused (BUD-001: budapp lets it through)
    await still_mine()
    deleted = await projects_api.delete(stranger.access_token, test_project["id"])
    assert_status(deleted, 403)
    await still_mine()


@pytest.mark.priority_p1
async def test_client_user_cannot_read_or_delete_models(models_api, test_model, auth_token):
    """Models need model:view / model:manage, which self-registered users do not have."""
    assert_detail(
        await models_api.get(auth_token, test_model["id"]), 403, "Insufficient permissions for this operation"
    )
    assert_detail(
        await models_api.delete(auth_token, test_model["id"]), 403, "Insufficient permissions for this operation"
    )


@pytest.mark.priority_p1
async def test_client_user_cannot_delete_an_endpoint(
    deployments_api, test_endpoint, auth_token, admin_token, admin_project
):
    response = await deployments_api.delete_endpoint(auth_token, test_endpoint["id"])
    assert_detail(response, 403, "Insufficient permissions for this operation")
    listing = assert_status(await deployments_api.endpoints(admin_token, project_id=admin_project["id"]), 200)
    assert {e["id"]: e["status"] for e in listing["endpoints"]}[test_endpoint["id"]] == "running"


@pytest.mark.priority_p1
async def test_another_users_workflow_cannot_be_completed_or_deleted(
    models_api, admin_token, auth_token, workflow_janitor, workflows_api
):
    """
    Only a workflow's creator sees it in their list, marks it completed or deletes it.

    Flow: the super user starts a cloud-model workflow; a client user's GET /workflows does not list it (budapp lists
    the caller's own), and its PATCH and DELETE answer 404; the creator still reads it in progress.
    """
    started = assert_status(await models_api.cloud_step(admin_token, 1, provider_type="cloud_model"), 200)
    workflow_janitor(admin_token, started["workflow_id"])
    listing = assert_status(await workflows_api.list(auth_token, limit=100), 200)
    assert started["workflow_id"] not in {w["id"] for w in listing["workflows"]}, "a stranger lists my workflow"
    # budapp looks a workflow up among its caller's own: somebody else's is simply not found
    assert_error_response(
        await workflows_api.mark_completed(auth_token, started["workflow_id"]), 404, "Workflow not found"
    )
    assert_error_response(await workflows_api.delete(auth_token, started["workflow_id"]), 404, "Workflow not found")
    record = assert_status(await workflows_api.get(admin_token, started["workflow_id"]), 200)
    assert record["status"] == "in_progress"


@pytest.mark.priority_p1
async def test_a_gateway_key_reaches_only_its_users_endpoints(test_endpoint, gateway_api, budapp_client, user_factory):
    """Another user's key does not know my endpoint: 404 Model not found."""
    stranger = await user_factory()
    key = await playground_key(budapp_client, stranger.access_token)
    await gateway_api.wait_for_key(key)
    response = await gateway_api.chat(key, test_endpoint["name"], "hello")
    assert assert_status(response, 404)["error"]["message"] == f"Model not found: {test_endpoint['name']}"


@pytest.mark.priority_p1
async def test_a_user_edits_only_their_own_profile(auth_api, user_factory, users_api):
    """
    A user renames themself; another user cannot change them.

    Flow:
    1. User A PATCHes /users/{A} with a new name: 200 "Successfully update current user"; /users/me shows it.
    2. User B PATCHes /users/{A} (name, company): 403 "Insufficient permissions for this operation" (B lacks
       user:manage).
    3. A's /users/me still shows A's own name and no company.
    """
    owner, stranger = await user_factory(), await user_factory()
    new_name = unique_person_name()
    edited = assert_status(await users_api.edit(owner.access_token, owner.id, name=new_name), 200)
    assert (edited["object"], edited["message"], edited["user"]["name"]) == (
        "user.me",
        "Successfully update current user",
        new_name,
    )
    assert assert_status(await auth_api.me(owner.access_token), 200)["user"]["name"] == new_name

    takeover = await users_api.edit(stranger.access_token, owner.id, name=unique_person_name(), company="Evil")
    assert_detail(takeover, 403, "Insufficient permissions for this operation")
    me = assert_status(await auth_api.me(owner.access_token), 200)["user"]
    assert (me["name"], me["company"]) == (new_name, None), "another user changed my profile"


@pytest.mark.priority_p1
@pytest.mark.parametrize("header", ["dapr-api-token", "x-app-api-token"])
async def test_a_made_up_internal_token_opens_nothing(admin_user, workflow_janitor, header, models_api):
    """
    Without a user token, budapp's dual-auth routes take internal calls from the Dapr sidecar, which carry budapp's
    APP_API_TOKEN and the user_id acted for. A caller who sends a made-up app token, acting for the super user,
    is refused: 403 "Forbidden - Invalid internal token" (budapp compares the value, not only its presence).
    """
    made_up = secrets.token_urlsafe(32)
    register_secret(made_up)
    response = await models_api.cloud_step_as_internal_caller(
        {header: made_up}, admin_user.id, 1, provider_type="cloud_model"
    )
    if response.status_code == 200:  # the platform let it through: remove what it started before failing
        workflow_janitor(admin_user.access_token, response.json()["workflow_id"])
    assert_detail(response, 403, "Forbidden - Invalid internal token")


@pytest.mark.priority_p1
async def test_an_access_token_alone_initializes_a_playground_session(auth_api, budapp_client, user_factory):
    """
    An app holding a user's access token (cross-app sign-on) initializes a playground session with it alone.

    Flow: POST /playground/initialize-with-token with the token in the body and no Authorization header: 200 for
    the token's own user, living as long as the token does (ttl = expires_in, at most the token's lifetime).
    """
    user = await user_factory()
    response = await initialize_playground(budapp_client, user.access_token, signed_in=False)
    body = assert_status(response, 200)
    assert (body["user_id"], body["initialization_status"], body["message"]) == (
        user.id,
        "success",
        "Playground session initialized successfully with access token (cross-app SSO)",
    )
    assert body["ttl"] == body["expires_in"]
    assert 0 < body["ttl"] <= user.token["expires_in"]


@pytest.mark.priority_p1
@pytest.mark.parametrize("forge", list(tokens.FORGERIES.values()), ids=list(tokens.FORGERIES))
async def test_a_forged_access_token_makes_no_playground_session(budapp_client, test_user, forge):
    """A token the realm did not sign, carrying a real user's claims, is refused: 401 "Invalid or expired access
    token" (budapp checks its signature against the realm's keys before it trusts the subject)."""
    response = await initialize_playground(budapp_client, forge(test_user.access_token), signed_in=False)
    assert_error_response(response, 401, "Invalid or expired access token")


@pytest.mark.priority_p1
async def test_another_users_provider_credential_is_not_deletable(
    deployments_api, provider_credential, auth_token, admin_token
):
    """
    A client user tries to delete the super user's provider credential.

    budapp asks no permission for the delete, only that the caller owns the credential: 403 "User does not have
    permission to delete this credential", and the owner still lists it.
    """
    response = await deployments_api.delete_provider_credential(auth_token, provider_credential["id"])
    assert_detail(response, 403, "User does not have permission to delete this credential")
    listing = assert_status(await deployments_api.provider_credentials(admin_token), 200)
    assert provider_credential["id"] in {c["id"] for c in listing["credentials"]}, "a stranger deleted my credential"


@pytest.mark.priority_p1
async def test_another_admins_workflow_takes_no_steps(
    models_api, admin_token, admin_factory, workflow_janitor, workflows_api
):
    """
    Two admins may both onboard models; neither can continue the other's workflow.

    Flow: the super user starts a cloud-model workflow; an admin the super user created with model:manage sends
    step 2 of it: 400 "User is not authorized to perform this action"; the workflow is still in progress at step 1
    and holds nothing of that step.
    """
    started = assert_status(await models_api.cloud_step(admin_token, 1, provider_type="cloud_model"), 200)
    workflow_janitor(admin_token, started["workflow_id"])
    colleague = await admin_factory("model:manage")
    intruding_name = unique_name("model")
    response = await models_api.cloud_step(colleague.access_token, 2, started["workflow_id"], name=intruding_name)
    assert_error_response(response, 400, "User is not authorized to perform this action")
    record = assert_status(await workflows_api.get(admin_token, started["workflow_id"]), 200)
    assert (record["status"], record["current_step"]) == ("in_progress", 1)
    assert intruding_name not in str(record["workflow_steps"]), "another admin's step was stored"
