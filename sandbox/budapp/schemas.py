"""Request bodies with budapp's validation rules (the 422s must match)."""

from __future__ import annotations

import re
import string
from enum import Enum
from typing import Any

from pydantic import UUID4, BaseModel, EmailStr, Field, field_validator, model_validator

PUNCTUATION = re.compile(f"[{re.escape(string.punctuation)}]")


class UserRole(str, Enum):
    admin = "admin"
    super_admin = "super_admin"
    developer = "developer"
    devops = "devops"
    tester = "tester"


class UserType(str, Enum):
    admin = "admin"
    client = "client"


class ProjectType(str, Enum):
    client_app = "client_app"
    admin_app = "admin_app"


def password_problem(value: str) -> str | None:
    checks = [
        (r"\d", "Password must contain at least one digit."),
        (r"[A-Z]", "Password must contain at least one uppercase letter."),
        (r"[a-z]", "Password must contain at least one lowercase letter."),
    ]
    for pattern, message in checks:
        if not re.search(pattern, value):
            return message
    if not PUNCTUATION.search(value):
        return "Password must contain at least one special character."
    if re.search(r"\s", value):
        return "Password must not contain any whitespace."
    return None


class PermissionItem(BaseModel):
    name: str
    has_permission: bool


# a manage permission brings its view permission along
VIEW_OF_MANAGE = {
    f"{kind}:manage": f"{kind}:view" for kind in ("model", "project", "cluster", "user", "endpoint", "benchmark")
}


def granted_permissions(items: list[PermissionItem] | None) -> list[str]:
    """The permissions a registration asks for, as budapp has Keycloak grant them: those marked granted, with the
    view permission of each manage permission."""
    granted = {item.name for item in items or [] if item.has_permission}
    return sorted(granted | {VIEW_OF_MANAGE[name] for name in granted if name in VIEW_OF_MANAGE})


class UserCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    email: EmailStr = Field(min_length=1, max_length=100)
    password: str = Field(min_length=8, max_length=100)
    permissions: list[PermissionItem] | None = None
    role: UserRole
    company: str | None = Field(None, max_length=255)
    purpose: str | None = Field(None, max_length=255)
    user_type: UserType = UserType.client

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        stripped = value.strip()
        if not re.match(r"^[a-zA-Z\s\-']+$", stripped):
            raise ValueError("Name can only contain letters, spaces, hyphens, and apostrophes")
        return stripped

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        problem = password_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("role")
    @classmethod
    def _role(cls, value: UserRole) -> UserRole:
        if value == UserRole.super_admin:
            raise ValueError("The SUPER_ADMIN role is not permitted.")
        return value


class UserLogin(BaseModel):
    email: EmailStr = Field(min_length=1, max_length=100)
    password: str = Field(min_length=8, max_length=100)
    tenant_id: UUID4 | None = None
    user_type: UserType = UserType.client
    remember_me: bool = False


class RefreshTokenRequest(BaseModel):
    refresh_token: str = Field(min_length=1)


class LogoutRequest(BaseModel):
    tenant_id: UUID4 | None = None
    refresh_token: str = Field(min_length=1)


class UserUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    password: str | None = Field(None, min_length=8, max_length=100)
    role: UserRole | None = None
    company: str | None = Field(None, max_length=255)
    purpose: str | None = Field(None, max_length=255)
    user_type: UserType | None = None

    @field_validator("password")
    @classmethod
    def _password(cls, value: str | None) -> str | None:
        problem = password_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("role")
    @classmethod
    def _role(cls, value: UserRole | None) -> UserRole | None:
        if value == UserRole.super_admin:
            raise ValueError("The SUPER_ADMIN role is not permitted.")
        return value


class Tag(BaseModel):
    name: str = Field(min_length=1)
    color: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")


class ProjectCreate(BaseModel):
    # budapp limits lengths only when a project is edited, not when it is created
    name: str
    description: str | None = None
    tags: list[Tag] | None = None
    icon: str | None = None
    project_type: ProjectType | None = None
    benchmark: bool = False


