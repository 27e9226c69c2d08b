"""scripts/setup.sh (auto-detection, dispatch) and scripts/teardown.sh.

Detection is checked with --dry-run, which prints the chosen command. Dispatch is
checked with E2E_SCRIPTS_DIR pointing at stand-in setup-*/teardown-* scripts that
record how they were called.
"""

from __future__ import annotations

import pytest

from selftests.scripts.script_harness import (
    SCRIPTS,
    script_env,  # noqa: F401  (fixture)
)

STAND_INS = (
    "setup-k3d.sh",
    "setup-kind.sh",
    "setup-existing-cluster.sh",
    "setup-compose.sh",
    "setup-local.sh",
    "teardown-k3d.sh",
    "teardown-kind.sh",
    "teardown-existing-cluster.sh",
    "teardown-compose.sh",
    "teardown-local.sh",
    "setup-source.sh",
    "teardown-source.sh",
)


@pytest.fixture
def stand_ins(script_env):
    """A scripts folder whose setup/teardown scripts only record their arguments."""
    folder = script_env.root / "stand-ins"
    folder.mkdir()
    record = script_env.root / "ran.txt"
    for name in STAND_INS:
        path = folder / name
        path.write_text(f'#!/usr/bin/env bash\necho "{name} $*" >>"{record}"\n')
        path.chmod(0o755)
    script_env.extra_env["E2E_SCRIPTS_DIR"] = str(folder)
    return record


def detected(script_env, **env) -> tuple[str, str]:
    result = script_env.run("setup.sh", "--dry-run", **env)
    assert result.returncode == 0, result
    line = result.stdout.strip()
    assert line.startswith("would run: "), result
    return line.removeprefix(f"would run: {SCRIPTS}/"), result.stderr


def test_k3d_first_when_k3d_and_docker_work(script_env):
    chosen, why = detected(script_env)
    assert chosen == "setup-k3d.sh"
    assert "setup mode: k3d" in why and "k3d is on PATH and the Docker daemon answers" in why


def test_kind_when_k3d_is_missing(script_env):
    script_env.use_tools(without=("k3d",))
    chosen, why = detected(script_env)
    assert chosen == "setup-kind.sh"
    assert "k3d: not on PATH" in why


def test_existing_cluster_when_docker_is_down_but_kubectl_reaches_a_cluster(script_env):
    chosen, why = detected(script_env, FAKE_FAIL="docker info", FAKE_CURRENT_CONTEXT="prod-like")
    assert chosen == "setup-existing-cluster.sh"
    assert "context: prod-like" in why
    assert "k3d: the Docker daemon does not answer" in why and "kind: the Docker daemon does not answer" in why
    assert "kubectl cluster-info --request-timeout=5s" in script_env.calls()


def test_existing_cluster_comes_before_compose(script_env):
    script_env.use_tools(without=("k3d", "kind"))
    chosen, _ = detected(script_env)
    assert chosen == "setup-existing-cluster.sh"


def test_compose_when_no_cluster_answers(script_env):
    script_env.use_tools(without=("k3d", "kind"))
    chosen, why = detected(script_env, FAKE_FAIL="kubectl cluster-info*")
    assert chosen == "setup-compose.sh"
    assert "'kubectl cluster-info' got no answer" in why


def test_compose_when_only_docker_is_there(script_env):
    script_env.use_tools(tools=("docker", "curl", "openssl"))
    chosen, _ = detected(script_env)
    assert chosen == "setup-compose.sh"


def test_sandbox_when_compose_is_missing(script_env):
    script_env.use_tools(tools=("docker", "curl", "openssl"))
    chosen, why = detected(script_env, FAKE_FAIL="docker compose version")
    assert chosen == "setup-local.sh"
    assert "compose: 'docker compose' is not available" in why


def test_sandbox_when_docker_does_not_answer_and_there_is_no_cluster(script_env):
    chosen, why = detected(script_env, FAKE_FAIL="docker info;kubectl cluster-info*")
    assert chosen == "setup-local.sh"
    assert "setup mode: sandbox" in why


def test_sandbox_when_nothing_is_installed(script_env):
    script_env.use_tools(tools=())
    chosen, why = detected(script_env)
    assert chosen == "setup-local.sh"
    assert "k3d: not on PATH" in why and "compose: docker not on PATH" in why
    assert script_env.calls() == []


def make_budapp_checkout(script_env):
    budapp = script_env.source / "services/budapp"
    (budapp / "budapp").mkdir(parents=True)
    (budapp / "budapp/main.py").write_text("")
    (budapp / "requirements.txt").write_text("")


def test_source_mode_before_the_sandbox_when_bud_runtime_dir_is_a_checkout(script_env):
    make_budapp_checkout(script_env)
    script_env.use_tools(tools=())
    chosen, why = detected(script_env)
    assert chosen == "setup-source.sh"
    assert f"setup mode: source - a bud-runtime checkout is at {script_env.source}" in why


def test_a_bud_runtime_dir_without_budapp_is_passed_over_for_the_sandbox(script_env):
    script_env.use_tools(tools=())
    chosen, why = detected(script_env)
    assert chosen == "setup-local.sh"
    assert f"source: {script_env.source} is not a bud-runtime checkout" in why


