"""Product use cases: preparing (template + field validation) and creating products."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from app.domain.clock import utc_now
from app.domain.errors import DuplicateModel, TemplateNotFound, ValidationFailed
from app.domain.field_values import validate_field_values
from app.domain.records import NewProduct, Product, Workspace
from app.domain.templates import TemplateCatalog
from app.storage.protocols import DuplicateModelError, ProductRepository


@dataclass(frozen=True, slots=True)
class CreateProductInput:
    name: str
    model: str
    category: str
    category_as_sent: str
    description: str | None
    default_field_values: dict[str, Any]
    image_urls: list[str]
    source_locale: str | None


class ProductService:
    def __init__(self, products: ProductRepository, catalog: TemplateCatalog) -> None:
        self._products = products
        self._catalog = catalog

    def prepare_create(self, workspace: Workspace, data: CreateProductInput) -> NewProduct:
        """Resolve the template and validate; raises TemplateNotFound / ValidationFailed."""
        template = self._catalog.resolve(data.category)
        if template is None:
            raise TemplateNotFound(data.category_as_sent)
        values, errors = validate_field_values(
            self._catalog, template, data.default_field_values, path="defaultFieldValues"
        )
        if errors:
            raise ValidationFailed(errors)
        return NewProduct(
            workspace_id=workspace.id,
            name=data.name,
            model=data.model,
            category=template.slug,
            template_id=template.template_id,
            description=data.description,
            default_field_values=values,
            image_urls=data.image_urls,
            source_locale=data.source_locale or workspace.default_source_locale,
            created_at=utc_now(),
        )

    async def create(self, prepared: NewProduct, idempotency_key: str | None) -> Product:
        # Stamped at execution, not at validation: the budget step sits in between.
        new = dataclasses.replace(prepared, created_at=utc_now(), idempotency_key=idempotency_key)
        try:
            return await self._products.insert(new)
        except DuplicateModelError as exc:
            raise DuplicateModel() from exc

    async def created_under_key(self, workspace_id: str, key: str) -> Product | None:
        return await self._products.find_by_idempotency_key(workspace_id, key)
