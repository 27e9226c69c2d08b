"""scripts/setup-source.sh: what it needs before anything is installed, each missing piece one readable line."""

from __future__ import annotations

from selftests.scripts.script_harness import (
    assert_one_line_error,
    script_env,  # noqa: F401  (fixture)
)


def make_checkout(root, name="bud-runtime"):
    budapp = root / name / "services/budapp"
    (budapp / "budapp/initializers/data").mkdir(parents=True)
    (budapp / "budapp/main.py").write_text("")
    (budapp / "requirements.txt").write_text("fastapi\n")
    return root / name


def make_package(root, name):
    (root / name).mkdir(parents=True)
    (root / name / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    return root / name


def test_a_missing_checkout_names_where_it_looked_and_what_to_pass(script_env):
    result = script_env.run("setup-source.sh", "--source", str(script_env.root / "nowhere"))
    assert_one_line_error(
        result,
        f"no bud-runtime checkout at {script_env.root / 'nowhere'} (--source;",
        "pass --source DIR or set BUD_RUNTIME_DIR",
    )


def test_without_any_setting_the_default_location_is_named(script_env):
    result = script_env.run("setup-source.sh", BUD_RUNTIME_DIR=None)
    assert_one_line_error(
        result, f"no bud-runtime checkout at {script_env.root}/src/bud-runtime (the default location;"
    )


def test_an_unreachable_git_dependency_without_a_sibling_asks_for_its_option(script_env):
    checkout = make_checkout(script_env.root / "work")
    result = script_env.run("setup-source.sh", "--source", str(checkout))
    assert_one_line_error(
        result, "budapp needs bud-microframe: git cannot reach", f"no checkout beside {checkout}; pass --microframe DIR"
    )


def test_a_microframe_option_that_is_not_a_package_is_refused(script_env):
    checkout = make_checkout(script_env.root / "work")
    result = script_env.run("setup-source.sh", "--source", str(checkout), "--microframe", str(script_env.root))
    assert_one_line_error(result, f"--microframe {script_env.root} is not a checkout of bud-microframe")


def test_a_checkout_budapp_cannot_write_into_is_refused_before_anything_is_installed(script_env):
    """budapp's catalogue sync writes into initializers/data; a tree without it (or read-only) stops here."""
    checkout = make_checkout(script_env.root / "work")
    make_package(script_env.root / "work", "bud-microframe")
    make_package(script_env.root / "work", "BudAIFoundry-SDK")
    data = checkout / "services/budapp/budapp/initializers/data"
    data.rmdir()
    result = script_env.run("setup-source.sh", "--source", str(checkout))
    assert_one_line_error(result, f"budapp writes into {data} while it starts", "make it writable")
    assert not (script_env.state / "source").exists()
