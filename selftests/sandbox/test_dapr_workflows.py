"""The sidecar's workflow engine through dapr-ext-workflow, as budapp runs its workflows: activities, a short
timer and continue-as-new to completion; a failing activity fails the workflow with its message."""

import uuid
from datetime import timedelta

import dapr.ext.workflow as wf
import pytest
from dapr.conf import settings as dapr_settings

import sandbox.dapr  # noqa: F401  (first: it quiets the dapr wheel's import-time warning)
from selftests.sandbox.sidecar_process import start_sidecar, stop_sidecar

WAIT = 20  # seconds; the whole module takes about 3 s


def double(ctx: wf.WorkflowActivityContext, number: int) -> int:
    return number * 2


def describe(ctx: wf.WorkflowActivityContext, number: int) -> str:
    return f"got {number}"


def refuse(ctx: wf.WorkflowActivityContext, _: object) -> None:
    raise ValueError("the cluster is unreachable")


def two_steps_a_timer_and_a_second_round(ctx: wf.DaprWorkflowContext, state: dict):
    doubled = yield ctx.call_activity(double, input=state["number"])
    described = yield ctx.call_activity(describe, input=doubled)
    yield ctx.create_timer(fire_at=ctx.current_utc_datetime + timedelta(milliseconds=300))
    if state["round"] == 1:
        ctx.continue_as_new({"number": doubled, "round": 2, "seen": [described]})
        return
    return {"seen": [*state["seen"], described], "round": state["round"]}


def fails(ctx: wf.DaprWorkflowContext, _: dict):
    yield ctx.call_activity(refuse, input={})
    return "not reached"


def waits_for_approval(ctx: wf.DaprWorkflowContext, _: dict):
    approval = yield ctx.wait_for_external_event("approval")
    return approval


@pytest.fixture(scope="module")
def sidecar(tmp_path_factory):
    running, server = start_sidecar(tmp_path_factory.mktemp("dapr-workflows"))
    dapr_settings.DAPR_HTTP_PORT = running.http_port  # type: ignore[attr-defined]  # read at call time
    yield running
    stop_sidecar(running, server)


@pytest.fixture(scope="module")
def client(sidecar):
    runtime = wf.WorkflowRuntime(host="127.0.0.1", port=str(sidecar.grpc_port))
    for workflow in (two_steps_a_timer_and_a_second_round, fails, waits_for_approval):
        runtime.register_workflow(workflow)
    for activity in (double, describe, refuse):
        runtime.register_activity(activity)
    runtime.start()
    workflows = wf.DaprWorkflowClient(host="127.0.0.1", port=str(sidecar.grpc_port))
    yield workflows
    workflows.close()
    runtime.shutdown()


def test_activities_a_timer_and_continue_as_new_run_to_completion(client):
    instance = client.schedule_new_workflow(
        two_steps_a_timer_and_a_second_round,
        input={"number": 3, "round": 1},
        instance_id=f"selftest-{uuid.uuid4().hex}",
    )
    state = client.wait_for_workflow_completion(instance, timeout_in_seconds=WAIT)
    assert state.runtime_status == wf.WorkflowStatus.COMPLETED, state
    assert state.to_json()["serialized_output"] == '{"seen": ["got 6", "got 12"], "round": 2}'


def test_a_failing_activity_fails_the_workflow_with_its_message(client):
    instance = client.schedule_new_workflow(fails, input={})
    state = client.wait_for_workflow_completion(instance, timeout_in_seconds=WAIT)
    assert state.runtime_status == wf.WorkflowStatus.FAILED
    assert "the cluster is unreachable" in state.failure_details.message


def test_raised_events_termination_and_unknown_instances(client):
    approved = client.schedule_new_workflow(waits_for_approval, input={})
    assert client.wait_for_workflow_start(approved, timeout_in_seconds=WAIT).runtime_status == wf.WorkflowStatus.RUNNING
    client.raise_workflow_event(approved, "approval", data={"by": "admin"})
    state = client.wait_for_workflow_completion(approved, timeout_in_seconds=WAIT)
    assert (
        state.runtime_status == wf.WorkflowStatus.COMPLETED
        and state.to_json()["serialized_output"] == '{"by": "admin"}'
    )

    stopped = client.schedule_new_workflow(waits_for_approval, input={})
    client.terminate_workflow(stopped)
    state = client.wait_for_workflow_completion(stopped, timeout_in_seconds=WAIT)
    assert state.runtime_status == wf.WorkflowStatus.TERMINATED
    client.purge_workflow(stopped)
    # budmicroframe's does_workflow_exist relies on daprd's "no such instance exists"
    assert client.get_workflow_state(stopped) is None
    assert client.get_workflow_state("never-started") is None