class ProjectEdit(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=400)
    tags: list[Tag] | None = None
    icon: str | None = None

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("Project name cannot be empty or only whitespace")
        return value


MEMBER_SCOPES = frozenset({"endpoint:view", "endpoint:manage"})


class ProjectUserAdd(BaseModel):
    """A user to add to a project: an existing one by id, or by email; with endpoint scopes only."""

    user_id: UUID4 | None = None
    email: EmailStr | None = None
    scopes: list[str]

    @field_validator("scopes")
    @classmethod
    def _member_scopes(cls, value: list[str]) -> list[str]:
        if not all(scope in MEMBER_SCOPES for scope in value):
            raise ValueError(f"Found invalid scopes. Valid scopes are: {set(MEMBER_SCOPES)}")
        return sorted(set(value) | {"endpoint:view"}) if "endpoint:manage" in value else value

    @model_validator(mode="after")
    def _one_identity(self) -> ProjectUserAdd:
        if self.user_id is not None and self.email is not None:
            raise ValueError("Either user_id or email must be provided, but not both")
        if self.user_id is None and self.email is None:
            raise ValueError("Either user_id or email must be provided")
        return self


class ProjectUserAddList(BaseModel):
    users: list[ProjectUserAdd]


def user_info(user: dict[str, Any]) -> dict[str, Any]:
    """UserInfo as budapp serialises it."""
    return {
        "id": str(user["id"]),
        "name": user["name"],
        "email": user["email"],
        "color": user["color"],
        "role": user["role"],
        "status": user["status"],
        "company": user["company"],
        "purpose": user["purpose"],
        "user_type": user["user_type"],
    }


def project_info(project: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(project["id"]),
        "name": project["name"],
        "description": project["description"],
        "tags": project["tags"],
        "icon": project["icon"],
        "project_type": project["project_type"],
        "created_by": str(project["created_by"]),
        "created_at": project["created_at"].isoformat(),
        "modified_at": project["modified_at"].isoformat(),
    }


# Model responses serialize modality and supported_endpoints as budapp's enums do (requests take plain lists).
MODALITY_LABELS = {"text": "Text", "image": "Image", "audio": "Audio"}
ENDPOINT_LABELS = {  # every endpoint budapp knows, in its enum's order: capability key -> (path, label)
    "chat": ("/v1/chat/completions", "Chat Completions"),
    "embedding": ("/v1/embeddings", "Embeddings"),
    "responses": ("/v1/responses", "Responses"),
    "audio_transcription": ("/v1/audio/transcriptions", "Transcription"),
    "audio_translation": ("/v1/audio/translations", "Audio Translation"),
    "text_to_speech": ("/v1/audio/speech", "Speech generation"),
    "document": ("/v1/documents", "Document"),
    "batch": ("/v1/batch", "Batch"),
    "image_generation": ("/v1/images/generations", "Image Generation"),
    "image_edit": ("/v1/images/edits", "Image Editing"),
    "image_variation": ("/v1/images/variations", "Image Variations"),
    "rerank": ("/v1/rerank", "Reranking"),
    "moderation": ("/v1/moderations", "Moderation"),
    "classify": ("/v1/classify", "Classification"),
}


def serialized_modality(modalities: list[str] | None) -> dict[str, dict[str, Any]]:
    """``["text_input", ...]`` as
    ``{"text": {"input": true, "output": .., "label": "Text"}, "image": .., "audio": ..}``."""
    chosen = set(modalities or [])
    return {
        kind: {"input": f"{kind}_input" in chosen, "output": f"{kind}_output" in chosen, "label": label}
        for kind, label in MODALITY_LABELS.items()
    }


def serialized_endpoints(endpoints: list[str] | None) -> dict[str, dict[str, Any]]:
    """Every known endpoint, ``{"chat": {"path": "v1/chat/completions", "enabled": true, "label": ..}, ...}``."""
    chosen = set(endpoints or [])
    return {
        key: {"path": path.lstrip("/"), "enabled": path in chosen, "label": label}
        for key, (path, label) in ENDPOINT_LABELS.items()
    }
