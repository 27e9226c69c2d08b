"""The Keycloak stand-in answers python-keycloak 7.1.1 as Keycloak does, for the calls real budapp makes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis
import requests
from keycloak import KeycloakAdmin, KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakError, KeycloakGetError, KeycloakPostError

from helpers.config import SUITE_ROOT
from selftests.sandbox.isolated import database_name, free_ports, redis_url

ADMIN_PASSWORD = "Admin-pass-1"
REALM, CLIENT = "bud", "bud-client"
UMA = "urn:ietf:params:oauth:grant-type:uma-ticket"


class StandIn:
    """The stand-in as a uvicorn process on a free port, with a database and Redis db of its own."""

    def __init__(self, tmp: Path) -> None:
        worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
        self.port = free_ports(1)[0]
        self.url = f"http://127.0.0.1:{self.port}"
        database = database_name(f"bud_e2e_kc_selftest_{worker}")
        self.env = {
            **os.environ,
            "SANDBOX_KEYCLOAK_PORT": str(self.port),
            "SANDBOX_KEYCLOAK_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "SANDBOX_POSTGRES_DSN": f"postgresql://postgres@127.0.0.1:5432/{database}",
            "SANDBOX_REDIS_URL": redis_url(4 + worker),
            "E2E_STATE_DIR": str(tmp),
        }
        self.log = tmp / "keycloak.log"
        self.process: subprocess.Popen | None = None
        redis.from_url(self.env["SANDBOX_REDIS_URL"]).flushdb()
        import asyncio

        asyncio.run(self._fresh_database(database))

    @staticmethod
    async def _fresh_database(name: str) -> None:
        connection = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "sandbox.keycloak.app:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                ],
                cwd=SUITE_ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/realms/master", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.process.poll() is None, self.log.read_text()
            time.sleep(0.1)
        raise AssertionError(f"the stand-in did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture(scope="module")
def standin(tmp_path_factory) -> Iterator[StandIn]:
    server = StandIn(tmp_path_factory.mktemp("keycloak"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        redis.from_url(server.env["SANDBOX_REDIS_URL"]).flushdb()


def admin(url: str, realm: str = "master") -> KeycloakAdmin:
    return KeycloakAdmin(
        server_url=url,
        username="admin",
        password=ADMIN_PASSWORD,
        realm_name=realm,
        user_realm_name="master",
        verify=False,
    )


def raw(realm_admin: KeycloakAdmin, method: str, url: str, payload: dict | None = None) -> requests.Response:
    """budapp's own calls: connection.raw_* on a full URL, with ``max=-1&permission=False``."""
    call = getattr(realm_admin.connection, f"raw_{method}")
    if method in ("post", "put"):
        return call(url, data=json.dumps(payload), max=-1, permission=False)
    return call(url, max=-1, permission=False)


def error_body(error: KeycloakError) -> bytes:
    """The body python-keycloak kept from a refused call; a refusal without one is itself a failure."""
    assert error.response_body is not None, f"{type(error).__name__} {error.response_code} came without a body"
    return error.response_body


