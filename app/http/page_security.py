"""What every HTML page route gets (oauth.md §5.1): its browser session, security headers, and
CSRF + Origin checks on every POST. Page routes are the ones named `pages.*` in
app/http/routes.py; setup_routes wraps each of their handlers in `page_route`, so no page can
forget it, and the API's routes do not pay for it (two middleware layers on every request).
"""

from __future__ import annotations

from functools import partial
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from app.http.app_keys import SETTINGS
from app.http.html import render_page
from app.http.sessions import csrf_matches

PAGE_ROUTE_PREFIX = "pages."
CSRF_FIELD = "csrf_token"

# No script anywhere; styles are the layout's inline block; no form-action (it would block the
# consent form's redirect to the client); never framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on our forms.
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}


def base_origin(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def _trusted_post(request: web.Request, origin: str) -> bool:
    sent_origin = request.headers.get("Origin")
    # No Origin header: judged by the token alone (§10); `null` is what privacy settings send.
    if sent_origin is not None and sent_origin.lower() not in (origin, "null"):
        return False
    try:
        form = await request.post()  # parsed once; the handler reads the cached form
    except ValueError:  # a multipart body without or with a wrong boundary, bad encoding
        return False
    token = form.get(CSRF_FIELD)
    return isinstance(token, str) and await csrf_matches(request, token)


def forbidden_page(request: web.Request) -> web.Response:
    return render_page(
        "page_error.html",
        request,
        {
            "title": "This form has expired",
            "message": (
                "The form was sent without a valid security token, or from another site. "
                "Go back, reload the page and try again."
            ),
        },
        status=403,
    )


def page_route(handler: Handler, sessions: Middleware) -> Handler:
    """`handler` inside the session middleware `sessions`, inside this module's checks."""
    checked = partial(_page_checks, handler=handler)

    async def page(request: web.Request) -> web.StreamResponse:
        return await sessions(request, checked)

    return page


async def _page_checks(request: web.Request, handler: Handler) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    if not settings.base_is_origin:  # §1: with a path, every OAuth route is 404
        raise web.HTTPNotFound()
    response: web.StreamResponse
    if request.method == "POST" and not await _trusted_post(
        request, base_origin(settings.base_url)
    ):
        response = forbidden_page(request)
    else:
        response = await handler(request)
    response.headers.update(PAGE_HEADERS)
    return response
