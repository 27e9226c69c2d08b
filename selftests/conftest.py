"""The suite's own tests: helpers, waiters, scripts and the sandbox."""

pytest_plugins = ["pytester"]
