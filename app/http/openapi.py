"""OpenAPI 3.1 document assembled with apispec from the same pydantic models the handlers use."""

from __future__ import annotations

import json
from typing import Any, Literal

from apispec import APISpec
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.http.routes import ROUTES, PathParam, Reply, Route

REF = "#/components/schemas/{model}"

HEADER_DOCS: dict[str, dict[str, Any]] = {
    "X-Request-Id": {
        "description": "Request id (echoes a sane client value, else generated).",
        "schema": {"type": "string"},
    },
    "Location": {
        "description": "Where the created resource is, or where the browser goes next.",
        "schema": {"type": "string"},
    },
    "Set-Cookie": {
        "description": "The browser session `tp_session` (HttpOnly; SameSite=Lax; Path=/).",
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": 'Remaining writes today: `"writes";r=<remaining>;t=<seconds to reset>`.',
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": 'Daily write quota: `"writes";q=<limit>;w=86400`.',
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    },
    "WWW-Authenticate": {
        "description": 'On `/api/v1`: `Bearer realm="api"`, with `error="invalid_token"` when a '
        'credential was rejected, `error="insufficient_scope", scope="..."` on a scope 403, and '
        'always `resource_metadata` (RFC 9728). On the token endpoint: `Basic realm="oauth"` '
        "when Basic client credentials failed.",
        "schema": {"type": "string"},
    },
    "Pragma": {"description": "`no-cache`.", "schema": {"type": "string"}},
    "ETag": {"description": "Entity tag of the image bytes.", "schema": {"type": "string"}},
    "Cache-Control": {
        "description": "Images: `public, max-age=31536000, immutable`; published passport "
        "pages: `public, max-age=60`; resolver notices and OAuth tokens: `no-store`.",
        "schema": {"type": "string"},
    },
    "Vary": {
        "description": "`Accept`: the representation depends on it.",
        "schema": {"type": "string"},
    },
    "Link": {
        "description": 'The linkset: `<…?linkType=linkset>; rel="linkset"; '
        'type="application/linkset+json"`.',
        "schema": {"type": "string"},
    },
    "Content-Security-Policy": {
        "description": "`default-src 'none'; img-src * data:; style-src 'unsafe-inline'` "
        "(no scripts).",
        "schema": {"type": "string"},
    },
    "X-Content-Type-Options": {"description": "`nosniff`.", "schema": {"type": "string"}},
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response of an earlier request.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}


def _models() -> list[tuple[type[BaseModel], Literal["validation", "serialization"]]]:
    found: dict[type[BaseModel], Literal["validation", "serialization"]] = {}
    for route in ROUTES:
        if route.body is not None:
            found.setdefault(route.body, "validation")
        for reply in route.replies.values():
            if reply.model is not None:
                found.setdefault(reply.model, "serialization")
            for _, model in reply.alternatives:
                if model is not None:
                    found.setdefault(model, "serialization")
    return list(found.items())


def _schema(media_type: str, model: type[BaseModel] | None) -> dict[str, Any]:
    if model is not None:
        return {"$ref": REF.format(model=model.__name__)}
    if media_type.startswith("text/") or media_type.endswith("+xml"):
        return {"type": "string"}
    return {}  # binary


def _content(reply: Reply) -> dict[str, Any]:
    if reply.alternatives:
        return {media: {"schema": _schema(media, model)} for media, model in reply.alternatives}
    if isinstance(reply.content_type, tuple):  # binary alternatives (images)
        return {media: {"schema": {}} for media in reply.content_type}
    if reply.content_type in ("text/html", "text/plain"):
        return {reply.content_type: {"schema": {"type": "string"}}}
    schema: dict[str, Any] = (
        {"$ref": REF.format(model=reply.model.__name__)} if reply.model else {"type": "object"}
    )
    return {reply.content_type: {"schema": schema}}


