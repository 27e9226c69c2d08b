"""A deployment that fails after budapp stored its endpoint still has the endpoint deleted by its fixture."""

from typing import Any, cast

import pytest

import fixtures.data as data
from helpers.api_client import APIClient


class FakeDeployments:
    """budapp as a deployment trigger that answers 500 after storing the endpoint (BUD-009)."""

    def __init__(self) -> None:
        self.deleted: list[str] = []

    async def deploy_cloud_model(self, token, *, endpoint_name, **_):
        raise AssertionError("deploy trigger failed: 500")

    async def endpoint_ids_named(self, token, project_id, endpoint_name):
        return ["stored-before-the-500"] if project_id == "p1" else []

    async def delete_endpoint(self, token, endpoint_id):
        self.deleted.append(endpoint_id)
        return type("Response", (), {"status_code": 200, "text": ""})()


async def test_a_cloud_deploy_that_failed_half_way_leaves_nothing():
    api = FakeDeployments()
    # pytest keeps the undecorated fixture function as __wrapped__
    factory = cast(Any, data.endpoint_factory).__wrapped__(api, "token")
    deploy = await factory.__anext__()
    with pytest.raises(AssertionError, match="500"):
        await deploy(project={"id": "p1"}, model={"id": "m"}, credential={"id": "c"})
    with pytest.raises(StopAsyncIteration):
        await factory.__anext__()
    assert api.deleted == ["stored-before-the-500"]


class FakeBudapp:
    def __init__(self, endpoints):
        self.endpoints = endpoints
        self.calls: list[tuple[str, dict]] = []

    async def get(self, path, params=None, token=None):
        self.calls.append((path, params))
        body = {"endpoints": self.endpoints}
        return type("Response", (), {"status_code": 200, "json": lambda self: body})()


async def test_endpoints_named_are_found_by_exact_name_and_live_only():
    from helpers.deployments import DeploymentsAPI

    budapp = FakeBudapp(
        [
            {"id": "1", "name": "e2e-x", "status": "running"},
            {"id": "2", "name": "e2e-x-2", "status": "running"},
            {"id": "3", "name": "e2e-x", "status": "deleted"},
        ]
    )
    api = DeploymentsAPI.__new__(DeploymentsAPI)
    api.budapp = cast(APIClient, budapp)  # a fake that answers the calls the method makes
    assert await api.endpoint_ids_named("t", "p1", "e2e-x") == ["1"]
    assert budapp.calls == [("/endpoints/", {"project_id": "p1", "name": "e2e-x"})]