@pytest.fixture(scope="module")
def seeded(standin: StandIn) -> dict:
    """A realm seeded as budapp's seeder does: roles, a confidential client with module resources and scope
    permissions, and a user whose policy is associated with project view/manage only."""
    admin(standin.url).create_realm(
        payload={"realm": REALM, "enabled": True, "accessTokenLifespan": 600}, skip_exists=True
    )
    realm_admin = admin(standin.url, REALM)
    for role in ("admin", "developer", "super_admin"):
        realm_admin.create_realm_role({"name": role, "description": role}, skip_exists=True)
    client_id = realm_admin.create_client(
        payload={
            "clientId": CLIENT,
            "enabled": True,
            "publicClient": False,
            "authorizationServicesEnabled": True,
            "serviceAccountsEnabled": True,
        }
    )
    secret = realm_admin.get_client_secrets(client_id)["value"]
    base = f"{standin.url}//admin/realms/{REALM}/clients/{client_id}/authz/resource-server"
    for module in ("cluster", "project"):
        resource = realm_admin.create_client_authz_resource(
            client_id,
            {
                "name": f"module_{module}",
                "type": "module",
                "owner": {"id": client_id},
                "ownerManagedAccess": True,
                "scopes": [{"name": "view"}, {"name": "manage"}],
            },
        )
        for scope in realm_admin.get_client_authz_scopes(client_id):
            created = raw(
                realm_admin,
                "post",
                f"{base}/permission/scope",
                {
                    "name": f"urn:bud:permission:{module}:module:{scope['name']}",
                    "description": "d",
                    "type": "scope",
                    "resources": [resource["_id"]],
                    "policies": [],
                    "logic": "POSITIVE",
                    "scopes": [scope["id"]],
                    "decisionStrategy": "AFFIRMATIVE",
                },
            )
            assert created.status_code == 201 and created.json()["id"]
    user_id = realm_admin.create_user(
        payload={
            "username": "Ann@Example.com",
            "email": "Ann@Example.com",
            "firstName": "Ann",
            "lastName": "Lee",
            "enabled": True,
            "emailVerified": True,
            "credentials": [{"type": "password", "value": "Passw0rd!", "temporary": False}],
        }
    )
    developer = next(r for r in realm_admin.get_realm_roles() if r["name"] == "developer")
    realm_admin.assign_realm_roles(user_id=user_id, roles=[developer])
    policy = raw(
        realm_admin,
        "post",
        f"{base}/policy/user",
        {"name": f"urn:bud:policy:{user_id}", "logic": "POSITIVE", "users": [user_id]},
    ).json()
    for scope in ("view", "manage"):
        search = f"{base}/permission?name=urn%3Abud%3Apermission%3Aproject%3Amodule%3A{scope}&scope={scope}&type=scope"
        permission_id = raw(realm_admin, "get", search).json()[0]["id"]
        permission = raw(realm_admin, "get", f"{base}/permission/scope/{permission_id}").json()
        resources = raw(realm_admin, "get", f"{base}/policy/{permission_id}/resources").json()
        scopes = raw(realm_admin, "get", f"{base}/policy/{permission_id}/scopes").json()
        associated = raw(realm_admin, "get", f"{base}/policy/{permission_id}/associatedPolicies").json()
        update = {
            **{k: permission[k] for k in ("id", "name", "description", "type", "logic", "decisionStrategy")},
            "resources": [resources[0]["_id"]],
            "scopes": [scopes[0]["id"]],
            "policies": [p["id"] for p in associated] + [policy["id"]],
        }
        assert raw(realm_admin, "put", f"{base}/permission/scope/{permission_id}", update).status_code == 201
    openid = KeycloakOpenID(
        server_url=standin.url, client_id=CLIENT, realm_name=REALM, client_secret_key=secret, verify=False
    )
    return {
        "client_id": client_id,
        "secret": secret,
        "user_id": user_id,
        "policy_id": policy["id"],
        "openid": openid,
        "base": base,
    }


def login(seeded: dict) -> dict:
    return seeded["openid"].token("ann@example.com", "Passw0rd!", scope="openid profile email roles")


def test_admin_token_and_realms(standin, seeded):
    master = admin(standin.url)
    assert {r["realm"] for r in master.get_realms()} == {"master", REALM}
    token = master.connection.token
    assert token is not None and token["token_type"] == "Bearer"
    realm = master.get_realm(REALM)
    assert realm is not None and realm["accessTokenLifespan"] == 600
    # a second create with skip_exists is the 409 python-keycloak swallows
    master.create_realm(payload={"realm": REALM}, skip_exists=True)
    master.update_realm(REALM, {"ssoSessionIdleTimeout": 7200})
    assert master.get_realm(REALM)["ssoSessionIdleTimeout"] == 7200
    assert httpx.get(f"{standin.url}/admin/realms").status_code == 401
    assert httpx.get(f"{standin.url}/admin/realms", headers={"Authorization": "Bearer nope"}).json() == {
        "error": "HTTP 401 Unauthorized"
    }


def test_roles_exist_once_and_a_missing_role_is_404(standin, seeded):
    realm_admin = admin(standin.url, REALM)
    assert realm_admin.get_realm_role("developer")["name"] == "developer"
    with pytest.raises(KeycloakGetError) as missing:
        realm_admin.get_realm_role("nope")
    assert missing.value.response_code == 404
    with pytest.raises(KeycloakPostError) as duplicate:
        realm_admin.create_realm_role({"name": "developer"})
    assert duplicate.value.response_code == 409


def test_users_conflicts_filters_and_role_mappings(standin, seeded):
    realm_admin = admin(standin.url, REALM)
    for payload, message in (
        ({"username": "ANN@example.com"}, b"User exists with same username"),
        ({"username": "other", "email": "ann@EXAMPLE.com"}, b"User exists with same email"),
    ):
        with pytest.raises(KeycloakPostError) as conflict:
            realm_admin.create_user(payload={**payload, "enabled": True})
        assert conflict.value.response_code == 409 and message in error_body(conflict.value)
    assert realm_admin.get_user_id("ann@example.com") == seeded["user_id"]
    assert [u["id"] for u in realm_admin.get_users({"email": "ann@example.com"})] == [seeded["user_id"]]
    assert realm_admin.get_users({"search": "nobody"}) == []
    user = realm_admin.get_user(seeded["user_id"])
    assert (user["username"], user["email"], user["firstName"], user["enabled"]) == (
        "ann@example.com",
        "ann@example.com",
        "Ann",
        True,
    )
    assert {r["name"] for r in realm_admin.get_realm_roles_of_user(seeded["user_id"])} == {
        "developer",
        "default-roles-bud",
    }
    assert [c["type"] for c in realm_admin.get_credentials(seeded["user_id"])] == ["password"]
    assert realm_admin.get_client_id(CLIENT) == seeded["client_id"]


