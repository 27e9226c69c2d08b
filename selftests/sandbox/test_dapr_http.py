"""The sidecar's HTTP API as daprd serves it to budapp: outbound health, metadata, ``//`` paths, CloudEvent
pass-through and the app API token on calls to apps."""

import pytest
from fastapi.testclient import TestClient

from sandbox.dapr import sidecar
from sandbox.settings import SandboxSettings


@pytest.fixture
def published(monkeypatch):
    events = []

    class Queue:
        def put_nowait(self, event):
            events.append(event)

    monkeypatch.setattr(sidecar, "_queue_of", lambda topic: Queue())
    return events


@pytest.fixture
def client():
    with TestClient(sidecar.app) as test_client:
        yield test_client


def test_outbound_health_and_metadata_also_under_a_double_slash(client):
    assert client.get("http://testserver//v1.0/healthz/outbound").status_code == 204
    assert client.get("/v1.0/healthz").status_code == 204
    body = client.get("http://testserver//v1.0/metadata", headers={"dapr-app-id": "budapp"}).json()
    assert body["id"] == "budapp"
    assert [(c["name"], c["type"]) for c in body["components"]] == [("statestore", "state.redis"),
                                                                    ("pubsub", "pubsub.redis")]
    assert body["subscriptions"] == [{"pubsubname": "pubsub", "topic": "budAppMessages",
                                      "rules": [{"path": "/notifications"}]}]


def test_a_cloudevent_publish_passes_through_with_topic_and_pubsub_added(client, published):
    event = {"specversion": "1.0", "source": "budcluster", "type": "register_cluster", "data": {"k": 1}}
    answer = client.post("/v1.0/publish/pubsub/budAppMessages", json=event,
                         headers={"content-type": "application/cloudevents+json"})
    assert answer.status_code == 204
    assert published == [{**event, "topic": "budAppMessages", "pubsubname": "pubsub"}]


def test_a_plain_json_publish_is_wrapped_in_a_cloudevent(client, published):
    client.post("/v1.0/publish/pubsub/budAppMessages", json={"k": 1}, headers={"dapr-app-id": "budsim"})
    (event,) = published
    assert {k: event[k] for k in ("specversion", "source", "topic", "pubsubname", "data", "datacontenttype")} == {
        "specversion": "1.0", "source": "budsim", "topic": "budAppMessages", "pubsubname": "pubsub",
        "data": {"k": 1}, "datacontenttype": "application/json"}


def test_an_unsubscribed_topic_is_accepted_and_dropped(client, published):
    assert client.post("/v1.0/publish/pubsub/nobody-listens", json={"k": 1}).status_code == 204
    assert published == []


def test_calls_to_apps_carry_the_app_api_token_instead_of_the_callers(monkeypatch):
    monkeypatch.setattr(sidecar, "settings", SandboxSettings(app_api_token="app-token"))
    assert sidecar.app_headers({"dapr-api-token": "callers", "x-a": "1"}) == {"x-a": "1", "dapr-api-token": "app-token"}
    monkeypatch.setattr(sidecar, "settings", SandboxSettings(app_api_token=""))
    assert sidecar.app_headers({"dapr-api-token": "callers", "x-a": "1"}) == {"x-a": "1"}
