"""OAuth endpoints: discovery (RFC 8414, RFC 9728), registration (RFC 7591), token (RFC 6749)
and revocation (RFC 7009). Errors use the RFC shape; parse → call a service → respond."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from aiohttp import web

from app.domain.clock import utc_now
from app.domain.errors import RouteNotFound
from app.domain.oauth_errors import OAuthError, invalid_request
from app.domain.scopes import SUPPORTED, render_scope
from app.http.app_keys import SERVICES, SETTINGS
from app.http.models_oauth import (
    AuthorizationServerMetadataOut,
    ProtectedResourceMetadataOut,
    RegisteredClientOut,
    TokenOut,
)
from app.http.responses import json_bytes
from app.services.oauth_clients import ClientCredentials

MAX_BODY_BYTES = 64 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
CORS = {"Access-Control-Allow-Origin": "*"}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache", **CORS}


def _base(request: web.Request) -> str:
    settings = request.app[SETTINGS]
    if not settings.base_is_origin:
        raise RouteNotFound()  # issuer and resource must be an origin (oauth.md §1)
    return settings.base_url


def _json(status: int, body: Any, headers: dict[str, str]) -> web.Response:
    return json_bytes(status, json.dumps(body, separators=(",", ":")).encode(), headers)


def _error_response(error: OAuthError, *, basic: bool = False) -> web.Response:
    headers = dict(NO_STORE)
    if error.error == "invalid_client" and basic:
        headers["WWW-Authenticate"] = 'Basic realm="oauth"'
    return _json(error.status, error.body(), headers)


async def preflight(request: web.Request) -> web.Response:
    """CORS preflight for the public OAuth endpoints (browser-based MCP clients)."""
    _base(request)
    return web.Response(
        status=204,
        headers={
            **CORS,
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Authorization, Content-Type, MCP-Protocol-Version",
            "Access-Control-Max-Age": "86400",
        },
    )


async def authorization_server_metadata(request: web.Request) -> web.Response:
    base = _base(request)
    dcr_open = request.app[SETTINGS].oauth_dcr == "open"
    auth_methods = ["client_secret_basic", "client_secret_post", "none"]
    document = AuthorizationServerMetadataOut(
        issuer=base,
        authorization_endpoint=f"{base}/api/oauth/authorize",
        token_endpoint=f"{base}/api/oauth/token",
        registration_endpoint=f"{base}/api/oauth/register" if dcr_open else None,
        revocation_endpoint=f"{base}/api/oauth/revoke",
        scopes_supported=list(SUPPORTED),
        response_types_supported=["code"],
        response_modes_supported=["query"],
        grant_types_supported=["authorization_code", "refresh_token"],
        token_endpoint_auth_methods_supported=auth_methods,
        revocation_endpoint_auth_methods_supported=auth_methods,
        code_challenge_methods_supported=["S256"],
        authorization_response_iss_parameter_supported=True,
        service_documentation=f"{base}/api/docs",
    )
    return _json(200, document.model_dump(exclude_none=True), CORS)


async def protected_resource_metadata(request: web.Request) -> web.Response:
    base = _base(request)
    document = ProtectedResourceMetadataOut(
        resource=base,
        authorization_servers=[base],
        scopes_supported=list(SUPPORTED),
        bearer_methods_supported=["header"],
        resource_name="Product catalogue API",
        resource_documentation=f"{base}/api/docs",
    )
    return _json(200, document.model_dump(), CORS)


async def _read_limited(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise invalid_request("The body exceeds 64 KiB.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise invalid_request("The body exceeds 64 KiB.")
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_form(request: web.Request) -> dict[str, str]:
    """The form's parameters; empty ones count as absent, a repeated one is invalid_request."""
    if request.content_type != FORM_TYPE:
        raise invalid_request("The body must be application/x-www-form-urlencoded.")
    raw = await _read_limited(request)
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise invalid_request("The body is not a valid form.") from exc
    form: dict[str, str] = {}
    seen: set[str] = set()
    for name, value in pairs:
        if name in seen:
            raise invalid_request("A parameter is repeated.")
        seen.add(name)
        if value != "":
            form[name] = value
    return form


