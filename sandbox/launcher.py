"""Start, stop and inspect the sandbox: one process per service on loopback.

    python -m sandbox.launcher start [--faults a,b]
    python -m sandbox.launcher stop
    python -m sandbox.launcher status
    python -m sandbox.launcher faults list | set NAME... | clear

State under $E2E_STATE_DIR (default .e2e-state): sandbox/pids/<service>.pid,
sandbox/logs/<service>.log, deployment.env (service URLs for the suite),
credentials.env (the super user), sandbox/control.env (the fault switch token and budapp's app API token) and
sandbox/keycloak.env (the Keycloak stand-in's admin password, source mode).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import secrets
import signal
import string
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from sandbox.settings import SUITE_ROOT, SandboxSettings

START_TIMEOUT = float(os.environ.get("SANDBOX_START_TIMEOUT", "60"))
# the real budapp imports for ~10 s, seeds Keycloak and opens its workflow stream before it serves
REAL_START_TIMEOUT = float(os.environ.get("SANDBOX_BUDAPP_START_TIMEOUT", "180"))
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Service:
    name: str
    command: tuple[str, ...]
    health_path: str
    # real: the platform's own code (source mode) rather than this sandbox's stand-in; it starts after the
    # stand-ins it depends on, from its checkout, and is given longer to become healthy
    real: bool = False
    cwd: Path = SUITE_ROOT
    # the state-store key the service writes once it has registered with its sidecar (budmicroframe's
    # register_service): until then budapp has no state store and skips, e.g., blacklisting tokens at logout
    registered_as: str = ""
    # store: others write to it while starting (budmetrics and the gateway create their ClickHouse schema),
    # so it is healthy before they are spawned
    store: bool = False

    @property
    def kind(self) -> str:
        return "real" if self.real else "stand-in"

    def url(self, settings: SandboxSettings) -> str:
        return settings.url(self.name)


def uvicorn(module: str, settings: SandboxSettings, name: str, workers: int = 1) -> tuple[str, ...]:
    port = getattr(settings, f"{name}_port")
    return (
        sys.executable,
        "-m",
        "uvicorn",
        f"{module}:app",
        "--host",
        settings.host,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        *(("--workers", str(workers)) if workers > 1 else ()),
    )


def budapp_service(settings: SandboxSettings) -> Service:
    if settings.source_mode:
        from sandbox import source_mode

        return Service(
            "budapp",
            source_mode.command(settings),
            "/health",
            real=True,
            cwd=source_mode.service_dir(settings),
            registered_as=source_mode.REGISTRATION_KEY,
        )
    return Service("budapp", uvicorn("sandbox.budapp.app", settings, "budapp", settings.budapp_workers), "/health")


def services(settings: SandboxSettings) -> list[Service]:
    """Every process of the sandbox, ClickHouse first (the gateway's health depends on it).

    In source mode the real budapp also needs what a cluster gives it: Keycloak, BudConnect and budnotify.
    """
    clickhouse = (
        sys.executable,
        "-m",
        "sandbox.clickhouse.server",
        "--host",
        settings.host,
        "--port",
        str(settings.clickhouse_port),
        "--path",
        str(settings.sandbox_dir / "clickhouse"),
    )
    for_real_budapp = (
        [
            Service("keycloak", uvicorn("sandbox.keycloak.app", settings, "keycloak"), "/realms/master"),
            Service("budconnect", uvicorn("sandbox.budconnect.app", settings, "budconnect"), "/health"),
            Service("budnotify", uvicorn("sandbox.budnotify.app", settings, "budnotify"), "/health"),
        ]
        if settings.source_mode
        else []
    )
    return [
        Service("clickhouse", clickhouse, "/ping", store=True),
        Service("dapr", uvicorn("sandbox.dapr.sidecar", settings, "dapr"), "/v1.0/healthz"),
        *for_real_budapp,
        budapp_service(settings),
        Service("budcluster", uvicorn("sandbox.budcluster.app", settings, "budcluster"), "/health"),
        Service("budsim", uvicorn("sandbox.budsim.app", settings, "budsim"), "/health"),
        Service("budmodel", uvicorn("sandbox.budmodel.app", settings, "budmodel"), "/health"),
        Service("budmetrics", uvicorn("sandbox.budmetrics.app", settings, "budmetrics"), "/health"),
        Service("budgateway", uvicorn("sandbox.budgateway.app", settings, "budgateway"), "/health"),
    ]


# -- state files -----------------------------------------------------------------


def read_env_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def write_private(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))


def strong_password() -> str:
    core = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(20))
    return f"Sb{core}7!"


@dataclass(frozen=True)
class Secrets:
    """Generated once per state folder, reused after (private files, mode 600)."""

    email: str  # the super user
    password: str
    admin_token: str  # the fault switch's token
    keycloak_password: str  # the Keycloak stand-in's master admin
    app_api_token: str  # budapp's APP_API_TOKEN, sent by the Dapr sidecar as dapr-api-token

    def environment(self) -> dict[str, str]:
        return {
            "SANDBOX_SUPER_USER_EMAIL": self.email,
            "SANDBOX_SUPER_USER_PASSWORD": self.password,
            "SANDBOX_ADMIN_TOKEN": self.admin_token,
            "SANDBOX_KEYCLOAK_ADMIN_PASSWORD": self.keycloak_password,
            "SANDBOX_APP_API_TOKEN": self.app_api_token,
        }


def secrets_of(settings: SandboxSettings) -> Secrets:
    credentials = read_env_file(settings.state_dir / "credentials.env")
    control = read_env_file(settings.sandbox_dir / "control.env")
    keycloak_file = settings.sandbox_dir / "keycloak.env"
    found = Secrets(
        email=settings.super_user_email,
        password=settings.super_user_password or credentials.get("E2E_ADMIN_PASSWORD") or strong_password(),
        admin_token=settings.admin_token or control.get("E2E_SANDBOX_ADMIN_TOKEN") or secrets.token_urlsafe(24),
        keycloak_password=(
            settings.keycloak_admin_password
            or read_env_file(keycloak_file).get("SANDBOX_KEYCLOAK_ADMIN_PASSWORD")
            or strong_password()
        ),
        app_api_token=settings.app_api_token or control.get("E2E_APP_API_TOKEN") or secrets.token_urlsafe(32),
    )
    write_private(
        settings.state_dir / "credentials.env", {"E2E_ADMIN_EMAIL": found.email, "E2E_ADMIN_PASSWORD": found.password}
    )
    write_private(
        settings.sandbox_dir / "control.env",
        {"E2E_SANDBOX_ADMIN_TOKEN": found.admin_token, "E2E_APP_API_TOKEN": found.app_api_token},
    )
    write_private(keycloak_file, {"SANDBOX_KEYCLOAK_ADMIN_PASSWORD": found.keycloak_password})
    return found


def write_deployment_env(settings: SandboxSettings) -> None:
    mode = "source" if settings.source_mode else "sandbox"
    lines = {
        "E2E_DEPLOYMENT": mode,
        "E2E_PROFILE": mode,
        **{
            f"E2E_{name.upper()}_URL": settings.url(name)
            for name in ("budapp", "budcluster", "budsim", "budmodel", "budgateway", "budmetrics", "dapr")
        },
        "E2E_POSTGRES_DSN": settings.postgres_dsn,
        "E2E_REDIS_URL": settings.redis_url,
        "E2E_GATEWAY_REDIS_URL": settings.gateway_redis(),
        "E2E_CLICKHOUSE_URL": settings.url("clickhouse"),
    }
    if settings.budapp_source is not None:  # source mode
        from sandbox import source_mode

        lines |= {
            "E2E_POSTGRES_DSN": source_mode.database_dsn(settings),
            "E2E_KEYCLOAK_URL": settings.url("keycloak"),
            "E2E_BUDAPP_SOURCE": str(settings.budapp_source),
            "E2E_BUDAPP_COMMIT": source_mode.checkout_commit(settings.budapp_source),
        }
    path = settings.state_dir / "deployment.env"
    path.write_text(
        "# Written by the sandbox launcher; removed by its stop.\n" + "".join(f"{k}={v}\n" for k, v in lines.items())
    )


def pid_file(settings: SandboxSettings, service: Service) -> Path:
    return settings.sandbox_dir / "pids" / f"{service.name}.pid"


def log_file(settings: SandboxSettings, service: Service) -> Path:
    return settings.sandbox_dir / "logs" / f"{service.name}.log"


def alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return True
    return state != "Z"


def running_pid(settings: SandboxSettings, service: Service) -> int | None:
    try:
        pid = int(pid_file(settings, service).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if alive(pid) else None


# -- health ----------------------------------------------------------------------


async def healthy(client: httpx.AsyncClient, settings: SandboxSettings, service: Service) -> bool:
    try:
        if (await client.get(service.url(settings) + service.health_path, timeout=2)).status_code >= 300:
            return False
    except httpx.HTTPError:
        return False
    return not service.registered_as or await registered(settings, service.registered_as)


async def registered(settings: SandboxSettings, key: str) -> bool:
    from sandbox.common.stores import redis_client

    store = redis_client(settings.redis_url)
    try:
        return bool(await store.exists(key))
    finally:
        await store.aclose()


async def forget_registration(settings: SandboxSettings, key: str) -> None:
    """A registration left by an earlier start must not count as this one's."""
    from sandbox.common.stores import redis_client

    store = redis_client(settings.redis_url)
    try:
        await store.delete(key)
    finally:
        await store.aclose()


async def wait_healthy(settings: SandboxSettings, pending: list[Service]) -> None:
    timeout = REAL_START_TIMEOUT if any(s.real for s in pending) else START_TIMEOUT
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while pending:
            checks = await asyncio.gather(*(healthy(client, settings, s) for s in pending))
            pending = [s for s, ok in zip(pending, checks, strict=False) if not ok]
            for service in pending:
                if running_pid(settings, service) is None:
                    fail(settings, service, "exited during start-up")
            if pending and time.monotonic() > deadline:
                fail(settings, pending[0], f"did not become healthy within {timeout:.0f}s")
            if pending:
                await asyncio.sleep(0.1)


def fail(settings: SandboxSettings, service: Service, why: str) -> None:
    log = log_file(settings, service)
    tail = log.read_text().splitlines()[-8:] if log.is_file() else []
    detail = "\n".join(f"    {line}" for line in tail)
    raise SystemExit(f"ERROR: sandbox {service.name} ({service.url(settings)}) {why}; its log, {log}:\n{detail}")


# -- commands --------------------------------------------------------------------


async def create_database(settings: SandboxSettings, dsn: str) -> None:
    """The database of this DSN exists; one readable line when PostgreSQL does not answer."""
    import asyncpg

    target = urlparse(dsn)
    database = target.path.lstrip("/")
    try:
        connection = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/postgres", timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        raise SystemExit(
            f"ERROR: PostgreSQL is unreachable at {target.hostname}:{target.port} ({exc}); "
            "start it (./scripts/setup-local.sh does) or set SANDBOX_POSTGRES_DSN"
        ) from None
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()


