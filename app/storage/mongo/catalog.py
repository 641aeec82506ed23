"""MongoDB template and plan repositories (seeded reference data)."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, IndexModel

from app.domain.records import Plan, plan_from_fields
from app.domain.templates import Template
from app.storage.mongo.errors import translate_errors
from app.storage.mongo.ids import oid

TEMPLATE_INDEXES = [IndexModel([("slug", ASCENDING)], unique=True, name="slug")]
PLAN_INDEXES = [IndexModel([("plan", ASCENDING)], unique=True, name="plan")]


class MongoTemplateRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @translate_errors
    async def upsert_many(self, templates: list[Template]) -> None:
        for template in templates:
            seed = template.to_seed()
            doc = {"_id": oid(seed.pop("templateId")), **seed}
            await self._collection.replace_one({"slug": template.slug}, doc, upsert=True)

    @translate_errors
    async def list_all(self) -> list[Template]:
        docs = await self._collection.find({}).sort("slug", ASCENDING).to_list(None)
        return [Template.from_seed({**d, "templateId": str(d["_id"])}) for d in docs]


class MongoPlanRepository:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @translate_errors
    async def upsert_many(self, plans: list[Plan]) -> None:
        for plan in plans:
            await self._collection.update_one(
                {"plan": plan.plan},
                {
                    "$set": {
                        "writesPerDay": plan.writes_per_day,
                        "readsPerDay": plan.reads_per_day,
                        "canDeleteProducts": plan.can_delete_products,
                        "maxDpps": plan.max_dpps,
                        "overageAllowed": plan.overage_allowed,
                        "dppLifetimeDays": plan.dpp_lifetime_days,
                        "canDeletePassports": plan.can_delete_passports,
                    }
                },
                upsert=True,
            )

    @translate_errors
    async def list_all(self) -> list[Plan]:
        docs = await self._collection.find({}).to_list(None)
        return [plan_from_fields(d) for d in docs]
