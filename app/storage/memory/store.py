"""The embedded in-process store, used when MONGODB_URI is unset (data dies with the process)."""

from __future__ import annotations

from app.storage.memory.catalog import MemoryPlanRepository, MemoryTemplateRepository
from app.storage.memory.idempotency import MemoryIdempotencyRepository
from app.storage.memory.images import MemoryImageRepository
from app.storage.memory.oauth import (
    MemoryAccessTokenRepository,
    MemoryAuthorizationCodeRepository,
    MemoryGrantRepository,
    MemoryOAuthClientRepository,
    MemoryRefreshTokenRepository,
)
from app.storage.memory.products import MemoryProductRepository
from app.storage.memory.tenants import MemoryApiKeyRepository, MemoryWorkspaceRepository
from app.storage.memory.usage import MemoryUsageRepository
from app.storage.memory.users import MemoryMembershipRepository, MemoryUserRepository


class MemoryStorage:
    def __init__(self) -> None:
        self.products = MemoryProductRepository()
        self.templates = MemoryTemplateRepository()
        self.plans = MemoryPlanRepository()
        self.workspaces = MemoryWorkspaceRepository()
        self.api_keys = MemoryApiKeyRepository()
        self.images = MemoryImageRepository()
        self.idempotency = MemoryIdempotencyRepository()
        self.usage = MemoryUsageRepository()
        self.users = MemoryUserRepository()
        self.memberships = MemoryMembershipRepository()
        self.oauth_clients = MemoryOAuthClientRepository()
        self.grants = MemoryGrantRepository()
        self.codes = MemoryAuthorizationCodeRepository()
        self.access_tokens = MemoryAccessTokenRepository()
        self.refresh_tokens = MemoryRefreshTokenRepository()

    async def prepare(self) -> None:
        return None

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None
