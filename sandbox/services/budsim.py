"""budsim (sandbox): the budmicroframe health contract; its features build on this app."""

from sandbox.common.app_factory import create_service_app

app = create_service_app("budsim")
