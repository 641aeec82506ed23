"""OAuth clients: registration (RFC 7591 and the admin's), lookup and client authentication."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from app.domain.clock import utc_now
from app.domain.oauth_errors import OAuthError, invalid_client
from app.domain.oauth_records import OAuthClient
from app.domain.oauth_secrets import (
    is_client_id,
    is_client_secret,
    new_client_id,
    new_client_secret,
    secret_digest,
)
from app.domain.record import record
from app.domain.redirect_uris import InvalidRedirectUri, check_redirect_uris
from app.domain.scopes import InvalidScope, parse_scope
from app.services.grants import GrantService
from app.storage.protocols import DuplicateClientId, Storage

UNUSED_DYNAMIC_CLIENT_LIFETIME = timedelta(days=30)
AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post")
GRANT_TYPES = ("authorization_code", "refresh_token")
MAX_NAME = 100


class ClientAdminError(ValueError):
    """A refused admin action on clients; the message says why."""


@record
class RegisteredClient:
    client: OAuthClient
    secret: str | None  # shown once


@record
class ClientCredentials:
    """What the token or revocation request carried to identify its client."""

    client_id: str | None
    secret: str | None
    basic: bool  # sent as an Authorization: Basic header


def _metadata_error(description: str) -> OAuthError:
    return OAuthError("invalid_client_metadata", description)


class ClientRegistry:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def get(self, client_id: str) -> OAuthClient | None:
        if not client_id or len(client_id) > 64:
            return None
        return await self._storage.oauth_clients.get(client_id, utc_now())

    async def register_dynamic(self, metadata: dict[str, Any]) -> RegisteredClient:
        """RFC 7591 registration; OAuthError in the RFC's error vocabulary."""
        try:
            redirect_uris = check_redirect_uris(metadata.get("redirect_uris"))
        except InvalidRedirectUri as exc:
            raise OAuthError("invalid_redirect_uri", f"Invalid redirect_uris: {exc}.") from exc
        method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
        if method not in AUTH_METHODS:
            raise _metadata_error("token_endpoint_auth_method is not supported.")
        grant_types = metadata.get("grant_types", list(GRANT_TYPES))
        if (
            not isinstance(grant_types, list)
            or "authorization_code" not in grant_types
            or not set(grant_types) <= set(GRANT_TYPES)
        ):
            raise _metadata_error(
                "grant_types must be authorization_code, optionally refresh_token."
            )
        if metadata.get("response_types", ["code"]) != ["code"]:
            raise _metadata_error('response_types must be ["code"].')
        name = metadata.get("client_name")
        if name is None:
            name = urlsplit(redirect_uris[0]).hostname or "unnamed"
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= MAX_NAME:
            raise _metadata_error(f"client_name must be 1-{MAX_NAME} characters.")
        scope = metadata.get("scope")
        if scope is not None:
            if not isinstance(scope, str):
                raise _metadata_error("scope must be a string.")
            try:
                scope = parse_scope(scope)
            except InvalidScope as exc:
                raise _metadata_error("scope is invalid.") from exc
        secret = None if method == "none" else new_client_secret()
        now = utc_now()
        client = OAuthClient(
            client_id=new_client_id(),
            name=name.strip(),
            redirect_uris=tuple(redirect_uris),
            secret_digest=None if secret is None else secret_digest(secret),
            require_pkce=True,
            scope=scope,
            grant_types=tuple(g for g in GRANT_TYPES if g in grant_types),
            token_endpoint_auth_method=method,
            dynamic=True,
            created_at=now,
        )
        await self._storage.oauth_clients.create(client, now + UNUSED_DYNAMIC_CLIENT_LIFETIME)
        return RegisteredClient(client, secret)

    async def create(
        self,
        *,
        name: str,
        redirect_uris: list[str],
        public: bool = False,
        require_pkce: bool = True,
        scope: str | None = None,
        client_id: str | None = None,
        secret: str | None = None,
    ) -> RegisteredClient:
        """An administrator's client (CLI, BOOTSTRAP_FILE); ClientAdminError when refused."""
        if client_id is not None and not is_client_id(client_id):
            raise ClientAdminError("clientId must be 3-64 of A-Za-z0-9._~-")
        if not 1 <= len(name.strip()) <= MAX_NAME:
            raise ClientAdminError(f"a client name has 1-{MAX_NAME} characters")
        try:
            uris = check_redirect_uris(redirect_uris)
        except InvalidRedirectUri as exc:
            raise ClientAdminError(str(exc)) from exc
        if public and secret is not None:
            raise ClientAdminError("a public client has no secret")
        if not public and secret is None:
            secret = new_client_secret()
        if secret is not None and not is_client_secret(secret):
            raise ClientAdminError("a client secret is 'tpcs_' + at least 32 URL-safe characters")
        if not require_pkce and secret is None:
            raise ClientAdminError("only a confidential client may skip PKCE")
        try:
            parsed_scope = None if scope is None else parse_scope(scope)
        except InvalidScope as exc:
            raise ClientAdminError(f"invalid scope: {exc}") from exc
        client = OAuthClient(
            client_id=client_id or new_client_id(),
            name=name.strip(),
            redirect_uris=tuple(uris),
            secret_digest=None if secret is None else secret_digest(secret),
            require_pkce=require_pkce,
            scope=parsed_scope,
            grant_types=GRANT_TYPES,
            token_endpoint_auth_method="none" if secret is None else "client_secret_basic",
            dynamic=False,
            created_at=utc_now(),
        )
        try:
            await self._storage.oauth_clients.create(client, None)
        except DuplicateClientId as exc:
            raise ClientAdminError(f"client {client.client_id} already exists") from exc
        return RegisteredClient(client, secret)

    async def list(self) -> list[OAuthClient]:
        return await self._storage.oauth_clients.list_all(utc_now())

    async def delete(self, client_id: str) -> int | None:
        """Delete the client and revoke its grants: how many; None if there is no such client."""
        if not await self._storage.oauth_clients.delete(client_id):
            return None
        return await GrantService(self._storage).revoke_for_client(client_id)

    async def authenticate(self, credentials: ClientCredentials) -> OAuthClient:
        """RFC 6749 §2.3 (oauth.md §6.1); invalid_client for every failure."""
        if not credentials.client_id:
            raise invalid_client("Client authentication is required.")
        client = await self.get(credentials.client_id)
        if client is None:
            raise invalid_client()
        if client.secret_digest is None:
            if credentials.secret is not None:
                raise invalid_client()
            return client
        sent = secret_digest(credentials.secret or "")
        if credentials.secret is None or not hmac.compare_digest(sent, client.secret_digest):
            raise invalid_client()
        return client
