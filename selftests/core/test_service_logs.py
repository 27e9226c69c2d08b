"""Failure reports read the bud services' own logs: pods on Kubernetes profiles, one short line per log record."""

import os
import stat

from helpers.diagnostics import ServiceLogs, log_summary


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
    assert selector == (
        "app in (bud-e2e-budapp,bud-e2e-budcluster,bud-e2e-budsim,bud-e2e-budmodel,"
        "bud-e2e-budmetrics,bud-e2e-budgateway)"
    )
    assert args[:3] == ["-n", "bud-e2e", "logs"] and "--all-containers" in args
    assert excerpt == "[pod/bud-e2e-budapp-1/app] started"


def test_a_json_log_record_is_summarised_as_time_logger_and_message():
    line = (
        '{"asctime": "2026-12-04 04:28:28,892", "levelname": "ERROR", "name": "budapp.endpoint_ops.services", '
        '"message": "Failed to delete endpoint details from redis: pool closed", "lineno": 299}'
    )
    assert log_summary(line) == (
        "2026-12-04 04:28:28,892 budapp.endpoint_ops.services: "
        "Failed to delete endpoint details from redis: pool closed"
    )


def test_a_plain_log_line_is_cut_to_the_width_with_an_ellipsis():
    assert log_summary("x" * 300, width=20) == "x" * 17 + "..."
    assert log_summary("short line") == "short line"
