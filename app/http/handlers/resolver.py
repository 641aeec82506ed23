"""The public GS1 Digital Link resolver, `GET`/`HEAD /01/{gtin}/21/{serial}` (passports-api
§11): no auth, no budgets; one URI, four representations chosen by `Accept`."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from app.domain.clock import format_timestamp
from app.domain.errors import ApiError
from app.domain.public_fields import format_date
from app.domain.public_passport import PublicPassport
from app.http.app_keys import SERVICES
from app.http.content_negotiation import negotiate
from app.http.html import render_page
from app.http.public_passport_documents import (
    json_document,
    jsonld_document,
    linkset_document,
    linkset_url,
)

GTIN = "gtin"
SERIAL = "serial"  # aiohttp hands it over percent-decoded (%2F included)

HTML = "text/html"
JSON = "application/json"
JSON_LD = "application/ld+json"
LINKSET = "application/linkset+json"
# HTML last: on a tie (`*/*`, no preference) the page wins; `application/*` picks plain JSON.
OFFERS = (LINKSET, JSON_LD, JSON, HTML)
# `linkType=linkset` is the contract's; `all` is what GS1's resolver standard calls it.
LINKSET_LINK_TYPES = ("linkset", "all")

# On every resolver answer, page or not: nothing here ever runs script or is sniffed.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src * data:; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Vary": "Accept",
    # GS1 resolvers answer cross-origin reads: the data is public by definition.
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Link",
}
PUBLISHED_CACHE = "public, max-age=60"
NOTICE_CACHE = "no-store"
NOTICES: dict[int, tuple[str, str, str]] = {  # status: (icon, title, text)
    400: (
        "invalid",
        "Invalid product link",
        "The product number (GTIN) in this address is not valid. Check that the code was "
        "scanned completely.",
    ),
    404: (
        "missing",
        "Passport not found",
        "There is no public product passport at this address. Check that the code was scanned "
        "completely, or ask the manufacturer.",
    ),
    410: (
        "withdrawn",
        "Passport withdrawn",
        "This product passport has been withdrawn by its publisher and is no longer available.",
    ),
    423: (
        "pause",
        "Passport temporarily unavailable",
        "This product passport is temporarily unavailable. Please try again later.",
    ),
}


def representation(request: web.Request) -> str:
    if request.query.get("linkType") in LINKSET_LINK_TYPES:
        return LINKSET
    return negotiate(request.headers.get("Accept"), OFFERS, HTML)


async def resolve(request: web.Request) -> web.StreamResponse:
    chosen = representation(request)
    try:
        view = await request.app[SERVICES].public_passports.resolve(
            request.match_info[GTIN], request.match_info[SERIAL]
        )
    except ApiError as error:
        return notice(request, error, chosen)
    headers = {
        **SECURITY_HEADERS,
        "Cache-Control": PUBLISHED_CACHE,
        "Link": f'<{linkset_url(view)}>; rel="linkset"; type="{LINKSET}"',
    }
    if chosen == HTML:
        headers["Content-Language"] = view.source_locale
        return render_page("passport.html", request, page_context(view), headers=headers)
    document = {JSON: json_document, JSON_LD: jsonld_document, LINKSET: linkset_document}[chosen]
    response = web.Response(body=orjson.dumps(document(view)), headers=headers)
    # application/json keeps the API's spelling; the +json types define no charset parameter.
    response.headers["Content-Type"] = f"{JSON}; charset=utf-8" if chosen == JSON else chosen
    return response


def notice(request: web.Request, error: ApiError, chosen: str) -> web.Response:
    """A browser gets a small page; every other client the contract's JSON error body."""
    headers = {**SECURITY_HEADERS, "Cache-Control": NOTICE_CACHE}
    if chosen != HTML or error.status not in NOTICES:
        error.headers.update(headers)
        raise error
    icon, title, text = NOTICES[error.status]
    context = {"lang": "en", "icon": icon, "title": title, "text": text}
    return render_page(
        "passport_notice.html", request, context, status=error.status, headers=headers
    )


def page_context(view: PublicPassport) -> dict[str, Any]:
    published = None
    if view.published_at is not None:
        published = {
            "iso": format_timestamp(view.published_at),
            "text": format_date(view.published_at.date()),
        }
    return {
        "lang": view.source_locale,
        "passport": view,
        "published": published,
        "linkset_href": linkset_url(view),
    }
