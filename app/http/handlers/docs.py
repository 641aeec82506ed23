"""The OpenAPI document and the Swagger UI page (assets served locally, no CDN)."""

from __future__ import annotations

from aiohttp import web

from app.http.app_keys import OPENAPI_DOCUMENT
from app.http.responses import json_bytes

ASSETS = "/api/docs/assets"
DOCS_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Product catalogue API — docs</title>
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script src="{ASSETS}/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "/api/v1/openapi.json",
      dom_id: "#swagger-ui",
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout",
      persistAuthorization: true
    }});
  </script>
</body>
</html>
"""


async def openapi_document(request: web.Request) -> web.Response:
    return json_bytes(200, request.app[OPENAPI_DOCUMENT])


async def docs_page(request: web.Request) -> web.Response:
    return web.Response(text=DOCS_PAGE, content_type="text/html", charset="utf-8")
