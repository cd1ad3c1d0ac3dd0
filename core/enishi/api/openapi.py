"""The OpenAPI document tells the truth about errors: every operation lists the statuses it can answer with the one
error shape of :mod:`enishi.api.errors`, worked out from how the route is mounted (authentication, guards, path
parameters, a body), for core and plugin routes alike, so no route has to say it by hand.

A route that can answer more than these rules see (a throttle, a content-type check) names the extra statuses in
``opt={"errors": (429,)}`` (or ``errors=(429,)`` on the decorator).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.constants import RESERVED_KWARGS
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, DefineMiddleware
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import BodyKwarg, DependencyKwarg
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

from enishi.audit import UNSAFE_METHODS


class ErrorItem(msgspec.Struct):
    path: str  # ``$.field`` for the body, ``query:name`` / ``path:name`` for parameters
    message: str


class Error(msgspec.Struct):
    """Every 4xx/5xx answer: ``{status, error, message, errors}``."""

    status: int
    error: str
    message: str
    errors: list[ErrorItem]


DESCRIPTIONS = {
    400: "Malformed request: a parameter or body that does not parse",
    401: "Not signed in (no or an expired session, or a wrong API token)",
    403: "Forbidden: a permission the caller lacks, or a missing CSRF token",
    404: "No such record, or one in a workspace the caller cannot see",
    409: "Conflicts with the current state of the record",
    413: "Request body too large",
    415: "Unsupported Content-Type",
    422: "Invalid input; errors names the fields",
    429: "Too many attempts; Retry-After says when to try again",
    500: "Internal error",
}


def _authenticated(handler: HTTPRouteHandler) -> bool:
    if handler.opt.get("exclude_from_auth"):
        return False
    for middleware in handler.resolve_middleware():
        cls = middleware.middleware if isinstance(middleware, DefineMiddleware) else middleware
        if isinstance(cls, type) and issubclass(cls, AbstractAuthenticationMiddleware):
            return True
    return False


def _takes_input(handler: HTTPRouteHandler, path_parameters: set[str]) -> tuple[bool, bool]:
    """(has a body, has query/path parameters)."""
    dependencies = handler.resolve_dependencies()
    body, params = False, bool(path_parameters)
    for name, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        if name == "data" or isinstance(kwarg, BodyKwarg):
            body = True
        elif name in RESERVED_KWARGS or name in dependencies or isinstance(kwarg, DependencyKwarg):
            continue
        else:
            params = True
    return body, params


def error_statuses(handler: HTTPRouteHandler, path_parameters: set[str]) -> set[int]:
    methods = set(handler.http_methods)
    unsafe = bool(methods & set(UNSAFE_METHODS))
    body, params = _takes_input(handler, path_parameters)
    statuses = {400, 500}
    if _authenticated(handler):
        statuses |= {401, 403}  # 403: a guard's permission, or the CSRF token of a cookie session
    if handler.resolve_guards():
        statuses.add(403)  # a role, a permission, a content type the guard refuses
    if path_parameters:
        statuses.add(404)  # no such record, or a workspace (or its plugin) the caller cannot see
    if unsafe:
        statuses.add(409)
    if body:
        statuses.add(413)
    if body or params:
        statuses.add(422)
    statuses |= set(handler.opt.get("errors", ()))
    return statuses


class ErrorResponsesPlugin(ReceiveRoutePlugin):
    """Adds the error responses to each HTTP route's handlers as they are registered (before the document is
    built); a status a handler documents itself is left as it is."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        path_parameters = set(route.path_parameters)
        for handler in route.route_handlers:
            own: dict[int, Any] = dict(handler.responses or {})
            for status in sorted(error_statuses(handler, path_parameters)):
                own.setdefault(
                    status,
                    ResponseSpec(
                        data_container=Error,
                        generate_examples=False,
                        description=DESCRIPTIONS.get(status, "Error"),
                    ),
                )
            handler.responses = own
