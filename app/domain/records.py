"""Storage-neutral records that repositories take and return."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from app.domain.record import record

ProductStatus = Literal["active", "archived"]
PRODUCT_STATUSES: tuple[ProductStatus, ...] = ("active", "archived")


class Unset:
    """Marks a field a partial update leaves alone (None can be a value, e.g. description)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset()


@record
class Workspace:
    id: str
    name: str
    plan: str
    default_source_locale: str
    created_at: datetime


@record
class ApiKeyRecord:
    id: str
    workspace_id: str
    digest: str
    prefix: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None = None


@record
class ProductDraft:
    """A validated create, before it runs: the creation time and key are stamped then."""

    workspace_id: str
    name: str
    model: str
    category: str
    template_id: str
    description: str | None
    default_field_values: dict[str, Any]
    image_urls: list[str]
    source_locale: str

    def stamped(self, created_at: datetime, idempotency_key: str | None) -> NewProduct:
        """This product as executed. Arguments by position, in field order: a class called
        with keywords packs them into a dict and unpacks it again, which made this copy cost
        three times as much (`dataclasses.replace`, six times)."""
        return NewProduct(
            self.workspace_id,
            self.name,
            self.model,
            self.category,
            self.template_id,
            self.description,
            self.default_field_values,
            self.image_urls,
            self.source_locale,
            created_at,
            idempotency_key,
        )


@record
class NewProduct(ProductDraft):
    """A create as it runs: the draft stamped with its creation time and key."""

    created_at: datetime
    # The Idempotency-Key the product was created under, so a lease takeover finds it.
    idempotency_key: str | None = None


@record
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
        # By position, in field order (see ProductDraft.stamped).
        return cls(
            product_id,
            new.workspace_id,
            new.name,
            new.model,
            new.category,
            new.template_id,
            new.description,
            new.default_field_values,
            list(new.image_urls),
            new.source_locale,
            0,  # passport_count
            "active",
            new.created_at,
            new.created_at,  # updated_at
            new.idempotency_key,
        )


@record
class ProductChanges:
    """A partial update: only the fields that are not UNSET change (description may be None)."""

    name: str | None = None
    model: str | None = None
    description: str | Unset | None = UNSET
    default_field_values: dict[str, Any] | None = None
    image_urls: list[str] | None = None
    status: ProductStatus | None = None
    source_locale: str | None = None

    def as_fields(self) -> dict[str, Any]:
        """The changed fields under their record attribute names."""
        fields: dict[str, Any] = {
            "name": self.name,
            "model": self.model,
            "default_field_values": self.default_field_values,
            "image_urls": self.image_urls,
            "status": self.status,
            "source_locale": self.source_locale,
        }
        changed = {k: v for k, v in fields.items() if v is not None}
        if not isinstance(self.description, Unset):
            changed["description"] = self.description
        return changed


@record
class ProductListQuery:
    """One page of a workspace's products, newest first (createdAt desc, then id desc)."""

    workspace_id: str
    page: int = 1
    limit: int = 20
    category: str | None = None  # canonical slug
    statuses: tuple[ProductStatus, ...] = ("active",)
    search: str | None = None  # literal, case-insensitive substring of name or model
    after: tuple[datetime, str] | None = None  # only items after this (createdAt, id) position

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


@record
class ProductPage:
    items: list[Product]
    total: int  # every item the filters match (the cursor does not narrow it)
    has_more: bool  # items follow this page


@record
class StoredImage:
    """An image file the service stores and serves publicly under its own URL."""

    id: str
    workspace_id: str
    product_id: str
    content_type: str
    etag: str
    data: bytes
    created_at: datetime


@record
class Plan:
    plan: str
    writes_per_day: int | None  # None: unlimited
    reads_per_day: int | None = None
    can_delete_products: bool = True
    # Passports (passports contract §3.2). The seed loader gives a plan without these keys the
    # free plan's values; the permissive defaults here serve plans built in code.
    max_dpps: int | None = None  # None: unlimited
    overage_allowed: bool = True
    dpp_lifetime_days: int | None = None
    can_delete_passports: bool = True


# What a seeded plan without the passport keys gets: the free plan's values.
FREE_PASSPORT_TERMS: dict[str, object] = {
    "maxDpps": 3,
    "overageAllowed": False,
    "dppLifetimeDays": 30,
    "canDeletePassports": False,
}


@record
class IdempotencyClaim:
    """A claim on (workspace, key): the inserted record is the lock."""

    workspace_id: str
    key: str
    fingerprint: str
    owner: str
    lease_until: datetime
    created_at: datetime
    expires_at: datetime


@record
class StoredResponse:
    status: int
    body: bytes
    location: str | None = None


@record
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


def plan_from_fields(data: dict[str, Any]) -> Plan:
    """A plan from its seeded/stored camelCase fields; passport keys left out get the free
    plan's values (passports contract §3.2)."""
    terms = {**FREE_PASSPORT_TERMS, **{k: data[k] for k in FREE_PASSPORT_TERMS if k in data}}
    max_dpps, lifetime = terms["maxDpps"], terms["dppLifetimeDays"]
    return Plan(
        plan=data["plan"],
        writes_per_day=data.get("writesPerDay"),
        reads_per_day=data.get("readsPerDay"),
        can_delete_products=bool(data.get("canDeleteProducts", True)),
        max_dpps=None if max_dpps is None else int(str(max_dpps)),
        overage_allowed=bool(terms["overageAllowed"]),
        dpp_lifetime_days=None if lifetime is None else int(str(lifetime)),
        can_delete_passports=bool(terms["canDeletePassports"]),
    )
