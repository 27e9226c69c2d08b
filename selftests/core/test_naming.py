"""Names are unique per run, worker and call, and fit the platform's rules."""

import re

from helpers import naming


def test_names_carry_run_and_worker_and_differ(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    first, second = naming.unique_name("project"), naming.unique_name("project")
    assert first != second
    assert first.startswith(f"e2e-{naming.run_id()}-gw1-project-")


def test_person_names_have_only_letters_and_spaces():
    for _ in range(20):
        assert re.fullmatch(r"[A-Za-z' -]+", naming.unique_person_name())


def test_passwords_meet_the_policy():
    for _ in range(20):
        password = naming.strong_password()
        assert len(password) >= 8 and not any(c.isspace() for c in password)
        assert any(c.isdigit() for c in password) and any(c.isupper() for c in password)
        assert any(c.islower() for c in password) and any(not c.isalnum() for c in password)


def test_emails_are_unique():
    assert len({naming.unique_email() for _ in range(50)}) == 50


def test_names_and_settings_read_one_prefix_and_a_bad_one_is_refused(monkeypatch):
    import pytest

    from helpers.config import ConfigError, load_settings

    monkeypatch.setenv("E2E_NAME_PREFIX", "nightly")
    assert naming.unique_name("project").startswith(f"nightly-{naming.run_id()}-")
    assert load_settings({"E2E_NAME_PREFIX": "nightly", "E2E_ADMIN_PASSWORD": "x"}).name_prefix == "nightly"
    monkeypatch.setenv("E2E_NAME_PREFIX", "Bad_Prefix")
    with pytest.raises(ConfigError, match="E2E_NAME_PREFIX='Bad_Prefix'"):
        naming.unique_name("project")
