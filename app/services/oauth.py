"""The authorization server (oauth.md §5.3-§6.5): authorize-request checks, approval into a grant
and a code, the code and refresh-token exchanges with rotation and replay detection, and token
revocation. Codes and tokens are stored as digests; single use rests on atomic updates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from app.domain.clock import utc_now
from app.domain.oauth_errors import (
    OAuthError,
    invalid_grant,
    invalid_request,
    invalid_scope,
    invalid_target,
)
from app.domain.oauth_records import (
    AccessTokenRecord,
    AuthorizationCode,
    Grant,
    OAuthClient,
    RefreshTokenRecord,
)
from app.domain.oauth_secrets import (
    is_access_token,
    is_refresh_token,
    new_access_token,
    new_code,
    new_refresh_token,
    secret_digest,
)
from app.domain.pkce import is_challenge, verifies
from app.domain.record import record
from app.domain.redirect_uris import find_match
from app.domain.scopes import DEFAULT, OFFLINE, InvalidScope, parse_scope, render_scope
from app.services.grants import GrantService
from app.services.oauth_clients import ClientRegistry
from app.storage.protocols import Storage

CODE_LIFETIME = timedelta(seconds=120)
ACCESS_TOKEN_LIFETIME = timedelta(seconds=3600)
REFRESH_IDLE_LIFETIME = timedelta(days=30)
REFRESH_CHAIN_LIFETIME = timedelta(days=180)


class AuthorizeRejected(Exception):
    """§5.3 step 1: no usable client or redirect URI; a 400 page saying which, never a redirect."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AuthorizeRedirectError(Exception):
    """§5.3 step 3: a fault reported back to the client at its redirect URI."""

    def __init__(self, redirect_to: str, error: str, description: str) -> None:
        super().__init__(description)
        self.redirect_to = redirect_to  # the redirect URI with error, description, state, iss
        self.error = error
        self.description = description


class NotAMember(Exception):
    """Approval for a workspace the user has no role in."""


@record
class AuthorizationRequest:
    """A checked authorization request, ready for the consent page."""

    client: OAuthClient
    redirect_uri: str
    scope: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    resource: str | None

    def form_fields(self) -> dict[str, str]:
        """The request as parameters, to carry through the consent form and check again."""
        fields = {
            "response_type": "code",
            "client_id": self.client.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": render_scope(self.scope),
            "state": self.state,
            "code_challenge": self.code_challenge,
            "code_challenge_method": self.code_challenge_method,
            "resource": self.resource,
        }
        return {name: value for name, value in fields.items() if value is not None}


@record
class TokenResponse:
    access_token: str
    scope: tuple[str, ...]
    expires_in: int
    refresh_token: str | None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": render_scope(self.scope),
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        return body


def add_query(uri: str, params: dict[str, str]) -> str:
    """Append parameters, joined with `&` when the URI already has a query."""
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


