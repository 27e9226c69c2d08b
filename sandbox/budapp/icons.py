"""Icons budapp accepts: one of its emojis, or a file that exists under its static folder.

budapp checks the path on its own disk; the sandbox has no such folder, so it knows the icon files a budapp
checkout ships that the suite and the catalogue use. Anything else is refused the way budapp refuses it: a
422 whose detail is pydantic's "Value error, invalid icon" for the field `icon`.
"""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError, field_validator

from sandbox.common.catalog_data import providers

GENERAL_ICONS = frozenset(
    {
        "icons/general/cluster_mono.png",
        "icons/general/default_disk_model.png",
        "icons/general/default_url_model.png",
        "icons/general/deployment_mono.png",
        "icons/general/key.png",
        "icons/general/model_mono.png",
    }
)
# A sample of budapp's emoji list: enough for the suite's inputs, each one budapp also accepts.
EMOJIS = frozenset({"😀", "😃", "😄", "😁", "🚀", "🤖", "📦", "🔥", "⭐", "💡"})


def known_icons() -> frozenset[str]:
    return GENERAL_ICONS | {p["icon"] for p in providers() if p.get("icon")}


def icon_is_valid(icon: str) -> bool:
    return icon in EMOJIS or icon in known_icons()


class _Icon(BaseModel):
    icon: str | None = None

    @field_validator("icon", mode="before")
    @classmethod
    def icon_validate(cls, value: str | None) -> str | None:
        if value is not None and not icon_is_valid(value):
            raise ValueError("invalid icon")
        return value


def check_icon(icon: str | None) -> None:
    """Raise budapp's 422 for an icon it would not accept."""
    try:
        _Icon(icon=icon)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
