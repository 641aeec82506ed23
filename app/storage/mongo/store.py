"""MongoDB storage: one collection per repository, indexes created idempotently at start-up."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from app.settings import Settings
from app.storage.mongo import (
    catalog,
    idempotency,
    images,
    oauth,
    products,
    tenants,
    usage,
    users,
)
from app.storage.mongo.errors import translate_errors


class MongoStorage:
    def __init__(self, database: Any, client: Any | None = None) -> None:
        """`database` is an AsyncDatabase; `client` is closed on close() when given (owned)."""
        self._database = database
        self._client = client
        self.products = products.MongoProductRepository(database["products"])
        self.templates = catalog.MongoTemplateRepository(database["templates"])
        self.plans = catalog.MongoPlanRepository(database["plans"])
        self.workspaces = tenants.MongoWorkspaceRepository(database["workspaces"])
        self.api_keys = tenants.MongoApiKeyRepository(database["api_keys"])
        self.images = images.MongoImageRepository(database)
        self.idempotency = idempotency.MongoIdempotencyRepository(database["idempotency"])
        self.usage = usage.MongoUsageRepository(database["usage"])
        self.users = users.MongoUserRepository(database["users"])
        self.memberships = users.MongoMembershipRepository(database["memberships"])
        self.oauth_clients = oauth.MongoOAuthClientRepository(database["oauth_clients"])
        self.grants = oauth.MongoGrantRepository(database["oauth_grants"])
        self.codes = oauth.MongoAuthorizationCodeRepository(database["oauth_codes"])
        self.access_tokens = oauth.MongoAccessTokenRepository(database["oauth_access_tokens"])
        self.refresh_tokens = oauth.MongoRefreshTokenRepository(database["oauth_refresh_tokens"])

    @classmethod
    def connect(cls, settings: Settings, uri: str | None = None) -> MongoStorage:
        """`uri` overrides MONGODB_URI (the embedded database's address)."""
        client: AsyncMongoClient[Any] = AsyncMongoClient(
            uri or settings.mongodb_uri,
            w="majority",
            tz_aware=True,
            appname="tracepass-catalogue",
            serverSelectionTimeoutMS=settings.mongodb_server_selection_timeout_ms,
            connectTimeoutMS=settings.mongodb_connect_timeout_ms,
            socketTimeoutMS=settings.mongodb_socket_timeout_ms,
        )
        return cls(client.get_database(settings.mongodb_db), client)

    @property
    def database(self) -> Any:
        return self._database

    @translate_errors
    async def prepare(self) -> None:
        indexes = {
            "products": products.INDEXES,
            "templates": catalog.TEMPLATE_INDEXES,
            "plans": catalog.PLAN_INDEXES,
            "workspaces": tenants.WORKSPACE_INDEXES,
            "api_keys": tenants.API_KEY_INDEXES,
            images.FILES_COLLECTION: images.FILES_INDEXES,
            "idempotency": idempotency.INDEXES,
            "usage": usage.INDEXES,
            "users": users.USER_INDEXES,
            "memberships": users.MEMBERSHIP_INDEXES,
            "oauth_clients": oauth.CLIENT_INDEXES,
            "oauth_grants": oauth.GRANT_INDEXES,
            "oauth_codes": oauth.CODE_INDEXES,
            "oauth_access_tokens": oauth.TOKEN_INDEXES,
            "oauth_refresh_tokens": oauth.TOKEN_INDEXES,
        }
        for name, models in indexes.items():
            await self._database[name].create_indexes(models)

    async def ping(self) -> bool:
        try:
            await self._database.command("ping")
        except PyMongoError:
            return False
        return True

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
