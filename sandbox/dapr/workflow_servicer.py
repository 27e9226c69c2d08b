"""durabletask's ``TaskHubSidecarService`` on the sidecar's gRPC port: what dapr-ext-workflow's worker
(``WorkflowRuntime``) and client (``DaprWorkflowClient``) call, served by the in-memory engine.

The worker's start blocks until ``Hello`` answers and its ``GetWorkItems`` stream is open, so budapp does not
finish starting without this. Methods the clients do not use answer UNIMPLEMENTED (the generated base class).
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator

import grpc
from dapr.ext.workflow._durabletask.internal import orchestrator_service_pb2 as service
from dapr.ext.workflow._durabletask.internal import orchestrator_service_pb2_grpc as service_grpc
from google.protobuf import empty_pb2

from sandbox.dapr.workflow_engine import (
    PENDING,
    TERMINAL,
    InstanceExists,
    InstanceNotFound,
    WorkflowEngine,
)


class WorkflowServicer(service_grpc.TaskHubSidecarServiceServicer):
    def __init__(self, engine: WorkflowEngine) -> None:
        self._engine = engine

    async def Hello(self, request, context) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    async def GetWorkItems(self, request, context) -> AsyncIterator[service.WorkItem]:
        taken: set[str] = set()
        try:
            while True:
                item = await self._engine.work.get()
                taken.add(item.completionToken)
                yield item
                # a stream only learns the worker is gone on its next write: keep what is already completed out
                taken = {token for token in taken if token in self._engine.outstanding}
        finally:
            self._engine.returned(taken)

    async def CompleteActivityTask(self, request: service.ActivityResponse, context) -> service.CompleteTaskResponse:
        self._engine.complete_activity(request)
        return service.CompleteTaskResponse()

    async def CompleteOrchestratorTask(
        self, request: service.WorkflowResponse, context
    ) -> service.CompleteTaskResponse:
        self._engine.complete_orchestration(request)
        return service.CompleteTaskResponse()

    CompleteWorkflowTask = CompleteOrchestratorTask

    async def StartInstance(self, request: service.CreateInstanceRequest, context) -> service.CreateInstanceResponse:
        start_at = (
            request.scheduledStartTimestamp.ToDatetime(tzinfo=datetime.UTC)
            if request.HasField("scheduledStartTimestamp")
            else None
        )
        try:
            instance = self._engine.start(
                request.name, request.instanceId, request.input if request.HasField("input") else None, start_at
            )
        except InstanceExists as exc:
            await context.abort(grpc.StatusCode.ALREADY_EXISTS, str(exc))
        return service.CreateInstanceResponse(instanceId=instance.id)

    async def GetInstance(self, request: service.GetInstanceRequest, context) -> service.GetInstanceResponse:
        return await self._state(request, context, lambda instance: True)

    async def WaitForInstanceStart(self, request: service.GetInstanceRequest, context) -> service.GetInstanceResponse:
        return await self._state(request, context, lambda instance: instance.status != PENDING)

    async def WaitForInstanceCompletion(self, request: service.GetInstanceRequest, context):
        return await self._state(request, context, lambda instance: instance.status in TERMINAL)

    async def _state(self, request: service.GetInstanceRequest, context, done) -> service.GetInstanceResponse:
        try:
            instance = await self._engine.wait(request.instanceId, done)
        except InstanceNotFound as exc:
            await context.abort(grpc.StatusCode.UNKNOWN, str(exc))
        return service.GetInstanceResponse(exists=True, workflowState=instance.state(request.getInputsAndOutputs))

    async def RaiseEvent(self, request: service.RaiseEventRequest, context) -> service.RaiseEventResponse:
        await self._on_instance(
            context,
            self._engine.raise_event,
            request.instanceId,
            request.name,
            request.input if request.HasField("input") else None,
        )
        return service.RaiseEventResponse()

    async def TerminateInstance(self, request: service.TerminateRequest, context) -> service.TerminateResponse:
        await self._on_instance(
            context, self._engine.terminate, request.instanceId, request.output if request.HasField("output") else None
        )
        return service.TerminateResponse()

    async def SuspendInstance(self, request: service.SuspendRequest, context) -> service.SuspendResponse:
        await self._on_instance(context, self._engine.suspend, request.instanceId)
        return service.SuspendResponse()

    async def ResumeInstance(self, request: service.ResumeRequest, context) -> service.ResumeResponse:
        await self._on_instance(context, self._engine.resume, request.instanceId)
        return service.ResumeResponse()

    async def PurgeInstances(self, request: service.PurgeInstancesRequest, context) -> service.PurgeInstancesResponse:
        if request.WhichOneof("request") == "instanceId":
            deleted = self._engine.purge(request.instanceId)
        else:
            statuses = set(request.purgeInstanceFilter.runtimeStatus) or set(TERMINAL)
            deleted = sum(
                self._engine.purge(i.id) for i in list(self._engine.instances.values()) if i.status in statuses
            )
        return service.PurgeInstancesResponse(deletedInstanceCount=deleted)

    @staticmethod
    async def _on_instance(context, operation, instance_id: str, *args) -> None:
        try:
            operation(instance_id, *args)
        except InstanceNotFound as exc:
            await context.abort(grpc.StatusCode.UNKNOWN, str(exc))
