"""Grants ("connected apps"): listing and revocation, which ends every token of the grant."""

from __future__ import annotations

from app.domain.clock import utc_now
from app.domain.oauth_records import Grant
from app.domain.record import record
from app.storage.protocols import Storage


@record
class GrantView:
    """A grant with the names a person recognises (the connected-apps page, the CLI)."""

    grant: Grant
    client_name: str
    workspace_name: str


class GrantService:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def _end_tokens(self, grant_id: str) -> None:
        # The grant document is gone first, so every token check fails from here on even if a
        # deletion below is interrupted; the TTL indexes clear any leftovers.
        await self._storage.codes.delete_for_grant(grant_id)
        await self._storage.access_tokens.delete_for_grant(grant_id)
        await self._storage.refresh_tokens.delete_for_grant(grant_id)

    async def revoke(self, grant_id: str) -> Grant | None:
        grant = await self._storage.grants.delete(grant_id)
        if grant is not None:
            await self._end_tokens(grant.id)
        return grant

    async def revoke_for_user(self, user_id: str, grant_id: str) -> bool:
        """Revoke one of the user's own grants; False for an unknown or foreign grant."""
        grant = await self._storage.grants.get(grant_id)
        if grant is None or grant.user_id != user_id:
            return False
        return await self.revoke(grant_id) is not None

    async def revoke_for_client(self, client_id: str) -> int:
        ids = await self._storage.grants.delete_for_client(client_id)
        for grant_id in ids:
            await self._end_tokens(grant_id)
        return len(ids)

    async def revoke_for_member(self, workspace_id: str, user_id: str) -> int:
        ids = await self._storage.grants.delete_for_member(workspace_id, user_id)
        for grant_id in ids:
            await self._end_tokens(grant_id)
        return len(ids)

    async def list(
        self, *, user_id: str | None = None, workspace_id: str | None = None
    ) -> list[GrantView]:
        grants = await self._storage.grants.find(user_id=user_id, workspace_id=workspace_id)
        views = []
        clients: dict[str, str] = {}
        workspaces: dict[str, str] = {}
        now = utc_now()
        for grant in grants:
            if grant.client_id not in clients:
                client = await self._storage.oauth_clients.get(grant.client_id, now)
                clients[grant.client_id] = client.name if client else grant.client_id
            if grant.workspace_id not in workspaces:
                workspace = await self._storage.workspaces.get(grant.workspace_id)
                workspaces[grant.workspace_id] = workspace.name if workspace else "?"
            views.append(GrantView(grant, clients[grant.client_id], workspaces[grant.workspace_id]))
        return views
