"""Server-rendered HTML: one Jinja2 environment (autoescaping on) and the headers every page gets.

The login, consent, connected-apps and public passport pages all render through here, so
escaping and the security headers cannot be forgotten by one page.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

TEMPLATES_DIR = Path(__file__).parent / "templates"


def setup_html(app: web.Application) -> None:
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        # Every template is HTML: escape everything, whatever the file ends with.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(
    template: str,
    request: web.Request,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """Render `template` with a plain view model; `headers` are the page's security headers."""
    response = aiohttp_jinja2.render_template(template, request, dict(context), status=status)
    response.content_type = "text/html"
    response.charset = "utf-8"
    if headers:
        response.headers.update(headers)
    return response
