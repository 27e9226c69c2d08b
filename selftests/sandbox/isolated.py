"""A whole sandbox of its own for a selftest module: free ports, own database, Redis db and state folder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import redis

from helpers.config import SUITE_ROOT

# Another checkout's selftests on the same machine point these elsewhere (their own Redis server, database names).
REDIS_SERVER = os.environ.get("SELFTEST_REDIS_SERVER", "redis://127.0.0.1:6379")
DATABASE_SUFFIX = os.environ.get("SELFTEST_DATABASE_SUFFIX", "")


def redis_url(db: int) -> str:
    return f"{REDIS_SERVER}/{db}"


def database_name(name: str) -> str:
    return f"{name}{DATABASE_SUFFIX}"


SERVICES = ("budapp", "budsim", "budcluster", "budmodel", "budmetrics", "budgateway", "dapr", "clickhouse")


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def launcher(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.launcher", *args],
        cwd=SUITE_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    if check:
        assert result.returncode == 0, f"launcher {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def sandbox_environment(state: Path, name: str, redis_db: int) -> dict[str, str]:
    """Environment of a sandbox that collides with no other (xdist worker number folded in)."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
    ports = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=False))
    env = {
        **os.environ,
        "E2E_STATE_DIR": str(state),
        "SANDBOX_POSTGRES_DSN": f"postgresql://postgres@127.0.0.1:5432/{database_name(f'bud_e2e_{name}_{worker}')}",
        "SANDBOX_REDIS_URL": redis_url(redis_db + worker),
        **{f"SANDBOX_{svc.upper()}_PORT": str(port) for svc, port in ports.items()},
    }
    for variable in [k for k in env if k.startswith("E2E_") and k.endswith("_URL")]:
        env.pop(variable)
    redis.from_url(env["SANDBOX_REDIS_URL"]).flushdb()
    return env


def urls(env: dict[str, str]) -> dict[str, str]:
    return {svc: f"http://127.0.0.1:{env[f'SANDBOX_{svc.upper()}_PORT']}" for svc in SERVICES}
