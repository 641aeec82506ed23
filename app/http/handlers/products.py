"""Product handlers: parse → call a service → respond."""

from __future__ import annotations

import math
from typing import Any

import orjson
from aiohttp import web

from app.domain.clock import format_timestamp
from app.domain.errors import NothingToUpdate
from app.domain.records import UNSET, Product, ProductChanges, ProductDraft, StoredResponse
from app.http.app_keys import PARSED_QUERIES, SERVICES, SETTINGS, WORKSPACE
from app.http.json_body import NO_CONTENT, read_json_body
from app.http.models import (
    CreateProductBody,
    DeletedProductOut,
    DeletedProductSummary,
    ListProductsQuery,
    UpdateProductBody,
)
from app.http.responses import json_bytes, model_bytes
from app.http.validation import parse_body
from app.http.writes import run_write
from app.services.products import (
    CreateProductInput,
    ListProductsInput,
    PreparedUpdate,
    UpdateProductInput,
)

PRODUCT_ID = "id"  # the path parameter


def product_json(product: Product) -> bytes:
    """The full product (the ProductOut shape, which documents it), serialized directly: it is
    built from stored, already validated data and sits on every write's hot path."""
    created_at = format_timestamp(product.created_at)
    # A product that was never changed (every create) has one timestamp: rendered once.
    same_time = product.updated_at == product.created_at
    return orjson.dumps(
        {
            "_id": product.id,
            "name": product.name,
            "model": product.model,
            "category": product.category,
            "templateId": product.template_id,
            "description": product.description,
            "defaultFieldValues": product.default_field_values,
            "imageUrls": product.image_urls,
            "sourceLocale": product.source_locale,
            "passportCount": product.passport_count,
            "status": product.status,
            "createdAt": created_at,
            "updatedAt": created_at if same_time else format_timestamp(product.updated_at),
        }
    )


def summary_item(product: Product) -> dict[str, Any]:
    """One list item in the ProductSummaryOut shape; plain dicts because a page holds up to 100
    and building a model per item was the larger part of a list request's cost."""
    return {
        "_id": product.id,
        "name": product.name,
        "model": product.model,
        "category": product.category,
        "passportCount": product.passport_count,
        "status": product.status,
        "createdAt": format_timestamp(product.created_at),
    }


def created_response(product: Product) -> StoredResponse:
    return StoredResponse(
        status=201,
        body=product_json(product),
        location=f"/api/v1/products/{product.id}",
    )


def product_response(product: Product) -> StoredResponse:
    return StoredResponse(status=200, body=product_json(product))


async def _json_body(request: web.Request) -> Any:
    return await read_json_body(request, request.app[SETTINGS].max_json_body_bytes)


async def create_product(request: web.Request) -> web.Response:
    workspace = request[WORKSPACE]
    products = request.app[SERVICES].products
    body = await _json_body(request)

    async def prepare() -> ProductDraft:
        parsed = parse_body(CreateProductBody, body)
        return products.prepare_create(
            workspace,
            CreateProductInput(
                name=parsed.name,
                model=parsed.model,
                category=parsed.category,
                category_as_sent=body["category"],
                description=parsed.description,
                default_field_values=parsed.defaultFieldValues,
                image_urls=parsed.imageUrls,
                source_locale=parsed.sourceLocale or None,
            ),
        )

    async def execute(prepared: ProductDraft, key: str | None) -> StoredResponse:
        return created_response(await products.create(prepared, key))

    async def recover(key: str) -> StoredResponse | None:
        product = await products.created_under_key(workspace.id, key)
        return None if product is None else created_response(product)

    return await run_write(request, body=body, prepare=prepare, execute=execute, recover=recover)


async def list_products(request: web.Request) -> web.Response:
    query = request.app[PARSED_QUERIES].parse(
        ListProductsQuery, request.rel_url.raw_query_string, request.query
    )
    listed = await request.app[SERVICES].products.list_page(
        request[WORKSPACE],
        ListProductsInput(
            page=query.page,
            limit=query.limit,
            category=query.category,
            status=query.status,
            search=query.search,
            show_archived=query.showArchived == "true",
            cursor=query.cursor,
        ),
    )
    page = listed.page
    body = {  # the ProductListOut shape
        "data": {
            "items": [summary_item(product) for product in page.items],
            "total": page.total,
            "page": query.page,
            "limit": query.limit,
            "totalPages": math.ceil(page.total / query.limit),
            "nextCursor": listed.next_cursor,
        }
    }
    return json_bytes(200, orjson.dumps(body))


async def get_product(request: web.Request) -> web.Response:
    product = await request.app[SERVICES].products.get(
        request[WORKSPACE], request.match_info[PRODUCT_ID]
    )
    return json_bytes(200, product_json(product))


async def update_product(request: web.Request) -> web.Response:
    workspace = request[WORKSPACE]
    products = request.app[SERVICES].products
    product_id = request.match_info[PRODUCT_ID]
    body = await read_json_body(
        request, request.app[SETTINGS].max_json_body_bytes, may_be_empty=True
    )
    if body is NO_CONTENT or body == {}:
        # Checked before the write pipeline: nothing to do is an input error that claims no
        # Idempotency-Key (so the key stays free for the real update), uses no budget and
        # does not look the product up.
        raise NothingToUpdate()

    async def prepare() -> PreparedUpdate:
        category_sent = isinstance(body, dict) and "category" in body
        shape = {k: v for k, v in body.items() if k != "category"} if category_sent else body
        parsed = parse_body(UpdateProductBody, shape)
        # Only description may be null, so None means "not sent" for every other field.
        return await products.prepare_update(
            workspace,
            product_id,
            UpdateProductInput(
                ProductChanges(
                    name=parsed.name,
                    model=parsed.model,
                    description=parsed.description
                    if "description" in parsed.model_fields_set
                    else UNSET,
                    default_field_values=parsed.defaultFieldValues,
                    image_urls=parsed.imageUrls,
                    status=parsed.status,
                    source_locale=parsed.sourceLocale,
                ),
                category_sent=category_sent,
            ),
        )

    async def execute(prepared: PreparedUpdate, _key: str | None) -> StoredResponse:
        return product_response(await products.update(prepared))

    return await run_write(request, body=body, prepare=prepare, execute=execute)


async def archive_product(request: web.Request) -> web.Response:
    workspace = request[WORKSPACE]
    products = request.app[SERVICES].products
    product_id = request.match_info[PRODUCT_ID]

    async def prepare() -> None:
        return None

    async def execute(_prepared: None, _key: str | None) -> StoredResponse:
        return product_response(await products.archive(workspace, product_id))

    return await run_write(request, body=None, prepare=prepare, execute=execute)


async def delete_product(request: web.Request) -> web.Response:
    workspace = request[WORKSPACE]
    products = request.app[SERVICES].products
    product_id = request.match_info[PRODUCT_ID]

    async def prepare() -> None:
        await products.check_can_delete(workspace)

    async def execute(_prepared: None, _key: str | None) -> StoredResponse:
        product = await products.delete(workspace, product_id)
        body = DeletedProductOut(
            message="Product permanently deleted",
            summary=DeletedProductSummary(productId=product.id, name=product.name),
        )
        return StoredResponse(status=200, body=model_bytes(body))

    return await run_write(request, body=None, prepare=prepare, execute=execute)