async def prepare_stores(settings: SandboxSettings) -> None:
    """The PostgreSQL database exists, Redis answers; one readable line otherwise."""
    import redis.asyncio as redis

    await create_database(settings, settings.postgres_dsn)
    client = redis.from_url(settings.redis_url, socket_connect_timeout=5)
    try:
        await client.ping()
    except (OSError, redis.RedisError) as exc:
        raise SystemExit(
            f"ERROR: Redis is unreachable at {settings.redis_url} ({exc}); "
            "start it (./scripts/setup-local.sh does) or set SANDBOX_REDIS_URL"
        ) from None
    finally:
        await client.aclose()


async def apply_faults(settings: SandboxSettings, names: list[str]) -> None:
    from sandbox.common.faults import FaultSwitch
    from sandbox.common.stores import redis_client

    store = redis_client(settings.redis_url)
    try:
        await FaultSwitch(store).set(names)
    except ValueError as exc:
        raise SystemExit(f"ERROR: {exc}") from None
    finally:
        await store.aclose()


def spawn(settings: SandboxSettings, service: Service, env: dict[str, str]) -> None:
    log = log_file(settings, service)
    log.parent.mkdir(parents=True, exist_ok=True)
    pid_file(settings, service).parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        process = subprocess.Popen(
            service.command,
            cwd=service.cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pid_file(settings, service).write_text(str(process.pid))


def stand_in_module(service: Service) -> str | None:
    """The Python module a stand-in's uvicorn serves (``sandbox.x.app``), None for other commands."""
    if service.real or "uvicorn" not in service.command:
        return None
    return service.command[service.command.index("uvicorn") + 1].split(":", 1)[0]


def importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its package is missing
        return False


def check_stand_ins(everything: list[Service]) -> None:
    """One readable line, before anything starts, when a stand-in this mode needs is not in the tree."""
    missing = [(s.name, module) for s in everything if (module := stand_in_module(s)) and not importable(module)]
    if missing:
        names = ", ".join(f"{name} ({module.replace('.', '/')}.py)" for name, module in missing)
        raise SystemExit(f"ERROR: this tree has no stand-in for {names}; the real budapp needs it in source mode")


def start(settings: SandboxSettings, faults: str | None) -> None:
    from sandbox.common.faults import parse_fault_list

    started = time.monotonic()
    check_stand_ins(services(settings))
    asyncio.run(prepare_stores(settings))
    if settings.source_mode and missing_services_all(settings):
        asyncio.run(forget_budapp_state_without_its_keys(settings))
    generated = secrets_of(settings)
    env = {**os.environ, **generated.environment(), "E2E_STATE_DIR": str(settings.state_dir), "PYTHONUNBUFFERED": "1"}
    everything = services(settings)
    missing = [s for s in everything if running_pid(settings, s) is None]
    for phase in start_phases(missing):
        for service in phase:
            if service.registered_as:
                asyncio.run(forget_registration(settings, service.registered_as))
            spawn(settings, service, real_environment(settings, env, generated) if service.real else env)
        asyncio.run(wait_healthy(settings, phase))
    asyncio.run(apply_faults(settings, parse_fault_list(faults if faults is not None else settings.faults)))
    write_deployment_env(settings)
    if missing:
        print(
            f"sandbox up: started {len(missing)} service(s) in {time.monotonic() - started:.1f}s; "
            f"logs in {settings.sandbox_dir / 'logs'}"
        )
    else:
        print("sandbox already running and healthy")


def start_phases(missing: list[Service]) -> list[list[Service]]:
    """Stores first, then the other stand-ins, then real code: the real budapp seeds Keycloak and opens its
    Dapr workflow stream while starting."""
    phases = (
        [s for s in missing if s.store],
        [s for s in missing if not s.store and not s.real],
        [s for s in missing if s.real],
    )
    return [phase for phase in phases if phase]


def missing_services_all(settings: SandboxSettings) -> bool:
    return all(running_pid(settings, s) is None for s in services(settings))


async def forget_budapp_state_without_its_keys(settings: SandboxSettings) -> None:
    """budapp stores secrets encrypted with the keys under this state folder. A database (and Keycloak realm) made
    with other keys — a fresh clone, a removed .e2e-state, another checkout sharing the database — cannot be read:
    start both afresh. The database carries the fingerprint of the keys it was made with as its comment."""
    import asyncpg

    from sandbox import source_mode

    database = urlparse(source_mode.database_dsn(settings)).path.lstrip("/")
    connection = await asyncpg.connect(settings.postgres_dsn, timeout=5)
    try:
        made_with = await connection.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", database
        )
        if made_with is not None and made_with == source_mode.keys_fingerprint(settings):
            return
        await connection.execute("DROP TABLE IF EXISTS keycloak.kc_realm, keycloak.kc_object")
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


