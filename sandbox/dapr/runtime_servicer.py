"""daprd's gRPC API (``dapr.proto.runtime.v1.Dapr``) for what budapp and budmicroframe call over it: state,
publish and metadata. Every other method answers UNIMPLEMENTED (the generated base class does that).

The calling app is the ``dapr-app-id`` call metadata (the sandbox's services share one sidecar), else budapp,
the only app that talks gRPC to its sidecar.
"""

from __future__ import annotations

import grpc
import redis.asyncio as redis
from dapr.proto.common.v1 import common_pb2
from dapr.proto.runtime.v1 import dapr_pb2_grpc, pubsub_pb2, state_pb2
from google.protobuf import empty_pb2

from sandbox.dapr import metadata, pubsub, state_store

DEFAULT_APP = "budapp"
FIRST_WRITE = common_pb2.StateOptions.StateConcurrency.CONCURRENCY_FIRST_WRITE


def caller(context: grpc.aio.ServicerContext) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == "dapr-app-id" and value:
            return value
    return DEFAULT_APP


class RuntimeServicer(dapr_pb2_grpc.DaprServicer):
    def __init__(self, store: redis.Redis, topics: pubsub.Topics) -> None:
        self._store = store
        self._topics = topics

    async def GetState(self, request: state_pb2.GetStateRequest, context) -> state_pb2.GetStateResponse:
        data, etag = await state_store.get(self._store, caller(context), request.key)
        if data is None:
            return state_pb2.GetStateResponse()
        return state_pb2.GetStateResponse(data=data.encode(), etag=etag)

    async def GetBulkState(self, request: state_pb2.GetBulkStateRequest, context) -> state_pb2.GetBulkStateResponse:
        keys = list(request.keys)
        found = await state_store.get_many(self._store, caller(context), keys)
        return state_pb2.GetBulkStateResponse(
            items=[
                state_pb2.BulkStateItem(key=key, data=(data or "").encode(), etag=etag)
                for key, (data, etag) in zip(keys, found, strict=False)
            ]
        )

    async def SaveState(self, request: state_pb2.SaveStateRequest, context) -> empty_pb2.Empty:
        try:
            items = [
                state_store.StateItem(
                    key=s.key,
                    data=s.value.decode(),
                    etag=s.etag.value or None,
                    ttl=state_store.ttl_of(dict(s.metadata)),
                    first_write=s.options.concurrency == FIRST_WRITE,
                )
                for s in request.states
            ]
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        try:
            await state_store.save(self._store, caller(context), items)
        except state_store.ETagMismatch as exc:
            await context.abort(
                grpc.StatusCode.ABORTED, f"failed saving state in state store {request.store_name}: {exc}"
            )
        return empty_pb2.Empty()

    async def DeleteState(self, request: state_pb2.DeleteStateRequest, context) -> empty_pb2.Empty:
        try:
            await state_store.delete(self._store, caller(context), request.key, request.etag.value or None)
        except state_store.ETagMismatch as exc:
            await context.abort(grpc.StatusCode.ABORTED, f"failed deleting state with key {request.key}: {exc}")
        return empty_pb2.Empty()

    async def PublishEvent(self, request: pubsub_pb2.PublishEventRequest, context) -> empty_pb2.Empty:
        try:
            event = pubsub.event_of(
                request.data,
                request.data_content_type,
                caller(context),
                request.pubsub_name,
                request.topic,
                dict(request.metadata),
            )
        except ValueError as exc:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"error when publishing to topic {request.topic}: {exc}"
            )
        self._topics.publish(event)
        return empty_pb2.Empty()

    async def GetMetadata(self, request, context):
        return metadata.message(caller(context))
