"""budmetrics process entry point."""

from sandbox.budmetrics.app import app  # noqa: F401