def test_login_gives_a_token_budapp_can_decode(standin, seeded):
    token = login(seeded)
    claims = seeded["openid"].decode_token(token["access_token"])
    assert claims["sub"] == seeded["user_id"] and claims["typ"] == "Bearer" and claims["azp"] == CLIENT
    assert claims["iss"] == f"{standin.url}/realms/{REALM}"
    assert claims["exp"] - claims["iat"] == token["expires_in"] == 600
    assert (claims["email"], claims["preferred_username"], claims["name"]) == (
        "ann@example.com",
        "ann@example.com",
        "Ann Lee",
    )
    assert "developer" in claims["realm_access"]["roles"]
    assert 0 < token["refresh_expires_in"] <= 86400 and token["id_token"]


def test_wrong_password_and_wrong_client_secret_are_401(standin, seeded):
    with pytest.raises(KeycloakAuthenticationError) as wrong:
        seeded["openid"].token("ann@example.com", "wrong")
    assert json.loads(error_body(wrong.value)) == {
        "error": "invalid_grant",
        "error_description": "Invalid user credentials",
    }
    bad_client = KeycloakOpenID(server_url=standin.url, client_id=CLIENT, realm_name=REALM, client_secret_key="x")
    with pytest.raises(KeycloakAuthenticationError) as bad:
        bad_client.token("ann@example.com", "Passw0rd!")
    assert json.loads(error_body(bad.value))["error"] == "invalid_client"


def test_refresh_then_logout_ends_the_session(standin, seeded):
    openid = seeded["openid"]
    token = login(seeded)
    refreshed = openid.refresh_token(token["refresh_token"])
    assert openid.decode_token(refreshed["access_token"])["sid"] == token["session_state"]
    openid.logout(refreshed["refresh_token"])
    with pytest.raises(KeycloakPostError) as ended:
        openid.refresh_token(token["refresh_token"])
    assert ended.value.response_code == 400
    assert json.loads(error_body(ended.value)) == {
        "error": "invalid_grant",
        "error_description": "Session not active",
    }
    with pytest.raises(KeycloakPostError) as garbage:
        openid.refresh_token("not-a-token")
    assert json.loads(error_body(garbage.value))["error"] == "invalid_grant"


def test_uma_permissions_decision_and_rpt(standin, seeded):
    openid, token = seeded["openid"], login(seeded)["access_token"]
    granted = openid.uma_permissions(
        token, "module_project#manage", resource_server_id=seeded["client_id"], submit_request=False
    )
    assert [(p["rsname"], p["scopes"]) for p in granted] == [("module_project", ["manage"])]
    with pytest.raises(KeycloakPostError) as denied:
        openid.uma_permissions(token, "module_cluster#view")
    assert denied.value.response_code == 403
    assert json.loads(error_body(denied.value)) == {
        "error": "access_denied",
        "error_description": "not_authorized",
    }
    endpoint = openid.well_known()["token_endpoint"]
    decision = requests.post(
        endpoint,
        headers={"Authorization": f"Bearer {token}"},
        data={"grant_type": UMA, "audience": CLIENT, "permission": "module_project#view", "response_mode": "decision"},
    )
    assert decision.json() == {"result": True}
    rpt = requests.post(
        endpoint, headers={"Authorization": f"Bearer {token}"}, data={"grant_type": UMA, "audience": CLIENT}
    )
    permissions = openid.decode_token(rpt.json()["access_token"])["authorization"]["permissions"]
    assert {p["rsname"]: sorted(p.get("scopes", [])) for p in permissions} == {
        "Default Resource": [],
        "module_project": ["manage", "view"],
    }


def test_authz_listings_budapp_reads(standin, seeded):
    realm_admin = admin(standin.url, REALM)
    client_id = seeded["client_id"]
    resources = realm_admin.get_client_authz_resources(client_id)
    project = next(r for r in resources if r["name"] == "module_project")
    assert {s["name"] for s in project["scopes"]} == {"view", "manage"} and project["_id"]
    policies = realm_admin.get_client_authz_policies(client_id)
    assert {p["name"] for p in policies} == {"Default Policy", f"urn:bud:policy:{seeded['user_id']}"}
    permissions = realm_admin.get_client_authz_permissions(client_id)
    assert len([p for p in permissions if p["name"].startswith("urn:bud:permission:")]) == 4
    dependent = raw(realm_admin, "get", f"{seeded['base']}/policy/{seeded['policy_id']}/dependentPolicies").json()
    assert sorted(p["name"] for p in dependent) == [
        "urn:bud:permission:project:module:manage",
        "urn:bud:permission:project:module:view",
    ]


def test_state_and_signing_key_survive_a_restart(standin, seeded):
    token = login(seeded)
    standin.stop()
    standin.start()
    openid = seeded["openid"]
    assert openid.decode_token(token["access_token"])["sub"] == seeded["user_id"]
    assert openid.refresh_token(token["refresh_token"])["access_token"]
    assert admin(standin.url, REALM).get_user(seeded["user_id"])["email"] == "ann@example.com"
    assert openid.uma_permissions(login(seeded)["access_token"], "module_project#view")
