"""Embedded template and plan repositories (reference data, keyed by slug / plan name)."""

from __future__ import annotations

from app.domain.records import Plan
from app.domain.templates import Template


class MemoryTemplateRepository:
    def __init__(self) -> None:
        self._by_slug: dict[str, Template] = {}

    async def upsert_many(self, templates: list[Template]) -> None:
        for template in templates:
            self._by_slug[template.slug] = template

    async def list_all(self) -> list[Template]:
        return sorted(self._by_slug.values(), key=lambda t: t.slug)


class MemoryPlanRepository:
    def __init__(self) -> None:
        self._by_name: dict[str, Plan] = {}

    async def upsert_many(self, plans: list[Plan]) -> None:
        for plan in plans:
            self._by_name[plan.plan] = plan

    async def list_all(self) -> list[Plan]:
        return list(self._by_name.values())
