"""Repository contracts. The Mongo and the embedded implementations pass one shared test suite.

Concurrency control lives in the implementations' unique keys and atomic updates: callers never
read-then-write to decide an outcome.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from app.domain.passports import (
    NewPassport,
    Passport,
    PassportListQuery,
    PassportPage,
    PassportStatus,
    StatusChange,
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

    async def add_passports(
        self, workspace_id: str, product_id: str, count: int, *, only_active: bool = False
    ) -> bool:
        """$inc passportCount by `count`; True if a product (active, with only_active) matched.

        A passport create takes its +1 here before inserting, atomically with the product's
        existence, so a product delete racing it cannot leave a passport without a product.
        """
        ...


class DuplicateSerialError(Exception):
    """The global unique (gs1.gtin, gs1.serialNumber) key already holds a passport."""


class PassportRepository(Protocol):
    async def insert(self, new: NewPassport) -> Passport:
        """Raises DuplicateSerialError when (gtin, serial) is taken, in any workspace."""
        ...

    async def get(self, workspace_id: str, passport_id: str) -> Passport | None: ...

    async def find_by_serial(
        self, workspace_id: str, serial: str, gtin: str | None, limit: int
    ) -> list[Passport]:
        """The workspace's passports with this serial (and GTIN, when given), at most `limit`."""
        ...

    async def find_global(self, gtin: str, serial: str) -> Passport | None:
        """By the global (gtin14, serial) key, any workspace: the public resolver's lookup."""
        ...

    async def created_under_key(self, workspace_id: str, key: str) -> list[Passport]:
        """Passports created under an Idempotency-Key (lease takeover), by batch index."""
        ...

    async def list_page(self, query: PassportListQuery) -> PassportPage: ...

    async def set_field(
        self,
        workspace_id: str,
        passport_id: str,
        key: str,
        value: Any,
        meta: dict[str, Any] | None,
        at: datetime,
        now: datetime,
    ) -> Passport | None:
        """$set fields.<key> and fieldMeta.<key> (both unset when meta is None) while the
        passport is editable and not expired at `now`; None if no such editable passport."""
        ...

    async def change_status(
        self,
        workspace_id: str,
        passport_id: str,
        expected_revision: int,
        change: StatusChange,
        at: datetime,
    ) -> Passport | None:
        """Compare-and-set on the revision; None when the passport is absent or has changed."""
        ...

    async def delete_if(
        self,
        workspace_id: str,
        passport_id: str,
        statuses: tuple[PassportStatus, ...],
        now: datetime,
    ) -> Passport | None:
        """Delete while never published, in one of `statuses` and not expired at `now`."""
        ...


class GtinRepository(Protocol):
    """GTIN ownership: the first workspace to create a passport under a GTIN owns it."""

    async def owner(self, gtin: str) -> str | None: ...

    async def claim(self, gtin: str, workspace_id: str, at: datetime) -> bool:
        """True if the workspace owns the GTIN afterwards (won now or held before)."""
        ...


class DppUsageRepository(Protocol):
    """Held DPP slots per workspace; changed only by conditional $inc."""

    async def take(self, workspace_id: str, count: int, limit: int | None) -> int | None:
        """Add `count` while held + count <= limit (always when limit is None): the new held
        count, or None when the slots are not there."""
        ...

    async def give_back(self, workspace_id: str, count: int) -> None: ...
    async def held(self, workspace_id: str) -> int: ...


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
        self, workspace_id: str, day: str, limit: int, expires_at: datetime, count: int = 1
    ) -> int | None:
        """Atomically add `count` units if used + count <= limit: the new count, or None."""
        ...

    async def give_back(self, workspace_id: str, day: str, count: int = 1) -> None: ...
    async def used(self, workspace_id: str, day: str) -> int: ...


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
    def passports(self) -> PassportRepository: ...
    @property
    def gtins(self) -> GtinRepository: ...
    @property
    def dpp_usage(self) -> DppUsageRepository: ...
    @property
    def idempotency(self) -> IdempotencyRepository: ...
    @property
    def usage(self) -> UsageRepository: ...

    async def prepare(self) -> None:
        """Create indexes (idempotently); called once at start-up."""
        ...

    async def ping(self) -> bool: ...
    async def close(self) -> None: ...
