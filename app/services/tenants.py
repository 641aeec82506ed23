"""Workspaces and API keys: bootstrap from settings, and the admin use cases."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from app.domain.api_keys import display_prefix, generate_api_key, is_well_formed, key_digest
from app.domain.locales import is_iso_639_1
from app.domain.record import record
from app.domain.records import ApiKeyRecord, Workspace
from app.services.account_bootstrap import (
    AccountBootstrapError,
    ensure_bootstrap_admin,
    ensure_member,
    ensure_oauth_client,
    warn_without_users,
)
from app.settings import Settings
from app.storage.protocols import Storage

log = logging.getLogger("app.tenants")


class BootstrapError(ValueError):
    """A bootstrap setting or file that cannot be applied; the message says why."""


@record
class IssuedKey:
    """A freshly created key: the only moment the plain key exists outside the client."""

    key: str
    record: ApiKeyRecord


class TenantAdmin:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def _check_workspace_settings(self, plan: str, locale: str) -> None:
        if not is_iso_639_1(locale):
            raise BootstrapError(f"{locale!r} is not an ISO 639-1 language code")
        known = {p.plan for p in await self._storage.plans.list_all()}
        if known and plan not in known:
            raise BootstrapError(f"unknown plan {plan!r}; known plans: {', '.join(sorted(known))}")

    async def create_workspace(self, name: str, plan: str, locale: str) -> Workspace:
        await self._check_workspace_settings(plan, locale)
        return await self._storage.workspaces.create(name, plan, locale)

    async def ensure_workspace(self, name: str, plan: str, locale: str) -> Workspace:
        await self._check_workspace_settings(plan, locale)
        return await self._storage.workspaces.get_or_create(name, plan, locale)

    async def ensure_key(self, workspace: Workspace, key: str, label: str | None) -> ApiKeyRecord:
        if not is_well_formed(key):
            raise BootstrapError(
                "API keys must be 'tp_' followed by at least 32 URL-safe characters"
            )
        record = await self._storage.api_keys.add(
            workspace.id, key_digest(key), display_prefix(key), label
        )
        if record.workspace_id != workspace.id:
            log.warning(
                "key %s… already belongs to another workspace; left unchanged", record.prefix
            )
        return record

    async def issue_key(self, workspace: Workspace, label: str | None) -> IssuedKey:
        key = generate_api_key()
        return IssuedKey(key, await self.ensure_key(workspace, key, label))

    async def apply_bootstrap_file(self, path: Path) -> None:
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))  # noqa: ASYNC240 (start-up only)
        except (OSError, ValueError) as exc:
            raise BootstrapError(f"cannot read BOOTSTRAP_FILE {path}: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("workspaces"), list):
            raise BootstrapError('BOOTSTRAP_FILE must be {"workspaces": [...]}')
        for entry in data["workspaces"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise BootstrapError("every BOOTSTRAP_FILE workspace needs a string 'name'")
            workspace = await self.ensure_workspace(
                entry["name"],
                str(entry.get("plan", "free")),
                str(entry.get("defaultSourceLocale", "en")),
            )
            for key in entry.get("apiKeys", []):
                await self.ensure_key(workspace, str(key), "bootstrap-file")
            members = entry.get("members", [])
            if not isinstance(members, list):
                raise BootstrapError(
                    f"BOOTSTRAP_FILE workspace {entry['name']!r}: members is a list"
                )
            for number, member in enumerate(members, 1):
                where = f"BOOTSTRAP_FILE workspace {entry['name']!r} member #{number}"
                await self._accounts(ensure_member(self._storage, workspace, member, where))
        clients = data.get("oauthClients", [])
        if not isinstance(clients, list):
            raise BootstrapError("BOOTSTRAP_FILE oauthClients is a list")
        for number, client in enumerate(clients, 1):
            where = f"BOOTSTRAP_FILE oauthClient #{number}"
            await self._accounts(ensure_oauth_client(self._storage, client, where))

    @staticmethod
    async def _accounts(step: Awaitable[None]) -> None:
        try:
            await step
        except AccountBootstrapError as exc:
            raise BootstrapError(str(exc)) from exc


@record
class FirstAccess:
    """How a person reaches a service that runs on its own database without bootstrap settings.

    `key` is set once: when the database held no workspace yet and a key was generated. On a
    later start it is None, and the workspace is named so a key can be minted with the CLI.
    """

    workspace: Workspace
    key: str | None


async def bootstrap_tenants(storage: Storage, settings: Settings) -> FirstAccess | None:
    """Apply BOOTSTRAP_API_KEY / BOOTSTRAP_FILE. On the service's own database with neither,
    issue a key when no workspace exists yet (and only then: it is printed, never stored)."""
    admin = TenantAdmin(storage)
    if settings.bootstrap_api_key is not None:
        workspace = await admin.ensure_workspace(
            settings.bootstrap_workspace, settings.bootstrap_plan, "en"
        )
        await admin.ensure_key(
            workspace, settings.bootstrap_api_key.get_secret_value(), "bootstrap"
        )
    if settings.bootstrap_file is not None:
        await admin.apply_bootstrap_file(settings.bootstrap_file)
    access = None
    if settings.embedded and settings.bootstrap_api_key is None and settings.bootstrap_file is None:
        existing = await storage.workspaces.list_all()
        if existing:
            access = FirstAccess(existing[0], None)
        else:
            workspace = await admin.ensure_workspace(
                settings.bootstrap_workspace, settings.bootstrap_plan, "en"
            )
            key = (await admin.issue_key(workspace, "generated at start")).key
            access = FirstAccess(workspace, key)
    if settings.bootstrap_admin_email is not None:
        workspace = await admin.ensure_workspace(
            settings.bootstrap_workspace, settings.bootstrap_plan, "en"
        )
        try:
            await ensure_bootstrap_admin(storage, settings, workspace)
        except AccountBootstrapError as exc:
            raise BootstrapError(str(exc)) from exc
    await warn_without_users(storage)
    return access
