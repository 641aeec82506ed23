"""Storage-neutral records for users, memberships and OAuth (oauth.md §0)."""

from __future__ import annotations

from datetime import datetime

from app.domain.record import record


@record
class User:
    id: str
    email: str
    password_hash: str
    disabled: bool
    # Raised by a password change or a disable: browser sessions carrying an older value end.
    session_version: int
    created_at: datetime


@record
class Membership:
    workspace_id: str
    user_id: str
    role: str
    created_at: datetime


@record
class OAuthClient:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    secret_digest: str | None  # None: a public client
    require_pkce: bool
    scope: tuple[str, ...] | None  # the default scope when a request names none
    grant_types: tuple[str, ...]
    token_endpoint_auth_method: str  # none, client_secret_basic or client_secret_post
    dynamic: bool  # registered through /api/oauth/register (shown as unverified)
    created_at: datetime
    last_token_at: datetime | None = None

    @property
    def confidential(self) -> bool:
        return self.secret_digest is not None


@record
class Grant:
    """One user's approval of one client in one workspace ("connected app")."""

    id: str
    user_id: str
    workspace_id: str
    client_id: str
    scope: tuple[str, ...]
    approved_at: datetime
    last_used_at: datetime | None = None


@record
class AuthorizationCode:
    digest: str
    grant_id: str
    client_id: str
    user_id: str
    workspace_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    code_challenge: str | None
    resource: str | None
    expires_at: datetime
    spent_at: datetime | None = None
    tokens_issued: bool = False


@record
class AccessTokenRecord:
    digest: str
    grant_id: str
    client_id: str
    user_id: str
    workspace_id: str
    scope: tuple[str, ...]
    resource: str | None
    expires_at: datetime


@record
class RefreshTokenRecord:
    digest: str
    grant_id: str
    client_id: str
    user_id: str
    workspace_id: str
    scope: tuple[str, ...]
    resource: str | None
    expires_at: datetime  # 30 days after issue, never past chain_expires_at
    chain_expires_at: datetime  # 180 days after the approval that began the chain
    retired_at: datetime | None = None
