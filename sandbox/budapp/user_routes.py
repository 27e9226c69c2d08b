"""/users: me, permissions, admin listing, update and (soft) delete."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from sandbox.budapp.auth_routes import insert_account
from sandbox.budapp.schemas import UserCreate, UserRole, UserType, UserUpdate, user_info
from sandbox.budapp.security import current_active_user, current_user, permissions_of, require
from sandbox.common.envelopes import error_response, paginated, success

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me")
async def me(request: Request, user: dict[str, Any] = Depends(current_user)):
    if await request.app.state.faults.is_on("users_me_returns_other_user"):
        user = await request.app.state.users.another_than(user["id"]) or user
    return success("user.me", "Successfully get current user", user=user_info(user))


@router.get("/me/permissions")
async def my_permissions(user: dict[str, Any] = Depends(current_active_user)):
    granted = permissions_of(user)
    return success(
        "user.permissions",
        "Successfully get user permissions",
        permissions=[{"name": name, "has_permission": True} for name in sorted(granted)],
    )


@router.get("/")
async def list_users(
    request: Request,
    _: dict[str, Any] = Depends(require("user:manage")),
    page: int = Query(1, ge=1),
    limit: int = Query(10, ge=0),
    name: str | None = None,
    email: str | None = None,
    role: UserRole | None = None,
    status: str | None = None,
    user_type: UserType | None = None,
):
    filters = {
        "name": name,
        "email": email,
        "role": role and role.value,
        "status": status,
        "user_type": user_type and user_type.value,
    }
    users, total = await request.app.state.users.search(filters, (page - 1) * limit, limit)
    return paginated(
        "users.list", "Successfully list users", "users", [user_info(u) for u in users], page, limit, total
    )


@router.get("/{user_id}")
async def get_user(user_id: UUID, request: Request, _: dict[str, Any] = Depends(require("user:manage"))):
    user = await request.app.state.users.by_id(user_id)
    if user is None:
        return error_response(404, "User not found")
    return success("user.retrieve", "Successfully retrieved user", user=user_info(user))


@router.post("/")
async def create_user(body: UserCreate, request: Request, _: dict[str, Any] = Depends(require("user:manage"))):
    """An account made by an admin: invited (active once its user sets a password), with the permissions given."""
    state = request.app.state
    if await state.users.by_email(body.email):
        return error_response(400, "Email already registered")
    async with state.pool.acquire() as connection, connection.transaction():
        user = await insert_account(
            state, connection, body, status="invited", is_reset_password=True, user_type=body.user_type.value
        )
    return success("user.create", "User created successfully", user=user_info(user))


@router.patch("/{user_id}")
async def update_user(
    user_id: UUID, body: UserUpdate, request: Request, caller: dict[str, Any] = Depends(current_user)
):
    state = request.app.state
    if caller["id"] != user_id and "user:manage" not in permissions_of(caller):
        # budapp raises this one as an HTTPException: a {"detail": ...} body, not its error envelope
        raise HTTPException(status_code=403, detail="Insufficient permissions for this operation")
    changes = {k: (v.value if hasattr(v, "value") else v) for k, v in body.model_dump(exclude_none=True).items()}
    own = caller["id"] == user_id
    if own and caller["status"] == "invited" and {"role", "name"} & changes.keys():
        raise HTTPException(status_code=400, detail="Invited user can only update password")
    user = await state.users.by_id(user_id)
    if user is None:
        return error_response(404, "User not found")
    if user["is_superuser"] and "role" in changes:
        raise HTTPException(status_code=400, detail="Cannot update superuser role")
    if user["status"] == "deleted":
        raise HTTPException(status_code=400, detail="Cannot update inactive user")
    if "password" in changes:
        # budapp sets the new password on the caller's identity-provider account, whoever's user_id is given
        await state.keycloak.set_password(caller["auth_id"], changes.pop("password"))
        if own:
            changes |= {"is_reset_password": False, "first_login": False}
            if user["first_login"] and user["status"] == "invited":
                changes["status"] = "active"
        else:
            changes["is_reset_password"] = True
    if changes:
        user = await state.users.update(user_id, **changes)
    return success("user.me", "Successfully update current user", user=user_info(user))


@router.delete("/{user_id}")
async def delete_user(user_id: UUID, request: Request, caller: dict[str, Any] = Depends(require("user:manage"))):
    state = request.app.state
    if caller["id"] == user_id:
        return error_response(400, "You cannot delete your own account")
    user = await state.users.by_id(user_id)
    if user is None or user["status"] == "deleted":
        return error_response(404, "User not found")
    if user["is_superuser"]:
        return error_response(400, "Cannot delete superuser")
    # budapp only marks the user deleted: the identity provider keeps the account, login refuses it
    await state.users.update(user_id, status="deleted")
    return success("info", "User deleted successfully")
