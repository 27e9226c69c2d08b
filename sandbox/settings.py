"""Settings of the sandbox platform, from SANDBOX_* environment variables."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SANDBOX_ROOT = Path(__file__).resolve().parent
SUITE_ROOT = SANDBOX_ROOT.parent


class SandboxSettings(BaseSettings):
    """Ports, stores, token lifetimes and credentials of one sandbox instance."""

    model_config = SettingsConfigDict(env_prefix="SANDBOX_", frozen=True)

    host: str = "127.0.0.1"
    budapp_port: int = 19082
    budsim_port: int = 19002
    budcluster_port: int = 19003
    budmodel_port: int = 19004
    budmetrics_port: int = 19005
    budgateway_port: int = 19000
    dapr_port: int = 19500
    dapr_grpc_port: int = 19501
    clickhouse_port: int = 18123
    # stand-ins that only the real budapp needs (source mode): Keycloak, BudConnect, budnotify
    keycloak_port: int = 19080
    budconnect_port: int = 19010
    budnotify_port: int = 19006
    # the Keycloak stand-in's master-realm admin (admin-cli password grant); the launcher generates the password
    keycloak_admin_username: str = "admin"
    keycloak_admin_password: str = ""

    # source mode: the bud-runtime checkout whose services/budapp runs instead of the stand-in,
    # and the Python of the venv it is installed in (scripts/setup-source.sh sets both)
    budapp_source: Path | None = None
    budapp_python: str = ""

    # budapp processes behind its port (they share the realm key through Redis); more help only when
    # the machine has cores to spare for many parallel test workers
    budapp_workers: int = Field(1, ge=1)

    postgres_dsn: str = "postgresql://postgres@127.0.0.1:5432/bud_e2e_sandbox"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # where budapp writes model_table:* and api_key:* and the gateway reads them (budapp's TENSORZERO_REDIS_URL):
    # database 2 of the same server in the chart and the compose file; empty: the database two above redis_url's
    gateway_redis_url: str = ""

    access_token_lifespan: int = Field(1800, gt=0)
    refresh_token_lifespan: int = Field(86400, gt=0)
    rate_limit_enabled: bool = False
    # budgateway writes inference rows in batches: at most this many seconds apart (the real default is 1 s)
    inference_flush_interval: float = Field(0.25, gt=0)

    # the token services send budapp as dapr-api-token on internal calls (budapp's APP_API_TOKEN);
    # the launcher generates one, as the chart does
    app_api_token: str = ""

    super_user_email: str = "admin@budtest.dev"
    super_user_password: str = ""
    admin_token: str = ""
    faults: str = ""

    state_dir: Path = Field(default_factory=lambda: Path(os.environ.get("E2E_STATE_DIR") or SUITE_ROOT / ".e2e-state"))

    def url(self, service: str) -> str:
        return f"http://{self.host}:{getattr(self, f'{service}_port')}"

    def gateway_redis(self) -> str:
        if self.gateway_redis_url:
            return self.gateway_redis_url
        parts = urlparse(self.redis_url)
        return urlunparse(parts._replace(path=f"/{int(parts.path.lstrip('/') or 0) + 2}"))

    @property
    def source_mode(self) -> bool:
        return self.budapp_source is not None

    @property
    def sandbox_dir(self) -> Path:
        return self.state_dir / "sandbox"


@lru_cache(maxsize=1)
def get_settings() -> SandboxSettings:
    return SandboxSettings()
