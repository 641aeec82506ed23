"""Passport use cases (passports contract §3-§9): create (single and batch), read, list, field
PATCH, lifecycle actions and delete.

Concurrency lives in storage: the global (gtin, serial) unique key, the GTIN claim's `_id`,
conditional $inc on DPP slots and on the product's passportCount, and compare-and-set on a
passport's revision for lifecycle moves. Nothing is decided by a read alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.domain.clock import utc_now
from app.domain.errors import (
    AmbiguousSerial,
    ApiError,
    DppQuotaReached,
    DuplicateSerial,
    GtinTaken,
    InvalidTransition,
    PassportDeleteForbidden,
    PassportIncomplete,
    PassportLocked,
    PassportNotDeletable,
    PassportNotFound,
    ProductArchived,
    ProductNotFound,
    TemplateNotFound,
    ValidationFailed,
)
from app.domain.field_values import validate_field_value
from app.domain.gtin import digital_link_uri
from app.domain.list_cursor import decode_cursor, next_cursor
from app.domain.passports import (
    DELETABLE_STATUSES,
    EDITABLE_STATUSES,
    PRODUCT_DEFAULT_SOURCE,
    Action,
    ActionOptions,
    NewPassport,
    NoChange,
    Passport,
    PassportListQuery,
    PassportPage,
    PassportStatus,
    PublishIncomplete,
    TransitionRefused,
    expires_at,
    is_deletable,
    list_filter_for,
    plan_transition,
)
from app.domain.record import record
from app.domain.records import Plan, Workspace
from app.domain.templates import Template, TemplateCatalog
from app.services.plans import PlanBook
from app.storage.protocols import (
    DppUsageRepository,
    DuplicateSerialError,
    GtinRepository,
    PassportRepository,
    ProductRepository,
)

AMBIGUITY_SAMPLE = 20  # GTINs named in an ambiguous_serial answer, at most
_CAS_ATTEMPTS = 8


@record
class PassportRef:
    """A passport named by id, or by serial (and optionally a 14-digit GTIN) in the workspace."""

    passport_id: str | None = None
    serial: str | None = None
    gtin: str | None = None


@record
class CreatePassportInput:
    """A create body after shape validation (GTIN normalised to 14 digits)."""

    product_id: str
    gtin: str
    serial_number: str
    parties: dict[str, Any]
    confirm_overage: bool = False


@record
class ListPassportsInput:
    page: int = 1
    limit: int = 20
    product_id: str | None = None
    status: PassportStatus | None = None
    search: str | None = None
    show_archived: bool = False
    cursor: str | None = None


@record
class ListedPassports:
    page: PassportPage
    next_cursor: str | None
    now: datetime


@record
class FieldChange:
    """A field PATCH body after shape validation; `value` is absent when not sent."""

    key: str
    value: Any
    value_sent: bool
    source: str
    source_locale: str | None


@record
class BatchItemResult:
    index: int
    passport: Passport | None = None
    error: ApiError | None = None
    recovered: bool = False  # created by an earlier run under the same key (lease takeover)


class PassportService:
    def __init__(
        self,
        passports: PassportRepository,
        gtins: GtinRepository,
        dpp_usage: DppUsageRepository,
        products: ProductRepository,
        catalog: TemplateCatalog,
        plans: PlanBook,
        public_base_url: str,
    ) -> None:
        self._passports = passports
        self._gtins = gtins
        self._dpp_usage = dpp_usage
        self._products = products
        self._catalog = catalog
        self._plans = plans
        self._public_base_url = public_base_url

    def template_for(self, passport: Passport) -> Template | None:
        return self._catalog.resolve(passport.category)

    # -- DPP slots ---------------------------------------------------------------------------

    async def take_slots(self, workspace: Workspace, count: int, confirmed: bool) -> int:
        """Take `count` slots or raise 402; how many of them are overage (beyond maxDpps)."""
        plan = await self._plans.get(workspace.plan)
        limit = plan.max_dpps
        if limit is None:
            await self._dpp_usage.take(workspace.id, count, None)
            return 0
        if await self._dpp_usage.take(workspace.id, count, limit) is not None:
            return 0
        if plan.overage_allowed and confirmed:
            held = await self._dpp_usage.take(workspace.id, count, None) or count
            return min(count, held - limit)
        held_now = await self._dpp_usage.held(workspace.id)
        raise DppQuotaReached(
            plan.plan, limit, held_now, count, overage_allowed=plan.overage_allowed
        )

    async def give_back_slots(self, workspace: Workspace, count: int) -> None:
        if count > 0:
            await self._dpp_usage.give_back(workspace.id, count)

    # -- create ------------------------------------------------------------------------------

    async def create(
        self,
        workspace: Workspace,
        data: CreatePassportInput,
        key: str | None,
        *,
        batch_index: int | None = None,
        slot_held: bool = False,
        overage: bool = False,
    ) -> Passport:
        """§3.1 steps 3-7. With `slot_held` (a batch item) the caller already holds the slot
        and gives it back on failure; otherwise the slot is taken (402) and given back here."""
        product = await self._products.get(workspace.id, data.product_id)
        if product is None:
            raise ProductNotFound()
        if product.status == "archived":
            raise ProductArchived()
        owner = await self._gtins.owner(data.gtin)
        if owner is not None and owner != workspace.id:
            raise GtinTaken()
        if await self._passports.find_by_serial(workspace.id, data.serial_number, data.gtin, 1):
            raise DuplicateSerial()
        plan = await self._plans.get(workspace.plan)
        if not slot_held:
            overage = await self.take_slots(workspace, 1, data.confirm_overage) > 0
        try:
            return await self._insert(workspace, plan, product.id, data, key, batch_index, overage)
        except BaseException:
            if not slot_held:
                await self._dpp_usage.give_back(workspace.id, 1)
            raise

    async def _insert(
        self,
        workspace: Workspace,
        plan: Plan,
        product_id: str,
        data: CreatePassportInput,
        key: str | None,
        batch_index: int | None,
        overage: bool,
    ) -> Passport:
        now = utc_now()
        # A claim already held by this workspace counts as won; claims are never released.
        if not await self._gtins.claim(data.gtin, workspace.id, now):
            raise GtinTaken()
        # +1 first, conditional on the product still being there and active: a product delete
        # racing this create either sees the count (409) or makes this fail (404).
        if not await self._products.add_passports(workspace.id, product_id, 1, only_active=True):
            product = await self._products.get(workspace.id, product_id)
            raise ProductNotFound() if product is None else ProductArchived()
        product = await self._products.get(workspace.id, product_id)
        try:
            if product is None:  # deleted between the $inc and this read: impossible with +1
                raise ProductNotFound()
            meta = {"source": PRODUCT_DEFAULT_SOURCE, "sourceLocale": product.source_locale}
            new = NewPassport(
                workspace_id=workspace.id,
                product_id=product.id,
                category=product.category,
                template_id=product.template_id,
                gtin=data.gtin,
                serial_number=data.serial_number,
                digital_link_uri=digital_link_uri(
                    self._public_base_url, data.gtin, data.serial_number
                ),
                fields=dict(product.default_field_values),
                field_meta={k: {**meta, "updatedAt": now} for k in product.default_field_values},
                source_locale=product.source_locale,
                parties=data.parties,
                expires_at=expires_at(now, plan.dpp_lifetime_days),
                created_at=now,
                overage=overage,
                created_by_key=key,
                batch_index=batch_index,
            )
            try:
                return await self._passports.insert(new)
            except DuplicateSerialError as exc:
                raise DuplicateSerial() from exc
        except BaseException:
            await self._products.add_passports(workspace.id, product_id, -1)
            raise

    async def created_under_key(self, workspace_id: str, key: str) -> list[Passport]:
        return await self._passports.created_under_key(workspace_id, key)

    async def create_batch(
        self,
        workspace: Workspace,
        items: list[CreatePassportInput | ValidationFailed],
        confirmed: bool,
        key: str | None,
    ) -> list[BatchItemResult]:
        """§4: slots for every item up front (402 for the whole batch), then each item like a
        single create, in index order. Items already created under the key (a lease takeover)
        are reported as created and not run again."""
        done: dict[int, Passport] = {}
        if key is not None:
            for passport in await self._passports.created_under_key(workspace.id, key):
                if passport.batch_index is not None:
                    done[passport.batch_index] = passport
        to_run = len(items) - len(done)
        overage_count = await self.take_slots(workspace, to_run, confirmed) if to_run else 0
        first_overage = to_run - overage_count  # the last `overage_count` runs are overage
        results: list[BatchItemResult] = []
        run = 0
        unused = 0
        try:
            for index, item in enumerate(items):
                if index in done:
                    results.append(BatchItemResult(index, passport=done[index], recovered=True))
                    continue
                overage = run >= first_overage
                run += 1
                if isinstance(item, ValidationFailed):
                    unused += 1
                    results.append(BatchItemResult(index, error=item))
                    continue
                try:
                    passport = await self.create(
                        workspace,
                        item,
                        key,
                        batch_index=index,
                        slot_held=True,
                        overage=overage,
                    )
                except ApiError as err:
                    if err.status >= 500:
                        raise
                    unused += 1
                    results.append(BatchItemResult(index, error=err))
                else:
                    results.append(BatchItemResult(index, passport=passport))
        except BaseException:
            await self.give_back_slots(workspace, to_run - run + unused)
            raise
        await self.give_back_slots(workspace, unused)
        return results

    # -- read --------------------------------------------------------------------------------

    async def resolve(self, workspace: Workspace, ref: PassportRef) -> Passport:
        """By id, or by serial (§5.3): 404, or 409 ambiguous_serial without a GTIN."""
        if ref.passport_id is not None:
            passport = await self._passports.get(workspace.id, ref.passport_id)
            if passport is None:
                raise PassportNotFound()
            return passport
        assert ref.serial is not None
        found = await self._passports.find_by_serial(
            workspace.id, ref.serial, ref.gtin, AMBIGUITY_SAMPLE
        )
        if not found:
            raise PassportNotFound()
        if len(found) > 1:
            raise AmbiguousSerial(sorted(p.gtin for p in found))
        return found[0]

    async def get_by_id(self, workspace: Workspace, passport_id: str) -> Passport:
        return await self.resolve(workspace, PassportRef(passport_id=passport_id))

    async def get_by_serial(
        self, workspace: Workspace, serial: str, gtin14: str | None
    ) -> Passport:
        return await self.resolve(workspace, PassportRef(serial=serial, gtin=gtin14))

    async def list_page(self, workspace: Workspace, data: ListPassportsInput) -> ListedPassports:
        after = None
        if data.cursor is not None:
            after = decode_cursor(data.cursor)
            if after is None:
                raise ValidationFailed({"cursor": ["Not a cursor this service issued"]})
            if data.page != 1:
                raise ValidationFailed({"page": ["Send either page or cursor, not both"]})
        statuses, expiry = list_filter_for(data.status, data.show_archived)
        now = utc_now()
        page = await self._passports.list_page(
            PassportListQuery(
                workspace_id=workspace.id,
                now=now,
                page=data.page,
                limit=data.limit,
                product_id=data.product_id,
                stored_statuses=statuses,
                expiry=expiry,
                search=data.search or None,
                after=after,
            )
        )
        return ListedPassports(page, next_cursor(page.items, page.has_more), now)

    # -- field PATCH -------------------------------------------------------------------------

    async def set_field(
        self, workspace: Workspace, ref: PassportRef, change: FieldChange
    ) -> Passport:
        """§6, after the body shape and the budget: 404, 409 passport_locked, 400 key/value."""
        passport = await self.resolve(workspace, ref)
        now = utc_now()
        status = passport.status_at(now)
        if status not in EDITABLE_STATUSES:
            raise PassportLocked(status)
        template = self.template_for(passport)
        if template is None:
            raise TemplateNotFound(passport.category, status=500)
        f = self._catalog.field(template, change.key)
        if f is None:
            raise ValidationFailed(
                {"key": [f"Unknown field for template {template.slug}: {change.key}"]}
            )
        if not change.value_sent:
            raise ValidationFailed({"value": ["Required"]})
        meta: dict[str, Any] | None = None
        value = change.value
        if value is not None:  # null removes the key (JSON Merge Patch)
            value, problem = validate_field_value(f, value)
            if problem:
                raise ValidationFailed({"value": [problem]})
            meta = {
                "source": change.source,
                "sourceLocale": change.source_locale or passport.source_locale,
                "updatedAt": now,
            }
        updated = await self._passports.set_field(
            workspace.id, passport.id, f.key, value, meta, now, now
        )
        if updated is None:  # archived, expired or deleted meanwhile
            current = await self._passports.get(workspace.id, passport.id)
            if current is None:
                raise PassportNotFound()
            raise PassportLocked(current.status_at(utc_now()))
        return updated

    # -- lifecycle ---------------------------------------------------------------------------

    async def act(
        self, workspace: Workspace, ref: PassportRef, action: Action, options: ActionOptions
    ) -> Passport:
        """§7: the transition table, the publish gate, repeats as 200 no-ops."""
        passport = await self.resolve(workspace, ref)
        for _ in range(_CAS_ATTEMPTS):
            now = utc_now()
            template = self.template_for(passport)
            if template is None:
                raise TemplateNotFound(passport.category, status=500)
            try:
                change = plan_transition(passport, action, options, template, now)
            except TransitionRefused as refused:
                raise InvalidTransition(
                    refused.action, refused.status, refused.allowed_from
                ) from None
            except PublishIncomplete as incomplete:
                raise PassportIncomplete(incomplete.missing, incomplete.percentage) from None
            if isinstance(change, NoChange):
                return passport
            moved = await self._passports.change_status(
                workspace.id, passport.id, passport.revision, change, now
            )
            if moved is not None:
                if change.status == "archived":
                    # Archive happens once per passport (the revision check), so the slot is
                    # given back once.
                    await self._dpp_usage.give_back(workspace.id, 1)
                return moved
            # Changed meanwhile (another move or a field PATCH): judge the new state.
            current = await self._passports.get(workspace.id, passport.id)
            if current is None:
                raise PassportNotFound()
            passport = current
        raise InvalidTransition(action, passport.status_at(utc_now()), [])

    # -- delete ------------------------------------------------------------------------------

    async def check_can_delete(self, workspace: Workspace) -> None:
        plan = await self._plans.get(workspace.plan)
        if not plan.can_delete_passports:
            raise PassportDeleteForbidden()

    async def delete(self, workspace: Workspace, ref: PassportRef) -> Passport:
        passport = await self.resolve(workspace, ref)
        now = utc_now()
        if not is_deletable(passport, now):
            raise PassportNotDeletable(passport.status_at(now))
        deleted = await self._passports.delete_if(
            workspace.id, passport.id, DELETABLE_STATUSES, now
        )
        if deleted is None:
            current = await self._passports.get(workspace.id, passport.id)
            if current is None:
                raise PassportNotFound()
            raise PassportNotDeletable(current.status_at(utc_now()))
        # Never archived (only drafts and passports in review are deleted): it held a slot.
        await self._dpp_usage.give_back(workspace.id, 1)
        await self._products.add_passports(workspace.id, deleted.product_id, -1)
        return deleted
