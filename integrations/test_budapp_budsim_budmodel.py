"""budapp ↔ budsim and budmodel, through Dapr: what the workflows report is what the services did."""

import re
import time

import pytest

from helpers.assertions import assert_status
from helpers.database import row
from helpers.deployments import start_simulation
from helpers.models import budmodel_download_path

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.mark.priority_p1
async def test_extracted_model_is_stored_as_budmodel_reported(
    local_model_factory, postgres_connection, models_api, admin_token
):
    """The model budapp creates from budmodel's results is a local hugging_face row whose local path is the
    directory budmodel downloaded it into (named after the model), which budapp's model answers too."""
    model = await local_model_factory()
    stored = await row(postgres_connection, "model", model["id"])
    assert stored is not None and stored["status"] == "active"
    assert (stored["provider_type"], stored["source"], stored["uri"]) == ("hugging_face", "local", model["uri"])
    assert re.fullmatch(budmodel_download_path(model["name"]), stored["local_path"] or ""), (
        f"local path {stored['local_path']!r} is not budmodel's download directory for {model['name']!r}"
    )
    detail = assert_status(await models_api.get(admin_token, model["id"]), 200)["model"]
    assert detail["local_path"] == stored["local_path"]


@pytest.mark.priority_p1
async def test_budsim_recommends_the_cluster_budcluster_registered(
    test_cluster,
    local_model_factory,
    admin_project,
    deployments_api,
    workflow_waiter,
    admin_token,
    workflow_janitor,
    budcluster_api,
):
    """The onboarded cluster is recommended under its budcluster id, which budcluster knows with its nodes.

    (Other recommended clusters may belong to parallel workers and vanish meanwhile: only ours is checked.)
    """
    model = await local_model_factory()
    first, _ = await start_simulation(
        deployments_api, admin_token, project_id=admin_project["id"], model_id=model["id"], started=workflow_janitor
    )
    clusters = await workflow_waiter(admin_token).recommended_clusters(first["workflow_id"], test_cluster["id"])
    mine = next((c for c in clusters if c["id"] == test_cluster["id"]), None)
    assert mine is not None, (
        f"budsim did not recommend the available cluster {test_cluster['name']}; budapp listed "
        f"{len(clusters)} other(s) (it shows budsim's best 20 only: are clusters of earlier "
        f"runs still registered in budcluster?)"
    )
    assert mine["cluster_id"] == test_cluster["cluster_id"]
    nodes = assert_status(await budcluster_api.nodes(mine["cluster_id"]), 200)
    assert len(nodes["param"]["nodes"]) == test_cluster["total_nodes"]


@pytest.mark.priority_p1
async def test_services_reach_each_other_through_dapr(dapr):
    """Service invocation by app id reaches each service's health route."""
    for app_id in ("budcluster", "budsim", "budmodel", "budmetrics"):
        response = await dapr.invoke(app_id, "health")
        assert assert_status(response, 200)["message"] == "ack", f"{app_id} not reachable via Dapr"


@pytest.mark.priority_p1
async def test_logout_blacklists_the_token_in_the_dapr_state_store(auth_api, user_factory, dapr):
    """budapp keeps revoked access tokens in its Dapr state store under jwt_blacklist:<token>."""
    user = await user_factory()
    assert await dapr.get_state(f"jwt_blacklist:{user.access_token}") is None
    before = int(time.time())
    assert_status(await auth_api.logout(user.refresh_token, user.access_token), 200)
    entry = await dapr.get_state(f"jwt_blacklist:{user.access_token}")
    assert isinstance(entry, dict) and entry.keys() == {"blacklisted", "timestamp"}, f"unexpected entry {entry!r}"
    assert entry["blacklisted"] is True and before <= entry["timestamp"] <= int(time.time())
