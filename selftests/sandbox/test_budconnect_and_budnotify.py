"""The BudConnect and budnotify stand-ins answer the calls real budapp makes, in the shapes it reads."""

import os

import pytest
import redis
import yaml
from fastapi.testclient import TestClient

from sandbox.budconnect.app import create_app as budconnect_app
from sandbox.budnotify.app import NOTIFICATIONS, SUBSCRIBERS
from sandbox.budnotify.app import create_app as budnotify_app
from sandbox.common.catalog_data import CATALOG_FILE
from sandbox.settings import SandboxSettings
from selftests.sandbox.isolated import redis_url as isolated_redis_url


@pytest.fixture
def redis_url():
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
    url = isolated_redis_url(6 + worker)
    redis.from_url(url).flushdb()
    yield url
    redis.from_url(url).flushdb()


def test_budconnect_pages_through_every_provider_of_the_catalogue_file(redis_url):
    expected = yaml.safe_load(CATALOG_FILE.read_text())["providers"]
    with TestClient(budconnect_app(SandboxSettings(redis_url=redis_url))) as client:
        first = client.get("/model/get-compatible-models", params={"page": 1, "limit": 2}).json()
        assert (first["total_pages"], first["page"], first["limit"]) == ((len(expected) + 1) // 2, 1, 2)
        seen = list(first["items"])
        for page in range(2, first["total_pages"] + 1):
            seen += client.get("/model/get-compatible-models", params={"page": page, "limit": 2}).json()["items"]
    assert [p["provider_type"] for p in seen] == [p["type"] for p in expected]
    openai = seen[0]
    assert set(openai) == {"provider_type", "name", "description", "icon", "capabilities", "credentials", "models"}
    model = openai["models"][0]
    assert set(model) == {"uri", "modality", "endpoints", "tokens", "input_cost", "output_cost", "deprecation_date"}
    assert next(p for p in seen if p["provider_type"] == "huggingface")["models"] == []


def test_catalogue_uses_budapps_enum_values_only():
    capabilities, modalities = (
        {"model", "moderation", "local"},
        {"text_input", "text_output", "image_input", "image_output", "audio_input", "audio_output"},
    )
    for provider in yaml.safe_load(CATALOG_FILE.read_text())["providers"]:
        assert set(provider["capabilities"]) <= capabilities, provider["type"]
        for model in provider["models"]:
            assert set(model["modality"]) <= modalities, model["uri"]
            assert all(e.startswith("/v1/") for e in model["endpoints"]), model["uri"]


def test_budconnect_has_no_guardrail_providers(redis_url):
    with TestClient(budconnect_app(SandboxSettings(redis_url=redis_url))) as client:
        answer = client.get("/guardrail/get-compatible-guardrails", params={"page": 1, "limit": 5}).json()
    assert (answer["items"], answer["total_pages"]) == ([], 0)


def test_budnotify_acknowledges_and_keeps_notifications_newest_first(redis_url):
    with TestClient(budnotify_app(SandboxSettings(redis_url=redis_url))) as client:
        first = client.post("/notifications", json={"notification_type": "event", "name": "first", "payload": {}})
        client.post("/notifications", json={"specversion": "1.0", "pubsubname": "pubsub", "data": {"name": "second"}})
    assert first.status_code == 200
    assert {k: v for k, v in first.json().items() if k != "transaction_id"} == {
        "object": "notification",
        "message": "",
        "acknowledged": True,
        "status": "processed",
    }
    kept = [yaml.safe_load(item) for item in redis.from_url(redis_url).lrange(NOTIFICATIONS, 0, -1)]
    assert [n["name"] for n in kept] == ["second", "first"]
    assert kept[1]["transaction_id"] == first.json()["transaction_id"]


def test_budnotify_subscriber_lifecycle(redis_url):
    with TestClient(budnotify_app(SandboxSettings(redis_url=redis_url))) as client:
        created = client.post(
            "/subscribers", json={"subscriber_id": "u1", "email": "u1@example.com", "first_name": "Uma"}
        )
        assert created.json()["subscriberId"] == "u1" and created.json()["firstName"] == "Uma"
        assert client.put("/subscribers/u1", json={"last_name": "Lee"}).json()["lastName"] == "Lee"
        assert client.get("/subscribers/u1").json()["firstName"] == "Uma"
        bulk = client.post(
            "/subscribers/bulk-create",
            json=[
                {"subscriber_id": "u1", "email": "u1@example.com"},
                {"subscriber_id": "u2", "email": "u2@example.com"},
            ],
        )
        assert (bulk.json()["created"], bulk.json()["updated"]) == ([{"subscriberId": "u2"}], [{"subscriberId": "u1"}])
        listed = client.get("/subscribers", params={"page": 1, "limit": 10}).json()
        assert [s["subscriberId"] for s in listed["subscribers"]] == ["u1", "u2"]
        assert client.delete("/subscribers/u1").status_code == 200
        assert client.get("/subscribers/u1").status_code == 404
        assert client.delete("/subscribers/u1").status_code == 404
    assert redis.from_url(redis_url).hkeys(SUBSCRIBERS) == [b"u2"]
