"""The gateway's Redis database: budapp's TENSORZERO_REDIS_URL, two above the platform's by default (as the chart)."""

from sandbox.settings import SandboxSettings


def test_gateway_redis_is_two_databases_above_the_platforms():
    assert SandboxSettings(redis_url="redis://127.0.0.1:6391/5").gateway_redis() == "redis://127.0.0.1:6391/7"
    assert SandboxSettings(redis_url="redis://127.0.0.1:6379").gateway_redis() == "redis://127.0.0.1:6379/2"


def test_an_explicit_gateway_redis_wins():
    settings = SandboxSettings(redis_url="redis://127.0.0.1:6379/0", gateway_redis_url="redis://10.0.0.9:6379/11")
    assert settings.gateway_redis() == "redis://10.0.0.9:6379/11"
