"""Passport records and rules (passports contract §2, §7, §8): statuses, the lifecycle
transition table, completion, expiry. Pure: no storage, no HTTP."""

from __future__ import annotations

import dataclasses
from dataclasses import field
from datetime import datetime, timedelta
from typing import Any, Literal

from app.domain.record import record
from app.domain.templates import Template

PassportStatus = Literal[
    "draft", "in_review", "approved", "published", "suspended", "expired", "archived"
]
PASSPORT_STATUSES: tuple[PassportStatus, ...] = (
    "draft",
    "in_review",
    "approved",
    "published",
    "suspended",
    "expired",
    "archived",
)
# Statuses a passport can be stored in: `expired` is never stored, it is read off the clock.
LIVE_STATUSES: tuple[PassportStatus, ...] = (
    "draft",
    "in_review",
    "approved",
    "published",
    "suspended",
)
EDITABLE_STATUSES = LIVE_STATUSES
DELETABLE_STATUSES: tuple[PassportStatus, ...] = ("draft", "in_review")

Action = Literal["submit", "approve", "reject", "publish", "suspend", "unsuspend", "archive"]


@record
class Transition:
    allowed_from: tuple[PassportStatus, ...]
    target: PassportStatus


TRANSITIONS: dict[Action, Transition] = {
    "submit": Transition(("draft",), "in_review"),
    "approve": Transition(("in_review",), "approved"),
    "reject": Transition(("in_review", "approved"), "draft"),
    "publish": Transition(("approved",), "published"),
    "suspend": Transition(("published",), "suspended"),
    "unsuspend": Transition(("suspended",), "published"),
    "archive": Transition((*LIVE_STATUSES, "expired"), "archived"),
}
ACTIONS: tuple[Action, ...] = tuple(TRANSITIONS)

PARTY_ROLES = (
    "manufacturer",
    "importer",
    "authorisedRepresentative",
    "distributor",
    "recycler",
    "producerResponsibilityOrg",
)
FIELD_SOURCES = ("manual", "ai_suggested", "ai_approved", "reference_db", "supplier", "system")
PRODUCT_DEFAULT_SOURCE = "product_default"
MAX_SUSPENSION_REASON = 500


def expires_at(created_at: datetime, lifetime_days: int | None) -> datetime | None:
    return None if lifetime_days is None else created_at + timedelta(days=lifetime_days)


def has_value(value: Any) -> bool:
    """`""`, `[]`, `{}` (and a missing key) are not values."""
    return value is not None and value != "" and value != [] and value != {}


def missing_required(template: Template, fields: dict[str, Any]) -> list[str]:
    """Required template keys without a value, in template order."""
    return [f.key for f in template.fields if f.required and not has_value(fields.get(f.key))]


def completion_percentage(template: Template, fields: dict[str, Any]) -> int:
    required = template.required_field_count
    if required == 0:
        return 100
    filled = required - len(missing_required(template, fields))
    # Round half up, in integers (no float rounding surprises).
    return (200 * filled + required) // (2 * required)


@record
class NewPassport:
    workspace_id: str
    product_id: str
    category: str
    template_id: str
    gtin: str  # 14 digits
    serial_number: str
    digital_link_uri: str
    fields: dict[str, Any]
    field_meta: dict[str, dict[str, Any]]
    source_locale: str
    parties: dict[str, Any]
    expires_at: datetime | None
    created_at: datetime
    overage: bool = False
    # The Idempotency-Key (and batch position) it was created under, for lease takeovers.
    created_by_key: str | None = None
    batch_index: int | None = None


