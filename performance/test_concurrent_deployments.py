"""Several model deployments at once: all reach running, none mixes up another's records."""

import asyncio
import statistics
import time

import pytest

from helpers.deployments import deploy_local_model, deployed_endpoint
from helpers.naming import unique_name

pytestmark = [pytest.mark.e2e, pytest.mark.performance, pytest.mark.priority_p2, pytest.mark.slow]


@pytest.mark.timeout(600)
async def test_concurrent_model_deployments(
    test_cluster,
    local_model_factory,
    admin_project,
    deployments_api,
    workflow_waiter,
    admin_token,
    settings,
    performance_report,
):
    """
    N deployments of one model onto one cluster are started together.

    Flow: N deployment workflows run concurrently (simulation, recommendation, deployment);
    every one completes with its own endpoint (budapp lists one endpoint under each name asked
    for, on its own budcluster namespace); report time-to-ready p50/p95 and fail past the configured p95.
    """
    model = await local_model_factory()
    count = settings.performance.concurrent_deployments
    names = [unique_name("endpoint") for _ in range(count)]
    waiter = workflow_waiter(admin_token)

    async def deploy(name: str) -> tuple[str, dict, float]:
        started = time.perf_counter()
        record = await deploy_local_model(
            deployments_api,
            waiter,
            admin_token,
            project_id=admin_project["id"],
            model_id=model["id"],
            cluster_id=test_cluster["id"],
            endpoint_name=name,
        )
        elapsed = time.perf_counter() - started
        endpoint = await deployed_endpoint(deployments_api, admin_token, admin_project["id"], name)
        return name, {"record": record, "endpoint": endpoint}, elapsed

    outcomes = await asyncio.gather(*(deploy(name) for name in names), return_exceptions=True)
    records = [o for o in outcomes if not isinstance(o, BaseException)]
    endpoint_ids = [d["endpoint"]["id"] for _, d, _ in records]
    try:
        failures = [repr(o) for o in outcomes if isinstance(o, BaseException)]
        assert not failures, f"{len(failures)} of {count} deployments failed: {failures[:2]}"
        namespaces = [d["record"]["workflow_steps"]["endpoint_details"]["namespace"] for _, d, _ in records]
        assert len(set(namespaces)) == count, f"two workflows reported the same deployment: {namespaces}"
        assert len(set(endpoint_ids)) == count, "two deployments share an endpoint"
        listing = (await deployments_api.endpoints(admin_token, project_id=admin_project["id"], limit=100)).json()
        running = {e["id"] for e in listing["endpoints"] if e["status"] == "running"}
        assert set(endpoint_ids) <= running, "not every endpoint is running"

        times = sorted(seconds for _, _, seconds in records)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        performance_report(
            {
                "deployments": count,
                "time_to_ready_p50_s": round(statistics.median(times), 2),
                "time_to_ready_p95_s": round(p95, 2),
                "time_to_ready_max_s": round(times[-1], 2),
            }
        )
        assert p95 <= settings.performance.max_time_to_ready_p95, f"p95 time to ready {p95:.1f}s over the limit"
    finally:
        for endpoint_id in endpoint_ids:
            response = await deployments_api.delete_endpoint(admin_token, endpoint_id)
            if response.status_code == 200:
                await waiter.wait_for_workflow(
                    workflow_type="endpoint_deletion", workflow_id=response.json()["workflow_id"]
                )
