"""``GET /v1/openapi.json``: the API's OpenAPI 3.1 document, generated from the route table
(:data:`applet.service.api.ROUTES`) and the request and answer types (:mod:`.bodies`, :mod:`.answers`,
the store's records): nothing in it is written by hand except the words.

Who may read it: anyone who reaches the service, without a token, like ``/v1/health``. It describes the
shape of the API, which the source and the README already publish; it holds no names, counts or
settings of this service. Programs and tools (code generators, schemathesis) need it before they have a
token, and a token-less fetch is the simplest way to check what a running service speaks.

Each route's error answers follow from what it takes: a token (401, and 403 for an admin route), a body,
query or path parameter (400), a body (413), a name in the path (404), plus the statuses a route adds
itself (:attr:`Route.errors`). Bodies accept fields they do not know (older and newer clients work
with one service); answers name every field they carry (``additionalProperties: false``), so a test
that checks answers against the document notices a field added without its type.
"""

import functools
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

import msgspec
from aiohttp import web

from applet import __version__
from applet.service.api.answers import DoneAnswer, ErrorAnswer
from applet.service.api.bodies import Body
from applet.service.api.http import Handler, encode
from applet.service.tokens import Role

OPENAPI_PATH = "/v1/openapi.json"
JSON = "application/json"

# Why each error status happens, as the document says it.
ERROR_TEXTS = {
    400: "Bad input: a field, parameter or body that does not fit (the message names it).",
    401: "Missing or wrong token (Authorization: Bearer <token>).",
    403: "The operation needs the admin token.",
    404: "No such product, license handle, group, client or route.",
    409: "A rule refused the change (or an idempotency key first used by another caller).",
    413: "The body is larger than the service accepts.",
    429: "A lease cap is reached (the message says which).",
    502: "The master server did not take the replication.",
    503: "The store (or the enterprise database) is unavailable.",
}
SECURITY_SCHEMES = {
    "clientToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The client token (client.token in the service's data folder): license-aware "
        "programs and reading. The admin token is accepted wherever the client token is.",
    },
    "adminToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The admin token (admin.token in the service's data folder): everything.",
    },
}
_PATH_PARAMETER = re.compile(r"{(\w+)}")


class Query(NamedTuple):
    """A query parameter of a route: its name, type (a Python type msgspec can describe) and meaning."""

    name: str
    type: Any
    description: str
    required: bool = False


class Route(NamedTuple):
    """One route: ``role`` is the token it needs (None: no token, for probes and the proof).

    ``body`` is the type of its request body (a :class:`~.bodies.Body`; None: it reads none),
    ``answer`` the type of its 200 answer (a tuple: one of these), ``errors`` the error statuses it adds
    to those that follow from its inputs, and ``content_type`` the media type of its answer.
    """

    method: str
    path: str
    handler: Handler
    role: Role | None
    summary: str
    body: Any = None
    answer: Any = DoneAnswer
    query: tuple[Query, ...] = ()
    errors: tuple[int, ...] = ()
    content_type: str = JSON


def error_statuses(route: Route) -> list[int]:
    """The error statuses ``route`` can answer (see the module's docstring)."""
    statuses = set(route.errors)
    if route.role is not None:
        statuses.add(401)
    if route.role is Role.ADMIN:
        statuses.add(403)
    has_path_parameter = bool(_PATH_PARAMETER.search(route.path))
    if route.body is not None or route.query or has_path_parameter:
        statuses.add(400)
    if route.body is not None:
        statuses.add(413)
    if has_path_parameter:
        statuses.add(404)
    return sorted(statuses)


def build_document(routes: Iterable[Route]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``routes``."""
    routes = tuple(routes)
    # One pass over every type, so that a type used by several routes is one component.
    types: list[Any] = [ErrorAnswer]
    for route in routes:
        types.extend(query.type for query in route.query)
        if route.body is not None:
            types.append(route.body)
        types.extend(route.answer if isinstance(route.answer, tuple) else (route.answer,))
    schemas, components = msgspec.json.schema_components(types, ref_template="#/components/schemas/{name}")
    schema_of = dict(zip(map(_type_key, types), schemas, strict=True))
    bodies = [route.body for route in routes]
    body_names = {body.__name__ for body in bodies if isinstance(body, type) and issubclass(body, Body)}
    for name, component in components.items():
        if component.get("type") == "object" and name not in body_names:
            component["additionalProperties"] = False

    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, schema_of)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "License Logging Service API",
            "version": __version__,
            "description": "The HTTP/JSON API of the License Logging service (lls service run). Errors "
            'are JSON {"error": "...", "status": N}; a denied license is not an error but '
            '200 {"granted": false}.',
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": {
                f"Error{status}": {
                    "description": ERROR_TEXTS[status],
                    "content": {JSON: {"schema": schema_of[_type_key(ErrorAnswer)]}},
                }
                for status in sorted({status for route in routes for status in error_statuses(route)})
            },
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def _operation(route: Route, schema_of: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": _operation_id(route),
        "summary": route.summary,
        "security": _security(route.role),
    }
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in _PATH_PARAMETER.findall(route.path)
    ]
    parameters += [
        {
            "name": query.name,
            "in": "query",
            "required": query.required,
            "description": query.description,
            "schema": schema_of[_type_key(query.type)],
        }
        for query in route.query
    ]
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        operation["requestBody"] = {
            "required": False,  # an empty body is the empty object
            "content": {JSON: {"schema": schema_of[_type_key(route.body)]}},
        }
    answers = route.answer if isinstance(route.answer, tuple) else (route.answer,)
    answer_schemas = [schema_of[_type_key(answer)] for answer in answers]
    answer_schema = answer_schemas[0] if len(answer_schemas) == 1 else {"anyOf": answer_schemas}
    responses: dict[str, Any] = {"200": {"description": "OK", "content": {route.content_type: {}}}}
    if route.content_type == JSON:
        responses["200"]["content"][JSON]["schema"] = answer_schema
    else:
        responses["200"]["content"][route.content_type]["schema"] = {"type": "string"}
    for status in error_statuses(route):
        responses[str(status)] = {"$ref": f"#/components/responses/Error{status}"}
    operation["responses"] = responses
    return operation


def _security(role: Role | None) -> list[dict[str, list[str]]]:
    if role is None:
        return []
    if role is Role.ADMIN:
        return [{"adminToken": []}]
    return [{"clientToken": []}, {"adminToken": []}]


def _operation_id(route: Route) -> str:
    words = re.sub(r"[{}]", "", route.path.removeprefix("/v1/")).replace(".", "_")
    return f"{route.method.lower()}_" + re.sub(r"\W+", "_", words).strip("_")


def _type_key(kind: Any) -> str:
    # Types such as list[X] or Annotated[int, Meta(...)] are equal but not always identical: key by repr.
    return repr(kind)


@functools.cache
def document_bytes(routes: tuple[Route, ...]) -> bytes:
    """The document as JSON, made once per route table (it depends on the code only)."""
    return encode(build_document(routes))


def serve_document(routes: tuple[Route, ...]) -> Handler:
    """The handler of ``GET /v1/openapi.json`` for ``routes`` (the table it is itself part of)."""

    async def openapi_document(request: web.Request) -> web.Response:
        return web.Response(body=document_bytes(routes), content_type=JSON)

    return openapi_document