def _path_parameter(param: PathParam) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if param.pattern is not None:
        schema["pattern"] = param.pattern
    return {
        "name": param.name,
        "in": "path",
        "required": True,
        "description": param.description,
        "schema": schema,
    }


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": prop,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _operation(route: Route) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary,
        "tags": [route.tag],
        "responses": {},
    }
    if route.description:
        operation["description"] = route.description
    if route.authenticated:
        rule = route.access_rule
        operation["security"] = [{"bearerAuth": []}, {"oauth2": [rule.scope]}]
        operation["x-required-role"] = rule.least_role
    else:
        operation["security"] = []
    parameters: list[Any] = [_path_parameter(param) for param in route.path_params]
    if route.query is not None:
        parameters.extend(_query_parameters(route.query))
    if route.idempotent:
        parameters.append("IdempotencyKey")
    if route.authenticated:
        parameters.extend(("Source", "TracePassSource"))
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        operation["requestBody"] = {
            "required": not route.optional_body,
            "content": {
                route.body_media_type: {"schema": {"$ref": REF.format(model=route.body.__name__)}}
            },
        }
    for status, reply in sorted(route.replies.items()):
        headers = {name: HEADER_DOCS[name] for name in ("X-Request-Id", *reply.headers)}
        if route.idempotent and (200 <= status < 300 or status in (404, 409)):
            headers["Idempotent-Replayed"] = HEADER_DOCS["Idempotent-Replayed"]
        response: dict[str, Any] = {"description": reply.description, "headers": headers}
        content = _content(reply)
        if content:
            response["content"] = content
        if reply.links:
            response["links"] = reply.links
        operation["responses"][str(status)] = response
    return operation


def build_openapi() -> dict[str, Any]:
    spec = APISpec(
        title="Product catalogue API (TracePass v1 compatible)",
        version="1.0.0",
        openapi_version="3.1.0",
        info={
            "description": "Register products (SKUs) per regulatory category so Digital Product "
            "Passports can be issued per serialised unit. Authenticate with "
            "`Authorization: Bearer tp_...`.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        servers=[{"url": "/"}],
    )
    _, schemas = models_json_schema(_models(), ref_template=REF)
    for name, schema in schemas.get("$defs", {}).items():
        spec.components.schema(name, schema)
    spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "An API key: `tp_` + 32+ characters."},
    )
    spec.components.security_scheme(
        "oauth2",
        {
            "type": "oauth2",
            "description": "An OAuth access token (`tpat_...`) acting for a person: the token's "
            "scope and the person's current workspace role (`x-required-role`: viewer < editor "
            "< admin < owner) both apply. Authorization code with PKCE (S256); metadata at "
            "`/.well-known/oauth-authorization-server`.",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": "/api/oauth/authorize",
                    "tokenUrl": "/api/oauth/token",
                    "refreshUrl": "/api/oauth/token",
                    "scopes": {
                        "passports:read": "Every GET under /api/v1.",
                        "passports:write": "Every POST, PATCH and DELETE under /api/v1.",
                        "offline_access": "A refresh token.",
                    },
                }
            },
        },
    )
    spec.components.parameter(
        "IdempotencyKey",
        "header",
        {
            "name": "Idempotency-Key",
            "required": False,
            "description": "1-255 printable ASCII characters (a UUID v4 is recommended). "
            "Retries with the same key and body replay the stored response for 24 h.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        },
    )
    spec.components.parameter(
        "Source",
        "header",
        {
            "name": "X-Source",
            "required": False,
            "description": "Optional client identification (TracePass's official clients send "
            "`mcp` or `n8n`), logged as the access log's `source`; wins over "
            "`X-TracePass-Source` when both are sent.",
            "schema": {"type": "string"},
        },
    )
    spec.components.parameter(
        "TracePassSource",
        "header",
        {
            "name": "X-TracePass-Source",
            "required": False,
            "description": "The older name of `X-Source` (e.g. `n8n-node/1.0`), logged as "
            "`source` when `X-Source` is not sent.",
            "schema": {"type": "string"},
        },
    )
    by_path: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        by_path.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def render_openapi() -> bytes:
    return (json.dumps(build_openapi(), indent=2, ensure_ascii=False) + "\n").encode()
