"""Repository contracts. The Mongo and the embedded implementations pass one shared test suite.

Concurrency control lives in the implementations' unique keys and atomic updates: callers never
read-then-write to decide an outcome.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from app.domain.oauth_records import (
    AccessTokenRecord,
    AuthorizationCode,
    Grant,
    Membership,
    OAuthClient,
    RefreshTokenRecord,
    User,
)
from app.domain.records import (
    ApiKeyRecord,
    IdempotencyClaim,
    IdempotencyRecord,
    NewProduct,
    Plan,
    Product,
    ProductChanges,
    ProductListQuery,
    ProductPage,
    StoredImage,
    StoredResponse,
    Workspace,
)
from app.domain.templates import Template


class DuplicateModelError(Exception):
    """The unique (workspaceId, model) key already holds a product."""


class PassportsExistError(Exception):
    """A product with passports cannot be hard-deleted."""

    def __init__(self, passport_count: int) -> None:
        super().__init__(passport_count)
        self.passport_count = passport_count


class ImageLimitError(Exception):
    """The product already holds the maximum number of images."""


class DuplicateWorkspaceName(Exception):
    """Workspace names are unique, so bootstrap files can be applied idempotently."""


class DuplicateEmail(Exception):
    """The unique email key already holds a user."""


class DuplicateMembership(Exception):
    """The user already has a role in this workspace."""


class DuplicateClientId(Exception):
    """The unique client id is taken."""


class LastOwner(Exception):
    """The workspace's last owner cannot be removed or demoted."""


class ProductRepository(Protocol):
    async def insert(self, new: NewProduct) -> Product: ...
    async def get(self, workspace_id: str, product_id: str) -> Product | None: ...
    async def find_by_idempotency_key(self, workspace_id: str, key: str) -> Product | None: ...
    async def list_page(self, query: ProductListQuery) -> ProductPage: ...

    async def update(
        self, workspace_id: str, product_id: str, changes: ProductChanges, at: datetime
    ) -> tuple[Product, Product] | None:
        """Apply the changes atomically: (before, after), None if there is no such product.

        Raises DuplicateModelError when the new model is taken in the workspace.
        """
        ...

    async def archive(self, workspace_id: str, product_id: str, at: datetime) -> Product | None:
        """Set status archived (a no-op if it already is); None if there is no such product."""
        ...

    async def delete(self, workspace_id: str, product_id: str) -> Product | None:
        """Delete a product without passports; None if absent. Raises PassportsExistError."""
        ...

    async def push_image_url(
        self, workspace_id: str, product_id: str, url: str, max_images: int, at: datetime
    ) -> Product | None:
        """Append while fewer than max_images are held; None if absent. Raises ImageLimitError."""
        ...

    async def remove_image_url(
        self, workspace_id: str, product_id: str, index: int, at: datetime
    ) -> tuple[Product, str] | None:
        """Remove imageUrls[index] atomically: (product after, removed URL).

        None if the product is absent; raises IndexError when index is out of range.
        """
        ...

    async def add_passports(self, workspace_id: str, product_id: str, count: int) -> None:
        """Raise passportCount (the passport issuer's hook; passports are not built yet)."""
        ...


class ImageRepository(Protocol):
    async def put(self, image: StoredImage) -> None: ...
    async def get(self, image_id: str) -> StoredImage | None:
        """By id alone: served publicly, the id is unguessable."""
        ...

    async def delete(self, workspace_id: str, product_id: str, image_id: str) -> bool:
        """Delete one image if it belongs to this product; True if something was deleted."""
        ...

    async def delete_for_product(self, workspace_id: str, product_id: str) -> int: ...


class TemplateRepository(Protocol):
    async def upsert_many(self, templates: list[Template]) -> None: ...
    async def list_all(self) -> list[Template]: ...


class PlanRepository(Protocol):
    async def upsert_many(self, plans: list[Plan]) -> None: ...
    async def list_all(self) -> list[Plan]: ...


class WorkspaceRepository(Protocol):
    async def create(self, name: str, plan: str, default_source_locale: str) -> Workspace: ...
    async def get_or_create(
        self, name: str, plan: str, default_source_locale: str
    ) -> Workspace: ...
    async def get(self, workspace_id: str) -> Workspace | None: ...
    async def list_all(self) -> list[Workspace]: ...


class ApiKeyRepository(Protocol):
    async def add(
        self, workspace_id: str, digest: str, prefix: str, label: str | None
    ) -> ApiKeyRecord:
        """Insert a key; when the digest is already stored, return the stored record."""
        ...

    async def find_by_digest(self, digest: str) -> ApiKeyRecord | None: ...
    async def list_for_workspace(self, workspace_id: str) -> list[ApiKeyRecord]: ...
    async def revoke(self, key_id: str, at: datetime) -> ApiKeyRecord | None: ...


class IdempotencyRepository(Protocol):
    async def claim(self, claim: IdempotencyClaim) -> IdempotencyRecord | None:
        """Insert the claim. None means it is ours; otherwise the record already there."""
        ...

    async def replace_expired(self, claim: IdempotencyClaim, now: datetime) -> bool:
        """Replace the record for the claim's key if it has expired; True if we now own it."""
        ...

    async def take_over(
        self,
        workspace_id: str,
        key: str,
        previous_owner: str,
        new_owner: str,
        lease_until: datetime,
        now: datetime,
    ) -> bool:
        """Take an unfinished claim whose lease has run out; True if we now own it."""
        ...

    async def complete(
        self, workspace_id: str, key: str, owner: str, response: StoredResponse
    ) -> None: ...

    async def release(self, workspace_id: str, key: str, owner: str) -> None: ...


