"""Category template handlers: the catalogue of templates and one template with its fields."""

from __future__ import annotations

from aiohttp import web

from app.domain.errors import TemplateNotFound
from app.http.app_keys import TEMPLATE_DOCUMENTS
from app.http.responses import json_bytes


async def list_templates(request: web.Request) -> web.Response:
    return json_bytes(200, request.app[TEMPLATE_DOCUMENTS].listing)


async def get_template(request: web.Request) -> web.Response:
    category = request.match_info["category"]
    body = request.app[TEMPLATE_DOCUMENTS].detail(category)
    if body is None:
        raise TemplateNotFound(category, status=404)
    return json_bytes(200, body)