def _single(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    """One value, or None when absent or empty; AuthorizeRepeated when sent twice."""
    values = params.get(name) or []
    if len(values) > 1:
        raise _Repeated(name)
    return values[0] if values and values[0] != "" else None


class _Repeated(Exception):
    pass


class AuthorizationServer:
    def __init__(self, storage: Storage, issuer: str, extra_resources: Sequence[str] = ()) -> None:
        self._storage = storage
        self._issuer = issuer
        self._clients = ClientRegistry(storage)
        self._grants = GrantService(storage)
        self._resources = {issuer, *(r.rstrip("/") for r in extra_resources)}

    @property
    def issuer(self) -> str:
        return self._issuer

    def accepts_resource(self, resource: str | None) -> bool:
        return resource is None or resource.rstrip("/") in self._resources

    def _resource(self, sent: str | None) -> str | None:
        """The canonical resource a request names (trailing slash tolerated), or None."""
        if sent is None:
            return None
        canonical = sent.rstrip("/") if sent.rstrip("/") in self._resources else None
        if canonical is None:
            raise invalid_target()
        return canonical

    # --- the authorization endpoint (§5.3) ---

    async def client_for_request(
        self, params: Mapping[str, Sequence[str]]
    ) -> tuple[OAuthClient, str]:
        """Step 1: the client and its registered redirect URI, or AuthorizeRejected."""
        try:
            client_id = _single(params, "client_id")
            redirect_uri = _single(params, "redirect_uri")
        except _Repeated as exc:
            raise AuthorizeRejected(f"The {exc} parameter is repeated.") from exc
        if client_id is None:
            raise AuthorizeRejected("The client_id parameter is missing.")
        client = await self._clients.get(client_id)
        if client is None:
            raise AuthorizeRejected("The client_id is not a registered client.")
        if redirect_uri is None:
            raise AuthorizeRejected("The redirect_uri parameter is missing.")
        if not find_match(list(client.redirect_uris), redirect_uri):
            raise AuthorizeRejected("The redirect_uri is not registered for this client.")
        return client, redirect_uri

    def error_redirect(
        self, redirect_uri: str, state: str | None, error: str, description: str
    ) -> str:
        params = {"error": error, "error_description": description}
        if state is not None:
            params["state"] = state
        params["iss"] = self._issuer
        return add_query(redirect_uri, params)

    def code_redirect(self, request: AuthorizationRequest, code: str) -> str:
        params = {"code": code}
        if request.state is not None:
            params["state"] = request.state
        params["iss"] = self._issuer
        return add_query(request.redirect_uri, params)

    def check_request(
        self, client: OAuthClient, redirect_uri: str, params: Mapping[str, Sequence[str]]
    ) -> AuthorizationRequest:
        """Step 3 (after the session check): every other fault, as AuthorizeRedirectError."""
        state_values = params.get("state") or []
        state = state_values[0] if len(state_values) == 1 and state_values[0] else None

        def fail(error: str, description: str) -> AuthorizeRedirectError:
            return AuthorizeRedirectError(
                self.error_redirect(redirect_uri, state, error, description), error, description
            )

        names = (
            "response_type",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
            "resource",
        )
        try:
            values = {name: _single(params, name) for name in names}
        except _Repeated as exc:
            raise fail("invalid_request", f"The {exc} parameter is repeated.") from exc
        response_type = values["response_type"]
        if response_type is None:
            raise fail("invalid_request", "The response_type parameter is missing.")
        if response_type != "code":
            raise fail("unsupported_response_type", "Only response_type=code is supported.")
        challenge, method = values["code_challenge"], values["code_challenge_method"]
        if challenge is None:
            if client.require_pkce:
                raise fail("invalid_request", "PKCE is required: send an S256 code_challenge.")
            method = None  # a PKCE-exempt client's lone method is ignored
        else:
            if method != "S256":
                raise fail("invalid_request", "code_challenge_method must be S256.")
            if not is_challenge(challenge):
                raise fail("invalid_request", "code_challenge must be 43 base64url characters.")
        try:
            scope = parse_scope(values["scope"], client.scope or DEFAULT)
        except InvalidScope as exc:
            raise fail("invalid_scope", "The requested scope is invalid or unknown.") from exc
        try:
            resource = self._resource(values["resource"])
        except OAuthError as exc:
            raise fail("invalid_target", "The resource is not served here.") from exc
        return AuthorizationRequest(client, redirect_uri, scope, state, challenge, method, resource)

    async def approve(
        self, user_id: str, workspace_id: str, request: AuthorizationRequest
    ) -> tuple[Grant, str]:
        """Consent given: the grant (created or its scope updated) and a fresh code."""
        if await self._storage.memberships.get(workspace_id, user_id) is None:
            raise NotAMember(workspace_id)
        now = utc_now()
        grant = await self._storage.grants.approve(
            user_id, workspace_id, request.client.client_id, request.scope, now
        )
        code = new_code()
        await self._storage.codes.insert(
            AuthorizationCode(
                digest=secret_digest(code),
                grant_id=grant.id,
                client_id=request.client.client_id,
                user_id=user_id,
                workspace_id=workspace_id,
                redirect_uri=request.redirect_uri,
                scope=request.scope,
                code_challenge=request.code_challenge,
                resource=request.resource,
                expires_at=now + CODE_LIFETIME,
            )
        )
        return grant, code

    # --- the token endpoint (§6) ---

    async def _grant_still_valid(self, grant_id: str, user_id: str, workspace_id: str) -> bool:
        if await self._storage.grants.get(grant_id) is None:
            return False
        user = await self._storage.users.get(user_id)
        if user is None or user.disabled:
            return False
        return await self._storage.memberships.get(workspace_id, user_id) is not None

    async def _issue(
        self,
        client: OAuthClient,
        *,
        grant_id: str,
        user_id: str,
        workspace_id: str,
        access_scope: tuple[str, ...],
        refresh_scope: tuple[str, ...],
        resource: str | None,
        chain_expires_at: datetime | None,
        now: datetime,
    ) -> TokenResponse:
        access = new_access_token()
        await self._storage.access_tokens.insert(
            AccessTokenRecord(
                secret_digest(access),
                grant_id,
                client.client_id,
                user_id,
                workspace_id,
                access_scope,
                resource,
                now + ACCESS_TOKEN_LIFETIME,
            )
        )
        refresh = None
        if OFFLINE in refresh_scope and "refresh_token" in client.grant_types:
            refresh = new_refresh_token()
            chain_end = chain_expires_at or now + REFRESH_CHAIN_LIFETIME
            await self._storage.refresh_tokens.insert(
                RefreshTokenRecord(
                    secret_digest(refresh),
                    grant_id,
                    client.client_id,
                    user_id,
                    workspace_id,
                    refresh_scope,
                    resource,
                    min(now + REFRESH_IDLE_LIFETIME, chain_end),
                    chain_end,
                )
            )
        await self._storage.grants.touch(grant_id, now)
        if client.last_token_at is None:
            await self._storage.oauth_clients.mark_token_issued(client.client_id, now)
        return TokenResponse(
            access, access_scope, int(ACCESS_TOKEN_LIFETIME.total_seconds()), refresh
        )

    async def exchange_code(
        self,
        client: OAuthClient,
        code: str | None,
        redirect_uri: str | None,
        code_verifier: str | None,
        resource: str | None,
    ) -> TokenResponse:
        if code is None:
            raise invalid_request("The code parameter is missing.")
        now = utc_now()
        spent = await self._storage.codes.spend(secret_digest(code), client.client_id, now)
        if spent is None:
            raise invalid_grant("The code is invalid, expired or another client's.")
        record, first = spent
        pkce_ok = record.code_challenge is None or (
            code_verifier is not None and verifies(record.code_challenge, code_verifier)
        )
        if not first:
            # RFC 6749 §4.1.2 / RFC 9700 §4.5: a code presented twice may be stolen; the
            # tokens issued from it end. Only a replay that proves possession revokes.
            if record.tokens_issued and pkce_ok:
                await self._grants.revoke(record.grant_id)
            raise invalid_grant("The code was already used.")
        if redirect_uri is not None and redirect_uri != record.redirect_uri:
            raise invalid_grant("The redirect_uri differs from the authorization request's.")
        if record.code_challenge is None and code_verifier is not None:
            raise invalid_grant("The code was issued without a code_challenge.")
        if not pkce_ok:
            raise invalid_grant("The code_verifier does not match the code_challenge.")
        self._check_same_resource(resource, record.resource)
        if not await self._grant_still_valid(record.grant_id, record.user_id, record.workspace_id):
            raise invalid_grant()
        response = await self._issue(
            client,
            grant_id=record.grant_id,
            user_id=record.user_id,
            workspace_id=record.workspace_id,
            access_scope=record.scope,
            refresh_scope=record.scope,
            resource=record.resource,
            chain_expires_at=None,
            now=now,
        )
        await self._storage.codes.mark_tokens_issued(record.digest)
        return response

    def _check_same_resource(self, sent: str | None, granted: str | None) -> None:
        """A `resource` at the token endpoint must be the one the code was issued for."""
        if sent is not None and (granted is None or self._resource(sent) != granted):
            raise invalid_target()

    async def refresh(
        self,
        client: OAuthClient,
        refresh_token: str | None,
        scope: str | None,
        resource: str | None,
    ) -> TokenResponse:
        if refresh_token is None:
            raise invalid_request("The refresh_token parameter is missing.")
        if "refresh_token" not in client.grant_types:
            raise OAuthError("unauthorized_client", "This client may not use refresh tokens.")
        now = utc_now()
        digest = secret_digest(refresh_token)
        record = await self._storage.refresh_tokens.get(digest, now)
        if record is None or record.client_id != client.client_id:
            raise invalid_grant("The refresh token is invalid, expired or revoked.")
        if record.retired_at is not None:
            await self._grants.revoke(record.grant_id)  # a rotated token came back: stolen
            raise invalid_grant("The refresh token was already used.")
        access_scope = record.scope
        if scope is not None:
            try:
                asked = parse_scope(scope)
            except InvalidScope as exc:
                raise invalid_scope() from exc
            if not set(asked) <= set(record.scope):
                raise invalid_scope("The scope exceeds the refresh token's.")
            access_scope = asked
        self._check_same_resource(resource, record.resource)
        if not await self._grant_still_valid(record.grant_id, record.user_id, record.workspace_id):
            raise invalid_grant()
        if await self._storage.refresh_tokens.retire(digest, client.client_id, now) is None:
            # Another request rotated it first: the same token used twice.
            await self._grants.revoke(record.grant_id)
            raise invalid_grant("The refresh token was already used.")
        return await self._issue(
            client,
            grant_id=record.grant_id,
            user_id=record.user_id,
            workspace_id=record.workspace_id,
            access_scope=access_scope,
            refresh_scope=record.scope,
            resource=record.resource,
            chain_expires_at=record.chain_expires_at,
            now=now,
        )

    async def revoke_token(self, client: OAuthClient, token: str | None) -> None:
        """RFC 7009: an access token ends alone, a refresh token ends its grant; anything else
        (unknown, another client's, an API key) is left alone."""
        if token is None:
            raise invalid_request("The token parameter is missing.")
        digest = secret_digest(token)
        if is_access_token(token):
            await self._storage.access_tokens.delete(digest, client.client_id)
        elif is_refresh_token(token):
            record = await self._storage.refresh_tokens.get(digest, utc_now())
            if record is not None and record.client_id == client.client_id:
                await self._grants.revoke(record.grant_id)
