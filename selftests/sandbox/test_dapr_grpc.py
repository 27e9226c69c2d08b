"""The sidecar's gRPC Dapr API through the real ``dapr`` client, as budapp uses it: state with TTL and ETags
(same Redis layout as HTTP), publish with CloudEvent pass-through to the subscriber, metadata."""

import json
import uuid

import grpc
import httpx
import pytest
import redis
from dapr.clients import DaprClient
from dapr.clients.grpc._state import Concurrency, StateOptions
from dapr.conf import settings as dapr_settings

import sandbox.dapr  # noqa: F401  (first: it quiets the dapr wheel's import-time warning)
from selftests.sandbox.sidecar_process import APP_API_TOKEN, REDIS_URL, start_sidecar, stop_sidecar


@pytest.fixture(scope="module")
def sidecar(tmp_path_factory):
    running, server = start_sidecar(tmp_path_factory.mktemp("dapr-grpc"))
    yield running
    stop_sidecar(running, server)


@pytest.fixture(scope="module")
def client(sidecar):
    # the client waits on the sidecar's HTTP /v1.0/healthz/outbound before its first call
    # dapr's settings are module attributes it reads at call time, not declared ones
    dapr_settings.DAPR_HTTP_PORT, dapr_settings.DAPR_HEALTH_TIMEOUT = sidecar.http_port, 10  # type: ignore[attr-defined]
    with DaprClient(address=f"127.0.0.1:{sidecar.grpc_port}") as dapr:
        yield dapr


def key() -> str:
    return f"selftest-{uuid.uuid4().hex}"


def test_state_saved_over_grpc_reads_back_over_http_in_daprs_layout(client, sidecar):
    name = key()
    client.save_state("statestore", name, '{"a": 1}', state_metadata={"ttlInSeconds": "60"})
    got = client.get_state("statestore", name)
    assert got.data == b'{"a": 1}' and got.etag == "1"
    store = redis.from_url(REDIS_URL, decode_responses=True)
    assert store.hgetall(f"budapp||{name}") == {"data": '{"a": 1}', "version": "1"}
    assert 0 < store.ttl(f"budapp||{name}") <= 60
    assert httpx.get(f"{sidecar.url}/v1.0/state/statestore/{name}").json() == {"a": 1}
    client.delete_state("statestore", name)
    assert client.get_state("statestore", name).data == b""
    assert httpx.get(f"{sidecar.url}/v1.0/state/statestore/{name}").status_code == 204


def test_etags_guard_saves_and_deletes(client):
    name = key()
    client.save_state("statestore", name, "one")
    with pytest.raises(grpc.RpcError) as stale:
        client.save_state("statestore", name, "two", etag="9")
    assert stale.value.code() == grpc.StatusCode.ABORTED
    # budapp's register_service: first-write with the key's current ETag
    first_write = StateOptions(concurrency=Concurrency.first_write)
    client.save_state("statestore", name, "two", etag=client.get_state("statestore", name).etag, options=first_write)
    with pytest.raises(grpc.RpcError):
        client.save_state("statestore", name, "three", options=first_write)
    bulk = client.get_bulk_state("statestore", [name, key()]).items
    assert [(item.data, item.etag) for item in bulk] == [(b"two", "2"), (b"", "")]
    with pytest.raises(grpc.RpcError):
        client.delete_state("statestore", name, etag="1")
    client.delete_state("statestore", name, etag="2")


def test_a_cloudevent_publish_reaches_the_subscriber_as_published(client, sidecar):
    """budapp's publish_to_topic: the payload is the event; daprd adds topic, pubsubname and trace fields only."""
    event = {
        "specversion": "1.0",
        "type": "notification",
        "source": "budapp",
        "data": {"n": 1},
        "traceparent": "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01",
    }
    before = len(sidecar.subscriber.received)
    client.publish_event(
        "pubsub",
        "budAppMessages",
        data=json.dumps(event),
        data_content_type="application/cloudevents+json",
        publish_metadata={"cloudevent.id": "ignored-for-cloudevents"},
    )
    path, headers, body = sidecar.subscriber.wait_for(before + 1)[before]
    assert path == "/notifications"
    assert headers["content-type"] == "application/cloudevents+json"
    assert headers["dapr-api-token"] == APP_API_TOKEN
    assert body == {
        **event,
        "topic": "budAppMessages",
        "pubsubname": "pubsub",
        "traceid": body["traceid"],
        "tracestate": "",
    }
    assert "id" not in body and "datacontenttype" not in body


def test_a_routing_rule_picks_the_credentials_route(client, sidecar):
    before = len(sidecar.subscriber.received)
    client.publish_event(
        "pubsub",
        "budAppMessages",
        data='{"type": "credential_update", "data": {}}',
        data_content_type="application/cloudevents+json",
    )
    path, _, body = sidecar.subscriber.wait_for(before + 1)[before]
    assert path == "/credentials/update" and body["type"] == "credential_update"


def test_metadata_over_grpc_matches_http(client, sidecar):
    over_grpc = client.get_metadata()
    over_http = httpx.get(f"{sidecar.url}/v1.0/metadata").json()
    assert over_grpc.application_id == over_http["id"] == "budapp"
    assert [(c.name, c.type) for c in over_grpc.registered_components] == [
        (c["name"], c["type"]) for c in over_http["components"]
    ]


def test_methods_the_sidecar_does_not_serve_answer_unimplemented(client):
    with pytest.raises(grpc.RpcError) as unserved:
        client.get_secret("secretstore", "anything")
    assert unserved.value.code() == grpc.StatusCode.UNIMPLEMENTED
