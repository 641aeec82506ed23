"""Passport handlers: parse → call the passport service → respond (passports contract §3-§9).

Every `/api/v1/passports/{id}…` route has a `/api/v1/passports/by-serial/{serial}…` twin; both
name the passport through `passport_ref()`.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import orjson
from aiohttp import web

from app.domain.clock import format_timestamp, utc_now
from app.domain.errors import ValidationFailed
from app.domain.gtin import gtin_problem
from app.domain.passports import Action, ActionOptions, Passport, completion_percentage
from app.domain.records import StoredResponse
from app.domain.templates import Template
from app.http.app_keys import PARSED_QUERIES, SERVICES, SETTINGS, WORKSPACE
from app.http.json_body import read_json_body, read_optional_json_body
from app.http.passport_models import (
    BySerialQuery,
    CreatePassportBody,
    CreatePassportsBatchBody,
    EmptyActionBody,
    FieldPatchBody,
    GetBySerialQuery,
    GetPassportQuery,
    ListPassportsQuery,
    PublishBody,
    SuspendBody,
)
from app.http.responses import json_bytes
from app.http.validation import parse_body, parse_query
from app.http.writes import run_write
from app.services.passports import (
    BatchItemResult,
    CreatePassportInput,
    FieldChange,
    ListPassportsInput,
    PassportRef,
)
from app.services.write_pipeline import PartlySpent

PASSPORT_ID = "id"  # path parameters
SERIAL = "serial"
FIELD_KEY = "key"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# -- naming the passport -----------------------------------------------------------------------


def _gtin_query(request: web.Request) -> str | None:
    """`?gtin=` of a by-serial route, as 14 digits; only that parameter is read here."""
    values = request.query.getall("gtin", [])
    if not values:
        return None
    if len(values) > 1:
        raise ValidationFailed({"gtin": ["Given more than once"]})
    problem = gtin_problem(values[0])
    if problem:
        raise ValidationFailed({"gtin": [problem]})
    return values[0].zfill(14)


def passport_ref(request: web.Request) -> PassportRef:
    """The passport a route names: `{id}`, or `by-serial/{serial}` with an optional `?gtin=`
    (an invalid GTIN is a 400). Other query parameters are the route's own business."""
    if SERIAL in request.match_info:
        return PassportRef(serial=request.match_info[SERIAL], gtin=_gtin_query(request))
    return PassportRef(passport_id=request.match_info[PASSPORT_ID])


async def passport_for_request(request: web.Request) -> Passport:
    """The caller's passport the route names (404 / 409 ambiguous_serial / 400 bad gtin)."""
    return await request.app[SERVICES].passports.resolve(request[WORKSPACE], passport_ref(request))


def _write_ref(request: web.Request) -> PassportRef:
    """On by-serial writes, `gtin` is the only query parameter (anything else is a 400)."""
    if SERIAL in request.match_info:
        parse_query(BySerialQuery, request.query)
    return passport_ref(request)


# -- rendering ---------------------------------------------------------------------------------


