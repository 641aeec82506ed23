"""`GET /api/v1/passports/{id}/qr` and its by-serial twin (passports-api §10): the passport's
Digital Link URI as a QR code, in every status (labels are printed before publishing)."""

from __future__ import annotations

import orjson
from aiohttp import web

from app.domain.qr_codes import DEFAULT_DARK, QrColours, render_png, render_svg
from app.http.handlers.passports import SERIAL, passport_for_request
from app.http.passport_models import QrBySerialQuery, QrQuery
from app.http.responses import json_bytes
from app.http.validation import parse_query


async def passport_qr(request: web.Request) -> web.Response:
    model = QrBySerialQuery if SERIAL in request.match_info else QrQuery
    query = parse_query(model, request.query)  # before the lookup: a bad query changes nothing
    passport = await passport_for_request(request)
    uri = passport.digital_link_uri
    colours = QrColours(dark=query.color or DEFAULT_DARK, light=query.backgroundColor)
    if query.format == "png":
        return web.Response(body=render_png(uri, colours), content_type="image/png")
    if query.format == "json":
        body = {"result": render_svg(uri, colours, xml_declaration=False), "digitalLinkUri": uri}
        return json_bytes(200, orjson.dumps(body))
    return web.Response(
        text=render_svg(uri, colours), content_type="image/svg+xml", charset="utf-8"
    )
