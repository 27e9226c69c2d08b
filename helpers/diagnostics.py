"""What a failed test's report carries: its HTTP exchanges, the last state of what it
waited for, and what the services logged meanwhile (all masked)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

from helpers.api_client import APIClient
from helpers.config import layered_environment, state_dir
from helpers.masking import mask_text
from helpers.waiting import WaitEvent

MAX_EXCHANGES = 12
CHART_SERVICES = ("budapp", "budcluster", "budsim", "budmodel", "budmetrics", "budgateway")
MAX_LOG_LINES = 40
_waits: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()


def http_exchanges_section(since: float) -> str | None:
    """The last requests and responses made since ``since``, or None when there were none."""
    exchanges = APIClient.exchanges_since(since)
    if not exchanges:
        return None
    shown = exchanges[-MAX_EXCHANGES:]
    header = f"last {len(shown)} of {len(exchanges)} HTTP exchanges" if len(exchanges) > len(shown) else ""
    return "\n".join(filter(None, [header, *(e.render() for e in shown)]))


def remember_wait(event: WaitEvent) -> None:
    """A wait observer: keeps the last state each wait saw, and how it ended."""
    state = f"[{event.kind} after {event.elapsed:.1f}s, {event.polls} polls] {event.state}"
    with _lock:
        _waits[event.description] = (time.time(), state)


def waits_section(since: float) -> str | None:
    """What the waits since ``since`` waited for and saw last."""
    with _lock:
        seen = [(what, state) for what, (at, state) in _waits.items() if at >= since]
    return "\n".join(f"{what}: {state}" for what, state in seen) or None


# deployments whose services are processes of this machine, logging under .e2e-state/sandbox/logs
LOCAL_DEPLOYMENTS = ("sandbox", "source")


def log_summary(line: str, width: int = 200) -> str:
    """A log line in one short readable line: a JSON record as ``time logger: message``, anything else cut to width."""
    try:
        record = json.loads(line)
    except ValueError:
        record = None
    if isinstance(record, dict) and "message" in record:
        line = f"{record.get('asctime', '')} {record.get('name', '')}: {record['message']}".strip()
    return line if len(line) <= width else line[: width - 3] + "..."


class ServiceLogs:
    """Log excerpts of the deployment for a test's time window."""

    def __init__(self, deployment: str) -> None:
        self.deployment = deployment
        self.sandbox_logs = state_dir() / "sandbox" / "logs"

    def mark(self) -> dict[str, int]:
        """Where each sandbox log ends now (other deployments are asked by time instead)."""
        if self.deployment not in LOCAL_DEPLOYMENTS or not self.sandbox_logs.is_dir():
            return {}
        return {p.name: p.stat().st_size for p in self.sandbox_logs.glob("*.log")}

    def section(self, marks: dict[str, int], since: float) -> str | None:
        if self.deployment in LOCAL_DEPLOYMENTS:
            parts = [
                self._sandbox_excerpt(path, marks.get(path.name, 0)) for path in sorted(self.sandbox_logs.glob("*.log"))
            ]
        else:
            parts = [self._cluster_excerpt(since)]
        text = "\n".join(p for p in parts if p)
        return mask_text(text) if text else None

    def find_line(self, service: str, pattern: re.Pattern[str], marks: dict[str, int], since: float) -> str | None:
        """The first line ``service`` logged since the marks (or since ``since``) that matches ``pattern``."""
        return next(iter(self.find_lines(service, pattern, marks, since)), None)

    def find_lines(self, service: str, pattern: re.Pattern[str], marks: dict[str, int], since: float) -> list[str]:
        """Every line ``service`` logged since the marks (or since ``since``) that matches ``pattern``, masked."""
        if self.deployment in LOCAL_DEPLOYMENTS:
            path = self.sandbox_logs / f"{service}.log"
            if not path.is_file():
                return []
            with path.open("rb") as handle:
                handle.seek(marks.get(path.name, 0))
                lines = handle.read().decode(errors="replace").splitlines()
        else:
            lines = [line for line in (self._cluster_excerpt(since) or "").splitlines() if service in line]
        return [mask_text(line) for line in lines if pattern.search(line)]

    def _sandbox_excerpt(self, path: Path, offset: int) -> str | None:
        with path.open("rb") as handle:
            handle.seek(offset)
            lines = handle.read().decode(errors="replace").splitlines()[-MAX_LOG_LINES:]
        return "\n".join([f"--- {path.name}", *lines]) if lines else None

    def _cluster_excerpt(self, since: float) -> str | None:
        seconds = max(1, int(time.time() - since) + 1)
        env = layered_environment()
        if self.deployment == "compose" and shutil.which("docker"):
            project = env.get("E2E_COMPOSE_PROJECT", "bud-e2e")
            command = ["docker", "compose", "-p", project, "logs", "--no-color", f"--since={seconds}s", "--tail=200"]
        elif self.deployment in ("k3d", "kind", "existing") and shutil.which("kubectl"):
            namespace = env.get("E2E_KUBE_NAMESPACE", "bud-e2e")
            release = env.get("E2E_HELM_RELEASE", "bud-e2e")
            # the chart labels each bud pod only with app=<release>-<service> (no app.kubernetes.io/* labels)
            pods = ",".join(f"{release}-{service}" for service in CHART_SERVICES)
            command = [
                "kubectl",
                "-n",
                namespace,
                "logs",
                "-l",
                f"app in ({pods})",
                "--all-containers",
                "--prefix",
                f"--since={seconds}s",
                "--tail=100",
            ]
            if env.get("E2E_KUBE_CONTEXT"):
                command[1:1] = ["--context", env["E2E_KUBE_CONTEXT"]]
        else:
            return None
        try:
            output = subprocess.run(command, capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"(could not read service logs: {exc})"
        return "\n".join(output.splitlines()[-MAX_LOG_LINES * 3 :]) or None
