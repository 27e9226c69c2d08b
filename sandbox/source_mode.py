"""Source mode: the real budapp from a bud-runtime checkout, in place of the budapp stand-in.

The launcher runs ``uvicorn budapp.main:app`` from ``<checkout>/services/budapp`` with the venv that
``scripts/setup-source.sh`` installed, and points it at the stand-ins: Keycloak, the Dapr sidecar (HTTP and
gRPC), BudConnect and the downstream services. budapp gets its own PostgreSQL database; what it writes for the
gateway goes to the Redis db the gateway stand-in reads. Its keys (RSA pair, AES key) are generated once into
the state folder, never into the checkout.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from sandbox.settings import SandboxSettings

BUDAPP_APP_ID = "budapp"
# where budmicroframe's register_service leaves budapp's service info in the sidecar's state store
REGISTRATION_KEY = f"{BUDAPP_APP_ID}||__metadata__{BUDAPP_APP_ID}"
# app ids budapp invokes through Dapr; the sidecar routes each to its stand-in
APP_IDS = {
    "BUD_CLUSTER_APP_ID": "budcluster",
    "BUD_MODEL_APP_ID": "budmodel",
    "BUD_SIMULATOR_APP_ID": "budsim",
    "BUD_METRICS_APP_ID": "budmetrics",
    "BUDMETRICS_APP_ID": "budmetrics",
    "BUD_NOTIFY_APP_ID": "budnotify",
    "BUD_PROMPT_APP_ID": "budprompt",
    "BUD_EVAL_APP_ID": "budeval",
    "BUD_PIPELINE_APP_ID": "budpipeline",
}
REALM = "bud"
MIGRATE_TIMEOUT = float(os.environ.get("SANDBOX_BUDAPP_MIGRATE_TIMEOUT", "300"))


def service_dir(settings: SandboxSettings) -> Path:
    assert settings.budapp_source is not None
    return Path(settings.budapp_source) / "services" / "budapp"


def state_dir(settings: SandboxSettings) -> Path:
    return settings.sandbox_dir / "budapp-source"


def database_dsn(settings: SandboxSettings) -> str:
    """budapp's own database: the sandbox database's name with ``_budapp`` appended."""
    parts = urlparse(settings.postgres_dsn)
    return urlunparse(parts._replace(path=parts.path.rstrip("/") + "_budapp"))


def checkout_commit(source: Path) -> str:
    """The checkout's commit (with git's "-dirty" when it has local changes), or "unknown" outside a git work tree;
    one word, so deployment.env stays a file a shell can source."""
    try:
        result = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    if result.returncode != 0:
        return "unknown"
    dirty = subprocess.run(
        ["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout.strip()
    return result.stdout.strip() + ("-dirty" if dirty else "")


def keys_fingerprint(settings: SandboxSettings) -> str:
    """Names the keys of this state folder without revealing them ("" when there are none yet)."""
    import hashlib

    secret = state_dir(settings) / "keys" / "secrets.env"
    return "e2e-keys:" + hashlib.sha256(secret.read_bytes()).hexdigest()[:16] if secret.is_file() else ""


def ensure_keys(settings: SandboxSettings) -> dict[str, str]:
    """The RSA pair (encrypted PEM) and AES key budapp encrypts credentials with; made once, kept private."""
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    keys = state_dir(settings) / "keys"
    keys.mkdir(parents=True, exist_ok=True, mode=0o700)
    private, public, secret = keys / "private_key.pem", keys / "public_key.pem", keys / "secrets.env"
    if not (private.is_file() and public.is_file() and secret.is_file()):
        password = secrets.token_urlsafe(24)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private.touch(mode=0o600)
        private.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(password.encode()),
            )
        )
        public.write_bytes(
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        # budapp hands the decoded AES key to Fernet, so it is the hex of a Fernet key (88 hex digits)
        aes_hex = Fernet.generate_key().hex()
        secret.touch(mode=0o600)
        secret.write_text(
            f"PRIVATE_KEY_PASSWORD={password}\nAES_KEY_HEX={aes_hex}\n"
            f"JWT_SECRET_KEY={secrets.token_hex(32)}\nAPP_API_TOKEN={secrets.token_urlsafe(32)}\n"
        )
    values = dict(line.split("=", 1) for line in secret.read_text().splitlines() if "=" in line)
    return {**values, "PRIVATE_KEY_PATH": str(private), "PUBLIC_KEY_PATH": str(public)}


def environment(
    settings: SandboxSettings,
    base: dict[str, str],
    super_email: str,
    super_password: str,
    keycloak_password: str,
    app_api_token: str = "",
) -> dict[str, str]:
    """budapp's settings (budapp/commons/config.py): the stand-ins' addresses, its stores, its keys."""
    db = urlparse(database_dsn(settings))
    log_dir = state_dir(settings) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    inherited = {k: v for k, v in base.items() if not k.startswith(("SANDBOX_", "E2E_"))}
    return {
        **inherited,
        **ensure_keys(settings),
        **APP_IDS,
        "APP_NAME": BUDAPP_APP_ID,
        "NAMESPACE": "development",
        "LOG_LEVEL": "INFO",
        "LOG_DIR": str(log_dir),
        "APP_PORT": str(settings.budapp_port),
        "PSQL_HOST": db.hostname or "127.0.0.1",
        "PSQL_PORT": str(db.port or 5432),
        "PSQL_USER": db.username or "postgres",
        "PSQL_PASSWORD": db.password or "",
        "PSQL_DB_NAME": db.path.lstrip("/"),
        "TENSORZERO_REDIS_URL": settings.gateway_redis(),
        "SUPER_USER_EMAIL": super_email,
        "SUPER_USER_PASSWORD": super_password,
        "DAPR_BASE_URL": settings.url("dapr"),
        "DAPR_HTTP_PORT": str(settings.dapr_port),
        "DAPR_GRPC_PORT": str(settings.dapr_grpc_port),
        "DAPR_HEALTH_TIMEOUT": "30",
        "KEYCLOAK_SERVER_URL": settings.url("keycloak"),
        "KEYCLOAK_REALM_NAME": "master",
        "KEYCLOAK_ADMIN_USERNAME": settings.keycloak_admin_username,
        "KEYCLOAK_ADMIN_PASSWORD": keycloak_password,
        "KEYCLOAK_VERIFY_SSL": "false",
        "KEYCLOAK_ACCESS_TOKEN_LIFESPAN": str(settings.access_token_lifespan),
        "DEFAULT_REALM_NAME": REALM,
        "BUD_CONNECT_BASE_URL": settings.url("budconnect"),
        "CLOUD_MODEL_SEEDER_ENGINE": "litellm",
        "MCP_FOUNDRY_BASE_URL": "http://127.0.0.1:9",
        "BUD_PROMPT_SERVICE_URL": "http://127.0.0.1:9",
        "BUD_SENTINEL_BASE_URL": "http://127.0.0.1:9",
        "GRAFANA_SCHEME": "http",
        "GRAFANA_URL": "127.0.0.1:9",
        "GRAFANA_USERNAME": "admin",
        "GRAFANA_PASSWORD": "unused",
        "RATE_LIMIT_ENABLED": "true" if settings.rate_limit_enabled else "false",
        "ACCESS_TOKEN_EXPIRE_MINUTES": str(max(1, settings.access_token_lifespan // 60)),
        # no network at start-up: the dataset seeder fails at once instead of retrying the hub for minutes
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "EVAL_SYNC_ENABLED": "false",
        "PYTHONPATH": str(service_dir(settings)),
        # the token the Dapr sidecar presents on budapp's internal routes (generated keys hold one otherwise)
        **({"APP_API_TOKEN": app_api_token} if app_api_token else {}),
    }


def command(settings: SandboxSettings) -> tuple[str, ...]:
    return (
        settings.budapp_python,
        "-m",
        "uvicorn",
        "budapp.main:app",
        "--host",
        settings.host,
        "--port",
        str(settings.budapp_port),
        "--log-level",
        "warning",
        "--no-access-log",
    )


def migrate(settings: SandboxSettings, env: dict[str, str], log: Path) -> None:
    """alembic upgrade head, as the image's start command does; one readable line on failure."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        try:
            result = subprocess.run(
                [settings.budapp_python, "-m", "alembic", "-c", "./budapp/alembic.ini", "upgrade", "head"],
                cwd=service_dir(settings),
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=MIGRATE_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            raise SystemExit(
                f"ERROR: budapp's migration (alembic upgrade head) did not finish within "
                f"{MIGRATE_TIMEOUT:.0f}s; its log: {log}"
            ) from None
    if result.returncode != 0:
        tail = "\n".join(f"    {line}" for line in log.read_text(errors="replace").splitlines()[-8:])
        raise SystemExit(f"ERROR: budapp's migration (alembic upgrade head) failed; its log, {log}:\n{tail}")
