"""Self-registration: what a new user gets, and what registration refuses."""

import pytest

from helpers.assertions import assert_detail, assert_error_response, assert_status, assert_validation_error
from helpers.auth import new_user_identity

pytestmark = [pytest.mark.e2e, pytest.mark.auth]


@pytest.mark.priority_p1
async def test_registered_user_is_an_active_client_with_a_default_project(auth_api, unregistered_user, projects_api):
    """
    Registration creates an active client user and the default project.

    Flow:
    1. Register a developer.
    2. Log in; the token object is Keycloak's and the user is on its first login.
    3. /users/me shows the registered name, email and role; user_type is client, status active.
    4. The user's project list holds "My First Project", a client_app project.
    """
    user = unregistered_user
    assert_status(await auth_api.register(user, company="E2E Corp", purpose="testing"), 200)
    login = await auth_api.login_user(user)
    assert login["first_login"] is True
    assert login["is_reset_password"] is False

    me = assert_status(await auth_api.me(user.access_token), 200)["user"]
    assert (me["email"], me["name"], me["role"]) == (user.email, user.name, user.role)
    assert (me["user_type"], me["status"]) == ("client", "active")
    assert me["company"] == "E2E Corp"

    listing = assert_status(await projects_api.list(user.access_token), 200)
    names = [(p["project"]["name"], p["project"]["project_type"]) for p in listing["projects"]]
    assert names == [("My First Project", "client_app")]


@pytest.mark.priority_p1
async def test_duplicate_email_is_refused(auth_api, test_user):
    """Registering an email that is already taken answers 400 "Email already registered"."""
    impostor = new_user_identity()
    impostor.email = test_user.email
    assert_error_response(await auth_api.register(impostor), 400, "Email already registered")
    assert_status(await auth_api.login(test_user.email, test_user.password), 200)


@pytest.mark.priority_p1
async def test_user_type_cannot_be_chosen_at_registration(auth_api, unregistered_user):
    """
    A self-registered user is always a client, whatever user_type it asks for.

    Flow: register with user_type=admin, then log in as an admin: access denied.
    """
    assert_status(await auth_api.register(unregistered_user, user_type="admin"), 200)
    response = await auth_api.login(unregistered_user.email, unregistered_user.password, user_type="admin")
    assert_error_response(response, 400, "Access denied: This account does not have admin privileges")


@pytest.mark.priority_p1
async def test_permissions_cannot_be_chosen_at_registration(auth_api, unregistered_user, users_api):
    """
    A self-registered user holds the client permissions only, whatever permissions the registration asks for.

    Flow: register asking for user:manage; log in; listing the users (which needs user:manage) is refused with 403.
    """
    wished = [{"name": "user:manage", "has_permission": True}]
    assert_status(await auth_api.register(unregistered_user, permissions=wished), 200)
    await auth_api.login_user(unregistered_user)
    response = await users_api.list(unregistered_user.access_token)
    assert_detail(response, 403, "Insufficient permissions for this operation")


@pytest.mark.priority_p1
@pytest.mark.parametrize(
    ("change", "loc", "error_type"),
    [
        ({"role": None}, ("body", "role"), "missing"),
        ({"role": "super_admin"}, ("body", "role"), "value_error"),
        ({"email": "not-an-email"}, ("body", "email"), "value_error"),
        ({"password": "short1!"}, ("body", "password"), "string_too_short"),
        ({"password": "nouppercase1!"}, ("body", "password"), "value_error"),
        ({"name": "R2D2"}, ("body", "name"), "value_error"),
    ],
    ids=["missing-role", "super-admin-role", "bad-email", "short-password", "weak-password", "digits-in-name"],
)
async def test_malformed_registration_is_a_422(auth_api, unregistered_user, change, loc, error_type):
    """Each invalid field gets pydantic's 422 list with its location; nobody is registered."""
    body = {
        "name": unregistered_user.name,
        "email": unregistered_user.email,
        "password": unregistered_user.password,
        "role": "developer",
        **change,
    }
    body = {k: v for k, v in body.items() if v is not None}
    response = await auth_api.submit("register", body)
    assert_validation_error(response, (loc, error_type))
    refused = await auth_api.login(unregistered_user.email, unregistered_user.password)
    assert_error_response(refused, 400, "Incorrect email or password")  # no account: Keycloak refuses the login


@pytest.mark.priority_p2
async def test_empty_body_lists_every_missing_field(auth_api):
    """An empty JSON object names each required field as missing."""
    response = await auth_api.submit("register", {})
    assert_validation_error(
        response,
        (("body", "name"), "missing"),
        (("body", "email"), "missing"),
        (("body", "password"), "missing"),
        (("body", "role"), "missing"),
    )
