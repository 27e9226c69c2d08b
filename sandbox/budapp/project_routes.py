"""/projects: create, list (with budapp's visibility rules), read, edit, delete."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from sandbox.budapp.schemas import ProjectCreate, ProjectEdit, ProjectType, ProjectUserAddList, project_info
from sandbox.budapp.security import permissions_of, require
from sandbox.common.envelopes import error_response, paginated, success

router = APIRouter(prefix="/projects", tags=["projects"])


def _tags(tags) -> list[dict] | None:
    return [t.model_dump() for t in tags] if tags is not None else None


async def _active_project(request: Request, project_id: UUID) -> dict[str, Any] | Any:
    """The active project, or budapp's 404 for it."""
    project = await request.app.state.projects.by_id(project_id)
    return project if project is not None else error_response(404, "Project not found")


async def _readable_project(request: Request, project_id: UUID, user: dict[str, Any]) -> dict[str, Any] | Any:
    """GET's row-level checks: only client users are limited, to the client projects they belong to."""
    project = await _active_project(request, project_id)
    if not isinstance(project, dict) or user["user_type"] != "client":
        return project
    if project["project_type"] != "client_app":
        return error_response(403, "Access denied: Client users can only access client application projects")
    if not await request.app.state.projects.is_member(project["id"], user["id"]):
        return error_response(403, "Access denied: You are not authorized to access this project")
    return project


@router.post("/")
async def create_project(
    body: ProjectCreate, request: Request, user: dict[str, Any] = Depends(require("project:manage"))
):
    state = request.app.state
    if user["user_type"] == "client":
        project_type = "client_app"
    else:
        project_type = body.project_type.value if body.project_type else "admin_app"
    if await state.projects.name_taken(body.name, project_type, user["id"]):
        return error_response(400, "Project already exist with same name")
    if body.description is None:
        # budapp's request model allows no description but its project.description column is NOT NULL:
        # the insert fails and the route answers its generic 500 (registered defect BUD-005)
        return error_response(500, "Failed to create project")
    async with state.pool.acquire() as connection, connection.transaction():
        project = await state.projects.insert(
            connection,
            user["id"],
            name=body.name,
            description=body.description,
            tags=_tags(body.tags) or [],
            icon=body.icon,
            project_type=project_type,
            benchmark=body.benchmark,
            created_by=user["id"],
        )
    return success("project.create", "Project created successfully", project=project_info(project))


@router.get("/")
async def list_projects(
    request: Request,
    user: dict[str, Any] = Depends(require("project:view")),
    page: int = Query(1, ge=1),
    limit: int = Query(10, ge=0),
    name: str | None = None,
    project_type: ProjectType | None = None,
    search: bool = False,
):
    state = request.app.state
    if user["user_type"] == "client":
        wanted = "client_app"
    else:
        wanted = project_type.value if project_type else "admin_app"
    sees_all = wanted == "admin_app" and "project:manage" in permissions_of(user)
    projects, total = await state.projects.listing(
        member_id=None if sees_all else user["id"],
        project_type=wanted,
        name=name,
        partial=search,
        offset=(page - 1) * limit,
        limit=limit,
    )
    items = [
        {
            "project": project_info(p),
            "users_count": await state.projects.users_count(p["id"]),
            "endpoints_count": 0,
            "credentials_count": 0,
            "profile_colors": [],
        }
        for p in projects
    ]
    return paginated("project.list", "Projects listed successfully", "projects", items, page, limit, total)


@router.get("/{project_id}")
async def get_project(project_id: UUID, request: Request, user: dict[str, Any] = Depends(require("project:view"))):
    project = await _readable_project(request, project_id, user)
    if not isinstance(project, dict):
        return project
    info = project_info(project)
    client_app = project["project_type"] == "client_app"  # only client projects carry their credentials
    return success(
        "project.retrieve",
        "Project retrieved successfully",
        project={k: info[k] for k in ("id", "name", "description", "tags", "icon", "project_type")},
        endpoints_count=await request.app.state.endpoints.active_count("project_id", project["id"]),
        credentials_count=0 if client_app else None,
        credentials=[] if client_app else None,
    )


@router.patch("/{project_id}")
async def edit_project(
    project_id: UUID, body: ProjectEdit, request: Request, user: dict[str, Any] = Depends(require("project:manage"))
):
    state = request.app.state
    # budapp checks only the global project:manage permission here, not membership: known defect BUD-001
    project = await _active_project(request, project_id)
    if not isinstance(project, dict):
        return project
    changes = body.model_dump(exclude_none=True)
    if "tags" in changes:
        changes["tags"] = _tags(body.tags)
    if "name" in changes and await state.projects.name_taken(
        changes["name"], project["project_type"], user["id"], except_id=project["id"]
    ):
        return error_response(400, "Project name already exists")
    if changes:
        project = await state.projects.update(project["id"], **changes)
    return success("project.edit", "Project details updated successfully", project=project_info(project))


@router.delete("/{project_id}")
async def delete_project(
    project_id: UUID,
    request: Request,
    user: dict[str, Any] = Depends(require("project:manage")),
    remove_credential: bool = True,
):
    # as for PATCH, no membership check (known defect BUD-001)
    project = await _active_project(request, project_id)
    if not isinstance(project, dict):
        return project
    if await request.app.state.endpoints.active_count("project_id", project["id"]):
        return error_response(400, "Cannot delete the project because it has an active endpoint.")
    await request.app.state.projects.update(project["id"], status="deleted")
    return success("project.delete", "Project deleted successfully")


@router.post("/{project_id}/add-users")
async def add_users_to_project(
    project_id: UUID,
    body: ProjectUserAddList,
    request: Request,
    user: dict[str, Any] = Depends(require("project:manage")),
):
    """Existing users join the project (budapp also invites unknown emails as new users; the sandbox mails nobody)."""
    state = request.app.state
    # as for PATCH, no membership check (known defect BUD-001)
    project = await _active_project(request, project_id)
    if not isinstance(project, dict):
        return project
    wanted = {entry.user_id for entry in body.users if entry.user_id is not None}
    for entry in body.users:
        if entry.email is not None:
            known = await state.users.by_email(entry.email)
            if known is None:
                return error_response(500, "Failed to add users to project")
            wanted.add(known["id"])
    if wanted & await state.projects.member_ids(project["id"]):
        return error_response(400, "User already in project")
    joining = await state.users.active_or_invited(wanted)
    if len(joining) != len(wanted):
        return error_response(400, "Found non active users in request")
    for member in joining:
        if member["user_type"] == "client" and project["project_type"] == "admin_app":
            return error_response(400, f"Client user '{member['email']}' cannot be added to admin project")
    for member in joining:
        await state.projects.add_member(project["id"], member["id"])
    return success("project.add_users", "Invite sent successfully")
