"""Authentication for /api/v1: API keys and OAuth access tokens behind one result (a principal).

The shape routes a bearer credential: `tp_…` is an API key, anything else an access token. A
verified principal is cached in-process for at most `cache_seconds` (≤ 30 s), which bounds how
long a revoked key or grant, a role change or a disabled user takes to be seen on an instance.
The cache holds the credentials that verified, as sent, for that long (at most
MAX_CACHED_CREDENTIALS): in the process's memory, like the requests that carry them.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Literal

from app.domain.api_keys import KEY_PREFIX, is_well_formed, key_digest
from app.domain.clock import utc_now
from app.domain.errors import InsufficientScope, RoleForbidden, Unauthorized
from app.domain.oauth_secrets import is_access_token, secret_digest
from app.domain.record import record
from app.domain.records import Workspace
from app.domain.scopes import render_scope
from app.domain.users import role_allows
from app.storage.protocols import Storage

MAX_CACHED_CREDENTIALS = 10_000


@record
class Principal:
    """Who is calling: the workspace, how it authenticated and, for OAuth, role and scopes."""

    workspace: Workspace
    method: Literal["api_key", "oauth"]
    role: str | None = None  # the user's current role (OAuth only)
    scopes: tuple[str, ...] = ()  # the access token's scopes (OAuth only)
    user_id: str | None = None
    client_id: str | None = None
    expires_at: float | None = None  # the access token's own expiry (epoch seconds)


@record
class AccessRule:
    """What a route needs from an OAuth principal; API keys keep full access (§2.1)."""

    scope: str
    least_role: str


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    return token or None


class Authenticator:
    def __init__(
        self,
        storage: Storage,
        *,
        cache_seconds: float,
        resource_metadata_url: str,
        accepts_resource: Callable[[str | None], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._storage = storage
        self._cache_seconds = cache_seconds
        self._metadata = resource_metadata_url
        self._accepts_resource = accepts_resource
        self._clock = clock
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def _challenge(self, error: str | None = None, scope: str | None = None) -> str:
        parts = ['Bearer realm="api"']
        if error is not None:
            parts.append(f'error="{error}"')
        if scope is not None:
            parts.append(f'scope="{scope}"')
        parts.append(f'resource_metadata="{self._metadata}"')
        return ", ".join(parts)

    def _rejected(self) -> Unauthorized:
        return Unauthorized(self._challenge("invalid_token"))

    async def authenticate(self, authorization: str | None) -> Principal:
        """The caller; the same 401 body for every failure (no oracle), the challenge saying
        whether a credential was sent (§7.4)."""
        token = bearer_token(authorization)
        if token is None:
            raise Unauthorized(self._challenge())
        # Keyed by the credential itself: only a credential that verified gets an entry, and
        # the shape check and digest (about 2 % of a create's server time) run on a miss only.
        now = self._clock()
        cached = self._cache.get(token)
        if cached is not None and cached[1] > now:
            principal = cached[0]
            if principal.expires_at is None or principal.expires_at > time.time():
                return principal
        self._cache.pop(token, None)
        if token.startswith(KEY_PREFIX):
            if not is_well_formed(token):
                raise self._rejected()
            found = await self._api_key_principal(key_digest(token))
        elif is_access_token(token):
            found = await self._access_token_principal(secret_digest(token))
        else:
            raise self._rejected()
        if found is None:
            raise self._rejected()
        self._cache[token] = (found, now + self._cache_seconds)
        self._cache.move_to_end(token)
        while len(self._cache) > MAX_CACHED_CREDENTIALS:
            self._cache.popitem(last=False)
        return found

    async def _api_key_principal(self, digest: str) -> Principal | None:
        record = await self._storage.api_keys.find_by_digest(digest)
        if record is None or record.revoked_at is not None:
            return None
        workspace = await self._storage.workspaces.get(record.workspace_id)
        return None if workspace is None else Principal(workspace, "api_key")

    async def _access_token_principal(self, digest: str) -> Principal | None:
        token = await self._storage.access_tokens.get(digest, utc_now())
        if token is None or not self._accepts_resource(token.resource):
            return None
        grant = await self._storage.grants.get(token.grant_id)
        user = await self._storage.users.get(token.user_id)
        if grant is None or user is None or user.disabled:
            return None
        membership = await self._storage.memberships.get(token.workspace_id, token.user_id)
        workspace = await self._storage.workspaces.get(token.workspace_id)
        if membership is None or workspace is None:
            return None
        # "Last used" for connected apps: written once per verification, not per request.
        await self._storage.grants.touch(grant.id, utc_now())
        return Principal(
            workspace,
            "oauth",
            role=membership.role,
            scopes=token.scope,
            user_id=token.user_id,
            client_id=token.client_id,
            expires_at=token.expires_at.timestamp(),
        )

    def authorize(self, principal: Principal, rule: AccessRule) -> None:
        """Scope, then role (§7.3): InsufficientScope or RoleForbidden; API keys pass."""
        if principal.method == "api_key":
            return
        if rule.scope not in principal.scopes:
            raise InsufficientScope(
                rule.scope,
                list(principal.scopes),
                self._challenge(
                    "insufficient_scope", render_scope([*principal.scopes, rule.scope])
                ),
            )
        role = principal.role or ""
        if not role_allows(role, rule.least_role):
            raise RoleForbidden(role, rule.least_role)