async def mark_budapp_database(settings: SandboxSettings) -> None:
    import asyncpg

    from sandbox import source_mode

    database = urlparse(source_mode.database_dsn(settings)).path.lstrip("/")
    connection = await asyncpg.connect(settings.postgres_dsn, timeout=5)
    try:
        fingerprint = source_mode.keys_fingerprint(settings).replace("'", "")
        await connection.execute(f"COMMENT ON DATABASE \"{database}\" IS '{fingerprint}'")
    finally:
        await connection.close()


def real_environment(settings: SandboxSettings, env: dict[str, str], generated: Secrets) -> dict[str, str]:
    """The real budapp's environment, after its database is migrated to head."""
    from sandbox import source_mode

    asyncio.run(create_database(settings, source_mode.database_dsn(settings)))
    budapp_env = source_mode.environment(
        settings,
        env,
        generated.email,
        generated.password,
        generated.keycloak_password,
        app_api_token=generated.app_api_token,
    )
    asyncio.run(mark_budapp_database(settings))
    source_mode.migrate(settings, budapp_env, settings.sandbox_dir / "logs" / "budapp-migrate.log")
    return budapp_env


def started_services(settings: SandboxSettings) -> list[Service]:
    """What has a pid file, whatever mode started it (a failed source-mode start leaves stand-ins behind)."""
    known = {s.name: s for s in services(settings)}
    pids = sorted((settings.sandbox_dir / "pids").glob("*.pid"))
    return [known.get(p.stem) or Service(p.stem, (), "") for p in pids]