class UsageRepository(Protocol):
    async def reserve(
        self, workspace_id: str, day: str, limit: int, expires_at: datetime
    ) -> int | None:
        """Atomically add one unit if fewer than `limit` are used: the new count, or None."""
        ...

    async def give_back(self, workspace_id: str, day: str) -> None: ...
    async def used(self, workspace_id: str, day: str) -> int: ...


class UserRepository(Protocol):
    async def create(self, email: str, password_hash: str, at: datetime) -> User:
        """Raises DuplicateEmail. The email is already normalised."""
        ...

    async def get(self, user_id: str) -> User | None: ...
    async def find_by_email(self, email: str) -> User | None: ...
    async def list_all(self) -> list[User]: ...

    async def set_password(self, user_id: str, password_hash: str) -> User | None:
        """Replace the hash and raise session_version (ends browser sessions)."""
        ...

    async def set_disabled(self, user_id: str, disabled: bool) -> User | None:
        """Disable (raising session_version) or enable; None if there is no such user."""
        ...


class MembershipRepository(Protocol):
    async def add(self, workspace_id: str, user_id: str, role: str, at: datetime) -> Membership:
        """Raises DuplicateMembership: one role per (workspace, user)."""
        ...

    async def get(self, workspace_id: str, user_id: str) -> Membership | None: ...
    async def list_for_user(self, user_id: str) -> list[Membership]: ...
    async def list_for_workspace(self, workspace_id: str) -> list[Membership]: ...

    async def set_role(self, workspace_id: str, user_id: str, role: str) -> Membership | None:
        """None if absent; raises LastOwner when it would leave the workspace without owner."""
        ...

    async def remove(self, workspace_id: str, user_id: str) -> bool:
        """False if absent; raises LastOwner for the workspace's last owner."""
        ...


class OAuthClientRepository(Protocol):
    async def create(self, client: OAuthClient, unused_expires_at: datetime | None) -> None:
        """Raises DuplicateClientId. `unused_expires_at`: deleted then unless a token was issued."""
        ...

    async def get(self, client_id: str, now: datetime) -> OAuthClient | None: ...
    async def list_all(self, now: datetime) -> list[OAuthClient]: ...
    async def delete(self, client_id: str) -> bool: ...

    async def mark_token_issued(self, client_id: str, at: datetime) -> None:
        """Record the first token (the client is then kept)."""
        ...


class GrantRepository(Protocol):
    async def approve(
        self, user_id: str, workspace_id: str, client_id: str, scope: tuple[str, ...], at: datetime
    ) -> Grant:
        """Create the (user, workspace, client) grant, or update the live one's scope."""
        ...

    async def get(self, grant_id: str) -> Grant | None: ...
    async def find(
        self, *, user_id: str | None = None, workspace_id: str | None = None
    ) -> list[Grant]: ...
    async def touch(self, grant_id: str, at: datetime) -> None: ...
    async def delete(self, grant_id: str) -> Grant | None: ...
    async def delete_for_client(self, client_id: str) -> list[str]:
        """Delete the client's grants; their ids."""
        ...

    async def delete_for_member(self, workspace_id: str, user_id: str) -> list[str]: ...


class AuthorizationCodeRepository(Protocol):
    async def insert(self, code: AuthorizationCode) -> None: ...

    async def spend(
        self, digest: str, client_id: str, now: datetime
    ) -> tuple[AuthorizationCode, bool] | None:
        """Spend the client's unexpired code atomically: (code, True) for the one caller that
        spent it, (code, False) when it was spent before; None if unknown, expired or another
        client's."""
        ...

    async def mark_tokens_issued(self, digest: str) -> None: ...
    async def delete_for_grant(self, grant_id: str) -> None: ...


class AccessTokenRepository(Protocol):
    async def insert(self, token: AccessTokenRecord) -> None: ...
    async def get(self, digest: str, now: datetime) -> AccessTokenRecord | None:
        """None when unknown or expired."""
        ...

    async def delete(self, digest: str, client_id: str) -> bool: ...
    async def delete_for_grant(self, grant_id: str) -> None: ...


class RefreshTokenRepository(Protocol):
    async def insert(self, token: RefreshTokenRecord) -> None: ...
    async def get(self, digest: str, now: datetime) -> RefreshTokenRecord | None:
        """None when unknown or expired (retired ones are returned)."""
        ...

    async def retire(self, digest: str, client_id: str, now: datetime) -> RefreshTokenRecord | None:
        """Retire the client's live, unexpired token atomically; the record if this call did."""
        ...

    async def delete_for_grant(self, grant_id: str) -> None: ...


class Storage(Protocol):
    @property
    def products(self) -> ProductRepository: ...
    @property
    def templates(self) -> TemplateRepository: ...
    @property
    def plans(self) -> PlanRepository: ...
    @property
    def workspaces(self) -> WorkspaceRepository: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...
    @property
    def images(self) -> ImageRepository: ...
    @property
    def idempotency(self) -> IdempotencyRepository: ...
    @property
    def usage(self) -> UsageRepository: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def memberships(self) -> MembershipRepository: ...
    @property
    def oauth_clients(self) -> OAuthClientRepository: ...
    @property
    def grants(self) -> GrantRepository: ...
    @property
    def codes(self) -> AuthorizationCodeRepository: ...
    @property
    def access_tokens(self) -> AccessTokenRepository: ...
    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...

    async def prepare(self) -> None:
        """Create indexes (idempotently); called once at start-up."""
        ...

    async def ping(self) -> bool: ...
    async def close(self) -> None: ...