def _stamp(value: datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def _completion(passport: Passport, template: Template | None) -> int:
    return 100 if template is None else completion_percentage(template, passport.fields)


def _gs1(passport: Passport) -> dict[str, str]:
    return {
        "gtin": passport.gtin,
        "serialNumber": passport.serial_number,
        "digitalLinkUri": passport.digital_link_uri,
    }


def passport_document(
    passport: Passport, template: Template | None, now: datetime
) -> dict[str, Any]:
    """The §2 resource (the PassportOut shape)."""
    return {
        "_id": passport.id,
        "productId": passport.product_id,
        "category": passport.category,
        "templateId": passport.template_id,
        "gs1": _gs1(passport),
        "status": passport.status_at(now),
        "fields": passport.fields,
        "fieldMeta": {
            key: {
                "source": meta.get("source"),
                "sourceLocale": meta.get("sourceLocale"),
                "updatedAt": format_timestamp(meta["updatedAt"]),
            }
            for key, meta in passport.field_meta.items()
        },
        "completionPercentage": _completion(passport, template),
        "sourceLocale": passport.source_locale,
        "parties": passport.parties,
        "publishedAt": _stamp(passport.published_at),
        "suspendedAt": _stamp(passport.suspended_at),
        "suspensionReason": passport.suspension_reason,
        "archivedAt": _stamp(passport.archived_at),
        "expiresAt": _stamp(passport.expires_at),
        "createdAt": format_timestamp(passport.created_at),
        "updatedAt": format_timestamp(passport.updated_at),
    }


def _full_additions(template: Template) -> dict[str, Any]:
    definitions: dict[str, Any] = {}
    for f in template.fields:
        definition: dict[str, Any] = {
            "label": f.label,
            "group": f.group,
            "dataType": f.data_type,
            "unit": f.unit,
            "required": f.required,
            "accessLevel": f.access_level,
        }
        if f.raw is not None and f.raw.get("enum"):
            definition["enum"] = f.raw["enum"]
        definitions[f.key] = definition
    return {
        "template": {
            "category": template.slug,
            "templateId": template.template_id,
            "version": template.version,
            "groups": [{"key": g["key"], "label": g["label"]} for g in template.groups],
        },
        "fieldDefinitions": definitions,
    }


def _summary_item(passport: Passport, template: Template | None, now: datetime) -> dict[str, Any]:
    return {
        "_id": passport.id,
        "productId": passport.product_id,
        "gs1": _gs1(passport),
        "status": passport.status_at(now),
        "completionPercentage": _completion(passport, template),
        "publishedAt": _stamp(passport.published_at),
        "createdAt": format_timestamp(passport.created_at),
    }


def _passport_json(request: web.Request, passport: Passport) -> bytes:
    template = request.app[SERVICES].passports.template_for(passport)
    return orjson.dumps(passport_document(passport, template, utc_now()))


def _ok(request: web.Request, passport: Passport) -> StoredResponse:
    return StoredResponse(status=200, body=_passport_json(request, passport))


def _created(request: web.Request, passport: Passport) -> StoredResponse:
    return StoredResponse(
        status=201,
        body=_passport_json(request, passport),
        location=f"/api/v1/passports/{passport.id}",
    )


async def _json_body(request: web.Request) -> Any:
    return await read_json_body(request, request.app[SETTINGS].max_json_body_bytes)


# -- create ------------------------------------------------------------------------------------


def _create_input(body: Any) -> CreatePassportInput:
    parsed = parse_body(CreatePassportBody, body)
    parties = {} if parsed.parties is None else parsed.parties.model_dump(exclude_none=True)
    return CreatePassportInput(
        product_id=parsed.productId,
        gtin=parsed.gs1.gtin,
        serial_number=parsed.gs1.serialNumber,
        parties=parties,
        confirm_overage=parsed.confirmOverage,
    )


async def create_passport(request: web.Request) -> web.Response:
    workspace = request[WORKSPACE]
    passports = request.app[SERVICES].passports
    body = await _json_body(request)

    async def prepare() -> CreatePassportInput:
        return _create_input(body)

    async def execute(data: CreatePassportInput, key: str | None) -> StoredResponse:
        return _created(request, await passports.create(workspace, data, key))

    async def recover(key: str) -> StoredResponse | None:
        for passport in await passports.created_under_key(workspace.id, key):
            if passport.batch_index is None:
                return _created(request, passport)
        return None

    return await run_write(request, body=body, prepare=prepare, execute=execute, recover=recover)


BatchItems = list[CreatePassportInput | ValidationFailed]


def _batch_items(body: Any) -> tuple[BatchItems, bool]:
    """The whole-batch 400s, then each item on its own (a bad item fails alone)."""
    parsed = parse_body(CreatePassportsBatchBody, body)
    items: BatchItems = []
    confirmed = parsed.confirmOverage
    for item in parsed.passports:
        if isinstance(item, dict) and item.get("confirmOverage") is True:
            confirmed = True
        try:
            items.append(_create_input(item))
        except ValidationFailed as failed:
            items.append(failed)
    return items, confirmed


def _batch_result(request: web.Request, result: BatchItemResult) -> dict[str, Any]:
    if result.passport is not None:
        template = request.app[SERVICES].passports.template_for(result.passport)
        document = passport_document(result.passport, template, utc_now())
        return {"index": result.index, "status": "created", "data": document}
    assert result.error is not None
    error = result.error.body()
    return {"index": result.index, "status": "error", **error}


async def create_passports_batch(request: web.Request) -> web.Response:
    workspace = request[WORKSPACE]
    passports = request.app[SERVICES].passports
    body = await _json_body(request)

    async def prepare() -> tuple[BatchItems, bool]:
        return _batch_items(body)

    async def execute(prepared: tuple[BatchItems, bool], key: str | None) -> PartlySpent:
        items, confirmed = prepared
        results = await passports.create_batch(workspace, items, confirmed, key)
        created = sum(1 for r in results if r.passport is not None)
        answer = {
            "results": [_batch_result(request, r) for r in results],
            "summary": {"created": created, "failed": len(results) - created},
        }
        # Only items created by this run count; recovered ones were counted by their run.
        spent = sum(1 for r in results if r.passport is not None and not r.recovered)
        return PartlySpent(StoredResponse(200, orjson.dumps(answer)), spent)

    return await run_write(
        request, body=body, prepare=prepare, execute=execute, units=lambda p: len(p[0])
    )


# -- reads -------------------------------------------------------------------------------------


async def list_passports(request: web.Request) -> web.Response:
    query = request.app[PARSED_QUERIES].parse(
        ListPassportsQuery, request.rel_url.raw_query_string, request.query
    )
    service = request.app[SERVICES].passports
    listed = await service.list_page(
        request[WORKSPACE],
        ListPassportsInput(
            page=query.page,
            limit=query.limit,
            product_id=query.productId,
            status=query.status,
            search=query.search,
            show_archived=query.showArchived == "true",
            cursor=query.cursor,
        ),
    )
    page = listed.page
    body = {  # the PassportListOut shape
        "data": {
            "items": [_summary_item(p, service.template_for(p), listed.now) for p in page.items],
            "total": page.total,
            "page": query.page,
            "limit": query.limit,
            "totalPages": math.ceil(page.total / query.limit),
            "nextCursor": listed.next_cursor,
        }
    }
    return json_bytes(200, orjson.dumps(body))


async def get_passport(request: web.Request) -> web.Response:
    model = GetBySerialQuery if SERIAL in request.match_info else GetPassportQuery
    query = parse_query(model, request.query)
    passport = await passport_for_request(request)
    template = request.app[SERVICES].passports.template_for(passport)
    document = passport_document(passport, template, utc_now())
    if query.format == "full" and template is not None:
        document.update(_full_additions(template))
    if query.lang is not None:
        # Translations are not kept (contract §5.2): the chain ends at the stored values.
        document["lang"] = query.lang
    return json_bytes(200, orjson.dumps(document))


# -- field PATCH -------------------------------------------------------------------------------


async def patch_field(request: web.Request) -> web.Response:
    workspace = request[WORKSPACE]
    passports = request.app[SERVICES].passports
    body = await _json_body(request)

    async def prepare() -> tuple[PassportRef, FieldChange]:
        ref = _write_ref(request)
        parsed = parse_body(FieldPatchBody, body)
        return ref, FieldChange(
            key=request.match_info[FIELD_KEY],
            value=parsed.value,
            value_sent="value" in parsed.model_fields_set,
            source=parsed.source,
            source_locale=parsed.sourceLocale,
        )

    async def execute(
        prepared: tuple[PassportRef, FieldChange], _key: str | None
    ) -> StoredResponse:
        ref, change = prepared
        return _ok(request, await passports.set_field(workspace, ref, change))

    return await run_write(request, body=body, prepare=prepare, execute=execute)


# -- lifecycle ---------------------------------------------------------------------------------


def _action_options(action: Action, body: Any) -> ActionOptions:
    if action == "publish":
        return ActionOptions(accept_incomplete=parse_body(PublishBody, body).acceptIncomplete)
    if action == "suspend":
        return ActionOptions(reason=parse_body(SuspendBody, body).reason or None)
    parse_body(EmptyActionBody, body)
    return ActionOptions()


def lifecycle_handler(action: Action) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        workspace = request[WORKSPACE]
        passports = request.app[SERVICES].passports
        # A missing or empty body (any Content-Type) is `{}` and fingerprints as `{}`.
        body = await read_optional_json_body(request, request.app[SETTINGS].max_json_body_bytes)

        async def prepare() -> tuple[PassportRef, ActionOptions]:
            return _write_ref(request), _action_options(action, body)

        async def execute(
            prepared: tuple[PassportRef, ActionOptions], _key: str | None
        ) -> StoredResponse:
            ref, options = prepared
            return _ok(request, await passports.act(workspace, ref, action, options))

        return await run_write(request, body=body, prepare=prepare, execute=execute)

    handle.__name__ = f"{action}_passport"
    return handle


# -- delete ------------------------------------------------------------------------------------


async def delete_passport(request: web.Request) -> web.Response:
    workspace = request[WORKSPACE]
    passports = request.app[SERVICES].passports

    async def prepare() -> PassportRef:
        await passports.check_can_delete(workspace)
        return _write_ref(request)

    async def execute(ref: PassportRef, _key: str | None) -> StoredResponse:
        passport = await passports.delete(workspace, ref)
        body = {  # the DeletedPassportOut shape
            "message": "Passport permanently deleted",
            "summary": {
                "passportId": passport.id,
                "serialNumber": passport.serial_number,
                "gtin": passport.gtin,
                "dppsActiveDelta": -1,
            },
        }
        return StoredResponse(status=200, body=orjson.dumps(body))

    return await run_write(request, body=None, prepare=prepare, execute=execute)
