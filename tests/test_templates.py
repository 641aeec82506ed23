"""GET /api/v1/templates and /api/v1/templates/{category}."""

from __future__ import annotations

import pytest

from app.http.models import TemplateListOut, TemplateOut
from app.services.seeding import load_seed_templates
from tests.conftest import Api

SUMMARY_KEYS = {
    "category",
    "categoryLabel",
    "aliases",
    "version",
    "regulation",
    "fieldCount",
    "requiredFieldCount",
    "templateId",
}


async def test_list_has_every_seeded_template(api: Api) -> None:
    response = await api.call("GET", "/api/v1/templates")
    assert response.status == 200
    body = await response.json()
    TemplateListOut.model_validate(body)  # the documented shape
    templates = body["templates"]
    seeds = {t.slug: t for t in load_seed_templates()}
    assert [t["category"] for t in templates] == sorted(seeds)
    for item in templates:
        assert set(item) == SUMMARY_KEYS
        seed = seeds[item["category"]]
        assert item["fieldCount"] == len(seed.fields)
        assert item["requiredFieldCount"] == sum(f.required for f in seed.fields)
        assert item["categoryLabel"] == seed.label and item["version"] == seed.version
        assert item["templateId"] == seed.template_id
    assert sum(t["fieldCount"] for t in templates) == sum(len(s.fields) for s in seeds.values())
    by_slug = {t["category"]: t for t in templates}
    assert by_slug["batteries"]["aliases"] == ["battery"]
    assert by_slug["iron-steel"]["aliases"] == ["steel"]


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("batteries", "batteries"),
        ("battery", "batteries"),
        ("steel", "iron-steel"),
        ("tyres", "tyres"),
    ],
)
async def test_one_template_by_slug_or_alias(api: Api, name: str, slug: str) -> None:
    response = await api.call("GET", f"/api/v1/templates/{name}")
    assert response.status == 200
    body = await response.json()
    TemplateOut.model_validate(body)
    assert body["category"] == slug
    assert len(body["fields"]) == body["fieldCount"]
    assert {f["group"] for f in body["fields"]} <= {g["key"] for g in body["groups"]}
    seed = next(t for t in load_seed_templates() if t.slug == slug)
    assert body["fields"] == [f.raw for f in seed.fields]


@pytest.mark.parametrize("name", ["unknown", "Batteries", "BATTERY", "batteries%20"])
async def test_unknown_template_is_404(api: Api, name: str) -> None:
    response = await api.call("GET", f"/api/v1/templates/{name}")
    assert response.status == 404
    body = await response.json()
    assert body["code"] == "template_not_found"
    assert body["error"].startswith("No template found for category: ")


async def test_templates_need_auth(api: Api) -> None:
    for path in ("/api/v1/templates", "/api/v1/templates/batteries"):
        assert (await api.client.get(path)).status == 401
