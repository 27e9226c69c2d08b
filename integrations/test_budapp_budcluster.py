"""budapp ↔ budcluster: what budapp reports about a cluster is what budcluster and PostgreSQL hold."""

import uuid

import pytest

from helpers.assertions import assert_status
from helpers.clusters import expected_resources, reported_resources

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.mark.priority_p1
async def test_onboarded_cluster_matches_budcluster_and_postgres(test_cluster, postgres_connection, budcluster_api):
    """
    The cluster budapp shows is budcluster's cluster.

    Flow: onboard a cluster (fixture); budapp's node and device counts are those of budcluster's node list for
    its cluster_id (nodes, ready nodes, device entries per kind and their workers); budapp's row in PostgreSQL is
    available and points at the same budcluster id.
    """
    nodes = assert_status(await budcluster_api.nodes(test_cluster["cluster_id"]), 200)
    assert nodes["message"] == "Cluster nodes fetched successfully"
    assert len(nodes["param"]["nodes"]) == test_cluster["total_nodes"] > 0
    assert reported_resources(test_cluster) == expected_resources(nodes["param"]["nodes"])
    assert test_cluster["cpu_count"] + test_cluster["gpu_count"] + test_cluster["hpu_count"] > 0, (
        "budcluster reported no devices for the cluster's nodes"
    )

    row = await postgres_connection.fetchrow(
        "SELECT status, cluster_id FROM cluster WHERE id = $1", uuid.UUID(test_cluster["id"])
    )
    assert row is not None, "budapp has no row for the cluster it reported"
    assert (row["status"], str(row["cluster_id"])) == ("available", test_cluster["cluster_id"])
