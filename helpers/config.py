"""Typed settings of the suite: one profile of config/test_config.yaml plus overrides.

Precedence, lowest first:
  1. the profile in config/test_config.yaml (defaults merged in),
  2. config/.env.e2e (the user's own file),
  3. $E2E_STATE_DIR/deployment.env and credentials.env (written by the setup scripts),
  4. the process environment.

Anything missing or malformed raises ``ConfigError`` with one line that names it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

SUITE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = SUITE_ROOT / "config" / "test_config.yaml"
SERVICES = ("budapp", "budcluster", "budsim", "budmodel", "budmetrics", "budgateway", "dapr")

_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line that says which."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _http_url(value: str | None) -> str | None:
    if value is None:
        return None
    value = str(value).strip().rstrip("/")
    if not re.match(r"^https?://([^/\s:@]+(:[^/\s@]*)?@)?[^/\s:@]+(:\d+)?(/\S*)?$", value):
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value


class ServiceURLs(_Strict):
    budapp: str
    budcluster: str
    budsim: str
    budmodel: str
    budmetrics: str
    budgateway: str
    dapr: str | None = None

    _check = field_validator(*SERVICES)(_http_url)


class InfraSettings(_Strict):
    postgres_dsn: str
    redis_url: str
    # the Redis database budapp writes gateway routes and API keys to and the gateway reads (TENSORZERO_REDIS_URL)
    gateway_redis_url: str
    clickhouse_url: str

    @field_validator("postgres_dsn")
    @classmethod
    def _postgres(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"not a postgresql:// DSN: {value!r}")
        return value

    @field_validator("redis_url", "gateway_redis_url")
    @classmethod
    def _redis(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"not a redis:// URL: {value!r}")
        return value

    _clickhouse = field_validator("clickhouse_url")(_http_url)


class AdminSettings(_Strict):
    email: str
    password: SecretStr = Field(min_length=1)


class TimeoutSettings(_Strict):
    connect: float = Field(gt=0)
    request: float = Field(gt=0)
    workflow: float = Field(gt=0)
    poll_interval: float = Field(gt=0)
    poll_max_interval: float = Field(gt=0)


class RetrySettings(_Strict):
    attempts: int = Field(ge=1, le=10)
    backoff: float = Field(ge=0)


class AuthSettings(_Strict):
    max_token_expiry_wait: float = Field(ge=0)


class TargetSettings(_Strict):
    """What the platform is asked to manage: the cluster the suite onboards, the model it downloads."""

    cluster_kubeconfig: str | None = None
    simulated_cluster: str = "sim-cpu-2node"
    local_model_uri: str | None = None
    # the OpenAI (or OpenAI-compatible, at provider_api_base) key cloud endpoints are deployed with
    provider_api_key: SecretStr | None = None
    provider_api_base: str | None = None


class PerformanceSettings(_Strict):
    """Sizes and pass marks of the performance tests (loopback loads stay bounded)."""

    concurrent_deployments: int = Field(4, ge=1, le=50)
    max_time_to_ready_p95: float = Field(60.0, gt=0)
    load_requests: int = Field(400, ge=1, le=100_000)
    load_concurrency: int = Field(8, ge=1, le=256)
    load_max_seconds: float = Field(30.0, gt=0, le=600)
    max_latency_p95_ms: float = Field(500.0, gt=0)
    max_error_rate: float = Field(0.0, ge=0, le=1)
    min_throughput_rps: float = Field(20.0, ge=0)
    waiter_samples: int = Field(8, ge=1, le=100)
    max_waiter_latency_median_ms: float = Field(500.0, gt=0)


class Settings(_Strict):
    profile: str
    deployment: str
    name_prefix: str = Field(pattern=r"^[a-z][a-z0-9-]{0,15}$")  # see name_prefix()
    services: ServiceURLs
    infra: InfraSettings
    admin: AdminSettings
    timeouts: TimeoutSettings
    retry: RetrySettings
    auth: AuthSettings
    targets: TargetSettings = TargetSettings()
    performance: PerformanceSettings = PerformanceSettings()


# Environment variable -> (section, key) it overrides.
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    **{f"E2E_{name.upper()}_URL": ("services", name) for name in SERVICES},
    "E2E_POSTGRES_DSN": ("infra", "postgres_dsn"),
    "E2E_REDIS_URL": ("infra", "redis_url"),
    "E2E_GATEWAY_REDIS_URL": ("infra", "gateway_redis_url"),
    "E2E_CLICKHOUSE_URL": ("infra", "clickhouse_url"),
    "E2E_ADMIN_EMAIL": ("admin", "email"),
    "E2E_ADMIN_PASSWORD": ("admin", "password"),
    "E2E_TIMEOUT_CONNECT": ("timeouts", "connect"),
    "E2E_TIMEOUT_REQUEST": ("timeouts", "request"),
    "E2E_TIMEOUT_WORKFLOW": ("timeouts", "workflow"),
    "E2E_POLL_INTERVAL": ("timeouts", "poll_interval"),
    "E2E_POLL_MAX_INTERVAL": ("timeouts", "poll_max_interval"),
    "E2E_RETRY_ATTEMPTS": ("retry", "attempts"),
    "E2E_RETRY_BACKOFF": ("retry", "backoff"),
    "E2E_MAX_TOKEN_EXPIRY_WAIT": ("auth", "max_token_expiry_wait"),
    "E2E_CLUSTER_KUBECONFIG": ("targets", "cluster_kubeconfig"),
    "E2E_SIMULATED_CLUSTER": ("targets", "simulated_cluster"),
    "E2E_LOCAL_MODEL_URI": ("targets", "local_model_uri"),
    "E2E_PROVIDER_API_KEY": ("targets", "provider_api_key"),
    "E2E_PROVIDER_API_BASE": ("targets", "provider_api_base"),
    "E2E_PERF_CONCURRENT_DEPLOYMENTS": ("performance", "concurrent_deployments"),
    "E2E_PERF_LOAD_REQUESTS": ("performance", "load_requests"),
    "E2E_PERF_LOAD_CONCURRENCY": ("performance", "load_concurrency"),
    "E2E_PERF_LOAD_MAX_SECONDS": ("performance", "load_max_seconds"),
}


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Folder where setup scripts leave deployment.env, credentials.env, logs."""
    source = os.environ if environ is None else environ
    return Path(source.get("E2E_STATE_DIR") or SUITE_ROOT / ".e2e-state")


