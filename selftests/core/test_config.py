"""Loading settings: profiles, overrides, env files and one-line errors."""

from pathlib import Path

import pytest

from helpers.config import ConfigError, load_settings

CONFIG = """
default_profile: local
defaults:
  timeouts: {connect: 1, request: 2, workflow: 3, poll_interval: 0.1, poll_max_interval: 1}
  retry: {attempts: 2, backoff: 0}
  auth: {max_token_expiry_wait: 5}
profiles:
  local:
    services:
      budapp: http://127.0.0.1:1/
      budcluster: http://127.0.0.1:2
      budsim: http://127.0.0.1:3
      budmodel: http://127.0.0.1:4
      budmetrics: http://127.0.0.1:5
      budgateway: http://127.0.0.1:6
    infra:
      postgres_dsn: postgresql://u@127.0.0.1:5432/db
      redis_url: redis://127.0.0.1:6379/0
      gateway_redis_url: redis://127.0.0.1:6379/2
      clickhouse_url: http://127.0.0.1:8123
    admin:
      email: ${ADMIN_EMAIL:-root@example.test}
      password: ${ADMIN_PASSWORD}
  other:
    services:
      {budapp: "ftp://nope", budcluster: "http://x", budsim: "http://x",
       budmodel: "http://x", budmetrics: "http://x", budgateway: "http://x"}
    infra:
      {postgres_dsn: "postgresql://x/db", redis_url: "redis://x",
       gateway_redis_url: "redis://x/2", clickhouse_url: "http://x"}
    admin: {email: a@b.c, password: pw}
"""


@pytest.fixture
def config_file(tmp_path) -> Path:
    path = tmp_path / "test_config.yaml"
    path.write_text(CONFIG)
    return path


def env(tmp_path, **values):
    return {"E2E_STATE_DIR": str(tmp_path / "state"), **values}


def test_profile_defaults_and_expansion(config_file, tmp_path):
    settings = load_settings(env(tmp_path, ADMIN_PASSWORD="s3cret"), config_file)
    assert settings.profile == "local"
    assert settings.services.budapp == "http://127.0.0.1:1"
    assert settings.services.dapr is None
    assert settings.admin.email == "root@example.test"
    assert settings.admin.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
    assert settings.timeouts.workflow == 3 and settings.retry.attempts == 2


def test_environment_overrides_win(config_file, tmp_path):
    settings = load_settings(
        env(tmp_path, ADMIN_PASSWORD="x", E2E_BUDAPP_URL="http://10.0.0.1:9082", E2E_TIMEOUT_WORKFLOW="42"),
        config_file,
    )
    assert settings.services.budapp == "http://10.0.0.1:9082"
    assert settings.timeouts.workflow == 42


def test_state_dir_env_files_are_read_and_real_env_wins(config_file, tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "deployment.env").write_text(
        "E2E_DEPLOYMENT=sandbox\nE2E_BUDSIM_URL=http://127.0.0.1:7777\nE2E_BUDMODEL_URL=http://127.0.0.1:8888\n"
    )
    (state / "credentials.env").write_text("E2E_ADMIN_PASSWORD=from-file\n")
    settings = load_settings(env(tmp_path, E2E_BUDMODEL_URL="http://127.0.0.1:9999"), config_file)
    assert settings.deployment == "sandbox"
    assert settings.services.budsim == "http://127.0.0.1:7777"
    assert settings.services.budmodel == "http://127.0.0.1:9999"
    assert settings.admin.password.get_secret_value() == "from-file"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, "setting 'admin.password' is missing: set E2E_ADMIN_PASSWORD"),
        ({"ADMIN_PASSWORD": "x", "E2E_PROFILE": "nope"}, "E2E_PROFILE='nope' is not a profile"),
        ({"ADMIN_PASSWORD": "x", "E2E_PROFILE": "other"}, "setting 'services.budapp' is invalid"),
        ({"ADMIN_PASSWORD": "x", "E2E_REDIS_URL": "localhost:6379"}, "setting 'infra.redis_url' is invalid"),
        ({"ADMIN_PASSWORD": "x", "E2E_GATEWAY_REDIS_URL": "6379/2"}, "setting 'infra.gateway_redis_url' is invalid"),
        ({"ADMIN_PASSWORD": "x", "E2E_TIMEOUT_REQUEST": "soon"}, "setting 'timeouts.request' is invalid"),
        ({"ADMIN_PASSWORD": "x", "E2E_NAME_PREFIX": "Bad Prefix"}, "setting 'name_prefix' is invalid"),
    ],
)
def test_bad_settings_fail_with_one_line_naming_the_setting(config_file, tmp_path, values, expected):
    with pytest.raises(ConfigError) as error:
        load_settings(env(tmp_path, **values), config_file)
    message = str(error.value)
    assert expected in message
    assert "\n" not in message


def test_override_hint_names_the_env_var(config_file, tmp_path):
    with pytest.raises(ConfigError, match="set E2E_REDIS_URL"):
        load_settings(env(tmp_path, ADMIN_PASSWORD="x", E2E_REDIS_URL="nope"), config_file)


def test_missing_or_broken_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(env(tmp_path), tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("profiles: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_settings(env(tmp_path), broken)


def test_shipped_config_has_every_profile(tmp_path):
    for profile in ("sandbox", "compose", "k3d", "kind", "existing"):
        settings = load_settings(env(tmp_path, E2E_PROFILE=profile, E2E_ADMIN_PASSWORD="x"))
        assert settings.profile == profile
        assert settings.services.budapp.startswith("http://")


def test_clickhouse_url_may_carry_credentials(config_file, tmp_path):
    settings = load_settings(
        env(tmp_path, ADMIN_PASSWORD="x", E2E_CLICKHOUSE_URL="http://bud:pw@127.0.0.1:18123"), config_file
    )
    assert settings.infra.clickhouse_url == "http://bud:pw@127.0.0.1:18123"
    with pytest.raises(ConfigError, match=r"infra\.clickhouse_url"):
        load_settings(env(tmp_path, ADMIN_PASSWORD="x", E2E_CLICKHOUSE_URL="http://a@b@host:1"), config_file)
