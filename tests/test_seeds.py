"""The project's own seed files: 14 categories with every field fact and stable template ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.services.seeding import SEEDS_DIR, load_seed_templates

SLUGS = {
    "batteries", "textiles", "jewelry", "electronics", "furniture", "chemicals", "packaging",
    "toys", "fmcg", "tyres", "iron-steel", "construction", "detergents", "paints-coatings",
}  # fmt: skip
REFERENCE = SEEDS_DIR.parent.parent / "shared" / "reference" / "dpp-templates"


def test_all_categories_with_aliases_and_ids() -> None:
    templates = load_seed_templates()
    assert {t.slug for t in templates} == SLUGS
    aliases = {a: t.slug for t in templates for a in t.aliases}
    assert aliases == {"battery": "batteries", "textile": "textiles", "steel": "iron-steel"}
    ids = [t.template_id for t in templates]
    assert len(set(ids)) == 14 and all(len(i) == 24 for i in ids)
    for t in templates:
        assert t.fields and all(f.key and f.label and f.group and f.data_type for f in t.fields)


def test_attribution_is_present() -> None:
    text = (SEEDS_DIR / "ATTRIBUTION.md").read_text()
    assert "Apache License 2.0" in text and "TracePass" in text


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="optional cross-check: reference not present")
def test_seeds_match_the_reference_field_facts() -> None:
    for path in REFERENCE.glob("*.json"):
        ref = json.loads(path.read_text())
        seed = json.loads((Path(SEEDS_DIR) / "templates" / path.name).read_text())
        assert len(seed["fields"]) == len(ref["fields"]) == ref["fieldCount"]
        for ours, theirs in zip(seed["fields"], ref["fields"], strict=True):
            assert {k: v for k, v in theirs.items()} == ours
