"""A Keycloak stand-in for the real budapp (source mode): the OIDC and admin endpoints budapp calls."""
