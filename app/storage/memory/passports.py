"""Embedded passports, GTIN claims and DPP slot counters: the same semantics as the Mongo
repositories. Every method is free of awaits between its reads and writes, so each is atomic on
the event loop (the unique keys are dict keys here)."""

from __future__ import annotations

import bisect
import dataclasses
from datetime import datetime
from typing import Any

from app.domain.passports import (
    EDITABLE_STATUSES,
    NewPassport,
    Passport,
    PassportListQuery,
    PassportPage,
    PassportStatus,
    StatusChange,
)
from app.storage.memory.ids import ObjectIdSequence
from app.storage.protocols import DuplicateSerialError

CreateKey = tuple[str, str, int | None]  # (workspace, Idempotency-Key, batch index)


def _matches(passport: Passport, query: PassportListQuery) -> bool:
    if query.product_id is not None and passport.product_id != query.product_id:
        return False
    if passport.stored_status not in query.stored_statuses:
        return False
    expired = passport.expires_at is not None and passport.expires_at <= query.now
    if (query.expiry == "live" and expired) or (query.expiry == "expired" and not expired):
        return False
    if query.search is not None:
        needle = query.search.casefold()
        return needle in passport.serial_number.casefold() or needle in passport.gtin
    return True


class MemoryPassportRepository:
    def __init__(self) -> None:
        self._ids = ObjectIdSequence()
        self._by_id: dict[str, Passport] = {}
        self._by_gs1: dict[tuple[str, str], str] = {}
        self._by_create_key: dict[CreateKey, list[str]] = {}
        # Per workspace, (createdAt, id) ascending: read backwards for newest first.
        self._order: dict[str, list[tuple[datetime, str]]] = {}

    def _owned(self, workspace_id: str, passport_id: str) -> Passport | None:
        passport = self._by_id.get(passport_id)
        if passport is None or passport.workspace_id != workspace_id:
            return None
        return passport

    async def insert(self, new: NewPassport) -> Passport:
        if (new.gtin, new.serial_number) in self._by_gs1:
            raise DuplicateSerialError(new.serial_number)
        passport = Passport.from_new(self._ids.new(), new)
        self._by_id[passport.id] = passport
        self._by_gs1[(passport.gtin, passport.serial_number)] = passport.id
        if new.created_by_key is not None:
            self._by_create_key.setdefault(
                (new.workspace_id, new.created_by_key, new.batch_index), []
            ).append(passport.id)
        bisect.insort(
            self._order.setdefault(passport.workspace_id, []), (passport.created_at, passport.id)
        )
        return passport

    async def get(self, workspace_id: str, passport_id: str) -> Passport | None:
        return self._owned(workspace_id, passport_id)

    async def find_by_serial(
        self, workspace_id: str, serial: str, gtin: str | None, limit: int
    ) -> list[Passport]:
        if gtin is not None:
            found = await self.find_global(gtin, serial)
            return [found] if found is not None and found.workspace_id == workspace_id else []
        matches = sorted(
            (
                p
                for p in self._by_id.values()
                if p.workspace_id == workspace_id and p.serial_number == serial
            ),
            key=lambda p: p.gtin,
        )
        return matches[:limit]

    async def find_global(self, gtin: str, serial: str) -> Passport | None:
        passport_id = self._by_gs1.get((gtin, serial))
        return None if passport_id is None else self._by_id[passport_id]

    async def created_under_key(self, workspace_id: str, key: str) -> list[Passport]:
        found = [
            self._by_id[passport_id]
            for (ws, k, _), passport_ids in self._by_create_key.items()
            if ws == workspace_id and k == key
            for passport_id in passport_ids
            if passport_id in self._by_id
        ]
        return sorted(found, key=lambda p: -1 if p.batch_index is None else p.batch_index)

    async def list_page(self, query: PassportListQuery) -> PassportPage:
        ordered = self._order.get(query.workspace_id, [])
        matching = [position for position in ordered if _matches(self._by_id[position[1]], query)]
        total = len(matching)
        if query.after is not None:
            matching = matching[: bisect.bisect_left(matching, query.after)]
        newest_first = list(reversed(matching))
        window = newest_first[query.offset : query.offset + query.limit + 1]
        items = [self._by_id[passport_id] for _, passport_id in window]
        return PassportPage(items[: query.limit], total, has_more=len(items) > query.limit)

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
        before = self._owned(workspace_id, passport_id)
        if (
            before is None
            or before.stored_status not in EDITABLE_STATUSES
            or before.is_expired_at(now)
        ):
            return None
        fields = dict(before.fields)
        field_meta = dict(before.field_meta)
        if meta is None:
            fields.pop(key, None)
            field_meta.pop(key, None)
        else:
            fields[key] = value
            field_meta[key] = meta
        after = dataclasses.replace(
            before,
            fields=fields,
            field_meta=field_meta,
            updated_at=at,
            revision=before.revision + 1,
        )
        self._by_id[passport_id] = after
        return after

    async def change_status(
        self,
        workspace_id: str,
        passport_id: str,
        expected_revision: int,
        change: StatusChange,
        at: datetime,
    ) -> Passport | None:
        before = self._owned(workspace_id, passport_id)
        if before is None or before.revision != expected_revision:
            return None
        after = dataclasses.replace(
            before,
            stored_status=change.status,
            **change.stamps,
            updated_at=at,
            revision=before.revision + 1,
        )
        self._by_id[passport_id] = after
        return after

    async def delete_if(
        self,
        workspace_id: str,
        passport_id: str,
        statuses: tuple[PassportStatus, ...],
        now: datetime,
    ) -> Passport | None:
        passport = self._owned(workspace_id, passport_id)
        if (
            passport is None
            or passport.stored_status not in statuses
            or passport.published_at is not None
            or passport.is_expired_at(now)
        ):
            return None
        del self._by_id[passport_id]
        del self._by_gs1[(passport.gtin, passport.serial_number)]
        if passport.created_by_key is not None:
            create_key = (workspace_id, passport.created_by_key, passport.batch_index)
            self._by_create_key[create_key].remove(passport.id)
        ordered = self._order[workspace_id]
        del ordered[bisect.bisect_left(ordered, (passport.created_at, passport.id))]
        return passport


class MemoryGtinRepository:
    def __init__(self) -> None:
        self._owners: dict[str, str] = {}

    async def owner(self, gtin: str) -> str | None:
        return self._owners.get(gtin)

    async def claim(self, gtin: str, workspace_id: str, at: datetime) -> bool:
        return self._owners.setdefault(gtin, workspace_id) == workspace_id


class MemoryDppUsageRepository:
    def __init__(self) -> None:
        self._held: dict[str, int] = {}

    async def take(self, workspace_id: str, count: int, limit: int | None) -> int | None:
        held = self._held.get(workspace_id, 0)
        if limit is not None and held + count > limit:
            return None
        self._held[workspace_id] = held + count
        return held + count

    async def give_back(self, workspace_id: str, count: int) -> None:
        self._held[workspace_id] = self._held.get(workspace_id, 0) - count

    async def held(self, workspace_id: str) -> int:
        return self._held.get(workspace_id, 0)
