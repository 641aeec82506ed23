"""Product handlers: parse → call a service → respond."""

from __future__ import annotations

from aiohttp import web

from app.domain.clock import format_timestamp
from app.domain.records import NewProduct, Product, StoredResponse
from app.http.app_keys import SERVICES, SETTINGS, WORKSPACE
from app.http.idempotency_header import idempotency_key
from app.http.json_body import read_json_body
from app.http.models import CreateProductBody, ProductOut
from app.http.responses import write_outcome_response
from app.http.validation import parse_body
from app.services.products import CreateProductInput
from app.services.write_pipeline import WriteRequest


def product_out(product: Product) -> ProductOut:
    # Built from stored, already validated data: construct without re-validating.
    return ProductOut.model_construct(
        id=product.id,
        name=product.name,
        model=product.model,
        category=product.category,
        templateId=product.template_id,
        description=product.description,
        defaultFieldValues=product.default_field_values,
        imageUrls=product.image_urls,
        sourceLocale=product.source_locale,
        passportCount=product.passport_count,
        status=product.status,
        createdAt=format_timestamp(product.created_at),
        updatedAt=format_timestamp(product.updated_at),
    )


def created_response(product: Product) -> StoredResponse:
    return StoredResponse(
        status=201,
        body=product_out(product).model_dump_json().encode(),
        location=f"/api/v1/products/{product.id}",
    )


async def create_product(request: web.Request) -> web.Response:
    workspace = request[WORKSPACE]
    services = request.app[SERVICES]
    body = await read_json_body(request, request.app[SETTINGS].max_json_body_bytes)
    key = idempotency_key(request.headers)

    def prepare() -> NewProduct:
        parsed = parse_body(CreateProductBody, body)
        return services.products.prepare_create(
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

    async def execute(prepared: NewProduct, key: str | None) -> StoredResponse:
        return created_response(await services.products.create(prepared, key))

    async def recover(key: str) -> StoredResponse | None:
        product = await services.products.created_under_key(workspace.id, key)
        return None if product is None else created_response(product)

    outcome = await services.writes.run(
        WriteRequest(workspace, request.method, request.path, body, key),
        prepare=prepare,
        execute=execute,
        recover=recover,
    )
    return write_outcome_response(outcome)
