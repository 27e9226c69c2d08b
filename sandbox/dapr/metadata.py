"""The sidecar's metadata, as daprd's ``GET /v1.0/metadata`` and gRPC ``GetMetadata`` give it.

budapp registers against it: the ``state.*`` component names its state store, each subscription its pub/sub
name, topic and dead-letter topic (all three keys must be there). There is no ``configuration.*`` or
``secretstores.*`` component, so budapp and budmicroframe skip their config and secret syncs.
"""

from __future__ import annotations

from typing import Any

from dapr.proto.runtime.v1 import metadata_pb2

from sandbox.dapr.pubsub import DEAD_LETTER_TOPIC, PUBSUB_NAME, subscriptions_of

RUNTIME_VERSION = "1.16.0-sandbox"
STATE_STORE = "statestore"
COMPONENTS = (
    {
        "name": STATE_STORE,
        "type": "state.redis",
        "version": "v1",
        "capabilities": ["ETAG", "TRANSACTIONAL", "TTL", "ACTOR"],
    },
    {"name": PUBSUB_NAME, "type": "pubsub.redis", "version": "v1", "capabilities": ["SUBSCRIBE_WILDCARDS"]},
)


def document(app_id: str) -> dict[str, Any]:
    """The HTTP form (daprd's JSON field names)."""
    subscriptions = []
    for subscription in subscriptions_of(app_id):
        rules = [{"match": match, "path": path} for match, path in subscription.rules]
        if subscription.default_route:
            rules.append({"match": "", "path": subscription.default_route})
        subscriptions.append(
            {
                "pubsubname": PUBSUB_NAME,
                "topic": subscription.topic,
                "metadata": {},
                "rules": rules,
                "deadLetterTopic": DEAD_LETTER_TOPIC,
                "type": "DECLARATIVE",
            }
        )
    return {
        "id": app_id,
        "runtimeVersion": RUNTIME_VERSION,
        "enabledFeatures": [],
        "actors": [],
        "components": [dict(c) for c in COMPONENTS],
        "httpEndpoints": [],
        "subscriptions": subscriptions,
        "extended": {"daprRuntimeVersion": RUNTIME_VERSION},
    }


def message(app_id: str) -> metadata_pb2.GetMetadataResponse:
    """The gRPC form of the same document."""
    doc = document(app_id)
    return metadata_pb2.GetMetadataResponse(
        id=doc["id"],
        runtime_version=doc["runtimeVersion"],
        enabled_features=doc["enabledFeatures"],
        extended_metadata=doc["extended"],
        registered_components=[metadata_pb2.RegisteredComponents(**c) for c in doc["components"]],
        subscriptions=[
            metadata_pb2.PubsubSubscription(
                pubsub_name=s["pubsubname"],
                topic=s["topic"],
                dead_letter_topic=s["deadLetterTopic"],
                type=metadata_pb2.PubsubSubscriptionType.DECLARATIVE,
                rules=metadata_pb2.PubsubSubscriptionRules(
                    rules=[metadata_pb2.PubsubSubscriptionRule(**rule) for rule in s["rules"]]
                ),
            )
            for s in doc["subscriptions"]
        ],
    )
