"""GET and POST /api/oauth/authorize (oauth.md §5.3, §5.4): the consent page and its decision.

The request checks and the approval are the authorization server's (app/services/oauth.py);
this module adds the session step, the page and the form decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from app.domain.oauth_records import User
from app.domain.record import record
from app.domain.redirect_uris import is_loopback
from app.domain.scopes import OFFLINE, READ, WRITE
from app.http.app_keys import SERVICES
from app.http.html import render_page
from app.http.page_sessions import see_other, signed_in_user, to_login
from app.http.sessions import csrf_token
from app.services.oauth import (
    AuthorizationRequest,
    AuthorizeRedirectError,
    AuthorizeRejected,
    NotAMember,
)
from app.services.users import WorkspaceRole

AUTHORIZE_PATH = "/api/oauth/authorize"
# What each scope lets the app do, in the words the consent page uses.
SCOPE_WORDS = {
    READ: "See your products, their passports and the category templates",
    WRITE: "Create, change and archive products and passports (and publish passports)",
    OFFLINE: "Stay connected when you are away (it may renew its access for up to 180 days)",
}


@record
class WorkspaceChoice:
    id: str
    name: str
    role: str


def _parameters(pairs: Iterable[tuple[str, object]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in pairs:
        if isinstance(value, str):
            found.setdefault(name, []).append(value)
    return found


def _bad_request(request: web.Request, message: str) -> web.Response:
    return render_page(
        "page_error.html",
        request,
        {"title": "This authorization request cannot be used", "message": message},
        status=400,
    )


async def _checked(
    request: web.Request, params: dict[str, list[str]]
) -> tuple[AuthorizationRequest, User, list[WorkspaceRole]] | web.Response:
    """§5.3 in its order: the checked request, or the page or redirect for the first fault."""
    services = request.app[SERVICES]
    server = services.oauth
    try:
        client, redirect_uri = await server.client_for_request(params)
    except AuthorizeRejected as exc:
        return _bad_request(request, exc.message)
    user = await signed_in_user(request)
    if user is None:
        # Back to this very request after signing in (a consent POST comes back as its GET).
        if request.method == "GET":
            return to_login(request.raw_path)
        query = urlencode([(name, value) for name, values in params.items() for value in values])
        return to_login(f"{AUTHORIZE_PATH}?{query}")
    try:
        authorization = server.check_request(client, redirect_uri, params)
    except AuthorizeRedirectError as exc:
        return see_other(exc.redirect_to)
    workspaces = await services.users.workspaces_for(user.id)
    if not workspaces:
        return see_other(
            server.error_redirect(
                redirect_uri,
                authorization.state,
                "access_denied",
                "The signed-in user has no workspace.",
            )
        )
    return authorization, user, workspaces


async def authorize_page(request: web.Request) -> web.Response:
    checked = await _checked(request, _parameters(request.query.items()))
    if isinstance(checked, web.Response):
        return checked
    authorization, user, workspaces = checked
    client = authorization.client
    context = {
        "csrf_token": await csrf_token(request),
        "email": user.email,
        "client_name": client.name,
        "verified": not client.dynamic,
        "redirect_host": urlsplit(authorization.redirect_uri).netloc,
        "loopback": all(is_loopback(uri) for uri in client.redirect_uris),
        "scopes": [{"name": s, "text": SCOPE_WORDS[s]} for s in authorization.scope],
        "pending": sorted(authorization.form_fields().items()),
        "workspaces": [
            WorkspaceChoice(w.workspace.id, w.workspace.name, w.role) for w in workspaces
        ],
    }
    return render_page("consent.html", request, context)


async def decide(request: web.Request) -> web.Response:
    form = await request.post()
    control = {"csrf_token", "decision", "workspace"}
    checked = await _checked(
        request, _parameters((k, v) for k, v in form.items() if k not in control)
    )
    if isinstance(checked, web.Response):
        return checked
    authorization, user, workspaces = checked
    server = request.app[SERVICES].oauth
    decision = form.get("decision")
    if decision not in ("approve", "deny"):
        return _bad_request(request, "The decision must be Approve or Deny.")
    # §5.4 names a missing or foreign workspace a 400 whatever the decision.
    chosen = form.get("workspace")
    workspace = next((w.workspace for w in workspaces if w.workspace.id == chosen), None)
    if workspace is None:
        return _bad_request(request, "Choose one of your workspaces.")
    if decision == "deny":
        return see_other(
            server.error_redirect(
                authorization.redirect_uri,
                authorization.state,
                "access_denied",
                "The user denied the request.",
            )
        )
    try:
        _grant, code = await server.approve(user.id, workspace.id, authorization)
    except NotAMember:  # removed from the workspace since the list above was read
        return _bad_request(request, "Choose one of your workspaces.")
    return see_other(server.code_redirect(authorization, code))