def stop(settings: SandboxSettings) -> None:
    everything = started_services(settings)
    stopping = [(s, pid) for s in everything if (pid := running_pid(settings, s))]
    for _, pid in stopping:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for service, pid in stopping:
        while running_pid(settings, service) and time.monotonic() < deadline:
            time.sleep(0.05)
        if running_pid(settings, service):
            os.killpg(pid, signal.SIGKILL)
    for service in everything:
        pid_file(settings, service).unlink(missing_ok=True)
    (settings.state_dir / "deployment.env").unlink(missing_ok=True)
    print(f"sandbox stopped ({len(stopping)} process(es))")


def status(settings: SandboxSettings) -> int:
    async def check() -> list[bool]:
        async with httpx.AsyncClient() as client:
            return await asyncio.gather(*(healthy(client, settings, s) for s in services(settings)))

    down = 0
    for service, ok in zip(services(settings), asyncio.run(check()), strict=False):
        pid = running_pid(settings, service)
        down += not ok
        print(
            f"{service.name:<11} {service.url(settings):<26} {'up' if ok else 'DOWN':<5} {service.kind:<8} "
            f"pid {pid or '-'}"
        )
    return 1 if down else 0


def faults_command(settings: SandboxSettings, action: str, names: list[str]) -> int:
    token = read_env_file(settings.sandbox_dir / "control.env").get("E2E_SANDBOX_ADMIN_TOKEN")
    if not token:
        raise SystemExit("ERROR: no sandbox control token; start the sandbox first (./scripts/setup-local.sh)")
    headers = {"X-Sandbox-Admin-Token": token}
    # every stand-in serves the switch; the real budapp (source mode) does not
    url = settings.url("budcluster" if settings.source_mode else "budapp") + "/sandbox/faults"
    try:
        if action == "list":
            response = httpx.get(url, headers=headers, timeout=5)
        else:
            response = httpx.put(url, headers=headers, json={"faults": names if action == "set" else []}, timeout=5)
    except httpx.HTTPError as exc:
        raise SystemExit(
            f"ERROR: budapp is unreachable at {url} ({type(exc).__name__}); is the sandbox running?"
        ) from None
    if response.status_code != 200:
        raise SystemExit(f"ERROR: {response.status_code} {response.json().get('detail')}")
    body = response.json()
    print("active:", ", ".join(body["active"]) or "(none)")
    if action == "list":
        for name, description in sorted(body["known"].items()):
            print(f"  {name:<32} {description}")
    return 0


