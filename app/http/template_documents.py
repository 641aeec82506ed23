"""The template responses, rendered once when the catalogue is loaded: templates are seeded
reference data that cannot change while the process runs, so no request rebuilds them."""

from __future__ import annotations

import json
from typing import Any

from app.domain.templates import Template, TemplateCatalog
from app.http.models import TemplateListOut, TemplateSummaryOut


def _summary(template: Template) -> dict[str, Any]:
    return {
        "category": template.slug,
        "categoryLabel": template.label,
        "aliases": list(template.aliases),
        "version": template.version,
        "regulation": template.regulation,
        "fieldCount": len(template.fields),
        "requiredFieldCount": template.required_field_count,
        "templateId": template.template_id,
    }


def _detail(template: Template) -> bytes:
    # The seed's own field objects, echoed as they are (TemplateOut documents their shape).
    body = {
        **_summary(template),
        "groups": list(template.groups),
        "fields": [field.raw for field in template.fields],
        "source": template.source,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class TemplateDocuments:
    def __init__(self, catalog: TemplateCatalog) -> None:
        self._catalog = catalog
        templates = catalog.all()
        # Validated through the documented model once, so a seed that drifts from the
        # documented shape fails at start-up rather than in a client.
        self.listing = (
            TemplateListOut(templates=[TemplateSummaryOut(**_summary(t)) for t in templates])
            .model_dump_json()
            .encode()
        )
        self._details = {t.slug: _detail(t) for t in templates}

    def detail(self, category: str) -> bytes | None:
        """One template by slug or alias; None for an unknown category."""
        template = self._catalog.resolve(category)
        return None if template is None else self._details[template.slug]
