"""budgateway process entry point."""

from sandbox.budgateway.app import app  # noqa: F401
