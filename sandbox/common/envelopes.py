"""budapp's response bodies: success, paginated, ErrorResponse, ClientException."""

from __future__ import annotations

import math
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse


def success(object_name: str, message: str, http_status: int = 200, **payload: Any) -> JSONResponse:
    """``{"object": ..., "message": ..., **payload}`` with the given HTTP status."""
    return JSONResponse(
        jsonable_encoder({"object": object_name, "message": message, **payload}), status_code=http_status
    )


def paginated(
    object_name: str, message: str, key: str, items: list[Any], page: int, limit: int, total: int, **extra: Any
) -> JSONResponse:
    total_pages = (math.ceil(total / limit) or 1) if limit else 1
    return success(
        object_name,
        message,
        page=page,
        limit=limit,
        total_record=total,
        total_pages=total_pages,
        **({key: items} | extra),
    )


def error_type(status: int) -> str:
    """budapp's quirky error type: the status phrase without spaces + 'error'."""
    return HTTPStatus(status).phrase.replace(" ", "").replace("-", "") + "error"


def error_response(status: int, message: str) -> JSONResponse:
    """The ErrorResponse envelope: ``code`` is serialised and equals the status."""
    return JSONResponse(
        {"object": "error", "code": status, "message": message, "type": error_type(status), "param": None},
        status_code=status,
    )


def detail(status: int, text: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": text}, status_code=status, headers=headers)


class ClientException(Exception):
    """Raised by data access; routes that do not catch it get the global handler's shape."""

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


def install_client_exception_handler(app: FastAPI) -> None:
    @app.exception_handler(ClientException)
    async def _handle(_: Request, exc: ClientException) -> JSONResponse:
        return JSONResponse(
            {"success": False, "message": exc.message, "detail": f"ClientException: {exc.message}"},
            status_code=exc.status_code,
        )