def _client_credentials(request: web.Request, form: dict[str, str]) -> ClientCredentials:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return ClientCredentials(form.get("client_id"), form.get("client_secret"), basic=False)
    if "client_secret" in form:
        raise invalid_request("Use one client authentication method, not two.")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _BasicError() from exc
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise _BasicError()
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    if "client_id" in form and form["client_id"] != client_id:
        raise invalid_request("The client_id differs from the Basic credentials.")
    return ClientCredentials(client_id, secret or None, basic=True)


class _BasicError(OAuthError):
    def __init__(self) -> None:
        super().__init__("invalid_client", "Malformed Basic credentials.", status=401)


TokenAction = Callable[[web.Request, dict[str, str], Any], Awaitable[web.Response]]


async def _client_endpoint(request: web.Request, action: TokenAction) -> web.Response:
    """Form parsing and client authentication shared by the token and revocation endpoints."""
    _base(request)
    basic = request.headers.get("Authorization", "").strip().lower().startswith("basic ")
    try:
        form = await _read_form(request)
        credentials = _client_credentials(request, form)
        client = await request.app[SERVICES].clients.authenticate(credentials)
        return await action(request, form, client)
    except OAuthError as error:
        return _error_response(error, basic=basic)


async def _token_action(request: web.Request, form: dict[str, str], client: Any) -> web.Response:
    server = request.app[SERVICES].oauth
    grant_type = form.get("grant_type")
    if grant_type is None:
        raise invalid_request("The grant_type parameter is missing.")
    if grant_type == "authorization_code":
        issued = await server.exchange_code(
            client,
            form.get("code"),
            form.get("redirect_uri"),
            form.get("code_verifier"),
            form.get("resource"),
        )
    elif grant_type == "refresh_token":
        issued = await server.refresh(
            client, form.get("refresh_token"), form.get("scope"), form.get("resource")
        )
    else:
        raise OAuthError("unsupported_grant_type", "The grant_type is not supported.")
    body = TokenOut.model_validate(issued.body()).model_dump(exclude_none=True)
    return _json(200, body, NO_STORE)


async def token(request: web.Request) -> web.Response:
    return await _client_endpoint(request, _token_action)


async def _revoke_action(request: web.Request, form: dict[str, str], client: Any) -> web.Response:
    await request.app[SERVICES].oauth.revoke_token(client, form.get("token"))
    return web.Response(status=200, headers=NO_STORE)


async def revoke(request: web.Request) -> web.Response:
    return await _client_endpoint(request, _revoke_action)


async def register(request: web.Request) -> web.Response:
    _base(request)
    if request.app[SETTINGS].oauth_dcr != "open":
        raise RouteNotFound()
    services = request.app[SERVICES]
    try:
        if request.content_type != "application/json":
            raise OAuthError("invalid_client_metadata", "The body must be application/json.")
        raw = await _read_limited(request)
        try:
            metadata = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client_metadata", "The body is not valid JSON.") from exc
        if not isinstance(metadata, dict):
            raise OAuthError("invalid_client_metadata", "The body must be a JSON object.")
        retry_after = await services.registrations.reserve(request.remote or "?", utc_now())
        if retry_after is not None:
            error = OAuthError(
                "temporarily_unavailable", "Too many registrations; retry later.", status=429
            )
            response = _error_response(error)
            response.headers["Retry-After"] = str(retry_after)
            return response
        registered = await services.clients.register_dynamic(metadata)
    except OAuthError as error:
        if error.error == "invalid_request":  # the body limit: RFC 7591 names no such code
            error = OAuthError("invalid_client_metadata", error.description)
        return _error_response(error)
    client = registered.client
    out = RegisteredClientOut(
        client_id=client.client_id,
        client_id_issued_at=int(client.created_at.timestamp()),
        client_secret=registered.secret,
        client_secret_expires_at=0 if registered.secret is not None else None,
        redirect_uris=list(client.redirect_uris),
        token_endpoint_auth_method=client.token_endpoint_auth_method,
        grant_types=list(client.grant_types),
        response_types=["code"],
        client_name=client.name,
        scope=None if client.scope is None else render_scope(client.scope),
    )
    return _json(201, out.model_dump(exclude_none=True), NO_STORE)