def recorded_source_mode() -> dict[str, Any]:
    """The checkout scripts/setup-source.sh chose, so that stop and status see the same services."""
    if os.environ.get("SANDBOX_BUDAPP_SOURCE"):
        return {}
    state = Path(os.environ.get("E2E_STATE_DIR") or SUITE_ROOT / ".e2e-state")
    recorded = read_env_file(state / "sandbox" / "source.env")
    return {k.removeprefix("SANDBOX_").lower(): v for k, v in recorded.items() if k.startswith("SANDBOX_BUDAPP_")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.launcher", description="The local bud-stack sandbox")
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser("start", help="start every service and wait until healthy")
    start_parser.add_argument("--faults", default=None, help="comma list of faults to switch on")
    commands.add_parser("stop", help="stop the processes this launcher started")
    commands.add_parser("status", help="one line per service; exit 1 if any is down")
    faults_parser = commands.add_parser("faults", help="list, set or clear injected faults")
    faults_parser.add_argument("action", choices=["list", "set", "clear"])
    faults_parser.add_argument("names", nargs="*")
    options = parser.parse_args(argv)
    settings = SandboxSettings(**recorded_source_mode())
    if options.command == "start":
        start(settings, options.faults)
    elif options.command == "stop":
        stop(settings)
    elif options.command == "status":
        return status(settings)
    else:
        return faults_command(settings, options.action, options.names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
