"""setup-existing-cluster.sh / teardown-existing-cluster.sh, run against fake tools."""

from __future__ import annotations

import pytest
import yaml

from selftests.scripts.script_harness import (
    SERVICES,
    assert_one_line_error,
    build_calls,
    expected_deployment_env,
    expected_forwards,
    forward_calls,
    kubernetes_deploy_calls,
    pid_running,
    script_env,  # noqa: F401  (fixture)
    wait_until_stopped,
    without_forwards,
)

SETUP = "setup-existing-cluster.sh"
TEARDOWN = "teardown-existing-cluster.sh"
REGISTRY = "registry.example.test/bud"


def generated_images(env) -> dict[str, str]:
    values = yaml.safe_load((env.state / "existing/values.generated.yaml").read_text())
    return {svc: values["microservices"][svc]["image"] for svc in SERVICES}


def test_context_and_namespace_reach_every_kubectl_and_helm_call(script_env):
    result = script_env.run(SETUP, "--context", "team-ctx", "--namespace", "e2e-ns", "--skip-build")
    assert result.returncode == 0, result
    assert without_forwards(result.calls) == [
        "kubectl --context team-ctx cluster-info --request-timeout=10s",
        *kubernetes_deploy_calls(script_env, "team-ctx", "existing", namespace="e2e-ns"),
    ]
    assert forward_calls(result.calls) == expected_forwards(script_env, "team-ctx", namespace="e2e-ns")
    assert script_env.deployment_env() == expected_deployment_env(
        script_env, "existing", "team-ctx", namespace="e2e-ns"
    )


def test_the_current_context_is_used_by_default(script_env):
    result = script_env.run(SETUP, "--skip-build", FAKE_CURRENT_CONTEXT="my-current")
    assert result.returncode == 0, result
    assert result.calls[0] == "kubectl config current-context"
    assert result.calls[1] == "kubectl --context my-current cluster-info --request-timeout=10s"
    kube_calls = [c for c in result.calls[1:] if c.startswith(("kubectl", "helm --kube-context"))]
    assert all("my-current" in c for c in kube_calls)


def test_no_context_at_all_is_a_clear_error(script_env):
    result = script_env.run(SETUP, "--skip-build")
    assert_one_line_error(result, "pass --context NAME")


def test_an_unreachable_cluster_is_a_clear_error(script_env):
    result = script_env.run(SETUP, "--context", "gone", "--skip-build", FAKE_FAIL="kubectl *cluster-info*")
    assert_one_line_error(result, "'gone' does not answer")
    assert result.calls == ["kubectl --context gone cluster-info --request-timeout=10s"]


def test_skip_dapr_neither_checks_nor_installs_dapr(script_env):
    result = script_env.run(SETUP, "--context", "c1", "--skip-dapr", "--skip-build")
    assert result.returncode == 0, result
    assert without_forwards(result.calls) == [
        "kubectl --context c1 cluster-info --request-timeout=10s",
        *kubernetes_deploy_calls(script_env, "c1", "existing", dapr="skip"),
    ]
    assert not [c for c in result.calls if "dapr-system" in c or "components.dapr.io" in c or "dapr/dapr" in c]


def test_skip_build_uses_published_images_and_needs_no_docker(script_env):
    script_env.use_tools(without=("docker",))
    result = script_env.run(SETUP, "--context", "c1", "--skip-build")
    assert result.returncode == 0, result
    assert generated_images(script_env) == {svc: f"budstudio/{svc}:nightly" for svc in SERVICES}


def test_building_for_an_existing_cluster_needs_a_registry(script_env):
    result = script_env.run(SETUP, "--context", "c1")
    assert_one_line_error(result, "--registry REGISTRY", "E2E_IMAGE_REGISTRY", "--skip-build")


def test_registry_images_are_built_pushed_and_deployed(script_env):
    result = script_env.run(SETUP, "--context", "c1", "--registry", REGISTRY)
    assert result.returncode == 0, result
    pushes = [f"docker push {REGISTRY}/{svc}:e2e-local" for svc in SERVICES]
    assert without_forwards(result.calls)[:15] == [
        "docker info",
        "kubectl --context c1 cluster-info --request-timeout=10s",
        *build_calls(script_env, registry=REGISTRY),
        *pushes,
        "kubectl --context c1 get namespace bud-e2e",
    ]
    assert generated_images(script_env) == {svc: f"{REGISTRY}/{svc}:e2e-local" for svc in SERVICES}


