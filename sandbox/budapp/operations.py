"""budapp's own names of the operations the sandbox implements, so that its /openapi.json names them as
budapp's does (FastAPI builds an operationId from the route function's name, the path and the method)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute

# (method, path) -> the name of budapp's route function
BUDAPP_NAMES = {
    ("GET", "/"): "ping",
    ("POST", "/auth/register"): "register_user",
    ("POST", "/auth/login"): "login_user",
    ("POST", "/auth/logout"): "logout_user",
    ("GET", "/users/me"): "get_current_user",
    ("GET", "/users/me/permissions"): "get_user_roles",
    ("GET", "/users/"): "get_all_users",
    ("GET", "/users/{user_id}"): "retrieve_user",
    ("PATCH", "/users/{user_id}"): "update_current_user",
    ("GET", "/projects/"): "get_all_projects",
    ("GET", "/projects/{project_id}"): "retrieve_project",
    ("GET", "/models/"): "list_all_models",
    ("POST", "/models/cloud-model-workflow"): "add_cloud_model_workflow",
    ("GET", "/models/{model_id}"): "retrieve_model",
    ("GET", "/workflows"): "list_active_workflows",
    ("GET", "/workflows/{workflow_id}"): "retrieve_workflow_data",
    ("PATCH", "/workflows/{workflow_id}"): "mark_workflow_as_completed",
    ("POST", "/notifications"): "receive_notification",
    ("POST", "/clusters/clusters"): "create_cluster_workflow",
    ("GET", "/clusters/{cluster_id}"): "get_cluster_details",
    ("POST", "/models/deploy-workflow"): "deploy_model_by_step",
    ("GET", "/endpoints/"): "list_all_endpoints",
    ("GET", "/proprietary/credentials/"): "retrieve_proprietary_credentials",
    ("POST", "/proprietary/credentials/"): "add_proprietary_credential",
    ("DELETE", "/proprietary/credentials/{credential_id}"): "delete_proprietary_credential",
    ("POST", "/playground/initialize-with-token"): "initialize_playground_with_access_token",
    ("POST", "/models/local-model-workflow"): "add_local_model_workflow",
    ("GET", "/clusters/recommended/{workflow_id}"): "get_recommended_clusters",
}


def operation_id(name: str, path: str, method: str) -> str:
    """FastAPI's generate_unique_id, for a function called ``name``."""
    flat = "".join(c if c.isalnum() or c == "_" else "_" for c in f"{name}{path}")
    return f"{flat}_{method.lower()}"


def api_routes(app: FastAPI) -> list[APIRoute]:
    found: list[APIRoute] = []
    pending = list(app.routes)
    while pending:
        route = pending.pop()
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # a router included lazily
            pending.extend(route.original_router.routes)
    return found


def name_operations(app: FastAPI) -> None:
    for route in api_routes(app):
        for method in route.methods or ():
            name = BUDAPP_NAMES.get((method, route.path_format))
            if name:
                route.operation_id = operation_id(name, route.path_format, method)
