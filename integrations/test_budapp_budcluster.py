"""budapp ↔ budcluster: what budapp reports about a cluster is what budcluster and PostgreSQL hold."""

import uuid

import pytest

from helpers.assertions import assert_status

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.mark.priority_p1
async def test_onboarded_cluster_matches_budcluster_and_postgres(test_cluster, budcluster_client, postgres_connection):
    """
    The cluster budapp shows is budcluster's cluster.

    Flow: onboard a cluster (fixture); budcluster's node list for its cluster_id has as
    many nodes as budapp's total_nodes; budapp's row in PostgreSQL is available and
    points at the same budcluster id.
    """
    nodes = assert_status(await budcluster_client.get(f"/cluster/{test_cluster['cluster_id']}/nodes"), 200)
    assert nodes["message"] == "Cluster nodes fetched successfully"
    assert len(nodes["param"]["nodes"]) == test_cluster["total_nodes"] > 0

    row = await postgres_connection.fetchrow(
        "SELECT status, cluster_id FROM cluster WHERE id = $1", uuid.UUID(test_cluster["id"]))
    assert row is not None, "budapp has no row for the cluster it reported"
    assert (row["status"], str(row["cluster_id"])) == ("available", test_cluster["cluster_id"])
