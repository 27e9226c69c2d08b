"""budsim process entry point."""

from sandbox.budsim.app import app  # noqa: F401
