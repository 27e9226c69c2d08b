"""The launcher's start order: what others write to at start-up is healthy before they are spawned."""

from sandbox.launcher import services, start_phases
from sandbox.settings import SandboxSettings


def names(phases):
    return [[service.name for service in phase] for phase in phases]


def test_clickhouse_starts_alone_before_the_services_that_create_their_schema_in_it():
    phases = names(start_phases(services(SandboxSettings())))
    assert phases[0] == ["clickhouse"]
    assert {"budmetrics", "budgateway", "budapp"} <= set(phases[1])
    assert len(phases) == 2


def test_real_budapp_starts_last_after_every_stand_in(tmp_path):
    phases = names(start_phases(services(SandboxSettings(budapp_source=tmp_path))))
    assert phases[0] == ["clickhouse"]
    assert "keycloak" in phases[1] and "budapp" not in phases[1]
    assert phases[2] == ["budapp"]


def test_a_running_store_is_not_waited_for_again():
    missing = [s for s in services(SandboxSettings()) if s.name in ("budmetrics", "budgateway")]
    assert names(start_phases(missing)) == [["budmetrics", "budgateway"]]


def test_a_missing_stand_in_is_one_line_before_anything_starts(monkeypatch, tmp_path):
    import pytest

    from sandbox import launcher

    monkeypatch.setattr(launcher, "importable", lambda module: module != "sandbox.budnotify.app")
    with pytest.raises(
        SystemExit, match=r"^ERROR: this tree has no stand-in for budnotify \(sandbox/budnotify/app\.py\)"
    ):
        launcher.check_stand_ins(services(SandboxSettings(budapp_source=tmp_path)))
    launcher.check_stand_ins(services(SandboxSettings()))  # the sandbox itself has every stand-in
