"""Product use cases: create, read, list, update, archive and delete."""

from __future__ import annotations

import dataclasses
from typing import Any

from app.domain.clock import utc_now
from app.domain.errors import (
    DuplicateModel,
    FieldErrors,
    NothingToUpdate,
    PlanForbidden,
    ProductHasPassports,
    ProductNotFound,
    TemplateNotFound,
    ValidationFailed,
)
from app.domain.field_values import validate_field_values
from app.domain.image_urls import image_url_problem
from app.domain.list_cursor import decode_cursor, next_cursor
from app.domain.record import record
from app.domain.records import (
    PRODUCT_STATUSES,
    Product,
    ProductChanges,
    ProductDraft,
    ProductListQuery,
    ProductPage,
    ProductStatus,
    Workspace,
)
from app.domain.templates import TemplateCatalog
from app.services.images import ImageService
from app.services.plans import PlanBook
from app.storage.protocols import DuplicateModelError, PassportsExistError, ProductRepository


@record
class CreateProductInput:
    name: str
    model: str
    category: str
    category_as_sent: str
    description: str | None
    default_field_values: dict[str, Any]
    image_urls: list[str]
    source_locale: str | None


@record
class ListProductsInput:
    page: int = 1
    limit: int = 20
    category: str | None = None  # slug or alias, as sent
    status: ProductStatus | None = None
    search: str | None = None
    show_archived: bool = False
    cursor: str | None = None  # from a previous page's nextCursor


@record
class ListedPage:
    page: ProductPage
    next_cursor: str | None


@record
class UpdateProductInput:
    """A PATCH body after shape validation."""

    changes: ProductChanges
    category_sent: bool = False


@record
class PreparedUpdate:
    workspace_id: str
    product_id: str
    changes: ProductChanges


class ProductService:
    def __init__(
        self,
        products: ProductRepository,
        images: ImageService,
        catalog: TemplateCatalog,
        plans: PlanBook,
    ) -> None:
        self._products = products
        self._images = images
        self._catalog = catalog
        self._plans = plans

    # -- create ------------------------------------------------------------------------------

    def prepare_create(self, workspace: Workspace, data: CreateProductInput) -> ProductDraft:
        """Resolve the template and validate; raises TemplateNotFound / ValidationFailed."""
        template = self._catalog.resolve(data.category)
        if template is None:
            raise TemplateNotFound(data.category_as_sent)
        values, errors = validate_field_values(
            self._catalog, template, data.default_field_values, path="defaultFieldValues"
        )
        if errors:
            raise ValidationFailed(errors)
        return ProductDraft(  # by position, in field order (see ProductDraft.stamped)
            workspace.id,
            data.name,
            data.model,
            template.slug,
            template.template_id,
            data.description,
            values,  # default_field_values, validated
            data.image_urls,
            data.source_locale or workspace.default_source_locale,
        )

    async def create(self, prepared: ProductDraft, idempotency_key: str | None) -> Product:
        # Stamped at execution, not at validation: the budget step sits in between.
        new = prepared.stamped(utc_now(), idempotency_key)
        try:
            return await self._products.insert(new)
        except DuplicateModelError as exc:
            raise DuplicateModel() from exc

    async def created_under_key(self, workspace_id: str, key: str) -> Product | None:
        return await self._products.find_by_idempotency_key(workspace_id, key)

    # -- read --------------------------------------------------------------------------------

    async def get(self, workspace: Workspace, product_id: str) -> Product:
        product = await self._products.get(workspace.id, product_id)
        if product is None:
            raise ProductNotFound()
        return product

    async def list_page(self, workspace: Workspace, data: ListProductsInput) -> ListedPage:
        after = None
        if data.cursor is not None:
            after = decode_cursor(data.cursor)
            if after is None:
                raise ValidationFailed({"cursor": ["Not a cursor this service issued"]})
            if data.page != 1:
                raise ValidationFailed({"page": ["Send either page or cursor, not both"]})
        category = None
        if data.category is not None:
            template = self._catalog.resolve(data.category)
            if template is None:
                raise ValidationFailed({"category": [f"Unknown category: {data.category}"]})
            category = template.slug
        if data.status is not None:
            statuses: tuple[ProductStatus, ...] = (data.status,)
        else:
            statuses = PRODUCT_STATUSES if data.show_archived else ("active",)
        page = await self._products.list_page(
            ProductListQuery(
                workspace_id=workspace.id,
                page=data.page,
                limit=data.limit,
                category=category,
                statuses=statuses,
                search=data.search or None,
                after=after,
            )
        )
        return ListedPage(page, next_cursor(page.items, page.has_more))

    # -- update ------------------------------------------------------------------------------

    async def prepare_update(
        self, workspace: Workspace, product_id: str, data: UpdateProductInput
    ) -> PreparedUpdate:
        """Validate a PATCH against the product it changes; raises ValidationFailed / 404."""
        if data.category_sent:
            raise ValidationFailed(
                {"category": ["Category cannot be changed; create a new product instead"]}
            )
        changes = data.changes
        if not changes.as_fields():
            raise NothingToUpdate()
        product = await self.get(workspace, product_id)
        errors: FieldErrors = {}
        if changes.default_field_values is not None:
            template = self._catalog.resolve(product.category)
            if template is None:  # a template removed from the seeds after the product was made
                raise TemplateNotFound(product.category)
            values, errors = validate_field_values(
                self._catalog, template, changes.default_field_values, path="defaultFieldValues"
            )
            changes = dataclasses.replace(changes, default_field_values=values)
        for index, url in enumerate(changes.image_urls or []):
            # URLs the product already holds stay valid as they are (e.g. images this service
            # stored under its own base URL), so a client can reorder or drop them.
            problem = None if url in product.image_urls else image_url_problem(url)
            if problem:
                errors.setdefault(f"imageUrls.{index}", []).append(problem)
        if errors:
            raise ValidationFailed(errors)
        return PreparedUpdate(workspace.id, product.id, changes)

    async def update(self, prepared: PreparedUpdate) -> Product:
        try:
            result = await self._products.update(
                prepared.workspace_id, prepared.product_id, prepared.changes, utc_now()
            )
        except DuplicateModelError as exc:
            raise DuplicateModel() from exc
        if result is None:
            raise ProductNotFound()
        before, after = result
        dropped = [url for url in before.image_urls if url not in after.image_urls]
        await self._images.discard_stored(after, dropped)
        return after

    async def archive(self, workspace: Workspace, product_id: str) -> Product:
        product = await self._products.archive(workspace.id, product_id, utc_now())
        if product is None:
            raise ProductNotFound()
        return product

    # -- delete ------------------------------------------------------------------------------

    async def check_can_delete(self, workspace: Workspace) -> None:
        plan = await self._plans.get(workspace.plan)
        if not plan.can_delete_products:
            raise PlanForbidden()

    async def delete(self, workspace: Workspace, product_id: str) -> Product:
        try:
            product = await self._products.delete(workspace.id, product_id)
        except PassportsExistError as exc:
            raise ProductHasPassports(exc.passport_count) from exc
        if product is None:
            raise ProductNotFound()
        await self._images.discard_all(product)
        return product
