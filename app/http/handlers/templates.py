"""Category template handlers: the catalogue of templates and one template with its fields."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from app.domain.errors import TemplateNotFound
from app.domain.templates import Template
from app.http.app_keys import SERVICES
from app.http.models import TemplateListOut, TemplateSummaryOut
from app.http.responses import json_bytes, json_model


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


async def list_templates(request: web.Request) -> web.Response:
    templates = request.app[SERVICES].catalog.all()
    return json_model(
        TemplateListOut(templates=[TemplateSummaryOut(**_summary(t)) for t in templates])
    )


async def get_template(request: web.Request) -> web.Response:
    category = request.match_info["category"]
    template = request.app[SERVICES].catalog.resolve(category)
    if template is None:
        raise TemplateNotFound(category, status=404)
    # The seed's own field objects, echoed as they are (TemplateOut documents their shape).
    body = {
        **_summary(template),
        "groups": list(template.groups),
        "fields": [field.raw for field in template.fields],
        "source": template.source,
    }
    return json_bytes(200, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
