"""Reference data from seeds/: category templates and plans."""

from __future__ import annotations

import json
from pathlib import Path

from app.domain.records import Plan, plan_from_fields
from app.domain.templates import Template
from app.storage.protocols import Storage

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"


def load_seed_templates(seeds_dir: Path = SEEDS_DIR) -> list[Template]:
    paths = sorted((seeds_dir / "templates").glob("*.json"))
    return [Template.from_seed(json.loads(p.read_text(encoding="utf-8"))) for p in paths]


def load_seed_plans(seeds_dir: Path = SEEDS_DIR) -> list[Plan]:
    data = json.loads((seeds_dir / "plans.json").read_text(encoding="utf-8"))
    return [plan_from_fields(p) for p in data["plans"]]


async def seed_reference_data(storage: Storage) -> list[Template]:
    """Upsert templates (stable templateId per slug) and plans; safe to run again."""
    templates = load_seed_templates()
    await storage.templates.upsert_many(templates)
    await storage.plans.upsert_many(load_seed_plans())
    return templates


async def ensure_reference_data(storage: Storage) -> list[Template]:
    """At start: seed when no templates are stored yet (always the case for the embedded store)."""
    templates = await storage.templates.list_all()
    if templates:
        if not await storage.plans.list_all():
            await storage.plans.upsert_many(load_seed_plans())
        return templates
    return await seed_reference_data(storage)
