"""Users, memberships and OAuth clients from settings (oauth.md §2.2, §2.3). Idempotent like the
workspaces: missing things are created, existing ones are never changed (a difference is logged
naming only the email or client id). Clear passwords and secrets are never logged."""

from __future__ import annotations

import logging
from typing import Any

from app.domain.oauth_secrets import secret_digest
from app.domain.records import Workspace
from app.domain.scopes import InvalidScope, parse_scope
from app.domain.users import InvalidEmail, is_role, normalize_email
from app.services.oauth_clients import ClientAdminError, ClientRegistry
from app.services.passwords import is_argon2id_hash
from app.services.users import UserAdminError, UserService
from app.settings import Settings
from app.storage.protocols import DuplicateMembership, Storage

log = logging.getLogger("app.tenants")


class AccountBootstrapError(ValueError):
    """An invalid member or client entry; the message names the entry, never a secret."""


async def ensure_member(storage: Storage, workspace: Workspace, entry: Any, where: str) -> None:
    if not isinstance(entry, dict):
        raise AccountBootstrapError(f"{where}: a member is an object")
    try:
        email = normalize_email(str(entry.get("email", "")))
    except InvalidEmail as exc:
        raise AccountBootstrapError(f"{where}: {exc}") from exc
    where = f"{where} ({email})"
    role = entry.get("role")
    if not isinstance(role, str) or not is_role(role):
        raise AccountBootstrapError(f"{where}: role must be owner, admin, editor or viewer")
    password, password_hash = entry.get("password"), entry.get("passwordHash")
    if password is not None and password_hash is not None:
        raise AccountBootstrapError(f"{where}: give password or passwordHash, not both")
    if password_hash is not None and (
        not isinstance(password_hash, str) or not is_argon2id_hash(password_hash)
    ):
        raise AccountBootstrapError(f"{where}: passwordHash must be an argon2id PHC string")
    users = UserService(storage)
    user = await users.find_user(email)
    if user is None:
        if password is None and password_hash is None:
            raise AccountBootstrapError(f"{where}: a new user needs password or passwordHash")
        try:
            user = await users.create_user(
                email, None if password is None else str(password), password_hash=password_hash
            )
        except UserAdminError as exc:
            raise AccountBootstrapError(f"{where}: {exc}") from exc
    try:
        await storage.memberships.add(workspace.id, user.id, role, user.created_at)
    except DuplicateMembership:
        existing = await storage.memberships.get(workspace.id, user.id)
        if existing is not None and existing.role != role:
            log.warning("member %s keeps role %s (bootstrap says %s)", email, existing.role, role)


async def ensure_oauth_client(storage: Storage, entry: Any, where: str) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("clientId"), str):
        raise AccountBootstrapError(f"{where}: a client needs a string clientId")
    client_id = entry["clientId"]
    where = f"{where} ({client_id})"
    secret = entry.get("clientSecret")
    redirect_uris = entry.get("redirectUris")
    require_pkce = entry.get("requirePkce", True)
    scope = entry.get("scope")
    if not isinstance(require_pkce, bool):
        raise AccountBootstrapError(f"{where}: requirePkce is true or false")
    if not isinstance(entry.get("name"), str):
        raise AccountBootstrapError(f"{where}: name is a string")
    if not isinstance(redirect_uris, list) or (scope is not None and not isinstance(scope, str)):
        raise AccountBootstrapError(f"{where}: redirectUris is a list, scope a string")
    if secret is not None and not isinstance(secret, str):
        raise AccountBootstrapError(f"{where}: clientSecret is a string")
    registry = ClientRegistry(storage)
    existing = await registry.get(client_id)
    if existing is not None:
        try:
            wanted_scope = None if scope is None else parse_scope(scope)
        except InvalidScope:
            wanted_scope = None
        differs = (
            existing.name != entry["name"].strip()
            or list(existing.redirect_uris) != redirect_uris
            or existing.require_pkce != require_pkce
            or existing.scope != wanted_scope
            or existing.secret_digest != (None if secret is None else secret_digest(secret))
        )
        if differs:
            log.warning("OAuth client %s differs from BOOTSTRAP_FILE; left unchanged", client_id)
        return
    try:
        await registry.create(
            name=entry["name"],
            redirect_uris=redirect_uris,
            public=secret is None,
            require_pkce=require_pkce,
            scope=scope,
            client_id=client_id,
            secret=secret,
        )
    except ClientAdminError as exc:
        raise AccountBootstrapError(f"{where}: {exc}") from exc


async def ensure_bootstrap_admin(
    storage: Storage, settings: Settings, workspace: Workspace
) -> None:
    """BOOTSTRAP_ADMIN_EMAIL is owner of BOOTSTRAP_WORKSPACE (the password serves on creation)."""
    if settings.bootstrap_admin_email is None or settings.bootstrap_admin_password is None:
        return
    users = UserService(storage)
    try:
        user = await users.find_user(settings.bootstrap_admin_email)
        if user is None:
            user = await users.create_user(
                settings.bootstrap_admin_email,
                settings.bootstrap_admin_password.get_secret_value(),
            )
    except UserAdminError as exc:
        raise AccountBootstrapError(f"BOOTSTRAP_ADMIN_EMAIL/PASSWORD: {exc}") from exc
    membership = await storage.memberships.get(workspace.id, user.id)
    if membership is None:
        await storage.memberships.add(workspace.id, user.id, "owner", user.created_at)
    elif membership.role != "owner":
        await storage.memberships.set_role(workspace.id, user.id, "owner")


async def warn_without_users(storage: Storage) -> None:
    if not await storage.users.list_all():
        log.warning(
            "no user exists, so nobody can sign in to approve OAuth apps: set "
            "BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD, add BOOTSTRAP_FILE members, or "
            "run `python -m app users create`"
        )
