"""budmodel process entry point."""

from sandbox.budmodel.app import app  # noqa: F401