def test_registry_from_environment(script_env):
    result = script_env.run(SETUP, "--context", "c1", E2E_IMAGE_REGISTRY=REGISTRY, E2E_IMAGE_TAG="pr-7")
    assert result.returncode == 0, result
    assert f"docker push {REGISTRY}/budapp:pr-7" in result.calls
    assert generated_images(script_env)["budapp"] == f"{REGISTRY}/budapp:pr-7"


@pytest.mark.parametrize("tool", ["kubectl", "helm", "curl", "openssl", "docker"])
def test_missing_prerequisite_fails_early_with_one_line(script_env, tool):
    script_env.use_tools(without=(tool,))
    result = script_env.run(SETUP, "--context", "c1", "--registry", REGISTRY)
    assert_one_line_error(result, f"'{tool}' is required but not on PATH", "Install it:")
    assert result.calls == []


def test_teardown_removes_release_namespace_and_dapr_that_setup_created(script_env):
    assert script_env.run(SETUP, "--context", "c1", "--namespace", "ns1", "--skip-build").returncode == 0
    pids = script_env.forward_pids()
    assert pids and all(pid_running(pid) for pid in pids.values())

    result = script_env.run(TEARDOWN)
    assert result.returncode == 0, result
    assert result.calls == [
        "helm --kube-context c1 status bud-e2e -n ns1",
        "helm --kube-context c1 uninstall bud-e2e -n ns1 --wait",
        "kubectl --context c1 delete namespace ns1 --ignore-not-found --timeout=600s",
        "helm --kube-context c1 uninstall dapr -n dapr-system --wait",
        "kubectl --context c1 delete namespace dapr-system --ignore-not-found --timeout=600s",
    ]
    assert wait_until_stopped(pids.values()) == []
    assert script_env.marks() == set()
    assert script_env.deployment_env() is None
    assert script_env.credentials_env() is None
    assert not (script_env.state / "existing").exists()


def test_teardown_keeps_the_namespace_and_dapr_that_were_there_before(script_env):
    script_env.mark("namespace-shared", "dapr", "release-dapr", "namespace-other")
    result = script_env.run(SETUP, "--context", "c1", "--namespace", "shared", "--skip-build")
    assert result.returncode == 0, result
    assert "kubectl --context c1 create namespace shared" not in result.calls
    assert not [c for c in result.calls if "upgrade --install dapr" in c]

    result = script_env.run(TEARDOWN)
    assert result.returncode == 0, result
    assert result.calls == [
        "helm --kube-context c1 status bud-e2e -n shared",
        "helm --kube-context c1 uninstall bud-e2e -n shared --wait",
    ]
    assert script_env.marks() == {"namespace-shared", "dapr", "release-dapr", "namespace-other"}


def test_rerun_keeps_knowing_what_the_first_run_created(script_env):
    assert script_env.run(SETUP, "--context", "c1", "--skip-build").returncode == 0
    result = script_env.run(SETUP, "--context", "c1", "--skip-build")
    assert result.returncode == 0, result
    assert "kubectl --context c1 create namespace bud-e2e" not in result.calls
    result = script_env.run(TEARDOWN)
    assert "kubectl --context c1 delete namespace bud-e2e --ignore-not-found --timeout=600s" in result.calls
    assert "helm --kube-context c1 uninstall dapr -n dapr-system --wait" in result.calls


def test_a_second_namespace_is_refused_while_one_is_recorded(script_env):
    assert script_env.run(SETUP, "--context", "c1", "--skip-build").returncode == 0
    result = script_env.run(SETUP, "--context", "c1", "--namespace", "elsewhere", "--skip-build")
    assert_one_line_error(result, "still recorded", "teardown-existing-cluster.sh")


def test_teardown_with_nothing_recorded_does_nothing(script_env):
    result = script_env.run(TEARDOWN)
    assert result.returncode == 0, result
    assert "nothing to tear down" in result.stderr
    assert result.calls == []


def test_teardown_after_a_failed_install_still_cleans_up(script_env):
    result = script_env.run(SETUP, "--context", "c1", "--skip-build", FAKE_FAIL="helm *upgrade --install bud-e2e *")
    assert result.returncode != 0
    result = script_env.run(TEARDOWN)
    assert result.returncode == 0, result
    # The release never got installed; the namespace and Dapr setup made are removed.
    assert result.calls == [
        "helm --kube-context c1 status bud-e2e -n bud-e2e",
        "kubectl --context c1 delete namespace bud-e2e --ignore-not-found --timeout=600s",
        "helm --kube-context c1 uninstall dapr -n dapr-system --wait",
        "kubectl --context c1 delete namespace dapr-system --ignore-not-found --timeout=600s",
    ]
