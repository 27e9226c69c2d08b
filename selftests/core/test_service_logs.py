"""Failure reports on Kubernetes profiles read the bud services' own pods."""

import os
import stat

from helpers.diagnostics import ServiceLogs


def test_cluster_logs_select_the_bud_pods_by_the_charts_app_label(tmp_path, monkeypatch):
    called = tmp_path / "kubectl-args"
    kubectl = tmp_path / "kubectl"
    kubectl.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {called}\necho "[pod/bud-e2e-budapp-1/app] started"\n')
    kubectl.chmod(kubectl.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("E2E_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("E2E_HELM_RELEASE", "bud-e2e")
    monkeypatch.setenv("E2E_KUBE_NAMESPACE", "bud-e2e")

    excerpt = ServiceLogs("k3d").section({}, since=0)

    args = called.read_text().splitlines()
    selector = args[args.index("-l") + 1]
    assert selector == ("app in (bud-e2e-budapp,bud-e2e-budcluster,bud-e2e-budsim,bud-e2e-budmodel,"
                        "bud-e2e-budmetrics,bud-e2e-budgateway)")
    assert args[:3] == ["-n", "bud-e2e", "logs"] and "--all-containers" in args
    assert excerpt == "[pod/bud-e2e-budapp-1/app] started"
