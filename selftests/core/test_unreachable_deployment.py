"""Against a deployment that is not there, the suite stops at once with one readable line."""

import time

E2E_TEST = """
async def test_needs_budapp(budapp_client):
    await budapp_client.get("/health")
"""


def test_unreachable_budapp_ends_the_run_with_one_line(pytester, monkeypatch):
    suite_root = __import__("helpers").__path__[0].rsplit("/", 1)[0]
    pytester.makeconftest(
        f"import sys; sys.path.insert(0, {suite_root!r})\nfrom conftest import *  # noqa\n"
        f"pytest_plugins = ['fixtures.services', 'fixtures.auth', 'fixtures.infrastructure', 'fixtures.data']"
    )
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = session\n"
        "asyncio_default_test_loop_scope = session\n"
    )
    pytester.makepyfile(test_e2e=E2E_TEST)
    monkeypatch.setenv("E2E_STATE_DIR", str(pytester.path / "state"))
    monkeypatch.setenv("E2E_ADMIN_PASSWORD", "unused")
    monkeypatch.setenv("E2E_BUDAPP_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("E2E_RETRY_BACKOFF", "0")
    started = time.monotonic()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert time.monotonic() - started < 30
    assert result.ret == 4
    result.stdout.fnmatch_lines(
        ["*E2E: budapp is unreachable at http://127.0.0.1:9 *./scripts/setup.sh*E2E_BUDAPP_URL*"]
    )


def test_missing_admin_password_is_named(pytester, monkeypatch):
    suite_root = __import__("helpers").__path__[0].rsplit("/", 1)[0]
    pytester.makeconftest(
        f"import sys; sys.path.insert(0, {suite_root!r})\nfrom conftest import *  # noqa\n"
        f"pytest_plugins = ['fixtures.services']"
    )
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    pytester.makepyfile(test_e2e="def test_x(settings):\n    pass\n")
    monkeypatch.setenv("E2E_STATE_DIR", str(pytester.path / "state"))
    monkeypatch.delenv("E2E_ADMIN_PASSWORD", raising=False)
    monkeypatch.setenv("E2E_CONFIG_FILE", str(__import__("helpers.config").config.DEFAULT_CONFIG_FILE))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 4
    result.stdout.fnmatch_lines(
        ["*E2E configuration error: setting 'admin.password' is missing: set E2E_ADMIN_PASSWORD*"]
    )