def layered_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The env files the suite honours, overlaid by the real environment."""
    environ = dict(os.environ if environ is None else environ)
    merged: dict[str, str] = {}
    files = [
        SUITE_ROOT / "config" / ".env.e2e",
        state_dir(environ) / "deployment.env",
        state_dir(environ) / "credentials.env",
    ]
    for path in files:
        if path.is_file():
            merged.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    merged.update(environ)
    return merged


def _expand(value: Any, env: dict[str, str], where: str) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, env, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, env, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group("name"), match.group("default")
        if env.get(name):
            return env[name]
        if default is not None:
            return default
        return ""

    return _VAR.sub(substitute, value)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merge(result[key], value)
        else:
            result[key] = value
    return result


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist (set E2E_CONFIG_FILE to another file)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"config file {path} is not valid YAML{at}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict) or not isinstance(data.get("profiles"), dict):
        raise ConfigError(f"config file {path} has no 'profiles' mapping")
    return data


def _describe(error: ValidationError, raw: dict[str, Any]) -> str:
    first = error.errors()[0]
    dotted = ".".join(str(p) for p in first["loc"])
    section_key = tuple(str(p) for p in first["loc"][:2])
    env_names = [name for name, target in ENV_OVERRIDES.items() if target == section_key]
    hint = f" (set {env_names[0]})" if env_names else ""
    if first["type"] == "missing":
        return f"setting '{dotted}' is missing{hint}"
    return f"setting '{dotted}' is invalid: {first['msg']}{hint}"


def load_settings(environ: dict[str, str] | None = None, config_file: Path | None = None) -> Settings:
    """Build the settings for the selected profile; raise ConfigError on any problem."""
    env = layered_environment(environ)
    path = Path(config_file or env.get("E2E_CONFIG_FILE") or DEFAULT_CONFIG_FILE)
    document = _read_yaml(path)
    profile = env.get("E2E_PROFILE") or document.get("default_profile") or "sandbox"
    profiles = document["profiles"]
    if profile not in profiles:
        known = ", ".join(sorted(profiles))
        raise ConfigError(f"E2E_PROFILE={profile!r} is not a profile in {path} (known: {known})")

    raw = _merge(document.get("defaults") or {}, profiles[profile] or {})
    raw = _expand(raw, env, profile)
    for name, (section, key) in ENV_OVERRIDES.items():
        if env.get(name):
            raw.setdefault(section, {})[key] = env[name]
    if not (raw.get("admin") or {}).get("password"):
        raise ConfigError(
            "setting 'admin.password' is missing: set E2E_ADMIN_PASSWORD to the deployment's "
            "super-user password (the sandbox writes it to .e2e-state/credentials.env on start)"
        )
    raw["profile"] = profile
    raw["deployment"] = env.get("E2E_DEPLOYMENT") or profile
    raw["name_prefix"] = name_prefix(env)
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path} profile '{profile}': {_describe(exc, raw)}") from None


NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,15}$")


def name_prefix(environ: Mapping[str, str] | None = None) -> str:
    """The leading word of every name the suite gives (E2E_NAME_PREFIX, default ``e2e``): the one reader of it,
    for the settings and for naming, which needs no deployment settings to name things."""
    value = (os.environ if environ is None else environ).get("E2E_NAME_PREFIX") or "e2e"
    if not NAME_PREFIX.fullmatch(value):
        raise ConfigError(
            f"setting 'name_prefix' is invalid: E2E_NAME_PREFIX={value!r} must be lower-case letters, digits and "
            "dashes, starting with a letter, at most 16 characters"
        )
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, loaded once."""
    return load_settings()