@record
class Passport:
    id: str
    workspace_id: str
    product_id: str
    category: str
    template_id: str
    gtin: str
    serial_number: str
    digital_link_uri: str
    stored_status: PassportStatus  # never "expired"; see status_at()
    fields: dict[str, Any]
    field_meta: dict[str, dict[str, Any]]
    source_locale: str
    parties: dict[str, Any]
    published_at: datetime | None
    suspended_at: datetime | None
    suspension_reason: str | None
    archived_at: datetime | None
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    overage: bool = False
    created_by_key: str | None = None
    batch_index: int | None = None
    # Bumped by every change; lifecycle moves compare-and-set on it (the publish gate reads
    # the fields it judges).
    revision: int = 0

    @classmethod
    def from_new(cls, passport_id: str, new: NewPassport) -> Passport:
        return cls(
            id=passport_id,
            workspace_id=new.workspace_id,
            product_id=new.product_id,
            category=new.category,
            template_id=new.template_id,
            gtin=new.gtin,
            serial_number=new.serial_number,
            digital_link_uri=new.digital_link_uri,
            stored_status="draft",
            fields=dict(new.fields),
            field_meta={k: dict(v) for k, v in new.field_meta.items()},
            source_locale=new.source_locale,
            parties=dict(new.parties),
            published_at=None,
            suspended_at=None,
            suspension_reason=None,
            archived_at=None,
            expires_at=new.expires_at,
            created_at=new.created_at,
            updated_at=new.created_at,
            overage=new.overage,
            created_by_key=new.created_by_key,
            batch_index=new.batch_index,
        )

    def is_expired_at(self, now: datetime) -> bool:
        return (
            self.stored_status in LIVE_STATUSES
            and self.expires_at is not None
            and self.expires_at <= now
        )

    def status_at(self, now: datetime) -> PassportStatus:
        """The status every read shows: `expired` from `expiresAt` on, persisted or not."""
        return "expired" if self.is_expired_at(now) else self.stored_status


@record
class StatusChange:
    """What a lifecycle move writes (record attribute names)."""

    status: PassportStatus
    stamps: dict[str, Any] = field(default_factory=dict)


@record
class NoChange:
    """The action's target is the current status: answered 200, nothing written."""


class TransitionRefused(Exception):
    def __init__(self, action: Action, status: PassportStatus) -> None:
        super().__init__(action, status)
        self.action = action
        self.status = status
        self.allowed_from: list[str] = list(TRANSITIONS[action].allowed_from)


class PublishIncomplete(Exception):
    def __init__(self, missing: list[str], percentage: int) -> None:
        super().__init__(missing, percentage)
        self.missing = missing
        self.percentage = percentage


@record
class ActionOptions:
    accept_incomplete: bool = False
    reason: str | None = None  # suspend; trimmed, "" → None


def plan_transition(
    passport: Passport,
    action: Action,
    options: ActionOptions,
    template: Template,
    now: datetime,
) -> StatusChange | NoChange:
    """Decide a lifecycle move; raises TransitionRefused or PublishIncomplete."""
    status = passport.status_at(now)
    transition = TRANSITIONS[action]
    if transition.target == status:
        return NoChange()
    if status not in transition.allowed_from:
        raise TransitionRefused(action, status)
    stamps: dict[str, Any] = {}
    if action == "publish":
        if not options.accept_incomplete:
            missing = missing_required(template, passport.fields)
            if missing:
                raise PublishIncomplete(missing, completion_percentage(template, passport.fields))
        if passport.published_at is None:
            stamps["published_at"] = now
    elif action == "suspend":
        stamps = {"suspended_at": now, "suspension_reason": options.reason}
    elif action == "unsuspend":
        stamps = {"suspended_at": None, "suspension_reason": None}
    elif action == "archive":
        stamps = {"archived_at": now}
    return StatusChange(transition.target, stamps)


def apply_change(passport: Passport, change: StatusChange, at: datetime) -> Passport:
    return dataclasses.replace(
        passport,
        stored_status=change.status,
        **change.stamps,
        updated_at=at,
        revision=passport.revision + 1,
    )


def is_deletable(passport: Passport, now: datetime) -> bool:
    """Only never-published drafts and passports in review (contract §8)."""
    return passport.status_at(now) in DELETABLE_STATUSES and passport.published_at is None


@record
class PassportListQuery:
    """One page of a workspace's passports, newest first (createdAt desc, then id desc)."""

    workspace_id: str
    now: datetime
    page: int = 1
    limit: int = 20
    product_id: str | None = None
    stored_statuses: tuple[PassportStatus, ...] = LIVE_STATUSES
    # "any": no expiry condition; "live": not expired at `now`; "expired": expired at `now`.
    expiry: Literal["any", "live", "expired"] = "any"
    search: str | None = None  # literal, case-insensitive substring of serial or GTIN
    after: tuple[datetime, str] | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def list_filter_for(
    status: PassportStatus | None, show_archived: bool
) -> tuple[tuple[PassportStatus, ...], Literal["any", "live", "expired"]]:
    """The stored statuses and expiry condition a status filter means."""
    if status is None:
        return ((*LIVE_STATUSES, "archived") if show_archived else LIVE_STATUSES), "any"
    if status == "archived":
        return ("archived",), "any"
    if status == "expired":
        return LIVE_STATUSES, "expired"
    return (status,), "live"


@record
class PassportPage:
    items: list[Passport]
    total: int
    has_more: bool
