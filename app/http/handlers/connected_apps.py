"""GET /account/connected-apps and POST /account/connected-apps/{grant}/revoke (oauth.md §5.5)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from app.domain.record import record
from app.domain.scopes import OFFLINE, READ, WRITE
from app.http.app_keys import SERVICES
from app.http.html import render_page
from app.http.page_sessions import see_other, signed_in_user, to_login
from app.http.sessions import csrf_token

PAGE_PATH = "/account/connected-apps"
SCOPE_LABELS = {READ: "read products", WRITE: "change products", OFFLINE: "stay connected"}


@record
class ConnectedApp:
    id: str
    client_id: str
    client_name: str
    workspace_name: str
    scopes: list[str]
    approved: str
    last_used: str


def _when(moment: datetime | None) -> str:
    return "Never" if moment is None else moment.strftime("%d %b %Y, %H:%M UTC")


async def connected_apps_page(request: web.Request) -> web.Response:
    user = await signed_in_user(request)
    if user is None:
        return to_login(PAGE_PATH)
    views = await request.app[SERVICES].grants.list(user_id=user.id)
    apps = [
        ConnectedApp(
            id=view.grant.id,
            client_id=view.grant.client_id,
            client_name=view.client_name,
            workspace_name=view.workspace_name,
            scopes=[SCOPE_LABELS.get(s, s) for s in view.grant.scope],
            approved=_when(view.grant.approved_at),
            last_used=_when(view.grant.last_used_at),
        )
        for view in views
    ]
    context = {"csrf_token": await csrf_token(request), "email": user.email, "grants": apps}
    return render_page("connected_apps.html", request, context)


async def revoke(request: web.Request) -> web.Response:
    user = await signed_in_user(request)
    if user is None:
        return to_login(PAGE_PATH)
    revoked = await request.app[SERVICES].grants.revoke_for_user(
        user.id, request.match_info["grant"]
    )
    if not revoked:
        return render_page(
            "page_error.html",
            request,
            {
                "title": "No such connected app",
                "message": "This app is not connected to your account (it may be revoked already).",
            },
            status=404,
        )
    return see_other(PAGE_PATH)
