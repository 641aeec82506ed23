"""Storage-neutral records that repositories take and return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

ProductStatus = Literal["active", "archived"]


@dataclass(frozen=True, slots=True)
class Workspace:
    id: str
    name: str
    plan: str
    default_source_locale: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: str
    workspace_id: str
    digest: str
    prefix: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewProduct:
    workspace_id: str
    name: str
    model: str
    category: str
    template_id: str
    description: str | None
    default_field_values: dict[str, Any]
    image_urls: list[str]
    source_locale: str
    created_at: datetime
    # The Idempotency-Key the product was created under, so a lease takeover finds it.
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    workspace_id: str
    name: str
    model: str
    category: str
    template_id: str
    description: str | None
    default_field_values: dict[str, Any]
    image_urls: list[str]
    source_locale: str
    passport_count: int
    status: ProductStatus
    created_at: datetime
    updated_at: datetime
    idempotency_key: str | None = None

    @classmethod
    def from_new(cls, product_id: str, new: NewProduct) -> Product:
        return cls(
            id=product_id,
            workspace_id=new.workspace_id,
            name=new.name,
            model=new.model,
            category=new.category,
            template_id=new.template_id,
            description=new.description,
            default_field_values=new.default_field_values,
            image_urls=list(new.image_urls),
            source_locale=new.source_locale,
            passport_count=0,
            status="active",
            created_at=new.created_at,
            updated_at=new.created_at,
            idempotency_key=new.idempotency_key,
        )


@dataclass(frozen=True, slots=True)
class Plan:
    plan: str
    writes_per_day: int | None  # None: unlimited
    reads_per_day: int | None = None
    can_delete_products: bool = True


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    """A claim on (workspace, key): the inserted record is the lock."""

    workspace_id: str
    key: str
    fingerprint: str
    owner: str
    lease_until: datetime
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: bytes
    location: str | None = None


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    workspace_id: str
    key: str
    fingerprint: str
    owner: str
    lease_until: datetime
    created_at: datetime
    expires_at: datetime
    response: StoredResponse | None = None

    @property
    def completed(self) -> bool:
        return self.response is not None
