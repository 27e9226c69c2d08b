"""budcluster process entry point."""

from sandbox.budcluster.app import app  # noqa: F401
