"""API key authentication with an in-process cache (no storage round trip when warm).

A cached entry is trusted for at most `cache_seconds` (≤ 30 s), which bounds how long a revoked
key keeps working on an instance that has seen it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from app.domain.api_keys import is_well_formed, key_digest
from app.domain.errors import Unauthorized
from app.domain.records import Workspace
from app.storage.protocols import ApiKeyRepository, WorkspaceRepository

MAX_CACHED_KEYS = 10_000


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
        api_keys: ApiKeyRepository,
        workspaces: WorkspaceRepository,
        *,
        cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api_keys = api_keys
        self._workspaces = workspaces
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cache: OrderedDict[str, tuple[Workspace, float]] = OrderedDict()

    async def authenticate(self, authorization: str | None) -> Workspace:
        """The workspace that owns the bearer key; the same 401 for every failure (no oracle)."""
        token = bearer_token(authorization)
        if token is None or not is_well_formed(token):
            raise Unauthorized()
        digest = key_digest(token)
        now = self._clock()
        cached = self._cache.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        record = await self._api_keys.find_by_digest(digest)
        if record is None or record.revoked_at is not None:
            self._cache.pop(digest, None)
            raise Unauthorized()
        workspace = await self._workspaces.get(record.workspace_id)
        if workspace is None:
            raise Unauthorized()
        self._cache[digest] = (workspace, now + self._cache_seconds)
        self._cache.move_to_end(digest)
        while len(self._cache) > MAX_CACHED_KEYS:
            self._cache.popitem(last=False)
        return workspace
