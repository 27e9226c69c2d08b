"""The apps behind the sidecar: where each Dapr app id is served, and what daprd adds on calls to an app.

Every stand-in answers on its own port (settings). budprompt, budeval and budpipeline have no stand-in: the
sidecar answers for them as daprd does when an app id does not resolve. Of the apps here, only budapp's
sidecar carries the app API token (the chart's ``dapr.io/app-token-secret``): daprd puts it in
``dapr-api-token`` on every call it makes to budapp, and budapp checks it on its internal routes.
"""

from __future__ import annotations

import json
from pathlib import Path

from sandbox.settings import SandboxSettings

STAND_INS = ("budapp", "budcluster", "budsim", "budmodel", "budmetrics", "budgateway", "budconnect", "budnotify")
WITHOUT_STAND_IN = ("budprompt", "budeval", "budpipeline")
APPS_WITH_TOKEN = ("budapp",)
TOKEN_HEADER = "dapr-api-token"


def app_url(settings: SandboxSettings, app_id: str) -> str | None:
    """The base URL of the app, or None when nothing serves that app id here."""
    return settings.url(app_id) if app_id in STAND_INS else None


def not_found_body(app_id: str) -> bytes:
    """daprd's answer (HTTP 500) when service discovery has no address for the app id."""
    return json.dumps(
        {
            "errorCode": "ERR_DIRECT_INVOKE",
            "message": f"failed to invoke, id: {app_id}, err: failed to resolve address for "
            f"'{app_id}-dapr': no such host",
        }
    ).encode()


def app_api_token(settings: SandboxSettings) -> str:
    """The launcher's token; a source-mode state folder's generated keys as the fallback."""
    if settings.app_api_token:
        return settings.app_api_token
    secrets = settings.sandbox_dir / "budapp-source" / "keys" / "secrets.env"
    return _env_file(secrets).get("APP_API_TOKEN", "")


def _env_file(path: Path) -> dict[str, str]:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def app_headers(settings: SandboxSettings, app_id: str, headers: dict[str, str]) -> dict[str, str]:
    """Headers of a call the sidecar makes to the app: the caller's sidecar token never passes on; the app's
    own token is added where its sidecar has one."""
    cleaned = {k: v for k, v in headers.items() if k.lower() != TOKEN_HEADER}
    token = app_api_token(settings) if app_id in APPS_WITH_TOKEN else ""
    return {**cleaned, TOKEN_HEADER: token} if token else cleaned
