"""One JSON error shape for every 4xx/5xx: ``{status, error, message, errors: [{path, message}]}``."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from enishi.schema_validation import SchemaProblem

log = logging.getLogger("enishi.api")


class ApiError(HTTPException):
    """An error with a machine-readable code and, where it concerns input, the paths of the bad fields."""

    def __init__(
        self,
        status_code: int,
        error: str,
        message: str,
        errors: Sequence[SchemaProblem | dict[str, str]] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail=message, status_code=status_code, headers=headers)
        self.error = error
        self.errors = [e.as_dict() if isinstance(e, SchemaProblem) else e for e in errors]


def not_found(what: str = "record") -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def invalid(
    errors: Sequence[SchemaProblem | dict[str, str]], message: str = "入力内容に誤りがあります / invalid input"
) -> ApiError:
    return ApiError(422, "invalid", message, errors)


def _body(status: int, error: str, message: str, errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"status": status, "error": error, "message": message, "errors": errors}


_NAMED_FIELD = re.compile(r"(?:missing required|contains unknown) field `([^`]+)`")


def _validation_errors(extra: Any) -> list[dict[str, Any]]:
    out = []
    for item in extra if isinstance(extra, list) else []:
        if not isinstance(item, dict):
            continue
        key = str(item.get("key") or "")
        source = getattr(item.get("source"), "value", item.get("source"))  # Litestar hands a ParamType enum
        message = str(item.get("message", ""))
        if source in (None, "body"):
            path = "$" if key in ("", "data") else "$." + key  # "data" is the handler's name for the whole body
            missing = _NAMED_FIELD.search(message)
            if missing:  # point at the missing or unknown field itself, not at the object around it
                path += "." + missing.group(1)
        else:
            path = f"{source}:{key}"
        out.append({"path": path, "message": message})
    return out


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ApiError):
        body = _body(exc.status_code, exc.error, exc.detail, exc.errors)
    elif isinstance(exc, ValidationException):
        errors = _validation_errors(exc.extra)
        message = errors[0]["message"] if len(errors) == 1 else "入力内容に誤りがあります / invalid input"
        body = _body(exc.status_code, "invalid", message, errors)
    elif isinstance(exc, NotFoundException):
        body = _body(404, "not_found", "not found", [])
    else:
        body = _body(exc.status_code, _code(exc.status_code), exc.detail, [])
    return Response(body, status_code=exc.status_code, media_type=MediaType.JSON, headers=exc.headers)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return Response(
        _body(500, "internal", "internal error", []),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=MediaType.JSON,
    )


def _code(status: int) -> str:
    return {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        429: "too_many_requests",
    }.get(status, "error")