def test_source_option_picks_source_mode_and_reaches_its_script(script_env, stand_ins):
    result = script_env.run("setup.sh", "--source", "/some/checkout", "--", "--sdk", "/some/sdk")
    assert result.returncode == 0, result
    assert stand_ins.read_text() == "setup-source.sh --source /some/checkout --sdk /some/sdk\n"
    assert script_env.calls() == []


def test_docker_is_asked_only_once(script_env):
    script_env.use_tools(without=("k3d", "kubectl"))
    detected(script_env, FAKE_FAIL="docker info")
    assert script_env.calls().count("docker info") == 1


def test_auto_dispatches_to_the_chosen_script_with_the_extra_arguments(script_env, stand_ins):
    script_env.use_tools(tools=())
    result = script_env.run("setup.sh", "--", "--faults", "logout_does_not_revoke")
    assert result.returncode == 0, result
    assert stand_ins.read_text() == "setup-local.sh --faults logout_does_not_revoke\n"


@pytest.mark.parametrize(
    ("mode", "script"),
    [
        ("k3d", "setup-k3d.sh"),
        ("kind", "setup-kind.sh"),
        ("existing", "setup-existing-cluster.sh"),
        ("compose", "setup-compose.sh"),
        ("source", "setup-source.sh"),
        ("sandbox", "setup-local.sh"),
    ],
)
def test_explicit_mode_runs_its_script_without_detecting(script_env, stand_ins, mode, script):
    result = script_env.run("setup.sh", "--mode", mode, "--", "--skip-build")
    assert result.returncode == 0, result
    assert stand_ins.read_text() == f"{script} --skip-build\n"
    assert script_env.calls() == []


def test_mode_from_environment_and_option_wins(script_env, stand_ins):
    assert script_env.run("setup.sh", E2E_SETUP_MODE="compose").returncode == 0
    assert script_env.run("setup.sh", "--mode", "kind", E2E_SETUP_MODE="compose").returncode == 0
    assert stand_ins.read_text().splitlines() == ["setup-compose.sh ", "setup-kind.sh "]


def test_unknown_mode_is_a_usage_error(script_env):
    result = script_env.run("setup.sh", "--mode", "minikube")
    assert result.returncode == 2, result
    assert "unknown mode 'minikube'" in result.stderr


def test_a_missing_mode_script_is_reported(script_env, stand_ins):
    (script_env.root / "stand-ins/setup-local.sh").unlink()
    result = script_env.run("setup.sh", "--mode", "sandbox")
    assert result.returncode == 1, result
    assert "setup-local.sh is missing" in result.stderr


# -- teardown.sh ------------------------------------------------------------------


def record_deployment(script_env, mode: str) -> None:
    script_env.state.mkdir(exist_ok=True)
    (script_env.state / "deployment.env").write_text(f"E2E_DEPLOYMENT={mode}\nE2E_PROFILE={mode}\n")


def test_teardown_with_nothing_recorded_says_so(script_env, stand_ins):
    result = script_env.run("teardown.sh")
    assert result.returncode == 0, result
    assert "nothing to tear down" in result.stderr
    assert not stand_ins.exists()


@pytest.mark.parametrize(
    ("mode", "script"),
    [
        ("k3d", "teardown-k3d.sh"),
        ("kind", "teardown-kind.sh"),
        ("existing", "teardown-existing-cluster.sh"),
        ("compose", "teardown-compose.sh"),
        ("source", "teardown-source.sh"),
        ("sandbox", "teardown-local.sh"),
    ],
)
def test_teardown_runs_the_recorded_modes_script(script_env, stand_ins, mode, script):
    record_deployment(script_env, mode)
    result = script_env.run("teardown.sh")
    assert result.returncode == 0, result
    assert stand_ins.read_text() == f"{script} \n"


def test_teardown_mode_option_overrides_the_record(script_env, stand_ins):
    record_deployment(script_env, "compose")
    assert script_env.run("teardown.sh", "--mode", "kind", "--", "--cluster-name", "x").returncode == 0
    assert stand_ins.read_text() == "teardown-kind.sh --cluster-name x\n"


def test_teardown_dry_run_prints_the_command(script_env, stand_ins):
    record_deployment(script_env, "sandbox")
    result = script_env.run("teardown.sh", "--dry-run")
    assert result.returncode == 0, result
    assert result.stdout.strip() == f"would run: {script_env.root}/stand-ins/teardown-local.sh"
    assert not stand_ins.exists()


def test_teardown_points_at_an_unfinished_setup(script_env):
    (script_env.state / "kind").mkdir(parents=True)
    (script_env.state / "kind/setup.env").write_text("CLUSTER_NAME=bud-e2e\n")
    result = script_env.run("teardown.sh")
    assert result.returncode == 0, result
    assert "./scripts/teardown.sh --mode kind" in result.stderr


def test_setup_then_teardown_end_to_end_through_the_entry_points(script_env):
    result = script_env.run("setup.sh", "--mode", "kind", "--", "--skip-build")
    assert result.returncode == 0, result
    assert "kind-cluster-bud-e2e" in script_env.marks()
    result = script_env.run("teardown.sh")
    assert result.returncode == 0, result
    assert "kind delete cluster --name bud-e2e" in result.calls
    assert script_env.marks() == set()
    assert script_env.deployment_env() is None
